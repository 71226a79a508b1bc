"""Exports of a run for other tools: CZML (Cesium, written with ``czml3``), KML (Google Earth, with
``simplekml``) and GeoJSON (radar coverage, defended footprints, trajectories).

Coordinates: WGS84 longitude, latitude (degrees), height above the ellipsoid (m). Times in CZML are seconds from
the scenario epoch (the document clock runs from the epoch to the last event); KML carries no time.
"""

from __future__ import annotations

import dataclasses
import html
import json
from datetime import timedelta
from pathlib import Path

import numpy as np

from bmdsim.scenario.run import RunResult

__all__ = ["write_czml", "write_kml", "write_geojson", "COLORS"]

#: RGBA per kind of object, shared by all exports
COLORS = {"iran": (220, 50, 32, 255), "russia": (120, 60, 200, 255), "other": (230, 140, 0, 255),
          "sensor": (0, 114, 178, 255), "interceptor": (0, 158, 115, 255), "aircraft": (20, 20, 20, 255),
          "coverage": (0, 114, 178, 255)}


def threat_color(result: RunResult, name: str) -> tuple[int, int, int, int]:
    t = next(x for x in result.threats if x.name == name)
    if 24 <= t.launch_latitude_deg <= 40 and 44 <= t.launch_longitude_deg <= 64:
        return COLORS["iran"]
    if t.launch_latitude_deg > 45 and t.launch_longitude_deg > 28:
        return COLORS["russia"]
    return COLORS["other"]


def _threat_description(t) -> str:
    """The description of a threat flight, HTML-escaped: Google Earth and Cesium render descriptions as HTML, and
    the names in it come from the scenario file."""
    return html.escape(f"{t.missile} from {t.launch} to {t.target}: {t.range_km:,.0f} km, apogee "
                       f"{t.apogee_km:,.0f} km, {t.time_of_flight_s / 60:.1f} min")


def _site_points(result: RunResult):
    """(kind, name, lat, lon, alt, description) of every fixed object; descriptions HTML-escaped."""
    from bmdsim.flight import sites as fsites

    s = result.scenario
    local = {x.name: x for x in s.sites}
    out = []
    for si in result.sensors:
        if si.kind == "radar":
            out.append(("sensor", si.name, si.latitude_deg, si.longitude_deg, si.altitude_m,
                        html.escape(f"radar {si.catalog} ({si.label})")))
    for site in s.interceptor_sites:
        lat, lon = ((local[site.site].latitude_deg, local[site.site].longitude_deg) if site.site in local
                    else fsites.resolve("site", site.site))
        out.append(("interceptor", site.name, lat, lon, 0.0,
                    html.escape(f"{site.inventory} x {site.interceptor}; readiness {site.readiness.state}")))
    return out


def _iso(result: RunResult, t_s: float) -> str:
    return (result.scenario.epoch_utc + timedelta(seconds=float(t_s))).isoformat().replace("+00:00", "Z")


def write_czml(path: str | Path, result: RunResult) -> None:
    """A CZML document: a clock over the run, each threat as a moving point with its path, each aircraft, the
    sensors and interceptor sites, and the radar coverage boundaries."""
    from czml3 import Document, Packet
    from czml3.properties import (
        Clock,
        Color,
        Label,
        Point,
        Polyline,
        PolylineMaterial,
        Position,
        PositionList,
        SolidColorMaterial,
    )
    from czml3.properties import (
        Path as CzPath,
    )
    from czml3.types import TimeInterval

    s = result.scenario
    t_end = max([t.impact_t_s for t in result.threats if np.isfinite(t.impact_t_s)]
                + [float(a.t_s[-1]) for a in result.aircraft] + [60.0])
    t_start = min([0.0] + [float(a.t_s[0]) for a in result.aircraft])
    epoch = _iso(result, 0.0)
    packets = [Packet(id="document", name=f"bmdsim: {s.name}", version="1.0",
                      clock=Clock(interval=TimeInterval(start=_iso(result, t_start), end=_iso(result, t_end)),
                                  currentTime=_iso(result, t_start), multiplier=60))]

    def solid(rgba):
        return PolylineMaterial(solidColor=SolidColorMaterial(color=Color(rgba=list(rgba))))

    for t in result.threats:
        ts, la, lo, h = result.trajectories[t.name]
        samples = np.column_stack([ts, lo, la, h]).ravel().tolist()
        rgba = threat_color(result, t.name)
        packets.append(Packet(
            id=f"threat:{t.name}", name=t.name,
            description=_threat_description(t),
            availability=TimeInterval(start=_iso(result, ts[0]), end=_iso(result, ts[-1])),
            position=Position(epoch=epoch, cartographicDegrees=samples, interpolationAlgorithm="LAGRANGE",
                              interpolationDegree=3),
            point=Point(pixelSize=7, color=Color(rgba=list(rgba))),
            label=Label(text=t.name, font="11pt sans-serif", fillColor=Color(rgba=list(rgba))),
            path=CzPath(width=2, leadTime=0, trailTime=1e5, resolution=10, material=solid(rgba))))
    for a in result.aircraft:
        samples = np.column_stack([a.t_s, a.longitude_deg, a.latitude_deg,
                                   np.nan_to_num(a.altitude_m, nan=10_000.0)]).ravel().tolist()
        packets.append(Packet(
            id=f"aircraft:{a.name}", name=a.name,
            availability=TimeInterval(start=_iso(result, a.t_s[0]), end=_iso(result, a.t_s[-1])),
            position=Position(epoch=epoch, cartographicDegrees=samples),
            point=Point(pixelSize=6, color=Color(rgba=list(COLORS["aircraft"]))),
            label=Label(text=a.name, font="11pt sans-serif"),
            path=CzPath(width=2, leadTime=0, trailTime=1e6, material=solid(COLORS["aircraft"]))))
    for kind, name, lat, lon, alt, desc in _site_points(result):
        packets.append(Packet(id=f"{kind}:{name}", name=name, description=desc,
                              position=Position(cartographicDegrees=[lon, lat, alt]),
                              point=Point(pixelSize=10, color=Color(rgba=list(COLORS[kind]))),
                              label=Label(text=name, font="12pt sans-serif")))
    for r in result.coverage:
        pts = np.column_stack([np.append(r.longitude_deg, r.longitude_deg[0]),
                               np.append(r.latitude_deg, r.latitude_deg[0]),
                               np.full(r.latitude_deg.size + 1, r.altitude_km * 1e3)]).ravel().tolist()
        packets.append(Packet(id=f"coverage:{r.sensor}:{r.altitude_km:g}km",
                              name=f"{r.sensor} coverage at {r.altitude_km:g} km ({r.rcs_m2:g} m2)",
                              polyline=Polyline(positions=PositionList(cartographicDegrees=pts), width=1.5,
                                                material=solid(COLORS["coverage"]))))
    doc = json.loads(Document(packets=packets).model_dump_json(exclude_none=True))
    Path(path).write_text(json.dumps(doc + _czml_analysis_packets(result, t_end), indent=1, allow_nan=False),
                          encoding="utf-8")


def _samples(t_s, *columns) -> list[float]:
    """CZML samples ``[t, c1, c2, ..., t, ...]`` of the rows where every value is finite."""
    a = np.column_stack([np.asarray(t_s, float), *[np.asarray(c, float) for c in columns]])
    return a[np.isfinite(a).all(axis=1)].ravel().tolist()


def _czml_analysis_packets(result: RunResult, t_end: float) -> list[dict]:
    """The analysis layers of the CZML scene, as plain CZML packets: the defense's fused track of each threat
    with its predicted impact point (PIP) and the PIP's 1-sigma ellipse, the PIP each observer of a shared feed
    receives (its delayed view), the intercept points, the flown path of each engagement's first shot, the
    defended footprint cells, the aircraft's closest approaches, each radar's field of regard and the
    territorial airspace the aircraft checks involve."""
    epoch = _iso(result, 0.0)
    out: list[dict] = []

    def avail(t0, t1):
        return f"{_iso(result, t0)}/{_iso(result, t1)}"

    rgba = {"track": [255, 255, 255, 255], "observer": [200, 0, 200, 255],
            "intercept": list(COLORS["interceptor"]), "footprint": [0, 158, 115, 150], "airspace": [240, 0, 0, 255]}
    for name, tr in result.tracks.items():
        pos = _samples(tr.t_s, tr.longitude_deg, tr.latitude_deg, tr.altitude_m)
        if not pos:
            continue
        out.append({"id": f"track:{name}", "name": f"{name}: defense track",
                    "description": html.escape(f"the defense's fused radar track of {name} ({tr.t_s.size} updates)"),
                    "availability": avail(pos[0], pos[-4]),
                    "position": {"epoch": epoch, "cartographicDegrees": pos},
                    "point": {"pixelSize": 5, "color": {"rgba": rgba["track"]}},
                    "path": {"width": 1, "leadTime": 0, "trailTime": 1e5,
                             "material": {"solidColor": {"color": {"rgba": rgba["track"]}}}}})
        pip = _pip_packet(result, name, tr, t_end)
        if pip is not None:
            out.append(pip)
    for observer, feeds in result.feeds.items():
        for f in feeds:
            if f.pips is None or not len(f.pips.t_s):
                continue
            t = np.asarray(f.pips.t_s, float) + f.spec.latency_s
            pos = _samples(t, f.pips.pip.longitude_deg, f.pips.pip.latitude_deg, np.zeros(t.size))
            if not pos:
                continue
            out.append({"id": f"observer:{observer}:{f.object_id}", "name": f"{f.object_id}: PIP as {observer} sees it",
                        "description": html.escape(f"the predicted impact point of {f.object_id} that observer "
                                                   f"{observer} receives ({f.spec.text()}): "
                                                   f"{f.spec.latency_s:g} s late"),
                        "availability": avail(pos[0], t_end),
                        "position": {"epoch": epoch, "cartographicDegrees": pos},
                        "point": {"pixelSize": 6, "color": {"rgba": rgba["observer"]}}})
    for e in result.engagements or []:
        lat, lon, alt_km, t_i = (e.intercept_latitude_deg, e.intercept_longitude_deg, e.intercept_altitude_km,
                                 e.intercept_t_s)
        if not np.isfinite([lat, lon, alt_km, t_i]).all():
            continue
        key = f"{e.site}:{e.threat}:{e.shot}"
        desc = html.escape(f"{e.interceptor} from {e.site} at {e.threat}, shot {e.shot}: intercept at "
                           f"t = {t_i:,.0f} s, {alt_km:,.0f} km altitude")
        out.append({"id": f"intercept:{key}", "name": f"intercept {key}", "description": desc,
                    "availability": avail(t_i, t_end),
                    "position": {"cartographicDegrees": [lon, lat, alt_km * 1e3]},
                    "point": {"pixelSize": 9, "color": {"rgba": rgba["intercept"]},
                              "outlineColor": {"rgba": [255, 255, 255, 255]}, "outlineWidth": 2}})
    out += [_flyout_packet(result, f, t_end) for f in result.flyouts]
    for c in (result.footprint.cells if result.footprint else []):
        if not c.defended:
            continue
        out.append({"id": f"footprint:{c.site}:{c.variant}:{c.launch_site}:{c.latitude_deg:g}:{c.longitude_deg:g}",
                    "name": f"defended aimpoint {c.latitude_deg:g}, {c.longitude_deg:g}",
                    "description": html.escape(f"defended by {c.site} ({c.variant}) against launches from "
                                               f"{c.launch_site}: {c.shots} shot opportunities"),
                    "position": {"cartographicDegrees": [c.longitude_deg, c.latitude_deg, 0.0]},
                    "point": {"pixelSize": 6, "color": {"rgba": rgba["footprint"]}}})
    for ev in result.airspace:
        if ev.event != "cpa" or not np.isfinite([ev.latitude_deg, ev.longitude_deg]).all():
            continue
        out.append({"id": f"airspace:{ev.aircraft}:cpa:{ev.subject}", "name": f"{ev.aircraft}: closest to {ev.subject}",
                    "description": html.escape(f"closest approach of {ev.aircraft} to {ev.subject}: "
                                               f"{ev.distance_km:,.1f} km at {ev.time_utc}"),
                    "position": {"cartographicDegrees": [ev.longitude_deg, ev.latitude_deg, 0.0]},
                    "point": {"pixelSize": 7, "color": {"rgba": rgba["airspace"]}}})
    return out + _field_of_regard_packets(result) + _territorial_packets(result)


def _pip_packet(result: RunResult, name: str, tr, t_end: float) -> dict | None:
    """The defense's PIP of one threat as a moving point with its 1-sigma ellipse (the ``tracks`` table's
    semi-axes and orientation, sampled at each PIP update).

    Cesium's ellipse ``rotation`` is the angle of the semi-major axis counter-clockwise from east (its docs say
    "from north", but the code measures from the x axis: CesiumGS/cesium issue #8682; the browser test checks
    it on the vendored build); the table's ``pip_orientation_deg`` is the azimuth of the major axis clockwise
    from north, so rotation = 90 deg - azimuth. The azimuth is unwrapped (an ellipse is the same after 180 deg)
    so that Cesium's interpolation between updates turns the short way."""
    ok = (np.isfinite(tr.pip_latitude_deg) & np.isfinite(tr.pip_semi_major_km) & np.isfinite(tr.pip_semi_minor_km)
          & np.isfinite(tr.pip_orientation_deg))
    if not ok.any():
        return None
    epoch = _iso(result, 0.0)
    t = tr.t_s[ok]
    major_m = np.maximum(tr.pip_semi_major_km[ok], 0.05) * 1e3        # at least 50 m: a drawable ellipse
    minor_m = np.minimum(np.maximum(tr.pip_semi_minor_km[ok], 0.05) * 1e3, major_m)
    azimuth = np.unwrap(np.radians(tr.pip_orientation_deg[ok]), period=np.pi)
    colour = [255, 215, 0, 255]
    return {"id": f"track:{name}:pip", "name": f"{name}: defense PIP",
            "description": html.escape(f"the defense's predicted impact point of {name} with its 1-sigma ellipse"),
            "availability": f"{_iso(result, t[0])}/{_iso(result, t_end)}",
            "position": {"epoch": epoch, "cartographicDegrees": _samples(
                t, tr.pip_longitude_deg[ok], tr.pip_latitude_deg[ok], np.zeros(t.size))},
            "point": {"pixelSize": 6, "color": {"rgba": colour}},
            "ellipse": {"semiMajorAxis": {"epoch": epoch, "number": _samples(t, major_m)},
                        "semiMinorAxis": {"epoch": epoch, "number": _samples(t, minor_m)},
                        "rotation": {"epoch": epoch, "number": _samples(t, np.pi / 2 - azimuth)},
                        "fill": False, "outline": True, "outlineColor": {"rgba": colour}, "height": 0}}


def _flyout_packet(result: RunResult, f, t_end: float) -> dict:
    """One flown interceptor (:class:`~bmdsim.scenario.flyouts.Flyout`): a moving point with its path, from the
    launch to the intercept, and the path kept on the globe to the end."""
    epoch = _iso(result, 0.0)
    key = f"{f.site}:{f.threat}:{f.shot}"
    colour = list(COLORS["interceptor"])
    return {"id": f"interceptor_flight:{key}", "name": f"fly-out {key}",
            "description": html.escape(
                f"{f.interceptor} from {f.site} at {f.threat}, shot {f.shot}: launched t = {f.launch_t_s:,.1f} s, "
                f"azimuth {f.launch_azimuth_deg:.1f} deg, intercept t = {f.intercept_t_s:,.1f} s at "
                f"{f.intercept_altitude_km:,.0f} km altitude, {f.miss_m:,.0f} m from the threat (flown)"),
            "availability": f"{_iso(result, f.t_s[0])}/{_iso(result, t_end)}",
            "position": {"epoch": epoch, "cartographicDegrees": _samples(f.t_s, f.longitude_deg, f.latitude_deg,
                                                                          f.altitude_m),
                         "interpolationAlgorithm": "LAGRANGE", "interpolationDegree": 3},
            "point": {"pixelSize": 6, "color": {"rgba": colour}},
            "path": {"width": 2, "leadTime": 0, "trailTime": 1e5, "resolution": 5,
                     "material": {"solidColor": {"color": {"rgba": colour}}}}}


def _field_of_regard_packets(result: RunResult) -> list[dict]:
    """Each radar face's field of regard as a volume: the sector of a sphere of the instrumented range around
    the site, between the face's azimuth limits and the radar's minimum and the face's maximum elevation.

    CZML ``ellipsoid`` with clock and cone limits, in the site's east-north-up frame (Cesium's default
    orientation of an entity): the clock angle runs from east toward north (clock = 90 deg - azimuth), the cone
    angle from the zenith (cone = 90 deg - elevation). Range is the straight line from the site, as the radar
    model's ``max_range_m``; elevations are from the local horizontal."""
    out = []
    for si in result.sensors:
        if si.kind != "radar" or not si.fields_of_regard:
            continue
        r_m = si.max_range_km * 1e3
        for k, f in enumerate(si.fields_of_regard):
            half = np.radians(f["azimuth_half_width_deg"])
            centre = np.pi / 2 - np.radians(f["boresight_azimuth_deg"])
            lo = np.mod(centre - half, 2 * np.pi) if half < np.pi else 0.0
            out.append({
                "id": f"field_of_regard:{si.name}:{k}", "name": f"{si.name}: field of regard, face {k + 1}",
                "description": html.escape(
                    f"radar {si.name}, face {k + 1}: azimuth {f['boresight_azimuth_deg']:g} +- "
                    f"{f['azimuth_half_width_deg']:g} deg, elevation {si.min_elevation_deg:g} to "
                    f"{f['max_elevation_deg']:g} deg, range to {si.max_range_km:,.0f} km"),
                "properties": {"sensor": si.name, "face": k},
                "position": {"cartographicDegrees": [si.longitude_deg, si.latitude_deg, si.altitude_m]},
                "ellipsoid": {"radii": {"cartesian": [r_m, r_m, r_m]},
                              "minimumClock": float(lo), "maximumClock": float(lo + min(2 * half, 2 * np.pi)),
                              "minimumCone": float(np.pi / 2 - np.radians(f["max_elevation_deg"])),
                              "maximumCone": float(np.pi / 2 - np.radians(si.min_elevation_deg)),
                              "fill": True, "material": {"solidColor": {"color": {"rgba": [0, 114, 178, 20]}}},
                              "outline": True, "outlineColor": {"rgba": [0, 114, 178, 110]},
                              "stackPartitions": 2, "slicePartitions": 4, "subdivisions": 64}})
    return out


#: simplification of the drawn territorial airspace (degrees; 0.005 deg of latitude is 0.56 km): the drawn
#: boundary lies within about this of the polygons the airspace check tests (GEOS keeps a vertex up to some
#: 10 % beyond it; tests/test_web_scene.py checks 1.2 x)
TERRITORY_TOLERANCE_DEG = 0.005


def territorial_countries(result: RunResult) -> list[str]:
    """Codes of the countries whose territorial airspace the scenario's aircraft checks involve: every country
    entered, every country whose coast lies within the check's 500 km of a track (``min_distance_to_coast_km``)
    and the aircraft's home countries; sorted."""
    from bmdsim.airspace.sovereign import default_airspace

    air = default_airspace()
    codes = set()
    for a in result.aircraft:
        c = a.check
        codes |= {v["country_code"] for v in c["violations"]} | set(c.get("home_countries", []))
        codes |= {air.codes[air.index(name)] for name in c["min_distance_to_coast_km"]}
    return sorted(codes)


def _rings(poly) -> list[list[float]]:
    import shapely

    return [np.column_stack([np.round(c, 4), np.zeros(len(c))]).ravel().tolist()     # 4 decimals: 11 m
            for c in (shapely.get_coordinates(poly.exterior),
                      *(shapely.get_coordinates(h) for h in poly.interiors))]


def _territorial_packets(result: RunResult) -> list[dict]:
    """The territorial airspace (land and the 12-nmi sea) of :func:`territorial_countries`: one translucent
    polygon with an outline per part, simplified by :data:`TERRITORY_TOLERANCE_DEG`, height 0 (not clamped:
    no terrain). Only these countries: the whole 1:10m region would be some 60 countries more."""
    import shapely

    from bmdsim.airspace.sovereign import default_airspace

    air = default_airspace()
    out = []
    for code in territorial_countries(result):
        i = air.index(code)
        geom = shapely.simplify(air.territory(i), TERRITORY_TOLERANCE_DEG, preserve_topology=True)
        for k, part in enumerate(p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"):
            outer, *holes = _rings(part)
            poly = {"positions": {"cartographicDegrees": outer}, "height": 0, "fill": True,
                    "material": {"solidColor": {"color": {"rgba": [240, 0, 0, 36]}}}, "outline": True,
                    "outlineColor": {"rgba": [240, 0, 0, 200]}}
            if holes:
                poly["holes"] = {"cartographicDegrees": holes}
            out.append({"id": f"territorial:{code}:{k}", "name": f"{air.names[i]}: territorial airspace",
                        "description": html.escape(f"territorial airspace of {air.names[i]} ({code}): land and the "
                                                   "sea within 12 nmi of its coast, as the airspace check tests it"),
                        "properties": {"country": air.names[i], "code": code}, "polygon": poly})
    return out


def _kml_color(rgba) -> str:
    r, g, b, a = rgba
    return f"{a:02x}{b:02x}{g:02x}{r:02x}"


def write_kml(path: str | Path, result: RunResult) -> None:
    """A KML file: folders for threats (3-D lines, absolute altitude), aircraft, sites and radar coverage."""
    import simplekml

    s = result.scenario
    kml = simplekml.Kml(name=f"bmdsim: {s.name}")
    f_thr = kml.newfolder(name="Threat trajectories")
    for t in result.threats:
        ts, la, lo, h = result.trajectories[t.name]
        ls = f_thr.newlinestring(name=t.name, coords=list(zip(lo.tolist(), la.tolist(), h.tolist(), strict=True)))
        ls.altitudemode = simplekml.AltitudeMode.absolute
        ls.description = _threat_description(t)
        ls.style.linestyle.color = _kml_color(threat_color(result, t.name))
        ls.style.linestyle.width = 2
        p = f_thr.newpoint(name=f"{t.name} impact", coords=[(t.impact_longitude_deg, t.impact_latitude_deg)])
        p.style.iconstyle.scale = 0.6
    f_air = kml.newfolder(name="Aircraft")
    for a in result.aircraft:
        ls = f_air.newlinestring(name=a.name, coords=list(zip(a.longitude_deg.tolist(), a.latitude_deg.tolist(),
                                                              strict=True)))
        ls.style.linestyle.color = _kml_color(COLORS["aircraft"])
        ls.style.linestyle.width = 2
        for c in a.check.get("cpa", []):
            f_air.newpoint(name=f"closest to {c['poi']}: {c['distance_km']:.0f} km",
                           coords=[(c["longitude_deg"], c["latitude_deg"])], description=html.escape(str(c["time"])))
    f_site = kml.newfolder(name="Sensors and interceptor sites")
    for kind, name, lat, lon, _alt, desc in _site_points(result):
        p = f_site.newpoint(name=name, coords=[(lon, lat)], description=desc)
        p.style.iconstyle.color = _kml_color(COLORS[kind])
    f_cov = kml.newfolder(name="Radar coverage")
    for r in result.coverage:
        ring = list(zip(np.append(r.longitude_deg, r.longitude_deg[0]).tolist(),
                        np.append(r.latitude_deg, r.latitude_deg[0]).tolist(), strict=True))
        ls = f_cov.newlinestring(name=f"{r.sensor} at {r.altitude_km:g} km", coords=ring)
        ls.description = html.escape(f"{r.rcs_m2:g} m2 target at {r.altitude_km:g} km; area {r.area_km2:,.0f} km2")
        ls.style.linestyle.color = _kml_color(COLORS["coverage"])
    Path(path).write_text(kml.kml(), encoding="utf-8")


def _ring(lat, lon) -> list[list[float]]:
    lon = np.degrees(np.unwrap(np.radians(np.asarray(lon, float))))
    pts = [[round(float(x), 5), round(float(y), 5)] for x, y in zip(lon, lat, strict=True)]
    return pts + pts[:1]


def write_geojson(out_dir: str | Path, result: RunResult) -> list[str]:
    """``coverage.geojson`` (radar coverage polygons), ``footprints.geojson`` (defended footprint cells; empty
    with a note until that analysis is available) and ``trajectories.geojson`` (ground tracks). Returns the
    file names written."""
    out_dir = Path(out_dir)
    cov = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [_ring(r.latitude_deg, r.longitude_deg)]},
         "properties": {"sensor": r.sensor, "altitude_km": r.altitude_km, "rcs_m2": r.rcs_m2,
                        "area_km2": round(r.area_km2, 1)}} for r in result.coverage]}
    cells = [dataclasses.asdict(c) for c in (result.footprint.cells if result.footprint else [])]
    fp = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [c["longitude_deg"], c["latitude_deg"]]},
         "properties": {k: v for k, v in c.items() if k not in ("latitude_deg", "longitude_deg")}} for c in cells]}
    if "footprint" in result.unavailable:
        fp["bmdsim_note"] = result.unavailable["footprint"]
    trj = {"type": "FeatureCollection", "features": []}
    for t in result.threats:
        _, la, lo, _h = result.trajectories[t.name]
        trj["features"].append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [
            [round(float(x), 5), round(float(y), 5)] for x, y in zip(np.degrees(np.unwrap(np.radians(lo))), la,
                                                                     strict=True)]},
            "properties": {"kind": "threat", "name": t.name, "missile": t.missile, "range_km": round(t.range_km, 1)}})
    for a in result.aircraft:
        trj["features"].append({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [
            [round(float(x), 5), round(float(y), 5)] for x, y in zip(a.longitude_deg, a.latitude_deg, strict=True)]},
            "properties": {"kind": "aircraft", "name": a.name}})
    names = []
    for name, obj in (("coverage.geojson", cov), ("footprints.geojson", fp), ("trajectories.geojson", trj)):
        (out_dir / name).write_text(json.dumps(obj, allow_nan=False), encoding="utf-8")
        names.append(name)
    return names
