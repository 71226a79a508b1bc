"""Sizing: build a notional vehicle that reaches a given burnout speed in a given burn time.

A *design* fixes the shape of a vehicle: number of stages, the ratio of their propellant and dry masses,
specific impulses, diameters, the payload, and the split of burn time between stages. Sizing scales every
stage's propellant and dry mass by one factor (thrust follows, since burn times are kept, so the thrust-to-weight
ratio stays that of the design) until the burnout speed, flown with the full engine, equals the claim.

Reference flight for the speed (so that every variant is measured the same way): non-rotating Earth, drag on,
launch from sea level, the design's vertical rise and kick, kick of :data:`REFERENCE_KICK_DEG` from vertical.
The speed is the Earth-relative speed at the last burnout.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bmdsim.errors import InputError, UnreachableError
from bmdsim.flight.fly import Options, fly
from bmdsim.flight.vehicle import Vehicle

__all__ = ["size_to_burnout_speed", "reference_burnout_speed", "REFERENCE_KICK_DEG"]

REFERENCE_KICK_DEG = 25.0
_SCALES = np.geomspace(0.05, 60.0, 48)


def _with_burn_time(design: Vehicle, burn_time_s: float | None) -> Vehicle:
    if burn_time_s is None:
        return design
    if not np.isfinite(burn_time_s) or burn_time_s <= 0:
        raise InputError("burn_time_s", burn_time_s, "give a positive total burn time in seconds")
    k = burn_time_s / design.burn_time_s
    return replace(design, stages=tuple(replace(s, burn_time_s=s.burn_time_s * k) for s in design.stages))


def reference_burnout_speed(vehicles: list[Vehicle]) -> np.ndarray:
    """Burnout speed (m/s) of each vehicle on the reference flight."""
    f = fly(vehicles, 0.0, 0.0, 0.0, REFERENCE_KICK_DEG, options=Options(rotation=False))
    return f.burnout_speed_mps


def size_to_burnout_speed(design: Vehicle, burnout_speed_mps: float, *, burn_time_s: float | None = None,
                          name: str | None = None, tol_mps: float = 1.0) -> Vehicle:
    """The design, scaled (and with its burn time stretched to ``burn_time_s`` if given), whose reference
    burnout speed is ``burnout_speed_mps`` within ``tol_mps``.

    Raises :class:`UnreachableError` when even a 60-fold scale-up cannot reach the speed (the design's structure
    fraction and specific impulse bound its speed).
    """
    if not np.isfinite(burnout_speed_mps) or burnout_speed_mps <= 0:
        raise InputError("burnout_speed_mps", burnout_speed_mps, "give a positive speed in m/s")
    base = _with_burn_time(design, burn_time_s)
    lo_s, hi_s = _SCALES[0], _SCALES[-1]
    for _ in range(4):
        scales = np.geomspace(lo_s, hi_s, 24)
        speeds = reference_burnout_speed([base.scaled(s) for s in scales])
        ok = np.isfinite(speeds)
        if not ok.any() or np.nanmax(speeds) < burnout_speed_mps:
            raise UnreachableError("burnout_speed_mps", burnout_speed_mps,
                                   f"design {design.name!r} cannot reach it (at most "
                                   f"{np.nanmax(speeds):.0f} m/s); use a design with more stages")
        if np.nanmin(speeds) > burnout_speed_mps:
            raise UnreachableError("burnout_speed_mps", burnout_speed_mps,
                                   f"design {design.name!r} is faster even when scaled down 20-fold")
        j = int(np.searchsorted(speeds[ok], burnout_speed_mps))
        sc = scales[ok]
        lo_s, hi_s = sc[max(j - 1, 0)], sc[min(j, sc.size - 1)]
        sp = speeds[ok]
        if abs(sp[min(j, sp.size - 1)] - burnout_speed_mps) < tol_mps:
            break
    # final step: interpolate in log scale between the bracketing factors
    s_lo, s_hi = lo_s, hi_s
    v_lo, v_hi = reference_burnout_speed([base.scaled(s_lo), base.scaled(s_hi)])
    w = 0.0 if v_hi == v_lo else (burnout_speed_mps - v_lo) / (v_hi - v_lo)
    s = float(np.exp(np.log(s_lo) + w * (np.log(s_hi) - np.log(s_lo))))
    return base.scaled(s, name=name or f"{design.name}-{burnout_speed_mps:.0f}mps")
