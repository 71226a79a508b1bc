"""Command-line contracts of issue 3 (radar half): ``coverage`` and ``radars``; bad input exits 2."""


import numpy as np
import pytest
from cli_helpers import run_json

from bmdsim.cli import main
from bmdsim.core import radar as rq
from bmdsim.sensing import catalog
from bmdsim.sensing.radar import local_radius_m


def test_radars_json(capsys):
    r = run_json(capsys, "radars")
    names = {x["name"] for x in r["radars"]}
    assert {"fylingdales", "thule", "brdy-emr-peak-170kw", "brdy-emr-average-170kw", "gabala"} <= names
    for x in r["radars"]:
        for k in ("name", "latitude_deg", "longitude_deg", "altitude_m", "frequency_hz", "source"):
            assert k in x
        assert x["source"]
        assert 0.0 <= x["min_elevation_deg"] < 10.0 and x["max_range_km"] > 0 and x["fields_of_regard"]
        for f in x["fields_of_regard"]:
            assert 0.0 < f["azimuth_half_width_deg"] <= 180.0 and f["max_elevation_deg"] <= 90.0


def test_coverage_names_both_horizons(capsys):
    """Brdy at 150 km (issue 9): 1,465 km line-of-sight horizon, 1,162 km above its 2 deg minimum elevation."""
    r = run_json(capsys, "coverage", "--radar", "brdy", "--altitude-km", "150")
    assert r["min_elevation_deg"] == pytest.approx(2.0)
    assert r["line_of_sight_horizon_ground_range_km"][0] == pytest.approx(1465, abs=5)
    assert r["min_elevation_ground_range_km"][0] == pytest.approx(1162, abs=5)


def test_coverage_contract(capsys, tmp_path):
    png = tmp_path / "fyl.png"
    r = run_json(capsys, "coverage", "--radar", "fylingdales", "--altitude-km", "100,500", "--rcs-m2", "1",
                 "--png", str(png))
    assert len(r["min_elevation_ground_range_km"]) == 2 and len(r["covered_area_km2"]) == 2
    assert png.stat().st_size > 10_000
    # horizon against the exact geometric formula on the local sphere (0.1 %)
    rad = catalog.radar("fylingdales")
    exact = rq.horizon_ground_range_sphere(rad.altitude_m, np.array([100e3, 500e3]),
                                           radius_m=float(local_radius_m(np.radians(rad.latitude_deg))),
                                           min_elevation_rad=rad.min_elevation_rad) / 1e3
    np.testing.assert_allclose(r["min_elevation_ground_range_km"], exact, rtol=1e-3)
    # the line-of-sight horizon (no minimum elevation) lies farther out
    los = rq.horizon_ground_range_sphere(rad.altitude_m, np.array([100e3, 500e3]),
                                         radius_m=float(local_radius_m(np.radians(rad.latitude_deg))),
                                         min_elevation_rad=None) / 1e3
    np.testing.assert_allclose(r["line_of_sight_horizon_ground_range_km"], los, rtol=1e-3)
    assert r["min_elevation_deg"] == pytest.approx(np.degrees(rad.min_elevation_rad))
    assert r["covered_area_km2"][1] > r["covered_area_km2"][0] > 0


def test_coverage_detection_range_scales_as_fourth_root(capsys):
    a = run_json(capsys, "coverage", "--radar", "brdy", "--altitude-km", "300", "--rcs-m2", "0.1")
    b = run_json(capsys, "coverage", "--radar", "brdy", "--altitude-km", "300", "--rcs-m2", "1.6")
    assert b["detection_range_km"] / a["detection_range_km"] == pytest.approx(2.0, rel=1e-9)
    c = run_json(capsys, "coverage", "--radar", "brdy-emr-average-170kw", "--altitude-km", "300", "--rcs-m2", "0.1")
    assert c["detection_range_km"] / a["detection_range_km"] == pytest.approx(3 ** 0.25, rel=1e-9)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--radar", "fylingdale"], "fylingdales"),
        (["--radar", "brdy", "--rcs-m2", "-1"], "--rcs-m2"),
        (["--radar", "brdy", "--altitude-km", "100,-5"], "below ground"),
        (["--radar", "brdy", "--refraction", "5/4"], "--refraction"),
    ],
)
def test_bad_input_exits_2(capsys, args, needle):
    assert main(["coverage", *args, "--json"]) == 2
    assert needle in capsys.readouterr().err
