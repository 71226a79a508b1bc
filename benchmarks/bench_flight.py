"""Benchmark: full three-phase ICBM flights, production engine vs solve_ivp (DOP853) on the same equations.

Run: ``python benchmarks/bench_flight.py [N] [SAMPLE]`` (defaults 10,000 flights, 20 for the oracle).
Prints per-trajectory cost of both, their ratio, the impact agreement on the sample, peak memory, and the
end-to-end time of the targeted batch command ``bmdsim fly --pairs`` as a user runs it.
"""

from __future__ import annotations

import functools
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np
import pandas as pd

from bmdsim.core import geodesy, oracle
from bmdsim.flight import catalog
from bmdsim.flight.fly import fly


def main(n: int = 10_000, sample: int = 20) -> None:
    rng = np.random.default_rng(42)
    v = catalog.get("icbm-solid-russia")
    lat, lon = rng.uniform(-60, 70, n), rng.uniform(-180, 180, n)
    az, kick = rng.uniform(0, 360, n), rng.uniform(15, 75, n)
    fly(v, lat[:2], lon[:2], az[:2], kick[:2])  # compile / load the cache outside the timing
    print(f"threads: numba {numba.get_num_threads()}")
    t = time.perf_counter()
    f = fly(v, lat, lon, az, kick)
    t_engine = time.perf_counter() - t
    ok = f.status == 0
    print(f"engine : {n} flights in {t_engine:.2f} s = {1e6 * t_engine / n:.0f} us/flight "
          f"(mean {f.steps.mean():.0f} steps, {ok.mean() * 100:.1f} % reached impact)")
    idx = rng.choice(n, sample, replace=False)
    t = time.perf_counter()
    g = fly(v, lat[idx], lon[idx], az[idx], kick[idx], integrator="oracle")
    t_oracle = time.perf_counter() - t
    print(f"oracle : {sample} flights in {t_oracle:.2f} s = {1e6 * t_oracle / sample:.0f} us/flight "
          "(solve_ivp DOP853, rtol 1e-12, same compiled right-hand side)")
    d, _ = geodesy.inverse(f.impact_latitude_deg[idx], f.impact_longitude_deg[idx], g.impact_latitude_deg,
                           g.impact_longitude_deg)
    print(f"ratio  : {t_oracle / sample / (t_engine / n):.0f}x per trajectory; impacts agree within "
          f"{np.max(d):.2f} m (max over the sample)")
    # the peer a user would write first: solve_ivp on a numpy right-hand side (core.oracle.rhs_numpy, the same
    # equations coded independently), on a smaller sample
    k = max(2, sample // 4)
    t = time.perf_counter()
    h = fly(v, lat[idx[:k]], lon[idx[:k]], az[idx[:k]], kick[idx[:k]],
            integrator=functools.partial(oracle.integrate, rhs="numpy"))
    t_numpy = time.perf_counter() - t
    d2, _ = geodesy.inverse(f.impact_latitude_deg[idx[:k]], f.impact_longitude_deg[idx[:k]], h.impact_latitude_deg,
                            h.impact_longitude_deg)
    print(f"numpy  : {k} flights in {t_numpy:.2f} s = {1e6 * t_numpy / k:.0f} us/flight (solve_ivp DOP853, rtol "
          f"1e-12, numpy right-hand side); ratio {t_numpy / k / (t_engine / n):.0f}x; impacts within "
          f"{np.max(d2):.2f} m")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")

    # the targeted batch, end to end, as a user runs it
    with tempfile.TemporaryDirectory() as tmp:
        pairs = Path(tmp) / "pairs.csv"
        m = 1000
        pd.DataFrame({"launch_latitude_deg": rng.uniform(50, 58, m), "launch_longitude_deg": rng.uniform(30, 60, m),
                      "target_latitude_deg": rng.uniform(30, 45, m),
                      "target_longitude_deg": rng.uniform(-100, -70, m)}).to_csv(pairs, index=False)
        exe = Path(sys.executable).parent / "bmdsim"
        t = time.perf_counter()
        proc = subprocess.run([str(exe), "fly", "--missile", "icbm-solid-russia", "--pairs", str(pairs), "--out",
                               str(Path(tmp) / "out.parquet"), "--json"], capture_output=True, text=True)
        wall = time.perf_counter() - t
        print(f"bmdsim fly --pairs ({m} Russian-field-to-U.S. pairs, targeting included): {wall:.1f} s wall, "
              f"{proc.stdout.strip()}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
