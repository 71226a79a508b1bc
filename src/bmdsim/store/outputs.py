"""The output folder of a run (``bmdsim run`` and ``RunResult.write``): ``results.duckdb`` (docs/database.md),
``report.html``, ``scene.czml``, ``scene.kml``, ``coverage.geojson``, ``footprints.geojson``,
``trajectories.geojson``, ``summary.json`` and, per observer of a shared feed, ``feed-OBSERVER.jsonl``.

The folder is filled in a temporary sibling and moved into place only when complete (:func:`replace_folder`);
a failed or interrupted write leaves the previous output as it was and no partial files. The HTML report comes
from the caller (``render_report``), since the store and the report layer do not import each other.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from bmdsim.core.jsonable import clean
from bmdsim.errors import InputError
from bmdsim.scenario.result import RunResult

__all__ = ["OUTPUT_FILES", "MARKER", "feed_file", "check_out_dir", "replace_folder", "write_outputs"]

OUTPUT_FILES = ("results.duckdb", "report.html", "scene.czml", "scene.kml", "coverage.geojson", "footprints.geojson",
                "trajectories.geojson", "summary.json")
MARKER = ".bmdsim-output"


def feed_file(observer: str) -> str:
    """The name of an observer's feed file in the output folder."""
    return f"feed-{observer}.jsonl"


def check_out_dir(out: Path) -> None:
    """Refuse a file, or a folder with other files that bmdsim did not write (it is replaced as a whole)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("out_dir", str(out), "this is a file; give a folder for the results")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise InputError("out_dir", str(out), "this folder holds other files and was not written by bmdsim run; "
                         "give a new or empty folder (bmdsim replaces its output folder as a whole)")


def replace_folder(out: Path, fill: Callable[[Path], object]):
    """Fill a temporary folder beside ``out`` with ``fill(tmp)``, then move it into place of ``out`` (the previous
    folder is removed only once the new one is in place). Returns what ``fill`` returned."""
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    try:
        value = fill(tmp)
        (tmp / MARKER).write_text("written by bmdsim run; the folder is replaced as a whole on the next run\n",
                                  encoding="utf-8")
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
        return value
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_outputs(out: Path, result: RunResult, *, render_report: Callable[..., str],
                  progress: Callable[[str, int, int], None] | None = None) -> list[str]:
    """Write every output file of ``result`` into the folder ``out`` (replaced as a whole); returns the file
    names. ``render_report(result, files=...) -> str`` is :func:`bmdsim.report.html.render_report`."""
    from bmdsim.sensing.feed import write_jsonl
    from bmdsim.store import exports
    from bmdsim.store.database import write_database

    progress = progress or (lambda *_: None)
    check_out_dir(out)
    out_text = str(Path(out).resolve())

    def fill(tmp: Path) -> list[str]:
        progress("writing outputs", 0, 4)
        write_database(tmp / "results.duckdb", result)
        progress("writing outputs", 1, 4)
        exports.write_czml(tmp / "scene.czml", result)
        exports.write_kml(tmp / "scene.kml", result)
        exports.write_geojson(tmp, result)
        progress("writing outputs", 2, 4)
        files = list(OUTPUT_FILES)
        for name, feeds in result.feeds.items():
            write_jsonl(feeds, tmp / feed_file(name))
            files.append(feed_file(name))
        (tmp / "report.html").write_text(render_report(result, files=files), encoding="utf-8")
        (tmp / "summary.json").write_text(json.dumps(clean(result.summary(out_text)), indent=1),
                                          encoding="utf-8")
        progress("writing outputs", 4, 4)
        return files

    return replace_folder(out, fill)
