"""Warm time of a scenario run (default: the bundled europe-2007), split by step, from the run's own step timer
(``RunResult.timings_s``), plus the time to build the tables and to write the output folder.

    python benchmarks/bench_run.py [SCENARIO] [--repeat N]

The first run in a fresh environment compiles the numba engine; a warm-up run is done first and not counted.
Goal (issue 9, build 8): the default run under 20 s warm on a 2-core machine. The load average is printed
beside the figures: timings taken while other work shares the cores are not the machine's figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import bmdsim

GOAL_S = 20.0   #: issue 9, build 8: the default run's warm time on this 2-core machine


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="europe-2007")
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    ls = bmdsim.load_scenario(a.scenario)
    bmdsim.run(ls)                      # warm-up: numba cache, catalogs, fans
    runs, tables, writes = [], [], []
    for _ in range(a.repeat):
        t0 = time.perf_counter()
        r = bmdsim.run(ls)
        runs.append((time.perf_counter() - t0, r.timings_s))
        t0 = time.perf_counter()
        r.tables()
        tables.append(time.perf_counter() - t0)
        with tempfile.TemporaryDirectory() as d:
            t0 = time.perf_counter()
            r.write(Path(d) / "out")
            writes.append(time.perf_counter() - t0)
    total = statistics.median(x for x, _ in runs)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{a.scenario}: warm run {total:.2f} s (median of {a.repeat}); load average {load} on "
          f"{os.cpu_count()} cores")
    for step in runs[0][1]:
        s = statistics.median(t[step] for _, t in runs)
        print(f"  {step:<12} {s:7.2f} s  {100 * s / total:5.1f} %")
    print(f"tables() {statistics.median(tables):.2f} s; write() {statistics.median(writes):.2f} s "
          "(database, exports, report)")
    print(f"goal: warm run under {GOAL_S:.0f} s on a 2-core machine: {'met' if total < GOAL_S else 'NOT met'} "
          f"({total:.1f} s)")


if __name__ == "__main__":
    main()
