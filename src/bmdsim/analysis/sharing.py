"""What an observer learns from a shared feed about one threat, next to what the defense itself knows.

:func:`observer_view` takes a :class:`~bmdsim.sensing.feed.Feed` and the truth-side facts it is scored against
(impact point, ground range along the flight) and returns an :class:`ObserverView`: per sensor the times and
ground range as the observer sees them, its predicted-impact-point error and sigma over reception time
(:func:`bmdsim.sensing.feed.infer`), and a comparison with the defense's own PIP error on a common time grid.

Per-sensor fields as the observer sees them (each message names the radar whose data it carries):
``first_detection_t_s`` = reception of the first message from that radar; ``track_established_t_s`` = reception
of the first message from it valid at or after the defense established its track; ``unseen_ground_range_km`` =
ground range from launch at the validity time of its first message (the part of the flight the feed never
shows from that radar). Times are seconds since the epoch (launch at 0 in the ``track`` command).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from bmdsim.core.records import flag, integer, real, table, text
from bmdsim.sensing.feed import Feed, FeedSpec, ObserverPips, infer

__all__ = ["ObservedSensor", "ObserverView", "observer_view", "first_within", "step_values", "MILESTONES_KM",
           "SharedFeed", "SharedFeedSensor", "SharedFeedPip"]

MILESTONES_KM = (100.0, 10.0, 1.0)


@table("shared_feed", "What each observer learns from its shared radar feed, per threat, next to the defense "
       "(bmdsim.sensing.feed.share, bmdsim.analysis.sharing.observer_view). The messages themselves are in "
       "feed-OBSERVER.jsonl.")
@dataclass(frozen=True, slots=True, kw_only=True)
class SharedFeed:
    observer: str = text("observer name")
    threat: str = text("raid name")
    feedspec: str = text("the feed as a FEEDSPEC string (bmdsim track --share grammar)")
    content: str = text("what is shared: detections, tracks, pips")
    feed_from: str = text("radars shared (their detections, and the track fused from their reports)")
    latency_s: float = real("validity to reception (s)")
    interval_s: float = real("at most one message per stream per interval (s); 0 = all")
    noise_m: float = real("added 1-sigma error on shared positions (m)")
    noise_mps: float = real("added 1-sigma error on shared track velocities (m/s)")
    blank_regions: int = integer("regions held back")
    source: str = text("what the observer's PIPs come from: pips | tracks | detections | none")
    detection_messages: int = integer("detections received")
    track_messages: int = integer("track states")
    pip_messages: int = integer("predicted impact points received")
    removed_by_blanking: int = integer("messages the blanked regions held back")
    first_received_t_s: float = real("first message reaching the observer")
    first_received_after_launch_s: float = real("the same, s after the threat's launch")
    defense_final_pip_error_km: float = real("the defense's last PIP error (km)")
    observer_final_pip_error_km: float = real("the observer's last PIP error (km)")
    defense_stays_within_100_km_t_s: float = real("from when the defense's PIP stays within 100 km of the true "
                                                  "impact")
    observer_stays_within_100_km_t_s: float = real("the same for the observer (reception time)")
    observer_delay_100_km_s: float = real("observer minus defense (s)")
    defense_stays_within_10_km_t_s: float = real("... within 10 km")
    observer_stays_within_10_km_t_s: float = real("")
    observer_delay_10_km_s: float = real("")
    defense_stays_within_1_km_t_s: float = real("... within 1 km (NULL where the PIP's vacuum bias alone exceeds "
                                                "1 km, as for several ICBMs)")
    observer_stays_within_1_km_t_s: float = real("")
    observer_delay_1_km_s: float = real("")
    reveals_impact_area: bool = flag("the observer's PIP comes within 10 km and stays there before impact")


@table("shared_feed_sensors", "Per observer, threat and shared radar: the radar as the observer sees it.")
@dataclass(frozen=True, slots=True, kw_only=True)
class SharedFeedSensor:
    observer: str = text("observer name")
    threat: str = text("raid name")
    sensor: str = text("radar")
    messages: int = integer("messages naming this radar")
    first_received_t_s: float = real("reception of its first message")
    track_established_t_s: float = real("reception of its first message valid at or after the defense "
                                        "established its track with it")
    unseen_ground_range_km: float = real("ground range from launch at the validity of its first message: the part "
                                         "of the flight the feed never shows from it")


@table("shared_feed_pips", "The observer's predicted impact points over time, per observer and threat.")
@dataclass(frozen=True, slots=True, kw_only=True)
class SharedFeedPip:
    observer: str = text("observer name")
    threat: str = text("raid name")
    k: int = integer("index")
    valid_t_s: float = real("validity")
    received_t_s: float = real("reception")
    pip_error_km: float = real("distance to the true impact point (km)")
    pip_sigma_km: float = real("1-sigma semi-major axis of its ellipse (km)")


@dataclass(frozen=True, slots=True, kw_only=True)
class ObservedSensor:
    name: str
    first_detection_t_s: float
    track_established_t_s: float
    unseen_ground_range_km: float
    messages: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ObserverView:
    """The observer's side of one threat. ``pip_*`` arrays ``(P,)`` over reception time ``pip_t_s``;
    ``comparison`` holds the defense's and the observer's PIP error on a common grid and milestone times."""

    spec: FeedSpec
    source: str
    first_received_t_s: float
    sensors: tuple[ObservedSensor, ...]
    pip_t_s: np.ndarray
    pip_valid_t_s: np.ndarray
    pip_error_km: np.ndarray
    pip_sigma_km: np.ndarray
    messages: dict
    removed_by_blanking: dict
    comparison: dict


def first_within(t_s, error_km, limit_km: float, *, stays: bool = True) -> float:
    """The time from which on the error stays at or below ``limit_km`` (``stays=False``: the first time it is),
    NaN if never. A milestone that the error later leaves again would overstate the convergence.

    >>> first_within([1.0, 2.0, 3.0, 4.0], [50.0, 8.0, 12.0, 9.0], 10.0)
    4.0
    >>> first_within([1.0, 2.0, 3.0, 4.0], [50.0, 8.0, 12.0, 9.0], 10.0, stays=False)
    2.0
    """
    t, e = np.asarray(t_s, float), np.asarray(error_km, float)
    with np.errstate(invalid="ignore"):
        ok = e <= limit_km
    if not ok.any():
        return math.nan
    if not stays:
        return float(t[np.argmax(ok)])
    bad = np.flatnonzero(~ok)
    if bad.size == 0:
        return float(t[0])
    return float(t[bad[-1] + 1]) if bad[-1] + 1 < t.size else math.nan


def step_values(t_s, values, t_grid) -> np.ndarray:
    """The latest value available at each grid time (``t_s`` ascending; NaN before the first).

    >>> step_values([1.0, 3.0], [10.0, 5.0], [0.0, 1.0, 2.0, 4.0]).tolist()
    [nan, 10.0, 10.0, 5.0]
    """
    t, v = np.asarray(t_s, float), np.asarray(values, float)
    g = np.asarray(t_grid, float)
    i = np.searchsorted(t, g, side="right") - 1
    out = np.where(i >= 0, v[np.clip(i, 0, max(v.size - 1, 0))] if v.size else np.nan, np.nan)
    return np.asarray(out, float)


def _attributed(feed: Feed):
    """Validity times per sensor of every message the observer receives."""
    per: dict[str, list] = {}
    for m in feed.detections:
        per.setdefault(m.sensor, []).append(np.asarray(m.t_s, float))
    for stream in (feed.tracks, feed.pips):
        if stream is None:
            continue
        for s in np.unique(np.asarray(stream.sensor).astype(str)):
            per.setdefault(str(s), []).append(stream.t_s[np.asarray(stream.sensor).astype(str) == s])
    return {k: np.sort(np.concatenate(v)) for k, v in per.items()}


def observer_view(feed: Feed, *, impact_latitude_deg: float, impact_longitude_deg: float,
                  ground_range_km_at: Callable, sensor_names, defense_track_t_s: Mapping[str, float],
                  defense_pip_t_s, defense_pip_error_km, t_end_s: float, track_after_s: float = -math.inf,
                  pip_dt_s: float = 10.0, method: str = "ekf") -> ObserverView:
    """Score what the observer infers from ``feed`` against the truth and against the defense.

    ``ground_range_km_at(t_s)``: ground range (km) from launch of the truth at times ``t_s`` (array);
    ``sensor_names``: the defense's sensors (the observer's list has the same names, NaN where it hears
    nothing); ``defense_track_t_s``: when each sensor established its track; ``defense_pip_*``: the defense's
    PIP error over time; ``t_end_s``: end of the comparison grid (impact).
    """
    lat = feed.spec.latency_s
    obs: ObserverPips = infer(feed, track_after_s=track_after_s, pip_dt_s=pip_dt_s, method=method)
    per = _attributed(feed)
    sensors = []
    for name in sensor_names:
        t = per.get(name, np.zeros(0))
        if t.size:
            tt = float(defense_track_t_s.get(name, math.nan))
            after = t[t >= tt] if math.isfinite(tt) else np.zeros(0)
            sensors.append(ObservedSensor(
                name=name, first_detection_t_s=float(t[0]) + lat,
                track_established_t_s=float(after[0]) + lat if after.size else math.nan,
                unseen_ground_range_km=float(np.asarray(ground_range_km_at(np.array([t[0]])))[0]),
                messages=int(t.size)))
        else:
            sensors.append(ObservedSensor(name=name, first_detection_t_s=math.nan, track_established_t_s=math.nan,
                                          unseen_ground_range_km=math.nan, messages=0))
    if obs.pip is not None and obs.t_s.size:
        err = obs.pip.error_km(impact_latitude_deg, impact_longitude_deg)
        sig = np.asarray(obs.pip.semi_major_km, float)
    else:
        err = sig = np.zeros(0)
    d_t = np.asarray(defense_pip_t_s, float)
    d_e = np.asarray(defense_pip_error_km, float)
    start = float(d_t[0]) if d_t.size else (float(obs.t_received_s[0]) if obs.t_received_s.size else t_end_s)
    grid = np.arange(start, t_end_s + 1e-9, max(pip_dt_s, 1.0)) if math.isfinite(start) else np.zeros(0)
    comp = {
        "t_s": grid,
        "defense_pip_error_km": step_values(d_t, d_e, grid),
        "observer_pip_error_km": step_values(obs.t_received_s, err, grid),
    }
    for km in MILESTONES_KM:
        td, to = first_within(d_t, d_e, km), first_within(obs.t_received_s, err, km)
        comp[f"defense_stays_within_{km:g}_km_t_s"] = td
        comp[f"observer_stays_within_{km:g}_km_t_s"] = to
        comp[f"observer_delay_{km:g}_km_s"] = to - td if math.isfinite(td) and math.isfinite(to) else math.nan
    comp["defense_final_pip_error_km"] = float(d_e[np.isfinite(d_e)][-1]) if np.isfinite(d_e).any() else math.nan
    comp["observer_final_pip_error_km"] = float(err[np.isfinite(err)][-1]) if np.isfinite(err).any() else math.nan
    counts = {"detection": int(sum(len(m) for m in feed.detections)),
              "track": 0 if feed.tracks is None else int(feed.tracks.t_s.size),
              "pip": 0 if feed.pips is None else int(feed.pips.t_s.size)}
    return ObserverView(spec=feed.spec, source=obs.source, first_received_t_s=feed.first_received_s(),
                        sensors=tuple(sensors), pip_t_s=obs.t_received_s, pip_valid_t_s=obs.t_s, pip_error_km=err,
                        pip_sigma_km=sig, messages=counts, removed_by_blanking=dict(feed.removed_by_blanking),
                        comparison=comp)
