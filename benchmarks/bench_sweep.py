"""Benchmark: sweeps on Dask.

1. ``workers``: the same sweep (tests/data/sweep-tiny.yaml, 2 interceptor variants x N trials) on a LocalCluster of
   1 and of 2 single-threaded worker processes; wall time of the tasks after every worker has imported bmdsim and
   built both fans (a warm-up sweep into a throwaway folder), and the ratio. The rows must be identical.
2. ``external``: the same sweep on an external ``dask scheduler`` + 2 ``dask worker`` processes started here,
   against the local 2-worker cluster (both warm).
3. ``memory``: the battle manager's Monte Carlo at 10^6 trials (a raid of 12 warheads with 2 decoys each, 10
   interceptors): chunked on 2 workers (``bmdsim.sweep.native.battle_monte_carlo``, 20,000 trials a chunk), peak
   resident memory of each worker and of the client, against one ``fight(n_trials=10^6)`` call in a fresh process
   (which holds every trial's arrays at once).

The machine has 2 cores shared with other jobs: the script prints the 1-minute load average beside each figure.
Run: ``.venv/bin/python benchmarks/bench_sweep.py [workers|external|memory|all] [--trials N] [--mc-trials N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TINY = str(ROOT / "tests" / "data" / "sweep-tiny.yaml")
BIN = Path(sys.executable).parent


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def _plan(trials: int):
    from bmdsim.scenario.load import load_scenario
    from bmdsim.sweep import cases

    ls = load_scenario(TINY)
    return cases.plan(ls, TINY, [cases.parse_setting("interceptor_sites.0.interceptor=gbi2-8.3,gbi2-9.0")],
                      trials=trials)


def _timed_sweep(client, plan, tmp: Path, name: str):
    from bmdsim.sweep.runner import run_plan
    from bmdsim.sweep.store import SweepStore

    out = tmp / name
    store = SweepStore(out, plan, resume=False)
    t0 = time.perf_counter()
    run_plan(plan, store, client)
    wall = time.perf_counter() - t0
    df = store.table()
    store.close()
    return wall, df


def _warm(client, tmp: Path):
    """Every worker imports bmdsim and builds both fans (a 1-trial sweep per worker into a throwaway folder)."""
    n = len(client.scheduler_info(n_workers=-1)["workers"])
    _timed_sweep(client, _plan(n), tmp, f"warm-{time.monotonic_ns()}")


def bench_workers(trials: int, tmp: Path) -> dict:
    from distributed import Client, LocalCluster

    plan = _plan(trials)
    out = {}
    for n in (1, 2):
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
                Client(lc) as client:
            _warm(client, tmp)
            out[n] = _timed_sweep(client, plan, tmp, f"w{n}")
            print(f"  {n} worker(s): {len(plan.tasks())} trials in {out[n][0]:.1f} s ({_load()})", flush=True)
    same = out[1][1].equals(out[2][1])
    ratio = out[1][0] / out[2][0]
    print(f"workers: 2 against 1: {ratio:.2f}x (goal >= 1.8x); rows identical: {same}")
    return {"t1_s": out[1][0], "t2_s": out[2][0], "ratio": ratio, "identical": same}


def _external(tmp: Path):
    sched = tmp / "scheduler.json"
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--scheduler-file", str(sched), "--port", "0",
                               "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    while not (sched.exists() and sched.stat().st_size):
        time.sleep(0.2)
    address = json.loads(sched.read_text())["address"]
    for _ in range(2):
        procs.append(subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-dashboard"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    return address, procs


def _stop(procs):
    for p in reversed(procs):
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


def bench_external(trials: int, tmp: Path) -> dict:
    from distributed import Client, LocalCluster

    plan = _plan(trials)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            Client(lc) as client:
        _warm(client, tmp)
        t_local, df_local = _timed_sweep(client, plan, tmp, "local")
    print(f"  local 2 workers: {t_local:.1f} s ({_load()})", flush=True)
    address, procs = _external(tmp)
    try:
        with Client(address) as client:
            client.wait_for_workers(2, timeout=300)
            _warm(client, tmp)
            t_ext, df_ext = _timed_sweep(client, plan, tmp, "external")
    finally:
        _stop(procs)
    print(f"  external scheduler, 2 workers: {t_ext:.1f} s ({_load()})", flush=True)
    same = df_local.equals(df_ext)
    print(f"external: external / local wall = {t_ext / t_local:.2f}; rows identical: {same}")
    return {"local_s": t_local, "external_s": t_ext, "ratio": t_ext / t_local, "identical": same}


def _raid():
    from bmdsim.engagement.battle import Raid

    return Raid.simple(np.ones(12), np.full(12, 2), inventory=10, pssk=0.7, decoys_per_warhead=2)


def _whole_fight(n: int) -> None:
    """In a fresh process: one fight() over n trials; prints its wall time and peak RSS."""
    from bmdsim.engagement.battle import fight
    from bmdsim.engagement.doctrine import Doctrine

    t0 = time.perf_counter()
    r = fight(_raid(), Doctrine(salvo=1, looks=2, assess_s=60.0), p_discrimination=0.5, n_trials=n,
              rng=np.random.default_rng(1))
    print(json.dumps({"wall_s": time.perf_counter() - t0, "leakers_mean": r.leakers_mean,
                      "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def bench_memory(n: int, tmp: Path) -> dict:
    from distributed import Client, LocalCluster

    from bmdsim.engagement.doctrine import Doctrine
    from bmdsim.sweep.native import battle_monte_carlo

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            Client(lc) as client:
        base = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        t0 = time.perf_counter()
        s = battle_monte_carlo(_raid(), Doctrine(salvo=1, looks=2, assess_s=60.0), n_trials=n, seed=1,
                               chunk=20_000, p_discrimination=0.5, client=client)
        wall = time.perf_counter() - t0
        rss = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(f"  chunked on 2 workers: {n:,} trials in {wall:.1f} s, leakers {s.leakers_mean:.4f} +- {s.leakers_se:.4f}; "
          f"worker peak RSS {', '.join(f'{v:.0f}' for v in rss.values())} MB (after start-up "
          f"{', '.join(f'{v:.0f}' for v in base.values())} MB); client {peak():.0f} MB ({_load()})", flush=True)
    code = (f"import sys; sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import bench_sweep; "
            f"bench_sweep._whole_fight({n})")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    whole = json.loads(res.stdout.strip().splitlines()[-1])
    print(f"  one fight() call: {whole['wall_s']:.1f} s, peak RSS {whole['peak_rss_mb']:.0f} MB, leakers "
          f"{whole['leakers_mean']:.4f} ({_load()})")
    grow = max(rss[k] - base[k] for k in rss)
    print(f"memory: chunked workers grow by at most {grow:.0f} MB for {n:,} trials; one call peaks at "
          f"{whole['peak_rss_mb']:.0f} MB")
    return {"chunked_s": wall, "worker_peak_mb": list(rss.values()), "whole_s": whole["wall_s"],
            "whole_peak_mb": whole["peak_rss_mb"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("part", nargs="?", default="all", choices=["workers", "external", "memory", "all"])
    ap.add_argument("--trials", type=int, default=4, help="trials per case of the sweeps (2 cases)")
    ap.add_argument("--mc-trials", type=int, default=1_000_000)
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        if a.part in ("workers", "all"):
            bench_workers(a.trials, tmp)
        if a.part in ("external", "all"):
            bench_external(a.trials, tmp)
        if a.part in ("memory", "all"):
            bench_memory(a.mc_trials, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
