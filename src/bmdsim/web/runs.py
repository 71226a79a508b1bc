"""The runs a service knows, and the bounded background worker that executes them.

A run is one output folder directly inside the service's runs folder, written by the same code as ``bmdsim run``
(:func:`bmdsim.run`, then :meth:`bmdsim.RunResult.write`, as ``bmdsim run`` does: ``results.duckdb``, ``scene.czml``,
``report.html``, the GeoJSON files and ``summary.json``, moved into place only when complete). Past runs are the
folders found there at start-up that carry the output marker and a results database; ``bmdsim run`` writes
``bmdsim-out/NAME``, so ``bmdsim serve`` (runs folder ``bmdsim-out``) shows them.

Run ids are folder names, and every id or file name a request carries is looked up in what this module
created or found (a dictionary key, or a fixed table of file names); no request text is ever joined to a path.

Progress 0-1 is the position in :data:`STEPS` (the pipeline's step names in the order the run reports them)
plus the fraction done of the current step; skipped steps count as done, so it never goes back.
"""

from __future__ import annotations

import json
import queue
import re
import secrets
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bmdsim.errors import BmdsimError
from bmdsim.scenario.load import LoadedScenario
from bmdsim.store.outdir import MARKER as _OUTPUT_MARKER
from bmdsim.store.outdir import slug

__all__ = ["RunManager", "RunState", "QueueFullError", "STEPS", "RUN_FILES", "RUN_ID_PATTERN"]

#: the steps of a run in the order they report progress (scenario.run, then writing the outputs)
STEPS = ("flying threats", "sensing and tracking", "radar coverage", "shared feeds", "airspace checks",
         "engagements", "interceptor fly-outs", "chase (ICBM x variant)", "defended footprints", "writing outputs")
#: the files of a finished run the service serves: URL name -> (file in the run folder, media type)
RUN_FILES = {"scene.czml": ("scene.czml", "application/json"),
             "report.html": ("report.html", "text/html; charset=utf-8"),
             "footprints.geojson": ("footprints.geojson", "application/geo+json")}
RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"
_RUN_ID = re.compile(RUN_ID_PATTERN)


class QueueFullError(BmdsimError):
    """The run queue is full; try again when a queued run has finished."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(slots=True)
class RunState:
    """What the service knows of one run (mutable: the worker advances it under the manager's lock)."""

    id: str
    scenario: str
    seed: int | None
    source: str
    state: str = "queued"            # queued | running | done | failed
    step: str = ""
    progress: float = 0.0
    created_utc: str = ""
    started_utc: str | None = None
    finished_utc: str | None = None
    error: str | None = None
    summary: dict | None = None
    version: int = 0                 # bumped on every change (for server-sent events)
    folder: Path | None = field(default=None, repr=False)

    def public(self, *, with_summary: bool = True) -> dict:
        d = {k: getattr(self, k) for k in ("id", "scenario", "seed", "source", "state", "step", "created_utc",
                                           "started_utc", "finished_utc", "error")}
        d["progress"] = round(self.progress, 4)
        if with_summary:
            d["summary"] = self.summary
        return d


def _progress_fraction(step: str, done: int, total: int, previous: float) -> float:
    if step not in STEPS:
        return previous
    k = STEPS.index(step)
    frac = (k + min(max(done / max(total, 1), 0.0), 1.0)) / len(STEPS)
    return max(previous, frac)


def _read_past(folder: Path) -> RunState | None:
    """A run folder found in the runs folder, from its results database (None if it is not one)."""
    import duckdb

    db = folder / "results.duckdb"
    if not (_RUN_ID.match(folder.name) and (folder / _OUTPUT_MARKER).is_file() and db.is_file()):
        return None
    try:
        con = duckdb.connect(str(db), read_only=True)
        try:
            name, seed, source, started, finished = con.execute(
                "SELECT scenario_name, seed, scenario_source, started_utc, finished_utc FROM run").fetchall()[0]
        finally:
            con.close()
    except (duckdb.Error, IndexError):
        return None
    summary = None
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    return RunState(id=folder.name, scenario=name, seed=seed, source=source, state="done", step="done",
                    progress=1.0, created_utc=started, started_utc=started, finished_utc=finished, summary=summary,
                    folder=folder)


def _execute(ls: LoadedScenario, seed: int | None, out: Path, progress) -> dict:
    """Run the scenario and write its output folder exactly as ``bmdsim run`` does (the public API:
    :func:`bmdsim.run`, :meth:`bmdsim.RunResult.write`); return the summary it wrote."""
    import bmdsim

    result = bmdsim.run(ls, seed=seed, progress=progress)
    result.write(out, progress=progress)
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


class RunManager:
    """Past runs of ``runs_dir`` and new ones, executed by ``workers`` background threads (at most
    ``max_queued`` waiting)."""

    def __init__(self, runs_dir: str | Path, *, workers: int = 1, max_queued: int = 32):
        if workers < 1 or max_queued < 1:
            raise ValueError("workers and max_queued must be at least 1")
        self.runs_dir = Path(runs_dir).resolve()
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._runs: dict[str, RunState] = {}
        self._jobs: dict[str, tuple[LoadedScenario, int | None]] = {}
        self._queue: queue.Queue[str | None] = queue.Queue(maxsize=max_queued)
        for folder in sorted(p for p in self.runs_dir.iterdir() if p.is_dir()):
            st = _read_past(folder)
            if st is not None:
                self._runs[st.id] = st
        self._threads = [threading.Thread(target=self._work, name=f"bmdsim-run-{i}", daemon=True)
                         for i in range(workers)]
        for t in self._threads:
            t.start()

    # ---------------------------------------------------------------------------------------------- queries
    def get(self, run_id: str) -> RunState | None:
        """The run with this id, or None (ids are only ever looked up, never joined to a path)."""
        with self._lock:
            return self._runs.get(run_id)

    def snapshot(self, run_id: str) -> dict | None:
        with self._lock:
            st = self._runs.get(run_id)
            return None if st is None else st.public() | {"version": st.version}

    def list(self) -> list[dict]:
        with self._lock:
            rows = [st.public(with_summary=False) for st in self._runs.values()]
        return sorted(rows, key=lambda r: (r["created_utc"] or "", r["id"]), reverse=True)

    def file(self, run_id: str, name: str) -> tuple[Path, str] | None:
        """The path and media type of a served file of a finished run (None if there is none)."""
        st = self.get(run_id)
        if st is None or st.state != "done" or name not in RUN_FILES or st.folder is None:
            return None
        fname, media = RUN_FILES[name]
        p = st.folder / fname
        return (p, media) if p.is_file() else None

    def database(self, run_id: str) -> Path | None:
        st = self.get(run_id)
        if st is None or st.state != "done" or st.folder is None:
            return None
        p = st.folder / "results.duckdb"
        return p if p.is_file() else None

    def busy(self) -> bool:
        with self._lock:
            return any(st.state in ("queued", "running") for st in self._runs.values())

    # ---------------------------------------------------------------------------------------------- submit
    def submit(self, ls: LoadedScenario, seed: int | None = None) -> RunState:
        """Queue a validated scenario (``seed`` overrides its seed); raise :class:`QueueFullError` when
        ``max_queued`` runs wait already."""
        name = slug(ls.scenario.name)[:60]
        with self._lock:
            while True:
                run_id = f"{name}-{secrets.token_hex(3)}"
                if run_id not in self._runs and not (self.runs_dir / run_id).exists():
                    break
            st = RunState(id=run_id, scenario=ls.scenario.name, seed=ls.scenario.seed if seed is None else seed,
                          source=ls.source, created_utc=_now())
            try:
                self._queue.put_nowait(run_id)
            except queue.Full:
                raise QueueFullError(f"{self._queue.maxsize} runs are queued already; try again when one has "
                                     "finished") from None
            self._runs[run_id] = st
            self._jobs[run_id] = (ls, seed)
        return st

    def close(self, timeout_s: float = 0.0) -> None:
        """Stop the workers after the run in progress (queued runs are dropped)."""
        for _ in self._threads:
            try:
                self._queue.put_nowait(None)
            except queue.Full:
                break
        deadline = time.monotonic() + timeout_s
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))

    # ---------------------------------------------------------------------------------------------- worker
    def _update(self, st: RunState, **changes) -> None:
        with self._lock:
            for k, v in changes.items():
                setattr(st, k, v)
            st.version += 1

    def _work(self) -> None:
        while True:
            run_id = self._queue.get()
            if run_id is None:
                return
            with self._lock:
                st = self._runs[run_id]
                ls, seed = self._jobs.pop(run_id)
            self._update(st, state="running", started_utc=_now(), step="starting")

            def progress(step, done, total, st=st):
                with self._lock:
                    st.step = step
                    st.progress = _progress_fraction(step, done, total, st.progress)
                    st.version += 1

            out = self.runs_dir / run_id
            try:
                summary = _execute(ls, seed, out, progress)
            except BmdsimError as exc:
                self._update(st, state="failed", finished_utc=_now(), error=str(exc))
            except Exception as exc:  # a bug: keep the service up, say what happened
                last = traceback.format_exception_only(exc)[-1].strip()
                self._update(st, state="failed", finished_utc=_now(), error=f"internal error: {last}")
            else:
                self._update(st, state="done", step="done", progress=1.0, finished_utc=_now(), summary=summary,
                             folder=out)
