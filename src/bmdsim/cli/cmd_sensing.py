"""Sensing commands: ``radars`` (the catalog) and ``coverage`` (horizon, detection range, footprint areas)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import typer

from bmdsim.cli._common import check_output_file, echo_json
from bmdsim.core import radar as rq
from bmdsim.errors import InputError
from bmdsim.sensing import catalog, coverage
from bmdsim.sensing.radar import REFRACTION_MODELS

MAX_ALTITUDES = 50
MAX_ALTITUDE_KM = 100_000.0


def _parse_altitudes_km(text: str) -> list[float]:
    try:
        vals = [float(x) for x in str(text).split(",") if x.strip()]
    except ValueError:
        raise InputError("--altitude-km", text, "give target altitudes in km separated by commas, e.g. 100,500")\
            from None
    if not vals:
        raise InputError("--altitude-km", text, "give at least one target altitude in km, e.g. 100,500")
    if len(vals) > MAX_ALTITUDES:
        raise InputError("--altitude-km", f"{len(vals)} values", f"give at most {MAX_ALTITUDES} altitudes")
    for v in vals:
        if not math.isfinite(v) or v < 0.0:
            raise InputError("--altitude-km", v, "a target altitude below ground (< 0 km) cannot be seen; give "
                             "altitudes of 0 km or more above the ellipsoid")
        if v > MAX_ALTITUDE_KM:
            raise InputError("--altitude-km", v, f"give target altitudes up to {MAX_ALTITUDE_KM:,.0f} km (beyond "
                             "any radar's reach)")
    return vals


def _plot(path: Path, radar, prints, altitudes_km) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if path.suffix.lower() != ".png":
        raise InputError("--png", str(path), "give a file name ending in .png")
    fig, ax = plt.subplots(figsize=(7, 6))
    for fp, h in zip(prints, altitudes_km, strict=True):
        lon = np.append(fp.outer_longitude_deg, fp.outer_longitude_deg[0])
        lat = np.append(fp.outer_latitude_deg, fp.outer_latitude_deg[0])
        ax.plot(lon, lat, label=f"{h:g} km: {fp.area_m2 / 1e6:,.0f} km$^2$")
    ax.plot([radar.longitude_deg], [radar.latitude_deg], "k^", label=radar.name)
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    ax.set_aspect(1.0 / max(math.cos(math.radians(radar.latitude_deg)), 0.2))
    ax.grid(True, lw=0.3)
    rcs = prints[0].rcs_m2 if prints else float("nan")
    ax.set_title(f"{radar.name}: coverage of a {rcs:g} m$^2$ target by altitude ({radar.label})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    tmp = path.with_name(path.name + ".partial.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)


def register(app: typer.Typer) -> None:
    @app.command()
    def radars(json_out: bool = typer.Option(False, "--json", help="Print one JSON object.")):
        """List the radar catalog (variants included) with site, frequency and source."""
        rows = []
        for r in catalog.radars():
            rows.append({"name": r.name, "latitude_deg": r.latitude_deg, "longitude_deg": r.longitude_deg,
                         "altitude_m": r.altitude_m, "frequency_hz": r.frequency_hz, "source": r.source,
                         "label": r.label, "needs_cue": r.needs_cue, "faces": len(r.faces),
                         "peak_power_kw": r.peak_power_w / 1e3, "average_power_kw": r.average_power_w / 1e3,
                         # the limits that shape its coverage (bmdsim coverage)
                         "min_elevation_deg": math.degrees(r.min_elevation_rad), "max_range_km": r.max_range_m / 1e3,
                         "pd_design": r.pd_design, "searches": r.searches,
                         "fields_of_regard": list(r.fields_of_regard)})
        aliases = {k: catalog.resolve_name(k) for k in catalog.radar_names(with_aliases=True)
                   if k not in catalog.radar_names()}
        if json_out:
            echo_json({"radars": rows, "defaults": aliases})
            return
        for row in rows:
            typer.echo(f"{row['name']:<24} {row['latitude_deg']:8.3f} {row['longitude_deg']:9.3f} "
                       f"{row['frequency_hz'] / 1e6:8.0f} MHz  {row['average_power_kw']:7.1f} kW avg  "
                       f"{row['label']}")
        for k, v in aliases.items():
            typer.echo(f"{k} -> {v}")

    @app.command("coverage")
    def coverage_cmd(
        radar: str = typer.Option(..., "--radar", help="Catalog radar name (see `bmdsim radars`)."),
        altitude_km: str = typer.Option("100,300,500,1000", help="Target altitudes above the ellipsoid, km, "
                                        "comma-separated."),
        rcs_m2: float = typer.Option(1.0, help="Target radar cross-section, m^2."),
        refraction: str = typer.Option("none", help="Refraction model: none (straight rays) or 4/3 (4/3 Earth; "
                                       "overstates bending for targets outside the atmosphere)."),
        png: Path = typer.Option(None, help="Draw the footprints to this PNG file."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ):
        """Per target altitude: the line-of-sight horizon ground range, the ground range above the radar's minimum
        elevation, the detection ground range for an RCS (track mode, radar equation only) and the covered area
        (minimum elevation, field of regard, instrumented and detection range)."""
        r = catalog.radar(radar)
        if not (math.isfinite(rcs_m2) and 0 < rcs_m2 <= 1e6):
            raise InputError("--rcs-m2", rcs_m2, "give a positive radar cross-section in m^2 (at most 1e6), e.g. 0.1")
        if refraction not in REFRACTION_MODELS:
            raise InputError("--refraction", refraction, "use none or 4/3")
        alts = _parse_altitudes_km(altitude_km)
        if png is not None:
            check_output_file("--png", png, (".png",))
        h_m = np.asarray(alts) * 1e3
        los = coverage.horizon_ground_range_m(r, h_m, refraction=refraction, use_min_elevation=False)
        horizon = coverage.horizon_ground_range_m(r, h_m, refraction=refraction)
        det_ground = coverage.detection_ground_range_m(r, h_m, rcs_m2, refraction=refraction)
        prints = [coverage.footprint(r, h, rcs_m2, refraction=refraction) for h in h_m]
        out = {
            "radar": r.name, "label": r.label, "source": r.source, "latitude_deg": r.latitude_deg,
            "longitude_deg": r.longitude_deg, "altitude_m": r.altitude_m, "rcs_m2": rcs_m2,
            "refraction": refraction, "altitude_km": alts,
            "azimuth_deg": math.degrees(coverage.default_azimuth_rad(r)),
            "min_elevation_deg": math.degrees(r.min_elevation_rad),
            "line_of_sight_horizon_ground_range_km": (los / 1e3).tolist(),
            "min_elevation_ground_range_km": (horizon / 1e3).tolist(),
            "detection_range_km": float(r.detection_range_m(rcs_m2)) / 1e3,
            "search_detection_range_km": (float(r.detection_range_m(rcs_m2, mode="search")) / 1e3
                                          if r.searches else None),
            "snr_required_db": float(rq.db(r.snr_required())),
            "max_range_km": r.max_range_m / 1e3,
            "detection_ground_range_km": (det_ground / 1e3).tolist(),
            "covered_area_km2": [fp.area_m2 / 1e6 for fp in prints],
        }
        if png is not None:
            _plot(Path(png), r, prints, alts)
            out["png"] = str(png)
        if json_out:
            echo_json(out)
            return
        typer.echo(f"{r.name} ({r.label}) at {r.latitude_deg:.4f}, {r.longitude_deg:.4f}; RCS {rcs_m2:g} m^2; "
                   f"detection range {out['detection_range_km']:,.0f} km (track, Pd {r.pd_design:g}, "
                   f"SNR {out['snr_required_db']:.1f} dB)")
        for i, h in enumerate(alts):
            typer.echo(f"  {h:7.0f} km: line-of-sight horizon {out['line_of_sight_horizon_ground_range_km'][i]:7.0f} "
                       f"km, above {out['min_elevation_deg']:g} deg elevation to "
                       f"{out['min_elevation_ground_range_km'][i]:7.0f} km, detected to "
                       f"{out['detection_ground_range_km'][i]:7.0f} km, area {out['covered_area_km2'][i]:12,.0f} km^2")
