"""The run's defense pipeline (issues 9, 10 and 11): a moved interceptor site engages from where it now stands,
each threat is flown once and chase commits on the run's reported tracks like the engagements.

The expected figures are computed here directly from the fire-control primitives (``fan_for`` at the
coordinates, ``windows``, the commit rule of the defenses catalog: first radar track + fire control + reaction),
not read from the code under test. The runs share one module fixture (about 20 s on a quiet 2-core machine: two
sites' fans are built)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import yaml

import bmdsim
from bmdsim.analysis.engage import fly_threats, sensor_timeline
from bmdsim.engagement import defenses
from bmdsim.engagement.fan import FanSettings, fan_for
from bmdsim.engagement.firecontrol import windows
from bmdsim.flight import catalog, sites
from bmdsim.scenario.schema import Scenario

BASE = """
schema_version: 1
name: moved-site
epoch_utc: 2007-10-25T12:00:00Z
seed: 7
trajectory_step_s: 20
sensors:
  - {catalog: ew-satellites}
  - {catalog: fylingdales}
  - {catalog: brdy, name: brdy}
interceptor_sites:
  - {name: gbi, site: redzikowo, interceptor: gbi2-9.0, inventory: 4}
threats:
  - {name: kozelsk-washington, missile: icbm-solid-russia, launch: kozelsk, target: washington}
analyses:
  footprint: {launch_sites: [kozelsk], missile: icbm-solid-russia, grid_step_deg: 4.0,
              region_deg: [-82, 30, -66, 46]}
  coverage: {enabled: false}
  sharing: {enabled: false}
  airspace: {enabled: false}
"""
#: Reykjavik, about 2,000 km from Redzikowo: the Kozelsk-Washington ICBM passes it on the other side
MOVED = (64.13, -21.9)
CATALOG = (sites.get("redzikowo").latitude_deg, sites.get("redzikowo").longitude_deg)
THREAT = "kozelsk-washington"


def _scenario(place=None) -> Scenario:
    text = BASE
    if place is not None:
        text += f"sites: [{{name: redzikowo, latitude_deg: {place[0]!r}, longitude_deg: {place[1]!r}}}]\n"
    return Scenario.model_validate(yaml.safe_load(text))


@pytest.fixture(scope="module")
def runs():
    return {k: bmdsim.run(_scenario(p)) for k, p in (("none", None), ("restated", CATALOG), ("moved", MOVED))}


def _direct(r, place):
    """Shot opportunities and their intercept times (s since the epoch) of the run's flown threat against the
    site's interceptor at ``place``, from the fan there and the catalog's commit rule on the run's first radar
    track."""
    d = defenses.get("redzikowo")
    site = r.scenario.interceptor_sites[0]
    th = r.flights.fire_control()      # the run's one record of flown threats (a single raid here)
    t_track = min(x.track_t_s for x in r.detections if x.threat == THREAT and x.kind == "radar"
                  and math.isfinite(x.track_t_s))
    c = max(t_track + d.commit_after_track_s + d.reaction_s, float(th.t_launch_s[0]) + d.activation_delay_s)
    fan = fan_for(catalog.get(site.interceptor), *place, settings=FanSettings(max_flight_time_s=d.max_flight_time_s))
    w = windows(fan, th, t_earliest_launch_s=c, min_intercept_altitude_m=d.min_intercept_altitude_m)
    n, t = w.opportunities(assess_s=d.kill_assessment_s, max_shots=site.doctrine.shots_per_threat)
    return c, int(n[0]), t[0, :int(n[0])], w


def test_a_moved_site_engages_from_where_it_stands(runs):
    r = runs["moved"]
    c, n, t_int, w = _direct(r, MOVED)
    c0, n0, t_int0, _ = _direct(r, CATALOG)
    # the move matters for this threat: the first intercept moves by more than half a minute
    assert n >= 1 and n0 >= 1 and abs(t_int[0] - t_int0[0]) > 30.0
    shots = [e for e in r.engagements if e.threat == THREAT]
    assert len(shots) == n
    assert shots[0].interceptor_launch_t_s == pytest.approx(c, abs=1e-6)
    np.testing.assert_allclose([e.intercept_t_s for e in shots], t_int, atol=1e-6)   # seconds
    (o,) = [x for x in r.outcomes if x.threat == THREAT]
    assert o.shots == n
    # chase: the same fan and commit, so the same fan-table intercept; the flown shot within 15 s of it
    (ch,) = [x for x in r.chase if x.threat == THREAT]
    t0 = r.threats[0].launch_t_s
    assert ch.engageable and ch.fan_intercept_after_launch_s == pytest.approx(w.earliest_intercept_s[0] - t0,
                                                                               abs=1e-6)
    assert ch.intercept_after_launch_s == pytest.approx(w.earliest_intercept_s[0] - t0, abs=15.0)
    # footprint: each city's earliest intercept as its own flight (same batch spacing), its own sensor timeline
    # (the site's sensors; none moved here) and the fan at the new place give it
    d = defenses.get("redzikowo")
    fan = fan_for(catalog.get("gbi2-9.0"), *MOVED, settings=FanSettings(max_flight_time_s=d.max_flight_time_s))
    fan0 = fan_for(catalog.get("gbi2-9.0"), *CATALOG, settings=FanSettings(max_flight_time_s=d.max_flight_time_s))
    ks = sites.get("kozelsk")
    cities = [x for x in r.footprint.cities if x.reachable]
    assert cities
    moved_by = []
    for city in cities:
        th, _ = fly_threats("icbm-solid-russia", ks.latitude_deg, ks.longitude_deg, city.latitude_deg,
                            city.longitude_deg, dense_dt_s=4.0)
        ce = sensor_timeline(th, "redzikowo", seed=r.scenario.seed).t_earliest_launch_s
        for fn, out in ((fan, None), (fan0, moved_by)):
            ww = windows(fn, th, t_earliest_launch_s=ce, min_intercept_altitude_m=d.min_intercept_altitude_m)
            t_e = float(ww.earliest_intercept_s[0] - th.t_launch_s[0])
            if out is None:
                assert city.defended == bool(ww.engageable[0]), city.name
                if city.defended:
                    assert city.earliest_intercept_after_launch_s == pytest.approx(t_e, abs=2.0), city.name
            else:
                out.append(abs(city.earliest_intercept_after_launch_s - t_e) if city.defended else 0.0)
    assert max(moved_by) > 30.0    # and the catalog place would have given other intercept times


def test_restating_the_catalog_place_changes_nothing(runs):
    a, b = runs["none"].tables(), runs["restated"].tables()
    for name in ("engagements", "outcomes", "battle", "chase", "footprint_cells", "footprint_cities",
                 "footprint_summaries", "sensor_detections", "tracks"):
        assert a[name].equals(b[name]), name


def test_objects_czml_and_engagement_show_one_position(runs, tmp_path):
    from bmdsim.store.exports import write_czml

    for key, place in (("moved", MOVED), ("none", CATALOG)):
        r = runs[key]
        obj = r.tables()["objects"].set_index("object_id").loc["interceptor_site:gbi"]
        (b,) = r.battle
        path = tmp_path / f"{key}.czml"
        write_czml(path, r)
        (pkt,) = [p for p in json.loads(path.read_text()) if p.get("id") == "interceptor:gbi"]
        lon, lat = pkt["position"]["cartographicDegrees"][:2]
        for x in ((obj.latitude_deg, obj.longitude_deg), (b.site_latitude_deg, b.site_longitude_deg), (lat, lon)):
            assert x == pytest.approx(place, abs=1e-9), (key, x)


def test_chase_and_engagement_agree_on_the_same_threat(runs):
    """Same threat, site on alert, the run's reported tracks for both: the same earliest interceptor launch and
    fan-table intercept, across the chase and engagements tables of RunResult.tables()."""
    r = runs["none"]
    tb = r.tables()
    t0 = {t.name: t.launch_t_s for t in r.threats}
    eng = tb["engagements"]
    first = eng[eng.shot == 1].set_index(["threat", "site"])
    main = {s.name: s.interceptor for s in r.scenario.interceptor_sites}
    ch = tb["chase"]
    ch = ch[[main[s] == v for s, v in zip(ch.site, ch.variant, strict=True)]]
    assert len(ch)
    for row in ch.itertuples():
        e = first.loc[(row.threat, row.site)]
        assert row.engageable
        assert row.interceptor_launch_after_launch_s + t0[row.threat] == pytest.approx(e.interceptor_launch_t_s,
                                                                                       abs=1e-6)
        assert row.fan_intercept_after_launch_s + t0[row.threat] == pytest.approx(e.intercept_t_s, abs=1e-6)
        assert row.commit_time_source.startswith("run's reported tracks")
    o = tb["outcomes"].set_index("threat")
    assert all(o.loc[t].commit_source.startswith("run's reported tracks") for t in ch.threat)


def test_fire_control_uses_the_scenario_sensors_where_they_stand():
    """The site's sensor timeline takes the scenario's instance of each of its catalog sensors (its position and
    overrides), and the catalog's for the others."""
    from bmdsim.scenario.defense import fire_control, fire_control_sensors

    scn = _scenario(MOVED)
    scn = scn.model_copy(update={"sensors": [*scn.sensors[:2], scn.sensors[2].model_copy(
        update={"latitude_deg": 52.0, "longitude_deg": 21.0})]})
    d = fire_control(scn, scn.interceptor_sites[0])
    assert (d.latitude_deg, d.longitude_deg) == MOVED and d.sensors == defenses.get("redzikowo").sensors
    got = fire_control_sensors(scn, d)
    assert len(got) == len(d.sensors)
    by = dict(zip(d.sensors, got, strict=True))
    assert (by["brdy"].latitude_deg, by["brdy"].longitude_deg) == (52.0, 21.0) and by["brdy"].name == "brdy"
    thule = sites.get("thule")
    assert by["thule"].latitude_deg == pytest.approx(thule.latitude_deg, abs=0.05)


def test_validate_accepts_a_moved_defense_site(tmp_path, capsys):
    from bmdsim.cli import main

    f = tmp_path / "s.yaml"
    f.write_text(BASE + f"sites: [{{name: redzikowo, latitude_deg: {MOVED[0]}, longitude_deg: {MOVED[1]}}}]\n")
    assert main(["validate", str(f)]) == 0, capsys.readouterr().err


def test_speed_search_progress_knows_its_total_once_the_grid_is_done():
    from bmdsim.analysis.chase import engaging_intervals

    calls = []
    iv = engaging_intervals(lambda x: 3.0 <= x <= 5.0 or x >= 8.2, [1.0, 2.0, 4.0, 6.0, 9.0, 10.0], tol=0.01,
                            progress=lambda k, n: calls.append((k, n)))
    assert iv == [[3.0, 5.0], [8.203125, 10.0]]
    grid_part, rest = calls[:6], calls[6:]
    assert grid_part == [(k, 6) for k in range(1, 7)]
    assert rest and {n for _, n in rest} == {rest[-1][1]} and rest[-1][0] == rest[-1][1]
    assert [k for k, _ in rest] == list(range(7, rest[-1][1] + 1))



def _chase_json(capsys, row, *extra) -> dict:
    """``bmdsim chase --json`` on the run's threat, site and variant of ``row``, with the row's own commit
    (``--commit-delay-s``: the same assumption as the run's reported tracks gave it)."""
    from bmdsim.cli import main

    capsys.readouterr()
    assert main(["chase", "--json", "--missile", "icbm-solid-russia", "--from", "kozelsk", "--to", "washington",
                 "--site", "redzikowo", "--interceptor", row.variant,
                 "--commit-delay-s", repr(row.interceptor_launch_after_launch_s), *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_run_chase_row_carries_the_ideal_bound_of_chase_json(runs, capsys):
    """Issue 10: the run's chase row carries the ideal bound beside its verdict; ``bmdsim chase --json`` on the
    same threat, site, variant and commit gives the same verdict and bounds. The CLI flies the threat again (same
    aimpoint, launch at 0 s like the run's, 2 s samples): the bounds agree to 1 m/s."""
    r = runs["none"]
    (row,) = [x for x in r.chase if x.threat == THREAT and x.variant == "gbi2-9.0"]
    assert math.isfinite(row.ideal_speed_mps) and math.isfinite(row.ideal_speed_delayed_mps)
    assert row.ideal_speed_mps < row.ideal_speed_delayed_mps and row.ideal_burn_delay_s == 120.0
    j = _chase_json(capsys, row, "--no-threshold")
    assert j["earliest_launch_after_launch_s"] == pytest.approx(row.interceptor_launch_after_launch_s, abs=1e-6)
    assert j["engageable"] == row.engageable
    assert j["ideal_speed_mps"] == pytest.approx(row.ideal_speed_mps, abs=1.0)            # m/s
    assert j["ideal_speed_delayed_mps"] == pytest.approx(row.ideal_speed_delayed_mps, abs=1.0)
    # and the run's commit curve carries the same bound at the run's commit
    (mine,) = [p for p in r.chase_commit_curve if p.threat == THREAT and p.sensor_timeline]
    assert mine.ideal_mps == pytest.approx(row.ideal_speed_mps, abs=1e-9)


@pytest.mark.slow
def test_run_commit_curve_agrees_with_chase_json_threshold(runs, capsys):
    """The threshold: ``bmdsim chase --json``'s speed search (same threat, site and commit) engages at the run's
    variant speed iff the run's chase row does, its threshold at that commit is no faster than the run's
    (the slowest engaging variant), and both commit curves carry the same ideal line where their commit times
    coincide (both grids start at the threat's burnout, 30 s apart). About 1-2 min: the search flies ~25 fans."""
    r = runs["none"]
    (row,) = [x for x in r.chase if x.threat == THREAT and x.variant == "gbi2-9.0"]
    j = _chase_json(capsys, row)
    assert j["engageable"] == row.engageable
    assert any(lo <= 9000.0 <= hi for lo, hi in j["engaging_speed_intervals_mps"]) == row.engageable
    curve = [p for p in r.chase_commit_curve if p.threat == THREAT]
    (mine,) = [p for p in curve if p.sensor_timeline]
    cc = j["commit_curve"]
    (theirs,) = [x for x in cc["rows"] if x["commit_after_launch_s"] == cc["chase_commit_after_launch_s"]]
    assert mine.commit_after_launch_s == pytest.approx(cc["chase_commit_after_launch_s"], abs=1e-6)
    if row.engageable:
        assert mine.threshold_mps == 9000.0 and theirs["threshold_mps"] <= 9000.0
        assert j["min_burnout_speed_mps"] <= 9000.0
    assert mine.ideal_mps == pytest.approx(theirs["ideal_mps"], abs=1.0)
    by = {round(x["commit_after_launch_s"], 6): x["ideal_mps"] for x in cc["rows"]}
    shared = [(p.ideal_mps, by[round(p.commit_after_launch_s, 6)]) for p in curve
              if round(p.commit_after_launch_s, 6) in by and math.isfinite(p.ideal_mps)]
    assert len(shared) >= 5
    for a, b in shared:
        assert a == pytest.approx(b, abs=1.0)


def test_footprint_at_the_threats_target_agrees_with_its_chase_and_engagement(runs):
    """Issue 9, build 3: the footprint's row at a threat's target (its city row: Washington, the same missile
    from the same field) against the run's chase and engagement of that threat. They commit differently: the
    footprint on the city's own flight's sensor timeline (its own detection draw), the chase and the engagements
    on the run's reported tracks; each row says which, and gives the commit it assumed. Under one assumption
    they agree: the run's threat chased with the footprint's commit gives the footprint's verdict, and the
    footprint at that aimpoint with the chase's commit gives the chase's and the engagement's."""
    from bmdsim.analysis.chase import chase_threat
    from bmdsim.analysis.footprint import footprint
    from bmdsim.scenario.defense import fire_control

    r = runs["none"]
    scn = r.scenario
    site = scn.interceptor_sites[0]
    d = fire_control(scn, site)
    (t,) = [x for x in r.threats if x.name == THREAT]
    (row,) = [x for x in r.chase if x.threat == THREAT and x.variant == site.interceptor]
    (o,) = [x for x in r.outcomes if x.threat == THREAT]
    assert (o.shots_on_alert > 0) == row.engageable               # engagement and chase: one commit rule
    (city,) = [c for c in r.footprint.cities if c.name == "washington" and c.variant == site.interceptor]
    assert (city.latitude_deg, city.longitude_deg) == (t.target_latitude_deg, t.target_longitude_deg)
    assert city.reachable and math.isfinite(city.interceptor_launch_after_launch_s)
    assert "sensor timeline" in city.commit_time_source or "track" in city.commit_time_source
    assert row.commit_time_source.startswith("run's reported tracks")
    cells = [c for c in r.footprint.cells if c.reachable]
    assert cells and all(math.isfinite(c.interceptor_launch_after_launch_s) and c.commit_time_source for c in cells)
    ch = chase_threat(r.flights.fire_control(), missile=t.missile,
                      launch=(t.launch_latitude_deg, t.launch_longitude_deg),
                      target=(t.target_latitude_deg, t.target_longitude_deg), site=d, interceptor=site.interceptor,
                      earliest_launch_after_threat_s=city.interceptor_launch_after_launch_s, threshold=False,
                      bounds=False)
    assert ch.engageable == city.defended
    a = scn.analyses.footprint
    ks = sites.get("kozelsk")
    for commit, verdict in ((row.interceptor_launch_after_launch_s, row.engageable),
                            (city.interceptor_launch_after_launch_s, city.defended)):
        f = footprint((ks.latitude_deg, ks.longitude_deg), a.missile, site=d, interceptor=site.interceptor,
                      aimpoints=(np.array([city.latitude_deg]), np.array([city.longitude_deg])),
                      region=tuple(a.region_deg), earliest_launch_after_threat_s=commit, seed=scn.seed)
        assert bool(f.defended[0]) == verdict, (commit, verdict)
