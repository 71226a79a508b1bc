"""First detections and first tracks of many objects at once, each object run alone through the same sensors with
the same seed: the batched equal of calling :func:`bmdsim.sensing.detection.detect_all` once per object with a
generator spawned from that seed, reading only ``first_detection_t_s``, ``track_t_s`` and ``report_t_s``.

Why: the footprint runs every aimpoint's own threat flight through the site's sensors (1,130 flights in the
europe-2007 run) with the same seed; one :func:`detect_all` per flight is thousands of small numpy calls per
flight. Here each step of the look schedule (``detection``'s state machine) is evaluated for all objects in one
call of the same functions (:func:`interpolate_state`'s formula, :meth:`Radar.geometry`, the SNR and ``Pd``),
and only the looks the times need are evaluated: no truth geometry (visibility windows), no measurements, only
the first ``n - 1`` confirmation looks (the rest only give measurements).

The draws are the old ones by construction: every object gets fresh generators in the state ``detect_all``'s
would start from, and makes the same calls of the same sizes in the same order (the uniform search phase, then
one ``random(L)`` per batch of looks, all ``L`` looks drawn even where fewer are evaluated). Objects whose valid
truth is not a leading run of samples take the reference path (:func:`detect_all`). One RCS for all objects.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from bmdsim.errors import InputError
from bmdsim.sensing.detection import detect_all, hermite, look_snr_pd, m_of_n_first
from bmdsim.sensing.infrared import InfraredConstellation

__all__ = ["FirstTimes", "first_times", "sensor_generators"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FirstTimes:
    """Per sensor (in the order given) and object: ``(S, N)`` seconds since the epoch, NaN when it never
    happened; ``kind`` and ``sensor`` name each row as :class:`~bmdsim.sensing.detection.DetectionResult` does."""

    sensor: list
    kind: list
    first_detection_t_s: np.ndarray
    track_t_s: np.ndarray
    report_t_s: np.ndarray


def sensor_generators(rng: np.random.Generator, n_sensors: int):
    """Bit-generator states of the ``n_sensors`` children that ``detect_all`` spawns from ``rng``
    (a generator, left untouched)."""
    return [g.bit_generator.state for g in _copy(rng).spawn(n_sensors)]


def _copy(rng: np.random.Generator) -> np.random.Generator:
    # spawning advances the parent's SeedSequence: spawn from a copy so that the caller's stays as it was
    return copy.deepcopy(rng)


def _fresh(state: dict) -> np.random.Generator:
    bg = getattr(np.random, state["bit_generator"])(0)
    bg.state = state
    return np.random.Generator(bg)


class _Truth:
    """The objects' valid truth, each a leading run of ``n[c]`` samples of ``t_s[c]``, ``r[c]``, ``v[c]``."""

    def __init__(self, t_s, r_ecef, v_ecef, n):
        self.t, self.r, self.v, self.n = t_s, r_ecef, v_ecef, n
        self._k = t_s.shape[1]
        self._t, self._r, self._v = t_s.ravel(), r_ecef.reshape(-1, 3), v_ecef.reshape(-1, 3)   # flat gathers

    def state(self, cells, tq):
        """Cubic Hermite positions and velocities at look times ``tq (L,)`` of objects ``cells (L,)``: the
        arithmetic of :func:`bmdsim.sensing.detection.interpolate_state`, element by element."""
        out_r = np.full(tq.shape + (3,), np.nan)
        out_v = np.full(tq.shape + (3,), np.nan)
        if tq.size == 0:
            return out_r, out_v
        i = np.empty(tq.size, dtype=np.intp)
        starts = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], cells.size], strict=True):
            c = cells[a]
            i[a:b] = np.searchsorted(self.t[c, :self.n[c]], tq[a:b], side="right") - 1
        nc = self.n[cells]
        f = cells * self._k + np.clip(i, 0, nc - 2)
        t0, t1 = self._t[f], self._t[f + 1]
        h = (t1 - t0)[:, None]
        s = ((tq - t0) / (t1 - t0))[:, None]
        inside = (tq >= self._t[cells * self._k]) & (tq <= self._t[cells * self._k + nc - 1])
        rr, vv = hermite(s, h, self._r[f], self._v[f], self._r[f + 1], self._v[f + 1])
        out_r[inside] = rr[inside]
        out_v[inside] = vv[inside]
        return out_r, out_v


def _radar_pd(radar, truth: _Truth, cells, looks, mode, rcs, refraction):
    """``Pd`` of the looks ``looks[j]`` of object ``cells[j]`` (a list of arrays), as
    :func:`bmdsim.sensing.detection._radar_looks` computes it, in one evaluation."""
    sizes = [x.size for x in looks]
    if sum(sizes) == 0:
        return [np.zeros(0) for _ in looks]
    tl = np.concatenate(looks)
    cl = np.repeat(np.asarray(cells, dtype=np.intp), sizes)
    r, v = truth.state(cl, tl)
    _, pd = look_snr_pd(radar, radar.geometry(r, v, refraction=refraction), np.full(tl.shape, float(rcs)), mode)
    return np.split(pd, np.cumsum(sizes)[:-1])


def _first_hits(radar, truth, cells, looks, draws, mode, rcs, refraction, first_chunk=32):
    """Index of the first look that detects (``draw < Pd``) in each ``looks[j]`` of object ``cells[j]``, -1 if
    none. Only looks up to the first hit matter: they are evaluated in chunks growing fourfold, for all objects
    still without a hit at a time (a radar cued in boost looks for hundreds of revisits before the target rises
    above its horizon, and stops at the first hit)."""
    first = np.full(len(looks), -1)
    pos = np.zeros(len(looks), dtype=int)
    todo = np.array([j for j, tl in enumerate(looks) if tl.size], dtype=int)
    width = first_chunk
    while todo.size:
        pds = _radar_pd(radar, truth, cells[todo], [looks[j][pos[j]:pos[j] + width] for j in todo], mode, rcs,
                        refraction)
        left = []
        for j, pd in zip(todo, pds, strict=True):
            k = np.flatnonzero(draws[j][pos[j]:pos[j] + pd.size] < pd)
            if k.size:
                first[j] = pos[j] + int(k[0])
            elif pos[j] + width < looks[j].size:
                pos[j] += width
                left.append(j)
        todo = np.asarray(left, dtype=int)
        width *= 4
    return first


def _looks(t_lo, t_hi, step):
    return np.arange(t_lo, t_hi + 1e-9, step) if t_hi >= t_lo else np.zeros(0)


def _radar(radar, truth: _Truth, cells, state, cue, rcs, refraction):
    """First detection and track times ``(N,)`` of ``radar`` for objects ``cells``: the look schedule of
    :func:`bmdsim.sensing.detection._detect_radar`, a step for all objects at a time."""
    n_obj = len(cells)
    t_first = np.full(n_obj, np.nan)
    t_track = np.full(n_obj, np.nan)
    rngs = [_fresh(state) for _ in range(n_obj)]
    t_end = np.array([truth.t[c, truth.n[c] - 1] for c in cells])
    if radar.needs_cue:
        start = np.where(np.isfinite(cue), cue + radar.handover_delay_s, np.inf)
        acquire, step = 1, radar.track_revisit_s
    else:
        start = np.array([truth.t[c, 0] + g.uniform(0.0, radar.search_frame_s) if radar.searches else np.inf
                          for c, g in zip(cells, rngs, strict=True)])
        acquire, step = 0, radar.search_frame_s
    m, n = radar.m_of_n
    active = np.flatnonzero(start <= t_end)
    while active.size:
        looks = [_looks(start[q], t_end[q], step) for q in active]
        first = _first_hits(radar, truth, cells[active], looks, [rngs[q].random(tl.size) for q, tl in
                                                                  zip(active, looks, strict=True)], acquire, rcs,
                            refraction)
        hits = [(q, float(tl[j])) for q, tl, j in zip(active, looks, first, strict=True) if j >= 0]
        for q, t_hit in hits:
            if not np.isfinite(t_first[q]):
                t_first[q] = t_hit
        conf = [_looks(t_hit + radar.track_revisit_s, t_end[q], radar.track_revisit_s) for q, t_hit in hits]
        pdc = _radar_pd(radar, truth, cells[[q for q, _ in hits]], [tc[:n - 1] for tc in conf], 2, rcs, refraction)
        again = []
        for (q, t_hit), tc, pd in zip(hits, conf, pdc, strict=True):
            hitc = rngs[q].random(tc.size)[:n - 1] < pd
            k = m_of_n_first(np.concatenate([[True], hitc]), m, n)
            if k >= 0:
                t_track[q] = t_hit if k == 0 else float(tc[k - 1])
                continue
            nn = min(n - 1, tc.size)
            last = float(tc[nn - 1]) if nn else t_hit
            start[q] = start[q] + step * (np.floor((last - start[q]) / step) + 1.0)
            if start[q] <= t_end[q]:
                again.append(q)
        active = np.asarray(again, dtype=np.intp)
    return t_first, t_track


def _infrared(ir: InfraredConstellation, truth: _Truth, cells, state, t_burnout_s):
    """First detection and track times ``(N,)`` of the infrared satellites, as
    :func:`bmdsim.sensing.detection._detect_infrared` draws them."""
    rngs = [_fresh(state) for _ in cells]
    looks = []
    for c, g, tb in zip(cells, rngs, t_burnout_s, strict=True):
        t0 = float(truth.t[c, 0]) + g.uniform(0.0, ir.revisit_s)
        looks.append(np.arange(t0, min(float(truth.t[c, truth.n[c] - 1]), float(tb)) + 1e-9, ir.revisit_s))
    sizes = [x.size for x in looks]
    tl = np.concatenate(looks) if looks else np.zeros(0)
    cl = np.repeat(np.asarray(cells, dtype=np.intp), sizes)
    rl, _ = truth.state(cl, tl)
    any_sat = ir.sees(rl, tl, t_burnout_s=np.repeat(np.asarray(t_burnout_s, float), sizes)).any(axis=-1)
    t_first = np.full(len(cells), np.nan)
    t_track = np.full(len(cells), np.nan)
    for q, (g, t_q, a) in enumerate(zip(rngs, looks, np.split(any_sat, np.cumsum(sizes)[:-1]), strict=True)):
        hit = a & (g.random(t_q.size) < ir.pd_per_scan)
        j = np.flatnonzero(hit)
        t_first[q] = float(t_q[j[0]]) if j.size else np.nan
        k = m_of_n_first(hit, *ir.m_of_n)
        t_track[q] = float(t_q[k]) if k >= 0 else np.nan
    return t_first, t_track, t_track + ir.latency_s


def _leading_runs(t_s, r_ecef, v_ecef):
    ok = np.all(np.isfinite(r_ecef), axis=-1) & np.all(np.isfinite(v_ecef), axis=-1) & np.isfinite(t_s)
    n = ok.sum(axis=1)
    lead = np.array([bool(ok[c, :n[c]].all()) for c in range(ok.shape[0])], dtype=bool) if ok.size else \
        np.zeros(ok.shape[0], bool)
    return n, lead & (n >= 2)


def first_times(sensors, t_s, r_ecef, v_ecef, *, rng: np.random.Generator, t_burnout_s, rcs_m2=1.0,
                refraction: str = "none") -> FirstTimes:
    """Each object ``c`` of ``t_s (N, K)``, ``r_ecef``, ``v_ecef (N, K, 3)`` (NaN rows after impact) run alone
    through ``sensors`` as ``detect_all(sensors, ..., rng=copy of rng, rcs_m2=rcs_m2,
    t_burnout_s=t_burnout_s[c])`` would (module docstring); ``rng`` itself is not advanced."""
    sensors = list(sensors)
    t_s, r_ecef, v_ecef = (np.asarray(a, float) for a in (t_s, r_ecef, v_ecef))
    tb = np.broadcast_to(np.asarray(t_burnout_s, float), t_s.shape[:1])
    n_obj, n_s = t_s.shape[0], len(sensors)
    out = {k: np.full((n_s, n_obj), np.nan) for k in ("first", "track", "report")}
    states = sensor_generators(rng, n_s)
    if np.ndim(rcs_m2) != 0:
        raise InputError("rcs_m2", f"shape {np.shape(rcs_m2)}", "give one cross-section (m2) for all objects")
    n, fast = _leading_runs(t_s, r_ecef, v_ecef)
    truth = _Truth(t_s, r_ecef, v_ecef, n)
    cells = np.flatnonzero(fast)
    for i, s in enumerate(sensors if cells.size else ()):
        if isinstance(s, InfraredConstellation):
            out["first"][i, cells], out["track"][i, cells], out["report"][i, cells] = _infrared(
                s, truth, cells, states[i], tb[cells])
        elif not s.needs_cue:
            out["first"][i, cells], out["track"][i, cells] = _radar(s, truth, cells, states[i], None, rcs_m2,
                                                                    refraction)
            out["report"][i, cells] = out["track"][i, cells]
    cueing = [i for i, s in enumerate(sensors) if not getattr(s, "needs_cue", False)]
    with np.errstate(all="ignore"):
        cue = np.fmin.reduce(out["report"][cueing][:, cells], axis=0) if cueing else np.full(cells.size, np.nan)
    for i, s in enumerate(sensors if cells.size else ()):
        if getattr(s, "needs_cue", False):
            out["first"][i, cells], out["track"][i, cells] = _radar(s, truth, cells, states[i], cue, rcs_m2,
                                                                    refraction)
            out["report"][i, cells] = out["track"][i, cells]
    for c in np.flatnonzero(~fast):                       # the reference path, one object at a time
        ok = np.isfinite(r_ecef[c, :, 0])
        res = detect_all(sensors, t_s[c, ok], r_ecef[c, ok], v_ecef[c, ok], rng=_copy(rng),
                         rcs_m2=rcs_m2, t_burnout_s=float(tb[c]), refraction=refraction)
        for i, d in enumerate(res):
            out["first"][i, c], out["track"][i, c], out["report"][i, c] = (d.first_detection_t_s, d.track_t_s,
                                                                           d.report_t_s)
    return FirstTimes(sensor=[s.name for s in sensors],
                      kind=["infrared" if isinstance(s, InfraredConstellation) else "radar" for s in sensors],
                      first_detection_t_s=out["first"], track_t_s=out["track"], report_t_s=out["report"])
