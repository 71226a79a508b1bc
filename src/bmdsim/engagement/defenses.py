"""The shipped catalog of interceptor sites (``bmdsim/data/catalogs/defenses.yaml``): inventory, interceptor
variants, timing, and notional kill probabilities. Every figure carries its label in the YAML and in
``docs/sources.md``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from bmdsim.errors import UnknownNameError
from bmdsim.flight import sites

__all__ = ["Defense", "get", "names"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Defense:
    """One interceptor site. Times in s (SI); ``pssk`` maps an interceptor name to its single-shot kill
    probability (key ``default`` for any other)."""

    name: str
    latitude_deg: float
    longitude_deg: float
    inventory: int
    interceptor: str
    variants: tuple[str, ...]
    pssk: dict
    commit_after_track_s: float
    reaction_s: float
    kill_assessment_s: float
    min_intercept_altitude_m: float
    max_flight_time_s: float
    divert_budget_mps: float
    handover_sigma_m: float
    handover_t_go_s: float
    activation_delay_s: float
    sensors: tuple[str, ...]
    description: str = ""

    def pssk_of(self, interceptor: str) -> float:
        return float(self.pssk.get(interceptor, self.pssk.get("default", 0.8)))


@cache
def _raw() -> dict:
    text = resources.files("bmdsim.data.catalogs").joinpath("defenses.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)["defenses"]


def names() -> list[str]:
    return list(_raw())


@cache
def get(name: str) -> Defense:
    """The interceptor site called ``name`` (its place is in the site catalog).

    >>> d = get("redzikowo")
    >>> d.inventory, d.min_intercept_altitude_m
    (10, 100000.0)
    """
    raw = _raw()
    if name not in raw:
        raise UnknownNameError("defense site", name, raw)
    e = raw[name]
    if "extends" in e:       # a variant of another site entry: its keys, with these replacing them
        e = {**raw[e["extends"]], **{k: v for k, v in e.items() if k != "extends"}}
    s = sites.get(e.get("site", name))
    return Defense(name=name, latitude_deg=s.latitude_deg, longitude_deg=s.longitude_deg,
                   inventory=int(e["inventory"]), interceptor=e["interceptor"], variants=tuple(e["variants"]),
                   pssk=dict(e["pssk"]), commit_after_track_s=float(e["commit_after_track_s"]),
                   reaction_s=float(e["reaction_s"]), kill_assessment_s=float(e["kill_assessment_s"]),
                   min_intercept_altitude_m=1e3 * float(e["min_intercept_altitude_km"]),
                   max_flight_time_s=float(e["max_flight_time_s"]), divert_budget_mps=float(e["divert_budget_mps"]),
                   handover_sigma_m=float(e["handover_sigma_m"]), handover_t_go_s=float(e["handover_t_go_s"]),
                   activation_delay_s=float(e["activation_delay_s"]), sensors=tuple(e["sensors"]),
                   description=e.get("description", ""))
