"""The production flight engine: a batch of powered and ballistic flights integrated in one compiled call.

Equations (shared with the ``solve_ivp`` oracle in :mod:`bmdsim.core.oracle` through :func:`rhs`):
state ``y = (r_eci, v_eci)`` in the epoch-aligned inertial frame; gravity point mass + J2; drag against the air,
which turns with the Earth (``v_air = v - omega x r``), density from the US Standard Atmosphere 1976
(:mod:`bmdsim.core.atmosphere`) at the geodetic height; thrust ``T = T_vac - A_exit p(h)`` along the steering
direction; mass falls linearly within each stage. After the last burnout (or a thrust cut-off) the reentry
vehicle flies alone with a constant ballistic coefficient ``beta = m / (C_D A)``.

Steering: vertical rise until ``t_vertical``, then the thrust turns at a constant rate to ``kick`` from vertical
over ``t_kick`` in the launch plane (the great circle through the launch point along the launch azimuth, fixed to
the Earth), then a gravity turn (thrust along the air-relative velocity). A tabulated pitch program (angle from
vertical against time since launch) replaces the whole sequence when given. A steering row of seven columns
``(t_vertical, t_kick, kick, t_switch, tan_a, tan_b, t_end)`` with ``t_switch > 0`` adds linear-tangent steering
from ``t_switch`` on (above the dense air): the thrust's elevation above the local horizontal, in the launch
plane, is ``atan(tan_a + (tan_b - tan_a) min(1, (t - t_switch) / (t_end - t_switch)))`` (the optimal thrust
direction in a uniform field: Bryson & Ho, "Applied Optimal Control", 1975, sec. 2.7; see docs/design.md).

Integrator: Dormand-Prince 5(4) with local error control, one trajectory per thread (``numba.prange``), steps
forced to end on every discontinuity (stage burnouts, cut-off, the end of vertical rise and of the kick). Events
(apogee, the 100 km reentry interface, impact) are located to 1e-7 s on the method's own continuous extension
(order 4) of each accepted step, which also gives the dense output on a uniform time grid.

Everything is SI. Times are seconds since the scenario epoch; ``t0`` is the launch time of each row.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numba as nb
import numpy as np

from bmdsim.core import atmosphere
from bmdsim.core.constants import (
    GM_EARTH_M3_S2,
    J2_EARTH,
    OMEGA_EARTH_RAD_S,
    R_SPHERE_M,
    WGS84_A_M,
    WGS84_B_M,
    WGS84_E2,
    WGS84_EP2,
)

_EP2 = WGS84_EP2

__all__ = ["Options", "integrate", "STATUS"]

#: status codes per trajectory
STATUS = {0: "impact", 1: "max flight time reached", 2: "step limit reached", 3: "escaped Earth"}

REENTRY_INTERFACE_M = 100_000.0

# Atmosphere table (uniform in altitude) shared by all threads; module globals are frozen into the compiled code.
# The table is interpolated by cubic Hermite in log-density and log-pressure (slopes by central differences):
# C1-continuous, so the error-controlled integrator does not stumble on a kink every 250 m of altitude.
# The table travels as an argument, not as a global: numba freezes globals into its on-disk cache, which is
# keyed on this file only, so a change to the atmosphere module would not reach cached code.
_NO_AIR_R2 = (WGS84_A_M + 1.0e6) ** 2
_VEL_ATOL_PER_M = 1e-3   # velocity tolerance per metre of position tolerance, 1/s (looser: 11 m off at 1e-2)

# Dormand-Prince 5(4) tableau (Dormand & Prince 1980; Hairer, Norsett & Wanner, table II.5.2).
_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
_A = np.zeros((7, 7))
_A[1, :1] = [1 / 5]
_A[2, :2] = [3 / 40, 9 / 40]
_A[3, :3] = [44 / 45, -56 / 15, 32 / 9]
_A[4, :4] = [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729]
_A[5, :5] = [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656]
_A[6, :6] = [35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84]
_E = np.array([71 / 57600, 0.0, -71 / 16695, 71 / 1920, -17253 / 339200, 22 / 525, -1 / 40])
# Its continuous extension of order 4 (Hairer, Norsett & Wanner; Shampine, Math. Comp. 46, 1986): the state at
# fraction s of a step is y0 + h sum_j k_j (P[j,0] s + P[j,1] s^2 + P[j,2] s^3 + P[j,3] s^4).
_P = np.array([
    [1, -8048581381 / 2820520608, 8663915743 / 2820520608, -12715105075 / 11282082432],
    [0, 0, 0, 0],
    [0, 131558114200 / 32700410799, -68118460800 / 10900136933, 87487479700 / 32700410799],
    [0, -1754552775 / 470086768, 14199869525 / 1410260304, -10690763975 / 1880347072],
    [0, 127303824393 / 49829197408, -318862633887 / 49829197408, 701980252875 / 199316789632],
    [0, -282668133 / 205662961, 2019193451 / 616988883, -1453857185 / 822651844],
    [0, 40617522 / 29380423, -110615467 / 29380423, 69997945 / 29380423]])


class Options:
    """Batch-wide physics switches and integration settings (plain attributes, documented here).

    - ``rotation``: the Earth turns (``omega = 7.292115e-5 rad/s``) or not.
    - ``j2``: include the J2 term of gravity.
    - ``drag``: include aerodynamic drag.
    - ``sphere``: a spherical Earth of radius 6,371 km (altitude = ``|r| - R``) instead of WGS84.
    - ``rtol``, ``atol_m``: local error tolerances (relative, and absolute on position in m; velocity gets
      ``atol_m / 1000`` per second) of free flight; ``boost_tol_factor`` scales both while a stage thrusts.
      Boost errors dominate the impact error (they are carried over the whole flight), while a looser
      free-flight tolerance barely moves the impact: the defaults put the work where it pays (a few metres
      from the oracle at impact, see docs/design.md).
    - ``max_time_s``: flight time limit after launch; ``max_steps``: accepted-step limit.
    - ``dense_dt_s``: dense output spacing (0 for none) and ``dense_n``: number of samples kept.
    """

    __slots__ = ("rotation", "j2", "drag", "sphere", "rtol", "atol_m", "boost_tol_factor", "max_time_s",
                 "max_steps", "dense_dt_s", "dense_n")

    def __init__(self, *, rotation=True, j2=True, drag=True, sphere=False, rtol=1e-9, atol_m=0.01,
                 boost_tol_factor=0.05, max_time_s=20_000.0, max_steps=200_000, dense_dt_s=0.0, dense_n=0):
        self.rotation, self.j2, self.drag, self.sphere = rotation, j2, drag, sphere
        self.rtol, self.atol_m, self.boost_tol_factor = rtol, atol_m, boost_tol_factor
        self.max_time_s, self.max_steps = max_time_s, max_steps
        self.dense_dt_s, self.dense_n = dense_dt_s, dense_n

    def flags(self):
        return np.array([OMEGA_EARTH_RAD_S if self.rotation else 0.0, 1.0 if self.j2 else 0.0,
                         1.0 if self.drag else 0.0, 1.0 if self.sphere else 0.0, self.rtol, self.atol_m,
                         self.max_time_s, float(self.max_steps), self.dense_dt_s, self.boost_tol_factor])


# ----------------------------------------------------------------------------------------------- kernels
_jit = nb.njit(cache=True, fastmath=False, error_model="numpy")


@_jit
def altitude(x, y, z, sphere):
    """Geodetic height (m) of an Earth-centred point, or the height above the 6,371 km sphere.

    Bowring's formula (Survey Review 23(181), 1976) with one step from the parametric latitude, written without
    trigonometric calls: 4e-9 m from the exact height for heights from -100 m to 2,000 km (tests), 2.6 times
    faster here than the closed form in :func:`bmdsim.core.frames.ecef_to_geodetic`.
    """
    if sphere:
        return math.sqrt(x * x + y * y + z * z) - R_SPHERE_M
    a, b, e2 = WGS84_A_M, WGS84_B_M, WGS84_E2
    p = math.sqrt(x * x + y * y)
    cu, su = p * b, z * a
    n = math.sqrt(cu * cu + su * su)
    cu, su = cu / n, su / n
    num = z + _EP2 * b * su * su * su
    den = p - e2 * a * cu * cu * cu
    m = math.sqrt(num * num + den * den)
    sl, cl = num / m, den / m
    return p * cl + z * sl - a * math.sqrt(1.0 - e2 * sl * sl)


@lru_cache(maxsize=1)
def atmosphere_table() -> np.ndarray:
    """Rows: log-density, its slope per grid step, log-pressure, its slope, speed of sound, its slope; the grid
    step (m) in ``[6, 0]``."""
    alt, logrho, p, a = atmosphere.table()
    logp = np.log(np.maximum(p, 1e-300))
    tab = np.zeros((7, alt.size))
    tab[:6] = logrho, np.gradient(logrho), logp, np.gradient(logp), a, np.gradient(a)
    tab[6, 0] = alt[1] - alt[0]
    return tab


@nb.njit(cache=True, error_model="numpy", inline="always")
def _atm(h, full, tab):
    """(density kg/m3, pressure Pa, speed of sound m/s) at geometric height h; pressure and speed of sound only
    when ``full`` (a thrusting stage needs them; the lone reentry vehicle does not)."""
    n = tab.shape[1]
    if h <= 0.0:
        return math.exp(tab[0, 0]), math.exp(tab[2, 0]), tab[4, 0]
    x = h / tab[6, 0]
    i = int(x)
    if i >= n - 1:
        return 0.0, 0.0, tab[4, n - 1]
    w = x - i
    w2, w3 = w * w, w * w * w
    h00, h10, h01, h11 = 2 * w3 - 3 * w2 + 1, w3 - 2 * w2 + w, -2 * w3 + 3 * w2, w3 - w2
    lr = h00 * tab[0, i] + h10 * tab[1, i] + h01 * tab[0, i + 1] + h11 * tab[1, i + 1]
    if not full:
        return math.exp(lr), 0.0, 0.0
    lp = h00 * tab[2, i] + h10 * tab[3, i] + h01 * tab[2, i + 1] + h11 * tab[3, i + 1]
    a = h00 * tab[4, i] + h10 * tab[5, i] + h01 * tab[4, i + 1] + h11 * tab[5, i + 1]
    return math.exp(lr), math.exp(lp), a


@_jit
def _cd(mach_grid, cd_row, mach):
    """Drag coefficient at ``mach``: monotone cubic Hermite (Fritsch-Carlson slopes) through the table, so the
    curve has no kinks for the error control to resolve and no overshoot between points."""
    n = mach_grid.size
    if mach <= mach_grid[0]:
        return cd_row[0]
    if mach >= mach_grid[n - 1]:
        return cd_row[n - 1]
    j = 0
    while mach_grid[j + 1] < mach:
        j += 1
    hx = mach_grid[j + 1] - mach_grid[j]
    m0 = _slope(mach_grid, cd_row, j)
    m1 = _slope(mach_grid, cd_row, j + 1)
    w = (mach - mach_grid[j]) / hx
    w2, w3 = w * w, w * w * w
    return ((2 * w3 - 3 * w2 + 1) * cd_row[j] + (w3 - 2 * w2 + w) * hx * m0 + (-2 * w3 + 3 * w2) * cd_row[j + 1]
            + (w3 - w2) * hx * m1)


@_jit
def _slope(x, y, j):
    """Fritsch-Carlson slope at node ``j``: zero at a local extremum or an end, else the weighted harmonic mean of
    the neighbouring secants (Fritsch & Carlson, SIAM J. Numer. Anal. 17(2), 1980; Brodlie's weights)."""
    n = x.size
    if j == 0 or j == n - 1:
        return 0.0
    h0, h1 = x[j] - x[j - 1], x[j + 1] - x[j]
    d0, d1 = (y[j] - y[j - 1]) / h0, (y[j + 1] - y[j]) / h1
    if d0 * d1 <= 0.0:
        return 0.0
    w0, w1 = 2 * h1 + h0, h1 + 2 * h0
    return (w0 + w1) / (w0 / d0 + w1 / d1)


@nb.njit(cache=True, error_model="numpy", inline="always")
def rhs(t, y, out, i, phase, t0, stg, n_stages, mach_grid, cd_tab, beta, steer, plane_n, pitch_t, pitch_rad,
        n_pitch, atm, flags):
    """Derivative of ``y = (r, v)`` (ECI) of row ``i`` at time ``t`` in ``phase`` (stage index while thrusting,
    ``n_stages`` or more once the reentry vehicle coasts alone). ``stg[i, s]`` = (t_end_rel, m_start, mdot,
    thrust_vac, exit_area, area_ref)."""
    omega, use_j2, use_drag, sphere = flags[0], flags[1], flags[2], flags[3] > 0.5
    x, yy, z = y[0], y[1], y[2]
    vx, vy, vz = y[3], y[4], y[5]
    r2 = x * x + yy * yy + z * z
    r = math.sqrt(r2)
    mu = GM_EARTH_M3_S2
    g = -mu / (r2 * r)
    ax, ay, az = g * x, g * yy, g * z
    if use_j2 > 0.5:
        z2 = z * z / r2
        k = -1.5 * J2_EARTH * mu * WGS84_A_M * WGS84_A_M / (r2 * r2 * r)
        ax += k * x * (1.0 - 5.0 * z2)
        ay += k * yy * (1.0 - 5.0 * z2)
        az += k * z * (3.0 - 5.0 * z2)
    # air-relative velocity: v - omega x r
    wx, wy = vx + omega * yy, vy - omega * x
    wz = vz
    vrel = math.sqrt(wx * wx + wy * wy + wz * wz)
    thrusting = phase < n_stages[i]
    if r2 > _NO_AIR_R2:   # above 1,000 km over the equatorial radius: vacuum, skip the height
        rho, p, a_snd = 0.0, 0.0, atm[4, atm.shape[1] - 1]
    elif use_drag > 0.5 or thrusting:
        rho, p, a_snd = _atm(altitude(x, yy, z, sphere), thrusting, atm)
    else:
        rho, p, a_snd = 0.0, 0.0, 0.0
    if use_drag > 0.5 and vrel > 0.0 and rho > 0.0:
        if thrusting:
            trel = t - t0[i]
            t_start = 0.0 if phase == 0 else stg[i, phase - 1, 0]
            m = stg[i, phase, 1] - stg[i, phase, 2] * (trel - t_start)
            cd = _cd(mach_grid, cd_tab[i, phase], vrel / a_snd)
            dk = -0.5 * rho * vrel * cd * stg[i, phase, 5] / m
        else:
            dk = -0.5 * rho * vrel / beta[i]
        ax += dk * wx
        ay += dk * wy
        az += dk * wz
    if thrusting:
        trel = t - t0[i]
        t_start = 0.0 if phase == 0 else stg[i, phase - 1, 0]
        m = stg[i, phase, 1] - stg[i, phase, 2] * (trel - t_start)
        thrust = stg[i, phase, 3] - stg[i, phase, 4] * p
        ux, uy, uz = x / r, yy / r, z / r
        # steering: pitch angle from vertical, or gravity turn
        gravity_turn = False
        if n_pitch[i] > 0:
            np_ = n_pitch[i]
            if trel >= pitch_t[i, np_ - 1]:
                pitch = pitch_rad[i, np_ - 1]
            elif trel <= pitch_t[i, 0]:
                pitch = pitch_rad[i, 0]
            else:
                j = 0
                while pitch_t[i, j + 1] < trel:
                    j += 1
                w = (trel - pitch_t[i, j]) / (pitch_t[i, j + 1] - pitch_t[i, j])
                pitch = pitch_rad[i, j] * (1.0 - w) + pitch_rad[i, j + 1] * w
        elif steer.shape[1] >= 7 and steer[i, 3] > 0.0 and trel >= steer[i, 3]:
            # linear-tangent steering after the switch: tan(elevation above the horizontal) linear in time
            ts, te = steer[i, 3], steer[i, 6]
            w = 1.0 if te <= ts else min(1.0, (trel - ts) / (te - ts))
            pitch = 0.5 * math.pi - math.atan(steer[i, 4] + (steer[i, 5] - steer[i, 4]) * w)
        else:
            tv, tk, kick = steer[i, 0], steer[i, 1], steer[i, 2]
            if trel < tv:
                pitch = 0.0
            elif trel < tv + tk:
                pitch = kick * (trel - tv) / tk
            else:
                pitch = 0.0
                gravity_turn = True
        if gravity_turn and vrel > 1.0:
            dx, dy, dz = wx / vrel, wy / vrel, wz / vrel
        else:
            # launch-plane normal is fixed to the Earth: rotate it into ECI
            th = omega * t
            ct, st = math.cos(th), math.sin(th)
            nx = ct * plane_n[i, 0] - st * plane_n[i, 1]
            ny = st * plane_n[i, 0] + ct * plane_n[i, 1]
            nz = plane_n[i, 2]
            # downrange horizontal = n x up
            hx, hy, hz = ny * uz - nz * uy, nz * ux - nx * uz, nx * uy - ny * ux
            hn = math.sqrt(hx * hx + hy * hy + hz * hz)
            sp, cp = math.sin(pitch), math.cos(pitch)
            dx, dy, dz = cp * ux + sp * hx / hn, cp * uy + sp * hy / hn, cp * uz + sp * hz / hn
        at = thrust / m
        ax += at * dx
        ay += at * dy
        az += at * dz
    out[0], out[1], out[2] = vx, vy, vz
    out[3], out[4], out[5] = ax, ay, az


@_jit
def _interp(h, s, y0, k, out):
    """Dormand-Prince's own continuous extension (order 4) of a step of length ``h`` at fraction ``s`` in
    [0, 1], from its seven stages ``k`` (coefficients :data:`_P`, as in Hairer, Norsett & Wanner, and
    scipy's RK45 dense output)."""
    s2 = s * s
    s3 = s2 * s
    s4 = s3 * s
    for c in range(6):
        acc = 0.0
        for j in range(7):
            acc += k[j, c] * (_P[j, 0] * s + _P[j, 1] * s2 + _P[j, 2] * s3 + _P[j, 3] * s4)
        out[c] = y0[c] + h * acc


@_jit
def _event_root(kind, level, h, y0, k, sphere, tmp):
    """Fraction s in [0, 1] of the step where the event function crosses ``level`` (bisection on the
    continuous extension, to 1e-7 s). kind 0: height; kind 1: radial velocity r.v."""
    lo, hi = 0.0, 1.0
    glo = _event_fn(kind, y0, sphere) - level
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        _interp(h, mid, y0, k, tmp)
        gm = _event_fn(kind, tmp, sphere) - level
        if (gm > 0.0) == (glo > 0.0):
            lo, glo = mid, gm
        else:
            hi = mid
        if (hi - lo) * h < 1e-7:
            break
    return 0.5 * (lo + hi)


@_jit
def _event_fn(kind, y, sphere):
    if kind == 0:
        return altitude(y[0], y[1], y[2], sphere)
    return y[0] * y[3] + y[1] * y[4] + y[2] * y[5]


# long: one compiled kernel, the parallel loop over flights with its adaptive step, stages and events inline
@nb.njit(cache=True, parallel=True, error_model="numpy")
def _integrate(y0, t0, stg, n_stages, mach_grid, cd_tab, beta, steer, plane_n, pitch_t, pitch_rad, n_pitch, atm,
               t_cutoff, h_impact, flags, ev_t, ev_y, stage_t, status, nsteps, dense, dense_n):
    n = y0.shape[0]
    C, A, E = _C, _A, _E
    rtol, atol = flags[4], flags[5]
    max_time, max_steps, dt_out, boost_f = flags[6], int(flags[7]), flags[8], flags[9]
    sphere = flags[3] > 0.5
    for i in nb.prange(n):
        k = np.zeros((7, 6))
        y = y0[i].copy()
        ynew = np.empty(6)
        ytmp = np.empty(6)
        err = np.empty(6)
        tmp = np.empty(6)
        t = t0[i]
        ns = n_stages[i]
        # breakpoints relative to launch: end of vertical rise, end of kick, each burnout, cut-off
        bps = np.empty(ns + 5)
        nb_ = 0
        if n_pitch[i] == 0 and ns > 0:
            bps[nb_] = steer[i, 0]
            nb_ += 1
            bps[nb_] = steer[i, 0] + steer[i, 1]
            nb_ += 1
            if steer.shape[1] >= 7 and steer[i, 3] > 0.0:   # linear-tangent switch and its end
                bps[nb_] = steer[i, 3]
                nb_ += 1
                bps[nb_] = steer[i, 6]
                nb_ += 1
        for s_ in range(ns):
            bps[nb_] = min(stg[i, s_, 0], t_cutoff[i])
            nb_ += 1
        bps[:nb_] = np.sort(bps[:nb_])
        phase = 0
        # the vehicle is thrusting in phase < ns, unless cut off
        if t_cutoff[i] <= 0.0:
            phase = ns
        rhs(t, y, k[0], i, phase, t0, stg, n_stages, mach_grid, cd_tab, beta, steer, plane_n, pitch_t,
            pitch_rad, n_pitch, atm, flags)
        hstep = 1.0
        went_above_100 = altitude(y[0], y[1], y[2], sphere) > REENTRY_INTERFACE_M
        next_out = 0
        if dense_n > 0:
            dense[i, 0, :] = y
            next_out = 1
        steps = 0
        status[i] = 1
        while True:
            trel = t - t0[i]
            if trel >= max_time:
                status[i] = 1
                break
            if steps >= max_steps:
                status[i] = 2
                break
            # next breakpoint
            t_bp = max_time
            for b in range(nb_):
                if bps[b] > trel + 1e-9:
                    t_bp = min(t_bp, bps[b])
                    break
            h = min(hstep, t_bp - trel)
            forced = h == t_bp - trel
            # one DP5(4) step
            for st in range(1, 7):
                for c in range(6):
                    acc = y[c]
                    for j in range(st):
                        acc += h * A[st, j] * k[j, c]
                    ytmp[c] = acc
                rhs(t + C[st] * h, ytmp, k[st], i, phase, t0, stg, n_stages, mach_grid, cd_tab, beta, steer,
                    plane_n, pitch_t, pitch_rad, n_pitch, atm, flags)
            for c in range(6):
                ynew[c] = ytmp[c]   # stage 7 argument is the 5th-order solution
                e = 0.0
                for j in range(7):
                    e += E[j] * k[j, c]
                err[c] = h * e
            en = 0.0
            tolf = boost_f if phase < ns else 1.0
            for c in range(6):
                sc = tolf * ((atol if c < 3 else atol * _VEL_ATOL_PER_M) + rtol * max(abs(y[c]), abs(ynew[c])))
                en = max(en, abs(err[c]) / sc)
            if en > 1.0 and h > 1e-6:
                hstep = h * max(0.2, 0.9 * en ** (-0.2))
                continue
            steps += 1
            t_new = t + h
            # events inside the step, in time order: apogee, reentry interface, impact
            rv0 = _event_fn(1, y, sphere)
            rv1 = _event_fn(1, ynew, sphere)
            if rv0 > 0.0 and rv1 <= 0.0 and math.isnan(ev_t[i, 1]):
                s = _event_root(1, 0.0, h, y, k, sphere, tmp)
                _interp(h, s, y, k, tmp)
                ev_t[i, 1] = t + s * h
                ev_y[i, 1] = tmp
            h1 = altitude(ynew[0], ynew[1], ynew[2], sphere)
            if h1 > REENTRY_INTERFACE_M:
                went_above_100 = True
            if went_above_100 and math.isnan(ev_t[i, 2]) and h1 <= REENTRY_INTERFACE_M and rv1 < 0.0:
                s = _event_root(0, REENTRY_INTERFACE_M, h, y, k, sphere, tmp)
                _interp(h, s, y, k, tmp)
                ev_t[i, 2] = t + s * h
                ev_y[i, 2] = tmp
            hit = h1 <= h_impact[i] and rv1 < 0.0 and trel > 1.0
            t_end = t_new
            if hit:
                s = _event_root(0, h_impact[i], h, y, k, sphere, tmp)
                t_end = t + s * h
            if dense_n > 0:
                while next_out < dense_n and t0[i] + next_out * dt_out <= t_end + 1e-12:
                    s_o = (t0[i] + next_out * dt_out - t) / h
                    _interp(h, s_o, y, k, tmp)
                    dense[i, next_out, :] = tmp
                    next_out += 1
            if hit:
                _interp(h, s, y, k, tmp)
                ev_t[i, 3] = t_end
                ev_y[i, 3] = tmp
                status[i] = 0
                break
            # escape: positive energy above 1,000 km
            r1 = math.sqrt(ynew[0] ** 2 + ynew[1] ** 2 + ynew[2] ** 2)
            v2 = ynew[3] ** 2 + ynew[4] ** 2 + ynew[5] ** 2
            if 0.5 * v2 - GM_EARTH_M3_S2 / r1 > 0.0 and h1 > 1.0e6 and phase >= ns:
                status[i] = 3
                break
            t = t_new
            y[:] = ynew
            k[0, :] = k[6, :]
            if forced:
                trel = t - t0[i]
                # advance the phase past every stage whose burn (or the cut-off) ends here
                while phase < ns and trel >= min(stg[i, phase, 0], t_cutoff[i]) - 1e-9:
                    stage_t[i, phase] = t
                    phase += 1
                    if trel >= t_cutoff[i] - 1e-9:
                        phase = ns
                if phase >= ns and math.isnan(ev_t[i, 0]) and ns > 0:
                    ev_t[i, 0] = t
                    ev_y[i, 0] = y
                rhs(t, y, k[0], i, phase, t0, stg, n_stages, mach_grid, cd_tab, beta, steer, plane_n, pitch_t,
                    pitch_rad, n_pitch, atm, flags)
                hstep = max(hstep, 0.5)
            else:
                fac = 5.0 if en == 0.0 else min(5.0, max(0.2, 0.9 * en ** (-0.2)))
                hstep = h * fac
        nsteps[i] = steps


def prepare(t0_s, stages, n_stages, mach_grid, cd_table, beta, steer, plane_n_ecef, pitch_after_launch_s, pitch_rad,
            n_pitch):
    """The per-row parameters as the contiguous arrays :func:`rhs` takes, in its argument order."""
    f, i = np.float64, np.int64
    return tuple(np.ascontiguousarray(a, dtype=d) for a, d in (
        (t0_s, f), (stages, f), (n_stages, i), (mach_grid, f), (cd_table, f), (beta, f), (steer, f),
        (plane_n_ecef, f), (pitch_after_launch_s, f), (pitch_rad, f), (n_pitch, i), (atmosphere_table(), f)))


def new_outputs(n: int, s_max: int) -> dict:
    """Output arrays of a batch of ``n`` rows, NaN (or 0) until filled."""
    return {"t_event": np.full((n, 4), np.nan), "y_event": np.full((n, 4, 6), np.nan),
            "t_stage_burnout": np.full((n, max(s_max, 1)), np.nan), "status": np.ones(n, dtype=np.int64),
            "steps": np.zeros(n, dtype=np.int64)}


def integrate(y0_eci, t0_s, *, stages, n_stages, mach_grid, cd_table, beta, steer, plane_n_ecef, pitch_after_launch_s,
              pitch_rad, n_pitch, cutoff_after_launch_s, h_impact_m, options: Options):
    """Fly ``N`` rows. All inputs are arrays with the row on the first axis (see :func:`rhs`).

    Returns a dict: ``t_event`` ``(N, 4)`` and ``y_event`` ``(N, 4, 6)`` for burnout, apogee, reentry interface
    and impact (NaN where absent), ``t_stage_burnout`` ``(N, S)``, ``status`` ``(N,)`` (see :data:`STATUS`),
    ``steps`` ``(N,)`` and, when ``options.dense_n > 0``, ``dense`` ``(N, dense_n, 6)`` ECI states on the grid
    ``t0 + k * dense_dt_s`` (NaN after impact).
    """
    n = y0_eci.shape[0]
    out = new_outputs(n, stages.shape[1])
    dn = int(options.dense_n) if options.dense_dt_s > 0 else 0
    dense = np.full((n, max(dn, 1), 6), np.nan) if dn else np.full((1, 1, 6), np.nan)
    params = prepare(t0_s, stages, n_stages, mach_grid, cd_table, beta, steer, plane_n_ecef, pitch_after_launch_s,
                     pitch_rad, n_pitch)
    _integrate(np.ascontiguousarray(y0_eci, dtype=float), *params,
               np.ascontiguousarray(cutoff_after_launch_s, dtype=float),
               np.ascontiguousarray(h_impact_m, dtype=float), options.flags(), out["t_event"], out["y_event"],
               out["t_stage_burnout"], out["status"], out["steps"], dense, dn)
    if dn:
        out["dense"] = dense
    return out
