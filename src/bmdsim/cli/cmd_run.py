"""``bmdsim run``: the main job. Runs a scenario (:func:`bmdsim.run`), prints a summary rendered from the
result's records and writes its output folder (:meth:`bmdsim.RunResult.write`, :mod:`bmdsim.store.outputs`):
``results.duckdb`` (tables: docs/database.md), ``report.html``, CZML/KML/GeoJSON exports, ``summary.json`` and
one ``feed-OBSERVER.jsonl`` per observer of a shared feed.
"""

from __future__ import annotations

import math
from pathlib import Path

import typer

from bmdsim.cli._common import echo_json, progress_bars
from bmdsim.errors import InputError
from bmdsim.store.outputs import OUTPUT_FILES, feed_file

__all__ = ["OUTPUT_FILES", "feed_file", "register"]


def _print_summary(console, result, out_dir: Path) -> None:
    from rich.table import Table

    s = result.scenario
    summ = result.summary(str(out_dir))
    t = Table(title=f"{s.name}: threat flights (seed {s.seed})")
    for col in ("threat", "missile", "range km", "apogee km", "burnout km/s", "flight min", "miss m",
                "first track min", "PIP stays <10 km min", "unseen km"):
        t.add_column(col, justify="right" if col != "threat" and col != "missile" else "left")
    dec = {}
    for d in result.decision:
        dec.setdefault(d.threat, d)
    for f in result.threats:
        d = dec.get(f.name)
        trk = d.first_radar_track_t_s if d is not None else math.nan
        tr = result.tracks.get(f.name)
        t10 = tr.pip_stays_within_t_s(10.0) if tr is not None else math.nan
        un = result.unseen_of(f.name)
        u = un.unseen_ground_range_km if un is not None else math.nan

        def m(x, f=f):
            return "–" if not math.isfinite(x) else f"{(x - f.launch_t_s) / 60:.1f}"

        t.add_row(f.name, f.missile, f"{f.range_km:,.0f}", f"{f.apogee_km:,.0f}",
                  f"{f.burnout_speed_mps / 1000:.2f}", f"{f.time_of_flight_s / 60:.1f}", f"{f.miss_m:,.1f}",
                  m(trk), m(t10), "–" if not math.isfinite(u) else f"{u:,.0f}")
    console.print(t)
    if summ["intercepted"] is not None:
        el, pnl = summ["expected_leakers"] or {}, summ["p_no_leak"] or {}
        sites = "; ".join(f"{k}: expected leakers {el[k]:.2f}, P(no leak) {pnl.get(k, float('nan')):.2f}" for k in el)
        console.print(f"defense (1. what it protects): {summ['intercepted']} of {summ['threats']} warheads "
                      f"intercepted, {summ['leakers']} leak in one seeded realisation"
                      + (f"; {sites}" if sites else ""))
    if summ["defended_cities"] is not None:
        console.print("defended cities (footprint): " + (", ".join(summ["defended_cities"]) or "none"))
    if any(v is not None for v in summ["engageable_icbm_flights"].values()):
        per = ", ".join(f"{k} {v}" for k, v in summ["engageable_icbm_flights"].items())
        console.print(f"ICBM flights engageable (2. what it could threaten), of {summ['icbm_flights']}: {per}")
    for a in result.aircraft:
        c = a.check
        cpa = ", ".join(f"{p['poi']} {p['distance_km']:.0f} km" for p in c["cpa"])
        verdict = "entered territorial airspace" if c["entered_territorial_airspace"] else \
            "stayed out of territorial airspace"
        console.print(f"aircraft {a.name}: {verdict}" + (f"; closest approach: {cpa}" if cpa else ""))
    for name, o in result.observers_summary().items():
        def delay(x):
            return "" if x is None else f", median {x:+.0f} s against the defense"

        console.print(f"observer {name} ({o['feedspec']}): hears of {o['threats_heard']} of {o['threats']} threats; "
                      f"PIP stays within 10 km for {o['impact_within_10_km']}{delay(o['median_delay_10_km_s'])}, "
                      f"within 1 km for {o['impact_within_1_km']}{delay(o['median_delay_1_km_s'])}; "
                      f"feed in {o['feed_file']}")
    for k, v in result.unavailable.items():
        console.print(f"[yellow]not yet available[/yellow] ({k}): {v}")
    feeds = ", feed-*.jsonl" if result.feeds else ""
    console.print(f"wrote {out_dir}/ (report.html, results.duckdb, scene.czml, scene.kml, *.geojson{feeds})")
    runs = "" if out_dir.resolve().parent == Path("bmdsim-out").resolve() else f" --runs {out_dir.resolve().parent}"
    console.print(f"see it on the 3D globe: bmdsim serve{runs} --open")


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        scenario: str = typer.Argument("europe-2007", help="A bundled scenario name (bmdsim scenarios) or a YAML "
                                       "file."),
        out: Path = typer.Option(None, "--out", help="Output folder (default: bmdsim-out/SCENARIO). Replaced as a "
                                 "whole, only once the new output is complete."),
        seed: int = typer.Option(None, help="Override the scenario's random seed."),
        json_out: bool = typer.Option(False, "--json", help="Print a JSON summary instead of tables."),
    ):
        """Run a scenario (default: the bundled 2007 European case): flights, sensing, tracking, coverage,
        decision time, shared feeds and airspace checks; print a summary and write the results database, the
        HTML report and CZML/KML/GeoJSON exports."""
        from rich.console import Console

        import bmdsim
        from bmdsim.store import outdir

        ls = bmdsim.load_scenario(scenario)
        if seed is not None:
            from bmdsim.scenario.schema import MAX_SEED

            if not 0 <= seed <= MAX_SEED:
                raise InputError("--seed", seed, f"give a seed between 0 and {MAX_SEED} (2**63 - 1)")
        out_dir = outdir.check(out if out is not None else outdir.default_dir("bmdsim-out", ls.scenario.name),
                               inputs=(Path(scenario),) if Path(scenario).exists() else ())
        with progress_bars(disable=json_out) as progress:
            try:
                result = bmdsim.run(ls, seed=seed, progress=progress)
                result.write(out_dir, progress=progress)
            except KeyboardInterrupt:
                # the partial folder is already removed; the previous output is untouched
                raise typer.Abort() from None
        if json_out:
            echo_json(result.summary(str(out_dir.resolve())))
            return
        _print_summary(Console(width=max(Console().width, 140)), result, out_dir)
