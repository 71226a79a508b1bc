"""Benchmark: fan verdicts checked by flying, both ways (issue 10, part 4), on the default footprint.

The README's footprint (Semnan, icbm-liquid-10000, Redzikowo, 2 deg grid over Europe and the U.S. East Coast, the
commit from each aimpoint's own sensor timeline) with ``verify=N``: a third of the checked cells from each side of
the defended boundary and the rest the farthest reachable cells. A "yes" is flown; a "no" gets a direct search
over launch time, azimuth and steering with the engine (:mod:`bmdsim.engagement.verify`). Prints the agreement
per group, the disagreements, and the time per checked cell.

Run: ``python benchmarks/bench_fan_verify.py [--verify 120] [--interceptor gbi2-6.3 gbi2-9.0]``.
"""

from __future__ import annotations

import argparse
import os
import time

from bmdsim.analysis.footprint import footprint
from bmdsim.flight import sites

GOAL_AGREEMENT = 0.99
GOAL_CELLS = 100


def main():
    # time the fan builds themselves, not loads from the disk cache (bmdsim.engagement.fancache)
    os.environ.setdefault("BMDSIM_NO_CACHE", "1")
    ap = argparse.ArgumentParser()
    ap.add_argument("--verify", type=int, default=120)
    ap.add_argument("--interceptor", nargs="+", default=["gbi2-6.3"])
    ap.add_argument("--grid-deg", type=float, default=2.0)
    args = ap.parse_args()
    for iv in args.interceptor:
        t = time.perf_counter()
        fp = footprint(sites.resolve("--launch", "semnan"), "icbm-liquid-10000", site="redzikowo", interceptor=iv,
                       grid_deg=args.grid_deg, verify=args.verify)
        wall = time.perf_counter() - t
        v = fp.verification
        print(f"{iv}: {int(fp.defended.sum())} of {int(fp.reachable.sum())} reachable cells defended; "
              f"verdicts flown: {v['agree']} of {v['checked']} agree ({100 * v['agreement']:.1f} %)")
        for g, r in v["by_group"].items():
            print(f"  {g}: {r['agree']} of {r['checked']}")
        for dis in v["disagreements"]:
            print(f"  disagreement: {dis}")
        print(f"  verification {fp.timings_s['verification']:.0f} s "
              f"({fp.timings_s['verification'] / max(v['checked'], 1):.1f} s per cell), wall {wall:.0f} s, "
              f"load average {os.getloadavg()[0]:.1f}")
        ok = v["checked"] >= GOAL_CELLS and v["agreement"] is not None and v["agreement"] >= GOAL_AGREEMENT
        print(f"  goal (issue 10, part 4): at least {100 * GOAL_AGREEMENT:.0f} % of at least {GOAL_CELLS} checked "
              f"verdicts hold when flown: {100 * (v['agreement'] or 0):.1f} % of {v['checked']}, "
              f"{'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
