"""Engagement commands: ``chase``, ``sites``, ``footprint`` and ``timeline``."""

from __future__ import annotations

import math

import typer

from bmdsim.cli._common import check_number, check_output_file, echo_json, progress_bars
from bmdsim.errors import InputError, UnknownNameError
from bmdsim.flight import catalog, sites


def _missile(name: str) -> str:
    if name not in catalog.threat_names():
        raise UnknownNameError("--missile", name, catalog.threat_names())
    return name


def _site(name: str) -> str:
    from bmdsim.engagement import defenses

    if name not in defenses.names():
        raise UnknownNameError("--site", name, defenses.names())
    return name


def _interceptor(name: str | None) -> str | None:
    if name is not None and name not in catalog.interceptor_names():
        raise UnknownNameError("--interceptor", name, catalog.interceptor_names())
    return name


def _region(text: str | None):
    if text is None:
        return None
    try:
        vals = [float(x) for x in text.split(",")]
        if len(vals) != 4:
            raise ValueError
    except ValueError:
        raise InputError("--region", text, "give LON0,LAT0,LON1,LAT1 in degrees, e.g. -80,30,40,70") from None
    lon0, lat0, lon1, lat1 = vals
    if not all(math.isfinite(v) for v in vals) or not (-90 <= lat0 < lat1 <= 90 and lon0 < lon1 and lon1 - lon0 <= 360):
        raise InputError("--region", text, "need LAT0 < LAT1 within [-90, 90] and LON0 < LON1")
    return lon0, lat0, lon1, lat1


def _working(what: str):
    """A spinner on stderr for work with no progress of its own to report (``timeline``); ``chase``,
    ``chase-table`` and ``footprint`` draw progress bars (:func:`bmdsim.cli._common.progress_bars`)."""
    from rich.console import Console

    return Console(stderr=True).status(what)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, dict):
        return ", ".join(f"{k} {_fmt(x)}" for k, x in v.items())
    if isinstance(v, list | tuple) and not any(isinstance(x, dict) for x in v):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def _print(d: dict) -> None:
    """Plain text: one line per field; a list of records as a table under its field name (no raw Python)."""
    for k, v in d.items():
        if k == "commit_curve":
            continue
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            cols = list(dict.fromkeys(c for x in v for c in x))
            rows = [[_fmt(x.get(c, "")) for c in cols] for x in v]
            width = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
            typer.echo(f"{k}:")
            typer.echo("  " + "  ".join(c.rjust(w) for c, w in zip(cols, width, strict=True)))
            for r in rows:
                typer.echo("  " + "  ".join(x.rjust(w) for x, w in zip(r, width, strict=True)))
        else:
            typer.echo(f"{k:>34}: {_fmt(v)}")
    cc = d.get("commit_curve")
    if cc:
        typer.echo(f"threshold against commit time (chase's commit {cc['chase_commit_after_launch_s']:.0f} s: "
                   f"{cc['commit_time_source']}):")
        typer.echo(f"{'commit s':>10} {'threshold m/s':>14} {'not at m/s':>11} {'ideal m/s':>10}")
        for r in cc["rows"]:
            def f(x):
                return "-" if x is None else f"{x:.0f}"
            typer.echo(f"{r['commit_after_launch_s']:10.0f} {f(r['threshold_mps']):>14} {f(r['bracket_low_mps']):>11} "
                       f"{f(r['ideal_mps']):>10}")


def _min_alt(km: float | None) -> float | None:
    if km is None:
        return None
    if not 0 <= km <= 2000:
        raise InputError("--min-altitude-km", km, "give a minimum intercept altitude between 0 and 2,000 km")
    return 1e3 * km


def register(app: typer.Typer) -> None:
    @app.command("chase")
    def chase_cmd(
        from_: str = typer.Option(..., "--from", help="Launch point LAT,LON or a site name (`bmdsim sites`)."),
        to: str = typer.Option(..., help="Target LAT,LON or a site name."),
        missile: str = typer.Option(..., help="Threat missile (see `bmdsim missiles`)."),
        site: str = typer.Option("redzikowo", help="Defense site (interceptor site)."),
        interceptor: str = typer.Option(None, help="Interceptor variant (default: the site's)."),
        interceptor_speed_mps: float = typer.Option(None, help="Fly a variant sized to this burnout speed, m/s."),
        commit_delay_s: float = typer.Option(None, help="Earliest interceptor launch, s after the threat's launch "
                                             "(default: from the sensor timeline)."),
        min_altitude_km: float = typer.Option(None, help="Minimum intercept altitude, km (default: the site's)."),
        no_threshold: bool = typer.Option(False, help="Skip the search for the minimum burnout speed (grid, then "
                                          "bisection of every crossing) and the commit-time curve."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ):
        """Can the site's interceptors catch this flight? Where, when, head-on or tail chase, the minimum
        burnout speed that makes an intercept possible (every engaging speed interval), the ideal impulsive bound
        beside it, and the threshold against the commit time."""
        from bmdsim.analysis.chase import chase

        check_number("--interceptor-speed-mps", interceptor_speed_mps, 0, 20_000, lo_open=True,
                     hint="give a burnout speed in m/s")
        check_number("--commit-delay-s", commit_delay_s, 0, 86_400, hint="give seconds after the threat's launch")
        with progress_bars(width=30) as progress:
            res = chase(sites.resolve("--from", from_), sites.resolve("--to", to), _missile(missile), site=_site(site),
                        interceptor=_interceptor(interceptor), interceptor_speed_mps=interceptor_speed_mps,
                        earliest_launch_after_threat_s=commit_delay_s,
                        min_intercept_altitude_m=_min_alt(min_altitude_km),
                        threshold=not no_threshold, progress=progress)
        (echo_json if json_out else _print)(res.to_dict())

    @app.command("chase-table")
    def chase_table_cmd(
        to: str = typer.Option(..., help="Target LAT,LON or a site name."),
        missile: str = typer.Option(..., help="Threat missile (see `bmdsim missiles`)."),
        fields: str = typer.Option(None, help="Comma-separated launch sites (default: every ICBM field in "
                                   "`bmdsim sites`)."),
        site: str = typer.Option("redzikowo", help="Defense site (interceptor site)."),
        commit_delay_s: float = typer.Option(None, help="Earliest interceptor launch, s after the threat's launch "
                                             "(default: from each flight's sensor timeline)."),
        min_altitude_km: float = typer.Option(None, help="Minimum intercept altitude, km (default: the site's)."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ):
        """`chase` from several fields with the five disputed variants: verdicts, threshold (every engaging speed
        interval), the ideal impulsive bound and whether the verdicts agree with the threshold."""
        from bmdsim.analysis.chase import VARIANTS, chase_table

        check_number("--commit-delay-s", commit_delay_s, 0, 86_400, hint="give seconds after the threat's launch")
        check_number("--min-altitude-km", min_altitude_km, 0, 2_000, hint="give an intercept altitude in km")
        names = ([n for n, s in sites.all_sites().items() if s.kind == "icbm-field"] if fields is None
                 else [x.strip() for x in fields.split(",") if x.strip()])
        fl = [(n, sites.resolve("--fields", n)) for n in names]
        with progress_bars(width=44) as progress:
            rows = chase_table(fl, sites.resolve("--to", to), _missile(missile), site=_site(site),
                               earliest_launch_after_threat_s=commit_delay_s,
                               min_intercept_altitude_m=_min_alt(min_altitude_km), progress=progress)
        if json_out:
            echo_json({"rows": rows})
            return

        def f(x):
            return "-" if x is None else f"{x:,.0f}"
        typer.echo(f"{'field':>14} " + " ".join(f"{v[5:]:>4}" for v in VARIANTS)
                   + f" {'threshold':>9} {'ideal':>6} {'ideal+burn':>10} {'commit s':>8}  engaging intervals, m/s")
        for r in rows:
            typer.echo(f"{r['field']:>14} " + " ".join(f"{'yes' if r['verdicts'][v] else 'no':>4}" for v in VARIANTS)
                       + f" {f(r['min_burnout_speed_mps']):>9} {f(r['ideal_speed_mps']):>6} "
                       f"{f(r['ideal_speed_delayed_mps']):>10} {r['earliest_launch_after_launch_s']:8.0f}  "
                       + ", ".join(f"{lo:,.0f}-{hi:,.0f}" for lo, hi in r["engaging_speed_intervals_mps"])
                       + ("" if r["consistent"] else "  INCONSISTENT"))
        for r in rows:
            if r["min_burnout_speed_mps"] is None and r["reason"]:
                typer.echo(f"{r['field']}: {r['reason']}")
                ds = r.get("direct_search")
                if ds:
                    typer.echo(f"{'':>{len(r['field'])}}  direct engine search, {ds['interceptor']} (no table): "
                               + ("an intercept found" if ds["intercept_found"] else "no intercept")
                               + ("" if ds["launch_deficit_s"] is None else
                                  f", best launch {ds['launch_deficit_s']:,.0f} s too late"))

    @app.command("sites")
    def sites_cmd(json_out: bool = typer.Option(False, "--json", help="Print one JSON object.")):
        """The site catalog: launch areas, ICBM fields, defense and radar sites, cities."""
        rows = [{"name": s.name, "latitude_deg": s.latitude_deg, "longitude_deg": s.longitude_deg, "kind": s.kind}
                for s in sites.all_sites().values()]
        if json_out:
            echo_json({"sites": rows})
        else:
            for r in rows:
                typer.echo(f"{r['name']:>16}  {r['latitude_deg']:9.4f}  {r['longitude_deg']:9.4f}  {r['kind']}")

    @app.command("footprint")
    def footprint_cmd(
        launch: str = typer.Option(..., help="Launch area LAT,LON or a site name (e.g. semnan)."),
        missile: str = typer.Option(..., help="Threat missile (see `bmdsim missiles`)."),
        site: str = typer.Option("redzikowo", help="Defense site."),
        interceptor: str = typer.Option(None, help="Interceptor variant (default: the site's)."),
        grid_deg: float = typer.Option(2.0, help="Aimpoint grid spacing, degrees."),
        region: str = typer.Option(None, help="LON0,LAT0,LON1,LAT1 (default: Europe and the U.S. East Coast)."),
        commit_delay_s: float = typer.Option(None, help="Earliest interceptor launch, s after the threat's launch "
                                             "(default: from the sensor timeline)."),
        salvo: int = typer.Option(1, help="Interceptors per shot opportunity."),
        min_altitude_km: float = typer.Option(None, help="Minimum intercept altitude, km (default: the site's)."),
        verify: int = typer.Option(0, help="Check this many cells' verdicts by flying (boundary both sides, far "
                                   "cells); the agreement goes in the output."),
        cells: bool = typer.Option(False, "--cells", help="With --json: include the per-cell results."),
        png: str = typer.Option(None, help="Write the map to this PNG file."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ):
        """Which aimpoints the site defends against launches from an area: shots and probability of no leak."""
        from bmdsim.analysis.footprint import footprint

        check_number("--commit-delay-s", commit_delay_s, 0, 86_400, hint="give seconds after the threat's launch")
        check_number("--salvo", salvo, 1, 10, hint="give interceptors per shot opportunity")
        check_number("--min-altitude-km", min_altitude_km, 0, 2_000, hint="give an intercept altitude in km")
        check_number("--verify", verify, 0, 10_000, hint="give the number of cells to check by flying")
        if not 0.05 <= grid_deg <= 30:
            raise InputError("--grid-deg", grid_deg, "give a grid spacing between 0.05 and 30 degrees")
        if png is not None:
            check_output_file("--png", png, (".png",))
        with progress_bars(width=28) as progress:
            res = footprint(sites.resolve("--launch", launch), _missile(missile), site=_site(site),
                            interceptor=_interceptor(interceptor), grid_deg=grid_deg, region=_region(region),
                            earliest_launch_after_threat_s=commit_delay_s, salvo=salvo,
                            min_intercept_altitude_m=_min_alt(min_altitude_km), verify=verify,
                            progress=progress)
        if png is not None:
            fig = res.figure()
            fig.savefig(png, dpi=120)
        d = res.to_dict(cells=cells) | ({"png": str(png)} if png is not None else {})
        if json_out:
            echo_json(d)
        else:
            for k in ("cells", "reachable_cells", "defended_cells", "defended_fraction", "commit_time_source",
                      "min_intercept_altitude_km"):
                typer.echo(f"{k:>20}: {d[k]}")
            if d["verification"]:
                vf = d["verification"]
                typer.echo(f"{'verification':>20}: {vf['agree']} of {vf['checked']} verdicts hold when flown")
            if png is not None:
                typer.echo(f"{'map':>20}: wrote {png}")
            for c in d["cities"]:
                typer.echo(f"{c['name']:>20}: defended={c['defended']} shots={c['shots']} "
                           f"p_no_leak={c['p_no_leak']}")

    @app.command("timeline")
    def timeline_cmd(
        from_: str = typer.Option(..., "--from", help="Launch point LAT,LON or a site name."),
        to: str = typer.Option(..., help="Target LAT,LON or a site name."),
        missile: str = typer.Option(..., help="Threat missile."),
        site: str = typer.Option("redzikowo", help="Defense site."),
        interceptor: str = typer.Option(None, help="Interceptor variant (default: the site's)."),
        activation_delay_s: float = typer.Option(None, help="Site inactive until this many s after the threat's "
                                                 "launch (default: the site's readiness)."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ):
        """The engagement timeline: launch, detection, track, commit, interceptor launch, intercept, kill
        assessment, second shot, impact; and which activation delays make each shot impossible."""
        from bmdsim.analysis.timeline import timeline

        check_number("--activation-delay-s", activation_delay_s, 0, 86_400,
                     hint="give seconds after the threat's launch")
        with _working("timeline: sensors, fire control and the activation-delay table..."):
            res = timeline(sites.resolve("--from", from_), sites.resolve("--to", to), _missile(missile),
                           site=_site(site), interceptor=_interceptor(interceptor),
                           activation_delay_s=activation_delay_s)
        (echo_json if json_out else _print)(res)
