"""The ``airspace`` command: check aircraft tracks against territorial airspace, coasts and places."""

from __future__ import annotations

from pathlib import Path

import typer

from bmdsim.cli._common import check_output_file, echo_json, parse_latlon
from bmdsim.errors import InputError


def _parse_poi(text: str):
    from bmdsim.airspace import PointOfInterest

    name, sep, where = text.partition("=")
    if not sep or not name.strip():
        raise InputError("--poi", text, "give NAME=LAT,LON in degrees, e.g. Noordwijk=52.24,4.43")
    lat, lon = parse_latlon("--poi", where)
    return PointOfInterest(name=name.strip(), latitude_deg=lat, longitude_deg=lon)


def register(app: typer.Typer) -> None:
    @app.command()
    def airspace(
        tracks: Path = typer.Argument(..., help="Track file (.csv or .parquet): time, latitude, longitude, "
                                      "[altitude], [id/callsign]. 'tu160' = the bundled notional bomber route."),
        poi: list[str] = typer.Option([], "--poi", help="Point of interest NAME=LAT,LON (degrees); repeatable."),
        zones: Path = typer.Option(None, "--zones", help="GeoJSON of baselines, territorial zones or other zones "
                                   "(properties: name, kind = baseline|territorial|zone, country)."),
        reference: Path = typer.Option(None, "--reference", help="Reference tracks (.csv/.parquet) for the "
                                       "unusual-route score; default: the bundled notional usual routes."),
        home_country: list[str] = typer.Option([], "--home-country", help="Country (code or name) whose "
                                               "airspace is the aircraft's own: not a violation; repeatable."),
        altitude_unit: str = typer.Option(None, "--altitude-unit", help="Unit of a bare 'altitude' column: "
                                          "ft (default, ADS-B) or m."),
        png: Path = typer.Option(None, "--png", help="Write a map to this PNG file."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ):
        """Did a track enter territorial airspace (12 nmi), how close did it come to coasts and places, when,
        and how unusual was its route?"""
        from bmdsim import airspace as asp

        if png is not None:
            check_output_file("--png", png, (".png",), inputs=(tracks,))
        pois = [_parse_poi(p) for p in poi]
        if str(tracks) == "tu160":
            tracks = asp.bundled_track_path("tu160-2007-10-25")
            home_country = home_country or ["RUS"]
            pois = pois or [asp.NOORDWIJK]
        read = asp.read_tracks(tracks, altitude_unit=altitude_unit)
        space = asp.default_airspace()
        if zones is not None:
            if not zones.is_file():
                raise InputError("--zones", str(zones), "give the path of an existing GeoJSON file")
            space = space.with_zones(asp.read_zone_file(zones))
        if reference is not None:
            if not reference.is_file():
                raise InputError("--reference", str(reference), "give the path of an existing track file")
            corridor = asp.RouteCorridor(asp.read_tracks(reference).tracks, name=str(reference))
        else:
            corridor = asp.reference_corridor()
        for h in home_country:
            space.index(h)   # unknown names fail here with the list of known ones
        results = asp.check_tracks(read.tracks, airspace=space, pois=pois, corridor=corridor,
                                   home_countries=tuple(home_country))
        if png is not None:
            asp.save_map(png, read.tracks, results, pois=pois, airspace=space)
        out = {"file": str(tracks), "tracks": results, "rejected_rows": list(read.rejected),
               "method": {"territorial_sea_km": asp.TERRITORIAL_SEA_M / 1000.0,
                          "baseline": "Natural Earth 1:10m coastline (normal baselines only; straight "
                                      "baselines, e.g. Norway's, not modelled) plus any --zones",
                          "map": str(png) if png else None}}
        if json_out:
            echo_json(out)
            return
        for r in results:
            typer.echo(f"track {r['id']}: {r['points']} points, {r['start_time']} .. {r['end_time']}")
            if r["violations"]:
                for v in r["violations"]:
                    typer.echo(f"  ENTERED {v['country']} territorial airspace: {v['entry_time']} .. "
                               f"{v['exit_time']}, up to {v['max_depth_km']:.1f} km inside the 12-nmi limit")
            else:
                typer.echo("  stayed outside territorial airspace" +
                           (f" (own: {', '.join(r['home_countries'])})" if r["home_countries"] else ""))
            near = list(r["min_distance_to_coast_km"].items())[:5]
            if near:
                typer.echo("  closest coasts: " + ", ".join(f"{c} {d:.1f} km" for c, d in near))
            for c in r["cpa"]:
                typer.echo(f"  closest to {c['poi']}: {c['distance_km']:.1f} km at {c['time']}")
            if "unusual_route" in r:
                u = r["unusual_route"]
                typer.echo(f"  unusual-route score: {u['score_km']:.0f} km from the reference corridor "
                           f"(median {u['median_km']:.0f} km)")
            for w in r["warnings"]:
                typer.echo(f"  warning: {w}")
        if read.rejected:
            typer.echo(f"{len(read.rejected)} rows rejected (missing time or position), e.g. "
                       f"{read.rejected[0]}")
        if png:
            typer.echo(f"map: {png}")
