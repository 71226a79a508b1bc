"""Targeting: solve launch azimuth and steering so that the impact lands on a target on the rotating Earth.

Profiles (the shape of the flight; range is always matched):

- ``minimum-energy``: the kick that gives the vehicle's maximum range, with a thrust cut-off (energy management)
  shortening the burn; this flies close to the minimum-energy burnout angle (BMW eq. 6.2-15) for the range.
- ``lofted`` / ``depressed``: full burn; the kick angle is the unknown, on the branch below (lofted, steeper) or
  above (depressed, flatter) the maximum-range kick.
- ``maximum-range``: full burn at the maximum-range kick (the target then only sets the azimuth; the miss tells
  how far the impact lies from it).
- An ``apogee_m`` (or a ``burnout_gamma_deg``) adds the apogee (or the Earth-relative flight-path angle at
  burnout) as a third condition and the cut-off as a third unknown: lofted or depressed shots set by apogee or by
  burnout angle.

Method: Newton's method on (along-track, cross-track) miss [and apogee error] with a finite-difference
Jacobian, every iteration one batched engine call for all unsolved rows and their perturbations. A per-vehicle
table of range against kick (and against cut-off) on a non-rotating Earth gives the starting point.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bmdsim.core import geodesy
from bmdsim.errors import InputError, UnreachableError
from bmdsim.flight.fly import Flights, Options, fly
from bmdsim.flight.vehicle import Vehicle

__all__ = ["PROFILES", "Solution", "solve", "max_range", "range_table"]

PROFILES = ("minimum-energy", "lofted", "depressed", "maximum-range")
_KICKS = np.linspace(0.5, 89.5, 179)


@dataclass(frozen=True, slots=True, kw_only=True)
class Solution:
    """Steering per row and the flight it gives; ``miss_m`` is the geodesic distance impact-to-target."""

    azimuth_deg: np.ndarray
    kick_deg: np.ndarray
    cutoff_s: np.ndarray
    miss_m: np.ndarray
    iterations: int
    flights: Flights


MIN_RANGE_M = 50e3  #: the shortest ground range the targeting solves for (launch to target)


@lru_cache(maxsize=64)
def range_table(vehicle: Vehicle):
    """Range (m) and apogee (m) against kick angle (deg), full burn, non-rotating Earth, launched north from the
    equator: ``(kicks, ranges, apogees)``; NaN where the flight does not come down."""
    f = fly(vehicle, 0.0, 0.0, 0.0, _KICKS, options=Options(rotation=False))
    r = np.where(f.status == 0, f.range_m, np.nan)
    return _KICKS, r, f.apogee_m


@lru_cache(maxsize=64)
def gamma_table(vehicle: Vehicle):
    """Burnout flight-path angle (deg) against kick angle (deg), as :func:`range_table` flies them."""
    f = fly(vehicle, 0.0, 0.0, 0.0, _KICKS, options=Options(rotation=False))
    return _KICKS, np.degrees(f.burnout_gamma_rad)


def max_range(vehicle: Vehicle, *, latitude_deg=0.0, longitude_deg=0.0, azimuth_deg=0.0, rotation=True):
    """Maximum range (m) along an azimuth from a launch point, and the kick angle (deg) that gives it."""
    kicks, r, _ = range_table(vehicle)
    k0 = kicks[np.nanargmax(r)]
    fine = np.clip(np.linspace(k0 - 1.5, k0 + 1.5, 31), 0.1, 89.9)
    f = fly(vehicle, latitude_deg, longitude_deg, azimuth_deg, fine, options=Options(rotation=rotation))
    rr = np.where(f.status == 0, f.range_m, np.nan)
    j = int(np.nanargmax(rr))
    return float(rr[j]), float(fine[j])


def _miss_components(f: Flights, tlat, tlon, track_az):
    """Along-track and cross-track position of the impact relative to the target (m)."""
    d, az = geodesy.inverse(tlat, tlon, f.impact_latitude_deg, f.impact_longitude_deg)
    ang = np.radians(az - track_az)
    return d * np.cos(ang), d * np.sin(ang), d


def within_reach(vehicle: Vehicle, dist_m) -> np.ndarray:
    """Which ground ranges (m) the targeting will try for ``vehicle`` (up to 2 % beyond its non-rotating maximum
    range, which the turning Earth can add); longer ones raise :class:`UnreachableError` in :func:`solve`."""
    _, r, _ = range_table(vehicle)
    return np.asarray(dist_m, dtype=float) <= np.nanmax(r) * 1.02


def _initial_guess(vehicle, dist, profile, apogee_m, gamma_deg=None):
    kicks, r, apo = range_table(vehicle)
    ok = np.isfinite(r)
    j = int(np.nanargmax(r))
    rmax = r[j]
    if not np.all(within_reach(vehicle, dist)):
        raise UnreachableError("target", f"{np.max(dist) / 1000:.0f} km away",
                               f"{vehicle.name} reaches about {rmax / 1000:.0f} km at most; choose a closer target "
                               "or a longer-range missile")
    if profile == "lofted":
        sel = slice(0, j + 1)
    else:
        sel = slice(j, None)
    ks, rs = kicks[sel][ok[sel]], r[sel][ok[sel]]
    order = np.argsort(rs)
    kick = np.interp(np.minimum(dist, rmax), rs[order], ks[order])
    if profile in ("minimum-energy", "maximum-range"):
        kick = np.full_like(dist, kicks[j])
    if apogee_m is not None:
        ka = np.interp(apogee_m, apo[sel][ok[sel]][np.argsort(apo[sel][ok[sel]])],
                       ks[np.argsort(apo[sel][ok[sel]])])
        kick = np.full_like(dist, ka)
    if gamma_deg is not None:
        kg, gg = gamma_table(vehicle)
        order = np.argsort(gg)
        kick = np.full_like(dist, np.interp(gamma_deg, gg[order], kg[order]))
    return kick, rmax, kicks[j]


def _cutoff_guess(vehicle, kick_deg, dist):
    """Cut-off time giving the range ``dist`` at ``kick_deg`` (non-rotating table in cut-off)."""
    tb = vehicle.burn_time_s
    cuts = np.linspace(0.3 * tb, tb, 60)
    f = fly(vehicle, 0.0, 0.0, 0.0, float(np.mean(kick_deg)), cutoff_s=cuts, options=Options(rotation=False))
    r = np.where(f.status == 0, f.range_m, np.nan)
    ok = np.isfinite(r)
    rr, cc = np.maximum.accumulate(r[ok]), cuts[ok]
    return np.interp(dist, rr, cc, left=cc[0], right=tb)


def solve(vehicle: Vehicle, launch_lat_deg, launch_lon_deg, target_lat_deg, target_lon_deg, *,
          profile: str = "minimum-energy", apogee_m: float | None = None,
          burnout_gamma_deg: float | None = None, t_launch_s=0.0, tol_m: float = 5.0, max_iter: int = 12,
          options: Options | None = None) -> Solution:
    """Aim ``vehicle`` from each launch point at each target (arrays broadcast to N rows).

    Returns the steering and the flight; rows that do not converge keep their best miss in ``miss_m`` (check
    it). Raises :class:`UnreachableError` when a target is beyond the vehicle's reach.
    """
    if profile not in PROFILES:
        raise InputError("profile", profile, "use one of " + ", ".join(PROFILES))
    if apogee_m is not None and burnout_gamma_deg is not None:
        raise InputError("apogee_m/burnout_gamma_deg", (apogee_m, burnout_gamma_deg), "set one shape, not both")
    if burnout_gamma_deg is not None and not 0 < burnout_gamma_deg < 90:
        raise InputError("burnout_gamma_deg", burnout_gamma_deg, "give an angle between 0 and 90 degrees")
    third = apogee_m is not None or burnout_gamma_deg is not None
    options = options or Options()
    lat, lon, tlat, tlon, t0 = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float)) for a in
                                                     (launch_lat_deg, launch_lon_deg, target_lat_deg,
                                                      target_lon_deg, t_launch_s)))
    for name, v in (("target_latitude_deg", tlat), ("launch_latitude_deg", lat)):
        if np.any(~(np.abs(v) <= 90)):
            raise InputError(name, float(v[~(np.abs(v) <= 90)][0]), "latitudes lie between -90 and 90 degrees")
    dist, az0 = geodesy.inverse(lat, lon, tlat, tlon)
    if np.any(dist < MIN_RANGE_M):
        raise InputError("target", f"{np.min(dist) / 1000:.1f} km away", f"the target must be at least "
                         f"{MIN_RANGE_M / 1e3:.0f} km from the launch point")
    _, back = geodesy.inverse(tlat, tlon, lat, lon)
    track_az = np.mod(back + 180.0, 360.0)
    kick, _rmax, kmax = _initial_guess(vehicle, dist, profile, apogee_m, burnout_gamma_deg)
    tb = vehicle.burn_time_s
    cut = _cutoff_guess(vehicle, kick, dist) if profile == "minimum-energy" else np.full_like(dist, tb)
    # unknowns per row, by mode: always the azimuth, then the kick and/or the cut-off
    if profile == "maximum-range":
        cols, x = ("az",), az0[:, None].copy()
    elif third:
        cols, x = ("az", "kick", "cut"), np.column_stack([az0, kick, cut])
    elif profile == "minimum-energy":
        cols, x = ("az", "cut"), np.column_stack([az0, cut])
    else:
        cols, x = ("az", "kick"), np.column_stack([az0, kick])
    nvar = len(cols)
    # finite-difference steps; the cut-off steps back from full burn
    fd_step = np.array([{"az": 0.01, "kick": 0.02, "cut": -0.05}[c] for c in cols])
    max_step = np.array([{"az": 2.0, "kick": 2.0, "cut": 10.0}[c] for c in cols])

    def steering(xx):
        k = xx[:, cols.index("kick")] if "kick" in cols else np.full(len(xx), kmax if profile in (
            "minimum-energy", "maximum-range") else 0.0)
        c = np.clip(xx[:, cols.index("cut")], 1.0, tb) if "cut" in cols else np.full(len(xx), tb)
        return xx[:, 0], np.clip(k, 0.05, 89.95), c

    n = dist.size
    miss = np.full(n, np.inf)
    active = np.arange(n)
    result: Flights | None = None
    iterations = 0
    for iterations in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        m = active.size
        trial = np.repeat(x[active][None], nvar + 1, axis=0)     # (nvar + 1, m, nvar): base and perturbations
        for j in range(nvar):
            trial[j + 1, :, j] += fd_step[j]
        rows = np.tile(active, nvar + 1)
        a_, k_, c_ = steering(trial.reshape(-1, nvar))
        f = fly(vehicle, lat[rows], lon[rows], a_, k_, cutoff_s=c_, t_launch_s=t0[rows], options=options)
        along, cross, d = _miss_components(f, tlat[rows], tlon[rows], track_az[rows])
        parts = [cross] if nvar == 1 else [along, cross]
        if nvar == 3:
            parts.append(f.apogee_m - apogee_m if apogee_m is not None else
                         # one degree of burnout angle weighs as much as 10 km of miss
                         1e4 * (np.degrees(f.burnout_gamma_rad) - burnout_gamma_deg))
        res = np.column_stack(parts)
        res[f.status != 0] = np.nan
        res = res.reshape(nvar + 1, m, -1)
        miss[active] = np.where(np.isfinite(d[:m]), d[:m], np.inf)
        result = _merge(result, f, active, n)
        if nvar == 1:
            done = np.abs(res[0, :, 0]) < tol_m
        elif nvar == 3:
            done = (miss[active] < tol_m) & (np.abs(res[0, :, 2]) < 100.0)   # 100 m of apogee, 0.01 deg
        else:
            done = miss[active] < tol_m
        jac = np.transpose((res[1:] - res[0][None]) / fd_step[:, None, None], (1, 2, 0))   # (m, nres, nvar)
        ok = np.all(np.isfinite(jac), axis=(1, 2)) & np.all(np.isfinite(res[0]), axis=1) & ~done
        step = np.zeros((m, nvar))
        if ok.any():
            step[ok] = _batched_solve(jac[ok], res[0][ok])
        x[active] -= np.clip(step, -max_step, max_step)
        active = active[~done]
        if active.size == 0:
            break
    a_, k_, c_ = steering(x)
    sol = Solution(azimuth_deg=a_, kick_deg=k_, cutoff_s=c_, miss_m=miss, iterations=iterations, flights=result)
    bad = np.flatnonzero(~(miss < tol_m))
    if bad.size and profile == "minimum-energy" and not third:
        # Near the maximum range the cut-off saturates at full burn and the Earth's turning moves the best
        # kick: fall back to full-burn shots on either side of the maximum-range kick, keep the better.
        for alt in ("depressed", "lofted"):
            try:
                other = solve(vehicle, lat[bad], lon[bad], tlat[bad], tlon[bad], profile=alt, t_launch_s=t0[bad],
                              tol_m=tol_m, max_iter=max_iter, options=options)
            except UnreachableError:
                continue
            better = other.miss_m < sol.miss_m[bad]
            sol = _take(sol, other, bad[better], np.flatnonzero(better))
            bad = np.flatnonzero(~(sol.miss_m < tol_m))
            if not bad.size:
                break
    return sol


def _take(sol: Solution, other: Solution, rows, src) -> Solution:
    """``sol`` with rows ``rows`` replaced by rows ``src`` of ``other``."""
    def put(a, b):
        a = a.copy()
        a[rows] = b[src]
        return a

    fl = {k: (None if getattr(sol.flights, k) is None else put(getattr(sol.flights, k), getattr(other.flights, k)))
          for k in Flights.__dataclass_fields__}
    return Solution(azimuth_deg=put(sol.azimuth_deg, other.azimuth_deg), kick_deg=put(sol.kick_deg, other.kick_deg),
                    cutoff_s=put(sol.cutoff_s, other.cutoff_s), miss_m=put(sol.miss_m, other.miss_m),
                    iterations=max(sol.iterations, other.iterations), flights=Flights(**fl))


def _batched_solve(jac, res):
    """Least-squares solution of ``jac @ dx = res`` for each row (square systems solved directly)."""
    if jac.shape[1] == jac.shape[2]:
        try:
            return np.linalg.solve(jac, res[..., None])[..., 0]
        except np.linalg.LinAlgError:
            pass
    return np.stack([np.linalg.lstsq(j, r, rcond=None)[0] for j, r in zip(jac, res, strict=True)])


def _merge(prev: Flights | None, f: Flights, active, n):
    """Keep, per row, the flight of the latest iteration (the first ``len(active)`` rows of ``f`` are the
    unperturbed ones)."""
    m = active.size
    out = {}
    for k in Flights.__dataclass_fields__:
        new = getattr(f, k)
        if new is None:
            out[k] = None
            continue
        a = np.full((n,) + new.shape[1:], np.nan if new.dtype.kind == "f" else -1, dtype=new.dtype) \
            if prev is None else getattr(prev, k).copy()
        a[active] = new[:m]
        out[k] = a
    return Flights(**out)
