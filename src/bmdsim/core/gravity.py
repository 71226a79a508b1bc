"""Gravity: point mass plus the J2 zonal term, in any Earth-centred frame whose z axis is the spin axis.

The J2 acceleration is the gradient of U = -(mu/r) J2 (R/r)^2 P2(z/r) (Vallado, *Fundamentals of
Astrodynamics*, 4th ed., eq. 8-31 and the Cartesian form that follows).
"""

from __future__ import annotations

import numpy as np

from bmdsim.core.constants import GM_EARTH_M3_S2, J2_EARTH, WGS84_A_M

__all__ = ["acceleration", "nodal_precession_rate"]


def acceleration(r, *, j2: bool = True, mu: float = GM_EARTH_M3_S2):
    """Gravitational acceleration (m/s2) at positions ``r`` (m), ``(..., 3)``."""
    r = np.asarray(r, dtype=float)
    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    a = -mu * r / rn**3
    if j2:
        z2 = (r[..., 2:3] / rn) ** 2
        k = -1.5 * J2_EARTH * mu * WGS84_A_M**2 / rn**5
        a = a + k * r * np.concatenate([1 - 5 * z2, 1 - 5 * z2, 3 - 5 * z2], axis=-1)
    return a


def nodal_precession_rate(a_m, e, inc_rad, *, mu: float = GM_EARTH_M3_S2):
    """Secular rate of the right ascension of the ascending node (rad/s) due to J2.

    Omega_dot = -3/2 n J2 (R/p)^2 cos i (Vallado eq. 9-41). A sun-synchronous orbit gives +0.9856 deg/day.
    """
    n = np.sqrt(mu / a_m**3)
    p = a_m * (1 - e**2)
    return -1.5 * n * J2_EARTH * (WGS84_A_M / p) ** 2 * np.cos(inc_rad)
