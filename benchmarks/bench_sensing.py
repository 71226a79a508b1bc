"""Benchmark: the run's sensing step (europe-2007's threats and radars), the compiled filter against its numpy
reference, side by side in one process, on the same flown threats and random streams.

- production (issue 9, build 8): a track's whole EKF pass in one compiled call (``core.estimation_jit.ekf_track``:
  RK4 with the state-transition matrix and drag, covariance, update) and the PIP's flight to the ground
  compiled row by row (``fall``);
- numpy filter (the production path before build 8, kept as the reference peer): report by report in Python
  (``sensing.tracking._filter_stepwise``) with ``core.estimation.propagate_ballistic_reference``,
  ``ekf_predict_ballistic_reference``, ``ekf_update_radar_reference`` and
  ``sensing.tracking.propagate_to_altitude_reference``: the same models and the same steps (equal accuracy: the
  differences printed are rounding and the secant's 1 mm stop);
- with ``--session2``, also the session-2 path: the numpy filter with the numpy gravity and gradient, and the
  radars' required SNR bisected on every call (the coverage step is timed for it).

The paths must give the same detections (the filter does not enter them: same random draws in the same order)
and tracks and PIPs within the stated tolerances; the benchmark prints the largest differences. The load average
is printed beside the figures (on shared cores they are not the machine's).

    python benchmarks/bench_sensing.py [SCENARIO] [--session2]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import time

import numpy as np

import bmdsim
from bmdsim.core import estimation, frames, gravity
from bmdsim.core import radar as rq
from bmdsim.core.constants import GM_EARTH_M3_S2, J2_EARTH, WGS84_A_M
from bmdsim.scenario import flights, sensing
from bmdsim.scenario.run import streams
from bmdsim.sensing import radar, tracking

#: tolerances of the comparison (as tests/test_estimation_jit.py): track positions (m) and PIPs (m)
TRACK_TOL_M, PIP_TOL_M = 1.0, 0.05


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
def patched(pairs):
    """Set ``(module, name, value)`` attributes for the duration, then restore them."""
    saved = [(mod, name, getattr(mod, name)) for mod, name, _ in pairs]
    for mod, name, value in pairs:
        setattr(mod, name, value)
    try:
        yield
    finally:
        for mod, name, value in saved:
            setattr(mod, name, value)


def numpy_filter():
    """The numpy reference of the filter and the PIP (the production path before build 8)."""
    return patched(tracking.reference_peers())


def session2_extra():
    """On top of :func:`numpy_filter`: the numpy gravity and gradient, the required SNR bisected each call."""
    return patched([(estimation, "acceleration", gravity.acceleration),
                    (estimation, "gravity_gradient", _gradient_numpy),
                    (radar, "_snr_required",
                     lambda pd, pfa, n, sw: float(rq.from_db(rq.snr_required_db(pd, pfa, n, sw))))])


def _steps(scn, flown, sensors, info, coverage):
    quiet = lambda *_: None  # noqa: E731
    t0 = time.perf_counter()
    sensed = sensing.sense(flown.threats, flown.truths, sensors, info, streams(scn.seed)["sensing"], quiet)
    t1 = time.perf_counter()
    if coverage:
        sensing.coverage_rings(scn, sensors, info, quiet)
    return sensed, t1 - t0, time.perf_counter() - t1


def _differences(a, b):
    """Whether the detections are identical; the largest track position and PIP differences (m)."""
    same = all(np.array_equal(p.measurements.t_s, q.measurements.t_s)
               and np.array_equal(p.measurements.range_m, q.measurements.range_m, equal_nan=True)
               for p, q in zip(a.detections, b.detections, strict=True))
    same &= a.tracks.keys() == b.tracks.keys()
    d_track = d_pip = 0.0
    for k in a.tracks:
        p, q = a.tracks[k], b.tracks[k]
        rp = frames.geodetic_to_ecef(np.radians(p.latitude_deg), np.radians(p.longitude_deg), p.altitude_m)
        rq_ = frames.geodetic_to_ecef(np.radians(q.latitude_deg), np.radians(q.longitude_deg), q.altitude_m)
        d_track = max(d_track, float(np.max(np.linalg.norm(rp - rq_, axis=-1))))
        same &= bool(np.array_equal(np.isfinite(p.pip_latitude_deg), np.isfinite(q.pip_latitude_deg)))
        ok = np.isfinite(p.pip_latitude_deg) & np.isfinite(q.pip_latitude_deg)
        if ok.any():
            pp = frames.geodetic_to_ecef(np.radians(p.pip_latitude_deg[ok]), np.radians(p.pip_longitude_deg[ok]))
            pq = frames.geodetic_to_ecef(np.radians(q.pip_latitude_deg[ok]), np.radians(q.pip_longitude_deg[ok]))
            d_pip = max(d_pip, float(np.max(np.linalg.norm(pp - pq, axis=-1))))
    return same, d_track, d_pip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", nargs="?", default="europe-2007")
    ap.add_argument("--session2", action="store_true", help="also time the session-2 path (slow)")
    a = ap.parse_args()
    scn = bmdsim.load_scenario(a.scenario).scenario
    flown = flights.fly_threats(scn, lambda *_: None)
    sensors, info = sensing.build_sensors(scn)
    _steps(scn, flown, sensors, info, a.session2)       # warm-up: compiled kernels, catalogs
    prod, s_prod, c_prod = _steps(scn, flown, sensors, info, a.session2)
    with numpy_filter():
        ref, s_ref, _ = _steps(scn, flown, sensors, info, False)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{a.scenario}: {len(flown.threats)} threats, {len(sensors)} sensors, {len(prod.tracks)} tracks; "
          f"load average {load} on {os.cpu_count()} cores")
    print(f"  sensing   compiled {s_prod:7.2f} s   numpy filter {s_ref:7.2f} s   {s_ref / s_prod:5.2f}x")
    same, d_track, d_pip = _differences(prod, ref)
    print(f"  same detections and PIP rows: {same}; largest track position difference {d_track:.2e} m "
          f"(tolerance {TRACK_TOL_M:g} m), largest PIP difference {d_pip:.2e} m (tolerance {PIP_TOL_M:g} m)")
    if a.session2:
        with numpy_filter(), session2_extra():
            old, s_old, c_old = _steps(scn, flown, sensors, info, True)
        print(f"  sensing   compiled {s_prod:7.2f} s   session-2 path {s_old:7.2f} s   {s_old / s_prod:5.2f}x")
        print(f"  coverage  compiled {c_prod:7.2f} s   session-2 path {c_old:7.2f} s   {c_old / c_prod:5.2f}x")
    ok = same and d_track <= TRACK_TOL_M and d_pip <= PIP_TOL_M
    print(f"  within tolerances: {ok}; load average now {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
