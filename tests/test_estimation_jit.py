"""The compiled filter kernels (:mod:`bmdsim.core.estimation_jit`, issue 9 build 8) against their numpy
reference peers (``*_reference`` in :mod:`bmdsim.core.estimation` and :mod:`bmdsim.sensing.tracking`).

Both evaluate the same models with the same RK4 steps; they differ in the order of floating-point operations, the
geodetic height (Bowring's one-step form of the flight engine, 4e-9 m from the closed form, against Heikkinen's
closed form) and, in the flight to the ground, where the secant stops (each row within 1 mm of the crossing
height, against all rows together). So the tolerances below are far above what is seen (1e-8 m on tracks, a few
mm on impact points) and far below what matters (a track's position sigma is tens of metres, a PIP's ellipse
hundreds): position within 1 m and velocity within 1 mm/s over a full propagation or track, impact points within
5 cm (1 mm in height on a 2-10 deg descent is up to 3 cm along the ground), impact times within 1 ms.
"""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.core import estimation as est
from bmdsim.core import frames
from bmdsim.flight.fly import Options, fly_ballistic
from bmdsim.scenario.load import load_scenario
from bmdsim.scenario.sensing import observe_scenario_threat
from bmdsim.sensing import tracking as tk

POS_M, VEL_MPS, PIP_M, T_S = 1.0, 1e-3, 0.05, 1e-3


def _states(rng, n, alt_m, speed_mps, dive, *, beta=3000.0):
    """``n`` ECI states at ``alt_m`` over Europe, heading north-east and down by ``dive`` (rad), scattered by
    1 km and 10 m/s, with the drag state of ``beta`` (kg/m2, times a factor up to 3)."""
    lat, lon = np.radians(50.0), np.radians(10.0)
    r = frames.geodetic_to_ecef(lat, lon, alt_m)
    e, nn, u = frames.enu_basis(lat, lon)
    v = speed_mps * (np.cos(dive) * (0.6 * e + 0.8 * nn) - np.sin(dive) * u)
    x = np.concatenate([r, v])[None] + rng.normal(0.0, [1e3] * 3 + [10.0] * 3, (n, 6))
    return np.concatenate([x, -np.log(beta * rng.uniform(1 / 3, 3, (n, 1)))], axis=1)


def _close(a, b):
    assert np.max(np.abs(a[..., :3] - b[..., :3])) < POS_M
    assert np.max(np.abs(a[..., 3:6] - b[..., 3:6])) < VEL_MPS
    if a.shape[-1] == 7:
        assert np.max(np.abs(a[..., 6] - b[..., 6])) < 1e-9


@pytest.mark.parametrize("nx", [6, 7])
def test_propagation_and_its_transition_matrix_match_the_numpy_reference(nx):
    """A 10 min midcourse arc (5 s steps, from 600 km) and a reentry through the dense air (from 60 km at 5 km/s,
    40 s, 17 g of drag for the light rows), times per row of both signs and zero: states within 1 m and 1 mm/s,
    Phi within 1e-9 of its largest element."""
    rng = np.random.default_rng(3)
    for x, dt in ((_states(rng, 6, 600e3, 7000.0, 0.1), 600.0),
                  (_states(rng, 6, 60e3, 5000.0, 0.4), np.array([40.0, -20.0, 0.0, 7.5, 40.0, 3.0]))):
        x = x[:, :nx]
        a, pa = est.propagate_ballistic(x, dt, stm=True)
        b, pb = est.propagate_ballistic_reference(x, dt, stm=True)
        _close(a, b)
        assert np.max(np.abs(pa - pb)) < 1e-9 * np.max(np.abs(pb))
        assert np.array_equal(est.propagate_ballistic(x, dt), a)          # the state alone: the same numbers
    x = _states(rng, 3, 60e3, 5000.0, 0.4)
    assert np.array_equal(est.propagate_ballistic(x, 0.0), x)


def test_ekf_predict_and_update_match_the_numpy_reference():
    """EKF prediction (drag state, white-noise acceleration) and update with and without range rate, a miss
    (NaN report) and a row whose azimuth residual straddles north (2 pi - 0.2 mrad against 0.2 mrad): equal to
    the numpy reference within 1e-9 relative; the miss keeps its prior, the straddling residual is -0.4 mrad."""
    rng = np.random.default_rng(4)
    x = _states(rng, 4, 80e3, 6000.0, 0.3)
    P = np.diag([1e4] * 3 + [1e2] * 3 + [1.0])[None] * rng.uniform(0.5, 2.0, (4, 1, 1))
    (xa, Pa), (xb, Pb) = (f(x, P, 4.0, 1e-2) for f in (est.ekf_predict_ballistic,
                                                        est.ekf_predict_ballistic_reference))
    _close(xa, xb)
    assert np.max(np.abs(Pa - Pb)) < 1e-9 * np.max(np.abs(Pb))
    lat, lon = np.radians(49.0), np.radians(10.0)
    site_r, site_v, enu = (a[0] for a in est.radar_site_eci(lat, lon, 300.0, 100.0))
    z = est.radar_measure(xa, site_r, enu, site_v, range_rate=True)
    z += rng.normal(0.0, [30.0, 5e-4, 5e-4, 1.0], z.shape)
    z[2] = np.nan
    north = site_r + 200e3 * enu[1] + 100e3 * enu[2] + 40.0 * enu[0]        # 0.2 mrad east of north
    xa[3, :3] = north
    z[3] = est.radar_measure(xa[3:], site_r, enu, site_v, range_rate=True)[0]
    z[3, 1] = 2 * np.pi - 2e-4
    sigma = np.array([[30.0, 5e-4, 5e-4, 1.0]])
    for nz in (3, 4):
        a = est.ekf_update_radar(xa, Pa, z[:, :nz], sigma[:, :nz], site_r, enu, site_v)
        b = est.ekf_update_radar_reference(xa, Pa, z[:, :nz], sigma[:, :nz], site_r, enu, site_v)
        _close(a[0], b[0])
        for p, q in zip(a[1:], b[1:], strict=True):
            assert np.max(np.abs(p - q)) < 1e-9 * np.max(np.abs(q))
        assert np.array_equal(a[0][2], xa[2]) and np.array_equal(a[1][2], Pa[2]) and np.all(a[2][2] == 0.0)
        assert a[2][3, 1] == pytest.approx(-4e-4, abs=1e-6)


def test_flight_to_the_ground_matches_the_numpy_reference():
    """Vacuum and drag rows from midcourse (600 km) and reentry (80 km), a row below ground and a row that does
    not come down within the time limit: impact points within 5 cm, times within 1 ms, the same NaN rows."""
    rng = np.random.default_rng(5)
    x = np.concatenate([_states(rng, 5, 600e3, 6500.0, 0.2), _states(rng, 5, 80e3, 6000.0, 0.3),
                        _states(rng, 1, -100.0, 6000.0, 0.3)])
    for nx, limit in ((6, 4000.0), (7, 4000.0), (7, 100.0)):
        (ta, xa), (tb, xb) = (f(x[:, :nx], 10.0, max_time_s=limit) for f in (tk.propagate_to_altitude,
                                                                               tk.propagate_to_altitude_reference))
        assert np.array_equal(np.isnan(ta), np.isnan(tb)) and np.isnan(ta[-1])
        assert np.isnan(ta[:5]).all() == (limit < 200.0)
        ok = np.isfinite(ta)
        assert np.max(np.abs(ta[ok] - tb[ok])) < T_S
        assert np.max(np.linalg.norm(xa[ok, :3] - xb[ok, :3], axis=-1)) < PIP_M


@pytest.fixture
def numpy_path(monkeypatch):
    """The numpy reference path of the filter and the PIP, for the duration of a test."""
    def use():
        for mod, name, peer in tk.reference_peers():
            monkeypatch.setattr(mod, name, peer)
    return use


def test_track_and_pips_match_the_numpy_reference(numpy_path):
    """A light body (beta 2,000 kg/m2) tracked in reentry from 250 km, reports every second with range rate on
    every other one (the compiled pass switches between 3 and 4 components): states within 1 m and 1 mm/s
    after every update, NIS within 1e-6, PIPs within 5 cm."""
    f = fly_ballistic(35.0, 45.0, 100e3, 6500.0, 25.0, 300.0, target_altitude_m=0.0, beta_kg_m2=2000.0,
                      options=Options(dense_dt_s=1.0, dense_n=2500))
    _, _, h = f.geodetic()
    k = int(np.isfinite(h[0]).sum())
    idx = np.arange(int(np.flatnonzero((h[0] < 250e3) & (np.arange(h.shape[1]) > np.nanargmax(h[0])))[0]), k)
    site = (np.radians(f.impact_latitude_deg[0] + 0.8), np.radians(f.impact_longitude_deg[0] + 0.5), 100.0)
    t, r, v = f.t_s[0, idx], f.r_ecef[0, idx], f.v_ecef[0, idx]
    rng = np.random.default_rng(6)
    az, el, rg = frames.ecef_to_aer(r, *site)
    rr = np.einsum("ij,ij->i", r - frames.geodetic_to_ecef(*site), v) / rg + 0.5 * rng.standard_normal(idx.size)
    rr[::2] = np.nan
    n = idx.size
    rep = tk.RadarReports(t_s=t, range_m=rg + 10.0 * rng.standard_normal(n),
                          azimuth_rad=np.mod(az + 5e-4 * rng.standard_normal(n), 2 * np.pi),
                          elevation_rad=el + 5e-4 * rng.standard_normal(n), sigma_range_m=np.full(n, 10.0),
                          sigma_angle_rad=np.full(n, 5e-4), range_rate_mps=rr, sigma_range_rate_mps=np.full(n, 0.5),
                          site_lat_rad=site[0], site_lon_rad=site[1], site_alt_m=site[2])
    a = tk.track_object([rep], pip_every=10)
    numpy_path()
    b = tk.track_object([rep], pip_every=10)
    _close(a.x_eci, b.x_eci)
    assert np.nanmax(np.abs(a.nis - b.nis)) < 1e-6
    _same_pips(a.pip, b.pip)


def _same_pips(a, b):
    ok = np.isfinite(b.latitude_deg)
    assert np.array_equal(np.isfinite(a.latitude_deg), ok) and ok.sum() >= 3
    assert np.max(np.linalg.norm(a.r_impact_ecef[ok] - b.r_impact_ecef[ok], axis=-1)) < PIP_M
    assert np.max(np.abs(a.t_impact_s[ok] - b.t_impact_s[ok])) < T_S
    assert np.max(np.abs(a.semi_major_km[ok] - b.semi_major_km[ok])) < PIP_M / 1e3


def test_the_runs_track_is_unchanged(numpy_path):
    """test-small's iran-berlin exactly as the run observes it (same flight, sensors, random stream): the same
    detections to the bit (the filter takes no random draw), the fused track within 1 m and 1 mm/s, its PIPs
    within 5 cm."""
    scn = load_scenario("test-small").scenario
    a = observe_scenario_threat(scn, "iran-berlin")
    numpy_path()
    b = observe_scenario_threat(scn, "iran-berlin")
    for p, q in zip(a.detections, b.detections, strict=True):
        for name in ("t_s", "range_m", "azimuth_rad", "elevation_rad", "range_rate_mps"):
            assert np.array_equal(getattr(p.measurements, name), getattr(q.measurements, name), equal_nan=True)
    assert a.track.t_s.size > 100
    _close(a.track.x_eci, b.track.x_eci)
    _same_pips(a.track.pip, b.track.pip)
