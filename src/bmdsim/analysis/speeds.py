"""The speed questions of a chase (:mod:`bmdsim.analysis.chase`): the flown threshold search over sized
interceptor variants (grid, then bisection of every crossing, no monotonicity assumed), the ideal impulsive
(Lambert) bound beside it, and the threshold against the commit time. Times are seconds since the epoch unless a
name says ``after_launch``; the module notes of :mod:`bmdsim.analysis.chase` give the definitions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.analysis.engage import SiteRef, defense_of, fan_at
from bmdsim.core import frames
from bmdsim.core.lambert import min_speed_change
from bmdsim.engagement.fan import FanSettings, sized_interceptor
from bmdsim.engagement.firecontrol import Threats, windows
from bmdsim.errors import UnreachableError

__all__ = ["SpeedSearch", "speed_search", "engaging_intervals", "min_burnout_speed", "IdealBound", "ideal_speed",
           "commit_curve", "MAX_SPEED_MPS", "MIN_SPEED_MPS", "SPEED_GRID_MPS"]

MAX_SPEED_MPS = 12_000.0
MIN_SPEED_MPS = 2_000.0
#: speeds tried before bisection: every 1 km/s, the catalog's five claims and both sides of the design switch
SPEED_GRID_MPS = tuple(sorted({*np.arange(MIN_SPEED_MPS, MAX_SPEED_MPS + 1.0, 1000.0).tolist(), 5400.0, 6300.0,
                               7700.0, 8300.0, 9000.0, 9500.0, 9501.0}))


def _latest_launch(speed, th: Threats, site: SiteRef, min_alt, settings) -> float:
    """Latest interceptor launch (s since the epoch) of a variant sized to ``speed`` that still reaches threat 0
    in midcourse above ``min_alt`` (``-inf``: none); engageable at a commit ``c`` iff this is ``>= c``."""
    try:
        v = sized_interceptor(speed)
    except UnreachableError:
        return -np.inf
    w = windows(fan_at(v, site, settings=settings), th, t_earliest_launch_s=-np.inf,
                min_intercept_altitude_m=min_alt)
    return float(w.latest_launch_s[0]) if w.engageable[0] else -np.inf


@dataclass(frozen=True, slots=True, kw_only=True)
class SpeedSearch:
    """Every speed tried (m/s, ascending) with its latest feasible launch (s since the epoch, -inf: none), the
    commit it was judged at, the intervals that engage there and the least engaging speed (``None``: none)."""

    speeds_mps: np.ndarray
    latest_launch_s: np.ndarray
    t_earliest_launch_s: float
    intervals_mps: list
    min_speed_mps: float | None

    def engages(self, t_commit_s) -> np.ndarray:
        """Per tried speed: engageable with the earliest launch at ``t_commit_s``."""
        return self.latest_launch_s >= t_commit_s

    def threshold_at(self, t_commit_s) -> tuple[float | None, float | None]:
        """(smallest tried speed that engages at this commit, largest tried speed below it that does not)."""
        ok = self.engages(t_commit_s)
        if not ok.any():
            return None, None
        j = int(np.argmax(ok))
        return float(self.speeds_mps[j]), (float(self.speeds_mps[j - 1]) if j else None)


def speed_search(th: Threats, site: SiteRef, t_earliest_launch_s: float, *, min_intercept_altitude_m: float,
                 settings: FanSettings | None = None, tol_mps: float = 50.0,
                 grid_mps=SPEED_GRID_MPS, progress=None) -> SpeedSearch:
    """Engaging speed intervals for threat 0 of ``th`` (module docstring): the grid, then bisection of every
    crossing between neighbouring grid speeds to ``tol_mps``. ``progress(done, total)`` after each speed tried
    (:func:`engaging_intervals`)."""
    th0 = th.take([0])
    tried: dict[float, float] = {}

    def latest(sp):
        sp = float(sp)
        if sp not in tried:
            tried[sp] = _latest_launch(sp, th0, site, min_intercept_altitude_m, settings)
        return tried[sp]

    c = float(t_earliest_launch_s)
    intervals = engaging_intervals(lambda sp: latest(sp) >= c, grid_mps, tol=tol_mps, progress=progress)
    sp = np.array(sorted(tried))
    return SpeedSearch(speeds_mps=sp, latest_launch_s=np.array([tried[x] for x in sp]), t_earliest_launch_s=c,
                       intervals_mps=intervals, min_speed_mps=intervals[0][0] if intervals else None)


def engaging_intervals(engages, grid, *, tol: float, progress=None) -> list:
    """Intervals ``[lo, hi]`` of ``x`` where ``engages(x)`` holds, without assuming monotonicity: ``engages`` on
    the sorted ``grid``, then bisection (to ``tol``) of every sign change between neighbours; each end is the
    last value found on the engaging side. An interval that starts and ends between two grid points is missed.
    ``progress(done, total)`` after each call of ``engages``: the total is the grid's size until the grid is
    done, then exact (each crossing takes a known number of halvings).

    >>> engaging_intervals(lambda x: 3.0 <= x <= 5.0 or x >= 8.2, [1.0, 2.0, 4.0, 6.0, 9.0, 10.0], tol=0.01)
    [[3.0, 5.0], [8.203125, 10.0]]
    """
    grid = sorted(float(g) for g in grid)
    progress = progress or (lambda *_: None)
    ok = []
    for g in grid:
        ok.append(bool(engages(g)))
        progress(len(ok), len(grid))

    def halvings(width):
        n = 0
        while width > tol:
            width, n = 0.5 * width, n + 1
        return n

    total = len(grid) + sum(halvings(b - a) for a, b, oa, ob in zip(grid[:-1], grid[1:], ok[:-1], ok[1:],
                                                                    strict=True) if oa != ob)
    done = len(grid)
    edges = []   # (value on the engaging side, "up" where an interval starts, "down" where it ends)
    for a, b, oa, ob in zip(grid[:-1], grid[1:], ok[:-1], ok[1:], strict=True):
        if oa == ob:
            continue
        lo, hi = a, b
        while hi - lo > tol:
            mid = 0.5 * (lo + hi)
            e = bool(engages(mid))
            done += 1
            progress(done, total)
            if e == oa:
                lo = mid
            else:
                hi = mid
        edges.append((hi, "up") if ob else (lo, "down"))
    intervals, start = [], grid[0] if ok[0] else None
    for x, kind in edges:
        if kind == "up":
            start = x
        else:
            intervals.append([start, x])
            start = None
    if start is not None:
        intervals.append([start, grid[-1]])
    return intervals


def min_burnout_speed(th: Threats, site: SiteRef, t_earliest_launch_s: float, *, min_intercept_altitude_m: float,
                      settings: FanSettings | None = None, tol_mps: float = 50.0) -> float | None:
    """The smallest interceptor burnout speed (m/s, within ``tol_mps``) that can engage threat 0 of ``th``
    (:func:`speed_search`: grid, then bisection of every crossing; no monotonicity assumed); ``None`` when no
    tried speed up to 12 km/s can, 2,000.0 when even that can."""
    return speed_search(th, site, t_earliest_launch_s, min_intercept_altitude_m=min_intercept_altitude_m,
                        settings=settings, tol_mps=tol_mps).min_speed_mps


@dataclass(frozen=True, slots=True, kw_only=True)
class IdealBound:
    """The ideal (impulsive, two-body) speed needed from the site (module docstring). ``speed_mps`` is the least
    over launch times no earlier than the commit; ``launch_t_s`` / ``min_by_launch_mps`` the least per launch time
    of the grid (s since the epoch), from which the bound at any later commit follows."""

    speed_mps: float | None
    t_launch_s: float | None
    t_intercept_s: float | None
    burn_delay_s: float
    launch_t_s: np.ndarray
    min_by_launch_mps: np.ndarray

    def at_commit(self, t_commit_s: float) -> float | None:
        """Least ideal speed with launches no earlier than ``t_commit_s``."""
        ok = self.launch_t_s >= t_commit_s - 1e-9
        v = self.min_by_launch_mps[ok]
        return float(np.nanmin(v)) if ok.any() and np.isfinite(v).any() else None


def ideal_speed(th: Threats, site: SiteRef, t_earliest_launch_s: float, *, min_intercept_altitude_m: float,
                max_flight_time_s: float, burn_delay_s: float = 0.0, t_first_launch_s: float | None = None,
                launch_step_s: float = 10.0, sample_step_s: float = 10.0, memo: dict | None = None) -> IdealBound:
    """The ideal bound for threat 0 of ``th`` (module docstring): Lambert arcs from the site (at launch plus
    ``burn_delay_s``) to threat samples every ``sample_step_s`` in midcourse above ``min_intercept_altitude_m``,
    launches every ``launch_step_s`` from ``t_first_launch_s`` (default: the commit), flights up to
    ``max_flight_time_s``; the best pair is refined on a 1 s grid around it.

    ``memo``: a dict shared by calls that may repeat (e.g. the variants of one threat at one site, whose bounds
    differ at most by the burn delay); each bound is computed once per threat trajectory, site place and
    argument values, and the same record returned after."""
    d = defense_of(site)
    args = (float(t_earliest_launch_s), float(min_intercept_altitude_m), float(max_flight_time_s),
            float(burn_delay_s), None if t_first_launch_s is None else float(t_first_launch_s),
            float(launch_step_s), float(sample_step_s))
    if memo is not None:
        key = (hash(np.ascontiguousarray(th.r_ecef[0]).tobytes()), float(th.t_launch_s[0]),
               float(th.t_burnout_s[0]), float(d.latitude_deg), float(d.longitude_deg), args)
        if key not in memo:
            memo[key] = ideal_speed(th, d, *args[:1], min_intercept_altitude_m=args[1], max_flight_time_s=args[2],
                                    burn_delay_s=args[3], t_first_launch_s=args[4], launch_step_s=args[5],
                                    sample_step_s=args[6])
        return memo[key]
    r_site = frames.geodetic_to_ecef(np.radians(d.latitude_deg), np.radians(d.longitude_deg), 0.0)
    t, r = th.t_s[0], th.r_ecef[0]
    ok = np.isfinite(r[:, 0]) & (t >= th.t_burnout_s[0])
    ok[ok] = frames.geodetic_altitude(r[ok]) >= min_intercept_altitude_m
    tk_all, rk_all = t[ok], r[ok]
    c = float(t_earliest_launch_s)
    t_first = c if t_first_launch_s is None else min(float(t_first_launch_s), c)
    empty = IdealBound(speed_mps=None, t_launch_s=None, t_intercept_s=None, burn_delay_s=burn_delay_s,
                       launch_t_s=np.array([t_first]), min_by_launch_mps=np.array([np.nan]))
    if tk_all.size == 0 or not np.isfinite(t_first):
        return empty
    sub = np.unique(np.searchsorted(tk_all, np.arange(tk_all[0], tk_all[-1] + 1e-9, sample_step_s)).clip(
        0, tk_all.size - 1))
    tk, rk = tk_all[sub], rk_all[sub]
    tl = np.arange(t_first, tk[-1], launch_step_s)
    if tl.size == 0:
        return empty

    def dv(t_launch, t_k, r_k_ecef):
        t_imp = t_launch + burn_delay_s
        r1, v1 = frames.ecef_to_eci(np.broadcast_to(r_site, np.shape(t_imp) + (3,)), t_imp,
                                    np.zeros(np.shape(t_imp) + (3,)))
        r2 = frames.ecef_to_eci(r_k_ecef, t_k)
        dt = t_k - t_imp
        fine = (dt > 1.0) & (t_k - t_launch <= max_flight_time_s)
        out = np.full(np.shape(dt), np.nan)
        if fine.any():
            out[fine] = min_speed_change(r1[fine], v1[fine], r2[fine], dt[fine])
        return out

    tl_g, k_g = np.meshgrid(tl, np.arange(tk.size), indexing="ij")
    m = dv(tl_g.ravel(), tk[k_g.ravel()], rk[k_g.ravel()]).reshape(tl.size, tk.size)
    by_launch = np.nanmin(np.where(np.isfinite(m), m, np.inf), axis=1)
    by_launch = np.where(np.isfinite(by_launch), by_launch, np.nan)
    bound = IdealBound(speed_mps=None, t_launch_s=None, t_intercept_s=None, burn_delay_s=burn_delay_s,
                       launch_t_s=tl, min_by_launch_mps=by_launch)
    win = tl >= c - 1e-9
    if not np.isfinite(m[win]).any():
        return bound
    mw = np.where(np.isfinite(m) & win[:, None], m, np.inf)
    i, k = np.unravel_index(int(np.argmin(mw)), mw.shape)
    # refine: 1 s grids around the best launch and intercept (the launch no earlier than the commit)
    tl_f = np.arange(max(c, tl[i] - launch_step_s), tl[i] + launch_step_s + 1e-9, 1.0)
    j = int(np.searchsorted(tk_all, tk[k]))
    lo_k, hi_k = max(0, j - int(sample_step_s)), min(tk_all.size, j + int(sample_step_s) + 1)
    a, b = np.meshgrid(tl_f, np.arange(lo_k, hi_k), indexing="ij")
    mf = dv(a.ravel(), tk_all[b.ravel()], rk_all[b.ravel()])
    best = float(mw[i, k])
    t_l, t_i = float(tl[i]), float(tk[k])
    if np.isfinite(mf).any() and np.nanmin(mf) < best:
        q = int(np.nanargmin(mf))
        best, t_l, t_i = float(mf[q]), float(a.ravel()[q]), float(tk_all[b.ravel()[q]])
    return IdealBound(speed_mps=best, t_launch_s=t_l, t_intercept_s=t_i, burn_delay_s=burn_delay_s,
                      launch_t_s=tl, min_by_launch_mps=by_launch)


def commit_curve(search: SpeedSearch, bound: IdealBound, *, t_launch_s: float, t_burnout_s: float,
                 t_sensor_commit_s: float, source: str, tracking_sensor: str | None, step_s: float = 30.0) -> dict:
    """The threshold against the commit time (module docstring), times from the threat's launch
    (``t_launch_s``, on the clock of the other times); the chase's own earliest launch (``t_sensor_commit_s``,
    from the sensor timeline unless given) is marked with its source."""
    t0 = float(t_launch_s)
    lat = search.latest_launch_s[np.isfinite(search.latest_launch_s)]
    t_end = max(float(lat.max()) if lat.size else t_sensor_commit_s, t_sensor_commit_s)
    grid = np.arange(float(t_burnout_s), t_end + step_s, step_s)
    grid = np.unique(np.concatenate([grid, [t_sensor_commit_s]]))
    rows = []
    for c in grid:
        thr, low = search.threshold_at(c)
        # the chase's own commit carries the refined bound (1 s grids); other rows the 10 s launch grid's
        ideal = bound.speed_mps if c == t_sensor_commit_s and bound.speed_mps is not None else bound.at_commit(c)
        rows.append({"commit_after_launch_s": float(c - t0), "threshold_mps": thr, "bracket_low_mps": low,
                     "ideal_mps": ideal})
    return {"rows": rows, "chase_commit_after_launch_s": float(t_sensor_commit_s - t0), "commit_time_source": source,
            "tracking_sensor": tracking_sensor, "speeds_tried_mps": search.speeds_mps.tolist(),
            "latest_launch_after_launch_s": [None if not np.isfinite(x) else float(x - t0)
                                             for x in search.latest_launch_s]}
