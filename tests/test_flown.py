"""The one record of flown threats (:class:`bmdsim.analysis.flown.Truths`): subsets by ``take``, joins by
``concat``, and the views derived from it (one :class:`Truth`, the fire-control ``Threats``, the
``threat_flights`` rows) agree with a flight flown on its own; the old scenario key ``launch_time_s`` still
reads as ``launch_t_s``."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.analysis.flown import EVENTS, Truths
from bmdsim.errors import InputError, UnknownNameError
from bmdsim.flight import catalog, sites
from bmdsim.flight.aimed import aim_and_fly
from bmdsim.scenario.flights import SENSING_DT_S, fly_threats
from bmdsim.scenario.load import load_scenario, load_text


@pytest.fixture(scope="module")
def flown():
    return fly_threats(load_scenario("test-small").scenario, lambda *_: None)


@pytest.fixture(scope="module")
def pair():
    """Two IRBM flights from Semnan, one aimed short (Ankara) and one long (Berlin), flown in one batch."""
    la, lo = sites.resolve("launch", "semnan")
    tg = np.array([sites.resolve("target", t) for t in ("ankara", "berlin")])
    sol, f = aim_and_fly(catalog.get("irbm-3700"), [la, la], [lo, lo], tg[:, 0], tg[:, 1], t_launch_s=[0.0, 30.0])
    return Truths.from_flights(f, missile="irbm-3700", targets=tg, miss_m=sol.miss_m, names=["ankara", "berlin"])


def test_take_index_array_and_mask(pair):
    one = pair.take(1)
    assert len(one) == 1 and one.name.tolist() == ["berlin"]
    assert pair.take([1, 0]).name.tolist() == ["berlin", "ankara"]
    assert pair.take(np.array([False, True])).t_launch_s.tolist() == [30.0]
    np.testing.assert_array_equal(pair.take([1]).r_ecef, pair.r_ecef[[1]])
    with pytest.raises(InputError, match="idx"):
        pair.take([0.5])
    assert pair.index("berlin") == 1
    with pytest.raises(UnknownNameError, match="did you mean 'berlin'"):
        pair.index("berln")


def test_truth_view_ends_on_the_impact(pair):
    for i in range(len(pair)):
        tr = pair.truth(i)
        assert tr.t_s[-1] == pair.t_impact_s[i] and np.all(np.diff(tr.t_s) > 0)
        np.testing.assert_array_equal(tr.r_ecef[-1], pair.r_impact_ecef[i])
        assert tr.t_s[0] == pair.t_launch_s[i]       # the grid starts at launch
    ev = pair.events_t_s()
    assert list(ev) == list(EVENTS)
    assert np.all(ev["launch"] < ev["burnout"]) and np.all(ev["burnout"] < ev["apogee"])
    assert np.all(ev["apogee"] < ev["impact"])


def test_concat_pads_shorter_grids(pair):
    short = Truths(**{f: (getattr(pair, f)[:1, :100] if f in ("t_s", "r_ecef", "v_ecef") else getattr(pair, f)[:1])
                      for f in Truths.__dataclass_fields__})
    both = Truths.concat([short, pair.take(1)])
    k = pair.t_s.shape[1]
    assert both.t_s.shape == (2, k) and both.r_ecef.shape == (2, k, 3)
    assert np.all(np.isnan(both.r_ecef[0, 100:]))
    np.testing.assert_allclose(np.diff(both.t_s[0]), SENSING_DT_S)   # the grid goes on at its own spacing
    with pytest.raises(InputError):
        Truths.concat([])


def test_run_record_in_raid_order_matches_a_lone_flight(flown):
    """Row i of the run's record is raid i: the ICBM (raid 1, flown in its own missile batch) agrees with the same
    raid aimed and flown alone to well under a metre, and every view is cut from the same row."""
    rec = flown.record
    assert rec.name.tolist() == ["iran-berlin", "kozelsk-washington"]
    la, lo = sites.resolve("launch", "kozelsk")
    ta, to = sites.resolve("target", "washington")
    _, f = aim_and_fly(catalog.get("icbm-solid-russia"), [la], [lo], [ta], [to], t_launch_s=60.0,
                       dense_dt_s=SENSING_DT_S, dense_n=rec.t_s.shape[1])
    assert rec.t_launch_s[1] == 60.0
    assert abs(rec.t_impact_s[1] - f.t_impact_s[0]) < 1e-6
    ok = np.isfinite(f.r_ecef[0, :, 0])
    assert np.max(np.linalg.norm(rec.r_ecef[1][ok] - f.r_ecef[0][ok], axis=-1)) < 0.5      # m
    th = flown.fire_control()
    np.testing.assert_array_equal(th.r_ecef, rec.r_ecef)
    np.testing.assert_array_equal(flown.fire_control([1]).t_impact_s, rec.t_impact_s[[1]])
    row = flown.threats[1]
    assert row.threat == "kozelsk-washington" and row.launch_t_s == 60.0
    assert row.impact_t_s == rec.t_impact_s[1] and row.range_km == pytest.approx(rec.range_m[1] / 1e3, abs=1e-9)
    assert row.burnout_after_launch_s == pytest.approx(rec.t_burnout_s[1] - 60.0, abs=1e-9)
    assert flown.truths["kozelsk-washington"].t_impact_s == rec.t_impact_s[1]
    # session 2's layout still indexes the record (the defense step's branch reads it)
    g, j = flown.where["kozelsk-washington"]
    assert flown.flights[g].t_impact_s[j] == rec.t_impact_s[1]


def test_old_launch_time_key_still_reads():
    assert "launch_t_s" in load_scenario("test-small").text and "launch_time_s" not in load_scenario(
        "europe-2007").text
    base = ("schema_version: 1\nname: alias\nepoch_utc: 2007-10-25T12:00:00Z\nseed: 1\n"
            "threats:\n  - {missile: irbm-3700, launch: semnan, target: berlin, %s: 45}\n")
    assert load_text("alias", base % "launch_time_s").threats[0].launch_t_s == 45.0
    assert load_text("alias", base % "launch_t_s").threats[0].launch_t_s == 45.0
