"""Benchmark: batched EKF (bmdsim.core.estimation) against Stone Soup's EKF on identical data.

M Monte Carlo trials of one ballistic target (flight-engine truth, no drag) seen by one radar over K updates.
Our filter runs all M trials at once; Stone Soup runs one trial at a time, on a sample of the trials. Both use
the same models, so the estimates must agree; the figure of merit is the cost per (trial x update).

Two configurations:
- ``cv``: constant-velocity motion + radar (range/bearing/elevation) in the radar's ENU frame: Stone Soup's own
  ``ConstantVelocity`` and ``CartesianToElevationBearingRange`` models, its EKF predictor and updater.
- ``ballistic``: gravity (point mass + J2) in ECI, fixed-step RK4 with the same steps on both sides. Stone Soup
  gets a transition model class written here (numpy RK4 over its sigma/column vectors, complex-step
  Jacobian), the radar model with the site's ENU axes as its rotation.

Run: ``python benchmarks/bench_tracking.py [--trials M] [--updates K] [--sample S]``. Not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from stonesoup.models.measurement.nonlinear import CartesianToElevationBearingRange
from stonesoup.models.transition.linear import CombinedLinearGaussianTransitionModel, ConstantVelocity
from stonesoup.predictor.kalman import ExtendedKalmanPredictor
from stonesoup.types.detection import Detection
from stonesoup.types.hypothesis import SingleHypothesis
from stonesoup.types.state import GaussianState
from stonesoup.updater.kalman import ExtendedKalmanUpdater

from bmdsim.core import estimation as est
from bmdsim.core import frames
from bmdsim.flight.fly import Options, fly_ballistic

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from stonesoup_models import BallisticEci, EnuRadar  # noqa: E402  (the oracle models the tests use)

SITE = (np.radians(39.5), np.radians(37.0), 50.0)
SIGMA = np.array([20.0, 5e-4, 5e-4])          # range m, azimuth rad, elevation rad
SS_ORDER = np.array([0, 3, 1, 4, 2, 5])       # Stone Soup CV order (x, vx, y, vy, z, vz)
EPOCH = datetime(2030, 1, 1)
# Stone Soup's finite-difference step is 1e8 * spacing(x), which is negative for a negative coordinate and is
# then clipped to 1e-8 m: its Jacobian columns for negative coordinates carry ~1e-3 relative rounding error
# (seen on stonesoup 1.9.1). The CV runs therefore put the radar at +1000 km on each axis of the state frame,
# so every coordinate is positive. (The ECI runs have positive coordinates at this site anyway.)
CV_OFFSET_M = np.array([1e6, 1e6, 1e6])


def make_data(m, k, dt_s, rng):
    f = fly_ballistic(38.0, 40.0, 150e3, 3200.0, 35.0, 300.0, target_altitude_m=0.0,
                      options=Options(drag=False, dense_dt_s=dt_s, dense_n=k + 1))
    t, r, v = f.t_s[0], f.r_ecef[0], f.v_ecef[0]
    if not np.all(np.isfinite(r)):
        raise SystemExit("the target lands before the last update: fewer updates or a shorter interval")
    az, el, rg = frames.ecef_to_aer(r, *SITE)
    z = np.stack([rg, az, el], axis=-1)[None] + SIGMA * rng.standard_normal((m, k + 1, 3))
    r_eci, v_eci = frames.ecef_to_eci(r, t, v)
    return t, np.concatenate([r_eci, v_eci], axis=-1), frames.ecef_to_enu(r, *SITE), z


def ss_z(z):
    """(range, azimuth from north clockwise, elevation) -> Stone Soup (elevation, bearing from east ccw, range)."""
    return np.array([[z[2]], [np.pi / 2 - z[1]], [z[0]]])


def run_stonesoup(x0, P0, t, z, predictor, radar_for):
    state = GaussianState(x0[:, None], P0, timestamp=EPOCH + timedelta(seconds=float(t[0])))
    updater = ExtendedKalmanUpdater(measurement_model=None)
    out = np.empty((len(t) - 1, 6))
    for i in range(1, len(t)):
        ts = EPOCH + timedelta(seconds=float(t[i]))
        pred = predictor.predict(state, timestamp=ts)
        state = updater.update(SingleHypothesis(pred, Detection(ss_z(z[i]), timestamp=ts,
                                                                measurement_model=radar_for(i))))
        out[i - 1] = np.asarray(state.state_vector, dtype=float)[:, 0]
    return out


def bench(config, m, k, sample, dt_s, q, rng):
    t, x_eci, r_enu, z = make_data(m, k, dt_s, rng)
    if config == "cv":
        truth = np.concatenate([r_enu + CV_OFFSET_M, np.gradient(r_enu, t, axis=0)], axis=-1)
        P0 = np.diag([500.0] * 3 + [50.0] * 3) ** 2
    else:
        truth = x_eci
        P0 = np.diag([300.0] * 3 + [20.0] * 3) ** 2
    x0 = truth[0] + rng.multivariate_normal(np.zeros(6), P0, size=m)
    site_r, site_v, enu = est.radar_site_eci(*SITE, t)
    if config == "cv":
        site_r = np.broadcast_to(CV_OFFSET_M, (k + 1, 3))
        site_v, enu = np.zeros((k + 1, 3)), np.broadcast_to(np.eye(3), (k + 1, 3, 3))

    def ours(x, P, zz):
        xs = np.empty((x.shape[0], k, 6))
        for i in range(1, k + 1):
            dt = t[i] - t[i - 1]
            if config == "cv":
                F, Q = est.cv_transition(dt, q)
                x, P = est.predict_linear(x, P, F, Q)
            else:
                x, P = est.ekf_predict_ballistic(x, P, dt, q)
            x, P, _, _ = est.ekf_update_radar(x, P, zz[:, i], SIGMA[None], site_r[i], enu[i], site_v[i])
            xs[:, i - 1] = x
        return xs

    ours(x0[:2], np.broadcast_to(P0, (2, 6, 6)), z[:2])                        # warm-up
    t0 = time.perf_counter()
    xs = ours(x0, np.broadcast_to(P0, (m, 6, 6)), z)
    t_ours = time.perf_counter() - t0

    noise = np.diag(SIGMA[::-1] ** 2)
    if config == "cv":
        cv = ConstantVelocity(noise_diff_coeff=q)
        predictor = ExtendedKalmanPredictor(CombinedLinearGaussianTransitionModel([cv, cv, cv]))
        radar = CartesianToElevationBearingRange(ndim_state=6, mapping=(0, 2, 4), noise_covar=noise,
                                                 translation_offset=CV_OFFSET_M[:, None])

        def radar_for(_i):
            return radar

        perm, inv = SS_ORDER, np.argsort(SS_ORDER)
    else:
        predictor = ExtendedKalmanPredictor(BallisticEci(q=q))

        def radar_for(i):
            return EnuRadar(ndim_state=6, mapping=(0, 1, 2), translation_offset=site_r[i][:, None],
                            enu_rows=enu[i], noise_covar=noise)

        perm = inv = np.arange(6)
    rel = 0.0
    t0 = time.perf_counter()
    ss_runs = []
    for j in range(sample):
        ss_runs.append(run_stonesoup(x0[j][perm], P0[np.ix_(perm, perm)], t, z[j], predictor, radar_for)[:, inv])
    t_ss = time.perf_counter() - t0
    for j, sx in enumerate(ss_runs):
        for part in (slice(0, 3), slice(3, 6)):
            d = np.linalg.norm(xs[j, :, part] - sx[:, part], axis=-1) / np.linalg.norm(sx[:, part], axis=-1)
            rel = max(rel, float(d.max()))
    per_ours = t_ours / (m * k)
    per_ss = t_ss / (sample * k)
    err = np.linalg.norm(xs[:, -1, :3] - truth[k, :3], axis=-1)
    print(f"[{config}] M={m} trials x K={k} updates (dt {dt_s:g} s, q {q:g} m2/s3)")
    print(f"  bmdsim batched EKF : {t_ours:9.3f} s total, {1e6 * per_ours:9.2f} us per trial-update")
    print(f"  Stone Soup EKF     : {t_ss:9.3f} s for {sample} trials, {1e6 * per_ss:9.2f} us per trial-update")
    print(f"  speed-up per update: {per_ss / per_ours:9.1f}x")
    print(f"  max relative difference of estimates (position, velocity separately): {rel:.2e}")
    print(f"  final position error over the M trials: median {np.median(err):.1f} m")
    return per_ss / per_ours, rel


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=2000)
    ap.add_argument("--updates", type=int, default=100)
    ap.add_argument("--sample", type=int, default=5, help="trials run through Stone Soup")
    ap.add_argument("--dt", type=float, default=4.0, help="seconds between radar updates")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    for config, q in (("cv", 100.0), ("ballistic", 1e-2)):
        bench(config, a.trials, a.updates, a.sample, a.dt, q, rng)


if __name__ == "__main__":
    main()
