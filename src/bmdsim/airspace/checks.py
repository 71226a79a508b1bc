"""Checks of aircraft tracks against sovereign airspace, coasts, points of interest and usual routes.

:func:`check_track` is the one entry point for a caller (the CLI, the scenario runner): a :class:`Track` in,
a plain ``dict`` out (JSON-ready; distances in km, times as UTC ISO text). Method:

1. the track is densified along its geodesics to <= 500 m steps (:func:`bmdsim.airspace.tracks.densify`);
2. every point is classified at once (:meth:`SovereignAirspace.country_at`); each change of country between two
   points is located by bisection along the geodesic segment to < 1 m (time to ~ 5 ms at 250 m/s);
3. a violation's depth is how far inside the 12-nmi limit the track went: 22.224 km minus the least distance to
   that country's coast (at sea), or 22.224 km plus the distance from the coast (over land);
4. distances to coasts: estimated for all points from the k-d trees, exact (geodesic) at the minimum;
5. closest point of approach (CPA) to each point of interest: geodesic distances from all points, refined on a
   2.5 m grid around the minimum;
6. the unusual-route score: the greatest distance (km) of the track from the corridor of reference tracks
   (:func:`route_score`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.spatial import cKDTree

from bmdsim.core.geodesy import inverse

from .geo import chord_to_arc_m, ecef_m
from .naturalearth import REGION_10M
from .sovereign import TERRITORIAL_SEA_M, SovereignAirspace, default_airspace
from .tracks import Track, densify, position_at

__all__ = ["PointOfInterest", "check_track", "check_tracks", "route_score", "RouteCorridor",
           "NEARBY_M", "STEP_M"]

NEARBY_M = 500_000.0   #: countries within this distance get a min_distance_to_coast_km entry
STEP_M = 500.0         #: densification step along the track


@dataclass(frozen=True, slots=True, kw_only=True)
class PointOfInterest:
    """A named place, degrees."""

    name: str
    latitude_deg: float
    longitude_deg: float


class RouteCorridor:
    """The corridor of a set of reference tracks: their points every <= 5 km in a k-d tree (ECEF).

    :meth:`distance_m` gives, for each point, the distance to the nearest reference point (sphere, within
    0.5 % + 2.5 km of the geodesic distance to the nearest reference track).
    """

    def __init__(self, references: list[Track] | tuple[Track, ...], *, name: str = "reference tracks"):
        self.name = name
        self.n_tracks = len(references)
        pts = [densify(r, 5000.0) for r in references]
        lat = np.concatenate([p.latitude_deg for p in pts])
        lon = np.concatenate([p.longitude_deg for p in pts])
        self.tree = cKDTree(ecef_m(lat, lon))

    def distance_m(self, latitude_deg, longitude_deg) -> np.ndarray:
        d, _ = self.tree.query(ecef_m(latitude_deg, longitude_deg))
        return chord_to_arc_m(d)


def route_score(track: Track, corridor: RouteCorridor) -> dict:
    """Unusual-route score: how far (km) the track strays from the reference corridor.

    ``score_km`` = the greatest distance of any track point from the nearest reference track;
    ``median_km`` = the median of those distances; ``farthest`` = where and when the greatest one occurs.
    A track that follows a usual route scores a few tens of km; 0 means on a reference track.
    """
    d = densify(track, 5000.0)
    dist = corridor.distance_m(d.latitude_deg, d.longitude_deg)
    k = int(np.argmax(dist))
    return {"score_km": float(dist[k]) / 1000.0, "median_km": float(np.median(dist)) / 1000.0,
            "reference": corridor.name, "reference_tracks": corridor.n_tracks,
            "farthest": {"time": d.iso(d.t_s[k]), "latitude_deg": float(d.latitude_deg[k]),
                         "longitude_deg": float(d.longitude_deg[k])}}


def _bisect_crossings(track: Track, airspace: SovereignAirspace, i0: np.ndarray, home: set[int],
                      iterations: int = 20) -> np.ndarray:
    """Times (s) where the state changes between points ``i0`` and ``i0 + 1``, by bisection, vectorised."""
    lo, hi = track.t_s[i0].copy(), track.t_s[i0 + 1].copy()
    start_state = _states(airspace, track.latitude_deg[i0], track.longitude_deg[i0], home)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        lat, lon = position_at(track, mid)
        same = _states(airspace, lat, lon, home) == start_state
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    return 0.5 * (lo + hi)


def _states(airspace: SovereignAirspace, lat, lon, home: set[int]) -> np.ndarray:
    s = airspace.country_at(lat, lon)
    if home:
        s = np.where(np.isin(s, list(home)), -1, s)
    return s


def _depth_m(airspace: SovereignAirspace, c: int, lat: np.ndarray, lon: np.ndarray) -> float:
    """Greatest depth (m) inside country ``c``'s 12-nmi limit among the points (see module docstring)."""
    if airspace.coast(c).tree is None:        # user zone without coast, or landlocked country
        return float("nan")
    est = airspace.distance_to_coast_estimate_m(c, lat, lon)
    land = airspace.is_land(c, lat, lon)
    depth = np.where(land, TERRITORIAL_SEA_M + est, TERRITORIAL_SEA_M - est)
    k = int(np.argmax(depth))
    exact = airspace.distance_to_coast_m(c, float(lat[k]), float(lon[k]))
    return float(TERRITORIAL_SEA_M + exact if land[k] else TERRITORIAL_SEA_M - exact)


def _cpa(track: Track, poi: PointOfInterest) -> dict:
    d, _ = inverse(track.latitude_deg, track.longitude_deg, poi.latitude_deg, poi.longitude_deg)
    k = int(np.argmin(d))
    lo, hi = track.t_s[max(k - 1, 0)], track.t_s[min(k + 1, track.n - 1)]
    if hi > lo:
        t = np.linspace(lo, hi, 401)
        lat, lon = position_at(track, t)
        dd, _ = inverse(lat, lon, poi.latitude_deg, poi.longitude_deg)
        j = int(np.argmin(dd))
        t_best, d_best, lat_b, lon_b = t[j], dd[j], lat[j], lon[j]
    else:
        t_best, d_best, lat_b, lon_b = track.t_s[k], d[k], track.latitude_deg[k], track.longitude_deg[k]
    return {"poi": poi.name, "distance_km": float(d_best) / 1000.0, "time": track.iso(t_best),
            "latitude_deg": float(lat_b), "longitude_deg": float(lon_b)}


def check_track(track: Track, *, airspace: SovereignAirspace | None = None,
                pois: list[PointOfInterest] | tuple[PointOfInterest, ...] = (),
                corridor: RouteCorridor | None = None, home_countries: tuple[str, ...] = ()) -> dict:
    """All checks on one track, as a JSON-ready dict.

    Keys: ``id``, ``points`` (as given), ``start_time``, ``end_time``, ``entered_territorial_airspace``,
    ``violations`` (``{country, country_code, entry_time, exit_time, max_depth_km}``; ``entry_time`` is None if
    the track starts inside, ``exit_time`` None if it ends inside), ``min_distance_to_coast_km`` and
    ``min_distance_to_territorial_airspace_km`` (country name -> km, countries whose coast is within 500 km),
    ``closest_to_coast`` (per country: time and point of the minimum), ``cpa`` (``{poi, distance_km, time,
    latitude_deg, longitude_deg}``), ``zones`` (entries into user zones), ``unusual_route`` (if ``corridor``),
    and ``warnings``.

    ``home_countries`` (codes or names): airspace of these is not counted as a violation (the aircraft's own).
    """
    airspace = airspace or default_airspace()
    home = {airspace.index(h) for h in home_countries}
    d = densify(track, STEP_M)
    lat, lon = d.latitude_deg, d.longitude_deg
    warnings = []
    x0, y0, x1, y1 = REGION_10M
    outside = (lon < x0) | (lon > x1) | (lat < y0) | (lat > y1)
    if outside.any():
        warnings.append(f"{int(outside.sum())} of {d.n} interpolated points lie outside the region with "
                        "shipped territorial airspace (lon -40..60, lat 33..83); no airspace is known there "
                        "unless given with --zones")

    # 1. territorial airspace: runs of the same state, crossings by bisection
    state = _states(airspace, lat, lon, home)
    change = np.flatnonzero(state[1:] != state[:-1])
    t_cross = _bisect_crossings(d, airspace, change, home) if change.size else np.zeros(0)
    bounds = np.concatenate([[0], change + 1, [d.n]])
    violations = []
    for r in range(bounds.size - 1):
        a, b = bounds[r], bounds[r + 1]
        c = int(state[a])
        if c < 0:
            continue
        violations.append({
            "country": airspace.names[c], "country_code": airspace.codes[c],
            "entry_time": d.iso(t_cross[r - 1]) if r > 0 else None,
            "exit_time": d.iso(t_cross[r]) if r < bounds.size - 2 else None,
            "max_depth_km": _depth_m(airspace, c, lat[a:b], lon[a:b]) / 1000.0,
        })

    # 2. distance to each nearby country's coast and territorial airspace
    min_coast, min_terr, closest = {}, {}, {}
    for c in airspace.candidates_near(lat, lon, NEARBY_M):
        if airspace.coast(c).tree is None:
            continue
        est = airspace.distance_to_coast_estimate_m(c, lat, lon, upper_m=NEARBY_M * 1.05)
        k = int(np.argmin(est))
        if not np.isfinite(est[k]):
            continue
        ks = range(max(k - 2, 0), min(k + 3, d.n))
        exact = [(airspace.distance_to_coast_m(c, float(lat[j]), float(lon[j])), j) for j in ks]
        dist, j = min(exact)
        if dist > NEARBY_M:
            continue
        name = airspace.names[c]
        min_coast[name] = dist / 1000.0
        min_terr[name] = max(dist - TERRITORIAL_SEA_M, 0.0) / 1000.0
        closest[name] = {"time": d.iso(d.t_s[j]), "latitude_deg": float(lat[j]), "longitude_deg": float(lon[j])}

    # 3. other user zones (FIRs, exercise areas): entered or not, first entry and last exit time
    zones = []
    for z in airspace.other_zones:
        inside = shapely.contains_xy(z.geometry, lon, lat)
        if inside.any():
            idx = np.flatnonzero(inside)
            zones.append({"zone": z.name, "first_inside_time": d.iso(d.t_s[idx[0]]),
                          "last_inside_time": d.iso(d.t_s[idx[-1]]), "points_inside": int(idx.size)})

    out = {
        "id": track.id, "points": track.n, "start_time": track.iso(track.t_s[0]),
        "end_time": track.iso(track.t_s[-1]),
        "entered_territorial_airspace": bool(violations), "violations": violations,
        "min_distance_to_coast_km": dict(sorted(min_coast.items(), key=lambda kv: kv[1])),
        "min_distance_to_territorial_airspace_km": dict(sorted(min_terr.items(), key=lambda kv: kv[1])),
        "closest_to_coast": closest,
        "cpa": [_cpa(d, p) for p in pois],
        "zones": zones,
        "home_countries": sorted(airspace.codes[h] for h in home),
        "warnings": warnings,
    }
    if corridor is not None:
        out["unusual_route"] = route_score(track, corridor)
    return out


def check_tracks(tracks, **kwargs) -> list[dict]:
    """:func:`check_track` for each track (same keyword arguments)."""
    return [check_track(t, **kwargs) for t in tracks]
