"""``bmdsim serve`` as a service: a real uvicorn server on a free loopback port, driven over HTTP. Runs execute
with the same code as ``bmdsim run`` (same tables, same summary); validation gives the positioned problems of
``bmdsim validate``; limits (1 MiB bodies, ids and names looked up, never joined to paths, Host checked) hold;
a bounded load (2,000 reads and 20 queued runs) gets no server error and keeps memory bounded."""

from __future__ import annotations

import json
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psutil
import pytest
from cli_helpers import db_dicts
from web_helpers import CHEAP_YAML, Server

from bmdsim.cli import main

BROKEN_YAML = CHEAP_YAML.replace("missile: irbm-3700", "missile: irbm-370").replace("seed: 1", "seed: -4")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    root = tmp_path_factory.mktemp("serve")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "cheap.yaml").write_text(CHEAP_YAML)
    (root / "scenarios" / "broken.yaml").write_text(BROKEN_YAML)
    with Server(root / "runs", scenarios_dir=root / "scenarios") as s:
        yield s


@pytest.fixture(scope="module")
def cheap_run(service):
    r = httpx.post(f"{service.url}/api/runs", json={"scenario": "cheap.yaml", "seed": 11}, timeout=30)
    assert r.status_code == 202, r.text
    st = service.wait_run(r.json()["id"])
    assert st["state"] == "done", st
    return st


def _db(service, run_id, sql):
    return db_dicts(service.runs_dir / run_id / "results.duckdb", sql)


def test_health_and_loopback(service):
    assert httpx.get(f"{service.url}/api/health").json() == {"status": "ok", "version": "0.1.0"}
    assert service.url.startswith("http://127.0.0.1:")
    # loopback by default: the port is not open on another interface of this machine (if it has one)
    port = int(service.url.rsplit(":", 1)[1])
    others = {a[4][0] for a in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)} - {"127.0.0.1"}
    for addr in others:
        if addr.startswith("127."):
            continue
        with socket.socket() as s:
            s.settimeout(2)
            assert s.connect_ex((addr, port)) != 0, addr


def test_scenarios_bundled_and_user(service):
    rows = {r["name"]: r for r in httpx.get(f"{service.url}/api/scenarios").json()}
    assert {"europe-2007", "europe-2007-delayed", "test-small"} <= {n for n, r in rows.items()
                                                                    if r["origin"] == "bundled"}
    assert rows["cheap.yaml"]["origin"] == "user" and rows["cheap.yaml"]["valid"]
    assert not rows["broken.yaml"]["valid"] and "broken.yaml:5:7: seed = -4" in rows["broken.yaml"]["problem"]


def test_validate_same_problems_as_cli(service, capsys):
    path = service.runs_dir.parent / "scenarios" / "broken.yaml"
    assert main(["validate", str(path), "--json"]) == 2
    cli = json.loads(capsys.readouterr().out)
    r = httpx.post(f"{service.url}/api/validate", content=BROKEN_YAML,
                   headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200
    api = r.json()
    assert api["valid"] is False and cli["valid"] is False
    keys = ("line", "column", "path", "value", "message")
    assert [{k: p[k] for k in keys} for p in api["problems"]] == [{k: p[k] for k in keys} for p in cli["problems"]]
    assert len(api["problems"]) == 2
    ok = httpx.post(f"{service.url}/api/validate", content=CHEAP_YAML, headers={"Content-Type": "text/yaml"})
    assert ok.json() == {"valid": True, "source": "request.yaml", "name": "cheap", "problems": []}


def test_run_serves_the_records_of_the_database(service, cheap_run):
    rid = cheap_run["id"]
    assert cheap_run["progress"] == 1.0 and cheap_run["seed"] == 11
    folder = service.runs_dir / rid
    assert cheap_run["summary"] == json.loads((folder / "summary.json").read_text())
    assert cheap_run["summary"]["seed"] == 11 and cheap_run["summary"]["threats"] == 1
    rows = httpx.get(f"{service.url}/api/runs/{rid}/tables/threat_flights").json()
    assert rows["total"] == 1 and rows["rows"] == _db(service, rid, "SELECT * FROM threat_flights")
    names = {t["name"]: t["rows"] for t in httpx.get(f"{service.url}/api/runs/{rid}/tables").json()["tables"]}
    assert names["threat_flights"] == 1 and "trajectories" in names
    page = httpx.get(f"{service.url}/api/runs/{rid}/tables/trajectories", params={"limit": 2, "offset": 1}).json()
    assert [r["t_s"] for r in page["rows"]] == [r["t_s"] for r in _db(
        service, rid, "SELECT * FROM trajectories LIMIT 2 OFFSET 1")]
    czml = httpx.get(f"{service.url}/api/runs/{rid}/scene.czml")
    assert czml.headers["content-type"].startswith("application/json")
    assert czml.json()[0]["id"] == "document" and any(p["id"] == "threat:short" for p in czml.json())
    rep = httpx.get(f"{service.url}/api/runs/{rid}/report.html")
    assert rep.headers["content-type"].startswith("text/html") and "<html" in rep.text[:500].lower()
    geo = httpx.get(f"{service.url}/api/runs/{rid}/footprints.geojson").json()
    assert geo["type"] == "FeatureCollection"
    listed = {r["id"]: r for r in httpx.get(f"{service.url}/api/runs").json()["runs"]}
    assert listed[rid]["state"] == "done"


def test_yaml_body_run_and_events(service):
    r = httpx.post(f"{service.url}/api/runs", content=CHEAP_YAML.replace("seed: 1", "seed: 3"),
                   headers={"Content-Type": "application/yaml"})
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    events = []
    with httpx.stream("GET", f"{service.url}/api/runs/{rid}/events", timeout=300) as s:
        assert s.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in s.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                events.append((kind, json.loads(line[6:])))
                if kind == "end":
                    break
    assert events[-1][0] == "end" and events[-1][1]["state"] == "done"
    progress = [e["progress"] for _, e in events]
    assert all(0.0 <= p <= 1.0 for p in progress) and progress == sorted(progress) and progress[-1] == 1.0
    assert len(events) >= 2 and events[-1][1]["step"] == "done"
    assert service.wait_run(rid)["summary"]["seed"] == 3


def test_past_runs_are_read_from_their_databases(service, cheap_run, tmp_path):
    """A second service over the same runs folder lists the finished run from its database, and a folder
    written by ``bmdsim run`` itself."""
    assert main(["run", str(service.runs_dir.parent / "scenarios" / "cheap.yaml"), "--out",
                 str(service.runs_dir / "by-bmdsim-run"), "--json"]) == 0
    with Server(service.runs_dir) as again:
        runs = {r["id"]: r for r in httpx.get(f"{again.url}/api/runs").json()["runs"]}
        assert runs[cheap_run["id"]]["state"] == "done" and runs[cheap_run["id"]]["seed"] == 11
        assert runs["by-bmdsim-run"]["scenario"] == "cheap"
        st = httpx.get(f"{again.url}/api/runs/by-bmdsim-run").json()
        assert st["summary"]["scenario"] == "cheap" and st["progress"] == 1.0


def test_json_says_where_it_listens(tmp_path):
    with Server(tmp_path / "runs", "--json") as s:
        said = json.loads(s.log.read_text().splitlines()[0])
        assert said["url"] == s.url + "/" and said["host"] == "127.0.0.1" and said["runs"] == str(s.runs_dir)
        assert s.url.endswith(f":{said['port']}")


def test_fresh_runs_folder_queues_the_default_scenario(tmp_path):
    """``bmdsim serve`` on a fresh clone has something to show: the default scenario is queued at once."""
    with Server(tmp_path / "runs", default_run=True) as s:
        runs = httpx.get(f"{s.url}/api/runs").json()["runs"]
        assert [(r["scenario"], r["state"] in ("queued", "running")) for r in runs] == [("europe-2007", True)]
        assert "queued the bundled europe-2007 scenario" in s.log.read_text()


# ------------------------------------------------------------------------------------------------ limits
def _is_json_error(r, status):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert set(body) >= {"error", "message"} and body["message"], body
    return body


def test_oversize_bodies_get_413(service):
    big = "#" * (1024 * 1024 + 1)
    for path in ("/api/validate", "/api/runs"):
        _is_json_error(httpx.post(service.url + path, content=big, headers={"Content-Type": "application/yaml"}),
                       413)

    def chunks():   # no Content-Length: the limit applies while reading
        for _ in range(20):
            yield b"#" * 65536

    _is_json_error(httpx.post(service.url + "/api/validate", content=chunks(),
                              headers={"Content-Type": "application/yaml"}), 413)
    just = "#" * (1024 * 1024 - 10)
    r = httpx.post(service.url + "/api/validate", content=just, headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200 and r.json()["valid"] is False


@pytest.mark.parametrize("path", [
    "/api/runs/..%2F..%2Fetc%2Fpasswd", "/api/runs/%2e%2e/scene.czml", "/api/runs/../../etc/passwd",
    "/api/runs/nope/scene.czml", "/api/runs/nope/tables/run", "/static/../app.py", "/static/%2e%2e/app.py",
    "/static/..%2Fapp.py", "/api/runs/x/summary.json", "/api/nothing", "/etc/passwd", "/api/runs/x/tables/..%2Frun",
])
def test_traversal_and_unknown_routes_404(service, path):
    r = httpx.get(service.url + path)
    assert r.status_code in (404, 422), (path, r.status_code)
    _is_json_error(r, r.status_code)
    assert "root:" not in r.text and "def create_app" not in r.text


def test_only_files_and_tables_the_service_made(service, cheap_run):
    rid = cheap_run["id"]
    for name in ("summary.json", "results.duckdb", "scene.kml", ".bmdsim-output"):
        _is_json_error(httpx.get(f"{service.url}/api/runs/{rid}/{name}"), 404)
    for table in ("information_schema", "duckdb_settings", "pg_catalog", "run;DROP"):
        r = httpx.get(f"{service.url}/api/runs/{rid}/tables/{table}")
        assert r.status_code in (404, 422), table
    assert _db(service, rid, "SELECT count(*) AS n FROM run") == [{"n": 1}]


@pytest.mark.parametrize("body, ctype, status", [
    (b"{not json", "application/json", 422),
    (b"[1, 2]", "application/json", 422),
    (b'{"scenario": "test-small", "seed": -1}', "application/json", 422),
    (b'{"scenario": "test-small", "seed": "7"}', "application/json", 422),
    (b'{"scenario": "test-small", "extra": 1}', "application/json", 422),
    (b'{"scenario": "no-such-scenario"}', "application/json", 404),
    (b'{"scenario": "../../etc/passwd"}', "application/json", 404),
    (b'{"scenario": "broken.yaml"}', "application/json", 422),
    (b"name: [unclosed", "application/yaml", 422),
    (b"!!python/object/apply:os.system ['touch /tmp/bmdsim-pwned']", "application/yaml", 422),
    (b"a: &x [1]\nb: *x\n", "application/yaml", 422),
    (b"\xff\xfe not utf-8", "application/yaml", 400),
    (b"scenario=test-small", "application/x-www-form-urlencoded", 415),
])
def test_malformed_bodies(service, body, ctype, status):
    before = {r["id"] for r in httpx.get(f"{service.url}/api/runs").json()["runs"]}
    r = httpx.post(f"{service.url}/api/runs", content=body, headers={"Content-Type": ctype})
    _is_json_error(r, status)
    after = {r["id"] for r in httpx.get(f"{service.url}/api/runs").json()["runs"]}
    assert after == before
    import os

    assert not os.path.exists("/tmp/bmdsim-pwned")


def test_host_header_checked(service):
    """A page elsewhere cannot reach the service through a DNS name that points at 127.0.0.1."""
    r = httpx.get(f"{service.url}/api/health", headers={"Host": "evil.example"})
    assert r.status_code == 400


def test_cli_refuses_bad_options(tmp_path):
    assert main(["serve", "--port", "70000", "--runs", str(tmp_path)]) == 2
    assert main(["serve", "--workers", "0", "--runs", str(tmp_path)]) == 2
    (tmp_path / "f").write_text("x")
    assert main(["serve", "--runs", str(tmp_path / "f")]) == 2
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        assert main(["serve", "--port", str(s.getsockname()[1]), "--runs", str(tmp_path)]) == 2


# ------------------------------------------------------------------------------------------------ load
@pytest.mark.slow
def test_load_2000_reads_and_20_queued_runs(service, cheap_run):
    """Bounded load on loopback: 2,000 reads over 16 connections while 20 runs are queued at once; no server
    error, every run completes, the server's memory grows by less than 300 MB."""
    proc = psutil.Process(service.proc.pid)
    rss0 = proc.memory_info().rss
    rid = cheap_run["id"]
    reads = [f"/api/runs/{rid}", "/api/runs", "/api/health", f"/api/runs/{rid}/tables/trajectories",
             f"/api/runs/{rid}/scene.czml", "/api/scenarios", f"/api/runs/{rid}/tables/objects", "/nope",
             f"/api/runs/{rid}/footprints.geojson", "/static/viewer.js"]
    t0 = time.monotonic()
    with httpx.Client(base_url=service.url, timeout=120,
                      limits=httpx.Limits(max_connections=32)) as client:
        with ThreadPoolExecutor(20) as pool:
            posts = list(pool.map(lambda i: client.post("/api/runs", json={"scenario": "cheap.yaml", "seed": i}),
                                  range(20)))
            assert [p.status_code for p in posts] == [202] * 20, [p.text for p in posts if p.status_code != 202]
            ids = [p.json()["id"] for p in posts]
            statuses = list(pool.map(lambda i: client.get(reads[i % len(reads)]).status_code, range(2000)))
        t_reads = time.monotonic() - t0
        assert sum(s >= 500 for s in statuses) == 0
        assert statuses.count(404) == 200 and statuses.count(200) == 1800
        done = [service.wait_run(i, timeout_s=900) for i in ids]
    assert [d["state"] for d in done] == ["done"] * 20, [d["error"] for d in done if d["state"] != "done"]
    assert sorted(d["summary"]["seed"] for d in done) == list(range(20))
    growth_mb = (proc.memory_info().rss - rss0) / 1e6
    print(f"2,000 reads in {t_reads:.1f} s ({2000 / t_reads:.0f}/s) with 20 runs queued; all runs done in "
          f"{time.monotonic() - t0:.1f} s; server RSS {rss0 / 1e6:.0f} -> {proc.memory_info().rss / 1e6:.0f} MB")
    assert growth_mb < 300
