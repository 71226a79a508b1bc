"""Run a sweep's plan on Dask: one task per (case, trial), each a full scenario run on a worker, results streamed
into the :class:`~bmdsim.sweep.store.SweepStore` as they complete.

A task carries only its case's scenario text, the trial number and the seed (:func:`bmdsim.sweep.cases.
trial_seed`), never anything about the worker, so the stored rows are the same for any cluster. A worker that
dies mid-task is replaced by the scheduler and its tasks run again elsewhere (Dask reschedules the tasks of a
lost worker; ``retries`` covers tasks that raised); a result is stored once, under its (case, trial) key.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bmdsim.errors import BmdsimError, InputError
from bmdsim.sweep.cases import Case, Plan, Setting, trial_seed

__all__ = ["TaskSpec", "run_trial", "cluster", "run_plan"]


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """What one task needs (small: it travels to the worker)."""

    source: str
    base_dir: Path | None
    scenario_seed: int
    settings: tuple[Setting, ...]
    case: Case
    trial: int


def run_trial(spec: TaskSpec) -> dict:
    """Run one (case, trial) and return its row (runs on a worker)."""
    from bmdsim.scenario.load import validate_text
    from bmdsim.scenario.run import run
    from bmdsim.sweep.figures import COLUMNS, figures

    t0 = time.perf_counter()
    seed = trial_seed(spec.scenario_seed, spec.case.case_id, spec.trial)
    row = {"case_index": spec.case.index, "case_id": spec.case.case_id, "trial": spec.trial, "seed": seed}
    for s, (_, v) in zip(spec.settings, spec.case.assignments, strict=True):
        row[s.key] = s.column(v)
    try:
        scn = validate_text(f"{spec.source} case {spec.case.case_id}", spec.case.text, base_dir=spec.base_dir)
        result = run(scn.model_copy(update={"seed": seed}), base_dir=spec.base_dir)
        row.update(figures(result), error=None)
    except BmdsimError as exc:     # a case the physics rejects is a result, not a crash of the sweep
        row.update(dict.fromkeys(COLUMNS), error=str(exc))
    try:
        from distributed import get_worker

        row["worker"] = get_worker().address
    except (ImportError, ValueError):
        row["worker"] = "local"
    row["elapsed_s"] = time.perf_counter() - t0
    return row


@contextmanager
def cluster(*, workers: int | None = None, scheduler: str | None = None):
    """A Dask client: to the scheduler at ``scheduler``, or to a new ``LocalCluster`` of ``workers``
    single-threaded worker processes (closed on exit)."""
    from distributed import Client, LocalCluster

    if scheduler is not None and workers is not None:
        raise InputError("--workers", workers, "give either --workers (a local cluster) or --scheduler (an "
                         "existing one), not both")
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError) as exc:
            raise InputError("--scheduler", scheduler, f"no Dask scheduler answers there ({exc}); start one with "
                             "`dask scheduler` and workers with `dask worker ADDRESS`") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = 2 if workers is None else workers
    if not 1 <= n <= 256:
        raise InputError("--workers", n, "give a number of worker processes from 1 to 256")
    with warnings.catch_warnings():   # "port 8787 in use": the scheduler's HTTP server moves to a free port
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        lc = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.ERROR)
    with lc, Client(lc) as client:
        yield client


def run_plan(plan: Plan, store, client, *, progress: Callable[[int, int], None] | None = None) -> dict:
    """Run every (case, trial) of ``plan`` that ``store`` does not hold yet; returns counts and timings."""
    from distributed import as_completed

    progress = progress or (lambda *_: None)
    n_total = len(plan.cases) * plan.trials
    done = store.done()
    stored = store.rebuild()
    todo = [(c, t) for c, t in plan.tasks() if (c.case_id, t) not in done]
    progress(n_total - len(todo), n_total)
    t0 = time.perf_counter()
    futures = [client.submit(run_trial, TaskSpec(plan.source, plan.base_dir, plan.seed, plan.settings, c, t),
                             key=f"bmdsim-trial-{store.manifest_sha[:12]}-{c.case_id}-{t}", pure=False, retries=2)
               for c, t in todo]
    n = n_total - len(todo)
    errors = 0
    try:
        for _fut, row in as_completed(futures, with_results=True):
            store.write(row)
            errors += row["error"] is not None
            n += 1
            progress(n, n_total)
    finally:
        for f in futures:
            f.cancel()
    stored = store.rebuild()
    return {"cases": len(plan.cases), "trials_per_case": plan.trials, "rows": stored, "ran": len(todo),
            "resumed_from": n_total - len(todo), "errors": errors, "wall_s": time.perf_counter() - t0,
            "workers": len(client.scheduler_info(n_workers=-1)["workers"])}
