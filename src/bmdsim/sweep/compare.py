"""Scenarios side by side: the six questions' answers of each run in one table, and a comparison report (one HTML
file) with their maps next to each other.

A compared item is a scenario (bundled name or YAML file) or a case of a finished sweep, ``SWEEP_DIR@CASE``
(the case index of ``sweep.duckdb``'s ``cases`` table; the case's scenario runs with the scenario's own seed).
The answers come from :func:`bmdsim.sweep.figures.figures` (the figures a sweep stores) and the run's records.
"""

from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bmdsim.errors import InputError
from bmdsim.scenario.load import LoadedScenario, load_scenario, validate_text
from bmdsim.sweep.figures import figures

__all__ = ["Item", "load_item", "Answer", "answers", "write_report"]


@dataclass(frozen=True, slots=True)
class Item:
    """One compared scenario: its label, the loaded scenario (text and source) and, for a sweep case, where."""

    label: str
    loaded: LoadedScenario


def load_item(ref: str) -> Item:
    """A bundled scenario, a YAML file, or ``SWEEP_DIR@CASE`` (a case of a sweep)."""
    base, sep, idx = ref.rpartition("@")
    if sep and Path(base).is_dir():
        import duckdb

        from bmdsim.sweep.store import DATABASE

        db = Path(base) / DATABASE
        if not db.is_file() or not idx.isdigit():
            raise InputError("scenario", ref, f"give SWEEP_DIR@CASE with a folder holding {DATABASE} and a case "
                             "index, e.g. sweep/@0")
        with duckdb.connect(str(db), read_only=True) as con:
            row = con.execute("SELECT label, scenario_yaml FROM cases WHERE case_index = ?", [int(idx)]).fetchone()
            n = con.execute("SELECT count(*) FROM cases").fetchone()[0]
            src = con.execute("SELECT json_extract_string(manifest_json, '$.source') FROM sweep").fetchone()[0]
        if row is None:
            raise InputError("scenario", ref, f"the sweep has cases 0 to {n - 1}")
        label, text = row
        base_dir = Path(src).parent if not str(src).startswith("bundled:") else None
        scn = validate_text(f"{ref}", text, base_dir=base_dir)
        import hashlib

        ls = LoadedScenario(scn, text, hashlib.sha256(text.encode("utf-8")).hexdigest(), f"{src} case {idx}",
                            base_dir)
        return Item(f"{Path(base).name}@{idx} ({label})", ls)
    ls = load_scenario(ref)
    return Item(ls.scenario.name, ls)


@dataclass(frozen=True, slots=True)
class Answer:
    """One row of the comparison: the question (1-6), what is measured, and its value (``None``: not computed)."""

    question: str
    what: str
    value: object

    def text(self) -> str:
        v = self.value
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            return "–"
        if isinstance(v, bool):
            return "yes" if v else "no"
        if isinstance(v, float):
            return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
        if isinstance(v, int):
            return f"{v:,}"
        return str(v)


Q = ("1. What the defense protects", "2. What it could threaten", "3. What the radars see",
     "4. Decision time", "5. What a shared feed reveals", "6. Airspace")


def _median(xs):
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    return float(np.median(xs)) if xs else None


def answers(result) -> list[Answer]:
    """The six questions' answers of one run, as rows (the same rows, in the same order, for every run)."""
    f = figures(result)
    scn = result.scenario
    out = [
        Answer(Q[0], "engagement interceptor", f["interceptor"]),
        Answer(Q[0], "warheads intercepted in the seeded realisation", None if f["intercepted"] is None
               else f"{f['intercepted']} of {f['threats']}"),
        Answer(Q[0], "expected leakers (Monte Carlo)", f["expected_leakers"]),
        Answer(Q[0], "P(no leak)", f["p_no_leak"]),
        Answer(Q[0], "defended cities", f["defended_cities_list"] if f["defended_cities"] else f["defended_cities"]),
        Answer(Q[0], "defended area, million km²", None if f["defended_area_km2"] is None
               else f["defended_area_km2"] / 1e6),
        Answer(Q[1], "ICBM flights engageable (engagement interceptor)", None if f["chase_flights"] is None
               else f"{f['engageable_icbm_flights']} of {f['chase_flights']}"),
    ]
    if result.chase:
        per = ", ".join(f"{v} {n}" for v, n in result.summary()["engageable_icbm_flights"].items())
        out.append(Answer(Q[1], "engageable per variant", per))
    radars = [s.name for s in result.sensors if s.kind == "radar"]
    out += [
        Answer(Q[2], "radars", ", ".join(radars)),
        Answer(Q[2], "threats with a fused radar track", f"{f['tracked_threats']} of {len(result.threats)}"),
        Answer(Q[2], "median ground range flown unseen, km",
               _median(u.unseen_ground_range_km for u in result.unseen)),
        Answer(Q[2], "median first radar track after launch, min",
               _median((d.first_radar_track_t_s - d.launch_t_s) / 60 for d in
                       {d.threat: d for d in result.decision}.values())),
        Answer(Q[3], "readiness", "; ".join(f"{s.name}: {s.readiness.state}"
                                            + (f" {s.readiness.activation_delay_s / 60:.0f} min"
                                               if s.readiness.state == "delayed" else "")
                                            for s in scn.interceptor_sites) or None),
        Answer(Q[3], "median warning time, min", None if f["median_warning_time_s"] is None
               else f["median_warning_time_s"] / 60),
        Answer(Q[3], "shortest decision window, min", None if f["min_decision_window_s"] is None
               else f["min_decision_window_s"] / 60),
        Answer(Q[3], "threats not engaged for the activation delay",
               sum(1 for o in result.outcomes or [] if o.shots == 0 < o.shots_on_alert)
               if result.outcomes is not None else None),
    ]
    for name, o in result.observers_summary().items():
        out.append(Answer(Q[4], f"observer {name}: hears of / PIP within 10 km",
                          f"{o['threats_heard']} / {o['impact_within_10_km']} of {o['threats']}"))
        out.append(Answer(Q[4], f"observer {name}: median delay to 10 km against the defense, s",
                          o["median_delay_10_km_s"]))
    for a in result.aircraft:
        c = a.check
        out.append(Answer(Q[5], f"{a.name}: entered territorial airspace", bool(c["entered_territorial_airspace"])))
        if c["cpa"]:
            out.append(Answer(Q[5], f"{a.name}: closest approach, km", min(p["distance_km"] for p in c["cpa"])))
    return out


def table(labels: list[str], rows_per_item: list[list[Answer]]) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the side-by-side table (rows matched by question and measure, in first-seen order)."""
    keys = list(dict.fromkeys((a.question, a.what) for rows in rows_per_item for a in rows))
    looked = [{(a.question, a.what): a for a in rows} for rows in rows_per_item]
    body = []
    for q, w in keys:
        cells = [lk[(q, w)].text() if (q, w) in lk else "–" for lk in looked]
        body.append([q, w, *cells])
    return ["question", "measure", *labels], body


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1400px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top}"
        "th{background:#f2f2f2}.grid{display:grid;gap:8px}img{width:100%}.small{color:#666;font-size:12px}"
        "td.diff{background:#fff4d6}")


def write_report(out: Path, items: list[Item], results: list) -> Path:
    """``compare.html`` in ``out``: the answers side by side (cells that differ from the first item highlighted)
    and each item's overview and footprint maps next to each other."""
    from bmdsim.report.maps import footprint_map, overview_map

    labels = [i.label for i in items]
    head, body = table(labels, [answers(r) for r in results])
    rows = []
    for r in body:
        cells = f"<td>{html.escape(r[0])}</td><td>{html.escape(r[1])}</td>"
        vals = "".join(f'<td class="{"diff" if k and v != r[2] else ""}">{html.escape(v)}</td>'
                       for k, v in enumerate(r[2:]))
        rows.append(f"<tr>{cells}{vals}</tr>")
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    cols = f"grid-template-columns:repeat({len(items)},1fr)"

    def img(png, alt):
        if not png:
            return f"<p class='small'>{html.escape(alt)}: not computed</p>"
        return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'

    maps = ""
    for title, fn in (("Overview", overview_map), ("Defended footprint", footprint_map)):
        cells = "".join(f"<div><b>{html.escape(lab)}</b>{img(fn(r), f'{title} of {lab}')}</div>"
                        for lab, r in zip(labels, results, strict=True))
        maps += f"<h2>{title}</h2><div class='grid' style='{cols}'>{cells}</div>"
    prov = "".join(f"<li>{html.escape(i.label)}: {html.escape(i.loaded.source)}, SHA-256 {i.loaded.sha256[:16]}…, "
                   f"seed {i.loaded.scenario.seed}</li>" for i in items)
    doc = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>bmdsim compare: "
           f"{html.escape(' vs '.join(labels))}</title><style>{_CSS}</style></head><body>"
           f"<h1>bmdsim compare: {html.escape(' · '.join(labels))}</h1><ul class='small'>{prov}</ul>"
           f"<h2>The six questions</h2><table><tr>{th}</tr>{''.join(rows)}</table>"
           "<p class='small'>Highlighted: differs from the first column.</p>"
           f"{maps}</body></html>")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    p = out / "compare.html"
    p.write_text(doc, encoding="utf-8")
    return p
