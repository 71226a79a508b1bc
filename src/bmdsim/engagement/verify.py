"""An independent check of fan verdicts, both ways, by flying interceptors (issue 10, part 4).

The fan table (:mod:`bmdsim.engagement.fan`) answers "engageable?" from a reduced, interpolated table; these
checks do not read it.

- **"Yes"** (the table engages): the shot is flown. :func:`~bmdsim.engagement.firecontrol.refine_earliest` aims
  real interceptors (Newton on azimuth and steering, secant on the intercept time) at the earliest intercept; the
  verdict holds if a flown interceptor launched no earlier than the earliest launch (1 s slack) is within
  ``capture_m`` of the threat at the same time, at or above the minimum intercept altitude (1 km slack). If the
  earliest intercept cannot be flown, the middle and the end of the window are tried.
- **"No"** (the table does not engage): a direct search over launch time, azimuth and steering with the engine.
  The threat's midcourse samples above the minimum altitude are taken every ``sample_step_s``; each is seen from
  the site at its own bearing, and the site's whole steering family (:meth:`Fan.families`: every kick and every
  linear-tangent end elevation at every cut-off) is flown along that bearing (bearings binned to
  ``bearing_step_deg``, not the table's 15 deg sectors). For each sample the fastest member reaching its ground
  range at its altitude (interpolated between neighbouring members of one family, the table's own rule but at
  the exact bearing) gives the time of flight ``T``; the launch would be ``t_k - T``. Every sample whose launch
  comes no earlier than the commit less ``slack_s`` is then aimed and flown (best first, up to ``max_aims``); an
  intercept found that way (launch no earlier than the commit, within ``capture_m``) contradicts the "no".

Both checks fly the same engine and vehicle model as the table (a check of the table's reduction and
interpolation, not of the physics). SI units; times in seconds since the epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.engagement.fan import Fan, _coords
from bmdsim.engagement.firecontrol import Threats, aim, refine_earliest
from bmdsim.errors import InputError
from bmdsim.flight.fly import Options, fly

__all__ = ["Check", "check_yes", "check_no", "direct_search"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One verdict checked by flying: ``table`` (the fan's verdict), ``flown`` (an intercept was flown),
    ``agree``; the flown shot's ``t_launch_s``, ``t_intercept_s``, ``miss_m`` and ``altitude_m`` (NaN: none),
    and for a "no" the least launch deficit the direct search found (``deficit_s``: commit minus the latest
    launch that reaches a sample; positive means too late) and the number of shots aimed."""

    table: bool
    flown: bool
    t_launch_s: float = float("nan")
    t_intercept_s: float = float("nan")
    miss_m: float = float("nan")
    altitude_m: float = float("nan")
    deficit_s: float = float("nan")
    aimed: int = 0

    @property
    def agree(self) -> bool:
        return self.table == self.flown


def _good(shot, c, min_alt, capture_m) -> bool:
    from bmdsim.core import frames

    alt = float(frames.geodetic_altitude(shot.r_ecef))
    return bool(np.isfinite(shot.miss_m) and shot.miss_m <= capture_m and shot.t_launch_s >= c - 1.0
                and alt >= min_alt - 1000.0)


def _shot_check(shot, table: bool, flown: bool, **kw) -> Check:
    from bmdsim.core import frames

    return Check(table=table, flown=flown, t_launch_s=shot.t_launch_s, t_intercept_s=shot.t_intercept_s,
                 miss_m=shot.miss_m, altitude_m=float(frames.geodetic_altitude(shot.r_ecef)), **kw)


def check_yes(fan: Fan, threats: Threats, i: int, t_earliest_launch_s: float, *, earliest_intercept_s: float,
              latest_intercept_s: float, min_intercept_altitude_m: float, capture_m: float = 1000.0) -> Check:
    """Fly a "yes" (module docstring)."""
    c = float(t_earliest_launch_s)
    trj = (threats.t_s[i], threats.r_ecef[i], threats.v_ecef[i])
    last = None
    for k, t_try in enumerate((earliest_intercept_s, 0.5 * (earliest_intercept_s + latest_intercept_s),
                               latest_intercept_s)):
        try:
            if k == 0:
                shot = refine_earliest(fan, threats, i, float(t_try), c)
            else:
                r, _ = threats.state_at(i, float(t_try))
                shot = aim(fan, r, float(t_try), threat=trj)
        except InputError:
            continue
        last = shot
        if _good(shot, c, min_intercept_altitude_m, capture_m):
            return _shot_check(shot, True, True)
    return Check(table=True, flown=False) if last is None else _shot_check(last, True, False)


def _crossing_times(ang, h, t_rel, a_k, h_k, fam_slices):
    """Least time since launch (s) at which some member reaches ground angle ``a_k`` at altitude ``h_k``
    (interpolated between neighbouring members of one family), and that member's (slice index, parameter
    weight index): ``(T, (s, j, w))`` or ``(inf, None)``."""
    m = ang.shape[0]
    with np.errstate(invalid="ignore"):
        past = ang >= a_k
    has = past.any(axis=1)
    k = np.argmax(past, axis=1)
    ok = has & (k > 0)
    rows = np.arange(m)
    kk = np.maximum(k, 1)
    a0, a1 = ang[rows, kk - 1], ang[rows, kk]
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(a1 > a0, (a_k - a0) / (a1 - a0), 0.0)
    tc = np.where(ok, t_rel[kk - 1] + w * (t_rel[kk] - t_rel[kk - 1]), np.nan)
    hc = np.where(ok, h[rows, kk - 1] + w * (h[rows, kk] - h[rows, kk - 1]), np.nan)
    best, arg = np.inf, None
    for s, sl in enumerate(fam_slices):
        h0, h1 = hc[sl][:-1], hc[sl][1:]
        t0, t1 = tc[sl][:-1], tc[sl][1:]
        with np.errstate(invalid="ignore", divide="ignore"):
            between = (h0 - h_k) * (h1 - h_k) <= 0
            f = np.where(h1 != h0, (h_k - h0) / (h1 - h0), 0.0)
        tt = np.where(between & np.isfinite(t0) & np.isfinite(t1), t0 + f * (t1 - t0), np.inf)
        j = int(np.argmin(tt))
        if tt[j] < best:
            best, arg = float(tt[j]), (s, j, float(f[j]))
    return best, arg


def direct_search(fan: Fan, threats: Threats, i: int, t_earliest_launch_s: float, *,
                  min_intercept_altitude_m: float, sample_step_s: float = 20.0, bearing_step_deg: float = 1.0,
                  slack_s: float = 20.0, max_aims: int = 4, capture_m: float = 1000.0) -> Check:
    """The direct search behind a "no" (module docstring)."""
    c = float(t_earliest_launch_s)
    st = fan.settings
    t, r = threats.t_s[i], threats.r_ecef[i]
    ok = np.isfinite(r[:, 0]) & (t >= threats.t_burnout_s[i]) & (t > c)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return Check(table=False, flown=False, deficit_s=np.inf)
    idx = idx[np.unique(np.searchsorted(t[idx], np.arange(t[idx[0]], t[idx[-1]] + 1e-9, sample_step_s)).clip(
        0, idx.size - 1))]
    m = idx.size
    ang, az, h = (np.empty(m) for _ in range(3))
    _coords(np.ascontiguousarray(r[idx]), fan._s, fan._e, fan._n, ang, az, h)
    keep = (h >= min_intercept_altitude_m) & (ang < np.pi)
    idx, ang, az, h = idx[keep], ang[keep], az[keep], h[keep]
    if idx.size == 0:
        return Check(table=False, flown=False, deficit_s=np.inf)
    bear = np.round(np.degrees(az) / bearing_step_deg) * bearing_step_deg % 360.0
    fams = fan.families()
    sizes = [p.size for _, _, p in fams]
    starts = np.concatenate([[0], np.cumsum(sizes)])
    slices = [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:], strict=True)]
    fid = np.concatenate([np.full(p.size, f) for f, _, p in fams])
    par = np.concatenate([p for _, _, p in fams])
    cut = np.concatenate([np.full(p.size, cc) for _, cc, p in fams])
    n_dense = int(np.floor(st.max_flight_time_s / st.dense_dt_s)) + 1
    opts = Options(max_time_s=st.max_flight_time_s, dense_dt_s=st.dense_dt_s, dense_n=n_dense, rtol=st.rtol,
                   atol_m=0.1)
    cand = []   # (launch deficit, sample index into idx, family, parameter, cut-off, bearing)
    for b in np.unique(bear):
        f = fly(fan.interceptor, fan.latitude_deg, fan.longitude_deg, float(b), altitude_m=fan.altitude_m,
                target_altitude_m=fan.altitude_m, options=opts, **fan.steering(fid, par, cut))
        mm = f.r_ecef.shape[0] * f.r_ecef.shape[1]
        a_, z_, h_ = (np.empty(mm) for _ in range(3))
        _coords(np.ascontiguousarray(f.r_ecef.reshape(mm, 3)), fan._s, fan._e, fan._n, a_, z_, h_)
        a_, h_ = a_.reshape(f.r_ecef.shape[:2]), h_.reshape(f.r_ecef.shape[:2])
        t_rel = f.t_s[0] - f.t_s[0, 0]
        for q in np.flatnonzero(bear == b):
            tof, arg = _crossing_times(a_, h_, t_rel, ang[q], h[q], slices)
            if arg is None:
                continue
            s, j, w = arg
            sl = slices[s]
            p = float(par[sl][j] + w * (par[sl][min(j + 1, sizes[s] - 1)] - par[sl][j]))
            cand.append((c - (t[idx[q]] - tof), q, int(fid[sl][0]), p, float(cut[sl][0]), float(b)))
    if not cand:
        return Check(table=False, flown=False, deficit_s=np.inf)
    cand.sort()
    best_def = cand[0][0]
    trj = (threats.t_s[i], threats.r_ecef[i], threats.v_ecef[i])
    aimed = 0
    for dfc, q, fm, p, cu, b in cand:
        if dfc > slack_s or aimed >= max_aims:
            break
        aimed += 1
        t_k = float(t[idx[q]])
        try:
            shot = aim(fan, r[idx[q]], t_k, threat=trj, family0=fm, kick0_deg=p, cutoff0_s=cu, azimuth0_deg=b)
        except InputError:
            continue
        if _good(shot, c, min_intercept_altitude_m, capture_m):
            return _shot_check(shot, False, True, deficit_s=best_def, aimed=aimed)
    return Check(table=False, flown=False, deficit_s=float(best_def), aimed=aimed)


def check_no(fan: Fan, threats: Threats, i: int, t_earliest_launch_s: float, *, min_intercept_altitude_m: float,
             **kw) -> Check:
    """Search for an intercept behind a "no" (module docstring); ``flown`` is True when one was found."""
    return direct_search(fan, threats, i, t_earliest_launch_s, min_intercept_altitude_m=min_intercept_altitude_m,
                         **kw)
