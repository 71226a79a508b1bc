"""Natural Earth shapes shipped with bmdsim (public domain), as shapely geometries in lon/lat degrees.

Three files under ``bmdsim/data/naturalearth/`` (provenance in ``docs/sources.md``), built at development time
by ``build_naturalearth.py`` beside them:

- ``"10m"`` (1:10m, Natural Earth 5.x): countries clipped to the Europe / North Atlantic region
  :data:`REGION_10M`, each country's coastline, and its territorial airspace (land plus sea within 12 nautical
  miles of the coast) in 2 x 2 degree tiles.
- ``"50m"`` and ``"110m"``: world countries, for maps.

Geometries are shapely objects with x = longitude, y = latitude (degrees, WGS84), as in GeoJSON; note that the
rest of bmdsim speaks (lat, lon) in its function arguments. Every function caches its result.

>>> names = {c.code: c.name for c in countries("10m")}
>>> names["NLD"], names["NOR"]
('Netherlands', 'Norway')
>>> land("110m").contains(shapely.Point(4.9, 52.4))   # Amsterdam (lon, lat)
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import shapely

__all__ = ["Country", "countries", "land", "coastline", "coastlines", "territorial_zone_tiles",
           "REGION_10M", "SCALES"]

SCALES = ("10m", "50m", "110m")
#: (lon_min, lat_min, lon_max, lat_max), degrees: the area the 1:10m file covers
REGION_10M = (-40.0, 33.0, 60.0, 83.0)
_FILES = {"10m": "ne_10m_europe.npz", "50m": "ne_50m_world.npz", "110m": "ne_110m_world.npz"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Country:
    """One Natural Earth admin-0 unit.

    ``code`` is Natural Earth's ``ADM0_A3`` (ISO 3166-1 alpha-3 where one exists: ``NOR``, ``FRA``; Natural
    Earth's own for the rest, e.g. ``KOS``); ``geometry`` a shapely (Multi)Polygon in lon/lat degrees.
    """

    name: str
    code: str
    geometry: shapely.Geometry


def _check_scale(scale: str) -> None:
    if scale not in SCALES:
        from bmdsim.errors import InputError

        raise InputError("scale", scale, "use one of " + ", ".join(SCALES))


@cache
def _npz(scale: str) -> dict:
    _check_scale(scale)
    ref = resources.files("bmdsim.data").joinpath("naturalearth", _FILES[scale])
    with ref.open("rb") as fh, np.load(fh) as z:
        return {k: z[k] for k in z.files}


def _geoms(scale: str, key: str) -> np.ndarray:
    z = _npz(scale)
    n_off = sum(1 for k in z if k.startswith(f"{key}__offsets"))
    offsets = tuple(z[f"{key}__offsets{i}"] for i in range(n_off))
    coords = z[f"{key}__coords"].astype(np.float64)
    return shapely.from_ragged_array(shapely.GeometryType(int(z[f"{key}__type"])), coords, offsets)


@cache
def countries(scale: str = "10m") -> tuple[Country, ...]:
    """Countries at ``scale`` ("10m": clipped to :data:`REGION_10M`; "50m"/"110m": world), sorted by code."""
    z = _npz(scale)
    geoms = _geoms(scale, "land")
    # a few 1:110m shapes are slightly invalid as published; repair them so unions work
    return tuple(Country(name=str(n), code=str(c), geometry=g if g.is_valid else shapely.make_valid(g))
                 for n, c, g in zip(z["names"], z["codes"], geoms, strict=True))


@cache
def land(scale: str = "110m") -> shapely.Geometry:
    """All land at ``scale`` as one (Multi)Polygon, lon/lat degrees."""
    return shapely.union_all([c.geometry for c in countries(scale)])


@cache
def coastlines() -> dict[str, shapely.MultiLineString]:
    """Each country's 1:10m coastline in :data:`REGION_10M` (its boundary less land borders), by code.

    Countries without a coast in the region (e.g. ``AUT``) map to an empty MultiLineString.
    """
    z = _npz("10m")
    return {str(c): g for c, g in zip(z["codes"], _geoms("10m", "coast"), strict=True)}


@cache
def coastline(scale: str = "10m") -> shapely.Geometry:
    """All coastlines: at "10m" the union of :func:`coastlines` (region only); else the world land boundary."""
    if scale == "10m":
        return shapely.union_all(list(coastlines().values()))
    return land(scale).boundary


@cache
def territorial_zone_tiles() -> tuple[np.ndarray, np.ndarray]:
    """Territorial airspace tiles: ``(geometries, codes)``, two aligned arrays.

    Each tile is the part, inside one 2 x 2 degree cell, of one country's land plus the sea within 12 nmi
    (22.224 km) of its 1:10m coast, less other countries' land. Tiles of neighbours may overlap at sea where
    coasts are less than 24 nmi apart; :mod:`bmdsim.airspace.sovereign` resolves that by the median line.
    """
    z = _npz("10m")
    codes = z["codes"][z["zone_country"]].astype(str)
    return _geoms("10m", "zones"), codes
