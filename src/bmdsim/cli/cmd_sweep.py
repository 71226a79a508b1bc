"""``bmdsim sweep``: a scenario's variants (cartesian product of ``--set`` values x seeded trials) on Dask, into a
folder of Parquet parts, one DuckDB file, figures and a report. ``bmdsim compare``: scenarios or sweep cases side
by side (the six questions' answers, and a report with their maps next to each other). See :mod:`bmdsim.sweep`."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import typer

from bmdsim.cli._common import echo_json
from bmdsim.errors import InputError


def register(app: typer.Typer) -> None:
    _register_sweep(app)
    _register_compare(app)


def _register_sweep(app: typer.Typer) -> None:
    @app.command()
    def sweep(
        scenario: str = typer.Argument(..., help="A bundled scenario name (bmdsim scenarios) or a YAML file."),
        set_: list[str] = typer.Option([], "--set", help="KEY=V1,V2,...: a path into the scenario and its values, "
                                       "e.g. interceptor_sites.0.interceptor=gbi2-6.3,gbi2-7.7 (repeat for a "
                                       "product)."),
        trials: int = typer.Option(None, "--trials", help="Seeded trials per case (default 1); with --native "
                                   "montecarlo the Monte Carlo's trials (default 1,000,000)."),
        workers: int = typer.Option(None, "--workers", help="Worker processes of a local Dask cluster "
                                    "(default 2)."),
        scheduler: str = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler "
                                      "(e.g. tcp://127.0.0.1:8786) instead of a local cluster."),
        out: Path = typer.Option(..., "--out", help="Output folder (Parquet parts, sweep.duckdb, figures, "
                                 "report.html)."),
        resume: bool = typer.Option(False, "--resume", help="Continue a sweep in --out: run only the trials "
                                    "without a stored result."),
        json_out: bool = typer.Option(False, "--json", help="Print a JSON summary instead of text."),
        native: str = typer.Option(None, "--native", help="Sweep one analysis natively instead of whole runs: "
                                   "footprint (per --variants), chase (per --speeds) or montecarlo (the battle "
                                   "at --trials, default 10^6)."),
        variants: str = typer.Option(None, "--variants", help="--native footprint: interceptor variants, "
                                     "V1,V2,... (default: the first site's variants)."),
        speeds: str = typer.Option(None, "--speeds", help="--native chase: burnout speeds in m/s, V1,V2,... or "
                                   "START:STOP:STEP."),
        chunk: int = typer.Option(None, "--chunk", help="--native montecarlo: trials per task (default 20,000)."),
        partitions: int = typer.Option(None, "--partitions", help="--native footprint: split each variant's "
                                       "aimpoints into this many tasks (needs --commit-delay-s)."),
        commit_delay_s: float = typer.Option(None, "--commit-delay-s", help="--native footprint/chase: earliest "
                                             "interceptor launch, s after the threat's launch (default: from the "
                                             "sensor timeline)."),
    ):
        """Sweep a scenario: every combination of the --set values, N seeded trials each, on Dask; one row per
        case and trial in OUT/sweep.duckdb (and Parquet parts), plots and a report in OUT. With --native, one
        analysis swept natively (footprint per variant, chase per speed, the battle Monte Carlo in chunks) into
        the same kind of folder."""
        from bmdsim.sweep import plots
        from bmdsim.sweep.run import run_sweep

        if native is not None:
            _native(scenario, set_, native, trials=trials, workers=workers, scheduler=scheduler, out=out,
                    resume=resume, json_out=json_out, variants=variants, speeds=speeds, chunk=chunk,
                    partitions=partitions, commit_delay_s=commit_delay_s)
            return
        for flag, v in (("variants", variants), ("speeds_mps", speeds), ("chunk", chunk),
                        ("partitions", partitions), ("earliest_launch_after_threat_s", commit_delay_s)):
            if v is not None:
                raise InputError(flag, v, "only a native sweep takes it (add `native` footprint, chase or "
                                 "montecarlo)")
        with _progress(json_out) as bar:
            summary = run_sweep(scenario, set_, trials=1 if trials is None else trials, out=out, workers=workers,
                                scheduler=scheduler, resume=resume, progress=bar(f"sweep {scenario}"))
        if json_out:
            echo_json(summary.to_dict())
            return
        typer.echo(f"{summary.rows} rows ({summary.cases} cases x {summary.trials_per_case} trials; "
                   f"{summary.ran} run now on {summary.workers} worker(s) in {summary.wall_s:.1f} s, "
                   f"{summary.resumed_from} already stored, {summary.errors} failed) in {out}/{summary.database}")
        typer.echo(plots.means_text(list(summary.settings), summary.means))
        typer.echo(f"figures: {', '.join(summary.figures) or 'none'}; report: {out}/{summary.report}")


def _native(scenario, set_, native, *, trials, workers, scheduler, out, resume, json_out, variants, speeds, chunk,
            partitions, commit_delay_s) -> None:
    from bmdsim.sweep.native_run import parse_speeds, run_native

    if set_:
        raise InputError("settings", " ".join(set_), f"a native sweep takes no scenario keys (`native` {native} "
                         "sweeps its own quantity); drop --native to sweep these keys with whole runs")
    if resume:
        raise InputError("resume", resume, "a native sweep is one computation and has no resume; give a new "
                         "`out` folder")
    with _progress(json_out) as bar:
        s = run_native(native, scenario, out=out, workers=workers, scheduler=scheduler,
                       variants=None if variants is None else [v.strip() for v in variants.split(",")],
                       speeds_mps=None if speeds is None else parse_speeds(speeds), n_trials=trials, chunk=chunk,
                       partitions=partitions, earliest_launch_after_threat_s=commit_delay_s,
                       progress=bar(f"sweep --native {native} {scenario}"))
    if json_out:
        echo_json(s.to_dict())
        return
    import pandas as pd

    from bmdsim.sweep import plots

    typer.echo(f"--native {native}: {s.tasks} tasks on {s.workers} worker(s) in {s.wall_s:.1f} s; tables "
               f"{', '.join(s.tables)} in {out}/{s.database}")
    typer.echo(plots.frame_text(pd.DataFrame(s.results)))
    typer.echo(f"figures: {', '.join(s.figures) or 'none'}; report: {out}/{s.report}")


@contextmanager
def _progress(disable: bool):
    """:func:`bmdsim.cli._common.progress_bars`, yielding ``bar(description)`` -> a ``progress(done, total)``
    callback (what ``run_sweep`` and ``run_native`` take) for one bar."""
    from bmdsim.cli._common import progress_bars

    with progress_bars(disable=disable, width=0) as progress:
        yield lambda description: (lambda done, total: progress(description, done, total))


def _register_compare(app: typer.Typer) -> None:
    @app.command()
    def compare(
        scenarios: list[str] = typer.Argument(..., help="Two or more bundled scenario names, YAML files, or sweep "
                                              "cases SWEEP_DIR@CASE."),
        out: Path = typer.Option(None, "--out", help="Folder for compare.html (default: bmdsim-out/compare)."),
        json_out: bool = typer.Option(False, "--json", help="Print the answers as JSON instead of a table."),
    ):
        """Run scenarios (or sweep cases) and show the six questions' answers side by side; write a comparison
        report with their maps next to each other (compare.html)."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        from rich.table import Table

        from bmdsim.scenario.run import run as run_scenario
        from bmdsim.sweep import compare as cmp

        if len(scenarios) < 2:
            raise InputError("SCENARIOS", " ".join(scenarios), "give two or more scenarios to compare")
        items = [cmp.load_item(s) for s in scenarios]
        labels = [i.label for i in items]
        if len(set(labels)) != len(labels):
            raise InputError("SCENARIOS", " ".join(scenarios), "a scenario appears twice; give distinct ones")
        out_dir = Path(out) if out is not None else Path("bmdsim-out") / "compare"
        if out_dir.exists() and not out_dir.is_dir():
            raise InputError("--out", str(out_dir), "this is a file; give a folder for compare.html")
        console = Console(stderr=True)
        results = []
        with Progress(TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, disable=json_out) as prog:
            for it in items:
                task = prog.add_task(it.label[:34], total=1)

                def progress(step, done, total, task=task):
                    prog.update(task, description=f"{step[:34]}", completed=done, total=max(total, 1))

                results.append(run_scenario(it.loaded.scenario, progress, base_dir=it.loaded.base_dir))
                prog.update(task, description=it.label[:34])
            report = cmp.write_report(out_dir, items, results)
        head, body = cmp.table(labels, [cmp.answers(r) for r in results])
        if json_out:
            echo_json({"scenarios": labels, "report": str(report.resolve()),
                       "answers": [dict(zip(["question", "measure", *labels], r, strict=True)) for r in body]})
            return
        t = Table(title="The six questions, side by side")
        for h in head:
            t.add_column(h, overflow="fold")
        for r in body:
            t.add_row(*r)
        Console(width=max(Console().width, 160)).print(t)
        typer.echo(f"report: {report}")
