"""Benchmark: the footprint's per-aimpoint sensor timeline, batched against one flight at a time, side by side.

The europe-2007 run's footprint (issue 9, build 8): Semnan's ICBM flown to every land cell of the scenario's
grid, each flight's own sensor timeline (the site's sensors, the scenario's seed) giving its commit time.

- peer (session 3): :func:`bmdsim.analysis.footprint._own_commits_one_by_one`, ``sensor_timeline`` (hence
  ``detect_all``) on each flight alone;
- production: :func:`bmdsim.analysis.footprint._own_commits`, all flights in one batch
  (:func:`bmdsim.sensing.first_tracks.first_times`).

Both must give the same commit time and source for every cell (checked). The run makes one footprint per
interceptor variant of the site (5 for europe-2007) from the same flights: the peer computed the timelines
once per variant, production once per run (``footprint(shared=...)``); both ratios are printed.

With ``--step`` the run's whole footprint step (``scenario.defense.footprints``, its fly-checks included) is timed
both ways in one process after an untimed warm-up (fans from the disk cache): production against the session-3
path (``_own_commits`` one flight at a time, no ``shared``); the rows must be equal. Both sides use this
branch's ``fly``.

    python benchmarks/bench_footprint_timeline.py [SCENARIO] [--repeat N] [--step]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np

import bmdsim
from bmdsim.analysis import footprint as fp
from bmdsim.analysis.engage import fly_threats
from bmdsim.scenario import defense


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="europe-2007")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--step", action="store_true", help="time the run's whole footprint step both ways")
    a = ap.parse_args()
    scn = bmdsim.load_scenario(a.scenario).scenario
    if a.step:
        step(scn, a.scenario, a.repeat)
        return
    f = scn.analyses.footprint
    site = scn.interceptor_sites[0]
    d = defense.fire_control(scn, site)
    sensors = defense.fire_control_sensors(scn, d)
    launch = defense.site_lookup(scn)("analyses.footprint.launch_sites", f.launch_sites[0])
    la, lo = fp.aimpoint_grid(tuple(f.region_deg), f.grid_step_deg)
    th, miss = fly_threats(f.missile, launch[0], launch[1], la, lo, dense_dt_s=4.0)
    ok = miss < fp.MISS_LIMIT_M
    old_s, new_s = [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        c_old, s_old = fp._own_commits_one_by_one(th, ok, d, scn.seed, sensors=sensors)
        t1 = time.perf_counter()
        c_new, s_new = fp._own_commits(th, ok, d, scn.seed, sensors=sensors)
        t2 = time.perf_counter()
        old_s.append(t1 - t0)
        new_s.append(t2 - t1)
    same = np.array_equal(c_old, c_new) and s_old == s_new
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    t_old, t_new = statistics.median(old_s), statistics.median(new_s)
    n_var = len(site.all_variants)
    print(f"{a.scenario}: {int(ok.sum())} reachable cells of {ok.size}, sensors {[s.name for s in sensors]}; "
          f"load average {load} on {os.cpu_count()} cores")
    print(f"  one footprint:  one by one {t_old:6.2f} s   batched {t_new:6.2f} s   ratio {t_old / t_new:5.1f}x "
          f"(median of {a.repeat})")
    print(f"  the run ({n_var} variants): one by one {n_var * t_old:6.2f} s   batched once {t_new:6.2f} s   ratio "
          f"{n_var * t_old / t_new:5.1f}x")
    print(f"  commit times and sources identical: {same}")
    if not same:
        raise SystemExit(1)


def step(scn, name: str, repeat: int) -> None:
    """The run's footprint step, production and the session-3 path, alternating (module docstring)."""
    production, footprint = fp._own_commits, fp.footprint

    def old_commits(th, ok, site, seed, *, sensors=None, progress=None):
        return fp._own_commits_one_by_one(th, ok, site, seed, sensors=sensors)

    parts: dict = {}

    def timed(old: bool):
        def call(*args, shared=None, **kw):
            f = footprint(*args, shared=None if old else shared, **kw)
            for k, x in f.timings_s.items():
                parts[old][k] = parts[old].get(k, 0.0) + x
            return f
        return call

    def run(old: bool):
        fp._own_commits, fp.footprint = (old_commits if old else production), timed(old)
        parts[old] = {}
        try:
            t0 = time.perf_counter()
            out = defense.footprints(scn, lambda *_: None, {})
            return time.perf_counter() - t0, out
        finally:
            fp._own_commits, fp.footprint = production, footprint

    run(False)                                  # warm-up: fans (disk cache), targeting tables
    times = {False: [], True: []}
    rows = {}
    for _ in range(repeat):
        for old in (True, False):
            t, out = run(old)
            times[old].append(t)
            rows[old] = (out.cells, out.cities, out.summaries)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    t_old, t_new = statistics.median(times[True]), statistics.median(times[False])
    print(f"{name}: the run's footprint step ({len(rows[False][2])} footprints), median of {repeat}; load average "
          f"{load} on {os.cpu_count()} cores")
    print(f"  session-3 path {t_old:6.2f} s   production {t_new:6.2f} s   ratio {t_old / t_new:5.2f}x")
    for old in (True, False):
        print(f"  {'session-3 path' if old else 'production    '} (last run, summed over the footprints): "
              + ", ".join(f"{k} {x:.2f} s" for k, x in parts[old].items() if k != "total"))
    same = rows[True] == rows[False]
    print(f"  footprint cells, cities and summaries identical: {same}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
