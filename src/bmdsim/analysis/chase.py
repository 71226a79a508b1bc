"""Chase: can interceptors from a site catch a given ICBM flight at all, where, when, and how fast must they be?

For one threat flight (a catalog missile aimed from a launch point at a target, minimum-energy profile) and one
interceptor (a named variant or a variant sized to a burnout speed) at a defense site:

- the engagement window from the site's fan (:mod:`bmdsim.engagement.firecontrol`), with the earliest
  interceptor launch from the sensor timeline (:mod:`bmdsim.analysis.engage`) unless given;
- at the earliest intercept, the actual interceptor flown at the point (``verify_miss_m``: distance between the
  two at the same time), the closing speed, crossing angle and whether it is a tail chase;
- the handover accuracy the kill vehicle's divert must absorb: the position covariance of the site's fused
  radar track (the same seeded reports as the sensor timeline, after burnout) predicted to ``handover_t_go_s``
  before intercept, projected across the closing velocity (:func:`~bmdsim.engagement.firecontrol.
  divert_required_mps`); the site's notional handover sigma when its radars hold no track by then;
- ``min_burnout_speed_mps``: the smallest burnout speed that makes any intercept possible over sized variants
  (two-stage design up to 9.5 km/s, three-stage above; the same commit time), ``None`` when no tested speed up to
  12 km/s reaches. Engageability need not grow with speed (a faster variant flies another family of
  trajectories, and the design changes at 9.5 km/s), so the search does not assume it: a grid of speeds
  (:data:`SPEED_GRID_MPS`, with the five catalog speeds), then bisection of every crossing between neighbours to
  ``tol_mps``; ``engaging_speed_intervals_mps`` lists every interval found to engage (an interval narrower than
  the grid step between two non-engaging grid speeds can be missed);
- ``ideal_speed_mps``: the ideal bound beside the flown verdict: the least impulsive speed change (Earth-relative,
  i.e. above the site's own motion) that puts a point at the site on a two-body (Lambert) arc reaching the threat
  at one of its samples, over launch times in the same window (no earlier than the commit, flight no longer than
  the fan's limit, the same minimum intercept altitude, midcourse only). It ignores gravity and drag losses of
  the boost and J2; ``ideal_speed_delayed_mps`` applies the impulse at the site but only after the interceptor's
  burn time (the variant's design: a conservative, boost-duration-aware impulsive bound);
- ``commit_curve``: the threshold against the commit time: per commit time the smallest tested speed that
  engages (``threshold_mps``) and the largest tested speed below it that does not (``bracket_low_mps``), the
  ideal bound at that commit, and where the sensor timeline puts the commit and why (which sensor's track). It
  costs no extra fan: per tested speed the latest feasible interceptor launch is computed once; a later commit
  never engages more (tested in tests/test_engagement.py).

Times in the result count from the threat's launch (``*_after_launch_s``).

:func:`chase` flies the threat itself (aimed from a launch point at a target); :func:`chase_threat` takes a
threat already flown (e.g. by a scenario run, with its commit from the run's reported tracks) and flies nothing
but interceptors.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from bmdsim.analysis.engage import (
    SensorTimeline,
    SiteRef,
    defense_of,
    fan_at,
    fly_threats,
    interceptor_for,
    sensor_timeline,
    site_sensors,
)
from bmdsim.analysis.speeds import (
    MAX_SPEED_MPS,
    SPEED_GRID_MPS,
    IdealBound,
    SpeedSearch,
    commit_curve,
    engaging_intervals,
    ideal_speed,
    min_burnout_speed,
    speed_search,
)
from bmdsim.core import frames
from bmdsim.core.constants import OMEGA_EARTH_RAD_S
from bmdsim.engagement.fan import FanSettings, sized_interceptor
from bmdsim.engagement.firecontrol import Threats, divert_required_mps, geometry, refine_earliest, windows
from bmdsim.errors import InputError, UnreachableError

__all__ = ["ChaseResult", "chase", "chase_threat", "min_burnout_speed", "chase_curve", "ChaseCurve", "MAX_SPEED_MPS",
           "SpeedSearch", "speed_search", "IdealBound", "ideal_speed", "SPEED_GRID_MPS", "engaging_intervals",
           "verdict_reason", "commit_curve", "variants_commit_curve"]




@dataclass(frozen=True, slots=True, kw_only=True)
class ChaseResult:
    """One threat flight against one interceptor variant (times ``*_after_launch_s`` from the threat's launch,
    s). ``earliest_intercept_after_launch_s`` is the flown, refined shot; ``fan_intercept_after_launch_s`` the
    fan table's earliest intercept (the figure a run's engagements give for the same commit)."""

    missile: str
    launch_latitude_deg: float
    launch_longitude_deg: float
    target_latitude_deg: float
    target_longitude_deg: float
    site: str
    interceptor: str
    interceptor_burnout_speed_mps: float
    threat_flight_time_s: float
    threat_burnout_after_launch_s: float
    earliest_launch_after_launch_s: float
    commit_time_source: str
    engageable: bool
    earliest_intercept_after_launch_s: float | None
    latest_intercept_after_launch_s: float | None
    latest_launch_after_launch_s: float | None
    interceptor_launch_after_launch_s: float | None
    interceptor_flight_time_s: float | None
    intercept_latitude_deg: float | None
    intercept_longitude_deg: float | None
    intercept_altitude_km: float | None
    intercept_ground_range_km: float | None
    closing_speed_mps: float | None
    crossing_angle_deg: float | None
    tail_chase: bool | None
    verify_miss_m: float | None
    divert_required_mps: float | None
    divert_budget_mps: float
    handover_sigma_m: float | None
    handover_source: str | None
    min_burnout_speed_mps: float | None
    min_intercept_altitude_km: float
    engaging_speed_intervals_mps: list | None = None
    ideal_speed_mps: float | None = None
    ideal_speed_delayed_mps: float | None = None
    ideal_burn_delay_s: float | None = None
    tracking_sensor: str | None = None
    commit_curve: dict | None = None
    site_latitude_deg: float | None = None
    site_longitude_deg: float | None = None
    fan_intercept_after_launch_s: float | None = None
    #: why not engageable (:func:`verdict_reason`); ``None`` when engageable
    reason: str | None = None
    #: latest interceptor launch (from the threat's launch) that reaches the threat in midcourse above the minimum
    #: altitude at all, whatever the commit (``None``: none); engageable iff it is ``>= earliest_launch_after_launch_s``
    latest_launch_any_after_launch_s: float | None = None
    #: the ideal bound per interceptor launch time (``interceptor_launch_after_launch_s`` from the threat's
    #: launch, ``speed_mps``; NaN: none), from which the bound at any commit follows (:meth:`IdealBound.at_commit`)
    ideal_by_launch: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def _threat(missile, launch, target, dense_dt_s):
    th, miss = fly_threats(missile, launch[0], launch[1], target[0], target[1], dense_dt_s=dense_dt_s)
    if not miss[0] < 1000.0:
        raise UnreachableError("target", target, f"{missile} cannot be aimed there from {launch} (miss "
                               f"{miss[0] / 1e3:.0f} km); choose a closer target or a longer-range missile")
    return th


def _handover_cov_ecef(th: Threats, site: SiteRef, t_handover_s: float, seed: int, *, sensors=None, track=None):
    """Position covariance (m2, ECEF) of the site's fused radar track predicted to ``t_handover_s``, and where it
    comes from; ``(None, reason)`` when the radars hold no track by then. ``track``: a fused track already made
    (e.g. the run's); otherwise the same seeded reports as :func:`~bmdsim.analysis.engage.sensor_timeline`
    (threat 0, its first child generator) through ``sensors``."""
    from bmdsim.analysis.observe import fused_track
    from bmdsim.core import estimation as est
    from bmdsim.sensing.detection import detect_all
    from bmdsim.sensing.tracking import DEFAULT_Q_M2_S3

    d = defense_of(site)
    tr = track
    if tr is None:
        ok = np.isfinite(th.r_ecef[0, :, 0])
        rng = np.random.default_rng(seed).spawn(1)[0]
        res = detect_all(site_sensors(d, sensors), th.t_s[0, ok], th.r_ecef[0, ok], th.v_ecef[0, ok], rng=rng,
                         rcs_m2=1.0, t_burnout_s=float(th.t_burnout_s[0]))
        tr = fused_track(res, float(th.t_burnout_s[0]))
    if tr is None or not np.any(tr.t_s <= t_handover_s):
        return None, f"notional {d.handover_sigma_m:.0f} m (no radar track by handover)"
    k = int(np.flatnonzero(tr.t_s <= t_handover_s)[-1])
    _, p = est.ekf_predict_ballistic(tr.x_eci[k:k + 1], tr.P_eci[k:k + 1], t_handover_s - tr.t_s[k], DEFAULT_Q_M2_S3)
    th_ = -OMEGA_EARTH_RAD_S * t_handover_s
    c, s_ = np.cos(th_), np.sin(th_)
    rot = np.array([[c, -s_, 0.0], [s_, c, 0.0], [0.0, 0.0, 1.0]])
    sensors = ",".join(sorted(set(np.asarray(tr.sensor).astype(str))))
    return rot @ p[0, :3, :3] @ rot.T, (f"fused track ({sensors}) at {tr.t_s[k] - th.t_launch_s[0]:.0f} s, "
                                        f"predicted {t_handover_s - tr.t_s[k]:.0f} s to handover")


def variants_commit_curve(results: list[ChaseResult], *, step_s: float = 30.0) -> dict:
    """The commit curve of one threat flight at one site from chases of several variants (each flown on its
    own, ``threshold=False``): the same rule as :func:`commit_curve`, on the variants' burnout speeds instead of
    a speed search, so that it costs no fan beyond the variants' own (the scenario run's curve)."""
    if not results:
        raise InputError("results", [], "give the chases of at least one variant")
    r0 = results[0]
    key = {(r.missile, r.launch_latitude_deg, r.launch_longitude_deg, r.target_latitude_deg,
            r.target_longitude_deg, r.site, r.earliest_launch_after_launch_s) for r in results}
    if len(key) != 1:
        raise InputError("results", sorted(r.interceptor for r in results),
                         "chases of one threat flight, site and commit only")
    order = np.argsort([r.interceptor_burnout_speed_mps for r in results], kind="stable")
    sp = np.array([results[i].interceptor_burnout_speed_mps for i in order])
    latest = [results[i].latest_launch_any_after_launch_s for i in order]
    lat = np.array([-np.inf if x is None else x for x in latest])
    search = SpeedSearch(speeds_mps=sp, latest_launch_s=lat, t_earliest_launch_s=r0.earliest_launch_after_launch_s,
                         intervals_mps=[], min_speed_mps=None)
    ib = r0.ideal_by_launch or {"interceptor_launch_after_launch_s": [r0.earliest_launch_after_launch_s],
                                "speed_mps": [None]}
    bound = IdealBound(speed_mps=r0.ideal_speed_mps, t_launch_s=None, t_intercept_s=None, burn_delay_s=0.0,
                       launch_t_s=np.asarray(ib["interceptor_launch_after_launch_s"], dtype=float),
                       min_by_launch_mps=np.array([np.nan if x is None else x for x in ib["speed_mps"]], float))
    out = commit_curve(search, bound, t_launch_s=0.0, t_burnout_s=r0.threat_burnout_after_launch_s,
                       t_sensor_commit_s=r0.earliest_launch_after_launch_s, source=r0.commit_time_source,
                       tracking_sensor=r0.tracking_sensor, step_s=step_s)
    out["interceptors"] = [results[i].interceptor for i in order]
    return out


def chase(launch: tuple[float, float], target: tuple[float, float], missile: str, *, site: SiteRef = "redzikowo",
          interceptor: str | None = None, interceptor_speed_mps: float | None = None,
          earliest_launch_after_threat_s: float | None = None, min_intercept_altitude_m: float | None = None,
          threshold: bool = True, settings: FanSettings | None = None, dense_dt_s: float = 2.0,
          seed: int = 2007, speed_grid_mps=SPEED_GRID_MPS, sensors=None, progress=None) -> ChaseResult:
    """Chase one threat flight (``launch``, ``target`` as (lat, lon) degrees) with one interceptor variant: the
    threat is aimed and flown here, then :func:`chase_threat`.

    ``earliest_launch_after_threat_s``: earliest interceptor launch, seconds after the threat's launch (default:
    from the sensor timeline of ``sensors``, default the site's catalog sensors). ``threshold=False`` skips the
    search for the minimum burnout speed (on ``speed_grid_mps``, then bisection of every crossing) and the
    commit-time curve. ``progress(step, done, total)`` is called as the steps advance."""
    progress = progress or (lambda *_: None)
    progress("aiming and flying the threat", 0, 1)
    th = _threat(missile, launch, target, dense_dt_s)
    progress("aiming and flying the threat", 1, 1)
    return chase_threat(th, missile=missile, launch=launch, target=target, site=site, interceptor=interceptor,
                        interceptor_speed_mps=interceptor_speed_mps,
                        earliest_launch_after_threat_s=earliest_launch_after_threat_s,
                        min_intercept_altitude_m=min_intercept_altitude_m, threshold=threshold, settings=settings,
                        seed=seed, speed_grid_mps=speed_grid_mps, sensors=sensors, progress=progress)


def chase_threat(th: Threats, *, missile: str, launch: tuple[float, float], target: tuple[float, float],
                 site: SiteRef = "redzikowo", interceptor: str | None = None,
                 interceptor_speed_mps: float | None = None, timeline: SensorTimeline | None = None,
                 earliest_launch_after_threat_s: float | None = None, min_intercept_altitude_m: float | None = None,
                 threshold: bool = True, settings: FanSettings | None = None, seed: int = 2007,
                 speed_grid_mps=SPEED_GRID_MPS, sensors=None, track=None, bounds: bool = True,
                 ideal_memo: dict | None = None, progress=None) -> ChaseResult:
    """Chase threat 0 of ``th``, already flown with dense output (``missile`` aimed from ``launch`` at
    ``target``, (lat, lon) degrees, named for the result); no threat is flown here.

    The commit: ``timeline`` (row 0 of a :class:`~bmdsim.analysis.engage.SensorTimeline` already made, e.g. from
    a run's reported tracks with :func:`~bmdsim.analysis.engage.commit_timeline`), else
    ``earliest_launch_after_threat_s``, else the sensor timeline drawn here through ``sensors`` with ``seed``.
    ``track``: the fused radar track for the handover accuracy (default: drawn like the sensor timeline).
    ``bounds=False`` skips the ideal (Lambert) bounds (``ideal_*`` None; needs ``threshold=False``, whose commit
    curve shows them). ``ideal_memo``: a dict shared by chases of the same threats (e.g. every variant at a site),
    so that each ideal bound is computed once (:func:`ideal_speed`'s ``memo``). The other arguments as
    :func:`chase`."""
    progress = progress or (lambda *_: None)
    if threshold and not bounds:
        raise InputError("bounds", bounds, "the threshold's commit curve shows the ideal bound: keep bounds=True")
    d = defense_of(site)
    v = interceptor_for(interceptor, interceptor_speed_mps, site=d)
    min_alt = d.min_intercept_altitude_m if min_intercept_altitude_m is None else float(min_intercept_altitude_m)
    th = th.take([0]) if len(th) != 1 else th
    t0 = float(th.t_launch_s[0])
    if timeline is not None and earliest_launch_after_threat_s is not None:
        raise InputError("timeline/earliest_launch_after_threat_s", earliest_launch_after_threat_s, "give one of "
                         "the two")
    if earliest_launch_after_threat_s is None:
        tl = timeline if timeline is not None else sensor_timeline(th, d, seed=seed, sensors=sensors)
        c = float(tl.t_earliest_launch_s[0])
        source = tl.source[0]
        tracking = tl.tracking_sensor[0]
    else:
        tracking = None
        if not np.isfinite(earliest_launch_after_threat_s) or earliest_launch_after_threat_s < 0:
            raise InputError("earliest_launch_after_threat_s", earliest_launch_after_threat_s,
                             "give zero or more seconds")
        c = t0 + float(earliest_launch_after_threat_s)
        source = "given (a fixed delay after the threat's launch)"
    step = "fire control and ideal bounds"
    progress(step, 0, 3)
    fan = fan_at(v, d, settings=settings)
    w = windows(fan, th, t_earliest_launch_s=c, min_intercept_altitude_m=min_alt)
    out = dict(missile=missile, launch_latitude_deg=launch[0], launch_longitude_deg=launch[1],
               target_latitude_deg=target[0], target_longitude_deg=target[1], site=d.name, interceptor=v.name,
               interceptor_burnout_speed_mps=float(v.claim.get("burnout_speed_mps", np.nan)),
               threat_flight_time_s=float(th.t_impact_s[0] - t0),
               threat_burnout_after_launch_s=float(th.t_burnout_s[0] - t0), earliest_launch_after_launch_s=c - t0,
               commit_time_source=source, engageable=bool(w.engageable[0]), divert_budget_mps=d.divert_budget_mps,
               min_intercept_altitude_km=min_alt / 1e3, site_latitude_deg=d.latitude_deg,
               site_longitude_deg=d.longitude_deg)
    geo = dict.fromkeys(("earliest_intercept_after_launch_s", "latest_intercept_after_launch_s",
                         "latest_launch_after_launch_s", "interceptor_launch_after_launch_s",
                         "interceptor_flight_time_s", "intercept_latitude_deg", "intercept_longitude_deg",
                         "intercept_altitude_km", "intercept_ground_range_km", "closing_speed_mps",
                         "crossing_angle_deg", "tail_chase", "verify_miss_m", "divert_required_mps",
                         "handover_sigma_m", "handover_source", "fan_intercept_after_launch_s"))
    if w.engageable[0]:
        geo.update(_shot_geometry(fan, th, w, c, t0, d, seed=seed, sensors=sensors, track=track))
    out.update(geo)
    progress(step, 1, 3)
    out.update(tracking_sensor=tracking, min_burnout_speed_mps=None)
    bound = delayed = None
    delay = float(v.burn_time_s)
    if bounds:
        max_tof = fan.settings.max_flight_time_s
        bound = ideal_speed(th, d, c, min_intercept_altitude_m=min_alt, max_flight_time_s=max_tof,
                            t_first_launch_s=float(th.t_burnout_s[0]), memo=ideal_memo)
        delayed = ideal_speed(th, d, c, min_intercept_altitude_m=min_alt, max_flight_time_s=max_tof,
                              burn_delay_s=delay, memo=ideal_memo)
        progress(step, 2, 3)
        out.update(ideal_speed_mps=bound.speed_mps, ideal_speed_delayed_mps=delayed.speed_mps,
                   ideal_burn_delay_s=delay)
    progress(step, 3, 3)
    search = None
    if threshold:
        search = speed_search(th, d, c, min_intercept_altitude_m=min_alt, settings=settings,
                              grid_mps=speed_grid_mps,
                              progress=lambda k, n: progress("speed search (fans flown)", k, n))
        out.update(min_burnout_speed_mps=search.min_speed_mps, engaging_speed_intervals_mps=search.intervals_mps,
                   commit_curve=commit_curve(search, bound, t_launch_s=t0, t_burnout_s=float(th.t_burnout_s[0]),
                                             t_sensor_commit_s=c, source=source, tracking_sensor=tracking))
    tl_k = w.t_launch_latest_s[0]
    out.update(latest_launch_any_after_launch_s=float(np.nanmax(tl_k)) - t0 if np.isfinite(tl_k).any() else None,
               ideal_by_launch=None if bound is None else {
                   "interceptor_launch_after_launch_s": (bound.launch_t_s - t0).tolist(),
                   "speed_mps": [None if not np.isfinite(x) else float(x) for x in bound.min_by_launch_mps]})
    out["reason"] = None if w.engageable[0] else verdict_reason(
        latest_launch_s=float(np.nanmax(tl_k)) if np.isfinite(tl_k).any() else None, t_earliest_launch_s=c,
        t_launch_s=t0, source=source, min_intercept_altitude_m=min_alt, search=search,
        ideal_mps=None if bound is None else bound.speed_mps,
        ideal_delayed_mps=None if delayed is None else delayed.speed_mps, burn_delay_s=delay)
    return ChaseResult(**out)


def _shot_geometry(fan, th: Threats, w, c: float, t0: float, d, *, seed: int, sensors, track) -> dict:
    """The engageable chase's earliest shot, refined and flown: where, when, how fast it closes, and the divert
    its handover accuracy needs (times from the threat's launch ``t0``)."""
    shot = refine_earliest(fan, th, 0, float(w.earliest_intercept_s[0]), c)
    _, v_t = th.state_at(0, shot.t_intercept_s)
    closing, cross, tail = geometry(shot.r_ecef, shot.v_ecef, v_t, shot.t_intercept_s)
    lat, lon, h = frames.ecef_to_geodetic(shot.r_ecef)
    look = fan.lookup(shot.r_ecef)
    rel = shot.v_ecef - v_t
    cov, handover_source = _handover_cov_ecef(th, d, shot.t_intercept_s - d.handover_t_go_s, seed,
                                              sensors=sensors, track=track)
    if cov is None:
        cov = np.eye(3) * d.handover_sigma_m**2
    return dict(earliest_intercept_after_launch_s=shot.t_intercept_s - t0,
                fan_intercept_after_launch_s=float(w.earliest_intercept_s[0] - t0),
                latest_intercept_after_launch_s=float(w.latest_intercept_s[0] - t0),
                latest_launch_after_launch_s=float(w.latest_launch_s[0] - t0),
                interceptor_launch_after_launch_s=shot.t_launch_s - t0, interceptor_flight_time_s=shot.t_flight_s,
                intercept_latitude_deg=float(np.degrees(lat)), intercept_longitude_deg=float(np.degrees(lon)),
                intercept_altitude_km=float(h) / 1e3, intercept_ground_range_km=float(look.ground_range_m) / 1e3,
                closing_speed_mps=closing, crossing_angle_deg=cross, tail_chase=tail, verify_miss_m=shot.miss_m,
                divert_required_mps=divert_required_mps(cov, rel, d.handover_t_go_s),
                handover_sigma_m=float(np.sqrt(np.linalg.eigvalsh(cov)[-1])), handover_source=handover_source)


def verdict_reason(*, latest_launch_s: float | None, t_earliest_launch_s: float, t_launch_s: float, source: str,
                   min_intercept_altitude_m: float, search: SpeedSearch | None = None, ideal_mps=None,
                   ideal_delayed_mps=None, burn_delay_s: float = 0.0) -> str:
    """Why a chase does not engage, from its own numbers (times since the epoch; stated from the threat's
    launch): the latest launch that still reaches the threat in midcourse above the minimum altitude against the
    earliest launch and its source; with a speed search that found no engaging speed, the latest launch any
    tried speed makes, and what the ideal bounds assume (the whole speed at lift-off; after the burn)."""
    c = t_earliest_launch_s - t_launch_s
    alt = f"{min_intercept_altitude_m / 1e3:.0f} km"
    if latest_launch_s is None:
        why = f"the fan reaches no point of the threat's midcourse above {alt}"
    else:
        why = (f"the latest launch that reaches the threat in midcourse above {alt} is "
               f"{latest_launch_s - t_launch_s:,.0f} s after the threat's launch, "
               f"{t_earliest_launch_s - latest_launch_s:,.0f} s before the earliest launch at {c:,.0f} s ({source})")
    if search is None or search.min_speed_mps is not None:
        return why
    fin = np.isfinite(search.latest_launch_s)
    top = float(search.speeds_mps[-1])
    why += f"; no speed tried up to {top:,.0f} m/s engages"
    if fin.any():
        j = int(np.argmax(np.where(fin, search.latest_launch_s, -np.inf)))
        why += (f" (the latest launch of any is {search.latest_launch_s[j] - t_launch_s:,.0f} s, at "
                f"{search.speeds_mps[j]:,.0f} m/s)")
    if ideal_mps is not None:
        why += (f"; the ideal bound ({ideal_mps:,.0f} m/s) has the whole speed at lift-off, while a flown "
                f"interceptor burns {burn_delay_s:.0f} s")
        if ideal_delayed_mps is not None:
            why += f" (with the impulse after the burn the bound is {ideal_delayed_mps:,.0f} m/s)"
    return why


# ------------------------------------------------------------------------------------------------- curve
@dataclass(frozen=True, slots=True, kw_only=True)
class ChaseCurve:
    """Engageability of a set of flights against interceptor burnout speed.

    ``engageable (S, F)`` per speed and flight; ``fraction (S,)``; ``earliest_intercept_after_launch_s (S, F)`` from
    each threat's launch (NaN: none); flights are named ``field->target``."""

    speeds_mps: np.ndarray
    flights: list
    engageable: np.ndarray
    fraction: np.ndarray
    earliest_intercept_after_launch_s: np.ndarray
    earliest_launch_after_launch_s: np.ndarray
    site: str
    missile: str

    def to_dict(self) -> dict:
        return {"site": self.site, "missile": self.missile, "speeds_mps": self.speeds_mps.tolist(),
                "flights": self.flights, "fraction_engageable": self.fraction.tolist(),
                "engageable": self.engageable.tolist(),
                "earliest_launch_after_launch_s": self.earliest_launch_after_launch_s.tolist()}

    def figure(self):
        """Fraction of flights engageable against burnout speed, with the disputed claims marked."""
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4))
        ax.step(self.speeds_mps / 1e3, self.fraction, where="post", color="k")
        for sp, lab in ((5.4, "MDA 2007"), (6.3, "MDA 2008"), (7.7, "Postol/Lewis"), (8.3, ""), (9.0, "Postol 2008")):
            ax.axvline(sp, color="0.6", lw=0.8, ls="--")
            if lab:
                ax.text(sp, 1.02, lab, rotation=90, va="bottom", ha="center", fontsize=7)
        ax.set_xlabel("interceptor burnout speed (km/s)")
        ax.set_ylabel("fraction of flights engageable")
        ax.set_ylim(0, 1.2)
        ax.set_title(f"{self.missile} flights vs interceptors at {self.site}", fontsize=9)
        fig.tight_layout()
        return fig


def chase_curve(fields: list[tuple[str, tuple[float, float]]], targets: list[tuple[str, tuple[float, float]]],
                missile: str, speeds_mps, *, site: SiteRef = "redzikowo", earliest_launch_after_threat_s=None,
                settings: FanSettings | None = None, dense_dt_s: float = 4.0, seed: int = 2007) -> ChaseCurve:
    """Engageability of every field-to-target flight against each burnout speed (one fan per speed, all flights
    in one batch). The earliest launch comes from the sensor timeline of each flight unless given."""
    d = defense_of(site)
    pairs = [(f, t) for f in fields for t in targets]
    la = np.array([p[0][1][0] for p in pairs])
    lo = np.array([p[0][1][1] for p in pairs])
    ta = np.array([p[1][1][0] for p in pairs])
    to = np.array([p[1][1][1] for p in pairs])
    th, _ = fly_threats(missile, la, lo, ta, to, dense_dt_s=dense_dt_s)
    if earliest_launch_after_threat_s is None:
        c = sensor_timeline(th, d, seed=seed).t_earliest_launch_s
    else:
        c = th.t_launch_s + float(earliest_launch_after_threat_s)
    speeds = np.asarray(speeds_mps, dtype=float)
    eng = np.zeros((speeds.size, len(pairs)), dtype=bool)
    t_e = np.full((speeds.size, len(pairs)), np.nan)
    for i, sp in enumerate(speeds):
        try:
            v = sized_interceptor(float(sp))
        except UnreachableError:
            continue
        w = windows(fan_at(v, d, settings=settings), th, t_earliest_launch_s=c,
                    min_intercept_altitude_m=d.min_intercept_altitude_m)
        eng[i] = w.engageable
        t_e[i] = w.earliest_intercept_s - th.t_launch_s
    return ChaseCurve(speeds_mps=speeds, flights=[f"{p[0][0]}->{p[1][0]}" for p in pairs], engageable=eng,
                      fraction=eng.mean(axis=1), earliest_intercept_after_launch_s=t_e,
                      earliest_launch_after_launch_s=c - th.t_launch_s,
                      site=d.name, missile=missile)


# ------------------------------------------------------------------------------------------------- table
#: the five disputed two-stage claims, by catalog name
VARIANTS = ("gbi2-5.4", "gbi2-6.3", "gbi2-7.7", "gbi2-8.3", "gbi2-9.0")


def chase_table(fields: list[tuple[str, tuple[float, float]]], target: tuple[float, float], missile: str, *,
                site: SiteRef = "redzikowo", variants=VARIANTS, min_intercept_altitude_m: float | None = None,
                earliest_launch_after_threat_s: float | None = None, settings: FanSettings | None = None,
                seed: int = 2007, progress=None) -> list[dict]:
    """Per field: every variant's verdict (each chased by name), the threshold and engaging intervals, the ideal
    bounds, the commit and its source, and ``consistent``: every variant's verdict agrees with the intervals.
    Each field's threat is flown once and its sensor timeline drawn once (:func:`chase_threat` per variant).
    ``progress(step, done, total)``: over fields x variants, and the first variant's speed search."""
    progress = progress or (lambda *_: None)
    d = defense_of(site)
    rows = []
    step, total = "chase-table (field x variant)", len(fields) * len(variants)
    progress(step, 0, total)
    for n, (name, launch) in enumerate(fields):
        th = _threat(missile, launch, target, 2.0)
        tl = None if earliest_launch_after_threat_s is not None else sensor_timeline(th, d, seed=seed)
        kw = dict(missile=missile, launch=launch, target=target, site=d, timeline=tl, ideal_memo={},
                  min_intercept_altitude_m=min_intercept_altitude_m,
                  earliest_launch_after_threat_s=earliest_launch_after_threat_s, settings=settings, seed=seed)
        res = {}
        for j, v in enumerate(variants):
            res[v] = chase_threat(th, interceptor=v, threshold=(j == len(variants) - 1),
                                  progress=(lambda s_, k, m, name=name: progress(f"{s_} ({name})", k, m)
                                            if s_.startswith("speed search") else None), **kw)
            progress(step, n * len(variants) + j + 1, total)
        # the speed search (which does not depend on the variant) runs with the fastest variant, whose
        # "no", if any, gives the row's reason
        first = res[variants[-1]]
        iv = first.engaging_speed_intervals_mps or []
        verdicts = {v: r.engageable for v, r in res.items()}
        inside = {v: any(lo <= r.interceptor_burnout_speed_mps <= hi for lo, hi in iv) for v, r in res.items()}
        rows.append({"field": name, "verdicts": verdicts,
                     "earliest_intercept_after_launch_s": {v: r.earliest_intercept_after_launch_s
                                                           for v, r in res.items()},
                     "verify_miss_m": {v: r.verify_miss_m for v, r in res.items()},
                     "min_burnout_speed_mps": first.min_burnout_speed_mps, "engaging_speed_intervals_mps": iv,
                     "ideal_speed_mps": first.ideal_speed_mps, "ideal_speed_delayed_mps": first.ideal_speed_delayed_mps,
                     "earliest_launch_after_launch_s": first.earliest_launch_after_launch_s,
                     "commit_time_source": first.commit_time_source,
                     "consistent": all(verdicts[v] == inside[v] for v in variants), "reason": first.reason,
                     "direct_search": None if iv or any(verdicts.values()) else _direct_no(
                         th, variants[-1], first, site=d, settings=settings)})
    return rows


def _direct_no(th: Threats, variant, first: ChaseResult, *, site, settings) -> dict:
    """A "no" of the fastest variant checked without the fan table (:func:`bmdsim.engagement.verify.
    direct_search`: its whole steering family flown at the threat's exact bearings, the best shots aimed)."""
    from bmdsim.engagement.verify import direct_search

    c = float(th.t_launch_s[0]) + first.earliest_launch_after_launch_s
    chk = direct_search(fan_at(interceptor_for(variant, None, site=site), site, settings=settings), th, 0, c,
                        min_intercept_altitude_m=first.min_intercept_altitude_km * 1e3, sample_step_s=10.0)
    return {"interceptor": variant, "intercept_found": chk.flown, "shots_aimed": chk.aimed,
            "launch_deficit_s": float(chk.deficit_s) if np.isfinite(chk.deficit_s) else None,
            "method": "engagement.verify.direct_search (every steering family member flown at the threat's "
                      "bearings, 10 s samples; launch deficit: earliest launch minus the latest launch that "
                      "reaches a sample)"}
