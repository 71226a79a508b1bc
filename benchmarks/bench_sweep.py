"""Benchmark: sweeps on Dask.

1. ``workers``: the same sweep on a LocalCluster of 1 and of 2 single-threaded worker processes, each end to end
   as ``bmdsim sweep`` runs it (:func:`bmdsim.sweep.run.run_sweep`: validating the plan, starting the cluster,
   each worker's start-up, the trials, the database and the figures and report); both sides include the same
   steps. The sweep has the shape of issue 13's done-when sweep (five interceptor variants x 4 trials) on
   tests/data/sweep-tiny.yaml (a few seconds a run). Prints the ratio of the wall times (goal >= 1.8x), the
   split by step and, from each trial's start and end on its worker (``trial_runs``), where the 2-worker run
   is not parallel: each worker's busy time, the cases it began (a case's first trial on a worker builds the
   interceptor's fan), its idle time between trials and at the end. The rows must be identical. Twice (``--fans``):
   with cold fans (each side an empty disk cache of fan sectors of its own; the fan builds already use both
   cores through numba on one worker, so they cannot speed up on two) and warm (both sides with a cache filled
   by an untimed sweep first, as a later sweep of the same variants finds it).
2. ``external``: the same sweep on an external ``dask scheduler`` + 2 ``dask worker`` processes started here,
   against the local 2-worker cluster (the external cluster's start is not timed; its workers' start-up is).
3. ``memory``: the battle manager's Monte Carlo at 10^6 trials (a raid of 12 warheads with 2 decoys each, 10
   interceptors): chunked on 2 workers (``bmdsim.sweep.native.battle_monte_carlo``, 20,000 trials a chunk), peak
   resident memory of each worker and of the client, against one ``fight(n_trials=10^6)`` call in a fresh process
   (which holds every trial's arrays at once).

The machine has 2 cores shared with other jobs: the script prints the 1-minute load average beside each figure.
Run: ``.venv/bin/python benchmarks/bench_sweep.py [workers|external|memory|all] [--trials N] [--variants LIST]
[--mc-trials N] [--fans cold|warm|both] [--scenario NAME]`` (``--scenario europe-2007``: issue 13's done-when
sweep itself, about 8 s a trial with warm fans, where sweep-tiny's trials take about 3 s).
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
SCENARIO = {"name": TINY}   # --scenario: the scenario swept (default the tiny test scenario)
BIN = Path(sys.executable).parent


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


VARIANTS = "gbi2-5.4,gbi2-6.3,gbi2-7.7,gbi2-8.3,gbi2-9.0"


def _sweep(tmp: Path, name: str, trials: int, variants: str, fans: str | None = None, **where):
    """One sweep end to end; returns its summary and its rows (``trials``) and run times (``trial_runs``)."""
    import duckdb

    from bmdsim.sweep.run import run_sweep

    out = tmp / name
    _use_fan_cache(tmp / f"fans-{fans or name}")
    t0 = time.perf_counter()
    s = run_sweep(SCENARIO["name"], [f"interceptor_sites.0.interceptor={variants}"], trials=trials, out=out, **where)
    wall = time.perf_counter() - t0
    with duckdb.connect(str(out / "sweep.duckdb"), read_only=True) as c:
        rows = c.execute("SELECT * FROM trials ORDER BY case_index, trial").df()
        runs = c.execute("SELECT * FROM trial_runs ORDER BY started_unix_s").df()
    return wall, s, rows, runs


def _use_fan_cache(path: Path) -> None:
    """The disk cache of fan sectors (``bmdsim.engagement.fancache``) of the next sweep, shared by its workers
    (they inherit the environment)."""
    os.environ["BMDSIM_CACHE_DIR"] = str(path)
    os.environ.pop("BMDSIM_NO_CACHE", None)


def _steps(s) -> str:
    return " + ".join(f"{k} {v:.1f}" for k, v in s.timeline_s.items() if k != "total")


def _timeline(wall: float, s, runs) -> list[str]:
    """Where the time of the trials phase goes, per worker, from each trial's start and end on it."""
    lines = []
    t_trials0 = s.started_unix_s + sum(v for k, v in s.timeline_s.items() if k in ("plan", "cluster", "warm_up"))
    t_end = runs.finished_unix_s.max()
    busy_all = 0.0
    warm = {w["worker"]: w["elapsed_s"] for w in s.warm_up}
    for w, g in runs.groupby("worker", sort=True):
        g = g.sort_values("started_unix_s")
        firsts = ~g.duplicated("case_id")
        gaps = float((g.started_unix_s.iloc[1:].to_numpy() - g.finished_unix_s.iloc[:-1].to_numpy()).sum())
        busy = float(g.elapsed_s.sum())
        busy_all += busy
        lines.append(f"    {w}: start-up {warm.get(w, float('nan')):.1f} s; {len(g)} trials busy {busy:.1f} s, of "
                     f"which {int(firsts.sum())} cases' first trials {g.elapsed_s[firsts].sum():.1f} s (others "
                     f"{g.elapsed_s[~firsts].mean():.2f} s each); waiting before its first trial "
                     f"{g.started_unix_s.iloc[0] - t_trials0:.2f} s, between trials {gaps:.2f} s, at the end "
                     f"{t_end - g.finished_unix_s.iloc[-1]:.1f} s")
    n = runs.worker.nunique()
    lines.append(f"    not parallel: wall {wall:.1f} s - busy {busy_all:.1f} s / {n} = {wall - busy_all / n:.1f} s")
    return lines


def bench_workers(trials: int, variants: str, tmp: Path, fans: str = "both") -> dict:
    """``fans``: ``cold`` (each side starts with an empty fan cache of its own: every case's fans are flown in
    the sweep, a first sweep of new variants), ``warm`` (both sides with a cache filled by an untimed sweep
    before them: a later sweep of the same variants), or ``both``."""
    res = {}
    for mode in (("cold", "warm") if fans == "both" else (fans,)):
        if mode == "warm":
            _sweep(tmp, "prefill", trials, variants, fans="shared", workers=2)
        out = {}
        for n in (1, 2):
            wall, s, rows, runs = _sweep(tmp, f"{mode}-w{n}", trials, variants,
                                         fans="shared" if mode == "warm" else None, workers=n)
            out[n] = (wall, rows)
            print(f"  {mode} fans, {n} worker(s): {s.rows} trials end to end in {wall:.1f} s = {_steps(s)} s "
                  f"({_load()})", flush=True)
            print("\n".join(_timeline(wall, s, runs)), flush=True)
        same = out[1][1].equals(out[2][1])
        ratio = out[1][0] / out[2][0]
        print(f"workers, {mode} fan cache: 2 against 1, end to end (plan, cluster start, worker start-up, trials, "
              f"database, figures): {ratio:.2f}x (goal >= 1.8x); rows identical: {same}", flush=True)
        res[mode] = {"t1_s": out[1][0], "t2_s": out[2][0], "ratio": ratio, "identical": same}
    return res


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


def bench_external(trials: int, variants: str, tmp: Path) -> dict:
    from distributed import Client

    t_local, s, df_local, _ = _sweep(tmp, "local", trials, variants, workers=2)
    print(f"  local 2 workers: {t_local:.1f} s = {_steps(s)} s ({_load()})", flush=True)
    _use_fan_cache(tmp / "fans-external")   # before the external workers start: they read it from their environment
    address, procs = _external(tmp)
    try:
        with Client(address) as client:
            client.wait_for_workers(2, timeout=300)
        t_ext, s, df_ext, _ = _sweep(tmp, "external", trials, variants, scheduler=address)
    finally:
        _stop(procs)
    print(f"  external scheduler, 2 workers: {t_ext:.1f} s = {_steps(s)} s ({_load()})", flush=True)
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
    ap.add_argument("--trials", type=int, default=4, help="trials per case of the sweeps")
    ap.add_argument("--variants", default=VARIANTS, help="the interceptor variants swept (one case each)")
    ap.add_argument("--mc-trials", type=int, default=1_000_000)
    ap.add_argument("--scenario", default=TINY, help="the scenario swept (a bundled name or a file; default: "
                    "tests/data/sweep-tiny.yaml; europe-2007 gives issue 13's done-when sweep)")
    ap.add_argument("--fans", default="both", choices=["cold", "warm", "both"],
                    help="the workers part: start each side with an empty fan cache, a filled one, or both")
    a = ap.parse_args()
    SCENARIO["name"] = a.scenario
    print(f"scenario: {a.scenario}", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    try:
        if a.part in ("workers", "all"):
            bench_workers(a.trials, a.variants, tmp, a.fans)
        if a.part in ("external", "all"):
            bench_external(a.trials, a.variants, tmp)
        if a.part in ("memory", "all"):
            bench_memory(a.mc_trials, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
