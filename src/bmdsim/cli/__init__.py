"""The ``bmdsim`` command. Thin: parses, calls the layers below, formats. No physics here.

Each command lives in its own module ``cmd_*.py`` with a ``register(app)`` function; :data:`COMMAND_MODULES`
lists them in the order ``--help`` shows them. Errors from :mod:`bmdsim.errors` and click's usage errors become one
message on stderr and exit code 2; anything else is a bug (exit code 1, one line; ``--debug`` or ``BMDSIM_DEBUG=1``
print the traceback).
"""

from __future__ import annotations

import errno
import importlib
import os
import sys
import traceback
import warnings

import typer

from bmdsim import __version__
from bmdsim.errors import BmdsimError, BmdsimWarning

COMMAND_MODULES = [
    "bmdsim.cli.cmd_run",
    "bmdsim.cli.cmd_scenario",
    "bmdsim.cli.cmd_flight",
    "bmdsim.cli.cmd_sensing",
    "bmdsim.cli.cmd_airspace",
    "bmdsim.cli.cmd_track",
    "bmdsim.cli.cmd_engagement",
    "bmdsim.cli.cmd_sweep",
    "bmdsim.cli.cmd_serve",
    "bmdsim.cli.cmd_cache",
]

app = typer.Typer(
    name="bmdsim",
    help="Open, physics-based simulator for ballistic missile defense and air surveillance.\n\n"
    "Start with `bmdsim run` (the bundled 2007 European case); every focused command takes --json.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_DEBUG_ENV = "BMDSIM_DEBUG"
_state = {"debug": False}

# errno values that mean "the place you named cannot be used" (a user's fault or the machine's, not a bug)
_ENV_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EROFS, errno.ENOENT, errno.ENOTDIR, errno.EISDIR,
               errno.ENAMETOOLONG, errno.EEXIST, errno.ENOTEMPTY, errno.EXDEV, errno.ELOOP,
               getattr(errno, "EDQUOT", errno.ENOSPC)}


def _version(value: bool):
    if value:
        typer.echo(f"bmdsim {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit."),
          debug: bool = typer.Option(False, "--debug", help="On an internal error, print the full traceback "
                                     f"(also: {_DEBUG_ENV}=1).")):
    _state["debug"] = debug


for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def _classes(name: str) -> tuple[type, ...]:
    """The exception class ``name`` of every click the installed typer may use: the ``click`` package (typer
    < 0.2x) and the copy typer vendors as ``typer._click`` (typer >= 0.2x); whichever exist."""
    found = []
    for mod in ("click.exceptions", "typer._click.exceptions", "typer.exceptions"):
        try:
            cls = getattr(importlib.import_module(mod), name, None)
        except ImportError:
            continue
        if isinstance(cls, type) and cls not in found:
            found.append(cls)
    return tuple(found)


def _is(exc: BaseException, classes: tuple[type, ...], name: str) -> bool:
    # the class tuple covers the known module layouts; the name check covers a future one
    return isinstance(exc, classes) or any(c.__name__ == name for c in type(exc).__mro__)


def _debug() -> bool:
    return _state["debug"] or os.environ.get(_DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 2 bad input or a usage error, 1 internal failure, 130 Ctrl-C).

    The one error boundary of the command line: no input makes it print a traceback (only ``--debug`` or
    ``BMDSIM_DEBUG=1`` does, for a bug)."""
    _state["debug"] = False
    args = list(sys.argv[1:] if argv is None else argv)
    with warnings.catch_warnings():
        warnings.simplefilter("always", BmdsimWarning)
        warnings.showwarning = _show_warning
        return _main(args)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, BmdsimWarning):
        typer.echo(f"warning: {message}", err=True)
    else:
        _show_default(message, category, filename, lineno, file, line)


_show_default = warnings.showwarning


def _main(args: list[str]) -> int:
    click_exc, exit_exc, abort_exc = _classes("ClickException"), _classes("Exit"), _classes("Abort")
    try:
        # without standalone mode click returns the code of an Exit (e.g. 130 on Ctrl-C) instead of exiting
        rv = app(args=args, prog_name="bmdsim", standalone_mode=False)
    except BmdsimError as exc:
        from bmdsim.cli._common import in_cli_words

        typer.echo(f"error: {in_cli_words(exc)}", err=True)
        return 2
    except KeyboardInterrupt:
        typer.echo("aborted", err=True)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:
        if _is(exc, click_exc, "ClickException") and hasattr(exc, "show"):
            exc.show()   # click's usage line, the hint to --help and "Error: ..." (exit code 2 for usage errors)
            return int(getattr(exc, "exit_code", 2))
        if _is(exc, exit_exc, "Exit") and hasattr(exc, "exit_code"):
            return int(exc.exit_code)
        if _is(exc, abort_exc, "Abort"):
            typer.echo("aborted", err=True)
            return 1
        if isinstance(exc, OSError) and exc.errno in _ENV_ERRNOS:
            where = f" {exc.filename}" if exc.filename else ""
            typer.echo(f"error: cannot use{where}: {exc.strerror or exc}; check that the folder exists, is "
                       "writable and has free space", err=True)
            return 2
        if _debug():
            traceback.print_exception(exc)
        else:
            typer.echo(f"internal error ({type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''})"
                       f"; this is a bug in bmdsim: please report it with the command you ran (run it again with "
                       f"--debug or {_DEBUG_ENV}=1 for the full traceback)", err=True)
        return 1
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":
    sys.exit(main())
