"""Timeline of one engagement, and what a delay in activating the site does to it.

Events (seconds from the threat's launch; ``None`` when it does not happen): launch, threat burnout, first
detection (any sensor), first radar track, commit, first interceptor launch, first intercept, kill assessment
done, second interceptor launch (shoot-look-shoot: not before the assessment), second intercept, impact.

Activation delay (the 2007 offer to keep the sites inactive until a threat is proven, REPORTED): no interceptor
leaves before ``activation_delay_s`` after the threat's launch. :func:`timeline` tabulates the shoot-look-shoot
opportunities against the delay and gives, per shot, the largest delay that still allows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.analysis.engage import fan_at, fly_threats, interceptor_for, sensor_timeline
from bmdsim.core.records import real, table, text
from bmdsim.engagement import defenses
from bmdsim.engagement.fan import FanSettings
from bmdsim.engagement.firecontrol import windows
from bmdsim.errors import InputError

__all__ = ["timeline", "timeline_figure", "EVENTS", "DecisionTime"]


@table("decision_times", "Warning and decision time per threat and interceptor site (times from the epoch, "
       "durations in s).")
@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionTime:
    threat: str = text("raid name")
    site: str | None = text("interceptor site (NULL if none)")
    readiness: str | None = text("on-alert | delayed")
    active_from_t_s: float = real("site active from")
    launch_t_s: float = real("threat launch")
    impact_t_s: float = real("threat impact")
    first_report_t_s: float = real("first report of the launch by any sensor")
    first_radar_track_t_s: float = real("first confirmed radar track (sensor_detections.track_t_s)")
    warning_s: float = real("impact minus first report")
    radar_track_to_impact_s: float = real("impact minus first radar track")
    decision_window_s: float = real("impact minus max(first radar track, site active)")
    lost_to_activation_s: float = real("part of the window lost because the site was not yet active")

EVENTS = ("launch", "burnout", "detection", "track", "commit", "interceptor_launch", "intercept", "kill_assessment",
          "second_shot_launch", "second_intercept", "impact")


def _f(x):
    return None if x is None or not np.isfinite(x) else float(x)


def timeline(launch: tuple[float, float], target: tuple[float, float], missile: str, *, site: str = "redzikowo",
             interceptor: str | None = None, interceptor_speed_mps: float | None = None,
             activation_delay_s: float | None = None, delays_s=None, settings: FanSettings | None = None,
             dense_dt_s: float = 2.0, seed: int = 2007) -> dict:
    """The engagement timeline of one flight (module docstring); plain data, ``*_after_launch_s`` from the
    threat's launch.

    ``delays_s``: the activation delays to tabulate (default every 10 s from 0 to the threat's flight time)."""
    d = defenses.get(site)
    v = interceptor_for(interceptor, interceptor_speed_mps, site=site)
    th, miss = fly_threats(missile, launch[0], launch[1], target[0], target[1], dense_dt_s=dense_dt_s)
    if not miss[0] < 1000.0:
        raise InputError("target", target, f"{missile} cannot be aimed there; choose a closer target")
    t0 = float(th.t_launch_s[0])
    tl = sensor_timeline(th, site, seed=seed)
    delay = d.activation_delay_s if activation_delay_s is None else float(activation_delay_s)
    if not delay >= 0:
        raise InputError("activation_delay_s", delay, "give zero or more seconds")
    base = float(tl.t_earliest_launch_s[0])
    c = max(base, t0 + delay)
    fan = fan_at(v, site, settings=settings)
    w = windows(fan, th, t_earliest_launch_s=c, min_intercept_altitude_m=d.min_intercept_altitude_m)
    n, times = w.opportunities(assess_s=d.kill_assessment_s, max_shots=2)
    t1, t2 = times[0, 0], times[0, 1]
    ev = {
        "launch_after_launch_s": 0.0,
        "burnout_after_launch_s": float(th.t_burnout_s[0] - t0),
        "detection_after_launch_s": _f(tl.t_detect_s[0] - t0),
        "track_after_launch_s": _f(tl.t_track_s[0] - t0),
        "commit_after_launch_s": _f(max(float(tl.t_commit_s[0]), t0 + delay - d.reaction_s) - t0),
        "interceptor_launch_after_launch_s": _f(c - t0) if np.isfinite(t1) else None,
        "intercept_after_launch_s": _f(t1 - t0),
        "kill_assessment_after_launch_s": _f(t1 + d.kill_assessment_s - t0),
        "second_shot_launch_after_launch_s": _f(t1 + d.kill_assessment_s - t0) if np.isfinite(t2) else None,
        "second_intercept_after_launch_s": _f(t2 - t0),
        "impact_after_launch_s": float(th.t_impact_s[0] - t0),
    }
    # activation delay: shots possible against the delay
    tof = float(th.t_impact_s[0] - t0)
    grid = np.arange(0.0, tof + 10.0, 10.0) if delays_s is None else np.asarray(delays_s, dtype=float)
    w0 = windows(fan, th, t_earliest_launch_s=base, min_intercept_altitude_m=d.min_intercept_altitude_m)
    shots = np.array([int(w0.opportunities(assess_s=d.kill_assessment_s, max_shots=d.inventory,
                                           t_launch_min_s=max(base, t0 + dl))[0][0]) for dl in grid])
    max_delay = {}
    for k in (1, 2):
        ok = grid[shots >= k]
        max_delay[f"max_activation_delay_for_shot_{k}_s"] = float(ok.max()) if ok.size else None
    return {
        "missile": missile, "site": site, "interceptor": v.name, "activation_delay_s": delay,
        "commit_time_source": tl.source[0], "tracking_sensor": tl.tracking_sensor[0],
        "kill_assessment_s": d.kill_assessment_s, "reaction_s": d.reaction_s,
        "engageable": bool(w.engageable[0]), "shots": int(n[0]),
        **ev,
        "events": [{"event": e, "after_launch_s": ev[f"{e}_after_launch_s"]} for e in EVENTS],
        **max_delay,
        "shots_by_activation_delay": [{"delay_s": float(a), "shots": int(b)} for a, b in zip(grid, shots,
                                                                                              strict=True)],
    }


def timeline_figure(result: dict):
    """The events on a time axis, with the shots still possible against the activation delay below."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(8, 5), sharex=True, gridspec_kw={"height_ratios": [2, 1]})
    evs = [e for e in result["events"] if e["after_launch_s"] is not None]
    for i, e in enumerate(evs):
        ax.plot([e["after_launch_s"]], [i], "ko")
        ax.text(e["after_launch_s"] + 10, i, e["event"].replace("_", " "), va="center", fontsize=8)
    ax.set_yticks([])
    ax.set_title(f"{result['missile']} vs {result['interceptor']} at {result['site']}", fontsize=9)
    rows = result["shots_by_activation_delay"]
    ax2.step([r["delay_s"] for r in rows], [r["shots"] for r in rows], where="post", color="k")
    ax2.set_xlabel("time from threat launch / activation delay (s)")
    ax2.set_ylabel("shots possible")
    fig.tight_layout()
    return fig
