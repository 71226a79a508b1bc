"""The figures a sweep keeps of one run: flat scalar columns (one row per case and trial), computed from the run's
records (:class:`bmdsim.scenario.run.RunResult`), with the columns declared once in :data:`COLUMNS`.

"The engagement site" is the scenario's first interceptor site (index 0) and "its interceptor" the variant its
engagements use, which is what ``--set interceptor_sites.0.interceptor=...`` sweeps; the chase and footprint
figures are taken for that variant. Outcome figures across several sites take, per threat, the site that kills
most in the seeded realisation and, for the Monte Carlo, the site with the fewest expected leakers.
"""

from __future__ import annotations

import json
import math

import numpy as np

__all__ = ["COLUMNS", "figures", "cell_area_km2"]

_EARTH_RADIUS_KM = 6371.0088   # mean radius (IUGG), for cell areas on the footprint's latitude/longitude grid

#: column -> (type, meaning); the sweep database documents its columns from this
COLUMNS: dict[str, tuple[str, str]] = {
    "interceptor": ("VARCHAR", "the engagement site's interceptor variant"),
    "interceptor_burnout_speed_mps": ("DOUBLE", "its burnout speed (catalog claim, m/s)"),
    "single_shot_kill_probability": ("DOUBLE", "the engagement site's SSPK"),
    "threats": ("BIGINT", "warheads in the scenario (raids x count)"),
    "icbm_flights": ("BIGINT", "ICBM raids (range >= 5,500 km)"),
    "intercepted": ("BIGINT", "warheads killed in the seeded realisation (best site per threat)"),
    "leakers": ("BIGINT", "warheads not killed in the seeded realisation"),
    "expected_leakers": ("DOUBLE", "battle manager Monte Carlo: expected leakers (best site)"),
    "p_no_leak": ("DOUBLE", "battle manager Monte Carlo: probability that no warhead leaks (best site)"),
    "defended_cities": ("BIGINT", "cities defended in the footprint (the engagement interceptor)"),
    "defended_cities_list": ("VARCHAR", "their names, comma separated"),
    "footprint_cells": ("BIGINT", "aimpoint cells of the footprint grid"),
    "defended_cells": ("BIGINT", "cells defended by the engagement site's interceptor"),
    "defended_area_km2": ("DOUBLE", "area of the defended cells (km^2, spherical cells of the grid step)"),
    "defended_fraction": ("DOUBLE", "defended cells / cells"),
    "chase_flights": ("BIGINT", "ICBM flights the chase analysis examined"),
    "engageable_icbm_flights": ("BIGINT", "of those, engageable by the engagement interceptor"),
    "engageable_json": ("VARCHAR", "per chased flight [threat, launch field, engageable] (JSON)"),
    "min_decision_window_s": ("DOUBLE", "shortest decision window over threats and sites (s)"),
    "median_warning_time_s": ("DOUBLE", "median warning time over threats, first report to impact (s)"),
    "tracked_threats": ("BIGINT", "threats with a fused radar track"),
    "airspace_violations": ("BIGINT", "aircraft entries into territorial airspace"),
    "unavailable": ("VARCHAR", "capabilities that did not run, JSON {what: why}"),
}


def _nan_none(x):
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else x


def cell_area_km2(lat_deg: np.ndarray, step_deg: float) -> np.ndarray:
    """Areas (km^2) of the grid cells of ``step_deg`` centred on latitudes ``lat_deg`` (spherical Earth)."""
    d = math.radians(step_deg)
    lat = np.radians(lat_deg)
    return _EARTH_RADIUS_KM ** 2 * d * (np.sin(np.minimum(lat + d / 2, math.pi / 2))
                                        - np.sin(np.maximum(lat - d / 2, -math.pi / 2)))


def figures(result) -> dict:
    """The flat figures of one run (keys: :data:`COLUMNS`; None where an analysis did not run), from its typed
    records and :meth:`~bmdsim.scenario.result.RunResult.summary` (the numbers `bmdsim run` prints)."""
    from bmdsim.flight import catalog

    scn = result.scenario
    summ = result.summary()
    site0 = scn.interceptor_sites[0] if scn.interceptor_sites else None
    main = site0.interceptor if site0 else None
    out: dict = dict.fromkeys(COLUMNS)
    out["interceptor"] = main
    if main is not None:
        out["interceptor_burnout_speed_mps"] = float(catalog.get(main).claim["burnout_speed_mps"])
        out["single_shot_kill_probability"] = float(site0.doctrine.single_shot_kill_probability)
    for k in ("threats", "icbm_flights", "intercepted", "leakers", "tracked_threats"):
        out[k] = summ[k]
    if result.battle:
        b = min(result.battle, key=lambda b: b.leakers_mean)
        out["expected_leakers"], out["p_no_leak"] = float(b.leakers_mean), float(b.p_no_leak)
    fp = result.footprint
    if fp is not None and site0 is not None:
        mine = [c for c in fp.cells if c.site == site0.name and c.variant == main]
        lat = np.array([c.latitude_deg for c in mine], dtype=float)
        defended = np.array([c.defended for c in mine], dtype=bool)
        out["footprint_cells"] = len(mine)
        out["defended_cells"] = int(defended.sum())
        out["defended_area_km2"] = float(cell_area_km2(lat[defended], fp.grid_step_deg).sum())
        out["defended_fraction"] = out["defended_cells"] / len(mine) if mine else None
        cities = summ["defended_cities"] or []
        out["defended_cities"], out["defended_cities_list"] = len(cities), ", ".join(cities)
    if result.chase is not None and site0 is not None:
        launch = {t.name: t.launch for t in result.threats}
        rows = [c for c in result.chase if c.site == site0.name and c.variant == main]
        out["chase_flights"] = len(rows)
        out["engageable_icbm_flights"] = summ["engageable_icbm_flights"].get(main)
        out["engageable_json"] = json.dumps([[c.threat, launch.get(c.threat), bool(c.engageable)] for c in rows])
    windows = [d.decision_window_s for d in result.decision if math.isfinite(d.decision_window_s)]
    out["min_decision_window_s"] = min(windows) if windows else None
    warn = {d.threat: d.warning_s for d in result.decision if math.isfinite(d.warning_s)}
    out["median_warning_time_s"] = float(np.median(list(warn.values()))) if warn else None
    out["airspace_violations"] = sum(summ["airspace_violations"].values())
    out["unavailable"] = json.dumps(result.unavailable, sort_keys=True)
    return {k: _nan_none(v) for k, v in out.items()}
