"""Fly batches of missiles: from launch points and steering to burnout, apogee, reentry and impact.

This is the public face of the compiled engine (:mod:`bmdsim.core.engine`): it turns vehicles, launch points
(degrees at this edge) and steering into the engine's arrays, and its outputs into :class:`Flights`, a frozen
record of arrays with one row per flight.
"""

from __future__ import annotations

from dataclasses import dataclass

import numba as nb
import numpy as np

from bmdsim.core import engine, frames, geodesy, oracle
from bmdsim.core.checks import check_latitude, check_longitude
from bmdsim.core.constants import OMEGA_EARTH_RAD_S, R_SPHERE_M
from bmdsim.core.engine import Options
from bmdsim.errors import InputError
from bmdsim.flight.vehicle import MACH_GRID, Vehicle, pack

__all__ = ["Flights", "FlightFigures", "fly", "fly_ballistic", "Options", "launch_state"]

_EV_BURNOUT, _EV_APOGEE, _EV_REENTRY, _EV_IMPACT = range(4)


class FlightFigures:
    """Figures derived per row from a batch's launch, burnout and impact fields (``t_launch_s``, ``t_burnout_s``,
    ``r_burnout_ecef``, ``v_burnout_ecef``, ``t_impact_s``, launch and impact latitude/longitude): the one
    definition for :class:`Flights` and :class:`bmdsim.analysis.flown.Truths`."""

    __slots__ = ()

    @property
    def burnout_speed_mps(self) -> np.ndarray:
        """Earth-relative speed at the last burnout (or cut-off)."""
        return np.linalg.norm(self.v_burnout_ecef, axis=-1)

    @property
    def burnout_altitude_m(self) -> np.ndarray:
        return frames.geodetic_altitude(self.r_burnout_ecef)

    @property
    def burnout_gamma_rad(self) -> np.ndarray:
        """Earth-relative flight-path angle at burnout (above the geocentric horizontal)."""
        r, v = self.r_burnout_ecef, self.v_burnout_ecef
        return np.arcsin(np.einsum("...i,...i", r, v) / (np.linalg.norm(r, axis=-1) * np.linalg.norm(v, axis=-1)))

    @property
    def time_of_flight_s(self) -> np.ndarray:
        return self.t_impact_s - self.t_launch_s

    @property
    def burnout_after_launch_s(self) -> np.ndarray:
        """Last burnout (or cut-off), seconds after launch."""
        return self.t_burnout_s - self.t_launch_s

    @property
    def range_m(self) -> np.ndarray:
        """Geodesic ground range from the launch point to the impact point."""
        d, _ = geodesy.inverse(self.launch_latitude_deg, self.launch_longitude_deg, self.impact_latitude_deg,
                               self.impact_longitude_deg)
        return np.where(np.isfinite(self.impact_latitude_deg), d, np.nan)


@dataclass(frozen=True, slots=True, kw_only=True)
class Flights(FlightFigures):
    """Results of a batch of flights; every array has the flight on its first axis. Times are seconds since
    the scenario epoch; ``*_ecef`` in metres (m/s) in the Earth-fixed frame at that time."""

    t_launch_s: np.ndarray
    launch_latitude_deg: np.ndarray
    launch_longitude_deg: np.ndarray
    t_burnout_s: np.ndarray
    r_burnout_ecef: np.ndarray
    v_burnout_ecef: np.ndarray
    t_apogee_s: np.ndarray
    apogee_m: np.ndarray
    t_reentry_s: np.ndarray
    t_impact_s: np.ndarray
    r_impact_ecef: np.ndarray
    v_impact_ecef: np.ndarray
    impact_latitude_deg: np.ndarray
    impact_longitude_deg: np.ndarray
    status: np.ndarray
    steps: np.ndarray
    t_stage_burnout_s: np.ndarray
    #: dense output, when requested: time grid (N, K) and states (N, K, 3) ECEF, NaN after impact
    t_s: np.ndarray | None = None
    r_ecef: np.ndarray | None = None
    v_ecef: np.ndarray | None = None

    def __len__(self) -> int:
        return self.t_launch_s.shape[0]

    def geodetic(self):
        """Dense trajectory as ``(latitude_deg, longitude_deg, altitude_m)`` arrays ``(N, K)``."""
        if self.r_ecef is None:
            raise InputError("dense_dt_s", None, "fly with dense_dt_s > 0 to get trajectories")
        lat, lon, h = frames.ecef_to_geodetic(self.r_ecef)
        return np.degrees(lat), np.degrees(lon), h


def launch_state(lat_deg, lon_deg, alt_m, t_s):
    """ECI state of a point at rest on the turning Earth at time ``t_s``: ``(N, 6)``."""
    r_ecef = frames.geodetic_to_ecef(np.radians(lat_deg), np.radians(lon_deg), alt_m)
    r_eci, v_eci = frames.ecef_to_eci(r_ecef, t_s, np.zeros_like(r_ecef))
    return np.concatenate([r_eci, v_eci], axis=-1)


def _check_latlon(lat, lon, field):
    check_latitude(f"{field}latitude_deg", lat)
    check_longitude(f"{field}longitude_deg", lon, max_abs_deg=np.inf)    # the engine takes any finite longitude


def _plane_normal(lat_deg, lon_deg, az_deg):
    """Unit normal (ECEF) of the great circle leaving (lat, lon) along azimuth ``az``."""
    e, n, u = frames.enu_basis(np.radians(lat_deg), np.radians(lon_deg))
    az = np.radians(az_deg)[..., None]
    d = np.sin(az) * e + np.cos(az) * n
    nn = np.cross(u, d)
    return nn / np.linalg.norm(nn, axis=-1, keepdims=True)


def _integrator(which):
    if callable(which):
        return which
    if which not in ("engine", "oracle"):
        raise InputError("integrator", which, "use 'engine', 'oracle' or a function like engine.integrate")
    return engine.integrate if which == "engine" else oracle.integrate


@nb.njit(cache=True)
def _rotate(y, c, s, omega, r, v):
    for i in range(y.shape[0]):
        x0, x1, x3, x4 = y[i, 0], y[i, 1], y[i, 3], y[i, 4]
        r0 = c[i] * x0 - s[i] * x1
        r1 = s[i] * x0 + c[i] * x1
        r[i, 0], r[i, 1], r[i, 2] = r0, r1, y[i, 2]
        v[i, 0] = (c[i] * x3 - s[i] * x4) - (-omega * r1)
        v[i, 1] = (s[i] * x3 + c[i] * x4) - omega * r0
        v[i, 2] = y[i, 5]


def rotate_to_ecef(y_eci, cos_th, sin_th, omega):
    """ECEF positions and velocities ``(..., 3)`` of inertial states ``y_eci (..., 6)``: rotated about z by the
    angle ``th`` given by ``cos_th``, ``sin_th`` (shape ``(...)``; ``th = -omega t``), less ``omega x r``. One
    compiled pass over the states (the dense batch of a fan family is 886 x 751 states); no fused multiply-add,
    so each element is what the numpy expressions give."""
    y = np.ascontiguousarray(y_eci, dtype=float)
    shape = y.shape[:-1]
    r, v = np.empty(shape + (3,)), np.empty(shape + (3,))
    _rotate(y.reshape(-1, 6), np.ascontiguousarray(np.broadcast_to(cos_th, shape), dtype=float).reshape(-1),
            np.ascontiguousarray(np.broadcast_to(sin_th, shape), dtype=float).reshape(-1), float(omega),
            r.reshape(-1, 3), v.reshape(-1, 3))
    return r, v


def _results(out, t0, lat, lon, options: Options) -> Flights:
    omega = OMEGA_EARTH_RAD_S if options.rotation else 0.0
    ty, yy = out["t_event"], out["y_event"]

    def to_ecef(y, t):
        th = -omega * t
        return rotate_to_ecef(y, np.cos(th), np.sin(th), omega)

    rb, vb = to_ecef(yy[:, _EV_BURNOUT], ty[:, _EV_BURNOUT])
    ri, vi = to_ecef(yy[:, _EV_IMPACT], ty[:, _EV_IMPACT])
    ra, _ = to_ecef(yy[:, _EV_APOGEE], ty[:, _EV_APOGEE])
    if options.sphere:
        apo = np.linalg.norm(ra, axis=-1) - R_SPHERE_M
        rn = np.linalg.norm(ri, axis=-1)
        ilat = np.degrees(np.arcsin(ri[:, 2] / rn))
        ilon = np.degrees(np.arctan2(ri[:, 1], ri[:, 0]))
    else:
        apo = frames.geodetic_altitude(ra)
        la, lo, _ = frames.ecef_to_geodetic(ri)
        ilat, ilon = np.degrees(la), np.degrees(lo)
    kw = {}
    if "dense" in out:
        k = out["dense"].shape[1]
        tg = t0[:, None] + options.dense_dt_s * np.arange(k)[None, :]
        r, v = to_ecef(out["dense"], tg)
        kw = {"t_s": tg, "r_ecef": r, "v_ecef": v}
    return Flights(t_launch_s=t0, launch_latitude_deg=lat, launch_longitude_deg=lon,
                   t_burnout_s=ty[:, _EV_BURNOUT], r_burnout_ecef=rb, v_burnout_ecef=vb,
                   t_apogee_s=ty[:, _EV_APOGEE], apogee_m=apo, t_reentry_s=ty[:, _EV_REENTRY],
                   t_impact_s=ty[:, _EV_IMPACT], r_impact_ecef=ri, v_impact_ecef=vi, impact_latitude_deg=ilat,
                   impact_longitude_deg=ilon, status=out["status"], steps=out["steps"],
                   t_stage_burnout_s=out["t_stage_burnout"], **kw)


def fly(vehicles: Vehicle | list[Vehicle], latitude_deg, longitude_deg, azimuth_deg, kick_deg, *,
        t_launch_s=0.0, altitude_m=0.0, cutoff_s=np.inf, target_altitude_m=0.0, pitch_program=None,
        linear_tangent=None, options: Options | None = None, integrator="engine") -> Flights:
    """Fly a batch of powered flights, one per row; every argument broadcasts to the batch size ``N``.

    ``azimuth_deg`` is the launch azimuth (clockwise from north); ``kick_deg`` the pitch-over angle from vertical
    at the end of the kick, after which the vehicle flies a gravity turn; ``cutoff_s`` ends thrust early (energy
    management), measured from launch. ``pitch_program`` = ``(after_launch_s, pitch_deg)`` arrays ``(N, P)``
    replaces the vertical-rise/kick/gravity-turn sequence with a tabulated pitch angle from vertical in the launch
    plane.
    ``linear_tangent`` = ``(t_switch_s, elevation_start_deg, elevation_end_deg, t_end_s)`` (each broadcast to
    ``N``; times from launch) switches, at ``t_switch_s > 0``, from the gravity turn to linear-tangent steering:
    the thrust's elevation above the local horizontal has a tangent linear in time from the start to the end
    value, held after ``t_end_s`` (see :mod:`bmdsim.core.engine`).
    ``integrator="oracle"`` flies the same equations with ``scipy.integrate.solve_ivp`` (slow; for checks); a
    callable with the signature of :func:`bmdsim.core.engine.integrate` is used as given (e.g. the oracle with
    other tolerances, ``functools.partial(oracle.integrate, rtol=1e-10)``).
    """
    options = options or Options()
    args = [np.atleast_1d(np.asarray(a, dtype=float)) for a in (latitude_deg, longitude_deg, azimuth_deg, kick_deg,
                                                                 t_launch_s, altitude_m, cutoff_s,
                                                                 target_altitude_m)]
    if not isinstance(vehicles, Vehicle):
        args.append(np.zeros(len(vehicles)))
    try:
        lat, lon, az, kick, t0, alt, cut, hi = np.broadcast_arrays(*args)[:8]
    except ValueError:
        raise InputError("vehicles", len(vehicles), "give one vehicle, or one per flight") from None
    n = lat.shape[0]
    if isinstance(vehicles, Vehicle):
        vehicles = [vehicles] * n
    _check_latlon(lat, lon, "launch_")
    stg, n_st, cd, beta, times = pack(vehicles)
    steer = np.column_stack([times, np.radians(kick)])
    if linear_tangent is not None:
        ts, ea, eb, te = np.broadcast_arrays(*(np.asarray(a, dtype=float) * np.ones(n) for a in linear_tangent))
        if np.any(~np.isfinite(ts)) or np.any(np.abs(ea) >= 90) or np.any(np.abs(eb) >= 90):
            raise InputError("linear_tangent", (ts[:1], ea[:1], eb[:1]), "give finite times and elevations "
                             "between -90 and 90 degrees")
        steer = np.column_stack([steer, ts, np.tan(np.radians(ea)), np.tan(np.radians(eb)), te])
    if pitch_program is not None:
        pt = np.atleast_2d(np.asarray(pitch_program[0], dtype=float)) * np.ones((n, 1))
        pr = np.radians(np.atleast_2d(np.asarray(pitch_program[1], dtype=float))) * np.ones((n, 1))
        npitch = np.full(n, pt.shape[1], dtype=np.int64)
    else:
        pt = pr = np.zeros((n, 1))
        npitch = np.zeros(n, dtype=np.int64)
    y0 = launch_state(lat, lon, alt, t0 if options.rotation else np.zeros_like(t0))
    if not options.rotation:
        y0[:, 3:] = 0.0
    out = _integrator(integrator)(y0, t0, stages=stg, n_stages=n_st, mach_grid=MACH_GRID, cd_table=cd, beta=beta,
                           steer=steer, plane_n_ecef=_plane_normal(lat, lon, az), pitch_after_launch_s=pt, pitch_rad=pr,
                           n_pitch=npitch, cutoff_after_launch_s=cut, h_impact_m=hi, options=options)
    return _results(out, t0, lat, lon, options)


def fly_ballistic(latitude_deg, longitude_deg, altitude_m, speed_mps, gamma_deg, azimuth_deg, *, t_s=0.0,
                  beta_kg_m2=np.inf, target_altitude_m=None, options: Options | None = None,
                  integrator="engine") -> Flights:
    """Free flight from a burnout state: position, Earth-relative speed, flight-path angle and azimuth.

    With ``target_altitude_m=None`` the flight ends when it comes back down to its start altitude (the
    closed-form convention of :mod:`bmdsim.core.kepler`). On a sphere the altitude is above 6,371 km.
    """
    options = options or Options()
    lat, lon, alt, spd, gam, az, t0, beta = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(a, dtype=float)) for a in (latitude_deg, longitude_deg, altitude_m, speed_mps,
                                                               gamma_deg, azimuth_deg, t_s, beta_kg_m2)))
    n = lat.shape[0]
    _check_latlon(lat, lon, "")
    if np.any(~(spd >= 0)):
        raise InputError("speed_mps", spd[~(spd >= 0)][0], "the speed must be zero or positive")
    if np.any(~(np.abs(gam) <= 90)):
        raise InputError("gamma_deg", gam[~(np.abs(gam) <= 90)][0], "the flight-path angle lies in [-90, 90]")
    la, lo = np.radians(lat), np.radians(lon)
    if options.sphere:
        rhat = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)
        r_ecef = (R_SPHERE_M + alt)[:, None] * rhat
        e = np.stack([-np.sin(lo), np.cos(lo), np.zeros_like(lo)], axis=-1)
        nth = np.cross(rhat, e)
        u = rhat
    else:
        r_ecef = frames.geodetic_to_ecef(la, lo, alt)
        e, nth, u = frames.enu_basis(la, lo)
    g, a = np.radians(gam)[:, None], np.radians(az)[:, None]
    v_ecef = spd[:, None] * (np.cos(g) * (np.sin(a) * e + np.cos(a) * nth) + np.sin(g) * u)
    tt = t0 if options.rotation else np.zeros_like(t0)
    if options.rotation:
        r_eci, v_eci = frames.ecef_to_eci(r_ecef, tt, v_ecef)
    else:
        r_eci, v_eci = r_ecef, v_ecef
    y0 = np.concatenate([r_eci, v_eci], axis=-1)
    hi = alt if target_altitude_m is None else np.broadcast_to(np.asarray(target_altitude_m, float), (n,))
    zeros = np.zeros((n, 1, 6))
    out = _integrator(integrator)(y0, t0, stages=zeros, n_stages=np.zeros(n, dtype=np.int64), mach_grid=MACH_GRID,
                           cd_table=np.zeros((n, 1, MACH_GRID.size)), beta=beta, steer=np.zeros((n, 3)),
                           plane_n_ecef=np.zeros((n, 3)), pitch_after_launch_s=np.zeros((n, 1)),
                           pitch_rad=np.zeros((n, 1)), n_pitch=np.zeros(n, dtype=np.int64),
                           cutoff_after_launch_s=np.full(n, np.inf), h_impact_m=hi,
                           options=options)
    out["t_event"][:, _EV_BURNOUT] = t0
    out["y_event"][:, _EV_BURNOUT] = y0
    return _results(out, t0, lat, lon, options)
