"""Named places (``bmdsim/data/catalogs/sites.yaml``): launch areas, defence and radar sites, ICBM fields,
cities. Every entry carries its source and label (docs/sources.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from bmdsim.errors import InputError, UnknownNameError

__all__ = ["Site", "get", "all_sites", "resolve"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Site:
    name: str
    latitude_deg: float
    longitude_deg: float
    altitude_m: float = 0.0
    kind: str = "place"
    label: str = ""
    source: str = ""


@cache
def all_sites() -> dict[str, Site]:
    text = resources.files("bmdsim.data.catalogs").joinpath("sites.yaml").read_text(encoding="utf-8")
    return {k: Site(name=k, **v) for k, v in yaml.safe_load(text)["sites"].items()}


def get(name: str) -> Site:
    """The site called ``name``.

    >>> get("redzikowo").latitude_deg
    54.4789
    """
    sites = all_sites()
    if name not in sites:
        raise UnknownNameError("site", name, sites)
    return sites[name]


def resolve(field: str, text: str) -> tuple[float, float]:
    """A site name or ``LAT,LON`` in degrees to ``(lat, lon)``.

    >>> resolve("--to", "52.5,13.4")
    (52.5, 13.4)
    """
    text = str(text).strip()
    if "," in text:
        parts = text.split(",")
        try:
            lat, lon = float(parts[0]), float(parts[1])
            if len(parts) != 2:
                raise ValueError
        except ValueError:
            raise InputError(field, text, "give LAT,LON in degrees or a site name (bmdsim sites)") from None
        if not -90 <= lat <= 90:
            raise InputError(field, text, "latitude must lie between -90 and 90 degrees")
        if not -180 <= lon <= 180:
            raise InputError(field, text, "longitude must lie between -180 and 180 degrees")
        return lat, lon
    s = get(text)
    return s.latitude_deg, s.longitude_deg
