"""End to end: ``bmdsim run test-small`` writes a complete output folder (database with its tables, a report with
one section per question, CZML, KML, GeoJSON, one shared-feed JSONL per observer); same seed, same database; an
interrupted run leaves the previous output intact."""

import json
import math
import xml.etree.ElementTree as ET

import duckdb
import pytest
from cli_helpers import db_dicts

from bmdsim.cli import main
from bmdsim.core.records import columns
from bmdsim.report.html import SECTIONS
from bmdsim.store.database import TABLES


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("run") / "out"
    assert main(["run", "test-small", "--out", str(d), "--json"]) == 0
    return d


def _db_rows(path, table):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(f'SELECT * FROM "{table}" ORDER BY ALL').fetchall()
    finally:
        con.close()


def test_files_written(out):
    for f in ("results.duckdb", "report.html", "scene.czml", "scene.kml", "coverage.geojson", "footprints.geojson",
              "trajectories.geojson", "summary.json", "feed-russia.jsonl", "feed-analysts.jsonl"):
        assert (out / f).is_file() and (out / f).stat().st_size > 0, f
    assert not [p for p in out.parent.iterdir() if ".partial-" in p.name or ".old-" in p.name]


def test_summary_contract(out):
    s = json.loads((out / "summary.json").read_text())
    for k in ("scenario", "seed", "threats", "intercepted", "leakers", "defended_cities", "engageable_icbm_flights",
              "out_dir"):
        assert k in s
    assert s["scenario"] == "test-small" and s["seed"] == 7 and s["threats"] == 2
    assert s["engageable_icbm_flights"] == {"gbi2-9.0": 1}   # the 9 km/s variant reaches the Kozelsk ICBM
    assert isinstance(s["defended_cities"], list)
    assert s["intercepted"] + s["leakers"] == 2


def test_database_tables(out):
    db = out / "results.duckdb"
    con = duckdb.connect(str(db), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    con.close()
    assert set(TABLES) <= tables
    for t in ("run", "objects", "threat_flights", "trajectories", "sensor_detections", "detections", "tracks",
              "coverage", "unseen", "decision_times", "shared_feed", "shared_feed_sensors", "shared_feed_pips",
              "airspace_events", "capabilities", "chase",
              "footprint_cells", "footprint_cities", "engagements", "outcomes", "battle"):
        assert _db_rows(db, t), t
    (run,) = _db_rows(db, "run")
    cols = [c.name for c in columns(TABLES["run"])]
    r = dict(zip(cols, run, strict=True))
    assert r["scenario_name"] == "test-small" and r["seed"] == 7 and len(r["scenario_sha256"]) == 64
    assert "test-small" in r["scenario_text"]
    con = duckdb.connect(str(db), read_only=True)
    n = con.execute("SELECT count(*) FROM airspace_events WHERE event = 'cpa' AND distance_km BETWEEN 150 AND 250"
                    ).fetchone()[0]
    con.close()
    assert n == 1   # the Tu-160 turned about 190 km from Noordwijk


def _dicts(path, sql):
    return db_dicts(path, sql)


def test_feed_jsonl(out):
    """Each observer's feed: a header per threat with its FEEDSPEC, then messages in order of reception, each
    received exactly ``latency_s`` after its validity; only the content and radars the observer was given."""
    for name, latency, kinds, sensors in (("russia", 30.0, {"track", "pip"}, {"fylingdales", "brdy"}),
                                          ("analysts", 20.0, {"detection"}, {"brdy"})):
        msgs = [json.loads(line) for line in (out / f"feed-{name}.jsonl").read_text().splitlines()]
        heads = [m for m in msgs if m["kind"] == "header"]
        assert [h["object"] for h in heads] == ["iran-berlin", "kozelsk-washington"]
        assert all(h["schema"] == "bmdsim-feed/1" and h["latency_s"] == latency for h in heads)
        body = [m for m in msgs if m["kind"] != "header"]
        assert body and {m["kind"] for m in body} == kinds and {m["sensor"] for m in body} <= sensors
        for obj in ("iran-berlin", "kozelsk-washington"):
            t = [m["t_received_s"] for m in body if m["object"] == obj]
            assert t == sorted(t)
        assert all(abs(m["t_received_s"] - m["t_s"] - latency) < 1e-9 for m in body)
    heads = [json.loads(line) for line in (out / "feed-analysts.jsonl").read_text().splitlines()]
    held = {m["object"]: m["removed_by_blanking"]["detection"] for m in heads if m["kind"] == "header"}
    assert held["kozelsk-washington"] > 0      # the Baltic box holds back Brdy's first look at the Russian ICBM


def test_latency_in_the_database(out):
    db = out / "results.duckdb"
    rows = {(d["observer"], d["threat"]): d for d in _dicts(db, "SELECT * FROM shared_feed")}
    assert set(rows) == {(o, t) for o in ("russia", "analysts") for t in ("iran-berlin", "kozelsk-washington")}
    # the first Brdy detection reaches the analysts 20 s later (nothing blanked over Iran-Berlin)
    (first,) = _dicts(db, "SELECT min(t_s) AS t FROM detections WHERE threat = 'iran-berlin' AND sensor = 'brdy'")
    a = rows[("analysts", "iran-berlin")]
    assert a["latency_s"] == 20.0 and a["source"] == "detections" and a["detection_messages"] > 100
    assert abs(a["first_received_t_s"] - (first["t"] + 20.0)) < 1e-9
    # the defense's own PIPs, 30 s late: the observer's PIP stays within 10 km (and 1 km) exactly 30 s after the
    # defense's
    for t in ("iran-berlin", "kozelsk-washington"):
        r = rows[("russia", t)]
        assert r["source"] == "pips" and r["pip_messages"] > 10 and r["track_messages"] > 10
        assert r["feedspec"].startswith("content=tracks,pips;latency_s=30;interval_s=10")
        assert math.isclose(r["observer_delay_10_km_s"], 30.0, abs_tol=1e-9), r
        assert math.isclose(r["observer_stays_within_10_km_t_s"], r["defense_stays_within_10_km_t_s"] + 30.0)
        assert r["reveals_impact_area"] and r["observer_final_pip_error_km"] < 10.0
    seen = _dicts(db, "SELECT * FROM shared_feed_sensors WHERE observer = 'analysts' AND threat = "
                      "'kozelsk-washington'")
    assert {d["sensor"] for d in seen} == {"fylingdales", "brdy"}
    brdy = next(d for d in seen if d["sensor"] == "brdy")
    assert brdy["messages"] > 0 and brdy["unseen_ground_range_km"] > 500    # blanking hides the first part
    pips = _dicts(db, "SELECT * FROM shared_feed_pips WHERE observer = 'russia' ORDER BY threat, k")
    assert all(abs(p["received_t_s"] - p["valid_t_s"] - 30.0) < 1e-9 for p in pips)


def test_summary_observers(out):
    s = json.loads((out / "summary.json").read_text())
    o = s["observers"]
    assert set(o) == {"russia", "analysts"}
    r = o["russia"]
    assert r["feed_file"] == "feed-russia.jsonl" and r["threats"] == r["threats_heard"] == 2
    assert r["impact_within_10_km"] == 2 and r["median_delay_10_km_s"] == 30.0
    assert set(r["per_threat"]) == {"iran-berlin", "kozelsk-washington"}
    assert r["per_threat"]["iran-berlin"]["observer_delay_10_km_s"] == 30.0


def test_report_sections(out):
    html = (out / "report.html").read_text()
    for anchor, title in SECTIONS:
        assert f'id="{anchor}"' in html and title.split(". ", 1)[1][:20] in html
    assert html.count("data:image/png;base64,") >= 4
    assert "feed-russia.jsonl" in html and "observer delay s" in html
    assert "src=\"http" not in html and "<script" not in html   # self-contained


def test_report_timings_table(out):
    """The footer's step timings are a table of seconds rounded to 0.1 s, one row per step of the database's
    ``run.timings_json`` and a total, not a Python dict."""
    import re

    html = (out / "report.html").read_text()
    assert "{'" not in html and "{&#x27;" not in html
    (timings_json,) = duckdb.connect(str(out / "results.duckdb"), read_only=True).execute(
        "SELECT timings_json FROM run").fetchone()
    timings = json.loads(timings_json)
    table = html.split("Step timings:", 1)[1].split("</table>", 1)[0]
    rows = dict(re.findall(r"<tr><td>(?:<b>)?([^<]+)(?:</b>)?</td><td>(?:<b>)?([\d,.]+)", table))
    assert set(rows) == {*timings, "total"}
    for k, v in timings.items():
        assert abs(float(rows[k].replace(",", "")) - v) <= 0.05 + 1e-9, k
    assert abs(float(rows["total"].replace(",", "")) - sum(timings.values())) <= 0.05 + 1e-9


def test_czml_kml_geojson_parse(out):
    from czml3 import Document

    doc = Document.model_validate_json((out / "scene.czml").read_text())
    assert doc.packets[0].id == "document" and doc.packets[0].version == "1.0"
    ids = {p.id for p in doc.packets}
    assert {"threat:iran-berlin", "threat:kozelsk-washington", "aircraft:tu160-pair"} <= ids
    root = ET.parse(out / "scene.kml").getroot()
    assert root.tag.endswith("kml")
    assert len(root.findall(".//{http://www.opengis.net/kml/2.2}Placemark")) >= 5
    cov = json.loads((out / "coverage.geojson").read_text())
    assert cov["type"] == "FeatureCollection" and cov["features"]
    assert json.loads((out / "footprints.geojson").read_text())["type"] == "FeatureCollection"


def test_same_seed_same_database(out, tmp_path):
    again = tmp_path / "again"
    assert main(["run", "test-small", "--out", str(again), "--json"]) == 0
    for t in TABLES:
        a, b = _db_rows(out / "results.duckdb", t), _db_rows(again / "results.duckdb", t)
        if t == "run":   # wall-clock times and step timings differ
            cols = [c.name for c in columns(TABLES["run"])]
            drop = [cols.index(c) for c in ("started_utc", "finished_utc", "timings_json")]
            a = [tuple(v for i, v in enumerate(r) if i not in drop) for r in a]
            b = [tuple(v for i, v in enumerate(r) if i not in drop) for r in b]
        assert a == b, t


def test_interrupted_run_keeps_previous_output(out, tmp_path, monkeypatch):
    import shutil

    target = tmp_path / "kept"
    shutil.copytree(out, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr("bmdsim.report.html.render_report", boom)
    monkeypatch.setattr("bmdsim.scenario.defense.chase_rows", lambda *a, **k: None)       # faster; not under test here
    monkeypatch.setattr("bmdsim.scenario.defense.footprints", lambda *a, **k: None)
    # Ctrl-C while the report is written: the command aborts (exit 1)
    assert main(["run", "test-small", "--out", str(target), "--seed", "8", "--json"]) == 1
    after = {p.name: p.read_bytes() for p in target.iterdir()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept"]   # no partial folder left behind


def test_refuses_foreign_folder(tmp_path, capsys):
    d = tmp_path / "mine"
    d.mkdir()
    (d / "thesis.tex").write_text("precious")
    assert main(["run", "test-small", "--out", str(d), "--json"]) == 2
    assert "not written by bmdsim run" in capsys.readouterr().err
    assert (d / "thesis.tex").read_text() == "precious"
