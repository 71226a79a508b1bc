"""Maps and charts of a run, drawn with matplotlib (Agg) from the shipped Natural Earth shapes.

Maps use a Lambert azimuthal equal-area projection (pyproj) centred on the area shown, so areas and the
scale bar are true; countries come from :mod:`bmdsim.airspace.naturalearth` (1:50m world; nothing is downloaded).
Every function returns PNG bytes.
"""

from __future__ import annotations

import io
import math

import numpy as np
import shapely

from bmdsim.scenario.run import RunResult

__all__ = ["overview_map", "coverage_map", "coverage_figure", "timeline_chart", "pip_chart", "pip_figure",
           "spread_labels", "aircraft_map",
           "fig_png"]

_LAND = "#ece8dc"
_EDGE = "#8a8a8a"
_SEA = "#f4f8fb"


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    return plt


def fig_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    _plt().close(fig)
    return buf.getvalue()


class _Proj:
    """Lambert azimuthal equal-area centred at (lat0, lon0); x, y in km."""

    def __init__(self, lat0: float, lon0: float):
        from pyproj import Transformer

        self.lat0, self.lon0 = lat0, lon0
        self._t = Transformer.from_crs("EPSG:4326", f"+proj=laea +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=km",
                                       always_xy=True)

    def __call__(self, lon, lat):
        x, y = self._t.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x), np.asarray(y)


def _draw_countries(ax, proj: _Proj, bounds_deg):
    from bmdsim.airspace import naturalearth
    from bmdsim.airspace.plot import fill_polygons

    view = shapely.box(*bounds_deg)
    fill_polygons(ax, [shapely.intersection(c.geometry, view) for c in naturalearth.countries("50m")
                       if c.geometry.intersects(view)], xy=proj, fc=_LAND, ec=_EDGE, lw=0.3, zorder=1)


def _graticule(ax, proj: _Proj, bounds_deg):
    lo0, la0, lo1, la1 = bounds_deg
    for lon in range(int(math.floor(lo0 / 10) * 10), int(lo1) + 1, 10):
        la = np.linspace(la0, la1, 60)
        x, y = proj(np.full_like(la, lon), la)
        ax.plot(x, y, color="#c8d3dc", lw=0.4, zorder=0.5)
    for lat in range(int(math.floor(la0 / 10) * 10), int(la1) + 1, 10):
        lo = np.linspace(lo0, lo1, 120)
        x, y = proj(lo, np.full_like(lo, lat))
        ax.plot(x, y, color="#c8d3dc", lw=0.4, zorder=0.5)


def _base_map(plt, proj, bounds, figsize):
    """A new figure with the Natural Earth countries and the graticule drawn over ``bounds``."""
    fig, ax = plt.subplots(figsize=figsize)
    _draw_countries(ax, proj, bounds)
    _graticule(ax, proj, bounds)
    return fig, ax


def _scale_bar(ax, length_km: float):
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    xs = x0 + 0.04 * (x1 - x0)
    ys = y0 + 0.05 * (y1 - y0)
    ax.plot([xs, xs + length_km], [ys, ys], color="k", lw=3, zorder=10, solid_capstyle="butt")
    ax.text(xs + length_km / 2, ys + 0.012 * (y1 - y0), f"{length_km:,.0f} km", ha="center", va="bottom",
            fontsize=8, zorder=10)


def _frame(ax, xs, ys, title: str, scale_km: float, pad: float = 0.06):
    """Limits from the plotted points ``xs``, ``ys`` (km) with a margin, then title, scale bar and credit."""
    xs, ys = np.concatenate(xs), np.concatenate(ys)
    ok = np.isfinite(xs) & np.isfinite(ys)
    x0, x1, y0, y1 = xs[ok].min(), xs[ok].max(), ys[ok].min(), ys[ok].max()
    dx, dy = (x1 - x0) * pad + 100, (y1 - y0) * pad + 100
    short = 0.62 * (x1 - x0 + 2 * dx) - (y1 - y0 + 2 * dy)
    if short > 0:  # keep the map from becoming a thin strip
        dy += short / 2
    ax.set_xlim(x0 - dx, x1 + dx)
    ax.set_ylim(y0 - dy, y1 + dy)
    ax.set_facecolor(_SEA)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=11)
    _scale_bar(ax, scale_km)
    ax.text(0.99, 0.01, "Lambert azimuthal equal-area; Natural Earth 1:50m (public domain); graticule 10 deg",
            transform=ax.transAxes, ha="right", va="bottom", fontsize=6, color="#555555")


def _color(result: RunResult, name: str) -> str:
    t = next(x for x in result.threats if x.name == name)
    if 24 <= t.launch_latitude_deg <= 40 and 44 <= t.launch_longitude_deg <= 64:
        return "#d73220"   # from Iran
    if t.launch_latitude_deg > 45 and t.launch_longitude_deg > 28:
        return "#7a3cc8"   # from Russia
    return "#e68c00"


def _fixed_points(result: RunResult):
    from bmdsim.flight import sites as fsites

    s = result.scenario
    local = {x.name: x for x in s.sites}
    radars = [(si.name, si.latitude_deg, si.longitude_deg) for si in result.sensors if si.kind == "radar"]
    ints = []
    for site in s.interceptor_sites:
        lat, lon = ((local[site.site].latitude_deg, local[site.site].longitude_deg) if site.site in local
                    else fsites.resolve("site", site.site))
        ints.append((site.name, lat, lon))
    return radars, ints


def _label(ax, x, y, text, **kw):
    ax.annotate(text, (x, y), xytext=(4, 3), textcoords="offset points", fontsize=7, zorder=12, **kw)


def overview_map(result: RunResult) -> bytes:
    """Europe and the North Atlantic: sites, radars, threat ground tracks (impact marked), the Brdy coverage at
    the first analysis altitude, and the aircraft route."""
    plt = _plt()
    bounds = (-100.0, 15.0, 110.0, 90.0)
    proj = _Proj(52.0, 0.0)
    fig, ax = _base_map(plt, proj, bounds, (10, 7.2))
    xs, ys = [], []
    seen = set()
    for t in result.threats:
        _, la, lo, _ = result.trajectories[t.name]
        x, y = proj(lo, la)
        xs.append(x)
        ys.append(y)
        c = _color(result, t.name)
        lab = "threat from Iran" if c == "#d73220" else "threat from Russia" if c == "#7a3cc8" else "threat"
        ax.plot(x, y, color=c, lw=1.3, zorder=5, label=None if lab in seen else lab)
        seen.add(lab)
        xi, yi = proj([t.impact_longitude_deg], [t.impact_latitude_deg])
        ax.plot(xi, yi, "x", color=c, ms=5, zorder=6)
    if result.coverage:
        h0 = result.coverage[0].altitude_km
        for r in result.coverage:
            if r.altitude_km != h0:
                continue
            x, y = proj(np.append(r.longitude_deg, r.longitude_deg[0]), np.append(r.latitude_deg, r.latitude_deg[0]))
            ax.plot(x, y, color="#0072b2", lw=0.8, ls="--", zorder=4,
                    label=None if "cov" in seen else f"radar coverage, {r.rcs_m2:g} m$^2$ at {h0:g} km")
            seen.add("cov")
    for a in result.aircraft:
        x, y = proj(a.longitude_deg, a.latitude_deg)
        xs.append(x)
        ys.append(y)
        ax.plot(x, y, color="k", lw=1.4, zorder=7, label=f"aircraft: {a.name}")
    radars, ints = _fixed_points(result)
    for i, (n, la, lo) in enumerate(radars):
        x, y = proj([lo], [la])
        xs.append(x)
        ys.append(y)
        ax.plot(x, y, "^", color="#0072b2", ms=8, mec="k", mew=0.5, zorder=11, label="radar" if i == 0 else None)
        _label(ax, x[0], y[0], n)
    for i, (n, la, lo) in enumerate(ints):
        x, y = proj([lo], [la])
        ax.plot(x, y, "s", color="#009e73", ms=8, mec="k", mew=0.5, zorder=11,
                label="interceptor site" if i == 0 else None)
        _label(ax, x[0], y[0], n)
    _frame(ax, xs, ys, f"{result.scenario.name}: threats, sensors, interceptor sites and the bomber route",
           1000.0)
    ax.plot([], [], "x", color="#555555", label="impact point")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=4, fontsize=7, frameon=False)
    fig.tight_layout()
    return fig_png(fig)


def coverage_map(result: RunResult) -> bytes:
    """Each radar's coverage per analysis altitude (a target of the analysis RCS is detected inside), as PNG."""
    return fig_png(coverage_figure(result))


def coverage_figure(result: RunResult):
    """The figure of :func:`coverage_map`; its legend sits right of the map so it covers no site or ring."""
    plt = _plt()
    bounds = (-40.0, 20.0, 80.0, 90.0)
    proj = _Proj(55.0, 15.0)
    fig, ax = _base_map(plt, proj, bounds, (9.5, 7))
    styles = ["-", "--", ":", "-."]
    colors = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#56b4e9", "#e69f00"]
    radars = sorted({r.sensor for r in result.coverage})
    alts = sorted({r.altitude_km for r in result.coverage})
    xs, ys = [np.zeros(1)], [np.zeros(1)]
    for r in result.coverage:
        c = colors[radars.index(r.sensor) % len(colors)]
        ls = styles[alts.index(r.altitude_km) % len(styles)]
        x, y = proj(np.append(r.longitude_deg, r.longitude_deg[0]), np.append(r.latitude_deg, r.latitude_deg[0]))
        xs.append(x)
        ys.append(y)
        ax.plot(x, y, color=c, ls=ls, lw=1.1, zorder=5,
                label=f"{r.sensor}, {r.altitude_km:g} km: {r.area_km2 / 1e6:.1f} M km$^2$")
    rad, ints = _fixed_points(result)
    for n, la, lo in rad:
        x, y = proj([lo], [la])
        ax.plot(x, y, "^", color="#0072b2", ms=8, mec="k", mew=0.5, zorder=11)
        _label(ax, x[0], y[0], n)
    for n, la, lo in ints:
        x, y = proj([lo], [la])
        ax.plot(x, y, "s", color="#009e73", ms=8, mec="k", mew=0.5, zorder=11)
        _label(ax, x[0], y[0], n)
    for t in result.threats:
        _, la, lo, _ = result.trajectories[t.name]
        x, y = proj(lo, la)
        ax.plot(x, y, color=_color(result, t.name), lw=0.6, alpha=0.6, zorder=4)
    rcs = result.coverage[0].rcs_m2 if result.coverage else float("nan")
    _frame(ax, xs, ys, f"Radar coverage of a {rcs:g} m$^2$ target, by target altitude", 500.0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=6.5, frameon=False)
    ax.set_anchor("W")   # the map to the left, the legend beside it
    fig.tight_layout()
    return fig


def timeline_chart(result: RunResult) -> bytes:
    """Per threat: flight from launch to impact, first report, first radar track, PIP within 10 km, and the
    interceptor sites' activation times."""
    plt = _plt()
    threats = result.threats
    fig, ax = plt.subplots(figsize=(10, 0.45 * len(threats) + 1.8))
    dec = {d.threat: d for d in result.decision}
    for i, t in enumerate(threats):
        y = len(threats) - 1 - i
        ax.plot([t.launch_t_s / 60, t.impact_t_s / 60], [y, y], color=_color(result, t.name), lw=5,
                alpha=0.45, solid_capstyle="butt", label="flight (launch to impact)" if i == 0 else None)
        d = dec.get(t.name)
        if d:
            if np.isfinite(d.first_report_t_s):
                ax.plot(d.first_report_t_s / 60, y, "o", color="#e69f00", ms=6,
                        label="first report (any sensor)" if i == 0 else None)
            if np.isfinite(d.first_radar_track_t_s):
                ax.plot(d.first_radar_track_t_s / 60, y, "D", color="#0072b2", ms=5,
                        label="first radar track" if i == 0 else None)
        tr = result.tracks.get(t.name)
        if tr is not None:
            t10 = tr.pip_stays_within_t_s(10.0)
            if np.isfinite(t10):
                ax.plot(t10 / 60, y, "*", color="k", ms=8, label="PIP stays within 10 km" if i == 0 else None)
    for site in result.scenario.interceptor_sites:
        d = next((x for x in result.decision if x.site == site.name), None)
        if d and d.active_from_t_s > 0:
            ax.axvline(d.active_from_t_s / 60, color="#009e73", ls="--", lw=1.2,
                       label=f"{site.name} activated")
    ax.set_yticks(range(len(threats)))
    ax.set_yticklabels([t.name for t in reversed(threats)], fontsize=8)
    ax.set_xlabel(f"minutes after the epoch ({result.scenario.epoch_utc:%Y-%m-%d %H:%M} UTC)")
    ax.grid(axis="x", lw=0.3)
    ax.legend(loc="lower right", fontsize=7, framealpha=0.9)
    ax.set_title("Timeline: launch, first report, first radar track, impact prediction, impact", fontsize=11)
    fig.tight_layout()
    return fig_png(fig)


def pip_chart(result: RunResult) -> bytes:
    """Error of the predicted impact point against time to impact, per tracked threat (log scale)."""
    return fig_png(pip_figure(result))


def pip_figure(result: RunResult):
    """:func:`pip_chart`'s figure: one line per tracked threat, labelled at its track's first point; labels that
    would overlap are moved apart (:func:`spread_labels`) with a thin line back to their point."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 4.5))
    tmap = {t.name: t for t in result.threats}
    labels = []
    for name, tr in result.tracks.items():
        ok = np.isfinite(tr.pip_error_km)
        if not ok.any():
            continue
        t = tmap[name]
        color = _color(result, name)
        ax.semilogy((t.impact_t_s - tr.t_s[ok]) / 60, np.maximum(tr.pip_error_km[ok], 1e-3), lw=1.1,
                    color=color, alpha=0.85)
        xy = ((t.impact_t_s - tr.t_s[ok][0]) / 60, max(tr.pip_error_km[ok][0], 1e-3))
        labels.append(ax.annotate(name, xy, xytext=xy, fontsize=6, va="bottom",
                                  arrowprops={"arrowstyle": "-", "lw": 0.4, "color": color, "shrinkA": 0,
                                              "shrinkB": 0}))
    ax.invert_xaxis()
    ax.set_xlabel("minutes before impact")
    ax.set_ylabel("predicted impact point error (km)")
    ax.grid(True, which="both", lw=0.3)
    ax.set_title("How well the fused radar track predicts where each threat lands", fontsize=11)
    fig.tight_layout()
    spread_labels(ax, labels)
    return fig


def spread_labels(ax, labels, *, pad_px: float = 1.0) -> None:
    """Move text annotations apart vertically until no two of their boxes (as the renderer draws them) overlap:
    upwards in order of height, then down again from the top of the axes for any pushed past it. A moved label
    keeps a line to its point (its ``arrowprops``)."""
    from matplotlib.text import Text

    if len(labels) < 2:
        return
    fig = ax.figure
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    inv = ax.transData.inverted()
    top = ax.get_window_extent(r).y1

    def box(a):     # the text's own box (an annotation's extent would include its line)
        return Text.get_window_extent(a, r)

    def move_to(a, y_px):
        x_px = ax.transData.transform(a.xyann)[0]
        a.xyann = tuple(inv.transform((x_px, y_px)))

    def overlaps(b, c):
        return b.x0 < c.x1 and c.x0 < b.x1 and b.y0 < c.y1 + pad_px and c.y0 < b.y1 + pad_px

    placed = []
    for a in sorted(labels, key=lambda a: box(a).y0):      # upwards: each above the ones it would overlap
        for _ in range(len(labels)):
            b = box(a)
            hit = [box(p) for p in placed if overlaps(b, box(p))]
            if not hit:
                break
            move_to(a, max(h.y1 for h in hit) + pad_px)
        placed.append(a)
    placed = []
    for a in sorted(labels, key=lambda a: -box(a).y1):     # downwards from the top for those pushed past it
        for _ in range(len(labels)):
            b = box(a)
            ceiling = min([top] + [box(p).y0 - pad_px for p in placed if box(p).x0 < b.x1 and b.x0 < box(p).x1])
            if b.y1 <= ceiling:
                break
            move_to(a, ceiling - b.height)
        placed.append(a)


def aircraft_map(result: RunResult) -> bytes | None:
    """The aircraft tracks against territorial airspace (the airspace layer's own map)."""
    if not result.aircraft:
        return None
    from bmdsim.airspace import draw_map

    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 9))
    pois = [p for a in result.aircraft for p in a.points_of_interest]
    draw_map(ax, [a.track for a in result.aircraft], [a.check for a in result.aircraft], pois=pois,
             title="Aircraft tracks and territorial airspace (land + 12 nmi)")
    fig.tight_layout()
    return fig_png(fig)


def footprint_map(result: RunResult) -> bytes | None:
    """Defended footprint of each interceptor site's main variant: aimpoint cells by shot opportunities."""
    fp = result.footprint
    if not fp or not fp.cells:
        return None
    plt = _plt()
    main = {x.name: x.interceptor for x in result.scenario.interceptor_sites}
    cells = [c for c in fp.cells if main.get(c.site) == c.variant]
    if not cells:
        return None
    first_launch = cells[0].launch_site
    cells = [c for c in cells if c.launch_site == first_launch]
    lo0, la0, lo1, la1 = fp.region_deg
    bounds = (lo0 - 5, la0 - 5, lo1 + 5, la1 + 5)
    proj = _Proj((la0 + la1) / 2, (lo0 + lo1) / 2)
    fig, ax = _base_map(plt, proj, bounds, (9, 7))
    lat = np.array([c.latitude_deg for c in cells])
    lon = np.array([c.longitude_deg for c in cells])
    x, y = proj(lon, lat)
    reach = np.array([c.reachable for c in cells])
    dfd = np.array([c.defended for c in cells])
    shots = np.array([c.shots for c in cells])
    from matplotlib import colormaps
    from matplotlib.patches import Patch

    g = fp.grid_step_deg / 2
    cmap = colormaps["Blues"]
    vmax = max(3, int(shots.max(initial=1)))
    edge = np.linspace(-1, 1, 9)
    for i in range(lat.size):
        blon = np.concatenate([lon[i] + g * edge, np.full(9, lon[i] + g), lon[i] - g * edge, np.full(9, lon[i] - g)])
        blat = np.concatenate([np.full(9, lat[i] - g), lat[i] + g * edge, np.full(9, lat[i] + g), lat[i] - g * edge])
        px, py = proj(blon, blat)
        color = ("#d9d9d9" if not reach[i] else "#e06650" if not dfd[i] else cmap(0.35 + 0.65 * shots[i] / vmax))
        ax.fill(px, py, fc=color, ec="white", lw=0.3, alpha=0.7, zorder=2)
    handles = [Patch(fc="#d9d9d9", label="out of the missile's reach"),
               Patch(fc="#e06650", label="reachable, not defended")]
    handles += [Patch(fc=cmap(0.35 + 0.65 * k / vmax), label=f"defended, {k} shot opportunit{'y' if k == 1 else 'ies'}")
                for k in range(1, int(shots.max(initial=1)) + 1)]
    xs, ys = [x], [y]
    for cty in fp.cities:
        if main.get(cty.site) != cty.variant or cty.launch_site != first_launch:
            continue
        cx, cy = proj([cty.longitude_deg], [cty.latitude_deg])
        ax.plot(cx, cy, "o", ms=4, color="k" if cty.defended else "#d73220", zorder=8)
        _label(ax, cx[0], cy[0], cty.name)
    _, ints = _fixed_points(result)
    for n, la, lo in ints:
        px, py = proj([lo], [la])
        ax.plot(px, py, "s", color="#009e73", ms=9, mec="k", zorder=11)
        _label(ax, px[0], py[0], n)
    variant = cells[0].variant
    _frame(ax, xs, ys, f"Defended footprint: {fp.missile} from {first_launch} vs {variant}", 500.0)
    ax.legend(handles=handles + [ax.plot([], [], "ok", ms=4, label="city, defended")[0],
                                 ax.plot([], [], "o", color="#d73220", ms=4, label="city, not defended")[0]],
              loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=3, fontsize=7, frameon=False)
    fig.tight_layout()
    return fig_png(fig)
