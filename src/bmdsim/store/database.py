"""The results database of a run: one DuckDB file, ``results.duckdb``, with documented tables.

:data:`TABLES` is the one description of every table (columns, SQL types, meaning); :func:`write_database`
creates them all (empty ones too, so queries never fail on a missing table) and fills them from a
:class:`~bmdsim.scenario.run.RunResult`. ``docs/database.md`` is generated from :data:`TABLES`
(:func:`markdown`).

Rows are written in a fixed order, and nothing but the ``run`` table's ``started_utc``/``finished_utc`` and
``timings_json`` depends on the clock: the same scenario and seed give the same contents.

Query it with any DuckDB client, e.g. ``duckdb results.duckdb "SELECT * FROM outcomes"`` or from Python:
``duckdb.connect("results.duckdb", read_only=True).sql("SELECT ...").df()``.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from bmdsim.scenario.run import RunResult

__all__ = ["TABLES", "write_database", "markdown", "rows"]

# table -> (meaning, [(column, SQL type, meaning), ...])
TABLES: dict[str, tuple[str, list[tuple[str, str, str]]]] = {
    "run": ("One row: the run and its provenance.", [
        ("bmdsim_version", "VARCHAR", "version of bmdsim that ran it"),
        ("python_version", "VARCHAR", "Python version"),
        ("scenario_name", "VARCHAR", "the scenario's name"),
        ("scenario_source", "VARCHAR", "file path, or bundled:NAME"),
        ("scenario_sha256", "VARCHAR", "SHA-256 of the scenario file's bytes"),
        ("scenario_text", "VARCHAR", "the scenario file, verbatim"),
        ("schema_version", "INTEGER", "scenario schema version"),
        ("epoch_utc", "VARCHAR", "scenario epoch (UTC, ISO 8601); every t_s counts from it"),
        ("seed", "BIGINT", "random seed used (after any --seed override)"),
        ("started_utc", "VARCHAR", "wall-clock start of the run (UTC)"),
        ("finished_utc", "VARCHAR", "wall-clock end of the run (UTC)"),
        ("timings_json", "VARCHAR", "seconds spent per step (JSON)"),
    ]),
    "objects": ("Every object of the scenario: threats, sensors, interceptor sites, aircraft.", [
        ("object_id", "VARCHAR", "unique name, e.g. threat:iran-berlin, sensor:brdy"),
        ("kind", "VARCHAR", "threat | sensor | interceptor_site | aircraft"),
        ("name", "VARCHAR", "name in the scenario"),
        ("catalog", "VARCHAR", "catalog entry it comes from (missile, radar, interceptor variant)"),
        ("latitude_deg", "DOUBLE", "launch point / site (WGS84); NULL for satellites"),
        ("longitude_deg", "DOUBLE", "launch point / site (WGS84)"),
        ("altitude_m", "DOUBLE", "site altitude above the ellipsoid (m)"),
        ("label", "VARCHAR", "source label: PRIMARY, REPORTED, SECONDARY, NOTIONAL, SCENARIO"),
        ("source", "VARCHAR", "where the parameters come from"),
        ("details_json", "VARCHAR", "kind-specific details (JSON)"),
    ]),
    "threat_flights": ("One row per raid: the flown trajectory's key numbers.", [
        ("threat", "VARCHAR", "raid name"), ("missile", "VARCHAR", "catalog missile"),
        ("launch", "VARCHAR", "launch site"), ("target", "VARCHAR", "target"),
        ("profile", "VARCHAR", "minimum-energy | lofted | depressed | maximum-range"),
        ("count", "INTEGER", "missiles in the raid (one truth: they fly the same path)"),
        ("decoys", "INTEGER", "decoys per missile"), ("rcs_m2", "DOUBLE", "warhead radar cross-section (m^2)"),
        ("launch_time_s", "DOUBLE", "s since the epoch"), ("impact_time_s", "DOUBLE", "s since the epoch"),
        ("time_of_flight_s", "DOUBLE", "s"), ("range_km", "DOUBLE", "ground range launch to impact (km)"),
        ("apogee_km", "DOUBLE", "km above the ellipsoid"),
        ("burnout_speed_mps", "DOUBLE", "Earth-relative speed at burnout (m/s)"),
        ("burnout_time_s", "DOUBLE", "s after launch"),
        ("impact_latitude_deg", "DOUBLE", ""), ("impact_longitude_deg", "DOUBLE", ""),
        ("miss_m", "DOUBLE", "impact to target (m): targeting accuracy"),
        ("is_icbm", "BOOLEAN", "range of 5,500 km or more"),
    ]),
    "trajectories": ("Threat and aircraft positions over time (threats every trajectory_step_s, ending at impact).", [
        ("object_id", "VARCHAR", "threat:NAME or aircraft:NAME"), ("k", "INTEGER", "sample index"),
        ("t_s", "DOUBLE", "s since the epoch"), ("latitude_deg", "DOUBLE", ""), ("longitude_deg", "DOUBLE", ""),
        ("altitude_m", "DOUBLE", "above the WGS84 ellipsoid"),
    ]),
    "sensor_detections": ("What each sensor made of each threat (NULL: never happened).", [
        ("threat", "VARCHAR", ""), ("sensor", "VARCHAR", ""), ("kind", "VARCHAR", "radar | infrared"),
        ("t_first_visible_s", "DOUBLE", "first time in view (horizon, field of regard, range)"),
        ("t_cue_s", "DOUBLE", "when a cue reached a radar that needs one"),
        ("t_first_detection_s", "DOUBLE", "first detection"),
        ("t_track_s", "DOUBLE", "track confirmed (M of N)"),
        ("t_report_s", "DOUBLE", "report available to others (after latency)"),
        ("looks", "INTEGER", "dwells on the object"), ("hits", "INTEGER", "detections"),
    ]),
    "detections": ("Every measurement (a detection that gave a report), per threat and sensor.", [
        ("threat", "VARCHAR", ""), ("sensor", "VARCHAR", ""), ("t_s", "DOUBLE", "s since the epoch"),
        ("range_m", "DOUBLE", "NULL for infrared"), ("azimuth_deg", "DOUBLE", "clockwise from true north"),
        ("elevation_deg", "DOUBLE", "above the local horizontal"), ("range_rate_mps", "DOUBLE", "positive opening"),
        ("sigma_range_m", "DOUBLE", "1-sigma"), ("sigma_angle_mrad", "DOUBLE", "1-sigma"),
        ("snr_db", "DOUBLE", "signal-to-noise ratio of the look"),
    ]),
    "tracks": ("The fused radar track of each threat (radar reports after burnout: the filter has no thrust model) "
               "after every update, with predicted impact points.", [
        ("threat", "VARCHAR", ""), ("k", "INTEGER", "update index"), ("t_s", "DOUBLE", "s since the epoch"),
        ("sensor", "VARCHAR", "radar of this update"), ("latitude_deg", "DOUBLE", "estimated position"),
        ("longitude_deg", "DOUBLE", ""), ("altitude_m", "DOUBLE", ""),
        ("position_sigma_m", "DOUBLE", "root of the trace of the position covariance (m)"),
        ("pip_latitude_deg", "DOUBLE", "predicted impact point (updates at least 10 s apart and the last; NULL "
         "between)"),
        ("pip_longitude_deg", "DOUBLE", ""), ("pip_semi_major_km", "DOUBLE", "1-sigma ellipse semi-major axis"),
        ("pip_error_km", "DOUBLE", "distance PIP to the true impact point (km)"),
    ]),
    "coverage": ("Radar footprints: where a target of rcs_m2 at altitude_km is detected.", [
        ("sensor", "VARCHAR", ""), ("altitude_km", "DOUBLE", ""), ("rcs_m2", "DOUBLE", ""),
        ("area_km2", "DOUBLE", "covered area on the ellipsoid"),
        ("boundary_wkt", "VARCHAR", "outer boundary as a WKT polygon (lon lat)"),
    ]),
    "unseen": ("How far each threat flies before any radar could detect it (capability, not draws).", [
        ("threat", "VARCHAR", ""), ("radar", "VARCHAR", "first radar able to detect it"),
        ("t_first_seen_s", "DOUBLE", ""), ("unseen_ground_range_km", "DOUBLE", "from the launch point"),
        ("total_ground_range_km", "DOUBLE", ""), ("first_seen_altitude_km", "DOUBLE", ""),
    ]),
    "decision_times": ("Warning and decision time per threat and interceptor site.", [
        ("threat", "VARCHAR", ""), ("site", "VARCHAR", "interceptor site (NULL if none)"),
        ("readiness", "VARCHAR", "on-alert | delayed"), ("active_from_s", "DOUBLE", "s since the epoch"),
        ("launch_time_s", "DOUBLE", ""), ("impact_time_s", "DOUBLE", ""),
        ("t_first_report_s", "DOUBLE", "first report of the launch by any sensor"),
        ("t_first_radar_track_s", "DOUBLE", "first confirmed radar track"),
        ("warning_time_s", "DOUBLE", "impact minus first report"),
        ("radar_track_to_impact_s", "DOUBLE", "impact minus first radar track"),
        ("decision_window_s", "DOUBLE", "impact minus max(first radar track, site active)"),
        ("lost_to_activation_s", "DOUBLE", "part of the window lost because the site was not yet active"),
    ]),
    "shared_feed": ("What each observer learns from its shared radar feed, per threat, next to the defense "
                    "(bmdsim.sensing.feed.share, bmdsim.analysis.sharing.observer_view). The messages themselves are "
                    "in feed-OBSERVER.jsonl.", [
        ("observer", "VARCHAR", ""), ("threat", "VARCHAR", ""),
        ("feedspec", "VARCHAR", "the feed as a FEEDSPEC string (bmdsim track --share grammar)"),
        ("content", "VARCHAR", "what is shared: detections, tracks, pips"),
        ("feed_from", "VARCHAR", "radars shared (their detections, and the track fused from their reports)"),
        ("latency_s", "DOUBLE", "validity to reception (s)"),
        ("interval_s", "DOUBLE", "at most one message per stream per interval (s); 0 = all"),
        ("noise_m", "DOUBLE", "added 1-sigma error on shared positions (m)"),
        ("noise_mps", "DOUBLE", "added 1-sigma error on shared track velocities (m/s)"),
        ("blank_regions", "INTEGER", "regions held back"),
        ("source", "VARCHAR", "what the observer's PIPs come from: pips | tracks | detections | none"),
        ("detection_messages", "INTEGER", "detections received"), ("track_messages", "INTEGER", "track states"),
        ("pip_messages", "INTEGER", "predicted impact points received"),
        ("removed_by_blanking", "INTEGER", "messages the blanked regions held back"),
        ("t_first_received_s", "DOUBLE", "first message reaching the observer (s since the epoch)"),
        ("first_received_after_launch_s", "DOUBLE", "the same, s after the threat's launch"),
        ("defense_final_pip_error_km", "DOUBLE", "the defense's last PIP error (km)"),
        ("observer_final_pip_error_km", "DOUBLE", "the observer's last PIP error (km)"),
        ("defense_stays_within_100_km_t_s", "DOUBLE", "from when the defense's PIP stays within 100 km of the "
         "true impact (s since the epoch)"),
        ("observer_stays_within_100_km_t_s", "DOUBLE", "the same for the observer (reception time)"),
        ("observer_delay_100_km_s", "DOUBLE", "observer minus defense (s)"),
        ("defense_stays_within_10_km_t_s", "DOUBLE", "... within 10 km"),
        ("observer_stays_within_10_km_t_s", "DOUBLE", ""), ("observer_delay_10_km_s", "DOUBLE", ""),
        ("defense_stays_within_1_km_t_s", "DOUBLE", "... within 1 km (NULL where the PIP's vacuum bias alone "
         "exceeds 1 km, as for several ICBMs)"),
        ("observer_stays_within_1_km_t_s", "DOUBLE", ""), ("observer_delay_1_km_s", "DOUBLE", ""),
        ("reveals_impact_area", "BOOLEAN", "the observer's PIP comes within 10 km and stays there before impact"),
    ]),
    "shared_feed_sensors": ("Per observer, threat and shared radar: the radar as the observer sees it.", [
        ("observer", "VARCHAR", ""), ("threat", "VARCHAR", ""), ("sensor", "VARCHAR", "radar"),
        ("messages", "INTEGER", "messages naming this radar"),
        ("first_received_t_s", "DOUBLE", "reception of its first message"),
        ("track_established_t_s", "DOUBLE", "reception of its first message valid at or after the defense "
         "established its track with it"),
        ("unseen_ground_range_km", "DOUBLE", "ground range from launch at the validity of its first message: "
         "the part of the flight the feed never shows from it"),
    ]),
    "shared_feed_pips": ("The observer's predicted impact points over time, per observer and threat.", [
        ("observer", "VARCHAR", ""), ("threat", "VARCHAR", ""), ("k", "INTEGER", "index"),
        ("t_s", "DOUBLE", "validity (s since the epoch)"), ("t_received_s", "DOUBLE", "reception"),
        ("pip_error_km", "DOUBLE", "distance to the true impact point (km)"),
        ("pip_sigma_km", "DOUBLE", "1-sigma semi-major axis of its ellipse (km)"),
    ]),
    "engagements": ("Interceptor shot opportunities per threat (shoot-look-shoot), from the site's fire control.", [
        ("engagement_id", "INTEGER", ""), ("site", "VARCHAR", ""), ("interceptor", "VARCHAR", "variant"),
        ("threat", "VARCHAR", ""), ("shot", "INTEGER", "1 = first opportunity at this threat"),
        ("t_launch_s", "DOUBLE", "earliest interceptor launch (first shot)"),
        ("t_intercept_s", "DOUBLE", "earliest intercept of this opportunity"),
        ("intercept_latitude_deg", "DOUBLE", "threat position at the first intercept (trajectory sample)"),
        ("intercept_longitude_deg", "DOUBLE", ""), ("intercept_altitude_km", "DOUBLE", ""),
        ("closing_speed_mps", "DOUBLE", "NULL: not computed here (see bmdsim chase)"),
        ("kill", "BOOLEAN", "NULL: kills are drawn per warhead in the battle Monte Carlo (outcomes)"),
    ]),
    "outcomes": ("Per threat and site: the outcome of one seeded realisation, and the Monte Carlo kill probability.", [
        ("threat", "VARCHAR", ""), ("site", "VARCHAR", ""),
        ("outcome", "VARCHAR", "intercepted | leaked | not-engaged (realisation 0 of the battle Monte Carlo)"),
        ("shots", "INTEGER", "shot opportunities"),
        ("shots_on_alert", "INTEGER", "opportunities had the site been on alert"),
        ("warheads", "INTEGER", "missiles in the raid"),
        ("killed_in_realisation", "INTEGER", "warheads killed in realisation 0"),
        ("p_kill", "DOUBLE", "kill probability per warhead over the Monte Carlo trials"),
        ("reason", "VARCHAR", ""), ("commit_source", "VARCHAR", "how the commit time was set"),
    ]),
    "battle": ("Per interceptor site: the battle manager's Monte Carlo over the whole raid.", [
        ("site", "VARCHAR", ""), ("interceptor", "VARCHAR", ""), ("inventory", "INTEGER", ""),
        ("doctrine", "VARCHAR", ""), ("pssk", "DOUBLE", "single-shot kill probability"),
        ("active_from_s", "DOUBLE", "site active from (s since the epoch)"), ("trials", "INTEGER", ""),
        ("warheads", "INTEGER", ""), ("decoys", "INTEGER", ""), ("leakers_mean", "DOUBLE", "expected leakers"),
        ("leakers_se", "DOUBLE", "standard error"), ("p_no_leak", "DOUBLE", "probability that no warhead leaks"),
        ("interceptors_fired_mean", "DOUBLE", ""),
    ]),
    "footprint_cells": ("Defended-footprint grid cells: per interceptor variant and launch area, can the missile "
                        "reach the cell and can the site engage it.", [
        ("analysis", "VARCHAR", "footprint"), ("site", "VARCHAR", "interceptor site"),
        ("variant", "VARCHAR", "interceptor variant"), ("launch_site", "VARCHAR", ""),
        ("latitude_deg", "DOUBLE", "cell centre (aimpoint)"), ("longitude_deg", "DOUBLE", ""),
        ("reachable", "BOOLEAN", "the missile can be aimed there"),
        ("defended", "BOOLEAN", "at least one shot opportunity"),
        ("shots", "INTEGER", "shoot-look-shoot opportunities"),
        ("p_no_leak", "DOUBLE", "probability the threat is killed (independent shots, one threat)"),
    ]),
    "footprint_cities": ("Cities in the footprint region: defended or not, per variant and launch area.", [
        ("site", "VARCHAR", ""), ("variant", "VARCHAR", ""), ("launch_site", "VARCHAR", ""),
        ("name", "VARCHAR", "city"), ("latitude_deg", "DOUBLE", ""), ("longitude_deg", "DOUBLE", ""),
        ("reachable", "BOOLEAN", ""), ("defended", "BOOLEAN", ""), ("shots", "INTEGER", ""),
        ("p_no_leak", "DOUBLE", ""), ("earliest_intercept_t_s", "DOUBLE", "s after the threat's launch"),
    ]),
    "chase": ("Which ICBM flights each interceptor variant could reach (site on alert).", [
        ("threat", "VARCHAR", ""), ("site", "VARCHAR", ""), ("variant", "VARCHAR", ""),
        ("burnout_speed_mps", "DOUBLE", "claimed burnout speed of the variant"),
        ("engageable", "BOOLEAN", "an intercept above the minimum altitude exists"),
        ("earliest_launch_t_s", "DOUBLE", "interceptor launch, s after the threat's launch (sensor timeline)"),
        ("earliest_intercept_t_s", "DOUBLE", "s after the threat's launch"),
        ("intercept_altitude_km", "DOUBLE", ""), ("closing_speed_mps", "DOUBLE", ""),
        ("tail_chase", "BOOLEAN", ""), ("reason", "VARCHAR", "why (not)"),
    ]),
    "airspace_events": ("Aircraft track checks: violations, closest approaches, route score.", [
        ("aircraft", "VARCHAR", ""),
        ("event", "VARCHAR", "violation | cpa | closest_to_coast | unusual_route | summary"),
        ("subject", "VARCHAR", "country, place, or route corridor"),
        ("time_utc", "VARCHAR", "ISO 8601 (UTC)"), ("latitude_deg", "DOUBLE", ""),
        ("longitude_deg", "DOUBLE", ""), ("distance_km", "DOUBLE", "distance (cpa, coast) or route score"),
        ("depth_km", "DOUBLE", "violation depth inside the 12-nmi limit"),
        ("details_json", "VARCHAR", ""),
    ]),
    "capabilities": ("Which parts of the run were computed, and why a part was not.", [
        ("capability", "VARCHAR", ""), ("available", "BOOLEAN", ""), ("note", "VARCHAR", ""),
    ]),
}


def _f(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _clean_value(x):
    if isinstance(x, float | np.floating):
        return _f(x)
    if isinstance(x, np.generic):
        return x.item()
    return x


def _wkt(lat, lon) -> str:
    pts = ", ".join(f"{lo:.5f} {la:.5f}" for la, lo in zip(lat, lon, strict=True))
    if len(lat):
        pts += f", {lon[0]:.5f} {lat[0]:.5f}"
    return f"POLYGON (({pts}))"


def rows(result: RunResult, *, scenario_text: str, scenario_sha256: str, scenario_source: str) -> dict[str, list]:
    """The rows of every table, as lists of tuples in :data:`TABLES` column order."""
    from bmdsim import __version__

    s = result.scenario
    out: dict[str, list] = {t: [] for t in TABLES}
    out["run"].append((__version__, sys.version.split()[0], s.name, scenario_source, scenario_sha256,
                       scenario_text, s.schema_version, s.epoch_utc.isoformat().replace("+00:00", "Z"), s.seed,
                       result.started_utc, result.finished_utc, json.dumps(result.timings_s)))
    for t in result.threats:
        out["objects"].append((f"threat:{t.name}", "threat", t.name, t.missile, t.launch_latitude_deg,
                               t.launch_longitude_deg, 0.0, "NOTIONAL", f"{t.launch} -> {t.target}",
                               json.dumps({"count": t.count, "decoys": t.decoys, "profile": t.profile})))
        out["threat_flights"].append((t.name, t.missile, t.launch, t.target, t.profile, t.count, t.decoys,
                                      t.rcs_m2, t.launch_time_s, _f(t.impact_time_s), _f(t.time_of_flight_s),
                                      _f(t.range_km), _f(t.apogee_km), _f(t.burnout_speed_mps),
                                      _f(t.burnout_time_s), _f(t.impact_latitude_deg), _f(t.impact_longitude_deg),
                                      _f(t.miss_m), t.is_icbm))
        ts, la, lo, h = result.trajectories[t.name]
        out["trajectories"] += [(f"threat:{t.name}", k, _f(ts[k]), _f(la[k]), _f(lo[k]), _f(h[k]))
                                for k in range(ts.size)]
    for si in result.sensors:
        out["objects"].append((f"sensor:{si.name}", "sensor", si.name, si.catalog, _f(si.latitude_deg),
                               _f(si.longitude_deg), _f(si.altitude_m), si.label, si.source,
                               json.dumps({"kind": si.kind, "needs_cue": si.needs_cue})))
    for site in s.interceptor_sites:
        from bmdsim.flight import sites as fsites

        local = {x.name: x for x in s.sites}
        if site.site in local:
            lat, lon = local[site.site].latitude_deg, local[site.site].longitude_deg
        else:
            lat, lon = fsites.resolve("site", site.site)
        out["objects"].append((f"interceptor_site:{site.name}", "interceptor_site", site.name, site.interceptor,
                               lat, lon, 0.0, "SCENARIO", f"site {site.site}",
                               json.dumps({"inventory": site.inventory, "variants": site.all_variants,
                                           "doctrine": site.doctrine.model_dump(),
                                           "readiness": site.readiness.model_dump()})))
    for a in result.aircraft:
        out["objects"].append((f"aircraft:{a.name}", "aircraft", a.name, None, _f(a.latitude_deg[0]),
                               _f(a.longitude_deg[0]), _f(a.altitude_m[0]), "NOTIONAL", "aircraft track",
                               json.dumps({"points": int(a.t_s.size)})))
        out["trajectories"] += [(f"aircraft:{a.name}", k, _f(a.t_s[k]), _f(a.latitude_deg[k]),
                                 _f(a.longitude_deg[k]), _f(a.altitude_m[k])) for k in range(a.t_s.size)]
        c = a.check
        for v in c["violations"]:
            out["airspace_events"].append((a.name, "violation", v["country"], v["entry_time"], None, None, None,
                                           _f(v["max_depth_km"]), json.dumps(v)))
        for p in c["cpa"]:
            out["airspace_events"].append((a.name, "cpa", p["poi"], p["time"], _f(p["latitude_deg"]),
                                           _f(p["longitude_deg"]), _f(p["distance_km"]), None, json.dumps(p)))
        for country, d in c["min_distance_to_coast_km"].items():
            cl = c["closest_to_coast"].get(country, {})
            out["airspace_events"].append((a.name, "closest_to_coast", country, cl.get("time"),
                                           _f(cl.get("latitude_deg")), _f(cl.get("longitude_deg")), _f(d), None,
                                           json.dumps({"min_distance_to_territorial_airspace_km":
                                                       c["min_distance_to_territorial_airspace_km"].get(country)})))
        if "unusual_route" in c:
            u = c["unusual_route"]
            far = u.get("farthest", {})
            out["airspace_events"].append((a.name, "unusual_route", u.get("reference"), far.get("time"),
                                           _f(far.get("latitude_deg")), _f(far.get("longitude_deg")),
                                           _f(u.get("score_km")), None, json.dumps(u, default=str)))
        out["airspace_events"].append((a.name, "summary", None, c["start_time"], None, None, None, None,
                                       json.dumps({"entered_territorial_airspace": c["entered_territorial_airspace"],
                                                   "end_time": c["end_time"], "warnings": c["warnings"]})))
    for d in result.detections:
        out["sensor_detections"].append((d.threat, d.sensor, d.kind, _f(d.t_first_visible_s), _f(d.t_cue_s),
                                         _f(d.t_first_detection_s), _f(d.t_track_s), _f(d.t_report_s), d.looks,
                                         d.hits))
        m = d.measurements
        for k in range(len(m)):
            out["detections"].append((d.threat, d.sensor, _f(m.t_s[k]), _f(m.range_m[k]),
                                      _f(np.degrees(m.azimuth_rad[k])), _f(np.degrees(m.elevation_rad[k])),
                                      _f(m.range_rate_mps[k]), _f(m.sigma_range_m[k]),
                                      _f(m.sigma_angle_rad[k] * 1e3), _f(m.snr_db[k])))
    for name, tr in result.tracks.items():
        for k in range(tr.t_s.size):
            out["tracks"].append((name, k, _f(tr.t_s[k]), str(tr.sensor[k]), _f(tr.latitude_deg[k]),
                                  _f(tr.longitude_deg[k]), _f(tr.altitude_m[k]), _f(tr.position_sigma_m[k]),
                                  _f(tr.pip_latitude_deg[k]), _f(tr.pip_longitude_deg[k]),
                                  _f(tr.pip_semi_major_km[k]), _f(tr.pip_error_km[k])))
    for r in result.coverage:
        out["coverage"].append((r.sensor, r.altitude_km, r.rcs_m2, _f(r.area_km2),
                                _wkt(r.latitude_deg, r.longitude_deg)))
    for name, u in result.unseen.items():
        out["unseen"].append((name, u["radar"] or None, _f(u["t_first_seen_s"]), _f(u["unseen_ground_range_km"]),
                              _f(u["total_ground_range_km"]), _f(u["first_seen_altitude_km"])))
    for d in result.decision:
        out["decision_times"].append((d["threat"], d["site"], d["readiness"], _f(d["active_from_s"]),
                                      _f(d["launch_time_s"]), _f(d["impact_time_s"]), _f(d["t_first_report_s"]),
                                      _f(d["t_first_radar_track_s"]), _f(d["warning_time_s"]),
                                      _f(d["radar_track_to_impact_s"]), _f(d["decision_window_s"]),
                                      _f(d["lost_to_activation_s"])))
    for table, items in (("shared_feed", result.sharing), ("shared_feed_sensors", result.sharing_sensors),
                         ("shared_feed_pips", result.sharing_pips),
                         ("footprint_cells", (result.footprint or {}).get("cells", [])),
                         ("footprint_cities", (result.footprint or {}).get("cities", [])),
                         ("chase", result.chase or []), ("engagements", result.engagements or []),
                         ("outcomes", result.outcomes or []), ("battle", result.battle or [])):
        for c in items:
            out[table].append(tuple(_clean_value(c.get(k)) for k, _, _ in TABLES[table][1]))
    caps = ["flights", "sensing", "tracking", "coverage", "decision_time", "sharing", "airspace", "engagements",
            "footprint", "chase"]
    for cap in caps:
        note = result.unavailable.get(cap, "")
        out["capabilities"].append((cap, cap not in result.unavailable, note))
    return out


def write_database(path: str | Path, result: RunResult, *, scenario_text: str, scenario_sha256: str,
                   scenario_source: str) -> dict[str, int]:
    """Create the DuckDB file ``path`` (must not exist) with every table of :data:`TABLES`; returns the row
    count per table."""
    import duckdb

    data = rows(result, scenario_text=scenario_text, scenario_sha256=scenario_sha256,
                scenario_source=scenario_source)
    con = duckdb.connect(str(path))
    counts = {}
    try:
        for table, (doc, cols) in TABLES.items():
            ddl = ", ".join(f'"{c}" {t}' for c, t, _ in cols)
            con.execute(f'CREATE TABLE "{table}" ({ddl})')
            con.execute(f"COMMENT ON TABLE \"{table}\" IS '{doc.replace(chr(39), chr(39) * 2)}'")
            for c, _, meaning in cols:
                if meaning:
                    con.execute(f"COMMENT ON COLUMN \"{table}\".\"{c}\" IS '{meaning.replace(chr(39), chr(39) * 2)}'")
            rs = data[table]
            if rs:
                df = pd.DataFrame(rs, columns=[c for c, _, _ in cols])
                con.register("_rows", df)
                sel = ", ".join(f'CAST("{c}" AS {t})' for c, t, _ in cols)
                con.execute(f'INSERT INTO "{table}" SELECT {sel} FROM _rows')
                con.unregister("_rows")
            counts[table] = len(rs)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def markdown() -> str:
    """The documentation of every table (``docs/database.md``)."""
    lines = ["# The results database (`results.duckdb`)", "",
             "Every `bmdsim run` writes one DuckDB file with the tables below (generated from "
             "`bmdsim.store.database.TABLES`). Times `t_s` are seconds since the scenario epoch (`run.epoch_utc`); "
             "angles in degrees, latitude before longitude; NULL means \"never happened\" or \"not computed\". "
             "The same scenario and seed give the same contents, except `run.started_utc`, `run.finished_utc` "
             "and `run.timings_json`.", "",
             "```sh", "duckdb out/results.duckdb \"SELECT threat, outcome FROM outcomes\"",
             "python -c \"import duckdb; print(duckdb.connect('out/results.duckdb', read_only=True)"
             ".sql('SELECT * FROM decision_times').df())\"", "```", ""]
    for table, (doc, cols) in TABLES.items():
        lines += [f"## `{table}`", "", doc, "", "| column | type | meaning |", "| --- | --- | --- |"]
        lines += [f"| `{c}` | {t} | {m} |" for c, t, m in cols]
        lines.append("")
    return "\n".join(lines)
