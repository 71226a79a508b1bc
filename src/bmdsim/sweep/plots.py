"""A sweep's results as figures (PNG in the sweep folder) and a one-file HTML report.

Figures (each written only when the sweep varies its x quantity):

- ``defended_area_vs_speed.png``: the engagement interceptor's defended area (km^2) against its burnout speed;
- ``engageable_vs_speed.png``: per launch field, the fraction of its chased ICBM flights the interceptor can
  engage, against the burnout speed;
- ``leakers_vs_pssk.png``: expected leakers (battle manager Monte Carlo) against the single-shot kill
  probability;
- ``leakers_by_case.png``: expected leakers per case (always, when any case ran): the fallback for sweeps of
  keys that are not numbers.

Points are the means over a case's trials with their standard deviation as error bars; one line per combination
of the swept keys that do not determine the x quantity.
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from bmdsim.sweep.cases import Plan
from bmdsim.sweep.figures import COLUMNS

__all__ = ["case_means", "means_text", "write_figures", "write_report", "FIGURES"]

#: the figures of a case, averaged over its trials, that the summaries show
FIGURES = ("expected_leakers", "p_no_leak", "leakers", "defended_area_km2", "defended_cities",
           "engageable_icbm_flights", "min_decision_window_s")
_SPEED = "interceptor_burnout_speed_mps"
_PSSK = "single_shot_kill_probability"


def case_means(plan: Plan, df: pd.DataFrame) -> pd.DataFrame:
    """One row per case: its swept values, the number of trials stored and failed, and the trial means of
    :data:`FIGURES` (NaN where not computed)."""
    keys = [s.key for s in plan.settings]
    if df.empty:
        return pd.DataFrame(columns=["case_index", "case_id", *keys, "trials", "failed", *FIGURES])
    g = df.groupby(["case_index", "case_id"], sort=True)
    out = g[list(FIGURES)].mean(numeric_only=False)
    out["trials"] = g.size()
    out["failed"] = g["error"].apply(lambda e: int(e.notna().sum()))
    first = g[keys].first() if keys else None
    if first is not None:
        out = first.join(out)
    return out.reset_index()


def means_text(keys: list[str], means: list[dict]) -> str:
    """The case means (:func:`case_means` as records; ``keys``: the swept keys) as a plain text table."""
    m = pd.DataFrame(means, columns=["case_index", "case_id", *keys, "trials", "failed", *FIGURES])
    return frame_text(m[list(keys) + ["trials", "failed"] + [f for f in FIGURES if m[f].notna().any()]])


def frame_text(m: pd.DataFrame) -> str:
    """A table as plain text, right-aligned columns."""
    cols = list(m.columns)
    rows = [[_fmt(r[c]) for c in cols] for _, r in m.iterrows()]
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(cols)]
    line = "  ".join(c.rjust(w) for c, w in zip(cols, widths, strict=True))
    return "\n".join([line] + ["  ".join(x.rjust(w) for x, w in zip(r, widths, strict=True)) for r in rows])


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if isinstance(x, float | np.floating):
        return f"{x:,.3g}" if abs(x) < 100 else f"{x:,.0f}"
    return str(x)


def _drivers(plan: Plan, df: pd.DataFrame, x: str) -> list[str]:
    """The swept keys that do not determine ``x`` (one line per combination of them)."""
    out = []
    for s in plan.settings:
        if df.groupby(s.key)[x].nunique(dropna=False).max() > 1 or df[s.key].nunique() == 1:
            out.append(s.key)
    return out


def _lines(ax, plan: Plan, df: pd.DataFrame, x: str, y: str, *, scale: float = 1.0, label_x: float = 1.0):
    others = _drivers(plan, df, x)
    groups = df.groupby(others, dropna=False) if others else [((), df)]
    for name, sub in groups:
        m = sub.groupby(x)[y].agg(["mean", "std", "count"]).reset_index().sort_values(x)
        m = m[np.isfinite(m["mean"].astype(float))]
        if m.empty:
            continue
        name = name if isinstance(name, tuple) else (name,)
        label = ", ".join(f"{k.split('.')[-1]}={v}" for k, v in zip(others, name, strict=True)) or None
        ax.errorbar(m[x] * label_x, m["mean"] * scale, yerr=m["std"].fillna(0.0) * scale, marker="o", capsize=3,
                    label=label)
    if any(h.get_label() and not h.get_label().startswith("_") for h in ax.get_lines()):
        ax.legend(fontsize=7)


def _engageable_long(df: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in df.iterrows():
        if r.get("engageable_json") is None or r.get(_SPEED) is None:
            continue
        for threat, field, ok in json.loads(r["engageable_json"]):
            rows.append({"case_index": r["case_index"], "trial": r["trial"], _SPEED: r[_SPEED],
                         "field": field or threat, "engageable": float(ok)})
    return pd.DataFrame(rows)


def write_figures(out: Path, plan: Plan, df: pd.DataFrame) -> list[Path]:
    """Write the figures the sweep supports into ``out``; returns their paths."""
    import matplotlib

    from bmdsim.report.maps import fig_png

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    out = Path(out)
    ok = df[df["error"].isna()] if not df.empty else df
    written: list[Path] = []

    def save(fig, name):
        p = out / name
        p.write_bytes(fig_png(fig))
        written.append(p)

    def varies(col):
        return not ok.empty and ok[col].notna().any() and ok[col].nunique() > 1

    if varies(_SPEED) and ok["defended_area_km2"].notna().any():
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        _lines(ax, plan, ok, _SPEED, "defended_area_km2", scale=1e-6, label_x=1e-3)
        ax.set(xlabel="interceptor burnout speed (km/s)", ylabel="defended area (million km²)",
               title=f"{plan.scenario}: defended area against burnout speed")
        ax.grid(alpha=0.3)
        save(fig, "defended_area_vs_speed.png")
    if varies(_SPEED) and ok["engageable_json"].notna().any():
        long = _engageable_long(ok)
        if not long.empty:
            fig, ax = plt.subplots(figsize=(6.4, 4.2))
            for field, sub in long.groupby("field"):
                m = sub.groupby(_SPEED)["engageable"].mean().sort_index()
                ax.plot(m.index / 1e3, m.values, marker="o", label=field)
            ax.set(xlabel="interceptor burnout speed (km/s)", ylabel="fraction of flights engageable",
                   title=f"{plan.scenario}: ICBM flights engageable, per launch field", ylim=(-0.05, 1.05))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)
            save(fig, "engageable_vs_speed.png")
    if varies(_PSSK) and ok["expected_leakers"].notna().any():
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
        _lines(ax, plan, ok, _PSSK, "expected_leakers")
        ax.set(xlabel="single-shot kill probability", ylabel="expected leakers (warheads)",
               title=f"{plan.scenario}: leakers against kill probability")
        ax.grid(alpha=0.3)
        save(fig, "leakers_vs_pssk.png")
    if not ok.empty and ok["expected_leakers"].notna().any():
        m = case_means(plan, ok)
        labels = [", ".join(f"{s.key.split('.')[-1]}={r[s.key]}" for s in plan.settings) or plan.scenario
                  for _, r in m.iterrows()]
        fig, ax = plt.subplots(figsize=(6.4, max(2.4, 0.35 * len(m) + 1.2)))
        ax.barh(range(len(m)), m["expected_leakers"], color="#4a78a8")
        ax.set_yticks(range(len(m)), labels, fontsize=7)
        ax.invert_yaxis()
        ax.set(xlabel="expected leakers (trial mean)", title=f"{plan.scenario}: expected leakers per case")
        fig.tight_layout()
        save(fig, "leakers_by_case.png")
    return written


_CSS = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}"
        "th{background:#f2f2f2}img{max-width:100%}.small{color:#666;font-size:12px}")


def _img(p: Path) -> str:
    b = base64.b64encode(p.read_bytes()).decode("ascii")
    return f'<p><img alt="{html.escape(p.stem)}" src="data:image/png;base64,{b}"></p>'


def html_table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r) + "</tr>"
                   for r in df.itertuples(index=False))
    return f"<table><tr>{head}</tr>{body}</table>"


def write_report(out: Path, plan: Plan, df: pd.DataFrame, figures: list[Path]) -> Path:
    """``report.html`` in ``out``: the plan, the figures and the case means (self-contained, no scripts)."""
    m = case_means(plan, df)
    keep = [c for c in m.columns if c not in FIGURES or m[c].notna().any()]
    settings = "".join(f"<li><code>{html.escape(s.key)}</code> = {html.escape(', '.join(map(str, s.values)))}</li>"
                       for s in plan.settings) or "<li>none (trials of the scenario as given)</li>"
    meanings = "".join(f"<li><code>{k}</code>: {html.escape(v[1])}</li>" for k, v in COLUMNS.items() if k in FIGURES)
    errors = df[df["error"].notna()] if not df.empty else df
    err = "" if errors.empty else ("<h2>Failed trials</h2>" + html_table(errors[["case_index", "trial", "error"]]))
    doc = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>bmdsim sweep: "
           f"{html.escape(plan.scenario)}</title><style>{_CSS}</style></head><body>"
           f"<h1>bmdsim sweep: {html.escape(plan.scenario)}</h1>"
           f"<p class=\"small\">scenario {html.escape(plan.source)} · SHA-256 {plan.sha256[:16]}… · seed {plan.seed} · "
           f"{len(plan.cases)} cases × {plan.trials} trials · {len(df)} rows stored</p>"
           f"<h2>Swept</h2><ul>{settings}</ul>"
           + "".join(_img(p) for p in figures)
           + f"<h2>Case means over the trials</h2>{html_table(m[keep])}<ul class=\"small\">{meanings}</ul>{err}"
           "<p class=\"small\">Every trial's row: <code>duckdb sweep.duckdb \"SELECT * FROM trials\"</code> "
           "(tables: trials, trial_runs, cases, sweep).</p></body></html>")
    p = Path(out) / "report.html"
    p.write_text(doc, encoding="utf-8")
    return p


# ---------------------------------------------------------------------------------------------- native sweeps
def write_native_figures(out: Path, native: str, scenario: str, tables: dict) -> list[Path]:
    """The figure of a native sweep (:mod:`bmdsim.sweep.native_run`) into ``out``; returns its paths."""
    import matplotlib

    from bmdsim.report.maps import fig_png

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    if native == "footprint":
        d = tables["footprint_summary"]
        for ls, sub in d.groupby("launch_site", sort=False):
            sub = sub.sort_values("burnout_speed_mps")
            ax.plot(sub.burnout_speed_mps / 1e3, sub.defended_area_km2 / 1e6, marker="o", label=f"from {ls}")
        ax.set(xlabel="interceptor burnout speed (km/s)", ylabel="defended area (million km²)",
               title=f"{scenario}: defended area per interceptor variant")
        name = "defended_area_vs_speed.png"
    elif native == "chase":
        d = tables["chase_fraction"]
        for m, sub in d.groupby("missile", sort=False):
            ax.plot(sub.burnout_speed_mps / 1e3, sub.fraction, marker="o", drawstyle="steps-post",
                    label=f"{m} ({int(sub.flights.iloc[0])} flights)")
        ax.set(xlabel="interceptor burnout speed (km/s)", ylabel="fraction of flights engageable",
               title=f"{scenario}: flights engageable against burnout speed", ylim=(-0.05, 1.05))
        name = "engageable_vs_speed.png"
    else:
        d = tables["montecarlo_warheads"].groupby(["site", "threat"], sort=False)["p_kill"].mean().reset_index()
        sites = list(dict.fromkeys(d.site))
        threats = list(dict.fromkeys(d.threat))
        w = 0.8 / max(len(sites), 1)
        for i, s in enumerate(sites):
            sub = d[d.site == s].set_index("threat").reindex(threats)
            ax.barh(np.arange(len(threats)) + i * w, sub.p_kill, height=w, label=s)
        ax.set_yticks(np.arange(len(threats)) + w * (len(sites) - 1) / 2, threats, fontsize=7)
        ax.invert_yaxis()
        n = int(tables["montecarlo"].n_trials.iloc[0]) if len(tables["montecarlo"]) else 0
        ax.set(xlabel="kill probability per warhead", xlim=(0, 1),
               title=f"{scenario}: battle Monte Carlo, {n:,} trials")
        name = "p_kill_by_threat.png"
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    fig.tight_layout()
    p = Path(out) / name
    p.write_bytes(fig_png(fig))
    return [p]


def write_native_report(out: Path, native: str, scenario: str, tables: dict, figures: list[Path]) -> Path:
    """``report.html`` of a native sweep: its figure and its summary table (self-contained, no scripts)."""
    first, *rest = tables
    doc = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>bmdsim sweep --native "
           f"{html.escape(native)}: {html.escape(scenario)}</title><style>{_CSS}</style></head><body>"
           f"<h1>bmdsim sweep --native {html.escape(native)}: {html.escape(scenario)}</h1>"
           + "".join(_img(p) for p in figures)
           + f"<h2>{html.escape(first)}</h2>{html_table(tables[first])}"
           f"<p class=\"small\">In sweep.duckdb: {', '.join(html.escape(t) for t in tables)} "
           f"(e.g. <code>duckdb sweep.duckdb \"SELECT * FROM {html.escape(rest[0] if rest else first)}\"</code>)."
           "</p></body></html>")
    p = Path(out) / "report.html"
    p.write_text(doc, encoding="utf-8")
    return p
