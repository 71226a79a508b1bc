"""Run a scenario: resolve names, fly every threat (targeted, batched per missile type), collect results.

Later layers grow this run (sensing, engagements, airspace); each step reports progress through a callback
``progress(step_name, done, total)`` so the command line can show it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bmdsim.flight import catalog, sites
from bmdsim.flight.fly import Flights
from bmdsim.flight.targeting import solve
from bmdsim.scenario.schema import Scenario

__all__ = ["ThreatFlight", "RunResult", "run"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatFlight:
    name: str
    missile: str
    launch: str
    target: str
    profile: str
    launch_latitude_deg: float
    launch_longitude_deg: float
    target_latitude_deg: float
    target_longitude_deg: float
    launch_time_s: float
    range_km: float
    time_of_flight_s: float
    apogee_km: float
    burnout_speed_mps: float
    burnout_time_s: float
    impact_latitude_deg: float
    impact_longitude_deg: float
    miss_m: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    scenario: Scenario
    threats: list[ThreatFlight]
    flights: dict[str, Flights]      # per missile type, rows in the order of that type's threats


def run(scn: Scenario, progress: Callable[[str, int, int], None] | None = None) -> RunResult:
    """Fly the scenario's threats. Each raid of ``count`` missiles is flown once (identical truth)."""
    progress = progress or (lambda *_: None)
    raids = scn.threats
    by_missile: dict[str, list[int]] = {}
    for i, r in enumerate(raids):
        catalog.get(r.missile)  # fail early on unknown names
        by_missile.setdefault((r.missile, r.profile), []).append(i)
    out: list[ThreatFlight | None] = [None] * len(raids)
    flights = {}
    done = 0
    for (missile, profile), idx in by_missile.items():
        v = catalog.get(missile)
        lp = np.array([sites.resolve(f"threats[{i}].launch", raids[i].launch) for i in idx])
        tp = np.array([sites.resolve(f"threats[{i}].target", raids[i].target) for i in idx])
        t0 = np.array([raids[i].launch_time_s for i in idx])
        sol = solve(v, lp[:, 0], lp[:, 1], tp[:, 0], tp[:, 1], profile=profile, t_launch_s=t0)
        f = sol.flights
        flights[f"{missile}/{profile}"] = f
        for j, i in enumerate(idx):
            r = raids[i]
            out[i] = ThreatFlight(
                name=r.name or f"threat-{i}", missile=missile, launch=r.launch, target=r.target, profile=profile,
                launch_latitude_deg=float(lp[j, 0]), launch_longitude_deg=float(lp[j, 1]),
                target_latitude_deg=float(tp[j, 0]), target_longitude_deg=float(tp[j, 1]),
                launch_time_s=float(t0[j]), range_km=float(f.range_m[j] / 1e3),
                time_of_flight_s=float(f.time_of_flight_s[j]), apogee_km=float(f.apogee_m[j] / 1e3),
                burnout_speed_mps=float(f.burnout_speed_mps[j]),
                burnout_time_s=float(f.t_burnout_s[j] - f.t_launch_s[j]),
                impact_latitude_deg=float(f.impact_latitude_deg[j]),
                impact_longitude_deg=float(f.impact_longitude_deg[j]), miss_m=float(sol.miss_m[j]))
        done += len(idx)
        progress("flying threats", done, len(raids))
    return RunResult(scenario=scn, threats=out, flights=flights)
