"""Run a scenario: a short pipeline over the analyses. Returns a :class:`~bmdsim.scenario.result.RunResult` of
typed records (no I/O here: the store writes the database and exports from it, the report renders from it).

Steps (each reports progress through ``progress(step_name, done, total)``):

1. flights (:mod:`bmdsim.scenario.flights`): every raid aimed and flown once, with dense output.
2. sensing, 3. coverage, 4. decision time, 5. sharing (:mod:`bmdsim.scenario.sensing`).
6. airspace (:mod:`bmdsim.scenario.aircraft`).
7. engagements, 8. chase, 9. footprint (:mod:`bmdsim.scenario.defense`); after 7, the flown path of each
   engagement's first shot (:mod:`bmdsim.scenario.flyouts`).

Randomness: one ``numpy.random.SeedSequence`` from the scenario seed, spawned once into one child per
stochastic component (sensing, sharing, engagements) and per threat / observer / site inside each, so adding an
observer, an aircraft or a threat at the end does not change the draws of the others. The engagements commit on
the first radar tracks that the run reports (``sensor_detections``), not on a draw of their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from bmdsim.scenario import aircraft as air_step
from bmdsim.scenario import defense, flights, flyouts, sensing
from bmdsim.scenario.result import RunResult
from bmdsim.scenario.schema import Scenario
from bmdsim.scenario.sensing import STREAMS, streams

__all__ = ["RunResult", "run", "STREAMS", "SENSING_DT_S", "PIP_DT_S"]

SENSING_DT_S = flights.SENSING_DT_S
PIP_DT_S = sensing.PIP_DT_S


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def run(scn: Scenario, progress: Callable[[str, int, int], None] | None = None, *, base_dir: Path | None = None,
        scenario_text: str = "", scenario_sha256: str = "", scenario_source: str = "python") -> RunResult:
    """Run every step of the scenario (module docstring) and return the results.

    ``base_dir``: the scenario's folder (files it names are resolved there); None for bundled scenarios.
    ``scenario_text``/``scenario_sha256``/``scenario_source``: provenance for the ``run`` table
    (:class:`~bmdsim.scenario.load.LoadedScenario`'s); default: the scenario's JSON dump, source ``python``.
    """
    progress = progress or (lambda *_: None)
    started = _utc_now()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    rng = streams(scn.seed)
    a = scn.analyses
    flown = flights.fly_threats(scn, progress)
    threats = flown.threats
    trajectories = flights.trajectories(threats, flown.truths, scn.trajectory_step_s)
    lap("flights")
    sensors, sensor_info = sensing.build_sensors(scn)
    sensed = sensing.sense(threats, flown.truths, sensors, sensor_info, rng["sensing"], progress) if sensors else \
        sensing.Sensing(detections=[], tracks={}, unseen=[], observations={})
    lap("sensing")
    rings = sensing.coverage_rings(scn, sensors, sensor_info, progress) if a.coverage.enabled and sensors else []
    lap("coverage")
    decision = sensing.decision_times(scn, threats, sensed.detections) if a.decision_time.enabled else []
    shared = (sensing.share_feeds(scn, threats, sensed.observations, sensor_info, rng["sharing"], progress)
              if a.sharing.enabled and sensed.observations else
              sensing.Sharing(feeds=[], sensors=[], pips=[], messages={}))
    lap("sharing")
    aircraft = air_step.check_aircraft(scn, base_dir, progress) if a.airspace.enabled else []
    lap("airspace")
    unavailable: dict[str, str] = {}
    engagements = outcomes = battle = chase_rows = footprint = curves = None
    if scn.interceptor_sites:
        engagements, outcomes, battle = defense.engage(scn, flown, sensed.detections, rng["engagements"], progress,
                                                       unavailable)
    lap("engagements")
    paths = flyouts.fly_first_shots(scn, flown, engagements, progress)
    lap("flyouts")
    if a.chase.enabled and scn.interceptor_sites:
        chase_rows = defense.chase_rows(scn, flown, sensed, progress, unavailable, curves := [])
    lap("chase")
    if a.footprint.enabled and scn.interceptor_sites:
        footprint = defense.footprints(scn, progress, unavailable)
    lap("footprint")
    return RunResult(scenario=scn, threats=threats, flights=flown.record, truths=flown.truths,
                     trajectories=trajectories, sensors=sensor_info, detections=sensed.detections,
                     tracks=sensed.tracks, coverage=rings, unseen=sensed.unseen, decision=decision,
                     sharing=shared.feeds, sharing_sensors=shared.sensors, sharing_pips=shared.pips,
                     feeds=shared.messages, aircraft=aircraft,
                     airspace=[e for x in aircraft for e in air_step.airspace_events(x)],
                     engagements=engagements, outcomes=outcomes, battle=battle, chase=chase_rows,
                     chase_commit_curve=curves,
                     footprint=footprint, unavailable=unavailable, started_utc=started, finished_utc=_utc_now(),
                     flyouts=paths,
                     timings_s=timings, scenario_text=scenario_text, scenario_sha256=scenario_sha256,
                     scenario_source=scenario_source)
