"""Frames on the WGS84 ellipsoid: geodetic <-> ECEF, ECEF <-> ECI, ENU and azimuth/elevation/range.

Conventions: arrays broadcast, xyz on the last axis ``(..., 3)``; angles in radians inside, degrees only in
names ending ``_deg``; azimuth clockwise from true north; elevation above the local horizontal plane (normal to the
ellipsoid). ECI here is the inertial frame aligned with ECEF at the scenario epoch (``t_s = 0``) and turning
against it at the WGS84 rate; precession, nutation and polar motion are ignored (a few hundred metres over a
decade, nothing over one flight).
"""

from __future__ import annotations

import numpy as np

from bmdsim.core.constants import (
    OMEGA_EARTH_RAD_S,
    WGS84_A_M,
    WGS84_B_M,
    WGS84_E2,
    WGS84_EP2,
)

__all__ = [
    "geodetic_to_ecef",
    "ecef_to_geodetic",
    "ecef_to_eci",
    "eci_to_ecef",
    "enu_basis",
    "ecef_to_enu",
    "ecef_to_aer",
    "aer_to_enu",
    "geodetic_altitude",
]


def geodetic_to_ecef(lat_rad, lon_rad, alt_m=0.0):
    """WGS84 geodetic latitude, longitude (rad) and height above the ellipsoid (m) to ECEF (m), ``(..., 3)``.

    >>> np.round(geodetic_to_ecef(0.0, 0.0, 0.0), 3)
    array([6378137.,       0.,       0.])
    """
    lat = np.asarray(lat_rad, dtype=float)
    lon = np.asarray(lon_rad, dtype=float)
    alt = np.asarray(alt_m, dtype=float)
    s, c = np.sin(lat), np.cos(lat)
    n = WGS84_A_M / np.sqrt(1.0 - WGS84_E2 * s * s)
    x = (n + alt) * c * np.cos(lon)
    y = (n + alt) * c * np.sin(lon)
    z = (n * (1.0 - WGS84_E2) + alt) * s
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def _heikkinen(p, z):
    """Exact closed-form inverse (Heikkinen 1982, as given by Zhu, IEEE TAES 30(3), 1994) on (p, z)."""
    a, b, e2 = WGS84_A_M, WGS84_B_M, WGS84_E2
    f_ = 54.0 * b * b * z * z
    g = p * p + (1.0 - e2) * z * z - e2 * (a * a - b * b)
    c = e2 * e2 * f_ * p * p / (g * g * g)
    s = np.cbrt(1.0 + c + np.sqrt(c * c + 2.0 * c))
    k = s + 1.0 + 1.0 / s
    pp = f_ / (3.0 * k * k * g * g)
    q = np.sqrt(1.0 + 2.0 * e2 * e2 * pp)
    arg = 0.5 * a * a * (1.0 + 1.0 / q) - pp * (1.0 - e2) * z * z / (q * (1.0 + q)) - 0.5 * pp * p * p
    r0 = -(pp * e2 * p) / (1.0 + q) + np.sqrt(np.maximum(arg, 0.0))
    u = np.sqrt((p - e2 * r0) ** 2 + z * z)
    v = np.sqrt((p - e2 * r0) ** 2 + (1.0 - e2) * z * z)
    z0 = b * b * z / (a * v)
    h = u * (1.0 - b * b / (a * v))
    lat = np.arctan2(z + WGS84_EP2 * z0, p)
    return lat, h


def ecef_to_geodetic(r_ecef):
    """ECEF (m), ``(..., 3)``, to WGS84 geodetic ``(lat_rad, lon_rad, alt_m)``, each ``(...)``.

    Closed form (Heikkinen), sub-millimetre for heights from -100 km to 40,000 km, poles included.

    >>> lat, lon, h = ecef_to_geodetic(geodetic_to_ecef(np.radians(54.4789), np.radians(17.1075), 25.0))
    >>> round(float(np.degrees(lat)), 9), round(float(np.degrees(lon)), 9), round(float(h), 6)
    (54.4789, 17.1075, 25.0)
    """
    r = np.asarray(r_ecef, dtype=float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    p = np.hypot(x, y)
    lat, h = _heikkinen(p, z)
    return lat, np.arctan2(y, x), h


def geodetic_altitude(r_ecef):
    """Height above the WGS84 ellipsoid (m) of ECEF or ECI positions (the ellipsoid is axisymmetric)."""
    r = np.asarray(r_ecef, dtype=float)
    return _heikkinen(np.hypot(r[..., 0], r[..., 1]), r[..., 2])[1]


def _rot_z(r, angle):
    c, s = np.cos(angle), np.sin(angle)
    x, y = r[..., 0], r[..., 1]
    return np.stack(np.broadcast_arrays(c * x - s * y, s * x + c * y, r[..., 2]), axis=-1)


def ecef_to_eci(r_ecef, t_s, v_ecef=None):
    """ECEF position (and velocity) at ``t_s`` seconds after the epoch to the epoch-aligned ECI frame.

    Returns ``r_eci`` or ``(r_eci, v_eci)`` when ``v_ecef`` is given; ``v_eci = R (v_ecef + omega x r_ecef)``.
    """
    r = np.asarray(r_ecef, dtype=float)
    theta = OMEGA_EARTH_RAD_S * np.asarray(t_s, dtype=float)
    r_eci = _rot_z(r, theta)
    if v_ecef is None:
        return r_eci
    v = np.asarray(v_ecef, dtype=float)
    w_cross_r = np.stack(np.broadcast_arrays(-OMEGA_EARTH_RAD_S * r[..., 1], OMEGA_EARTH_RAD_S * r[..., 0],
                                             0.0 * r[..., 2]), axis=-1)
    return r_eci, _rot_z(v + w_cross_r, theta)


def eci_to_ecef(r_eci, t_s, v_eci=None):
    """Inverse of :func:`ecef_to_eci`."""
    r = np.asarray(r_eci, dtype=float)
    theta = -OMEGA_EARTH_RAD_S * np.asarray(t_s, dtype=float)
    r_ecef = _rot_z(r, theta)
    if v_eci is None:
        return r_ecef
    v = _rot_z(np.asarray(v_eci, dtype=float), theta)
    w_cross_r = np.stack(np.broadcast_arrays(-OMEGA_EARTH_RAD_S * r_ecef[..., 1],
                                             OMEGA_EARTH_RAD_S * r_ecef[..., 0], 0.0 * r_ecef[..., 2]), axis=-1)
    return r_ecef, v - w_cross_r


def enu_basis(lat_rad, lon_rad):
    """Unit east, north, up vectors in ECEF at geodetic (lat, lon): three arrays ``(..., 3)``."""
    lat = np.asarray(lat_rad, dtype=float)
    lon = np.asarray(lon_rad, dtype=float)
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    zero = np.zeros_like(sl * so)
    east = np.stack(np.broadcast_arrays(-so, co, zero), axis=-1)
    north = np.stack(np.broadcast_arrays(-sl * co, -sl * so, cl), axis=-1)
    up = np.stack(np.broadcast_arrays(cl * co, cl * so, sl), axis=-1)
    return east, north, up


def ecef_to_enu(r_ecef, lat_rad, lon_rad, alt_m=0.0):
    """Position of ECEF points relative to a site, in the site's east-north-up frame (m), ``(..., 3)``."""
    d = np.asarray(r_ecef, dtype=float) - geodetic_to_ecef(lat_rad, lon_rad, alt_m)
    e, n, u = enu_basis(lat_rad, lon_rad)
    return np.stack([(d * e).sum(-1), (d * n).sum(-1), (d * u).sum(-1)], axis=-1)


def ecef_to_aer(r_ecef, lat_rad, lon_rad, alt_m=0.0):
    """Azimuth (rad, clockwise from north, in [0, 2 pi)), elevation (rad) and slant range (m) from a site.

    >>> site = (np.radians(49.635), np.radians(13.748), 718.8)
    >>> above = geodetic_to_ecef(*site[:2], 718.8 + 1000.0)
    >>> az, el, rng = ecef_to_aer(above, *site)
    >>> round(float(np.degrees(el)), 6), round(float(rng), 6)
    (90.0, 1000.0)
    """
    enu = ecef_to_enu(r_ecef, lat_rad, lon_rad, alt_m)
    rng = np.linalg.norm(enu, axis=-1)
    az = np.mod(np.arctan2(enu[..., 0], enu[..., 1]), 2.0 * np.pi)
    el = np.arcsin(np.clip(enu[..., 2] / np.where(rng > 0, rng, 1.0), -1.0, 1.0))
    return az, el, rng


def aer_to_enu(az_rad, el_rad, range_m):
    """Azimuth, elevation, range to east-north-up (m), ``(..., 3)``."""
    az, el, rg = (np.asarray(v, dtype=float) for v in (az_rad, el_rad, range_m))
    ce = np.cos(el)
    return np.stack(np.broadcast_arrays(rg * ce * np.sin(az), rg * ce * np.cos(az), rg * np.sin(el)), axis=-1)
