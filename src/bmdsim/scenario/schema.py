"""Scenario schema (pydantic v2). Keys carry their units; catalog entries are referenced by name.

A scenario file is YAML with these top-level keys (all but ``name`` and ``epoch_utc`` optional):

- ``schema_version`` (int, this is version 1), ``name``, ``description``, ``epoch_utc`` (UTC) and ``seed``;
- ``sites``: extra named places (or overrides of catalog places), referenced by name everywhere below;
- ``sensors``: catalog radars or infrared constellations by name, with ``overrides`` of catalog fields;
- ``interceptor_sites``: where interceptors stand, how many, which variant(s), doctrine and readiness;
- ``threats``: raids (launch site, target, launch time, missile, profile, count, decoys);
- ``observers``: who receives a shared radar feed of which radars: content, latency, interval, added error and
  regions held back (:class:`Observer`);
- ``aircraft``: aircraft tracks to check against sovereign airspace (bundled name or a file beside the
  scenario);
- ``analyses``: which analyses to run and their parameters.

Names of catalog entries are checked here (with "did you mean"), so a scenario that validates can run. Paths
may only name files relative to the scenario's folder, never absolute or with ``..``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from bmdsim.core.checks import LATITUDE_HINT, LONGITUDE_HINT, bad_latitude, bad_longitude, latlon_problem
from bmdsim.errors import did_you_mean
from bmdsim.flight.profiles import DEFAULT_PROFILE, PROFILES, profile_problem
from bmdsim.sensing.feed import CONTENTS as _FEED_CONTENTS
from bmdsim.sensing.feed import DEFAULT_CONTENT as _FEED_DEFAULT
from bmdsim.sensing.feed import LIMITS as _FEED_LIMITS

__all__ = ["SCHEMA_VERSION", "Scenario", "Raid", "Sensor", "InterceptorSite", "Doctrine", "Readiness", "Observer",
           "BlankBox", "Aircraft", "Analyses", "SiteDef", "PROFILES"]

SCHEMA_VERSION = 1
MAX_SEED = 2**63 - 1  #: seeds are stored as a signed 64-bit integer (BIGINT in results.duckdb)


def _did_you_mean(value: str, known) -> str:
    return did_you_mean(value, known, limit=25)


def _check_site_ref(v: str, info: ValidationInfo) -> str:
    """A site name (catalog or the scenario's ``sites``) or ``LAT,LON`` in degrees."""
    from bmdsim.flight import sites

    text = str(v).strip()
    if "," in text:
        parts = text.split(",")
        try:
            if len(parts) != 2:
                raise ValueError
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            raise ValueError("give 'LAT,LON' in degrees (e.g. '35.23,53.92') or a site name") from None
        problem = latlon_problem(lat, lon)
        if problem:
            raise ValueError(problem)
        return text
    local = (info.context or {}).get("site_names", set())
    if text not in sites.all_sites() and text not in local:
        raise ValueError("unknown site; " + _did_you_mean(text, set(sites.all_sites()) | set(local))
                         + " (or add it under 'sites', or give 'LAT,LON')")
    return text


def _check_missile(v: str) -> str:
    from bmdsim.flight import catalog

    if v not in catalog.threat_names():
        raise ValueError("unknown missile; " + _did_you_mean(v, catalog.threat_names()))
    return v


def _infrared_names() -> set[str]:
    from bmdsim.sensing import catalog as sc

    return set(sc.infrared_names())


class _Strict(BaseModel):
    # every number of a scenario is finite: NaN and infinity are refused with the field's position
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


#: positive numeric radar fields: an override of zero or less would make a radar that silently never detects
_POSITIVE_RADAR_FIELDS = ("peak_power_kw", "frequency_hz", "aperture_m2", "transmit_aperture_m2", "bandwidth_hz",
                          "noise_temperature_k", "max_range_km", "beamwidth_deg", "duty_cycle")
#: the years the time base holds (seconds from the epoch as float64 and numpy datetime64[ns] timestamps)
EPOCH_YEARS = (1900, 2200)


class SiteDef(_Strict):
    """A named place added by the scenario (or replacing a catalog place of the same name)."""

    name: str = Field(min_length=1, max_length=64)
    latitude_deg: float = Field(ge=-90.0, le=90.0)
    longitude_deg: float = Field(ge=-180.0, le=180.0)
    altitude_m: float = Field(0.0, ge=-500.0, le=10_000.0)
    kind: str = "place"
    label: str = "SCENARIO"
    source: str = "given in the scenario file"


class Sensor(_Strict):
    """A catalog sensor (``bmdsim radars``; or the infrared constellation ``ew-satellites``), optionally moved
    or with catalog fields overridden (edge units, the catalog's key names, e.g. ``peak_power_kw``)."""

    catalog: str = Field(description="catalog radar or infrared sensor name")
    name: str | None = Field(None, description="name in this scenario; default: the catalog name")
    latitude_deg: float | None = Field(None, ge=-90.0, le=90.0)
    longitude_deg: float | None = Field(None, ge=-180.0, le=180.0)
    altitude_m: float | None = Field(None, ge=-500.0, le=10_000.0)
    # checked against the catalog field's type by _check_override (one message, not one per union member)
    overrides: dict[str, Any] = Field(default_factory=dict)

    @field_validator("catalog")
    @classmethod
    def _known(cls, v: str) -> str:
        from bmdsim.sensing import catalog as sc

        known = set(sc.radar_names(with_aliases=True)) | set(sc.infrared_names())
        if v not in known:
            raise ValueError("unknown sensor; " + _did_you_mean(v, known))
        return v

    @model_validator(mode="after")
    def _overrides_known(self):
        from bmdsim.sensing import catalog as sc

        if not self.overrides:
            return self
        if self.catalog in sc.infrared_names():
            raise ValueError("overrides are supported for radars only; remove 'overrides'")
        entry = sc.radar_entry(self.catalog)
        allowed = {k for k, v in entry.items() if isinstance(v, int | float | str | bool)} - {"name", "extends"}
        for k, v in self.overrides.items():
            if k not in allowed:
                raise ValueError(f"overrides: unknown radar field {k!r}; " + _did_you_mean(k, allowed))
            _check_override(k, v, entry[k])
        try:
            radar = sc.radar_from_entry({**entry, **self.overrides})
            ok = math.isfinite(float(radar.detection_range_m(1.0)))
        except Exception as exc:  # noqa: BLE001 - any failure to build the radar is this override's fault
            raise ValueError(f"overrides: these values do not make a working radar ({exc})") from None
        if not ok:
            raise ValueError("overrides: these values do not make a working radar (no finite detection range)")
        return self

    @property
    def label(self) -> str:
        return self.name or self.catalog


def _check_override(key: str, value, catalog_value) -> None:
    """An override has the catalog field's type; numbers are finite, and positive where the catalog's are."""
    if isinstance(catalog_value, bool):
        if not isinstance(value, bool):
            raise ValueError(f"overrides: {key} = {value!r}: give true or false")
    elif isinstance(catalog_value, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"overrides: {key} = {value!r}: give a plain number (the unit is in the key's name)")
        if not math.isfinite(value) or abs(value) > 1e15:
            raise ValueError(f"overrides: {key} = {value!r}: give a finite number")
        if (key in _POSITIVE_RADAR_FIELDS or catalog_value > 0 and key.endswith(("_s", "_kw", "_hz"))) and \
                not value > 0:
            raise ValueError(f"overrides: {key} = {value!r}: must be positive (the catalog has {catalog_value})")
        if key == "duty_cycle" and value > 1:
            raise ValueError(f"overrides: duty_cycle = {value!r}: give a fraction between 0 and 1")
        if key == "latitude_deg" and bad_latitude(value) or key == "longitude_deg" and bad_longitude(value):
            raise ValueError(f"overrides: {key} = {value!r}: out of range "
                             f"({LATITUDE_HINT if key == 'latitude_deg' else LONGITUDE_HINT})")
    elif not isinstance(value, str):
        raise ValueError(f"overrides: {key} = {value!r}: give text")
    if isinstance(value, str) and len(value) > 10_000:
        raise ValueError(f"overrides: {key}: the text is too long")


class Doctrine(_Strict):
    """How many interceptors per threat: ``salvo`` fires ``shots_per_threat`` at once; ``shoot-look-shoot``
    fires one, assesses, and fires again if time allows."""

    mode: Literal["salvo", "shoot-look-shoot"] = "shoot-look-shoot"
    shots_per_threat: int = Field(2, ge=1, le=10)
    single_shot_kill_probability: float = Field(0.7, ge=0.0, le=1.0)


class Readiness(_Strict):
    """``on-alert``: ready from the epoch; ``delayed``: activated only ``activation_delay_s`` after the first
    launch of the scenario (e.g. the time to bring a politically held system to alert)."""

    state: Literal["on-alert", "delayed"] = "on-alert"
    activation_delay_s: float = Field(0.0, ge=0.0, le=86_400.0)

    @model_validator(mode="after")
    def _consistent(self):
        if self.state == "on-alert" and self.activation_delay_s > 0:
            raise ValueError("an on-alert site has no activation delay; set state: delayed, or remove "
                             "activation_delay_s")
        return self


class InterceptorSite(_Strict):
    """Interceptors at a site: the variant engagements use, and the disputed variants analyses compare."""

    name: str
    site: str
    interceptor: str = Field(description="catalog interceptor variant, see `bmdsim missiles`")
    variants: list[str] = Field(default_factory=list, description="variants compared by the analyses")
    inventory: int = Field(10, ge=0, le=1000)
    doctrine: Doctrine = Field(default_factory=Doctrine)
    readiness: Readiness = Field(default_factory=Readiness)

    @field_validator("site")
    @classmethod
    def _site(cls, v, info: ValidationInfo):
        return _check_site_ref(v, info)

    @field_validator("interceptor")
    @classmethod
    def _interceptor(cls, v: str) -> str:
        from bmdsim.flight import catalog

        if v not in catalog.interceptor_names():
            raise ValueError("unknown interceptor; " + _did_you_mean(v, catalog.interceptor_names()))
        return v

    @field_validator("variants")
    @classmethod
    def _variants(cls, v: list[str]) -> list[str]:
        from bmdsim.flight import catalog

        for x in v:
            if x not in catalog.interceptor_names():
                raise ValueError(f"unknown interceptor {x!r}; " + _did_you_mean(x, catalog.interceptor_names()))
        return v

    @property
    def all_variants(self) -> list[str]:
        return list(dict.fromkeys([self.interceptor, *self.variants]))


class Raid(_Strict):
    """Threats from one launch point to one target."""

    name: str | None = None
    missile: str = Field(description="catalog name, see `bmdsim missiles`")
    launch: str = Field(description="site name or 'LAT,LON' in degrees")
    target: str = Field(description="site name or 'LAT,LON' in degrees")
    profile: str = DEFAULT_PROFILE
    #: seconds since the scenario epoch; ``launch_time_s`` (session 2's key) is still read, for existing files
    launch_t_s: float = Field(0.0, ge=0.0, le=86_400.0, validation_alias=AliasChoices("launch_t_s", "launch_time_s"),
                              description="launch, s after the scenario epoch")
    count: int = Field(1, ge=1, le=1000)
    decoys: int = Field(0, ge=0, le=100)
    rcs_m2: float = Field(0.1, gt=0.0, le=100.0, description="radar cross-section of the warhead (m^2)")

    @field_validator("profile")
    @classmethod
    def _profile(cls, v: str) -> str:
        problem = profile_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("missile")
    @classmethod
    def _missile(cls, v: str) -> str:
        return _check_missile(v)

    @field_validator("launch", "target")
    @classmethod
    def _sites(cls, v, info: ValidationInfo):
        return _check_site_ref(v, info)


class BlankBox(_Strict):
    """A region the defense does not share: a latitude/longitude box (south-west, then north-east corner;
    ``longitude0_deg > longitude1_deg`` crosses the antimeridian) with an optional altitude band in km (default
    from the ground up, unlimited). Tested on the defense's own position estimate, not on the truth."""

    latitude0_deg: float = Field(ge=-90.0, le=90.0)
    longitude0_deg: float = Field(ge=-180.0, le=180.0)
    latitude1_deg: float = Field(ge=-90.0, le=90.0)
    longitude1_deg: float = Field(ge=-180.0, le=180.0)
    altitude0_km: float = Field(0.0, ge=0.0, le=100_000.0)
    altitude1_km: float | None = Field(None, gt=0.0, description="top of the band (km); default unlimited")

    @model_validator(mode="after")
    def _box(self):
        from bmdsim.errors import InputError

        try:
            self.region()
        except InputError as exc:
            raise ValueError(exc.hint.replace("LAT0 < LAT1", "latitude0_deg < latitude1_deg")
                             .replace("ALT1_KM > ALT0_KM", "altitude1_km > altitude0_km")) from None
        return self

    def region(self):
        """The :class:`bmdsim.sensing.feed.BlankRegion` of this box (SI inside)."""
        import math

        from bmdsim.sensing.feed import BlankRegion

        top = math.inf if self.altitude1_km is None else self.altitude1_km * 1e3
        return BlankRegion(lat0_deg=self.latitude0_deg, lon0_deg=self.longitude0_deg, lat1_deg=self.latitude1_deg,
                           lon1_deg=self.longitude1_deg, alt0_m=self.altitude0_km * 1e3, alt1_m=top)


FEED_CONTENTS = _FEED_CONTENTS     #: the feed's own list (bmdsim.sensing.feed.CONTENTS)


class Observer(_Strict):
    """A party that receives a shared radar feed (the model of :mod:`bmdsim.sensing.feed`; FEEDSPEC keys in
    scenario style). ``feed_from`` names the radars whose data are shared: their detections, and the track fused
    from their reports after burnout (the defense's own track when every radar is named). ``content`` is any of
    detections, tracks (states with covariance), pips (predicted impact points); each message arrives
    ``latency_s`` after its validity, at most one per stream per ``interval_s``, with ``noise_m`` (positions)
    and ``noise_mps`` (track velocities) of added 1-sigma error; ``blank`` boxes are held back. The feed is
    written to ``feed-NAME.jsonl`` in the output folder."""

    name: str = Field(description="file-safe name: letters, digits, '.', '_', '-'")
    feed_from: list[str] = Field(min_length=1, description="names of the scenario's radars")
    content: list[Literal[_FEED_CONTENTS]] = Field(
        default_factory=lambda: list(_FEED_DEFAULT), description="any of " + ", ".join(_FEED_CONTENTS))
    latency_s: float = Field(0.0, ge=0.0, le=_FEED_LIMITS["latency_s"],
                             description="validity to reception (s)")
    interval_s: float = Field(0.0, ge=0.0, le=_FEED_LIMITS["interval_s"],
                              description="at most one message per stream per interval "
                              "(s); 0 = all")
    noise_m: float = Field(0.0, ge=0.0, le=_FEED_LIMITS["noise_m"],
                           description="added 1-sigma error on shared positions (m)")
    noise_mps: float = Field(0.0, ge=0.0, le=_FEED_LIMITS["noise_mps"],
                             description="added 1-sigma error on track velocities (m/s)")
    blank: list[BlankBox] = Field(default_factory=list, description="regions not shared")

    @field_validator("name")
    @classmethod
    def _file_safe(cls, v: str) -> str:
        import re

        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", v):
            raise ValueError("give a name of letters, digits, '.', '_' or '-' (up to 64, not starting with '.' "
                             "or '-'): it names the file feed-NAME.jsonl")
        return v

    @field_validator("content", mode="before")
    @classmethod
    def _one_or_many(cls, v):
        return [v] if isinstance(v, str) else v

    @field_validator("content")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("share at least one of " + ", ".join(FEED_CONTENTS))
        if len(set(v)) != len(v):
            raise ValueError("name each kind once: any of " + ", ".join(FEED_CONTENTS))
        return v

    def feed_spec(self):
        """The :class:`bmdsim.sensing.feed.FeedSpec` of this observer (``sensors`` = ``feed_from``)."""
        from bmdsim.sensing.feed import FeedSpec

        return FeedSpec(content=tuple(self.content), latency_s=self.latency_s, interval_s=self.interval_s,
                        noise_m=self.noise_m, noise_mps=self.noise_mps,
                        blank=tuple(b.region() for b in self.blank), sensors=tuple(self.feed_from))


class Aircraft(_Strict):
    """An aircraft track: a bundled track (``bundled: tu160-2007-10-25``) or a CSV/Parquet file next to the
    scenario (``file: tracks/my-flight.csv``)."""

    name: str
    bundled: str | None = None
    file: str | None = None
    home_countries: list[str] = Field(default_factory=list, description="ISO alpha-3 codes, e.g. RUS")
    points_of_interest: list[str] = Field(default_factory=list, description="site names")
    compare_with_usual_routes: bool = True

    @field_validator("file")
    @classmethod
    def _relative(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if PurePosixPath(v).is_absolute() or PureWindowsPath(v).is_absolute() or PureWindowsPath(v).drive:
            raise ValueError("give a path relative to the scenario's folder, not an absolute path")
        if ".." in PurePosixPath(v.replace("\\", "/")).parts:
            raise ValueError("'..' is not allowed: a scenario may only name files in its own folder or below")
        if not v.lower().endswith((".csv", ".parquet", ".pq")):
            raise ValueError("give a .csv or .parquet track file")
        return v

    @field_validator("bundled")
    @classmethod
    def _bundled(cls, v: str | None) -> str | None:
        if v is None:
            return v
        from importlib import resources

        known = [p.name[:-4] for p in resources.files("bmdsim.data").joinpath("tracks").iterdir()
                 if p.name.endswith(".csv")]
        if v not in known:
            raise ValueError("unknown bundled track; " + _did_you_mean(v, known))
        return v

    @field_validator("points_of_interest")
    @classmethod
    def _pois(cls, v: list[str], info: ValidationInfo) -> list[str]:
        return [_check_site_ref(x, info) for x in v]

    @model_validator(mode="after")
    def _one_source(self):
        if (self.bundled is None) == (self.file is None):
            raise ValueError("give exactly one of 'bundled' (a shipped track name) or 'file' (a path)")
        return self


class FootprintAnalysis(_Strict):
    """Defended footprint: which ground points the defense protects against launches from a region."""

    enabled: bool = True
    launch_sites: list[str] = Field(default_factory=lambda: ["semnan"])
    missile: str = "icbm-liquid-10000"
    grid_step_deg: float = Field(2.0, ge=0.25, le=10.0)
    region_deg: tuple[float, float, float, float] = Field((-12.0, 34.0, 35.0, 66.0),
                                                          description="lon_min, lat_min, lon_max, lat_max")
    verify_cells: int = Field(12, ge=0, le=1000, description="cells of each site's main variant whose verdict is "
                              "checked by flying (boundary both sides, far cells; engagement.verify)")

    @field_validator("launch_sites")
    @classmethod
    def _sites(cls, v, info: ValidationInfo):
        return [_check_site_ref(x, info) for x in v]

    @field_validator("region_deg")
    @classmethod
    def _region(cls, v):
        lon0, lat0, lon1, lat1 = v
        if not (-180 <= lon0 < lon1 <= 180 and -90 <= lat0 < lat1 <= 90):
            raise ValueError("give [lon_min, lat_min, lon_max, lat_max] in degrees with lon_min < lon_max within "
                             "[-180, 180] and lat_min < lat_max within [-90, 90], e.g. [-12, 34, 35, 66]")
        return v

    @field_validator("missile")
    @classmethod
    def _missile(cls, v: str) -> str:
        return _check_missile(v)


class ChaseAnalysis(_Strict):
    """Which ICBM flights the interceptors could reach, per disputed burnout speed."""

    enabled: bool = True
    threats: list[str] = Field(default_factory=list, description="threat names; default: all ICBM raids")


class CoverageAnalysis(_Strict):
    enabled: bool = True
    altitudes_km: list[float] = Field(default_factory=lambda: [100.0, 300.0, 1000.0], min_length=1)
    rcs_m2: float = Field(0.1, gt=0.0)

    @field_validator("altitudes_km")
    @classmethod
    def _alts(cls, v):
        for h in v:
            if not 0.0 <= h <= 5000.0:
                raise ValueError(f"altitude {h} km: give target altitudes between 0 and 5000 km")
        return v


class DecisionTimeAnalysis(_Strict):
    enabled: bool = True


class SharingAnalysis(_Strict):
    enabled: bool = True


class AirspaceAnalysis(_Strict):
    enabled: bool = True


class Analyses(_Strict):
    """Which analyses run, with their parameters (each has ``enabled``)."""

    footprint: FootprintAnalysis = Field(default_factory=FootprintAnalysis)
    chase: ChaseAnalysis = Field(default_factory=ChaseAnalysis)
    coverage: CoverageAnalysis = Field(default_factory=CoverageAnalysis)
    decision_time: DecisionTimeAnalysis = Field(default_factory=DecisionTimeAnalysis)
    sharing: SharingAnalysis = Field(default_factory=SharingAnalysis)
    airspace: AirspaceAnalysis = Field(default_factory=AirspaceAnalysis)


class Scenario(_Strict):
    schema_version: int = Field(SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION)
    name: str = Field(min_length=1, max_length=80)
    description: str = ""
    epoch_utc: datetime
    seed: int = Field(0, ge=0, le=MAX_SEED)
    trajectory_step_s: float = Field(5.0, ge=0.5, le=60.0, description="spacing of stored trajectory samples")
    sites: list[SiteDef] = Field(default_factory=list)
    sensors: list[Sensor] = Field(default_factory=list)
    interceptor_sites: list[InterceptorSite] = Field(default_factory=list)
    threats: list[Raid] = Field(default_factory=list)
    observers: list[Observer] = Field(default_factory=list)
    aircraft: list[Aircraft] = Field(default_factory=list)
    analyses: Analyses = Field(default_factory=Analyses)

    @field_validator("epoch_utc")
    @classmethod
    def _utc(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("give the time zone: UTC, e.g. 2007-10-25T12:00:00Z")
        if v.utcoffset().total_seconds() != 0:
            raise ValueError("the epoch must be in UTC (end it with Z)")
        if not EPOCH_YEARS[0] <= v.year <= EPOCH_YEARS[1]:
            raise ValueError(f"give an epoch between the years {EPOCH_YEARS[0]} and {EPOCH_YEARS[1]} (the range "
                             "the time base and the exported timestamps hold)")
        return v.astimezone(UTC)

    def threat_names(self) -> list[str]:
        return [r.name or f"threat-{i}" for i, r in enumerate(self.threats)]

    def cross_reference_problems(self) -> list[tuple[tuple, object, str]]:
        """Checks across sections: ``(loc, value, message)`` for each problem (empty when consistent)."""
        out = []
        if not self.threats:
            out.append((("threats",), None, "a scenario needs at least one raid; add one under 'threats:', e.g. "
                        "{missile: irbm-3700, launch: semnan, target: berlin}"))
        labels = [s.label for s in self.sensors]
        for i, s in enumerate(self.sensors):
            if labels.index(s.label) != i:
                out.append((("sensors", i, "name" if s.name else "catalog"), s.label,
                            "this sensor name appears twice; give each sensor a distinct 'name'"))
        names = [r.name for r in self.threats]
        for i, n in enumerate(names):
            if n and names.index(n) != i:
                out.append((("threats", i, "name"), n, "this raid name appears twice; give each raid a distinct "
                            "name"))
        infrared = {s.label for s in self.sensors if s.catalog in _infrared_names()}
        observers = [o.name for o in self.observers]
        for i, o in enumerate(self.observers):
            if observers.index(o.name) != i:
                out.append((("observers", i, "name"), o.name, "this observer name appears twice; give each observer "
                            "a distinct name (it names its feed file)"))
            for j, s in enumerate(o.feed_from):
                if s not in labels:
                    out.append((("observers", i, "feed_from", j), s, "not one of this scenario's sensors; "
                                + _did_you_mean(s, labels)))
                elif s in infrared:
                    out.append((("observers", i, "feed_from", j), s, "only radar data are shared (a detection "
                                "needs a range); name radars: " + ", ".join(x for x in labels if x not in infrared)))
        for i, a in enumerate(self.analyses.chase.threats):
            if a not in names:
                out.append((("analyses", "chase", "threats", i), a, "not one of this scenario's raids; "
                            + _did_you_mean(a, [n for n in names if n])))
        return out
