"""A notional space-based infrared early-warning constellation (public-level model).

Satellites sit at fixed points over the equator (geostationary). A boosting missile is seen by a satellite when
it is above the cloud-top altitude, still burning (no detection after burnout: the plume is the signature), and
in line of sight of that satellite past the Earth's limb. Each scan (every ``revisit_s``) detects with
probability ``pd_per_scan``; ``m_of_n`` scans confirm a launch, which is reported ``latency_s`` later. The
line-of-sight (angle) error is ``los_sigma_rad``. No range, no range rate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.core import frames
from bmdsim.core import radar as rq

__all__ = ["InfraredConstellation"]


@dataclass(frozen=True, slots=True, kw_only=True)
class InfraredConstellation:
    """Notional early-warning satellites: longitudes (deg) over the equator at ``altitude_m``."""

    name: str
    description: str = ""
    longitudes_deg: tuple[float, ...]
    altitude_m: float = 35_786_000.0
    cloud_top_m: float = 10_000.0
    latency_s: float = 30.0
    revisit_s: float = 10.0
    los_sigma_rad: float = 30e-6
    pd_per_scan: float = 0.95
    m_of_n: tuple[int, int] = (2, 3)
    source: str = ""
    label: str = "NOTIONAL"
    provenance: tuple[tuple[str, str], ...] = ()

    @property
    def satellites_ecef(self) -> np.ndarray:
        lon = np.radians(np.asarray(self.longitudes_deg, float))
        return frames.geodetic_to_ecef(np.zeros_like(lon), lon, self.altitude_m)

    def satellite_site(self, i: int) -> tuple[float, float, float]:
        """``(lat_rad, lon_rad, alt_m)`` of satellite ``i`` (its sub-point and height)."""
        return 0.0, float(np.radians(self.longitudes_deg[i])), float(self.altitude_m)

    def sees(self, r_ecef, t_s=None, *, t_burnout_s=None) -> np.ndarray:
        """Boolean ``(..., S)``: satellite ``s`` sees a point ``(..., 3)`` above the cloud tops, before burnout."""
        r = np.asarray(r_ecef, float)
        sats = self.satellites_ecef
        los = rq.segment_clears_ellipsoid(sats, r[..., None, :])
        high = frames.geodetic_altitude(r) >= self.cloud_top_m
        ok = los & high[..., None] & np.all(np.isfinite(r), axis=-1)[..., None]
        if t_burnout_s is not None and t_s is not None:
            ok &= (np.asarray(t_s, float) <= t_burnout_s)[..., None]
        return ok
