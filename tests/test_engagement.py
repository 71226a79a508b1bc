"""Engagement layer: fans, fire control, doctrine and the battle manager.

Validation required by issue 4: the intercept point lies on both trajectories (within 1 km at the same time);
monotonicity in interceptor speed and in commit time; an analytic head-on case; Monte Carlo kill statistics
against the closed-form independent-shot formula within three standard errors. Coarse fans keep this fast.
"""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.core import frames
from bmdsim.core.constants import R_SPHERE_M
from bmdsim.engagement import battle, defenses, doctrine
from bmdsim.engagement.fan import FanLookup, FanSettings, fan_for, sized_interceptor
from bmdsim.engagement.firecontrol import Threats, aim, geometry, windows
from bmdsim.errors import InputError, UnknownNameError
from bmdsim.flight import catalog, sites
from bmdsim.flight.fly import Options, fly
from bmdsim.flight.targeting import solve

COARSE = FanSettings(n_azimuth=12, n_kick=60, range_step_m=25e3, altitude_step_m=25e3,
                     speed_fractions=(1.0, 0.9, 0.8, 0.7, 0.55, 0.4), max_flight_time_s=1500.0)
RED = sites.get("redzikowo")


def _fan(name_or_speed):
    v = catalog.get(name_or_speed) if isinstance(name_or_speed, str) else sized_interceptor(name_or_speed)
    return fan_for(v, RED.latitude_deg, RED.longitude_deg, settings=COARSE)


def _threats(missile, pairs, dt=4.0):
    v = catalog.get(missile)
    a = np.array([sites.resolve("a", p[0]) for p in pairs])
    b = np.array([sites.resolve("b", p[1]) for p in pairs])
    sol = solve(v, a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    f = fly(v, a[:, 0], a[:, 1], sol.azimuth_deg, sol.kick_deg, cutoff_s=sol.cutoff_s,
            options=Options(dense_dt_s=dt, dense_n=int(2600 / dt)))
    return Threats.from_flights(f)


@pytest.fixture(scope="module")
def kozelsk():
    return _threats("icbm-solid-russia", [("kozelsk", "washington")], dt=2.0)


@pytest.fixture(scope="module")
def iran():
    return _threats("icbm-liquid-10000", [("semnan", t) for t in ("london", "paris", "new-york", "boston", "oslo",
                                                                  "berlin", "madrid", "washington")])


# ------------------------------------------------------------------------------------------------- fan
def test_fan_time_grows_with_range_and_matches_an_aimed_flight():
    fan = _fan("gbi2-6.3")
    t = fan.time_of_flight(np.array([200e3, 600e3, 1200e3, 2000e3]), 300e3, 20.0)
    assert np.all(np.isfinite(t)) and np.all(np.diff(t) > 0)
    # the fan's minimum time is that of an actual interceptor flown at the point (within a cell's worth)
    r = frames.geodetic_to_ecef(np.radians(60.0), np.radians(20.0), 400e3)
    look = fan.lookup(r)
    shot = aim(fan, r, 1000.0)
    assert shot.aim_error_m < 100.0
    assert abs(shot.t_flight_s - float(look.t_flight_s)) < 8.0
    assert np.linalg.norm(shot.r_ecef - r) < 1000.0


def test_fan_rejects_a_threat_vehicle():
    with pytest.raises(InputError):
        fan_for(catalog.get("shahab-3"), 54.0, 17.0, settings=COARSE)


# ------------------------------------------------------------------------------------------ validation
def test_intercept_point_lies_on_both_trajectories(kozelsk):
    """Kozelsk -> Washington against 8.3 km/s: fly the actual interceptor to the earliest intercept point."""
    from bmdsim.engagement.firecontrol import refine_earliest

    fan = _fan("gbi2-8.3")
    c = float(kozelsk.t_launch_s[0]) + 240.0
    w = windows(fan, kozelsk, t_earliest_launch_s=c)
    assert w.engageable[0]
    shot = refine_earliest(fan, kozelsk, 0, float(w.earliest_intercept_s[0]), c)
    r_t, v_t = kozelsk.state_at(0, shot.t_intercept_s)
    assert np.linalg.norm(shot.r_ecef - r_t) < 1000.0          # same place, same time
    assert abs(shot.t_launch_s - c) < 2.0                      # launched at the earliest allowed time
    # an independent re-flight of the interceptor with the shot's steering gives the same point
    f = fly(fan.interceptor, RED.latitude_deg, RED.longitude_deg, shot.azimuth_deg, shot.kick_deg,
            cutoff_s=shot.cutoff_s, t_launch_s=shot.t_launch_s, options=Options(dense_dt_s=0.25, dense_n=8000))
    k = int(np.argmin(np.abs(f.t_s[0] - shot.t_intercept_s)))
    assert np.linalg.norm(f.r_ecef[0, k] - r_t) < 1000.0 + 0.25 * 8000.0
    closing, cross, tail = geometry(shot.r_ecef, shot.v_ecef, v_t, shot.t_intercept_s)
    assert tail and cross < 90.0                               # MDA's "tail chase" from Poland
    assert closing < 5000.0


def test_faster_interceptor_never_shrinks_the_engageable_set(iran, kozelsk):
    both = Threats(**{k: _cat(getattr(iran, k), getattr(kozelsk, k)) for k in Threats.__dataclass_fields__})
    c = both.t_launch_s + 300.0
    prev_eng, prev_t = None, None
    for name in ("gbi2-5.4", "gbi2-6.3", "gbi2-7.7", "gbi2-8.3", "gbi2-9.0"):
        w = windows(_fan(name), both, t_earliest_launch_s=c)
        if prev_eng is not None:
            assert np.all(w.engageable[prev_eng]), name
            both_ok = prev_eng & w.engageable
            # within 10 s: the cut-off families are discrete fractions of each variant's own speed
            assert np.all(w.earliest_intercept_s[both_ok] <= prev_t[both_ok] + 10.0), name
        prev_eng, prev_t = w.engageable, w.earliest_intercept_s
    assert prev_eng.all() and not windows(_fan("gbi2-5.4"), both, t_earliest_launch_s=c).engageable[-1]


def _cat(a, b):
    if a.ndim == 1:
        return np.concatenate([a, b])
    k = max(a.shape[1], b.shape[1])
    pad = [lambda x: np.pad(x, [(0, 0), (0, k - x.shape[1])] + [(0, 0)] * (x.ndim - 2), constant_values=np.nan)]
    if a.ndim == 2:   # time grid: extend it evenly
        def ext(x):
            dt = x[:, 1:2] - x[:, :1]
            return x[:, :1] + dt * np.arange(k)[None, :]
        return np.concatenate([ext(a), ext(b)])
    return np.concatenate([pad[0](a), pad[0](b)])


def test_later_commit_never_grows_the_engageable_set(iran):
    fan = _fan("gbi2-7.7")
    prev_eng, prev_t, prev_n = None, None, None
    for delay in (200.0, 350.0, 500.0, 650.0, 800.0):
        w = windows(fan, iran, t_earliest_launch_s=iran.t_launch_s + delay)
        n, _ = w.opportunities(assess_s=60.0)
        if prev_eng is not None:
            assert not np.any(w.engageable & ~prev_eng)
            ok = w.engageable
            assert np.all(w.earliest_intercept_s[ok] >= prev_t[ok] - 1e-6)
            assert np.all(n <= prev_n)
        prev_eng, prev_t, prev_n = w.engageable, w.earliest_intercept_s, n


class _StraightLineFan:
    """A fan for an interceptor that flies straight from the site at constant speed ``u`` (analytic)."""

    def __init__(self, r_site, u):
        self.r_site, self.u = r_site, u

    def lookup(self, r, *, min_altitude_m=-np.inf):
        d = np.linalg.norm(r - self.r_site, axis=-1)
        h = frames.geodetic_altitude(r)
        t = np.where(h >= min_altitude_m, d / self.u, np.nan)
        z = np.zeros_like(d)
        return FanLookup(t_flight_s=t, kick_deg=z, cutoff_s=z, azimuth_deg=z, ground_range_m=z, altitude_m=h)


def test_analytic_head_on_case():
    """A threat falling straight down on a site at the North Pole at v; an interceptor rising straight up at u,
    launched at c: they meet at t = (D0 + u c) / (u + v), closing at u + v, head-on (180 deg)."""
    r_site = frames.geodetic_to_ecef(np.pi / 2, 0.0, 0.0)
    up = r_site / np.linalg.norm(r_site)
    v, u, d0, c = 3000.0, 5000.0, 2_000_000.0, 100.0
    t = np.arange(0.0, 600.0, 0.5)
    r = r_site + (d0 - v * t)[:, None] * up
    vel = np.broadcast_to(-v * up, r.shape)
    ok = d0 - v * t > 0
    r = np.where(ok[:, None], r, np.nan)
    th = Threats(t_s=t[None], r_ecef=r[None], v_ecef=np.where(ok[:, None], vel, np.nan)[None],
                 t_launch_s=np.zeros(1), t_burnout_s=np.zeros(1), t_impact_s=np.array([d0 / v]))
    w = windows(_StraightLineFan(r_site, u), th, t_earliest_launch_s=c, min_intercept_altitude_m=100e3)
    t_exact = (d0 + u * c) / (u + v)
    assert w.earliest_intercept_s[0] == pytest.approx(t_exact, abs=1e-6)
    # latest: the last point above 100 km, with the interceptor launched as late as it can
    assert w.latest_intercept_s[0] == pytest.approx(t[(d0 - v * t) >= 100e3 + 1.0][-1], abs=0.5)
    r_i = r_site + (d0 - v * t_exact) * up
    closing, cross, tail = geometry(r_i, u * up, -v * up, t_exact)
    assert closing == pytest.approx(u + v, rel=1e-12)
    assert cross == pytest.approx(180.0, abs=1e-6) and not tail


def test_design_case_iran_to_the_east_coast_passes_near_redzikowo(iran):
    """Semnan -> New York / Boston / Washington: the ground track passes within 300 km of Redzikowo (the great
    circle from Iran to the East Coast crosses Poland), high in midcourse; the site engages it head-on (crossing
    angle above 90 deg) even at MDA's 5.4 km/s, with an early commit."""
    from bmdsim.engagement.fan import site_coordinates
    from bmdsim.engagement.firecontrol import refine_earliest

    ang, _, h = site_coordinates(iran.r_ecef[[2, 3, 7]], RED.latitude_deg, RED.longitude_deg)
    k = np.nanargmin(ang, axis=1)
    closest_km = ang[np.arange(3), k] * R_SPHERE_M / 1e3
    assert np.all(closest_km < 300.0), closest_km
    assert np.all(h[np.arange(3), k] > 500e3)          # over Poland in midcourse, 700-1,200 km up
    fan = _fan("gbi2-5.4")
    c = iran.t_launch_s + 300.0
    w = windows(fan, iran, t_earliest_launch_s=c)
    assert w.engageable[2] and w.engageable[3] and w.engageable[7]
    shot = refine_earliest(fan, iran, 2, float(w.earliest_intercept_s[2]), float(c[2]))
    _, v_t = iran.state_at(2, shot.t_intercept_s)
    closing, cross, tail = geometry(shot.r_ecef, shot.v_ecef, v_t, shot.t_intercept_s)
    assert not tail and cross > 90.0 and closing > 7000.0
    assert shot.miss_m < 1000.0


# -------------------------------------------------------------------------------------------- doctrine
def test_closed_forms():
    d = doctrine.Doctrine(salvo=2, looks=2)
    assert float(doctrine.p_kill(0.8, d)) == pytest.approx(1 - 0.2**4)
    assert float(doctrine.p_kill(0.8, d, opportunities=1)) == pytest.approx(1 - 0.2**2)
    assert float(doctrine.p_kill(0.8, d, inventory=3)) == pytest.approx(1 - 0.2**3)
    assert float(doctrine.expected_interceptors(0.5, doctrine.Doctrine(salvo=1, looks=3))) == pytest.approx(1.75)
    assert doctrine.expected_leakers([0.9, 0.8]) == pytest.approx(0.3)
    with pytest.raises(InputError):
        doctrine.p_kill_independent(1.2, 1)


@pytest.mark.parametrize("pssk,salvo,looks,opp", [(0.8, 1, 2, 2), (0.5, 2, 2, 1), (0.3, 1, 3, 3)])
def test_monte_carlo_agrees_with_the_closed_form(pssk, salvo, looks, opp):
    d = doctrine.Doctrine(salvo=salvo, looks=looks)
    p = np.full(4, pssk)
    mc = doctrine.simulate(p, d, n_trials=20_000, rng=np.random.default_rng(7), opportunities=opp)
    exact = doctrine.p_kill(pssk, d, opportunities=opp)
    assert np.all(np.abs(mc.p_kill - exact) < 3 * mc.p_kill_se)
    e_fired = doctrine.expected_interceptors(pssk, d, opportunities=opp)
    assert np.all(np.abs(mc.mean_fired - e_fired) <= 3 * mc.fired.std(axis=0) / np.sqrt(20_000) + 1e-12)
    assert abs(mc.leakers_mean - doctrine.expected_leakers(np.full(4, exact))) < 3 * mc.leakers_se


def test_monte_carlo_is_reproducible_and_needs_a_generator():
    d = doctrine.Doctrine()
    a = doctrine.simulate(0.7, d, n_trials=100, rng=np.random.default_rng(3))
    b = doctrine.simulate(0.7, d, n_trials=100, rng=np.random.default_rng(3))
    assert np.array_equal(a.killed, b.killed)
    with pytest.raises(InputError):
        doctrine.simulate(0.7, d, n_trials=10, rng=3)


# ------------------------------------------------------------------------------------------------ battle
def test_assignment_prefers_valuable_targets_and_respects_feasibility():
    plan = battle.assign(np.array([1.0, 5.0, 3.0]), np.array([0.8]), np.array([2]), np.ones((1, 3), bool), 1)
    assert plan.tolist() == [[0, 1, 1]]
    feas = np.array([[True, False, True]])
    plan = battle.assign(np.array([1.0, 5.0, 3.0]), np.array([0.8]), np.array([5]), feas, 2)
    assert plan[0, 1] == 0 and plan[0, 2] == 2 and plan[0, 0] == 2


def test_battle_matches_closed_form_with_ample_inventory():
    r = battle.Raid.simple([1.0, 2.0, 3.0], [2, 1, 0], inventory=10, pssk=0.8)
    d = doctrine.Doctrine(salvo=1, looks=2)
    res = battle.fight(r, d, n_trials=5000, rng=np.random.default_rng(11))
    pk = doctrine.p_kill(0.8, d, opportunities=np.array([2, 1, 0]))
    assert np.all(np.abs(res.warhead_killed.mean(axis=0) - pk) <= 3 * np.sqrt(pk * (1 - pk) / 5000) + 1e-12)
    assert abs(res.leakers_mean - doctrine.expected_leakers(pk)) < 3 * res.leakers_se


def test_decoys_and_a_small_inventory_let_more_through():
    base = battle.Raid.simple([1.0] * 4, [2] * 4, inventory=10, pssk=0.8)
    decoyed = battle.Raid.simple([1.0] * 4, [2] * 4, inventory=10, pssk=0.8, decoys_per_warhead=3)
    d = doctrine.Doctrine(salvo=1, looks=2)
    a = battle.fight(base, d, n_trials=2000, rng=np.random.default_rng(1))
    b = battle.fight(decoyed, d, p_discrimination=0.0, n_trials=2000, rng=np.random.default_rng(1))
    c = battle.fight(decoyed, d, p_discrimination=1.0, n_trials=2000, rng=np.random.default_rng(1))
    assert b.leakers_mean > a.leakers_mean + 5 * b.leakers_se
    assert abs(c.leakers_mean - a.leakers_mean) < 4 * max(a.leakers_se, 1e-3)
    assert b.fired.max() <= 10


# ----------------------------------------------------------------------------------------------- catalog
def test_defense_catalog():
    d = defenses.get("redzikowo")
    assert d.inventory == 10 and d.interceptor in catalog.interceptor_names()
    assert all(v in catalog.interceptor_names() for v in d.variants)
    assert 0 < d.pssk_of("gbi2-6.3") <= 1
    with pytest.raises(UnknownNameError):
        defenses.get("nowhere")
