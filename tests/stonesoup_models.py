"""Stone Soup models used as the independent oracle of our filters (by tests/test_estimation.py and by
benchmarks/bench_tracking.py): ballistic flight in ECI for Stone Soup's EKF, and Stone Soup's radar model with
a site's ENU axes as its rotation. Stone Soup is a dev dependency only (pip install -e .[dev])."""

from __future__ import annotations

import numpy as np
from stonesoup.base import Property
from stonesoup.models.base import GaussianModel
from stonesoup.models.measurement.nonlinear import CartesianToElevationBearingRange
from stonesoup.models.transition.base import TransitionModel

from bmdsim.core import estimation as est
from bmdsim.core.constants import GM_EARTH_M3_S2, J2_EARTH, WGS84_A_M


def gravity_complex(r):
    """Point mass + J2 (Vallado 4th ed. eq. 8-31, Cartesian form), written so that it accepts complex
    positions (no ``abs``/``norm``): the complex-step derivative below needs an analytic function."""
    rn = np.sqrt(np.sum(r * r, axis=-1, keepdims=True))
    z2 = (r[..., 2:3] / rn) ** 2
    k = -1.5 * J2_EARTH * GM_EARTH_M3_S2 * WGS84_A_M**2 / rn**5
    return -GM_EARTH_M3_S2 * r / rn**3 + k * r * np.concatenate([1 - 5 * z2, 1 - 5 * z2, 3 - 5 * z2], axis=-1)


def rk4(y, dt, max_step_s):
    """Textbook fixed-step RK4 of ballistic flight, rows ``(n, 6)``, real or complex."""
    n = max(int(np.ceil(abs(dt) / max_step_s)), 1)
    h = dt / n

    def f(y):
        return np.concatenate([y[:, 3:], gravity_complex(y[:, :3])], axis=1)

    for _ in range(n):
        k1 = f(y)
        k2 = f(y + h / 2 * k1)
        k3 = f(y + h / 2 * k2)
        k4 = f(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


class BallisticEci(TransitionModel, GaussianModel):
    """Stone Soup transition model: ballistic flight in ECI (point mass + J2), fixed-step RK4 with the same
    steps as ours (so the two models are the same map) and CWNA process noise.

    Its Jacobian is the complex-step derivative of that RK4 map (Squire & Trapp, SIAM Rev. 40(1), 1998): exact
    to rounding, and independent of our variational-equation STM. Stone Soup's default forward difference
    would do too, but its rounding noise (about 1e-5 relative on the velocity columns at ECI magnitudes) would
    hide what we compare."""

    q: float = Property(doc="white-noise acceleration density, m2/s3")
    max_step_s: float = Property(default=5.0)

    @property
    def ndim_state(self):
        return 6

    def function(self, state, noise=False, time_interval=None, **kwargs):
        y = rk4(np.asarray(state.state_vector, dtype=float).T.copy(), time_interval.total_seconds(), self.max_step_s)
        return type(state.state_vector)(y.T)

    def jacobian(self, state, time_interval=None, **kwargs):
        x = np.asarray(state.state_vector, dtype=float)[:, 0]
        h = 1e-30
        y = rk4(x[None, :] + 1j * h * np.eye(6), time_interval.total_seconds(), self.max_step_s)
        return (y.imag / h).T

    def covar(self, time_interval=None, **kwargs):
        return est.cwna_noise(time_interval.total_seconds(), self.q)


class EnuRadar(CartesianToElevationBearingRange):
    """Stone Soup's radar model with the site's ENU axes given directly as the rotation (rows E, N, U)."""

    enu_rows: np.ndarray = Property(default=None, doc="rows: east, north, up in the state frame")

    @property
    def rotation_matrix(self):
        return self.enu_rows
