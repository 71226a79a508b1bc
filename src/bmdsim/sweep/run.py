"""A whole sweep in one call, as ``bmdsim sweep`` runs it: validate the plan, open the output folder, start (or
reach) the cluster, run the trials, write the figures and the report.

Errors name this module's parameters (``settings``, ``trials``, ``workers``, ``scheduler``, ``out``,
``resume``); the command line maps them to its flags (:data:`bmdsim.cli._common.PARAMETER_FLAGS`).

>>> from bmdsim.errors import InputError
>>> try:
...     run_sweep("europe-2007", ["interceptor_sites.0.interceptor"], out="sweep-out")
... except InputError as e:
...     print(e)
settings = 'interceptor_sites.0.interceptor': give KEY=V1,V2,..., e.g. interceptor_sites.0.interceptor=gbi2-6.3,gbi2-7.7
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

__all__ = ["SweepSummary", "run_sweep", "settings_from"]


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepSummary:
    """What a sweep did and where its results are; ``timeline_s`` splits its wall time by step (s)."""

    scenario: str
    settings: dict[str, list]
    cases: int
    trials_per_case: int
    rows: int
    ran: int
    resumed_from: int
    errors: int
    workers: int
    wall_s: float
    out_dir: str
    database: str
    figures: list[str]
    report: str
    means: list[dict]
    #: plan (validate every case), cluster (start or connect), warm_up (each worker's imports and engine),
    #: trials (first hand-out to last row stored), database (the final rebuild), figures (PNGs and report)
    timeline_s: dict[str, float] = field(default_factory=dict)
    started_unix_s: float = 0.0       #: when the call began (s since 1970, UTC); trial_runs has each trial's
    warm_up: list[dict] = field(default_factory=list)   #: per worker: its start-up's start and duration

    def to_dict(self) -> dict:
        return asdict(self)


def settings_from(settings) -> list:
    """``settings`` as :class:`bmdsim.sweep.cases.Setting` records: ``["KEY=V1,V2", ...]`` or ``{KEY: [V1, V2]}``."""
    from bmdsim.errors import InputError
    from bmdsim.sweep.cases import parse_setting

    if isinstance(settings, Mapping):
        items = []
        for k, vs in settings.items():
            if isinstance(vs, str) or not isinstance(vs, Sequence) or not vs:
                raise InputError(f"settings[{k}]", vs, "give a list of one or more values")
            items.append(f"{k}=" + ",".join(str(v) for v in vs))
        settings = items
    if isinstance(settings, str):
        raise InputError("settings", settings, "give a list of KEY=V1,V2,... strings (or a {KEY: [values]} "
                         "mapping), not one string")
    return [parse_setting(s) for s in settings]


def run_sweep(scenario, settings=(), *, trials: int = 1, out, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False,
              progress: Callable[[int, int], None] | None = None) -> SweepSummary:
    """Sweep ``scenario`` (a bundled name, a YAML path or a loaded scenario) over the cartesian product of
    ``settings`` x ``trials`` seeded trials, on a local cluster of ``workers`` processes (default 2) or the Dask
    scheduler at ``scheduler``, into the folder ``out`` (``resume``: run only what it lacks). Every case is
    validated before any work; ``progress(done, total)`` is called as rows arrive."""
    from bmdsim.scenario.load import LoadedScenario, load_scenario
    from bmdsim.sweep import cases, plots, runner
    from bmdsim.sweep.store import DATABASE, SweepStore

    clock, started = time.perf_counter(), time.time()
    timeline = {}

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        timeline[name] = round(now - clock, 3)
        clock = now

    parsed = settings_from(settings)
    runner.check_cluster(workers, scheduler)
    ls = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    name = ls.source if isinstance(scenario, LoadedScenario) else str(scenario)
    plan = cases.plan(ls, name, parsed, trials=trials)
    store = SweepStore(out, plan, resume=resume)
    lap("plan")
    try:
        with runner.cluster(workers=workers, scheduler=scheduler) as client:
            lap("cluster")
            summary = runner.run_plan(plan, store, client, progress=progress)
        timeline.update(summary.pop("timeline"))
        warm = summary.pop("warm_up")
        clock = time.perf_counter()
        df = store.table()
        pngs = plots.write_figures(Path(out), plan, df)
        plots.write_report(Path(out), plan, df, pngs)
        lap("figures")
    finally:
        store.close()
    timeline["total"] = round(sum(timeline.values()), 3)
    return SweepSummary(**summary, started_unix_s=started, warm_up=warm, out_dir=str(Path(out).resolve()),
                        database=DATABASE,
                        figures=[p.name for p in pngs], report="report.html", scenario=plan.scenario,
                        settings={s.key: list(s.values) for s in plan.settings},
                        means=plots.case_means(plan, df).to_dict(orient="records"), timeline_s=timeline)
