"""Compiled kernels of the tracker's motion model (numba): the models of :mod:`bmdsim.core.estimation`, one row
at a time, with no numpy call per step.

- :func:`rk4`: fixed RK4 steps of ECI states ``(M, 6)`` (gravity, point mass + J2) or ``(M, 7)`` (gravity and
  drag, ``s = ln(1/beta)``), with the state-transition matrix from the variational equations integrated with the
  same steps (the exact Jacobian of the discrete map). The derivative and its Jacobian come from one evaluation
  of the model per stage (the numpy reference evaluates the drag twice, once for each).
- :func:`ekf_predict`: the same, and ``P' = Phi P Phi^T + Q`` (white-noise acceleration, the drag state's walk).
- :func:`ekf_update`: the EKF update with radar measurements (range, azimuth, elevation[, range rate]), Joseph
  form, a Cholesky solve of the innovation covariance.
- :func:`ekf_track`: a track's whole EKF pass (predict, update, NIS, report by report) in one call.
- :func:`fall`: each row flown down to a height (the PIP's flight): RK4 steps until the height drops below it,
  then Illinois regula falsi on the crossing time (to under 1 mm in height), row by row.

The numpy forms (``*_reference`` in :mod:`bmdsim.core.estimation`, :mod:`bmdsim.sensing.tracking`; listed by
:func:`bmdsim.sensing.tracking.reference_peers`) are the reference peers: the same formulas but for the geodetic
height, here Bowring's one-step form of the flight engine (:func:`bmdsim.core.engine.altitude`, 4e-9 m from the
closed form), there Heikkinen's closed form. tests/test_estimation_jit.py holds the two within 1 m and 1 mm/s.
The helpers are inlined into the kernels (``inline="always"``): a slower first compile (about 40 s of CPU, once
per environment: ``cache=True``), half the run time of plain calls.

``air`` is the density table ``(3, N)``: heights (m, uniform grid), log density, its slope per metre
(:func:`bmdsim.core.estimation.air_rows`); rho is 0 above the table's top, its bottom value below 0 m.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from bmdsim.core.constants import GM_EARTH_M3_S2, OMEGA_EARTH_RAD_S, WGS84_A_M
from bmdsim.core.engine import altitude
from bmdsim.core.gravity import acceleration_xyz, gradient_into

__all__ = ["rk4", "ekf_predict", "fall", "ekf_update", "ekf_track"]

_jit = nb.njit(cache=True, error_model="numpy")
_inline = nb.njit(cache=True, error_model="numpy", inline="always")
_OM = OMEGA_EARTH_RAD_S


@_inline
def _air(h, air):
    """``np.interp`` of the log density and of its slope at height ``h`` on the uniform grid ``air[0]``
    (clamped at both ends)."""
    n = air.shape[1]
    x = (h - air[0, 0]) / (air[0, 1] - air[0, 0])
    if x <= 0.0:
        return air[1, 0], air[2, 0]
    i = int(x)
    if i >= n - 1:
        return air[1, n - 1], air[2, n - 1]
    w = (h - air[0, i]) / (air[0, i + 1] - air[0, i])
    return air[1, i] + w * (air[1, i + 1] - air[1, i]), air[2, i] + w * (air[2, i + 1] - air[2, i])


@_inline
def _accel(x, y, z, v0, v1, v2, drag, j2, air, es):
    """Acceleration ``(ax, ay, az)`` at one state (``es = exp(s)`` with ``drag``), and what the Jacobian needs:
    the drag factor ``k = rho e^s / 2``, the air-relative velocity ``w`` and its norm, the log density's slope."""
    ax, ay, az = acceleration_xyz(x, y, z, j2, GM_EARTH_M3_S2)
    w0, w1, w2 = v0 + _OM * y, v1 - _OM * x, v2                  # v - omega x r: the air turns with the Earth
    k, wn, dl = 0.0, 0.0, 0.0
    top = air[0, air.shape[1] - 1]
    if drag and x * x + y * y + z * z <= (WGS84_A_M + top) ** 2:    # above: no air (h >= r - a)
        h = altitude(x, y, z, False)
        lr, dl = _air(h, air)
        rho = math.exp(lr) if h < top else 0.0
        wn = math.sqrt(w0 * w0 + w1 * w1 + w2 * w2)
        k = 0.5 * rho * es
        ax, ay, az = ax - k * wn * w0, ay - k * wn * w1, az - k * wn * w2
    return ax, ay, az, k, wn, w0, w1, w2, dl


@_inline
def _model(s, nx, j2, air, es, f, jr, jv, ja):
    """The derivative ``f`` ``(nx,)`` of state ``s`` (``es = exp(s[6])`` with drag) and the blocks of its
    Jacobian: ``jr = d a / d r``, ``jv = d a / d v`` ``(3, 3)``, ``ja = d a / d s`` ``(3,)`` (drag only)."""
    x, y, z = s[0], s[1], s[2]
    ax, ay, az, k, wn, w0, w1, w2, dl = _accel(x, y, z, s[3], s[4], s[5], nx == 7, j2, air, es)
    f[0], f[1], f[2], f[3], f[4], f[5] = s[3], s[4], s[5], ax, ay, az
    gradient_into(s, j2, GM_EARTH_M3_S2, jr)
    if nx == 7:
        f[6] = 0.0
        safe = max(wn, 1e-9)
        rn = math.sqrt(x * x + y * y + z * z)
        w = (w0, w1, w2)
        ad = (-k * wn * w0, -k * wn * w1, -k * wn * w2)
        up = (x / rn, y / rn, z / rn)                              # the height's gradient (to 0.2 deg)
        for i in range(3):
            for j in range(3):
                jv[i, j] = -k * ((safe if i == j else 0.0) + w[i] * w[j] / safe)
            for j in range(3):
                jr[i, j] += dl * ad[i] * up[j]
            jr[i, 0] -= jv[i, 1] * _OM                              # - (d a / d v) [omega x]
            jr[i, 1] += jv[i, 0] * _OM
            ja[i] = ad[i]


@_inline
def _rk4_state(y, h, n, j2, air):
    """``n`` RK4 steps of ``h`` of one state ``y`` ``(nx,)`` in place, without ``Phi``: the state in scalars."""
    drag = y.shape[0] == 7
    es = math.exp(y[6]) if drag else 0.0                          # s does not move (s' = 0)
    x0, x1, x2, v0, v1, v2 = y[0], y[1], y[2], y[3], y[4], y[5]
    hh = 0.5 * h
    for _ in range(n):
        a0, a1, a2, _k, _wn, _w0, _w1, _w2, _dl = _accel(x0, x1, x2, v0, v1, v2, drag, j2, air, es)
        p0, p1, p2, q0, q1, q2 = x0 + hh * v0, x1 + hh * v1, x2 + hh * v2, v0 + hh * a0, v1 + hh * a1, v2 + hh * a2
        b0, b1, b2, _k, _wn, _w0, _w1, _w2, _dl = _accel(p0, p1, p2, q0, q1, q2, drag, j2, air, es)
        p0, p1, p2, r0, r1, r2 = x0 + hh * q0, x1 + hh * q1, x2 + hh * q2, v0 + hh * b0, v1 + hh * b1, v2 + hh * b2
        c0, c1, c2, _k, _wn, _w0, _w1, _w2, _dl = _accel(p0, p1, p2, r0, r1, r2, drag, j2, air, es)
        p0, p1, p2, t0, t1, t2 = x0 + h * r0, x1 + h * r1, x2 + h * r2, v0 + h * c0, v1 + h * c1, v2 + h * c2
        d0, d1, d2, _k, _wn, _w0, _w1, _w2, _dl = _accel(p0, p1, p2, t0, t1, t2, drag, j2, air, es)
        x0 = x0 + h / 6.0 * (v0 + 2.0 * q0 + 2.0 * r0 + t0)
        x1 = x1 + h / 6.0 * (v1 + 2.0 * q1 + 2.0 * r1 + t1)
        x2 = x2 + h / 6.0 * (v2 + 2.0 * q2 + 2.0 * r2 + t2)
        v0 = v0 + h / 6.0 * (a0 + 2.0 * b0 + 2.0 * c0 + d0)
        v1 = v1 + h / 6.0 * (a1 + 2.0 * b1 + 2.0 * c1 + d1)
        v2 = v2 + h / 6.0 * (a2 + 2.0 * b2 + 2.0 * c2 + d2)
    y[0], y[1], y[2], y[3], y[4], y[5] = x0, x1, x2, v0, v1, v2


@_inline
def _aphi(nx, ph, jr, jv, ja, out):
    """``A Phi`` with ``A`` the Jacobian of the derivative (blocks from :func:`_model`)."""
    for c in range(nx):
        for i in range(3):
            out[i, c] = ph[3 + i, c]
            acc = jr[i, 0] * ph[0, c] + jr[i, 1] * ph[1, c] + jr[i, 2] * ph[2, c]
            if nx == 7:
                acc += jv[i, 0] * ph[3, c] + jv[i, 1] * ph[4, c] + jv[i, 2] * ph[5, c] + ja[i] * ph[6, c]
            out[3 + i, c] = acc
        if nx == 7:
            out[6, c] = 0.0


@_inline
def _rk4_row(y, ph, h, n, j2, air, ws):
    """``n`` RK4 steps of ``h`` of one state ``y`` ``(nx,)`` and its ``Phi`` ``(nx, nx)``, in place; ``ws`` the
    work arrays of :func:`_work`."""
    nx = y.shape[0]
    k, xs, p, ps, jr, jv, ja = ws
    frac = (0.0, 0.5, 0.5, 1.0)
    es = math.exp(y[6]) if nx == 7 else 0.0                       # s does not move (s' = 0)
    for _ in range(n):
        for st in range(4):
            if st == 0:
                xs[:] = y
                ps[:, :] = ph
            else:
                for a in range(nx):
                    xs[a] = y[a] + frac[st] * h * k[st - 1, a]
                for a in range(nx):
                    for b in range(nx):
                        ps[a, b] = ph[a, b] + frac[st] * h * p[st - 1, a, b]
            _model(xs, nx, j2, air, es, k[st], jr, jv, ja)
            _aphi(nx, ps, jr, jv, ja, p[st])
        for a in range(nx):
            for b in range(nx):
                ph[a, b] = ph[a, b] + h / 6.0 * (p[0, a, b] + 2.0 * p[1, a, b] + 2.0 * p[2, a, b] + p[3, a, b])
        for a in range(nx):
            y[a] = y[a] + h / 6.0 * (k[0, a] + 2.0 * k[1, a] + 2.0 * k[2, a] + k[3, a])


@_inline
def _work(nx):
    return (np.zeros((4, nx)), np.zeros(nx), np.zeros((4, nx, nx)), np.zeros((nx, nx)), np.zeros((3, 3)),
            np.zeros((3, 3)), np.zeros(3))


@_jit
def rk4(x, h, n, j2, stm, air):
    """``n`` RK4 steps of ``h[i]`` (s) for each row of ``x`` ``(M, nx)``; returns the states and, with ``stm``,
    the state-transition matrices ``(M, nx, nx)`` (else an empty ``(0, nx, nx)``)."""
    m, nx = x.shape
    out = x.copy()
    phi = np.zeros((m if stm else 0, nx, nx))
    ws = _work(nx)
    for i in range(m):
        if stm:
            for a in range(nx):
                phi[i, a, a] = 1.0
            _rk4_row(out[i], phi[i], h[i], n, j2, air, ws)
        else:
            _rk4_state(out[i], h[i], n, j2, air)
    return out, phi


@_inline
def _mul(a, b, out, bt):
    """``out = a @ b`` (``a @ b.T`` with ``bt``)."""
    for i in range(a.shape[0]):
        for j in range(b.shape[0] if bt else b.shape[1]):
            acc = 0.0
            for c in range(a.shape[1]):
                acc += a[i, c] * (b[j, c] if bt else b[c, j])
            out[i, j] = acc


@_inline
def _sym(a):
    """``a = (a + a.T) / 2`` in place."""
    for i in range(a.shape[0]):
        for j in range(i + 1, a.shape[0]):
            v = 0.5 * (a[i, j] + a[j, i])
            a[i, j], a[j, i] = v, v


@_inline
def _cov_row(ph, Pi, dt, q, q_drag, t, out):
    """``out = sym(Phi P Phi^T + Q)`` of one row; ``Q``: white-noise acceleration of density ``q`` (m2/s3)
    over ``dt`` (s) and, for 7 elements, ``q_drag dt`` on ``s``; ``t`` a work array ``(nx, nx)``."""
    _mul(ph, Pi, t, False)
    _mul(t, ph, out, True)
    for a in range(3):
        out[a, a] += q * dt**3 / 3.0
        out[a, a + 3] += q * dt**2 / 2.0
        out[a + 3, a] += q * dt**2 / 2.0
        out[a + 3, a + 3] += q * dt
    if out.shape[0] == 7:
        out[6, 6] += q_drag * dt
    _sym(out)


@_jit
def ekf_predict(x, P, h, n, dt_abs, q, q_drag, j2, air):
    """:func:`rk4` with the state-transition matrix, then ``P' = sym(Phi P Phi^T + Q)``: ``Q`` the white-noise
    acceleration of density ``q[i]`` (m2/s3) over ``dt_abs[i]`` and, for 7 elements, ``q_drag dt`` on ``s``."""
    m, nx = x.shape
    xo, phi = rk4(x, h, n, j2, True, air)
    Pn = np.empty_like(P)
    t = np.empty((nx, nx))
    for i in range(m):
        _cov_row(phi[i], P[i], dt_abs[i], q[i], q_drag, t, Pn[i])
    return xo, Pn


@_jit
def fall(x, altitude_m, max_step, coarse, coarse_above, max_time, j2, air):
    """Fly each row of ``x`` ``(M, nx)`` down to ``altitude_m`` above WGS84: RK4 steps of ``coarse`` (s) while
    more than ``coarse_above`` (m) above it, else ``max_step``, for at most ``max_time`` (s); then Illinois regula
    falsi on the crossing time within the last step, until the height is within 1 mm (30 iterations at most).
    Returns the flight times to the crossing ``(M,)`` and the states there ``(M, nx)``, NaN for rows that start
    below the height or do not come down in time."""
    m, nx = x.shape
    tau_hit = np.full(m, np.nan)
    x_hit = np.full((m, nx), np.nan)
    y, yn = np.empty(nx), np.empty(nx)
    for i in range(m):
        y[:] = x[i]
        hp = altitude(y[0], y[1], y[2], False) - altitude_m
        if not hp >= 0.0:
            continue
        tau, step, hn, crossed = 0.0, max_step, 0.0, False
        while tau < max_time:
            step = coarse if hp > coarse_above else max_step
            yn[:] = y
            _rk4_state(yn, step, 1, j2, air)
            hn = altitude(yn[0], yn[1], yn[2], False) - altitude_m
            if hn < 0.0:
                crossed = True
                break
            y[:] = yn
            hp, tau = hn, tau + step
        if not crossed:
            continue
        a, b, ha, hb, s = 0.0, step, hp, hn, 0.0
        for _ in range(30):
            s = b - hb * (b - a) / (hb - ha)
            yn[:] = y
            sub = max(int(math.ceil(abs(s) / max_step)), 1)
            _rk4_state(yn, s / sub, sub, j2, air)
            hs = altitude(yn[0], yn[1], yn[2], False) - altitude_m
            if abs(hs) < 1e-3:
                break
            if hs > 0.0:                        # the crossing lies in [s, b]; Illinois: halve the kept end
                a, ha, hb = s, hs, 0.5 * hb
            else:
                b, hb, ha = s, hs, 0.5 * ha
        tau_hit[i] = tau + s
        x_hit[i] = yn
    return tau_hit, x_hit


@_inline
def _chol_solve(S, nz, B, out):
    """``out = S^-1 B`` for a symmetric positive definite ``S`` ``(nz, nz)`` (Cholesky), ``B`` ``(nz, c)``."""
    L = np.zeros((nz, nz))
    for i in range(nz):
        for j in range(i + 1):
            acc = S[i, j]
            for k in range(j):
                acc -= L[i, k] * L[j, k]
            L[i, j] = math.sqrt(acc) if i == j else acc / L[j, j]
    for c in range(B.shape[1]):
        for i in range(nz):
            acc = B[i, c]
            for k in range(i):
                acc -= L[i, k] * out[k, c]
            out[i, c] = acc / L[i, i]
        for i in range(nz - 1, -1, -1):
            acc = out[i, c]
            for k in range(i + 1, nz):
                acc -= L[k, i] * out[k, c]
            out[i, c] = acc / L[i, i]


@_inline
def _measure(xi, site_r, enu, site_v, nz, zh, H):
    """Noise-free radar measurement ``zh`` ``(nz,)`` of one state and its Jacobian ``H`` ``(nz, n)`` (the
    formulas of :func:`bmdsim.core.estimation.radar_measure` and :func:`~bmdsim.core.estimation.radar_jacobian`)."""
    d0, d1, d2 = xi[0] - site_r[0], xi[1] - site_r[1], xi[2] - site_r[2]
    e = enu[0, 0] * d0 + enu[0, 1] * d1 + enu[0, 2] * d2
    n = enu[1, 0] * d0 + enu[1, 1] * d1 + enu[1, 2] * d2
    u = enu[2, 0] * d0 + enu[2, 1] * d1 + enu[2, 2] * d2
    h2 = e * e + n * n
    h = math.sqrt(h2)
    rho2 = h2 + u * u
    rho = math.sqrt(rho2)
    zh[0], zh[1], zh[2] = rho, math.atan2(e, n) % (2.0 * math.pi), math.atan2(u, h)
    H[:, :] = 0.0
    for j in range(3):
        H[0, j] = (e * enu[0, j] + n * enu[1, j] + u * enu[2, j]) / rho
        H[1, j] = (n * enu[0, j] - e * enu[1, j]) / h2
        H[2, j] = (-e * u * enu[0, j] - n * u * enu[1, j]) / (rho2 * h) + h / rho2 * enu[2, j]
    if nz == 4:
        d = (d0, d1, d2)
        w0, w1, w2 = xi[3] - site_v[0], xi[4] - site_v[1], xi[5] - site_v[2]
        rdot = (w0 * d0 + w1 * d1 + w2 * d2) / rho
        zh[3] = rdot
        w = (w0, w1, w2)
        for j in range(3):
            H[3, j] = (w[j] - rdot * d[j] / rho) / rho
            H[3, 3 + j] = d[j] / rho


@_inline
def _update_row(xi, Pi, zi, si, sr, en, sv, nz, valid, xo, Po, nu, S, uw):
    """EKF update of one state ``xi`` ``(nx,)`` with the first ``nz`` components of a radar measurement ``zi``
    (sigmas ``si``, site ``sr``, ``en``, ``sv``) into ``xo``, ``Po``; ``nu`` ``(nz,)`` and ``S`` ``(nz, nz)`` are
    written; not ``valid``: the prior is kept, the residual zero; ``uw`` the work arrays of :func:`_update_work`."""
    zh, H, HP, Kt, ikh, t = uw[0][:nz], uw[1][:nz], uw[2][:nz], uw[3][:nz], uw[4], uw[5]
    _measure(xi, sr, en, sv, nz, zh, H)
    _mul(H, Pi, HP, False)
    _mul(HP, H, S, True)
    for a in range(nz):
        S[a, a] += si[a] ** 2
    _sym(S)
    xo[:] = xi
    Po[:, :] = Pi
    nu[:] = 0.0
    if not valid:
        return
    for a in range(nz):
        nu[a] = zi[a] - zh[a]
    nu[1] = -((-nu[1] + math.pi) % (2.0 * math.pi)) + math.pi
    _chol_solve(S, nz, HP, Kt)                                  # K^T = S^-1 H P
    nx = xi.shape[0]
    for a in range(nx):
        for b in range(nz):
            xo[a] += Kt[b, a] * nu[b]
    for a in range(nx):
        for b in range(nx):
            acc = 1.0 if a == b else 0.0
            for c in range(nz):
                acc -= Kt[c, a] * H[c, b]
            ikh[a, b] = acc
    _mul(ikh, Pi, t, False)
    _mul(t, ikh, Po, True)
    for a in range(nx):
        for b in range(nx):
            for c in range(nz):
                Po[a, b] += Kt[c, a] * si[c] ** 2 * Kt[c, b]
    _sym(Po)


@_inline
def _update_work(nx):
    return np.empty(4), np.empty((4, nx)), np.empty((4, nx)), np.empty((4, nx)), np.empty((nx, nx)), \
        np.empty((nx, nx))


@_jit
def ekf_update(x, P, z, sigma, site_r, enu, site_v, valid):
    """EKF update of each row with its radar measurement ``z`` ``(M, nz)`` (range, azimuth, elevation[, range
    rate]) of standard deviations ``sigma`` ``(M, nz)`` from a site ``site_r``, ``enu``, ``site_v`` ``(M, ...)``;
    Joseph form, the azimuth residual wrapped to ``(-pi, pi]``. Rows not ``valid`` keep their prior and a zero
    residual. Returns ``(x, P, nu, S)``."""
    m, nx = x.shape
    nz = z.shape[1]
    xo, Po = np.empty_like(x), np.empty_like(P)
    nu, S = np.zeros((m, nz)), np.zeros((m, nz, nz))
    uw = _update_work(nx)
    for i in range(m):
        _update_row(x[i], P[i], z[i], sigma[i], site_r[i], enu[i], site_v[i], nz, valid[i], xo[i], Po[i], nu[i],
                    S[i], uw)
    return xo, Po, nu, S


@_jit
def ekf_track(x0, P0, dt, nz, z, sigma, site_r, enu, site_v, q, q_drag, max_step, j2, air):
    """One EKF over ``K`` reports in order: predict by ``dt[k]`` (s; RK4 sub-steps of at most ``max_step``),
    then update with the first ``nz[k]`` (3 or 4) components of ``z[k]`` (sigmas ``sigma[k]``, site ``site_r[k]``,
    ``enu[k]``, ``site_v[k]``). Returns the states ``(K, nx)``, covariances ``(K, nx, nx)`` and NIS ``(K,)``
    after each update: :func:`ekf_predict` and :func:`ekf_update` report by report, in one call."""
    k_n, nx = dt.shape[0], x0.shape[0]
    xs, Ps, ns = np.empty((k_n, nx)), np.empty((k_n, nx, nx)), np.empty(k_n)
    y, P, Pp, ph, t = x0.copy(), P0.copy(), np.empty((nx, nx)), np.empty((nx, nx)), np.empty((nx, nx))
    nu, S, sol = np.empty(4), np.empty((4, 4)), np.empty((4, 1))
    ws, uw = _work(nx), _update_work(nx)
    for k in range(k_n):
        n = max(int(math.ceil(abs(dt[k]) / max_step)), 1)
        ph[:, :] = 0.0
        for a in range(nx):
            ph[a, a] = 1.0
        _rk4_row(y, ph, dt[k] / n, n, j2, air, ws)
        _cov_row(ph, P, abs(dt[k]), q, q_drag, t, Pp)
        m = nz[k]
        _update_row(y, Pp, z[k], sigma[k], site_r[k], enu[k], site_v[k], m, True, xs[k], Ps[k], nu[:m],
                    S[:m, :m], uw)
        _chol_solve(S[:m, :m], m, nu[:m].reshape((m, 1)), sol[:m])
        acc = 0.0
        for a in range(m):
            acc += nu[a] * sol[a, 0]
        ns[k] = acc
        y[:] = xs[k]
        P[:, :] = Ps[k]
    return xs, Ps, ns
