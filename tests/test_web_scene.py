"""What the globe draws, checked against independent references and the run's database (test-small, one run):

- the flown interceptor path of each engagement's first shot starts at its site on the ground and ends at the
  engagement's intercept time within 50 m of the threat's position then (the threat's trajectory of the same
  run, interpolated by scipy's cubic Hermite spline; positions compared in ECEF by pyproj);
- the PIP ellipse's semi-axes and orientation in the ``tracks`` table agree with a Monte Carlo oracle: states
  drawn from the track's covariance, each flown to the ground, the impact scatter's sample covariance in local
  east/north (pyproj geodesics) eigen-decomposed by ``numpy.linalg.eig``;
- the radar fields of regard in ``scene.czml`` hold the directions the radar model sees and no others;
- the territorial airspace drawn is that of every country the aircraft checks name, within the stated
  simplification of the polygons the check tests;
- the CZML fly-outs and PIP ellipses carry the database's numbers.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer
from scipy.interpolate import CubicHermiteSpline

import bmdsim
from bmdsim.store import exports

GEOD = Geod(ellps="WGS84")
TO_ECEF = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=True)   # lon, lat, h -> ECEF (m)

#: the flown path ends this close to the threat (the aim iterates to 20 m; the fire-control capture is 1 km)
INTERCEPT_TOL_M = 50.0


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """test-small run once and written (about 15-40 s: the engagements build the interceptor fan)."""
    loaded = bmdsim.load_scenario("test-small")
    result = bmdsim.run(loaded)
    out = tmp_path_factory.mktemp("scene") / "out"
    result.write(out)
    con = duckdb.connect(str(out / "results.duckdb"), read_only=True)
    try:
        db = {t: con.execute(f'SELECT * FROM "{t}"').fetchdf() for t in (
            "engagements", "interceptor_flyouts", "trajectories", "tracks", "objects", "airspace_events")}
    finally:
        con.close()
    czml = {p["id"]: p for p in json.loads((out / "scene.czml").read_text())}
    return loaded, result, db, czml


def _ecef(lon, lat, h):
    return np.column_stack(TO_ECEF.transform(np.atleast_1d(lon), np.atleast_1d(lat), np.atleast_1d(h)))


# ------------------------------------------------------------------------------------------------ fly-outs
def test_flown_path_starts_at_the_site_and_ends_on_the_threat(run):
    _, result, db, _ = run
    firsts = db["engagements"].query("shot == 1 and interceptor_launch_t_s == interceptor_launch_t_s")
    assert len(firsts) == 2                                      # both threats of test-small are engaged
    sites = db["objects"].set_index("object_id")
    for e in firsts.itertuples():
        oid = f"interceptor:{e.site}:{e.threat}:1"
        f = db["interceptor_flyouts"].set_index("object_id").loc[oid]
        path = db["trajectories"].query("object_id == @oid").sort_values("k")
        assert len(path) > 20
        site = sites.loc[f"interceptor_site:{e.site}"]
        # starts on the ground at the site, at the flown launch time
        _, _, d0 = GEOD.inv(site.longitude_deg, site.latitude_deg, path.longitude_deg.iloc[0],
                            path.latitude_deg.iloc[0])
        assert d0 < 1.0 and abs(path.altitude_m.iloc[0] - site.altitude_m) < 1.0
        assert path.t_s.iloc[0] == f.launch_t_s
        assert abs(f.launch_t_s - e.interceptor_launch_t_s) < 5.0   # the fan's time of flight against the flown
        # ends at the engagement's intercept time on the threat (its trajectory from the same run)
        assert path.t_s.iloc[-1] == e.intercept_t_s == f.intercept_t_s
        truth = result.truths[e.threat]
        spline = CubicHermiteSpline(truth.t_s, truth.r_ecef, truth.v_ecef)
        r_threat = spline(e.intercept_t_s)
        r_end = _ecef(path.longitude_deg.iloc[-1], path.latitude_deg.iloc[-1], path.altitude_m.iloc[-1])[0]
        miss = float(np.linalg.norm(r_end - r_threat))
        assert miss < INTERCEPT_TOL_M, (oid, miss)
        assert abs(miss - f.miss_m) < 1.0                          # the stored miss is that distance
        assert f.intercept_altitude_km == pytest.approx(path.altitude_m.iloc[-1] / 1e3)
        # rising from the site, samples every 5 s
        assert np.all(np.diff(path.t_s.to_numpy()) > 0) and np.diff(path.t_s.to_numpy())[:-1].max() <= 5.0 + 1e-9
        assert path.altitude_m.iloc[len(path) // 2] > 100e3


def test_czml_flyouts_are_the_stored_paths(run):
    _, _, db, czml = run
    for f in db["interceptor_flyouts"].itertuples():
        pk = czml[f"interceptor_flight:{f.site}:{f.threat}:{f.shot}"]
        s = np.asarray(pk["position"]["cartographicDegrees"]).reshape(-1, 4)
        path = db["trajectories"].query("object_id == @f.object_id").sort_values("k")
        np.testing.assert_array_equal(s[:, 0], path.t_s)
        np.testing.assert_array_equal(s[:, 1:], path[["longitude_deg", "latitude_deg", "altitude_m"]])
        assert "polyline" not in pk and "path" in pk


# ------------------------------------------------------------------------------------------------- PIP ellipse
def _monte_carlo_ellipse(x, P, t_s, pip_lat, pip_lon, n=4000, seed=1):
    """1-sigma semi-axes (km) and major-axis azimuth (deg, [0, 180)) of the impact scatter of ``n`` states
    drawn from N(x, P), each flown to the ground."""
    from bmdsim.core import frames
    from bmdsim.sensing.tracking import propagate_to_altitude

    X = np.random.default_rng(seed).multivariate_normal(x, P, size=n)
    t_hit, x_hit = propagate_to_altitude(X, t_s)
    lat, lon, _ = frames.ecef_to_geodetic(frames.eci_to_ecef(x_hit[:, :3], t_hit))
    ok = np.isfinite(lat)
    assert ok.mean() > 0.99
    az, _, d = GEOD.inv(np.full(ok.sum(), pip_lon), np.full(ok.sum(), pip_lat), np.degrees(lon[ok]),
                        np.degrees(lat[ok]))
    en = np.column_stack([d * np.sin(np.radians(az)), d * np.cos(np.radians(az))])
    w, v = np.linalg.eig(np.cov(en.T))
    i = int(np.argmax(w))
    return (np.sqrt(w.max()) / 1e3, np.sqrt(w.min()) / 1e3,
            float(np.degrees(np.arctan2(v[0, i], v[1, i])) % 180.0))


def test_pip_ellipse_axes_against_a_monte_carlo_eigen_decomposition(run):
    """Tolerances: 6 % on each semi-axis (the Monte Carlo's own standard error is 1.1 % at n = 4,000; the
    unscented transform and the sample differ by up to 3-4 % where the flight bends the scatter) and 3 deg on
    the orientation where the ellipse is elongated (major/minor > 1.5). While the drag state is unobserved the
    major axis is held to [1, 1.45] x the Monte Carlo's instead (a known, conservative bias of the UT; see the
    comment below and docs/design.md)."""
    from bmdsim.scenario.sensing import observe_scenario_threat

    loaded, _, db, _ = run
    scn = getattr(loaded, "scenario", loaded)
    checked = 0
    for threat in ("iran-berlin", "kozelsk-washington"):
        track = observe_scenario_threat(scn, threat).track       # the run's track: same flight, same draws
        rows = db["tracks"].query("threat == @threat").sort_values("k")
        np.testing.assert_array_equal(rows.pip_semi_major_km, track.pip.semi_major_km)
        have = rows.dropna(subset=["pip_semi_minor_km"])
        for r in have.iloc[[0, len(have) // 2, -1]].itertuples():
            major, minor, azimuth = _monte_carlo_ellipse(track.x_eci[r.k], track.P_eci[r.k], r.t_s,
                                                         r.pip_latitude_deg, r.pip_longitude_deg)
            P = track.P_eci[r.k]
            if P.shape[0] > 6 and np.sqrt(P[6, 6]) > 0.3:
                # the drag state not yet observed (ln(1/beta) prior sd 1.5): the impact moves with exp(ln 1/beta),
                # a skewed scatter the 15-point UT overstates along track by 28-42 % against this Monte Carlo
                # (measured on test-small's two tracks, session 3); the ellipse is conservative, and bounded so
                assert major <= r.pip_semi_major_km <= 1.45 * major, (threat, r.k, r.pip_semi_major_km, major)
            else:
                assert r.pip_semi_major_km == pytest.approx(major, rel=0.06), (threat, r.k)
            assert r.pip_semi_minor_km == pytest.approx(minor, rel=0.06), (threat, r.k)
            assert 0.0 <= r.pip_orientation_deg < 180.0
            if major / minor > 1.5:
                gap = abs((r.pip_orientation_deg - azimuth + 90.0) % 180.0 - 90.0)
                assert gap < 3.0, (threat, r.k, r.pip_orientation_deg, azimuth)
                checked += 1
    assert checked >= 4


def test_czml_pip_ellipse_is_the_tracks_table(run):
    """The CZML ellipse samples are the table's axes (at least 50 m, Cesium needs a drawable ellipse) and
    ``rotation = 90 deg - azimuth`` (Cesium measures counter-clockwise from east; the browser test checks that
    on the vendored build)."""
    _, _, db, czml = run
    for threat in ("iran-berlin", "kozelsk-washington"):
        rows = db["tracks"].query("threat == @threat").dropna(subset=["pip_semi_minor_km"]).sort_values("k")
        el = czml[f"track:{threat}:pip"]["ellipse"]
        major = np.asarray(el["semiMajorAxis"]["number"]).reshape(-1, 2)
        minor = np.asarray(el["semiMinorAxis"]["number"]).reshape(-1, 2)
        rot = np.asarray(el["rotation"]["number"]).reshape(-1, 2)
        np.testing.assert_array_equal(major[:, 0], rows.t_s)
        np.testing.assert_allclose(major[:, 1], np.maximum(rows.pip_semi_major_km, 0.05) * 1e3, rtol=1e-12)
        np.testing.assert_allclose(minor[:, 1], np.clip(rows.pip_semi_minor_km * 1e3, 50.0, major[:, 1]), rtol=1e-12)
        back = np.degrees(np.pi / 2 - rot[:, 1]) % 180.0
        gap = np.abs((back - rows.pip_orientation_deg.to_numpy() + 90.0) % 180.0 - 90.0)
        assert gap.max() < 1e-9
        assert np.abs(np.diff(rot[:, 1])).max() < np.pi / 2          # unwrapped: no half turn between updates


# ----------------------------------------------------------------------------------------- fields of regard
def _inside_czml_sector(pk, az_deg, el_deg, range_m):
    """Directions inside a CZML ellipsoid sector, by the CZML/Cesium conventions: in the entity's east-north-up
    frame, the clock angle from +x (east) toward +y (north), the cone angle from +z (up)."""
    e = pk["ellipsoid"]
    clock = np.radians(90.0 - az_deg)
    rel = np.mod(clock - e["minimumClock"], 2 * np.pi)
    cone = np.radians(90.0 - el_deg)
    return ((rel <= e["maximumClock"] - e["minimumClock"] + 1e-9) & (cone >= e["minimumCone"] - 1e-9)
            & (cone <= e["maximumCone"] + 1e-9) & (range_m <= e["radii"]["cartesian"][0]))


def test_fields_of_regard_hold_what_the_radar_model_sees(run):
    from bmdsim.sensing import catalog

    _, result, db, czml = run
    radars = [s for s in result.sensors if s.kind == "radar"]
    assert {s.name for s in radars} == {"fylingdales", "brdy"}
    rng = np.random.default_rng(3)
    az, el = rng.uniform(0, 360, 20_000), rng.uniform(-10, 90, 20_000)
    rg = rng.uniform(0, 7000e3, 20_000)
    for s in radars:
        radar = catalog.radar(s.catalog)
        in_for, _ = radar.face_geometry(np.radians(az), np.radians(el))
        sees = in_for & (rg <= radar.max_range_m)
        packets = [p for k, p in czml.items() if k.startswith(f"field_of_regard:{s.name}:")]
        assert len(packets) == len(radar.faces)
        drawn = np.any([_inside_czml_sector(p, az, el, rg) for p in packets], axis=0)
        assert np.array_equal(drawn, sees), s.name
        # the objects table carries the same faces (the details panel reads them there)
        d = json.loads(db["objects"].set_index("object_id").loc[f"sensor:{s.name}"].details_json)
        assert d["fields_of_regard"] == list(radar.fields_of_regard)
        assert d["max_range_km"] == radar.max_range_m / 1e3


# ------------------------------------------------------------------------------------------ territorial airspace
def test_territorial_airspace_of_the_checked_countries(run):
    from bmdsim.airspace.sovereign import default_airspace

    _, _, db, czml = run
    air = default_airspace()
    ev = db["airspace_events"]
    named = set(ev.query("event in ('closest_to_coast', 'violation')").subject)
    want = {air.codes[air.index(n)] for n in named} | {"RUS"}         # RUS: tu160-pair's home country
    assert exports.territorial_countries(run[1]) == sorted(want)
    drawn: dict[str, list] = {}
    for k, p in czml.items():
        if k.startswith("territorial:"):
            rings = [np.asarray(r).reshape(-1, 3)[:, :2] for r in
                     [p["polygon"]["positions"]["cartographicDegrees"],
                      *p["polygon"].get("holes", {}).get("cartographicDegrees", [])]]
            drawn.setdefault(p["properties"]["code"], []).append(shapely.Polygon(rings[0], rings[1:]))
            assert p["properties"]["country"] in named | {"Russia"}
    assert set(drawn) == want
    for code, polys in drawn.items():
        checked = air.territory(air.index(code))
        union = shapely.union_all(polys)
        # every vertex of the checked boundary lies near the drawn boundary: within 1.2 x the simplification
        # tolerance (GEOS's Douglas-Peucker keeps a vertex up to about 10 % beyond it: 0.0055 deg measured for
        # GBR) plus the 4-decimal rounding of the drawn coordinates
        far = shapely.distance(shapely.points(shapely.get_coordinates(checked.boundary)), union.boundary).max()
        assert far <= 1.2 * exports.TERRITORY_TOLERANCE_DEG + 1e-4, (code, far)
        assert abs(union.area - checked.area) / checked.area < 0.01, code
