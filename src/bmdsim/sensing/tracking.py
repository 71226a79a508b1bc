"""Tracking ballistic objects with radars: initiation, filtering, association, fusion, predicted impact point.

Built on the batched kernels of :mod:`bmdsim.core.estimation`. States are ``x_eci`` (m, m/s) in the
epoch-aligned ECI frame, where the ballistic motion model (gravity point mass + J2) holds without fictitious
forces.

Entry points
------------
- :func:`track_object`: one object seen by one or several radars (centralized fusion: every report of every
  radar updates the one track in time order). Returns a :class:`TrackResult` with the state, covariance, NIS
  and the predicted impact point (PIP) with its uncertainty ellipse after every update.
- :func:`track_batch`: the same filter over ``M`` Monte Carlo trials at once (arrays ``(M, K, ...)``).
- :class:`Tracker`: several objects in each scan: gating, global nearest neighbour association, track
  initiation (two-point), confirmation and deletion after misses.
- :func:`predicted_impact_point`: PIP and its ellipse from any state and covariance (batched).

Drag: a filter whose state is position and velocity (``drag=False``) flies the PIP in vacuum, so during reentry
it lies long of the true impact point by the range the atmosphere takes away (a few hundred metres for a heavy
reentry vehicle, tens of km for a light body). By default (``drag=True``, :func:`track_object`) the state gains
the log of the inverse ballistic coefficient, ``s = ln(1/beta)`` (:func:`bmdsim.core.estimation.with_drag_state`, prior
beta 5,000 kg/m2 within a factor 4.5 at 1 sigma), which the deceleration reveals below about 80 km; the filter
then predicts with drag (US Standard Atmosphere 1976, air turning with the Earth) and so does the PIP, which
follows from the length of the state: 6 vacuum, 7 with drag. Above the air the drag state keeps its prior and
the PIP's ellipse carries that uncertainty.
The PIP's point is the estimate flown down (:data:`PIP_POINT`), its ellipse the unscented transform's.
What the PIP ignores: lift, any future thrust or manoeuvre, and terrain (it stops at height 0 above the WGS84
ellipsoid). Its ellipse is the unscented transform of the track covariance through the flight to the
ground: the uncertainty of the state only, not of the model.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.stats import chi2

from bmdsim.core import estimation as est
from bmdsim.core import estimation_jit as _jit
from bmdsim.core import frames
from bmdsim.core.gravity import acceleration
from bmdsim.errors import InputError

__all__ = [
    "RadarReports",
    "TrackResult",
    "ImpactPrediction",
    "Track",
    "Tracker",
    "reports_from_measurements",
    "two_point_initiation",
    "track_object",
    "track_batch",
    "predicted_impact_point",
    "propagate_to_altitude",
    "propagate_to_altitude_reference",
    "reference_peers",
]

#: height above the crossing (m) above which :func:`propagate_to_altitude` takes 5 s steps with drag: at 150 km
#: the air (2e-9 kg/m3, US76) decelerates even a 100 kg/m2 body at 7 km/s by only 5e-4 m/s2, smoothly
#: (its time constant is hours), so the 1 s steps the dense air needs buy nothing there
COARSE_ABOVE_M = 150e3

#: the PIP's point: "estimate" (the track's state flown down) or "ut-mean" (the unscented transform's mean)
PIP_POINT = "estimate"

#: white-noise acceleration density (m2/s3): 0.1 m/s rms velocity walk over 1 s; tolerates small model errors
DEFAULT_Q_M2_S3 = 1e-2


@dataclass(frozen=True, slots=True, kw_only=True)
class RadarReports:
    """Reports of one radar on one object: arrays ``(K,)``; angles in rad, azimuth clockwise from north.

    ``range_rate_mps`` is NaN (or None) where the radar gives none; then ``sigma_range_rate_mps`` is ignored.
    """

    t_s: np.ndarray
    range_m: np.ndarray
    azimuth_rad: np.ndarray
    elevation_rad: np.ndarray
    sigma_range_m: np.ndarray
    sigma_angle_rad: np.ndarray
    site_lat_rad: float
    site_lon_rad: float
    site_alt_m: float
    range_rate_mps: np.ndarray | None = None
    sigma_range_rate_mps: np.ndarray | None = None
    sensor: str = ""


def reports_from_measurements(m) -> RadarReports:
    """Adapter from ``bmdsim.sensing.measurements.Measurements`` (or anything with the same attributes)."""
    k = np.asarray(m.t_s).shape

    def arr(name, default=np.nan):
        v = getattr(m, name, None)
        return np.broadcast_to(np.asarray(default if v is None else v, dtype=float), k)

    return RadarReports(t_s=arr("t_s"), range_m=arr("range_m"), azimuth_rad=arr("azimuth_rad"),
                        elevation_rad=arr("elevation_rad"), sigma_range_m=arr("sigma_range_m"),
                        sigma_angle_rad=arr("sigma_angle_rad"), range_rate_mps=arr("range_rate_mps"),
                        sigma_range_rate_mps=arr("sigma_range_rate_mps"), site_lat_rad=float(m.site_lat_rad),
                        site_lon_rad=float(m.site_lon_rad), site_alt_m=float(m.site_alt_m),
                        sensor=str(getattr(m, "sensor", "")))


@dataclass(frozen=True, slots=True, kw_only=True)
class ImpactPrediction:
    """Predicted impact points (height 0 on WGS84) and their 1-sigma ellipses, arrays ``(M,)``.

    ``semi_major_km``/``semi_minor_km`` are 1-sigma semi-axes in the local horizontal plane at the mean impact
    point; multiply by 2.448 for the 95 % ellipse (sqrt of chi-square(2) at 0.95). ``orientation_deg`` is
    the azimuth of the major axis, clockwise from north in [0, 180). NaN where the state never comes down
    within the time limit or is already below ground.
    """

    t_impact_s: np.ndarray
    latitude_deg: np.ndarray
    longitude_deg: np.ndarray
    semi_major_km: np.ndarray
    semi_minor_km: np.ndarray
    orientation_deg: np.ndarray
    sigma_t_impact_s: np.ndarray
    r_impact_ecef: np.ndarray

    def error_km(self, latitude_deg, longitude_deg) -> np.ndarray:
        """Distance (km) from the PIP to a point on the ellipsoid (e.g. the true impact point)."""
        truth = frames.geodetic_to_ecef(np.radians(latitude_deg), np.radians(longitude_deg), 0.0)
        return np.linalg.norm(self.r_impact_ecef - truth, axis=-1) / 1e3


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackResult:
    """One object's track after each update ``k`` (arrays ``(K, ...)``), ECI, seconds since the epoch.

    The first row is the initiated track (at the second report). ``sensor`` names the radar of each update;
    ``nis`` is NaN at initiation.
    """

    t_s: np.ndarray
    x_eci: np.ndarray
    P_eci: np.ndarray
    nis: np.ndarray
    sensor: np.ndarray
    pip: ImpactPrediction | None

    @property
    def position_sigma_m(self) -> np.ndarray:
        """Root of the trace of the position covariance (m), ``(K,)``."""
        return np.sqrt(np.trace(self.P_eci[:, :3, :3], axis1=-2, axis2=-1))


# ------------------------------------------------------------------------------------------ initiation
def two_point_initiation(z1, sigma1, site1, t1_s, z2, sigma2, site2, t2_s, *, v_sigma_floor_mps=0.0):
    """State ``(M, 6)`` and covariance ``(M, 6, 6)`` at ``t2_s`` from two radar reports of each trial.

    ``site1``/``site2`` are ``(site_r_eci, enu_eci)`` pairs (see
    :func:`bmdsim.core.estimation.radar_site_eci`), ``z`` ``(M, 3)`` = (range, az, el). Velocity by
    differencing, corrected for gravity over the interval (``v2 = (r2 - r1) / dt + g(r2) dt / 2``, exact for a
    uniform field); covariance from the linearized conversion of each report, ``P_v = (P1 + P2) / dt2``,
    ``P_rv = P2 / dt`` (two-point differencing, Bar-Shalom et al. 2001, sec. 5.5.3).
    """
    dt = np.asarray(t2_s, dtype=float) - np.asarray(t1_s, dtype=float)
    if np.any(~(dt > 0)):
        raise InputError("t2_s", float(np.min(dt)), "the second report must come after the first")
    r1, p1 = est.radar_to_position(np.asarray(z1)[..., :3], np.asarray(sigma1)[..., :3], *site1)
    r2, p2 = est.radar_to_position(np.asarray(z2)[..., :3], np.asarray(sigma2)[..., :3], *site2)
    dtc = np.broadcast_to(dt, r2.shape[:-1])[..., None]
    v2 = (r2 - r1) / dtc + 0.5 * acceleration(r2) * dtc
    x = np.concatenate([r2, v2], axis=-1)
    P = np.zeros(r2.shape[:-1] + (6, 6))
    d3 = dtc[..., None]
    P[..., :3, :3] = p2
    P[..., :3, 3:] = p2 / d3
    P[..., 3:, :3] = p2 / d3
    P[..., 3:, 3:] = (p1 + p2) / d3**2 + v_sigma_floor_mps**2 * np.eye(3)
    return x, P


# ------------------------------------------------------------------------------------------ batch filter
def _predict(method, x, P, dt, q, j2):
    if method == "ekf":
        return est.ekf_predict_ballistic(x, P, dt, q, j2=j2)
    return est.ukf_predict_ballistic(x, P, dt, q, j2=j2)


def _update(method, x, P, z, sigma, site_r, enu, site_v, valid=None):
    fn = est.ekf_update_radar if method == "ekf" else est.ukf_update_radar
    return fn(x, P, z, sigma, site_r, enu, site_v, valid)


def _check_method(method):
    if method not in ("ekf", "ukf"):
        raise InputError("method", method, "use 'ekf' or 'ukf'")


def track_batch(t_s, z, sigma, site_lat_rad, site_lon_rad, site_alt_m, *, x0_eci, P0_eci, t0_s,
                q=DEFAULT_Q_M2_S3, method: str = "ekf", j2: bool = True, valid=None):
    """Filter ``M`` trials over ``K`` radar updates at once, from a given initial state at ``t0_s``.

    ``t_s`` ``(K,)``; ``z`` ``(M, K, nz)`` (range, az, el[, range rate]), NaN rows are misses; ``sigma``
    ``(K, nz)`` or ``(M, K, nz)``; site angles/height scalars or ``(K,)`` (a radar per update: fusion);
    ``x0_eci`` ``(M, 6)``, ``P0_eci`` ``(M, 6, 6)`` or ``(6, 6)`` (7 with the drag state). Returns
    ``(x, P, nis)`` of shapes ``(M, K, n)``, ``(M, K, n, n)``, ``(M, K)`` (NIS NaN on a miss).
    """
    _check_method(method)
    t = np.asarray(t_s, dtype=float)
    z = np.asarray(z, dtype=float)
    m, k, nz = z.shape
    sig = np.broadcast_to(np.asarray(sigma, dtype=float), (m, k, nz))
    site_r, site_v, enu = est.radar_site_eci(site_lat_rad, site_lon_rad, site_alt_m, t)
    site_r, site_v = np.broadcast_to(site_r, (k, 3)), np.broadcast_to(site_v, (k, 3))
    enu = np.broadcast_to(enu, (k, 3, 3))
    x = np.array(x0_eci, dtype=float)
    nx = x.shape[-1]
    P = np.array(np.broadcast_to(P0_eci, (m, nx, nx)), dtype=float)
    xs, Ps, ns = np.empty((m, k, nx)), np.empty((m, k, nx, nx)), np.empty((m, k))
    t_prev = float(t0_s)
    for i in range(k):
        x, P = _predict(method, x, P, t[i] - t_prev, q, j2)
        t_prev = t[i]
        ok = None if valid is None else np.asarray(valid)[:, i]
        x, P, nu, S = _update(method, x, P, z[:, i], sig[:, i], site_r[i], enu[i], site_v[i], ok)
        ok_i = np.all(np.isfinite(z[:, i]), axis=-1) & (True if ok is None else ok)
        xs[:, i], Ps[:, i] = x, P
        ns[:, i] = np.where(ok_i, est.nis(nu, S), np.nan)
    return xs, Ps, ns


# ------------------------------------------------------------------------------------------ impact point
def _fall_steps(nx, max_step_s):
    """The fine and the coarse step (s) of the flight down: 5 s in vacuum, 1 s with drag (5 s above
    :data:`COARSE_ABOVE_M`)."""
    if max_step_s is None:
        max_step_s = 5.0 if nx == 6 else 1.0
    return max_step_s, (5.0 if nx == 7 and max_step_s < 5.0 else max_step_s)


def propagate_to_altitude(x_eci, t_s, *, altitude_m=0.0, max_step_s=None, max_time_s=4000.0, j2=True):
    """Fly ECI states ``(M, 6)`` (vacuum) or ``(M, 7)`` (with drag) at ``t_s`` down to a height above WGS84;
    returns ``(t_hit_s, x_hit_eci)``. Steps of ``max_step_s`` (default 5 s in vacuum, 1 s with drag: the drag
    time constant ``2 beta / (rho v)`` of a light body falls to a few seconds low in the air).

    Fixed RK4 steps until the height drops below ``altitude_m``, then secant iterations on the crossing time
    (to under 1 mm). Rows that start below it, or do not come down within ``max_time_s``, give NaN.
    Compiled, row by row (:func:`bmdsim.core.estimation_jit.fall`); :func:`propagate_to_altitude_reference` is
    the same in numpy over all rows at once.
    """
    x = np.ascontiguousarray(np.array(x_eci, dtype=float, ndmin=2))
    m = x.shape[0]
    fine, coarse = _fall_steps(x.shape[1], max_step_s)
    t0 = np.broadcast_to(np.asarray(t_s, dtype=float), (m,))
    tau, x_hit = _jit.fall(x, float(altitude_m), float(fine), float(coarse), COARSE_ABOVE_M, float(max_time_s),
                           bool(j2), est.air_rows())
    return t0 + tau, x_hit


def propagate_to_altitude_reference(x_eci, t_s, *, altitude_m=0.0, max_step_s=None, max_time_s=4000.0, j2=True):
    """:func:`propagate_to_altitude` in numpy, all rows stepped together: the reference peer (tests and
    ``benchmarks/bench_sensing.py``)."""
    x = np.array(x_eci, dtype=float, ndmin=2)
    m = x.shape[0]
    max_step_s, coarse = _fall_steps(x.shape[1], max_step_s)
    t0 = np.broadcast_to(np.asarray(t_s, dtype=float), (m,))
    tau = np.zeros(m)
    done = np.zeros(m, dtype=bool)
    h_prev = frames.geodetic_altitude(x[:, :3]) - altitude_m
    bad = ~(h_prev >= 0)
    active = ~bad
    lo_x, lo_h, lo_tau = x.copy(), h_prev.copy(), tau.copy()
    hi_h = np.full(m, np.nan)
    # with drag, 1 s steps are needed only in the air: a row more than COARSE_ABOVE_M above the crossing height
    # takes a 5 s step
    t_step = np.full(m, max_step_s)
    active &= tau < max_time_s
    while np.any(active):
        idx = np.flatnonzero(active)
        step = np.where(h_prev[idx] > COARSE_ABOVE_M, coarse, max_step_s)
        xn = est.propagate_ballistic_reference(x[idx], step, j2=j2, max_step_s=coarse)     # one RK4 step a row
        hn = frames.geodetic_altitude(xn[:, :3]) - altitude_m
        crossed = hn < 0
        ci = idx[crossed]
        lo_x[ci], lo_h[ci], lo_tau[ci], hi_h[ci], t_step[ci] = x[ci], h_prev[ci], tau[ci], hn[crossed], step[crossed]
        done[ci] = True
        active[ci] = False
        ni = idx[~crossed]
        x[ni], h_prev[ni], tau[ni] = xn[~crossed], hn[~crossed], tau[ni] + step[~crossed]
        active[ni] = tau[ni] < max_time_s
    # secant (regula falsi on the bracket [0, step]) for the crossing time from the last state above
    di = np.flatnonzero(done)
    a, b = np.zeros(di.size), t_step[di].copy()
    ha, hb = lo_h[di], hi_h[di]
    s = a
    xs = lo_x[di]
    for _ in range(30):
        s = b - hb * (b - a) / (hb - ha)
        xs = est.propagate_ballistic_reference(lo_x[di], s, j2=j2, max_step_s=max_step_s)   # |s| <= one step
        hs = frames.geodetic_altitude(xs[:, :3]) - altitude_m
        if np.all(np.abs(hs) < 1e-3):
            break
        left = hs > 0                                   # the crossing lies in [s, b]
        # Illinois variant of regula falsi: halve the kept end's height so the bracket shrinks on both sides
        a, ha = np.where(left, s, a), np.where(left, hs, 0.5 * ha)
        b, hb = np.where(left, b, s), np.where(left, 0.5 * hb, hs)
    t_hit = np.full(m, np.nan)
    x_hit = np.full((m, x.shape[1]), np.nan)
    t_hit[di] = t0[di] + lo_tau[di] + s
    x_hit[di] = xs
    return t_hit, x_hit


def predicted_impact_point(x_eci, P_eci, t_s, *, j2=True, max_step_s=None,
                           max_time_s=4000.0) -> ImpactPrediction:
    """PIP of tracks ``(M, 6)`` with covariance ``(M, 6, 6)`` at ``t_s``: vacuum flight to height 0 (with drag
    for 7-element states with the drag state), ellipse by the unscented transform (``2n + 1`` sigma points per
    track, each flown to the ground).

    >>> from bmdsim.core.frames import geodetic_to_ecef, enu_basis
    >>> r = geodetic_to_ecef(0.0, 0.0, 100e3); e, n, u = enu_basis(0.0, 0.0)
    >>> x = np.concatenate([r, 1000.0 * n - 500.0 * u])[None]
    >>> pip = predicted_impact_point(x, np.diag([1e4, 1e4, 1e4, 1.0, 1.0, 1.0])[None], 0.0)
    >>> bool(0.0 < pip.latitude_deg[0] < 3.0 and pip.semi_major_km[0] > pip.semi_minor_km[0] > 0.0)
    True
    """
    x = np.array(x_eci, dtype=float, ndmin=2)
    m, nx = x.shape
    P = np.broadcast_to(np.asarray(P_eci, dtype=float), (m, nx, nx))
    t = np.broadcast_to(np.asarray(t_s, dtype=float), (m,))
    X, wm, wc = est.sigma_points(x, P)
    k = X.shape[1]
    t_hit, x_hit = propagate_to_altitude(X.reshape(-1, nx), np.repeat(t, k), j2=j2, max_step_s=max_step_s,
                                         max_time_s=max_time_s)
    r_ecef = frames.eci_to_ecef(x_hit[:, :3], t_hit).reshape(m, k, 3)
    t_hit = t_hit.reshape(m, k)
    lat, lon, _ = frames.ecef_to_geodetic(r_ecef[:, 0])
    e, n, _u = frames.enu_basis(lat, lon)
    d = r_ecef - r_ecef[:, :1]
    en = np.stack([np.einsum("mki,mi->mk", d, e), np.einsum("mki,mi->mk", d, n)], axis=-1)
    mean_off = np.einsum("k,mkd->md", wm, en)
    dev = en - mean_off[:, None]
    cov = np.einsum("k,mki,mkj->mij", wc, dev, dev)
    # the point: the estimate itself flown down (sigma point 0), not the sigma points' mean, which a wide drag
    # prior biases short (the UT's spread of ln(1/beta) puts one point at ~100 kg/m2: see the module's notes)
    if PIP_POINT != "estimate":
        lat, lon, _ = frames.ecef_to_geodetic(r_ecef[:, 0] + mean_off[:, :1] * e + mean_off[:, 1:] * n)
    r_mean = frames.geodetic_to_ecef(lat, lon, 0.0)
    with np.errstate(invalid="ignore"):
        w, v = np.linalg.eigh(np.nan_to_num(cov))
    ok = np.all(np.isfinite(t_hit), axis=1)
    major = v[..., :, 1]
    orient = np.mod(np.degrees(np.arctan2(major[:, 0], major[:, 1])), 180.0)
    tm = t_hit[:, 0] + (0.0 if PIP_POINT == "estimate" else np.einsum("k,mk->m", wm, t_hit - t_hit[:, :1]))
    st = np.sqrt(np.maximum(np.einsum("k,mk->m", wc, (t_hit - tm[:, None]) ** 2), 0.0))

    def nan(a):
        return np.where(ok if a.ndim == 1 else ok[:, None], a, np.nan)

    return ImpactPrediction(t_impact_s=nan(tm), latitude_deg=nan(np.degrees(lat)),
                            longitude_deg=nan(np.degrees(lon)),
                            semi_major_km=nan(np.sqrt(np.maximum(w[:, 1], 0.0)) / 1e3),
                            semi_minor_km=nan(np.sqrt(np.maximum(w[:, 0], 0.0)) / 1e3),
                            orientation_deg=nan(orient), sigma_t_impact_s=nan(st), r_impact_ecef=nan(r_mean))


# ------------------------------------------------------------------------------------------ one object
def _merge(reports: list[RadarReports]):
    """All reports of all radars in time order: t (K,), z and sigma (K, 4), site arrays and sensor (K,)."""
    cols = {n: [] for n in ("t", "z", "s", "lat", "lon", "alt", "sensor")}
    for i, r in enumerate(reports):
        t = np.atleast_1d(np.asarray(r.t_s, dtype=float))
        k = t.shape[0]

        def col(v, default=np.nan, k=k):
            return np.broadcast_to(np.asarray(default if v is None else v, dtype=float), (k,))

        cols["t"].append(t)
        cols["z"].append(np.stack([col(r.range_m), col(r.azimuth_rad), col(r.elevation_rad),
                                   col(r.range_rate_mps)], axis=-1))
        cols["s"].append(np.stack([col(r.sigma_range_m), col(r.sigma_angle_rad), col(r.sigma_angle_rad),
                                   col(r.sigma_range_rate_mps)], axis=-1))
        cols["lat"].append(col(r.site_lat_rad))
        cols["lon"].append(col(r.site_lon_rad))
        cols["alt"].append(col(r.site_alt_m))
        cols["sensor"].append(np.full(k, r.sensor or f"radar{i}", dtype=object))
    out = {n: np.concatenate(v) for n, v in cols.items()}
    keep = np.all(np.isfinite(out["z"][:, :3]), axis=-1)
    order = np.argsort(out["t"][keep], kind="stable")
    return {n: v[keep][order] for n, v in out.items()}


def track_object(reports, *, q=DEFAULT_Q_M2_S3, method: str = "ekf", j2: bool = True,
                 use_range_rate: bool = True, pip: bool = True, pip_every: int = 1, drag: bool = True,
                 drag_prior_beta_kg_m2: float = 5000.0) -> TrackResult:
    """Track one object from the reports of one or several radars (centralized fusion, sequential updates).

    ``reports``: a list of :class:`RadarReports` or of ``Measurements`` (converted by
    :func:`reports_from_measurements`). The track starts from the first two reports in time order
    (:func:`two_point_initiation`) and every later report updates it, with its own site and sigmas.
    With ``pip`` the predicted impact point is computed after every ``pip_every``-th update (NaN in between).
    With ``drag`` the state has a seventh element, ``ln(1/beta)`` (prior ``drag_prior_beta_kg_m2``): the filter
    and the PIP fly with drag (see the module's notes).
    """
    _check_method(method)
    if isinstance(reports, RadarReports) or hasattr(reports, "t_s"):
        reports = [reports]
    reports = [r if isinstance(r, RadarReports) else reports_from_measurements(r) for r in reports]
    d = _merge(reports)
    k = d["t"].shape[0]
    if k < 2:
        raise InputError("reports", k, "a track needs at least two reports with range, azimuth and elevation")
    site_r, site_v, enu = est.radar_site_eci(d["lat"], d["lon"], d["alt"], d["t"])
    x, P = two_point_initiation(d["z"][:1, :3], d["s"][:1, :3], (site_r[0], enu[0]), d["t"][0],
                               d["z"][1:2, :3], d["s"][1:2, :3], (site_r[1], enu[1]), d["t"][1])
    if drag:
        x, P = est.with_drag_state(x, P, beta_kg_m2=drag_prior_beta_kg_m2)
    n, nx = k - 1, x.shape[1]
    xs, Ps, ns = np.empty((n, nx)), np.empty((n, nx, nx)), np.full(n, np.nan)
    xs[0], Ps[0] = x[0], P[0]
    run = _filter_compiled if method == "ekf" else _filter_stepwise
    xs[1:], Ps[1:], ns[1:] = run(method, x, P, d, (site_r, site_v, enu), q, j2, use_range_rate)
    pred = None
    if pip:
        sel = np.zeros(n, dtype=bool)
        sel[::max(int(pip_every), 1)] = True
        sel[-1] = True
        p = predicted_impact_point(xs[sel], Ps[sel], d["t"][1:][sel], j2=j2)
        pred = ImpactPrediction(**{f: _scatter(getattr(p, f), sel) for f in ImpactPrediction.__slots__})
    return TrackResult(t_s=d["t"][1:], x_eci=xs, P_eci=Ps, nis=ns, sensor=d["sensor"][1:], pip=pred)


def _filter_stepwise(method, x, P, d, sites, q, j2, use_range_rate):
    """Predict and update the track ``x`` ``(1, n)`` through the merged reports ``d`` from the third on, one
    report at a time (:func:`bmdsim.core.estimation.ekf_predict_ballistic` and
    :func:`~bmdsim.core.estimation.ekf_update_radar`, or the UKF's): states, covariances and NIS after each."""
    site_r, site_v, enu = sites
    k = d["t"].shape[0]
    xs, Ps, ns = np.empty((k - 2, x.shape[1])), np.empty((k - 2,) + P.shape[1:]), np.empty(k - 2)
    for i in range(2, k):
        x, P = _predict(method, x, P, d["t"][i] - d["t"][i - 1], q, j2)
        zi, si = d["z"][i:i + 1], d["s"][i:i + 1]
        if not (use_range_rate and np.isfinite(zi[0, 3]) and np.isfinite(si[0, 3])):
            zi, si = zi[:, :3], si[:, :3]
        x, P, nu, S = _update(method, x, P, zi, si, site_r[i], enu[i], site_v[i])
        xs[i - 2], Ps[i - 2], ns[i - 2] = x[0], P[0], est.nis(nu, S)[0]
    return xs, Ps, ns


def _filter_compiled(method, x, P, d, sites, q, j2, use_range_rate):
    """:func:`_filter_stepwise` for the EKF in one compiled call (:func:`bmdsim.core.estimation_jit.ekf_track`:
    the same predictions and updates, report by report, without a Python step between them)."""
    site_r, site_v, enu = sites
    z, s = d["z"][2:], d["s"][2:]
    nz = np.where(use_range_rate & np.isfinite(z[:, 3]) & np.isfinite(s[:, 3]), 4, 3)
    c = np.ascontiguousarray
    return _jit.ekf_track(c(x[0]), c(P[0]), c(np.diff(d["t"])[1:]), nz, c(z), c(s), c(site_r[2:]), c(enu[2:]),
                          c(site_v[2:]), float(q), est.DRAG_Q_PER_S, 5.0, bool(j2), est.air_rows())


def reference_peers():
    """The compiled steps of the filter and the PIP and their numpy reference peers, as ``(module, attribute,
    peer)``: setting each attribute to its peer runs the numpy path (``benchmarks/bench_sensing.py`` and the
    tests compare the two)."""
    me = sys.modules[__name__]
    return [(me, "_filter_compiled", _filter_stepwise),
            (est, "propagate_ballistic", est.propagate_ballistic_reference),
            (est, "ekf_predict_ballistic", est.ekf_predict_ballistic_reference),
            (est, "ekf_update_radar", est.ekf_update_radar_reference),
            (me, "propagate_to_altitude", propagate_to_altitude_reference)]


def _scatter(a, sel):
    out = np.full((sel.size,) + a.shape[1:], np.nan)
    out[sel] = a
    return out


# ------------------------------------------------------------------------------------------ many objects
@dataclass(slots=True, kw_only=True)
class Track:
    """A track in a :class:`Tracker` (mutable: the tracker updates it in place)."""

    id: int
    t_s: float
    x_eci: np.ndarray
    P_eci: np.ndarray
    hits: int = 2
    misses: int = 0
    confirmed: bool = False
    deleted: bool = False
    history_t_s: list = field(default_factory=list)
    history_x_eci: list = field(default_factory=list)


@dataclass(slots=True, kw_only=True)
class _Pending:
    t_s: float
    z: np.ndarray
    sigma: np.ndarray
    site: tuple


class Tracker:
    """Multi-object tracker over scans (one radar, one time, several reports each), in time order.

    Each scan: predict every live track to the scan time; gate track-report pairs by the chi-square
    quantile ``gate_probability`` of the NIS; assign by global nearest neighbour (``scipy``'s
    ``linear_sum_assignment`` on ``NIS + ln det S``, Blackman & Popoli 1999, sec. 6.2); update the assigned
    tracks; count a miss for the others and delete a track after ``n_delete`` misses in a row. Unassigned
    reports start tracks with an earlier unassigned report (two-point initiation) when the implied speed is
    under ``max_speed_mps``, else wait ``max_pending_s`` for a partner. A track is confirmed after
    ``n_confirm`` hits.
    Scans from several radars may be interleaved: that is centralized fusion.
    """

    def __init__(self, *, q=DEFAULT_Q_M2_S3, method="ekf", gate_probability=0.9999, n_confirm=3, n_delete=3,
                 max_speed_mps=8000.0, max_pending_s=30.0, j2=True):
        _check_method(method)
        self.q, self.method, self.j2 = q, method, j2
        self.gate = float(chi2.ppf(gate_probability, 3))
        self.n_confirm, self.n_delete = n_confirm, n_delete
        self.max_speed_mps, self.max_pending_s = max_speed_mps, max_pending_s
        self.tracks: list[Track] = []
        self._pending: list[_Pending] = []
        self._next_id = 0

    @property
    def live(self) -> list[Track]:
        return [t for t in self.tracks if not t.deleted]

    def step(self, t_s, z, sigma, site_lat_rad, site_lon_rad, site_alt_m=0.0):
        """Process one scan: reports ``z`` ``(n, 3)`` (range, az, el) with sigmas ``(3,)`` or ``(n, 3)``."""
        z = np.atleast_2d(np.asarray(z, dtype=float))[:, :3]
        n = z.shape[0]
        sig = np.broadcast_to(np.asarray(sigma, dtype=float)[..., :3], (n, 3))
        site_r, site_v, enu = (a[0] for a in est.radar_site_eci(site_lat_rad, site_lon_rad, site_alt_m, t_s))
        live = self.live
        unused = np.ones(n, dtype=bool)
        if live and n:
            x = np.stack([tr.x_eci for tr in live])
            P = np.stack([tr.P_eci for tr in live])
            dt = np.array([t_s - tr.t_s for tr in live])
            x, P = _predict(self.method, x, P, dt, self.q, self.j2)
            m = len(live)
            # all track-report pairs at once
            xr, Pr = np.repeat(x, n, axis=0), np.repeat(P, n, axis=0)
            zr, sr = np.tile(z, (m, 1)), np.tile(sig, (m, 1))
            H = est.radar_jacobian(xr, site_r, enu)
            nu = est.wrap_residual(zr - est.radar_measure(xr, site_r, enu))
            S = H @ Pr @ np.swapaxes(H, -1, -2) + sr[:, :, None] ** 2 * np.eye(3)
            d2 = est.nis(nu, S).reshape(m, n)
            cost = d2 + np.linalg.slogdet(S)[1].reshape(m, n)
            big = 1e12
            cost = np.where(d2 <= self.gate, cost, big)
            rows, cols = linear_sum_assignment(cost)
            hit = cost[rows, cols] < big
            rows, cols = rows[hit], cols[hit]
            valid = np.zeros(m, dtype=bool)
            valid[rows] = True
            zz = np.zeros((m, 3))
            zz[rows] = z[cols]
            ss = np.ones((m, 3))
            ss[rows] = sig[cols]
            x, P, _, _ = _update(self.method, x, P, zz, ss, site_r, enu, site_v, valid)
            unused[cols] = False
            for i, tr in enumerate(live):
                tr.t_s, tr.x_eci, tr.P_eci = float(t_s), x[i], P[i]
                if valid[i]:
                    tr.hits += 1
                    tr.misses = 0
                    tr.confirmed = tr.confirmed or tr.hits >= self.n_confirm
                    tr.history_t_s.append(float(t_s))
                    tr.history_x_eci.append(x[i].copy())
                else:
                    tr.misses += 1
                    tr.deleted = tr.misses >= self.n_delete
        elif live:
            for tr in live:
                tr.misses += 1
                tr.deleted = tr.misses >= self.n_delete
        self._initiate(float(t_s), z[unused], sig[unused], (site_r, enu))

    def _initiate(self, t_s, z, sig, site):
        self._pending = [p for p in self._pending if t_s - p.t_s <= self.max_pending_s]
        if not len(z):
            return
        r_new, _ = est.radar_to_position(z, sig, *site)
        taken = np.zeros(len(z), dtype=bool)
        keep = []
        for p in self._pending:
            dt = t_s - p.t_s
            if dt <= 0:
                keep.append(p)
                continue
            r_old, _ = est.radar_to_position(p.z[None], p.sigma[None], *p.site)
            speed = np.linalg.norm(r_new - r_old, axis=-1) / dt
            speed[taken] = np.inf
            j = int(np.argmin(speed))
            if speed[j] <= self.max_speed_mps:
                x, P = two_point_initiation(p.z[None], p.sigma[None], p.site, p.t_s, z[j:j + 1], sig[j:j + 1],
                                            site, t_s)
                self.tracks.append(Track(id=self._next_id, t_s=t_s, x_eci=x[0], P_eci=P[0],
                                         history_t_s=[t_s], history_x_eci=[x[0].copy()]))
                self._next_id += 1
                taken[j] = True
            else:
                keep.append(p)
        self._pending = keep + [_Pending(t_s=t_s, z=z[j], sigma=sig[j], site=site)
                                for j in np.flatnonzero(~taken)]
