"""The one home of the latitude/longitude check: the rule (what a valid latitude and longitude are) and the words
of its message, used by every layer that takes coordinates (flight, fire control, sensing feeds, scenario
schema, command line, aircraft track files).

The masks are for arrays (the engine's batches, rows of a file); :func:`check_latitude` and
:func:`check_longitude` raise :class:`~bmdsim.errors.InputError` naming the caller's field; :func:`latlon_problem`
gives the message alone, for a validator that raises its own error type (the scenario schema's ``ValueError``).

>>> latlon_problem(95.0, 10.0)
'latitude must lie between -90 and 90 degrees'
>>> bad_latitude([10.0, float("nan"), -91.0]).tolist()
[False, True, True]
"""

from __future__ import annotations

import numpy as np

from bmdsim.errors import InputError

__all__ = ["LATITUDE_HINT", "LONGITUDE_HINT", "bad_latitude", "bad_longitude", "check_latitude", "check_longitude",
           "latlon_problem", "wrap_longitude"]

LATITUDE_HINT = "latitude must lie between -90 and 90 degrees"
LONGITUDE_HINT = "longitude must lie between -180 and 180 degrees"
FINITE_LONGITUDE_HINT = "longitude must be a finite number"


def bad_latitude(lat) -> np.ndarray:
    """Where ``lat`` (degrees, any shape) is not a latitude: NaN, infinite or beyond +-90."""
    return ~(np.abs(np.asarray(lat, dtype=float)) <= 90.0)


def bad_longitude(lon, *, max_abs_deg: float = 180.0) -> np.ndarray:
    """Where ``lon`` is not a longitude: not finite, or beyond ``+-max_abs_deg`` (180; 360 where the caller wraps
    it with :func:`wrap_longitude`; ``inf``: any finite number)."""
    a = np.abs(np.asarray(lon, dtype=float))
    return ~(np.isfinite(a) & (a <= max_abs_deg))


def wrap_longitude(lon):
    """Longitude(s) in [-180, 180)."""
    return (np.asarray(lon, dtype=float) + 180.0) % 360.0 - 180.0


def _first_bad(v, bad, value):
    if value is not None:
        return value
    b = np.asarray(v, dtype=float)[bad].ravel()
    return float(b[0]) if b.size else v


def check_latitude(field: str, lat, *, value=None, suffix: str = "") -> None:
    """Raise :class:`InputError` on ``field`` if any of ``lat`` is not a latitude; the error shows ``value`` (e.g.
    the text the user typed) or the first bad latitude; ``suffix`` adds how to fix it in the caller's terms."""
    bad = bad_latitude(lat)
    if np.any(bad):
        raise InputError(field, _first_bad(lat, bad, value), LATITUDE_HINT + suffix)


def check_longitude(field: str, lon, *, max_abs_deg: float = 180.0, value=None, suffix: str = "") -> None:
    """As :func:`check_latitude`, for longitudes (see :func:`bad_longitude` for ``max_abs_deg``)."""
    bad = bad_longitude(lon, max_abs_deg=max_abs_deg)
    if np.any(bad):
        hint = FINITE_LONGITUDE_HINT if np.isinf(max_abs_deg) else LONGITUDE_HINT
        raise InputError(field, _first_bad(lon, bad, value), hint + suffix)


def latlon_problem(lat: float, lon: float, *, max_abs_lon_deg: float = 180.0) -> str | None:
    """The message for a bad ``(lat, lon)`` pair (degrees), or None when both are valid."""
    if bad_latitude(lat):
        return LATITUDE_HINT
    if bad_longitude(lon, max_abs_deg=max_abs_lon_deg):
        return LONGITUDE_HINT
    return None
