"""A raid against a site's finite inventory: fly the threats, let fire control count each one's shot
opportunities (sensor-timeline commit, readiness), then run the battle manager's Monte Carlo
(:mod:`bmdsim.engagement.battle`). Decoys fly with their warhead (same trajectory, same opportunities)."""

from __future__ import annotations

import numpy as np

from bmdsim.analysis.engage import fan_at, fly_threats, interceptor_for, sensor_timeline
from bmdsim.engagement import defenses
from bmdsim.engagement.battle import Raid, fight
from bmdsim.engagement.doctrine import Doctrine, p_kill
from bmdsim.engagement.fan import FanSettings
from bmdsim.engagement.firecontrol import windows

__all__ = ["raid"]


def raid(launch: tuple[float, float], targets: list[tuple[str, tuple[float, float], float]], missile: str, *,
         site: str = "redzikowo", interceptor: str | None = None, doctrine: Doctrine | None = None,
         decoys_per_warhead: int = 0, p_discrimination: float = 1.0, activation_delay_s: float | None = None,
         inventory: int | None = None, n_trials: int = 2000, seed: int = 2007,
         settings: FanSettings | None = None) -> dict:
    """``targets``: ``(name, (lat, lon), value)`` per warhead. Returns plain data: per warhead its shot
    opportunities and closed-form kill probability (no inventory limit, perfect discrimination), and the battle
    Monte Carlo (expected leakers with standard error, probability of no leak, interceptors fired)."""
    d = defenses.get(site)
    v = interceptor_for(interceptor, site=site)
    doc = doctrine or Doctrine(salvo=1, looks=2, assess_s=d.kill_assessment_s)
    la = np.array([t[1][0] for t in targets])
    lo = np.array([t[1][1] for t in targets])
    th, _ = fly_threats(missile, launch[0], launch[1], la, lo)
    tl = sensor_timeline(th, site, seed=seed)
    delay = d.activation_delay_s if activation_delay_s is None else float(activation_delay_s)
    c = np.maximum(tl.t_earliest_launch_s, th.t_launch_s + delay)
    w = windows(fan_at(v, site, settings=settings), th, t_earliest_launch_s=c,
                min_intercept_altitude_m=d.min_intercept_altitude_m)
    opp, _ = w.opportunities(assess_s=doc.assess_s, max_shots=doc.looks)
    pssk = d.pssk_of(v.name)
    inv = d.inventory if inventory is None else int(inventory)
    r = Raid.simple([t[2] for t in targets], opp, inventory=inv, pssk=pssk, decoys_per_warhead=decoys_per_warhead)
    res = fight(r, doc, p_discrimination=p_discrimination, n_trials=n_trials, rng=np.random.default_rng(seed))
    pk = p_kill(pssk, doc, opportunities=opp)
    return {"site": site, "interceptor": v.name, "missile": missile, "inventory": inv, "pssk": pssk,
            "salvo": doc.salvo, "looks": doc.looks, "decoys_per_warhead": decoys_per_warhead,
            "p_discrimination": p_discrimination, "activation_delay_s": delay,
            "threats": [{"name": t[0], "value": t[2], "opportunities": int(o), "p_kill_closed_form": float(p)}
                        for t, o, p in zip(targets, opp, pk, strict=True)],
            "expected_leakers_closed_form": float(np.sum(1 - pk)), **res.to_dict()}
