"""Aircraft tracks: reading CSV / Parquet / DataFrames, validating, interpolating along geodesics.

A :class:`Track` holds one aircraft's timestamped positions as arrays: ``t_s`` (float64 seconds since
``epoch``, a UTC ``numpy.datetime64``), ``latitude_deg``, ``longitude_deg`` (WGS84) and ``altitude_m``.
Between two points the aircraft is taken to fly the geodesic at constant speed (what ADS-B interpolation and
great-circle navigation assume).

Recognised columns (case-insensitive; first match wins):

==========  ===========================================================================================
time        ``timestamp``, ``time``, ``datetime``, ``t``, ``t_s``: ISO text (UTC unless it carries an
            offset), a datetime column, or numbers = seconds since 1970-01-01 UTC
latitude    ``latitude_deg``, ``latitude``, ``lat_deg``, ``lat``
longitude   ``longitude_deg``, ``longitude``, ``lon_deg``, ``lon``, ``lng``, ``long``
altitude    ``altitude_m``, ``alt_m``, ``geoaltitude_m`` (metres); ``altitude_ft``, ``altitude``,
            ``alt``, ``geoaltitude`` (feet, as in ADS-B exports such as the ``traffic`` library's);
            optional
identifier  ``flight_id``, ``track_id``, ``id``, ``callsign``, ``icao24``; optional (one track per file)
==========  ===========================================================================================

Rows with a missing time or position are dropped and reported (:attr:`ReadResult.rejected`); latitudes or
longitudes out of range, times that go backwards or repeat within a track raise :class:`~bmdsim.errors.DataError`
naming the rows and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from bmdsim.core.checks import bad_latitude, bad_longitude, wrap_longitude
from bmdsim.core.geodesy import WGS84, direct, inverse
from bmdsim.errors import DataError, InputError

__all__ = ["Track", "ReadResult", "read_tracks", "tracks_from_frame", "track_from_arrays", "densify",
           "position_at", "bundled_track_path", "FT_M"]

FT_M = 0.3048  #: international foot, m

_TIME = ("timestamp", "time", "datetime", "t", "t_s")
_LAT = ("latitude_deg", "latitude", "lat_deg", "lat")
_LON = ("longitude_deg", "longitude", "lon_deg", "lon", "lng", "long")
_ALT_M = ("altitude_m", "alt_m", "geoaltitude_m")
_ALT_FT = ("altitude_ft", "altitude", "alt", "geoaltitude")
_ID = ("flight_id", "track_id", "id", "callsign", "icao24")


@dataclass(frozen=True, slots=True, kw_only=True)
class Track:
    """One aircraft's track. Arrays of shape ``(n,)``; ``t_s`` strictly increasing."""

    id: str
    epoch: np.datetime64
    t_s: np.ndarray
    latitude_deg: np.ndarray
    longitude_deg: np.ndarray
    altitude_m: np.ndarray

    @property
    def n(self) -> int:
        return int(self.t_s.size)

    def iso(self, t_s) -> str:
        """UTC ISO-8601 text of a time ``t_s`` (s since :attr:`epoch`), to the millisecond, with ``Z``."""
        stamp = self.epoch + np.timedelta64(int(round(float(t_s) * 1000.0)), "ms")
        return np.datetime_as_string(stamp, unit="ms") + "Z"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadResult:
    """What :func:`read_tracks` found: the tracks, and the rows it dropped (``{row, track, reason}``)."""

    tracks: tuple[Track, ...]
    rejected: tuple[dict, ...] = field(default=())


def _find(columns: dict[str, str], names: tuple[str, ...]) -> str | None:
    for n in names:
        if n in columns:
            return columns[n]
    return None


def _rows_text(rows: np.ndarray, limit: int = 8) -> str:
    rows = [int(r) for r in rows[:limit]]
    more = "" if len(rows) < limit else ", ..."
    return ", ".join(str(r) for r in rows) + more


def _parse_time(values, source: str) -> np.ndarray:
    """Times -> datetime64[ns] UTC (NaT where missing or unparseable)."""
    import pandas as pd

    s = pd.Series(values)
    if pd.api.types.is_numeric_dtype(s):
        return pd.to_datetime(s, unit="s", utc=True, errors="coerce").dt.tz_localize(None).to_numpy(
            "datetime64[ns]")
    if not pd.api.types.is_datetime64_any_dtype(s):
        s = pd.to_datetime(s.astype("string"), utc=True, errors="coerce", format="ISO8601")
    elif getattr(s.dt, "tz", None) is None:
        s = s.dt.tz_localize("UTC")
    return s.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")


def tracks_from_frame(frame, *, source: str = "table", altitude_unit: str | None = None,
                      default_id: str = "track") -> ReadResult:
    """Tracks from a pandas DataFrame with the columns described in the module docstring.

    ``altitude_unit`` ("m" or "ft") overrides the unit of a bare ``altitude`` column. Row numbers in messages
    are the file's line numbers (header = line 1) when ``source`` is a CSV file, else 0-based row indices.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"timestamp": ["2007-10-25T10:00:00Z", "2007-10-25T10:01:00Z"],
    ...                    "latitude": [53.0, 53.1], "longitude": [2.0, 2.1], "altitude": [33000, 33000],
    ...                    "callsign": ["BEAR01", "BEAR01"]})
    >>> t = tracks_from_frame(df).tracks[0]
    >>> t.id, t.t_s.tolist(), round(float(t.altitude_m[0]))
    ('BEAR01', [0.0, 60.0], 10058)
    """
    import pandas as pd

    cols = {str(c).strip().lower(): c for c in frame.columns}
    c_time, c_lat, c_lon = _find(cols, _TIME), _find(cols, _LAT), _find(cols, _LON)
    missing = [what for what, c in (("time", c_time), ("latitude", c_lat), ("longitude", c_lon)) if c is None]
    if missing:
        raise DataError(
            f"{source}: no {' / '.join(missing)} column among {list(frame.columns)}; name the columns e.g. "
            "'timestamp, latitude, longitude, altitude, callsign' (ADS-B export layout) or "
            "'time, latitude_deg, longitude_deg, altitude_m, id'")
    row_offset = 2 if str(source).lower().endswith(".csv") else 0
    row_word = "lines" if row_offset else "rows"
    n = len(frame)
    rows = np.arange(n) + row_offset
    times = _parse_time(frame[c_time].to_numpy(), source)
    lat = pd.to_numeric(frame[c_lat], errors="coerce").to_numpy(float)
    lon = pd.to_numeric(frame[c_lon], errors="coerce").to_numpy(float)
    c_alt_m, c_alt_ft = _find(cols, _ALT_M), _find(cols, _ALT_FT)
    if c_alt_m is not None:
        alt = pd.to_numeric(frame[c_alt_m], errors="coerce").to_numpy(float)
    elif c_alt_ft is not None:
        unit = altitude_unit or "ft"
        if unit not in ("m", "ft"):
            raise InputError("altitude_unit", altitude_unit, "use 'm' or 'ft'")
        alt = pd.to_numeric(frame[c_alt_ft], errors="coerce").to_numpy(float) * (FT_M if unit == "ft" else 1.0)
    else:
        alt = np.full(n, np.nan)
    c_id = _find(cols, _ID)
    ids = (frame[c_id].astype("string").fillna("").str.strip().to_numpy(object) if c_id is not None
           else np.full(n, default_id, dtype=object))
    ids = np.where(ids == "", default_id, ids)

    bad_time = np.isnat(times)
    bad_pos = ~np.isfinite(lat) | ~np.isfinite(lon)
    rejected = [{"row": int(r), "track": str(i), "reason": "time missing or unreadable"}
                for r, i in zip(rows[bad_time], ids[bad_time], strict=True)]
    rejected += [{"row": int(r), "track": str(i), "reason": "latitude or longitude missing or not a number"}
                 for r, i in zip(rows[bad_pos & ~bad_time], ids[bad_pos & ~bad_time], strict=True)]
    ok = ~bad_time & ~bad_pos
    out_lat = ok & bad_latitude(np.where(ok, lat, 0.0))
    if out_lat.any():
        raise DataError(f"{source}: latitude out of range [-90, 90] degrees on {row_word} "
                        f"{_rows_text(rows[out_lat])}; check the column names and order (latitude, longitude) "
                        "and that values are in degrees")
    out_lon = ok & bad_longitude(np.where(ok, lon, 0.0), max_abs_deg=360.0)
    if out_lon.any():
        raise DataError(f"{source}: longitude out of range [-180, 360] degrees on {row_word} "
                        f"{_rows_text(rows[out_lon])}; give longitudes in degrees")
    lon = np.where(ok, wrap_longitude(lon), lon)

    tracks = []
    for tid in dict.fromkeys(ids[ok]):
        sel = ok & (ids == tid)
        tt = times[sel]
        dt = np.diff(tt.astype("int64"))
        if (dt < 0).any():
            where = rows[sel][1:][dt < 0]
            raise DataError(f"{source}: track {tid!r}: time goes backwards at {row_word} {_rows_text(where)}; "
                            "sort the rows by identifier then time")
        if (dt == 0).any():
            where = rows[sel][1:][dt == 0]
            raise DataError(f"{source}: track {tid!r}: duplicate time at {row_word} {_rows_text(where)}; "
                            "keep one position per time (e.g. drop duplicates on identifier and time)")
        epoch = tt[0]
        t_s = (tt - epoch).astype("timedelta64[ns]").astype(np.int64) / 1e9
        tracks.append(Track(id=str(tid), epoch=epoch.astype("datetime64[ns]"), t_s=t_s,
                            latitude_deg=lat[sel], longitude_deg=lon[sel], altitude_m=alt[sel]))
    if not tracks:
        raise DataError(f"{source}: no usable rows ({len(rejected)} rejected: {rejected[:3]}); every row needs a "
                        "time, a latitude and a longitude")
    return ReadResult(tracks=tuple(tracks), rejected=tuple(rejected))


def read_tracks(path, *, altitude_unit: str | None = None) -> ReadResult:
    """Read tracks from a ``.csv`` or ``.parquet`` file (columns: see the module docstring)."""
    import pandas as pd

    p = Path(path)
    if not p.is_file():
        raise InputError("TRACKS", str(path), "give the path of an existing .csv or .parquet file")
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pd.read_csv(p, comment="#", skipinitialspace=True)
        elif suffix in (".parquet", ".pq"):
            frame = pd.read_parquet(p)
        else:
            raise InputError("TRACKS", str(path), "give a .csv or .parquet file")
    except (ValueError, OSError) as exc:
        if isinstance(exc, InputError):
            raise
        raise DataError(f"{path}: cannot be read as {suffix[1:]}: {exc}") from None
    return tracks_from_frame(frame, source=str(path), altitude_unit=altitude_unit, default_id=p.stem)


def track_from_arrays(*, id: str, t_s, latitude_deg, longitude_deg, altitude_m=None,
                      epoch: str | np.datetime64 = "1970-01-01T00:00:00") -> Track:
    """A track from arrays (e.g. a bmdsim sensing track): ``t_s`` seconds since ``epoch`` (UTC)."""
    import pandas as pd

    t = np.asarray(t_s, dtype=float)
    stamps = np.datetime64(epoch, "ns") + (t * 1e9).astype("int64").astype("timedelta64[ns]")
    frame = pd.DataFrame({"time": stamps, "latitude_deg": latitude_deg, "longitude_deg": longitude_deg,
                          "altitude_m": np.full(t.shape, np.nan) if altitude_m is None else altitude_m})
    return tracks_from_frame(frame, source=f"track {id!r}", default_id=id).tracks[0]


def densify(track: Track, max_step_m: float = 1000.0) -> Track:
    """The same track with points added along each geodesic segment so that no step exceeds ``max_step_m``.

    Added points move at the segment's constant speed; altitude is linear in time.

    >>> t = track_from_arrays(id="a", t_s=[0.0, 100.0], latitude_deg=[52.0, 52.0], longitude_deg=[3.0, 4.0])
    >>> d = densify(t, 10_000.0)
    >>> d.n, round(float(d.t_s[1]), 3)
    (8, 14.286)
    """
    if track.n < 2:
        return track
    lat1, lon1 = track.latitude_deg[:-1], track.longitude_deg[:-1]
    dist, az = inverse(lat1, lon1, track.latitude_deg[1:], track.longitude_deg[1:])
    k = np.maximum(1, np.ceil(dist / max_step_m).astype(np.int64))
    seg = np.repeat(np.arange(k.size), k)
    frac = (np.arange(seg.size) - np.repeat(np.cumsum(k) - k, k)) / np.repeat(k, k)
    lat, lon = direct(lat1[seg], lon1[seg], az[seg], frac * dist[seg])
    t = track.t_s[seg] + frac * np.diff(track.t_s)[seg]
    alt = track.altitude_m[seg] + frac * np.diff(track.altitude_m)[seg]
    return Track(id=track.id, epoch=track.epoch, t_s=np.append(t, track.t_s[-1]),
                 latitude_deg=np.append(lat, track.latitude_deg[-1]),
                 longitude_deg=np.append(lon, track.longitude_deg[-1]),
                 altitude_m=np.append(alt, track.altitude_m[-1]))


def position_at(track: Track, t_s) -> tuple[np.ndarray, np.ndarray]:
    """(latitude_deg, longitude_deg) at times ``t_s`` (array), along the geodesic between the bracketing points.

    Times outside the track are clamped to its ends.
    """
    t = np.clip(np.asarray(t_s, dtype=float), track.t_s[0], track.t_s[-1])
    if track.n < 2:
        return np.full(t.shape, track.latitude_deg[0]), np.full(t.shape, track.longitude_deg[0])
    i = np.clip(np.searchsorted(track.t_s, t, side="right") - 1, 0, track.n - 2)
    frac = (t - track.t_s[i]) / (track.t_s[i + 1] - track.t_s[i])
    lon2, lat2 = track.longitude_deg[i + 1], track.latitude_deg[i + 1]
    az12, _, dist = WGS84.inv(track.longitude_deg[i], track.latitude_deg[i], lon2, lat2)
    return direct(track.latitude_deg[i], track.longitude_deg[i], az12, frac * np.asarray(dist))


def bundled_track_path(name: str = "tu160-2007-10-25") -> Path:
    """Path of a track file shipped in ``bmdsim/data/tracks`` (``name`` without ``.csv``)."""
    ref = resources.files("bmdsim.data").joinpath("tracks", f"{name}.csv")
    if not ref.is_file():
        from bmdsim.errors import UnknownNameError

        known = [p.name[:-4] for p in resources.files("bmdsim.data").joinpath("tracks").iterdir()
                 if p.name.endswith(".csv")]
        raise UnknownNameError("track", name, known)
    return Path(str(ref))
