"""``bmdsim sweep``: a scenario's variants (cartesian product of ``--set`` values x seeded trials) on Dask, into a
folder of Parquet parts, one DuckDB file, figures and a report. ``bmdsim compare``: scenarios or sweep cases side
by side (the six questions' answers, and a report with their maps next to each other). See :mod:`bmdsim.sweep`."""

from __future__ import annotations

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
        trials: int = typer.Option(1, "--trials", help="Seeded trials per case."),
        workers: int = typer.Option(None, "--workers", help="Worker processes of a local Dask cluster "
                                    "(default 2)."),
        scheduler: str = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler "
                                      "(e.g. tcp://127.0.0.1:8786) instead of a local cluster."),
        out: Path = typer.Option(..., "--out", help="Output folder (Parquet parts, sweep.duckdb, figures, "
                                 "report.html)."),
        resume: bool = typer.Option(False, "--resume", help="Continue a sweep in --out: run only the trials "
                                    "without a stored result."),
        json_out: bool = typer.Option(False, "--json", help="Print a JSON summary instead of text."),
    ):
        """Sweep a scenario: every combination of the --set values, N seeded trials each, on Dask; one row per
        case and trial in OUT/sweep.duckdb (and Parquet parts), plots and a report in OUT."""
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        from bmdsim.scenario.load import load_scenario
        from bmdsim.sweep import cases, plots, runner
        from bmdsim.sweep.store import DATABASE, SweepStore

        ls = load_scenario(scenario)
        settings = [cases.parse_setting(s) for s in set_]
        plan = cases.plan(ls, scenario, settings, trials=trials)
        if scheduler is None and workers is not None and not 1 <= workers <= 256:
            raise InputError("--workers", workers, "give a number of worker processes from 1 to 256")
        store = SweepStore(out, plan, resume=resume)
        console = Console(stderr=True)
        try:
            with runner.cluster(workers=workers, scheduler=scheduler) as client, \
                    Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TimeElapsedColumn(), console=console, disable=json_out) as prog:
                task = prog.add_task(f"sweep {plan.scenario}", total=len(plan.cases) * plan.trials)
                summary = runner.run_plan(plan, store, client,
                                          progress=lambda n, total: prog.update(task, completed=n, total=total))
            df = store.table()
            pngs = plots.write_figures(out, plan, df)
            plots.write_report(out, plan, df, pngs)
        except KeyboardInterrupt:
            raise typer.Abort() from None
        finally:
            store.close()
        summary.update(out_dir=str(Path(out).resolve()), database=DATABASE, figures=[p.name for p in pngs],
                       report="report.html", scenario=plan.scenario,
                       settings={s.key: list(s.values) for s in plan.settings},
                       means=plots.case_means(plan, df).to_dict(orient="records"))
        if json_out:
            echo_json(summary)
            return
        typer.echo(f"{summary['rows']} rows ({summary['cases']} cases x {summary['trials_per_case']} trials; "
                   f"{summary['ran']} run now on {summary['workers']} worker(s) in {summary['wall_s']:.1f} s, "
                   f"{summary['resumed_from']} already stored, {summary['errors']} failed) in {out}/{DATABASE}")
        typer.echo(plots.means_text(plan, df))
        typer.echo(f"figures: {', '.join(summary['figures']) or 'none'}; report: {out}/report.html")


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
