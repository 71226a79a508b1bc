"""``bmdsim run``: the main job. Runs a scenario, prints a summary and writes an output folder:

``results.duckdb`` (tables: docs/database.md), ``report.html`` (self-contained), ``scene.czml``, ``scene.kml``,
``coverage.geojson``, ``footprints.geojson``, ``trajectories.geojson``, ``summary.json`` and, per observer of a
shared feed, ``feed-OBSERVER.jsonl`` (the messages it receives, schema ``bmdsim-feed/1``).

The folder is written into a temporary sibling and moved into place only when complete; a failed or interrupted
run leaves the previous output as it was and no partial files. This module orchestrates ``store`` and
``report`` (which must not import each other).
"""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import tempfile
from pathlib import Path

import typer

from bmdsim.cli._common import clean, echo_json
from bmdsim.errors import InputError

OUTPUT_FILES = ("results.duckdb", "report.html", "scene.czml", "scene.kml", "coverage.geojson", "footprints.geojson",
                "trajectories.geojson", "summary.json")
_MARKER = ".bmdsim-output"


def feed_file(observer: str) -> str:
    """The name of an observer's feed file in the output folder."""
    return f"feed-{observer}.jsonl"


def _median(xs):
    xs = sorted(x for x in xs if x is not None and math.isfinite(x))
    if not xs:
        return None
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else 0.5 * (xs[m - 1] + xs[m])


def observers_summary(result) -> dict:
    """Per observer: its feed, how many threats it hears of, and when its PIP stays within 10 km / 1 km of the
    impact compared with the defense (per threat, and the median delay over the threats where both do)."""
    out = {}
    for o in result.scenario.observers:
        mine = [d for d in result.sharing if d["observer"] == o.name]
        if not mine:
            continue
        per = {}
        for d in mine:
            per[d["threat"]] = {k: d[k] for k in (
                "source", "first_received_after_launch_s", "defense_stays_within_10_km_t_s",
                "observer_stays_within_10_km_t_s", "observer_delay_10_km_s", "defense_stays_within_1_km_t_s",
                "observer_stays_within_1_km_t_s", "observer_delay_1_km_s", "observer_final_pip_error_km")}
        out[o.name] = {
            "feedspec": mine[0]["feedspec"], "feed_file": feed_file(o.name), "threats": len(mine),
            "threats_heard": sum(1 for d in mine if math.isfinite(d["t_first_received_s"])),
            "impact_within_10_km": sum(1 for d in mine if math.isfinite(d["observer_stays_within_10_km_t_s"])),
            "impact_within_1_km": sum(1 for d in mine if math.isfinite(d["observer_stays_within_1_km_t_s"])),
            "median_delay_10_km_s": _median(d["observer_delay_10_km_s"] for d in mine),
            "median_delay_1_km_s": _median(d["observer_delay_1_km_s"] for d in mine),
            "per_threat": per,
        }
    return out


def summary(result, out_dir: str | None) -> dict:
    """The JSON summary of a run (the contract of ``bmdsim run --json``)."""
    s = result.scenario
    variants = list(dict.fromkeys(v for x in s.interceptor_sites for v in x.all_variants))
    if result.chase is not None:
        engageable = {v: sum(1 for c in result.chase if c["variant"] == v and c["engageable"]) for v in variants}
    else:
        engageable = {v: None for v in variants}
    if result.outcomes is not None:   # one seeded realisation; the first site that engages a threat counts
        best: dict[str, dict] = {}
        for o in result.outcomes:
            if o["threat"] not in best or o["killed_in_realisation"] > best[o["threat"]]["killed_in_realisation"]:
                best[o["threat"]] = o
        intercepted = sum(o["killed_in_realisation"] for o in best.values())
        leakers = sum(o["warheads"] for o in best.values()) - intercepted
    else:
        intercepted = leakers = None
    defended = result.footprint.get("defended_cities") if result.footprint else None
    return {
        "scenario": s.name, "seed": s.seed, "threats": sum(t.count for t in result.threats),
        "raids": len(result.threats), "icbm_flights": sum(1 for t in result.threats if t.is_icbm),
        "intercepted": intercepted, "leakers": leakers, "defended_cities": defended,
        "engageable_icbm_flights": engageable,
        "expected_leakers": {b["site"]: round(b["leakers_mean"], 3) for b in result.battle or []} or None,
        "p_no_leak": {b["site"]: round(b["p_no_leak"], 3) for b in result.battle or []} or None,
        "tracked_threats": len(result.tracks),
        "observers": observers_summary(result),
        "airspace_violations": {a.name: len(a.check["violations"]) for a in result.aircraft},
        "closest_approach_km": {f"{a.name}/{c['poi']}": round(c["distance_km"], 1) for a in result.aircraft
                                for c in a.check["cpa"]},
        "unavailable": result.unavailable, "out_dir": out_dir,
        "flights": [{k: v for k, v in dataclasses.asdict(t).items()} for t in result.threats],
        "timings_s": result.timings_s,
    }


def _check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise InputError("--out", str(out), "this is a file; give a folder for the results")
    if out.is_dir() and any(out.iterdir()) and not (out / _MARKER).exists():
        raise InputError("--out", str(out), "this folder holds other files and was not written by bmdsim run; "
                         "give a new or empty folder (bmdsim replaces its output folder as a whole)")


def write_outputs(out: Path, result, ls, progress) -> list[str]:
    """Write every output file into a temporary folder beside ``out``, then move it into place."""
    from bmdsim.report.html import render_report
    from bmdsim.sensing.feed import write_jsonl
    from bmdsim.store import exports
    from bmdsim.store.database import write_database

    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        progress("writing outputs", 0, 4)
        write_database(tmp / "results.duckdb", result, scenario_text=ls.text, scenario_sha256=ls.sha256,
                       scenario_source=ls.source)
        progress("writing outputs", 1, 4)
        exports.write_czml(tmp / "scene.czml", result)
        exports.write_kml(tmp / "scene.kml", result)
        exports.write_geojson(tmp, result)
        progress("writing outputs", 2, 4)
        files = list(OUTPUT_FILES)
        for name, feeds in result.feeds.items():
            write_jsonl(feeds, tmp / feed_file(name))
            files.append(feed_file(name))
        (tmp / "report.html").write_text(render_report(result, scenario_text=ls.text, scenario_sha256=ls.sha256,
                                                       scenario_source=ls.source, files=files), encoding="utf-8")
        (tmp / "summary.json").write_text(json.dumps(clean(summary(result, str(out))), indent=1), encoding="utf-8")
        (tmp / _MARKER).write_text("written by bmdsim run; the folder is replaced as a whole on the next run\n",
                                   encoding="utf-8")
        progress("writing outputs", 4, 4)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            old.rmdir()
            out.rename(old)
        try:
            tmp.rename(out)
        except BaseException:
            if old is not None:
                old.rename(out)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return files
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _print_summary(console, result, out_dir: Path) -> None:
    from rich.table import Table

    s = result.scenario
    summ = summary(result, str(out_dir))
    t = Table(title=f"{s.name}: threat flights (seed {s.seed})")
    for col in ("threat", "missile", "range km", "apogee km", "burnout km/s", "flight min", "miss m",
                "first track min", "PIP stays <10 km min", "unseen km"):
        t.add_column(col, justify="right" if col != "threat" and col != "missile" else "left")
    dec = {}
    for d in result.decision:
        dec.setdefault(d["threat"], d)
    for f in result.threats:
        d = dec.get(f.name, {})
        trk = d.get("t_first_radar_track_s", math.nan)
        tr = result.tracks.get(f.name)
        t10 = tr.pip_stays_within_t_s(10.0) if tr is not None else math.nan
        u = result.unseen.get(f.name, {}).get("unseen_ground_range_km", math.nan)

        def m(x, f=f):
            return "–" if not math.isfinite(x) else f"{(x - f.launch_time_s) / 60:.1f}"

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
    for name, o in observers_summary(result).items():
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
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from bmdsim.scenario.load import load_scenario
        from bmdsim.scenario.run import run as run_scenario

        ls = load_scenario(scenario)
        scn = ls.scenario
        if seed is not None:
            if seed < 0:
                raise InputError("--seed", seed, "give a seed of 0 or more")
            scn = scn.model_copy(update={"seed": seed})
        out_dir = Path(out) if out is not None else Path("bmdsim-out") / scn.name
        _check_out_dir(out_dir)
        console = Console(stderr=True)
        with Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, disable=json_out) as prog:
            tasks: dict[str, int] = {}

            def progress(step, done, total):
                if step not in tasks:
                    tasks[step] = prog.add_task(step, total=max(total, 1))
                prog.update(tasks[step], completed=done, total=max(total, 1))

            try:
                result = run_scenario(scn, progress, base_dir=ls.base_dir)
                write_outputs(out_dir, result, dataclasses.replace(ls, scenario=scn), progress)
            except KeyboardInterrupt:
                # the partial folder is already removed; the previous output is untouched
                raise typer.Abort() from None
        if json_out:
            echo_json(summary(result, str(out_dir.resolve())))
            return
        _print_summary(Console(width=max(Console().width, 140)), result, out_dir)
