"""Benchmark: one million track points against all European territorial airspace.

Vectorised path: :meth:`bmdsim.airspace.SovereignAirspace.country_at` (a grid index over 2 x 2 degree tiles
of every country's land + 12-nmi belt: points bucketed by cell with numpy, one ``shapely.intersects_xy`` call
per tile on prepared geometry, tiles that fill their cell need no test; all points at once).
Naive path: a plain per-point shapely loop, ``for point: for country: zone.contains(Point(lon, lat))`` over each
country's whole zone (the same geometry, unioned per country, no index, not prepared), every country tested (as
the index finds every zone holding a point, for the median line), timed on a sample and extrapolated per point.
A per-point loop over *prepared* zones is shown too, for a fairer reference.

Run: ``.venv/bin/python benchmarks/bench_airspace.py [N_POINTS]``.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import shapely

from bmdsim.airspace import default_airspace


def main(n: int = 1_000_000, n_naive: int = 5000, seed: int = 2007) -> None:
    rng = np.random.default_rng(seed)
    lat = rng.uniform(36.0, 72.0, n)
    lon = rng.uniform(-12.0, 35.0, n)
    space = default_airspace()
    space.country_at(lat[:10], lon[:10])            # warm-up: load and index

    runs = []
    for _ in range(3):                                # best of 3: the machine is shared
        t0 = time.perf_counter()
        fast = space.country_at(lat, lon)
        runs.append(time.perf_counter() - t0)
    t_fast = min(runs)

    zones = [shapely.union_all(space.tiles[space.tile_country == i]) for i in range(len(space.codes))]
    zones = [shapely.from_wkb(shapely.to_wkb(z)) for z in zones]     # fresh, unprepared copies
    keep = [i for i, z in enumerate(zones) if not z.is_empty]

    def naive(prepared: bool, m: int) -> tuple[float, np.ndarray]:
        zs = [shapely.from_wkb(shapely.to_wkb(zones[i])) for i in keep]
        if prepared:
            shapely.prepare(zs)
        out = np.full(m, -1)
        t = time.perf_counter()
        for k in range(m):
            p = shapely.Point(lon[k], lat[k])
            hits = [i for i, z in zip(keep, zs, strict=True) if z.contains(p)]   # all, as the index does
            if hits:
                out[k] = hits[0]
        return (time.perf_counter() - t) / m, out

    per_plain, plain = naive(False, n_naive)
    per_prep, prep = naive(True, n_naive)
    # agreement (overlapping belts: the naive loop takes the first country, the index the nearer coast)
    agree = np.mean((plain >= 0) == (fast[:n_naive] >= 0))
    agree_prep = np.mean((prep >= 0) == (fast[:n_naive] >= 0))

    inside = np.mean(fast >= 0)
    print(f"points: {n:,} uniform in lon -12..35, lat 36..72; {inside:.1%} in some territorial airspace; "
          f"{len(space.tiles)} tiles of {len(keep)} countries")
    print(f"vectorised grid index (country_at): {t_fast:8.2f} s   ({t_fast / n * 1e6:.2f} us/point; best of "
          f"{', '.join(f'{r:.2f}' for r in runs)} s)")
    print(f"plain per-point shapely loop:       {per_plain * n:8.0f} s   ({per_plain * 1e6:.0f} us/point, "
          f"extrapolated from {n_naive} points; agreement {agree:.2%})")
    print(f"per-point loop, prepared zones:     {per_prep * n:8.1f} s   ({per_prep * 1e6:.1f} us/point, "
          f"extrapolated from {n_naive} points; agreement {agree_prep:.2%})")
    print(f"speed-up vs plain loop: {per_plain * n / t_fast:,.0f}x; vs prepared loop: {per_prep * n / t_fast:,.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
