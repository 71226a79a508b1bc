"""The disk cache of fan sectors (:mod:`bmdsim.engagement.fancache`): a loaded sector is the built one bit for
bit, the key moves with everything a fan depends on, and a bad or unwritable cache never changes an answer."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from bmdsim.engagement import fancache
from bmdsim.engagement.fan import Fan, FanSettings, sized_interceptor
from bmdsim.errors import BmdsimWarning

# coarse settings: a sector in well under a second
SET = FanSettings(n_azimuth=8, n_kick=30, range_step_m=40e3, altitude_step_m=40e3, max_flight_time_s=700.0,
                  speed_fractions=(1.0, 0.7), lt_end_deg=(-30.0, 30.0, 7), lt_speed_fractions=(1.0,))
SITE = (54.4789, 17.1075)
TABLES = ("tab_t", "tab_kick", "tab_cutoff", "tab_family")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BMDSIM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("BMDSIM_NO_CACHE", raising=False)
    return tmp_path / "cache"


def _fan(speed=6300.0, site=SITE, settings=SET):
    return Fan(sized_interceptor(speed), *site, settings=settings)


def _same(a: Fan, b: Fan) -> bool:
    """The same sectors built, with the same reachable extent and equal tables inside it (the rest of a slab is
    never read: a loaded sector does not even set it)."""
    if not (a.built == b.built).all() or not (a.extent == b.extent).all():
        return False
    for sec in np.flatnonzero(a.built):
        nr, nh = a.extent[sec]
        if not all(np.array_equal(getattr(a, n)[sec, :nr, :nh], getattr(b, n)[sec, :nr, :nh], equal_nan=True)
                   for n in TABLES):
            return False
    return True


def test_a_loaded_sector_is_the_built_one_bit_for_bit(cache):
    built = _fan().build([1, 4])
    assert built.n_flights > 0 and built.n_loaded == 0
    loaded = _fan().build([1, 4])
    assert loaded.n_flights == 0 and loaded.n_loaded == 2
    assert _same(built, loaded)
    assert loaded.built.tolist() == built.built.tolist()
    # a sector not cached yet is flown, the cached ones are not flown again
    mixed = _fan().build([1, 2])
    assert mixed.n_loaded == 1 and mixed.n_flights == built.n_flights // 2
    # and the fan answers the same lookups either way (points east-north-east, in sectors 1-2, 200-600 km up)
    fresh = _fan().build([1, 2])
    n = mixed.n_flights
    r = np.stack(_points())
    t = mixed.lookup(r).t_flight_s
    assert mixed.n_flights == n and np.isfinite(t).all()      # no other sector was needed
    assert np.array_equal(t, fresh.lookup(r).t_flight_s)
    meta = json.loads(next(cache.glob("fans/*/fan.json")).read_text())
    assert meta["burnout_speed_mps"] == 6300.0


def _points():
    from bmdsim.core import frames

    return [frames.geodetic_to_ecef(np.radians(SITE[0] + 0.3 * d), np.radians(SITE[1] + d), h)
            for d, h in ((4.0, 200e3), (6.0, 400e3), (9.0, 600e3))]


def test_the_key_moves_with_everything_a_fan_depends_on(cache):
    base = _fan().cache_key
    assert base is not None and base == _fan().cache_key
    others = {_fan(speed=6301.0).cache_key, _fan(site=(54.4789, 17.2)).cache_key,
              _fan(settings=FanSettings(**{**_kw(SET), "n_kick": 31})).cache_key,
              Fan(sized_interceptor(6300.0), *SITE, altitude_m=10.0, settings=SET).cache_key}
    assert base not in others and len(others) == 4
    # the benchmarks' solve_ivp peer (and any callable integrator) is never cached
    assert _fan(settings=FanSettings(**{**_kw(SET), "integrator": "oracle"})).cache_key is None


def _kw(s: FanSettings) -> dict:
    return {k: getattr(s, k) for k in s.__dataclass_fields__}


def test_a_corrupt_file_is_rebuilt_and_overwritten(cache):
    built = _fan().build([3])
    (p,) = cache.glob("fans/*/sector-003.npz")
    p.write_bytes(b"not a numpy file")
    again = _fan().build([3])
    assert again.n_loaded == 0 and again.n_flights == built.n_flights
    assert _same(built, again)
    assert _fan().build([3]).n_loaded == 1   # the rebuilt file reads back


def test_an_unwritable_cache_warns_once_and_changes_nothing(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("BMDSIM_CACHE_DIR", str(blocker / "cache"))   # under a file: no one can create it
    monkeypatch.setitem(fancache._state, "warned", False)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        a = _fan().build([0, 1])
    msgs = [x for x in w if issubclass(x.category, BmdsimWarning)]
    assert len(msgs) == 1 and "BMDSIM_CACHE_DIR" in str(msgs[0].message)
    monkeypatch.setenv("BMDSIM_NO_CACHE", "1")
    assert fancache.cache_dir() is None and _fan().cache_key is not None
    assert _same(a, _fan().build([0, 1]))


def test_off_means_nothing_written(cache, monkeypatch):
    monkeypatch.setenv("BMDSIM_NO_CACHE", "1")
    _fan().build([0])
    assert not cache.exists()
    assert fancache.info().enabled is False


def test_the_size_limit_drops_the_least_recently_used(cache, monkeypatch):
    _fan().build([0])
    (first,) = cache.glob("fans/*/sector-000.npz")
    size_mb = first.stat().st_size / 1e6
    monkeypatch.setenv("BMDSIM_CACHE_MAX_MB", str(2.5 * size_mb))   # room for two sectors
    fancache._state["used_bytes"].clear()
    _fan().build([1, 2])
    left = sorted(p.name for p in cache.glob("fans/*/sector-*.npz"))
    assert "sector-000.npz" not in left and len(left) <= 2 and "sector-002.npz" in left


def test_cache_command_shows_and_clears(cache):
    from typer.testing import CliRunner

    from bmdsim.cli import app

    _fan().build([0, 1])
    r = CliRunner().invoke(app, ["cache", "--json"])
    assert r.exit_code == 0, r.output
    got = json.loads(r.output)
    assert got["path"] == str(cache) and got["sectors"] == 2 and got["fans"] == 1 and got["size_mb"] > 0
    r = CliRunner().invoke(app, ["cache", "--clear"])
    assert r.exit_code == 0 and "removed 2 cached fan sectors" in r.output
    assert fancache.info().sectors == 0
