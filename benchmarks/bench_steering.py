"""Benchmark: interceptor steering to design speed (issue 10, part 2), old family against the new one.

For every catalog interceptor, flown eastward from Redzikowo at full burn: the fastest burnout at 100 km or higher
within 10 deg of the horizontal, as a fraction of the variant's design speed, from the kick / gravity-turn family
alone (the fans before issue 10) and from the linear-tangent families the fans now add; then the full fan build of
one variant with and without the new families (flights and seconds, same process, both cores).

Run: ``python benchmarks/bench_steering.py [--variant gbi2-7.7]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

from bmdsim.engagement.fan import Fan, FanSettings
from bmdsim.flight import catalog
from bmdsim.flight.fly import fly

SITE = (54.4789, 17.1075)


def flat_high_best(v, fan: Fan):
    fams = [(f, c, p) for f, c, p in fan.families() if c >= v.burn_time_s - 1e-6]
    fid = np.concatenate([np.full(p.size, f) for f, _, p in fams])
    par = np.concatenate([p for _, _, p in fams])
    cut = np.concatenate([np.full(p.size, c) for _, c, p in fams])
    fl = fly(v, *SITE, 90.0, **fan.steering(fid, par, cut))
    ok = (fl.burnout_altitude_m >= 100e3) & (np.abs(np.degrees(fl.burnout_gamma_rad)) <= 10.0)
    best = {}
    for name, sel in (("kick family", fid == 0), ("linear tangent", fid > 0)):
        m = ok & sel
        if m.any():
            j = np.flatnonzero(m)[np.argmax(fl.burnout_speed_mps[m])]
            best[name] = (fl.burnout_speed_mps[j], fl.burnout_altitude_m[j], np.degrees(fl.burnout_gamma_rad[j]))
        else:
            best[name] = None
    return best


def main():
    # time the fan builds themselves, not loads from the disk cache (bmdsim.engagement.fancache)
    os.environ.setdefault("BMDSIM_NO_CACHE", "1")
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default="gbi2-7.7")
    args = ap.parse_args()
    print("fastest burnout at >= 100 km, |flight-path angle| <= 10 deg, eastward from Redzikowo, full burn")
    print(f"{'variant':>10} {'design m/s':>10} {'kick family':>22} {'linear tangent':>30}")
    for name in catalog.interceptor_names():
        v = catalog.get(name)
        b = flat_high_best(v, Fan(v, *SITE, settings=FanSettings(n_azimuth=4)))
        d = v.claim["burnout_speed_mps"]

        def fmt(x, d=d):
            return "none" if x is None else f"{x[0]:.0f} ({x[0] / d:.3f}) at {x[1] / 1e3:.0f} km, {x[2]:.1f} deg"
        print(f"{name:>10} {d:10.0f} {fmt(b['kick family']):>22} {fmt(b['linear tangent']):>30}")
    v = catalog.get(args.variant)
    for label, st in (("kick family only", FanSettings(lt_families=())), ("with linear tangent", FanSettings())):
        fan = Fan(v, *SITE, settings=st)
        t = time.perf_counter()
        fan.build()
        dt = time.perf_counter() - t
        print(f"full fan {args.variant}, {label}: {fan.n_flights} flights, {dt:.1f} s, "
              f"{np.isfinite(fan.tab_t).sum()} reachable cells")


if __name__ == "__main__":
    main()
