"""Aim and fly with dense output: the one place where a threat is aimed (:func:`bmdsim.flight.targeting.solve`)
and then flown again with the same steering, keeping samples every ``dense_dt_s`` for sensors, trajectories and
fire control (used by the scenario run, :func:`bmdsim.analysis.observe.fly_truths` and
:func:`bmdsim.analysis.engage.fly_threats`)."""

from __future__ import annotations

import math

import numpy as np

from bmdsim.errors import InputError
from bmdsim.flight.fly import Flights, Options, fly
from bmdsim.flight.profiles import DEFAULT_PROFILE
from bmdsim.flight.targeting import solve
from bmdsim.flight.vehicle import Vehicle

__all__ = ["aim_and_fly"]


def aim_and_fly(vehicle: Vehicle, launch_lat_deg, launch_lon_deg, target_lat_deg, target_lon_deg, *,
                profile: str = DEFAULT_PROFILE, t_launch_s=0.0, dense_dt_s: float = 2.0,
                dense_n: int | None = None):
    """Aim ``vehicle`` from each launch point at each target (arrays of one shape ``(N,)``) and fly the solved
    steering with dense output every ``dense_dt_s`` for ``dense_n`` samples (default: the longest solved flight
    plus 3 samples). Returns ``(solution, flights)``; ``solution.miss_m`` is the targeting miss."""
    if not (isinstance(dense_dt_s, int | float) and math.isfinite(dense_dt_s) and dense_dt_s > 0):
        raise InputError("dense_dt_s", dense_dt_s, "give a positive sampling interval in seconds, e.g. 2")
    sol = solve(vehicle, launch_lat_deg, launch_lon_deg, target_lat_deg, target_lon_deg, profile=profile,
                t_launch_s=t_launch_s)
    if dense_n is None:
        tof = float(np.nanmax(sol.flights.time_of_flight_s))
        dense_n = int(tof / dense_dt_s) + 3
    f: Flights = fly(vehicle, launch_lat_deg, launch_lon_deg, sol.azimuth_deg, sol.kick_deg, cutoff_s=sol.cutoff_s,
                     t_launch_s=t_launch_s, options=Options(dense_dt_s=dense_dt_s, dense_n=dense_n))
    return sol, f
