"""Air surveillance (issue 6): distances against geographiclib, synthetic tracks at known distances from a coast,
the notional Tu-160 route, track input validation and the ``bmdsim airspace`` contract.

Oracle: geographiclib (Karney 2013, "Algorithms for geodesics", J. Geodesy 87:43-55), the pure-Python reference
implementation, independent of the PROJ code the package uses. Distances to a coast are checked against the
least geographiclib distance to the Natural Earth coast densified to ~30 m.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely
from geographiclib.geodesic import Geodesic

from bmdsim.airspace import (
    NOORDWIJK,
    PointOfInterest,
    RouteCorridor,
    check_track,
    default_airspace,
    naturalearth,
    read_tracks,
    reference_corridor,
    track_from_arrays,
    tu160_2007,
)
from bmdsim.airspace.tracks import densify, position_at
from bmdsim.cli import main

NMI = 1852.0
G = Geodesic.WGS84


def oracle_coast_distance_m(code: str, lat: float, lon: float, window_deg: float = 1.0) -> float:
    """Least geographiclib distance from (lat, lon) to country ``code``'s coast vertices, densified to ~30 m."""
    coast = naturalearth.coastlines()[code]
    box = shapely.box(lon - 2 * window_deg, lat - window_deg, lon + 2 * window_deg, lat + window_deg)
    xy = shapely.get_coordinates(shapely.segmentize(shapely.intersection(coast, box), 0.0003))
    return min(G.Inverse(lat, lon, y, x, Geodesic.DISTANCE)["s12"] for x, y in xy)


def along(lat, lon, az, dist_m):
    g = G.Direct(lat, lon, az, dist_m)
    return g["lat2"], g["lon2"]


@pytest.fixture(scope="module")
def dutch_normal():
    """A point on the Dutch coast near Noordwijk and the seaward azimuth of the normal there."""
    space = default_airspace()
    i = space.index("NLD")
    sea_lat, sea_lon = 52.32, 4.25          # ~ 12 km off Noordwijk
    est = space.distance_to_coast_estimate_m(i, sea_lat, sea_lon)[0]
    _, clat, clon = space.coast(i).exact_m(sea_lat, sea_lon, est)
    az = G.Inverse(clat, clon, sea_lat, sea_lon)["azi1"]
    return clat, clon, az


# -- distances against geographiclib ------------------------------------------------------------------------

@pytest.mark.parametrize("code,lat,lon", [("NLD", 52.32, 4.25), ("NLD", 52.8, 4.0), ("GBR", 53.2, 1.9),
                                          ("NOR", 62.5, 4.0), ("DNK", 56.5, 7.6)])
def test_distance_to_coast_matches_geographiclib(code, lat, lon):
    space = default_airspace()
    got = space.distance_to_coast_m(space.index(code), lat, lon)
    want = oracle_coast_distance_m(code, lat, lon)
    # the oracle measures to vertices every ~30 m, so it can exceed the distance to the line by < 1 m
    assert want - 2.0 < got < want + 1.0


def test_geodesic_interpolation_matches_geographiclib():
    t = track_from_arrays(id="a", t_s=[0.0, 3600.0], latitude_deg=[60.0, 53.43], longitude_deg=[2.2, 2.41])
    lat, lon = position_at(t, [900.0, 1800.0])
    line = G.InverseLine(60.0, 2.2, 53.43, 2.41)
    for k, frac in enumerate((0.25, 0.5)):
        p = line.Position(frac * line.s13)
        assert G.Inverse(p["lat2"], p["lon2"], lat[k], lon[k])["s12"] < 1e-3   # metres
    d = densify(t, 500.0)
    steps = [G.Inverse(d.latitude_deg[j], d.longitude_deg[j], d.latitude_deg[j + 1],
                       d.longitude_deg[j + 1])["s12"] for j in range(d.n - 1)]
    assert max(steps) <= 500.0 and abs(sum(steps) - line.s13) < 0.01


# -- synthetic tracks at known distances from a coast ---------------------------------------------------------

def test_ten_nmi_inside_is_territorial_fourteen_outside_is_not(dutch_normal):
    clat, clon, az = dutch_normal
    space = default_airspace()
    lats, lons = zip(*(along(clat, clon, az, k * NMI) for k in (10.0, 14.0)), strict=True)
    # the coast is nearly straight there: the points are 10 and 14 nmi from it to 100 m (oracle)
    for la, lo, k in zip(lats, lons, (10.0, 14.0), strict=True):
        assert abs(oracle_coast_distance_m("NLD", la, lo) - k * NMI) < 100.0
    got = space.country_at(np.array(lats), np.array(lons))
    assert [space.codes[i] if i >= 0 else None for i in got] == ["NLD", None]


def test_synthetic_incursion_times_and_depth(dutch_normal):
    clat, clon, az = dutch_normal
    a = along(clat, clon, az, 14 * NMI)
    b = along(clat, clon, az, 10 * NMI)
    # out 14 nmi -> in to 10 nmi in 600 s -> back out in 600 s: 12 nmi is crossed at 300 s and 900 s
    t = track_from_arrays(id="probe", t_s=[0.0, 600.0, 1200.0], latitude_deg=[a[0], b[0], a[0]],
                          longitude_deg=[a[1], b[1], a[1]], epoch="2007-10-25T10:00:00")
    r = check_track(t, pois=[NOORDWIJK])
    assert r["entered_territorial_airspace"] is True
    (v,) = r["violations"]
    assert v["country"] == "Netherlands"
    assert abs(pd.Timestamp(v["entry_time"]) - pd.Timestamp("2007-10-25T10:05:00Z")) < pd.Timedelta(seconds=5)
    assert abs(pd.Timestamp(v["exit_time"]) - pd.Timestamp("2007-10-25T10:15:00Z")) < pd.Timedelta(seconds=5)
    depth_m = 12 * NMI - oracle_coast_distance_m("NLD", *b)
    assert abs(v["max_depth_km"] * 1000.0 - depth_m) < 2.0
    assert abs(r["min_distance_to_coast_km"]["Netherlands"] * 1000.0 - oracle_coast_distance_m("NLD", *b)) < 2.0


def test_parallel_track_fourteen_nmi_out_stays_outside(dutch_normal):
    clat, clon, az = dutch_normal
    mid = along(clat, clon, az, 14 * NMI)
    p1, p2 = along(*mid, az + 90.0, 4000.0), along(*mid, az - 90.0, 4000.0)
    t = track_from_arrays(id="parallel", t_s=[0.0, 60.0], latitude_deg=[p1[0], p2[0]],
                          longitude_deg=[p1[1], p2[1]])
    r = check_track(t)
    assert r["entered_territorial_airspace"] is False and r["violations"] == []
    near = r["closest_to_coast"]["Netherlands"]
    d_km = r["min_distance_to_coast_km"]["Netherlands"]
    assert abs(d_km * 1000.0 - oracle_coast_distance_m("NLD", near["latitude_deg"], near["longitude_deg"])) < 2.0
    assert abs(d_km - 14 * NMI / 1000.0) < 0.5        # the coast bends a little along the 8 km
    assert abs(r["min_distance_to_territorial_airspace_km"]["Netherlands"] - (d_km - 12 * NMI / 1000.0)) < 1e-9


def test_median_line_between_denmark_and_sweden():
    space = default_airspace()
    # Oresund, Helsingor-Helsingborg narrows (~4 km wide): each side belongs to its own coast
    got = space.country_at(np.array([56.035, 56.04]), np.array([12.62, 12.68]))
    assert [space.codes[i] for i in got] == ["DNK", "SWE"]


# -- the notional bomber flight --------------------------------------------------------------------------------

def test_tu160_route_stays_in_international_airspace():
    r = check_track(tu160_2007(), pois=[NOORDWIJK], home_countries=("RUS",))
    assert r["entered_territorial_airspace"] is False
    # "turning back about 190 km north-west of Noordwijk" (reported); the notional turn point is placed there
    (cpa,) = r["cpa"]
    assert abs(cpa["distance_km"] - 190.0) < 1.0
    az = G.Inverse(NOORDWIJK.latitude_deg, NOORDWIJK.longitude_deg, cpa["latitude_deg"],
                   cpa["longitude_deg"])["azi1"] % 360
    assert 300.0 < az < 330.0
    # margins wide enough for Norway's straight baselines, which the Natural Earth coast does not carry
    assert r["min_distance_to_coast_km"]["Norway"] > 60.0
    assert r["min_distance_to_coast_km"]["United Kingdom"] > 60.0
    assert r["min_distance_to_coast_km"]["Denmark"] > 150.0


def test_tu160_without_home_country_starts_in_russia():
    r = check_track(tu160_2007())
    countries = [v["country_code"] for v in r["violations"]]
    assert set(countries) == {"RUS"}
    assert r["violations"][0]["entry_time"] is None and r["violations"][-1]["exit_time"] is None


def test_unusual_route_score():
    corridor = reference_corridor()
    bomber = check_track(tu160_2007(), corridor=corridor, home_countries=("RUS",))["unusual_route"]
    assert bomber["score_km"] > 800.0     # the turn point in the southern North Sea is far from usual routes
    refs = read_tracks(naturalearth_path("reference-lra-routes-notional")).tracks
    own = check_track(refs[1], corridor=RouteCorridor(refs))["unusual_route"]
    assert own["score_km"] < 3.0          # a reference track lies in its own corridor (5 km sampling)


def naturalearth_path(name):
    from bmdsim.airspace import bundled_track_path

    return bundled_track_path(name)


# -- track input -----------------------------------------------------------------------------------------------

def _write(tmp_path, text, name="t.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_traffic_layout_and_parquet(tmp_path):
    df = pd.DataFrame({
        "timestamp": pd.to_datetime(["2007-10-25 09:00:00", "2007-10-25 09:10:00", "2007-10-25 09:00:00",
                                     "2007-10-25 09:10:00"], utc=True),
        "latitude": [53.0, 53.5, 55.0, 55.2], "longitude": [2.0, 2.5, 5.0, 5.5],
        "altitude": [33000.0, 33000.0, 30000.0, 30000.0],
        "callsign": ["AAA1", "AAA1", "BBB2", "BBB2"], "icao24": ["abc123"] * 2 + ["def456"] * 2})
    path = tmp_path / "flights.parquet"
    df.to_parquet(path)
    res = read_tracks(path)
    assert [t.id for t in res.tracks] == ["AAA1", "BBB2"]
    assert abs(res.tracks[0].altitude_m[0] - 33000 * 0.3048) < 1e-6
    assert res.tracks[0].iso(600.0) == "2007-10-25T09:10:00.000Z"


def test_rows_without_position_are_rejected_and_reported(tmp_path, capsys):
    p = _write(tmp_path, "time,latitude_deg,longitude_deg,id\n2007-10-25T09:00:00Z,53.0,2.0,a\n"
               "2007-10-25T09:01:00Z,,2.1,a\n2007-10-25T09:02:00Z,53.2,2.2,a\n")
    assert main(["airspace", str(p), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["rejected_rows"] == [{"row": 3, "track": "a", "reason":
                                     "latitude or longitude missing or not a number"}]
    assert out["tracks"][0]["points"] == 2


@pytest.mark.parametrize("text,words", [
    ("when,x,y\n1,2,3\n", ["no time / latitude / longitude column", "timestamp, latitude"]),
    ("time,lat,lon\n2007-10-25T09:00:00Z,95.0,2.0\n2007-10-25T09:01:00Z,53.0,2.0\n",
     ["latitude out of range", "lines 2", "column names and order"]),
    ("time,lat,lon\n2007-10-25T09:01:00Z,53.0,2.0\n2007-10-25T09:00:00Z,53.1,2.0\n",
     ["time goes backwards", "lines 3", "sort the rows"]),
    ("time,lat,lon\n2007-10-25T09:00:00Z,53.0,2.0\n2007-10-25T09:00:00Z,53.1,2.0\n",
     ["duplicate time", "lines 3", "one position per time"]),
])
def test_bad_input_exit_code_2_names_rows_and_fix(tmp_path, capsys, text, words):
    p = _write(tmp_path, text)
    assert main(["airspace", str(p), "--json"]) == 2
    err = capsys.readouterr().err
    for w in words:
        assert w in err


def test_bad_poi_and_missing_file(tmp_path, capsys):
    p = _write(tmp_path, "time,lat,lon\n2007-10-25T09:00:00Z,53.0,2.0\n")
    assert main(["airspace", str(p), "--poi", "Noordwijk:52,4"]) == 2
    assert main(["airspace", str(tmp_path / "nope.csv")]) == 2
    assert main(["airspace", str(p), "--home-country", "Atlantis"]) == 2
    assert "NAME=LAT,LON" in capsys.readouterr().err


# -- the command-line contract -------------------------------------------------------------------------------

def test_cli_contract_on_bundled_bomber(tmp_path, capsys):
    png = tmp_path / "map.png"
    path = naturalearth_path("tu160-2007-10-25")
    code = main(["airspace", str(path), "--poi", "Noordwijk=52.24,4.43", "--home-country", "RUS",
                 "--png", str(png), "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    (t,) = out["tracks"]
    assert {"id", "points", "entered_territorial_airspace", "violations", "min_distance_to_coast_km",
            "cpa"} <= set(t)
    assert t["id"] == "TU160-PAIR" and t["points"] == 25 and t["entered_territorial_airspace"] is False
    assert all(v < 500.0 for v in t["min_distance_to_coast_km"].values())
    assert t["cpa"][0]["poi"] == "Noordwijk" and abs(t["cpa"][0]["distance_km"] - 190.0) < 1.0
    assert png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"


def test_cli_violation_fields(tmp_path, capsys):
    p = _write(tmp_path, "timestamp,latitude,longitude,callsign\n2007-10-25T10:00:00Z,52.6,3.6,X1\n"
               "2007-10-25T10:20:00Z,52.3,4.35,X1\n")
    assert main(["airspace", str(p), "--json"]) == 0
    (t,) = json.loads(capsys.readouterr().out)["tracks"]
    (v,) = t["violations"]
    assert set(v) >= {"country", "entry_time", "exit_time", "max_depth_km"}
    assert v["country"] == "Netherlands" and v["exit_time"] is None and 10.0 < v["max_depth_km"] < 22.3


def test_user_zones_baseline_and_exercise_area(tmp_path, capsys):
    # a notional straight baseline 20 km off the Dutch coast: 12 nmi from it reach ~42 km offshore
    clat, clon, az = 52.24, 4.43, 300.0
    a, b = along(52.0, 4.1, 300.0, 20_000.0), along(52.6, 4.55, 300.0, 20_000.0)
    zones = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "notional baseline", "kind": "baseline", "country": "NLD"},
         "geometry": {"type": "LineString", "coordinates": [[a[1], a[0]], [b[1], b[0]]]}},
        {"type": "Feature", "properties": {"name": "EHD-exercise", "kind": "zone"},
         "geometry": {"type": "Polygon", "coordinates": [[[3.0, 52.5], [3.6, 52.5], [3.6, 52.9], [3.0, 52.9],
                                                          [3.0, 52.5]]]}}]}
    zf = tmp_path / "zones.geojson"
    zf.write_text(json.dumps(zones))
    p30 = along(clat, clon, az, 30_000.0)
    p = _write(tmp_path, "timestamp,latitude,longitude,callsign\n"
               f"2007-10-25T10:00:00Z,52.7,3.3,X1\n2007-10-25T10:20:00Z,{p30[0]},{p30[1]},X1\n")
    assert main(["airspace", str(p), "--json"]) == 0
    (plain,) = json.loads(capsys.readouterr().out)["tracks"]
    assert plain["entered_territorial_airspace"] is False
    assert main(["airspace", str(p), "--zones", str(zf), "--json"]) == 0
    (t,) = json.loads(capsys.readouterr().out)["tracks"]
    assert t["entered_territorial_airspace"] is True and t["violations"][0]["country_code"] == "NLD"
    assert t["zones"][0]["zone"] == "EHD-exercise"


def test_poi_cpa_against_geographiclib():
    t = track_from_arrays(id="x", t_s=[0.0, 3600.0], latitude_deg=[54.0, 54.0], longitude_deg=[0.0, 8.0])
    poi = PointOfInterest(name="P", latitude_deg=52.24, longitude_deg=4.43)
    (c,) = check_track(t, pois=[poi])["cpa"]
    line = G.InverseLine(54.0, 0.0, 54.0, 8.0)
    best = min(G.Inverse(52.24, 4.43, (p := line.Position(s))["lat2"], p["lon2"])["s12"]
               for s in np.linspace(0, line.s13, 20001))
    assert abs(c["distance_km"] * 1000.0 - best) < 5.0


# -- real recorded flights (integration; only where the optional `traffic` package is installed) -------------

def test_real_flight_from_traffic_samples():
    samples = pytest.importorskip("traffic.data.samples")
    flight = getattr(samples, "belevingsvlucht", None)
    if flight is None:
        pytest.skip("traffic.data.samples has no 'belevingsvlucht'")
    from bmdsim.airspace import tracks_from_frame

    df = flight.data[["timestamp", "latitude", "longitude", "altitude", "callsign", "icao24"]]
    df = df.drop_duplicates("timestamp")
    res = tracks_from_frame(df, source="traffic belevingsvlucht")
    (r,) = [check_track(t, pois=[NOORDWIJK]) for t in res.tracks[:1]]
    # a 2018 sightseeing flight over the Netherlands: in Dutch airspace, within 100 km of Noordwijk
    assert r["entered_territorial_airspace"] and r["violations"][0]["country_code"] == "NLD"
    assert r["cpa"][0]["distance_km"] < 100.0
