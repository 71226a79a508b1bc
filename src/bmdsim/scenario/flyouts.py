"""The flown path of each engagement's first shot (after step 7, engagements): the interceptor aimed with the
engine at the threat's position at the engagement's intercept time and flown from its site, stored as
``trajectories`` rows (``object_id`` ``interceptor:SITE:THREAT:1``) and one ``interceptor_flyouts`` row.

Method: :func:`bmdsim.engagement.firecontrol.aim` (Newton on launch azimuth and steering parameter, started
from the site's fan, the engine flying every iterate) puts the interceptor on the threat's position at
``intercept_t_s``, the threat's position taken from the same flown trajectory the fire control used (cubic
Hermite between its 2-s samples). The aimed shot is then flown once more with the same steering, and the path is
sampled every :data:`PATH_STEP_S` from launch, ending on the intercept time itself. The launch time follows
from the flown time of flight; ``launch_offset_s`` says how far it lies from the fire control's earliest
launch (the fan's interpolated time of flight against the flown one). Later shots (shoot-look-shoot) have no
launch time in the engagements table and are not flown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bmdsim.core.records import extra, integer, real, table, text

__all__ = ["Flyout", "fly_first_shots", "PATH_STEP_S"]

PATH_STEP_S = 5.0     #: spacing of the stored path samples (s); the last sample is the intercept itself


@table("interceptor_flyouts", "The flown first shot of each engagement: the interceptor aimed with the engine at "
       "the threat's position at intercept_t_s; its path is in trajectories (object_id interceptor:SITE:THREAT:1).")
@dataclass(frozen=True, slots=True, kw_only=True)
class Flyout:
    object_id: str = text("interceptor:SITE:THREAT:SHOT, the path's object_id in trajectories")
    site: str = text("interceptor site")
    interceptor: str = text("variant")
    threat: str = text("raid name")
    shot: int = integer("1 (the first shot; later shots are not flown)")
    launch_t_s: float = real("launch of the flown interceptor (intercept_t_s minus its flown time of flight)")
    launch_offset_s: float = real("launch_t_s minus the engagement's interceptor_launch_t_s")
    intercept_t_s: float = real("the engagement's intercept time; the path ends there")
    time_of_flight_s: float = real("flown time from launch to the intercept")
    launch_azimuth_deg: float = real("clockwise from true north")
    steering_family: int = integer("0: kick and gravity turn; 1, 2, ...: linear-tangent family of the fan")
    steering_deg: float = real("the kick (family 0) or the linear-tangent end elevation")
    cutoff_s: float = real("thrust cut-off after launch (inf: burn to burnout)")
    intercept_altitude_km: float = real("interceptor altitude at the intercept time")
    miss_m: float = real("interceptor to threat at the intercept time (both flown by the engine)")
    aim_error_m: float = real("distance of the flown path from the aimpoint after the Newton iterations")
    closing_speed_mps: float = real("inertial closing speed at the intercept")
    t_s: np.ndarray = extra()             # the path: times (s since the epoch), from launch to intercept_t_s
    latitude_deg: np.ndarray = extra()
    longitude_deg: np.ndarray = extra()
    altitude_m: np.ndarray = extra()


def fly_first_shots(scn, flown, engagements, progress=None) -> list[Flyout]:
    """One :class:`Flyout` per first shot of ``engagements`` (the run's ``engagements`` rows) with a finite
    intercept time; ``flown`` is the run's :class:`~bmdsim.scenario.flights.FlownThreats`. A shot the engine
    cannot aim at the point (outside the interceptor's reach when flown) gets no row."""
    from bmdsim.analysis.engage import fan_at, interceptor_for
    from bmdsim.core import frames
    from bmdsim.engagement.firecontrol import aim, geometry, hermite_at
    from bmdsim.errors import InputError
    from bmdsim.flight.fly import Options, fly

    progress = progress or (lambda *_: None)
    sites = {x.name: x for x in scn.interceptor_sites}
    firsts = [e for e in engagements or [] if e.shot == 1 and math.isfinite(e.intercept_t_s)
              and math.isfinite(e.interceptor_launch_t_s) and e.site in sites]
    out: list[Flyout] = []
    progress("interceptor fly-outs", 0, max(len(firsts), 1))
    for n, e in enumerate(firsts):
        site = sites[e.site]
        fan = fan_at(interceptor_for(site.interceptor, site=site.site), site.site)
        truth = flown.truths[e.threat]
        trj = (truth.t_s, truth.r_ecef, truth.v_ecef)
        r_aim, v_threat = hermite_at(*trj, e.intercept_t_s)
        try:
            shot = aim(fan, r_aim, e.intercept_t_s, threat=trj)
        except InputError:
            progress("interceptor fly-outs", n + 1, len(firsts))
            continue
        tof = e.intercept_t_s - shot.t_launch_s
        opts = Options(max_time_s=tof + 2 * PATH_STEP_S, dense_dt_s=PATH_STEP_S,
                       dense_n=int(tof / PATH_STEP_S) + 3)
        f = fly(fan.interceptor, fan.latitude_deg, fan.longitude_deg, shot.azimuth_deg, t_launch_s=shot.t_launch_s,
                altitude_m=fan.altitude_m, target_altitude_m=fan.altitude_m, options=opts,
                **fan.steering(shot.family, shot.kick_deg, shot.cutoff_s))
        ts, r = f.t_s[0], f.r_ecef[0]
        before = np.isfinite(r[:, 0]) & (ts < e.intercept_t_s - 1e-6)
        r_end, _ = hermite_at(ts, r, f.v_ecef[0], e.intercept_t_s)
        t_path = np.append(ts[before], e.intercept_t_s)
        lat, lon, h = frames.ecef_to_geodetic(np.vstack([r[before], r_end]))
        closing, _, _ = geometry(shot.r_ecef, shot.v_ecef, v_threat, e.intercept_t_s)
        out.append(Flyout(
            object_id=f"interceptor:{e.site}:{e.threat}:{e.shot}", site=e.site, interceptor=e.interceptor,
            threat=e.threat, shot=e.shot, launch_t_s=shot.t_launch_s,
            launch_offset_s=shot.t_launch_s - e.interceptor_launch_t_s, intercept_t_s=e.intercept_t_s,
            time_of_flight_s=tof, launch_azimuth_deg=shot.azimuth_deg % 360.0, steering_family=shot.family,
            steering_deg=shot.kick_deg, cutoff_s=shot.cutoff_s, intercept_altitude_km=float(h[-1]) / 1e3,
            miss_m=shot.miss_m, aim_error_m=shot.aim_error_m, closing_speed_mps=closing, t_s=t_path,
            latitude_deg=np.degrees(lat), longitude_deg=np.degrees(lon), altitude_m=h))
        progress("interceptor fly-outs", n + 1, len(firsts))
    return out
