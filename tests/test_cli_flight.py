"""Command-line contracts of issue 2: ballistic, fly (single and --pairs), missiles, run; bad input exits 2."""


import numpy as np
import pandas as pd
import pytest
from cli_helpers import run_json

from bmdsim.cli import main
from bmdsim.core import kepler
from bmdsim.core.constants import R_SPHERE_M


def test_ballistic_two_body(capsys):
    r = run_json(capsys, "ballistic", "--speed-mps", "6000", "--gamma-deg", "35", "--earth", "sphere",
                 "--no-rotation", "--no-drag")
    psi = kepler.range_angle(6000.0, np.radians(35.0), R_SPHERE_M)
    assert r["range_km"] == pytest.approx(psi * R_SPHERE_M / 1e3, abs=0.01)
    assert r["time_of_flight_s"] == pytest.approx(kepler.time_of_flight(6000.0, np.radians(35.0), R_SPHERE_M),
                                                  abs=0.05)
    for k in ("apogee_km", "impact_latitude_deg", "impact_longitude_deg"):
        assert k in r


def test_ballistic_minimum_energy(capsys):
    r = run_json(capsys, "ballistic", "--range-km", "10000", "--minimum-energy", "--earth", "sphere",
                 "--no-rotation", "--no-drag")
    assert r["speed_mps"] == pytest.approx(7198.1, abs=0.5)
    assert r["gamma_deg"] == pytest.approx(22.517, abs=1e-3)
    assert r["range_km"] == pytest.approx(10000.0, abs=0.01)


def test_fly_single(capsys, tmp_path):
    traj = tmp_path / "t.csv"
    r = run_json(capsys, "fly", "--missile", "irbm-3700", "--from", "35.23,53.92", "--to", "52.52,13.40",
                 "--trajectory", str(traj))
    for k in ("range_km", "time_of_flight_s", "apogee_km", "burnout_speed_mps", "burnout_after_launch_s",
              "burnout_altitude_km", "impact_latitude_deg", "impact_longitude_deg", "miss_m"):
        assert k in r
    assert r["miss_m"] < 100.0
    # both frames, named: the inertial velocity adds the launch region's eastward 380 m/s, so the two angles
    # differ by about a degree on this north-westward shot
    angles = r["burnout_flight_path_angle_deg"]
    assert set(angles) == {"inertial", "earth_relative"}
    assert 0 < abs(angles["inertial"] - angles["earth_relative"]) < 3.0
    assert r["burnout_speed_inertial_mps"] != r["burnout_speed_mps"]
    df = pd.read_csv(traj)
    assert list(df.columns[:4]) == ["t_s", "latitude_deg", "longitude_deg", "altitude_m"]
    assert df.altitude_m.max() / 1e3 == pytest.approx(r["apogee_km"], abs=0.1)


def test_fly_pairs(capsys, tmp_path):
    pairs = tmp_path / "p.csv"
    pd.DataFrame({"launch_latitude_deg": [35.23, 35.23, 54.03], "launch_longitude_deg": [53.92, 53.92, 35.77],
                  "target_latitude_deg": [52.52, 48.86, 40.71], "target_longitude_deg": [13.40, 2.35, -74.01]}
                 ).to_csv(pairs, index=False)
    out = tmp_path / "r.parquet"
    s = run_json(capsys, "fly", "--missile", "icbm-solid-russia", "--pairs", str(pairs), "--out", str(out))
    assert s["count"] == 3 and s["trajectories_per_second"] > 0
    df = pd.read_parquet(out)
    assert len(df) == 3 and (df.miss_m < 100).all() and df.reached.all()
    assert {"burnout_flight_path_angle_deg_inertial", "burnout_flight_path_angle_deg_earth_relative",
            "burnout_speed_inertial_mps"} <= set(df.columns)


@pytest.mark.parametrize("args,needle", [
    (["fly", "--missile", "nope", "--from", "0,0", "--to", "1,1"], "known names"),
    (["fly", "--missile", "shahab-3", "--from", "95,0", "--to", "1,1"], "latitude"),
    (["fly", "--missile", "shahab-3", "--from", "35.2,53.9", "--to", "40.7,-74.0"], "reaches about"),
    (["ballistic", "--speed-mps", "-5", "--gamma-deg", "30"], "positive speed"),
    (["fly", "--missile", "shahab-3", "--from", "abc", "--to", "1,1"], "known names"),
    (["fly", "--missile", "shahab-3", "--from", "1,2,3", "--to", "1,1"], "LAT,LON"),
    # on the turning Earth this target lies just beyond the reach that the still-Earth check lets through
    (["fly", "--missile", "icbm-liquid-10000", "--from", "semnan", "--to", "washington"], "misses it by"),
])
def test_bad_input_exits_2_with_a_message(capsys, args, needle):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_malformed_pairs_file(capsys, tmp_path):
    pairs = tmp_path / "p.csv"
    pairs.write_text("launch_latitude_deg,launch_longitude_deg\n1,2\n")
    assert main(["fly", "--missile", "shahab-3", "--pairs", str(pairs), "--out", str(tmp_path / "o.csv")]) == 2
    assert "missing column" in capsys.readouterr().err


def test_missiles_catalog(capsys):
    r = run_json(capsys, "missiles")
    roles = {m["name"]: m["role"] for m in r["missiles"]}
    assert roles["shahab-3"] == "threat" and roles["gbi2-7.7"] == "interceptor"
    for m in r["missiles"]:
        assert m["burnout_speed_mps"] > 0 and m["source"]
        if m["role"] == "threat":
            assert m["max_range_km"] > 1000


def test_run_small_scenario(capsys, tmp_path):
    r = run_json(capsys, "run", "test-small", "--out", str(tmp_path / "out"))
    assert r["scenario"] == "test-small" and r["threats"] == 2
    assert all(f["miss_m"] < 100 for f in r["flights"])
    assert r["out_dir"] == str((tmp_path / "out").resolve())
