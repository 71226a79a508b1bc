"""The shared radar feed: what an observer receives when a defense shares its radar data, and what the observer
can infer from it.

A :class:`FeedSpec` says what is shared and how: the content (radar detections, fused track states with their
covariance, predicted impact points), the latency, the update interval, an added error, and regions blanked out.
:func:`share` turns the defense's data on one object into a :class:`Feed` (the messages the observer receives);
:meth:`Feed.messages` and :func:`write_jsonl` export it as JSON lines; :func:`infer` is the observer's side: its
predicted impact points over time, from the best content it gets (shared PIPs, else PIPs of shared track states,
else its own track from the shared detections with :func:`bmdsim.sensing.tracking.track_object`).

Order of the operations on each stream (detections per sensor, tracks, PIPs): sensor selection -> blanking (on
the defense's own position estimate: the defense decides what not to share from what it knows) -> thinning to the
update interval -> added error -> latency (``t_received_s = t_s + latency_s``).

FEEDSPEC grammar (the command line's ``--share``): ``key=value`` pairs separated by ``;``, every key optional::

    content=detections,tracks,pips      what is shared, any non-empty subset        (default tracks,pips)
    latency_s=10                        delay from validity to reception, s >= 0    (default 0)
    interval_s=20                       at most one message per stream per interval, s >= 0; 0 = all (default 0)
    noise_m=500                         added 1-sigma error per axis on every shared position, m >= 0 (default 0)
    noise_mps=5                         added 1-sigma error per axis on shared track velocities, m/s >= 0
    blank=LAT0,LON0,LAT1,LON1[,ALT0_KM,ALT1_KM]|...
                                        boxes not shared: south-west and north-east corners in degrees
                                        (LON0 > LON1 crosses the antimeridian), optional altitude band in km
                                        (default 0 to unlimited); several boxes separated by ``|``
    sensors=brdy,fylingdales            share only these radars' detections (default all)

Example: ``content=detections;latency_s=10;interval_s=20;noise_m=500;blank=50,30,60,60``.

Added error: ``noise_m`` in range and ``noise_m / range`` in each angle of a detection (about ``noise_m``
across the line of sight), on each axis of a track position and on the east and north coordinates of a PIP. The
feed states its own precision: the sigmas (and covariances, ellipses) it carries include the added error in
quadrature, so an observer's filter weighs the feed correctly. Only radar data are shared (a detection needs a
range); the infrared satellites' angles stay with the defense.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bmdsim.core import frames
from bmdsim.core.checks import check_latitude, check_longitude
from bmdsim.core.jsonable import clean
from bmdsim.errors import InputError, UnknownNameError
from bmdsim.sensing.measurements import Measurements
from bmdsim.sensing.tracking import ImpactPrediction, TrackResult, predicted_impact_point, track_object

__all__ = ["CONTENTS", "DEFAULT_CONTENT", "BlankRegion", "FeedSpec", "SharedTracks", "SharedPips", "Feed",
           "ObserverPips", "share", "infer", "with_pips", "write_jsonl", "thin"]

#: what a feed can share (in this order), and what it shares by default
CONTENTS = ("detections", "tracks", "pips")
DEFAULT_CONTENT = ("tracks", "pips")
_KEYS = ("content", "latency_s", "interval_s", "noise_m", "noise_mps", "blank", "sensors")
_FIELD = "--share"
#: the largest value of each numeric FEEDSPEC key (the scenario schema's observers use the same limits)
LIMITS = {"latency_s": 3600.0, "interval_s": 3600.0, "noise_m": 1e6, "noise_mps": 1e4}
_GRAMMAR = ("FEEDSPEC is key=value pairs separated by ';', e.g. "
            "content=tracks,pips;latency_s=10;interval_s=20;noise_m=500;blank=50,30,60,60")


# ------------------------------------------------------------------------------------------------ the spec
@dataclass(frozen=True, slots=True, kw_only=True)
class BlankRegion:
    """A latitude/longitude box (degrees; ``lon0 > lon1`` crosses the antimeridian) with an altitude band (m).

    >>> b = BlankRegion(lat0_deg=50.0, lon0_deg=30.0, lat1_deg=60.0, lon1_deg=60.0)
    >>> b.contains(np.array([55.0, 45.0]), np.array([40.0, 40.0]), np.array([1e5, 1e5])).tolist()
    [True, False]
    """

    lat0_deg: float
    lon0_deg: float
    lat1_deg: float
    lon1_deg: float
    alt0_m: float = 0.0
    alt1_m: float = math.inf

    def __post_init__(self):
        f = f"{_FIELD} blank"
        for name in ("lat0_deg", "lat1_deg"):
            check_latitude(f, getattr(self, name), suffix="; give LAT0,LON0,LAT1,LON1")
        for name in ("lon0_deg", "lon1_deg"):
            check_longitude(f, getattr(self, name), max_abs_deg=360.0, suffix="; give LAT0,LON0,LAT1,LON1")
        if not self.lat0_deg < self.lat1_deg:
            raise InputError(f, (self.lat0_deg, self.lat1_deg), "give the south-west corner first: LAT0 < LAT1")
        if not (math.isfinite(self.alt0_m) and self.alt0_m >= 0.0):
            raise InputError(f, self.alt0_m / 1e3, "the altitude band starts at or above the ground (>= 0 km); "
                             "give ALT0_KM >= 0")
        if not self.alt1_m > self.alt0_m:
            raise InputError(f, self.alt1_m / 1e3, "the altitude band's top must lie above its bottom: "
                             "ALT1_KM > ALT0_KM")

    def contains(self, latitude_deg, longitude_deg, altitude_m) -> np.ndarray:
        """Boolean mask of the points inside the box (NaN points are outside)."""
        lat = np.asarray(latitude_deg, float)
        lon = np.mod(np.asarray(longitude_deg, float) + 180.0, 360.0) - 180.0
        h = np.asarray(altitude_m, float)
        a, b = ((self.lon0_deg + 180.0) % 360.0) - 180.0, ((self.lon1_deg + 180.0) % 360.0) - 180.0
        in_lon = (lon >= a) & (lon <= b) if a <= b else (lon >= a) | (lon <= b)
        with np.errstate(invalid="ignore"):
            return (lat >= self.lat0_deg) & (lat <= self.lat1_deg) & in_lon & (h >= self.alt0_m) & (h <= self.alt1_m)

    def text(self) -> str:
        s = f"{self.lat0_deg:g},{self.lon0_deg:g},{self.lat1_deg:g},{self.lon1_deg:g}"
        if self.alt0_m > 0 or math.isfinite(self.alt1_m):
            s += f",{self.alt0_m / 1e3:g},{self.alt1_m / 1e3:g}"
        return s


def _nonneg(key, v) -> float:
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InputError(f"{_FIELD} {key}", v, f"give a number, e.g. {key}=10") from None
    if not (math.isfinite(x) and x >= 0.0):
        raise InputError(f"{_FIELD} {key}", x, f"{key} must be zero or a positive number, e.g. {key}=10")
    if x > LIMITS[key]:
        raise InputError(f"{_FIELD} {key}", x, f"{key} can be at most {LIMITS[key]:g}")
    return x


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedSpec:
    """What a defense shares with an observer (see the module docstring for the meaning of each field).

    >>> s = FeedSpec.parse("content=detections;latency_s=10;blank=50,30,60,60")
    >>> s.content, s.latency_s, len(s.blank)
    (('detections',), 10.0, 1)
    >>> FeedSpec.parse(s.text()) == s
    True
    """

    content: tuple[str, ...] = DEFAULT_CONTENT
    latency_s: float = 0.0
    interval_s: float = 0.0
    noise_m: float = 0.0
    noise_mps: float = 0.0
    blank: tuple[BlankRegion, ...] = ()
    sensors: tuple[str, ...] | None = None

    def __post_init__(self):
        content = tuple(self.content)
        if not content:
            raise InputError(f"{_FIELD} content", "", "share at least one of " + ", ".join(CONTENTS))
        for c in content:
            if c not in CONTENTS:
                raise UnknownNameError(f"{_FIELD} content", c, CONTENTS)
        object.__setattr__(self, "content", tuple(c for c in CONTENTS if c in content))
        for key in ("latency_s", "interval_s", "noise_m", "noise_mps"):
            object.__setattr__(self, key, _nonneg(key, getattr(self, key)))
        object.__setattr__(self, "blank", tuple(self.blank))
        if self.sensors is not None:
            object.__setattr__(self, "sensors", tuple(self.sensors))

    @classmethod
    def parse(cls, text: str) -> FeedSpec:
        """Parse the compact FEEDSPEC string; every error names the key and shows the grammar."""
        kw: dict = {}
        text = str(text or "").strip()
        for part in filter(None, (p.strip() for p in text.split(";"))):
            key, sep, value = part.partition("=")
            key, value = key.strip().lower(), value.strip()
            if not sep:
                raise InputError(_FIELD, part, f"expected key=value; {_GRAMMAR}")
            if key not in _KEYS:
                raise UnknownNameError(f"{_FIELD} key", key, _KEYS)
            if key in kw:
                raise InputError(f"{_FIELD} {key}", value, "give each key once")
            if key == "content":
                kw[key] = tuple(v.strip().lower() for v in value.split(",") if v.strip())
            elif key == "blank":
                kw[key] = tuple(_parse_box(b) for b in value.split("|") if b.strip())
                if not kw[key]:
                    raise InputError(f"{_FIELD} blank", value, "give boxes as LAT0,LON0,LAT1,LON1[,ALT0_KM,ALT1_KM]")
            elif key == "sensors":
                names = tuple(v.strip() for v in value.split(",") if v.strip())
                if not names:
                    raise InputError(f"{_FIELD} sensors", value, "name at least one radar, e.g. sensors=brdy")
                kw[key] = tuple(_radar_name(n) for n in names)
            else:
                kw[key] = _nonneg(key, value)
        return cls(**kw)

    def text(self) -> str:
        """The FEEDSPEC string of this spec (round-trips through :meth:`parse`)."""
        parts = [f"content={','.join(self.content)}", f"latency_s={self.latency_s:g}",
                 f"interval_s={self.interval_s:g}", f"noise_m={self.noise_m:g}", f"noise_mps={self.noise_mps:g}"]
        if self.blank:
            parts.append("blank=" + "|".join(b.text() for b in self.blank))
        if self.sensors is not None:
            parts.append("sensors=" + ",".join(self.sensors))
        return ";".join(parts)

    def as_dict(self) -> dict:
        return {"content": list(self.content), "latency_s": self.latency_s, "interval_s": self.interval_s,
                "noise_m": self.noise_m, "noise_mps": self.noise_mps, "blank": [b.text() for b in self.blank],
                "sensors": None if self.sensors is None else list(self.sensors), "feedspec": self.text()}

    def blanked(self, latitude_deg, longitude_deg, altitude_m) -> np.ndarray:
        """Mask of the points inside any blanked region."""
        out = np.zeros(np.shape(latitude_deg), bool)
        for b in self.blank:
            out |= b.contains(latitude_deg, longitude_deg, altitude_m)
        return out


def _parse_box(text: str) -> BlankRegion:
    try:
        v = [float(x) for x in text.split(",")]
        if len(v) not in (4, 6):
            raise ValueError
    except ValueError:
        raise InputError(f"{_FIELD} blank", text, "give each box as LAT0,LON0,LAT1,LON1 or "
                         "LAT0,LON0,LAT1,LON1,ALT0_KM,ALT1_KM (degrees, km); separate boxes with '|'") from None
    kw = {}
    if len(v) == 6:
        kw = {"alt0_m": v[4] * 1e3, "alt1_m": v[5] * 1e3}
    return BlankRegion(lat0_deg=v[0], lon0_deg=v[1], lat1_deg=v[2], lon1_deg=v[3], **kw)


def _radar_name(name: str) -> str:
    from bmdsim.sensing import catalog

    try:
        return catalog.radar(name).name
    except UnknownNameError as exc:
        raise UnknownNameError(f"{_FIELD} sensors", name, catalog.radar_names(with_aliases=True)) from exc


# ------------------------------------------------------------------------------------------------ the feed
@dataclass(frozen=True, slots=True, kw_only=True)
class SharedTracks:
    """Shared fused track states: ``t_s (K,)``, ``x_eci (K, 6)`` (m, m/s, epoch-aligned ECI; ``(K, 7)`` with the
    drag state ``ln(1/beta)`` of the default tracker), ``P_eci (K, 6, 6)`` (or 7 x 7),
    and the radar whose report made each update (``sensor (K,)``)."""

    t_s: np.ndarray
    x_eci: np.ndarray
    P_eci: np.ndarray
    sensor: np.ndarray


@dataclass(frozen=True, slots=True, kw_only=True)
class SharedPips:
    """Shared predicted impact points: validity times ``t_s (P,)``, the sensor of the update they follow, and
    the points with their 1-sigma ellipses (:class:`~bmdsim.sensing.tracking.ImpactPrediction`, ``(P,)``)."""

    t_s: np.ndarray
    sensor: np.ndarray
    pip: ImpactPrediction


@dataclass(frozen=True, slots=True, kw_only=True)
class Feed:
    """What the observer receives about one object. Every message is received ``spec.latency_s`` after its
    validity time ``t_s``. ``removed_by_blanking`` counts the messages the blanked regions held back, per kind."""

    spec: FeedSpec
    object_id: str
    detections: tuple[Measurements, ...]
    tracks: SharedTracks | None
    pips: SharedPips | None
    removed_by_blanking: dict

    def first_received_s(self) -> float:
        """When the observer first hears of the object (NaN: never)."""
        ts = [m.t_s for m in self.detections] + ([self.tracks.t_s] if self.tracks is not None else []) + \
             ([self.pips.t_s] if self.pips is not None else [])
        ts = np.concatenate([np.asarray(t, float) for t in ts]) if ts else np.zeros(0)
        return float(np.min(ts)) + self.spec.latency_s if ts.size else math.nan

    def messages(self) -> list[dict]:
        """The feed as plain messages, in order of reception: a ``header`` first, then ``detection``, ``track``
        and ``pip`` messages (angles in degrees, positions also as latitude/longitude/altitude; NaN -> None)."""
        lat = self.spec.latency_s
        out: list[tuple[float, int, dict]] = []
        for m in self.detections:
            pos = _measured_geodetic(m)
            for i in range(len(m)):
                out.append((float(m.t_s[i]) + lat, 0, {
                    "kind": "detection", "object": self.object_id, "t_s": float(m.t_s[i]),
                    "t_received_s": float(m.t_s[i]) + lat, "sensor": m.sensor,
                    "site_latitude_deg": math.degrees(m.site_lat_rad), "site_longitude_deg":
                    math.degrees(m.site_lon_rad), "site_altitude_m": m.site_alt_m, "range_m": m.range_m[i],
                    "azimuth_deg": math.degrees(m.azimuth_rad[i]), "elevation_deg": math.degrees(m.elevation_rad[i]),
                    "range_rate_mps": m.range_rate_mps[i], "sigma_range_m": m.sigma_range_m[i],
                    "sigma_angle_mrad": m.sigma_angle_rad[i] * 1e3,
                    "sigma_range_rate_mps": m.sigma_range_rate_mps[i], "latitude_deg": pos[0][i],
                    "longitude_deg": pos[1][i], "altitude_m": pos[2][i]}))
        if self.tracks is not None:
            tr = self.tracks
            la, lo, h = _track_geodetic(tr.t_s, tr.x_eci)
            drag = tr.x_eci.shape[1] == 7
            for i in range(tr.t_s.size):
                out.append((float(tr.t_s[i]) + lat, 1, {
                    "kind": "track", "object": self.object_id, "t_s": float(tr.t_s[i]),
                    "t_received_s": float(tr.t_s[i]) + lat, "sensor": str(tr.sensor[i]), "frame": "eci-epoch",
                    "x_eci": tr.x_eci[i, :6].tolist(), "P_eci": tr.P_eci[i, :6, :6].tolist(), "latitude_deg": la[i],
                    "longitude_deg": lo[i], "altitude_m": h[i],
                    **({"ln_inv_beta": float(tr.x_eci[i, 6]), "sigma_ln_inv_beta": float(np.sqrt(tr.P_eci[i, 6, 6]))}
                       if drag else {})}))
        if self.pips is not None:
            p = self.pips.pip
            for i in range(self.pips.t_s.size):
                out.append((float(self.pips.t_s[i]) + lat, 2, {
                    "kind": "pip", "object": self.object_id, "t_s": float(self.pips.t_s[i]),
                    "t_received_s": float(self.pips.t_s[i]) + lat, "sensor": str(self.pips.sensor[i]),
                    "latitude_deg": p.latitude_deg[i], "longitude_deg": p.longitude_deg[i],
                    "t_impact_s": p.t_impact_s[i], "sigma_t_impact_s": p.sigma_t_impact_s[i],
                    "semi_major_km": p.semi_major_km[i], "semi_minor_km": p.semi_minor_km[i],
                    "orientation_deg": p.orientation_deg[i]}))
        out.sort(key=lambda x: (x[0], x[1]))
        header = {"kind": "header", "schema": "bmdsim-feed/1", "object": self.object_id, **self.spec.as_dict(),
                  "removed_by_blanking": dict(self.removed_by_blanking),
                  "frames": "t_s: seconds since the scenario epoch; x_eci/P_eci: epoch-aligned ECI (m, m/s); "
                            "ln_inv_beta: the tracker's drag state ln(1/beta), beta in kg/m2; "
                            "angles clockwise from north / above the horizontal; WGS84"}
        return [header] + [m for _, _, m in out]


def _measured_geodetic(m: Measurements):
    """Where each detection places the object (from its own range and angles), as (lat_deg, lon_deg, alt_m)."""
    enu = frames.aer_to_enu(m.azimuth_rad, m.elevation_rad, m.range_m)
    e, n, u = frames.enu_basis(m.site_lat_rad, m.site_lon_rad)
    r = frames.geodetic_to_ecef(m.site_lat_rad, m.site_lon_rad, m.site_alt_m) + enu[..., :1] * e + \
        enu[..., 1:2] * n + enu[..., 2:] * u
    lat, lon, h = frames.ecef_to_geodetic(r.reshape(-1, 3))
    return np.degrees(lat), np.degrees(lon), h


def _track_geodetic(t_s, x_eci):
    r = frames.eci_to_ecef(np.asarray(x_eci)[:, :3], np.asarray(t_s))
    lat, lon, h = frames.ecef_to_geodetic(r.reshape(-1, 3))
    return np.degrees(lat), np.degrees(lon), h


def thin(t_s, interval_s: float) -> np.ndarray:
    """Indices kept when a stream (times in order) is thinned to at most one message per ``interval_s``: the
    first, then each next one at least ``interval_s`` after the last kept one (greedy).

    >>> thin([0, 1, 2, 5, 6, 11], 5.0).tolist()
    [0, 3, 5]
    """
    t = np.asarray(t_s, float)
    if interval_s <= 0 or t.size == 0:
        return np.arange(t.size)
    keep, last = [], -np.inf
    for i, ti in enumerate(t):
        if ti - last >= interval_s - 1e-9:
            keep.append(i)
            last = ti
    return np.asarray(keep, int)


def _share_detections(m: Measurements, spec: FeedSpec, rng: np.random.Generator):
    ok = np.isfinite(m.range_m) & np.isfinite(m.azimuth_rad) & np.isfinite(m.elevation_rad)
    m = m.select(ok)
    n_blank = 0
    if spec.blank and len(m):
        lat, lon, h = _measured_geodetic(m)
        out = spec.blanked(lat, lon, h)
        n_blank = int(out.sum())
        m = m.select(~out)
    m = m.select(thin(m.t_s, spec.interval_s))
    noise = rng.standard_normal((len(m), 3))
    if spec.noise_m > 0 and len(m):
        ang = spec.noise_m / np.maximum(m.range_m, 1.0)
        m = replace(m, range_m=m.range_m + spec.noise_m * noise[:, 0],
                    azimuth_rad=np.mod(m.azimuth_rad + ang * noise[:, 1], 2.0 * np.pi),
                    elevation_rad=m.elevation_rad + ang * noise[:, 2],
                    sigma_range_m=np.hypot(m.sigma_range_m, spec.noise_m),
                    sigma_angle_rad=np.hypot(m.sigma_angle_rad, ang))
    return m, n_blank


def _share_tracks(track: TrackResult, spec: FeedSpec, rng: np.random.Generator):
    t, x, P, sen = track.t_s, track.x_eci, track.P_eci, np.asarray(track.sensor)
    n_blank = 0
    if spec.blank and t.size:
        out = spec.blanked(*_track_geodetic(t, x))
        n_blank = int(out.sum())
        t, x, P, sen = t[~out], x[~out], P[~out], sen[~out]
    k = thin(t, spec.interval_s)
    t, x, P, sen = t[k], x[k].copy(), P[k].copy(), sen[k]
    noise = rng.standard_normal((t.size, 6))
    x[:, :3] += spec.noise_m * noise[:, :3]
    x[:, 3:6] += spec.noise_mps * noise[:, 3:]
    # the noise is on position and velocity; a drag state (7th element), if tracked, is shared as it is
    P = P + np.diag([spec.noise_m**2] * 3 + [spec.noise_mps**2] * 3 + [0.0] * (x.shape[1] - 6))
    return SharedTracks(t_s=t, x_eci=x, P_eci=P, sensor=sen), n_blank


def _share_pips(track: TrackResult, spec: FeedSpec, rng: np.random.Generator):
    p = track.pip
    ok = np.isfinite(p.latitude_deg)
    n_blank = 0
    if spec.blank:
        out = spec.blanked(p.latitude_deg, p.longitude_deg, np.zeros(p.latitude_deg.shape)) & ok
        n_blank = int(out.sum())
        ok &= ~out
    idx = np.flatnonzero(ok)
    idx = idx[thin(track.t_s[idx], spec.interval_s)]
    sel = {f: np.asarray(getattr(p, f))[idx] for f in ImpactPrediction.__slots__}
    noise = rng.standard_normal((idx.size, 2))
    if spec.noise_m > 0 and idx.size:
        e, n, _ = frames.enu_basis(np.radians(sel["latitude_deg"]), np.radians(sel["longitude_deg"]))
        r = sel["r_impact_ecef"] + spec.noise_m * (noise[:, :1] * e + noise[:, 1:] * n)
        lat, lon, _ = frames.ecef_to_geodetic(r)
        sel["latitude_deg"], sel["longitude_deg"] = np.degrees(lat), np.degrees(lon)
        sel["r_impact_ecef"] = frames.geodetic_to_ecef(lat, lon, 0.0)
        add_km = spec.noise_m / 1e3
        sel["semi_major_km"] = np.hypot(sel["semi_major_km"], add_km)
        sel["semi_minor_km"] = np.hypot(sel["semi_minor_km"], add_km)
    return SharedPips(t_s=track.t_s[idx], sensor=np.asarray(track.sensor)[idx], pip=ImpactPrediction(**sel)), n_blank


def share(detections, track: TrackResult | None, spec: FeedSpec, *, rng: np.random.Generator,
          object_id: str = "threat") -> Feed:
    """The feed an observer receives about one object.

    ``detections``: the defense's ``Measurements`` per sensor (angles-only ones are not shared);
    ``track``: its fused :class:`~bmdsim.sensing.tracking.TrackResult` (PIPs where ``track.pip`` is finite; see
    :func:`with_pips`), or None. ``rng``: one child generator per stream is spawned from it (detections per
    sensor in the order given, then tracks, then PIPs), so the draws are reproducible from one seed.
    """
    if not isinstance(spec, FeedSpec):
        raise InputError("spec", type(spec).__name__, "pass a FeedSpec, e.g. FeedSpec.parse('latency_s=10')")
    if not isinstance(rng, np.random.Generator):
        raise InputError("rng", type(rng).__name__, "pass a numpy.random.Generator, e.g. np.random.default_rng(1)")
    detections = list(detections)
    rngs = rng.spawn(len(detections) + 2)
    blanked = {"detection": 0, "track": 0, "pip": 0}
    shared: list[Measurements] = []
    if "detections" in spec.content:
        for m, g in zip(detections, rngs, strict=False):
            if spec.sensors is not None and m.sensor not in spec.sensors:
                continue
            if not np.any(np.isfinite(m.range_m)):
                continue
            s, nb = _share_detections(m, spec, g)
            blanked["detection"] += nb
            if len(s):
                shared.append(s)
    tracks = pips = None
    if track is not None and "tracks" in spec.content:
        tracks, blanked["track"] = _share_tracks(track, spec, rngs[-2])
    if track is not None and track.pip is not None and "pips" in spec.content:
        pips, blanked["pip"] = _share_pips(track, spec, rngs[-1])
    return Feed(spec=spec, object_id=str(object_id), detections=tuple(shared), tracks=tracks, pips=pips,
                removed_by_blanking=blanked)


# -------------------------------------------------------------------------------------------- the observer
def with_pips(track: TrackResult, *, dt_s: float = 10.0) -> TrackResult:
    """The track with its PIP computed at updates at least ``dt_s`` apart (and at the last one), NaN between:
    a cadence in time rather than in updates (one batched call of
    :func:`~bmdsim.sensing.tracking.predicted_impact_point`)."""
    n = track.t_s.size
    sel = np.zeros(n, bool)
    if n:
        sel[thin(track.t_s, dt_s)] = True
        sel[-1] = True
    p = predicted_impact_point(track.x_eci[sel], track.P_eci[sel], track.t_s[sel])
    full = {}
    for f in ImpactPrediction.__slots__:
        a = np.asarray(getattr(p, f))
        out = np.full((n,) + a.shape[1:], np.nan)
        out[sel] = a
        full[f] = out
    return replace(track, pip=ImpactPrediction(**full))


@dataclass(frozen=True, slots=True, kw_only=True)
class ObserverPips:
    """The observer's predicted impact points: ``source`` (``pips``, ``tracks``, ``detections`` or ``none``),
    validity and reception times ``(P,)``, and the points (``ImpactPrediction``, ``(P,)``)."""

    source: str
    t_s: np.ndarray
    t_received_s: np.ndarray
    pip: ImpactPrediction | None


def _empty_observer(source="none") -> ObserverPips:
    return ObserverPips(source=source, t_s=np.zeros(0), t_received_s=np.zeros(0), pip=None)


def infer(feed: Feed, *, track_after_s: float = -math.inf, pip_dt_s: float = 10.0, method: str = "ekf") -> ObserverPips:
    """What the observer makes of the feed: its predicted impact points over time, from the best content it
    receives. Shared PIPs are taken as they are; shared track states are flown to the ground
    (:func:`~bmdsim.sensing.tracking.predicted_impact_point`); shared detections after ``track_after_s`` (the
    end of boost: the filter has no thrust model) are tracked with
    :func:`~bmdsim.sensing.tracking.track_object` (centralized fusion) and the PIP taken every ``pip_dt_s``.
    A PIP is available to the observer at ``t_s + latency_s``.
    """
    lat = feed.spec.latency_s
    if feed.pips is not None and feed.pips.t_s.size:
        return ObserverPips(source="pips", t_s=feed.pips.t_s, t_received_s=feed.pips.t_s + lat, pip=feed.pips.pip)
    if feed.tracks is not None and feed.tracks.t_s.size:
        tr = feed.tracks
        k = thin(tr.t_s, pip_dt_s)
        if tr.t_s.size - 1 not in k:
            k = np.append(k, tr.t_s.size - 1)
        p = predicted_impact_point(tr.x_eci[k], tr.P_eci[k], tr.t_s[k])
        return ObserverPips(source="tracks", t_s=tr.t_s[k], t_received_s=tr.t_s[k] + lat, pip=p)
    ms = [m.select(m.t_s > track_after_s) for m in feed.detections]
    ms = [m for m in ms if len(m)]
    if sum(len(m) for m in ms) < 3:
        return _empty_observer("detections" if "detections" in feed.spec.content else "none")
    tr = with_pips(track_object(ms, pip=False, method=method), dt_s=pip_dt_s)
    ok = np.isfinite(tr.pip.latitude_deg)
    p = ImpactPrediction(**{f: np.asarray(getattr(tr.pip, f))[ok] for f in ImpactPrediction.__slots__})
    return ObserverPips(source="detections", t_s=tr.t_s[ok], t_received_s=tr.t_s[ok] + lat, pip=p)


# ------------------------------------------------------------------------------------------------- export
def write_jsonl(messages, path) -> Path:
    """Write messages (dicts, or one or several :class:`Feed`) as JSON lines, atomically (a temporary file in
    the same folder, then renamed). NaN and infinities become ``null``. Returns the path."""
    path = Path(path)
    if isinstance(messages, Feed):
        messages = messages.messages()
    else:
        messages = [m for x in messages for m in (x.messages() if isinstance(x, Feed) else [x])]
    if path.parent and not path.parent.exists():
        raise InputError("path", str(path), f"the folder {path.parent} does not exist; create it first")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            for m in messages:
                fh.write(json.dumps(clean(m), separators=(",", ":")) + "\n")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
