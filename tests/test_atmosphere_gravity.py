"""US Standard Atmosphere 1976 against the standard's own tables; gravity and J2."""

import numpy as np
import pytest

from bmdsim.core import atmosphere, gravity
from bmdsim.core.constants import GM_EARTH_M3_S2, WGS84_A_M

# U.S. Standard Atmosphere 1976 (NOAA-S/T 76-1562), Part 4 tables: geometric altitude (m) -> density (kg/m3)
US76 = [(0, 1.2250), (5000, 7.3643e-1), (11000, 3.6480e-1), (20000, 8.8910e-2), (32000, 1.3555e-2),
        (50000, 1.0269e-3), (70000, 8.2829e-5), (80000, 1.8458e-5), (86000, 6.958e-6),
        (100000, 5.604e-7), (150000, 2.076e-9), (400000, 2.803e-12), (1000000, 3.561e-15)]


@pytest.mark.parametrize("alt,rho", US76)
def test_density_against_the_standard(alt, rho):
    # 0.1 % (ambiance is exact below 81 km; above 86 km these are interpolation nodes)
    assert atmosphere.density_kg_m3(alt)[0] == pytest.approx(rho, rel=0.001)


def test_continuous_at_86_km_and_temperature_equations():
    # the 81-86 km layer formula meets the tabulated 86 km value: 0.2 % over the last 10 m (the slope)
    below, at = atmosphere.density_kg_m3([85_990.0, 86_000.0])
    assert below / at - 1 == pytest.approx(0.0, abs=0.002)
    # US76 Part 4 kinetic temperatures (K) against the standard's equations above 86 km
    for alt, t in [(95_000, 188.42), (140_000, 559.63), (180_000, 790.07), (500_000, 999.24)]:
        assert atmosphere.temperature_k(alt)[0] == pytest.approx(t, abs=0.01)


def test_engine_table_interpolation_error():
    alt, logrho, _, _ = atmosphere.table()
    mid = 0.5 * (alt[:-1] + alt[1:])
    exact = atmosphere.density_kg_m3(mid)
    interp = np.exp(0.5 * (logrho[:-1] + logrho[1:]))
    assert np.max(np.abs(interp / exact - 1)) < 1e-3


def test_atmosphere_rejects_out_of_range():
    with pytest.raises(ValueError, match="1,000,000"):
        atmosphere.density_kg_m3(2e6)


def test_gravity_point_mass_and_j2():
    r = np.array([WGS84_A_M, 0, 0])
    g0 = gravity.acceleration(r, j2=False)
    assert g0[0] == pytest.approx(-GM_EARTH_M3_S2 / WGS84_A_M**2)
    # J2 strengthens gravity at the equator by 3/2 J2 (a/r)^2: 0.16 % (Vallado eq. 8-31 at z = 0)
    g = gravity.acceleration(r)
    assert g[0] / g0[0] - 1 == pytest.approx(1.5 * 1.08262998905e-3, rel=1e-9)


def test_sun_synchronous_precession_rate():
    # A sun-synchronous orbit at 800 km needs i = 98.6 deg (Vallado, example 9-? / Wertz SMAD table): the
    # node then turns 0.9856 deg/day eastward.
    a = WGS84_A_M + 800e3
    rate = gravity.nodal_precession_rate(a, 0.0, np.radians(98.6))
    assert np.degrees(rate) * 86400 == pytest.approx(0.9856, abs=0.01)
