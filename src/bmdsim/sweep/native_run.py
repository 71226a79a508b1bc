"""A scenario's native sweeps in one call, as ``bmdsim sweep SCENARIO --native KIND`` runs them, into the same
kind of output folder as a sweep of runs (``sweep.json``, ``sweep.duckdb``, figures, ``report.html``):

- ``footprint``: the defended footprint of each interceptor variant (``variants``; default the engagement
  site's variants) from each of the scenario's footprint launch sites, for its footprint missile, grid and
  region, at the scenario's first interceptor site: :func:`bmdsim.sweep.native.footprint_sweep` (one task per
  variant; with a fixed commit delay the aimpoints split into ``partitions`` tasks per variant). Tables
  ``footprint_summary`` and ``footprint_cells``; figure ``defended_area_vs_speed.png``.
- ``chase``: for each burnout speed of ``speeds_mps`` (a sized interceptor), which of the scenario's chased
  flights (``analyses.chase.threats``, default every threat) the first site could engage:
  :func:`bmdsim.sweep.native.chase_sweep` (one task per speed). Tables ``chase_curve`` and ``chase_fraction``;
  figure ``engageable_vs_speed.png``.
- ``montecarlo``: one run of the scenario (a task), then each interceptor site's battle (its raid of warheads and
  decoys with their shot opportunities, inventory, kill probability and doctrine, as the run's engagements
  built it) through the battle manager's Monte Carlo at ``n_trials`` in chunks of ``chunk``:
  :func:`bmdsim.sweep.native.battle_monte_carlo`. Tables ``montecarlo`` (beside the run's own 1,000-trial
  figures) and ``montecarlo_warheads``; figure ``p_kill_by_threat.png``.

Every input is checked before any work starts; errors name this module's parameters (``native``, ``variants``,
``speeds_mps``, ``n_trials``, ``chunk``, ``partitions``, ``earliest_launch_after_threat_s``, ``out``, ``workers``,
``scheduler``), which the command line maps to its flags. A native sweep is one computation: it has no resume
(its folder must be new or empty).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bmdsim.errors import InputError

__all__ = ["KINDS", "NativeSummary", "run_native", "site_raids"]

KINDS = ("footprint", "chase", "montecarlo")
MAX_SPEED_MPS = 15_000.0     #: faster than any interceptor the sizing can reach: a unit mistake (km/s?)


@dataclass(frozen=True, slots=True, kw_only=True)
class NativeSummary:
    """What a native sweep computed and where; ``results`` are its summary table's rows."""

    native: str
    scenario: str
    workers: int
    tasks: int
    wall_s: float
    out_dir: str
    database: str
    tables: list[str]
    figures: list[str]
    report: str
    results: list[dict]
    timeline_s: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------------------------------------ checks
def _check(kind, ls, *, variants, speeds_mps, n_trials, chunk, partitions, delay):
    from bmdsim.flight import catalog

    if kind not in KINDS:
        raise InputError("native", kind, f"give one of {', '.join(KINDS)}")
    scn = ls.scenario
    given = {"variants": variants is not None, "speeds_mps": speeds_mps is not None,
             "n_trials": n_trials is not None, "chunk": chunk is not None, "partitions": partitions is not None,
             "earliest_launch_after_threat_s": delay is not None}
    allowed = {"footprint": {"variants", "partitions", "earliest_launch_after_threat_s"},
               "chase": {"speeds_mps", "earliest_launch_after_threat_s"},
               "montecarlo": {"n_trials", "chunk"}}[kind]
    for k, v in given.items():
        if v and k not in allowed:
            raise InputError(k, {"variants": variants, "speeds_mps": speeds_mps, "n_trials": n_trials,
                                 "chunk": chunk, "partitions": partitions,
                                 "earliest_launch_after_threat_s": delay}[k],
                             f"`native` {kind} does not use it (it takes "
                             f"{', '.join(f'`{a}`' for a in sorted(allowed))})")
    if not scn.interceptor_sites:
        raise InputError("native", kind, f"{ls.source} has no interceptor site to sweep")
    if delay is not None and not (math.isfinite(float(delay)) and 0 <= float(delay) <= 86_400):
        raise InputError("earliest_launch_after_threat_s", delay, "give seconds after the threat's launch "
                         "(between 0 and 86400)")
    if kind == "footprint":
        if variants is not None:
            variants = list(variants)
            known = catalog.interceptor_names()
            if not variants or len(set(variants)) != len(variants):
                raise InputError("variants", variants, "give one or more distinct interceptor variants")
            for v in variants:
                if v not in known:
                    from bmdsim.errors import UnknownNameError

                    raise UnknownNameError("variants", v, known)
        if partitions is not None and not (isinstance(partitions, int) and 1 <= partitions <= 1000):
            raise InputError("partitions", partitions, "give 1 to 1,000 partitions of the aimpoints")
        if (partitions or 1) > 1 and delay is None:
            raise InputError("partitions", partitions, "the aimpoints can be split only with a fixed commit delay "
                             "(`earliest_launch_after_threat_s`); the sensor-timeline commit samples the whole grid")
        if not scn.analyses.footprint.launch_sites:
            raise InputError("native", kind, f"{ls.source} names no launch site for its footprint "
                             "(analyses.footprint.launch_sites)")
    if kind == "chase":
        sp = [] if speeds_mps is None else list(speeds_mps)
        if not sp:
            raise InputError("speeds_mps", speeds_mps, "give one or more burnout speeds in m/s, e.g. "
                             "5000,6000,7000 or 4000:10000:500")
        for s in sp:
            if not (math.isfinite(float(s)) and 0 < float(s) <= MAX_SPEED_MPS):
                raise InputError("speeds_mps", s, f"give burnout speeds in m/s above 0 and up to {MAX_SPEED_MPS:,.0f}")
        if len(set(sp)) != len(sp):
            raise InputError("speeds_mps", speeds_mps, "a speed appears twice; give each once")
    if kind == "montecarlo":
        if n_trials is not None and not (isinstance(n_trials, int) and 1 <= n_trials <= 10_000_000):
            raise InputError("n_trials", n_trials, "give from 1 to 10,000,000 trials")
        if chunk is not None and not (isinstance(chunk, int) and 1 <= chunk <= 1_000_000):
            raise InputError("chunk", chunk, "give a chunk of 1 to 1,000,000 trials")


def parse_speeds(text: str) -> list[float]:
    """``"5000,6000,7000"`` or ``"START:STOP:STEP"`` (STOP included when on the grid), in m/s.

    >>> parse_speeds("4000:6000:1000"), parse_speeds("5400, 6300")
    ([4000.0, 5000.0, 6000.0], [5400.0, 6300.0])
    """
    t = str(text).strip()
    try:
        if ":" in t:
            a, b, c = (float(x) for x in t.split(":"))
            if not (c > 0 and b >= a and (b - a) / c <= 1000):
                raise ValueError
            return [float(a + i * c) for i in range(int(math.floor((b - a) / c + 1e-9)) + 1)]
        return [float(x) for x in t.split(",")]
    except ValueError:
        raise InputError("speeds_mps", text, "give speeds in m/s as V1,V2,... or START:STOP:STEP (STEP > 0, at "
                         "most 1,000 steps), e.g. 4000:10000:500") from None


def _folder(out) -> Path:
    p = Path(out)
    if p.exists() and not p.is_dir():
        raise InputError("out", str(p), "this is a file; give a folder for the sweep")
    if p.is_dir() and any(p.iterdir()):
        raise InputError("out", str(p), "this folder is not empty; a native sweep writes a new folder (give one)")
    return p


# --------------------------------------------------------------------------------------------- the raids
def site_raids(result) -> list[dict]:
    """Per interceptor site of a run: its battle as the run's engagements fought it, for the Monte Carlo again:
    ``{"site", "interceptor", "raid", "doctrine", "threats", "run"}`` (``run``: the run's own Monte Carlo
    figures). Objects: every missile of every raid followed by its decoys, each with its threat's shot
    opportunities at the site (``outcomes.shots``), as the run builds them."""
    from bmdsim.engagement.battle import Raid
    from bmdsim.engagement.doctrine import Doctrine
    from bmdsim.scenario.defense import fire_control

    scn = result.scenario
    by_name = {s.name: s for s in scn.interceptor_sites}
    threats = result.threats
    out = []
    for b in result.battle or []:
        site = by_name[b.site]
        shots = {o.threat: o.shots for o in result.outcomes if o.site == b.site}
        count = np.array([t.count for t in threats])
        per = 1 + np.array([t.decoys for t in threats])             # objects per missile
        raid_of = np.repeat(np.arange(len(threats)), count * per)
        k = np.concatenate([np.tile(np.arange(p), c) for p, c in zip(per, count, strict=True)]) if threats else []
        warhead = np.asarray(k) == 0
        head = np.maximum.accumulate(np.where(warhead, np.arange(warhead.size), 0))
        opp = np.array([shots.get(threats[i].name, 0) for i in raid_of], dtype=int)
        doc = site.doctrine
        looks = doc.shots_per_threat if doc.mode == "shoot-look-shoot" else 1
        salvo = 1 if doc.mode == "shoot-look-shoot" else doc.shots_per_threat
        raid = Raid(value=np.ones(warhead.size), warhead=warhead, cluster=head, opportunities=opp[None, :],
                    inventory=np.array([site.inventory]), pssk=np.array([doc.single_shot_kill_probability]))
        out.append({"site": b.site, "interceptor": b.interceptor, "raid": raid,
                    "doctrine": Doctrine(salvo=salvo, looks=looks,
                                         assess_s=fire_control(scn, site).kill_assessment_s),
                    "threats": [threats[i].name for i in raid_of[warhead]],
                    "run": {"trials": b.trials, "leakers_mean": b.leakers_mean, "leakers_se": b.leakers_se,
                            "p_no_leak": b.p_no_leak}})
    return out


def _run_raids(job):
    from bmdsim.scenario.load import validate_text
    from bmdsim.scenario.run import run

    source, text, base_dir = job
    return site_raids(run(validate_text(source, text, base_dir=base_dir), base_dir=base_dir))


# ------------------------------------------------------------------------------------------------ the run
def run_native(native: str, scenario, *, out, variants=None, speeds_mps=None, n_trials: int | None = None,
               chunk: int | None = None, partitions: int | None = None,
               earliest_launch_after_threat_s: float | None = None, workers: int | None = None,
               scheduler: str | None = None, progress: Callable[[int, int], None] | None = None) -> NativeSummary:
    """Run the native sweep ``native`` (one of :data:`KINDS`) of ``scenario`` on a local cluster of ``workers``
    (default 2) or the scheduler at ``scheduler``, into the new folder ``out`` (module docstring)."""
    from bmdsim.scenario.defense import fire_control
    from bmdsim.scenario.flights import site_lookup
    from bmdsim.scenario.load import LoadedScenario, load_scenario
    from bmdsim.sweep import native as nat
    from bmdsim.sweep import runner
    from bmdsim.sweep.store import DATABASE, MANIFEST

    t0 = time.perf_counter()
    timeline: dict[str, float] = {}
    runner.check_cluster(workers, scheduler)
    ls = scenario if isinstance(scenario, LoadedScenario) else load_scenario(scenario)
    name = ls.source if isinstance(scenario, LoadedScenario) else str(scenario)
    delay = earliest_launch_after_threat_s
    _check(native, ls, variants=variants, speeds_mps=speeds_mps, n_trials=n_trials, chunk=chunk,
           partitions=partitions, delay=delay)
    outp = _folder(out)
    scn = ls.scenario
    site0 = scn.interceptor_sites[0]
    d0 = fire_control(scn, site0)        # the first site's defense where the scenario puts it, as the run uses
    resolve = site_lookup(scn)
    params = {"variants": variants, "speeds_mps": speeds_mps, "n_trials": n_trials, "chunk": chunk,
              "partitions": partitions, "earliest_launch_after_threat_s": delay}
    timeline["plan"] = round(time.perf_counter() - t0, 3)
    tables: dict = {}
    with runner.cluster(workers=workers, scheduler=scheduler) as client:
        timeline["cluster"] = round(time.perf_counter() - t0 - sum(timeline.values()), 3)
        n_workers = len(client.scheduler_info(n_workers=-1)["workers"])
        if native == "footprint":
            tables, n_tasks = _footprints(nat, client, scn, site0, d0, resolve, variants, partitions or 1, delay,
                                          progress)
        elif native == "chase":
            tables, n_tasks = _chase(nat, client, scn, d0, resolve, speeds_mps, delay, progress)
        else:
            n = 1_000_000 if n_trials is None else n_trials
            ch = 20_000 if chunk is None else chunk
            params.update(n_trials=n, chunk=ch)
            tables, n_tasks = _montecarlo(nat, client, ls, n, ch, progress)
        timeline["compute"] = round(time.perf_counter() - t0 - sum(timeline.values()), 3)
    outp.mkdir(parents=True, exist_ok=True)
    (outp / MANIFEST).write_text(json.dumps({"native": native, "scenario": name, "source": ls.source,
                                             "scenario_sha256": ls.sha256, "seed": scn.seed, **params}, indent=1,
                                            default=str), encoding="utf-8")
    _write_database(outp / DATABASE, tables)
    from bmdsim.sweep import plots

    pngs = plots.write_native_figures(outp, native, name, tables)
    plots.write_native_report(outp, native, name, tables, pngs)
    timeline["database_figures"] = round(time.perf_counter() - t0 - sum(timeline.values()), 3)
    first = next(iter(tables))
    return NativeSummary(native=native, scenario=name, workers=n_workers, tasks=n_tasks,
                         wall_s=time.perf_counter() - t0, out_dir=str(outp.resolve()), database=DATABASE,
                         tables=list(tables), figures=[p.name for p in pngs], report="report.html",
                         results=tables[first].to_dict(orient="records"), timeline_s=timeline)


def _counting(progress, total):
    progress = progress or (lambda *_: None)
    state = {"n": 0}
    progress(0, total)

    def step():
        state["n"] += 1
        progress(state["n"], total)
    return step


def _footprints(nat, client, scn, site0, d0, resolve, variants, partitions, delay, progress):
    import pandas as pd

    from bmdsim.flight import catalog
    from bmdsim.scenario.defense import fire_control_sensors
    from bmdsim.sweep.figures import cell_area_km2

    a = scn.analyses.footprint
    vs = list(variants) if variants is not None else list(site0.all_variants)
    launches = list(a.launch_sites)
    step = _counting(progress, len(launches) * len(vs) * partitions)
    summary, cells = [], []
    for ls_name in launches:
        res = nat.footprint_sweep(resolve("analyses.footprint.launch_sites", ls_name), a.missile, vs,
                                  grid_deg=a.grid_step_deg, region=tuple(a.region_deg), partitions=partitions,
                                  earliest_launch_after_threat_s=delay, client=client, site=d0,
                                  sensors=fire_control_sensors(scn, d0), seed=scn.seed, on_done=step)
        for v in vs:
            f = res[v]
            area = float(cell_area_km2(f["latitude_deg"][f["defended"]], a.grid_step_deg).sum())
            summary.append({"launch_site": ls_name, "variant": v,
                            "burnout_speed_mps": float(catalog.get(v).claim["burnout_speed_mps"]),
                            "cells": int(f["latitude_deg"].size), "reachable_cells": int(f["reachable"].sum()),
                            "defended_cells": f["defended_cells"], "defended_area_km2": area,
                            "defended_fraction": f["defended_cells"] / max(f["latitude_deg"].size, 1),
                            "defended_cities": ", ".join(c["name"] for c in f["cities"] if c["defended"]),
                            "commit_time_source": f["commit_time_source"]})
            cells.append(pd.DataFrame({"launch_site": ls_name, "variant": v, **{
                k: f[k] for k in ("latitude_deg", "longitude_deg", "reachable", "defended", "shots", "p_no_leak",
                                  "earliest_intercept_after_launch_s")}}))
    return {"footprint_summary": pd.DataFrame(summary), "footprint_cells": pd.concat(cells, ignore_index=True)}, \
        len(launches) * len(vs) * partitions


def _chase(nat, client, scn, d0, resolve, speeds, delay, progress):
    import pandas as pd

    wanted = set(scn.analyses.chase.threats)
    by_missile: dict[str, list] = {}
    for name, t in zip(scn.threat_names(), scn.threats, strict=True):
        if not wanted or name in wanted:
            by_missile.setdefault(t.missile, []).append((name, t))
    speeds = [float(s) for s in speeds]
    step = _counting(progress, len(by_missile) * len(speeds))
    curve, frac = [], []
    for missile, ts in by_missile.items():
        pairs = [((t.launch, resolve(f"threats.{name}.launch", t.launch)),
                  (t.target, resolve(f"threats.{name}.target", t.target))) for name, t in ts]
        c = nat.chase_sweep(None, None, missile, speeds, pairs=pairs, client=client, site=d0,
                            earliest_launch_after_threat_s=delay, seed=scn.seed, on_done=step)
        for i, sp in enumerate(speeds):
            for j, (name, t) in enumerate(ts):
                curve.append({"missile": missile, "threat": name, "launch": t.launch, "target": t.target,
                              "burnout_speed_mps": sp, "engageable": bool(c.engageable[i, j]),
                              "earliest_intercept_after_launch_s": float(c.earliest_intercept_after_launch_s[i, j])})
            frac.append({"missile": missile, "burnout_speed_mps": sp, "flights": len(ts),
                         "engageable_flights": int(c.engageable[i].sum()), "fraction": float(c.fraction[i])})
    return {"chase_fraction": pd.DataFrame(frac), "chase_curve": pd.DataFrame(curve)}, len(by_missile) * len(speeds)


def _montecarlo(nat, client, ls, n, chunk, progress):
    import pandas as pd

    chunks = -(-n // chunk)
    fut = client.submit(_run_raids, (ls.source, ls.text, ls.base_dir), pure=False, retries=2)
    battles = fut.result()
    step = _counting(progress, 1 + chunks * len(battles))
    step()
    rows, heads = [], []
    for k, b in enumerate(battles):
        s = nat.battle_monte_carlo(b["raid"], b["doctrine"], n_trials=n, chunk=chunk,
                                   seed=int(np.random.SeedSequence(ls.scenario.seed, spawn_key=(k,))
                                            .generate_state(1)[0]), client=client, on_done=step)
        rows.append({"site": b["site"], "interceptor": b["interceptor"], "n_trials": s.n_trials,
                     "chunks": s.chunks, "leakers_mean": s.leakers_mean, "leakers_se": s.leakers_se,
                     "p_no_leak": s.p_no_leak, "p_no_leak_se": s.p_no_leak_se,
                     "interceptors_fired_mean": s.fired_mean, "run_trials": b["run"]["trials"],
                     "run_leakers_mean": b["run"]["leakers_mean"], "run_leakers_se": b["run"]["leakers_se"],
                     "run_p_no_leak": b["run"]["p_no_leak"]})
        heads += [{"site": b["site"], "warhead": i, "threat": th, "p_kill": float(p)}
                  for i, (th, p) in enumerate(zip(b["threats"], s.p_kill_per_warhead, strict=True))]
    return {"montecarlo": pd.DataFrame(rows), "montecarlo_warheads": pd.DataFrame(heads)}, 1 + chunks * len(battles)


def _write_database(path: Path, tables: dict) -> None:
    """The tables into a new DuckDB file (written beside, then renamed: the file exists only complete)."""
    import duckdb

    tmp = path.with_name(f".{path.name}.partial")
    tmp.unlink(missing_ok=True)
    with duckdb.connect(str(tmp)) as con:
        for name, df in tables.items():
            con.register("df_in", df)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM df_in')
            con.unregister("df_in")
    tmp.replace(path)
