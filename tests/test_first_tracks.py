"""The batched first detections and tracks (sensing.first_tracks, the footprint's per-aimpoint sensor timeline)
against the reference they replace: detect_all on each flight alone with a copy of the same generator, which
the session-3 footprint ran once per aimpoint. Same model, same draws: the times must be equal to the bit."""

from dataclasses import replace

import numpy as np
import pytest

from bmdsim.analysis.engage import fly_threats, own_sensor_timelines, sensor_timeline
from bmdsim.flight import sites
from bmdsim.sensing import catalog as sc
from bmdsim.sensing.detection import detect_all
from bmdsim.sensing.first_tracks import first_times

SEED = 2007


@pytest.fixture(scope="module")
def threats():
    """Semnan's ICBM to 14 aimpoints over Europe (the europe-2007 footprint's missile, 4 s samples), plus two
    copies of the first flight made awkward: a hole of NaN samples mid-course (not a leading run of samples: the
    reference path) and one cut short 300 s after launch."""
    s = sites.get("semnan")
    la = np.array([52.5, 48.9, 51.5, 41.9, 40.4, 59.3, 60.2, 55.7, 53.3, 45.8, 38.0, 50.1, 64.1, 47.5])
    lo = np.array([13.4, 2.35, -0.1, 12.5, -3.7, 18.1, 24.9, 12.6, -6.3, 16.0, 23.7, 14.4, -21.9, 19.0])
    th, miss = fly_threats("icbm-liquid-10000", s.latitude_deg, s.longitude_deg, la, lo, dense_dt_s=4.0)
    assert np.all(miss < 10e3)
    th = th.take(np.r_[np.arange(len(th)), 0, 0])
    th.r_ecef[-2, 150:160] = np.nan
    th.r_ecef[-1, 76:] = np.nan
    th.v_ecef[-1, 76:] = np.nan
    return th


def _catalog_sensors():
    return [sc.sensor(n) for n in ("ew-satellites", "fylingdales", "thule", "brdy")]


def _weak_sensors():
    """Radars 30 times weaker, Fylingdales confirming 3 of 4: first hits at marginal SNR, failed confirmations
    and renewed search or acquisition (the schedule's loop)."""
    ir, fyl, thule, brdy = _catalog_sensors()
    return [ir, replace(fyl, peak_power_w=fyl.peak_power_w / 30, m_of_n=(3, 4)), thule,
            replace(brdy, peak_power_w=brdy.peak_power_w / 30)]


def _reference(sensors, th, rng):
    out = []
    for q in range(len(th)):
        ok = np.isfinite(th.r_ecef[q, :, 0])
        out.append(detect_all(sensors, th.t_s[q, ok], th.r_ecef[q, ok], th.v_ecef[q, ok],
                              rng=np.random.default_rng(SEED).spawn(1)[0] if rng is None else rng(),
                              rcs_m2=1.0, t_burnout_s=float(th.t_burnout_s[q])))
    return out


@pytest.mark.parametrize("make", [_catalog_sensors, _weak_sensors], ids=["catalog", "weak"])
def test_first_times_equal_detect_all_on_each_flight(threats, make):
    sensors = make()
    ref = _reference(sensors, threats, None)
    got = first_times(sensors, threats.t_s, threats.r_ecef, threats.v_ecef,
                      rng=np.random.default_rng(SEED).spawn(1)[0], t_burnout_s=threats.t_burnout_s)
    for name in ("first_detection_t_s", "track_t_s", "report_t_s"):
        want = np.array([[getattr(res[i], name) for res in ref] for i in range(len(sensors))])
        np.testing.assert_array_equal(getattr(got, name), want, err_msg=name)      # seconds, to the bit
    assert got.sensor == [s.name for s in sensors] and got.kind == [r.kind for r in ref[0]]
    tracks = np.isfinite(got.track_t_s)
    assert tracks[0].all() and tracks[3].any()            # the satellites report, the cued radar tracks
    if make is _weak_sensors:                              # the loop ran: a confirmation failed, looking resumed
        resumed = [np.any((r.mode[:-1] == 2) & (r.mode[1:] != 2)) for res in ref for r in res if r.kind == "radar"]
        assert any(resumed)


def test_own_sensor_timelines_equal_sensor_timeline_per_threat(threats):
    sensors = _catalog_sensors()
    got = own_sensor_timelines(threats, "redzikowo", seed=SEED, sensors=sensors)
    for q in range(len(threats)):
        one = sensor_timeline(threats.take([q]), "redzikowo", seed=SEED, sensors=sensors)
        assert got.source[q] == one.source[0] and got.tracking_sensor[q] == one.tracking_sensor[0]
        for name in ("t_detect_s", "t_track_s", "t_commit_s", "t_earliest_launch_s"):
            np.testing.assert_array_equal(getattr(got, name)[q:q + 1], getattr(one, name), err_msg=name)


def test_first_times_of_flights_with_holes_only_take_the_reference_path(threats):
    """The flight with a hole alone (no object on the batched path) and with the one cut short."""
    sensors = _catalog_sensors()
    for rows in ([-2], [-2, -1]):
        th = threats.take(rows)
        got = first_times(sensors, th.t_s, th.r_ecef, th.v_ecef, rng=np.random.default_rng(SEED).spawn(1)[0],
                          t_burnout_s=th.t_burnout_s)
        want = np.array([[res[i].track_t_s for res in _reference(sensors, th, None)] for i in range(len(sensors))])
        np.testing.assert_array_equal(got.track_t_s, want)
        assert np.isfinite(got.track_t_s[0]).all()


def test_first_times_takes_one_cross_section(threats):
    from bmdsim.errors import InputError

    with pytest.raises(InputError, match="rcs_m2"):
        first_times(_catalog_sensors(), threats.t_s[:1], threats.r_ecef[:1], threats.v_ecef[:1],
                    rng=np.random.default_rng(1), t_burnout_s=threats.t_burnout_s[:1], rcs_m2=np.ones(3))


def test_first_times_leaves_the_generator_alone(threats):
    rng = np.random.default_rng(5)
    before = rng.bit_generator.state
    first_times(_catalog_sensors(), threats.t_s[:2], threats.r_ecef[:2], threats.v_ecef[:2], rng=rng,
                t_burnout_s=threats.t_burnout_s[:2])
    assert rng.bit_generator.state == before
    assert rng.spawn(1)[0].random() == np.random.default_rng(5).spawn(1)[0].random()


def test_footprints_of_two_variants_sharing_flights_and_timelines_equal_their_own():
    """``footprint(shared=...)``: the second variant reuses the first's threat flights and sensor timelines
    (they do not depend on the interceptor); every verdict and commit time is what it computes alone."""
    from bmdsim.analysis.footprint import footprint
    from bmdsim.engagement.fan import FanSettings

    coarse = FanSettings(n_azimuth=12, n_kick=60, range_step_m=25e3, altitude_step_m=25e3,
                         speed_fractions=(1.0, 0.85, 0.7, 0.55, 0.4), max_flight_time_s=1500.0)
    s = sites.get("semnan")
    kw = dict(aimpoints=(np.array([52.5, 48.9, 59.3, 41.9]), np.array([13.4, 2.35, 18.1, 12.5])),
              region=(-12.0, 34.0, 35.0, 66.0), settings=coarse, seed=SEED)
    shared: dict = {}
    for v in ("gbi2-7.7", "gbi2-9.0"):
        alone = footprint((s.latitude_deg, s.longitude_deg), "icbm-liquid-10000", interceptor=v, **kw)
        reused = footprint((s.latitude_deg, s.longitude_deg), "icbm-liquid-10000", interceptor=v, shared=shared,
                           **kw)
        a, b = alone.to_dict(), reused.to_dict()
        assert a.pop("timings_s") and b.pop("timings_s")
        assert a == b, v
        assert np.isfinite(alone.earliest_launch_after_launch_s).any()
    assert len(shared) == 1 and reused.timings_s["threat_flights"] < 0.5 * alone.timings_s["threat_flights"]
