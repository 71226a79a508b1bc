"""The measurement record the trackers consume: one sensor, one object, ``K`` samples.

Agreed with the tracking filters (:mod:`bmdsim.sensing.tracking`): times in seconds since the scenario epoch;
range (m), azimuth (rad, clockwise from true north, in [0, 2 pi)), elevation (rad, above the local horizontal
plane normal to the WGS84 ellipsoid at the site), range rate (m/s, positive opening; NaN where the sensor does not
measure it), each with its 1-sigma error per sample (from the SNR of that look, plus a fixed floor in
quadrature). ``sigma_angle_rad`` is applied to azimuth and to elevation as given. A sensor without range (the
infrared satellites) has NaN range and ``sigma_range_m``; its "site" is the satellite position.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Measurements"]

_ARRAYS = ("t_s", "range_m", "azimuth_rad", "elevation_rad", "range_rate_mps", "sigma_range_m",
           "sigma_angle_rad", "sigma_range_rate_mps", "snr_db")


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurements:
    """Measurements of one object by one sensor, arrays of shape ``(K,)`` in time order.

    >>> m = Measurements.empty("fylingdales", 0.95, -0.01, 260.0)
    >>> len(m), m.sensor
    (0, 'fylingdales')
    """

    sensor: str
    site_lat_rad: float
    site_lon_rad: float
    site_alt_m: float
    t_s: np.ndarray
    range_m: np.ndarray
    azimuth_rad: np.ndarray
    elevation_rad: np.ndarray
    range_rate_mps: np.ndarray
    sigma_range_m: np.ndarray
    sigma_angle_rad: np.ndarray
    sigma_range_rate_mps: np.ndarray
    snr_db: np.ndarray
    #: the true ECEF position at each sample (m, ``(K, 3)``), for scoring only; trackers must not read it
    truth_r_ecef: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))

    def __post_init__(self):
        k = np.shape(self.t_s)[0]
        for name in _ARRAYS:
            if np.shape(getattr(self, name)) != (k,):
                raise ValueError(f"Measurements.{name} has shape {np.shape(getattr(self, name))}, expected ({k},)")

    def __len__(self) -> int:
        return int(np.shape(self.t_s)[0])

    @property
    def has_range_rate(self) -> bool:
        return bool(np.any(np.isfinite(self.range_rate_mps)))

    @classmethod
    def empty(cls, sensor: str, site_lat_rad: float, site_lon_rad: float, site_alt_m: float) -> Measurements:
        z = np.zeros(0)
        return cls(sensor=sensor, site_lat_rad=site_lat_rad, site_lon_rad=site_lon_rad, site_alt_m=site_alt_m,
                   **{name: z for name in _ARRAYS})

    def select(self, mask) -> Measurements:
        """The samples where ``mask`` (boolean or index array) holds."""
        kw = {name: np.asarray(getattr(self, name))[mask] for name in _ARRAYS}
        tr = self.truth_r_ecef[mask] if len(self.truth_r_ecef) == len(self) else self.truth_r_ecef
        return Measurements(sensor=self.sensor, site_lat_rad=self.site_lat_rad, site_lon_rad=self.site_lon_rad,
                            site_alt_m=self.site_alt_m, truth_r_ecef=tr, **kw)
