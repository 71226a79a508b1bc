"""``bmdsim sweep``: a scenario's variants (cartesian product of ``--set`` values x seeded trials) on Dask, into a
folder of Parquet parts, one DuckDB file, figures and a report (:mod:`bmdsim.sweep`)."""

from __future__ import annotations

from pathlib import Path

import typer

from bmdsim.cli._common import echo_json
from bmdsim.errors import InputError


def register(app: typer.Typer) -> None:
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
                   f"{summary['ran']} run now on {summary['workers']} workers in {summary['wall_s']:.1f} s, "
                   f"{summary['resumed_from']} already stored, {summary['errors']} failed) in {out}/{DATABASE}")
        typer.echo(plots.means_text(plan, df))
        typer.echo(f"figures: {', '.join(summary['figures']) or 'none'}; report: {out}/report.html")
