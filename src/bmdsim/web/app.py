"""The HTTP API and the viewer of ``bmdsim serve`` (FastAPI). Its OpenAPI spec is served at ``/openapi.json``.

Limits: request bodies over :data:`MAX_BODY_BYTES` get 413; run ids, file and table names are looked up in what
the service created or found (never joined to a path); a scenario posted as YAML is data only (the safe loader,
no aliases, and no files: it may name only bundled tracks); unknown routes get 404; every error is JSON
``{"error": KIND, "message": TEXT}``. The ``Host`` header must name the loopback interface (or the host the
service was started on), so a web page elsewhere cannot drive the service through DNS rebinding.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import math
import re
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware

from bmdsim import __version__
from bmdsim.errors import BmdsimError
from bmdsim.scenario.load import LoadedScenario, ScenarioError, bundled_names, load_scenario, validate_text
from bmdsim.web.runs import RUN_ID_PATTERN, QueueFullError, RunManager

__all__ = ["create_app", "MAX_BODY_BYTES", "STATIC_DIR", "LOOPBACK_HOSTS"]

MAX_BODY_BYTES = 1 << 20      #: 1 MiB: a scenario is a description, not a data file
MAX_TABLE_ROWS = 10_000       #: rows per page of /tables/{name}
STATIC_DIR = Path(__file__).parent / "static"
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml", "text/plain")
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"


# ------------------------------------------------------------------------------------------------ limits
class BodyLimit:
    """ASGI middleware: read at most ``limit`` bytes of a request body, answer 413 beyond (by the declared
    ``Content-Length`` at once, or while reading a chunked body), and hand the app the body read."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            return await _too_large(scope, receive, send, self.limit)
        chunks, size, more = [], 0, True
        while more:
            msg = await receive()
            if msg["type"] == "http.disconnect":
                return
            chunk = msg.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return await _too_large(scope, receive, send, self.limit)
            chunks.append(chunk)
            more = msg.get("more_body", False)
        body, sent = b"".join(chunks), False

        async def replay():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return await self.app(scope, replay, send)


async def _too_large(scope, receive, send, limit):
    resp = _error(413, "too_large", f"the request body is larger than {limit // 1024} KiB; a scenario is a "
                  "description, put data in files it names")
    await resp(scope, receive, send)


def _error(status: int, kind: str, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": kind, "message": message, **extra}, status_code=status)


_KINDS = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 409: "not_ready", 413: "too_large",
          415: "unsupported_media_type", 422: "invalid", 503: "busy"}


# ------------------------------------------------------------------------------------------------ models
class Health(BaseModel):
    status: str
    version: str


class ScenarioInfo(BaseModel):
    name: str = Field(description="what to pass as 'scenario' to POST /api/runs")
    origin: str = Field(description="bundled, or user (a YAML file in the service's scenarios folder)")
    description: str
    valid: bool
    problem: str | None = None


class RunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    scenario: str = Field(min_length=1, max_length=200, description="a name from GET /api/scenarios")
    seed: int | None = Field(default=None, ge=0, le=2**53,
                             description="override the scenario's seed (up to 2^53: exact in JSON)")

    @field_validator("seed", mode="before")
    @classmethod
    def _integral(cls, v):   # JSON has one number type: 7.0 is the integer 7 (strings and booleans are not)
        return int(v) if isinstance(v, float) and v.is_integer() else v


class RunCreated(BaseModel):
    id: str
    state: str


class RunInfo(BaseModel):
    id: str
    scenario: str
    seed: int | None
    source: str
    state: str = Field(description="queued | running | done | failed")
    step: str
    progress: float = Field(ge=0, le=1)
    created_utc: str | None
    started_utc: str | None
    finished_utc: str | None
    error: str | None
    summary: dict[str, Any] | None = Field(default=None, description="the JSON summary of `bmdsim run --json`")


class RunList(BaseModel):
    runs: list[RunInfo]


class TableInfo(BaseModel):
    name: str
    rows: int


class TableList(BaseModel):
    tables: list[TableInfo]


class TableRows(BaseModel):
    table: str
    columns: list[str]
    total: int
    offset: int
    rows: list[dict[str, Any]]


class Problem(BaseModel):
    file: str
    line: int
    column: int
    path: str
    value: str | None
    message: str
    text: str


class Validation(BaseModel):
    valid: bool
    source: str
    name: str | None = None
    problems: list[Problem] = []


class ErrorBody(BaseModel):
    error: str
    message: str


def problem_json(p) -> dict:
    """One positioned problem with the fields of ``bmdsim validate --json``."""
    return {"file": p.file, "line": p.line, "column": p.column, "path": p.path,
            "value": None if repr(p.value) == "<missing>" else repr(p.value), "message": p.message, "text": str(p)}


def _clean(x):
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if x is None or isinstance(x, bool | int | str):
        return x
    return str(x)


_ERRORS = {c: {"model": ErrorBody, "description": k} for c, k in _KINDS.items()}
_YAML_BODY = {"requestBody": {"required": True, "content": {"application/yaml": {"schema": {
    "type": "string", "maxLength": MAX_BODY_BYTES, "description": "a scenario file (YAML)"}}}}}


# ------------------------------------------------------------------------------------------------ the app
def create_app(runs_dir: str | Path, *, scenarios_dir: str | Path | None = None, workers: int = 1,
               max_queued: int = 32, allowed_hosts: list[str] | None = None) -> FastAPI:
    """The service: runs (past and new) live in ``runs_dir``; the user's scenarios are the YAML files in
    ``scenarios_dir`` (none if None)."""
    manager = RunManager(runs_dir, workers=workers, max_queued=max_queued)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        manager.close()

    app = FastAPI(title="bmdsim", version=__version__, docs_url=None, redoc_url=None,  # those load from a CDN
                  description="Run bmdsim scenarios and read their results; the 3D viewer is at /.", lifespan=lifespan)
    app.state.manager = manager
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOOPBACK_HOSTS)
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)

    bundled = {}
    for n in bundled_names():
        s = load_scenario(n).scenario
        bundled[n] = " ".join(s.description.split())

    def scenario_list() -> list[dict]:
        rows = [{"name": n, "origin": "bundled", "description": d, "valid": True, "problem": None}
                for n, d in bundled.items()]
        if scenarios_dir is not None:
            for p in sorted(Path(scenarios_dir).glob("*.y*ml")):
                if not re.match(_NAME, p.name) or p.suffix not in (".yaml", ".yml") or not p.is_file():
                    continue
                try:
                    s = load_scenario(str(p)).scenario
                    rows.append({"name": p.name, "origin": "user", "description": " ".join(s.description.split()),
                                 "valid": True, "problem": None})
                except BmdsimError as exc:
                    first = exc.problems[0] if isinstance(exc, ScenarioError) and exc.problems else exc
                    rows.append({"name": p.name, "origin": "user", "description": "", "valid": False,
                                 "problem": str(first)})
        return rows

    def run_or_404(run_id: str):
        st = manager.get(run_id)
        if st is None:
            raise HTTPException(404, f"no run {run_id!r}; GET /api/runs lists the runs")
        return st

    # -------------------------------------------------------------------------------------------- errors
    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        if exc.status_code == 404 and message == "Not Found":
            message = f"no such route: {request.url.path}; the API is described at /openapi.json"
        resp = _error(exc.status_code, _KINDS.get(exc.status_code, "error"), message)
        resp.headers.update(exc.headers or {})
        return resp

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        errs = jsonable_encoder([{k: e.get(k) for k in ("loc", "msg", "type")} for e in exc.errors()])
        text = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in errs) or "invalid request"
        return _error(422, "invalid", text, problems=errs)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception):
        return _error(500, "internal", f"internal error ({type(exc).__name__}); please report it")

    # -------------------------------------------------------------------------------------------- API
    @app.get("/api/health", response_model=Health, tags=["service"])
    def health():
        """The service is up."""
        return {"status": "ok", "version": __version__}

    @app.get("/api/scenarios", response_model=list[ScenarioInfo], tags=["scenarios"])
    def scenarios():
        """The bundled scenarios and the YAML files in the service's scenarios folder."""
        return scenario_list()

    def read_text(body: bytes, what: str) -> str:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise HTTPException(400, f"the {what} is not UTF-8 text; send the scenario file as UTF-8") from None

    def validation(source: str, text: str) -> dict:
        try:
            s = validate_text(source, text, base_dir=None)
        except ScenarioError as exc:
            return {"valid": False, "source": exc.source, "problems": [problem_json(p) for p in exc.problems]}
        return {"valid": True, "source": source, "name": s.name, "problems": []}

    @app.post("/api/validate", response_model=Validation, tags=["scenarios"], openapi_extra=_YAML_BODY,
              responses={400: _ERRORS[400], 413: _ERRORS[413]})
    async def validate(request: Request):
        """Check a scenario file (YAML body) with the checks of `bmdsim validate`: every problem positioned by
        line and column, with the field, the value and how to fix it."""
        return validation("request.yaml", read_text(await request.body(), "body"))

    @app.post("/api/runs", response_model=RunCreated, status_code=202, tags=["runs"],
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": RunRequest.model_json_schema()},
                  **_YAML_BODY["requestBody"]["content"]}}},
              responses={c: _ERRORS[c] for c in (400, 404, 413, 415, 422, 503)})
    async def start_run(request: Request):
        """Queue a run: `{"scenario": NAME, "seed": N}` (JSON; NAME from GET /api/scenarios) or a scenario file
        (YAML body). The run executes in the background; follow it with GET /api/runs/{id} or its events."""
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        body = await request.body()
        if ctype == "application/json":
            try:
                req = RunRequest.model_validate_json(body)
            except ValueError as exc:
                errs = getattr(exc, "errors", lambda: [])()
                text = "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'body'}: {e['msg']}" for e in errs)
                return _error(422, "invalid", text or "the body is not a JSON object {\"scenario\": NAME}")
            known = {r["name"]: r for r in scenario_list()}
            if req.scenario not in known:
                return _error(404, "not_found", f"scenario = {req.scenario!r}: no such scenario; GET "
                              "/api/scenarios lists the names")
            seed = req.seed
            ref = req.scenario if known[req.scenario]["origin"] == "bundled" else \
                str(Path(scenarios_dir) / req.scenario)
            try:
                ls = load_scenario(ref)
            except ScenarioError as exc:
                return _error(422, "invalid", str(exc), problems=[problem_json(p) for p in exc.problems])
        elif ctype in _YAML_TYPES:
            text = read_text(body, "body")
            try:
                scn = validate_text("request.yaml", text, base_dir=None)
            except ScenarioError as exc:
                return _error(422, "invalid", str(exc), problems=[problem_json(p) for p in exc.problems])
            ls, seed = LoadedScenario(scn, text, hashlib.sha256(body).hexdigest(), "request.yaml", None), None
        else:
            return _error(415, "unsupported_media_type", "send application/json ({\"scenario\": NAME}) or "
                          "application/yaml (a scenario file)")
        try:
            st = manager.submit(ls, seed)
        except QueueFullError as exc:
            return _error(503, "busy", str(exc))
        return JSONResponse({"id": st.id, "state": st.state}, status_code=202)

    @app.get("/api/runs", response_model=RunList, tags=["runs"])
    def runs():
        """Past runs (read from their result databases) and the ones queued or running, newest first."""
        return {"runs": manager.list()}

    run_id_param = PathParam(pattern=RUN_ID_PATTERN, max_length=80, description="a run id from GET /api/runs")

    @app.get("/api/runs/{run_id}", response_model=RunInfo, tags=["runs"], responses={404: _ERRORS[404]})
    def run_state(run_id: str = run_id_param):
        """A run's state, its progress 0-1 and, when done, its summary."""
        run_or_404(run_id)
        snap = manager.snapshot(run_id)
        snap.pop("version")
        return snap

    @app.get("/api/runs/{run_id}/events", tags=["runs"], responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
              "description": "`progress` events (the run's state as JSON) until an `end` event"},
        404: _ERRORS[404]})
    async def run_events(request: Request, run_id: str = run_id_param):
        """The run's progress as server-sent events: `progress` on every change, then `end`."""
        run_or_404(run_id)

        async def stream():
            last, idle = -1, 0.0
            while True:
                snap = manager.snapshot(run_id)
                snap.pop("summary", None)
                version = snap.pop("version")
                if version != last:
                    last, idle = version, 0.0
                    yield f"event: progress\ndata: {json.dumps(snap)}\n\n"
                if snap["state"] in ("done", "failed"):
                    yield f"event: end\ndata: {json.dumps(snap)}\n\n"
                    return
                if await request.is_disconnected():
                    return
                await asyncio.sleep(0.25)
                idle += 0.25
                if idle >= 15:
                    idle = 0.0
                    yield ": keep-alive\n\n"

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    def serve_file(run_id: str, name: str):
        st = run_or_404(run_id)
        found = manager.file(run_id, name)
        if found is None:
            if st.state != "done":
                raise HTTPException(409, f"run {run_id!r} is {st.state}; its files exist once it is done")
            raise HTTPException(404, f"run {run_id!r} has no {name}")
        path, media = found
        return FileResponse(path, media_type=media)

    file_responses = {404: _ERRORS[404], 409: _ERRORS[409]}

    def file_doc(media: str, what: str) -> dict:
        return {200: {"content": {media: {"schema": {"type": "string"}}}, "description": what}, **file_responses}

    @app.get("/api/runs/{run_id}/scene.czml", tags=["files"], response_class=FileResponse,
             responses=file_doc("application/json", "CZML (a JSON array of packets)"))
    def scene_czml(run_id: str = run_id_param):
        """The run's CZML scene (what the viewer plays)."""
        return serve_file(run_id, "scene.czml")

    @app.get("/api/runs/{run_id}/report.html", tags=["files"], response_class=FileResponse,
             responses=file_doc("text/html", "the HTML report"))
    def report_html(run_id: str = run_id_param):
        """The run's self-contained HTML report."""
        return serve_file(run_id, "report.html")

    @app.get("/api/runs/{run_id}/footprints.geojson", tags=["files"], response_class=FileResponse,
             responses=file_doc("application/geo+json", "a GeoJSON FeatureCollection"))
    def footprints_geojson(run_id: str = run_id_param):
        """The defended footprints as GeoJSON."""
        return serve_file(run_id, "footprints.geojson")

    def open_db(run_id: str):
        import duckdb

        st = run_or_404(run_id)
        db = manager.database(run_id)
        if db is None:
            raise HTTPException(409, f"run {run_id!r} is {st.state}; its tables exist once it is done")
        return duckdb.connect(str(db), read_only=True)

    def table_names(con) -> list[str]:
        return [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                          "WHERE table_schema = 'main' ORDER BY table_name").fetchall()]

    @app.get("/api/runs/{run_id}/tables", response_model=TableList, tags=["tables"], responses=file_responses)
    def tables(run_id: str = run_id_param):
        """The tables of the run's results database (docs/database.md) and their row counts."""
        con = open_db(run_id)
        try:
            return {"tables": [{"name": t, "rows": con.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0]}
                               for t in table_names(con)]}
        finally:
            con.close()

    @app.get("/api/runs/{run_id}/tables/{name}", response_model=TableRows, tags=["tables"],
             responses=file_responses)
    def table_rows(run_id: str = run_id_param,
                   name: str = PathParam(pattern=_NAME, max_length=80, description="a table of docs/database.md"),
                   limit: int = Query(1000, ge=1, le=MAX_TABLE_ROWS), offset: int = Query(0, ge=0, le=2**31)):
        """Rows of one table of the run's results database, as JSON objects (NULL, NaN -> null)."""
        con = open_db(run_id)
        try:
            if name not in table_names(con):
                raise HTTPException(404, f"run {run_id!r} has no table {name!r}; GET .../tables lists them")
            total = con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
            cur = con.execute(f'SELECT * FROM "{name}" LIMIT ? OFFSET ?', [limit, offset])
            cols = [d[0] for d in cur.description]
            rows = [{c: _clean(v) for c, v in zip(cols, r, strict=True)} for r in cur.fetchall()]
        finally:
            con.close()
        return {"table": name, "columns": cols, "total": total, "offset": offset, "rows": rows}

    # -------------------------------------------------------------------------------------------- viewer
    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html; charset=utf-8")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
