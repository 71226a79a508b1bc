"""Helpers shared by the command modules: parsing user input into typed values with teaching errors, and
printing JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import typer

from bmdsim.core.jsonable import clean
from bmdsim.errors import InputError


def parse_latlon(field: str, text: str) -> tuple[float, float]:
    """Parse ``"LAT,LON"`` in degrees; raise :class:`InputError` naming ``field`` otherwise.

    >>> parse_latlon("--from", "35.23,53.92")
    (35.23, 53.92)
    """
    parts = str(text).split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(field, text, "give latitude and longitude in degrees as LAT,LON, e.g. 35.23,53.92")\
            from None
    check_lat(field, lat)
    if not math.isfinite(lon) or not -360.0 <= lon <= 360.0:
        raise InputError(field, text, "longitude must lie between -180 and 180 degrees")
    return lat, lon if -180.0 <= lon <= 180.0 else (lon + 180.0) % 360.0 - 180.0


def check_lat(field: str, lat: float) -> None:
    if not math.isfinite(lat) or not -90.0 <= lat <= 90.0:
        raise InputError(field, lat, "latitude must lie between -90 and 90 degrees")


def _default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o))


def echo_json(obj) -> None:
    typer.echo(json.dumps(clean(obj), default=_default, indent=None))
