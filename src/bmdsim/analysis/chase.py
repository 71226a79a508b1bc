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
- ``min_burnout_speed_mps``: the smallest burnout speed that makes any intercept possible, by bisection over
  sized variants (two-stage design up to 9.5 km/s, three-stage above; the same commit time), ``None`` when even
  12 km/s does not reach.

Times in the result count from the threat's launch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from bmdsim.analysis.engage import fan_at, fly_threats, interceptor_for, sensor_timeline
from bmdsim.core import frames
from bmdsim.engagement import defenses
from bmdsim.engagement.fan import FanSettings, sized_interceptor
from bmdsim.engagement.firecontrol import Threats, divert_required_mps, geometry, refine_earliest, windows
from bmdsim.errors import InputError, UnreachableError

__all__ = ["ChaseResult", "chase", "min_burnout_speed", "chase_curve", "ChaseCurve", "MAX_SPEED_MPS"]

MAX_SPEED_MPS = 12_000.0
MIN_SPEED_MPS = 2_000.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ChaseResult:
    """One threat flight against one interceptor variant (times from the threat's launch, s)."""

    missile: str
    launch_latitude_deg: float
    launch_longitude_deg: float
    target_latitude_deg: float
    target_longitude_deg: float
    site: str
    interceptor: str
    interceptor_burnout_speed_mps: float
    threat_flight_time_s: float
    threat_burnout_t_s: float
    earliest_launch_t_s: float
    commit_time_source: str
    engageable: bool
    earliest_intercept_t_s: float | None
    latest_intercept_t_s: float | None
    latest_launch_t_s: float | None
    interceptor_launch_t_s: float | None
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

    def to_dict(self) -> dict:
        return asdict(self)


def _threat(missile, launch, target, dense_dt_s):
    th, miss = fly_threats(missile, launch[0], launch[1], target[0], target[1], dense_dt_s=dense_dt_s)
    if not miss[0] < 1000.0:
        raise UnreachableError("--to", target, f"{missile} cannot be aimed there from {launch} (miss "
                               f"{miss[0] / 1e3:.0f} km); choose a closer target or a longer-range missile")
    return th


def _handover_cov_ecef(th: Threats, site: str, t_handover_s: float, seed: int):
    """Position covariance (m2, ECEF) of the site's fused radar track predicted to ``t_handover_s``, and where it
    comes from; ``(None, reason)`` when the radars hold no track by then. Same seeded reports as
    :func:`~bmdsim.analysis.engage.sensor_timeline` (threat 0, its first child generator)."""
    from bmdsim.analysis.observe import fused_track
    from bmdsim.core import estimation as est
    from bmdsim.core.constants import OMEGA_EARTH_RAD_S
    from bmdsim.sensing import catalog as sensing_catalog
    from bmdsim.sensing.detection import detect_all
    from bmdsim.sensing.tracking import DEFAULT_Q_M2_S3

    d = defenses.get(site)
    ok = np.isfinite(th.r_ecef[0, :, 0])
    rng = np.random.default_rng(seed).spawn(1)[0]
    res = detect_all([sensing_catalog.sensor(x) for x in d.sensors], th.t_s[0, ok], th.r_ecef[0, ok],
                     th.v_ecef[0, ok], rng=rng, rcs_m2=1.0, t_burnout_s=float(th.t_burnout_s[0]))
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


def _engageable_at(speed, th: Threats, site, t_launch_min, min_alt, settings) -> bool:
    try:
        v = sized_interceptor(speed)
    except UnreachableError:
        return False
    w = windows(fan_at(v, site, settings=settings), th, t_earliest_launch_s=t_launch_min,
                min_intercept_altitude_m=min_alt)
    return bool(w.engageable[0])


def min_burnout_speed(th: Threats, site: str, t_earliest_launch_s: float, *, min_intercept_altitude_m: float,
                      settings: FanSettings | None = None, tol_mps: float = 50.0) -> float | None:
    """The smallest interceptor burnout speed (m/s, within ``tol_mps``) that can engage threat 0 of ``th``, by
    bisection between 2 and 12 km/s over sized variants; ``None`` when 12 km/s cannot, 2,000.0 when even that
    can. Assumes engageability grows with speed (tested for the two-stage design)."""
    args = (th.take([0]), site, t_earliest_launch_s, min_intercept_altitude_m, settings)
    if not _engageable_at(MAX_SPEED_MPS, *args):
        return None
    lo, hi = MIN_SPEED_MPS, MAX_SPEED_MPS
    if _engageable_at(lo, *args):
        return lo
    while hi - lo > tol_mps:
        mid = 0.5 * (lo + hi)
        if _engageable_at(mid, *args):
            hi = mid
        else:
            lo = mid
    return hi


def chase(launch: tuple[float, float], target: tuple[float, float], missile: str, *, site: str = "redzikowo",
          interceptor: str | None = None, interceptor_speed_mps: float | None = None,
          earliest_launch_after_threat_s: float | None = None, min_intercept_altitude_m: float | None = None,
          threshold: bool = True, settings: FanSettings | None = None, dense_dt_s: float = 2.0,
          seed: int = 2007) -> ChaseResult:
    """Chase one threat flight (``launch``, ``target`` as (lat, lon) degrees) with one interceptor variant.

    ``earliest_launch_after_threat_s``: earliest interceptor launch, seconds after the threat's launch (default:
    from the sensor timeline). ``threshold=False`` skips the bisection for the minimum burnout speed."""
    d = defenses.get(site)
    v = interceptor_for(interceptor, interceptor_speed_mps, site=site)
    min_alt = d.min_intercept_altitude_m if min_intercept_altitude_m is None else float(min_intercept_altitude_m)
    th = _threat(missile, launch, target, dense_dt_s)
    t0 = float(th.t_launch_s[0])
    if earliest_launch_after_threat_s is None:
        tl = sensor_timeline(th, site, seed=seed)
        c = float(tl.t_earliest_launch_s[0])
        source = tl.source[0]
    else:
        if not np.isfinite(earliest_launch_after_threat_s) or earliest_launch_after_threat_s < 0:
            raise InputError("--commit-delay-s", earliest_launch_after_threat_s, "give zero or more seconds")
        c = t0 + float(earliest_launch_after_threat_s)
        source = "given (--commit-delay-s)"
    fan = fan_at(v, site, settings=settings)
    w = windows(fan, th, t_earliest_launch_s=c, min_intercept_altitude_m=min_alt)
    out = dict(missile=missile, launch_latitude_deg=launch[0], launch_longitude_deg=launch[1],
               target_latitude_deg=target[0], target_longitude_deg=target[1], site=site, interceptor=v.name,
               interceptor_burnout_speed_mps=float(v.claim.get("burnout_speed_mps", np.nan)),
               threat_flight_time_s=float(th.t_impact_s[0] - t0), threat_burnout_t_s=float(th.t_burnout_s[0] - t0),
               earliest_launch_t_s=c - t0, commit_time_source=source, engageable=bool(w.engageable[0]),
               divert_budget_mps=d.divert_budget_mps, min_intercept_altitude_km=min_alt / 1e3)
    geo = dict.fromkeys(("earliest_intercept_t_s", "latest_intercept_t_s", "latest_launch_t_s",
                         "interceptor_launch_t_s", "interceptor_flight_time_s", "intercept_latitude_deg",
                         "intercept_longitude_deg", "intercept_altitude_km", "intercept_ground_range_km",
                         "closing_speed_mps", "crossing_angle_deg", "tail_chase", "verify_miss_m",
                         "divert_required_mps", "handover_sigma_m", "handover_source"))
    if w.engageable[0]:
        shot = refine_earliest(fan, th, 0, float(w.earliest_intercept_s[0]), c)
        _, v_t = th.state_at(0, shot.t_intercept_s)
        closing, cross, tail = geometry(shot.r_ecef, shot.v_ecef, v_t, shot.t_intercept_s)
        lat, lon, h = frames.ecef_to_geodetic(shot.r_ecef)
        look = fan.lookup(shot.r_ecef)
        rel = shot.v_ecef - v_t
        cov, handover_source = _handover_cov_ecef(th, site, shot.t_intercept_s - d.handover_t_go_s, seed)
        if cov is None:
            cov = np.eye(3) * d.handover_sigma_m**2
        geo.update(earliest_intercept_t_s=shot.t_intercept_s - t0, latest_intercept_t_s=float(
            w.latest_intercept_s[0] - t0), latest_launch_t_s=float(w.latest_launch_s[0] - t0),
            interceptor_launch_t_s=shot.t_launch_s - t0, interceptor_flight_time_s=shot.t_flight_s,
            intercept_latitude_deg=float(np.degrees(lat)), intercept_longitude_deg=float(np.degrees(lon)),
            intercept_altitude_km=float(h) / 1e3, intercept_ground_range_km=float(look.ground_range_m) / 1e3,
            closing_speed_mps=closing, crossing_angle_deg=cross, tail_chase=tail, verify_miss_m=shot.miss_m,
            divert_required_mps=divert_required_mps(cov, rel, d.handover_t_go_s),
            handover_sigma_m=float(np.sqrt(np.linalg.eigvalsh(cov)[-1])), handover_source=handover_source)
    out.update(geo)
    out["min_burnout_speed_mps"] = (min_burnout_speed(th, site, c, min_intercept_altitude_m=min_alt,
                                                      settings=settings) if threshold else None)
    return ChaseResult(**out)


# ------------------------------------------------------------------------------------------------- curve
@dataclass(frozen=True, slots=True, kw_only=True)
class ChaseCurve:
    """Engageability of a set of flights against interceptor burnout speed.

    ``engageable (S, F)`` per speed and flight; ``fraction (S,)``; ``earliest_intercept_t_s (S, F)`` from each
    threat's launch (NaN: none); flights are named ``field->target``."""

    speeds_mps: np.ndarray
    flights: list
    engageable: np.ndarray
    fraction: np.ndarray
    earliest_intercept_t_s: np.ndarray
    earliest_launch_t_s: np.ndarray
    site: str
    missile: str

    def to_dict(self) -> dict:
        return {"site": self.site, "missile": self.missile, "speeds_mps": self.speeds_mps.tolist(),
                "flights": self.flights, "fraction_engageable": self.fraction.tolist(),
                "engageable": self.engageable.tolist(), "earliest_launch_t_s": self.earliest_launch_t_s.tolist()}

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
                missile: str, speeds_mps, *, site: str = "redzikowo", earliest_launch_after_threat_s=None,
                settings: FanSettings | None = None, dense_dt_s: float = 4.0, seed: int = 2007) -> ChaseCurve:
    """Engageability of every field-to-target flight against each burnout speed (one fan per speed, all flights
    in one batch). The earliest launch comes from the sensor timeline of each flight unless given."""
    d = defenses.get(site)
    pairs = [(f, t) for f in fields for t in targets]
    la = np.array([p[0][1][0] for p in pairs])
    lo = np.array([p[0][1][1] for p in pairs])
    ta = np.array([p[1][1][0] for p in pairs])
    to = np.array([p[1][1][1] for p in pairs])
    th, _ = fly_threats(missile, la, lo, ta, to, dense_dt_s=dense_dt_s)
    if earliest_launch_after_threat_s is None:
        c = sensor_timeline(th, site, seed=seed).t_earliest_launch_s
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
        w = windows(fan_at(v, site, settings=settings), th, t_earliest_launch_s=c,
                    min_intercept_altitude_m=d.min_intercept_altitude_m)
        eng[i] = w.engageable
        t_e[i] = w.earliest_intercept_s - th.t_launch_s
    return ChaseCurve(speeds_mps=speeds, flights=[f"{p[0][0]}->{p[1][0]}" for p in pairs], engageable=eng,
                      fraction=eng.mean(axis=1), earliest_intercept_t_s=t_e, earliest_launch_t_s=c - th.t_launch_s,
                      site=site, missile=missile)
