"""Shared steps of the engagement analyses: flying threats to aimpoints, the sensor timeline that sets the
commit time, and the interceptor (named variant or sized burnout speed) with its fan at a defense site.

Commit time from the sensor timeline (the default of every analysis; ``commit_time_source`` says which was
used): the threat's truth is run through the site's sensors (:func:`bmdsim.sensing.detection.detect_all`, the
infrared satellites cueing the radars that need a cue); the first *radar* track (``t_track_s``) plus the site's
fire-control time (``commit_after_track_s``) is the commit; the interceptor may leave ``reaction_s`` later, and
not before the site's activation delay. If no radar ever tracks the threat, the fallback is the threat's
burnout plus the same two delays plus 60 s (a stated assumption, reported as such).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from bmdsim.core.records import integer, real, table, text
from bmdsim.engagement import defenses
from bmdsim.engagement.defenses import Defense
from bmdsim.engagement.fan import Fan, FanSettings, fan_for, sized_interceptor
from bmdsim.engagement.firecontrol import Threats
from bmdsim.errors import InputError, UnknownNameError
from bmdsim.flight import catalog
from bmdsim.flight.aimed import aim_and_fly
from bmdsim.flight.vehicle import Vehicle

__all__ = ["fly_threats", "interceptor_for", "fan_at", "sensor_timeline", "own_sensor_timelines", "commit_timeline",
           "SensorTimeline",
           "FALLBACK_AFTER_BURNOUT_S", "Engagement", "Outcome", "Battle", "defense_of", "defense_at", "site_sensors",
           "SiteRef"]

#: a defense site: a catalog name (``bmdsim sites``), or a :class:`~bmdsim.engagement.defenses.Defense` record
#: standing where a scenario puts it (:func:`defense_at`). Every analysis below takes the site's place from the
#: record, never from the catalog by name, so a moved site engages from where it stands.
SiteRef = str | Defense

FALLBACK_AFTER_BURNOUT_S = 60.0


# ------------------------------------------------------------------------------------ records of a run
@table("engagements", "Interceptor shot opportunities per threat (shoot-look-shoot), from the site's fire control. "
       "Kills are drawn per warhead in the battle Monte Carlo (outcomes); the closing speed of an intercept is in "
       "chase.")
@dataclass(frozen=True, slots=True, kw_only=True)
class Engagement:
    engagement_id: int = integer("1, 2, ... per site")
    site: str = text("interceptor site")
    interceptor: str = text("variant")
    threat: str = text("raid name")
    shot: int = integer("1 = first opportunity at this threat")
    interceptor_launch_t_s: float = real("earliest interceptor launch of the first shot (NULL for later shots)")
    intercept_t_s: float = real("earliest intercept of this opportunity")
    intercept_latitude_deg: float = real("threat position at the first intercept (trajectory sample)")
    intercept_longitude_deg: float = real("")
    intercept_altitude_km: float = real("")


@table("outcomes", "Per threat and site: the outcome of one seeded realisation, and the Monte Carlo kill "
       "probability.")
@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    threat: str = text("raid name")
    site: str = text("interceptor site")
    outcome: str = text("intercepted | leaked | not-engaged (realisation 0 of the battle Monte Carlo)")
    shots: int = integer("shot opportunities")
    shots_on_alert: int = integer("opportunities had the site been on alert")
    warheads: int = integer("missiles in the raid")
    killed_in_realisation: int = integer("warheads killed in realisation 0")
    p_kill: float = real("kill probability per warhead over the Monte Carlo trials")
    reason: str = text("why")
    commit_source: str = text("how the commit time was set (which sensor's track, which delays)")


@table("battle", "Per interceptor site: the battle manager's Monte Carlo over the whole raid.")
@dataclass(frozen=True, slots=True, kw_only=True)
class Battle:
    site: str = text("interceptor site")
    interceptor: str = text("variant")
    inventory: int = integer("interceptors at the site")
    doctrine: str = text("firing doctrine")
    pssk: float = real("single-shot kill probability")
    active_from_t_s: float = real("site active from")
    trials: int = integer("Monte Carlo trials")
    warheads: int = integer("")
    decoys: int = integer("")
    leakers_mean: float = real("expected leakers")
    leakers_se: float = real("standard error")
    p_no_leak: float = real("probability that no warhead leaks")
    interceptors_fired_mean: float = real("")
    site_latitude_deg: float = real("where the site's fire control stands (the scenario's place, else the catalog's)")
    site_longitude_deg: float = real("")


def fly_threats(missile: str, launch_lat_deg, launch_lon_deg, target_lat_deg, target_lon_deg, *,
                profile: str = "minimum-energy", dense_dt_s: float = 2.0, t_launch_s=0.0, chunk: int = 2000):
    """Aim ``missile`` at every target (arrays broadcast) and fly it with dense output.

    Returns ``(Threats, miss_m)``; batched through the engine in chunks of ``chunk`` rows."""
    v = catalog.get(missile)
    if v.role != "threat":
        raise InputError("missile", missile, "choose a threat missile (see `bmdsim missiles`)")
    la, lo, tla, tlo, t0 = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, float)) for a in
                                                 (launch_lat_deg, launch_lon_deg, target_lat_deg, target_lon_deg,
                                                  t_launch_s)))
    parts, misses = [], []
    n_dense = int(6000.0 / dense_dt_s)
    for c0 in range(0, la.size, chunk):
        s = slice(c0, c0 + chunk)
        sol, f = aim_and_fly(v, la[s], lo[s], tla[s], tlo[s], profile=profile, t_launch_s=t0[s],
                             dense_dt_s=dense_dt_s, dense_n=n_dense)
        parts.append(_trimmed(Threats.from_flights(f)))
        misses.append(sol.miss_m)
    return (parts[0] if len(parts) == 1 else _joined(parts, dense_dt_s)), np.concatenate(misses)


def _trimmed(th: Threats) -> Threats:
    """``th`` without the samples after every row's impact (one NaN sample kept)."""
    k = int(np.max(np.sum(np.isfinite(th.r_ecef[..., 0]), axis=1))) + 1
    return replace(th, t_s=th.t_s[:, :k], r_ecef=th.r_ecef[:, :k], v_ecef=th.v_ecef[:, :k])


def _joined(parts: list[Threats], dense_dt_s: float) -> Threats:
    """Batches of :func:`_trimmed` rows one after the other: NaN states past each batch's own end, the time grid
    continued at ``dense_dt_s``."""
    k = max(p.t_s.shape[1] for p in parts)

    def pad(a):
        return np.pad(a, [(0, 0), (0, k - a.shape[1])] + [(0, 0)] * (a.ndim - 2), constant_values=np.nan)

    out = {name: np.concatenate([getattr(p, name) for p in parts]) for name in ("t_launch_s", "t_burnout_s",
                                                                                 "t_impact_s")}
    return replace(parts[0], t_s=np.concatenate([p.t_s[:, :1] + dense_dt_s * np.arange(k)[None, :] for p in parts]),
                   r_ecef=np.concatenate([pad(p.r_ecef) for p in parts]),
                   v_ecef=np.concatenate([pad(p.v_ecef) for p in parts]), **out)


def interceptor_for(name: str | None = None, speed_mps: float | None = None, *,
                    site: SiteRef | None = None) -> Vehicle:
    """A catalog interceptor by name, or a variant sized to ``speed_mps``; default: the site's interceptor."""
    if name is not None and speed_mps is not None:
        raise InputError("interceptor/interceptor_speed_mps", (name, speed_mps), "give one of the two")
    if speed_mps is not None:
        if not 0 < speed_mps <= 12_000:
            raise InputError("interceptor_speed_mps", speed_mps, "give a burnout speed between 0 and 12,000 m/s")
        return sized_interceptor(float(speed_mps))
    if name is None:
        name = defense_of(site).interceptor if site else "gbi2-6.3"
    if name not in catalog.interceptor_names():
        raise UnknownNameError("interceptor", name, catalog.interceptor_names())
    return catalog.get(name)


def defense_of(site: SiteRef) -> Defense:
    """The defense record of ``site`` (a catalog name, or a record as given)."""
    return site if isinstance(site, Defense) else defenses.get(site)


def defense_at(site: str, latitude_deg: float, longitude_deg: float) -> Defense:
    """The catalog defense ``site`` (its inventory, timing and sensors) standing at ``latitude_deg``,
    ``longitude_deg`` (e.g. where a scenario's ``sites:`` entry puts it)."""
    d = defenses.get(site)
    if (float(latitude_deg), float(longitude_deg)) == (d.latitude_deg, d.longitude_deg):
        return d
    return replace(d, latitude_deg=float(latitude_deg), longitude_deg=float(longitude_deg))


def site_sensors(site: SiteRef, sensors=None) -> list:
    """The sensor objects of the site's sensor timeline: ``sensors`` as given (e.g. a scenario's instances, at
    their scenario positions), else the site's catalog sensors."""
    from bmdsim.sensing import catalog as sensing_catalog

    if sensors is not None:
        return list(sensors)
    return [sensing_catalog.sensor(s) for s in defense_of(site).sensors]


def fan_at(interceptor: Vehicle, site: SiteRef, *, settings: FanSettings | None = None) -> Fan:
    """The fly-out fan of ``interceptor`` at the place ``site`` stands (:data:`SiteRef`)."""
    d = defense_of(site)
    st = settings or FanSettings(max_flight_time_s=d.max_flight_time_s)
    return fan_for(interceptor, d.latitude_deg, d.longitude_deg, settings=st)


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorTimeline:
    """Per threat ``(N,)``, seconds since the epoch (NaN: never): first detection by any sensor, first radar
    track, commit and earliest interceptor launch; ``source`` names how the commit was set."""

    t_detect_s: np.ndarray
    t_track_s: np.ndarray
    tracking_sensor: list
    t_commit_s: np.ndarray
    t_earliest_launch_s: np.ndarray
    source: list


def sensor_timeline(threats: Threats, site: SiteRef, *, seed: int = 2007, rcs_m2: float = 1.0,
                    sample: np.ndarray | None = None, sensors=None) -> SensorTimeline:
    """Detection and track times of each threat by the site's sensors, and the resulting commit and earliest
    interceptor launch (module docstring). ``sample``: indices of the threats actually run through the sensors
    (default all); every other threat takes the timeline of the sampled threat with the nearest launch azimuth
    (threats from one launch area differ mostly in direction). ``sensors``: the sensor objects to use
    (:func:`site_sensors`; default: the site's catalog sensors)."""
    from bmdsim.sensing.detection import detect_all

    sensors = site_sensors(site, sensors)
    n = len(threats)
    idx = np.arange(n) if sample is None else np.asarray(sample, dtype=int)
    rngs = np.random.default_rng(seed).spawn(idx.size)
    det = np.full(idx.size, np.nan)
    trk = np.full(idx.size, np.nan)
    who: list = [None] * idx.size
    for q, i in enumerate(idx):
        ok = np.isfinite(threats.r_ecef[i, :, 0])
        res = detect_all(sensors, threats.t_s[i, ok], threats.r_ecef[i, ok], threats.v_ecef[i, ok], rng=rngs[q],
                         rcs_m2=rcs_m2, t_burnout_s=float(threats.t_burnout_s[i]))
        firsts = [r.t_first_detection_s for r in res if np.isfinite(r.t_first_detection_s)]
        det[q] = min(firsts) if firsts else np.nan
        radar = [(r.t_track_s, r.sensor) for r in res if r.kind == "radar" and np.isfinite(r.t_track_s)]
        if radar:
            trk[q], who[q] = min(radar)
    if sample is not None:
        az = _launch_azimuth(threats)
        near = np.argmin(np.abs(np.angle(np.exp(1j * (az[:, None] - az[idx][None, :])))), axis=1)
        det, trk, who = det[near], trk[near], [who[j] for j in near]
    return commit_timeline(threats, site, t_track_s=trk, tracking_sensor=who, t_detect_s=det,
                           how="sensor timeline")


def own_sensor_timelines(threats: Threats, site: SiteRef, *, seed: int = 2007, rcs_m2: float = 1.0,
                         sensors=None) -> SensorTimeline:
    """Each threat's timeline as :func:`sensor_timeline` gives it for that threat alone (``threats.take([i])``,
    the same ``seed``: every threat's draws start from the same state), for all threats in one batch
    (:func:`bmdsim.sensing.first_tracks.first_times`; the same detections and draws, about 6x faster)."""
    from bmdsim.sensing.first_tracks import first_times

    sensors = site_sensors(site, sensors)
    ft = first_times(sensors, threats.t_s, threats.r_ecef, threats.v_ecef,
                     rng=np.random.default_rng(seed).spawn(1)[0], t_burnout_s=threats.t_burnout_s, rcs_m2=rcs_m2)
    with np.errstate(all="ignore"):
        det = np.fmin.reduce(ft.first_detection_t_s, axis=0) if len(sensors) else np.full(len(threats), np.nan)
    trk = np.full(len(threats), np.nan)
    who: list = [None] * len(threats)
    radars = [i for i, k in enumerate(ft.kind) if k == "radar"]
    for q in range(len(threats)):
        radar = [(ft.track_t_s[i, q], ft.sensor[i]) for i in radars if np.isfinite(ft.track_t_s[i, q])]
        if radar:
            trk[q], who[q] = min(radar)
    return commit_timeline(threats, site, t_track_s=trk, tracking_sensor=who, t_detect_s=det,
                           how="sensor timeline")


def commit_timeline(threats: Threats, site: SiteRef, *, t_track_s, tracking_sensor, t_detect_s=None,
                    how: str = "sensor timeline") -> SensorTimeline:
    """The commit and earliest interceptor launch of each threat at ``site`` from its first radar track
    ``t_track_s (N,)`` (seconds since the epoch, NaN: never) by ``tracking_sensor`` (names): the one rule of the
    module docstring, used by :func:`sensor_timeline` (the site's catalog sensors, drawn here) and by the
    scenario run (the tracks the run reports). ``how`` names the origin of the tracks in ``source``."""
    d = defense_of(site)
    trk = np.asarray(t_track_s, dtype=float)
    det = np.full(trk.shape, np.nan) if t_detect_s is None else np.asarray(t_detect_s, dtype=float)
    fallback = ~np.isfinite(trk)
    t_commit = np.where(fallback, threats.t_burnout_s + FALLBACK_AFTER_BURNOUT_S, trk) + d.commit_after_track_s
    t_launch = np.maximum(t_commit + d.reaction_s, threats.t_launch_s + d.activation_delay_s)
    src = [(f"assumed: threat burnout + {FALLBACK_AFTER_BURNOUT_S:.0f} s (no radar track)" if fb else
            f"{how}: {w} track") + f" + {d.commit_after_track_s:.0f} s fire control + "
           f"{d.reaction_s:.0f} s reaction" for fb, w in zip(fallback, tracking_sensor, strict=True)]
    return SensorTimeline(t_detect_s=det, t_track_s=trk, tracking_sensor=list(tracking_sensor), t_commit_s=t_commit,
                          t_earliest_launch_s=t_launch, source=src)


def _launch_azimuth(threats: Threats) -> np.ndarray:
    """Direction of each threat's flight from its launch point (rad), from its first two valid samples."""
    k = int(np.argmin(np.abs(threats.t_s[0] - threats.t_launch_s[0] - 150.0)))
    r0 = threats.r_ecef[:, 0]
    r1 = threats.r_ecef[:, k]
    up = r0 / np.linalg.norm(r0, axis=-1, keepdims=True)
    east = np.cross([0.0, 0.0, 1.0], up)
    east /= np.linalg.norm(east, axis=-1, keepdims=True)
    north = np.cross(up, east)
    d = np.nan_to_num(r1 - r0)
    return np.arctan2(np.sum(d * east, -1), np.sum(d * north, -1))
