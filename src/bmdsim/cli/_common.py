"""Helpers shared by the command modules: parsing user input into typed values with teaching errors, and
printing JSON."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
from pathlib import Path

import numpy as np
import typer

from bmdsim.core.checks import check_latitude, check_longitude, wrap_longitude
from bmdsim.core.jsonable import clean
from bmdsim.errors import InputError


def parse_latlon(field: str, text: str) -> tuple[float, float]:
    """Parse ``"LAT,LON"`` in degrees; raise :class:`InputError` naming ``field`` otherwise.

    >>> parse_latlon("--from", "35.23,53.92")
    (35.23, 53.92)
    """
    parts = str(text).split(",")
    try:
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError(field, text, "give latitude and longitude in degrees as LAT,LON, e.g. 35.23,53.92")\
            from None
    check_lat(field, lat)
    check_longitude(field, lon, max_abs_deg=360.0, value=text)
    return lat, lon if -180.0 <= lon <= 180.0 else float(wrap_longitude(lon))


def check_lat(field: str, lat: float) -> None:
    check_latitude(field, lat)


def _default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o))


def echo_json(obj) -> None:
    typer.echo(json.dumps(clean(obj), default=_default, indent=None))


def check_output_file(field: str, path, suffixes: tuple[str, ...], inputs=()) -> Path:
    """Check an output file name before any work: a supported extension, an existing writable folder, not a
    folder itself and not one of the ``inputs``. Returns the path; raises :class:`InputError` naming ``field``.

    >>> try:
    ...     check_output_file("--png", "/nonexistent-dir/x.png", (".png",))
    ... except InputError as e:
    ...     print(e.hint)
    the folder /nonexistent-dir does not exist; create it or give another file name
    """
    p = Path(path)
    text = str(path)
    if not text.strip():
        raise InputError(field, text, "give a file name")
    if p.suffix.lower() not in suffixes:
        raise InputError(field, text, "give a file name ending in " + " or ".join(suffixes))
    if len(p.name.encode()) > 255:
        raise InputError(field, text[:80] + "...", "the file name is longer than 255 bytes; give a shorter one")
    try:
        folder = p.parent if str(p.parent) else Path(".")
        if p.is_dir():
            raise InputError(field, text, "this is a folder; give a file name")
        if not folder.is_dir():
            raise InputError(field, text, f"the folder {folder} does not exist; create it or give another file name")
        if not os.access(folder, os.W_OK | os.X_OK) or (p.exists() and not os.access(p, os.W_OK)):
            raise InputError(field, text, f"cannot write in {folder} (permission denied or read-only); give "
                             "another file name")
        for i in inputs:
            if i is not None and Path(i).exists() and p.exists() and p.resolve() == Path(i).resolve():
                raise InputError(field, text, "this is also an input file; give another name for the output")
    except OSError as exc:   # e.g. a name too long for the file system, a loop of links
        raise InputError(field, text[:200], f"cannot use this file name ({exc.strerror or exc})") from None
    return p


#: the Python parameter named by an error of the layers below -> the command-line flag that sets it
PARAMETER_FLAGS = {
    "rcs_m2": "--rcs-m2", "pip_dt_s": "--pip-dt-s", "dt_s": "--dt-s", "launch": "--from", "target": "--to",
    "sensors": "--radars", "radar": "--radar", "missile": "--missile",
    "interceptor": "--interceptor", "interceptor_speed_mps": "--interceptor-speed-mps",
    "commit_delay_s": "--commit-delay-s", "activation_delay_s": "--activation-delay-s",
    "earliest_launch_after_threat_s": "--commit-delay-s",
    # bmdsim.sweep (run_sweep, the native sweeps)
    "settings": "--set", "trials": "--trials", "workers": "--workers", "scheduler": "--scheduler",
    "out": "--out", "resume": "--resume", "n_trials": "--trials", "chunk": "--chunk", "speeds_mps": "--speeds",
    "partitions": "--partitions", "native": "--native", "variants": "--variants",
}
_PARAM_IN_HINT = re.compile(r"`([a-z][a-z0-9_]*)`")


def in_cli_words(exc: Exception) -> str:
    """The message of ``exc`` in the command line's words: the Python parameter it names replaced by its flag
    (:data:`PARAMETER_FLAGS`; ``settings[KEY]`` becomes ``--set KEY``), and so are the parameters its hint names
    in backquotes (```trials``` becomes ``--trials``; other backquoted text stays)."""
    field = getattr(exc, "field", None)
    if not isinstance(exc, InputError) or not isinstance(field, str):
        return str(exc)
    base, bracket, rest = field.partition("[")
    if base not in PARAMETER_FLAGS:
        return str(exc)
    flag = PARAMETER_FLAGS[base] + (f" {rest[:-1]}" if bracket and rest.endswith("]") else "")
    hint = _PARAM_IN_HINT.sub(lambda m: PARAMETER_FLAGS.get(m.group(1), m.group(0)), exc.hint)
    v = exc.value
    return f"{flag} = {v}: {hint}" if isinstance(v, int | float) else f"{flag} = {v!r}: {hint}"


def check_number(field: str, value, lo: float | None = None, hi: float | None = None, *, hint: str = "",
                 lo_open: bool = False) -> None:
    """A CLI number must be finite and in ``[lo, hi]`` (``(lo, hi]`` with ``lo_open``); ``None`` passes (the
    option was not given).

    >>> check_number("--commit-delay-s", -5, 0, 86_400, hint="give seconds after the threat's launch")
    Traceback (most recent call last):
    ...
    bmdsim.errors.InputError: --commit-delay-s = -5: give seconds after the threat's launch (between 0 and 86400)
    """
    if value is None:
        return
    x = float(value)
    ok = math.isfinite(x) and (lo is None or (x > lo if lo_open else x >= lo)) and (hi is None or x <= hi)
    if not ok:
        rng = (f"between {lo:g} and {hi:g}" if lo is not None and hi is not None else
               f"{'above' if lo_open else 'at least'} {lo:g}" if lo is not None else f"at most {hi:g}")
        raise InputError(field, value, f"{hint} ({rng})" if hint else f"give a finite number {rng}")


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and the word, in the singular for one.

    >>> plural(1, "interceptor site"), plural(3, "opportunity", "opportunities")
    ('1 interceptor site', '3 opportunities')
    """
    return f"{n} {word if n == 1 else (many or word + 's')}"


@contextlib.contextmanager
def progress_bars(*, disable: bool = False, width: int = 22):
    """Progress bars on stderr (stdout stays clean for ``--json``), one per step: yields the
    ``progress(step, done, total)`` callback that ``bmdsim.run`` and the analyses take; a step's bar appears on
    its first call. ``disable``: draw nothing."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn(f"{{task.description:<{width}}}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=Console(stderr=True), disable=disable) as prog:
        tasks: dict[str, int] = {}

        def progress(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = prog.add_task(step, total=max(total, 1))
            prog.update(tasks[step], completed=done, total=max(total, 1))

        yield progress
