"""Threat profiles by their definitions: the flown minimum-energy shot against the minimum-energy ellipse of
Bate, Mueller & White ch. 6, and against every other shot to the same target (issue 10, part 1)."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.core import frames, kepler
from bmdsim.core.constants import GM_EARTH_M3_S2
from bmdsim.flight import catalog, sites
from bmdsim.flight.targeting import burnout_inertial, solve

# (missile, launch, target): the dispute's shots (Kozelsk and Teykovo to Washington and New York), one near the
# missile's maximum range (Semnan to New York, where the least-energy shot needs the full burn) and an IRBM.
SHOTS = [("icbm-solid-russia", "kozelsk", "washington"), ("icbm-solid-russia", "kozelsk", "new-york"),
         ("icbm-solid-russia", "teykovo", "washington"), ("icbm-liquid-10000", "semnan", "new-york"),
         ("irbm-3700", "semnan", "warsaw")]


def _aim(missile, launch, target, **kw):
    v = catalog.get(missile)
    return v, solve(v, *sites.resolve("launch", launch), *sites.resolve("target", target), **kw)


def test_minimum_energy_ellipse_between_two_points_is_bmw_at_equal_radii():
    # BMW eqs. 6.2-15/16 at equal radii; with unequal radii the ellipse's speed is the least of all the arcs
    # through the two points (kepler.burnout_speed_for_range has none slower at a lower flight-path angle)
    r = 6_600e3
    for psi_deg in (20.0, 60.0, 100.0, 150.0):
        psi = np.radians(psi_deg)
        r2 = r * np.array([np.cos(psi), np.sin(psi), 0.0])
        v, g, vel = kepler.minimum_energy_between(np.array([r, 0.0, 0.0]), r2)
        v_bmw, g_bmw = kepler.minimum_energy(psi, r)
        assert v == pytest.approx(v_bmw, rel=1e-12)
        assert g == pytest.approx(g_bmw, abs=1e-12)
        assert np.linalg.norm(vel) == pytest.approx(v, rel=1e-12)
        gam = np.radians(np.linspace(1.0, 80.0, 400))
        assert np.nanmin(kepler.burnout_speed_for_range(psi, gam, r)) >= v * (1 - 1e-6)


@pytest.mark.parametrize(("missile", "launch", "target"), SHOTS)
def test_minimum_energy_shot_flies_the_minimum_energy_ellipse(missile, launch, target):
    """The flown burnout against the minimum-energy ellipse through the flown burnout and impact points
    (inertial frame). Before issue 10 Kozelsk->Washington burned out at 17.1 deg where the ellipse needs 27.0
    deg, 157 m/s faster than the ellipse; now within 10 m/s and 2.5 deg. Why not closer: the flight has J2, the
    ellipsoid and reentry drag (beta 15,000 kg/m2), the ellipse a point mass; and the least-energy flight trades
    a flatter burnout for a lower one (less potential energy), which the ellipse through a fixed burnout point
    cannot; 2.5 deg off the ellipse's angle costs under 5 m/s at these ranges (kepler.burnout_speed_for_range)."""
    _, s = _aim(missile, launch, target)
    assert s.miss_m[0] < 100.0
    f = s.flights
    speed, gamma, _ = burnout_inertial(f)
    r_bo = frames.ecef_to_eci(f.r_burnout_ecef, f.t_burnout_s)
    r_imp = frames.ecef_to_eci(f.r_impact_ecef, f.t_impact_s)
    v_ell, g_ell, _ = kepler.minimum_energy_between(r_bo, r_imp)
    assert speed[0] == pytest.approx(v_ell[0], abs=10.0)
    assert np.degrees(gamma[0]) == pytest.approx(np.degrees(g_ell[0]), abs=2.5)


def test_no_apogee_shot_to_the_same_target_burns_out_with_less_energy():
    """Lofted and depressed shots (apogee 200 and 400 km above and below the minimum-energy one) to Washington
    from Kozelsk: none burns out with less specific energy, nor slower once its speed is referred to the
    minimum-energy shot's burnout radius (a lofted shot burns out higher, so its own speed can be a few m/s
    lower at more energy: the definition is the energy). Tolerance 5 kJ/kg (0.8 m/s): the minimum-energy
    kick is read from a table, within 3.5 kJ/kg of the least energy (next test)."""
    v, me = _aim("icbm-solid-russia", "kozelsk", "washington")
    _, _, e_me = burnout_inertial(me.flights)
    speed_me, _, _ = burnout_inertial(me.flights)
    r_me = np.linalg.norm(me.flights.r_burnout_ecef[0])
    apogee = me.flights.apogee_m[0]
    offsets = np.array([-400e3, -200e3, 200e3, 400e3])
    for d_apo in offsets:
        _, s = _aim("icbm-solid-russia", "kozelsk", "washington",
                    profile="lofted" if d_apo > 0 else "depressed", apogee_m=apogee + d_apo)
        assert s.miss_m[0] < 100.0 and s.flights.apogee_m[0] == pytest.approx(apogee + d_apo, abs=200.0)
        _, _, e = burnout_inertial(s.flights)
        assert e[0] > e_me[0] - 5000.0, d_apo
        assert np.sqrt(2.0 * (e[0] + GM_EARTH_M3_S2 / r_me)) > speed_me[0] - 0.8
    # and the full-burn lofted and depressed extremes
    for profile in ("lofted", "depressed"):
        _, s = _aim("icbm-solid-russia", "kozelsk", "washington", profile=profile)
        assert burnout_inertial(s.flights)[2][0] > e_me[0]
        assert (s.flights.apogee_m[0] > apogee) == (profile == "lofted")



def test_minimum_energy_shot_is_the_least_energy_of_a_brute_search():
    """A brute search on the turning Earth at the solved azimuth: kicks every 0.5 deg over +-4 deg, cut-offs
    every 0.05 s over +-3 s, the energy interpolated at the target's range for each kick. The solver's shot
    lies within 5 kJ/kg (0.8 m/s) of the least (measured 1.4-3.4 kJ/kg on three Russia->U.S. shots)."""
    from bmdsim.core import geodesy
    from bmdsim.flight.fly import fly

    v, s = _aim("icbm-solid-russia", "kozelsk", "washington")
    lat, lon = sites.resolve("launch", "kozelsk")
    tlat, tlon = sites.resolve("target", "washington")
    dist, _ = geodesy.inverse(lat, lon, tlat, tlon)
    kicks = s.kick_deg[0] + np.arange(-4.0, 4.01, 0.5)
    cuts = np.linspace(s.cutoff_s[0] - 3.0, min(v.burn_time_s, s.cutoff_s[0] + 3.0), 121)
    kk, cc = np.meshgrid(kicks, cuts, indexing="ij")
    f = fly(v, lat, lon, s.azimuth_deg[0], kk.ravel(), cutoff_s=cc.ravel())
    d = geodesy.inverse(lat, lon, f.impact_latitude_deg, f.impact_longitude_deg)[0].reshape(kk.shape)
    e = burnout_inertial(f)[2].reshape(kk.shape)
    least = np.inf
    for i in range(kicks.size):
        j = int(np.argmax(d[i] >= dist))
        if j > 0:
            w = (dist - d[i, j - 1]) / (d[i, j] - d[i, j - 1])
            least = min(least, e[i, j - 1] + w * (e[i, j] - e[i, j - 1]))
    assert np.isfinite(least)
    assert burnout_inertial(s.flights)[2][0] < least + 5000.0
