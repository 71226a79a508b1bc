"""Radar physics on float arrays: the radar equation (pulse, track/energy and search/power-aperture forms),
probability of detection for Swerling 0 and 1 targets, radar horizon and measurement accuracy.

Everything broadcasts; SNR is a linear power ratio unless the name ends ``_db``. No I/O.

Sources (also in ``docs/sources.md``):

- Radar equation: M. I. Skolnik, *Introduction to Radar Systems*, 3rd ed. (2001), eqs. 2.1-2.11 (pulse form),
  eq. 2.61 (search form), section 2.13; M. A. Richards, *Fundamentals of Radar Signal Processing* (2005),
  eq. 2.17 and section 2.3 (energy form, ``SNR = E G A_e sigma / ((4 pi)^2 R^4 k T_s L)``).
- Detection: exact Swerling 0 (Marcum) and Swerling 1 probabilities for square-law noncoherent integration of
  ``N`` samples, Richards (2005) sections 6.2-6.3 and D. A. Shnidman, "Determination of required SNR values",
  IEEE Trans. AES 38(3), 2002; Albersheim's equation (W. J. Albersheim, Proc. IEEE 69(7), 1981, as given by
  Richards eq. 6.23 and Tufts & Cann 1983 for its inverse): stated error below 0.2 dB for
  ``0.1 <= Pd <= 0.9``, ``1e-7 <= Pfa <= 1e-3``, ``1 <= N <= 8096`` (nonfluctuating target).
- Horizon: exact geometry on a sphere of (effective) radius ``k R``; the 4/3-Earth model (``k = 4/3``):
  Skolnik (2001) section 8.2; Doerry, "Earth curvature and atmospheric refraction effects on radar signal
  propagation", Sandia SAND2012-10690 (2013).
- Accuracy: Skolnik (2001) section 6.3 (range ``c / (2 B sqrt(2 E/N0))``, velocity ``lambda / (2 t sqrt(2 E/N0))``)
  and section 4.2 / Barton, *Radar System Analysis and Modeling* (2005) section 8.1 (monopulse angle
  ``theta_3dB / (k_m sqrt(2 E/N0))``, ``k_m ~ 1.6``).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = [
    "BOLTZMANN_J_K",
    "C_MPS",
    "db",
    "from_db",
    "wavelength_m",
    "gain_from_aperture",
    "snr_pulse",
    "snr_track",
    "snr_search",
    "range_at_snr",
    "pd_swerling",
    "snr_required_db",
    "snr_albersheim_db",
    "pd_albersheim",
    "snr_shnidman_db",
    "elevation_at_range",
    "horizon_central_angle",
    "horizon_ground_range_sphere",
    "refraction_elevation_correction",
    "segment_clears_ellipsoid",
    "scan_loss",
    "sigma_range_m",
    "sigma_angle_rad",
    "sigma_range_rate_mps",
]

BOLTZMANN_J_K = 1.380649e-23     #: Boltzmann constant (exact, SI 2019)
C_MPS = 299_792_458.0            #: speed of light in vacuum (exact)
_FOUR_PI = 4.0 * np.pi


def db(x):
    """Linear power ratio to decibels.

    >>> float(db(100.0))
    20.0
    """
    return 10.0 * np.log10(np.asarray(x, dtype=float))


def from_db(x_db):
    """Decibels to a linear power ratio.

    >>> float(from_db(3.0))  # doctest: +ELLIPSIS
    1.995...
    """
    return 10.0 ** (np.asarray(x_db, dtype=float) / 10.0)


def wavelength_m(frequency_hz):
    """Free-space wavelength (m) of a carrier frequency (Hz)."""
    return C_MPS / np.asarray(frequency_hz, dtype=float)


def gain_from_aperture(aperture_m2, wavelength):
    """Antenna gain (linear) of an effective aperture: ``G = 4 pi A_e / lambda^2`` (Skolnik eq. 2.7)."""
    return _FOUR_PI * np.asarray(aperture_m2, dtype=float) / np.asarray(wavelength, dtype=float) ** 2


def snr_pulse(peak_power_w, gain_tx, gain_rx, wavelength, rcs_m2, range_m, *, noise_temperature_k,
              bandwidth_hz, loss_db=0.0):
    """Single-pulse SNR: ``Pt Gt Gr lambda^2 sigma / ((4 pi)^3 k Ts B L R^4)`` (Skolnik eq. 2.11).

    Gains are linear. A matched filter has ``B = 1 / tau``; with ``n`` coherently integrated pulses multiply by
    ``n`` (or use :func:`snr_track` with the dwell energy).
    """
    num = (np.asarray(peak_power_w, float) * gain_tx * gain_rx * np.asarray(wavelength, float) ** 2
           * np.asarray(rcs_m2, float))
    den = _FOUR_PI ** 3 * BOLTZMANN_J_K * np.asarray(noise_temperature_k, float) * np.asarray(bandwidth_hz, float)
    return num / (den * from_db(loss_db) * np.asarray(range_m, float) ** 4)


def snr_track(energy_j, gain_tx, aperture_rx_m2, rcs_m2, range_m, *, noise_temperature_k, loss_db=0.0):
    """SNR of one coherent dwell of energy ``E`` (J) on the target: ``E Gt Ae sigma / ((4 pi)^2 R^4 k Ts L)``.

    The energy (track) form of the radar equation (Richards eq. 2.17 with ``Gr = 4 pi Ae / lambda^2``):
    ``E = P_avg t_dwell`` for a radar that puts its average power on one target for ``t_dwell``.

    >>> round(float(db(snr_track(1.0, 1.0, 1.0, 1.0, 1.0, noise_temperature_k=290.0))), 2)
    181.99
    """
    num = np.asarray(energy_j, float) * gain_tx * np.asarray(aperture_rx_m2, float) * np.asarray(rcs_m2, float)
    den = _FOUR_PI ** 2 * BOLTZMANN_J_K * np.asarray(noise_temperature_k, float)
    return num / (den * from_db(loss_db) * np.asarray(range_m, float) ** 4)


def snr_search(average_power_w, aperture_m2, frame_time_s, solid_angle_sr, rcs_m2, range_m, *,
               noise_temperature_k, loss_db=0.0):
    """Search (power-aperture) form: ``P_av A_e t_s sigma / (4 pi Omega R^4 k Ts L)`` (Skolnik eq. 2.61).

    The SNR of one look when a solid angle ``Omega`` (sr) is scanned uniformly every ``t_s`` seconds with the
    average power ``P_av``: each beam position gets the energy ``P_av t_s Omega_beam / Omega`` and the gain
    ``4 pi / Omega_beam``, so this is :func:`snr_track` with that energy and gain.
    """
    num = (np.asarray(average_power_w, float) * np.asarray(aperture_m2, float) * np.asarray(frame_time_s, float)
           * np.asarray(rcs_m2, float))
    den = _FOUR_PI * np.asarray(solid_angle_sr, float) * BOLTZMANN_J_K * np.asarray(noise_temperature_k, float)
    return num / (den * from_db(loss_db) * np.asarray(range_m, float) ** 4)


def range_at_snr(snr_at_1m, snr_required):
    """Range (m) where an SNR that falls as ``R^-4`` (``snr_at_1m`` at 1 m) equals ``snr_required`` (linear).

    >>> float(range_at_snr(1e24, 1e0))
    1000000.0
    """
    return (np.asarray(snr_at_1m, float) / np.asarray(snr_required, float)) ** 0.25


# ------------------------------------------------------------------------------------------------ detection
def _threshold(pfa, n):
    """Normalised square-law threshold for ``n`` integrated samples: ``Pfa = Q(n, T)`` (Richards eq. 6.13)."""
    return special.gammainccinv(n, pfa)


def pd_swerling(snr, pfa, n=1, swerling=0):
    """Probability of detection (exact) for ``n`` noncoherently integrated samples of per-sample SNR ``snr``.

    Square-law detector, threshold set for ``pfa``. ``swerling=0``: nonfluctuating target,
    ``Pd = Q_n(sqrt(2 n snr), sqrt(2 T))`` (generalised Marcum Q, from the noncentral chi-square law).
    ``swerling=1``: the cross-section is exponentially distributed and constant over the ``n`` samples,
    ``Pd = 1 - P(n-1, T) + (1 + 1/(n snr))^(n-1) P(n-1, T/(1 + 1/(n snr))) exp(-T/(1 + n snr))``
    (Richards eq. 6.37; for ``n = 1`` it is ``Pfa^(1/(1+snr))``).

    >>> round(float(pd_swerling(from_db(13.18), 1e-6)), 3)
    0.9
    >>> round(float(pd_swerling(from_db(21.14), 1e-6, swerling=1)), 3)
    0.9
    """
    snr, pfa, n = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (snr, pfa, n)))
    swerling = int(swerling)
    t = _threshold(pfa, n)
    if swerling == 0:
        return stats.ncx2.sf(2.0 * t, 2.0 * n, 2.0 * n * np.maximum(snr, 0.0))
    if swerling == 1:
        ns = np.maximum(n * snr, 1e-300)
        with np.errstate(over="ignore", invalid="ignore"):
            a = np.maximum(n - 1.0, 1e-300)  # P(0, x) = 1 by convention; gammainc(a -> 0) -> 1
            p_noise = np.where(n > 1, special.gammainc(a, t), 1.0)
            p_sig = np.where(n > 1, special.gammainc(a, t / (1.0 + 1.0 / ns)), 1.0)
            out = 1.0 - p_noise + (1.0 + 1.0 / ns) ** (n - 1.0) * p_sig * np.exp(-t / (1.0 + ns))
        return np.clip(out, 0.0, 1.0)
    raise ValueError(f"swerling = {swerling}: only cases 0 and 1 are modelled")


def snr_required_db(pd, pfa, n=1, swerling=0):
    """Per-sample SNR (dB) needed for ``pd`` at ``pfa`` with ``n`` samples: the exact inverse of
    :func:`pd_swerling` (bisection to 1e-6 dB).

    >>> round(float(snr_required_db(0.9, 1e-6)), 2)
    13.18
    """
    pd, pfa, n = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (pd, pfa, n)))
    lo = np.full(pd.shape, -40.0)
    hi = np.full(pd.shape, 80.0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        ok = pd_swerling(from_db(mid), pfa, n, swerling) >= pd
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    return 0.5 * (lo + hi)


def snr_albersheim_db(pd, pfa, n=1):
    """Albersheim's estimate of the per-sample SNR (dB) for a nonfluctuating target (Richards eq. 6.23).

    ``A = ln(0.62/Pfa)``, ``B = ln(Pd/(1-Pd))``,
    ``SNR_dB = -5 log10 N + (6.2 + 4.54/sqrt(N + 0.44)) log10(A + 0.12 A B + 1.7 B)``.

    >>> round(float(snr_albersheim_db(0.9, 1e-6)), 2)
    13.11
    """
    pd, pfa, n = (np.asarray(v, dtype=float) for v in (pd, pfa, n))
    a = np.log(0.62 / pfa)
    b = np.log(pd / (1.0 - pd))
    return -5.0 * np.log10(n) + (6.2 + 4.54 / np.sqrt(n + 0.44)) * np.log10(a + 0.12 * a * b + 1.7 * b)


def pd_albersheim(snr_db, pfa, n=1):
    """Inverse of Albersheim's equation: ``Pd`` from the per-sample SNR (dB) (Tufts & Cann 1983;
    Richards eq. 6.24)."""
    snr_db, pfa, n = (np.asarray(v, dtype=float) for v in (snr_db, pfa, n))
    a = np.log(0.62 / pfa)
    z = (snr_db + 5.0 * np.log10(n)) / (6.2 + 4.54 / np.sqrt(n + 0.44))
    b = (10.0 ** z - a) / (1.7 + 0.12 * a)
    return 1.0 / (1.0 + np.exp(-b))


def snr_shnidman_db(pd, pfa, n=1, swerling=0):
    """Shnidman's estimate of the per-sample SNR (dB) for Swerling 0-4 targets (Shnidman 2002; Richards
    eqs. 6.26-6.29). Stated error about 0.5 dB for ``0.1 <= Pd <= 0.99``, ``1e-9 <= Pfa <= 1e-3``,
    ``1 <= N <= 100``.

    >>> round(float(snr_shnidman_db(0.9, 1e-6, swerling=1)), 1)
    21.3
    """
    pd, pfa, n = (np.asarray(v, dtype=float) for v in (pd, pfa, n))
    k = {0: np.inf, 1: 1.0, 2: n, 3: 2.0, 4: 2.0 * n}[int(swerling)]
    alpha = np.where(n < 40, 0.0, 0.25)
    eta = (np.sqrt(-0.8 * np.log(4.0 * pfa * (1.0 - pfa)))
           + np.sign(pd - 0.5) * np.sqrt(-0.8 * np.log(4.0 * pd * (1.0 - pd))))
    x_inf = eta * (eta + 2.0 * np.sqrt(n / 2.0 + (alpha - 0.25)))
    c1 = (((17.7006 * pd - 18.4496) * pd + 14.5339) * pd - 3.525) / k
    c2 = (np.exp(27.31 * pd - 25.14) + (pd - 0.8) * (0.7 * np.log(1e-5 / pfa) + (2.0 * n - 20.0) / 80.0)) / k
    c_db = np.where(pd <= 0.872, c1, c1 + c2)
    return db(from_db(c_db) * x_inf / n)


# -------------------------------------------------------------------------------------------------- horizon
def elevation_at_range(central_angle_rad, h_radar_m, h_target_m, radius_m):
    """Elevation (rad) of a target seen from a radar on a sphere of radius ``radius_m`` (exact geometry).

    Central angle ``theta`` between them, heights above the sphere: ``tan e = (cos theta - r_r/r_t) / sin theta``.
    """
    th = np.asarray(central_angle_rad, float)
    rr = radius_m + np.asarray(h_radar_m, float)
    rt = radius_m + np.asarray(h_target_m, float)
    return np.arctan2(rt * np.cos(th) - rr, rt * np.sin(th))


def horizon_central_angle(h_radar_m, h_target_m, *, radius_m, min_elevation_rad=None, k=1.0):
    """Largest Earth central angle (rad) at which a target at ``h_target_m`` is in line of sight above
    ``min_elevation_rad`` from a radar at ``h_radar_m``, on a sphere of effective radius ``k * radius_m``.

    ``min_elevation_rad=None`` is the pure line-of-sight (grazing ray) horizon,
    ``acos(a/r_r) + acos(a/r_t)``; otherwise ``acos(r_r cos e / r_t) - e`` (from the law of sines), with
    ``e`` no lower than the grazing angle.

    >>> round(float(horizon_central_angle(0.0, 100e3, radius_m=6371e3) * 6371.0), 1)  # km
    1121.5
    """
    a = k * radius_m
    rr = a + np.asarray(h_radar_m, float)
    rt = a + np.asarray(h_target_m, float)
    dip = np.arccos(np.clip(a / rr, -1.0, 1.0))
    e = -dip if min_elevation_rad is None else np.maximum(np.asarray(min_elevation_rad, float), -dip)
    return np.arccos(np.clip(rr * np.cos(e) / rt, -1.0, 1.0)) - e


def horizon_ground_range_sphere(h_radar_m, h_target_m, *, radius_m, min_elevation_rad=None, k=1.0):
    """Ground range (m) along the surface to the horizon of :func:`horizon_central_angle`.

    In the effective-Earth model heights and ground ranges are kept, so the ground range is
    ``k R theta_eff``. With ``k = 1`` and a radar on the ground this is ``R acos(R/(R+h))``.
    """
    return k * radius_m * horizon_central_angle(h_radar_m, h_target_m, radius_m=radius_m,
                                                min_elevation_rad=min_elevation_rad, k=k)


def refraction_elevation_correction(slant_range_m, *, radius_m, k=4.0 / 3.0):
    """Apparent minus geometric elevation (rad) for a ray of constant curvature ``(1 - 1/k) / R``.

    This is the ray model behind the effective-Earth-radius (``k R``) picture: the chord to a target at slant
    range ``D`` makes the angle ``D (1 - 1/k) / (2 R)`` with the ray's initial direction. Valid in the
    troposphere; it overstates bending for rays that leave the atmosphere (hundreds of km), where the total
    bending is bounded by about 0.7 deg (Doerry 2013).
    """
    return np.asarray(slant_range_m, float) * (1.0 - 1.0 / k) / (2.0 * radius_m)


def segment_clears_ellipsoid(r1_ecef, r2_ecef, *, a_m=6378137.0, b_m=6356752.314245179):
    """True where the straight segment between two ECEF points stays outside the ellipsoid ``(a, a, b)``.

    Exact: scaling z by ``a/b`` turns the ellipsoid into a sphere of radius ``a``, and straight lines into
    straight lines; then test the closest approach of the segment to the centre.
    """
    s = np.array([1.0, 1.0, a_m / b_m])
    p = np.asarray(r1_ecef, float) * s
    q = np.asarray(r2_ecef, float) * s
    d = q - p
    dd = np.einsum("...i,...i", d, d)
    u = np.clip(-np.einsum("...i,...i", p, d) / np.where(dd > 0, dd, 1.0), 0.0, 1.0)
    closest = p + u[..., None] * d
    return np.linalg.norm(closest, axis=-1) >= a_m * (1.0 - 1e-12)


# ------------------------------------------------------------------------------------------------- accuracy
def scan_loss(off_boresight_rad, exponent):
    """Two-way gain factor of an electronically scanned array off boresight: ``cos(theta)^exponent``
    (projected aperture; ``exponent = 2`` two-way, larger with element-pattern losses; Skolnik section 9.5).
    Zero beyond 90 deg; ``exponent = 0`` (a mechanically pointed antenna) gives 1 everywhere.

    >>> scan_loss(np.radians([0.0, 60.0, 120.0]), 2.0).round(3).tolist(), scan_loss(np.radians(120.0), 0.0).item()
    ([1.0, 0.25, 0.0], 1.0)
    """
    c = np.cos(np.asarray(off_boresight_rad, float))
    if exponent == 0:
        return np.ones_like(c)
    return np.where(c > 0, np.abs(c) ** exponent, 0.0)


def sigma_range_m(bandwidth_hz, snr):
    """Thermal-noise range error (m): ``c / (2 B sqrt(2 SNR))`` (Skolnik eq. 6.12)."""
    return C_MPS / (2.0 * np.asarray(bandwidth_hz, float) * np.sqrt(2.0 * np.asarray(snr, float)))


def sigma_angle_rad(beamwidth_rad, snr, k_m=1.6):
    """Thermal-noise monopulse angle error (rad): ``theta_3dB / (k_m sqrt(2 SNR))`` (Barton 2005, sec. 8.1)."""
    return np.asarray(beamwidth_rad, float) / (k_m * np.sqrt(2.0 * np.asarray(snr, float)))


def sigma_range_rate_mps(wavelength, dwell_s, snr):
    """Thermal-noise radial-velocity error (m/s): ``lambda / (2 t_dwell sqrt(2 SNR))`` (Skolnik eq. 6.16)."""
    return np.asarray(wavelength, float) / (2.0 * np.asarray(dwell_s, float)
                                            * np.sqrt(2.0 * np.asarray(snr, float)))
