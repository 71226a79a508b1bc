"""The reference integrator: ``scipy.integrate.solve_ivp`` (DOP853) on the engine's equations.

Two right-hand sides: ``rhs="compiled"`` (default) calls the engine's own compiled :func:`~bmdsim.core.engine.rhs`,
so only the integrator differs; ``rhs="numpy"`` is :func:`rhs_numpy`, a second, independent coding of the same
equations in plain numpy from the core modules (gravity, frames, atmosphere), which checks the compiled one and
is what a user would write as a first ``solve_ivp`` model.

Same inputs and outputs as :func:`bmdsim.core.engine.integrate` (dense output included), one trajectory at a
time, segment by segment between the discontinuities (end of vertical rise and kick, stage burnouts, cut-off),
with terminal events for impact. Slow by design: it is the oracle the tests and benchmarks hold the production
engine to.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.integrate import solve_ivp
from scipy.interpolate import CubicHermiteSpline, PchipInterpolator

from bmdsim.core import atmosphere, engine, frames, gravity
from bmdsim.core.constants import R_SPHERE_M

__all__ = ["integrate", "rhs_numpy"]


@lru_cache(maxsize=1)
def _air():
    """The engine's atmosphere as scipy cubic Hermite splines (log-density, log-pressure, speed of sound) with
    the same central-difference slopes: the same curve, computed by other code."""
    alt, logrho, p, a = atmosphere.table()
    step = alt[1] - alt[0]
    return alt[-1], tuple(CubicHermiteSpline(alt, y, np.gradient(y) / step)
                          for y in (logrho, np.log(np.maximum(p, 1e-300)), a))


@lru_cache(maxsize=256)
def _cd_curve(mach_key: tuple, cd_key: tuple):
    return PchipInterpolator(np.array(mach_key), np.array(cd_key), extrapolate=False)


def rhs_numpy(t, y, i, phase, params, flags):
    """The engine's equations coded again in numpy (see :func:`bmdsim.core.engine.rhs` for their statement):
    ``params`` as :func:`bmdsim.core.engine.prepare` returns them; the tables are interpolated by scipy."""
    t0, stg, n_st, mach_grid, cd_tab, beta, steer, plane_n, pitch_t, pitch_rad, n_pitch, _ = params
    omega, use_j2, use_drag, sphere = flags[0], flags[1] > 0.5, flags[2] > 0.5, flags[3] > 0.5
    r, v = y[:3], y[3:]
    acc = gravity.acceleration(r, j2=use_j2)
    w_air = v - np.cross([0.0, 0.0, omega], r)
    v_air = float(np.linalg.norm(w_air))
    thrusting = phase < n_st[i]
    h = float(np.linalg.norm(r) - R_SPHERE_M) if sphere else float(frames.geodetic_altitude(r))
    top, (logrho, logp, a_snd) = _air()
    hc = min(max(h, 0.0), top)
    rho = float(np.exp(logrho(hc))) if h < top else 0.0
    t_rel = t - t0[i]
    if thrusting:
        t_start = 0.0 if phase == 0 else stg[i, phase - 1, 0]
        m = stg[i, phase, 1] - stg[i, phase, 2] * (t_rel - t_start)
    if use_drag and v_air > 0.0 and rho > 0.0:
        if thrusting:
            mach = v_air / float(a_snd(hc))
            cd = float(_cd_curve(tuple(mach_grid), tuple(cd_tab[i, phase]))(np.clip(mach, mach_grid[0],
                                                                                     mach_grid[-1])))
            acc = acc - 0.5 * rho * v_air * cd * stg[i, phase, 5] / m * w_air
        else:
            acc = acc - 0.5 * rho * v_air / beta[i] * w_air
    if thrusting:
        p = float(np.exp(logp(hc))) if h < top else 0.0
        thrust = stg[i, phase, 3] - stg[i, phase, 4] * p
        up = r / np.linalg.norm(r)
        tv, tk, kick = steer[i, :3]
        if n_pitch[i] > 0:
            pitch, turn = float(np.interp(t_rel, pitch_t[i, :n_pitch[i]], pitch_rad[i, :n_pitch[i]])), False
        elif steer.shape[1] >= 7 and steer[i, 3] > 0 and t_rel >= steer[i, 3]:
            ts, tan_a, tan_b, te = steer[i, 3:7]
            w = 1.0 if te <= ts else min(1.0, (t_rel - ts) / (te - ts))
            pitch, turn = float(np.pi / 2 - np.arctan(tan_a + (tan_b - tan_a) * w)), False
        else:
            pitch = 0.0 if t_rel < tv else (kick * (t_rel - tv) / tk if t_rel < tv + tk else 0.0)
            turn = t_rel >= tv + tk
        if turn and v_air > 1.0:
            d = w_air / v_air
        else:
            c, s_ = np.cos(omega * t), np.sin(omega * t)
            n = np.array([c * plane_n[i, 0] - s_ * plane_n[i, 1], s_ * plane_n[i, 0] + c * plane_n[i, 1],
                          plane_n[i, 2]])
            horiz = np.cross(n, up)
            d = np.cos(pitch) * up + np.sin(pitch) * horiz / np.linalg.norm(horiz)
        acc = acc + thrust / m * d
    return np.concatenate([v, acc])


def integrate(y0_eci, t0_s, *, stages, n_stages, mach_grid, cd_table, beta, steer, plane_n_ecef, pitch_after_launch_s,
              pitch_rad, n_pitch, cutoff_after_launch_s, h_impact_m, options: engine.Options, rtol: float = 1e-12,
              atol: float = 1e-6, rhs: str = "compiled"):
    n = y0_eci.shape[0]
    flags = options.flags()
    sphere = options.sphere
    out = engine.new_outputs(n, stages.shape[1])
    ev_t, ev_y, stage_t, status, nsteps = (out[k] for k in ("t_event", "y_event", "t_stage_burnout", "status",
                                                            "steps"))
    args = engine.prepare(t0_s, stages, n_stages, mach_grid, cd_table, beta, steer, plane_n_ecef, pitch_after_launch_s,
                          pitch_rad, n_pitch)
    t0, stg, n_st = args[:3]
    dn = int(options.dense_n) if options.dense_dt_s > 0 else 0
    dt_out = options.dense_dt_s
    dense = np.full((n, max(dn, 1), 6), np.nan)
    for i in range(n):
        ns = int(n_st[i])
        cut = float(cutoff_after_launch_s[i])
        bps = []
        if n_pitch[i] == 0 and ns > 0:
            bps += [steer[i, 0], steer[i, 0] + steer[i, 1]]
            if steer.shape[1] >= 7 and steer[i, 3] > 0:
                bps += [steer[i, 3], steer[i, 6]]
        bps += [min(stg[i, s, 0], cut) for s in range(ns)]
        bps = sorted({b for b in bps if b > 0})
        t, y = float(t0[i]), np.array(y0_eci[i], dtype=float)
        phase = 0 if cut > 0 else ns
        went_above = engine.altitude(*y[:3], sphere) > engine.REENTRY_INTERFACE_M

        if rhs == "numpy":
            def f(tt, yy, ph, i=i):
                return rhs_numpy(tt, yy, i, ph, args, flags)
        else:
            def f(tt, yy, ph, i=i):
                out = np.empty(6)
                engine.rhs(tt, yy, out, i, ph, *args, flags)
                return out

        def ev_impact(tt, yy, *_, i=i):
            return engine.altitude(yy[0], yy[1], yy[2], sphere) - h_impact_m[i] if tt - t0[i] > 1.0 else 1.0

        ev_impact.terminal, ev_impact.direction = True, -1

        def ev_apogee(tt, yy, *_):
            return yy[0] * yy[3] + yy[1] * yy[4] + yy[2] * yy[5]

        ev_apogee.direction = -1

        def ev_reentry(tt, yy, *_):
            return engine.altitude(yy[0], yy[1], yy[2], sphere) - engine.REENTRY_INTERFACE_M

        ev_reentry.direction = -1
        segments = [*bps, options.max_time_s]
        for t_end_rel in segments:
            t_end = t0[i] + t_end_rel
            if t_end <= t + 1e-12:
                continue
            sol = solve_ivp(f, (t, t_end), y, method="DOP853", rtol=rtol, atol=atol, args=(phase,),
                            events=(ev_apogee, ev_reentry, ev_impact), dense_output=dn > 0)
            nsteps[i] += sol.t.size - 1
            if dn:
                k = np.arange(int(np.ceil((t - t0[i]) / dt_out - 1e-9)),
                              min(dn, int(np.floor((sol.t[-1] - t0[i]) / dt_out + 1e-9)) + 1))
                if k.size:
                    dense[i, k] = sol.sol(t0[i] + k * dt_out).T
            if sol.t_events[0].size and np.isnan(ev_t[i, 1]):
                ev_t[i, 1], ev_y[i, 1] = sol.t_events[0][0], sol.y_events[0][0]
            if sol.t_events[1].size and np.isnan(ev_t[i, 2]) and (went_above or sol.t_events[1][0] > t):
                ev_t[i, 2], ev_y[i, 2] = sol.t_events[1][0], sol.y_events[1][0]
            went_above = went_above or engine.altitude(*sol.y[:3, -1], sphere) > engine.REENTRY_INTERFACE_M
            if sol.status == 1:
                ev_t[i, 3], ev_y[i, 3] = sol.t_events[2][0], sol.y_events[2][0]
                status[i] = 0
                break
            t, y = float(sol.t[-1]), sol.y[:, -1].copy()
            trel = t - t0[i]
            while phase < ns and trel >= min(stg[i, phase, 0], cut) - 1e-9:
                stage_t[i, phase] = t
                phase += 1
                if trel >= cut - 1e-9:
                    phase = ns
            if phase >= ns and np.isnan(ev_t[i, 0]) and ns > 0:
                ev_t[i, 0], ev_y[i, 0] = t, y
    if dn:
        out["dense"] = dense
    return out
