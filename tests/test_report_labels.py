"""The run report's PIP-error figure: its per-threat labels never overlap (issue 11), checked on the boxes the
renderer draws (matplotlib's window extents), with threats whose tracks start together."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from matplotlib.text import Text

from bmdsim.report.maps import pip_figure


def _crowded(n: int = 12):
    """``n`` threats from Iran whose tracks start within seconds of each other at nearly the same PIP error (as
    the default run's raids from Semnan do)."""
    threats, tracks = [], {}
    for i in range(n):
        name = f"iran-target-{i:02d}"
        threats.append(SimpleNamespace(name=name, impact_t_s=1800.0 + 5.0 * i, launch_latitude_deg=35.23,
                                       launch_longitude_deg=53.92))
        t = np.linspace(400.0 + 3.0 * i, 1790.0, 60)
        tracks[name] = SimpleNamespace(t_s=t, pip_error_km=np.geomspace(300.0 * (1 + 0.02 * i), 0.5, t.size))
    return SimpleNamespace(threats=threats, tracks=tracks)


def _boxes(fig):
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    ax = fig.axes[0]
    # the text's own box as drawn (an annotation's extent would include its leader line)
    return ax, [(a, Text.get_window_extent(a, r)) for a in ax.texts], fig.bbox


def test_pip_labels_do_not_overlap_and_point_at_their_track():
    fig = pip_figure(_crowded())
    ax, boxes, page = _boxes(fig)
    assert len(boxes) == 12
    for i, (_, b) in enumerate(boxes):
        for _, c in boxes[i + 1:]:
            assert not b.overlaps(c), (b, c)
        assert page.x0 <= b.x0 and b.x1 <= page.x1 and page.y0 <= b.y0 and b.y1 <= page.y1   # on the page
    moved = [a for a, _ in boxes if not np.allclose(a.xy, a.xyann)]
    assert moved                          # they started on top of each other: some had to move
    for a, _ in boxes:                    # each still points at the first point of its own track
        name = a.get_text()
        tr = _crowded().tracks[name]
        t = next(x for x in _crowded().threats if x.name == name)
        assert np.allclose(a.xy, ((t.impact_t_s - tr.t_s[0]) / 60, tr.pip_error_km[0]))
