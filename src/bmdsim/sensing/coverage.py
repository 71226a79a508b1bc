"""Coverage analyses of radars over the WGS84 ellipsoid: horizon ground range, detection-limited footprints and
their areas for a target altitude, and the part of a flight no radar sees.

Geometry is exact on the ellipsoid: a target point is placed with the geodesic ``direct`` problem (pyproj) at a
height above the ellipsoid and seen through :meth:`bmdsim.sensing.radar.Radar.geometry`; the boundaries are found
by bisection on the geodesic distance (to 1 m). Areas are those of the geodesic polygons through the boundary
points (pyproj ``Geod.polygon_area_perimeter``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.core import frames, geodesy
from bmdsim.core import radar as rq
from bmdsim.errors import InputError
from bmdsim.sensing.detection import _valid_truth, interpolate_state
from bmdsim.sensing.radar import Radar, local_radius_m

__all__ = ["Footprint", "Unseen", "horizon_ground_range_m", "footprint", "unseen_ground_range",
           "default_azimuth_rad", "detection_ground_range_m", "local_radius_m"]

_BISECT = 40


def default_azimuth_rad(radar: Radar) -> float:
    """The main look direction: the boresight azimuth of the first face."""
    return float(radar.faces[0].azimuth_rad)


def _target_ecef(radar: Radar, azimuth_rad, distance_m, altitude_m):
    lat, lon = geodesy.direct(radar.latitude_deg, radar.longitude_deg, np.degrees(azimuth_rad), distance_m)
    return frames.geodetic_to_ecef(np.radians(lat), np.radians(lon), altitude_m), lat, lon


def _check_altitude(altitude_m):
    h = np.asarray(altitude_m, float)
    if np.any(~np.isfinite(h)) or np.any(h < 0.0):
        bad = h[~(h >= 0.0)].ravel()[0]
        raise InputError("altitude", float(bad), "target altitudes must be at or above the ellipsoid (>= 0 m)")
    return h


def _upper_bound_m(radar: Radar, altitude_m, refraction):
    k = 4.0 / 3.0 if refraction == "4/3" else 1.0
    return 1.05 * rq.horizon_ground_range_sphere(max(radar.altitude_m, 0.0), altitude_m, radius_m=6_400_000.0,
                                                  k=k) + 1000.0


def _bisect(pred, lo, hi):
    """Vectorised bisection for the boundary where ``pred`` turns from True (at ``lo``) to False (at ``hi``)."""
    lo, hi = np.array(lo, float), np.array(hi, float)
    for _ in range(_BISECT):
        mid = 0.5 * (lo + hi)
        ok = pred(mid)
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    return lo


def horizon_ground_range_m(radar: Radar, altitude_m, azimuth_rad=None, *, refraction: str = "none",
                           use_min_elevation: bool = True):
    """Geodesic ground range (m) from the radar site to the farthest point at which a target at ``altitude_m``
    (above the ellipsoid) is in line of sight (and, by default, above the radar's minimum elevation).

    Broadcasts ``altitude_m`` against ``azimuth_rad`` (default: the first face's boresight). Field of regard and
    range are not applied here (see :func:`footprint`).
    """
    h = _check_altitude(altitude_m)
    az = default_azimuth_rad(radar) if azimuth_rad is None else azimuth_rad
    h, az = np.broadcast_arrays(h, np.asarray(az, float))
    h, az = h.astype(float), az.astype(float)

    def pred(d):
        r, _, _ = _target_ecef(radar, az, d, h)
        g = radar.geometry(r, refraction=refraction)
        ok = g.line_of_sight
        if use_min_elevation:
            ok = ok & (g.elevation_rad >= radar.min_elevation_rad)
        return ok

    hi = np.vectorize(lambda x: _upper_bound_m(radar, x, refraction))(h) if h.size else h
    start = np.full(h.shape, 1.0)
    d = _bisect(pred, start, hi)
    return np.where(pred(start), d, 0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Footprint:
    """Where a target at ``altitude_m`` would be seen and detected (track dwell reaching the design SNR).

    Per azimuth ``(A,)`` (rad): inner and outer ground range (m) of the covered interval (0 where none), the
    outer boundary as latitude/longitude (deg); ``area_m2`` of the region between them on the ellipsoid.
    """

    radar: str
    altitude_m: float
    rcs_m2: float
    azimuth_rad: np.ndarray
    inner_m: np.ndarray
    outer_m: np.ndarray
    outer_latitude_deg: np.ndarray
    outer_longitude_deg: np.ndarray
    area_m2: float


def _covered(radar: Radar, r_ecef, rcs_m2, refraction, with_snr=True):
    g = radar.geometry(r_ecef, refraction=refraction)
    ok = g.visible
    if with_snr:
        ok = ok & radar.coverable(g, rcs_m2)
    return ok


def footprint(radar: Radar, altitude_m: float, rcs_m2: float | None, *, refraction: str = "none",
              n_azimuth: int = 720, n_radial: int = 160) -> Footprint:
    """The horizon-, field-of-regard- and range-limited footprint of a radar for one target altitude.

    ``rcs_m2=None`` drops the radar-equation limit (horizon, field of regard and instrumented range only). A
    ray from the site may be covered on one interval only (inner hole from the maximum elevation, outer edge from
    the horizon or the range); the area is that of the outer polygon minus the inner one.
    """
    h = float(_check_altitude(altitude_m))
    if rcs_m2 is not None and not rcs_m2 >= 0:
        raise InputError("rcs_m2", rcs_m2, "the radar cross-section must be zero or positive, e.g. 0.1")
    az = np.linspace(0.0, 2.0 * np.pi, n_azimuth, endpoint=False)
    d_max = horizon_ground_range_m(radar, h, az, refraction=refraction)
    frac = np.linspace(0.0, 1.0, n_radial)
    dd = d_max[:, None] * frac[None, :]
    r, _, _ = _target_ecef(radar, az[:, None], dd, h)
    cov = _covered(radar, r, rcs_m2, refraction, with_snr=rcs_m2 is not None)
    anyc = cov.any(axis=1)
    first = np.where(anyc, np.argmax(cov, axis=1), 0)
    last = np.where(anyc, n_radial - 1 - np.argmax(cov[:, ::-1], axis=1), 0)
    rows = np.arange(n_azimuth)

    def pred_at(azs):
        def p(d):
            rr, _, _ = _target_ecef(radar, azs, d, h)
            return _covered(radar, rr, rcs_m2, refraction, with_snr=rcs_m2 is not None)
        return p

    lo = dd[rows, last]
    hi = np.where(last < n_radial - 1, dd[rows, np.minimum(last + 1, n_radial - 1)], lo)
    outer = np.where(anyc, _bisect(pred_at(az), lo, hi), 0.0)
    lo_in = dd[rows, first]
    hi_in = np.where(first > 0, dd[rows, np.maximum(first - 1, 0)], lo_in)
    # bisect the inner edge with the predicate reversed: covered at lo_in, not at hi_in (nearer)
    inner = np.where(anyc & (first > 0), _bisect(pred_at(az), lo_in, hi_in), 0.0)
    lat_o, lon_o = geodesy.direct(radar.latitude_deg, radar.longitude_deg, np.degrees(az), outer)
    lat_i, lon_i = geodesy.direct(radar.latitude_deg, radar.longitude_deg, np.degrees(az), inner)
    area_o = abs(geodesy.WGS84.polygon_area_perimeter(lon_o, lat_o)[0]) if anyc.any() else 0.0
    area_i = abs(geodesy.WGS84.polygon_area_perimeter(lon_i, lat_i)[0]) if np.any(inner > 0) else 0.0
    return Footprint(radar=radar.name, altitude_m=h, rcs_m2=np.nan if rcs_m2 is None else float(rcs_m2),
                     azimuth_rad=az, inner_m=inner, outer_m=outer, outer_latitude_deg=np.asarray(lat_o),
                     outer_longitude_deg=np.asarray(lon_o), area_m2=float(area_o - area_i))


@dataclass(frozen=True, slots=True, kw_only=True)
class Unseen:
    """The part of a flight no radar can see: until ``first_seen_t_s`` (NaN: never seen), when ``radar`` first
    could detect it (visible, and a track dwell reaching the design SNR); ``ground_range_m`` from the launch
    point to the sub-point at that time; ``total_ground_range_m`` to the last truth sample."""

    first_seen_t_s: float
    radar: str
    ground_range_m: float
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    total_ground_range_m: float

    @property
    def ground_range_km(self) -> float:
        return self.ground_range_m / 1000.0


def unseen_ground_range(radars, t_s, r_ecef, v_ecef=None, *, rcs_m2=1.0, refraction: str = "none",
                        launch_latitude_deg: float | None = None,
                        launch_longitude_deg: float | None = None) -> Unseen:
    """How far (ground range from launch) a missile flies before any of ``radars`` could detect it.

    Capability, not draws: "could detect" means in the field of regard, above the horizon and minimum
    elevation, within instrumented range and with a track-dwell SNR at the design value (cued radars are assumed
    cued). The first such time is found on the truth samples, then refined by bisection on the Hermite
    interpolant (to 1 ms). ``rcs_m2`` is a scalar here.
    """
    t, r, v = _valid_truth(t_s, r_ecef, v_ecef)
    if t.size == 0:
        raise InputError("r_ecef", "all NaN", "give at least one finite truth sample")
    lat, lon, _ = frames.ecef_to_geodetic(r)
    lat0 = float(np.degrees(lat[0])) if launch_latitude_deg is None else float(launch_latitude_deg)
    lon0 = float(np.degrees(lon[0])) if launch_longitude_deg is None else float(launch_longitude_deg)
    best_t, best_name = np.inf, ""
    for radar in radars:
        cov = radar.coverable(radar.geometry(r, refraction=refraction), rcs_m2)
        if not cov.any():
            continue
        i = int(np.argmax(cov))
        if i == 0:
            ti = float(t[0])
        else:
            def pred(tq, radar=radar):
                rq_, _ = interpolate_state(t, r, v, np.atleast_1d(tq))
                return ~radar.coverable(radar.geometry(rq_, refraction=refraction), rcs_m2)
            lo, hi = np.array([t[i - 1]]), np.array([t[i]])
            for _ in range(int(np.ceil(np.log2(max(t[i] - t[i - 1], 1e-3) / 1e-3))) + 1):
                mid = 0.5 * (lo + hi)
                ok = pred(mid)
                lo, hi = np.where(ok, mid, lo), np.where(ok, hi, mid)
            ti = float(hi[0])
        if ti < best_t:
            best_t, best_name = ti, radar.name
    total, _ = geodesy.inverse(lat0, lon0, np.degrees(lat[-1]), np.degrees(lon[-1]))
    if not np.isfinite(best_t):
        return Unseen(first_seen_t_s=np.nan, radar="", ground_range_m=float(total), latitude_deg=np.nan,
                      longitude_deg=np.nan, altitude_m=np.nan, total_ground_range_m=float(total))
    rs, _ = interpolate_state(t, r, v, [best_t])
    la, lo_, hh = frames.ecef_to_geodetic(rs[0])
    d, _ = geodesy.inverse(lat0, lon0, np.degrees(la), np.degrees(lo_))
    return Unseen(first_seen_t_s=best_t, radar=best_name, ground_range_m=float(d), latitude_deg=float(np.degrees(la)),
                  longitude_deg=float(np.degrees(lo_)), altitude_m=float(hh), total_ground_range_m=float(total))


def detection_ground_range_m(radar: Radar, altitude_m, rcs_m2, azimuth_rad=None, *, refraction="none"):
    """Farthest ground range (m) at which a target at ``altitude_m`` along ``azimuth_rad`` is covered (horizon,
    field of regard, instrumented range and the radar equation for ``rcs_m2``); 0 where never."""
    h = _check_altitude(altitude_m)
    az = default_azimuth_rad(radar) if azimuth_rad is None else azimuth_rad
    h, az = np.broadcast_arrays(h, np.asarray(az, float))
    h, az = h.astype(float), az.astype(float)
    d_hor = horizon_ground_range_m(radar, h, az, refraction=refraction)
    n = 200
    dd = d_hor[..., None] * np.linspace(0.0, 1.0, n)
    r, _, _ = _target_ecef(radar, az[..., None], dd, h[..., None])
    cov = _covered(radar, r, rcs_m2, refraction)
    anyc = cov.any(axis=-1)
    last = n - 1 - np.argmax(cov[..., ::-1], axis=-1)
    lo = np.take_along_axis(dd, last[..., None], -1)[..., 0]
    hi = np.take_along_axis(dd, np.minimum(last + 1, n - 1)[..., None], -1)[..., 0]

    def pred(d):
        rr, _, _ = _target_ecef(radar, az, d, h)
        return _covered(radar, rr, rcs_m2, refraction)

    return np.where(anyc, _bisect(pred, lo, hi), 0.0)

