"""Flight engine: closed-form two-body arcs (Bate, Mueller & White ch. 6), energy conservation, J2 nodal
precession, the solve_ivp oracle, targeting on the rotating Earth, and input errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmdsim.core import frames, geodesy, gravity, kepler
from bmdsim.core.constants import GM_EARTH_M3_S2, R_SPHERE_M
from bmdsim.errors import InputError, UnreachableError
from bmdsim.flight import catalog
from bmdsim.flight.fly import Options, fly, fly_ballistic
from bmdsim.flight.targeting import solve

# the closed-form checks hold the integrator to 1 m over 10,000 km: one decade tighter than the default
# free-flight tolerance (which gives about 1.3 m there)
TWO_BODY = Options(rotation=False, j2=False, drag=False, sphere=True, max_time_s=50_000.0, rtol=1e-10, atol_m=1e-3)


def test_minimum_energy_10000_km():
    # Minimum-energy ICBM to 10,000 km on a 6,371 km sphere: gamma = (180 - 89.93)/4 = 22.52 deg (BMW eq.
    # 6.2-15) and v = 7.198 km/s (BMW eq. 6.2-16; the familiar "about 7.2 km/s" of e.g. Wright, Science &
    # Global Security 1998 for 10,000 km)
    v, g = kepler.minimum_energy(10_000e3 / R_SPHERE_M, R_SPHERE_M)
    assert np.degrees(g) == pytest.approx(22.517, abs=1e-3)
    assert v == pytest.approx(7198.1, abs=0.5)


@pytest.mark.parametrize("v,gamma,alt", [(7198.08, 22.517, 0.0), (3000.0, 45.0, 0.0), (5000.0, 30.0, 100e3),
                                         (6500.0, 60.0, 200e3), (7600.0, 10.0, 150e3)])
def test_engine_reproduces_the_two_body_arc(v, gamma, alt):
    f = fly_ballistic(0.0, 0.0, alt, v, gamma, 90.0, options=TWO_BODY)
    r = R_SPHERE_M + alt
    g = np.radians(gamma)
    psi = kepler.range_angle(v, g, r)
    assert f.status[0] == 0
    # along the equator the impact longitude is the range angle; 1 m on the ground
    assert abs(np.radians(f.impact_longitude_deg[0]) - psi) * R_SPHERE_M < 1.0
    assert f.time_of_flight_s[0] == pytest.approx(kepler.time_of_flight(v, g, r), abs=0.01)
    assert f.apogee_m[0] == pytest.approx(kepler.apogee_radius(v, g, r) - R_SPHERE_M, abs=1.0)


@settings(max_examples=40, deadline=None)
@given(st.floats(500, 7800), st.floats(1, 89))
def test_closed_form_inverse_round_trip(v, gamma):
    psi = kepler.range_angle(v, np.radians(gamma), R_SPHERE_M)
    assert np.isfinite(psi)
    v2 = kepler.burnout_speed_for_range(psi, np.radians(gamma), R_SPHERE_M)
    assert v2 == pytest.approx(v, rel=1e-6)


def test_vacuum_coast_conserves_energy():
    # Energy at impact (an event state) against burnout, over a 2,700 km arc with J2 off, at a tight tolerance
    # (at the default rtol = 1e-10 the drift is ~3e-8; it shrinks with the tolerance as a 5th-order method's
    # should)
    f = fly_ballistic(30.0, 10.0, 200e3, 6500.0, 35.0, 45.0, options=Options(rotation=False, j2=False,
                                                                            drag=False, rtol=1e-13,
                                                                            atol_m=1e-6))

    def energy(r, v):
        return 0.5 * np.sum(v**2, axis=-1) - GM_EARTH_M3_S2 / np.linalg.norm(r, axis=-1)

    e0 = energy(f.r_burnout_ecef[0], f.v_burnout_ecef[0])
    e1 = energy(f.r_impact_ecef[0], f.v_impact_ecef[0])
    assert abs(e1 / e0 - 1) < 1e-9


def test_j2_nodal_precession_matches_the_analytic_rate():
    # a circular orbit at 700 km, inclination 50 deg, flown for 5 orbits; node drift vs Vallado eq. 9-41
    a = 6378137.0 + 700e3
    vc = np.sqrt(GM_EARTH_M3_S2 / a)
    opts = Options(rotation=False, j2=True, drag=False, max_time_s=30_000.0, dense_dt_s=10.0, dense_n=2900)
    f = fly_ballistic(0.0, 0.0, 700e3 - 0.0, vc, 0.0, 40.0, options=opts, target_altitude_m=-1e6)
    r, v = f.r_ecef[0], f.v_ecef[0]
    ok = np.isfinite(r[:, 0])
    h = np.cross(r[ok], v[ok])
    node = np.unwrap(np.arctan2(h[:, 0], -h[:, 1]))
    t = f.t_s[0][ok]
    rate = np.polyfit(t, node, 1)[0]
    inc = np.arccos(h[0, 2] / np.linalg.norm(h[0]))
    expected = gravity.nodal_precession_rate(a, 0.0, inc)
    # the osculating node oscillates twice per orbit; the fitted secular rate agrees within 2 %
    assert rate == pytest.approx(expected, rel=0.02)


def test_engine_matches_the_solve_ivp_oracle_within_10_m():
    rng = np.random.default_rng(3)
    v = catalog.get("icbm-solid-russia")
    n = 6
    lat, lon = rng.uniform(40, 60, n), rng.uniform(30, 90, n)
    az, kick = rng.uniform(0, 360, n), rng.uniform(20, 70, n)
    a = fly(v, lat, lon, az, kick, t_launch_s=500.0)
    b = fly(v, lat, lon, az, kick, t_launch_s=500.0, integrator="oracle")
    assert np.all(a.status == 0) and np.all(b.status == 0)
    d, _ = geodesy.inverse(a.impact_latitude_deg, a.impact_longitude_deg, b.impact_latitude_deg,
                           b.impact_longitude_deg)
    assert np.max(d) < 10.0
    assert np.max(np.abs(a.t_burnout_s - b.t_burnout_s)) < 1e-6
    assert np.max(np.abs(a.burnout_speed_mps - b.burnout_speed_mps)) < 0.01


def test_dense_output_matches_the_oracle():
    # the engine's Hermite dense output against solve_ivp's own dense output on the same grid: within 10 m
    v = catalog.get("sejjil-2")
    opts = Options(dense_dt_s=5.0, dense_n=200)
    a = fly(v, 30.0, 50.0, 45.0, 20.0, options=opts)
    b = fly(v, 30.0, 50.0, 45.0, 20.0, options=opts, integrator="oracle")
    assert np.array_equal(np.isnan(a.r_ecef), np.isnan(b.r_ecef))
    assert np.nanmax(np.linalg.norm(a.r_ecef - b.r_ecef, axis=-1)) < 10.0


def test_engine_matches_an_independent_numpy_coding_of_the_equations():
    # core.oracle.rhs_numpy codes the equations again from the core modules (gravity, frames, atmosphere table,
    # scipy's PCHIP and cubic Hermite splines for the tables): a check on the compiled right-hand side, not only
    # on the integrator. Within 10 m at impact.
    import functools

    from bmdsim.core import oracle

    v = catalog.get("icbm-solid-russia")
    lat, lon, az, kick = [54.03, 56.85], [35.77, 40.53], [320.0, 330.0], [60.0, 40.0]
    a = fly(v, lat, lon, az, kick, t_launch_s=100.0)
    b = fly(v, lat, lon, az, kick, t_launch_s=100.0, integrator=functools.partial(oracle.integrate, rhs="numpy"))
    d, _ = geodesy.inverse(a.impact_latitude_deg, a.impact_longitude_deg, b.impact_latitude_deg,
                           b.impact_longitude_deg)
    assert np.all(b.status == 0) and np.max(d) < 10.0
    assert np.max(np.abs(a.t_impact_s - b.t_impact_s)) < 0.05


def test_drag_shortens_the_range_and_rotation_helps_eastward():
    base = dict(latitude_deg=0.0, longitude_deg=0.0, altitude_m=0.0, speed_mps=4000.0, gamma_deg=40.0)
    east = fly_ballistic(azimuth_deg=90.0, **base, options=Options(drag=False))
    west = fly_ballistic(azimuth_deg=270.0, **base, options=Options(drag=False))
    dragged = fly_ballistic(azimuth_deg=90.0, beta_kg_m2=500.0, **base, options=Options(drag=True))
    # at the same Earth-relative burnout velocity an eastward shot flies farther than a westward one (its
    # inertial speed is higher by omega R cos(lat) = 465 m/s at the equator)
    assert east.range_m[0] > west.range_m[0] + 100e3
    assert dragged.range_m[0] < east.range_m[0]


def test_events_are_in_order():
    v = catalog.get("icbm-liquid-10000")
    f = fly(v, 35.2, 53.9, 320.0, 8.0)
    assert f.status[0] == 0
    assert f.t_launch_s[0] < f.t_burnout_s[0] < f.t_apogee_s[0] < f.t_reentry_s[0] < f.t_impact_s[0]
    assert np.all(np.diff(f.t_stage_burnout_s[0]) > 0)
    assert f.t_burnout_s[0] == pytest.approx(250.0)


def test_targeting_lands_within_100_m_on_the_rotating_earth():
    v = catalog.get("icbm-solid-russia")
    launch = [(54.03, 35.77), (56.85, 40.53)]
    target = [(38.91, -77.04), (40.71, -74.01)]
    for profile in ("minimum-energy", "lofted", "depressed"):
        s = solve(v, [p[0] for p in launch], [p[1] for p in launch], [p[0] for p in target],
                  [p[1] for p in target], profile=profile, t_launch_s=100.0)
        assert np.all(s.miss_m < 100.0), (profile, s.miss_m)
        d, _ = geodesy.inverse(s.flights.impact_latitude_deg, s.flights.impact_longitude_deg,
                               [p[0] for p in target], [p[1] for p in target])
        assert np.all(d < 100.0)
    lofted = solve(v, 54.03, 35.77, 38.91, -77.04, profile="lofted")
    depressed = solve(v, 54.03, 35.77, 38.91, -77.04, profile="depressed")
    assert lofted.flights.apogee_m[0] > depressed.flights.apogee_m[0]


def test_targeting_with_apogee():
    v = catalog.get("irbm-3700")
    s = solve(v, 35.23, 53.92, 52.23, 21.01, profile="lofted", apogee_m=1200e3)
    assert s.miss_m[0] < 100.0
    assert s.flights.apogee_m[0] == pytest.approx(1200e3, abs=200.0)


def test_targeting_with_burnout_angle():
    v = catalog.get("irbm-3700")
    for gamma in (20.0, 45.0):
        s = solve(v, 35.23, 53.92, 52.23, 21.01, profile="lofted", burnout_gamma_deg=gamma)
        assert s.miss_m[0] < 100.0
        assert np.degrees(s.flights.burnout_gamma_rad[0]) == pytest.approx(gamma, abs=0.02)


def test_pitch_program_engine_matches_oracle_and_vertical_falls_back():
    v = catalog.get("sejjil-2")
    prog = ([0.0, 10.0, 60.0, 120.0], [0.0, 5.0, 40.0, 60.0])
    a = fly(v, 30.0, 50.0, 45.0, 0.0, pitch_program=prog)
    b = fly(v, 30.0, 50.0, 45.0, 0.0, pitch_program=prog, integrator="oracle")
    d, az = geodesy.inverse(a.impact_latitude_deg, a.impact_longitude_deg, b.impact_latitude_deg,
                            b.impact_longitude_deg)
    assert d[0] < 10.0
    # the program pitches toward the launch azimuth: on a still Earth the impact lies along it (0.1 deg: the
    # launch plane is a plane through the centre, a normal section, not quite the ellipsoidal geodesic)
    still = fly(v, 30.0, 50.0, 45.0, 0.0, pitch_program=prog, options=Options(rotation=False))
    _, az_imp = geodesy.inverse(30.0, 50.0, still.impact_latitude_deg, still.impact_longitude_deg)
    assert abs(((az_imp - 45.0) + 180) % 360 - 180) < 0.1
    # straight up (along the geocentric radius) on a still Earth in vacuum with radial gravity: back down on
    # the pad (within 1 m)
    up = fly(v, 30.0, 50.0, 45.0, 0.0, pitch_program=([0.0, 200.0], [0.0, 0.0]),
             options=Options(rotation=False, drag=False, j2=False))
    assert up.range_m[0] < 1.0


def test_unreachable_and_bad_input():
    v = catalog.get("shahab-3")
    with pytest.raises(UnreachableError, match="reaches about"):
        solve(v, 35.23, 53.92, 52.52, 13.40)
    with pytest.raises(InputError, match="latitude"):
        solve(v, 95.0, 53.92, 52.52, 13.40)
    with pytest.raises(InputError, match="speed"):
        fly_ballistic(0, 0, 0, -5.0, 30, 90)


@settings(max_examples=30, deadline=None)
@given(st.floats(-89.9, 89.9), st.floats(-180, 180), st.floats(0, 360), st.floats(0.5, 89.5))
def test_any_launch_lands_without_nan(lat, lon, az, kick):
    f = fly(catalog.get("sejjil-2"), lat, lon, az, kick)
    assert f.status[0] == 0
    assert np.isfinite(f.impact_latitude_deg[0]) and np.isfinite(f.t_impact_s[0])
    assert 0 < f.range_m[0] < 3000e3


def test_catalog_interceptor_speeds_match_their_claims():
    from bmdsim.flight.sizing import reference_burnout_speed

    for name in catalog.interceptor_names():
        v = catalog.get(name)
        assert reference_burnout_speed([v])[0] == pytest.approx(v.claim["burnout_speed_mps"], abs=2.0)


def test_catalog_threat_ranges_match_their_claims():
    from bmdsim.flight.targeting import range_table

    for name in catalog.threat_names():
        v = catalog.get(name)
        _, r, _ = range_table(v)
        # fitted on a 0.5 deg kick grid: within 1 % of the claimed maximum range
        assert np.nanmax(r) / 1e3 == pytest.approx(v.claim["max_range_km"], rel=0.01)


def test_dense_output_geodetic():
    f = fly(catalog.get("shahab-3"), 35.2, 53.9, 300.0, 20.0, options=Options(dense_dt_s=1.0, dense_n=900))
    lat, lon, h = f.geodetic()
    ok = np.isfinite(h[0])
    assert h[0][ok].max() == pytest.approx(f.apogee_m[0], abs=50.0)
    assert abs(h[0][0]) < 1.0
    assert frames.geodetic_altitude(f.r_ecef[0][ok]).min() > -1.0


def test_drag_coefficient_curve_is_scipy_pchip():
    # the engine's smooth Cd(Mach) against scipy's PchipInterpolator (Fritsch-Carlson) on the same table
    from scipy.interpolate import PchipInterpolator

    from bmdsim.core.engine import _cd
    from bmdsim.flight.vehicle import DEFAULT_CD_MACH, MACH_GRID

    cd = np.array([c for _, c in DEFAULT_CD_MACH])
    mach = np.linspace(0.0, 30.0, 1501)
    ours = np.array([_cd(MACH_GRID, cd, m) for m in mach])
    assert np.max(np.abs(ours - PchipInterpolator(MACH_GRID, cd)(mach))) < 1e-12


@settings(max_examples=25, deadline=None)
@given(st.floats(-70, 70), st.floats(-180, 180), st.floats(-70, 70), st.floats(-180, 180))
def test_targeting_over_the_globe_lands_or_says_why(lat0, lon0, lat1, lon1):
    """Any launch/target pair: the solver either lands within 100 m, or says the target is out of reach (an
    error, or a finite miss when the turning Earth puts the target just beyond reach); never NaN, never a hang."""
    v = catalog.get("icbm-solid-russia")
    d, _ = geodesy.inverse(lat0, lon0, lat1, lon1)
    try:
        s = solve(v, lat0, lon0, lat1, lon1)
    except UnreachableError:
        assert d > 9_000e3
        return
    except InputError:
        assert d < 50e3
        return
    assert np.isfinite(s.miss_m[0])
    if d < 9_000e3:
        assert s.miss_m[0] < 100.0, (d, s.miss_m[0])


def test_rotate_to_ecef_equals_the_numpy_rotation_to_the_bit():
    """fly's compiled ECI -> ECEF step (rotation about z by -omega t, less omega x r) against the numpy
    expressions it replaced (session 3's _results), on a dense-output-shaped batch with NaN rows after impact
    and on event states (N, 6); no fused multiply-add, so equal element by element."""
    from bmdsim.core.constants import OMEGA_EARTH_RAD_S as w
    from bmdsim.flight.fly import rotate_to_ecef

    def reference(y, t):
        c, s = np.cos(-w * t)[..., None], np.sin(-w * t)[..., None]

        def rot(a):
            return np.concatenate([c * a[..., :1] - s * a[..., 1:2], s * a[..., :1] + c * a[..., 1:2], a[..., 2:]],
                                  axis=-1)

        r = rot(y[..., :3])
        return r, rot(y[..., 3:]) - np.stack([-w * r[..., 1], w * r[..., 0], np.zeros_like(r[..., 0])], axis=-1)

    rng = np.random.default_rng(7)
    y = rng.normal(size=(40, 300, 6)) * np.array([7e6, 7e6, 7e6, 7e3, 7e3, 7e3])
    y[:, 250:] = np.nan
    t = 3.0 * np.arange(300.0) + rng.uniform(0, 1e4, (40, 1))
    for yy, tt in ((y, t), (y[:, 7], t[:, 7])):
        got = rotate_to_ecef(yy, np.cos(-w * tt), np.sin(-w * tt), w)
        for g, want in zip(got, reference(yy, tt), strict=True):
            assert g.shape == want.shape
            np.testing.assert_array_equal(g, want)
