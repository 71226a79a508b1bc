"""The shipped sensor catalogs: ``bmdsim/data/catalogs/radars.yaml`` (radars) and ``sensors.yaml`` (the
infrared early-warning constellation), read with ``importlib.resources``.

Catalog entries speak the edge units (degrees, km, kW, dB); this module turns them into SI records. An entry may
``extend`` another (a named variant overriding a few fields). ``defaults`` maps a short name to one documented
variant (``brdy`` -> one of the two readings of the 170 kW figure).
"""

from __future__ import annotations

import functools
from importlib import resources

import numpy as np
import yaml

from bmdsim.core import radar as rq
from bmdsim.errors import DataError, UnknownNameError
from bmdsim.sensing.infrared import InfraredConstellation
from bmdsim.sensing.radar import Face, Radar

__all__ = ["radar", "radar_names", "radars", "infrared", "infrared_names", "sensor", "resolve_name",
           "radar_from_entry"]

_DEG = np.pi / 180.0


def _read(filename: str) -> dict:
    try:
        text = resources.files("bmdsim").joinpath("data", "catalogs", filename).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError) as exc:  # pragma: no cover - packaging error
        raise DataError(f"the shipped catalog {filename} is missing; reinstall bmdsim") from exc
    return yaml.safe_load(text) or {}


def _flatten(entries: list[dict]) -> dict[str, dict]:
    by_name = {e["name"]: e for e in entries}
    out: dict[str, dict] = {}

    def resolve(name, seen=()):
        if name in out:
            return out[name]
        e = dict(by_name[name])
        base = e.pop("extends", None)
        if base is not None:
            if base in seen or base not in by_name:
                raise DataError(f"catalog entry {name!r} extends {base!r}, which is unknown or circular")
            merged = dict(resolve(base, (*seen, name)))
            merged.pop("abstract", None)
            prov = {**merged.get("provenance", {}), **e.get("provenance", {})}
            merged.update(e)
            merged["provenance"] = prov
            e = merged
        out[name] = e
        return e

    for n in by_name:
        resolve(n)
    return out


@functools.cache
def _radar_catalog() -> tuple[dict[str, dict], dict[str, str]]:
    data = _read("radars.yaml")
    flat = _flatten(data.get("radars", []))
    return {k: v for k, v in flat.items() if not v.get("abstract")}, dict(data.get("defaults", {}))


@functools.cache
def _ir_catalog() -> dict[str, dict]:
    return _flatten(_read("sensors.yaml").get("infrared", []))


def radar_entry(name: str) -> dict:
    """A copy of the catalog mapping (edge units) of the radar called ``name`` or one of its aliases, e.g. to
    apply a scenario's overrides before :func:`radar_from_entry`."""
    return dict(_radar_catalog()[0][resolve_name(name)])


def radar_from_entry(e: dict) -> Radar:
    """Build a :class:`Radar` from one catalog mapping (edge units)."""
    try:
        lam = rq.wavelength_m(e["frequency_hz"])
        peak_w = e["peak_power_kw"] * 1e3
        aperture = float(e["aperture_m2"])
        tx_aperture = float(e.get("transmit_aperture_m2", aperture))
        faces = tuple(Face(azimuth_rad=f["azimuth_deg"] * _DEG, tilt_rad=f.get("tilt_deg", 0.0) * _DEG,
                           azimuth_half_width_rad=f["azimuth_half_width_deg"] * _DEG,
                           max_elevation_rad=f.get("max_elevation_deg", 90.0) * _DEG) for f in e["faces"])
        search = e.get("search") or {}
        track = e["track"]
        det = e.get("detection") or {}
        floors = e.get("floors") or {}
        return Radar(
            name=e["name"], description=e.get("description", ""), latitude_deg=float(e["latitude_deg"]),
            longitude_deg=float(e["longitude_deg"]), altitude_m=float(e["altitude_m"]),
            frequency_hz=float(e["frequency_hz"]), peak_power_w=peak_w, duty_cycle=float(e["duty_cycle"]),
            aperture_m2=aperture, transmit_gain=float(rq.gain_from_aperture(tx_aperture, lam)),
            beamwidth_rad=e["beamwidth_deg"] * _DEG, noise_temperature_k=float(e["noise_temperature_k"]),
            losses_db=float(e["losses_db"]), bandwidth_hz=float(e["bandwidth_hz"]),
            min_elevation_rad=e["min_elevation_deg"] * _DEG, max_range_m=e["max_range_km"] * 1e3, faces=faces,
            scan_loss_exponent=float(e.get("scan_loss_exponent", 0.0)),
            track_dwell_s=float(track["dwell_s"]), track_revisit_s=float(track["revisit_s"]),
            search_frame_s=float(search.get("frame_s", 0.0)), search_beams=int(search.get("beams", 0)),
            search_power_fraction=float(search.get("power_fraction", 0.0)),
            fence_height_rad=search.get("fence_height_deg", 0.0) * _DEG,
            volume_power_fraction=float(search.get("volume_power_fraction", 0.0)),
            pfa=float(det.get("pfa", 1e-6)), swerling=int(det.get("swerling", 1)),
            n_pulses=int(det.get("n_pulses", 1)), pd_design=float(det.get("pd_design", 0.9)),
            m_of_n=(int(det.get("m", 2)), int(det.get("n", 3))), needs_cue=bool(e.get("needs_cue", False)),
            handover_delay_s=float(e.get("handover_delay_s", 0.0)),
            measures_range_rate=bool(e.get("measures_range_rate", True)),
            range_floor_m=float(floors.get("range_m", 0.0)), angle_floor_rad=floors.get("angle_mrad", 0.0) * 1e-3,
            range_rate_floor_mps=float(floors.get("range_rate_mps", 0.0)), source=str(e.get("source", "")),
            label=str(e.get("label", "NOTIONAL")),
            provenance=tuple((str(k), str(v)) for k, v in (e.get("provenance") or {}).items()))
    except KeyError as exc:
        raise DataError(f"radar catalog entry {e.get('name')!r} lacks the field {exc.args[0]!r}") from None


def resolve_name(name: str) -> str:
    """The catalog name a short name (``brdy``) stands for; unknown names raise :class:`UnknownNameError`."""
    entries, defaults = _radar_catalog()
    key = str(name).strip().lower()
    if key in entries:
        return key
    if key in defaults:
        return defaults[key]
    raise UnknownNameError("radar", name, [*entries, *defaults])


def radar_names(*, with_aliases: bool = False) -> list[str]:
    """Names of the catalog radars (variants included), and the short default names if asked."""
    entries, defaults = _radar_catalog()
    return [*entries, *defaults] if with_aliases else list(entries)


@functools.cache
def radar(name: str) -> Radar:
    """The catalog radar ``name`` (a variant name or a short default name such as ``brdy``).

    >>> radar("brdy").name
    'brdy-emr-peak-170kw'
    """
    return radar_from_entry(_radar_catalog()[0][resolve_name(name)])


def radars() -> list[Radar]:
    """Every catalog radar, variants included, in catalog order."""
    return [radar(n) for n in radar_names()]


def infrared_names() -> list[str]:
    return list(_ir_catalog())


@functools.cache
def infrared(name: str) -> InfraredConstellation:
    """The catalog infrared constellation ``name``."""
    entries = _ir_catalog()
    if name not in entries:
        raise UnknownNameError("sensor", name, entries)
    e = entries[name]
    try:
        m, n = e.get("m_of_n", [2, 3])
        return InfraredConstellation(
            name=e["name"], description=e.get("description", ""),
            longitudes_deg=tuple(float(x) for x in e["longitudes_deg"]), altitude_m=e["altitude_km"] * 1e3,
            cloud_top_m=e["cloud_top_km"] * 1e3, latency_s=float(e["latency_s"]), revisit_s=float(e["revisit_s"]),
            los_sigma_rad=e["los_sigma_urad"] * 1e-6, pd_per_scan=float(e["pd_per_scan"]), m_of_n=(int(m), int(n)),
            source=str(e.get("source", "")), label=str(e.get("label", "NOTIONAL")),
            provenance=tuple((str(k), str(v)) for k, v in (e.get("provenance") or {}).items()))
    except KeyError as exc:
        raise DataError(f"sensor catalog entry {name!r} lacks the field {exc.args[0]!r}") from None


def sensor(name: str) -> Radar | InfraredConstellation:
    """A radar or an infrared constellation by name."""
    if name in _ir_catalog():
        return infrared(name)
    entries, defaults = _radar_catalog()
    if str(name).lower() in entries or str(name).lower() in defaults:
        return radar(name)
    raise UnknownNameError("sensor", name, [*entries, *defaults, *_ir_catalog()])
