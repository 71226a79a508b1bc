"""The one record of flown threats: :class:`Truths`, a batch with the threat on the first axis (truth, dense
samples, events), and :class:`Truth`, the view of one of its rows.

Everything else a flown threat appears as is derived from a :class:`Truths`, never re-assembled by hand:

- :meth:`Truths.take` a subset (an index or an array of indices), still a :class:`Truths`;
- :meth:`Truths.truth` one threat as a :class:`Truth` (the dense samples before impact, then the impact itself:
  what the sensors look at);
- :meth:`Truths.fire_control` the :class:`~bmdsim.engagement.firecontrol.Threats` fire control works on;
- the run's ``threat_flights`` table rows (:class:`bmdsim.scenario.flights.ThreatFlight`) from its fields.

It is built from the engine's :class:`~bmdsim.flight.fly.Flights` (flown with dense output) by
:meth:`Truths.from_flights`; batches flown apart (one per missile and profile) are joined by :meth:`Truths.concat`.
Design: docs/design.md, "One record of flown threats".
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from bmdsim.core import frames, geodesy
from bmdsim.errors import InputError
from bmdsim.flight.fly import FlightFigures, Flights
from bmdsim.flight.profiles import DEFAULT_PROFILE
from bmdsim.sensing import detection

__all__ = ["Truth", "Truths", "EVENTS"]

#: the events of a flown threat, in time order (each has a ``t_<event>_s`` field, seconds since the epoch)
EVENTS = ("launch", "burnout", "apogee", "impact")


@dataclass(frozen=True, slots=True, kw_only=True)
class Truth:
    """One flown threat: dense ECEF samples ``t_s (K,)``, ``r_ecef``/``v_ecef (K, 3)`` ending on the impact, and
    its events. Launch at ``t_launch_s`` (seconds since the epoch). Made by :meth:`Truths.truth`."""

    missile: str
    launch_latitude_deg: float
    launch_longitude_deg: float
    target_latitude_deg: float
    target_longitude_deg: float
    t_launch_s: float
    t_s: np.ndarray
    r_ecef: np.ndarray
    v_ecef: np.ndarray
    t_burnout_s: float
    t_apogee_s: float
    apogee_m: float
    t_impact_s: float
    impact_latitude_deg: float
    impact_longitude_deg: float
    miss_m: float

    @property
    def time_of_flight_s(self) -> float:
        return self.t_impact_s - self.t_launch_s

    @property
    def range_m(self) -> float:
        return float(geodesy.inverse(self.launch_latitude_deg, self.launch_longitude_deg, self.impact_latitude_deg,
                                     self.impact_longitude_deg)[0])

    def ground_range_km_at(self, t_s) -> np.ndarray:
        """Ground range (km) from the launch point to the sub-point at times ``t_s`` (NaN outside the flight)."""
        r, _ = detection.interpolate_state(self.t_s, self.r_ecef, self.v_ecef, np.atleast_1d(t_s))
        lat, lon, _ = frames.ecef_to_geodetic(r)
        d, _ = geodesy.inverse(self.launch_latitude_deg, self.launch_longitude_deg, np.degrees(lat),
                               np.degrees(lon))
        return np.where(np.all(np.isfinite(r), axis=-1), np.asarray(d) / 1e3, np.nan)


@dataclass(frozen=True, slots=True, kw_only=True)
class Truths(FlightFigures):
    """Flown threats, one per row ``N``: names, aimpoints and targeting miss; events (seconds since the epoch,
    ECEF states in m and m/s); dense samples ``t_s (N, K)``, ``r_ecef``/``v_ecef (N, K, 3)`` on each threat's
    own grid from its launch, NaN after impact (the impact itself is ``r_impact_ecef``)."""

    name: np.ndarray
    missile: np.ndarray
    profile: np.ndarray
    launch_latitude_deg: np.ndarray
    launch_longitude_deg: np.ndarray
    target_latitude_deg: np.ndarray
    target_longitude_deg: np.ndarray
    miss_m: np.ndarray
    t_launch_s: np.ndarray
    t_burnout_s: np.ndarray
    r_burnout_ecef: np.ndarray
    v_burnout_ecef: np.ndarray
    t_apogee_s: np.ndarray
    apogee_m: np.ndarray
    t_impact_s: np.ndarray
    r_impact_ecef: np.ndarray
    v_impact_ecef: np.ndarray
    impact_latitude_deg: np.ndarray
    impact_longitude_deg: np.ndarray
    t_s: np.ndarray
    r_ecef: np.ndarray
    v_ecef: np.ndarray

    def __len__(self) -> int:
        return self.t_launch_s.shape[0]

    @classmethod
    def from_flights(cls, f: Flights, *, missile, targets, miss_m, profile=DEFAULT_PROFILE,
                     names=None) -> Truths:
        """The flown threats of a batch of engine flights flown with dense output. ``targets (N, 2)``: aimpoints
        (lat, lon) in degrees; ``miss_m (N,)``: each row's targeting miss; ``missile``, ``profile``, ``names``:
        one or one per row (default names: ``"0"``, ``"1"``, ...)."""
        if f.t_s is None:
            raise InputError("flights", "no dense output", "fly with Options(dense_dt_s=..., dense_n=...)")
        n = len(f)
        targets = np.asarray(targets, float).reshape(-1, 2)
        if targets.shape[0] != n:
            raise InputError("targets", targets.shape[0], f"give one aimpoint per flight ({n})")

        def per_row(v, dtype):
            return np.array(np.broadcast_to(np.asarray(v, dtype=dtype), (n,)))

        return cls(name=per_row([str(i) for i in range(n)] if names is None else names, object),
                   missile=per_row(missile, object), profile=per_row(profile, object),
                   launch_latitude_deg=f.launch_latitude_deg, launch_longitude_deg=f.launch_longitude_deg,
                   target_latitude_deg=targets[:, 0].copy(), target_longitude_deg=targets[:, 1].copy(),
                   miss_m=per_row(miss_m, float), t_launch_s=f.t_launch_s, t_burnout_s=f.t_burnout_s,
                   r_burnout_ecef=f.r_burnout_ecef, v_burnout_ecef=f.v_burnout_ecef, t_apogee_s=f.t_apogee_s,
                   apogee_m=f.apogee_m, t_impact_s=f.t_impact_s, r_impact_ecef=f.r_impact_ecef,
                   v_impact_ecef=f.v_impact_ecef, impact_latitude_deg=f.impact_latitude_deg,
                   impact_longitude_deg=f.impact_longitude_deg, t_s=f.t_s, r_ecef=f.r_ecef, v_ecef=f.v_ecef)

    @classmethod
    def concat(cls, parts: list[Truths]) -> Truths:
        """Batches one after the other; dense grids of different lengths are padded (NaN states, the time grid
        continued at its own spacing)."""
        if not parts:
            raise InputError("parts", 0, "give at least one batch of flown threats")
        k = max(p.t_s.shape[1] for p in parts)

        def grid(p):
            t = p.t_s
            if t.shape[1] == k:
                return t
            dt = t[:, 1:2] - t[:, :1] if t.shape[1] > 1 else np.zeros((t.shape[0], 1))
            return np.concatenate([t, t[:, -1:] + dt * np.arange(1, k - t.shape[1] + 1)[None, :]], axis=1)

        def pad(a):
            return np.pad(a, [(0, 0), (0, k - a.shape[1])] + [(0, 0)] * (a.ndim - 2), constant_values=np.nan)

        out = {}
        for fld in fields(cls):
            if fld.name == "t_s":
                out["t_s"] = np.concatenate([grid(p) for p in parts])
            elif fld.name in ("r_ecef", "v_ecef"):
                out[fld.name] = np.concatenate([pad(getattr(p, fld.name)) for p in parts])
            else:
                out[fld.name] = np.concatenate([getattr(p, fld.name) for p in parts])
        return cls(**out)

    def take(self, idx) -> Truths:
        """The threats at ``idx`` (an index, an array of indices or a boolean mask), in that order; always a
        batch (an index gives a batch of one)."""
        idx = np.atleast_1d(np.asarray(idx))
        if idx.dtype != bool and idx.size and not np.issubdtype(idx.dtype, np.integer):
            raise InputError("idx", idx.tolist()[:3], "give row indices (integers) or a boolean mask")
        return Truths(**{f.name: getattr(self, f.name)[idx] for f in fields(self)})

    def index(self, name: str) -> int:
        """The row of the threat called ``name``."""
        hit = np.flatnonzero(self.name == name)
        if not hit.size:
            from bmdsim.errors import UnknownNameError

            raise UnknownNameError("threat", name, [str(n) for n in self.name])
        return int(hit[0])

    # derived figures per row (time_of_flight_s, burnout_after_launch_s, burnout_speed_mps, range_m, ...):
    # FlightFigures, the same definitions as the engine's Flights
    def events_t_s(self) -> dict[str, np.ndarray]:
        """The times of :data:`EVENTS` (seconds since the epoch), each ``(N,)``."""
        return {e: getattr(self, f"t_{e}_s") for e in EVENTS}

    # ------------------------------------------------------------------------------------------ the views
    def truth(self, i: int) -> Truth:
        """Threat ``i`` as a :class:`Truth`: the finite samples before impact, then the impact itself."""
        i = int(i)
        ok = np.all(np.isfinite(self.r_ecef[i]), axis=-1) & (self.t_s[i] < self.t_impact_s[i])
        return Truth(missile=str(self.missile[i]), launch_latitude_deg=float(self.launch_latitude_deg[i]),
                     launch_longitude_deg=float(self.launch_longitude_deg[i]),
                     target_latitude_deg=float(self.target_latitude_deg[i]),
                     target_longitude_deg=float(self.target_longitude_deg[i]), t_launch_s=float(self.t_launch_s[i]),
                     t_s=np.append(self.t_s[i][ok], self.t_impact_s[i]),
                     r_ecef=np.vstack([self.r_ecef[i][ok], self.r_impact_ecef[i]]),
                     v_ecef=np.vstack([self.v_ecef[i][ok], self.v_impact_ecef[i]]),
                     t_burnout_s=float(self.t_burnout_s[i]), t_apogee_s=float(self.t_apogee_s[i]),
                     apogee_m=float(self.apogee_m[i]), t_impact_s=float(self.t_impact_s[i]),
                     impact_latitude_deg=float(self.impact_latitude_deg[i]),
                     impact_longitude_deg=float(self.impact_longitude_deg[i]), miss_m=float(self.miss_m[i]))

    def truths(self) -> list[Truth]:
        """Every row as a :class:`Truth`, in order."""
        return [self.truth(i) for i in range(len(self))]

    def fire_control(self):
        """The :class:`~bmdsim.engagement.firecontrol.Threats` of these rows (the dense grid and the launch,
        burnout and impact times)."""
        from bmdsim.engagement.firecontrol import Threats

        return Threats(t_s=self.t_s, r_ecef=self.r_ecef, v_ecef=self.v_ecef, t_launch_s=self.t_launch_s,
                       t_burnout_s=self.t_burnout_s, t_impact_s=self.t_impact_s)
