"""Firing doctrine and kill assessment: closed forms and a seeded Monte Carlo that is checked against them.

Model (as in the open literature on layered defenses, e.g. Wilkening, *Science & Global Security* 8, 2000):
every interceptor kills its target independently with the single-shot kill probability ``pssk``; kill
assessment after each salvo is perfect and takes a fixed time (only its timing limits the number of looks).

- salvo of ``k``: ``P = 1 - (1 - pssk)^k``;
- shoot-look-shoot with ``n`` opportunities of ``k`` each: the next salvo is fired only if the previous one
  failed, so ``P = 1 - (1 - pssk)^(k n)`` and the expected number of interceptors used is
  ``k (1 - q^n) / (1 - q)`` with ``q = (1 - pssk)^k``;
- a finite inventory ``I`` caps the interceptors at ``min(I, k n)`` in the kill probability;
- expected leakers of a raid: the sum over threats of ``1 - P``.

Randomness: only in :func:`simulate`, from an explicit ``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.errors import InputError

__all__ = ["Doctrine", "p_kill_independent", "p_kill", "expected_interceptors", "expected_leakers", "simulate",
           "McResult"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Doctrine:
    """``salvo`` interceptors per opportunity; up to ``looks`` shoot-look-shoot opportunities (a later one only
    if the earlier ones failed); ``assess_s`` the kill-assessment time between them."""

    salvo: int = 1
    looks: int = 2
    assess_s: float = 60.0

    def __post_init__(self):
        if self.salvo < 1 or self.looks < 1:
            raise InputError("doctrine", (self.salvo, self.looks), "salvo and looks must be at least 1")
        if not self.assess_s >= 0:
            raise InputError("assess_s", self.assess_s, "the kill-assessment time must be zero or positive")


def _check_p(pssk):
    p = np.asarray(pssk, dtype=float)
    if np.any(~((p >= 0) & (p <= 1))):
        raise InputError("pssk", pssk, "a probability lies between 0 and 1")
    return p


def p_kill_independent(pssk, n_interceptors):
    """Probability that at least one of ``n`` independent interceptors kills: ``1 - (1 - pssk)^n``.

    >>> float(p_kill_independent(0.8, 2))
    0.96
    """
    p = _check_p(pssk)
    return 1.0 - (1.0 - p) ** np.asarray(n_interceptors, dtype=float)


def p_kill(pssk, doctrine: Doctrine, *, opportunities=None, inventory=None):
    """Kill probability of one threat under ``doctrine``; ``opportunities`` (default ``doctrine.looks``) caps the
    looks the timeline allows, ``inventory`` the interceptors available. Arrays broadcast.

    >>> round(float(p_kill(0.8, Doctrine(salvo=2, looks=2))), 6)
    0.9984
    """
    n = doctrine.looks if opportunities is None else np.minimum(doctrine.looks, opportunities)
    shots = doctrine.salvo * np.asarray(n)
    if inventory is not None:
        shots = np.minimum(shots, inventory)
    return p_kill_independent(pssk, shots)


def expected_interceptors(pssk, doctrine: Doctrine, *, opportunities=None):
    """Expected interceptors fired at one threat under shoot-look-shoot (perfect assessment, no inventory cap).

    >>> round(float(expected_interceptors(0.8, Doctrine(salvo=1, looks=2))), 6)
    1.2
    """
    p = _check_p(pssk)
    n = doctrine.looks if opportunities is None else np.minimum(doctrine.looks, opportunities)
    q = (1.0 - p) ** doctrine.salvo
    n = np.asarray(n, dtype=float)
    return np.where(q < 1.0, doctrine.salvo * (1.0 - q**n) / np.where(q < 1.0, 1.0 - q, 1.0), doctrine.salvo * n)


def expected_leakers(p_kill_per_threat) -> float:
    """Expected number of threats that get through: ``sum(1 - P_k)``."""
    return float(np.sum(1.0 - np.asarray(p_kill_per_threat, dtype=float)))


@dataclass(frozen=True, slots=True, kw_only=True)
class McResult:
    """Monte Carlo of independent engagements: per trial, whether each threat was killed and the interceptors
    fired; the estimates with their standard errors."""

    killed: np.ndarray
    fired: np.ndarray
    p_kill: np.ndarray
    p_kill_se: np.ndarray
    mean_fired: np.ndarray
    leakers_mean: float
    leakers_se: float


def simulate(pssk, doctrine: Doctrine, *, n_trials: int, rng: np.random.Generator, opportunities=None,
             inventory: int | None = None) -> McResult:
    """Draw kills shot by shot for threats ``(T,)`` (``pssk`` and ``opportunities`` per threat), engaged in
    order; with an ``inventory``, a shared stock is spent salvo by salvo (threats in order, all first looks
    before second looks). Returns :class:`McResult` (``killed (n_trials, T)``)."""
    if not isinstance(rng, np.random.Generator):
        raise InputError("rng", type(rng).__name__, "pass a numpy.random.Generator, e.g. np.random.default_rng(1)")
    p = np.atleast_1d(_check_p(pssk)).astype(float)
    opp = np.full(p.shape, doctrine.looks) if opportunities is None else np.minimum(
        doctrine.looks, np.broadcast_to(np.asarray(opportunities), p.shape))
    t = p.size
    stock = np.full(n_trials, np.inf if inventory is None else float(inventory))
    killed = np.zeros((n_trials, t), dtype=bool)
    fired = np.zeros((n_trials, t), dtype=int)
    for look in range(int(opp.max(initial=0))):
        for j in range(t):
            if look >= opp[j]:
                continue
            alive = ~killed[:, j]
            k = np.where(alive, np.minimum(doctrine.salvo, stock), 0).astype(int)
            stock -= k
            fired[:, j] += k
            u = rng.random((n_trials, doctrine.salvo))
            hits = (u < p[j]) & (np.arange(doctrine.salvo)[None, :] < k[:, None])
            killed[:, j] |= hits.any(axis=1)
    pk = killed.mean(axis=0)
    se = np.sqrt(np.maximum(pk * (1 - pk), 1e-300) / n_trials)
    leak = (~killed).sum(axis=1)
    return McResult(killed=killed, fired=fired, p_kill=pk, p_kill_se=se, mean_fired=fired.mean(axis=0),
                    leakers_mean=float(leak.mean()), leakers_se=float(leak.std(ddof=1) / np.sqrt(n_trials)))
