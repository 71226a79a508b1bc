"""Battle manager: a raid of warheads and decoys against sites with finite inventories.

Inputs are plain arrays from fire control: for each object ``i`` (warhead or decoy) and site ``s`` the number of
shoot-look-shoot opportunities ``opportunities[s, i]`` (0: the site cannot engage it; readiness, i.e. an
activation delay, has already shaped these through the earliest launch time), the value of the asset the object
is aimed at, and which objects are warheads.

Per trial (seeded Monte Carlo, explicit ``rng``):

1. *Discrimination*: each decoy is recognised as a decoy with probability ``p_discrimination`` and then ignored;
   an unrecognised decoy looks like a warhead aimed at its cluster's asset (the model of the open analyses of
   countermeasures, e.g. Sessler et al., *Countermeasures*, UCS/MIT 2000: the defense must shoot at what it
   cannot tell apart).
2. *Threat evaluation and weapon-target assignment*, one look at a time: every apparent threat still alive with
   an opportunity left at this look is a target; a target's ``j``-th interceptor in the salvo is worth
   ``value x pssk x (1 - pssk)^j`` (its marginal kill probability); interceptors (rows, per site, as many as the
   stock allows) are assigned to these slots by :func:`scipy.optimize.linear_sum_assignment` (maximum total
   value; at most ``salvo`` per target per look). Optimal per look; no inventory is held back for later looks
   (a documented heuristic: the full dynamic problem is not solved).
3. *Kill draws* per interceptor; kill assessment is perfect: killed objects drop out before the next look.

Outputs: leakers (warheads not killed) per trial, their mean and standard error, the probability of no leak,
the value that leaks, interceptors used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from bmdsim.engagement.doctrine import Doctrine
from bmdsim.errors import InputError

__all__ = ["Raid", "BattleResult", "assign", "fight"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Raid:
    """Objects ``(T,)``: ``value`` of the defended asset each is aimed at, ``warhead`` (bool), ``cluster`` (the
    warhead a decoy accompanies; a warhead's own index); ``opportunities (S, T)`` per site; ``inventory (S,)``;
    ``pssk (S,)``."""

    value: np.ndarray
    warhead: np.ndarray
    cluster: np.ndarray
    opportunities: np.ndarray
    inventory: np.ndarray
    pssk: np.ndarray

    def __post_init__(self):
        t = self.value.shape[0]
        if self.opportunities.ndim != 2 or self.opportunities.shape[1] != t:
            raise InputError("opportunities", self.opportunities.shape, f"give an (S, {t}) array")
        if self.inventory.shape != (self.opportunities.shape[0],) or self.pssk.shape != self.inventory.shape:
            raise InputError("inventory/pssk", (self.inventory.shape, self.pssk.shape), "give one per site")

    @classmethod
    def simple(cls, values, opportunities, *, inventory: int, pssk: float, decoys_per_warhead: int = 0) -> Raid:
        """One site; warheads with ``values`` and ``opportunities``, each with ``decoys_per_warhead`` decoys that
        share its value and opportunities."""
        v = np.asarray(values, dtype=float)
        o = np.asarray(opportunities, dtype=int)
        n = v.size
        k = 1 + decoys_per_warhead
        cl = np.repeat(np.arange(n), k)
        wh = np.tile(np.r_[True, np.zeros(decoys_per_warhead, dtype=bool)], n)
        idx = np.repeat(np.arange(n), k)
        return cls(value=v[idx], warhead=wh, cluster=np.flatnonzero(wh)[cl], opportunities=o[idx][None, :],
                   inventory=np.array([inventory]), pssk=np.array([pssk], dtype=float))


def assign(values, pssk, stock, feasible, salvo: int):
    """One look's weapon-target assignment.

    ``values (T,)`` of the current targets, ``pssk (S,)``, ``stock (S,)`` interceptors left per site,
    ``feasible (S, T)``; returns the number of interceptors per (site, target), ``(S, T)`` ints.

    >>> assign(np.array([1.0, 3.0]), np.array([0.8]), np.array([1]), np.ones((1, 2), bool), 2).tolist()
    [[0, 1]]
    """
    s_n, t_n = feasible.shape
    out = np.zeros((s_n, t_n), dtype=int)
    if t_n == 0 or stock.sum() == 0:
        return out
    cols = [(i, j) for i in range(t_n) for j in range(salvo)]
    rows = [s for s in range(s_n) for _ in range(int(min(stock[s], t_n * salvo)))]
    if not rows:
        return out
    ci = np.array([c[0] for c in cols])
    cj = np.array([c[1] for c in cols])
    r = np.array(rows)
    p = pssk[r][:, None]
    gain = values[ci][None, :] * p * (1.0 - p) ** cj[None, :]
    gain = np.where(feasible[r][:, ci], gain, 0.0)
    rr, cc = linear_sum_assignment(gain, maximize=True)
    keep = gain[rr, cc] > 0
    np.add.at(out, (r[rr[keep]], ci[cc[keep]]), 1)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class BattleResult:
    leakers: np.ndarray
    value_leaked: np.ndarray
    fired: np.ndarray
    warhead_killed: np.ndarray
    leakers_mean: float
    leakers_se: float
    p_no_leak: float
    p_no_leak_se: float
    fired_mean: float

    def to_dict(self) -> dict:
        return {"leakers_mean": self.leakers_mean, "leakers_se": self.leakers_se, "p_no_leak": self.p_no_leak,
                "p_no_leak_se": self.p_no_leak_se, "interceptors_fired_mean": self.fired_mean,
                "value_leaked_mean": float(self.value_leaked.mean()),
                "p_kill_per_warhead": self.warhead_killed.mean(axis=0).tolist()}


def fight(raid: Raid, doctrine: Doctrine, *, p_discrimination: float = 1.0, n_trials: int = 1000,
          rng: np.random.Generator) -> BattleResult:
    """Monte Carlo of the battle (module docstring)."""
    if not isinstance(rng, np.random.Generator):
        raise InputError("rng", type(rng).__name__, "pass a numpy.random.Generator")
    if not 0.0 <= p_discrimination <= 1.0:
        raise InputError("p_discrimination", p_discrimination, "a probability lies between 0 and 1")
    t_n = raid.value.size
    wh = np.asarray(raid.warhead, dtype=bool)
    n_wh = int(wh.sum())
    leak = np.zeros(n_trials, dtype=int)
    vleak = np.zeros(n_trials)
    fired = np.zeros(n_trials, dtype=int)
    killed_wh = np.zeros((n_trials, n_wh), dtype=bool)
    looks = int(min(doctrine.looks, raid.opportunities.max(initial=0)))
    for trial in range(n_trials):
        apparent = wh | (rng.random(t_n) >= p_discrimination)
        alive = np.ones(t_n, dtype=bool)
        stock = raid.inventory.astype(int).copy()
        for look in range(looks):
            tgt = np.flatnonzero(apparent & alive & (raid.opportunities.max(axis=0) > look))
            if tgt.size == 0 or stock.sum() == 0:
                break
            feas = raid.opportunities[:, tgt] > look
            plan = assign(raid.value[tgt], raid.pssk, stock, feas, doctrine.salvo)
            stock -= plan.sum(axis=1)
            fired[trial] += int(plan.sum())
            # P(no kill) for each target = prod over sites (1 - pssk_s)^n_s
            p_surv = np.prod((1.0 - raid.pssk[:, None]) ** plan, axis=0)
            alive[tgt] &= rng.random(tgt.size) >= 1.0 - p_surv
        killed_wh[trial] = ~alive[wh]
        leak[trial] = int(alive[wh].sum())
        vleak[trial] = float(raid.value[wh][alive[wh]].sum())
    no_leak = leak == 0
    pnl = float(no_leak.mean())
    return BattleResult(leakers=leak, value_leaked=vleak, fired=fired, warhead_killed=killed_wh,
                        leakers_mean=float(leak.mean()), leakers_se=float(leak.std(ddof=1) / np.sqrt(n_trials)),
                        p_no_leak=pnl, p_no_leak_se=float(np.sqrt(max(pnl * (1 - pnl), 1e-300) / n_trials)),
                        fired_mean=float(fired.mean()))
