"""The ``track`` command and the per-threat observation (issue 3, parts 6-7): contract keys, PIP convergence as
the track matures, timelines, the shared feed as the observer sees it, bad input, and the Russian-ICBM
visibility."""

import json
import math

import numpy as np
import pytest
from cli_helpers import run_json

from bmdsim.analysis import observe
from bmdsim.cli import main

SENSOR_KEYS = {"first_detection_t_s", "track_established_t_s", "undetectable_ground_range_km"}
ARGS = ["track", "--missile", "irbm-3700", "--from", "semnan", "--to", "warsaw", "--seed", "3"]




@pytest.fixture(scope="module")
def truth():
    return observe.fly_truth("irbm-3700", "semnan", "warsaw", dt_s=2.0)


def test_pip_converges_on_the_true_impact(truth):
    """Validation: the fused PIP closes on the true impact point as the track matures. Median error of the
    last third of the PIPs at most a tenth of the first third's, final error under 2 km (the PIP flies in
    vacuum: the part of its error that drag explains, pip_model_bias_km, is ~0.35 km here), and the 1-sigma
    semi-major axis shrinks the same way."""
    for seed in (1, 2):
        o = observe.observe_threat(truth, rng=np.random.default_rng(seed))
        e, s = o.pip_error_km, o.pip_sigma_km
        n = e.size // 3
        assert n >= 10
        assert np.median(e[-n:]) < 0.2 * np.median(e[:5])
        assert e[-1] < 2.0
        assert s[-1] < 0.1 * s[0]
        assert 0.0 < o.pip_model_bias_km < 2.0
        assert o.track_start_t_s > truth.t_burnout_s         # the ballistic filter starts after boost


def test_timeline_is_ordered_and_complete(truth):
    o = observe.observe_threat(truth, rng=np.random.default_rng(1))
    ev = o.timeline
    t = [e["t_s"] for e in ev]
    assert t == sorted(t)
    names = [e["event"] for e in ev]
    assert names[0] == "launch" and names[-1] == "impact"
    for need in ("burnout", "apogee", "first predicted impact point", "PIP stays within 10 km"):
        assert need in names
    brdy = [e for e in ev if e["sensor"] == "brdy-emr-peak-170kw"]
    assert [e["event"] for e in brdy][:2] == ["cued", "first detection"]
    assert ev[-1]["ground_range_km"] == pytest.approx(truth.range_m / 1e3, abs=1.0)


def test_unseen_ground_range_per_radar(truth):
    """The capability-based unseen range of the cued Brdy radar equals coverage.unseen_ground_range on its own,
    and no radar's first detection comes before the threat is in its view."""
    from bmdsim.sensing import catalog, coverage

    o = observe.observe_threat(truth, rng=np.random.default_rng(1))
    brdy = next(s for s in o.sensors if s.name == "brdy-emr-peak-170kw")
    u = coverage.unseen_ground_range([catalog.radar("brdy")], truth.t_s, truth.r_ecef, truth.v_ecef, rcs_m2=0.1)
    assert brdy.undetectable_ground_range_km == pytest.approx(u.ground_range_km, abs=0.01)
    for s in o.sensors:
        if math.isfinite(s.first_detection_t_s):
            assert s.first_detection_t_s >= s.first_visible_t_s - 2.0
            assert s.track_established_t_s >= s.first_detection_t_s


def test_track_cli_contract(capsys):
    r = run_json(capsys, *ARGS, "--radars", "ew-satellites,brdy,gabala")
    assert set(r["sensors"]) == {"ew-satellites", "brdy-emr-peak-170kw", "gabala"}
    for s in r["sensors"].values():
        assert SENSOR_KEYS <= set(s)
    assert len(r["pip_t_s"]) == len(r["pip_error_km"]) == len(r["pip_sigma_km"]) > 10
    assert r["track"]["final_pip_error_km"] < 2.0
    t10, t1 = r["track"]["pip_stays_within_10_km_t_s"], r["track"]["pip_stays_within_1_km_t_s"]
    assert r["track"]["fused_track_start_t_s"] <= t10 <= t1 < r["flight"]["impact_t_s"]
    assert r["unseen"]["first_detection_radar"] in r["sensors"]
    assert r["unseen"]["first_detectable_radar"] in r["sensors"]
    assert r["flight"]["range_km"] == pytest.approx(3210, abs=20)
    assert "observer" not in r
    assert r == run_json(capsys, *ARGS, "--radars", "ew-satellites,brdy,gabala")     # same seed, same result


def test_track_cli_default_sensors(capsys):
    r = run_json(capsys, *ARGS)
    # from Semnan to Warsaw neither Fylingdales nor Thule can detect a 0.1 m^2 warhead: satellites + Brdy
    assert list(r["sensors"]) == ["ew-satellites", "brdy-emr-peak-170kw"]


def test_track_cli_share(capsys, tmp_path):
    out = tmp_path / "feed.jsonl"
    r = run_json(capsys, *ARGS, "--share", "content=detections,pips;latency_s=12;interval_s=10;noise_m=100",
                 "--feed-out", str(out))
    o = r["observer"]
    assert set(o["sensors"]) == set(r["sensors"])
    for name, s in o["sensors"].items():   # as the observer sees it: unseen = before its first message
        assert {"first_detection_t_s", "track_established_t_s", "unseen_ground_range_km"} <= set(s)
        if s["first_detection_t_s"] is not None:
            assert s["first_detection_t_s"] >= r["sensors"][name]["first_detection_t_s"] + 12.0 - 1e-6
    assert o["sensors"]["ew-satellites"]["first_detection_t_s"] is None      # radar data only
    assert len(o["pip_t_s"]) == len(o["pip_error_km"]) == len(o["pip_sigma_km"]) > 5
    assert o["pip_t_s"][0] >= r["pip_t_s"][0] + 12.0 - 1e-6
    assert o["source"] == "pips" and o["feed"]["latency_s"] == 12.0
    c = o["comparison"]
    assert len(c["t_s"]) == len(c["defense_pip_error_km"]) == len(c["observer_pip_error_km"])
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert lines[0]["kind"] == "header" and len(lines) == 1 + o["messages"]["detection"] + o["messages"]["pip"]


@pytest.mark.parametrize(("args", "needle"), [
    (["--radars", "brdy,nowhere"], "--radars"),
    (["--rcs-m2", "-1"], "--rcs-m2"),
    (["--share", "latency_s=-3"], "latency_s"),
    (["--share", "blank=50,30,60,60,-2,100"], "blank"),
    (["--share", "colour=red"], "--share key"),
    (["--feed-out", "x.jsonl"], "--share"),
    (["--share", "latency_s=1", "--feed-out", "x.txt"], ".jsonl"),
    (["--dt-s", "0"], "--dt-s"),
])
def test_track_bad_input_exits_2(capsys, args, needle):
    code = main([*ARGS, *args, "--json"])
    err = capsys.readouterr().err
    assert code == 2
    assert needle in err


def test_track_unknown_missile_and_site_exit_2(capsys):
    assert main(["track", "--missile", "shahab", "--from", "semnan", "--to", "warsaw"]) == 2
    assert "did you mean" in capsys.readouterr().err
    assert main(["track", "--missile", "irbm-3700", "--from", "semnan", "--to", "95,10"]) == 2
    assert "latitude" in capsys.readouterr().err


def test_russian_icbm_visibility_brdy():
    """Brdy sees a Kozelsk ICBM (the field nearest to it) for minutes; it never sees one from Irkutsk."""
    rows = observe.russian_icbm_visibility(["brdy"], ["kozelsk", "irkutsk"], ["washington"], dt_s=4.0)
    by = {r.field: r for r in rows}
    k, i = by["kozelsk"], by["irkutsk"]
    assert 60.0 < k.seen_time_s < k.time_of_flight_s
    assert 0.0 < k.first_seen_ground_range_km < k.last_seen_ground_range_km < k.total_ground_range_km
    assert k.first_seen_after_launch_s < k.last_seen_after_launch_s
    assert i.seen_time_s == 0.0 and math.isnan(i.first_seen_after_launch_s)
    d = k.as_dict()
    assert d["seen_ground_range_km"] > 0 and 0 < d["seen_fraction"] < 1


def test_visibility_cli(capsys):
    r = run_json(capsys, "visibility", "--radars", "brdy", "--fields", "kozelsk", "--targets", "washington",
                 "--dt-s", "4")
    assert len(r["rows"]) == 1 and r["summary"]["brdy-emr-peak-170kw"]["flights_seen"] == 1
    assert main(["visibility", "--radars", "nowhere"]) == 2
