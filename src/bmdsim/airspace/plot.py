"""Maps of tracks against territorial airspace, drawn on a matplotlib Axes (plate carree, aspect set for the
mid latitude). matplotlib is imported only by the functions that draw."""

from __future__ import annotations

import numpy as np
import shapely

from . import naturalearth
from .sovereign import SovereignAirspace, default_airspace
from .tracks import Track, densify

__all__ = ["draw_map", "fill_polygons", "save_map"]


_COLLECTION_KW = {"fc": "facecolors", "ec": "edgecolors", "lw": "linewidths", "ls": "linestyles"}


def fill_polygons(ax, geom, *, xy=None, **kw):
    """Fill the polygons of ``geom`` (a geometry or a list of them; exteriors) on ``ax`` as one collection
    (``ax.fill`` per polygon was slow: each patch updates the axes' limits). ``xy(lon, lat) -> (x, y)``
    projects the exteriors (default: plotted as they are); ``kw`` in ``ax.fill``'s short names. Returns ``ax``."""
    from matplotlib.collections import PolyCollection

    parts = shapely.get_parts(np.asarray(geom if isinstance(geom, (list, tuple, np.ndarray)) else [geom]))
    rings = [np.column_stack(xy(*np.asarray(p.exterior.xy)) if xy else p.exterior.xy) for p in parts
             if p.geom_type == "Polygon" and not p.is_empty]
    if rings:
        ax.add_collection(PolyCollection(rings, **{_COLLECTION_KW.get(k, k): v for k, v in kw.items()}),
                          autolim=True)
        ax.autoscale_view()
    return ax


def draw_map(ax, tracks: list[Track] | tuple[Track, ...], results: list[dict] | None = None, *,
             pois=(), airspace: SovereignAirspace | None = None, extent=None, title: str | None = None):
    """Draw countries, territorial airspace (12 nmi), tracks, violations and CPAs on ``ax``.

    ``results``: the dicts of :func:`bmdsim.airspace.check_track` for the same tracks (optional; violations are
    drawn in red and CPA lines to the points of interest dashed). ``pois``: :class:`PointOfInterest` list.
    ``extent``: (lon_min, lon_max, lat_min, lat_max) in degrees; default: the tracks' bounds plus a margin.
    Returns ``ax``.
    """
    airspace = airspace or default_airspace()
    dense = [densify(t, 5000.0) for t in tracks]
    if extent is None:
        lon = np.concatenate([d.longitude_deg for d in dense] + [np.array([p.longitude_deg for p in pois])])
        lat = np.concatenate([d.latitude_deg for d in dense] + [np.array([p.latitude_deg for p in pois])])
        pad = 1.5
        extent = (lon.min() - pad * 2, lon.max() + pad * 2, lat.min() - pad, lat.max() + pad)
    x0, x1, y0, y1 = extent
    view = shapely.box(x0, y0, x1, y1)
    in_region = shapely.box(*naturalearth.REGION_10M).contains(view)
    scale = "10m" if in_region and (x1 - x0) < 40 else "50m"
    fill_polygons(ax, [shapely.intersection(c.geometry, view.buffer(1.0)) for c in naturalearth.countries(scale)
               if c.geometry.intersects(view)], fc="#e8e4d8", ec="#777777", lw=0.3, zorder=1)
    hit = airspace.tiles[shapely.intersects(airspace.tiles, view)]
    fill_polygons(ax, list(hit), fc="#c9d9f0", ec="none", alpha=0.6, zorder=0, label="territorial airspace (12 nmi)")
    for z in airspace.other_zones:
        fill_polygons(ax, z.geometry, fc="none", ec="#8a2be2", lw=1.0, ls="--", zorder=2)
    for k, (t, d) in enumerate(zip(tracks, dense, strict=True)):
        ax.plot(d.longitude_deg, d.latitude_deg, lw=1.4, zorder=3, label=t.id)
        res = results[k] if results else None
        if not res:
            continue
        states = airspace.country_at(d.latitude_deg, d.longitude_deg)
        home = [airspace.index(h) for h in res.get("home_countries", [])]
        viol = (states >= 0) & ~np.isin(states, home)
        if viol.any():
            ax.plot(np.where(viol, d.longitude_deg, np.nan), np.where(viol, d.latitude_deg, np.nan), color="red",
                    lw=2.5, zorder=4, label=f"{t.id}: in territorial airspace")
        for c in res.get("cpa", []):
            poi = next((p for p in pois if p.name == c["poi"]), None)
            if poi is not None:
                ax.plot([poi.longitude_deg, c["longitude_deg"]], [poi.latitude_deg, c["latitude_deg"]], "k--",
                        lw=0.8, zorder=3)
                ax.annotate(f"{c['distance_km']:.0f} km", ((poi.longitude_deg + c["longitude_deg"]) / 2,
                                                          (poi.latitude_deg + c["latitude_deg"]) / 2),
                            fontsize=7, zorder=6)
    for p in pois:
        ax.plot(p.longitude_deg, p.latitude_deg, "k*", ms=8, zorder=5)
        ax.annotate(p.name, (p.longitude_deg, p.latitude_deg), xytext=(4, 4), textcoords="offset points",
                    fontsize=8, zorder=6)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect(1.0 / max(np.cos(np.radians((y0 + y1) / 2)), 0.05))
    ax.set_xlabel("longitude (deg)")
    ax.set_ylabel("latitude (deg)")
    ax.legend(loc="lower right", fontsize=7)
    if title:
        ax.set_title(title)
    return ax


def save_map(path, tracks, results=None, **kwargs) -> None:
    """:func:`draw_map` on a new figure, saved to ``path`` (PNG, 150 dpi)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 9))
    try:
        draw_map(ax, tracks, results, **kwargs)
        fig.tight_layout()
        fig.savefig(path, dpi=150)
    finally:
        plt.close(fig)
