"""The output folder of a run (``bmdsim run`` and ``RunResult.write``): ``results.duckdb`` (docs/database.md),
``report.html``, ``scene.czml``, ``scene.kml``, ``coverage.geojson``, ``footprints.geojson``,
``trajectories.geojson``, ``summary.json`` and, per observer of a shared feed, ``feed-OBSERVER.jsonl``.

The folder is checked first and filled in a temporary sibling that is moved into place only when complete, under
a lock (:mod:`bmdsim.store.outdir`); a failed or interrupted write leaves the previous output as it was. The HTML
report comes from the caller (``render_report``), since the store and the report layer do not import each other.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from bmdsim.core.jsonable import clean
from bmdsim.scenario.result import RunResult

__all__ = ["OUTPUT_FILES", "feed_file", "write_outputs"]

OUTPUT_FILES = ("results.duckdb", "report.html", "scene.czml", "scene.kml", "coverage.geojson", "footprints.geojson",
                "trajectories.geojson", "summary.json")


def feed_file(observer: str) -> str:
    """The name of an observer's feed file in the output folder."""
    return f"feed-{observer}.jsonl"


def write_outputs(out: Path, result: RunResult, *, render_report: Callable[..., str],
                  progress: Callable[[str, int, int], None] | None = None) -> list[str]:
    """Write every output file of ``result`` into the folder ``out`` (checked, then replaced as a whole); returns
    the file names. ``render_report(result, files=...) -> str`` is :func:`bmdsim.report.html.render_report`.
    Errors name ``out`` as ``path`` (the parameter of ``RunResult.write``; the CLI says ``--out``)."""
    from bmdsim.sensing.feed import write_jsonl
    from bmdsim.store import exports, outdir
    from bmdsim.store.database import write_database

    progress = progress or (lambda *_: None)
    out = outdir.check(out, field="path")

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
        (tmp / "summary.json").write_text(json.dumps(clean(result.summary(str(out))), indent=1), encoding="utf-8")
        progress("writing outputs", 4, 4)
        return files

    return outdir.replace_atomically(out, fill, field="path")
