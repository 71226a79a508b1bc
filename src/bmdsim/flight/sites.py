"""Named places (``bmdsim/data/catalogs/sites.yaml``): launch areas, defence and radar sites, ICBM fields,
cities. Every entry carries its source and label (docs/sources.md)."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

from bmdsim.core.checks import check_latitude, check_longitude
from bmdsim.errors import BmdsimWarning, InputError, UnknownNameError

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


def _nearest(lat: float, lon: float) -> tuple[float, str]:
    """Great-circle distance (km, spherical) to the nearest catalog site, and its name."""
    la, lo = math.radians(lat), math.radians(lon)
    best = (math.inf, "")
    for s in all_sites().values():
        la2, lo2 = math.radians(s.latitude_deg), math.radians(s.longitude_deg)
        c = math.sin(la) * math.sin(la2) + math.cos(la) * math.cos(la2) * math.cos(lo2 - lo)
        best = min(best, (6371.0 * math.acos(max(-1.0, min(1.0, c))), s.name))
    return best


def _warn_if_swapped(field: str, text: str, lat: float, lon: float) -> None:
    """Warn when LAT,LON lies far from every known place but LON,LAT is one (``--to 13.4,52.52`` for Berlin
    flies to the Arabian Sea)."""
    if abs(lon) > 90 or lat == lon:
        return
    d, _ = _nearest(lat, lon)
    if d < SWAP_FAR_KM:
        return
    d_swapped, name = _nearest(lon, lat)
    if d_swapped <= SWAP_NEAR_KM:
        warnings.warn(BmdsimWarning(
            f"{field} {text} is read as latitude {lat:g}, longitude {lon:g} (LAT,LON), {d:,.0f} km from any known "
            f"place; {lon:g},{lat:g} would be {name}: if you meant that, give {field} {lon:g},{lat:g} or "
            f"{field} {name}"), stacklevel=3)


SWAP_FAR_KM = 300.0   #: a point this far from every catalog site is unusual enough to check the other order
SWAP_NEAR_KM = 25.0   #: ...and the swapped point lies this close to one: then warn


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
        check_latitude(field, lat, value=text)
        check_longitude(field, lon, value=text)
        _warn_if_swapped(field, text, lat, lon)
        return lat, lon
    s = get(text)
    return s.latitude_deg, s.longitude_deg
