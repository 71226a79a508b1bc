"""Benchmark: the run's sensing and coverage steps (europe-2007's threats and radars), production against the
session-2 code path, side by side in one process, on the same flown threats and random streams.

- production: the filters' gravity and gravity gradient compiled (``core.gravity.acceleration_compiled``,
  ``core.gravity.gradient``), the radars' required SNR cached per design value;
- peer (session 2): the numpy gravity (``core.gravity.acceleration``), the numpy gradient as it was in
  ``core.estimation`` (below), and the required SNR bisected on every call.

The two must give the same detections (gravity does not enter them) and tracks equal to rounding; the
benchmark prints the largest track difference. The load average is printed beside the figures (on shared cores
they are not the machine's).

    python benchmarks/bench_sensing.py [SCENARIO]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

import numpy as np

import bmdsim
from bmdsim.core import estimation, gravity
from bmdsim.core import radar as rq
from bmdsim.core.constants import GM_EARTH_M3_S2, J2_EARTH, WGS84_A_M
from bmdsim.scenario import flights, sensing
from bmdsim.scenario.run import streams
from bmdsim.sensing import radar


def _gradient_numpy(r, *, j2: bool = True, mu: float = GM_EARTH_M3_S2):
    """Session 2's ``core.estimation.gravity_gradient`` (numpy), the peer."""
    r = np.asarray(r, dtype=float)
    rn2 = np.einsum("...i,...i", r, r)[..., None, None]
    rn = np.sqrt(rn2)
    eye = np.eye(3)
    g = mu / rn**3 * (3.0 * (r[..., :, None] * r[..., None, :]) / rn2 - eye)
    if j2:
        z = r[..., 2][..., None, None]
        s = z * z / rn2
        k = -1.5 * J2_EARTH * mu * WGS84_A_M**2 / rn**5
        c = np.concatenate([1 - 5 * s, 1 - 5 * s, 3 - 5 * s], axis=-2)
        ez = np.zeros(r.shape[:-1] + (1, 3))
        ez[..., 0, 2] = 1.0
        ds = 2.0 * z * ez / rn2 - 2.0 * z * z * r[..., None, :] / rn2**2
        dk = -5.0 * k * r[..., None, :] / rn2
        g = g + dk * (r[..., :, None] * c) + k * eye * c + k * r[..., :, None] * (-5.0 * ds)
    return g


@contextlib.contextmanager
def session2_path():
    saved = estimation.acceleration, estimation.gravity_gradient, radar._snr_required
    estimation.acceleration = gravity.acceleration
    estimation.gravity_gradient = _gradient_numpy
    radar._snr_required = lambda pd, pfa, n, sw: float(rq.from_db(rq.snr_required_db(pd, pfa, n, sw)))
    try:
        yield
    finally:
        estimation.acceleration, estimation.gravity_gradient, radar._snr_required = saved


def _steps(scn, flown, sensors, info):
    quiet = lambda *_: None  # noqa: E731
    t0 = time.perf_counter()
    sensed = sensing.sense(flown.threats, flown.truths, sensors, info, streams(scn.seed)["sensing"], quiet)
    t1 = time.perf_counter()
    sensing.coverage_rings(scn, sensors, info, quiet)
    t2 = time.perf_counter()
    return sensed, t1 - t0, t2 - t1


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="europe-2007")
    a = ap.parse_args()
    scn = bmdsim.load_scenario(a.scenario).scenario
    flown = flights.fly_threats(scn, lambda *_: None)
    sensors, info = sensing.build_sensors(scn)
    _steps(scn, flown, sensors, info)                   # warm-up: compiled kernels, catalogs
    prod, s_prod, c_prod = _steps(scn, flown, sensors, info)
    with session2_path():
        peer, s_peer, c_peer = _steps(scn, flown, sensors, info)
    same_dets = all(p.first_detection_t_s == q.first_detection_t_s or (np.isnan(p.first_detection_t_s)
                    and np.isnan(q.first_detection_t_s)) for p, q in zip(prod.detections, peer.detections,
                                                                           strict=True))
    dmax = max((float(np.nanmax(np.abs(prod.tracks[k].altitude_m - peer.tracks[k].altitude_m)))
                for k in prod.tracks), default=0.0)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{a.scenario}: {len(flown.threats)} threats, {len(sensors)} sensors; load average {load} on "
          f"{os.cpu_count()} cores")
    print(f"  sensing   production {s_prod:7.2f} s   session-2 path {s_peer:7.2f} s   {s_peer / s_prod:5.2f}x")
    print(f"  coverage  production {c_prod:7.2f} s   session-2 path {c_peer:7.2f} s   {c_peer / c_prod:5.2f}x")
    print(f"  same first detections: {same_dets}; largest track altitude difference {dmax:.2e} m")


if __name__ == "__main__":
    main()
