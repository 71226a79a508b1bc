"""Benchmark: a defended footprint over >= 10,000 aimpoints, production path against the naive approach.

Production (both cores): aim the threat at every aimpoint (batched Newton targeting, compiled engine), fly them
with dense output, look every trajectory sample up in the site's cached fly-out fan, read off the engagement
windows and shoot-look-shoot opportunities (:func:`bmdsim.analysis.footprint.footprint`).

Naive peer (on a sample of aimpoints; the per-aimpoint cost is what is compared): for each aimpoint, fly the
threat with ``scipy.integrate.solve_ivp`` (DOP853 on the same right-hand side, dense output; the steering is the
production targeting's, so the naive cost *excludes* targeting: the ratio is conservative), then fly, also with
``solve_ivp`` and with nothing reused from other aimpoints, the interceptor family the search needs (every kick
and cut-off in the launch directions the threat crosses) and scan interceptor launch times in 2 s steps from
the earliest launch: an intercept exists at launch time ``t_L`` if some trajectory sample is reached in at most
``t - t_L``. Same model as production, so the verdicts must be identical.

Run: ``python benchmarks/bench_footprint.py [--grid-deg 0.75] [--sample 2]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

from bmdsim.analysis.engage import fan_at, interceptor_for
from bmdsim.analysis.footprint import DEFAULT_REGION, footprint
from bmdsim.core import oracle
from bmdsim.engagement import defenses
from bmdsim.engagement.fan import Fan, FanSettings
from bmdsim.engagement.firecontrol import Threats
from bmdsim.flight import catalog, sites
from bmdsim.flight.fly import Options, fly
from bmdsim.flight.targeting import solve


def naive_integrator(*args, options, **kwargs):
    """The naive peer's integrator: core.oracle's solve_ivp (dense output included) at the tolerances the
    production path uses for the same flights (``options.rtol``, ``options.atol_m``), not its own 1e-12."""
    return oracle.integrate(*args, options=options, rtol=options.rtol, atol=options.atol_m, **kwargs)


def naive_verdict(missile, launch, aim_lat, aim_lon, site, interceptor, t_launch_min_rel, settings):
    """The naive per-aimpoint computation (module docstring): ``(defended, earliest intercept from launch)``."""
    d = defenses.get(site)
    v = catalog.get(missile)
    sol = solve(v, launch[0], launch[1], aim_lat, aim_lon)
    f = fly(v, launch[0], launch[1], sol.azimuth_deg, sol.kick_deg, cutoff_s=sol.cutoff_s,
            options=Options(dense_dt_s=4.0, dense_n=1500), integrator=naive_integrator)
    th = Threats.from_flights(f)
    fan = Fan(interceptor, d.latitude_deg, d.longitude_deg, settings=settings)      # nothing reused
    r = np.where((th.t_s >= th.t_burnout_s[:, None])[..., None], th.r_ecef, np.nan)[0]
    look = fan.lookup(r, min_altitude_m=d.min_intercept_altitude_m)
    t_fly = look.t_flight_s
    t = th.t_s[0]
    c = float(th.t_launch_s[0]) + t_launch_min_rel
    for t_l in np.arange(c, float(np.nanmax(np.where(np.isfinite(r[:, 0]), t, np.nan))), 2.0):
        reach = np.flatnonzero((t >= t_l) & (t_fly <= t - t_l))
        if reach.size:
            return True, float(t[reach[0]] - th.t_launch_s[0]), fan.n_flights
        if t_l > c + 5000:
            break
    return False, float("nan"), fan.n_flights


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--grid-deg", type=float, default=0.75)
    ap.add_argument("--sample", type=int, default=2)
    ap.add_argument("--missile", default="icbm-liquid-10000")
    ap.add_argument("--interceptor", default="gbi2-6.3")
    ap.add_argument("--commit-delay-s", type=float, default=400.0)
    a = ap.parse_args()
    launch = sites.resolve("--launch", "semnan")
    lon0, lat0, lon1, lat1 = DEFAULT_REGION
    lats = np.arange(lat0 + a.grid_deg / 2, lat1, a.grid_deg)
    lons = np.arange(lon0 + a.grid_deg / 2, lon1, a.grid_deg)
    la, lo = (x.ravel() for x in np.meshgrid(lats, lons, indexing="ij"))
    site, v = "redzikowo", interceptor_for(a.interceptor)
    settings = FanSettings(max_flight_time_s=defenses.get(site).max_flight_time_s)
    print(f"footprint: {a.missile} from Semnan vs {a.interceptor} at {site}; {la.size} aimpoints "
          f"({a.grid_deg} deg grid over {DEFAULT_REGION}); {os.cpu_count()} cores; earliest interceptor launch "
          f"{a.commit_delay_s:.0f} s after the threat's")
    # warm up the compiled kernels (not timed: numba's cache makes this a one-time cost)
    footprint(launch, a.missile, interceptor=a.interceptor, aimpoints=(la[:3], lo[:3]), region=(0, 0, 1, 1),
              earliest_launch_after_threat_s=a.commit_delay_s, settings=FanSettings(n_azimuth=4, n_kick=10))
    t0 = time.perf_counter()
    fan = fan_at(v, site, settings=settings)
    fan.build()
    t_fan = time.perf_counter() - t0
    t0 = time.perf_counter()
    fp = footprint(launch, a.missile, interceptor=a.interceptor, aimpoints=(la, lo), region=DEFAULT_REGION,
                   earliest_launch_after_threat_s=a.commit_delay_s, settings=settings)
    t_fast = time.perf_counter() - t0
    n = la.size
    print(f"fan    : {fan.n_flights} interceptor flights (24 sectors x kicks x cut-offs) in {t_fan:.2f} s, "
          "built once and cached")
    print(f"fast   : {n} aimpoints in {t_fast:.2f} s = {1e3 * t_fast / n:.2f} ms/aimpoint "
          f"(+ fan {1e3 * t_fan / n:.2f} ms/aimpoint amortised); {int(fp.reachable.sum())} reachable, "
          f"defended fraction {fp.defended_fraction:.3f}; phases {({k: round(x, 2) for k, x in fp.timings_s.items()})}")
    # naive on a sample: reachable aimpoints spread over the grid, half defended, half not where possible
    rng = np.random.default_rng(4)
    dfd = np.flatnonzero(fp.reachable & fp.defended)
    und = np.flatnonzero(fp.reachable & ~fp.defended)
    pick = list(rng.choice(dfd, min(len(dfd), (a.sample + 1) // 2), replace=False)) + \
        list(rng.choice(und, min(len(und), a.sample // 2), replace=False))
    naive_settings = FanSettings(max_flight_time_s=settings.max_flight_time_s, integrator=naive_integrator)
    agree, t_naive, rows = 0, 0.0, []
    for j in pick:
        t0 = time.perf_counter()
        ok, t_e, nfl = naive_verdict(a.missile, launch, la[j], lo[j], site, v, a.commit_delay_s, naive_settings)
        dt = time.perf_counter() - t0
        t_naive += dt
        same = ok == bool(fp.defended[j])
        agree += same
        rows.append((la[j], lo[j], ok, bool(fp.defended[j]), t_e, fp.earliest_intercept_after_launch_s[j], dt, nfl))
    for r in rows:
        print(f"  sample {r[0]:6.2f},{r[1]:7.2f}: naive defended={r[2]} (t {r[4]:.0f} s)  fast defended={r[3]} "
              f"(t {r[5]:.0f} s)  naive {r[6]:.1f} s, {r[7]} solve_ivp interceptor flights")
    per_naive = t_naive / max(len(pick), 1)
    per_fast = t_fast / n
    per_fast_fan = (t_fast + t_fan) / n
    print(f"naive  : {len(pick)} aimpoints in {t_naive:.1f} s = {per_naive:.1f} s/aimpoint "
          f"(solve_ivp threat + uncached solve_ivp interceptor family + launch-time scan)")
    print(f"ratio  : {per_naive / per_fast:.0f}x per aimpoint ({per_naive / per_fast_fan:.0f}x with the fan build "
          f"charged to this footprint); verdicts agree on {agree}/{len(pick)} sampled aimpoints")
    print(f"projected naive time for all {n} aimpoints: {per_naive * n / 3600:.1f} h; fast: {t_fast + t_fan:.1f} s")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
