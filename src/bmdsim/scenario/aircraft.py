"""Run step 6, airspace: each aircraft track against sovereign airspace and the points of interest
(:func:`bmdsim.airspace.check_track`), and its events as rows of ``airspace_events``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bmdsim.core.records import real, table, text
from bmdsim.errors import InputError
from bmdsim.scenario.flights import site_lookup
from bmdsim.scenario.schema import Scenario

__all__ = ["AircraftResult", "AirspaceEvent", "check_aircraft", "airspace_events"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AircraftResult:
    name: str
    t_s: np.ndarray          # seconds since the scenario epoch
    latitude_deg: np.ndarray
    longitude_deg: np.ndarray
    altitude_m: np.ndarray
    check: dict              # bmdsim.airspace.check_track output (JSON-ready)
    track: object = None     # the bmdsim.airspace Track as read (its own epoch)
    points_of_interest: tuple = ()


@table("airspace_events", "Aircraft track checks: violations, closest approaches, route score.")
@dataclass(frozen=True, slots=True, kw_only=True)
class AirspaceEvent:
    aircraft: str = text("aircraft name")
    event: str = text("violation | cpa | closest_to_coast | unusual_route | summary")
    subject: str | None = text("country, place, or route corridor")
    time_utc: str | None = text("ISO 8601 (UTC)")
    latitude_deg: float = real("")
    longitude_deg: float = real("")
    distance_km: float = real("distance (cpa, coast) or route score")
    depth_km: float = real("violation depth inside the 12-nmi limit")
    details_json: str = text("the check's details (JSON)")


def _f(x) -> float:
    return math.nan if x is None else float(x)


def airspace_events(a: AircraftResult) -> list[AirspaceEvent]:
    """The rows of ``airspace_events`` for one checked aircraft."""
    nan = math.nan
    c = a.check
    out = []
    for v in c["violations"]:
        out.append(AirspaceEvent(aircraft=a.name, event="violation", subject=v["country"], time_utc=v["entry_time"],
                                 latitude_deg=nan, longitude_deg=nan, distance_km=nan,
                                 depth_km=_f(v["max_depth_km"]), details_json=json.dumps(v)))
    for p in c["cpa"]:
        out.append(AirspaceEvent(aircraft=a.name, event="cpa", subject=p["poi"], time_utc=p["time"],
                                 latitude_deg=_f(p["latitude_deg"]), longitude_deg=_f(p["longitude_deg"]),
                                 distance_km=_f(p["distance_km"]), depth_km=nan, details_json=json.dumps(p)))
    for country, d in c["min_distance_to_coast_km"].items():
        cl = c["closest_to_coast"].get(country, {})
        out.append(AirspaceEvent(
            aircraft=a.name, event="closest_to_coast", subject=country, time_utc=cl.get("time"),
            latitude_deg=_f(cl.get("latitude_deg")), longitude_deg=_f(cl.get("longitude_deg")), distance_km=_f(d),
            depth_km=nan, details_json=json.dumps({"min_distance_to_territorial_airspace_km":
                                                   c["min_distance_to_territorial_airspace_km"].get(country)})))
    if "unusual_route" in c:
        u = c["unusual_route"]
        far = u.get("farthest", {})
        out.append(AirspaceEvent(aircraft=a.name, event="unusual_route", subject=u.get("reference"),
                                 time_utc=far.get("time"), latitude_deg=_f(far.get("latitude_deg")),
                                 longitude_deg=_f(far.get("longitude_deg")), distance_km=_f(u.get("score_km")),
                                 depth_km=nan, details_json=json.dumps(u, default=str)))
    out.append(AirspaceEvent(aircraft=a.name, event="summary", subject=None, time_utc=c["start_time"],
                             latitude_deg=nan, longitude_deg=nan, distance_km=nan, depth_km=nan,
                             details_json=json.dumps({"entered_territorial_airspace": c["entered_territorial_airspace"],
                                                      "end_time": c["end_time"], "warnings": c["warnings"]})))
    return out


def check_aircraft(scn: Scenario, base_dir: Path | None, progress) -> list[AircraftResult]:
    import bmdsim.airspace as air
    from bmdsim.airspace.tracks import bundled_track_path, read_tracks

    out = []
    resolve = site_lookup(scn)
    epoch = np.datetime64(scn.epoch_utc.replace(tzinfo=None), "ns")
    progress("airspace checks", 0, max(len(scn.aircraft), 1))
    for k, a in enumerate(scn.aircraft):
        if a.bundled:
            path = bundled_track_path(a.bundled)
        else:
            from bmdsim.scenario.load import resolve_path

            if base_dir is None:
                raise InputError(f"aircraft[{k}].file", a.file, "a bundled scenario may only use bundled tracks")
            path = resolve_path(base_dir, a.file)
        tracks = read_tracks(path).tracks
        if not tracks:
            raise InputError(f"aircraft[{k}]", str(path), "the file holds no usable track rows")
        trk = tracks[0]
        pois = []
        for p in a.points_of_interest:
            la, lo = resolve(f"aircraft[{k}].points_of_interest", p)
            pois.append(air.PointOfInterest(name=p, latitude_deg=la, longitude_deg=lo))
        check = air.check_track(trk, pois=pois, home_countries=tuple(a.home_countries),
                                corridor=air.reference_corridor() if a.compare_with_usual_routes else None)
        shift = (trk.epoch - epoch) / np.timedelta64(1, "s")
        out.append(AircraftResult(name=a.name, t_s=trk.t_s + float(shift), latitude_deg=trk.latitude_deg,
                                  longitude_deg=trk.longitude_deg, altitude_m=trk.altitude_m, check=check,
                                  track=trk, points_of_interest=tuple(pois)))
        progress("airspace checks", k + 1, max(len(scn.aircraft), 1))
    return out
