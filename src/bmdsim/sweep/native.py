"""Sweeps that split one analysis instead of looping over whole runs, on a Dask client (or in-process when
``client`` is None). Each calls the analyses' public functions only.

- :func:`battle_monte_carlo`: the battle manager's Monte Carlo (:func:`bmdsim.engagement.battle.fight`) at up to
  10^7 trials, in chunks of ``chunk`` trials; chunk ``k`` draws from ``SeedSequence(seed, spawn_key=(k,))``, so
  the result does not depend on the number of workers, and only sufficient statistics travel back (memory per
  chunk, not per trial).
- :func:`chase_sweep`: the chase curve (:func:`bmdsim.analysis.chase.chase_curve`) with one task per burnout
  speed (one fan build per speed, on the worker that needs it), merged into one curve.
- :func:`footprint_sweep`: defended footprints of several interceptor variants; one task per variant (one fan
  build each), or, with a fixed commit delay (every aimpoint then independent), the aimpoints partitioned into
  ``partitions`` tasks per variant. With the sensor-timeline commit the aimpoints are not split: the footprint
  samples its commit times over the whole grid, and a split grid would sample differently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.errors import InputError

__all__ = ["MonteCarloSummary", "battle_monte_carlo", "chase_sweep", "footprint_sweep"]


def _map(client, fn, items, on_done=None):
    """``[fn(x) for x in items]``, on the cluster when there is one (results in the order of ``items``);
    ``on_done()`` after each item finishes (a progress bar's step)."""
    on_done = on_done or (lambda: None)
    if client is None:
        out = []
        for x in items:
            out.append(fn(x))
            on_done()
        return out
    from distributed import as_completed

    futures = client.map(fn, items, pure=False, retries=2)
    for _ in as_completed(futures):
        on_done()
    return client.gather(futures)


# --------------------------------------------------------------------------------------------- Monte Carlo
@dataclass(frozen=True, slots=True, kw_only=True)
class MonteCarloSummary:
    """The battle Monte Carlo's figures over ``n_trials`` (standard errors from the trial variance)."""

    n_trials: int
    chunks: int
    leakers_mean: float
    leakers_se: float
    p_no_leak: float
    p_no_leak_se: float
    fired_mean: float
    p_kill_per_warhead: np.ndarray

    def to_dict(self) -> dict:
        return {"n_trials": self.n_trials, "chunks": self.chunks, "leakers_mean": self.leakers_mean,
                "leakers_se": self.leakers_se, "p_no_leak": self.p_no_leak, "p_no_leak_se": self.p_no_leak_se,
                "interceptors_fired_mean": self.fired_mean, "p_kill_per_warhead": self.p_kill_per_warhead.tolist()}


def _chunk_stats(job) -> tuple:
    from bmdsim.engagement.battle import fight

    raid, doctrine, p_disc, n, seed, k = job
    r = fight(raid, doctrine, p_discrimination=p_disc, n_trials=n,
              rng=np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,))))
    leak = r.leakers.astype(np.int64)
    return (n, int(leak.sum()), int((leak * leak).sum()), int((leak == 0).sum()), int(r.fired.sum()),
            r.warhead_killed.sum(axis=0).astype(np.int64))


def battle_monte_carlo(raid, doctrine, *, n_trials: int, seed: int, chunk: int = 20_000,
                       p_discrimination: float = 1.0, client=None, on_done=None) -> MonteCarloSummary:
    """The battle Monte Carlo over ``n_trials`` in chunks (module docstring)."""
    if not 1 <= n_trials <= 10_000_000:
        raise InputError("n_trials", n_trials, "give from 1 to 10,000,000 trials")
    if not 1 <= chunk <= 1_000_000:
        raise InputError("chunk", chunk, "give a chunk of 1 to 1,000,000 trials")
    sizes = [min(chunk, n_trials - k0) for k0 in range(0, n_trials, chunk)]
    jobs = [(raid, doctrine, p_discrimination, n, int(seed), k) for k, n in enumerate(sizes)]
    parts = _map(client, _chunk_stats, jobs, on_done)
    n = sum(p[0] for p in parts)
    s1, s2 = sum(p[1] for p in parts), sum(p[2] for p in parts)
    nl, fired = sum(p[3] for p in parts), sum(p[4] for p in parts)
    kills = np.sum([p[5] for p in parts], axis=0)
    mean = s1 / n
    var = max(s2 / n - mean * mean, 0.0) * n / max(n - 1, 1)
    pnl = nl / n
    return MonteCarloSummary(n_trials=n, chunks=len(parts), leakers_mean=mean, leakers_se=float(np.sqrt(var / n)),
                             p_no_leak=pnl, p_no_leak_se=float(np.sqrt(max(pnl * (1 - pnl), 1e-300) / n)),
                             fired_mean=fired / n, p_kill_per_warhead=kills / n)


# ------------------------------------------------------------------------------------------------ chase
def _chase_one(job):
    from bmdsim.analysis.chase import chase_curve

    fields, targets, missile, speed, kw, pairs = job
    if pairs is None:
        return chase_curve(fields, targets, missile, [speed], **kw)
    return _merge([chase_curve([f], [t], missile, [speed], **kw) for f, t in pairs], axis=1)


def _merge(curves, *, axis: int):
    """Chase curves side by side: ``axis=0`` more speeds (same flights), ``axis=1`` more flights (same speeds)."""
    from dataclasses import replace

    c0 = curves[0]
    eng = np.concatenate([c.engageable for c in curves], axis=axis)
    return replace(c0, engageable=eng, fraction=eng.mean(axis=1),
                   speeds_mps=np.concatenate([c.speeds_mps for c in curves]) if axis == 0 else c0.speeds_mps,
                   flights=c0.flights if axis == 0 else [f for c in curves for f in c.flights],
                   earliest_intercept_after_launch_s=np.concatenate(
                       [c.earliest_intercept_after_launch_s for c in curves], axis=axis),
                   earliest_launch_after_launch_s=(c0.earliest_launch_after_launch_s if axis == 0 else
                                        np.concatenate([c.earliest_launch_after_launch_s for c in curves])))


def chase_sweep(fields, targets, missile: str, speeds_mps, *, pairs=None, client=None, on_done=None, **kw):
    """:func:`bmdsim.analysis.chase.chase_curve` with one task per speed, merged (same arguments). ``pairs``
    (``[(field, target), ...]``, each ``(name, (lat, lon))``) replaces every field-to-target product by these
    flights (``fields`` and ``targets`` are then ignored)."""
    speeds = [float(s) for s in speeds_mps]
    if not speeds:
        raise InputError("speeds_mps", speeds_mps, "give at least one burnout speed")
    if pairs is not None and not pairs:
        raise InputError("pairs", pairs, "give at least one (field, target) flight")
    curves = _map(client, _chase_one, [(fields, targets, missile, s, kw, pairs) for s in speeds], on_done)
    return _merge(curves, axis=0)


# --------------------------------------------------------------------------------------------- footprint
def _footprint_one(job):
    from bmdsim.analysis.footprint import footprint

    launch, missile, variant, aimpoints, kw = job
    return footprint(launch, missile, interceptor=variant, aimpoints=aimpoints, **kw)


def footprint_sweep(launch, missile: str, variants, *, grid_deg: float = 2.0, region=None, partitions: int = 1,
                    earliest_launch_after_threat_s: float | None = None, client=None, on_done=None,
                    **kw) -> dict:
    """Defended footprints per variant, ``{variant: Footprint-like dict of arrays}`` (module docstring)."""
    from bmdsim.analysis.footprint import DEFAULT_REGION, aimpoint_grid

    variants = list(variants)
    if partitions < 1:
        raise InputError("partitions", partitions, "give 1 or more partitions")
    if partitions > 1 and earliest_launch_after_threat_s is None:
        raise InputError("partitions", partitions, "the aimpoints can be split only with a fixed commit delay "
                         "(earliest_launch_after_threat_s); the sensor-timeline commit samples the whole grid")
    region = DEFAULT_REGION if region is None else region
    la, lo = aimpoint_grid(region, grid_deg)
    splits = np.array_split(np.arange(la.size), partitions)
    kw = dict(kw, region=region, grid_deg=grid_deg, earliest_launch_after_threat_s=earliest_launch_after_threat_s)
    jobs = [(launch, missile, v, (la[ix], lo[ix]), kw) for v in variants for ix in splits]
    results = _map(client, _footprint_one, jobs, on_done)
    out = {}
    for i, v in enumerate(variants):
        mine = results[i * len(splits):(i + 1) * len(splits)]
        cat = {k: np.concatenate([getattr(f, k) for f in mine]) for k in
               ("latitude_deg", "longitude_deg", "reachable", "defended", "shots", "p_no_leak",
                "earliest_intercept_after_launch_s")}
        out[v] = {**cat, "interceptor": mine[0].interceptor, "cities": mine[0].cities,
                  "commit_time_source": mine[0].commit_time_source, "defended_cells": int(cat["defended"].sum())}
    return out
