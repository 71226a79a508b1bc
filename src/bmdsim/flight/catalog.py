"""The shipped catalog of notional missiles and interceptors (``bmdsim/data/catalogs/missiles.yaml``).

Interceptor variants are sized on first use (:mod:`bmdsim.flight.sizing`) and cached for the process.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from bmdsim.errors import UnknownNameError
from bmdsim.flight.sizing import size_to_burnout_speed
from bmdsim.flight.vehicle import Stage, Vehicle

__all__ = ["names", "get", "raw", "threat_names", "interceptor_names"]


@cache
def raw() -> dict:
    """The catalog file as parsed YAML."""
    text = resources.files("bmdsim.data.catalogs").joinpath("missiles.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _build(name: str, spec: dict, role: str, *, source: str = "", claim: dict | None = None) -> Vehicle:
    steer = spec.get("steering", {})
    return Vehicle(name=name, role=role, stages=tuple(Stage(**s) for s in spec["stages"]),
                   payload_kg=float(spec["payload_kg"]), rv_beta_kg_m2=float(spec["rv_beta_kg_m2"]),
                   t_vertical_s=float(steer.get("t_vertical_s", 8.0)), t_kick_s=float(steer.get("t_kick_s", 10.0)),
                   description=spec.get("description", ""), source=source, claim=claim or {})


def threat_names() -> list[str]:
    return list(raw()["missiles"])


def interceptor_names() -> list[str]:
    return list(raw()["interceptors"])


def names() -> list[str]:
    return threat_names() + interceptor_names()


def design(name: str) -> Vehicle:
    """An interceptor base design (unsized), e.g. ``gbi-2stage``."""
    designs = raw()["interceptor_designs"]
    if name not in designs:
        raise UnknownNameError("design", name, designs)
    return _build(name, designs[name], "interceptor", source="NOTIONAL design")


@cache
def get(name: str) -> Vehicle:
    """The catalog vehicle called ``name`` (threat or interceptor).

    >>> get("shahab-3").role, len(get("icbm-solid-russia").stages)
    ('threat', 3)
    """
    cat = raw()
    if name in cat["missiles"]:
        spec = cat["missiles"][name]
        claim = spec.get("claim", {})
        return _build(name, spec, spec.get("role", "threat"), source=claim.get("source", ""), claim=claim)
    if name in cat["interceptors"]:
        spec = cat["interceptors"][name]
        v = size_to_burnout_speed(design(spec["design"]), float(spec["burnout_speed_mps"]), name=name)
        from dataclasses import replace

        return replace(v, source=f"{spec['label']}: {spec['source']}",
                       claim={"burnout_speed_mps": spec["burnout_speed_mps"], "label": spec["label"],
                              "source": spec["source"]})
    raise UnknownNameError("missile", name, names())
