"""The chase's threshold against the commit time, drawn from the run's ``chase_commit_curve`` records
(:class:`~bmdsim.analysis.reach.CommitCurvePoint`; issue 10, part 3): no number is recomputed here.

:func:`commit_curve_ax` draws one chased flight's curve on a matplotlib axes and returns it; :func:`commit_chart`
draws every chased flight of one site (one axes each) as PNG bytes for the report.
"""

from __future__ import annotations

import math

import numpy as np

from bmdsim.analysis.reach import CommitCurvePoint

__all__ = ["commit_curve_ax", "commit_chart"]


def commit_curve_ax(ax, points: list[CommitCurvePoint], *, title: str | None = None):
    """One flight's curve: the slowest engaging variant's burnout speed (steps, km/s) and the ideal bound
    (dashed) against the earliest interceptor launch (min after the threat's launch), the sensor timeline's
    commit marked with its source. Returns ``ax``."""
    pts = sorted(points, key=lambda p: p.commit_after_launch_s)
    t = np.array([p.commit_after_launch_s for p in pts]) / 60.0
    thr = np.array([p.threshold_mps for p in pts], dtype=float) / 1e3
    ideal = np.array([p.ideal_mps for p in pts], dtype=float) / 1e3
    ax.step(t, thr, where="post", color="k", lw=1.4, label="slowest engaging variant")
    ax.plot(t, ideal, color="tab:blue", ls="--", lw=1.0, label="ideal (impulsive) bound")
    none = ~np.isfinite(thr)
    if none.any():
        top = np.nanmax(np.concatenate([thr[~none], ideal[np.isfinite(ideal)], [1.0]]))
        ax.plot(t[none], np.full(none.sum(), top * 1.05), "x", color="tab:red", ms=4,
                label="no variant engages")
    mark = [p for p in pts if p.sensor_timeline]
    if mark:
        m = mark[0]
        ax.axvline(m.commit_after_launch_s / 60.0, color="tab:orange", lw=1.0)
        ax.annotate(f"commit at {m.commit_after_launch_s / 60.0:.1f} min: {m.commit_time_source}",
                    (m.commit_after_launch_s / 60.0, 0.02), xycoords=("data", "axes fraction"), fontsize=6,
                    color="tab:orange", rotation=0, ha="left", va="bottom", wrap=True)
    ax.set_xlabel("earliest interceptor launch (min after the threat's launch)")
    ax.set_ylabel("burnout speed needed (km/s)")
    if title:
        ax.set_title(title, fontsize=8)
    ax.legend(fontsize=6, loc="upper left")
    return ax


def commit_chart(points: list[CommitCurvePoint] | None) -> bytes | None:
    """Every chased flight's curve (first site), one axes each, as PNG bytes; ``None`` without points."""
    if not points:
        return None
    from bmdsim.report.maps import _plt, fig_png

    site = points[0].site
    flights = list(dict.fromkeys(p.threat for p in points if p.site == site))
    plt = _plt()
    cols = min(2, len(flights))
    rows = math.ceil(len(flights) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.4 * rows), squeeze=False)
    for ax, f in zip(axes.ravel(), flights, strict=False):
        commit_curve_ax(ax, [p for p in points if p.threat == f and p.site == site], title=f"{f} from {site}")
    for ax in axes.ravel()[len(flights):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig_png(fig)
