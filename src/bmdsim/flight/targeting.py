"""Targeting: solve launch azimuth and steering so that the impact lands on a target on the rotating Earth.

Steering is the engine's vertical rise, kick (pitch-over to ``kick_deg`` from vertical) and gravity turn, with an
optional thrust cut-off (energy management, Bate, Mueller & White sec. 6.2's "burnout" chosen by the designer).
Profiles (the shape of the flight; range is always matched):

- ``minimum-energy``: the least burnout energy (inertial specific energy ``v^2/2 - mu/r``) that reaches the target
  on the rotating Earth, kick and cut-off chosen together: among the steering pairs (kick, cut-off) that land on
  the target, the one whose burnout energy is least. It is the flown counterpart of the minimum-energy ellipse
  (BMW eq. 6.2-15; :func:`bmdsim.core.kepler.minimum_energy_between`), which the tests hold it to.
- ``lofted`` / ``depressed``: relative to the minimum-energy shot to the same target, an apogee above it (lofted,
  steeper burnout) or below it (depressed, flatter). Without a shape they fly full burn with the kick on the
  steep (lofted) or flat (depressed) side of the maximum-range kick: the most lofted and most depressed shots
  the missile can fly to that target.
- ``maximum-range``: full burn at the maximum-range kick (the target then only sets the azimuth; the miss tells
  how far the impact lies from it).
- An ``apogee_m`` (or a ``burnout_gamma_deg``) adds the apogee (or the Earth-relative flight-path angle at
  burnout) as a third condition and the cut-off as a third unknown: a lofted or depressed shot of that shape.

Method. Minimum energy: a per-vehicle table (:func:`minimum_energy_table`) of the least-energy kick and cut-off
against ground range, flown on the turning Earth from the equator eastward, northward and westward, gives the
kick (interpolated in range and, quadratically, in the along-track speed of the launch site, which is what the
Earth's turn changes) and the start of the cut-off and of the Jacobian; azimuth and cut-off are then solved by
Broyden's method, one flight per row and iteration (a handful per target). The other profiles: Newton's method on
(along-track, cross-track) miss [and apogee error] with a finite-difference Jacobian, every iteration one batched
engine call for all unsolved rows and their perturbations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bmdsim.core import geodesy, kepler
from bmdsim.core.checks import check_latitude
from bmdsim.core.constants import GM_EARTH_M3_S2, OMEGA_EARTH_RAD_S, R_SPHERE_M, WGS84_A_M
from bmdsim.errors import InputError, UnreachableError
from bmdsim.flight.fly import Flights, Options, fly
from bmdsim.flight.profiles import PROFILES, check_profile
from bmdsim.flight.vehicle import Vehicle

__all__ = ["PROFILES", "Solution", "solve", "max_range", "range_table", "minimum_energy_table", "burnout_inertial"]

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


def burnout_inertial(f: Flights):
    """Inertial burnout state of each row: speed (m/s), flight-path angle above the local horizontal (rad) and
    specific energy ``v^2/2 - mu/r`` (J/kg, point-mass gravity), from the Earth-fixed burnout state."""
    r = f.r_burnout_ecef
    v = f.v_burnout_ecef + np.cross(np.array([0.0, 0.0, OMEGA_EARTH_RAD_S]), r)
    rn, vn = np.linalg.norm(r, axis=-1), np.linalg.norm(v, axis=-1)
    gamma = np.arcsin(np.clip(np.einsum("...i,...i", r, v) / (rn * vn), -1.0, 1.0))
    return vn, gamma, 0.5 * vn**2 - GM_EARTH_M3_S2 / rn


#: launch azimuths of the minimum-energy table, from the equator: westward, northward, eastward (the along-track
#: speed of the launch site is then -1, 0, +1 times the equatorial speed)
_ME_AZIMUTHS = (270.0, 0.0, 90.0)


#: targeting flies coarse (:func:`_coarse`) until the miss is below this, then at the caller's tolerances
_COARSE_UNTIL_M = 3000.0
#: kicks x cut-offs of the minimum-energy table
_ME_GRID = (40, 32)


def _coarse(options: Options) -> Options:
    """``options`` with 1,000 times looser local error tolerances (rtol 1e-6 and 10 m by default): about a third
    of the steps, impacts within a few hundred metres of the full-tolerance flight (measured on ICBM flights),
    for the tables and the first, far-off targeting iterations."""
    kw = {k: getattr(options, k) for k in Options.__slots__}
    kw.update(rtol=options.rtol * 1e3, atol_m=options.atol_m * 1e3)
    return Options(**kw)


@dataclass(frozen=True, slots=True)
class MinimumEnergyTable:
    """Least-energy steering against ground range on the turning Earth: rows of :data:`_ME_AZIMUTHS` (from the
    equator), columns of ``range_m``. Where the least-energy shot needs the full burn (``cutoff_s`` equal to the
    burn time) the kick is the one whose full burn reaches the range, on the side of lower energy; NaN beyond
    reach."""

    range_m: np.ndarray
    kick_deg: np.ndarray        # (3, R)
    cutoff_s: np.ndarray        # (3, R)
    drange_dcut_m_s: np.ndarray  # (3, R): range gained per second of burn at that steering

    def lookup(self, dist_m, site_speed_ratio):
        """Kick, cut-off and d(range)/d(cut-off) for ground ranges ``dist_m`` and launch sites moving along
        track at ``site_speed_ratio`` (-1..1) times the equatorial speed: quadratic in the ratio through the
        three rows; where a row lies beyond reach, linear from the northward row to the near side, or with the
        far side's slope; linear in range."""
        s = np.asarray(site_speed_ratio, dtype=float)
        out = []
        for tab in (self.kick_deg, self.cutoff_s, self.drange_dcut_m_s):
            w, n, e = (np.interp(dist_m, self.range_m, row, left=np.nan, right=np.nan) for row in tab)
            quad = n + s * (e - w) / 2.0 + s * s * (e + w - 2.0 * n) / 2.0
            # past the reach of the least-energy shot in the far direction: linear on the near side
            near = n + np.abs(s) * (np.where(s >= 0, e, w) - n)
            far = n - np.abs(s) * (np.where(s >= 0, w, e) - n)    # no near side either: the far side's slope
            out.append(np.where(np.isfinite(quad), quad, np.where(np.isfinite(near), near, far)))
        return tuple(out)


@lru_cache(maxsize=64)
def minimum_energy_table(vehicle: Vehicle, *, rotation: bool = True, j2: bool = True, drag: bool = True,
                         sphere: bool = False) -> MinimumEnergyTable:
    """Fly a grid of kick (40 from 0.5 deg to 15 % past the maximum-range kick) and cut-off (32 from 15 % to all
    of the burn) on the turning Earth from the
    equator in the three directions of :data:`_ME_AZIMUTHS`; for each ground range the least burnout energy over
    the kicks (a parabola through the three best grid kicks), its kick, cut-off and d(range)/d(cut-off); near the
    reach, the full-burn shot on the edge of the window of kicks that get there. The physics switches are those
    of :class:`Options` (the caller's, so that the table's least energy is the one of the flights it aims)."""
    tb = vehicle.burn_time_s
    k_table, r_table, _ = range_table(vehicle)
    kmax = float(k_table[np.nanargmax(r_table)])
    kicks = np.linspace(0.5, min(89.5, 1.15 * kmax + 2.0), _ME_GRID[0])
    cuts = np.linspace(0.15 * tb, tb, _ME_GRID[1])
    kk, cc = np.meshgrid(kicks, cuts, indexing="ij")
    nk, nc = kk.shape
    az = np.repeat(np.array(_ME_AZIMUTHS), kk.size)
    physics = Options(rotation=rotation, j2=j2, drag=drag, sphere=sphere)
    f = fly(vehicle, 0.0, 0.0, az, np.tile(kk.ravel(), 3), cutoff_s=np.tile(cc.ravel(), 3), options=_coarse(physics))
    rng = np.where(f.status == 0, f.range_m, np.nan).reshape(3, nk, nc)
    energy = burnout_inertial(f)[2].reshape(3, nk, nc)
    grid = np.linspace(50e3, np.nanmax(rng), 160)
    shape = (3, grid.size)
    k_out, c_out, d_out = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    for a in range(3):
        cut_at = np.full((nk, grid.size), np.nan)
        e_at = np.full((nk, grid.size), np.nan)
        for i in range(nk):
            r = rng[a, i]
            ok = np.isfinite(r)
            if ok.sum() < 3:
                continue
            rr = np.maximum.accumulate(r[ok])       # range grows with the burn; flat steps keep interp monotone
            keep = np.concatenate([[True], np.diff(rr) > 0])
            rr, cu, en = rr[keep], cuts[ok][keep], energy[a, i][ok][keep]
            cut_at[i] = np.interp(grid, rr, cu, left=np.nan, right=np.nan)
            e_at[i] = np.interp(cut_at[i], cu, en)
        for j in range(grid.size):
            e = e_at[:, j]
            if not np.isfinite(e).any():
                continue
            i = int(np.nanargmin(e))
            if i == 0 or i == nk - 1:
                continue                            # at the edge of the kick grid
            if not (np.isfinite(e[i - 1]) and np.isfinite(e[i + 1])):
                # the least energy needs the full burn: the kick on the edge of the reachable window, where the
                # full-burn range equals the range (between the grid kick and its unreachable neighbour)
                o = i - 1 if not np.isfinite(e[i - 1]) else i + 1
                rf = rng[a, :, -1]
                if np.isfinite(rf[o]) and rf[o] < grid[j] <= rf[i]:
                    w = (grid[j] - rf[o]) / (rf[i] - rf[o])
                    k_out[a, j] = kicks[o] + w * (kicks[i] - kicks[o])
                    c_out[a, j] = tb
                continue
            denom = e[i - 1] - 2.0 * e[i] + e[i + 1]
            off = 0.5 * (e[i - 1] - e[i + 1]) / denom if denom > 0 else 0.0
            k_out[a, j] = kicks[i] + off
            lo = i if off >= 0 else i - 1
            w = off if off >= 0 else 1.0 + off
            c_out[a, j] = cut_at[lo, j] * (1.0 - w) + cut_at[lo + 1, j] * w
            dcut = np.gradient(cut_at[i], grid)[j]
            d_out[a, j] = 1.0 / dcut if dcut > 0 else np.nan
    return MinimumEnergyTable(range_m=grid, kick_deg=k_out, cutoff_s=c_out, drange_dcut_m_s=d_out)


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


def max_range_m(vehicle: Vehicle) -> float:
    """The longest ground range (m) in ``vehicle``'s range table (non-rotating Earth), as messages quote it."""
    return float(np.nanmax(range_table(vehicle)[1]))


def within_reach(vehicle: Vehicle, dist_m) -> np.ndarray:
    """Which ground ranges (m) the targeting will try for ``vehicle`` (up to 2 % beyond its non-rotating maximum
    range, which the turning Earth can add); longer ones raise :class:`UnreachableError` in :func:`solve`."""
    return np.asarray(dist_m, dtype=float) <= max_range_m(vehicle) * 1.02


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
    check_profile("profile", profile)
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
        check_latitude(name, v)
    dist, az0 = geodesy.inverse(lat, lon, tlat, tlon)
    if np.any(dist < MIN_RANGE_M):
        raise InputError("target", f"{np.min(dist) / 1000:.1f} km away", f"the target must be at least "
                         f"{MIN_RANGE_M / 1e3:.0f} km from the launch point")
    _, back = geodesy.inverse(tlat, tlon, lat, lon)
    track_az = np.mod(back + 180.0, 360.0)
    kick, _rmax, kmax = _initial_guess(vehicle, dist, profile, apogee_m, burnout_gamma_deg)
    tb = vehicle.burn_time_s
    if profile == "minimum-energy" and not third:
        sol = _solve_minimum_energy(vehicle, lat, lon, tlat, tlon, t0, dist, az0, track_az, kmax, tol_m, max_iter,
                                    options)
        return _full_burn_fallback(sol, vehicle, lat, lon, tlat, tlon, t0, tol_m, max_iter, options)
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
    return sol


def _full_burn_fallback(sol, vehicle, lat, lon, tlat, tlon, t0, tol_m, max_iter, options) -> Solution:
    """Rows of a minimum-energy solution that did not converge: near the maximum range the least-energy shot is a
    full burn (the cut-off saturates), so fly depressed and lofted full-burn shots there and keep the better."""
    bad = np.flatnonzero(~(sol.miss_m < tol_m))
    for alt in ("depressed", "lofted"):
        if not bad.size:
            break
        try:
            other = solve(vehicle, lat[bad], lon[bad], tlat[bad], tlon[bad], profile=alt, t_launch_s=t0[bad],
                          tol_m=tol_m, max_iter=max_iter, options=options)
        except UnreachableError:
            continue
        better = other.miss_m < sol.miss_m[bad]
        sol = _take(sol, other, bad[better], np.flatnonzero(better))
        bad = np.flatnonzero(~(sol.miss_m < tol_m))
    return sol


def _inertial_azimuth(lat, lon, tlat, tlon, dist, burn_time_s):
    """Launch azimuth (deg) that points the inertial burnout velocity at where the target will be at impact.

    The target moves east by ``omega T`` in the flight time ``T`` (the minimum-energy coast of BMW eq. 6.2-15 at
    the ground range, plus half the burn), and the launch site's own eastward speed ``omega R cos(lat)`` adds to
    the Earth-relative velocity the steering gives (the horizontal part of the minimum-energy burnout speed).
    """
    psi = np.minimum(dist / R_SPHERE_M, np.pi * 0.95)
    v, g = kepler.minimum_energy(psi, R_SPHERE_M)
    tof = kepler.time_of_flight(v, g, R_SPHERE_M) + 0.5 * burn_time_s
    _, az_i = geodesy.inverse(lat, lon, tlat, np.degrees(np.radians(tlon) + OMEGA_EARTH_RAD_S * tof))
    vh = v * np.cos(g)
    a = np.radians(az_i)
    east = vh * np.sin(a) - OMEGA_EARTH_RAD_S * WGS84_A_M * np.cos(np.radians(lat))
    return np.mod(np.degrees(np.arctan2(east, vh * np.cos(a))), 360.0)


def _solve_minimum_energy(vehicle, lat, lon, tlat, tlon, t0, dist, az0, track_az, kmax, tol_m, max_iter,
                          options) -> Solution:
    """Azimuth and cut-off by Broyden's method at the least-energy kick of :func:`minimum_energy_table` (where
    that shot needs the full burn: azimuth and kick at full burn). The first Jacobian comes from the tables
    (range per second of burn, or per degree of kick) and the geometry (an azimuth change of one degree moves
    the impact ``R sin(range angle)`` across the track), then rank-one updates from each flight."""
    tb = vehicle.burn_time_s
    n = dist.size
    ratio = np.cos(np.radians(lat)) * np.sin(np.radians(az0))
    kick, cut, drdc = minimum_energy_table(vehicle, rotation=options.rotation, j2=options.j2, drag=options.drag,
                                           sphere=options.sphere).lookup(dist, ratio if options.rotation else 0.0)
    kick = np.where(np.isfinite(kick), kick, kmax)    # beyond the table's reach: the maximum-range kick
    full = ~(cut < tb - 0.05)                          # the least-energy shot needs the full burn: free the kick
    kicks, r, _ = range_table(vehicle)
    ok = np.isfinite(r)
    drdk = np.interp(kick, kicks[ok], np.gradient(r[ok], kicks[ok]))
    second = np.where(full, np.where(np.abs(drdk) > 1e3, drdk, 1e3), np.where(drdc > 0, drdc, 1e5))
    jac = np.zeros((n, 2, 2))
    jac[:, 0, 1] = second
    jac[:, 1, 0] = np.radians(1.0) * R_SPHERE_M * np.maximum(np.sin(dist / R_SPHERE_M), 0.05)
    az_start = _inertial_azimuth(lat, lon, tlat, tlon, dist, tb) if options.rotation else az0
    x = np.column_stack([az_start, np.where(full, kick, cut)])
    lo_x = np.where(full, 0.05, 1.0)
    hi_x = np.where(full, 89.95, tb)
    max_step = np.column_stack([np.full(n, 2.0), np.where(full, 2.0, 10.0)])
    miss = np.full(n, np.inf)
    best_x = x.copy()
    res_prev = np.full((n, 2), np.nan)
    dx_prev = np.zeros((n, 2))
    active = np.arange(n)
    result: Flights | None = None
    iterations = 0
    fine = np.zeros(n, dtype=bool)        # rows flown at the caller's tolerances (the others coarse, far off)
    coarse = _coarse(options)
    for iterations in range(1, max_iter + 1):  # noqa: B007 (the count is reported)
        xa, fa, fi = x[active], full[active], fine[active]
        k_a, c_a = np.where(fa, xa[:, 1], kick[active]), np.where(fa, tb, xa[:, 1])
        f = None
        for sel, opt in ((fi, options), (~fi, coarse)):
            if sel.any():
                part = fly(vehicle, lat[active[sel]], lon[active[sel]], xa[sel, 0], k_a[sel], cutoff_s=c_a[sel],
                           t_launch_s=t0[active[sel]], options=opt)
                f = _merge_rows(f, part, np.flatnonzero(sel), np.arange(sel.sum()), active.size)
        along, cross, d = _miss_components(f, tlat[active], tlon[active], track_az[active])
        res = np.column_stack([along, cross])
        d = np.where((f.status == 0) & np.isfinite(d), d, np.inf)
        improved = fi & (d < miss[active])
        result = _merge_rows(result, f, active[improved], np.flatnonzero(improved), n)
        best_x[active[improved]] = xa[improved]
        miss[active[improved]] = d[improved]
        done = fi & (d < tol_m)
        # near enough for the coarse flights' error (a few hundred metres): fly at full tolerance from now on,
        # the Broyden update skipping the step across the change of tolerance
        switch = ~fi & ((d < _COARSE_UNTIL_M) | (iterations >= 4))
        # Broyden's rank-one update of the Jacobian from the last step ("good" Broyden)
        ja = jac[active]
        dxp, rp = dx_prev[active], res_prev[active]
        upd = np.all(np.isfinite(rp), axis=1) & np.all(np.isfinite(res), axis=1) & (np.sum(dxp**2, axis=1) > 0)
        if upd.any():
            dr = res[upd] - rp[upd]
            ja[upd] += np.einsum("ni,nj->nij", dr - np.einsum("nij,nj->ni", ja[upd], dxp[upd]), dxp[upd]) / \
                np.sum(dxp[upd] ** 2, axis=1)[:, None, None]
        jac[active] = ja
        ok = np.all(np.isfinite(res), axis=1) & ~done
        step = np.zeros((active.size, 2))
        if ok.any():
            step[ok] = _batched_solve(ja[ok], res[ok])
        step = -np.clip(step, -max_step[active], max_step[active])
        # a flight that did not come down: step back halfway towards the best steering so far
        lost = ~np.all(np.isfinite(res), axis=1) & ~done
        step[lost] = 0.5 * (best_x[active[lost]] - xa[lost])
        new = xa + step
        # a cut-off pushed past the full burn: the least-energy shot needs all of it; free the kick instead
        sat = ~fa & ~done & (new[:, 1] > tb)
        new[:, 1] = np.clip(new[:, 1], lo_x[active], hi_x[active])
        res_prev[active] = np.where((lost | switch)[:, None], np.nan, res)
        dx_prev[active] = new - xa
        fine[active[switch]] = True
        if sat.any():
            rows = active[sat]
            full[rows] = True
            new[sat, 1] = kick[rows]
            lo_x[rows], hi_x[rows], max_step[rows, 1] = 0.05, 89.95, 2.0
            ja = jac[rows]
            ja[:, :, 1] = 0.0
            ja[:, 0, 1] = np.where(np.abs(drdk[rows]) > 1e3, drdk[rows], 1e3)
            jac[rows] = ja
            res_prev[rows] = np.nan
        x[active] = new
        active = active[~done]
        if active.size == 0:
            break
    k_out = np.where(full, best_x[:, 1], kick)
    c_out = np.where(full, tb, best_x[:, 1])
    return Solution(azimuth_deg=best_x[:, 0], kick_deg=np.clip(k_out, 0.05, 89.95), cutoff_s=c_out, miss_m=miss,
                    iterations=iterations, flights=result)


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


def _merge_rows(prev: Flights | None, f: Flights, rows, src, n):
    """``prev`` (or an empty record of ``n`` rows) with rows ``rows`` taken from rows ``src`` of ``f``."""
    out = {}
    for k in Flights.__dataclass_fields__:
        new = getattr(f, k)
        if new is None:
            out[k] = None
            continue
        a = np.full((n,) + new.shape[1:], np.nan if new.dtype.kind == "f" else -1, dtype=new.dtype) \
            if prev is None else getattr(prev, k).copy()
        a[rows] = new[src]
        out[k] = a
    return Flights(**out)


def _merge(prev: Flights | None, f: Flights, active, n):
    """Keep, per row, the flight of the latest iteration (the first ``len(active)`` rows of ``f`` are the
    unperturbed ones)."""
    return _merge_rows(prev, f, active, np.arange(active.size), n)
