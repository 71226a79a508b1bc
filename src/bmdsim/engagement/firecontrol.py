"""Fire control: launch windows and intercept points of a site's interceptors against threat trajectories.

Inputs are plain arrays: threat trajectories sampled on a time grid (truth from the flight layer, or a track's
predicted trajectory), a :class:`~bmdsim.engagement.fan.Fan` and, per threat, the earliest time an interceptor
may leave the silo (``t_earliest_launch_s``: the sensor timeline's commit time plus the site's reaction time;
this layer does not import sensing, the caller passes the number in).

Kinematic engageability of a sample point ``k`` of a threat (time ``t_k``, position ``r_k``):

- the fan reaches ``r_k`` (within the fan's maximum flight time), in ``T_k`` seconds at best;
- the point is exo-atmospheric: altitude ``>= min_intercept_altitude_m`` (hit-to-kill kill vehicle);
- the threat is in midcourse: ``t_k >= t_burnout`` (optional, on by default);
- the interceptor can leave at ``t_k - T_k >= t_earliest_launch`` (a launch later than ``t_k - T_k`` with a
  slower trajectory also reaches it, so any launch time in ``[t_earliest_launch, t_k - T_k]`` works).

The earliest intercept is the first such point, refined between samples where ``t_k - T_k`` crosses the earliest
launch time; the latest is the last such point; the launch window runs from the earliest launch time to the
largest ``t_k - T_k``. :func:`aim` then flies the actual interceptor at the chosen point (Newton on launch azimuth
and kick, every iteration one batched engine call) and checks that it is there at the same time.

Geometry at intercept (defined in the inertial frame, where the kill vehicle's closing is physical):
``closing_speed = |v_int - v_threat|`` (frame independent); ``crossing_angle`` = angle between the two inertial
velocities (0 deg: same direction; 180 deg: head-on); ``tail_chase`` when the interceptor's inertial velocity
has a positive component along the threat's (crossing angle below 90 deg).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.core import frames
from bmdsim.core.constants import R_SPHERE_M
from bmdsim.engagement.fan import Fan, _coords
from bmdsim.errors import InputError
from bmdsim.flight.fly import Flights, Options, fly

__all__ = ["Threats", "Windows", "windows", "Shot", "aim", "refine_earliest", "geometry", "divert_required_mps",
           "hermite_at"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Threats:
    """Threat trajectories on a time grid: ``t_s (N, K)`` seconds since the epoch, ``r_ecef``, ``v_ecef``
    ``(N, K, 3)`` (NaN after impact); ``t_launch_s``, ``t_burnout_s``, ``t_impact_s`` ``(N,)``."""

    t_s: np.ndarray
    r_ecef: np.ndarray
    v_ecef: np.ndarray
    t_launch_s: np.ndarray
    t_burnout_s: np.ndarray
    t_impact_s: np.ndarray

    def __len__(self) -> int:
        return self.t_s.shape[0]

    @classmethod
    def from_flights(cls, f: Flights) -> Threats:
        if f.r_ecef is None:
            raise InputError("flights", None, "fly the threats with dense output (Options(dense_dt_s=...))")
        return cls(t_s=f.t_s, r_ecef=f.r_ecef, v_ecef=f.v_ecef, t_launch_s=f.t_launch_s,
                   t_burnout_s=f.t_burnout_s, t_impact_s=f.t_impact_s)

    def take(self, idx) -> Threats:
        return Threats(**{k: getattr(self, k)[idx] for k in Threats.__dataclass_fields__})

    def state_at(self, i: int, t_s: float):
        """ECEF position and velocity of threat ``i`` at ``t_s`` (cubic Hermite between samples)."""
        return hermite_at(self.t_s[i], self.r_ecef[i], self.v_ecef[i], t_s)


def hermite_at(t_grid, r, v, t_s):
    """Cubic Hermite interpolation of positions ``r (K, 3)`` and velocities ``v (K, 3)`` on ``t_grid (K,)`` at
    scalar ``t_s``: ``(r (3,), v (3,))``; NaN outside the valid samples."""
    t_grid = np.asarray(t_grid)
    ok = np.isfinite(r[:, 0])
    tg = t_grid[ok]
    if tg.size < 2 or not tg[0] <= t_s <= tg[-1]:
        return np.full(3, np.nan), np.full(3, np.nan)
    j = min(int(np.searchsorted(tg, t_s, side="right")) - 1, tg.size - 2)
    rr, vv = r[ok], v[ok]
    h = tg[j + 1] - tg[j]
    s = (t_s - tg[j]) / h
    h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
    r_ = h00 * rr[j] + h10 * h * vv[j] + h01 * rr[j + 1] + h11 * h * vv[j + 1]
    d00, d10, d01, d11 = (6 * s**2 - 6 * s) / h, 3 * s**2 - 4 * s + 1, (-6 * s**2 + 6 * s) / h, 3 * s**2 - 2 * s
    v_ = d00 * rr[j] + d10 * vv[j] + d01 * rr[j + 1] + d11 * vv[j + 1]
    return r_, v_


@dataclass(frozen=True, slots=True, kw_only=True)
class Windows:
    """Engagement windows of one site against ``N`` threats (seconds since the epoch; NaN when none).

    Per sample ``(N, K)``: ``t_s``, ``t_flight_s`` (fan minimum time of flight), ``t_launch_latest_s`` (latest
    launch that reaches the point, NaN where the point is not engageable: out of the fan, too low, or in boost).
    Per threat ``(N,)``: ``t_earliest_launch_s`` (the constraint given), ``engageable``, ``earliest_intercept_s``
    and ``k_earliest`` (its sample), ``latest_intercept_s``, ``latest_launch_s``."""

    t_s: np.ndarray
    t_flight_s: np.ndarray
    t_launch_latest_s: np.ndarray
    altitude_m: np.ndarray
    ground_range_m: np.ndarray
    kick_deg: np.ndarray
    azimuth_deg: np.ndarray
    t_earliest_launch_s: np.ndarray
    engageable: np.ndarray
    earliest_intercept_s: np.ndarray
    k_earliest: np.ndarray
    latest_intercept_s: np.ndarray
    latest_launch_s: np.ndarray

    def earliest_after(self, t_launch_min_s) -> tuple[np.ndarray, np.ndarray]:
        """Earliest intercept time ``(N,)`` (and its sample index, -1 if none) when interceptors may leave no
        earlier than ``t_launch_min_s`` (scalar or ``(N,)``); refined linearly between samples."""
        return _earliest(self.t_s, self.t_launch_latest_s, np.broadcast_to(np.asarray(t_launch_min_s, float),
                                                                           self.t_s.shape[:1]))

    def opportunities(self, *, assess_s: float, max_shots: int = 10, t_launch_min_s=None):
        """Shoot-look-shoot opportunities: the first intercept as early as possible, each next interceptor
        launched no earlier than the previous intercept plus the kill-assessment time ``assess_s``.

        Returns ``(count (N,), intercept times (N, max_shots))`` (NaN past the last opportunity)."""
        c = self.t_earliest_launch_s if t_launch_min_s is None else np.broadcast_to(
            np.asarray(t_launch_min_s, float), self.t_s.shape[:1])
        n = self.t_s.shape[0]
        times = np.full((n, max_shots), np.nan)
        for s in range(max_shots):
            t_i, _ = self.earliest_after(c)
            times[:, s] = t_i
            if not np.isfinite(t_i).any():
                break
            c = t_i + assess_s
        return np.isfinite(times).sum(axis=1), times


def _earliest(t, t_l, c):
    ok = t_l >= c[:, None]
    any_ok = ok.any(axis=1)
    k = np.where(any_ok, np.argmax(ok, axis=1), -1)
    n = t.shape[0]
    rows = np.arange(n)
    kk = np.maximum(k, 0)
    t_e = np.where(any_ok, t[rows, kk], np.nan)
    # refine: between the previous sample (engageable but too early a launch) and this one
    prev = np.maximum(kk - 1, 0)
    g1 = t_l[rows, kk] - c
    g0 = t_l[rows, prev] - c
    ref = any_ok & (kk > 0) & np.isfinite(g0) & (g0 < 0) & (g1 >= 0)
    w = np.where(ref, -g0 / np.where(ref, g1 - g0, 1.0), 0.0)
    t_e = np.where(ref, t[rows, prev] + w * (t[rows, kk] - t[rows, prev]), t_e)
    return t_e, k


def windows(fan: Fan, threats: Threats, *, t_earliest_launch_s, min_intercept_altitude_m: float = 100e3,
            midcourse_only: bool = True) -> Windows:
    """Engagement windows of ``fan``'s site against every threat (see the module docstring)."""
    n = len(threats)
    c = np.broadcast_to(np.asarray(t_earliest_launch_s, dtype=float), (n,)).copy()
    if np.any(np.isnan(c)):
        raise InputError("t_earliest_launch_s", "NaN", "give a time for every threat (inf: never)")
    r = threats.r_ecef
    t = threats.t_s
    if midcourse_only:
        r = np.where((t >= threats.t_burnout_s[:, None])[..., None], r, np.nan)
    look = fan.lookup(r, min_altitude_m=min_intercept_altitude_m)
    tf = look.t_flight_s
    ok = np.isfinite(tf) & (look.altitude_m >= min_intercept_altitude_m)
    t_l = np.where(ok, t - tf, np.nan)
    with np.errstate(invalid="ignore"):
        good = t_l >= c[:, None]
    engageable = good.any(axis=1)
    t_e, k = _earliest(t, t_l, c)
    last = np.where(engageable, t.shape[1] - 1 - np.argmax(good[:, ::-1], axis=1), 0)
    latest = np.where(engageable, t[np.arange(n), last], np.nan)
    latest_launch = np.where(engageable, np.nanmax(np.where(good, t_l, -np.inf), axis=1), np.nan)
    return Windows(t_s=t, t_flight_s=tf, t_launch_latest_s=t_l, altitude_m=look.altitude_m,
                   ground_range_m=look.ground_range_m, kick_deg=look.kick_deg, azimuth_deg=look.azimuth_deg,
                   t_earliest_launch_s=c, engageable=engageable, earliest_intercept_s=t_e, k_earliest=k,
                   latest_intercept_s=latest, latest_launch_s=latest_launch)


# ----------------------------------------------------------------------------------------- aiming a shot
@dataclass(frozen=True, slots=True, kw_only=True)
class Shot:
    """One interceptor flown at a point: steering, launch time, and its state at the intercept time.

    ``aim_error_m``: distance of the interceptor's trajectory from the aimpoint after the Newton iterations;
    ``miss_m``: distance between interceptor and threat at ``t_intercept_s`` (the same time on both)."""

    azimuth_deg: float
    kick_deg: float
    cutoff_s: float
    t_launch_s: float
    t_flight_s: float
    t_intercept_s: float
    r_ecef: np.ndarray
    v_ecef: np.ndarray
    aim_error_m: float
    miss_m: float
    iterations: int
    #: steering family of the fan (0: kick / gravity turn, ``kick_deg`` the kick; f >= 1: linear tangent,
    #: ``kick_deg`` its end elevation; see :meth:`~bmdsim.engagement.fan.Fan.steering`)
    family: int = 0


def _crossing(fan: Fan, f: Flights, ang_target: float):
    """First crossing of the ground angle ``ang_target`` by each flight: (t since launch, r_ecef (M, 3))."""
    m, kk = f.r_ecef.shape[:2]
    ang, az, h = (np.empty(m * kk) for _ in range(3))
    _coords(np.ascontiguousarray(f.r_ecef.reshape(-1, 3)), fan._s, fan._e, fan._n, ang, az, h)
    ang = ang.reshape(m, kk)
    t_rel = f.t_s - f.t_s[:, :1]
    out_t = np.full(m, np.nan)
    out_r = np.full((m, 3), np.nan)
    for i in range(m):
        with np.errstate(invalid="ignore"):
            idx = np.flatnonzero(ang[i] >= ang_target)
        if idx.size == 0 or idx[0] == 0:
            continue
        k = idx[0]
        w = (ang_target - ang[i, k - 1]) / (ang[i, k] - ang[i, k - 1])
        out_t[i] = t_rel[i, k - 1] + w * (t_rel[i, k] - t_rel[i, k - 1])
        out_r[i] = f.r_ecef[i, k - 1] + w * (f.r_ecef[i, k] - f.r_ecef[i, k - 1])
    return out_t, out_r


def aim(fan: Fan, r_point_ecef, t_intercept_s: float, *, kick0_deg: float | None = None,
        azimuth0_deg: float | None = None, tol_m: float = 20.0, max_iter: int = 12, dense_dt_s: float = 0.5,
        threat: tuple | None = None, family0: int | None = None, cutoff0_s: float | None = None) -> Shot:
    """Fly ``fan``'s interceptor through the ECEF point ``r_point_ecef`` so that it is there at
    ``t_intercept_s``: Newton on (launch azimuth, kick) against (altitude error, cross-range error) at the
    point's ground range, finite-difference Jacobian; the launch time follows from the time of flight.

    ``threat = (t_grid, r_ecef, v_ecef)`` of the threat (optional) gives ``miss_m`` at the intercept time.
    The starting steering comes from the fan's table unless given (``family0``, ``kick0_deg``, ``cutoff0_s``:
    an independent search that does not read the table passes all three)."""
    r_p = np.asarray(r_point_ecef, dtype=float)
    look = fan.lookup(r_p)
    k0 = float(look.kick_deg) if kick0_deg is None else kick0_deg
    cut = float(look.cutoff_s) if cutoff0_s is None else float(cutoff0_s)
    fam = int(look.family) if family0 is None else int(family0)
    a0 = float(look.azimuth_deg) if azimuth0_deg is None else azimuth0_deg
    if not np.isfinite(k0):
        raise InputError("r_point_ecef", "outside the fan", "aim only at points the fan reaches")
    ang_p = float(look.ground_range_m) / R_SPHERE_M
    h_p = float(look.altitude_m)
    # cross-range direction: normal of the plane through the Earth's centre, the site and the point
    nrm = np.cross(fan._s, r_p / np.linalg.norm(r_p))
    nrm /= np.linalg.norm(nrm)
    tmax = fan.settings.max_flight_time_s
    opts = Options(max_time_s=tmax, dense_dt_s=dense_dt_s, dense_n=int(tmax / dense_dt_s) + 1)
    # the fan's kicks may pitch past the horizontal; a linear-tangent end elevation lies within +-80 deg
    k_lo, k_hi = (0.05, max(89.95, fan.settings.kick_max_deg)) if fam == 0 else (-80.0, 80.0)
    x = np.array([a0, k0])
    steps = np.array([0.01, 0.01])
    err = np.inf
    it = 0
    t_cross = np.nan
    for it in range(1, max_iter + 1):  # noqa: B007 (reported)
        az = np.array([x[0], x[0] + steps[0], x[0]])
        kk = np.clip(np.array([x[1], x[1], x[1] + steps[1]]), k_lo, k_hi)
        f = fly(fan.interceptor, fan.latitude_deg, fan.longitude_deg, az, altitude_m=fan.altitude_m,
                target_altitude_m=fan.altitude_m, options=opts, **fan.steering(fam, kk, cut))
        tc, rc = _crossing(fan, f, ang_p)
        res = np.column_stack([frames.geodetic_altitude(rc) - h_p, rc @ nrm])
        if not np.all(np.isfinite(res)):
            # a perturbation left the fan; shrink toward the base guess
            if not np.all(np.isfinite(res[0])):
                raise InputError("r_point_ecef", "not reached", "the interceptor does not reach this point")
            steps = -steps
            continue
        err = float(np.linalg.norm(rc[0] - r_p))
        t_cross = float(tc[0])
        if err < tol_m:
            break
        jac = np.column_stack([(res[1] - res[0]) / steps[0], (res[2] - res[0]) / steps[1]])
        try:
            dx = np.linalg.solve(jac, res[0])
        except np.linalg.LinAlgError:
            break
        x = x - np.clip(dx, -2.0, 2.0)
    t_launch = t_intercept_s - t_cross
    f = fly(fan.interceptor, fan.latitude_deg, fan.longitude_deg, x[0], t_launch_s=t_launch,
            altitude_m=fan.altitude_m, target_altitude_m=fan.altitude_m, options=opts,
            **fan.steering(fam, np.clip(x[1], k_lo, k_hi), cut))
    r_i, v_i = hermite_at(f.t_s[0], f.r_ecef[0], f.v_ecef[0], t_intercept_s)
    miss = np.nan
    if threat is not None:
        r_t, _ = hermite_at(threat[0], threat[1], threat[2], t_intercept_s)
        miss = float(np.linalg.norm(r_i - r_t))
    return Shot(azimuth_deg=float(x[0]), kick_deg=float(np.clip(x[1], k_lo, k_hi)), cutoff_s=cut,
                t_launch_s=float(t_launch),
                t_flight_s=float(t_cross), t_intercept_s=float(t_intercept_s), r_ecef=r_i, v_ecef=v_i,
                aim_error_m=err, miss_m=miss, iterations=it, family=fam)


def refine_earliest(fan: Fan, threats: Threats, i: int, t_guess_s: float, t_launch_min_s: float, *,
                    max_iter: int = 4, tol_s: float = 0.2) -> Shot:
    """The earliest intercept of threat ``i`` with actual interceptor flights: secant iteration on the
    intercept time ``t`` so that the aimed interceptor's launch time ``t - T(t)`` equals ``t_launch_min_s``
    (starting from the fan's estimate ``t_guess_s``). Returns the final :class:`Shot`."""
    trj = (threats.t_s[i], threats.r_ecef[i], threats.v_ecef[i])

    def shot_at(t):
        r, _ = threats.state_at(i, t)
        return aim(fan, r, t, threat=trj)

    t0 = t_guess_s
    s0 = shot_at(t0)
    g0 = s0.t_launch_s - t_launch_min_s
    if abs(g0) < tol_s:
        return s0
    t1 = t0 + (5.0 if g0 < 0 else -5.0)
    best = s0
    for _ in range(max_iter):
        try:
            s1 = shot_at(t1)
        except InputError:
            break
        g1 = s1.t_launch_s - t_launch_min_s
        if g1 >= -tol_s and (best.t_launch_s < t_launch_min_s - tol_s or s1.t_intercept_s < best.t_intercept_s):
            best = s1
        if abs(g1) < tol_s or g1 == g0:
            break
        t0, t1, g0 = t1, t1 - g1 * (t1 - t0) / (g1 - g0), g1
    return best


def geometry(r_ecef, v_int_ecef, v_threat_ecef, t_s):
    """Closing speed (m/s), crossing angle (deg) and tail chase (bool) at intercept, arrays ``(..., 3)``.

    >>> geometry(np.array([7e6, 0, 0]), np.array([0, 3000.0, 0]), np.array([0, -4000.0, 0]), 0.0)[:2]
    (7000.0, 180.0)
    """
    r = np.asarray(r_ecef, dtype=float)
    _, vi = frames.ecef_to_eci(r, t_s, np.asarray(v_int_ecef, dtype=float))
    _, vt = frames.ecef_to_eci(r, t_s, np.asarray(v_threat_ecef, dtype=float))
    closing = np.linalg.norm(vi - vt, axis=-1)
    cosang = np.einsum("...i,...i", vi, vt) / (np.linalg.norm(vi, axis=-1) * np.linalg.norm(vt, axis=-1))
    ang = np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0)))
    if np.ndim(closing) == 0:
        return float(closing), float(ang), bool(ang < 90.0)
    return closing, ang, ang < 90.0


def divert_required_mps(cov_position_m2, closing_velocity, t_go_s, *, n_sigma: float = 3.0):
    """Divert velocity (m/s) the kill vehicle needs to remove an ``n_sigma`` handover error.

    The error that matters lies across the line of sight (the closing velocity direction; along it the error
    only shifts the time of closest approach). With ``t_go_s`` seconds between the last target update
    (handover) and intercept, removing a lateral offset ``d`` takes ``d / t_go`` of divert; ``d`` is ``n_sigma``
    times the larger principal standard deviation of the position covariance projected across the line of sight.

    >>> round(divert_required_mps(np.diag([100.0**2] * 3), np.array([0, 0, 8000.0]), 60.0), 3)
    5.0
    """
    cov = np.asarray(cov_position_m2, dtype=float)
    u = np.asarray(closing_velocity, dtype=float)
    u = u / np.linalg.norm(u)
    p = np.eye(3) - np.outer(u, u)
    lat = p @ cov @ p.T
    sig = float(np.sqrt(max(np.linalg.eigvalsh(lat)[-1], 0.0)))
    if not t_go_s > 0:
        raise InputError("t_go_s", t_go_s, "the time from handover to intercept must be positive")
    return n_sigma * sig / t_go_s
