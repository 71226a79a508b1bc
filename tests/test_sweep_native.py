"""Native sweeps: the chunked battle Monte Carlo (seeded per chunk, so the same for any cluster; against the
closed form of independent shots) and the footprint with its aimpoints partitioned (the same cells as one call)."""

from __future__ import annotations

import json
from pathlib import Path

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


# -------------------------------------------------------------------------------------- the command line
TINY = str(Path(__file__).parent / "data" / "sweep-tiny.yaml")


def _cli(capsys, *args):
    from bmdsim.cli import main

    code = main(["sweep", TINY, *args])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


@pytest.mark.parametrize("args, words", [
    (["--native", "footprnt"], "--native = 'footprnt': give one of footprint, chase, montecarlo"),
    (["--native", "footprint", "--speeds", "6000"], "--speeds = [6000.0]: --native footprint does not use it"),
    (["--native", "footprint", "--variants", "gbi2-9.0,gbi2-99"], "--variants = 'gbi2-99': did you mean"),
    (["--native", "footprint", "--partitions", "2"], "only with a fixed commit delay (--commit-delay-s)"),
    (["--native", "chase"], "--speeds = None: give one or more burnout speeds"),
    (["--native", "chase", "--speeds", "6000:5000:100"], "--speeds = '6000:5000:100': give speeds in m/s"),
    (["--native", "chase", "--speeds", "63000"], "--speeds = 63000.0: give burnout speeds in m/s above 0"),
    (["--native", "montecarlo", "--trials", "0"], "--trials = 0: give from 1 to 10,000,000 trials"),
    (["--native", "montecarlo", "--resume"], "--resume = True: a native sweep is one computation"),
    (["--native", "montecarlo", "--set", "seed=1"], "--set = 'seed=1': a native sweep takes no scenario keys"),
    (["--variants", "gbi2-9.0"], "--variants = 'gbi2-9.0': only a native sweep takes it (add --native"),
])
def test_native_sweeps_refuse_bad_input_before_any_work(tmp_path, capsys, args, words):
    out = tmp_path / "n"
    code, _, err = _cli(capsys, *args, "--out", str(out))
    assert code == 2 and words in err, err
    assert not out.exists()


def test_native_montecarlo_from_the_command_line_agrees_with_the_runs_own(tmp_path, capsys):
    """--native montecarlo runs the scenario once, rebuilds each site's battle from the run's records and fights
    it again in chunks; the chunked mean agrees with the run's 1,000-trial Monte Carlo within their errors."""
    import duckdb

    out = tmp_path / "mc"
    code, so, err = _cli(capsys, "--native", "montecarlo", "--trials", "6000", "--chunk", "1500", "--workers", "1",
                         "--out", str(out), "--json")
    assert code == 0, err
    s = json.loads(so)
    assert s["native"] == "montecarlo" and s["tasks"] == 1 + 4 and s["figures"] == ["p_kill_by_threat.png"]
    with duckdb.connect(str(out / "sweep.duckdb"), read_only=True) as c:
        mc = c.execute("SELECT * FROM montecarlo").df()
        heads = c.execute("SELECT * FROM montecarlo_warheads").df()
    r = mc.iloc[0]
    assert r.n_trials == 6000 and r.chunks == 4 and r.run_trials == 1000
    assert abs(r.leakers_mean - r.run_leakers_mean) < 4 * np.hypot(r.leakers_se, r.run_leakers_se) + 1e-9
    # two raids of one missile each, no decoys: one warhead each, its kill probability a probability
    assert list(heads.threat) == ["iran-berlin", "kozelsk-washington"] and heads.p_kill.between(0, 1).all()
    assert abs((1 - heads.p_kill).sum() - r.leakers_mean) < 1e-9        # expected leakers = sum of P(leak)
    assert json.loads((out / "sweep.json").read_text())["n_trials"] == 6000
    assert "montecarlo_warheads" in (out / "report.html").read_text()


def test_native_footprint_and_chase_from_the_command_line(tmp_path, capsys):
    """--native footprint gives the footprint analysis' own cells for the variant; --native chase one row per
    speed and chased flight."""
    import duckdb

    from bmdsim.analysis.footprint import footprint

    out = tmp_path / "fp"
    code, so, err = _cli(capsys, "--native", "footprint", "--variants", "gbi2-9.0", "--commit-delay-s", "300",
                         "--partitions", "2", "--workers", "2", "--out", str(out), "--json")
    assert code == 0, err
    s = json.loads(so)
    assert s["tasks"] == 2 and s["figures"] == ["defended_area_vs_speed.png"]
    with duckdb.connect(str(out / "sweep.duckdb"), read_only=True) as c:
        cells = c.execute("SELECT * FROM footprint_cells ORDER BY latitude_deg, longitude_deg").df()
    f = footprint((35.23, 53.92), "icbm-liquid-10000", site="redzikowo", interceptor="gbi2-9.0", grid_deg=10.0,
                  region=(-12.0, 34.0, 35.0, 66.0), earliest_launch_after_threat_s=300.0, seed=11)
    o = np.lexsort((f.longitude_deg, f.latitude_deg))
    np.testing.assert_array_equal(cells.defended.to_numpy(), f.defended[o])
    np.testing.assert_array_equal(cells.shots.to_numpy(), f.shots[o])
    assert s["results"][0]["defended_cells"] == int(f.defended.sum())

    out = tmp_path / "ch"
    code, so, err = _cli(capsys, "--native", "chase", "--speeds", "4000,9000", "--workers", "2", "--out", str(out),
                         "--json")
    assert code == 0, err
    s = json.loads(so)
    with duckdb.connect(str(out / "sweep.duckdb"), read_only=True) as c:
        curve = c.execute("SELECT * FROM chase_curve ORDER BY missile, burnout_speed_mps").df()
    assert s["tasks"] == 4 and len(curve) == 4         # 2 missiles (one flight each) x 2 speeds
    assert set(curve.threat) == {"iran-berlin", "kozelsk-washington"}
    assert (out / "engageable_vs_speed.png").stat().st_size > 5_000
