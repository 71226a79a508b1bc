"""The shared radar feed (issue 3, part 6): FEEDSPEC parsing with teaching errors, latency, thinning, blanking,
added error, JSON lines, and what the observer infers (parity with the defense when nothing is degraded)."""

import json
import math

import numpy as np
import pytest

from bmdsim.analysis import observe
from bmdsim.errors import InputError, UnknownNameError
from bmdsim.sensing import feed as fd
from bmdsim.sensing.feed import BlankRegion, FeedSpec


@pytest.fixture(scope="module")
def defense():
    """One IRBM (Semnan -> Warsaw, ~970 s) seen by the default sensors, seed 1: what the defense knows."""
    truth = observe.fly_truth("irbm-3700", "semnan", "warsaw", dt_s=2.0)
    obs = observe.observe_threat(truth, rng=np.random.default_rng(1), pip_dt_s=10.0)
    assert obs.track is not None
    return obs


def _radar_meas(obs):
    return [d.measurements for d in obs.detections if d.kind == "radar"]


def _observer_errors(obs, spec, seed):
    f = fd.share(_radar_meas(obs), obs.track, spec, rng=np.random.default_rng(seed))
    o = fd.infer(f, track_after_s=obs.truth.t_burnout_s, pip_dt_s=10.0)
    return o, o.pip.error_km(obs.truth.impact_latitude_deg, obs.truth.impact_longitude_deg)


# ------------------------------------------------------------------------------------------------ FEEDSPEC
def test_parse_defaults_and_round_trip():
    s = FeedSpec.parse("")
    assert s.content == ("tracks", "pips") and s.latency_s == 0 and s.interval_s == 0 and s.blank == ()
    s = FeedSpec.parse("content=pips,detections; latency_s=10;interval_s=20;noise_m=500;noise_mps=2;"
                       "blank=50,30,60,60|-10,170,10,-170,0,100;sensors=brdy")
    assert s.content == ("detections", "pips")            # canonical order
    assert s.sensors == ("brdy-emr-peak-170kw",)          # short names resolved
    assert s.blank[1].alt1_m == 100e3 and s.blank[1].lon0_deg == 170
    assert FeedSpec.parse(s.text()) == s


@pytest.mark.parametrize(("text", "field"), [
    ("latency=10", "--share key"),                         # unknown key
    ("latency_s=-5", "--share latency_s"),
    ("interval_s=soon", "--share interval_s"),
    ("noise_m=nan", "--share noise_m"),
    ("content=radar", "--share content"),
    ("content=", "--share content"),
    ("blank=50,30,60", "--share blank"),                   # three numbers
    ("blank=60,30,50,60", "--share blank"),                # corners swapped
    ("blank=50,30,60,60,-1,100", "--share blank"),         # altitude band below ground
    ("blank=50,30,60,60,100,50", "--share blank"),         # band upside down
    ("sensors=nowhere", "--share sensors"),
    ("latency_s", "--share"),                              # no '='
    ("latency_s=1;latency_s=2", "--share latency_s"),      # twice
])
def test_bad_feedspec_names_the_key(text, field):
    with pytest.raises(InputError) as e:
        FeedSpec.parse(text)
    assert e.value.field == field
    assert e.value.hint                                   # says how to fix it


def test_unknown_key_suggests_the_right_one():
    with pytest.raises(UnknownNameError, match="did you mean 'latency_s'"):
        FeedSpec.parse("latency=10")


def test_blank_region_contains_and_antimeridian():
    b = BlankRegion(lat0_deg=-10, lon0_deg=170, lat1_deg=10, lon1_deg=-170, alt0_m=0, alt1_m=100e3)
    lat = np.array([0.0, 0.0, 0.0, 0.0, 20.0])
    lon = np.array([175.0, -175.0, 180.0, 0.0, 175.0])
    assert b.contains(lat, lon, np.full(5, 50e3)).tolist() == [True, True, True, False, False]
    assert not b.contains(0.0, 175.0, 150e3)               # above the band
    assert not b.contains(np.nan, 175.0, 0.0)


def test_thin_keeps_one_per_interval():
    t = np.arange(0.0, 100.0, 1.5)
    k = fd.thin(t, 10.0)
    assert np.all(np.diff(t[k]) >= 10.0 - 1e-9) and k[0] == 0
    assert fd.thin(t, 0.0).size == t.size


# -------------------------------------------------------------------------------------------- the observer
def test_undegraded_detections_reproduce_the_defense_pip(defense):
    """Shared detections with no latency, thinning or noise: the observer's own track is the defense's track."""
    o, err = _observer_errors(defense, FeedSpec(content=("detections",)), 0)
    assert o.source == "detections"
    np.testing.assert_allclose(o.t_s, defense.pip_t_s)
    np.testing.assert_allclose(err, defense.pip_error_km, rtol=1e-9, atol=1e-9)


def test_shared_tracks_give_the_defense_pip(defense):
    o, err = _observer_errors(defense, FeedSpec(content=("tracks",)), 0)
    assert o.source == "tracks"
    own = dict(zip(defense.pip_t_s.tolist(), defense.pip_error_km.tolist(), strict=True))
    same = [(e, own[t]) for t, e in zip(o.t_s.tolist(), err.tolist(), strict=True) if t in own]
    assert len(same) > 10
    a, b = np.array(same).T
    np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("content", ["detections", "tracks", "pips"])
def test_latency_delays_every_observer_pip(defense, content):
    lat = 37.0
    o, _ = _observer_errors(defense, FeedSpec(content=(content,), latency_s=lat), 0)
    assert o.t_received_s.size > 0
    np.testing.assert_allclose(o.t_received_s - o.t_s, lat)
    assert o.t_received_s[0] >= defense.pip_t_s[0] + lat - 1e-9


def test_interval_thins_every_stream(defense):
    spec = FeedSpec(content=("detections", "tracks", "pips"), interval_s=20.0)
    f = fd.share(_radar_meas(defense), defense.track, spec, rng=np.random.default_rng(0))
    for t in [m.t_s for m in f.detections] + [f.tracks.t_s, f.pips.t_s]:
        assert t.size > 3 and np.all(np.diff(t) >= 20.0 - 1e-9)


def test_blanking_removes_the_points_inside(defense):
    # a box over the middle of the flight (eastern Ukraine / Belarus), every altitude
    box = "blank=48,25,54,33"
    spec = FeedSpec.parse("content=detections,tracks,pips;" + box)
    f = fd.share(_radar_meas(defense), defense.track, spec, rng=np.random.default_rng(0))
    b = spec.blank[0]
    removed = f.removed_by_blanking
    assert removed["detection"] > 10 and removed["track"] > 10
    for m in f.detections:
        lat, lon, h = fd._measured_geodetic(m)
        assert not b.contains(lat, lon, h).any()
    lat, lon, h = fd._track_geodetic(f.tracks.t_s, f.tracks.x_eci)
    assert not b.contains(lat, lon, h).any()
    # a box over the target holds back the PIPs near Warsaw (all but the rough first ones) and nothing else
    s2 = FeedSpec.parse("content=tracks,pips;blank=51,20,53.5,22")
    f2 = fd.share(_radar_meas(defense), defense.track, s2, rng=np.random.default_rng(0))
    p = f2.pips.pip
    assert not s2.blank[0].contains(p.latitude_deg, p.longitude_deg, np.zeros(p.latitude_deg.size)).any()
    assert f2.removed_by_blanking["pip"] > 10 and f2.pips.t_s.size <= 3
    # tracks: only the last looks at the descending reentry vehicle, above the target, fall inside this box
    lat, lon, h = fd._track_geodetic(defense.track.t_s, defense.track.x_eci)
    inside = s2.blank[0].contains(lat, lon, h)
    assert f2.removed_by_blanking["track"] == inside.sum() <= 3 and (inside.sum() == 0 or inside[-1])
    assert f2.tracks.t_s.size == defense.track.t_s.size - inside.sum()


def test_added_noise_increases_the_observer_pip_error(defense):
    """Statistical, seeded: the observer's mean PIP error over the last half of the flight, over 4 feed seeds,
    grows with the added error (500 m -> 5 km per axis)."""
    def mean_err(noise_m):
        out = []
        for seed in range(4):
            _, err = _observer_errors(defense, FeedSpec(content=("detections",), noise_m=noise_m), seed)
            out.append(np.mean(err[err.size // 2:]))
        return np.mean(out)

    base = np.mean(defense.pip_error_km[defense.pip_error_km.size // 2:])
    e0, e1 = mean_err(500.0), mean_err(5000.0)
    assert e1 > e0 > 0.5 * base
    assert e1 > 2.0 * base


def test_pip_noise_moves_the_points_and_widens_the_ellipses(defense):
    o0, e0 = _observer_errors(defense, FeedSpec(content=("pips",)), 0)
    o1, e1 = _observer_errors(defense, FeedSpec(content=("pips",), noise_m=3000.0), 0)
    shift = np.abs(e1 - e0)
    assert np.median(shift) > 0.5                          # km: the 3 km per axis shows
    assert np.all(o1.pip.semi_major_km >= o0.pip.semi_major_km)
    assert np.all(o1.pip.semi_minor_km >= 3.0 - 1e-9)


# --------------------------------------------------------------------------------------------------- export
def test_jsonl_lines_parse_and_are_in_order(defense, tmp_path):
    spec = FeedSpec.parse("content=detections,tracks,pips;latency_s=5;interval_s=30;noise_m=100")
    f = fd.share(_radar_meas(defense), defense.track, spec, rng=np.random.default_rng(0), object_id="irbm")
    path = fd.write_jsonl(f, tmp_path / "feed.jsonl")
    lines = path.read_text().splitlines()
    msgs = [json.loads(x) for x in lines]
    assert msgs[0]["kind"] == "header" and msgs[0]["feedspec"] == spec.text()
    kinds = {m["kind"] for m in msgs[1:]}
    assert kinds == {"detection", "track", "pip"}
    rec = [m["t_received_s"] for m in msgs[1:]]
    assert rec == sorted(rec)
    for m in msgs[1:]:
        assert m["object"] == "irbm" and math.isclose(m["t_received_s"], m["t_s"] + 5.0)
    trk = next(m for m in msgs if m["kind"] == "track")
    assert len(trk["x_eci"]) == 6 and np.shape(trk["P_eci"]) == (6, 6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feed.jsonl"]     # no partial file left


def test_share_rejects_bad_arguments(defense):
    with pytest.raises(InputError, match="rng"):
        fd.share([], defense.track, FeedSpec(), rng=1)
    with pytest.raises(InputError, match="FeedSpec"):
        fd.share([], defense.track, "latency_s=1", rng=np.random.default_rng(0))
    with pytest.raises(InputError, match="folder"):
        fd.write_jsonl([], "/nonexistent-folder/feed.jsonl")
