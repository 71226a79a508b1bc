"""Interceptor fly-out fans: the minimum time of flight from a site to every reachable point, tabulated once.

A fan belongs to one interceptor (a sized :class:`~bmdsim.flight.vehicle.Vehicle`) at one site. It is built by
flying, with the production engine (:func:`bmdsim.flight.fly.fly`), a batch of interceptors over a grid of kick
angles (the vertical-rise / kick / gravity-turn family of the flight layer; 1-100 deg, i.e. past the
horizontal: see below) in each of ``n_azimuth`` launch directions, with dense output. Every trajectory point is
expressed in site coordinates:

- ``angle``: the geocentric central angle between the site and the point (rad); ``angle * R_SPHERE_M`` is the
  ground range shown to users;
- ``azimuth``: the direction of the point from the site (rad, clockwise from north, in the site's east-north
  plane);
- ``altitude``: the geodetic height above WGS84 (m).

The family is flown at full burn and with thrust cut-offs (energy management) that give lower burnout speeds
(:attr:`FanSettings.speed_fractions`): at full burn a fast interceptor's gravity turns all loft, and only a
cut-off reaches low, distant points. A faster variant (more thrust, same burn time) also leaves the vertical rise
faster, so the same kick turns its velocity less and its gravity turn lofts more; cut-offs only shorten the
burn. Kicks past the horizontal (up to 100 deg from vertical at the end of the pitch-over, after which the
gravity turn follows the velocity) let it fly as flat as a slower variant does with a kick below 90 deg. With
both, a faster variant can do what a slower one does, so the reachable set grows with the burnout speed (tested).

Beside the kick family, each sector flies linear-tangent families (:attr:`FanSettings.lt_families`): the gravity
turn through the dense air up to the first-stage burnout, then linear-tangent steering to an end elevation
(:mod:`bmdsim.core.engine`; docs/design.md, "Interceptor steering to design speed"), which burns out flat and high
near the design speed where the kick family burns out low in the atmosphere. Each cell records which family
(``tab_family``: 0 kicks, f >= 1 linear tangent), parameter and cut-off is fastest there; aiming flies that
family (:meth:`Fan.steering`).

Per azimuth sector the table holds, on a (ground angle, altitude) grid, the minimum time of flight over the fan
to reach that cell. For each range cell the crossing of each trajectory (the first time it reaches that ground
angle) is found; between two neighbouring kicks the altitude and time at the crossing are interpolated linearly,
which fills every altitude between them. Lookups interpolate trilinearly in (azimuth, angle, altitude); a point
with any unreachable corner is unreachable (conservative by at most one cell).

Why azimuth sectors: the site turns with the Earth, so an interceptor flying east gains about 270 m/s at 54 N over
one flying west; the table is per launch azimuth (default 24 sectors of 15 deg). The ECEF equations of motion do
not depend on the launch time (the Earth's rotation is uniform), so one fan serves every launch time. Sectors are
built lazily, only where lookups fall, and kept for the life of the :class:`Fan` object (an in-process cache,
:func:`fan_for`, keeps fans per interceptor and site); each built sector is also stored in a disk cache keyed by
the interceptor, site, settings and code (:mod:`bmdsim.engagement.fancache`), so the next process loads it.

Everything is SI inside: seconds, metres, radians.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

import numba as nb
import numpy as np

from bmdsim.core import frames
from bmdsim.core.checks import check_latitude
from bmdsim.core.constants import R_SPHERE_M
from bmdsim.core.engine import altitude as _altitude_nb
from bmdsim.engagement import fancache
from bmdsim.errors import InputError
from bmdsim.flight import catalog
from bmdsim.flight.fly import Options, fly
from bmdsim.flight.sizing import REFERENCE_KICK_DEG, size_to_burnout_speed
from bmdsim.flight.vehicle import Vehicle

__all__ = ["Fan", "FanSettings", "fan_for", "site_coordinates", "sized_interceptor", "MAX_SPEED_2STAGE_MPS"]

#: Above this burnout speed :func:`sized_interceptor` switches from the two-stage to the three-stage design (the
#: two-stage design tops out near 10.0 km/s and needs a huge scale factor close to it).
MAX_SPEED_2STAGE_MPS = 9500.0

_jit = nb.njit(cache=True, fastmath=False, error_model="numpy")


@dataclass(frozen=True, slots=True, kw_only=True)
class FanSettings:
    """Resolution and limits of a fan (SI). Defaults resolve ~10 km cells; tests use coarser ones."""

    #: longest interceptor flight considered (s); the kill vehicle's battery and the fire-control horizon
    max_flight_time_s: float = 1500.0
    dense_dt_s: float = 2.0
    n_azimuth: int = 24
    kick_min_deg: float = 1.0
    #: kicks past 90 deg pitch the vehicle over beyond the horizontal before the gravity turn takes over: a fast
    #: variant (more thrust, same burn time) needs them to fly as flat as a slower one with a kick below 90 deg
    kick_max_deg: float = 100.0
    n_kick: int = 100
    #: burnout speeds, as fractions of full burn, of the cut-off families flown besides full burn
    speed_fractions: tuple[float, ...] = (1.0, 0.9, 0.8, 0.7, 0.6, 0.45, 0.3)
    #: linear-tangent families (docs/design.md, "Interceptor steering to design speed"): per family the kick of
    #: the gravity turn through the dense air and the thrust elevation (deg above the horizontal) at the switch
    #: (first-stage burnout); each family is flown over the end elevations ``lt_end_deg`` (min, max, count)
    lt_families: tuple[tuple[float, float], ...] = ((20.0, 20.0), (20.0, 45.0), (45.0, 20.0))
    lt_end_deg: tuple[float, float, int] = (-45.0, 30.0, 31)
    #: burnout-speed fractions (of full burn) flown with each linear-tangent family
    lt_speed_fractions: tuple[float, ...] = (1.0, 0.8)
    range_step_m: float = 10_000.0
    altitude_step_m: float = 10_000.0
    max_altitude_m: float = 3_000_000.0
    #: integration tolerance of the fan flights (looser than the engine default: ~10 m, far below a cell)
    rtol: float = 1e-8
    #: "engine" (production) or "oracle" (``solve_ivp``; the naive benchmark peer)
    integrator: object = "engine"   # "engine", "oracle" or a callable like core.engine.integrate

    def __post_init__(self):
        for name in ("max_flight_time_s", "dense_dt_s", "range_step_m", "altitude_step_m", "max_altitude_m"):
            if not getattr(self, name) > 0:
                raise InputError(name, getattr(self, name), "must be a positive number")
        if self.n_azimuth < 4 or self.n_kick < 3:
            raise InputError("n_azimuth/n_kick", (self.n_azimuth, self.n_kick), "use at least 4 azimuths, 3 kicks")


def sized_interceptor(burnout_speed_mps: float, *, design: str = "auto") -> Vehicle:
    """A notional interceptor with the given burnout speed (m/s), sized from a catalog design.

    ``design="auto"`` takes the two-stage GBI design up to :data:`MAX_SPEED_2STAGE_MPS` and the three-stage one
    above (the two-stage design cannot exceed about 10 km/s). Cached per (speed, design).

    >>> round(sized_interceptor(6300.0).claim["burnout_speed_mps"])
    6300
    """
    return _sized(float(burnout_speed_mps), design)


@lru_cache(maxsize=256)
def _sized(speed: float, design: str) -> Vehicle:
    if not np.isfinite(speed) or speed <= 0:
        raise InputError("burnout_speed_mps", speed, "give a positive speed in m/s")
    if design == "auto":
        design = "gbi-2stage" if speed <= MAX_SPEED_2STAGE_MPS else "gbi-3stage"
    base = catalog.design(design)
    v = size_to_burnout_speed(base, speed, name=f"{design}-{speed:.0f}mps")
    return replace(v, source=f"NOTIONAL: {design} sized to {speed:.0f} m/s",
                   claim={"burnout_speed_mps": speed, "label": "NOTIONAL", "design": design})


# ------------------------------------------------------------------------------------------- site geometry
def _site_frame(lat_deg: float, lon_deg: float, alt_m: float):
    lat, lon = math.radians(lat_deg), math.radians(lon_deg)
    r0 = frames.geodetic_to_ecef(lat, lon, alt_m)
    e, n, _u = frames.enu_basis(lat, lon)
    s = r0 / np.linalg.norm(r0)
    return r0, s, e, n


def site_coordinates(r_ecef, latitude_deg: float, longitude_deg: float):
    """Ground angle (rad), azimuth (rad, clockwise from north, [0, 2 pi)) and geodetic altitude (m) of ECEF
    points ``(..., 3)`` seen from a site; the ground range is ``angle * R_SPHERE_M``.

    >>> r = frames.geodetic_to_ecef(np.radians(55.0), np.radians(17.1075), 200e3)
    >>> ang, az, h = site_coordinates(r, 54.4789, 17.1075)
    >>> round(float(ang * R_SPHERE_M / 1e3)), round(float(np.degrees(az))), round(float(h / 1e3))
    (59, 0, 200)
    """
    r = np.asarray(r_ecef, dtype=float)
    _r0, s, e, n = _site_frame(latitude_deg, longitude_deg, 0.0)
    p = r / np.linalg.norm(r, axis=-1, keepdims=True)
    cos_a = p @ s
    sin_a = np.linalg.norm(np.cross(p, s), axis=-1)
    ang = np.arctan2(sin_a, cos_a)
    az = np.mod(np.arctan2(p @ e, p @ n), 2 * np.pi)
    return ang, az, frames.geodetic_altitude(r)


@_jit
def _coords_one(x, y, z, s, e, n):
    rn = math.sqrt(x * x + y * y + z * z)
    px, py, pz = x / rn, y / rn, z / rn
    c = px * s[0] + py * s[1] + pz * s[2]
    cx = py * s[2] - pz * s[1]
    cy = pz * s[0] - px * s[2]
    cz = px * s[1] - py * s[0]
    ang = math.atan2(math.sqrt(cx * cx + cy * cy + cz * cz), c)
    az = math.atan2(px * e[0] + py * e[1] + pz * e[2], px * n[0] + py * n[1] + pz * n[2])
    if az < 0.0:
        az += 2.0 * math.pi
    return ang, az, _altitude_nb(x, y, z, False)


@nb.njit(cache=True, parallel=True, error_model="numpy")
def _coords(r, s, e, n, ang, az, h):
    for i in nb.prange(r.shape[0]):
        if math.isnan(r[i, 0]):
            ang[i] = np.nan
            az[i] = np.nan
            h[i] = np.nan
        else:
            ang[i], az[i], h[i] = _coords_one(r[i, 0], r[i, 1], r[i, 2], s, e, n)


# ------------------------------------------------------------------------------------------- table build
@_jit
def _reduce_sector(t, ang, h, kicks, cutoff, family, d_ang, d_h, tab_t, tab_k, tab_c, tab_f):
    """Fill one sector's (angle, altitude) table with the minimum time over one steering family.

    ``t (K,)`` time since launch of the dense samples; ``ang, h (J, K)`` per member of the family (ordered by
    its steering parameter ``kicks (J,)``: the kick, or a linear-tangent end elevation; NaN after impact);
    ``tab_t, tab_k, tab_c, tab_f (R, H)`` are updated in place where this family (one cut-off) is faster: min
    time, and the steering parameter, cut-off and family index of that minimum."""
    nj, nk = ang.shape
    nr, nh = tab_t.shape
    ct = np.full((nj, nr), np.nan)
    ch = np.full((nj, nr), np.nan)
    for j in range(nj):
        k = 1
        for ri in range(1, nr):
            a = ri * d_ang
            while k < nk and not (ang[j, k] >= a):
                if math.isnan(ang[j, k]):
                    k = nk
                    break
                k += 1
            if k >= nk:
                break
            a0, a1 = ang[j, k - 1], ang[j, k]
            w = 0.0 if a1 == a0 else (a - a0) / (a1 - a0)
            ct[j, ri] = t[k - 1] + w * (t[k] - t[k - 1])
            ch[j, ri] = h[j, k - 1] + w * (h[j, k] - h[j, k - 1])
    for ri in range(1, nr):
        for j in range(nj - 1):
            h0, h1 = ch[j, ri], ch[j + 1, ri]
            if math.isnan(h0) or math.isnan(h1):
                continue
            t0, t1 = ct[j, ri], ct[j + 1, ri]
            lo, hi = min(h0, h1), max(h0, h1)
            i0 = max(int(math.ceil(lo / d_h)), 0)
            i1 = min(int(math.floor(hi / d_h)), nh - 1)
            for hi_ in range(i0, i1 + 1):
                hh = hi_ * d_h
                w = 0.0 if h1 == h0 else (hh - h0) / (h1 - h0)
                tt = t0 + w * (t1 - t0)
                if not (tt >= tab_t[ri, hi_]):
                    tab_t[ri, hi_] = tt
                    tab_k[ri, hi_] = kicks[j] + w * (kicks[j + 1] - kicks[j])
                    tab_c[ri, hi_] = cutoff
                    tab_f[ri, hi_] = family


@nb.njit(cache=True, parallel=True, error_model="numpy")
def _lookup(r, s, e, n, tab_t, tab_k, tab_c, tab_f, extent, d_az, d_ang, d_h, out_t, out_k, out_c, out_f, out_ang,
            out_az, out_h):
    na, nr, nh = tab_t.shape
    for i in nb.prange(r.shape[0]):
        out_t[i] = np.nan
        out_k[i] = np.nan
        out_c[i] = np.nan
        out_f[i] = -1
        if math.isnan(r[i, 0]):
            out_ang[i] = np.nan
            out_az[i] = np.nan
            out_h[i] = np.nan
            continue
        ang, az, h = _coords_one(r[i, 0], r[i, 1], r[i, 2], s, e, n)
        out_ang[i], out_az[i], out_h[i] = ang, az, h
        fr, fh, fa = ang / d_ang, h / d_h, az / d_az
        if fh < 0.0 or fr >= nr - 1 or fh >= nh - 1:
            continue
        ir, ih, ia = int(fr), int(fh), int(fa)
        wr, wh, wa = fr - ir, fh - ih, fa - ia
        ia = ia % na
        ib = (ia + 1) % na
        acc_t = 0.0
        bad = False
        for da in range(2):
            a_i = ia if da == 0 else ib
            wa_ = (1.0 - wa) if da == 0 else wa
            for dr in range(2):
                wr_ = (1.0 - wr) if dr == 0 else wr
                for dh in range(2):
                    wh_ = (1.0 - wh) if dh == 0 else wh
                    # outside the sector's reachable extent (or a sector not built): unreachable, not read
                    if ir + dr >= extent[a_i, 0] or ih + dh >= extent[a_i, 1]:
                        bad = True
                        break
                    v = tab_t[a_i, ir + dr, ih + dh]
                    if math.isnan(v):
                        bad = True
                        break
                    w = wa_ * wr_ * wh_
                    acc_t += w * v
                if bad:
                    break
            if bad:
                break
        if not bad:
            out_t[i] = acc_t
            # steering of the nearest corner (a starting guess for aiming; not interpolated across families)
            a_n = ia if wa < 0.5 else ib
            r_n = ir + (1 if wr >= 0.5 else 0)
            h_n = ih + (1 if wh >= 0.5 else 0)
            out_k[i] = tab_k[a_n, r_n, h_n]
            out_c[i] = tab_c[a_n, r_n, h_n]
            out_f[i] = tab_f[a_n, r_n, h_n]


@dataclass(frozen=True, slots=True, kw_only=True)
class FanLookup:
    """Result of :meth:`Fan.lookup`, every array shaped like the query points without their last axis.

    ``t_flight_s``: minimum interceptor time of flight to the point (NaN: not reachable within the fan);
    ``kick_deg``, ``cutoff_s``, ``family``: the steering of the fastest trajectory in the nearest cell (a starting
    guess for aiming; the launch azimuth is about ``azimuth_deg``): ``family`` 0 is the kick / gravity-turn
    family (``kick_deg`` its kick), ``f >= 1`` the linear-tangent family ``FanSettings.lt_families[f - 1]``
    (``kick_deg`` then holds its end elevation; :meth:`Fan.steering` turns both into flight arguments);
    ``ground_range_m``, ``altitude_m``: the point from the site."""

    t_flight_s: np.ndarray
    kick_deg: np.ndarray
    cutoff_s: np.ndarray
    azimuth_deg: np.ndarray
    ground_range_m: np.ndarray
    altitude_m: np.ndarray
    family: np.ndarray | int = 0


class Fan:
    """The fly-out fan of one interceptor at one site (a process with state: sectors are built on demand).

    >>> fan = Fan(sized_interceptor(6300.0), 54.4789, 17.1075, settings=FanSettings(
    ...     n_azimuth=8, n_kick=45, range_step_m=40e3, altitude_step_m=40e3, max_flight_time_s=900.0))
    >>> r = frames.geodetic_to_ecef(np.radians(57.0), np.radians(17.1), 400e3)   # 280 km north, 400 km up
    >>> t = fan.lookup(r).t_flight_s
    >>> 100.0 < float(t) < 250.0
    True
    """

    def __init__(self, interceptor: Vehicle, latitude_deg: float, longitude_deg: float, *, altitude_m: float = 0.0,
                 settings: FanSettings | None = None):
        if interceptor.role != "interceptor":
            raise InputError("interceptor", interceptor.name, "a fan needs an interceptor (see `bmdsim missiles`)")
        check_latitude("latitude_deg", latitude_deg)
        self.interceptor = interceptor
        self.latitude_deg, self.longitude_deg, self.altitude_m = float(latitude_deg), float(longitude_deg), altitude_m
        self.settings = st = settings or FanSettings()
        self._r0, self._s, self._e, self._n = _site_frame(self.latitude_deg, self.longitude_deg, altitude_m)
        self.kicks_deg = np.linspace(st.kick_min_deg, st.kick_max_deg, st.n_kick)
        self.d_az = 2 * np.pi / st.n_azimuth
        self.d_ang = st.range_step_m / R_SPHERE_M
        # reach bound: no point beyond burnout speed x flight time (and half the globe)
        v_bo = float(interceptor.claim.get("burnout_speed_mps", 0.0)) or interceptor.ideal_delta_v_mps()
        max_ang = min(np.pi, 1.05 * v_bo * st.max_flight_time_s / R_SPHERE_M)
        nr = int(np.ceil(max_ang / self.d_ang)) + 2
        nh = int(np.ceil(st.max_altitude_m / st.altitude_step_m)) + 2
        # uninitialised: a sector's slab is set when it is built (NaN, family -1, then the flights) or loaded (its
        # reachable rows and columns only), and lookups read only cells inside a sector's ``extent`` (rows, columns
        # up to the last reachable cell; 0 while not built), so pages never needed are never touched (a 12 km/s
        # fan spans 230 MB, of which a chase needs a few sectors' reachable parts)
        self.tab_t = np.empty((st.n_azimuth, nr, nh), dtype=np.float64)
        self.tab_kick = np.empty((st.n_azimuth, nr, nh), dtype=np.float32)
        self.tab_cutoff = np.empty((st.n_azimuth, nr, nh), dtype=np.float32)
        self.tab_family = np.empty((st.n_azimuth, nr, nh), dtype=np.int8)
        self.cutoffs_s = _cutoffs_for(interceptor, st.speed_fractions)
        self.lt_cutoffs_s = _cutoffs_for(interceptor, st.lt_speed_fractions) if st.lt_families else np.zeros(0)
        #: linear-tangent switch: first-stage burnout (staging, above the dense air)
        self.t_switch_s = float(interceptor.stages[0].burn_time_s) if len(interceptor.stages) > 1 else 0.0
        self.lt_end_deg = np.linspace(*st.lt_end_deg[:2], int(st.lt_end_deg[2]))
        self.built = np.zeros(st.n_azimuth, dtype=bool)
        self.extent = np.zeros((st.n_azimuth, 2), dtype=np.int64)
        self.n_flights = 0
        #: sectors read from the disk cache instead of flown
        self.n_loaded = 0

    # ---------------------------------------------------------------------------------------------- build
    @property
    def azimuths_deg(self) -> np.ndarray:
        return np.degrees(self.d_az * np.arange(self.settings.n_azimuth))

    def build(self, sectors=None) -> Fan:
        """Build the given sector indices (all by default); already built ones are skipped. Returns self."""
        st = self.settings
        idx = np.arange(st.n_azimuth) if sectors is None else np.unique(np.asarray(sectors, dtype=int))
        idx = idx[~self.built[idx]]
        idx = idx[[not self._load_cached(int(i)) for i in idx]] if idx.size else idx
        if idx.size == 0:
            return self
        fams = self.families()
        per_sector = sum(p.size for _, _, p in fams)
        n_dense = int(np.floor(st.max_flight_time_s / st.dense_dt_s)) + 1
        opts = Options(max_time_s=st.max_flight_time_s, dense_dt_s=st.dense_dt_s, dense_n=n_dense, rtol=st.rtol,
                       atol_m=0.1)
        # a few sectors per engine call keeps memory bounded (dense states are (rows, n_dense, 3))
        per_call = max(1, 3000 // per_sector)
        fam_id = np.concatenate([np.full(p.size, f) for f, _, p in fams])
        fam_par = np.concatenate([p for _, _, p in fams])
        fam_cut = np.concatenate([np.full(p.size, c) for _, c, p in fams])
        for c0 in range(0, idx.size, per_call):
            chunk = idx[c0:c0 + per_call]
            az = np.repeat(np.degrees(self.d_az * chunk), per_sector)
            kw = self.steering(np.tile(fam_id, chunk.size), np.tile(fam_par, chunk.size),
                               np.tile(fam_cut, chunk.size))
            f = fly(self.interceptor, self.latitude_deg, self.longitude_deg, az, altitude_m=self.altitude_m,
                    target_altitude_m=self.altitude_m, options=opts, integrator=st.integrator, **kw)
            self.n_flights += az.size
            m = f.r_ecef.shape[0] * f.r_ecef.shape[1]
            ang, azp, h = (np.empty(m) for _ in range(3))
            _coords(np.ascontiguousarray(f.r_ecef.reshape(m, 3)), self._s, self._e, self._n, ang, azp, h)
            ang = ang.reshape(az.size, -1)
            h = h.reshape(az.size, -1)
            t_rel = f.t_s[0] - f.t_s[0, 0]
            for q, sec in enumerate(chunk):
                r0 = q * per_sector
                self._clear(sec)
                for fid, cut, par in fams:
                    rows = slice(r0, r0 + par.size)
                    r0 += par.size
                    _reduce_sector(t_rel, np.ascontiguousarray(ang[rows]), np.ascontiguousarray(h[rows]),
                                   par, cut, fid, self.d_ang, st.altitude_step_m, self.tab_t[sec],
                                   self.tab_kick[sec], self.tab_cutoff[sec], self.tab_family[sec])
                self._set_extent(sec)
                self.built[sec] = True
                fancache.save_sector(self.cache_key, int(sec), (self.tab_t[sec], self.tab_kick[sec],
                                     self.tab_cutoff[sec], self.tab_family[sec]), self.extent[sec],
                                     describe=self._describe())
        return self

    @cached_property
    def cache_key(self) -> str | None:
        """This fan's key in the disk cache of sectors (:mod:`bmdsim.engagement.fancache`), None if uncached."""
        return fancache.fan_key(self.interceptor, self.latitude_deg, self.longitude_deg, self.altitude_m,
                                self.settings)

    def _clear(self, sec: int) -> None:
        self.tab_t[sec] = np.nan
        self.tab_kick[sec] = np.nan
        self.tab_cutoff[sec] = np.nan
        self.tab_family[sec] = -1

    def _set_extent(self, sec: int) -> None:
        fin = np.isfinite(self.tab_t[sec])
        rows, cols = np.flatnonzero(fin.any(axis=1)), np.flatnonzero(fin.any(axis=0))
        self.extent[sec] = (rows[-1] + 1, cols[-1] + 1) if rows.size else (0, 0)

    def _load_cached(self, sec: int) -> bool:
        got = fancache.load_sector(self.cache_key, sec, (self.tab_t[sec], self.tab_kick[sec], self.tab_cutoff[sec],
                                                         self.tab_family[sec]))
        if got is None:
            return False
        self.extent[sec] = got
        self.built[sec] = True
        self.n_loaded += 1
        return True

    def _describe(self) -> dict:
        return {"interceptor": self.interceptor.name, "burnout_speed_mps": self.interceptor.claim.get(
            "burnout_speed_mps"), "latitude_deg": self.latitude_deg, "longitude_deg": self.longitude_deg,
            "altitude_m": self.altitude_m, "settings": repr(self.settings)}

    def families(self) -> list[tuple[int, float, np.ndarray]]:
        """The steering families flown per sector: ``(family index, cut-off s, ordered parameters)``; family 0
        (kicks) at every cut-off of :attr:`cutoffs_s`, then each linear-tangent family (end elevations) at every
        cut-off of :attr:`lt_cutoffs_s` that comes after the switch."""
        out = [(0, float(c), self.kicks_deg) for c in self.cutoffs_s]
        if self.t_switch_s > 0:
            for j in range(len(self.settings.lt_families)):
                out += [(j + 1, float(c), self.lt_end_deg) for c in self.lt_cutoffs_s if c > self.t_switch_s + 1.0]
        return out

    def steering(self, family, parameter, cutoff_s) -> dict:
        """Keyword arguments of :func:`~bmdsim.flight.fly.fly` (``kick_deg``, ``cutoff_s``, ``linear_tangent``)
        for rows of (family, steering parameter, cut-off): family 0 flies the kick ``parameter``; family ``f >= 1``
        the gravity turn with ``lt_families[f - 1]``'s kick to the switch, then linear-tangent steering from its
        start elevation to the end elevation ``parameter``, reached at the cut-off (or burnout)."""
        fam, par, cut = np.broadcast_arrays(*(np.atleast_1d(np.asarray(a, dtype=float)) for a in (family, parameter,
                                                                                                   cutoff_s)))
        lt = np.asarray(self.settings.lt_families, dtype=float).reshape(-1, 2)
        is_lt = fam >= 1
        j = np.clip(fam.astype(int) - 1, 0, max(lt.shape[0] - 1, 0))
        kick = np.where(is_lt, lt[j, 0] if lt.size else 0.0, par)
        t_end = np.minimum(cut, self.interceptor.burn_time_s)
        ts = np.where(is_lt, self.t_switch_s, 0.0)
        ea = np.where(is_lt, lt[j, 1] if lt.size else 0.0, 0.0)
        eb = np.where(is_lt, par, 0.0)
        return {"kick_deg": kick, "cutoff_s": cut, "linear_tangent": (ts, ea, eb, t_end)}

    # --------------------------------------------------------------------------------------------- lookup
    def lookup(self, r_ecef, *, min_altitude_m: float = -np.inf) -> FanLookup:
        """Minimum time of flight (s) to ECEF points ``(..., 3)`` (NaN rows allowed), with the site geometry.

        Points below ``min_altitude_m`` are not looked up (NaN time; their geometry is still returned), so that
        they do not cause sectors to be built."""
        r = np.asarray(r_ecef, dtype=float)
        shape = r.shape[:-1]
        flat = np.ascontiguousarray(r.reshape(-1, 3))
        m = flat.shape[0]
        out = [np.empty(m) for _ in range(7)]
        # which sectors do the points fall in? build those (and their neighbours used by interpolation)
        ang, az, h = (np.empty(m) for _ in range(3))
        _coords(flat, self._s, self._e, self._n, ang, az, h)
        ok = np.isfinite(az) & (h >= min_altitude_m) & (ang < self.d_ang * (self.tab_t.shape[1] - 1))
        if not ok.all():
            flat = flat.copy()
            flat[~ok] = np.nan
        if ok.any():
            sec = np.unique(np.floor(az[ok] / self.d_az).astype(int) % self.settings.n_azimuth)
            self.build(np.unique(np.concatenate([sec, (sec + 1) % self.settings.n_azimuth])))
        _lookup(flat, self._s, self._e, self._n, self.tab_t, self.tab_kick, self.tab_cutoff, self.tab_family,
                self.extent, self.d_az, self.d_ang, self.settings.altitude_step_m, *out)
        out[4:] = [ang, az, h]
        t, k, c, fm, a, z, hh = (o.reshape(shape) for o in out)
        return FanLookup(t_flight_s=t, kick_deg=k, cutoff_s=c, family=fm.astype(int), azimuth_deg=np.degrees(z),
                         ground_range_m=a * R_SPHERE_M, altitude_m=hh)

    def time_of_flight(self, ground_range_m, altitude_m, azimuth_deg) -> np.ndarray:
        """Minimum time of flight (s) to points given in site coordinates (arrays broadcast)."""
        g, h, a = np.broadcast_arrays(*(np.asarray(x, dtype=float) for x in (ground_range_m, altitude_m,
                                                                             azimuth_deg)))
        r = _point_ecef(self._s, self._e, self._n, g / R_SPHERE_M, np.radians(a), h)
        return self.lookup(r).t_flight_s


def _point_ecef(s, e, n, ang, az, h):
    """ECEF point at ground angle ``ang`` and azimuth ``az`` from the site direction ``s``, at geodetic height
    ``h`` (height applied along the geodetic normal of the surface point)."""
    d = np.sin(az)[..., None] * e + np.cos(az)[..., None] * n
    p = np.cos(ang)[..., None] * s + np.sin(ang)[..., None] * d
    lat, lon, _ = frames.ecef_to_geodetic(p * 6.371e6)
    return frames.geodetic_to_ecef(lat, lon, h)


def _cutoffs_for(interceptor: Vehicle, fractions) -> np.ndarray:
    """Thrust cut-off times (s after launch) giving each fraction of the full-burn burnout speed on the sizing
    reference flight (1.0: full burn)."""
    tb = interceptor.burn_time_s
    grid = np.linspace(0.2 * tb, tb, 81)
    f = fly(interceptor, 0.0, 0.0, 0.0, REFERENCE_KICK_DEG, cutoff_s=grid, options=Options(rotation=False))
    v = np.maximum.accumulate(np.nan_to_num(f.burnout_speed_mps))
    out = [tb if fr >= 1.0 else float(np.interp(fr * v[-1], v, grid)) for fr in fractions]
    return np.array(sorted(set(out), reverse=True))


@lru_cache(maxsize=32)
def _fan_cached(interceptor: Vehicle, lat: float, lon: float, alt: float, settings: FanSettings) -> Fan:
    return Fan(interceptor, lat, lon, altitude_m=alt, settings=settings)


def fan_for(interceptor: Vehicle, latitude_deg: float, longitude_deg: float, *, altitude_m: float = 0.0,
            settings: FanSettings | None = None) -> Fan:
    """The (process-cached) fan of ``interceptor`` at a site; sectors fill in as lookups need them."""
    return _fan_cached(interceptor, float(latitude_deg), float(longitude_deg), float(altitude_m),
                       settings or FanSettings())

