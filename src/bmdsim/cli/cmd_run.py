"""``bmdsim run``: the main job."""

from __future__ import annotations

import dataclasses

import typer

from bmdsim.cli._common import echo_json


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        scenario: str = typer.Argument("europe-2007", help="A bundled scenario name or a YAML file."),
        seed: int = typer.Option(None, help="Override the scenario's random seed."),
        json_out: bool = typer.Option(False, "--json", help="Print a JSON summary instead of tables."),
    ):
        """Run a scenario (default: the bundled 2007 European case) and print what it found."""
        from rich.console import Console
        from rich.progress import Progress
        from rich.table import Table

        from bmdsim.scenario.load import load
        from bmdsim.scenario.run import run as run_scenario

        scn, _text = load(scenario)
        if seed is not None:
            scn = scn.model_copy(update={"seed": seed})
        console = Console(stderr=True)
        with Progress(console=console, transient=True, disable=json_out) as prog:
            task = prog.add_task("flying threats", total=max(len(scn.threats), 1))

            def progress(step, done, total):
                prog.update(task, description=step, completed=done, total=total)

            result = run_scenario(scn, progress)
        if json_out:
            echo_json({"scenario": scn.name, "seed": scn.seed, "threats": len(result.threats),
                       "flights": [dataclasses.asdict(t) for t in result.threats]})
            return
        t = Table(title=f"{scn.name}: threat flights (seed {scn.seed})")
        for col in ("threat", "missile", "range km", "apogee km", "burnout km/s", "burnout s", "flight min",
                    "miss m"):
            t.add_column(col)
        for f in result.threats:
            t.add_row(f.name, f.missile, f"{f.range_km:,.0f}", f"{f.apogee_km:,.0f}",
                      f"{f.burnout_speed_mps / 1000:.2f}", f"{f.burnout_time_s:.0f}",
                      f"{f.time_of_flight_s / 60:.1f}", f"{f.miss_m:,.1f}")
        Console(width=max(Console().width, 120)).print(t)
