"""Multi-stage rockets: stages, vehicles, and the packing of a batch of them into the engine's arrays.

A stage burns its propellant at a constant rate over ``burn_time_s``; its thrust follows from the specific
impulse, ``T_vac = mdot g0 Isp_vac`` and ``T_sl = mdot g0 Isp_sl``, so the nozzle exit area that the ambient
pressure pushes on is ``A_e = (T_vac - T_sl) / p0``. The reference area for drag is the stage's cross-section.
After the last stage the reentry vehicle (``payload_kg``) flies with ballistic coefficient ``rv_beta_kg_m2``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from bmdsim.core.constants import G0_MPS2
from bmdsim.errors import InputError

__all__ = ["Stage", "Vehicle", "DEFAULT_CD_MACH", "pack"]

P0_PA = 101325.0

#: Generic drag coefficient of a slender missile body against Mach number (notional; shape after the
#: zero-lift drag curves of Fleeman, *Tactical Missile Design*, 2nd ed., fig. 2.24: subsonic ~0.2, a
#: transonic peak ~0.45, falling to ~0.2 hypersonic).
DEFAULT_CD_MACH = ((0.0, 0.20), (0.8, 0.22), (1.0, 0.42), (1.2, 0.45), (1.5, 0.40), (2.0, 0.34), (3.0, 0.28),
                   (5.0, 0.23), (10.0, 0.20), (30.0, 0.20))
MACH_GRID = np.array([m for m, _ in DEFAULT_CD_MACH])


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    """One stage. Masses in kg, time in s, specific impulse in s, diameter in m."""

    propellant_kg: float
    dry_kg: float
    burn_time_s: float
    isp_vac_s: float
    isp_sl_s: float
    diameter_m: float
    cd_mach: tuple[tuple[float, float], ...] = DEFAULT_CD_MACH

    def __post_init__(self):
        for name in ("propellant_kg", "dry_kg", "burn_time_s", "isp_vac_s", "isp_sl_s", "diameter_m"):
            v = getattr(self, name)
            if not np.isfinite(v) or v <= 0:
                raise InputError(f"stage.{name}", v, "must be a positive number")
        if self.isp_sl_s > self.isp_vac_s:
            raise InputError("stage.isp_sl_s", self.isp_sl_s, "sea-level Isp cannot exceed the vacuum Isp")

    @property
    def mdot_kg_s(self) -> float:
        return self.propellant_kg / self.burn_time_s

    @property
    def thrust_vac_n(self) -> float:
        return self.mdot_kg_s * G0_MPS2 * self.isp_vac_s

    @property
    def exit_area_m2(self) -> float:
        return self.mdot_kg_s * G0_MPS2 * (self.isp_vac_s - self.isp_sl_s) / P0_PA

    @property
    def area_m2(self) -> float:
        return np.pi * self.diameter_m**2 / 4.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Vehicle:
    """A missile or interceptor: stages fired in order, then a payload (reentry or kill vehicle).

    ``t_vertical_s`` and ``t_kick_s`` are the default steering times (vertical rise, then the pitch-over);
    ``kick_deg`` is chosen per flight by targeting.
    """

    name: str
    role: str                      # "threat" or "interceptor"
    stages: tuple[Stage, ...]
    payload_kg: float
    rv_beta_kg_m2: float
    t_vertical_s: float = 8.0
    t_kick_s: float = 10.0
    description: str = ""
    source: str = ""
    claim: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self):
        if self.role not in ("threat", "interceptor"):
            raise InputError("role", self.role, "use 'threat' or 'interceptor'")
        if not self.stages:
            raise InputError("stages", self.name, "a vehicle needs at least one stage")
        if not self.payload_kg > 0:
            raise InputError("payload_kg", self.payload_kg, "must be positive")
        if not self.rv_beta_kg_m2 > 0:
            raise InputError("rv_beta_kg_m2", self.rv_beta_kg_m2, "must be positive")

    @property
    def liftoff_mass_kg(self) -> float:
        return self.payload_kg + sum(s.propellant_kg + s.dry_kg for s in self.stages)

    @property
    def burn_time_s(self) -> float:
        return sum(s.burn_time_s for s in self.stages)

    def ideal_delta_v_mps(self) -> float:
        """Tsiolkovsky delta-v in vacuum, summed over stages (no gravity or drag losses)."""
        m, dv = self.liftoff_mass_kg, 0.0
        for s in self.stages:
            dv += G0_MPS2 * s.isp_vac_s * np.log(m / (m - s.propellant_kg))
            m -= s.propellant_kg + s.dry_kg
        return float(dv)

    def liftoff_thrust_to_weight(self) -> float:
        return self.stages[0].mdot_kg_s * G0_MPS2 * self.stages[0].isp_sl_s / (self.liftoff_mass_kg * G0_MPS2)

    def scaled(self, factor: float, *, name: str | None = None) -> Vehicle:
        """The same design with every stage's propellant and dry mass scaled by ``factor`` (burn times kept)."""
        st = tuple(replace(s, propellant_kg=s.propellant_kg * factor, dry_kg=s.dry_kg * factor)
                   for s in self.stages)
        return replace(self, stages=st, name=name or self.name)


def pack(vehicles: list[Vehicle]):
    """Engine arrays for a batch of vehicles (one per row): ``stages (N, S, 6)``, ``n_stages``, ``cd (N, S, K)``,
    ``beta``, ``steer_times (N, 2)``. Stage columns: cumulative burn end (s after launch), mass at ignition,
    mass flow, vacuum thrust, exit area, reference area."""
    n = len(vehicles)
    s_max = max(len(v.stages) for v in vehicles)
    stg = np.zeros((n, s_max, 6))
    cd = np.zeros((n, s_max, MACH_GRID.size))
    n_st = np.zeros(n, dtype=np.int64)
    beta = np.zeros(n)
    times = np.zeros((n, 2))
    cache: dict[int, tuple] = {}
    for i, v in enumerate(vehicles):
        key = id(v)
        if key not in cache:
            rows = np.zeros((s_max, 6))
            cds = np.zeros((s_max, MACH_GRID.size))
            m, t_end = v.liftoff_mass_kg, 0.0
            for j, s in enumerate(v.stages):
                t_end += s.burn_time_s
                rows[j] = (t_end, m, s.mdot_kg_s, s.thrust_vac_n, s.exit_area_m2, s.area_m2)
                cds[j] = np.interp(MACH_GRID, [p[0] for p in s.cd_mach], [p[1] for p in s.cd_mach])
                m -= s.propellant_kg + s.dry_kg
            cache[key] = (rows, cds)
        stg[i], cd[i] = cache[key]
        n_st[i] = len(v.stages)
        beta[i] = v.rv_beta_kg_m2
        times[i] = (v.t_vertical_s, v.t_kick_s)
    return stg, n_st, cd, beta, times
