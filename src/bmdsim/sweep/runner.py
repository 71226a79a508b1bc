"""Run a sweep's plan on Dask: one task per (case, trial), each a full scenario run on a worker, results streamed
into the :class:`~bmdsim.sweep.store.SweepStore` as they complete.

A task carries only its case's scenario text, the trial number and the seed (:func:`bmdsim.sweep.cases.
trial_seed`), never anything about the worker, so the stored rows are the same for any cluster. A worker that
dies mid-task is replaced by the scheduler and its tasks run again elsewhere (Dask reschedules the tasks of a
lost worker; ``retries`` covers tasks that raised); a result is stored once, under its (case, trial) key.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bmdsim.errors import BmdsimError, InputError
from bmdsim.sweep.cases import Case, Plan, Setting, trial_seed

__all__ = ["TaskSpec", "run_trial", "cluster", "check_cluster", "run_plan", "Dispatcher"]


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

    t0, start = time.perf_counter(), time.time()
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
    row.update(worker=_worker_address(), elapsed_s=time.perf_counter() - t0, started_unix_s=start,
               finished_unix_s=time.time())
    return row


@contextmanager
def cluster(*, workers: int | None = None, scheduler: str | None = None):
    """A Dask client: to the scheduler at ``scheduler``, or to a new ``LocalCluster`` of ``workers``
    single-threaded worker processes (closed on exit).

    A local worker's numba threads are the machine's cores shared among the workers (``NUMBA_NUM_THREADS``): the
    engine's parallel loops would otherwise start one thread per core in every worker, and two workers on two
    cores would run four. The workers of an external cluster keep their own settings."""
    from distributed import Client, LocalCluster

    check_cluster(workers, scheduler)
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="15s")
        except (OSError, TimeoutError) as exc:
            raise InputError("scheduler", scheduler, f"no Dask scheduler answers there ({exc}); start one with "
                             "`dask scheduler` and workers with `dask worker ADDRESS`") from None
        try:
            yield client
        finally:
            client.close()
        return
    n = 2 if workers is None else workers
    numba_threads = max(1, (os.cpu_count() or 1) // n)
    with warnings.catch_warnings():   # "port 8787 in use": the scheduler's HTTP server moves to a free port
        warnings.filterwarnings("ignore", message="Port .* is already in use", category=UserWarning)
        lc = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                          silence_logs=logging.CRITICAL, env={"NUMBA_NUM_THREADS": str(numba_threads)})
    with lc, Client(lc) as client:
        yield client


def check_cluster(workers, scheduler) -> None:
    """Either a local cluster of 1 to 256 worker processes (``workers``, default 2) or a scheduler's address."""
    if scheduler is not None and workers is not None:
        raise InputError("workers", workers, "give either `workers` (a local cluster) or `scheduler` (an "
                         "existing one), not both")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler.strip()):
        raise InputError("scheduler", scheduler, "give the scheduler's address, e.g. tcp://127.0.0.1:8786")
    if workers is not None and (not isinstance(workers, int) or isinstance(workers, bool)
                                or not 1 <= workers <= 256):
        raise InputError("workers", workers, "give a number of worker processes from 1 to 256")


def warm_worker() -> dict:
    """A worker's one-time start-up, run as a task on each worker before the trials: import the run's modules and
    load the flight engine from numba's on-disk cache (one short flight), so that no trial pays for them and the
    timeline shows start-up apart from the trials."""
    t0, start = time.perf_counter(), time.time()
    import bmdsim.scenario.load  # noqa: F401
    import bmdsim.scenario.run  # noqa: F401
    import bmdsim.sweep.figures  # noqa: F401
    from bmdsim.flight import catalog
    from bmdsim.flight.fly import fly

    fly(catalog.get(sorted(catalog.threat_names())[0]), 0.0, 0.0, 0.0, 10.0)
    return {"worker": _worker_address(), "started_unix_s": start, "elapsed_s": time.perf_counter() - t0}


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "local"


class Dispatcher:
    """Which (case, trial) a free worker runs next. A case's first trial on a worker builds what the case needs
    and the process keeps (the interceptor's fan, its targeting tables: several trials' worth of work), so a
    worker keeps to the cases it has begun:

    1. a trial of a case this worker has run (the one with the most trials left);
    2. else a case no worker has begun (in product order);
    3. else a trial of the case with the most trials left, if this worker, building the case anew, would finish
       it before the case's workers get through what is left: ``first < remaining + left * trial / workers``
       (``remaining``: the least time left on their current trials; the durations estimated from the trials so
       far). Otherwise the worker stays idle: the others finish the rest sooner than it could.

    Every trial is handed out once; the seeds do not depend on who runs what, so neither do the rows.
    """

    def __init__(self, todo):
        self.left: dict[str, list] = {}
        for case, trial in todo:
            self.left.setdefault(case.case_id, []).append((case, trial))
        self.order = list(self.left)
        self.begun: dict[str, set[str]] = {}     # worker -> case ids it has run (or been handed)
        self.current: dict[str, tuple] = {}      # worker -> (case id, hand-out time, first trial of the case?)
        self.cold_s: list[float] = []            # elapsed of a case's first trial on a worker
        self.warm_s: list[float] = []            # elapsed of the other trials

    def __len__(self) -> int:
        return sum(len(v) for v in self.left.values())

    def estimates(self) -> tuple[float, float]:
        """(a case's first trial on a worker, any other trial), in seconds; before any is known, 2 and 1."""
        warm = float(np.median(self.warm_s)) if self.warm_s else None
        cold = float(np.mean(self.cold_s)) if self.cold_s else None
        if warm is None:
            warm = cold / 2 if cold is not None else 1.0
        return (2 * warm if cold is None else cold), warm

    def record(self, worker: str, elapsed_s: float, first: bool) -> None:
        """A trial ``worker`` was handed ended after ``elapsed_s`` (``first``: the case's first there)."""
        self.current.pop(worker, None)
        (self.cold_s if first else self.warm_s).append(float(elapsed_s))

    def next_for(self, worker: str, now: float | None = None):
        """``(case, trial, first)`` for ``worker``, or None (nothing it should take). ``now``: a monotonic
        clock in seconds (the hand-out times' clock)."""
        now = time.monotonic() if now is None else now
        mine = self.begun.setdefault(worker, set())
        own = [c for c in self.order if c in mine and self.left[c]]
        if own:
            cid = max(own, key=lambda c: len(self.left[c]))
            return self._hand(worker, cid, now, first=False)
        fresh = [c for c in self.order if self.left[c] and not any(c in b for b in self.begun.values())]
        if fresh:
            return self._hand(worker, fresh[0], now, first=True)
        busy = [c for c in self.order if self.left[c]]
        if not busy:
            return None
        cid = max(busy, key=lambda c: len(self.left[c]))
        cold, warm = self.estimates()
        owners = [(t0, first) for w, (c, t0, first) in self.current.items() if c == cid and w != worker]
        if owners:
            remaining = min(max(0.0, (cold if first else warm) - (now - t0)) for t0, first in owners)
            if not cold < remaining + len(self.left[cid]) * warm / len(owners):
                return None
        return self._hand(worker, cid, now, first=True)

    def _hand(self, worker: str, cid: str, now: float, *, first: bool):
        self.begun[worker].add(cid)
        self.current[worker] = (cid, now, first)
        return (*self.left[cid].pop(0), first)


def run_plan(plan: Plan, store, client, *, progress: Callable[[int, int], None] | None = None) -> dict:
    """Run every (case, trial) of ``plan`` that ``store`` does not hold yet; returns counts and timings.

    Each worker first runs :func:`warm_worker`; then each gets one trial at a time from a :class:`Dispatcher`
    (the next one as its last result arrives), pinned to it loosely (``allow_other_workers``: if the worker dies,
    the scheduler runs the trial elsewhere). Rows are stored as they arrive. The returned ``timeline`` has the
    start-up and each trial's start and end on its worker (also in the database's ``trial_runs``)."""
    from distributed import as_completed

    progress = progress or (lambda *_: None)
    n_total = len(plan.cases) * plan.trials
    t0 = time.perf_counter()
    done = store.done()
    store.rebuild()
    todo = [(c, t) for c, t in plan.tasks() if (c.case_id, t) not in done]
    progress(n_total - len(todo), n_total)
    workers = _workers(client)
    warm = client.gather([client.submit(warm_worker, key=f"bmdsim-warm-{w}-{time.monotonic_ns()}", workers=[w],
                                        pure=False, allow_other_workers=True) for w in workers]) if todo else []
    t_warm = time.perf_counter()
    disp = Dispatcher(todo)
    pending: dict = {}                       # future -> (assigned worker, first trial of its case there)
    ac = as_completed([], with_results=True)

    def hand_out(worker: str) -> bool:
        nxt = disp.next_for(worker, time.monotonic())
        if nxt is None:
            return False
        case, trial, first = nxt
        fut = client.submit(run_trial, TaskSpec(plan.source, plan.base_dir, plan.seed, plan.settings, case, trial),
                            key=f"bmdsim-trial-{store.manifest_sha[:12]}-{case.case_id}-{trial}", pure=False,
                            retries=2, workers=[worker], allow_other_workers=True)
        pending[fut] = (worker, first)
        ac.add(fut)
        return True

    idle = set()
    for w in workers:
        if not hand_out(w):
            idle.add(w)
    n = n_total - len(todo)
    errors = 0
    seen_at = time.monotonic()
    try:
        while pending:
            fut, row = next(ac)
            assigned, first = pending.pop(fut)
            ran_on = row.get("worker") or assigned
            disp.record(assigned, row["elapsed_s"], first and ran_on == assigned)
            free = [ran_on]
            if time.monotonic() - seen_at > 2.0 or ran_on not in workers:   # workers that joined or left
                seen_at, now = time.monotonic(), _workers(client)
                idle |= set(now) - set(workers)
                idle &= set(now)
                workers = now
            free += sorted(idle)
            idle = set()
            for w in free:
                if w in workers and not hand_out(w):
                    idle.add(w)
            if not pending and len(disp):    # every worker declined: the rest goes to whoever is free
                for w in workers:
                    disp.begun.setdefault(w, set()).update(disp.order)
                    hand_out(w)
            store.write(row)
            errors += row["error"] is not None
            n += 1
            progress(n, n_total)
    finally:
        for f in pending:
            f.cancel()
    t_tasks = time.perf_counter()
    stored = store.rebuild()
    t_end = time.perf_counter()
    return {"cases": len(plan.cases), "trials_per_case": plan.trials, "rows": stored, "ran": len(todo),
            "resumed_from": n_total - len(todo), "errors": errors, "wall_s": t_end - t0,
            "workers": len(workers),
            "timeline": {"warm_up": round(t_warm - t0, 3), "trials": round(t_tasks - t_warm, 3),
                         "database": round(t_end - t_tasks, 3)},
            "warm_up": warm}


def _workers(client) -> list[str]:
    """The cluster's worker addresses now (waiting for a first worker if there is none yet)."""
    while True:
        ws = sorted(client.scheduler_info(n_workers=-1)["workers"])
        if ws:
            return ws
        time.sleep(0.5)
