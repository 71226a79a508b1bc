"""One threat through the sensors: truth -> detections -> fused track -> predicted impact points -> timeline,
optionally a shared feed and what its observer learns; and the 2007 question of how much of a Russian ICBM
flight each radar sees.

Entry points (what a scenario runner calls):

- :func:`fly_truth`: aim and fly one missile with dense output (``Truth``).
- :func:`default_sensors`: the infrared satellites (the cue), the early-warning radars of the 2007 system that
  could see this flight (Fylingdales, Thule), and the Brdy radar.
- :func:`observe_threat`: everything the defense knows about one threat (:class:`ThreatObservation`), with the
  observer's view when a :class:`~bmdsim.sensing.feed.FeedSpec` is given; :func:`observation_dict` turns it into
  the JSON object of ``bmdsim track --json``.
- :func:`russian_icbm_visibility`: per Russian ICBM field, U.S. target and radar, how much of the flight (time and
  ground range) the radar could see.

Decisions (docs/design.md, "Sensing: shared feed and track command"): the fused ballistic track uses the radar
reports after burnout only (the filter has no thrust model: boost-phase reports drag its velocity for minutes);
detection and track-established times still count every report. The PIP error is measured against the impact
point of the flown truth (with drag), so it contains the PIP's vacuum-model bias, reported separately as
``pip_model_bias_km`` (the PIP of the true state at the last PIP time).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from bmdsim.analysis.flown import Truth, Truths
from bmdsim.analysis.sharing import MILESTONES_KM, ObserverView, first_within, observer_view
from bmdsim.core import frames, geodesy
from bmdsim.core.records import real, table, text
from bmdsim.errors import InputError, UnreachableError
from bmdsim.flight import catalog as flight_catalog
from bmdsim.flight import sites
from bmdsim.flight.aimed import aim_and_fly
from bmdsim.flight.profiles import DEFAULT_PROFILE
from bmdsim.flight.vehicle import Vehicle
from bmdsim.sensing import catalog, coverage, detection
from bmdsim.sensing.feed import Feed, FeedSpec, share, with_pips
from bmdsim.sensing.radar import Radar
from bmdsim.sensing.tracking import TrackResult, predicted_impact_point, track_object

__all__ = ["Truth", "SensorSummary", "ThreatObservation", "VisibilityRow", "fly_truth", "fly_truths",
           "default_sensors", "resolve_sensors", "observe_threat", "observation_dict", "russian_icbm_visibility",
           "truths_from_flights", "fused_track", "share_observation", "EARLY_WARNING", "DEFAULT_RCS_M2",
           "UnseenFlight", "unseen_flight"]

#: the early-warning radars of the 2007 system considered by default (Gabala, offered by Russia, only on request)
EARLY_WARNING = ("fylingdales", "thule")
#: radar cross-section of a warhead (m^2), the scenario schema's default (notional)
DEFAULT_RCS_M2 = 0.1


# ------------------------------------------------------------------------------------------------- truth
def _vehicle(missile) -> Vehicle:
    return missile if isinstance(missile, Vehicle) else flight_catalog.get(missile)


def fly_truths(missile, launches, targets, *, dt_s: float = 2.0, profile: str = DEFAULT_PROFILE,
               t_launch_s: float = 0.0) -> list[Truth]:
    """Aim and fly one missile from each launch point ``(lat, lon)`` to each target (lists of equal length),
    in one batch; dense samples every ``dt_s`` (plus the impact itself)."""
    v = _vehicle(missile)
    la0, lo0 = np.array([p[0] for p in launches], float), np.array([p[1] for p in launches], float)
    la1, lo1 = np.array([p[0] for p in targets], float), np.array([p[1] for p in targets], float)
    if not (dt_s > 0 and math.isfinite(dt_s)):
        raise InputError("dt_s", dt_s, "give a positive sampling interval in seconds, e.g. 2")
    sol, f = aim_and_fly(v, la0, lo0, la1, lo1, profile=profile, t_launch_s=t_launch_s, dense_dt_s=dt_s)
    return truths_from_flights(f, missile=v.name, targets=np.stack([la1, lo1], axis=-1), miss_m=sol.miss_m)


def truths_from_flights(f, *, missile: str, targets, miss_m) -> list[Truth]:
    """One :class:`Truth` per row of a batch of flights flown with dense output (``Options(dense_dt_s=...)``):
    the rows of :meth:`Truths.from_flights <bmdsim.analysis.flown.Truths.from_flights>`."""
    return Truths.from_flights(f, missile=missile, targets=targets, miss_m=miss_m).truths()


def fly_truth(missile, launch, target, *, dt_s: float = 2.0, profile: str = DEFAULT_PROFILE) -> Truth:
    """Aim and fly one missile; ``launch``/``target`` are site names or ``(lat, lon)`` / ``"LAT,LON"``."""
    p0 = sites.resolve("launch", launch) if isinstance(launch, str) else tuple(launch)
    p1 = sites.resolve("target", target) if isinstance(target, str) else tuple(target)
    return fly_truths(missile, [p0], [p1], dt_s=dt_s, profile=profile)[0]


# ----------------------------------------------------------------------------------------------- sensors
def _coverable_any(radar: Radar, truth: Truth, rcs_m2: float) -> bool:
    return bool(np.any(radar.coverable(radar.geometry(truth.r_ecef), rcs_m2)))


def default_sensors(truth: Truth, rcs_m2: float = DEFAULT_RCS_M2) -> list:
    """The infrared satellites (they cue the Brdy radar), the early-warning radars of :data:`EARLY_WARNING` that
    could detect this flight (visible with a track dwell at the design SNR at some sample), and Brdy."""
    out = [catalog.infrared("ew-satellites")]
    out += [r for r in (catalog.radar(n) for n in EARLY_WARNING) if _coverable_any(r, truth, rcs_m2)]
    out.append(catalog.radar("brdy"))
    return out


def resolve_sensors(names) -> list:
    """Catalog sensors by name (radars, their variants and short names, infrared constellations); an unknown
    name raises :class:`~bmdsim.errors.UnknownNameError` naming ``--radars``."""
    from bmdsim.errors import UnknownNameError

    out, seen = [], set()
    for n in names:
        n = str(n).strip()
        if not n:
            continue
        try:
            s = catalog.sensor(n)
        except UnknownNameError:
            raise UnknownNameError("sensors", n, [*catalog.radar_names(with_aliases=True),
                                                   *catalog.infrared_names()]) from None
        if s.name not in seen:
            seen.add(s.name)
            out.append(s)
    if not out:
        raise InputError("sensors", ",".join(map(str, names)), "name at least one sensor, e.g. brdy,"
                         "fylingdales (see `bmdsim radars`)")
    return out


# ----------------------------------------------------------------------------------------------- one threat
@dataclass(frozen=True, slots=True, kw_only=True)
class SensorSummary:
    """One sensor against one threat. Times in seconds since the epoch (NaN: never).

    ``undetectable_ground_range_km``: for a radar, the ground range flown before it *could* detect the threat
    (capability: visible, track dwell at the design SNR, cued radars assumed cued;
    :func:`bmdsim.sensing.coverage.unseen_ground_range`); for the infrared satellites, before they could see the
    plume. ``visible_ground_range_km``: ground range when the threat first entered its view (horizon, field of
    regard, instrumented range; no SNR); ``detected_ground_range_km``: at its first (drawn) detection.
    """

    name: str
    kind: str
    first_visible_t_s: float
    cue_t_s: float
    first_detection_t_s: float
    track_established_t_s: float
    report_t_s: float
    undetectable_ground_range_km: float
    visible_ground_range_km: float
    detected_ground_range_km: float
    measurements: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatObservation:
    """What the defense (and, with a feed, its observer) knows of one threat.

    ``pip_t_s``/``pip_error_km``/``pip_sigma_km`` ``(P,)``: the fused track's PIP every ``pip_dt_s``, its
    distance to the true impact point and its 1-sigma semi-major axis. ``timeline``: events in time order
    (dicts with ``t_s``, ``event``, ``sensor``, ``ground_range_km``).
    """

    object_id: str
    truth: Truth
    rcs_m2: float
    sensors: tuple[SensorSummary, ...]
    unseen: coverage.Unseen | None
    detections: tuple
    track: TrackResult | None
    track_start_t_s: float
    pip_t_s: np.ndarray
    pip_error_km: np.ndarray
    pip_sigma_km: np.ndarray
    pip_model_bias_km: float
    timeline: tuple[dict, ...]
    feed: Feed | None = None
    observer: ObserverView | None = None


@table("unseen", "How far each threat flies before it is seen: before the first reported radar detection "
       "(the draws of sensor_detections: the same first detection as there and as `bmdsim track --json`), and, as "
       "a capability, before any radar could detect it at all (visible and a track dwell at the design SNR, cued "
       "radars assumed cued). A detection can come before the capability time: a fluctuating target is sometimes "
       "detected below the design SNR.")
@dataclass(frozen=True, slots=True, kw_only=True)
class UnseenFlight:
    threat: str = text("raid name")
    first_detection_radar: str | None = text("radar of the first radar detection (NULL: no radar detected it)")
    first_detection_t_s: float = real("first radar detection (the earliest sensor_detections.first_detection_t_s "
                                      "of a radar)")
    first_detection_after_launch_s: float = real("the same, s after the threat's launch")
    unseen_ground_range_km: float = real("ground range from the launch point to the sub-point at the first radar "
                                         "detection")
    first_detection_altitude_km: float = real("altitude then (km)")
    total_ground_range_km: float = real("ground range of the whole flight")
    first_detectable_radar: str | None = text("first radar able to detect it at its design SNR (capability)")
    first_detectable_t_s: float = real("when that radar first could")
    undetectable_ground_range_km: float = real("ground range flown before any radar could detect it (capability)")


def unseen_flight(obs: ThreatObservation, threat: str | None = None) -> UnseenFlight:
    """The unseen part of one observed threat (the one definition used by ``bmdsim track``, the run, its
    database and report): the first radar detection among the reported draws, and the capability answer of
    :func:`bmdsim.sensing.coverage.unseen_ground_range`."""
    truth = obs.truth
    radar = [(d.first_detection_t_s, d.measurements.sensor) for d in obs.detections
             if d.kind == "radar" and math.isfinite(d.first_detection_t_s)]
    t_det, who = min(radar) if radar else (math.nan, None)
    alt_km = math.nan
    if math.isfinite(t_det):
        r, _ = detection.interpolate_state(truth.t_s, truth.r_ecef, truth.v_ecef, [t_det])
        alt_km = float(frames.ecef_to_geodetic(r)[2][0]) / 1e3
    u = obs.unseen
    seen = u is not None and math.isfinite(u.first_seen_t_s)
    return UnseenFlight(
        threat=threat or obs.object_id, first_detection_radar=who, first_detection_t_s=float(t_det),
        first_detection_after_launch_s=float(t_det - truth.t_launch_s),
        unseen_ground_range_km=_range_at(truth, t_det), first_detection_altitude_km=alt_km,
        total_ground_range_km=_range_at(truth, float(truth.t_s[-1])),
        first_detectable_radar=(u.radar or None) if seen else None,
        first_detectable_t_s=float(u.first_seen_t_s) if seen else math.nan,
        undetectable_ground_range_km=float(u.ground_range_km) if seen else math.nan)


def _check_rcs(rcs_m2):
    if not (isinstance(rcs_m2, int | float) and math.isfinite(rcs_m2) and rcs_m2 > 0):
        raise InputError("rcs_m2", rcs_m2, "give a positive radar cross-section in m^2, e.g. 0.1 for a warhead")


def _truth_pip_bias_km(truth: Truth, t_s: float) -> float:
    """Distance (km) between the vacuum PIP of the true state at ``t_s`` and the true impact (the model part of
    the PIP error: drag in reentry, which the PIP ignores)."""
    r, v = detection.interpolate_state(truth.t_s, truth.r_ecef, truth.v_ecef, [t_s])
    if not np.all(np.isfinite(r)):
        return math.nan
    r_eci, v_eci = frames.ecef_to_eci(r, t_s, v)
    x = np.concatenate([r_eci, v_eci], axis=-1)
    p = predicted_impact_point(x, np.eye(6)[None] * 1e-6, t_s)
    return float(p.error_km(truth.impact_latitude_deg, truth.impact_longitude_deg)[0])


def _range_at(truth: Truth, t_s: float) -> float:
    return float(truth.ground_range_km_at(t_s)[0]) if math.isfinite(t_s) else math.nan


def observe_threat(truth: Truth, sensors=None, *, rng: np.random.Generator, rcs_m2: float = DEFAULT_RCS_M2,
                   share_spec: FeedSpec | None = None, pip_dt_s: float = 10.0, method: str = "ekf",
                   object_id: str = "threat") -> ThreatObservation:
    """Run ``sensors`` (default :func:`default_sensors`) against one threat, fuse the radar reports after
    burnout into one track, score its PIP over time, build the timeline, and with ``share_spec`` the feed and
    the observer's view.

    Randomness: two children of ``rng`` (sensing, feed), each spawned further per sensor and stream, so the
    result is reproducible from one seed.
    """
    if not isinstance(rng, np.random.Generator):
        raise InputError("rng", type(rng).__name__, "pass a numpy.random.Generator, e.g. np.random.default_rng(1)")
    _check_rcs(rcs_m2)
    if not (pip_dt_s > 0 and math.isfinite(pip_dt_s)):
        raise InputError("pip_dt_s", pip_dt_s, "give a positive PIP interval in seconds, e.g. 10")
    sensors = default_sensors(truth, rcs_m2) if sensors is None else list(sensors)
    g_sense, g_feed = rng.spawn(2)
    res = detection.detect_all(sensors, truth.t_s, truth.r_ecef, truth.v_ecef, rng=g_sense, rcs_m2=rcs_m2,
                               t_burnout_s=truth.t_burnout_s)
    lat0, lon0 = truth.launch_latitude_deg, truth.launch_longitude_deg
    summaries = []
    for s, d in zip(sensors, res, strict=True):
        if isinstance(s, Radar):
            u = coverage.unseen_ground_range([s], truth.t_s, truth.r_ecef, truth.v_ecef, rcs_m2=rcs_m2,
                                             launch_latitude_deg=lat0, launch_longitude_deg=lon0)
            unseen = u.ground_range_km if math.isfinite(u.first_seen_t_s) else math.nan
        else:
            unseen = _range_at(truth, d.first_visible_t_s)
        summaries.append(SensorSummary(
            name=s.name, kind=d.kind, first_visible_t_s=float(d.first_visible_t_s), cue_t_s=float(d.cue_t_s),
            first_detection_t_s=float(d.first_detection_t_s), track_established_t_s=float(d.track_t_s),
            report_t_s=float(d.report_t_s), undetectable_ground_range_km=float(unseen),
            visible_ground_range_km=_range_at(truth, d.first_visible_t_s),
            detected_ground_range_km=_range_at(truth, d.first_detection_t_s), measurements=len(d.measurements)))
    radars = [s for s in sensors if isinstance(s, Radar)]
    overall = (coverage.unseen_ground_range(radars, truth.t_s, truth.r_ecef, truth.v_ecef, rcs_m2=rcs_m2,
                                            launch_latitude_deg=lat0, launch_longitude_deg=lon0)
               if radars else None)
    track = fused_track(res, truth.t_burnout_s, pip_dt_s=pip_dt_s, method=method)
    pip_t = pip_e = pip_s = np.zeros(0)
    bias = math.nan
    if track is not None:
        ok = np.isfinite(track.pip.latitude_deg)
        pip_t = track.t_s[ok]
        pip_e = track.pip.error_km(truth.impact_latitude_deg, truth.impact_longitude_deg)[ok]
        pip_s = track.pip.semi_major_km[ok]
        if pip_t.size:
            bias = _truth_pip_bias_km(truth, float(pip_t[-1]))
    obs = ThreatObservation(
        object_id=object_id, truth=truth, rcs_m2=float(rcs_m2), sensors=tuple(summaries), unseen=overall,
        detections=tuple(res), track=track, track_start_t_s=float(track.t_s[0]) if track is not None else math.nan,
        pip_t_s=pip_t, pip_error_km=pip_e, pip_sigma_km=pip_s, pip_model_bias_km=bias, timeline=())
    feed = view = None
    if share_spec is not None:
        feed, view = share_observation(obs, share_spec, rng=g_feed, pip_dt_s=pip_dt_s, method=method)
    return replace(obs, timeline=_timeline(obs, view), feed=feed, observer=view)


def fused_track(detections, t_burnout_s: float, *, sensors=None, pip_dt_s: float = 10.0,
                method: str = "ekf") -> TrackResult | None:
    """The fused ballistic track of the radar reports after burnout (the filter has no thrust model), with its
    PIP every ``pip_dt_s`` (:func:`~bmdsim.sensing.feed.with_pips`); None with fewer than 3 such reports.

    ``detections``: :class:`~bmdsim.sensing.detection.DetectionResult` per sensor (angles-only sensors are
    skipped); ``sensors``: names of the radars to fuse (default all).
    """
    ms = [d.measurements.select(d.measurements.t_s > t_burnout_s) for d in detections
          if d.kind == "radar" and (sensors is None or d.measurements.sensor in sensors)]
    ms = [m for m in ms if len(m)]
    if sum(len(m) for m in ms) < 3:
        return None
    return with_pips(track_object(ms, pip=False, method=method), dt_s=pip_dt_s)


def share_observation(obs: ThreatObservation, spec: FeedSpec, *, rng: np.random.Generator,
                      track: TrackResult | None | str = "defense", pip_dt_s: float = 10.0,
                      method: str = "ekf") -> tuple[Feed, ObserverView]:
    """The feed ``spec`` makes of what the defense knows of one threat (:func:`~bmdsim.sensing.feed.share`), and
    what its observer learns from it, scored against the truth and the defense
    (:func:`~bmdsim.analysis.sharing.observer_view`).

    ``track``: the track whose states and PIPs are shared; ``"defense"`` (default) is the defense's fused track
    ``obs.track`` (a scenario that shares only some radars passes :func:`fused_track` of those).
    """
    truth = obs.truth
    shared = obs.track if isinstance(track, str) and track == "defense" else track
    feed = share([d.measurements for d in obs.detections if d.kind == "radar"], shared, spec, rng=rng,
                 object_id=obs.object_id)
    view = observer_view(feed, impact_latitude_deg=truth.impact_latitude_deg,
                         impact_longitude_deg=truth.impact_longitude_deg,
                         ground_range_km_at=truth.ground_range_km_at, sensor_names=[s.name for s in obs.sensors],
                         defense_track_t_s={s.name: s.track_established_t_s for s in obs.sensors},
                         defense_pip_t_s=obs.pip_t_s, defense_pip_error_km=obs.pip_error_km,
                         t_end_s=truth.t_impact_s, track_after_s=truth.t_burnout_s, pip_dt_s=pip_dt_s, method=method)
    return feed, view


def _timeline(obs: ThreatObservation, view: ObserverView | None) -> tuple[dict, ...]:
    tr = obs.truth
    ev: list[tuple[float, str, str | None]] = [(tr.t_launch_s, "launch", None), (tr.t_burnout_s, "burnout", None),
                                               (tr.t_apogee_s, "apogee", None), (tr.t_impact_s, "impact", None)]
    for s in obs.sensors:
        ev.append((s.first_detection_t_s, "first detection", s.name))
        ev.append((s.track_established_t_s, "track established", s.name))
        if s.kind == "infrared":
            ev.append((s.report_t_s, "launch report", s.name))
        elif math.isfinite(s.cue_t_s):
            ev.append((s.cue_t_s, "cued", s.name))
    if obs.unseen is not None and math.isfinite(obs.unseen.first_seen_t_s):
        ev.append((obs.unseen.first_seen_t_s, "first radar could detect", obs.unseen.radar))
    if obs.pip_t_s.size:
        ev.append((float(obs.pip_t_s[0]), "first predicted impact point", None))
        for km in MILESTONES_KM:
            ev.append((first_within(obs.pip_t_s, obs.pip_error_km, km), f"PIP stays within {km:g} km", None))
    if view is not None:
        ev.append((view.first_received_t_s, "observer: first message received", None))
        if view.pip_t_s.size:
            ev.append((float(view.pip_t_s[0]), "observer: first predicted impact point", None))
        for km in MILESTONES_KM:
            ev.append((first_within(view.pip_t_s, view.pip_error_km, km), f"observer: PIP stays within {km:g} km",
                       None))
    ev = [e for e in ev if math.isfinite(e[0])]
    ev.sort(key=lambda e: e[0])
    gr = tr.ground_range_km_at(np.array([e[0] for e in ev])) if ev else np.zeros(0)
    return tuple({"t_s": float(t), "event": name, "sensor": sensor, "ground_range_km": float(g)}
                 for (t, name, sensor), g in zip(ev, gr, strict=True))


# --------------------------------------------------------------------------------------------- JSON contract
def _r(x, nd=3):
    if x is None:
        return None
    x = float(x)
    return round(x, nd) if math.isfinite(x) else None


def _rl(a, nd=3):
    return [_r(v, nd) for v in np.asarray(a, float).tolist()]


def _sensor_dict(s) -> dict:
    keys = ("first_detection_t_s", "track_established_t_s",
            "undetectable_ground_range_km" if isinstance(s, SensorSummary) else "unseen_ground_range_km")
    out = {k: _r(getattr(s, k), 2 if k.endswith("_s") else 1) for k in keys}
    if isinstance(s, SensorSummary):
        out.update(kind=s.kind, first_visible_t_s=_r(s.first_visible_t_s, 2), cue_t_s=_r(s.cue_t_s, 2),
                   report_t_s=_r(s.report_t_s, 2),
                   visible_ground_range_km=_r(s.visible_ground_range_km, 1),
                   detected_ground_range_km=_r(s.detected_ground_range_km, 1),
                   measurements=s.measurements)
    else:
        out["messages"] = s.messages
    return out


def observation_dict(obs: ThreatObservation) -> dict:
    """The JSON object of ``bmdsim track --json`` (keys documented in ``bmdsim track --help``). Times in seconds
    since the epoch (launch at ``flight.launch_t_s``), distances in km; NaN becomes None."""
    tr = obs.truth
    out = {
        "object": obs.object_id,
        "missile": tr.missile,
        "rcs_m2": obs.rcs_m2,
        "flight": {"launch_latitude_deg": tr.launch_latitude_deg, "launch_longitude_deg": tr.launch_longitude_deg,
                   "target_latitude_deg": tr.target_latitude_deg, "target_longitude_deg": tr.target_longitude_deg,
                   "launch_t_s": tr.t_launch_s, "burnout_t_s": _r(tr.t_burnout_s, 2),
                   "apogee_km": _r(tr.apogee_m / 1e3, 1), "impact_t_s": _r(tr.t_impact_s, 2),
                   "time_of_flight_s": _r(tr.time_of_flight_s, 1), "range_km": _r(tr.range_m / 1e3, 1),
                   "impact_latitude_deg": _r(tr.impact_latitude_deg, 5),
                   "impact_longitude_deg": _r(tr.impact_longitude_deg, 5), "miss_m": _r(tr.miss_m, 1)},
        "sensors": {s.name: _sensor_dict(s) for s in obs.sensors},
        "unseen": None if not any(d.kind == "radar" for d in obs.detections) else {
            k: (_r(v, 2 if k.endswith("_s") else 1) if isinstance(v, float) else v)
            for k, v in asdict(unseen_flight(obs)).items() if k != "threat"},
        "track": {"fused_track_start_t_s": _r(obs.track_start_t_s, 2),
                  "updates": 0 if obs.track is None else int(obs.track.t_s.size),
                  "uses_reports_after_t_s": _r(tr.t_burnout_s, 2),
                  "final_pip_error_km": _r(obs.pip_error_km[-1]) if obs.pip_error_km.size else None,
                  "final_pip_sigma_km": _r(obs.pip_sigma_km[-1]) if obs.pip_sigma_km.size else None,
                  "pip_model_bias_km": _r(obs.pip_model_bias_km),
                  **{f"pip_stays_within_{km:g}_km_t_s": _r(first_within(obs.pip_t_s, obs.pip_error_km, km), 2)
                     for km in MILESTONES_KM}},
        "pip_t_s": _rl(obs.pip_t_s, 2),
        "pip_error_km": _rl(obs.pip_error_km),
        "pip_sigma_km": _rl(obs.pip_sigma_km),
        "timeline": [{**e, "t_s": _r(e["t_s"], 2), "ground_range_km": _r(e["ground_range_km"], 1)}
                     for e in obs.timeline],
    }
    v = obs.observer
    if v is not None:
        comp = {k: (_rl(val, 2 if k == "t_s" else 3) if isinstance(val, np.ndarray) else _r(val, 3))
                for k, val in v.comparison.items()}
        out["observer"] = {
            "feed": v.spec.as_dict(), "source": v.source, "first_received_t_s": _r(v.first_received_t_s, 2),
            "messages": v.messages, "removed_by_blanking": v.removed_by_blanking,
            "sensors": {s.name: _sensor_dict(s) for s in v.sensors},
            "final_pip_error_km": _r(v.pip_error_km[-1]) if v.pip_error_km.size else None,
            "pip_t_s": _rl(v.pip_t_s, 2), "pip_error_km": _rl(v.pip_error_km), "pip_sigma_km": _rl(v.pip_sigma_km),
            "comparison": comp,
        }
    return out


# ------------------------------------------------------------------------------------ Russian ICBM visibility
@dataclass(frozen=True, slots=True, kw_only=True)
class VisibilityRow:
    """How much of one flight one radar could see (capability: visible, track dwell at the design SNR for
    ``rcs_m2``, cued radars assumed cued), at the resolution of the truth samples (``dt_s``).

    ``first_seen_after_launch_s``/``last_seen_after_launch_s``: s after launch; ``seen_time_s`` the time within
    that span it could detect the object (gaps excluded); ground ranges from launch to the first and the last seen
    sub-point.
    """

    field: str
    target: str
    radar: str
    time_of_flight_s: float
    total_ground_range_km: float
    first_seen_after_launch_s: float
    last_seen_after_launch_s: float
    seen_time_s: float
    first_seen_ground_range_km: float
    last_seen_ground_range_km: float
    first_seen_altitude_km: float

    @property
    def seen_fraction(self) -> float:
        return self.seen_time_s / self.time_of_flight_s if self.time_of_flight_s > 0 else math.nan

    def as_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["seen_fraction"] = self.seen_fraction
        d["seen_ground_range_km"] = self.last_seen_ground_range_km - self.first_seen_ground_range_km
        return {k: (_r(v, 2) if isinstance(v, float) else v) for k, v in d.items()}


def russian_icbm_visibility(radars=("brdy", "fylingdales", "thule"), fields=None,
                            targets=("washington", "new-york", "boston"), *, missile: str = "icbm-solid-russia",
                            rcs_m2: float = DEFAULT_RCS_M2, dt_s: float = 2.0) -> list[VisibilityRow]:
    """For each Russian ICBM field (default: every ``icbm-field`` site) and U.S. target, fly ``missile``
    (minimum energy) and report, per radar, how much of the flight it could see: the 2007 question "what does
    the Brdy radar see of Russian ICBMs?". Pairs out of the missile's reach are skipped.
    """
    _check_rcs(rcs_m2)
    rads = [catalog.radar(n) for n in radars]
    if fields is None:
        fields = [k for k, s in sites.all_sites().items() if s.kind == "icbm-field"]
    pairs = [(f, t) for f in fields for t in targets]
    p0 = [sites.resolve("fields", f) for f, _ in pairs]
    p1 = [sites.resolve("targets", t) for _, t in pairs]
    try:
        truths = fly_truths(missile, p0, p1, dt_s=dt_s)
        flown = list(zip(pairs, truths, strict=True))
    except UnreachableError:
        flown = []
        for pair, a, b in zip(pairs, p0, p1, strict=True):
            try:
                flown.append((pair, fly_truths(missile, [a], [b], dt_s=dt_s)[0]))
            except UnreachableError:
                continue
    rows = []
    for (fname, tname), tr in flown:
        lat, lon, h = frames.ecef_to_geodetic(tr.r_ecef)
        gr, _ = geodesy.inverse(tr.launch_latitude_deg, tr.launch_longitude_deg, np.degrees(lat), np.degrees(lon))
        gr = np.asarray(gr) / 1e3
        dt = np.diff(tr.t_s, append=tr.t_s[-1])
        for r in rads:
            cov = r.coverable(r.geometry(tr.r_ecef), rcs_m2)
            idx = np.flatnonzero(cov)
            if idx.size:
                i0, i1 = int(idx[0]), int(idx[-1])
                row = dict(first_seen_after_launch_s=tr.t_s[i0] - tr.t_launch_s,
                           last_seen_after_launch_s=tr.t_s[i1] - tr.t_launch_s,
                           seen_time_s=float(np.sum(dt[idx[idx < tr.t_s.size - 1]])),
                           first_seen_ground_range_km=float(gr[i0]), last_seen_ground_range_km=float(gr[i1]),
                           first_seen_altitude_km=float(h[i0]) / 1e3)
            else:
                row = dict(first_seen_after_launch_s=math.nan, last_seen_after_launch_s=math.nan, seen_time_s=0.0,
                           first_seen_ground_range_km=math.nan, last_seen_ground_range_km=math.nan,
                           first_seen_altitude_km=math.nan)
            rows.append(VisibilityRow(field=fname, target=tname, radar=r.name,
                                      time_of_flight_s=tr.time_of_flight_s, total_ground_range_km=tr.range_m / 1e3,
                                      **{k: float(v) for k, v in row.items()}))
    return rows

