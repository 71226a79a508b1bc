"""Batched Kalman filter kernels for ballistic targets seen by radars: EKF and UKF, predict and update.

Every kernel works on a leading trial axis ``M`` (Monte Carlo trials, or tracks): state ``x`` ``(M, 6)``
= position (m) and velocity (m/s), covariance ``P`` ``(M, 6, 6)``. The kernels are frame-agnostic in form,
but the ballistic motion model is the one of :mod:`bmdsim.core.gravity` (point mass + J2) with no fictitious
forces, so for a ballistic target the state must be in an inertial, Earth-centred frame: the epoch-aligned
ECI frame of :mod:`bmdsim.core.frames` (``x_eci``). The constant-velocity model (:func:`cv_transition`)
works in any frame.

Models
------
- Motion, ballistic: ``r'' = g(r)`` (no drag, no thrust), integrated with fixed RK4 sub-steps of at most
  ``max_step_s``; for the EKF the state-transition matrix ``Phi`` integrates the variational equations
  ``Phi' = [[0, I], [G(r), 0]] Phi`` (``G`` the gravity gradient) with the *same* RK4 steps, which makes
  ``Phi`` the exact Jacobian of the discrete RK4 map.
- Motion with drag (a 7-element state ``(r, v, s)``, chosen by the state's length): ``s = ln(1 / beta)`` with
  ``beta = m / (C_D A)`` (kg/m2) the ballistic coefficient, constant but for a random walk;
  ``r'' = g(r) - 1/2 rho(h) e^s |w| w`` with ``w = v - omega x r`` the velocity through the air (which turns
  with the Earth) and ``rho`` the US Standard Atmosphere 1976 at the geodetic height (the flight engine's
  model; Zarchan & Musoff, *Fundamentals of Kalman Filtering* (AIAA), estimate beta of a falling object
  the same way, and Farina, Ristic & Benvenuti, IEEE TAES 38(3), 2002, of a ballistic target; here in its
  logarithm so that sigma points never make drag negative). The variational
  equations add ``d a / d r`` (density gradient along the local vertical, the air's turning), ``d a / d v``
  and ``d a / d s = a_drag``.
- Process noise: continuous white-noise acceleration of spectral density ``q`` (m2/s3) on each axis
  (Bar-Shalom, Li & Kirubarajan 2001, sec. 6.2.2): ``Q = q [[dt3/3 I, dt2/2 I], [dt2/2 I, dt I]]``, added
  after the propagation (not mapped through the dynamics).
  With drag, ``s`` walks with density :data:`DRAG_Q_PER_S` (1/s): ``Q_ss = q_s dt``.
- Measurement: a radar at ``site_r`` (velocity ``site_v``) with local east-north-up axes ``enu`` (rows E, N, U
  expressed in the filter frame) measures ``z = (range_m, azimuth_rad, elevation_rad[, range_rate_mps])``,
  azimuth clockwise from north in ``[0, 2 pi)``, elevation above the local horizontal. Residuals of azimuth
  are wrapped to ``(-pi, pi]``. Noise is independent per component (``sigma`` ``(M, nz)``).

The UKF uses the scaled unscented transform (Julier & Uhlmann, Proc. IEEE 92(3), 2004; Julier, ACC 2002) with
``alpha=1, beta=2, kappa=0`` by default: no negative weight on the central covariance point. Angle averages
over sigma points are taken on residuals from the central point, so they never straddle the 0/2 pi cut.

A trial whose ``valid`` flag is False keeps its prior (no measurement this time: a miss).

:func:`propagate_ballistic`, :func:`ekf_predict_ballistic` and :func:`ekf_update_radar` run compiled kernels
(:mod:`bmdsim.core.estimation_jit`: the filter works on a few rows at a time, where numpy's per-call cost
dominated); their ``*_reference`` twins are the same models in numpy, kept as the peers the tests and
``benchmarks/bench_sensing.py`` compare against.

>>> x = np.array([[7.0e6, 0.0, 0.0, 0.0, 7.5e3, 0.0]])
>>> x1 = propagate_ballistic(x, 10.0, j2=False)
>>> rise_m = -0.5 * 3.986004418e14 / 7.0e6**2 * 100 + 0.5 * 7.5e3**2 * 100 / 7.0e6   # -g t2/2 + v2 t2/(2 r)
>>> bool(np.allclose(np.linalg.norm(x1[0, :3]) - 7.0e6, rise_m, atol=1e-2))
True
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from bmdsim.core import atmosphere, frames, gravity
from bmdsim.core import estimation_jit as _jit
from bmdsim.core.constants import GM_EARTH_M3_S2, OMEGA_EARTH_RAD_S
from bmdsim.core.gravity import acceleration_compiled as acceleration

__all__ = [
    "gravity_gradient",
    "propagate_ballistic",
    "propagate_ballistic_reference",
    "air_rows",
    "with_drag_state",
    "DRAG_Q_PER_S",
    "cwna_noise",
    "cv_transition",
    "predict_linear",
    "ekf_predict_ballistic",
    "ekf_predict_ballistic_reference",
    "radar_measure",
    "radar_jacobian",
    "wrap_residual",
    "kalman_update",
    "ekf_update_radar",
    "ekf_update_radar_reference",
    "sigma_points",
    "ukf_predict_ballistic",
    "ukf_update_radar",
    "radar_site_eci",
    "radar_to_position",
    "nis",
    "nees",
]

_TWO_PI = 2.0 * np.pi


def _col(a, m):
    """Broadcast a scalar or ``(M,)`` array to ``(M, 1)``."""
    return np.broadcast_to(np.asarray(a, dtype=float), (m,))[:, None]


# ------------------------------------------------------------------------------------------ motion models
def gravity_gradient(r, *, j2: bool = True, mu: float = GM_EARTH_M3_S2):
    """Jacobian ``d a / d r`` (1/s2) of :func:`bmdsim.core.gravity.acceleration`, ``(..., 3, 3)``: compiled in
    :func:`bmdsim.core.gravity.gradient` (the formulas are there)."""
    return gravity.gradient(r, j2=j2, mu=mu)


#: random walk of the drag state ``s = ln(1/beta)``, 1/s: 0.1 (10 % in beta) rms over 100 s
DRAG_Q_PER_S = 1e-4
_OMEGA_X = np.array([[0.0, -OMEGA_EARTH_RAD_S, 0.0], [OMEGA_EARTH_RAD_S, 0.0, 0.0], [0.0, 0.0, 0.0]])


@lru_cache(maxsize=1)
def _air_table():
    alt, logrho, _, _ = atmosphere.table()
    return alt, logrho, np.gradient(logrho, alt)


def _drag(x):
    """Drag acceleration ``(M, 3)`` of 7-element states, the density and its log-slope along the vertical."""
    alt, logrho, slope = _air_table()
    h = frames.geodetic_altitude(x[:, :3])
    rho = np.where(h < alt[-1], np.exp(np.interp(h, alt, logrho)), 0.0)
    w = x[:, 3:6] - x[:, :3] @ _OMEGA_X.T
    wn = np.linalg.norm(w, axis=-1, keepdims=True)
    k = (0.5 * rho * np.exp(x[:, 6]))[:, None]
    return -k * wn * w, k, w, wn, np.interp(h, alt, slope)


def _deriv(x, j2):
    a = acceleration(x[:, :3], j2=j2)
    if x.shape[1] == 6:
        return np.concatenate([x[:, 3:], a], axis=-1)
    return np.concatenate([x[:, 3:6], a + _drag(x)[0], np.zeros((x.shape[0], 1))], axis=-1)


def _dphi(x, phi, j2):
    """``A(x) Phi`` with ``A = [[0, I], [G, 0]]`` (with drag, the 7 x 7 Jacobian of :func:`_deriv`)."""
    g = gravity_gradient(x[:, :3], j2=j2)
    if x.shape[1] == 6:
        return np.concatenate([phi[:, 3:, :], g @ phi[:, :3, :]], axis=1)
    ad, k, w, wn, dlnrho = _drag(x)
    safe = np.maximum(wn, 1e-9)[..., None]
    da_dv = -k[..., None] * (safe * np.eye(3) + w[:, :, None] * w[:, None, :] / safe)
    up = x[:, :3] / np.linalg.norm(x[:, :3], axis=-1, keepdims=True)     # the height's gradient (to 0.2 deg)
    da_dr = g + dlnrho[:, None, None] * ad[:, :, None] * up[:, None, :] - da_dv @ _OMEGA_X
    acc = da_dr @ phi[:, :3, :] + da_dv @ phi[:, 3:6, :] + ad[:, :, None] * phi[:, 6:7, :]
    return np.concatenate([phi[:, 3:6, :], acc, np.zeros_like(phi[:, 6:7, :])], axis=1)


def with_drag_state(x, P, *, beta_kg_m2: float = 5000.0, sigma_ln_beta: float = 1.5):
    """Append the drag state ``s = ln(1/beta)`` to 6-element states ``(M, 6)`` and covariances: prior beta
    ``beta_kg_m2`` with a 1-sigma factor ``exp(sigma_ln_beta)`` (the defaults span about 1,100-22,000 kg/m2,
    light decoys to heavy reentry vehicles, at 1 sigma), uncorrelated with the kinematic state."""
    x = np.asarray(x, dtype=float)
    P = np.asarray(P, dtype=float)
    m = x.shape[0]
    x7 = np.concatenate([x, np.full((m, 1), -np.log(beta_kg_m2))], axis=-1)
    P7 = np.zeros((m, 7, 7))
    P7[:, :6, :6] = P
    P7[:, 6, 6] = sigma_ln_beta**2
    return x7, P7


def _noise(dt, q, n):
    """Process noise ``(M, n, n)``: white-noise acceleration, and the drag state's random walk."""
    q6 = cwna_noise(dt, q)
    if n == 6:
        return q6
    out = np.zeros(q6.shape[:-2] + (n, n))
    out[..., :6, :6] = q6
    out[..., 6, 6] = DRAG_Q_PER_S * np.asarray(dt, dtype=float)
    return out


def _steps(x, dt_s, max_step_s):
    """The rows ``(M, n)``, the times ``(M,)`` and the number of equal RK4 sub-steps shared by all rows."""
    x = np.array(x, dtype=float, ndmin=2)
    m = x.shape[0]
    dt = np.broadcast_to(np.asarray(dt_s, dtype=float), (m,))
    n = max(int(np.ceil(np.max(np.abs(dt), initial=0.0) / max_step_s)), 1) if m else 1
    return x, dt, n


@lru_cache(maxsize=1)
def air_rows():
    """The density table of the drag model ``(3, N)``: heights (m), log density, its slope per metre."""
    return np.ascontiguousarray(np.stack(_air_table()))


def propagate_ballistic(x, dt_s, *, j2: bool = True, max_step_s: float = 5.0, stm: bool = False):
    """Propagate ECI states ``(M, 6)`` by ``dt_s`` (scalar or ``(M,)``, may be negative) under gravity, or
    states ``(M, 7)`` under gravity and drag (see the module's models).

    Fixed RK4 with ``n = ceil(max |dt| / max_step_s)`` equal sub-steps per trial. With ``stm=True`` also
    returns the state-transition matrices ``(M, 6, 6)`` (``(M, 7, 7)`` with drag). Sanity: RK4 with 5 s steps
    on a 10 min arc errs by about 0.1 m (against the adaptive flight engine at 1e-10). Compiled
    (:func:`bmdsim.core.estimation_jit.rk4`); :func:`propagate_ballistic_reference` is the same in numpy.
    """
    x, dt, n = _steps(x, dt_s, max_step_s)
    if not np.any(dt):
        return (x, np.broadcast_to(np.eye(x.shape[1]), (x.shape[0],) + (x.shape[1],) * 2).copy()) if stm else x
    xo, phi = _jit.rk4(x, np.ascontiguousarray(dt / n), n, bool(j2), bool(stm), air_rows())
    return (xo, phi) if stm else xo


def propagate_ballistic_reference(x, dt_s, *, j2: bool = True, max_step_s: float = 5.0, stm: bool = False):
    """:func:`propagate_ballistic` in numpy, stage by stage over all rows: the reference peer of the compiled
    kernel (tests and ``benchmarks/bench_sensing.py`` compare the two)."""
    x, dt, n = _steps(x, dt_s, max_step_s)
    m = x.shape[0]
    h = (dt / n)[:, None]
    nx = x.shape[1]
    phi = np.broadcast_to(np.eye(nx), (m, nx, nx)).copy() if stm else None
    if not np.any(dt):
        return (x, phi) if stm else x
    hh = h[:, :, None]
    for _ in range(n):
        k1 = _deriv(x, j2)
        x2 = x + 0.5 * h * k1
        k2 = _deriv(x2, j2)
        x3 = x + 0.5 * h * k2
        k3 = _deriv(x3, j2)
        x4 = x + h * k3
        k4 = _deriv(x4, j2)
        if stm:
            p1 = _dphi(x, phi, j2)
            p2 = _dphi(x2, phi + 0.5 * hh * p1, j2)
            p3 = _dphi(x3, phi + 0.5 * hh * p2, j2)
            p4 = _dphi(x4, phi + hh * p3, j2)
            phi = phi + hh / 6.0 * (p1 + 2.0 * p2 + 2.0 * p3 + p4)
        x = x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return (x, phi) if stm else x


def cwna_noise(dt_s, q):
    """Process noise ``(M, 6, 6)`` (or ``(6, 6)`` for scalars) of continuous white-noise acceleration.

    ``q`` is the spectral density (m2/s3) on each Cartesian axis; Bar-Shalom et al. (2001) eq. 6.2.2-12.

    >>> cwna_noise(2.0, 0.5)[:, 0].round(4).tolist()
    [1.3333, 0.0, 0.0, 1.0, 0.0, 0.0]
    """
    dt = np.asarray(dt_s, dtype=float)[..., None, None]
    q = np.asarray(q, dtype=float)[..., None, None]
    eye = np.eye(3)
    top = np.concatenate([dt**3 / 3.0 * eye, dt**2 / 2.0 * eye], axis=-1)
    bot = np.concatenate([dt**2 / 2.0 * eye, dt * eye], axis=-1)
    return q * np.concatenate([top, bot], axis=-2)


def cv_transition(dt_s, q):
    """Constant-velocity transition ``F`` and noise ``Q`` over ``dt_s``, state order (x, y, z, vx, vy, vz)."""
    dt = np.asarray(dt_s, dtype=float)[..., None, None]
    f = np.eye(6) + dt * np.eye(6, k=3)
    return f, cwna_noise(dt_s, q)


def _sym(p):
    return 0.5 * (p + np.swapaxes(p, -1, -2))


def predict_linear(x, P, F, Q):
    """Linear prediction ``x' = F x``, ``P' = F P F^T + Q``; ``F``, ``Q`` ``(6, 6)`` or ``(M, 6, 6)``."""
    x = np.einsum("...ij,...j->...i", F, x)
    return x, _sym(F @ P @ np.swapaxes(F, -1, -2) + Q)


def ekf_predict_ballistic(x, P, dt_s, q, *, j2: bool = True, max_step_s: float = 5.0):
    """EKF prediction of ECI states under gravity (and drag for 7-element states): mean by RK4, covariance
    ``Phi P Phi^T + Q(dt, q)``. Compiled (:func:`bmdsim.core.estimation_jit.ekf_predict`);
    :func:`ekf_predict_ballistic_reference` is the same in numpy."""
    x, dt, n = _steps(x, dt_s, max_step_s)
    m, nx = x.shape
    P = np.ascontiguousarray(np.broadcast_to(np.asarray(P, dtype=float), (m, nx, nx)))
    q = np.ascontiguousarray(np.broadcast_to(np.asarray(q, dtype=float), (m,)))
    return _jit.ekf_predict(x, P, np.ascontiguousarray(dt / n), n, np.abs(dt), q, DRAG_Q_PER_S, bool(j2),
                            air_rows())


def ekf_predict_ballistic_reference(x, P, dt_s, q, *, j2: bool = True, max_step_s: float = 5.0):
    """:func:`ekf_predict_ballistic` in numpy (:func:`propagate_ballistic_reference`): the reference peer."""
    x1, phi = propagate_ballistic_reference(x, dt_s, j2=j2, max_step_s=max_step_s, stm=True)
    m = x1.shape[0]
    dt = np.broadcast_to(np.asarray(dt_s, dtype=float), (m,))
    return x1, _sym(phi @ P @ np.swapaxes(phi, -1, -2) + _noise(np.abs(dt), q, x1.shape[1]))


# ------------------------------------------------------------------------------------------ measurement
def radar_site_eci(lat_rad, lon_rad, alt_m, t_s, *, rotation: bool = True):
    """A radar site in the epoch-aligned ECI frame at times ``t_s`` ``(K,)`` (site arrays scalar or ``(K,)``).

    Returns ``site_r_eci (K, 3)``, ``site_v_eci (K, 3)`` (the Earth's rotation, ``omega x r``) and
    ``enu_eci (K, 3, 3)``: rows are the site's east, north and up unit vectors in ECI.
    """
    t = np.atleast_1d(np.asarray(t_s, dtype=float))
    r_ecef = frames.geodetic_to_ecef(lat_rad, lon_rad, alt_m)
    e, n, u = frames.enu_basis(lat_rad, lon_rad)
    omega = OMEGA_EARTH_RAD_S if rotation else 0.0
    th = omega * t
    c, s = np.cos(th), np.sin(th)
    rot = np.zeros(t.shape + (3, 3))
    rot[..., 0, 0], rot[..., 0, 1], rot[..., 1, 0], rot[..., 1, 1], rot[..., 2, 2] = c, -s, s, c, 1.0
    site_r = np.einsum("...ij,...j->...i", rot, r_ecef)
    site_v = np.cross(np.array([0.0, 0.0, omega]), site_r)
    enu = np.einsum("...ij,...kj->...ki", rot, np.stack([e, n, u], axis=-2))
    return site_r, site_v, enu


def radar_measure(x, site_r, enu, site_v=None, *, range_rate: bool = False):
    """Noise-free radar measurement ``(M, 3)`` (range, az, el) or ``(M, 4)`` (+ range rate) of ``(M, 6)``.

    ``site_r`` ``(3,)`` or ``(M, 3)``, ``enu`` ``(3, 3)`` or ``(M, 3, 3)`` (rows E, N, U), ``site_v`` likewise
    (zero if None).
    """
    x = np.asarray(x, dtype=float)
    d = x[..., :3] - site_r
    loc = np.einsum("...ij,...j->...i", enu, d)
    e, n, u = loc[..., 0], loc[..., 1], loc[..., 2]
    rho = np.sqrt(e * e + n * n + u * u)
    az = np.mod(np.arctan2(e, n), _TWO_PI)
    el = np.arctan2(u, np.hypot(e, n))
    out = [rho, az, el]
    if range_rate:
        w = x[..., 3:6] - (0.0 if site_v is None else site_v)
        out.append(np.einsum("...i,...i", w, d) / rho)
    return np.stack(out, axis=-1)


def radar_jacobian(x, site_r, enu, site_v=None, *, range_rate: bool = False):
    """Jacobian ``(M, nz, n)`` of :func:`radar_measure` with respect to the state (``n`` = 6, or 7 with drag)."""
    x = np.asarray(x, dtype=float)
    d = x[..., :3] - site_r
    enu = np.broadcast_to(enu, d.shape[:-1] + (3, 3))
    loc = np.einsum("...ij,...j->...i", enu, d)
    e, n, u = loc[..., 0], loc[..., 1], loc[..., 2]
    h2 = e * e + n * n
    h = np.sqrt(h2)
    rho2 = h2 + u * u
    rho = np.sqrt(rho2)
    zero = np.zeros_like(e)
    d_rho = loc / rho[..., None]
    d_az = np.stack([n / h2, -e / h2, zero], axis=-1)
    d_el = np.stack([-e * u / (rho2 * h), -n * u / (rho2 * h), h / rho2], axis=-1)
    rows = np.stack([d_rho, d_az, d_el], axis=-2) @ enu                      # (M, 3, 3) w.r.t. position
    nz = 4 if range_rate else 3
    jac = np.zeros(d.shape[:-1] + (nz, x.shape[-1]))
    jac[..., :3, :3] = rows
    if range_rate:
        w = x[..., 3:6] - (0.0 if site_v is None else site_v)
        rdot = np.einsum("...i,...i", w, d) / rho
        los = d / rho[..., None]
        jac[..., 3, :3] = (w - rdot[..., None] * los) / rho[..., None]
        jac[..., 3, 3:6] = los
    return jac


def wrap_residual(nu):
    """Wrap the azimuth component (index 1) of residuals ``(..., nz)`` to ``(-pi, pi]``."""
    nu = np.array(nu, dtype=float)
    nu[..., 1] = -np.mod(-nu[..., 1] + np.pi, _TWO_PI) + np.pi
    return nu


def kalman_update(x, P, nu, H, R, valid=None):
    """Kalman update with residual ``nu`` ``(M, nz)``, Jacobian ``H`` ``(M, nz, 6)``, ``R`` ``(M, nz, nz)``.

    Joseph form for the covariance. Returns ``(x, P, S)`` with the innovation covariance ``S``
    ``(M, nz, nz)``; rows where ``valid`` is False are returned unchanged.
    """
    ht = np.swapaxes(H, -1, -2)
    S = _sym(H @ P @ ht + R)
    K = np.swapaxes(np.linalg.solve(S, H @ P), -1, -2)                          # P H^T S^-1 (S, P symmetric)
    xn = x + np.einsum("...ij,...j->...i", K, nu)
    ikh = np.eye(x.shape[-1]) - K @ H
    Pn = _sym(ikh @ P @ np.swapaxes(ikh, -1, -2) + K @ R @ np.swapaxes(K, -1, -2))
    if valid is not None:
        v = np.asarray(valid, dtype=bool)
        xn = np.where(v[:, None], xn, x)
        Pn = np.where(v[:, None, None], Pn, P)
    return xn, Pn, S


def _r_matrix(sigma, m):
    s = np.broadcast_to(np.asarray(sigma, dtype=float), (m, np.shape(sigma)[-1]))
    return s[:, :, None] ** 2 * np.eye(s.shape[-1])


def _valid(z, valid):
    z = np.asarray(z, dtype=float)
    ok = np.all(np.isfinite(z), axis=-1)
    return z, ok if valid is None else (np.asarray(valid, dtype=bool) & ok)


def ekf_update_radar(x, P, z, sigma, site_r, enu, site_v=None, valid=None):
    """EKF update with radar measurements ``z`` ``(M, 3|4)`` of standard deviations ``sigma`` ``(M|1, 3|4)``.

    Returns ``(x, P, nu, S)``: updated state and covariance, the (wrapped) residual and its covariance; NaN
    measurements count as not valid. Compiled (:func:`bmdsim.core.estimation_jit.ekf_update`);
    :func:`ekf_update_radar_reference` is the same in numpy.
    """
    z, valid = _valid(z, valid)
    x = np.ascontiguousarray(x, dtype=float)
    m, nx = x.shape
    nz = z.shape[-1]

    def rows(a, shape):
        return np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=float), (m,) + shape))

    return _jit.ekf_update(x, rows(P, (nx, nx)), np.where(valid[:, None], z, 0.0), rows(sigma, (nz,)),
                           rows(site_r, (3,)), rows(enu, (3, 3)), rows(0.0 if site_v is None else site_v, (3,)),
                           valid)


def ekf_update_radar_reference(x, P, z, sigma, site_r, enu, site_v=None, valid=None):
    """:func:`ekf_update_radar` in numpy (:func:`radar_jacobian`, :func:`kalman_update`): the reference peer."""
    z, valid = _valid(z, valid)
    nz = z.shape[-1]
    rr = nz == 4
    H = radar_jacobian(x, site_r, enu, site_v, range_rate=rr)
    z_hat = radar_measure(x, site_r, enu, site_v, range_rate=rr)
    nu = wrap_residual(np.where(valid[:, None], z, 0.0) - z_hat)
    nu = np.where(valid[:, None], nu, 0.0)
    xn, Pn, S = kalman_update(x, P, nu, H, _r_matrix(sigma, x.shape[0]), valid)
    return xn, Pn, nu, S


# ------------------------------------------------------------------------------------------ unscented
def sigma_points(x, P, *, alpha: float = 1.0, beta: float = 2.0, kappa: float = 0.0):
    """Scaled sigma points ``(M, 2n+1, n)`` and weights ``wm``, ``wc`` ``(2n+1,)`` (Julier 2002)."""
    n = x.shape[-1]
    lam = alpha**2 * (n + kappa) - n
    L = np.linalg.cholesky(_sym((n + lam) * P))
    cols = np.swapaxes(L, -1, -2)                                               # columns of L as rows
    X = np.concatenate([x[:, None, :], x[:, None, :] + cols, x[:, None, :] - cols], axis=1)
    wm = np.full(2 * n + 1, 0.5 / (n + lam))
    wc = wm.copy()
    wm[0] = lam / (n + lam)
    wc[0] = wm[0] + 1.0 - alpha**2 + beta
    return X, wm, wc


def _ut_moments(Y, wm, wc, wrap=False):
    """Mean and covariance of transformed sigma points ``(M, 2n+1, d)``, residuals taken from point 0."""
    d0 = Y - Y[:, :1, :]
    if wrap:
        d0 = wrap_residual(d0)
    mean_off = np.einsum("k,mkd->md", wm, d0)
    dev = d0 - mean_off[:, None, :]
    cov = np.einsum("k,mki,mkj->mij", wc, dev, dev)
    return Y[:, 0, :] + mean_off, dev, cov


def ukf_predict_ballistic(x, P, dt_s, q, *, j2: bool = True, max_step_s: float = 5.0, **ut):
    """UKF prediction of ECI states under gravity: each sigma point propagated by RK4, plus ``Q(dt, q)``."""
    m, n = x.shape
    X, wm, wc = sigma_points(x, P, **ut)
    dt = np.broadcast_to(np.asarray(dt_s, dtype=float), (m,))
    Y = propagate_ballistic(X.reshape(-1, n), np.repeat(dt, 2 * n + 1), j2=j2,
                            max_step_s=max_step_s).reshape(X.shape)
    mean, _, cov = _ut_moments(Y, wm, wc)
    return mean, _sym(cov + _noise(np.abs(dt), q, n))


def ukf_update_radar(x, P, z, sigma, site_r, enu, site_v=None, valid=None, **ut):
    """UKF update, same arguments and returns as :func:`ekf_update_radar`."""
    z, valid = _valid(z, valid)
    m, n = x.shape
    nz = z.shape[-1]
    X, wm, wc = sigma_points(x, P, **ut)
    k = 2 * n + 1

    def per_point(a):
        a = np.asarray(a, dtype=float)
        return np.repeat(a, k, axis=0) if a.ndim and a.shape[0] == m and a.ndim >= 2 else a

    sv = None if site_v is None else per_point(site_v)
    enu_k = per_point(enu) if np.ndim(enu) == 3 else enu
    Z = radar_measure(X.reshape(-1, n), per_point(site_r), enu_k, sv, range_rate=nz == 4).reshape(m, k, nz)
    z_hat, dz, S = _ut_moments(Z, wm, wc, wrap=True)
    S = _sym(S + _r_matrix(sigma, m))
    dx = X - x[:, None, :]
    Pxz = np.einsum("k,mki,mkj->mij", wc, dx - np.einsum("k,mki->mi", wm, dx)[:, None, :], dz)
    K = np.swapaxes(np.linalg.solve(S, np.swapaxes(Pxz, -1, -2)), -1, -2)
    nu = np.where(valid[:, None], wrap_residual(np.where(valid[:, None], z, 0.0) - z_hat), 0.0)
    xn = x + np.einsum("mij,mj->mi", K, nu)
    Pn = _sym(P - K @ S @ np.swapaxes(K, -1, -2))
    xn = np.where(valid[:, None], xn, x)
    Pn = np.where(valid[:, None, None], Pn, P)
    return xn, Pn, nu, S


# ------------------------------------------------------------------------------------------ helpers
def radar_to_position(z, sigma, site_r, enu):
    """Convert radar measurements ``(M, 3)`` to positions ``(M, 3)`` in the filter frame and their
    linearized covariance ``(M, 3, 3)`` (for track initiation)."""
    z = np.asarray(z, dtype=float)
    rho, az, el = z[..., 0], z[..., 1], z[..., 2]
    loc = frames.aer_to_enu(az, el, rho)
    enu = np.broadcast_to(enu, loc.shape[:-1] + (3, 3))
    r = site_r + np.einsum("...ji,...j->...i", enu, loc)
    ce, se, ca, sa = np.cos(el), np.sin(el), np.cos(az), np.sin(az)
    # d(e, n, u) / d(rho, az, el), columns
    J = np.stack([np.stack([ce * sa, rho * ce * ca, -rho * se * sa], -1),
                  np.stack([ce * ca, -rho * ce * sa, -rho * se * ca], -1),
                  np.stack([se, np.zeros_like(se), rho * ce], -1)], axis=-2)
    Jf = np.swapaxes(enu, -1, -2) @ J
    R = _r_matrix(sigma, r.reshape(-1, 3).shape[0]).reshape(r.shape[:-1] + (3, 3))
    return r, _sym(Jf @ R @ np.swapaxes(Jf, -1, -2))


def nis(nu, S):
    """Normalized innovation squared ``nu^T S^-1 nu`` ``(M,)`` (chi-square with ``nz`` degrees of freedom)."""
    return np.einsum("...i,...i", nu, np.linalg.solve(S, nu[..., None])[..., 0])


def nees(err, P):
    """Normalized estimation error squared ``e^T P^-1 e`` ``(M,)`` (chi-square, ``n`` degrees of freedom)."""
    return np.einsum("...i,...i", err, np.linalg.solve(P, err[..., None])[..., 0])
