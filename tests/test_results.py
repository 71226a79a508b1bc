"""The typed result model and the public API: records refuse misspelt or missing columns; ``RunResult.tables()``
equals the tables of ``results.duckdb`` written by ``RunResult.write`` and by ``bmdsim run``; ``track`` and the
run agree on first detection and the unseen part; adding an observer or an aircraft leaves the engagements as
they were; docs/database.md is generated from the record classes."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_helpers import run_json

import bmdsim
from bmdsim.cli import main
from bmdsim.core.records import Columns, SchemaError, columns, real, table, text
from bmdsim.store.database import TABLES, markdown, read_tables

ROOT = Path(__file__).resolve().parents[1]
CLOCK = ["started_utc", "finished_utc", "timings_json"]


@pytest.fixture(scope="module")
def result():
    return bmdsim.run(bmdsim.load_scenario("test-small"))


@pytest.fixture(scope="module")
def written(result, tmp_path_factory):
    d = tmp_path_factory.mktemp("api") / "out"
    files = result.write(d)
    return d, files


# ------------------------------------------------------------------------------------------------ records
@table("example", "a test table")
@dataclass(frozen=True, slots=True, kw_only=True)
class _Example:
    name: str = text("a name")
    distance_km: float = real("a distance")


def test_record_refuses_misspelt_and_missing_columns():
    with pytest.raises(TypeError):
        _Example(name="a", distanse_km=1.0)              # misspelt
    with pytest.raises(TypeError):
        _Example(name="a")                               # missing
    with pytest.raises(SchemaError, match="missing columns \\['distance_km'\\], unknown columns \\['distanse_km'\\]"):
        Columns(_Example, {"name": ["a"], "distanse_km": [1.0]})
    with pytest.raises(SchemaError, match="unequal length"):
        Columns(_Example, {"name": ["a", "b"], "distance_km": [1.0, 2.0, 3.0]})
    assert [c.sql for c in columns(_Example)] == ["VARCHAR", "DOUBLE"]


def test_every_field_is_declared():
    with pytest.raises(TypeError, match="declare it"):
        @table("bad", "")
        @dataclass(frozen=True, slots=True)
        class _Bad:
            x: float = 1.0


def test_database_doc_is_generated_from_the_records():
    assert (ROOT / "docs" / "database.md").read_text() == markdown() + "\n", (
        "regenerate: python -c \"from bmdsim.store.database import markdown; "
        "open('docs/database.md','w').write(markdown()+'\\n')\"")
    md = markdown()
    for name, cls in TABLES.items():
        assert f"## `{name}`" in md and cls.__name__ in md
    # the columns that could never be filled are gone, the time names say their origin
    eng = [c.name for c in columns(TABLES["engagements"])]
    assert "kill" not in eng and "closing_speed_mps" not in eng
    for cls in TABLES.values():
        for c in columns(cls):
            assert not (c.name.startswith("t_") and c.name != "t_s"), (cls.__name__, c.name)
            assert not c.name.endswith("_time_s"), (cls.__name__, c.name)


# --------------------------------------------------------------------------------------------------- API
def test_public_api_is_pinned():
    assert bmdsim.__all__ == ["__version__", "load_scenario", "run", "RunResult", "Scenario", "fly", "track",
                              "coverage", "chase", "footprint", "check_airspace", "catalogs", "errors"]
    for name in bmdsim.__all__:
        assert getattr(bmdsim, name) is not None
    with pytest.raises(AttributeError):
        bmdsim.no_such_thing  # noqa: B018
    assert "test-small" in bmdsim.catalogs.scenarios() and "fylingdales" in bmdsim.catalogs.radars()


def _equal(a: pd.DataFrame, b: pd.DataFrame, name: str, drop=()):
    pd.testing.assert_frame_equal(a.drop(columns=list(drop)), b.drop(columns=list(drop)), obj=name)


def test_tables_equal_the_database_written_by_write(result, written):
    d, files = written
    assert set(files) <= {p.name for p in d.iterdir()}
    tables, db = result.tables(), read_tables(d / "results.duckdb")
    assert list(tables) == list(db) == list(TABLES)
    for name in TABLES:
        _equal(tables[name], db[name], name)
    assert len(tables["engagements"]) > 0 and len(tables["unseen"]) == 2


def test_tables_equal_the_database_of_bmdsim_run(result, tmp_path):
    d = tmp_path / "cli"
    assert main(["run", "test-small", "--out", str(d), "--json"]) == 0
    tables, db = result.tables(), read_tables(d / "results.duckdb")
    for name in TABLES:
        _equal(tables[name], db[name], name, drop=CLOCK if name == "run" else ())
    # the summary printed by --json and summary.json render from the same records
    assert json.loads((d / "summary.json").read_text())["intercepted"] == result.summary()["intercepted"]


def test_coverage_legend_outside_the_map(result):
    """The coverage map's legend (one entry per radar and altitude) lies wholly outside the axes' data area, so it
    covers no site and no ring (it covered Thule in the upper-left corner), and inside the figure."""
    import matplotlib.pyplot as plt

    from bmdsim.report.maps import coverage_figure

    assert result.coverage
    fig = coverage_figure(result)
    try:
        fig.canvas.draw()
        ax = fig.axes[0]
        leg, data = ax.get_legend().get_window_extent(), ax.get_window_extent()
        assert not leg.overlaps(data), (leg, data)
        assert fig.bbox.contains(leg.x0, leg.y0) and fig.bbox.contains(leg.x1, leg.y1)
        assert len(ax.get_legend().get_texts()) == len(result.coverage)
    finally:
        plt.close(fig)


def test_repr_and_plots(result):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assert repr(result).startswith("<RunResult 'test-small' seed 7: 2 raids")
    assert "<table" in result._repr_html_()
    fig, ax = plt.subplots()
    assert result.plot_trajectories(ax) is ax and result.plot_pip_error(ax) is ax
    plt.close(fig)


# -------------------------------------------------------------------------------------------- consistency
def test_unseen_is_the_first_reported_radar_detection(result):
    """One definition: the unseen table's first detection is the earliest radar first detection of
    sensor_detections, and the ground range before it is the truth's ground range at that time."""
    t = result.tables()
    det = t["sensor_detections"]
    for u in t["unseen"].itertuples():
        radar = det[(det.threat == u.threat) & (det.kind == "radar")]
        k = radar.first_detection_t_s.idxmin()
        assert u.first_detection_t_s == radar.first_detection_t_s[k]
        assert u.first_detection_radar == radar.sensor[k]
        truth = result.truths[u.threat]
        assert u.unseen_ground_range_km == pytest.approx(float(truth.ground_range_km_at(u.first_detection_t_s)[0]),
                                                         abs=1e-9)
        first_track = t["tracks"][t["tracks"].threat == u.threat].t_s.min()
        assert first_track >= u.first_detection_t_s      # no track before the first detection
        assert u.first_detection_after_launch_s == pytest.approx(
            u.first_detection_t_s - result.threat(u.threat).launch_t_s, abs=1e-9)


def test_track_json_agrees_with_the_run(result, capsys):
    """``bmdsim track --scenario test-small --threat T`` and the run's tables: the same first detection, track
    and unseen part for every threat and radar."""
    t = result.tables()
    det = t["sensor_detections"]
    for name in (x.name for x in result.threats):
        r = run_json(capsys, "track", "--scenario", "test-small", "--threat", name)
        mine = det[det.threat == name]
        assert set(r["sensors"]) == set(mine.sensor)
        for row in mine.itertuples():
            s = r["sensors"][row.sensor]
            for key, col in (("first_detection_t_s", "first_detection_t_s"), ("track_established_t_s", "track_t_s")):
                want = getattr(row, col)
                assert (s[key] is None) if math.isnan(want) else s[key] == pytest.approx(want, abs=0.01), key
        u = t["unseen"][t["unseen"].threat == name].iloc[0]
        for key in ("first_detection_t_s", "first_detectable_t_s"):
            assert r["unseen"][key] == pytest.approx(u[key], abs=0.01), key
        for key in ("unseen_ground_range_km", "undetectable_ground_range_km", "total_ground_range_km"):
            assert r["unseen"][key] == pytest.approx(u[key], abs=0.1), key
        assert r["unseen"]["first_detection_radar"] == u.first_detection_radar


def test_track_json_unseen_is_the_first_detection(capsys):
    """The issue's case (Semnan to Warsaw): the unseen part ends at the first radar detection reported in the
    same object, not at a later capability time under the same name."""
    r = run_json(capsys, "track", "--missile", "irbm-3700", "--from", "semnan", "--to", "warsaw")
    radars = {k: s for k, s in r["sensors"].items() if s["kind"] == "radar" and s["first_detection_t_s"] is not None}
    first = min(radars, key=lambda k: radars[k]["first_detection_t_s"])
    u = r["unseen"]
    assert u["first_detection_radar"] == first
    assert u["first_detection_t_s"] == pytest.approx(radars[first]["first_detection_t_s"], abs=0.01)
    assert u["unseen_ground_range_km"] == pytest.approx(radars[first]["detected_ground_range_km"], abs=0.1)
    assert u["undetectable_ground_range_km"] == pytest.approx(
        r["sensors"][u["first_detectable_radar"]]["undetectable_ground_range_km"], abs=0.1)


# ------------------------------------------------------------------------------------------- random streams
def _engagements_of(scn):
    r = bmdsim.run(scn)
    t = r.tables()
    return {k: t[k] for k in ("engagements", "outcomes", "battle", "sensor_detections", "tracks")}


def test_extra_observer_or_aircraft_leaves_engagements_unchanged(result):
    """Each stochastic component draws from its own child of the seed: adding an observer or an aircraft to the
    scenario changes neither the detections nor the engagement outcomes."""
    scn = bmdsim.load_scenario("test-small").scenario
    scn = scn.model_copy(update={"analyses": scn.analyses.model_copy(update={
        "chase": scn.analyses.chase.model_copy(update={"enabled": False}),
        "footprint": scn.analyses.footprint.model_copy(update={"enabled": False})})})
    base = _engagements_of(scn)
    more_obs = scn.model_copy(update={"observers": [*scn.observers, scn.observers[0].model_copy(
        update={"name": "third"})]})
    more_air = scn.model_copy(update={"aircraft": [*scn.aircraft, scn.aircraft[0].model_copy(
        update={"name": "another"})]})
    for variant in (more_obs, more_air):
        got = _engagements_of(variant)
        for k, df in base.items():
            _equal(df, got[k], k)
    # and the run's engagements commit on the tracks the run reports
    o = result.tables()["outcomes"]
    assert o.commit_source.str.startswith("run's reported tracks").any()
    assert np.all(np.isfinite(result.tables()["engagements"].intercept_t_s))


# ------------------------------------------------------------------------------------- errors in the caller's words
def test_errors_name_the_python_parameter_and_the_cli_its_flag(capsys):
    from bmdsim.analysis import observe
    from bmdsim.errors import InputError

    truth = bmdsim.fly("irbm-3700", "semnan", "warsaw")
    with pytest.raises(InputError, match=r"^rcs_m2 = -1: "):
        observe.observe_threat(truth, rng=np.random.default_rng(0), rcs_m2=-1)
    with pytest.raises(InputError, match=r"^sensors = 'brdyy': did you mean 'brdy'"):
        observe.resolve_sensors(["brdyy"])
    assert main(["track", "--missile", "irbm-3700", "--from", "semnan", "--to", "warsaw", "--radars", "brdyy"]) == 2
    assert "--radars = 'brdyy': did you mean 'brdy'" in capsys.readouterr().err


def test_chase_errors_name_its_parameters():
    """chase is called from Python too: its messages name ``earliest_launch_after_threat_s`` and ``target``
    (the CLI maps them to --commit-delay-s and --to)."""
    from bmdsim.analysis.chase import chase
    from bmdsim.cli._common import PARAMETER_FLAGS
    from bmdsim.errors import InputError

    with pytest.raises(InputError, match=r"^earliest_launch_after_threat_s = -5\.0: give zero or more seconds"):
        chase((35.23, 53.92), (52.52, 13.40), "irbm-3700", interceptor="gbi2-6.3",
              earliest_launch_after_threat_s=-5.0, threshold=False)
    assert PARAMETER_FLAGS["earliest_launch_after_threat_s"] == "--commit-delay-s"


def test_run_records_its_commit_curve_and_footprint_check(result):
    """Issue 10: the run keeps the chase's threshold against the commit time (one row marked as the sensor
    timeline's commit per chased flight and site, thresholds from the site's variants, a later commit never
    needing less) and the footprint verdicts it checked by flying."""
    cc = result.chase_commit_curve
    assert cc
    for key in {(p.threat, p.site) for p in cc}:
        pts = sorted((p for p in cc if (p.threat, p.site) == key), key=lambda p: p.commit_after_launch_s)
        assert sum(p.sensor_timeline for p in pts) == 1
        thr = [p.threshold_mps if p.threshold_mps == p.threshold_mps else float("inf") for p in pts]
        assert thr == sorted(thr)
        assert {p.threshold_mps for p in pts if p.threshold_mps == p.threshold_mps} <= {
            c.burnout_speed_mps for c in result.chase if (c.threat, c.site) == key}
    s = [x for x in result.footprint.summaries if x.verified_cells]
    assert s and all(0 <= x.verified_agree <= x.verified_cells for x in s)
