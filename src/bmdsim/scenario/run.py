"""Run a scenario: resolve names, fly every threat, sense and track it, check the aircraft tracks, and answer
the questions the analyses ask. Returns a :class:`RunResult` of plain records and arrays (no I/O here: the
command line writes the database, report and exports from it).

Steps (each reports progress through ``progress(step_name, done, total)``):

1. **flights**: every raid is aimed (targeting, batched per missile and profile) and flown once more with dense
   output (``2 s`` samples for sensing; every ``trajectory_step_s`` kept for storage). A raid of ``count``
   missiles is one truth (they fly the same path); ``count`` matters for inventories.
2. **sensing**: every sensor against every threat, then one fused track per threat from the radar reports after
   burnout, with its predicted impact point (PIP) every 10 s, and how far each threat flies before any radar
   could see it (:func:`bmdsim.analysis.observe.observe_threat`).
3. **coverage**: each radar's footprint for the analysis altitudes and RCS.
4. **decision time**: from the first report of a launch to impact; for a site activated late, what is left
   after activation.
5. **sharing**: each observer's feed (:func:`bmdsim.sensing.feed.share`, the observer's :class:`FeedSpec` from
   the scenario) and what the observer learns from it, scored against the truth and the defense
   (:func:`bmdsim.analysis.observe.share_observation`): when it hears of each threat, per radar, and when its
   PIP stays within 100/10/1 km compared with the defense's.
6. **airspace**: each aircraft track against sovereign airspace and the points of interest.

Engagements (fire control, battle manager), defended footprints and the chase analysis belong to
``bmdsim.engagement`` and ``bmdsim.analysis``; where a capability is not available in this build the result
says so in :attr:`RunResult.unavailable` rather than inventing numbers.

Randomness: one ``numpy.random.Generator`` from the scenario seed, spawned into one child per component
(sensing, sharing, engagements), and per threat inside each (per observer, then per threat, for sharing), so
adding a threat at the end does not change the draws of the others.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from bmdsim.analysis.observe import Truth, truths_from_flights
from bmdsim.errors import InputError
from bmdsim.flight import catalog, sites
from bmdsim.flight.fly import Flights, Options, fly
from bmdsim.flight.targeting import solve
from bmdsim.scenario.schema import Scenario

__all__ = ["ThreatFlight", "SensorInfo", "DetectionSummary", "TrackSummary", "CoverageRing", "RunResult", "run",
           "SENSING_DT_S", "PIP_DT_S"]

SENSING_DT_S = 2.0        #: spacing of the truth samples the sensors look at (Hermite-interpolated between)
PIP_DT_S = 10.0           #: cadence of the fused tracks' predicted impact points, defense and observers (s)
_MAX_FLIGHT_S = 5000.0    #: dense output long enough for any catalog threat (ICBMs fly about 30-35 min)


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatFlight:
    name: str
    missile: str
    launch: str
    target: str
    profile: str
    count: int
    decoys: int
    rcs_m2: float
    launch_latitude_deg: float
    launch_longitude_deg: float
    target_latitude_deg: float
    target_longitude_deg: float
    launch_time_s: float
    range_km: float
    time_of_flight_s: float
    apogee_km: float
    burnout_speed_mps: float
    burnout_time_s: float
    impact_time_s: float
    impact_latitude_deg: float
    impact_longitude_deg: float
    miss_m: float
    is_icbm: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorInfo:
    name: str
    catalog: str
    kind: str            # radar | infrared
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    needs_cue: bool
    label: str
    source: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectionSummary:
    """What one sensor made of one threat (times in s since the epoch; NaN when it never happened)."""

    threat: str
    sensor: str
    kind: str
    t_first_visible_s: float
    t_cue_s: float
    t_first_detection_s: float
    t_track_s: float
    t_report_s: float
    looks: int
    hits: int
    measurements: object   # bmdsim.sensing.measurements.Measurements


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackSummary:
    """The fused radar track of one threat (radar reports after burnout): per update, time, sensor, estimated
    position (geodetic), position sigma, and the predicted impact point (every ``pip_dt_s`` of track time and at
    the last update; NaN between) with its error against the true impact. ``pip_model_bias_km``: the part of
    the error the PIP's vacuum model explains (the PIP of the true state at the last PIP time)."""

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

    def pip_stays_within_t_s(self, km: float) -> float:
        """When the PIP error comes within ``km`` and stays there (NaN: never;
        :func:`bmdsim.analysis.sharing.first_within`)."""
        from bmdsim.analysis.sharing import first_within

        ok = np.isfinite(self.pip_error_km)
        return first_within(self.t_s[ok], self.pip_error_km[ok], km)


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverageRing:
    sensor: str
    altitude_km: float
    rcs_m2: float
    area_km2: float
    latitude_deg: np.ndarray
    longitude_deg: np.ndarray


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


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    scenario: Scenario
    threats: list[ThreatFlight]
    flights: dict[str, Flights]      # per missile/profile, rows in the order of that group's threats
    #: stored trajectory per threat: ``(t_s, latitude_deg, longitude_deg, altitude_m)`` arrays
    trajectories: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    sensors: list[SensorInfo] = field(default_factory=list)
    detections: list[DetectionSummary] = field(default_factory=list)
    tracks: dict[str, TrackSummary] = field(default_factory=dict)
    coverage: list[CoverageRing] = field(default_factory=list)
    unseen: dict[str, dict] = field(default_factory=dict)
    decision: list[dict] = field(default_factory=list)
    sharing: list[dict] = field(default_factory=list)
    #: per observer and threat, the sensors as the observer sees them (``analysis.sharing.ObservedSensor`` fields)
    sharing_sensors: list[dict] = field(default_factory=list)
    #: per observer and threat, the observer's PIP over reception time
    sharing_pips: list[dict] = field(default_factory=list)
    #: per observer, the feed of every threat (``bmdsim.sensing.feed.Feed``, in threat order)
    feeds: dict[str, list] = field(default_factory=dict)
    aircraft: list[AircraftResult] = field(default_factory=list)
    engagements: list[dict] | None = None
    outcomes: list[dict] | None = None
    battle: list[dict] | None = None     # per site: the battle manager's Monte Carlo summary
    footprint: dict | None = None
    chase: list[dict] | None = None
    unavailable: dict[str, str] = field(default_factory=dict)
    started_utc: str = ""
    finished_utc: str = ""
    timings_s: dict[str, float] = field(default_factory=dict)


# ------------------------------------------------------------------------------------------------ helpers
def _site_lookup(scn: Scenario):
    local = {s.name: s for s in scn.sites}

    def resolve(field_name: str, ref: str) -> tuple[float, float]:
        if ref in local:
            return local[ref].latitude_deg, local[ref].longitude_deg
        return sites.resolve(field_name, ref)

    return resolve


def _build_sensors(scn: Scenario):
    from dataclasses import replace

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
                               needs_cue=r.needs_cue, label=r.label, source=r.source))
    return out, info


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# ------------------------------------------------------------------------------------------------- steps
def _fly(scn: Scenario, progress):
    raids = scn.threats
    names = scn.threat_names()
    resolve = _site_lookup(scn)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(raids):
        groups.setdefault((r.missile, r.profile), []).append(i)
    out: list[ThreatFlight | None] = [None] * len(raids)
    flights: dict[str, Flights] = {}
    truths: dict[str, Truth] = {}
    where: dict[str, tuple[str, int]] = {}
    n_dense = int(_MAX_FLIGHT_S / SENSING_DT_S) + 2
    done = 0
    progress("flying threats", 0, len(raids))
    for (missile, profile), idx in groups.items():
        v = catalog.get(missile)
        lp = np.array([resolve(f"threats[{i}].launch", raids[i].launch) for i in idx])
        tp = np.array([resolve(f"threats[{i}].target", raids[i].target) for i in idx])
        t0 = np.array([raids[i].launch_time_s for i in idx])
        sol = solve(v, lp[:, 0], lp[:, 1], tp[:, 0], tp[:, 1], profile=profile, t_launch_s=t0)
        # the same steering, flown again with dense output for the sensors and the stored trajectories
        f = fly(v, lp[:, 0], lp[:, 1], sol.azimuth_deg, sol.kick_deg, t_launch_s=t0, cutoff_s=sol.cutoff_s,
                options=Options(dense_dt_s=SENSING_DT_S, dense_n=n_dense))
        flights[f"{missile}/{profile}"] = f
        miss_m, _ = _geod_inverse(f.impact_latitude_deg, f.impact_longitude_deg, tp[:, 0], tp[:, 1])
        flown = truths_from_flights(f, missile=missile, targets=tp, miss_m=miss_m)
        for j, i in enumerate(idx):
            r = raids[i]
            out[i] = ThreatFlight(
                name=names[i], missile=missile, launch=r.launch, target=r.target, profile=profile, count=r.count,
                decoys=r.decoys, rcs_m2=r.rcs_m2,
                launch_latitude_deg=float(lp[j, 0]), launch_longitude_deg=float(lp[j, 1]),
                target_latitude_deg=float(tp[j, 0]), target_longitude_deg=float(tp[j, 1]),
                launch_time_s=float(t0[j]), range_km=float(f.range_m[j] / 1e3),
                time_of_flight_s=float(f.time_of_flight_s[j]), apogee_km=float(f.apogee_m[j] / 1e3),
                burnout_speed_mps=float(f.burnout_speed_mps[j]),
                burnout_time_s=float(f.t_burnout_s[j] - f.t_launch_s[j]),
                impact_time_s=float(f.t_impact_s[j]),
                impact_latitude_deg=float(f.impact_latitude_deg[j]),
                impact_longitude_deg=float(f.impact_longitude_deg[j]), miss_m=float(miss_m[j]),
                is_icbm=bool(f.range_m[j] >= 5500e3))
            truths[names[i]] = flown[j]
            where[names[i]] = (f"{missile}/{profile}", j)
        done += len(idx)
        progress("flying threats", done, len(raids))
    return out, flights, truths, where


def _geod_inverse(lat1, lon1, lat2, lon2):
    from bmdsim.core import geodesy

    return geodesy.inverse(lat1, lon1, lat2, lon2)


def _trajectories(threats, truths, step_s):
    from bmdsim.core import frames

    out = {}
    for t in threats:
        tr = truths[t.name]
        ts, r = tr.t_s[:-1], tr.r_ecef[:-1]     # the truth's last sample is the impact itself
        k = max(int(round(step_s / SENSING_DT_S)), 1)
        sel = np.unique(np.append(np.arange(0, ts.size, k), ts.size - 1))
        lat, lon, h = frames.ecef_to_geodetic(r[sel])
        # end exactly on the impact point
        tt = np.append(ts[sel], t.impact_time_s)
        la = np.append(np.degrees(lat), t.impact_latitude_deg)
        lo = np.append(np.degrees(lon), t.impact_longitude_deg)
        hh = np.append(h, 0.0)
        keep = np.append(np.diff(tt) > 1e-6, True)
        out[t.name] = (tt[keep], la[keep], lo[keep], hh[keep])
    return out


def _sense(threats, truths, sensors, sensor_info, rng, progress):
    """Every sensor against every threat, the fused track after burnout and its PIPs
    (:func:`bmdsim.analysis.observe.observe_threat`); one child of ``rng`` per threat."""
    from bmdsim.analysis.observe import observe_threat
    from bmdsim.core import frames

    dets, tracks, unseen, observations = [], {}, {}, {}
    rngs = rng.spawn(max(len(threats), 1))
    progress("sensing and tracking", 0, len(threats))
    for n, (t, g) in enumerate(zip(threats, rngs, strict=False)):
        obs = observe_threat(truths[t.name], sensors, rng=g, rcs_m2=t.rcs_m2, pip_dt_s=PIP_DT_S, object_id=t.name)
        observations[t.name] = obs
        for info, d in zip(sensor_info, obs.detections, strict=True):
            dets.append(DetectionSummary(
                threat=t.name, sensor=info.name, kind=info.kind, t_first_visible_s=float(d.t_first_visible_s),
                t_cue_s=float(d.t_cue_s), t_first_detection_s=float(d.t_first_detection_s),
                t_track_s=float(d.t_track_s), t_report_s=float(d.t_report_s), looks=int(d.t_look_s.size),
                hits=int(np.count_nonzero(d.detected)), measurements=d.measurements))
        tr = obs.track
        if tr is not None:
            r_ecef, _ = frames.eci_to_ecef(tr.x_eci[:, :3], tr.t_s, tr.x_eci[:, 3:])
            lat, lon, h = frames.ecef_to_geodetic(r_ecef)
            pip = tr.pip
            tracks[t.name] = TrackSummary(
                threat=t.name, t_s=tr.t_s, sensor=np.asarray(tr.sensor).astype(str), latitude_deg=np.degrees(lat),
                longitude_deg=np.degrees(lon), altitude_m=h, position_sigma_m=tr.position_sigma_m,
                pip_latitude_deg=pip.latitude_deg, pip_longitude_deg=pip.longitude_deg,
                pip_semi_major_km=pip.semi_major_km,
                pip_error_km=pip.error_km(t.impact_latitude_deg, t.impact_longitude_deg),
                pip_model_bias_km=obs.pip_model_bias_km)
        u = obs.unseen
        if u is not None:
            unseen[t.name] = {"t_first_seen_s": u.t_first_seen_s, "radar": u.radar,
                              "unseen_ground_range_km": u.ground_range_km,
                              "total_ground_range_km": u.total_ground_range_m / 1e3,
                              "first_seen_altitude_km": u.altitude_m / 1e3}
        progress("sensing and tracking", n + 1, len(threats))
    return dets, tracks, unseen, observations


def _coverage(scn: Scenario, sensors, sensor_info, progress):
    from bmdsim.sensing import coverage

    a = scn.analyses.coverage
    radars = [s for s, i in zip(sensors, sensor_info, strict=True) if i.kind == "radar"]
    rings = []
    total = len(radars) * len(a.altitudes_km)
    progress("radar coverage", 0, max(total, 1))
    k = 0
    for r in radars:
        for h in a.altitudes_km:
            fp = coverage.footprint(r, h * 1e3, a.rcs_m2, n_azimuth=360, n_radial=120)
            rings.append(CoverageRing(sensor=r.name, altitude_km=float(h), rcs_m2=a.rcs_m2,
                                      area_km2=fp.area_m2 / 1e6, latitude_deg=fp.outer_latitude_deg,
                                      longitude_deg=fp.outer_longitude_deg))
            k += 1
            progress("radar coverage", k, max(total, 1))
    return rings


def _decision(scn: Scenario, threats, dets):
    """Time from the first report of each launch to impact, and what a delayed activation leaves."""
    first_launch = min((t.launch_time_s for t in threats), default=0.0)
    out = []
    for t in threats:
        mine = [d for d in dets if d.threat == t.name]
        reports = [d.t_report_s for d in mine if np.isfinite(d.t_report_s)]
        radar_tracks = [d.t_track_s for d in mine if d.kind == "radar" and np.isfinite(d.t_track_s)]
        t_rep = min(reports) if reports else math.nan
        t_trk = min(radar_tracks) if radar_tracks else math.nan
        row = {"threat": t.name, "launch_time_s": t.launch_time_s, "impact_time_s": t.impact_time_s,
               "time_of_flight_s": t.time_of_flight_s, "t_first_report_s": t_rep, "t_first_radar_track_s": t_trk,
               "warning_time_s": t.impact_time_s - t_rep if np.isfinite(t_rep) else math.nan,
               "radar_track_to_impact_s": t.impact_time_s - t_trk if np.isfinite(t_trk) else math.nan}
        for site in scn.interceptor_sites:
            act = first_launch + site.readiness.activation_delay_s if site.readiness.state == "delayed" else 0.0
            start = max(t_trk, act) if np.isfinite(t_trk) else math.nan
            row_s = dict(row, site=site.name, readiness=site.readiness.state, active_from_s=act,
                         decision_window_s=t.impact_time_s - start if np.isfinite(start) else math.nan,
                         lost_to_activation_s=max(0.0, act - t_trk) if np.isfinite(t_trk) else math.nan)
            out.append(row_s)
        if not scn.interceptor_sites:
            out.append(dict(row, site=None, readiness=None, active_from_s=0.0,
                            decision_window_s=row["radar_track_to_impact_s"], lost_to_activation_s=0.0))
    return out


def _sharing(scn: Scenario, threats, observations, sensor_info, rng, progress):
    """Each observer's feed of each threat and what the observer learns from it: one child of ``rng`` per
    observer, one grandchild per threat. The shared track is the defense's when ``feed_from`` names every radar,
    else the track fused from the named radars' reports."""
    from bmdsim.analysis.observe import fused_track, share_observation
    from bmdsim.analysis.sharing import MILESTONES_KM

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
            row = {"observer": o.name, "threat": t.name, "feedspec": spec.text(), "content": ",".join(spec.content),
                   "feed_from": ",".join(o.feed_from), "latency_s": spec.latency_s, "interval_s": spec.interval_s,
                   "noise_m": spec.noise_m, "noise_mps": spec.noise_mps, "blank_regions": len(spec.blank),
                   "source": v.source, "detection_messages": v.messages["detection"],
                   "track_messages": v.messages["track"], "pip_messages": v.messages["pip"],
                   "removed_by_blanking": int(sum(v.removed_by_blanking.values())),
                   "t_first_received_s": first,
                   "first_received_after_launch_s": first - t.launch_time_s if math.isfinite(first) else math.nan,
                   "defense_final_pip_error_km": c["defense_final_pip_error_km"],
                   "observer_final_pip_error_km": c["observer_final_pip_error_km"]}
            for km in MILESTONES_KM:
                for key in (f"defense_stays_within_{km:g}_km_t_s", f"observer_stays_within_{km:g}_km_t_s",
                            f"observer_delay_{km:g}_km_s"):
                    row[key] = c[key]
            row["reveals_impact_area"] = bool(math.isfinite(row["observer_stays_within_10_km_t_s"]))
            rows.append(row)
            for s_ in v.sensors:
                if s_.name not in radars:     # only radar data are shared
                    continue
                per_sensor.append({"observer": o.name, "threat": t.name, "sensor": s_.name, "messages": s_.messages,
                                   "first_received_t_s": s_.first_detection_t_s,
                                   "track_established_t_s": s_.track_established_t_s,
                                   "unseen_ground_range_km": s_.unseen_ground_range_km})
            for i in range(v.pip_t_s.size):
                pips.append({"observer": o.name, "threat": t.name, "k": i, "t_s": float(v.pip_valid_t_s[i]),
                             "t_received_s": float(v.pip_t_s[i]), "pip_error_km": float(v.pip_error_km[i]),
                             "pip_sigma_km": float(v.pip_sigma_km[i])})
        progress("shared feeds", k + 1, max(len(scn.observers), 1))
    return rows, per_sensor, pips, feeds


def _aircraft(scn: Scenario, base_dir: Path | None, progress):
    import bmdsim.airspace as air
    from bmdsim.airspace.tracks import bundled_track_path, read_tracks

    out = []
    resolve = _site_lookup(scn)
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


def _defense_sites(scn: Scenario, unavailable: dict, what: str):
    """The scenario's interceptor sites that the engagement layer knows (its defenses catalog)."""
    from bmdsim.engagement import defenses

    known = defenses.names()
    out = [x for x in scn.interceptor_sites if x.site in known]
    missing = [x.name for x in scn.interceptor_sites if x.site not in known]
    if missing:
        unavailable[what] = (f"interceptor sites {missing} stand at places the engagement layer has no fire-control "
                             f"data for (known: {', '.join(known)}); {what} covers only the others")
    return out


def _engage(scn: Scenario, threats, flights, where, rng, progress, unavailable):
    """The scenario's raids against each interceptor site: fire control on the flown trajectories (commit from
    the site's sensor timeline, not before the site is active), then the battle manager's seeded Monte Carlo
    over the inventory. One realisation (trial 0) gives the per-threat outcome; the Monte Carlo gives the
    probabilities."""
    from bmdsim.analysis.engage import fan_at, interceptor_for, sensor_timeline
    from bmdsim.engagement import defenses
    from bmdsim.engagement.battle import Raid, fight
    from bmdsim.engagement.doctrine import Doctrine
    from bmdsim.engagement.firecontrol import Threats, windows

    sites_ = _defense_sites(scn, unavailable, "engagements")
    if not sites_ or not threats:
        return None, None, None
    order = [where[t.name] for t in threats]
    th = Threats(**{k: np.concatenate([getattr(flights[g], k)[[j]] for g, j in order])
                    for k in ("t_s", "r_ecef", "v_ecef", "t_launch_s", "t_burnout_s", "t_impact_s")})
    first_launch = min(t.launch_time_s for t in threats)
    rngs = rng.spawn(len(sites_))
    engagements, outcomes, battles = [], [], []
    progress("engagements", 0, len(sites_))
    for n, (site, g) in enumerate(zip(sites_, rngs, strict=True)):
        d = defenses.get(site.site)
        v = interceptor_for(site.interceptor, site=site.site)
        rcs = float(np.median([t.rcs_m2 for t in threats]))
        tl = sensor_timeline(th, site.site, seed=scn.seed, rcs_m2=rcs)
        active = first_launch + site.readiness.activation_delay_s if site.readiness.state == "delayed" else 0.0
        c = np.maximum(tl.t_earliest_launch_s, active)
        fan = fan_at(v, site.site)
        w = windows(fan, th, t_earliest_launch_s=c, min_intercept_altitude_m=d.min_intercept_altitude_m)
        doc = site.doctrine
        looks = doc.shots_per_threat if doc.mode == "shoot-look-shoot" else 1
        salvo = 1 if doc.mode == "shoot-look-shoot" else doc.shots_per_threat
        dc = Doctrine(salvo=salvo, looks=looks, assess_s=d.kill_assessment_s)
        opp, t_int = w.opportunities(assess_s=dc.assess_s, max_shots=looks)
        opp_alert = opp
        if active > 0:   # what the same site would have had on alert
            w0 = windows(fan, th, t_earliest_launch_s=tl.t_earliest_launch_s,
                         min_intercept_altitude_m=d.min_intercept_altitude_m)
            opp_alert, _ = w0.opportunities(assess_s=dc.assess_s, max_shots=looks)
        # objects: every missile of every raid, each followed by its decoys
        value, warhead, cluster, o_obj, raid_of = [], [], [], [], []
        for i, t in enumerate(threats):
            for _ in range(t.count):
                head = len(value)
                for k in range(1 + t.decoys):
                    value.append(1.0)
                    warhead.append(k == 0)
                    cluster.append(head)
                    o_obj.append(int(opp[i]))
                    raid_of.append(i)
        raid = Raid(value=np.array(value), warhead=np.array(warhead), cluster=np.array(cluster),
                    opportunities=np.array(o_obj)[None, :], inventory=np.array([site.inventory]),
                    pssk=np.array([doc.single_shot_kill_probability]))
        res = fight(raid, dc, p_discrimination=1.0, n_trials=1000, rng=g)
        killed0 = res.warhead_killed[0]
        p_kill = res.warhead_killed.mean(axis=0)
        wh_raid = np.array(raid_of)[np.array(warhead)]
        battles.append({"site": site.name, "interceptor": v.name, "inventory": site.inventory,
                        "doctrine": f"{doc.mode}, {doc.shots_per_threat} per threat", "pssk":
                        doc.single_shot_kill_probability, "active_from_s": active, "trials": 1000,
                        "warheads": int(wh_raid.size), "decoys": int(np.sum(~np.array(warhead))),
                        **res.to_dict()})
        eid = 0
        for i, t in enumerate(threats):
            mine = np.flatnonzero(wh_raid == i)
            kills = int(killed0[mine].sum())
            for s_ in range(int(opp[i])):
                eid += 1
                k_i = w.k_earliest[i]
                lat = lon = alt = math.nan
                if s_ == 0 and k_i >= 0:
                    from bmdsim.core import frames

                    la, lo, h = frames.ecef_to_geodetic(th.r_ecef[i, k_i])
                    lat, lon, alt = float(np.degrees(la)), float(np.degrees(lo)), float(h) / 1e3
                engagements.append({"engagement_id": eid, "site": site.name, "interceptor": v.name, "threat": t.name,
                                    "shot": s_ + 1, "t_launch_s": float(c[i]) if s_ == 0 else math.nan,
                                    "t_intercept_s": float(t_int[i, s_]), "intercept_latitude_deg": lat,
                                    "intercept_longitude_deg": lon, "intercept_altitude_km": alt,
                                    "closing_speed_mps": math.nan, "kill": None})
            if opp[i] == 0:
                outcome = "not-engaged"
                why = (f"lost to the delayed activation ({int(opp_alert[i])} opportunities on alert)"
                       if opp_alert[i] > 0 else "no intercept possible in the fan above the minimum altitude")
            else:
                outcome = "intercepted" if kills == mine.size else "leaked"
                why = f"{int(opp[i])} shot opportunit{'y' if opp[i] == 1 else 'ies'}"
                if opp_alert[i] > opp[i]:
                    why += f" ({int(opp_alert[i] - opp[i])} lost to the delayed activation)"
            outcomes.append({"threat": t.name, "site": site.name, "outcome": outcome, "shots": int(opp[i]),
                             "shots_on_alert": int(opp_alert[i]),
                             "warheads": int(mine.size), "killed_in_realisation": kills,
                             "p_kill": float(p_kill[mine].mean()) if mine.size else math.nan, "reason": why,
                             "commit_source": tl.source[i]})
        progress("engagements", n + 1, len(sites_))
    return engagements, outcomes, battles


def _chase(scn: Scenario, threats, progress, unavailable) -> list[dict]:
    """Which ICBM flights each interceptor variant could reach (capability: the site on alert)."""
    from bmdsim.analysis.chase import chase
    from bmdsim.errors import BmdsimError

    wanted = set(scn.analyses.chase.threats)
    flights = [t for t in threats if (t.name in wanted if wanted else t.is_icbm)]
    jobs = [(site, v, t) for site in _defense_sites(scn, unavailable, "chase") for v in site.all_variants
            for t in flights]
    rows = []
    progress("chase (ICBM x variant)", 0, max(len(jobs), 1))
    for k, (site, v, t) in enumerate(jobs):
        try:
            c = chase((t.launch_latitude_deg, t.launch_longitude_deg), (t.target_latitude_deg, t.target_longitude_deg),
                      t.missile, site=site.site, interceptor=v, threshold=False, seed=scn.seed)
        except BmdsimError as exc:
            rows.append({"threat": t.name, "site": site.name, "variant": v, "burnout_speed_mps": math.nan,
                         "engageable": False, "reason": f"not computed: {exc}"})
            continue
        if c.engageable:
            why = (f"{'tail chase' if c.tail_chase else 'head-on/crossing'} intercept at "
                   f"{c.intercept_altitude_km:,.0f} km altitude, {c.earliest_intercept_t_s / 60:.1f} min after "
                   f"launch, closing {c.closing_speed_mps / 1e3:.1f} km/s")
        else:
            why = (f"no intercept above {c.min_intercept_altitude_km:.0f} km within the fan "
                   f"(interceptor leaves {c.earliest_launch_t_s / 60:.1f} min after the threat's launch)")
        d = c.to_dict()
        rows.append({"threat": t.name, "site": site.name, "variant": v,
                     "burnout_speed_mps": c.interceptor_burnout_speed_mps, "engageable": c.engageable, "reason": why,
                     **{k2: d[k2] for k2 in ("earliest_launch_t_s", "earliest_intercept_t_s", "intercept_altitude_km",
                                            "closing_speed_mps", "tail_chase", "commit_time_source",
                                            "intercept_latitude_deg", "intercept_longitude_deg")}})
        progress("chase (ICBM x variant)", k + 1, max(len(jobs), 1))
    return rows


def _footprint(scn: Scenario, progress, unavailable) -> dict | None:
    """Defended footprints per launch area and interceptor variant (fire control of the engagement layer)."""
    from bmdsim.analysis.footprint import footprint
    from bmdsim.errors import BmdsimError

    a = scn.analyses.footprint
    resolve = _site_lookup(scn)
    jobs = [(site, v, ls) for site in _defense_sites(scn, unavailable, "footprint") for v in site.all_variants
            for ls in a.launch_sites]
    cells, cities, summaries = [], [], []
    progress("defended footprints", 0, max(len(jobs), 1))
    for k, (site, v, ls) in enumerate(jobs):
        launch = resolve("analyses.footprint.launch_sites", ls)
        try:
            f = footprint(launch, a.missile, site=site.site, interceptor=v, grid_deg=a.grid_step_deg,
                          region=tuple(a.region_deg), seed=scn.seed)
        except BmdsimError as exc:
            unavailable.setdefault("footprint", f"footprint for {v} from {ls} not computed: {exc}")
            continue
        for i in range(f.latitude_deg.size):
            cells.append({"analysis": "footprint", "site": site.name, "variant": v, "launch_site": ls,
                          "latitude_deg": float(f.latitude_deg[i]), "longitude_deg": float(f.longitude_deg[i]),
                          "reachable": bool(f.reachable[i]), "defended": bool(f.defended[i]),
                          "shots": int(f.shots[i]), "p_no_leak": float(f.p_no_leak[i])})
        for c in f.cities:
            cities.append({"site": site.name, "variant": v, "launch_site": ls, **c})
        summaries.append({"site": site.name, "variant": v, "launch_site": ls, "missile": a.missile,
                          "cells": int(f.latitude_deg.size), "reachable_cells": int(f.reachable.sum()),
                          "defended_cells": int(f.defended.sum()), "defended_fraction": f.defended_fraction,
                          "pssk": f.pssk, "salvo": f.salvo, "commit_time_source": f.commit_time_source})
        progress("defended footprints", k + 1, max(len(jobs), 1))
    if not summaries:
        return None
    main = {x.name: x.interceptor for x in scn.interceptor_sites}
    defended = sorted({c["name"] for c in cities if c["defended"] and main.get(c["site"]) == c["variant"]})
    return {"cells": cells, "cities": cities, "summaries": summaries, "defended_cities": defended,
            "missile": a.missile, "grid_step_deg": a.grid_step_deg, "region_deg": list(a.region_deg)}


# ------------------------------------------------------------------------------------------------ public
def run(scn: Scenario, progress: Callable[[str, int, int], None] | None = None, *,
        base_dir: Path | None = None) -> RunResult:
    """Run every step of the scenario (see the module docstring) and return the results.

    ``base_dir`` is the scenario's folder (files it names are resolved there); None for bundled scenarios.
    """
    progress = progress or (lambda *_: None)
    started = _utc_now()
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name):
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    rng = np.random.default_rng(scn.seed)
    rng_sensing, rng_sharing, rng_engage = rng.spawn(3)

    threats, flights, truths, where = _fly(scn, progress)
    trajectories = _trajectories(threats, truths, scn.trajectory_step_s)
    lap("flights")
    sensors, sensor_info = _build_sensors(scn)
    dets, tracks, unseen, observations = [], {}, {}, {}
    if sensors:
        dets, tracks, unseen, observations = _sense(threats, truths, sensors, sensor_info, rng_sensing, progress)
    lap("sensing")
    rings = []
    if scn.analyses.coverage.enabled and sensors:
        rings = _coverage(scn, sensors, sensor_info, progress)
    lap("coverage")
    decision = _decision(scn, threats, dets) if scn.analyses.decision_time.enabled else []
    sharing, sharing_sensors, sharing_pips, feeds = [], [], [], {}
    if scn.analyses.sharing.enabled and observations:
        sharing, sharing_sensors, sharing_pips, feeds = _sharing(scn, threats, observations, sensor_info,
                                                                 rng_sharing, progress)
    lap("sharing")
    aircraft = _aircraft(scn, base_dir, progress) if scn.analyses.airspace.enabled else []
    lap("airspace")

    unavailable: dict[str, str] = {}
    chase_rows, footprint, engagements, outcomes, battle = None, None, None, None, None
    if scn.interceptor_sites:
        engagements, outcomes, battle = _engage(scn, threats, flights, where, rng_engage, progress, unavailable)
    lap("engagements")
    if scn.analyses.chase.enabled and scn.interceptor_sites:
        chase_rows = _chase(scn, threats, progress, unavailable)
    lap("chase")
    if scn.analyses.footprint.enabled and scn.interceptor_sites:
        footprint = _footprint(scn, progress, unavailable)
    lap("footprint")
    return RunResult(scenario=scn, threats=threats, flights=flights, trajectories=trajectories,
                     sensors=sensor_info, detections=dets, tracks=tracks, coverage=rings, unseen=unseen,
                     decision=decision, sharing=sharing, sharing_sensors=sharing_sensors,
                     sharing_pips=sharing_pips, feeds=feeds, aircraft=aircraft, chase=chase_rows, footprint=footprint,
                     engagements=engagements, outcomes=outcomes, battle=battle,
                     unavailable=unavailable,
                     started_utc=started, finished_utc=_utc_now(), timings_s=timings)
