"""Gravity: point mass plus the J2 zonal term, in any Earth-centred frame whose z axis is the spin axis.

The J2 acceleration is the gradient of U = -(mu/r) J2 (R/r)^2 P2(z/r) (Vallado, *Fundamentals of
Astrodynamics*, 4th ed., eq. 8-31 and the Cartesian form that follows).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from bmdsim.core.constants import GM_EARTH_M3_S2, J2_EARTH, WGS84_A_M

__all__ = ["acceleration", "acceleration_compiled", "acceleration_xyz", "gradient", "gradient_into",
           "nodal_precession_rate"]


@nb.njit(cache=True, error_model="numpy", inline="always")
def acceleration_xyz(x, y, z, j2, mu):
    """The acceleration ``(ax, ay, az)`` at one point, for compiled callers (the formula of :func:`acceleration`)."""
    rn2 = x * x + y * y + z * z
    rn = np.sqrt(rn2)
    f = -mu / (rn2 * rn)
    fz = f
    if j2:
        k = -1.5 * J2_EARTH * mu * WGS84_A_M**2 / (rn2 * rn2 * rn)
        f = f + k * (1.0 - 5.0 * z * z / rn2)
        fz = f + 2.0 * k
    return f * x, f * y, fz * z


@nb.njit(cache=True, error_model="numpy")
def _acceleration(r, j2, mu):
    out = np.empty_like(r)
    for i in range(r.shape[0]):
        out[i, 0], out[i, 1], out[i, 2] = acceleration_xyz(r[i, 0], r[i, 1], r[i, 2], j2, mu)
    return out


def acceleration(r, *, j2: bool = True, mu: float = GM_EARTH_M3_S2):
    """Gravitational acceleration (m/s2) at positions ``r`` (m), ``(..., 3)``: the reference form in numpy (the
    oracle's right-hand side uses it; :func:`acceleration_compiled` is the same formula compiled)."""
    r = np.asarray(r, dtype=float)
    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    a = -mu * r / rn**3
    if j2:
        z2 = (r[..., 2:3] / rn) ** 2
        k = -1.5 * J2_EARTH * mu * WGS84_A_M**2 / rn**5
        a = a + k * r * np.concatenate([1 - 5 * z2, 1 - 5 * z2, 3 - 5 * z2], axis=-1)
    return a


def acceleration_compiled(r, *, j2: bool = True, mu: float = GM_EARTH_M3_S2):
    """:func:`acceleration` compiled, for callers that evaluate it on a few rows at a time (the filters'
    propagation, about 10^5 calls a run, where numpy's per-call cost dominated: 5-8x faster on one row).

    ``a = -mu r / r3 + k r c`` with ``k = -3/2 J2 mu R2 / r5``, ``c = (1 - 5 s, 1 - 5 s, 3 - 5 s)``,
    ``s = z2 / r2``; equal to :func:`acceleration` to rounding (tested).
    """
    r = np.asarray(r, dtype=float)
    flat = np.ascontiguousarray(r.reshape(-1, 3))
    return _acceleration(flat, bool(j2), float(mu)).reshape(r.shape)


@nb.njit(cache=True, error_model="numpy", inline="always")
def gradient_into(p, j2, mu, out):
    """The gradient ``(3, 3)`` at one point ``p`` ``(3,)`` written into ``out``, for compiled callers."""
    c0 = -1.5 * J2_EARTH * mu * WGS84_A_M**2
    rn2 = p[0] * p[0] + p[1] * p[1] + p[2] * p[2]
    rn = np.sqrt(rn2)
    g0 = mu / (rn2 * rn)
    z = p[2]
    s = z * z / rn2
    k = c0 / (rn2 * rn2 * rn)
    for i in range(3):
        ci = (3.0 if i == 2 else 1.0) - 5.0 * s
        for j in range(3):
            d = 1.0 if i == j else 0.0
            g = g0 * (3.0 * p[i] * p[j] / rn2 - d)
            if j2:
                ds = (2.0 * z / rn2 if j == 2 else 0.0) - 2.0 * z * z * p[j] / (rn2 * rn2)
                dk = -5.0 * k * p[j] / rn2
                g += dk * p[i] * ci + k * d * ci - 5.0 * k * p[i] * ds
            out[i, j] = g


@nb.njit(cache=True, error_model="numpy")
def _gradient(r, j2, mu):
    out = np.zeros((r.shape[0], 3, 3))
    for m in range(r.shape[0]):
        gradient_into(r[m], j2, mu, out[m])
    return out


def gradient(r, *, j2: bool = True, mu: float = GM_EARTH_M3_S2):
    """Jacobian ``d a / d r`` (1/s2) of :func:`acceleration`, ``(..., 3, 3)``.

    Point mass: ``mu / r3 (3 r_hat r_hat^T - I)``. J2: the derivative of ``a = k(r) r * c(s)`` with
    ``k = -3/2 J2 mu R2 / r5``, ``s = z2 / r2``, ``c = (1 - 5 s, 1 - 5 s, 3 - 5 s)``. Compiled, as
    :func:`acceleration_compiled` (the filters' state-transition matrices call it on one row at a time); checked
    against central differences of :func:`acceleration`.
    """
    r = np.asarray(r, dtype=float)
    flat = np.ascontiguousarray(r.reshape(-1, 3))
    return _gradient(flat, bool(j2), float(mu)).reshape(r.shape + (3,))


def nodal_precession_rate(a_m, e, inc_rad, *, mu: float = GM_EARTH_M3_S2):
    """Secular rate of the right ascension of the ascending node (rad/s) due to J2.

    Omega_dot = -3/2 n J2 (R/p)^2 cos i (Vallado eq. 9-41). A sun-synchronous orbit gives +0.9856 deg/day.
    """
    n = np.sqrt(mu / a_m**3)
    p = a_m * (1 - e**2)
    return -1.5 * n * J2_EARTH * (WGS84_A_M / p) ** 2 * np.cos(inc_rad)
