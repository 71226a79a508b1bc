"""Sensors over truth: catalog, horizon and footprints on the ellipsoid, detection draws, M-of-N, cueing,
measurement noise, the infrared sensor and the unseen part of a flight. Tolerances in km, m, dB."""

import dataclasses

import numpy as np
import pytest

from bmdsim.core import frames
from bmdsim.core import radar as rq
from bmdsim.errors import InputError, UnknownNameError
from bmdsim.flight.fly import Options, fly_ballistic
from bmdsim.sensing import catalog, coverage
from bmdsim.sensing.detection import detect, detect_all, interpolate_state, m_of_n_first, visibility_windows
from bmdsim.sensing.measurements import Measurements
from bmdsim.sensing.radar import Face, local_radius_m

LABELS = {"PRIMARY", "REPORTED", "SECONDARY", "NOTIONAL"}


@pytest.fixture(scope="module")
def flight():
    """A free ballistic arc from above Semnan towards the north-west (about 5,100 km, apogee 950 km)."""
    f = fly_ballistic(35.2347, 53.9208, 100e3, 6000.0, 30.0, 315.0, options=Options(dense_dt_s=2.0, dense_n=800))
    ok = np.isfinite(f.t_s[0])
    return f.t_s[0][ok], f.r_ecef[0][ok], f.v_ecef[0][ok]


def _omni(radar, **kw):
    """A test radar with one face over all azimuths, no scan loss, no range limit."""
    face = Face(azimuth_rad=0.0, tilt_rad=0.0, azimuth_half_width_rad=np.pi, max_elevation_rad=np.pi / 2)
    return dataclasses.replace(radar, faces=(face,), scan_loss_exponent=0.0, max_range_m=1e9, **kw)


# -------------------------------------------------------------------------------------------------- catalog
def test_catalog_entries_are_cited_and_labelled():
    names = catalog.radar_names()
    for want in ("fylingdales", "thule", "brdy-emr-peak-170kw", "brdy-emr-average-170kw", "fbx-notional",
                 "gabala"):
        assert want in names
    for r in catalog.radars():
        assert r.source and r.label in LABELS and r.provenance, r.name
        for _field, text in r.provenance:
            assert text.split(":")[0].split(" ")[0] in LABELS, (r.name, text)
    assert len(catalog.radar("fylingdales").faces) == 3 and len(catalog.radar("thule").faces) == 2
    ir = catalog.infrared("ew-satellites")
    assert ir.source and ir.label in LABELS


def test_brdy_variants_and_default():
    peak, avg = catalog.radar("brdy-emr-peak-170kw"), catalog.radar("brdy-emr-average-170kw")
    assert catalog.radar("brdy") == peak
    assert peak.peak_power_w == pytest.approx(170e3) and avg.average_power_w == pytest.approx(170e3)
    # Czech MoD site (PRIMARY): 49 38 06.8 N, 13 44 52.6 E, 718.8 m
    assert peak.latitude_deg == pytest.approx(49 + 38 / 60 + 6.8 / 3600, abs=1e-6)
    assert peak.longitude_deg == pytest.approx(13 + 44 / 60 + 52.6 / 3600, abs=1e-6)
    assert peak.needs_cue
    ratio = avg.detection_range_m(0.1) / peak.detection_range_m(0.1)
    assert float(ratio) == pytest.approx(3.0 ** 0.25, rel=1e-9)


def test_unknown_radar_names_the_close_match():
    with pytest.raises(UnknownNameError, match="did you mean 'brdy'"):
        catalog.radar("brd")


def test_detection_range_fourth_root_of_rcs():
    r = catalog.radar("fylingdales")
    d = np.array([r.detection_range_m(s) for s in (0.01, 0.1, 1.0, 10.0)])
    np.testing.assert_allclose(d[1:] / d[:-1], 10 ** 0.25, rtol=1e-12)


# -------------------------------------------------------------------------------------------------- horizon
@pytest.mark.parametrize("name", ["fylingdales", "brdy", "thule"])
def test_horizon_on_ellipsoid_against_exact_sphere_formula(name):
    """The ellipsoidal horizon along the boresight agrees with the exact spherical formula on the sphere of the
    site's mean radius of curvature to 0.1 % (a few km at 3,000 km)."""
    r = catalog.radar(name)
    h = np.array([100e3, 500e3, 1000e3])
    d = coverage.horizon_ground_range_m(r, h)
    rad = float(local_radius_m(np.radians(r.latitude_deg)))
    exact = rq.horizon_ground_range_sphere(r.altitude_m, h, radius_m=rad, min_elevation_rad=r.min_elevation_rad)
    np.testing.assert_allclose(d, exact, rtol=1e-3)
    los = coverage.horizon_ground_range_m(r, h, use_min_elevation=False)
    np.testing.assert_allclose(los, rq.horizon_ground_range_sphere(r.altitude_m, h, radius_m=rad), rtol=1e-3)


def test_line_of_sight_horizon_grazes_the_ellipsoid():
    """At the pure line-of-sight horizon the straight ray from the site just touches the ellipsoid: the lowest
    point of the segment is within 20 m of the surface (independent check by sampling the chord)."""
    r = catalog.radar("fylingdales")
    for az in np.radians([0.0, 90.0, 200.0]):
        d = float(coverage.horizon_ground_range_m(r, 500e3, az, use_min_elevation=False))
        from bmdsim.core import geodesy

        lat, lon = geodesy.direct(r.latitude_deg, r.longitude_deg, np.degrees(az), d)
        p = frames.geodetic_to_ecef(np.radians(lat), np.radians(lon), 500e3)
        s = np.linspace(0.0, 1.0, 20001)[:, None]
        h = frames.geodetic_altitude(r.site_ecef + s * (p - r.site_ecef))
        assert abs(h.min()) < 20.0


def test_refraction_lengthens_the_horizon():
    r = catalog.radar("fylingdales")
    assert np.all(coverage.horizon_ground_range_m(r, [100e3, 500e3], refraction="4/3")
                  > coverage.horizon_ground_range_m(r, [100e3, 500e3]))


def test_below_ground_altitude_is_refused():
    with pytest.raises(InputError, match="altitude"):
        coverage.horizon_ground_range_m(catalog.radar("thule"), -1.0)


# ------------------------------------------------------------------------------------------------ footprint
def test_footprint_area_is_the_spherical_cap():
    """Omnidirectional radar, pure line of sight, no range limit: the footprint is the cap of half-angle
    theta, area 2 pi R^2 (1 - cos theta) on the local sphere (to 0.5 %)."""
    r = _omni(catalog.radar("fylingdales"), min_elevation_rad=-np.pi / 2)
    fp = coverage.footprint(r, 300e3, None, n_azimuth=360, n_radial=40)
    rad = float(local_radius_m(np.radians(r.latitude_deg)))
    th = rq.horizon_central_angle(r.altitude_m, 300e3, radius_m=rad)
    assert fp.area_m2 == pytest.approx(2 * np.pi * rad ** 2 * (1 - np.cos(th)), rel=5e-3)
    assert np.all(fp.inner_m == 0.0)


def test_footprint_sector_and_range_limit():
    """Thule's two faces cover 240 deg: no coverage to the south; a small RCS shrinks the footprint."""
    r = catalog.radar("thule")
    big = coverage.footprint(r, 500e3, 10.0, n_azimuth=180, n_radial=60)
    small = coverage.footprint(r, 500e3, 0.01, n_azimuth=180, n_radial=60)
    off_south = np.abs(np.degrees(big.azimuth_rad) - 180.0)
    assert np.all(big.outer_m[off_south < 59.5] == 0.0) and np.all(big.outer_m[off_south > 60.5] > 0.0)
    assert 0.0 < small.area_m2 < big.area_m2
    # range-limited edge: the slant range to the outer boundary equals the detection range with the scan loss
    # of that direction (within 1 km)
    i = int(np.argmin(np.abs(np.degrees(small.azimuth_rad) - 300.0)))   # face boresight azimuth
    p = frames.geodetic_to_ecef(np.radians(small.outer_latitude_deg[i]), np.radians(small.outer_longitude_deg[i]),
                                500e3)
    g = r.geometry(p)
    d_det = float(r.detection_range_m(0.01, off_boresight_rad=g.off_boresight_rad))
    assert float(g.range_m) / 1e3 == pytest.approx(d_det / 1e3, abs=1.0)


# ------------------------------------------------------------------------------------------------ detection
def test_helpers():
    assert m_of_n_first([False, True, False, False, True, True], 2, 3) == 5
    assert m_of_n_first([True, False, False, True], 2, 3) == -1
    np.testing.assert_array_equal(visibility_windows([0, 2, 4, 6], [True, True, False, True]), [[0, 2], [6, 6]])


def test_hermite_interpolation_of_truth(flight):
    t, r, v = flight
    ri, vi = interpolate_state(t[::2], r[::2], v[::2], t[1::2][:50])
    assert np.abs(ri - r[1::2][:50]).max() < 1.0       # m, 4 s knots
    assert np.abs(vi - v[1::2][:50]).max() < 0.05      # m/s


def test_cued_radar_needs_a_cue(flight):
    t, r, v = flight
    brdy = catalog.radar("brdy")
    res = detect(brdy, t, r, v, rng=np.random.default_rng(1), rcs_m2=0.1)
    assert np.isnan(res.first_detection_t_s) and len(res.measurements) == 0 and res.look_t_s.size == 0
    cue = 100.0
    res = detect(brdy, t, r, v, rng=np.random.default_rng(1), rcs_m2=0.1, cue_t_s=cue)
    assert res.look_t_s.min() >= cue + brdy.handover_delay_s - 1e-9
    assert res.first_detection_t_s >= res.first_visible_t_s - 2.0   # windows at the 2 s truth resolution
    assert res.track_t_s >= res.first_detection_t_s
    assert len(res.measurements) > 100


def test_handover_chain_and_reproducibility(flight):
    t, r, v = flight
    sensors = [catalog.infrared("ew-satellites"), catalog.radar("gabala"), catalog.radar("brdy")]
    a = detect_all(sensors, t, r, v, rng=np.random.default_rng(3), rcs_m2=0.1, t_burnout_s=60.0)
    b = detect_all(sensors, t, r, v, rng=np.random.default_rng(3), rcs_m2=0.1, t_burnout_s=60.0)
    assert [x.track_t_s for x in a] == [x.track_t_s for x in b]
    np.testing.assert_array_equal(a[2].measurements.range_m, b[2].measurements.range_m)
    cue = min(x.report_t_s for x in a[:2])
    assert a[2].cue_t_s == pytest.approx(cue)
    assert a[0].report_t_s == pytest.approx(a[0].track_t_s + 30.0)


def test_measurement_errors_match_their_sigmas(flight):
    """Normalised errors (measured - true)/sigma have unit spread: 0.85 < std < 1.15 over several hundred."""
    t, r, v = flight
    brdy = catalog.radar("brdy")
    res = detect(brdy, t, r, v, rng=np.random.default_rng(11), rcs_m2=0.1, cue_t_s=0.0)
    m = res.measurements
    assert isinstance(m, Measurements) and len(m) > 300 and m.has_range_rate
    _, vt = interpolate_state(t, r, v, m.t_s)
    az, el, rg = frames.ecef_to_aer(m.truth_r_ecef, *brdy.site_rad)
    rdot = np.einsum("ij,ij->i", vt, (m.truth_r_ecef - brdy.site_ecef) / rg[:, None])
    dz = np.angle(np.exp(1j * (m.azimuth_rad - az)))
    for err, sig in ((m.range_m - rg, m.sigma_range_m), (dz, m.sigma_angle_rad),
                     (m.elevation_rad - el, m.sigma_angle_rad), (m.range_rate_mps - rdot, m.sigma_range_rate_mps)):
        assert 0.85 < np.std(err / sig) < 1.15
    # every measurement lies where the radar can see
    assert np.all(el >= brdy.min_elevation_rad - 1e-9)
    sr, sa, _ = brdy.sigmas(rq.from_db(m.snr_db))
    np.testing.assert_allclose(m.sigma_range_m, sr, rtol=1e-12)


def test_search_radar_confirms_with_m_of_n(flight):
    t, r, v = flight
    gab = catalog.radar("gabala")
    res = detect(gab, t, r, v, rng=np.random.default_rng(5), rcs_m2=1.0)
    assert np.isfinite(res.track_t_s)
    m, n = gab.m_of_n
    # the confirmation uses track dwells after the first hit; the track is set at the m-th hit
    after = (res.look_t_s >= res.first_detection_t_s) & (res.look_t_s <= res.track_t_s)
    assert res.detected[after].sum() >= m
    assert not gab.measures_range_rate and not res.measurements.has_range_rate


def test_infrared_sees_only_boost_above_clouds(flight):
    t, r, v = flight
    ir = catalog.infrared("ew-satellites")
    res = detect(ir, t, r, v, rng=np.random.default_rng(2), t_burnout_s=120.0)
    m = res.measurements
    assert len(m) > 0 and np.all(m.t_s <= 120.0)
    assert np.all(np.isnan(m.range_m)) and np.all(m.sigma_angle_rad == pytest.approx(ir.los_sigma_rad))
    assert res.report_t_s == pytest.approx(res.track_t_s + ir.latency_s)
    high = dataclasses.replace(ir, cloud_top_m=2000e3)
    assert np.isnan(detect(high, t, r, v, rng=np.random.default_rng(2), t_burnout_s=120.0).first_detection_t_s)
    with pytest.raises(InputError, match="burnout"):
        detect(ir, t, r, v, rng=np.random.default_rng(2))


def test_negative_rcs_is_refused(flight):
    t, r, v = flight
    with pytest.raises(InputError, match="rcs"):
        detect(catalog.radar("gabala"), t, r, v, rng=np.random.default_rng(0), rcs_m2=-1.0)


# --------------------------------------------------------------------------------------------------- unseen
def test_unseen_ground_range(flight):
    t, r, v = flight
    brdy = catalog.radar("brdy")
    small = coverage.unseen_ground_range([brdy], t, r, v, rcs_m2=0.01)
    big = coverage.unseen_ground_range([brdy], t, r, v, rcs_m2=1.0)
    assert small.radar == brdy.name
    assert 0.0 < big.ground_range_m <= small.ground_range_m < small.total_ground_range_m
    # just before the first-seen time the radar cannot detect, just after it can
    for dt, ok in ((-0.01, False), (0.01, True)):
        p, _ = interpolate_state(t, r, v, [small.first_seen_t_s + dt])
        assert bool(brdy.coverable(brdy.geometry(p), 0.01)[0]) is ok
    both = coverage.unseen_ground_range([brdy, catalog.radar("gabala")], t, r, v, rcs_m2=0.01)
    assert both.ground_range_m <= small.ground_range_m
