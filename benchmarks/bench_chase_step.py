"""The run's chase step on the run's flown threats (issue 9, build 8), against the path it replaced.

Both sides chase the same (site, variant, threat) jobs of a scenario with warm fans (one untimed pass first, the
fans being an in-process cache):

- ``run``: :func:`bmdsim.scenario.defense.chase_rows`, each threat as the run flew it, its commit from the run's
  reported tracks, no ideal bounds (the rows carry none);
- ``peer``: the session-2 step, :func:`bmdsim.analysis.chase.chase` per job, which aims and flies the threat
  again, draws its own sensor timeline and computes the ideal bounds.

Goal: the run's chase step a small part of the 20 s warm-run goal of issue 9 (under 5 s on the default
scenario). Usage: ``python benchmarks/bench_chase_step.py [--scenario europe-2007]``.
"""

from __future__ import annotations

import argparse
import os
import time

import bmdsim
from bmdsim.analysis.chase import chase
from bmdsim.scenario import defense, flights, sensing
from bmdsim.scenario.sensing import streams


def _peer(scn, flown):
    wanted = set(scn.analyses.chase.threats)
    threats = [t for t in flown.threats if (t.name in wanted if wanted else t.is_icbm)]
    for site in defense.defense_sites(scn, {}, "chase"):
        for v in site.all_variants:
            for t in threats:
                chase((t.launch_latitude_deg, t.launch_longitude_deg), (t.target_latitude_deg, t.target_longitude_deg),
                      t.missile, site=site.site, interceptor=v, threshold=False, seed=scn.seed)


def main() -> None:
    # time the fan builds themselves, not loads from the disk cache (bmdsim.engagement.fancache)
    os.environ.setdefault("BMDSIM_NO_CACHE", "1")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="europe-2007")
    a = ap.parse_args()
    scn = bmdsim.load_scenario(a.scenario).scenario
    nop = lambda *_: None  # noqa: E731
    flown = flights.fly_threats(scn, nop)
    sensors, info = sensing.build_sensors(scn)
    sensed = sensing.sense(flown.threats, flown.truths, sensors, info, streams(scn.seed)["sensing"], nop)
    rows = defense.chase_rows(scn, flown, sensed, nop, {})          # builds the fans (untimed)
    t = time.perf_counter()
    defense.chase_rows(scn, flown, sensed, nop, {})
    t_run = time.perf_counter() - t
    _peer(scn, flown)                                               # the peer's own sectors (untimed)
    t = time.perf_counter()
    _peer(scn, flown)
    t_peer = time.perf_counter() - t
    load = os.getloadavg()
    print(f"{a.scenario}: {len(rows)} chase jobs, warm fans")
    print(f"  run's chase step (flown threats, reported-track commits): {t_run:7.2f} s")
    print(f"  peer (re-aim, re-fly, own timeline, bounds):             {t_peer:7.2f} s")
    print(f"  ratio peer/run: {t_peer / t_run:.1f}x   goal: run under 5 s   "
          f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")


if __name__ == "__main__":
    main()
