"""Sovereign (territorial) airspace: which country's airspace a point is in, and how far it is from a coast.

Territorial airspace of a coastal state = its land plus the territorial sea, the sea within 12 nautical miles
(22.224 km) of the baseline (UNCLOS arts. 2-4). By default the baseline is the Natural Earth 1:10m coastline
(the low-water line only roughly; straight baselines, as Norway's, are not modelled: see ``docs/design.md``);
a user may add baselines or whole zones from GeoJSON (:func:`read_zone_file`).

Two spatial indexes, both vectorised over points:

- membership: a grid index over the territorial-airspace tiles (2 x 2 degree pieces from
  :func:`bmdsim.airspace.naturalearth.territorial_zone_tiles`): points are bucketed by cell with numpy, each
  tile tests its cell's points at once (``shapely.intersects_xy`` on prepared geometry; a tile that fills its
  cell, e.g. inland, needs no test); an STRtree over the same tiles serves area queries; where two
  states' 12-nmi belts overlap (coasts under 24 nmi apart) the point goes to the nearer coast (median line,
  UNCLOS art. 15);
- distance to a coast: a k-d tree over each country's coast vertices (densified to <= 0.01 deg) in Earth-centred
  coordinates gives a close estimate, refined where it matters by :func:`bmdsim.airspace.geo.aeqd_distance_m`
  (exact geodesic distance to the coast polyline).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import shapely
from scipy.spatial import cKDTree

from bmdsim.core.constants import NMI_M
from bmdsim.errors import DataError, InputError

from . import naturalearth
from .geo import aeqd_distance_m, buffer_m, chord_to_arc_m, ecef_m

__all__ = ["TERRITORIAL_SEA_M", "SovereignAirspace", "UserZone", "read_zone_file", "default_airspace"]

TERRITORIAL_SEA_M = 12.0 * NMI_M  #: 22,224 m (UNCLOS art. 3)
_SEG_DEG = 0.01                   #: coast densification step, degrees (<= 1.6 km)
TILE_DEG = 2.0                    #: tile size of the zone grid, degrees (the shipped tiles and user zones)


def _cell_key(ix, iy):
    return (np.asarray(ix, np.int64) + 1000) * 10_000 + (np.asarray(iy, np.int64) + 1000)


@dataclass(frozen=True, slots=True, kw_only=True)
class UserZone:
    """A zone from a GeoJSON file: ``kind`` is "baseline" (buffered by 12 nmi into territorial airspace of
    ``country``), "territorial" (taken as that country's territorial airspace as given) or "zone" (any other
    area, e.g. an FIR or an exercise area: entries and exits are reported, no violation)."""

    name: str
    kind: str
    country: str | None
    geometry: shapely.Geometry


class _Coast:
    """Coast segments of one country (lon/lat) with a k-d tree over their end points (ECEF)."""

    __slots__ = ("lon1", "lat1", "lon2", "lat2", "tree", "seg_of")

    def __init__(self, lines: shapely.Geometry):
        lines = shapely.segmentize(lines, _SEG_DEG)
        starts, ends = [], []
        for ln in shapely.get_parts(lines):
            c = shapely.get_coordinates(ln)
            if len(c) >= 2:
                starts.append(c[:-1])
                ends.append(c[1:])
        a = np.concatenate(starts) if starts else np.zeros((0, 2))
        b = np.concatenate(ends) if ends else np.zeros((0, 2))
        self.lon1, self.lat1, self.lon2, self.lat2 = a[:, 0], a[:, 1], b[:, 0], b[:, 1]
        m = len(a)
        self.seg_of = np.concatenate([np.arange(m), np.arange(m)])
        pts = np.concatenate([a, b])
        self.tree = cKDTree(ecef_m(pts[:, 1], pts[:, 0])) if m else None

    def estimate_m(self, xyz: np.ndarray, upper_m: float = np.inf) -> np.ndarray:
        """Distance estimate (m) to the nearest coast vertex (within 0.8 km + 0.5 % of the exact value)."""
        if self.tree is None:
            return np.full(len(xyz), np.inf)
        d, _ = self.tree.query(xyz, distance_upper_bound=upper_m)
        return chord_to_arc_m(d)

    def exact_m(self, lat_deg: float, lon_deg: float, estimate_m: float) -> tuple[float, float, float]:
        """Exact geodesic distance (m) to the coast and the nearest coast point (lat, lon)."""
        xyz = ecef_m(lat_deg, lon_deg)
        idx = self.tree.query_ball_point(xyz, r=estimate_m * 1.01 + 2500.0)
        segs = np.unique(self.seg_of[idx]) if len(idx) else np.arange(len(self.lon1))
        d, k = aeqd_distance_m(lat_deg, lon_deg, self.lon1[segs], self.lat1[segs], self.lon2[segs],
                               self.lat2[segs])
        s = segs[k]
        return d, float(self.lat1[s]), float(self.lon1[s])


@dataclass(frozen=True, slots=True, kw_only=True)
class SovereignAirspace:
    """Territorial airspace of the countries in the 1:10m region, plus any user zones.

    Build it with :func:`default_airspace` (cached) or :meth:`with_zones`. ``codes`` / ``names`` list the
    countries; the integer index of a country in ``codes`` is what :meth:`country_at` returns (-1: none).
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    tiles: np.ndarray            # shapely geometries, lon/lat
    tile_country: np.ndarray     # int index into codes
    coast_lines: dict            # code -> MultiLineString (lon/lat)
    other_zones: tuple[UserZone, ...] = ()
    _tree: shapely.STRtree = field(default=None, repr=False)
    _coasts: dict = field(default_factory=dict, repr=False)
    _grid: dict = field(default=None, repr=False)
    _full: np.ndarray = field(default=None, repr=False)

    def __post_init__(self):
        shapely.prepare(self.tiles)
        object.__setattr__(self, "_tree", shapely.STRtree(self.tiles))
        # grid index: every tile lies in one TILE_DEG cell; a tile that fills its cell needs no test
        rp = shapely.get_coordinates(shapely.point_on_surface(self.tiles))
        ix = np.floor(rp[:, 0] / TILE_DEG).astype(np.int64)
        iy = np.floor(rp[:, 1] / TILE_DEG).astype(np.int64)
        cells = shapely.box(ix * TILE_DEG, iy * TILE_DEG, (ix + 1) * TILE_DEG, (iy + 1) * TILE_DEG)
        full = shapely.area(self.tiles) >= shapely.area(cells) * (1.0 - 1e-9)
        grid: dict[int, list[int]] = {}
        for k, key in enumerate(_cell_key(ix, iy)):
            grid.setdefault(int(key), []).append(k)
        object.__setattr__(self, "_grid", {key: np.array(v) for key, v in grid.items()})
        object.__setattr__(self, "_full", full)

    # -- names --------------------------------------------------------------------------------------------
    def index(self, country: str) -> int:
        """Index of a country given by code (``NOR``) or name (``Norway``), case-insensitive."""
        key = country.strip().lower()
        for i, (c, n) in enumerate(zip(self.codes, self.names, strict=True)):
            if key in (c.lower(), n.lower()):
                return i
        from bmdsim.errors import UnknownNameError

        raise UnknownNameError("country", country, list(self.codes))

    def coast(self, i: int) -> _Coast:
        code = self.codes[i]
        if code not in self._coasts:
            self._coasts[code] = _Coast(self.coast_lines.get(code, shapely.MultiLineString()))
        return self._coasts[code]

    def territory(self, i: int) -> shapely.Geometry:
        """Country ``i``'s territorial airspace as one (Multi)Polygon, lon/lat: the union of its tiles, the
        polygons :meth:`country_at` tests (before the median line between overlapping belts)."""
        return shapely.union_all(self.tiles[self.tile_country == i])

    # -- queries ------------------------------------------------------------------------------------------
    def country_at(self, latitude_deg, longitude_deg) -> np.ndarray:
        """Index (into ``codes``) of the country whose territorial airspace contains each point, else -1.

        Arrays of shape ``(n,)``, degrees. Vectorised: points bucketed by grid cell, one shapely call per tile.
        """
        lat = np.atleast_1d(np.asarray(latitude_deg, float))
        lon = np.atleast_1d(np.asarray(longitude_deg, float))
        out = np.full(lat.shape, -1, dtype=np.int64)
        if lat.size == 0:
            return out
        keys = _cell_key(np.floor(lon / TILE_DEG).astype(np.int64), np.floor(lat / TILE_DEG).astype(np.int64))
        order = np.argsort(keys)
        sk = keys[order]
        start = np.concatenate([[0], np.flatnonzero(sk[1:] != sk[:-1]) + 1])
        stop = np.append(start[1:], order.size)
        clash_p, clash_c = [], []
        for key, a, b in zip(sk[start], start, stop, strict=True):
            tiles = self._grid.get(int(key))
            if tiles is None:
                continue
            idx = order[a:b]
            for k in tiles:
                sel = idx if self._full[k] else idx[shapely.intersects_xy(self.tiles[k], lon[idx], lat[idx])]
                c = self.tile_country[k]
                cur = out[sel]
                out[sel[cur == -1]] = c
                clash = (cur != -1) & (cur != c)
                if clash.any():
                    clash_p.append(sel[clash])
                    clash_c.append(np.full(int(clash.sum()), c))
        if clash_p:            # overlapping belts: the nearer coast wins (median line), vectorised per country
            cp = np.concatenate(clash_p)
            mp = np.concatenate([cp, np.unique(cp)])
            mc = np.concatenate([np.concatenate(clash_c), out[np.unique(cp)]])
            best = np.full(lat.size, np.inf)
            for c in np.unique(mc):
                pts = mp[mc == c]
                d = self.coast(int(c)).estimate_m(ecef_m(lat[pts], lon[pts]))
                better = d < best[pts]
                best[pts[better]] = d[better]
                out[pts[better]] = c
        return out

    def distance_to_coast_estimate_m(self, i: int, latitude_deg, longitude_deg,
                                     upper_m: float = np.inf) -> np.ndarray:
        """Vectorised estimate (m) of the distance to country ``i``'s coast (inf beyond ``upper_m``)."""
        xyz = ecef_m(latitude_deg, longitude_deg)
        return self.coast(i).estimate_m(np.atleast_2d(xyz), upper_m)

    def distance_to_coast_m(self, i: int, latitude_deg: float, longitude_deg: float) -> float:
        """Exact geodesic distance (m) from one point to country ``i``'s coast (inf if it has none)."""
        c = self.coast(i)
        if c.tree is None:
            return float("inf")
        est = float(self.distance_to_coast_estimate_m(i, latitude_deg, longitude_deg)[0])
        return c.exact_m(latitude_deg, longitude_deg, est)[0]

    def candidates_near(self, latitude_deg, longitude_deg, within_m: float) -> list[int]:
        """Countries whose coast or land may lie within ``within_m`` of any of the points (a superset)."""
        lat = np.asarray(latitude_deg, float)
        lon = np.asarray(longitude_deg, float)
        pad_lat = within_m / 110_000.0 + 0.2
        coslat = max(np.cos(np.radians(min(np.abs(lat).max() + pad_lat, 89.0))), 0.02)
        box = shapely.box(lon.min() - pad_lat / coslat, lat.min() - pad_lat,
                          lon.max() + pad_lat / coslat, lat.max() + pad_lat)
        hits = np.unique(self.tile_country[self._tree.query(box)])
        return [int(i) for i in hits]

    def is_land(self, i: int, latitude_deg, longitude_deg) -> np.ndarray:
        """True where points lie on country ``i``'s land (1:10m polygon)."""
        geom = _land_by_code().get(self.codes[i])
        if geom is None:
            return np.zeros(np.shape(latitude_deg), bool)
        return shapely.contains_xy(geom, np.asarray(longitude_deg), np.asarray(latitude_deg))

    # -- user zones ---------------------------------------------------------------------------------------
    def with_zones(self, zones: list[UserZone] | tuple[UserZone, ...]) -> SovereignAirspace:
        """A copy with user baselines / territorial zones added and other zones recorded."""
        codes, names = list(self.codes), list(self.names)
        tiles, tile_country = list(self.tiles), list(self.tile_country)
        coast_lines = dict(self.coast_lines)
        others = list(self.other_zones)
        for z in zones:
            if z.kind == "zone":
                others.append(z)
                continue
            try:
                i = self.index(z.country)
            except InputError:
                codes.append(z.country.upper()[:3] if len(z.country) == 3 else z.country)
                names.append(z.country)
                i = len(codes) - 1
            if z.kind == "baseline":
                line = z.geometry.boundary if z.geometry.geom_type in ("Polygon", "MultiPolygon") else z.geometry
                area = buffer_m(line, TERRITORIAL_SEA_M)
                if z.geometry.geom_type in ("Polygon", "MultiPolygon"):
                    area = shapely.union(area, z.geometry)   # internal waters landward of the baseline
                coast_lines[codes[i]] = shapely.union(coast_lines.get(codes[i], shapely.MultiLineString()), line)
            else:
                area = z.geometry
            for part in _tile(area):
                tiles.append(part)
                tile_country.append(i)
        return SovereignAirspace(codes=tuple(codes), names=tuple(names), tiles=np.array(tiles, dtype=object),
                                 tile_country=np.array(tile_country, dtype=np.int64), coast_lines=coast_lines,
                                 other_zones=tuple(others))


def _tile(geom: shapely.Geometry, tile_deg: float = TILE_DEG) -> list[shapely.Geometry]:
    x0, y0, x1, y1 = geom.bounds
    out = []
    for lon in np.arange(np.floor(x0 / tile_deg) * tile_deg, x1, tile_deg):
        for lat in np.arange(np.floor(y0 / tile_deg) * tile_deg, y1, tile_deg):
            part = shapely.intersection(geom, shapely.box(lon, lat, lon + tile_deg, lat + tile_deg))
            if not part.is_empty and part.area > 0:
                out.append(part)
    return out


@cache
def _land_by_code() -> dict:
    out = {}
    for c in naturalearth.countries("10m"):
        shapely.prepare(c.geometry)
        out[c.code] = c.geometry
    return out


@cache
def default_airspace() -> SovereignAirspace:
    """The territorial airspace of every country in the 1:10m region (Natural Earth coast + 12 nmi)."""
    tiles, tile_codes = naturalearth.territorial_zone_tiles()
    cs = naturalearth.countries("10m")
    codes = tuple(c.code for c in cs)
    pos = {c: i for i, c in enumerate(codes)}
    return SovereignAirspace(codes=codes, names=tuple(c.name for c in cs), tiles=tiles,
                             tile_country=np.array([pos[c] for c in tile_codes], dtype=np.int64),
                             coast_lines=naturalearth.coastlines())


def read_zone_file(path) -> list[UserZone]:
    """Zones from a GeoJSON FeatureCollection (lon/lat, WGS84).

    Each feature's ``properties``: ``name``; ``kind`` = "baseline" | "territorial" | "zone" (default: "zone"
    for polygons, "baseline" for lines); ``country`` (name or code; needed for baselines and territorial
    zones). A baseline given as a Polygon also claims the area it encloses (internal waters).
    """
    p = Path(path)
    try:
        doc = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as GeoJSON: {exc}") from None
    feats = doc.get("features") if isinstance(doc, dict) and doc.get("type") == "FeatureCollection" else \
        [doc] if isinstance(doc, dict) and doc.get("type") == "Feature" else None
    if feats is None:
        raise DataError(f"{path}: expected a GeoJSON FeatureCollection or Feature")
    zones = []
    for k, f in enumerate(feats):
        props = f.get("properties") or {}
        try:
            geom = shapely.from_geojson(json.dumps(f.get("geometry")))
        except Exception as exc:  # shapely raises GEOSException with the reason
            raise DataError(f"{path}: feature {k}: geometry unreadable ({exc}); give GeoJSON in lon/lat") from None
        if geom is None or geom.is_empty:
            raise DataError(f"{path}: feature {k} has no geometry")
        x0, y0, x1, y1 = geom.bounds
        if not (-90 <= y0 <= y1 <= 90 and -180 <= x0 <= x1 <= 360):
            raise DataError(f"{path}: feature {k}: coordinates out of range; GeoJSON is [longitude, latitude]")
        is_line = geom.geom_type in ("LineString", "MultiLineString", "LinearRing")
        kind = str(props.get("kind", "baseline" if is_line else "zone")).lower()
        if kind not in ("baseline", "territorial", "zone"):
            raise DataError(f"{path}: feature {k}: kind = {kind!r}; use 'baseline', 'territorial' or 'zone'")
        if kind != "baseline" and is_line:
            raise DataError(f"{path}: feature {k}: a {kind} needs a Polygon geometry, not a line")
        country = props.get("country")
        if kind != "zone" and not country:
            raise DataError(f"{path}: feature {k}: a {kind} needs a 'country' property (name or code)")
        zones.append(UserZone(name=str(props.get("name", f"zone {k}")), kind=kind,
                              country=str(country) if country else None, geometry=shapely.make_valid(geom)))
    return zones
