"""Geodesics on the WGS84 ellipsoid, from pyproj's ``Geod`` (Karney's algorithms, GeographicLib).

Arrays in, arrays out; degrees at this edge because pyproj speaks degrees.
"""

from __future__ import annotations

import numpy as np
from pyproj import Geod

WGS84 = Geod(ellps="WGS84")

__all__ = ["inverse", "direct", "WGS84"]


def inverse(lat1_deg, lon1_deg, lat2_deg, lon2_deg):
    """Geodesic distance (m) and forward azimuth (deg, clockwise from north, in [0, 360)) from 1 to 2.

    >>> d, az = inverse(52.24, 4.43, 54.4789, 17.1075)   # Noordwijk to Redzikowo
    >>> round(float(d) / 1000.0, 1), round(float(az), 1)
    (878.7, 68.5)
    """
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                                   for v in (lat1_deg, lon1_deg, lat2_deg, lon2_deg)))
    az12, _az21, dist = WGS84.inv(lon1, lat1, lon2, lat2)
    return np.asarray(dist), np.mod(np.asarray(az12), 360.0)


def direct(lat_deg, lon_deg, azimuth_deg, distance_m):
    """End point (lat_deg, lon_deg) after ``distance_m`` along the geodesic leaving at ``azimuth_deg``."""
    lat, lon, az, d = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                            for v in (lat_deg, lon_deg, azimuth_deg, distance_m)))
    lon2, lat2, _ = WGS84.fwd(lon, lat, az, d)
    return np.asarray(lat2), np.asarray(lon2)
