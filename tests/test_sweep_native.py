"""Native sweeps: the chunked battle Monte Carlo (seeded per chunk, so the same for any cluster; against the
closed form of independent shots) and the footprint with its aimpoints partitioned (the same cells as one call)."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.engagement.battle import Raid, fight
from bmdsim.engagement.doctrine import Doctrine
from bmdsim.errors import InputError
from bmdsim.sweep import native


def _raid():
    # three warheads, two shoot-look-shoot opportunities each, six interceptors, Pssk 0.7
    return Raid.simple([1.0, 1.0, 1.0], [2, 2, 2], inventory=6, pssk=0.7)


def test_one_chunk_is_the_battle_managers_own_monte_carlo():
    d = Doctrine(salvo=1, looks=2, assess_s=60.0)
    s = native.battle_monte_carlo(_raid(), d, n_trials=3000, seed=5, chunk=3000)
    r = fight(_raid(), d, n_trials=3000, rng=np.random.default_rng(np.random.SeedSequence(5, spawn_key=(0,))))
    assert s.chunks == 1
    assert s.leakers_mean == pytest.approx(r.leakers_mean, abs=1e-12)
    assert s.p_no_leak == pytest.approx(r.p_no_leak, abs=1e-12)
    assert s.leakers_se == pytest.approx(r.leakers_se, rel=1e-9)


def test_chunked_monte_carlo_matches_the_closed_form_and_any_cluster():
    d = Doctrine(salvo=1, looks=2, assess_s=60.0)
    s = native.battle_monte_carlo(_raid(), d, n_trials=12_000, seed=5, chunk=2_500)
    assert s.chunks == 5 and s.n_trials == 12_000
    # enough interceptors for two shots at each: P(kill) = 1 - 0.3^2 = 0.91 per warhead, independent
    assert np.all(np.abs(s.p_kill_per_warhead - 0.91) < 5 * np.sqrt(0.91 * 0.09 / 12_000))
    assert abs(s.p_no_leak - 0.91 ** 3) < 5 * s.p_no_leak_se
    assert abs(s.leakers_mean - 3 * 0.09) < 5 * s.leakers_se
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc, \
            Client(lc) as client:
        t = native.battle_monte_carlo(_raid(), d, n_trials=12_000, seed=5, chunk=2_500, client=client)
    assert t.to_dict() == s.to_dict()          # same chunks, same seeds: the same numbers
    with pytest.raises(InputError, match="n_trials"):
        native.battle_monte_carlo(_raid(), d, n_trials=0, seed=5)


def test_footprint_partitioned_over_aimpoints_gives_the_same_cells():
    kw = dict(grid_deg=10.0, region=(-12.0, 34.0, 35.0, 66.0), earliest_launch_after_threat_s=300.0)
    one = native.footprint_sweep((35.23, 53.92), "icbm-liquid-10000", ["gbi2-9.0"], **kw)
    three = native.footprint_sweep((35.23, 53.92), "icbm-liquid-10000", ["gbi2-9.0"], partitions=3, **kw)
    a, b = one["gbi2-9.0"], three["gbi2-9.0"]
    assert a["latitude_deg"].size >= 9          # land cells of a 10-deg grid over Europe
    for k in ("latitude_deg", "longitude_deg", "reachable", "defended", "shots"):
        np.testing.assert_array_equal(a[k], b[k])
    assert a["defended_cells"] == b["defended_cells"] > 0
    with pytest.raises(InputError, match="fixed commit delay"):
        native.footprint_sweep((35.23, 53.92), "icbm-liquid-10000", ["gbi2-9.0"], partitions=2, grid_deg=10.0)
