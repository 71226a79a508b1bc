"""Run step 1, flights: every raid aimed (targeting, batched per missile and profile) and flown once more with
dense output (``SENSING_DT_S`` samples for sensing; every ``trajectory_step_s`` kept for storage). A raid of
``count`` missiles is one truth (they fly the same path); ``count`` matters for inventories."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.analysis.observe import Truth, truths_from_flights
from bmdsim.core import frames, geodesy
from bmdsim.core.records import Columns, flag, integer, real, table, text
from bmdsim.flight import catalog, sites
from bmdsim.flight.aimed import aim_and_fly
from bmdsim.flight.fly import Flights
from bmdsim.scenario.schema import Scenario

__all__ = ["ThreatFlight", "TrajectorySample", "FlownThreats", "fly_threats", "trajectories", "site_lookup",
           "SENSING_DT_S", "ICBM_RANGE_M"]

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
    profile: str = text("minimum-energy | lofted | depressed | maximum-range")
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
    """Step 1's output: the records, the flown batches per missile/profile, one truth per threat and where each
    threat's row sits in its batch."""

    threats: list[ThreatFlight]
    flights: dict[str, Flights]
    truths: dict[str, Truth]
    where: dict[str, tuple[str, int]]


def site_lookup(scn: Scenario):
    """``resolve(field_name, ref) -> (lat, lon)``: the scenario's own sites first, then the site catalog."""
    local = {s.name: s for s in scn.sites}

    def resolve(field_name: str, ref: str) -> tuple[float, float]:
        if ref in local:
            return local[ref].latitude_deg, local[ref].longitude_deg
        return sites.resolve(field_name, ref)

    return resolve


def fly_threats(scn: Scenario, progress) -> FlownThreats:
    """Aim and fly every raid (module docstring)."""
    raids = scn.threats
    names = scn.threat_names()
    resolve = site_lookup(scn)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, r in enumerate(raids):
        groups.setdefault((r.missile, r.profile), []).append(i)
    out: list[ThreatFlight | None] = [None] * len(raids)
    flights: dict[str, Flights] = {}
    truths: dict[str, Truth] = {}
    where: dict[str, tuple[str, int]] = {}
    n_dense = int(_MAX_FLIGHT_S / SENSING_DT_S) + 2
    done = 0
    progress("flying threats", 0, len(raids))
    for (missile, profile), idx in groups.items():
        v = catalog.get(missile)
        lp = np.array([resolve(f"threats[{i}].launch", raids[i].launch) for i in idx])
        tp = np.array([resolve(f"threats[{i}].target", raids[i].target) for i in idx])
        t0 = np.array([raids[i].launch_time_s for i in idx])
        _, f = aim_and_fly(v, lp[:, 0], lp[:, 1], tp[:, 0], tp[:, 1], profile=profile, t_launch_s=t0,
                           dense_dt_s=SENSING_DT_S, dense_n=n_dense)
        group = f"{missile}/{profile}"
        flights[group] = f
        miss_m, _ = geodesy.inverse(f.impact_latitude_deg, f.impact_longitude_deg, tp[:, 0], tp[:, 1])
        flown = truths_from_flights(f, missile=missile, targets=tp, miss_m=miss_m)
        for j, i in enumerate(idx):
            r = raids[i]
            out[i] = ThreatFlight(
                threat=names[i], missile=missile, launch=r.launch, target=r.target, profile=profile, count=r.count,
                decoys=r.decoys, rcs_m2=r.rcs_m2,
                launch_latitude_deg=float(lp[j, 0]), launch_longitude_deg=float(lp[j, 1]),
                target_latitude_deg=float(tp[j, 0]), target_longitude_deg=float(tp[j, 1]),
                launch_t_s=float(t0[j]), impact_t_s=float(f.t_impact_s[j]),
                time_of_flight_s=float(f.time_of_flight_s[j]),
                burnout_after_launch_s=float(f.t_burnout_s[j] - f.t_launch_s[j]),
                range_km=float(f.range_m[j] / 1e3), apogee_km=float(f.apogee_m[j] / 1e3),
                burnout_speed_mps=float(f.burnout_speed_mps[j]),
                impact_latitude_deg=float(f.impact_latitude_deg[j]),
                impact_longitude_deg=float(f.impact_longitude_deg[j]), miss_m=float(miss_m[j]),
                is_icbm=bool(f.range_m[j] >= ICBM_RANGE_M))
            truths[names[i]] = flown[j]
            where[names[i]] = (group, j)
        done += len(idx)
        progress("flying threats", done, len(raids))
    return FlownThreats(threats=out, flights=flights, truths=truths, where=where)


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
