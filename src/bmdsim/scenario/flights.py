"""Run step 1, flights: every raid aimed (targeting, batched per missile and profile) and flown once more with
dense output (``SENSING_DT_S`` samples for sensing; every ``trajectory_step_s`` kept for storage). A raid of
``count`` missiles is one truth (they fly the same path); ``count`` matters for inventories."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bmdsim.analysis.flown import Truth, Truths
from bmdsim.core import frames, geodesy
from bmdsim.core.records import Columns, flag, integer, real, table, text
from bmdsim.errors import InputError
from bmdsim.flight import catalog, sites
from bmdsim.flight.aimed import aim_and_fly
from bmdsim.flight.profiles import PROFILES
from bmdsim.scenario.schema import Scenario

__all__ = ["ThreatFlight", "TrajectorySample", "FlownThreats", "fly_threats", "threat_rows", "trajectories",
           "site_lookup", "SENSING_DT_S", "ICBM_RANGE_M"]

SENSING_DT_S = 2.0        #: spacing of the truth samples the sensors look at (Hermite-interpolated between)
ICBM_RANGE_M = 5500e3     #: ICBM: a ground range of 5,500 km or more
_MAX_FLIGHT_S = 5000.0    #: dense output long enough for any catalog threat (ICBMs fly about 30-35 min)


@table("threat_flights", "One row per raid: the flown trajectory's key numbers.")
@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatFlight:
    threat: str = text("raid name")
    missile: str = text("catalog missile")
    launch: str = text("launch site")
    target: str = text("target")
    profile: str = text(" | ".join(PROFILES))
    count: int = integer("missiles in the raid (one truth: they fly the same path)")
    decoys: int = integer("decoys per missile")
    rcs_m2: float = real("warhead radar cross-section (m^2)")
    launch_latitude_deg: float = real("launch point (WGS84)")
    launch_longitude_deg: float = real("")
    target_latitude_deg: float = real("aimpoint (WGS84)")
    target_longitude_deg: float = real("")
    launch_t_s: float = real("launch")
    impact_t_s: float = real("impact")
    time_of_flight_s: float = real("impact minus launch (s)")
    burnout_after_launch_s: float = real("last-stage burnout, s after launch")
    range_km: float = real("ground range launch to impact (km)")
    apogee_km: float = real("km above the ellipsoid")
    burnout_speed_mps: float = real("Earth-relative speed at burnout (m/s)")
    impact_latitude_deg: float = real("")
    impact_longitude_deg: float = real("")
    miss_m: float = real("impact to target (m): targeting accuracy")
    is_icbm: bool = flag("range of 5,500 km or more")

    @property
    def name(self) -> str:
        return self.threat


@table("trajectories", "Threat, aircraft and interceptor positions over time (threats every trajectory_step_s, "
       "ending at impact; interceptors every 5 s, ending at the intercept).")
@dataclass(frozen=True, slots=True, kw_only=True)
class TrajectorySample:
    object_id: str = text("threat:NAME, aircraft:NAME or interceptor:SITE:THREAT:SHOT")
    k: int = integer("sample index")
    t_s: float = real("time")
    latitude_deg: float = real("")
    longitude_deg: float = real("")
    altitude_m: float = real("above the WGS84 ellipsoid")


def trajectory_rows(object_id: str, t_s, latitude_deg, longitude_deg, altitude_m) -> Columns:
    n = np.size(t_s)
    return Columns(TrajectorySample, {"object_id": [object_id] * n, "k": np.arange(n), "t_s": t_s,
                                      "latitude_deg": latitude_deg, "longitude_deg": longitude_deg,
                                      "altitude_m": altitude_m})


@dataclass(frozen=True, slots=True, kw_only=True)
class FlownThreats:
    """Step 1's output: the flown threats in raid order (:class:`~bmdsim.analysis.flown.Truths`, the one record:
    row ``i`` is raid ``i``), their ``threat_flights`` rows and, per threat name, the :class:`Truth` the sensors
    look at (both derived from ``record``)."""

    record: Truths
    threats: list[ThreatFlight]
    truths: dict[str, Truth] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "truths", dict(zip(self.record.name, self.record.truths(), strict=True)))

    def fire_control(self, idx=None):
        """The fire-control :class:`~bmdsim.engagement.firecontrol.Threats` of every threat (raid order), or of
        the rows ``idx``."""
        return (self.record if idx is None else self.record.take(idx)).fire_control()

    # compatibility (session 2's layout: one batch per missile and profile, and where each threat sits in it):
    # now a single batch in raid order, so ``flights[g]`` and ``where[name] = (g, j)`` still index it
    @property
    def flights(self) -> dict[str, Truths]:
        return {"threats": self.record}

    @property
    def where(self) -> dict[str, tuple[str, int]]:
        return {str(n): ("threats", i) for i, n in enumerate(self.record.name)}


def site_lookup(scn: Scenario):
    """``resolve(field_name, ref) -> (lat, lon)``: the scenario's own sites first, then the site catalog."""
    local = {s.name: s for s in scn.sites}

    def resolve(field_name: str, ref: str) -> tuple[float, float]:
        if ref in local:
            return local[ref].latitude_deg, local[ref].longitude_deg
        return sites.resolve(field_name, ref)

    return resolve


def threat_rows(record: Truths, raids) -> list[ThreatFlight]:
    """The ``threat_flights`` rows of flown threats (``record`` row ``i`` is ``raids[i]``, a scenario raid)."""
    rng_m, tof, tb, vb = record.range_m, record.time_of_flight_s, record.burnout_after_launch_s, \
        record.burnout_speed_mps
    return [ThreatFlight(
        threat=str(record.name[i]), missile=str(record.missile[i]), launch=r.launch, target=r.target,
        profile=str(record.profile[i]), count=r.count, decoys=r.decoys, rcs_m2=r.rcs_m2,
        launch_latitude_deg=float(record.launch_latitude_deg[i]),
        launch_longitude_deg=float(record.launch_longitude_deg[i]),
        target_latitude_deg=float(record.target_latitude_deg[i]),
        target_longitude_deg=float(record.target_longitude_deg[i]),
        launch_t_s=float(record.t_launch_s[i]), impact_t_s=float(record.t_impact_s[i]),
        time_of_flight_s=float(tof[i]), burnout_after_launch_s=float(tb[i]), range_km=float(rng_m[i] / 1e3),
        apogee_km=float(record.apogee_m[i] / 1e3), burnout_speed_mps=float(vb[i]),
        impact_latitude_deg=float(record.impact_latitude_deg[i]),
        impact_longitude_deg=float(record.impact_longitude_deg[i]), miss_m=float(record.miss_m[i]),
        is_icbm=bool(rng_m[i] >= ICBM_RANGE_M)) for i, r in enumerate(raids)]


def fly_threats(scn: Scenario, progress) -> FlownThreats:
    """Aim and fly every raid (module docstring): one batch per missile and profile, joined in raid order."""
    raids = scn.threats
    names = np.array(scn.threat_names(), dtype=object)
    resolve = site_lookup(scn)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(raids):
        groups.setdefault((r.missile, r.profile), []).append(i)
    parts: list[Truths] = []
    n_dense = int(_MAX_FLIGHT_S / SENSING_DT_S) + 2
    done = 0
    progress("flying threats", 0, len(raids))
    for (missile, profile), idx in groups.items():
        lp = np.array([resolve(f"threats[{i}].launch", raids[i].launch) for i in idx])
        tp = np.array([resolve(f"threats[{i}].target", raids[i].target) for i in idx])
        t0 = np.array([raids[i].launch_t_s for i in idx])
        _, f = aim_and_fly(catalog.get(missile), lp[:, 0], lp[:, 1], tp[:, 0], tp[:, 1], profile=profile,
                           t_launch_s=t0, dense_dt_s=SENSING_DT_S, dense_n=n_dense)
        miss_m, _ = geodesy.inverse(f.impact_latitude_deg, f.impact_longitude_deg, tp[:, 0], tp[:, 1])
        parts.append(Truths.from_flights(f, missile=missile, profile=profile, targets=tp, miss_m=miss_m,
                                         names=names[idx]))
        done += len(idx)
        progress("flying threats", done, len(raids))
    if not parts:
        raise InputError("threats", [], "give at least one raid")
    order = np.argsort(np.concatenate([idx for idx in groups.values()]), kind="stable")
    record = Truths.concat(parts).take(order)
    return FlownThreats(record=record, threats=threat_rows(record, raids))


def trajectories(threats: list[ThreatFlight], truths: dict[str, Truth], step_s: float):
    """The stored trajectory of each threat, ``(t_s, latitude_deg, longitude_deg, altitude_m)``: a sample every
    ``step_s`` of the dense truth, ending exactly on the impact point."""
    out = {}
    for t in threats:
        tr = truths[t.threat]
        ts, r = tr.t_s[:-1], tr.r_ecef[:-1]     # the truth's last sample is the impact itself
        k = max(int(round(step_s / SENSING_DT_S)), 1)
        sel = np.unique(np.append(np.arange(0, ts.size, k), ts.size - 1))
        lat, lon, h = frames.ecef_to_geodetic(r[sel])
        tt = np.append(ts[sel], t.impact_t_s)
        la = np.append(np.degrees(lat), t.impact_latitude_deg)
        lo = np.append(np.degrees(lon), t.impact_longitude_deg)
        hh = np.append(h, 0.0)
        keep = np.append(np.diff(tt) > 1e-6, True)
        out[t.threat] = (tt[keep], la[keep], lo[keep], hh[keep])
    return out
