"""Closed-form ballistic arcs of the two-body problem on a non-rotating spherical Earth.

Formulas from Bate, Mueller & White, *Fundamentals of Astrodynamics* (1971), chapter 6 ("Ballistic missile
trajectories"), with Q = v^2 r / mu:

- free-flight range angle, burnout and reentry at the same radius (eq. 6.2-7)::

      cos(Psi/2) = (1 - Q cos^2 gamma) / sqrt(1 + Q (Q - 2) cos^2 gamma)

- minimum-energy trajectory for a range angle Psi (eqs. 6.2-15, 6.2-16)::

      gamma = (pi - Psi) / 4,     Q = 2 sin(Psi/2) / (1 + sin(Psi/2))

- minimum-energy ellipse between two points at any radii r1, r2 with chord c (section 6.2 / 5.3): semi-major axis
  ``a_min = (r1 + r2 + c) / 4``, the empty focus on the chord at ``2 a_min - r1`` from the first point, and the
  velocity at the first point along the tangent, which bisects the outer angle between the two focal radii
  (the reflection property of the ellipse); speed from the vis-viva equation ``v^2 = mu (2/r1 - 1/a)``.
- apogee radius a (1 + e) with a = r / (2 - Q), e^2 = 1 + Q (Q - 2) cos^2 gamma, and the time of flight from
  Kepler's equation between the symmetric true anomalies pi -+ Psi/2 (section 6.3).

All functions take arrays and broadcast. Angles in radians, lengths in metres.
"""

from __future__ import annotations

import numpy as np

from bmdsim.core.constants import GM_EARTH_M3_S2

__all__ = ["range_angle", "minimum_energy", "minimum_energy_between", "apogee_radius", "time_of_flight",
           "burnout_speed_for_range"]


def _q(v, r, mu):
    return np.asarray(v, dtype=float) ** 2 * np.asarray(r, dtype=float) / mu


def range_angle(v_mps, gamma_rad, r_m, mu: float = GM_EARTH_M3_S2):
    """Free-flight range angle Psi (rad) from burnout at radius ``r_m`` back to the same radius.

    Valid for elliptic arcs (Q < 2) with gamma in (0, pi/2]; NaN outside.

    >>> round(float(np.degrees(range_angle(7198.0, np.radians(22.52), 6371e3))), 1)
    89.9
    """
    q = _q(v_mps, r_m, mu)
    c2 = np.cos(gamma_rad) ** 2
    with np.errstate(invalid="ignore"):
        cos_half = (1.0 - q * c2) / np.sqrt(1.0 + q * (q - 2.0) * c2)
        psi = 2.0 * np.arccos(np.clip(cos_half, -1.0, 1.0))
    return np.where((q < 2.0) & (np.asarray(gamma_rad) > 0), psi, np.nan)


def minimum_energy(psi_rad, r_m, mu: float = GM_EARTH_M3_S2):
    """Minimum-energy burnout speed (m/s) and flight-path angle (rad) for a free-flight range angle."""
    psi = np.asarray(psi_rad, dtype=float)
    s = np.sin(psi / 2.0)
    q = 2.0 * s / (1.0 + s)
    return np.sqrt(q * mu / np.asarray(r_m, dtype=float)), (np.pi - psi) / 4.0


def minimum_energy_between(r1_m, r2_m, mu: float = GM_EARTH_M3_S2):
    """The minimum-energy ellipse from position ``r1_m`` to ``r2_m`` (inertial vectors ``(..., 3)``, the short way
    round): speed (m/s), flight-path angle above the local horizontal (rad) and velocity ``(..., 3)`` at ``r1``.

    With both points at the same radius this is BMW eqs. 6.2-15/16 (:func:`minimum_energy`).
    """
    p1, p2 = np.asarray(r1_m, dtype=float), np.asarray(r2_m, dtype=float)
    n1, n2 = np.linalg.norm(p1, axis=-1), np.linalg.norm(p2, axis=-1)
    chord = p2 - p1
    c = np.linalg.norm(chord, axis=-1)
    a = (n1 + n2 + c) / 4.0
    focus2 = p1 + ((2.0 * a - n1) / c)[..., None] * chord
    u1 = -p1 / n1[..., None]                                  # towards the Earth's centre (the occupied focus)
    u2 = focus2 - p1
    u2 = u2 / np.linalg.norm(u2, axis=-1, keepdims=True)
    t = u1 - u2                                               # outer bisector: the tangent
    t = t / np.linalg.norm(t, axis=-1, keepdims=True)
    # the sense of motion: angular momentum along r1 x r2 (the short way round)
    sense = np.einsum("...i,...i", np.cross(p1, t), np.cross(p1, p2))
    t = np.where((sense < 0)[..., None], -t, t)
    speed = np.sqrt(mu * (2.0 / n1 - 1.0 / a))
    gamma = np.arcsin(np.clip(np.einsum("...i,...i", t, p1) / n1, -1.0, 1.0))
    return speed, gamma, speed[..., None] * t


def burnout_speed_for_range(psi_rad, gamma_rad, r_m, mu: float = GM_EARTH_M3_S2):
    """Burnout speed (m/s) that gives range angle ``psi_rad`` at flight-path angle ``gamma_rad`` (BMW 6.2-8
    solved for Q); NaN where no elliptic arc exists."""
    psi, g = np.asarray(psi_rad, dtype=float), np.asarray(gamma_rad, dtype=float)
    c = np.cos(g)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = (1.0 - np.cos(psi)) / (c * c - c * np.cos(g + psi))  # from tan(gamma) relation, BMW 6.2-8
        v = np.sqrt(q * mu / np.asarray(r_m, dtype=float))
    return np.where((q > 0) & (q < 2), v, np.nan)


def _elements(v, gamma, r, mu):
    q = _q(v, r, mu)
    a = np.asarray(r, dtype=float) / (2.0 - q)
    e = np.sqrt(np.maximum(1.0 + q * (q - 2.0) * np.cos(gamma) ** 2, 0.0))
    return q, a, e


def apogee_radius(v_mps, gamma_rad, r_m, mu: float = GM_EARTH_M3_S2):
    """Apogee radius (m) of the ballistic ellipse."""
    _, a, e = _elements(v_mps, gamma_rad, r_m, mu)
    return a * (1.0 + e)


def time_of_flight(v_mps, gamma_rad, r_m, mu: float = GM_EARTH_M3_S2):
    """Free-flight time (s) from burnout at radius ``r_m`` to reentry at the same radius."""
    q, a, e = _elements(v_mps, gamma_rad, r_m, mu)
    psi = range_angle(v_mps, gamma_rad, r_m, mu)
    nu1 = np.pi - psi / 2.0
    ecc_anom = 2.0 * np.arctan2(np.sqrt(1.0 - e) * np.sin(nu1 / 2.0), np.sqrt(1.0 + e) * np.cos(nu1 / 2.0))
    half = np.sqrt(a**3 / mu) * (np.pi - ecc_anom + e * np.sin(ecc_anom))
    return 2.0 * half
