"""Radars on the WGS84 Earth: a site, faces with fields of regard, the radar equation in search and track form,
and what a radar sees of a target at given ECEF positions.

A :class:`Radar` is a frozen record (SI inside; the catalog in ``bmdsim/data/catalogs/radars.yaml`` speaks
degrees and km and is read by :mod:`bmdsim.sensing.catalog`). Its methods are vectorised over positions
``(..., 3)``.

Search against track (Skolnik 2001, sections 2.13 and 14.2): a radar that searches spreads part of its average
power over the fence solid angle ``Omega = beams x 4 pi / G_t`` every frame, and a smaller part over the rest of
its sector (volume search) (:func:`bmdsim.core.radar.snr_search`); a radar tracking a cued or confirmed target
puts ``P_av t_dwell`` on it (:func:`bmdsim.core.radar.snr_track`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bmdsim.core import frames
from bmdsim.core import radar as rq
from bmdsim.core.constants import WGS84_A_M, WGS84_E2

__all__ = ["Face", "Radar", "Geometry", "REFRACTION_MODELS", "local_radius_m"]

REFRACTION_MODELS = ("none", "4/3")


def local_radius_m(lat_rad):
    """Gaussian mean radius of curvature ``sqrt(M N)`` of the WGS84 ellipsoid at a geodetic latitude (m)."""
    s2 = np.sin(np.asarray(lat_rad, float)) ** 2
    w2 = 1.0 - WGS84_E2 * s2
    return WGS84_A_M * np.sqrt(1.0 - WGS84_E2) / w2


@lru_cache(maxsize=256)
def _snr_required(pd: float, pfa: float, n: float, swerling: int) -> float:
    # the bisection costs 60 Swerling evaluations (about 5 ms); coverage and detection ask for it once per
    # geometry call, thousands of times a run, always with the radar's few design values
    return float(rq.from_db(rq.snr_required_db(pd, pfa, n, swerling)))

@dataclass(frozen=True, slots=True, kw_only=True)
class Face:
    """One array face (or the steerable mount of a mechanically slewed radar).

    ``azimuth_rad``/``tilt_rad``: boresight azimuth (clockwise from north) and elevation; the face covers
    azimuths within ``azimuth_half_width_rad`` of its boresight and elevations up to ``max_elevation_rad``.
    """

    azimuth_rad: float
    tilt_rad: float
    azimuth_half_width_rad: float
    max_elevation_rad: float

    def boresight_enu(self) -> np.ndarray:
        ce = np.cos(self.tilt_rad)
        return np.array([np.sin(self.azimuth_rad) * ce, np.cos(self.azimuth_rad) * ce, np.sin(self.tilt_rad)])


@dataclass(frozen=True, slots=True, kw_only=True)
class Geometry:
    """What a radar sees of points ``(...)``: angles (rad), range (m), range rate (m/s), field-of-regard and
    line-of-sight masks, and the off-boresight angle of the best face (rad; NaN outside every face)."""

    azimuth_rad: np.ndarray
    elevation_rad: np.ndarray          #: apparent elevation (refraction applied when asked)
    range_m: np.ndarray
    range_rate_mps: np.ndarray
    in_field_of_regard: np.ndarray
    line_of_sight: np.ndarray
    off_boresight_rad: np.ndarray
    in_range: np.ndarray

    @property
    def visible(self) -> np.ndarray:
        """Above the horizon and the minimum elevation, inside a face, within instrumented range."""
        return self.in_field_of_regard & self.line_of_sight & self.in_range


@dataclass(frozen=True, slots=True, kw_only=True)
class Radar:
    """A radar: site, faces, radar-equation parameters, detection and measurement settings. SI units.

    Power: ``peak_power_w`` and ``duty_cycle`` (``P_av = P_peak d``). Antenna: ``aperture_m2`` is the effective
    receive aperture; ``transmit_gain`` the linear transmit gain (``4 pi A / lambda^2`` unless the catalog gives
    a separate transmit aperture). ``pd_design``/``pfa``/``swerling``/``n_pulses`` set the SNR a detection needs
    (:func:`bmdsim.core.radar.snr_required_db`). ``m_of_n`` confirms a track: ``m`` hits in ``n`` looks.
    ``needs_cue``: the radar cannot search; it looks only ``handover_delay_s`` after a cue.
    """

    name: str
    description: str = ""
    latitude_deg: float
    longitude_deg: float
    altitude_m: float
    frequency_hz: float
    peak_power_w: float
    duty_cycle: float
    aperture_m2: float
    transmit_gain: float
    beamwidth_rad: float
    noise_temperature_k: float
    losses_db: float
    bandwidth_hz: float
    min_elevation_rad: float
    max_range_m: float
    faces: tuple[Face, ...]
    scan_loss_exponent: float = 0.0
    track_dwell_s: float
    track_revisit_s: float
    search_frame_s: float = 0.0
    search_beams: int = 0
    search_power_fraction: float = 0.0
    fence_height_rad: float = 0.0
    volume_power_fraction: float = 0.0
    pfa: float = 1e-6
    swerling: int = 1
    n_pulses: int = 1
    pd_design: float = 0.9
    m_of_n: tuple[int, int] = (2, 3)
    needs_cue: bool = False
    handover_delay_s: float = 0.0
    measures_range_rate: bool = True
    range_floor_m: float = 0.0
    angle_floor_rad: float = 0.0
    range_rate_floor_mps: float = 0.0
    source: str = ""
    label: str = "NOTIONAL"
    provenance: tuple[tuple[str, str], ...] = ()

    # ---------------------------------------------------------------------------------------- derived values
    @property
    def wavelength_m(self) -> float:
        return float(rq.wavelength_m(self.frequency_hz))

    @property
    def average_power_w(self) -> float:
        return self.peak_power_w * self.duty_cycle

    @property
    def site_rad(self) -> tuple[float, float, float]:
        """``(lat_rad, lon_rad, alt_m)`` of the site."""
        return float(np.radians(self.latitude_deg)), float(np.radians(self.longitude_deg)), float(self.altitude_m)

    @property
    def site_ecef(self) -> np.ndarray:
        return frames.geodetic_to_ecef(*self.site_rad)

    @property
    def searches(self) -> bool:
        return (not self.needs_cue) and self.search_frame_s > 0 and self.search_beams > 0

    @property
    def fields_of_regard(self) -> tuple[dict, ...]:
        """Each face's field of regard in degrees (``boresight_azimuth_deg`` clockwise from north, ``tilt_deg``,
        ``azimuth_half_width_deg``, ``max_elevation_deg``); the radar's ``min_elevation_rad`` and ``max_range_m``
        bound all faces. The one rendering of the faces for ``bmdsim radars --json``, the run's ``objects`` table
        and the globe."""
        def deg(x):     # the catalog's degrees back from radians, without the round trip's last-digit noise
            return round(float(np.degrees(x)), 9)

        return tuple({"boresight_azimuth_deg": deg(f.azimuth_rad), "tilt_deg": deg(f.tilt_rad),
                      "azimuth_half_width_deg": deg(f.azimuth_half_width_rad),
                      "max_elevation_deg": deg(f.max_elevation_rad)} for f in self.faces)

    @property
    def fence_solid_angle_sr(self) -> float:
        """Solid angle of one face's search fence: ``beams x 4 pi / G_t`` (sr), the transmit beam's solid angle
        times the number of beam positions (so that the search form agrees with the track form per beam)."""
        return self.search_beams * 4.0 * np.pi / self.transmit_gain

    @property
    def volume_solid_angle_sr(self) -> float:
        """Solid angle of one face's volume search: its sector from the minimum to the maximum elevation (sr)."""
        f = self.faces[0]
        return float(2.0 * f.azimuth_half_width_rad * (np.sin(f.max_elevation_rad) - np.sin(self.min_elevation_rad)))

    def snr_required(self) -> float:
        """Per-look SNR (linear) needed for ``pd_design`` at ``pfa`` (exact Swerling formula)."""
        return _snr_required(float(self.pd_design), float(self.pfa), float(self.n_pulses), int(self.swerling))

    # ---------------------------------------------------------------------------------------------- physics
    def snr_track(self, range_m, rcs_m2, off_boresight_rad=0.0):
        """SNR (linear) of one track dwell ``P_av t_dwell`` on the target, with scan loss."""
        e = self.average_power_w * self.track_dwell_s
        s = rq.snr_track(e, self.transmit_gain, self.aperture_m2, rcs_m2, range_m,
                         noise_temperature_k=self.noise_temperature_k, loss_db=self.losses_db)
        return s * rq.scan_loss(off_boresight_rad, self.scan_loss_exponent)

    def snr_search(self, range_m, rcs_m2, off_boresight_rad=0.0, *, volume=False):
        """SNR (linear) of one search look when a face scans its fence (or, ``volume=True``, its whole sector
        with ``volume_power_fraction`` of the power) every ``search_frame_s``."""
        if not self.searches:
            return np.zeros(np.broadcast(np.asarray(range_m), np.asarray(rcs_m2)).shape)
        frac, omega = ((self.volume_power_fraction, self.volume_solid_angle_sr) if volume else
                       (self.search_power_fraction, self.fence_solid_angle_sr))
        s = rq.snr_search(self.average_power_w * frac, self.aperture_m2, self.search_frame_s, omega, rcs_m2, range_m,
                          noise_temperature_k=self.noise_temperature_k, loss_db=self.losses_db)
        return s * rq.scan_loss(off_boresight_rad, self.scan_loss_exponent)

    def detection_range_m(self, rcs_m2, *, mode: str = "track", off_boresight_rad=0.0):
        """Range (m) at which a look reaches the design SNR, from the radar equation alone (no horizon, no
        instrumented-range limit). ``mode``: ``track``, ``search`` (fence) or ``volume``. Scales as
        ``rcs^(1/4)``."""
        if mode == "track":
            s1 = self.snr_track(1.0, rcs_m2, off_boresight_rad)
        elif mode in ("search", "volume"):
            s1 = self.snr_search(1.0, rcs_m2, off_boresight_rad, volume=mode == "volume")
        else:
            raise ValueError(f"mode = {mode!r}: use track, search or volume")
        return rq.range_at_snr(s1, self.snr_required())

    def pd(self, snr):
        """Probability of detection of one look of SNR ``snr`` (linear)."""
        return rq.pd_swerling(snr, self.pfa, self.n_pulses, self.swerling)

    def sigmas(self, snr):
        """1-sigma errors ``(range_m, angle_rad, range_rate_mps)`` of a look of SNR ``snr`` (linear), thermal
        error and fixed floor added in quadrature; range rate NaN if the radar does not measure it."""
        snr = np.maximum(np.asarray(snr, float), 1e-12)
        sr = np.hypot(rq.sigma_range_m(self.bandwidth_hz, snr), self.range_floor_m)
        sa = np.hypot(rq.sigma_angle_rad(self.beamwidth_rad, snr), self.angle_floor_rad)
        if self.measures_range_rate:
            sv = np.hypot(rq.sigma_range_rate_mps(self.wavelength_m, self.track_dwell_s, snr),
                          self.range_rate_floor_mps)
        else:
            sv = np.full(np.shape(snr), np.nan)
        return sr, sa, sv

    # --------------------------------------------------------------------------------------------- geometry
    def face_geometry(self, azimuth_rad, elevation_rad):
        """``(in_field_of_regard, off_boresight_rad)`` for directions; the face with the smallest off-boresight
        angle among those whose sector holds the direction (NaN outside all)."""
        az = np.asarray(azimuth_rad, float)
        el = np.asarray(elevation_rad, float)
        ce = np.cos(el)
        d = np.stack([np.sin(az) * ce, np.cos(az) * ce, np.sin(el)], axis=-1)
        best = np.full(np.broadcast(az, el).shape, np.inf)
        for f in self.faces:
            daz = np.abs(np.mod(az - f.azimuth_rad + np.pi, 2.0 * np.pi) - np.pi)
            inside = (daz <= f.azimuth_half_width_rad + 1e-12) & (el <= f.max_elevation_rad)
            off = np.arccos(np.clip(d @ f.boresight_enu(), -1.0, 1.0))
            best = np.where(inside & (off < best), off, best)
        ok = np.isfinite(best) & (el >= self.min_elevation_rad - 1e-12)
        return ok, np.where(np.isfinite(best), best, np.nan)

    def geometry(self, r_ecef, v_ecef=None, *, refraction: str = "none") -> Geometry:
        """Angles, range, range rate and masks of ECEF points ``(..., 3)`` (velocities optional, for range rate).

        ``refraction="none"``: straight rays; line of sight is the exact segment test against the ellipsoid.
        ``"4/3"``: apparent elevation raised by :func:`bmdsim.core.radar.refraction_elevation_correction` and the
        horizon dip taken on the 4/3 Earth (see the caveat there for targets outside the atmosphere).
        """
        if refraction not in REFRACTION_MODELS:
            raise ValueError(f"refraction = {refraction!r}: use one of {REFRACTION_MODELS}")
        lat, lon, alt = self.site_rad
        r = np.asarray(r_ecef, float)
        az, el, rng = frames.ecef_to_aer(r, lat, lon, alt)
        rr = float(local_radius_m(lat))
        if refraction == "4/3":
            k = 4.0 / 3.0
            el = el + rq.refraction_elevation_correction(rng, radius_m=rr, k=k)
            dip = np.arccos(k * rr / (k * rr + max(alt, 0.0)))
            los = el >= -dip
        else:
            los = rq.segment_clears_ellipsoid(self.site_ecef, r)
        in_for, off = self.face_geometry(az, el)
        if v_ecef is None:
            rdot = np.full(rng.shape, np.nan)
        else:
            u = (r - self.site_ecef) / np.where(rng > 0, rng, 1.0)[..., None]
            rdot = np.einsum("...i,...i", np.asarray(v_ecef, float), u)
        return Geometry(azimuth_rad=az, elevation_rad=el, range_m=rng, range_rate_mps=rdot,
                        in_field_of_regard=in_for, line_of_sight=los & np.all(np.isfinite(r), axis=-1),
                        off_boresight_rad=off, in_range=rng <= self.max_range_m)

    def coverable(self, geom: Geometry, rcs_m2) -> np.ndarray:
        """Visible and close enough for a track dwell to reach the design SNR (deterministic, no draws)."""
        snr = self.snr_track(geom.range_m, rcs_m2, np.nan_to_num(geom.off_boresight_rad, nan=np.pi))
        return geom.visible & (snr >= self.snr_required())
