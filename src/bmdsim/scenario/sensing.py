"""Run steps 2-5: sensing and tracking, radar coverage, decision time and shared feeds.

2. **sensing**: every sensor against every threat, then one fused track per threat from the radar reports after
   burnout, with its predicted impact point (PIP) every ``PIP_DT_S``, and the unseen part of each flight
   (:func:`bmdsim.analysis.observe.observe_threat`, :func:`bmdsim.analysis.observe.unseen_flight`).
3. **coverage**: each radar's footprint for the analysis altitudes and RCS.
4. **decision time**: from the first report of a launch to impact; for a site activated late, what is left.
5. **sharing**: each observer's feed and what the observer learns from it, scored against the truth and the
   defense (:func:`bmdsim.analysis.observe.share_observation`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from bmdsim.analysis.observe import ThreatObservation, UnseenFlight, unseen_flight
from bmdsim.analysis.sharing import MILESTONES_KM, SharedFeed, SharedFeedPip, SharedFeedSensor, first_within
from bmdsim.analysis.timeline import DecisionTime
from bmdsim.core import frames
from bmdsim.core.records import Columns, extra, integer, real, table, text
from bmdsim.scenario.schema import Scenario

__all__ = ["SensorInfo", "SensorDetection", "MeasurementRow", "TrackUpdate", "TrackSummary", "CoverageRing",
           "Sensing", "Sharing", "build_sensors", "sense", "coverage_rings", "decision_times", "share_feeds",
           "site_active_from_t_s", "observe_scenario_threat", "streams", "STREAMS", "PIP_DT_S"]

PIP_DT_S = 10.0           #: cadence of the fused tracks' predicted impact points, defense and observers (s)
#: the stochastic components of a run, in the order their streams are spawned from the scenario seed
STREAMS = ("sensing", "sharing", "engagements")


def streams(seed: int) -> dict[str, np.random.Generator]:
    """One generator per stochastic component (:data:`STREAMS`), each a child of the scenario seed, spawned once
    (inside each, one child per threat, observer or site, in scenario order)."""
    return {name: np.random.default_rng(s) for name, s in zip(STREAMS, np.random.SeedSequence(seed).spawn(
        len(STREAMS)), strict=True)}


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorInfo:
    """A sensor of the scenario as built (its row of ``objects``)."""

    name: str
    catalog: str
    kind: str            # radar | infrared
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    needs_cue: bool
    label: str
    source: str
    #: a radar's field of regard: its faces (:attr:`bmdsim.sensing.radar.Radar.fields_of_regard`), the minimum
    #: elevation and the instrumented range that bound them (empty / NaN for infrared sensors)
    fields_of_regard: tuple[dict, ...] = ()
    min_elevation_deg: float = math.nan
    max_range_km: float = math.nan


@table("sensor_detections", "What each sensor made of each threat (NULL: never happened). first_detection_t_s and "
       "track_t_s are the same figures as `bmdsim track --json` and the unseen table.")
@dataclass(frozen=True, slots=True, kw_only=True)
class SensorDetection:
    threat: str = text("raid name")
    sensor: str = text("sensor name")
    kind: str = text("radar | infrared")
    first_visible_t_s: float = real("first time in view (horizon, field of regard, range)")
    cue_t_s: float = real("when a cue reached a radar that needs one")
    first_detection_t_s: float = real("first detection (a random draw: Swerling fluctuation, Pd)")
    track_t_s: float = real("track established (M of N detections)")
    report_t_s: float = real("report available to others (after latency)")
    looks: int = integer("dwells on the object")
    hits: int = integer("detections")
    measurements: object = extra()   # bmdsim.sensing.measurements.Measurements (the detections table)


@table("detections", "Every measurement (a detection that gave a report), per threat and sensor.")
@dataclass(frozen=True, slots=True, kw_only=True)
class MeasurementRow:
    threat: str = text("raid name")
    sensor: str = text("sensor name")
    t_s: float = real("measurement time")
    range_m: float = real("NULL for infrared")
    azimuth_deg: float = real("clockwise from true north")
    elevation_deg: float = real("above the local horizontal")
    range_rate_mps: float = real("positive opening")
    sigma_range_m: float = real("1-sigma")
    sigma_angle_mrad: float = real("1-sigma")
    snr_db: float = real("signal-to-noise ratio of the look")


def measurement_rows(d: SensorDetection) -> Columns:
    m = d.measurements
    n = len(m)
    return Columns(MeasurementRow, {"threat": [d.threat] * n, "sensor": [d.sensor] * n, "t_s": m.t_s,
                                    "range_m": m.range_m, "azimuth_deg": np.degrees(m.azimuth_rad),
                                    "elevation_deg": np.degrees(m.elevation_rad), "range_rate_mps": m.range_rate_mps,
                                    "sigma_range_m": m.sigma_range_m, "sigma_angle_mrad": m.sigma_angle_rad * 1e3,
                                    "snr_db": m.snr_db})


@table("tracks", "The fused radar track of each threat (radar reports after burnout: the filter has no thrust "
       "model) after every update, with predicted impact points. Its first update is the fused track's start "
       "(`bmdsim track --json`: track.fused_track_start_t_s), which is later than the sensors' track_t_s.")
@dataclass(frozen=True, slots=True, kw_only=True)
class TrackUpdate:
    threat: str = text("raid name")
    k: int = integer("update index")
    t_s: float = real("update time")
    sensor: str = text("radar of this update")
    latitude_deg: float = real("estimated position")
    longitude_deg: float = real("")
    altitude_m: float = real("")
    position_sigma_m: float = real("root of the trace of the position covariance (m)")
    pip_latitude_deg: float = real("predicted impact point (updates at least 10 s apart and the last; NULL between)")
    pip_longitude_deg: float = real("")
    pip_semi_major_km: float = real("1-sigma ellipse semi-major axis")
    pip_error_km: float = real("distance PIP to the true impact point (km)")
    pip_semi_minor_km: float = real("1-sigma ellipse semi-minor axis (local horizontal plane at the PIP)")
    pip_orientation_deg: float = real("azimuth of the ellipse's major axis, clockwise from north, in [0, 180)")


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackSummary:
    """The fused radar track of one threat: arrays ``(U,)`` per update (the ``tracks`` table's columns), and
    ``pip_model_bias_km``: the part of the PIP error its vacuum model explains."""

    threat: str
    t_s: np.ndarray
    sensor: np.ndarray
    latitude_deg: np.ndarray
    longitude_deg: np.ndarray
    altitude_m: np.ndarray
    position_sigma_m: np.ndarray
    pip_latitude_deg: np.ndarray
    pip_longitude_deg: np.ndarray
    pip_semi_major_km: np.ndarray
    pip_error_km: np.ndarray
    pip_model_bias_km: float = math.nan
    pip_semi_minor_km: np.ndarray
    pip_orientation_deg: np.ndarray     # azimuth of the major axis, clockwise from north, [0, 180)

    def pip_stays_within_t_s(self, km: float) -> float:
        """When the PIP error comes within ``km`` and stays there (NaN: never)."""
        ok = np.isfinite(self.pip_error_km)
        return first_within(self.t_s[ok], self.pip_error_km[ok], km)

    def rows(self) -> Columns:
        return Columns(TrackUpdate, {"threat": [self.threat] * self.t_s.size, "k": np.arange(self.t_s.size),
                                     **{f: getattr(self, f) for f in (
                                         "t_s", "sensor", "latitude_deg", "longitude_deg", "altitude_m",
                                         "position_sigma_m", "pip_latitude_deg", "pip_longitude_deg",
                                         "pip_semi_major_km", "pip_error_km", "pip_semi_minor_km",
                                         "pip_orientation_deg")}})


@table("coverage", "Radar footprints: where a target of rcs_m2 at altitude_km is detected (at the radar's design "
       "SNR, above its minimum elevation, within its field of regard and instrumented range).")
@dataclass(frozen=True, slots=True, kw_only=True)
class CoverageRing:
    sensor: str = text("radar")
    altitude_km: float = real("target altitude")
    rcs_m2: float = real("target radar cross-section")
    area_km2: float = real("covered area on the ellipsoid")
    boundary_wkt: str = text("outer boundary as a WKT polygon (lon lat)")
    latitude_deg: np.ndarray = extra()
    longitude_deg: np.ndarray = extra()


def _wkt(lat, lon) -> str:
    pts = ", ".join(f"{lo:.5f} {la:.5f}" for la, lo in zip(lat, lon, strict=True))
    if len(lat):
        pts += f", {lon[0]:.5f} {lat[0]:.5f}"
    return f"POLYGON (({pts}))"


# ------------------------------------------------------------------------------------------------- sensors
def build_sensors(scn: Scenario):
    """The scenario's sensors (catalog entries with the scenario's overrides) and their :class:`SensorInfo`."""
    from bmdsim.sensing import catalog as sc

    out, info = [], []
    for s in scn.sensors:
        if s.catalog in sc.infrared_names():
            obj = sc.infrared(s.catalog)
            if s.name:
                obj = replace(obj, name=s.name)
            out.append(obj)
            info.append(SensorInfo(name=s.label, catalog=s.catalog, kind="infrared", latitude_deg=math.nan,
                                   longitude_deg=math.nan, altitude_m=obj.altitude_m, needs_cue=False,
                                   label=obj.label, source=obj.source))
            continue
        entry = sc.radar_entry(s.catalog)
        entry.update(s.overrides)
        entry["name"] = s.label
        for k in ("latitude_deg", "longitude_deg", "altitude_m"):
            if getattr(s, k) is not None:
                entry[k] = getattr(s, k)
        if s.overrides or any(getattr(s, k) is not None for k in ("latitude_deg", "longitude_deg", "altitude_m")):
            entry["label"] = f"{entry.get('label', 'NOTIONAL')} (scenario overrides)"
        r = sc.radar_from_entry(entry)
        out.append(r)
        info.append(SensorInfo(name=s.label, catalog=sc.resolve_name(s.catalog), kind="radar",
                               latitude_deg=r.latitude_deg, longitude_deg=r.longitude_deg, altitude_m=r.altitude_m,
                               needs_cue=r.needs_cue, label=r.label, source=r.source,
                               fields_of_regard=r.fields_of_regard,
                               min_elevation_deg=math.degrees(r.min_elevation_rad), max_range_km=r.max_range_m / 1e3))
    return out, info


@dataclass(frozen=True, slots=True, kw_only=True)
class Sensing:
    detections: list[SensorDetection]
    tracks: dict[str, TrackSummary]
    unseen: list[UnseenFlight]
    observations: dict[str, ThreatObservation]


def sense(threats, truths, sensors, sensor_info, rng, progress) -> Sensing:
    """Every sensor against every threat, the fused track after burnout and its PIPs; one child of ``rng`` per
    threat (spawned once, in threat order)."""
    from bmdsim.analysis.observe import observe_threat

    dets, tracks, unseen, observations = [], {}, [], {}
    rngs = rng.spawn(max(len(threats), 1))
    progress("sensing and tracking", 0, len(threats))
    for n, (t, g) in enumerate(zip(threats, rngs, strict=False)):
        obs = observe_threat(truths[t.name], sensors, rng=g, rcs_m2=t.rcs_m2, pip_dt_s=PIP_DT_S, object_id=t.name)
        observations[t.name] = obs
        for info, d in zip(sensor_info, obs.detections, strict=True):
            dets.append(SensorDetection(
                threat=t.name, sensor=info.name, kind=info.kind, first_visible_t_s=float(d.first_visible_t_s),
                cue_t_s=float(d.cue_t_s), first_detection_t_s=float(d.first_detection_t_s),
                track_t_s=float(d.track_t_s), report_t_s=float(d.report_t_s), looks=int(d.look_t_s.size),
                hits=int(np.count_nonzero(d.detected)), measurements=d.measurements))
        tr = obs.track
        if tr is not None:
            r_ecef, _ = frames.eci_to_ecef(tr.x_eci[:, :3], tr.t_s, tr.x_eci[:, 3:6])
            lat, lon, h = frames.ecef_to_geodetic(r_ecef)
            pip = tr.pip
            tracks[t.name] = TrackSummary(
                threat=t.name, t_s=tr.t_s, sensor=np.asarray(tr.sensor).astype(str), latitude_deg=np.degrees(lat),
                longitude_deg=np.degrees(lon), altitude_m=h, position_sigma_m=tr.position_sigma_m,
                pip_latitude_deg=pip.latitude_deg, pip_longitude_deg=pip.longitude_deg,
                pip_semi_major_km=pip.semi_major_km, pip_semi_minor_km=pip.semi_minor_km,
                pip_orientation_deg=pip.orientation_deg,
                pip_error_km=pip.error_km(t.impact_latitude_deg, t.impact_longitude_deg),
                pip_model_bias_km=obs.pip_model_bias_km)
        if any(i.kind == "radar" for i in sensor_info):
            unseen.append(unseen_flight(obs, t.name))
        progress("sensing and tracking", n + 1, len(threats))
    return Sensing(detections=dets, tracks=tracks, unseen=unseen, observations=observations)


def observe_scenario_threat(scn: Scenario, name: str) -> ThreatObservation:
    """One threat of a scenario exactly as the run observes it (same flight, sensors and random stream): what
    ``bmdsim track --scenario S --threat T`` shows, equal to the run's tables for that threat by construction."""
    from bmdsim.analysis.observe import observe_threat
    from bmdsim.errors import UnknownNameError
    from bmdsim.scenario.flights import fly_threats

    names = scn.threat_names()
    if name not in names:
        raise UnknownNameError("threat", name, names)
    flown = fly_threats(scn, lambda *_: None)
    sensors, _ = build_sensors(scn)
    i = names.index(name)
    g = streams(scn.seed)["sensing"].spawn(max(len(names), 1))[i]
    return observe_threat(flown.truths[name], sensors, rng=g, rcs_m2=flown.threats[i].rcs_m2, pip_dt_s=PIP_DT_S,
                          object_id=name)


def coverage_rings(scn: Scenario, sensors, sensor_info, progress) -> list[CoverageRing]:
    from bmdsim.sensing import coverage

    a = scn.analyses.coverage
    radars = [s for s, i in zip(sensors, sensor_info, strict=True) if i.kind == "radar"]
    rings = []
    total = len(radars) * len(a.altitudes_km)
    progress("radar coverage", 0, max(total, 1))
    for r in radars:
        for h in a.altitudes_km:
            fp = coverage.footprint(r, h * 1e3, a.rcs_m2, n_azimuth=360, n_radial=120)
            rings.append(CoverageRing(sensor=r.name, altitude_km=float(h), rcs_m2=a.rcs_m2,
                                      area_km2=fp.area_m2 / 1e6,
                                      boundary_wkt=_wkt(fp.outer_latitude_deg, fp.outer_longitude_deg),
                                      latitude_deg=fp.outer_latitude_deg, longitude_deg=fp.outer_longitude_deg))
            progress("radar coverage", len(rings), max(total, 1))
    return rings


def site_active_from_t_s(site, first_launch_t_s: float) -> float:
    """When an interceptor site is active: at once on alert; ``activation_delay_s`` after the scenario's first
    launch when delayed."""
    return first_launch_t_s + site.readiness.activation_delay_s if site.readiness.state == "delayed" else 0.0


def decision_times(scn: Scenario, threats, dets: list[SensorDetection]) -> list[DecisionTime]:
    """Time from the first report of each launch to impact, and what a delayed activation leaves."""
    first_launch = min((t.launch_t_s for t in threats), default=0.0)
    out = []
    for t in threats:
        mine = [d for d in dets if d.threat == t.name]
        reports = [d.report_t_s for d in mine if np.isfinite(d.report_t_s)]
        radar_tracks = [d.track_t_s for d in mine if d.kind == "radar" and np.isfinite(d.track_t_s)]
        t_rep = min(reports) if reports else math.nan
        t_trk = min(radar_tracks) if radar_tracks else math.nan
        base = dict(threat=t.name, launch_t_s=t.launch_t_s, impact_t_s=t.impact_t_s, first_report_t_s=t_rep,
                    first_radar_track_t_s=t_trk, warning_s=t.impact_t_s - t_rep,
                    radar_track_to_impact_s=t.impact_t_s - t_trk)
        for site in scn.interceptor_sites:
            act = site_active_from_t_s(site, first_launch)
            start = max(t_trk, act) if np.isfinite(t_trk) else math.nan
            out.append(DecisionTime(**base, site=site.name, readiness=site.readiness.state, active_from_t_s=act,
                                    decision_window_s=t.impact_t_s - start,
                                    lost_to_activation_s=max(0.0, act - t_trk) if np.isfinite(t_trk) else math.nan))
        if not scn.interceptor_sites:
            out.append(DecisionTime(**base, site=None, readiness=None, active_from_t_s=0.0,
                                    decision_window_s=base["radar_track_to_impact_s"], lost_to_activation_s=0.0))
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Sharing:
    feeds: list[SharedFeed]
    sensors: list[SharedFeedSensor]
    pips: list[SharedFeedPip]
    #: per observer, the feed of every threat (``bmdsim.sensing.feed.Feed``, in threat order)
    messages: dict[str, list]


def share_feeds(scn: Scenario, threats, observations, sensor_info, rng, progress) -> Sharing:
    """Each observer's feed of each threat and what the observer learns from it: one child of ``rng`` per
    observer, one grandchild per threat. The shared track is the defense's when ``feed_from`` names every radar,
    else the track fused from the named radars' reports."""
    from bmdsim.analysis.observe import fused_track, share_observation

    radars = {i.name for i in sensor_info if i.kind == "radar"}
    rows, per_sensor, pips, feeds = [], [], [], {}
    rngs = rng.spawn(max(len(scn.observers), 1))
    progress("shared feeds", 0, max(len(scn.observers), 1))
    for k, (o, g) in enumerate(zip(scn.observers, rngs, strict=False)):
        spec = o.feed_spec()
        feeds[o.name] = []
        for t, gt in zip(threats, g.spawn(max(len(threats), 1)), strict=False):
            obs = observations[t.name]
            track = "defense" if radars <= set(o.feed_from) else fused_track(
                obs.detections, obs.truth.t_burnout_s, sensors=set(o.feed_from), pip_dt_s=PIP_DT_S)
            feed, v = share_observation(obs, spec, rng=gt, track=track, pip_dt_s=PIP_DT_S)
            feeds[o.name].append(feed)
            c = v.comparison
            first = v.first_received_t_s
            milestones = {key: c[key] for km in MILESTONES_KM for key in (
                f"defense_stays_within_{km:g}_km_t_s", f"observer_stays_within_{km:g}_km_t_s",
                f"observer_delay_{km:g}_km_s")}
            rows.append(SharedFeed(
                observer=o.name, threat=t.name, feedspec=spec.text(), content=",".join(spec.content),
                feed_from=",".join(o.feed_from), latency_s=spec.latency_s, interval_s=spec.interval_s,
                noise_m=spec.noise_m, noise_mps=spec.noise_mps, blank_regions=len(spec.blank), source=v.source,
                detection_messages=v.messages["detection"], track_messages=v.messages["track"],
                pip_messages=v.messages["pip"], removed_by_blanking=int(sum(v.removed_by_blanking.values())),
                first_received_t_s=first, first_received_after_launch_s=first - t.launch_t_s,
                defense_final_pip_error_km=c["defense_final_pip_error_km"],
                observer_final_pip_error_km=c["observer_final_pip_error_km"], **milestones,
                reveals_impact_area=bool(math.isfinite(c["observer_stays_within_10_km_t_s"]))))
            per_sensor += [SharedFeedSensor(observer=o.name, threat=t.name, sensor=s_.name, messages=s_.messages,
                                            first_received_t_s=s_.first_detection_t_s,
                                            track_established_t_s=s_.track_established_t_s,
                                            unseen_ground_range_km=s_.unseen_ground_range_km)
                           for s_ in v.sensors if s_.name in radars]     # only radar data are shared
            pips += [SharedFeedPip(observer=o.name, threat=t.name, k=i, valid_t_s=float(v.pip_valid_t_s[i]),
                                   received_t_s=float(v.pip_t_s[i]), pip_error_km=float(v.pip_error_km[i]),
                                   pip_sigma_km=float(v.pip_sigma_km[i])) for i in range(v.pip_t_s.size)]
        progress("shared feeds", k + 1, max(len(scn.observers), 1))
    return Sharing(feeds=rows, sensors=per_sensor, pips=pips, messages=feeds)
