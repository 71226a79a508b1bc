"""Detection over truth: for one sensor and one object, visibility windows, SNR and detection draws along the
trajectory, first detection, M-of-N track confirmation and noisy measurements.

Truth is plain arrays: ``t_s (K,)``, ``r_ecef (K, 3)``, ``v_ecef (K, 3)`` (NaN rows after impact are ignored),
from any flight. Looks fall between truth samples; the state there comes from the cubic Hermite interpolant of
positions and velocities (error ~ h^4, sub-metre for 2 s samples of a ballistic flight).

The look schedule of a radar (a small state machine, documented in ``docs/design.md``):

- *search* (radars that search): every ``search_frame_s`` (random phase) a look at the target's direction; in
  the fence band (``min_elevation`` to ``min_elevation + fence_height``) with the fence SNR, above it with the
  (weaker) volume-search SNR; detected with ``Pd(SNR)``.
- *cued acquisition* (``needs_cue``): from ``cue_t_s + handover_delay_s``, a track dwell every
  ``track_revisit_s`` while the target is visible.
- *confirmation*: after a first hit, track dwells every ``track_revisit_s``; ``m`` hits within the first ``n``
  looks (the first hit included) establish the track, else the radar goes back to search/acquisition.
- *track*: track dwells every ``track_revisit_s`` until the truth ends; every hit is a measurement. Tracks are
  not dropped (a target out of view simply gives no hits).

Randomness: one ``rng`` (``numpy.random.Generator``) per call, consumed in a fixed order.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from bmdsim.core import frames
from bmdsim.errors import InputError
from bmdsim.sensing.infrared import InfraredConstellation
from bmdsim.sensing.measurements import Measurements
from bmdsim.sensing.radar import Radar

__all__ = ["DetectionResult", "detect", "detect_all", "interpolate_state", "visibility_windows", "m_of_n_first"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectionResult:
    """What one sensor made of one object. Times in seconds since the epoch; NaN when it never happened.

    ``report_t_s`` is when the confirmed track is available to other sensors (a cue): ``track_t_s`` for a
    radar, ``track_t_s + latency_s`` for the infrared satellites. Look arrays ``(L,)``: time, SNR (dB), whether
    it was a hit, and its mode (0 search, 1 cued acquisition, 2 confirmation or track).
    """

    sensor: str
    kind: str
    windows_s: np.ndarray
    first_visible_t_s: float
    cue_t_s: float
    first_detection_t_s: float
    track_t_s: float
    report_t_s: float
    look_t_s: np.ndarray
    snr_db: np.ndarray
    detected: np.ndarray
    mode: np.ndarray
    measurements: Measurements

    @property
    def tracked(self) -> bool:
        return bool(np.isfinite(self.track_t_s))

    # session 2's names (``t_<event>_s``), still read by callers on other branches; the fields are ``<event>_t_s``
    @property
    def t_first_detection_s(self) -> float:
        return self.first_detection_t_s

    @property
    def t_track_s(self) -> float:
        return self.track_t_s


# ------------------------------------------------------------------------------------------------ helpers
def _valid_truth(t_s, r_ecef, v_ecef):
    t = np.asarray(t_s, float)
    r = np.asarray(r_ecef, float)
    if t.ndim != 1 or r.shape != (t.shape[0], 3):
        raise InputError("r_ecef", r.shape, f"give positions of shape (K, 3) matching t_s of shape {t.shape}")
    v = None if v_ecef is None else np.asarray(v_ecef, float)
    ok = np.all(np.isfinite(r), axis=-1) & np.isfinite(t)
    if v is not None:
        ok &= np.all(np.isfinite(v), axis=-1)
    return t[ok], r[ok], (None if v is None else v[ok])


def interpolate_state(t_s, r_ecef, v_ecef, t_query_s):
    """Cubic Hermite interpolation of positions (and velocities) at ``t_query_s``; NaN outside the truth.

    Without velocities the positions are interpolated linearly and the velocity is the finite-difference slope.

    >>> t = np.array([0.0, 1.0]); r = np.array([[0.0, 0, 0], [1.0, 0, 0]]); v = np.array([[1.0, 0, 0]] * 2)
    >>> interpolate_state(t, r, v, [0.5, 2.0])[0][:, 0]
    array([0.5, nan])
    """
    t, r, v = _valid_truth(t_s, r_ecef, v_ecef)
    tq = np.atleast_1d(np.asarray(t_query_s, float))
    out_r = np.full(tq.shape + (3,), np.nan)
    out_v = np.full(tq.shape + (3,), np.nan)
    if t.size < 2:
        return out_r, out_v
    i = np.clip(np.searchsorted(t, tq, side="right") - 1, 0, t.size - 2)
    h = (t[i + 1] - t[i])[:, None]
    s = ((tq - t[i]) / (t[i + 1] - t[i]))[:, None]
    inside = (tq >= t[0]) & (tq <= t[-1])
    r0, r1 = r[i], r[i + 1]
    if v is None:
        rr = r0 + s * (r1 - r0)
        vv = (r1 - r0) / h
    else:
        rr, vv = hermite(s, h, r0, v[i], r1, v[i + 1])
    out_r[inside] = rr[inside]
    out_v[inside] = vv[inside]
    return out_r, out_v


def hermite(s, h, r0, v0, r1, v1):
    """Cubic Hermite position and velocity at fraction ``s (L, 1)`` of intervals of length ``h (L, 1)`` between
    ``r0, v0`` and ``r1, v1 (L, 3)``."""
    s2, s3 = s * s, s * s * s
    rr = (2 * s3 - 3 * s2 + 1) * r0 + (s3 - 2 * s2 + s) * h * v0 + (-2 * s3 + 3 * s2) * r1 + (s3 - s2) * h * v1
    vv = ((6 * s2 - 6 * s) / h * r0 + (3 * s2 - 4 * s + 1) * v0 + (-6 * s2 + 6 * s) / h * r1
          + (3 * s2 - 2 * s) * v1)
    return rr, vv


def visibility_windows(t_s, mask) -> np.ndarray:
    """``(W, 2)`` start/end times of the runs where ``mask`` holds, at the resolution of ``t_s``.

    >>> visibility_windows([0, 1, 2, 3, 4], [False, True, True, False, True])
    array([[1., 2.],
           [4., 4.]])
    """
    t = np.asarray(t_s, float)
    m = np.asarray(mask, bool)
    if not m.any():
        return np.zeros((0, 2))
    d = np.diff(np.concatenate([[0], m.astype(int), [0]]))
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return np.column_stack([t[starts], t[ends]])


def m_of_n_first(hits, m: int, n: int) -> int:
    """Index of the first look at which ``m`` of the last ``n`` looks are hits; -1 if never.

    >>> m_of_n_first([True, False, False, True, True], 2, 3)
    4
    """
    h = np.asarray(hits, bool).astype(int)
    c = np.concatenate([[0], np.cumsum(h)])
    k = np.arange(1, h.size + 1)
    counts = c[k] - c[np.maximum(k - n, 0)]
    idx = np.flatnonzero((counts >= m) & (h == 1))
    return int(idx[0]) if idx.size else -1


def _rcs_at(rcs_m2, t_truth, t_query):
    r = np.asarray(rcs_m2, float)
    if np.any(~(r >= 0)):
        raise InputError("rcs_m2", float(r[~(r >= 0)].ravel()[0]), "radar cross-sections must be zero or positive")
    if r.ndim == 0:
        return np.full(np.shape(t_query), float(r))
    return np.interp(t_query, np.asarray(t_truth, float), r)


def _measure(sensor_name, site, t, r_true, az, el, rng_m, rdot, snr, sig, rng: np.random.Generator,
             has_range=True):
    sr, sa, sv = sig
    k = t.size
    noise = rng.standard_normal((k, 4))
    range_m = rng_m + sr * noise[:, 0] if has_range else np.full(k, np.nan)
    az_m = np.mod(az + sa * noise[:, 1], 2.0 * np.pi)
    el_m = el + sa * noise[:, 2]
    rr_m = rdot + sv * noise[:, 3]
    return Measurements(sensor=sensor_name, site_lat_rad=site[0], site_lon_rad=site[1], site_alt_m=site[2], t_s=t,
                        range_m=range_m, azimuth_rad=az_m, elevation_rad=el_m, range_rate_mps=rr_m,
                        sigma_range_m=np.asarray(sr, float) * np.ones(k), sigma_angle_rad=np.asarray(sa, float)
                        * np.ones(k), sigma_range_rate_mps=np.asarray(sv, float) * np.ones(k),
                        snr_db=10.0 * np.log10(np.maximum(snr, 1e-30)), truth_r_ecef=r_true)


# -------------------------------------------------------------------------------------------------- radars
def _radar_looks(radar: Radar, t_s, r_ecef, v_ecef, rcs_m2, t_lo, t_hi, mode, refraction):
    """Geometry, SNR and Pd of looks of one kind between ``t_lo`` and ``t_hi``."""
    step = radar.search_frame_s if mode == 0 else radar.track_revisit_s
    tl = np.arange(t_lo, t_hi + 1e-9, step) if t_hi >= t_lo else np.zeros(0)
    r, v = interpolate_state(t_s, r_ecef, v_ecef, tl)
    g = radar.geometry(r, v, refraction=refraction)
    snr, pd = look_snr_pd(radar, g, _rcs_at(rcs_m2, t_s, tl), mode)
    return tl, r, g, snr, pd


def look_snr_pd(radar: Radar, g, sigma, mode):
    """SNR (linear) and ``Pd`` of looks of geometry ``g`` at cross-sections ``sigma`` (m2): search looks
    (``mode`` 0: fence or volume by elevation) or track dwells (1, 2); zero where not visible."""
    off = np.nan_to_num(g.off_boresight_rad, nan=np.pi)
    if mode == 0:
        in_fence = g.elevation_rad <= radar.min_elevation_rad + radar.fence_height_rad
        snr = np.where(in_fence, radar.snr_search(g.range_m, sigma, off),
                       radar.snr_search(g.range_m, sigma, off, volume=True))
        snr = np.where(g.visible, snr, 0.0)
    else:
        snr = np.where(g.visible, radar.snr_track(g.range_m, sigma, off), 0.0)
    pd = np.zeros(snr.shape)
    pos = snr > 0
    pd[pos] = radar.pd(snr[pos])        # element by element: only the looks that can detect cost the Swerling law
    return snr, pd


def _rcs_on_valid(rcs_m2, t_s, r_ecef, v_ecef):
    """Keep a per-sample RCS ``(K,)`` aligned with the truth rows that :func:`_valid_truth` keeps."""
    rcs = np.asarray(rcs_m2, float)
    if rcs.ndim == 0:
        return rcs
    ok = np.all(np.isfinite(np.asarray(r_ecef, float)), axis=-1) & np.isfinite(np.asarray(t_s, float))
    if v_ecef is not None:
        ok &= np.all(np.isfinite(np.asarray(v_ecef, float)), axis=-1)
    if rcs.shape != ok.shape:
        raise InputError("rcs_m2", f"shape {rcs.shape}", f"give one RCS or one per truth sample, shape {ok.shape}")
    return rcs[ok]


def _detect_radar(radar: Radar, t_s, r_ecef, v_ecef, rng, rcs_m2, cue_t_s, refraction) -> DetectionResult:
    rcs_m2 = _rcs_on_valid(rcs_m2, t_s, r_ecef, v_ecef)
    t, r, v = _valid_truth(t_s, r_ecef, v_ecef)
    site = radar.site_rad
    g_truth = radar.geometry(r, v, refraction=refraction)
    windows = visibility_windows(t, g_truth.visible)
    t_vis = float(windows[0, 0]) if len(windows) else np.nan
    t_end = float(t[-1]) if t.size else -np.inf
    if radar.needs_cue:
        start = (cue_t_s + radar.handover_delay_s) if cue_t_s is not None and np.isfinite(cue_t_s) else np.inf
        acquire_mode = 1
    else:
        start = (float(t[0]) + rng.uniform(0.0, radar.search_frame_s)) if (radar.searches and t.size) else np.inf
        acquire_mode = 0
    m, n = radar.m_of_n
    looks = []           # (t, r, geometry, snr, hit, mode) chunks
    t_first = t_track = np.nan
    while start <= t_end:
        tl, rl, gl, snr, pd = _radar_looks(radar, t, r, v, rcs_m2, start, t_end, acquire_mode, refraction)
        hit = rng.random(tl.size) < pd
        j = np.flatnonzero(hit)
        if j.size == 0:
            looks.append((tl, rl, gl, snr, hit, np.full(tl.size, acquire_mode)))
            break
        j0 = int(j[0])
        looks.append((tl[: j0 + 1], rl[: j0 + 1], _take(gl, slice(0, j0 + 1)), snr[: j0 + 1], hit[: j0 + 1],
                      np.full(j0 + 1, acquire_mode)))
        t_hit = float(tl[j0])
        if not np.isfinite(t_first):
            t_first = t_hit
        tc, rc, gc, snrc, pdc = _radar_looks(radar, t, r, v, rcs_m2, t_hit + radar.track_revisit_s, t_end, 2,
                                             refraction)
        hitc = rng.random(tc.size) < pdc
        k = m_of_n_first(np.concatenate([[True], hitc[: n - 1]]), m, n)
        if k >= 0:
            t_track = t_hit if k == 0 else float(tc[k - 1])
            looks.append((tc, rc, gc, snrc, hitc, np.full(tc.size, 2)))
            break
        nn = min(n - 1, tc.size)
        looks.append((tc[:nn], rc[:nn], _take(gc, slice(0, nn)), snrc[:nn], hitc[:nn], np.full(nn, 2)))
        last = float(tc[nn - 1]) if nn else t_hit
        step = radar.search_frame_s if acquire_mode == 0 else radar.track_revisit_s
        start = start + step * (np.floor((last - start) / step) + 1.0)
    return _assemble(radar, site, looks, windows, t_vis, cue_t_s, t_first, t_track, t_track, rng)


def _take(g, sl):
    return type(g)(**{f.name: getattr(g, f.name)[sl] for f in fields(g)})


def _assemble(radar, site, looks, windows, t_vis, cue_t_s, t_first, t_track, t_report, rng) -> DetectionResult:
    if looks:
        tl = np.concatenate([c[0] for c in looks])
        rl = np.concatenate([c[1] for c in looks])
        az = np.concatenate([c[2].azimuth_rad for c in looks])
        el = np.concatenate([c[2].elevation_rad for c in looks])
        rg = np.concatenate([c[2].range_m for c in looks])
        rd = np.concatenate([c[2].range_rate_mps for c in looks])
        snr = np.concatenate([c[3] for c in looks])
        hit = np.concatenate([c[4] for c in looks])
        mode = np.concatenate([c[5] for c in looks])
    else:
        tl = az = el = rg = rd = snr = np.zeros(0)
        rl = np.zeros((0, 3))
        hit = np.zeros(0, bool)
        mode = np.zeros(0, int)
    sig = radar.sigmas(snr[hit])
    if not radar.measures_range_rate:
        rd = np.full(rd.shape, np.nan)
    meas = _measure(radar.name, site, tl[hit], rl[hit], az[hit], el[hit], rg[hit], rd[hit], snr[hit], sig, rng)
    return DetectionResult(sensor=radar.name, kind="radar", windows_s=windows, first_visible_t_s=t_vis,
                           cue_t_s=np.nan if cue_t_s is None else float(cue_t_s), first_detection_t_s=t_first,
                           track_t_s=t_track, report_t_s=t_report, look_t_s=tl,
                           snr_db=10.0 * np.log10(np.maximum(snr, 1e-30)), detected=hit, mode=mode,
                           measurements=meas)


# ------------------------------------------------------------------------------------------------ infrared
def _detect_infrared(ir: InfraredConstellation, t_s, r_ecef, v_ecef, rng, t_burnout_s) -> DetectionResult:
    t, r, v = _valid_truth(t_s, r_ecef, v_ecef)
    if t_burnout_s is None:
        raise InputError("t_burnout_s", None, "the infrared sensor sees only boosting missiles: give the burnout time")
    sees_truth = ir.sees(r, t, t_burnout_s=t_burnout_s).any(axis=-1)
    windows = visibility_windows(t, sees_truth)
    t_vis = float(windows[0, 0]) if len(windows) else np.nan
    t0 = float(t[0]) + rng.uniform(0.0, ir.revisit_s) if t.size else 0.0
    tl = np.arange(t0, min(float(t[-1]), float(t_burnout_s)) + 1e-9, ir.revisit_s) if t.size else np.zeros(0)
    rl, _ = interpolate_state(t, r, v, tl)
    sees = ir.sees(rl, tl, t_burnout_s=t_burnout_s)           # (L, S)
    any_sat = sees.any(axis=-1)
    hit = any_sat & (rng.random(tl.size) < ir.pd_per_scan)
    j = np.flatnonzero(hit)
    t_first = float(tl[j[0]]) if j.size else np.nan
    k = m_of_n_first(hit, *ir.m_of_n)
    t_track = float(tl[k]) if k >= 0 else np.nan
    # measurements from the satellite that sees the object most often
    s_best = int(np.argmax(sees.sum(axis=0))) if sees.size else 0
    site = ir.satellite_site(s_best)
    use = hit & (sees[:, s_best] if sees.size else hit)
    az, el, rg = frames.ecef_to_aer(rl[use], *site)
    sig = (np.full(use.sum(), np.nan), np.full(use.sum(), ir.los_sigma_rad), np.full(use.sum(), np.nan))
    meas = _measure(ir.name, site, tl[use], rl[use], az, el, rg, np.full(use.sum(), np.nan),
                    np.full(use.sum(), np.nan), sig, rng, has_range=False)
    return DetectionResult(sensor=ir.name, kind="infrared", windows_s=windows, first_visible_t_s=t_vis,
                           cue_t_s=np.nan, first_detection_t_s=t_first, track_t_s=t_track,
                           report_t_s=t_track + ir.latency_s, look_t_s=tl, snr_db=np.full(tl.size, np.nan),
                           detected=hit, mode=np.full(tl.size, 0), measurements=meas)


# ------------------------------------------------------------------------------------------------- public
def detect(sensor: Radar | InfraredConstellation, t_s, r_ecef, v_ecef=None, *, rng: np.random.Generator,
           rcs_m2=1.0, t_burnout_s: float | None = None, cue_t_s: float | None = None,
           refraction: str = "none") -> DetectionResult:
    """Run one sensor against one object's truth and return a :class:`DetectionResult`.

    ``t_s (K,)``, ``r_ecef (K, 3)``, ``v_ecef (K, 3)`` (m, m/s; NaN rows after impact are skipped);
    ``rcs_m2``: scalar or ``(K,)`` along the truth; ``t_burnout_s``: needed by the infrared sensor;
    ``cue_t_s``: when a cue reached a radar that ``needs_cue`` (without it such a radar never looks).
    """
    if not isinstance(rng, np.random.Generator):
        raise InputError("rng", type(rng).__name__, "pass a numpy.random.Generator, e.g. np.random.default_rng(1)")
    if isinstance(sensor, InfraredConstellation):
        return _detect_infrared(sensor, t_s, r_ecef, v_ecef, rng, t_burnout_s)
    return _detect_radar(sensor, t_s, r_ecef, v_ecef, rng, rcs_m2, cue_t_s, refraction)


def detect_all(sensors, t_s, r_ecef, v_ecef=None, *, rng: np.random.Generator, rcs_m2=1.0,
               t_burnout_s: float | None = None, refraction: str = "none") -> list[DetectionResult]:
    """Run several sensors against one object with the handover: sensors that need a cue are cued by the
    earliest report (``report_t_s``) of the sensors that do not. One child generator per sensor, spawned from
    ``rng`` in the order given, so adding a sensor at the end does not change the others' draws."""
    sensors = list(sensors)
    rngs = rng.spawn(len(sensors))
    out: dict[int, DetectionResult] = {}
    for i, s in enumerate(sensors):
        if not getattr(s, "needs_cue", False):
            out[i] = detect(s, t_s, r_ecef, v_ecef, rng=rngs[i], rcs_m2=rcs_m2, t_burnout_s=t_burnout_s,
                            refraction=refraction)
    reports = [res.report_t_s for res in out.values() if np.isfinite(res.report_t_s)]
    cue = min(reports) if reports else None
    for i, s in enumerate(sensors):
        if i not in out:
            out[i] = detect(s, t_s, r_ecef, v_ecef, rng=rngs[i], rcs_m2=rcs_m2, t_burnout_s=t_burnout_s,
                            cue_t_s=cue, refraction=refraction)
    return [out[i] for i in range(len(sensors))]
