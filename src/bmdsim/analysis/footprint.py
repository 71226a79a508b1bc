"""Defended footprint: which aimpoints a site protects against launches from one area.

For a grid of aimpoints (land cells of a region; default Europe and the U.S. East Coast) the threat missile is
aimed from the launch area at each (minimum-energy profile) and flown with the production engine; each flight is
run through the site's fire control (:func:`bmdsim.engagement.firecontrol.windows`, the fan looked up at every
trajectory sample). Per aimpoint:

- ``reachable``: the missile can be aimed there (within its range; miss under 10 km);
- ``shots``: shoot-look-shoot opportunities (each next interceptor launched after the previous intercept plus the
  kill-assessment time), at most ``inventory // salvo``;
- ``defended``: at least one opportunity;
- ``p_no_leak``: the probability that the threat is killed, ``1 - (1 - Pssk)^n`` with ``n = min(inventory,
  salvo x shots)`` interceptors (independent shots, perfect kill assessment, one threat).

The earliest interceptor launch is, per aimpoint, the sensor timeline of that aimpoint's own threat flight
(:func:`bmdsim.analysis.engage.sensor_timeline` run on each flight alone, with the same seed, so that
:func:`bmdsim.analysis.chase.chase` computes the same commit for the same aimpoint; all flights in one batch,
:func:`bmdsim.analysis.engage.own_sensor_timelines`, with the same draws), unless given (then stated as an
assumption). ``sensor_sample=N`` restores the older shortcut: the timeline of the nearest of ``N`` sampled
flights by launch azimuth. The minimum intercept altitude is the site's unless given.

``verify=N`` checks up to ``N`` cells' verdicts by flying, without reading the fan table
(:mod:`bmdsim.engagement.verify`): a third each from the defended side of the defended boundary, the undefended
side, and the reachable cells farthest from the site; the agreement is in :attr:`Footprint.verification`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from bmdsim.analysis import engage
from bmdsim.analysis.engage import (
    SiteRef,
    defense_of,
    fan_at,
    fly_threats,
    interceptor_for,
    own_sensor_timelines,
    sensor_timeline,
)
from bmdsim.core import geodesy
from bmdsim.engagement.doctrine import p_kill_independent
from bmdsim.engagement.fan import FanSettings
from bmdsim.engagement.firecontrol import windows
from bmdsim.flight import catalog, sites
from bmdsim.flight.targeting import range_table

__all__ = ["Footprint", "footprint", "aimpoint_grid", "DEFAULT_REGION"]

#: lon0, lat0, lon1, lat1: Europe, the Atlantic and the U.S. East Coast
DEFAULT_REGION = (-82.0, 25.0, 45.0, 72.0)
MISS_LIMIT_M = 10_000.0


def aimpoint_grid(region=DEFAULT_REGION, grid_deg: float = 2.0, *, land_only: bool = True):
    """Cell centres ``(lat_deg, lon_deg)`` of a regular grid over ``region``, land cells only by default
    (Natural Earth 1:110m land)."""
    lon0, lat0, lon1, lat1 = region
    lats = np.arange(lat0 + grid_deg / 2, lat1, grid_deg)
    lons = np.arange(lon0 + grid_deg / 2, lon1, grid_deg)
    la, lo = (a.ravel() for a in np.meshgrid(lats, lons, indexing="ij"))
    if land_only:
        try:
            import shapely

            from bmdsim.airspace import naturalearth

            keep = shapely.contains_xy(naturalearth.land("110m"), lo, la)
            la, lo = la[keep], lo[keep]
        except Exception:  # noqa: BLE001 (shapes unavailable: keep every cell, say so in the docs)
            pass
    return la, lo


@dataclass(frozen=True, slots=True, kw_only=True)
class Footprint:
    """Per-aimpoint verdicts ``(M,)`` and the capitals' table (see the module docstring)."""

    latitude_deg: np.ndarray
    longitude_deg: np.ndarray
    reachable: np.ndarray
    defended: np.ndarray
    shots: np.ndarray
    p_no_leak: np.ndarray
    earliest_intercept_after_launch_s: np.ndarray
    cities: list
    launch: tuple
    site: str
    interceptor: str
    missile: str
    salvo: int
    pssk: float
    commit_time_source: str
    timings_s: dict = field(default_factory=dict)
    #: per aimpoint: earliest interceptor launch, s after the threat's launch (NaN: not reachable), and the index
    #: of its source in ``commit_sources``
    earliest_launch_after_launch_s: np.ndarray | None = None
    commit_source_index: np.ndarray | None = None
    commit_sources: list = field(default_factory=list)
    min_intercept_altitude_km: float | None = None
    #: the fly-to-check of a sample of verdicts (None: not run); see the module docstring
    verification: dict | None = None
    #: the region the aimpoints cover, (lon0, lat0, lon1, lat1) in degrees; the map is cropped to it
    region_deg: tuple | None = None
    #: where the site's fire control stands (the fans and the sensor timeline), degrees
    site_latitude_deg: float | None = None
    site_longitude_deg: float | None = None

    @property
    def defended_fraction(self) -> float:
        """Defended share of the aimpoints the missile can reach."""
        n = int(self.reachable.sum())
        return float(self.defended[self.reachable].sum() / n) if n else float("nan")

    def to_dict(self, *, cells: bool = True) -> dict:
        d = {"cells": int(self.latitude_deg.size), "reachable_cells": int(self.reachable.sum()),
             "defended_cells": int(self.defended.sum()), "defended_fraction": self.defended_fraction,
             "launch": list(self.launch), "site": self.site, "site_latitude_deg": self.site_latitude_deg,
             "site_longitude_deg": self.site_longitude_deg, "interceptor": self.interceptor,
             "missile": self.missile, "salvo": self.salvo, "pssk": self.pssk,
             "commit_time_source": self.commit_time_source, "cities": self.cities, "timings_s": self.timings_s,
             "min_intercept_altitude_km": self.min_intercept_altitude_km, "commit_sources": self.commit_sources,
             "verification": self.verification}
        if cells:
            def col(a, nd=None):
                if a is None:
                    return None
                return [None if not np.isfinite(x) else (round(float(x), nd) if nd else float(x)) for x in a]

            d["grid"] = {"latitude_deg": self.latitude_deg.tolist(), "longitude_deg": self.longitude_deg.tolist(),
                         "reachable": self.reachable.tolist(), "defended": self.defended.tolist(),
                         "shots": self.shots.tolist(), "p_no_leak": col(self.p_no_leak, 4),
                         "earliest_intercept_after_launch_s": col(self.earliest_intercept_after_launch_s, 1),
                         "earliest_launch_after_launch_s": col(self.earliest_launch_after_launch_s, 1),
                         "commit_source_index": (None if self.commit_source_index is None
                                                 else self.commit_source_index.tolist())}
        return d

    def map_bounds_deg(self) -> tuple[float, float, float, float]:
        """The map's frame (lon0, lat0, lon1, lat1): the region and the aimpoints, with a margin of 5 % of the
        span (at least 1 degree) on each side, kept on the globe."""
        lo = [*self.longitude_deg, *(self.region_deg[0::2] if self.region_deg else ())]
        la = [*self.latitude_deg, *(self.region_deg[1::2] if self.region_deg else ())]
        lo0, lo1, la0, la1 = min(lo), max(lo), min(la), max(la)
        mx, my = max(1.0, 0.05 * (lo1 - lo0)), max(1.0, 0.05 * (la1 - la0))
        return max(-180.0, lo0 - mx), max(-90.0, la0 - my), min(180.0, lo1 + mx), min(90.0, la1 + my)

    def figure(self):
        """Map of the aimpoints, cropped to the region: grey out of the missile's reach, then one colour per
        shot count (0: red, not defended; 1, 2, ...: darker blues) with one legend entry each."""
        import matplotlib
        from matplotlib.lines import Line2D

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        x0, y0, x1, y1 = self.map_bounds_deg()
        fig, ax = plt.subplots(figsize=(10, 5))
        try:
            import shapely

            from bmdsim.airspace import naturalearth

            land = shapely.clip_by_rect(naturalearth.land("110m"), x0, y0, x1, y1)
            for poly in shapely.get_parts(land):
                for ring in (poly.exterior, *poly.interiors) if hasattr(poly, "exterior") else ():
                    x, y = ring.xy
                    ax.plot(x, y, color="0.5", lw=0.4)
        except Exception:  # noqa: BLE001 (map outline is decoration)
            pass
        r = self.reachable
        handles = []
        if (~r).any():
            handles.append(ax.scatter(self.longitude_deg[~r], self.latitude_deg[~r], s=6, c="0.85", marker="s",
                                      label="out of reach"))
        counts = np.unique(self.shots[r])
        blues = plt.get_cmap("Blues")(np.linspace(0.4, 1.0, max(1, int((counts > 0).sum()))))
        for i, k in enumerate(counts):
            sel = r & (self.shots == k)
            colour = "tab:red" if k == 0 else blues[i - int(counts[0] == 0)]
            label = "0 shots (not defended)" if k == 0 else f"{k} shot{'s' if k > 1 else ''}"
            handles.append(ax.scatter(self.longitude_deg[sel], self.latitude_deg[sel], s=6, color=colour,
                                      marker="s", label=label))
        for lat, lon, style, what in ((self.site_latitude_deg, self.site_longitude_deg, "k^", f"site {self.site}"),
                                      (self.launch[0], self.launch[1], "r*", "launch")):
            inside = x0 <= lon <= x1 and y0 <= lat <= y1
            if inside:
                ax.plot(lon, lat, style, ms=8)
            handles.append(Line2D([], [], color=style[0], marker=style[1], ls="",
                                  label=what + ("" if inside else f" ({lat:.1f}, {lon:.1f}: off the map)")))
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_aspect(1.0 / max(0.2, np.cos(np.radians(0.5 * (y0 + y1)))), adjustable="box")
        ax.set_xlabel("longitude (deg)")
        ax.set_ylabel("latitude (deg)")
        ax.set_title(f"{self.missile} from {self.launch[0]:.2f},{self.launch[1]:.2f} vs {self.interceptor} at "
                     f"{self.site}: {100 * self.defended_fraction:.0f} % of reachable aimpoints defended", fontsize=9)
        ax.legend(handles=handles, title="shoot-look-shoot opportunities", loc="upper left",
                  bbox_to_anchor=(1.01, 1.0), fontsize=7, title_fontsize=7, frameon=False)
        fig.tight_layout()
        return fig


# long: one grid end to end (fly the aimpoints, fan windows, commit times, kill probabilities); to be split
def footprint(launch: tuple[float, float], missile: str, *, site: SiteRef = "redzikowo",
              interceptor: str | None = None,
              interceptor_speed_mps: float | None = None, grid_deg: float = 2.0, region=None,
              aimpoints: tuple[np.ndarray, np.ndarray] | None = None, earliest_launch_after_threat_s=None,
              salvo: int = 1, pssk: float | None = None, settings: FanSettings | None = None,
              dense_dt_s: float = 4.0, chunk: int = 2000, sensor_sample: int | None = None, seed: int = 2007,
              min_intercept_altitude_m: float | None = None, verify: int = 0, sensors=None,
              progress=None, shared: dict | None = None) -> Footprint:
    """The defended footprint (module docstring). ``aimpoints=(lat, lon)`` replaces the grid. ``site``: a catalog
    name or a :class:`~bmdsim.engagement.defenses.Defense` where it stands; ``sensors``: the sensor objects of its
    timeline (default: the site's catalog sensors). ``progress(step, done, total)`` as the aimpoints advance.
    ``shared``: a dict the caller keeps over footprints that differ only in the interceptor (a run's variants at
    one site): the threat flights and their own sensor timelines, which do not depend on the interceptor, are
    computed by the first and reused by the others (their timings then count only the look-up)."""
    progress = progress or (lambda *_: None)
    timings: dict = {}
    t_all = time.perf_counter()
    d = defense_of(site)
    sensors = engage.site_sensors(d, sensors)
    v = interceptor_for(interceptor, interceptor_speed_mps, site=d)
    p = d.pssk_of(v.name) if pssk is None else float(pssk)
    min_alt = d.min_intercept_altitude_m if min_intercept_altitude_m is None else float(min_intercept_altitude_m)
    if salvo < 1:
        from bmdsim.errors import InputError

        raise InputError("salvo", salvo, "fire at least one interceptor per opportunity")
    region = DEFAULT_REGION if region is None else region
    la, lo = aimpoint_grid(region, grid_deg) if aimpoints is None else (np.asarray(aimpoints[0], float),
                                                                         np.asarray(aimpoints[1], float))
    lon0, lat0, lon1, lat1 = region
    cities = [s for s in sites.all_sites().values() if s.kind == "city" and lat0 <= s.latitude_deg <= lat1
              and lon0 <= s.longitude_deg <= lon1]
    m = la.size
    all_la = np.concatenate([la, [c.latitude_deg for c in cities]])
    all_lo = np.concatenate([lo, [c.longitude_deg for c in cities]])
    # within the missile's reach (the table is for a still Earth; targeting decides at the edge)
    _, ranges, _ = range_table(catalog.get(missile))
    dist, _ = geodesy.inverse(launch[0], launch[1], all_la, all_lo)
    try_ = (dist <= 1.02 * np.nanmax(ranges)) & (dist >= 60e3)
    n_all = all_la.size
    reachable = np.zeros(n_all, dtype=bool)
    shots = np.zeros(n_all, dtype=int)
    t_early = np.full(n_all, np.nan)
    t_commit = np.full(n_all, np.nan)
    src_idx = np.full(n_all, -1, dtype=int)
    sources_all: list = []
    fan = fan_at(v, d, settings=settings)
    max_shots = max(1, d.inventory // salvo)
    # commit: the sensor timeline of sampled flights, by launch azimuth
    idx = np.flatnonzero(try_)
    _, az_all = geodesy.inverse(launch[0], launch[1], all_la, all_lo)
    own = earliest_launch_after_threat_s is None and sensor_sample is None
    if own:
        source = "sensor timeline of each aimpoint's own threat flight"
        samp_az = rel = np.array([np.nan])
    elif earliest_launch_after_threat_s is None and idx.size:
        t0 = time.perf_counter()
        order = idx[np.argsort(az_all[idx])]
        samp = order[np.unique(np.linspace(0, order.size - 1, min(sensor_sample, order.size)).astype(int))]
        th_s, miss_s = fly_threats(missile, launch[0], launch[1], all_la[samp], all_lo[samp], dense_dt_s=2.0)
        tl = sensor_timeline(th_s, d, seed=seed, sensors=sensors)
        rel = tl.t_earliest_launch_s - th_s.t_launch_s
        sources = sorted(set(tl.source))
        source = sources[0] if len(sources) == 1 else "; ".join(sources)
        source = f"{source} (nearest of {samp.size} sampled flights by launch azimuth)"
        samp_az = az_all[samp]
        timings["sensor_timeline"] = time.perf_counter() - t0
    else:
        samp_az = np.array([0.0])
        rel = np.array([float(earliest_launch_after_threat_s or 0.0)])
        source = f"assumed: given, {rel[0]:.0f} s after the threat's launch (--commit-delay-s)"
    t_fly = t_fc = t_st = 0.0
    step, flying = "aimpoints: sensors, fire control", "aimpoints: aiming and flying"
    progress(flying, 0, idx.size)
    progress(step, 0, idx.size)
    for c0 in range(0, idx.size, chunk):
        ii = idx[c0:c0 + chunk]
        t0 = time.perf_counter()
        key = (missile, tuple(float(x) for x in launch), float(dense_dt_s), int(seed), own, all_la[ii].tobytes(),
               all_lo[ii].tobytes())
        hit = (shared or {}).get(key)
        reuse = hit is not None and hit[0] == d and hit[1] == sensors      # the same site and sensor records
        if reuse:
            th, miss, c, srcs = hit[2]
        else:
            th, miss = fly_threats(missile, launch[0], launch[1], all_la[ii], all_lo[ii], dense_dt_s=dense_dt_s)
        t1 = time.perf_counter()
        progress(flying, c0 + ii.size, idx.size)
        ok = miss < MISS_LIMIT_M
        if own:
            if not reuse:
                c, srcs = _own_commits(th, ok, d, seed, sensors=sensors,
                                       progress=lambda k, c0=c0: progress(step, c0 + k, idx.size))
                if shared is not None:
                    shared[key] = (d, sensors, (th, miss, c, srcs))
            t_st += time.perf_counter() - t1
        else:
            near = np.argmin(np.abs(np.angle(np.exp(1j * np.radians(az_all[ii][:, None] - samp_az[None, :])))),
                             axis=1)
            c = th.t_launch_s + rel[near]
            srcs = [source] * ii.size
        t2 = time.perf_counter()
        w = windows(fan, th, t_earliest_launch_s=c, min_intercept_altitude_m=min_alt)
        n_opp, _ = w.opportunities(assess_s=d.kill_assessment_s, max_shots=max_shots)
        reachable[ii] = ok
        shots[ii] = np.where(ok, n_opp, 0)
        t_early[ii] = np.where(ok, w.earliest_intercept_s - th.t_launch_s, np.nan)
        t_commit[ii] = np.where(ok & np.isfinite(c), c - th.t_launch_s, np.nan)
        for q, sname in enumerate(srcs):
            if ok[q]:
                if sname not in sources_all:
                    sources_all.append(sname)
                src_idx[ii[q]] = sources_all.index(sname)
        t_fly += t1 - t0
        t_fc += time.perf_counter() - t2
        progress(step, c0 + ii.size, idx.size)
    if own:
        timings["sensor_timeline"] = t_st
    timings.update(threat_flights=t_fly, fire_control=t_fc)
    verification = None
    if verify > 0:
        t0 = time.perf_counter()
        progress("verifying verdicts by flying", 0, 1)
        verification = _verify(fan, missile, launch, la, lo, reachable[:m], shots[:m] > 0, t_commit[:m], d,
                               min_alt, verify, dense_dt_s)
        progress("verifying verdicts by flying", 1, 1)
        timings["verification"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - t_all
    defended = shots > 0
    pnl = np.where(reachable, p_kill_independent(p, np.minimum(d.inventory, salvo * shots)), np.nan)
    city_rows = [{"name": c.name, "latitude_deg": c.latitude_deg, "longitude_deg": c.longitude_deg,
                  "reachable": bool(reachable[m + j]), "defended": bool(defended[m + j]), "shots": int(shots[m + j]),
                  "p_no_leak": None if not reachable[m + j] else round(float(pnl[m + j]), 4),
                  "earliest_intercept_after_launch_s": (None if not np.isfinite(t_early[m + j])
                                                        else float(t_early[m + j])),
                  "earliest_launch_after_launch_s": (None if not np.isfinite(t_commit[m + j])
                                                     else float(t_commit[m + j])),
                  "commit_time_source": sources_all[src_idx[m + j]] if src_idx[m + j] >= 0 else None}
                 for j, c in enumerate(cities)]
    return Footprint(latitude_deg=la, longitude_deg=lo, reachable=reachable[:m], defended=defended[:m],
                     shots=shots[:m], p_no_leak=pnl[:m], earliest_intercept_after_launch_s=t_early[:m],
                     cities=city_rows,
                     launch=tuple(launch), site=d.name, interceptor=v.name, missile=missile, salvo=salvo, pssk=p,
                     commit_time_source=source, timings_s=timings, earliest_launch_after_launch_s=t_commit[:m],
                     commit_source_index=src_idx[:m], commit_sources=sources_all,
                     min_intercept_altitude_km=min_alt / 1e3, verification=verification,
                     region_deg=tuple(float(x) for x in region), site_latitude_deg=d.latitude_deg,
                     site_longitude_deg=d.longitude_deg)


def _own_commits(th, ok, site: SiteRef, seed: int, *, sensors=None, progress=None):
    """Earliest interceptor launch (s since the epoch) of each threat from its own sensor timeline, each flight
    run alone with ``seed`` (as :func:`bmdsim.analysis.chase.chase` runs it), and its source; inf where the
    threat is not reachable (no shot). ``progress(k)`` after the ``k``-th threat. One batch for all threats
    (:func:`bmdsim.analysis.engage.own_sensor_timelines`); :func:`_own_commits_one_by_one` is its reference."""
    c = np.full(len(th), np.inf)
    srcs = [""] * len(th)
    q = np.flatnonzero(ok)
    if q.size:
        tl = own_sensor_timelines(th.take(q), site, seed=seed, sensors=sensors)
        c[q] = tl.t_earliest_launch_s
        for j, s in zip(q, tl.source, strict=True):
            srcs[j] = s
    if progress is not None:
        progress(len(th))
    return c, srcs


def _own_commits_one_by_one(th, ok, site: SiteRef, seed: int, *, sensors=None):
    """The reference of :func:`_own_commits`: :func:`sensor_timeline` on each threat alone (session 3's path)."""
    c = np.full(len(th), np.inf)
    srcs = [""] * len(th)
    for q in np.flatnonzero(ok):
        tl = sensor_timeline(th.take([q]), site, seed=seed, sensors=sensors)
        c[q] = float(tl.t_earliest_launch_s[0])
        srcs[q] = tl.source[0]
    return c, srcs


def _boundary(la, lo, defended, reachable):
    """Reachable cells with a reachable grid neighbour (8-connected, by the grid's own spacing) of the other
    verdict."""
    out = np.zeros(la.size, dtype=bool)
    if la.size < 2:
        return out
    step_la = np.min(np.diff(np.unique(la))) if np.unique(la).size > 1 else 1.0
    step_lo = np.min(np.diff(np.unique(lo))) if np.unique(lo).size > 1 else 1.0
    key = {(round(a / step_la), round(b / step_lo)): j for j, (a, b) in enumerate(zip(la, lo, strict=True))}
    for j in np.flatnonzero(reachable):
        ka, kb = round(la[j] / step_la), round(lo[j] / step_lo)
        for da in (-1, 0, 1):
            for db in (-1, 0, 1):
                n = key.get((ka + da, kb + db))
                if n is not None and n != j and reachable[n] and defended[n] != defended[j]:
                    out[j] = True
    return out


def _pick(cells, n):
    """Up to ``n`` of ``cells``, evenly spread (deterministic)."""
    if cells.size <= n:
        return cells
    return cells[np.unique(np.linspace(0, cells.size - 1, n).round().astype(int))]


def _verify(fan, missile, launch, la, lo, reachable, defended, t_commit_rel, site: SiteRef, min_alt, n, dense_dt_s):
    """Fly-to-check a sample of verdicts (module docstring): the agreement record of :attr:`Footprint.
    verification`."""
    from bmdsim.engagement.verify import check_no, check_yes

    d = defense_of(site)
    bnd = _boundary(la, lo, defended, reachable)
    dist, _ = geodesy.inverse(d.latitude_deg, d.longitude_deg, la, lo)
    k = max(1, n // 3)
    yes_b = _pick(np.flatnonzero(bnd & defended), k)
    no_b = _pick(np.flatnonzero(bnd & ~defended), k)
    rest = np.setdiff1d(np.flatnonzero(reachable), np.concatenate([yes_b, no_b]))
    far = rest[np.argsort(-dist[rest])][:max(0, n - yes_b.size - no_b.size)]
    groups = [("boundary, defended side", yes_b), ("boundary, undefended side", no_b), ("far", far)]
    cells = np.concatenate([g for _, g in groups]).astype(int)
    rows, by_group = [], {}
    if cells.size:
        th, _ = fly_threats(missile, launch[0], launch[1], la[cells], lo[cells], dense_dt_s=dense_dt_s)
        c = th.t_launch_s + t_commit_rel[cells]
        w = windows(fan, th, t_earliest_launch_s=c, min_intercept_altitude_m=min_alt)
        for q, j in enumerate(cells):
            if w.engageable[q]:
                chk = check_yes(fan, th, q, float(c[q]), earliest_intercept_s=float(w.earliest_intercept_s[q]),
                                latest_intercept_s=float(w.latest_intercept_s[q]), min_intercept_altitude_m=min_alt)
            else:
                chk = check_no(fan, th, q, float(c[q]), min_intercept_altitude_m=min_alt)
            rows.append((int(j), chk))
    agree = sum(ch.agree for _, ch in rows)
    for name, g in groups:
        sub = [ch for j, ch in rows if j in set(g.tolist())]
        by_group[name] = {"checked": len(sub), "agree": int(sum(ch.agree for ch in sub))}
    return {"checked": len(rows), "agree": int(agree), "agreement": agree / len(rows) if rows else None,
            "method": "yes: the shot flown (engagement.verify.check_yes); no: direct search over launch time, "
                      "azimuth and steering flown with the engine (engagement.verify.check_no)",
            "by_group": by_group,
            "disagreements": [{"latitude_deg": float(la[j]), "longitude_deg": float(lo[j]), "table": ch.table,
                               "flown": ch.flown, "miss_m": None if not np.isfinite(ch.miss_m) else ch.miss_m,
                               "deficit_s": None if not np.isfinite(ch.deficit_s) else ch.deficit_s}
                              for j, ch in rows if not ch.agree]}
