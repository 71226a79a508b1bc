"""The ``bmdsim`` command. Thin: parses, calls the layers below, formats. No physics here.

Each command lives in its own module ``cmd_*.py`` with a ``register(app)`` function; :data:`COMMAND_MODULES`
lists them in the order ``--help`` shows them. Errors from :mod:`bmdsim.errors` become one message on stderr and
exit code 2; anything else is a bug (exit code 1).
"""

from __future__ import annotations

import importlib
import sys

import typer

from bmdsim import __version__
from bmdsim.errors import BmdsimError

COMMAND_MODULES = [
    "bmdsim.cli.cmd_run",
    "bmdsim.cli.cmd_scenario",
    "bmdsim.cli.cmd_flight",
    "bmdsim.cli.cmd_sensing",
    "bmdsim.cli.cmd_airspace",
    "bmdsim.cli.cmd_track",
    "bmdsim.cli.cmd_engagement",
    "bmdsim.cli.cmd_serve",
]

app = typer.Typer(
    name="bmdsim",
    help="Open, physics-based simulator for ballistic missile defense and air surveillance.\n\n"
    "Start with `bmdsim run` (the bundled 2007 European case); every focused command takes --json.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool):
    if value:
        typer.echo(f"bmdsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit.")):
    pass


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input, 1 internal failure)."""
    try:
        # without standalone mode click returns the code of a typer.Exit (e.g. 130 on Ctrl-C) instead of exiting
        rv = app(args=argv, standalone_mode=False)
    except BmdsimError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return 1
    except Exception as exc:  # click usage errors carry their own exit code 2
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
