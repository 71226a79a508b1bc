"""The output folder of a run: a safe name, checks before any work, and an atomic, locked replacement.

- :func:`default_dir` derives the folder from a *slug* of the scenario name: one path component of letters,
  digits, ``.``, ``_`` and ``-`` that does not start with a dot, so it can never resolve outside the output root
  (``../../x``, ``/etc``) or onto it (``.``).
- :func:`check` runs before the simulation: the folder is not a file, not the working folder or one of its
  parents, not a folder of someone else's files, does not hold an input, and its parent can be written (a probe
  folder is created and removed: this catches read-only file systems, ``/proc`` and missing permissions).
- :func:`replace_atomically` writes the new output into a hidden sibling ``.NAME.partial-*`` and swaps it in
  with two renames (``NAME -> .NAME.old-*``, ``partial -> NAME``), holding an exclusive lock on
  ``.NAME.lock``: a second run into the same folder is refused with a clear message (the lock is released by
  the kernel when a process dies, so a killed run leaves no stale lock).
- :func:`recover` (called under the lock before each write) repairs what a killed run left: if ``NAME`` is
  missing but an ``.NAME.old-*`` exists, the newest old output is put back; leftover ``.partial-*`` and
  ``.old-*`` folders are removed.

A run killed at any moment therefore leaves the previous output in place, or restorable and restored by the
next run, and never debris that later runs do not clean.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from bmdsim.errors import InputError

__all__ = ["MARKER", "default_dir", "slug", "check", "lock", "recover", "replace_atomically", "debris"]

MARKER = ".bmdsim-output"  #: the file that says "this folder was written by bmdsim run and may be replaced"
_MAX_SLUG = 100
LOCK_WAIT_S = 60.0  #: how long a run waits for another run writing the same folder (writing takes seconds)
T = TypeVar("T")


def slug(name: str) -> str:
    """A safe folder name for a scenario name: one path component, no leading dot, at most 100 characters.

    >>> slug("europe-2007"), slug("../../../x"), slug("/etc/passwd"), slug("."), slug("Radar: Brdy (CZ)")
    ('europe-2007', 'x', 'etc-passwd', 'scenario', 'Radar-Brdy-CZ')
    """
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", str(name))
    s = re.sub(r"\.{2,}", ".", s).strip(".-_")[:_MAX_SLUG].strip(".-_")
    return s or "scenario"


def default_dir(root: Path | str, scenario_name: str) -> Path:
    """``root/slug(scenario_name)``: always a direct child of ``root``."""
    return Path(root) / slug(scenario_name)


def _names(out: Path) -> tuple[str, str, str]:
    return f".{out.name}.partial-", f".{out.name}.old-", f".{out.name}.lock"


def debris(out: Path) -> list[Path]:
    """The hidden partial and old folders of ``out`` that an interrupted run may have left."""
    out = Path(os.path.abspath(out))
    partial, old, _ = _names(out)
    if not out.parent.is_dir():
        return []
    return sorted(p for p in out.parent.iterdir() if p.name.startswith((partial, old)) and p.is_dir())


def check(out: Path | str, *, field: str = "--out", inputs=()) -> Path:
    """Check an output folder before any work; return its absolute path or raise :class:`InputError`."""
    text = str(out)
    if not text.strip():
        raise InputError(field, text, "give a folder name for the results, e.g. bmdsim-out/mine")
    p = Path(os.path.abspath(out))
    try:
        cwd = Path.cwd().resolve()
        real = p.resolve()
        if real == cwd or real in cwd.parents:
            raise InputError(field, text, "this is the working folder (or a parent of it), which bmdsim would "
                             "replace as a whole; give a new folder name, e.g. bmdsim-out/mine")
        if len(p.name.encode()) > 200:
            raise InputError(field, text[:80] + "...", "the folder name is too long; give one under 200 bytes")
        if p.exists() and not p.is_dir():
            raise InputError(field, text, "this is a file; give a folder for the results")
        if p.is_dir() and any(p.iterdir()) and not (p / MARKER).exists():
            raise InputError(field, text, "this folder holds other files and was not written by bmdsim run; "
                             "give a new or empty folder (bmdsim replaces its output folder as a whole)")
        for i in inputs:
            if i is None:
                continue
            ri = Path(i).resolve()
            if ri == real or real in ri.parents:
                raise InputError(field, text, f"the input {i} lies in this folder, which bmdsim replaces as a "
                                 "whole; give another output folder")
        ancestor = p.parent
        while not ancestor.exists():
            ancestor = ancestor.parent
        if not ancestor.is_dir():
            raise InputError(field, text, f"{ancestor} is a file, not a folder; give another output folder")
        # probe: can a folder be created there? (catches read-only file systems and /proc, even for root)
        os.rmdir(tempfile.mkdtemp(prefix=f".{p.name}.probe-", dir=ancestor))
    except OSError as exc:
        raise InputError(field, text, f"cannot write there ({exc.strerror or exc}); give a folder on a writable "
                         "disk with free space") from None
    return p


@contextlib.contextmanager
def lock(out: Path | str, *, field: str = "--out") -> Iterator[None]:
    """Hold the exclusive lock of output folder ``out`` (the file ``.NAME.lock`` beside it, removed on release);
    wait up to :data:`LOCK_WAIT_S` for another run that holds it, then refuse."""
    out = Path(os.path.abspath(out))
    out.parent.mkdir(parents=True, exist_ok=True)
    path = out.parent / _names(out)[2]
    deadline = time.monotonic() + LOCK_WAIT_S
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            if time.monotonic() >= deadline:
                raise InputError(field, str(out), f"another bmdsim run (process {holder}) has been writing this "
                                 f"folder for more than {LOCK_WAIT_S:g} s; wait for it to finish or give another "
                                 "--out") from None
            time.sleep(0.2)
            continue
        try:   # the holder before us may have removed the file after we opened it: then lock the new one
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)   # releases the lock; a killed process's lock is released by the kernel


def recover(out: Path | str) -> list[str]:
    """Repair what an interrupted run left beside ``out`` (call it holding :func:`lock`): put back the newest
    old output if ``out`` itself is missing, remove partial and old folders. Returns what was done."""
    out = Path(os.path.abspath(out))
    _, old_prefix, _ = _names(out)
    done = []
    olds = sorted((p for p in debris(out) if p.name.startswith(old_prefix)), key=lambda p: p.stat().st_mtime)
    if not out.exists() and olds and (olds[-1] / MARKER).exists():
        olds[-1].rename(out)
        done.append(f"restored the previous output from {olds[-1].name}")
    for p in debris(out):
        shutil.rmtree(p, ignore_errors=True)
        done.append(f"removed {p.name}")
    return done


def replace_atomically(out: Path | str, fill: Callable[[Path], T], *, field: str = "--out") -> T:
    """Call ``fill(tmp)`` to write the new output into a fresh hidden folder beside ``out``, then swap it in for
    ``out`` (holding the lock; repairing earlier debris first). If ``fill`` raises, or the process is
    interrupted, ``out`` keeps its previous content. Returns what ``fill`` returns."""
    out = Path(os.path.abspath(out))
    with lock(out, field=field):
        recover(out)
        partial, old_prefix, _ = _names(out)
        tmp = Path(tempfile.mkdtemp(prefix=partial, dir=out.parent))
        try:
            value = fill(tmp)
            (tmp / MARKER).write_text("written by bmdsim run; the folder is replaced as a whole on the next run\n",
                                      encoding="utf-8")
            old = None
            if out.exists():
                old = Path(tempfile.mkdtemp(prefix=old_prefix, dir=out.parent))
                old.rmdir()
                out.rename(old)
            _swapped(old)
            try:
                tmp.rename(out)
            except BaseException:
                if old is not None:
                    old.rename(out)
                raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return value


def _swapped(old: Path | None) -> None:
    """The moment between the two renames (the old output only in ``old``); a hook for the kill tests."""
