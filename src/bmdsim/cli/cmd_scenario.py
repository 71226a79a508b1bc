"""Scenario commands: ``validate`` (check a scenario file, with positioned messages) and ``scenarios`` (list the
bundled ones)."""

from __future__ import annotations

import typer

from bmdsim.cli._common import echo_json, plural


def register(app: typer.Typer) -> None:
    @app.command()
    def validate(
        scenario: str = typer.Argument(..., help="A scenario YAML file (or a bundled scenario name)."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ):
        """Check a scenario file without running it. Every problem is reported as FILE:LINE:COLUMN: the field,
        the bad value and how to fix it. Exit code 0 if valid, 2 if not."""
        from bmdsim.scenario.load import ScenarioError, load_scenario

        try:
            ls = load_scenario(scenario)
        except ScenarioError as exc:
            if json_out:
                echo_json({"valid": False, "source": exc.source,
                           "problems": [{"file": p.file, "line": p.line, "column": p.column, "path": p.path,
                                         "value": None if repr(p.value) == "<missing>" else repr(p.value),
                                         "message": p.message, "text": str(p)} for p in exc.problems]})
            raise  # the message on stderr and exit code 2
        s = ls.scenario
        summary = {"valid": True, "source": ls.source, "name": s.name, "schema_version": s.schema_version,
                   "sha256": ls.sha256, "seed": s.seed, "raids": len(s.threats),
                   "threats": sum(r.count for r in s.threats), "sensors": len(s.sensors),
                   "interceptor_sites": len(s.interceptor_sites), "observers": len(s.observers),
                   "aircraft": len(s.aircraft)}
        if json_out:
            echo_json(summary)
            return
        typer.echo(f"{ls.source}: valid scenario {s.name!r} (schema {s.schema_version}): "
                   f"{plural(summary['raids'], 'raid')} ({plural(summary['threats'], 'missile')}), "
                   f"{plural(summary['sensors'], 'sensor')}, "
                   f"{plural(summary['interceptor_sites'], 'interceptor site')}, "
                   f"{plural(summary['observers'], 'observer')}, {plural(summary['aircraft'], 'aircraft track')}")

    @app.command()
    def scenarios(json_out: bool = typer.Option(False, "--json", help="Print one JSON object.")):
        """List the bundled scenarios (run one with `bmdsim run NAME`)."""
        from bmdsim.scenario.load import bundled_names, load_scenario

        rows = []
        for n in bundled_names():
            s = load_scenario(n).scenario
            rows.append({"name": n, "description": " ".join(s.description.split())})
        if json_out:
            echo_json({"scenarios": rows})
            return
        for r in rows:
            typer.echo(f"{r['name']:<22} {r['description']}")
