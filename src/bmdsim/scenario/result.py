"""The typed result of a scenario run (:class:`RunResult`) and its tables.

Every output table has one record class, defined beside the analysis that produces it (``TABLES`` lists them in
the database's order); :meth:`RunResult.tables` turns the records into pandas DataFrames with one dtype per SQL
type (:func:`frame`), and the store writes exactly those frames into ``results.duckdb``. The CLI text and
``--json`` (:meth:`RunResult.summary`), the report and the database all render from the same records.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bmdsim.analysis.engage import Battle, Engagement, Outcome
from bmdsim.analysis.flown import Truth, Truths
from bmdsim.analysis.observe import UnseenFlight
from bmdsim.analysis.reach import (
    ChaseRow,
    CommitCurvePoint,
    FootprintAnalysis,
    FootprintCell,
    FootprintCity,
    FootprintSummary,
)
from bmdsim.analysis.sharing import SharedFeed, SharedFeedPip, SharedFeedSensor
from bmdsim.analysis.timeline import DecisionTime
from bmdsim.core.records import as_rows, bigint, columns, flag, integer, real, table, table_name, text
from bmdsim.scenario.aircraft import AircraftResult, AirspaceEvent
from bmdsim.scenario.flights import ThreatFlight, TrajectorySample, trajectory_rows
from bmdsim.scenario.flyouts import Flyout
from bmdsim.scenario.schema import Scenario
from bmdsim.scenario.sensing import (
    CoverageRing,
    MeasurementRow,
    SensorDetection,
    SensorInfo,
    TrackSummary,
    TrackUpdate,
    measurement_rows,
)

__all__ = ["RunResult", "RunInfo", "ObjectRow", "Capability", "TABLES", "DATABASE_SCHEMA_VERSION", "frame",
           "CAPABILITIES"]

#: version of the database's tables; bumped when a table or column changes name or meaning
#: (2: typed records, ``*_t_s`` from the epoch and ``*_after_launch_s`` from a launch throughout)
#: (3: interceptor_flyouts and chase_commit_curve tables; PIP axes, battle site, verified footprint cells)
#: (4: chase.ideal_speed_mps, ideal_speed_delayed_mps, ideal_burn_delay_s: the ideal bound beside each verdict;
#: footprint_cells/_cities.interceptor_launch_after_launch_s and commit_time_source: the commit each assumed)
DATABASE_SCHEMA_VERSION = 4

CAPABILITIES = ("flights", "sensing", "tracking", "coverage", "decision_time", "sharing", "airspace", "engagements",
                "footprint", "chase")


@table("run", "One row: the run and its provenance.")
@dataclass(frozen=True, slots=True, kw_only=True)
class RunInfo:
    bmdsim_version: str = text("version of bmdsim that ran it")
    python_version: str = text("Python version")
    database_schema_version: int = integer("version of these tables (bumped when a column changes)")
    scenario_name: str = text("the scenario's name")
    scenario_source: str = text("file path, bundled:NAME, or python (built in Python)")
    scenario_sha256: str = text("SHA-256 of the scenario file's bytes")
    scenario_text: str = text("the scenario file, verbatim")
    schema_version: int = integer("scenario schema version")
    epoch_utc: str = text("scenario epoch (UTC, ISO 8601); every t_s and *_t_s counts from it")
    seed: int = bigint("random seed used (after any --seed override)")
    started_utc: str = text("wall-clock start of the run (UTC)")
    finished_utc: str = text("wall-clock end of the run (UTC)")
    timings_json: str = text("seconds spent per step (JSON)")


@table("objects", "Every object of the scenario: threats, sensors, interceptor sites, aircraft.")
@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectRow:
    object_id: str = text("unique name, e.g. threat:iran-berlin, sensor:brdy")
    kind: str = text("threat | sensor | interceptor_site | aircraft")
    name: str = text("name in the scenario")
    catalog: str | None = text("catalog entry it comes from (missile, radar, interceptor variant)")
    latitude_deg: float = real("launch point / site (WGS84); NULL for satellites")
    longitude_deg: float = real("launch point / site (WGS84)")
    altitude_m: float = real("site altitude above the ellipsoid (m)")
    label: str = text("source label: PRIMARY, REPORTED, SECONDARY, NOTIONAL, SCENARIO")
    source: str = text("where the parameters come from")
    details_json: str = text("kind-specific details (JSON)")


@table("capabilities", "Which parts of the run were computed, and why a part was not.")
@dataclass(frozen=True, slots=True, kw_only=True)
class Capability:
    capability: str = text("step of the run")
    available: bool = flag("computed")
    note: str = text("why not, or what it covers")


#: every table of a run, in the database's order
TABLES: tuple[type, ...] = (RunInfo, ObjectRow, ThreatFlight, TrajectorySample, SensorDetection, MeasurementRow,
                            TrackUpdate, CoverageRing, UnseenFlight, DecisionTime, SharedFeed, SharedFeedSensor,
                            SharedFeedPip, Engagement, Outcome, Battle, FootprintCell, FootprintCity,
                            FootprintSummary, ChaseRow, AirspaceEvent, Capability,
                            Flyout, CommitCurvePoint)

_DTYPES = {"DOUBLE": "float64", "INTEGER": "Int32", "BIGINT": "Int64", "BOOLEAN": "boolean", "VARCHAR": "object"}


def _column(values: list, sql: str):
    if sql == "DOUBLE":
        return np.concatenate([np.asarray(v, dtype=float).ravel() for v in values]) if values else np.zeros(0)
    flat: list = []
    for v in values:
        flat.extend(v.tolist() if isinstance(v, np.ndarray) else v)
    if sql == "VARCHAR":
        return pd.array([None if x is None or (isinstance(x, float) and math.isnan(x)) else str(x) for x in flat],
                        dtype=object)
    return pd.array([None if x is None else x for x in flat], dtype=_DTYPES[sql])


def frame(cls, items: Iterable) -> pd.DataFrame:
    """The DataFrame of table ``cls`` from its records and :class:`~bmdsim.core.records.Columns` blocks: one
    column per field, in order, dtype by SQL type (DOUBLE float64 with NaN for NULL, INTEGER Int32, BIGINT Int64,
    BOOLEAN boolean, VARCHAR object with None)."""
    blocks = as_rows(cls, items)
    out = {}
    for c in columns(cls):
        vals = []
        for b in blocks:
            v = b.data[c.name]
            vals.append(np.repeat(np.asarray(v, dtype=object), len(b)) if np.ndim(v) == 0 else v)
        out[c.name] = _column(vals, c.sql)
    return pd.DataFrame(out, columns=[c.name for c in columns(cls)])


def normalise(cls, df: pd.DataFrame) -> pd.DataFrame:
    """A DataFrame read back from the database in the dtypes of :func:`frame` (NULL as NaN/None/NA)."""
    out = {}
    for c in columns(cls):
        s = df[c.name]
        if c.sql == "VARCHAR":
            out[c.name] = pd.array([None if x is None or (isinstance(x, float) and math.isnan(x)) else x
                                    for x in s.tolist()], dtype=object)
        elif c.sql == "DOUBLE":
            out[c.name] = s.astype("float64").to_numpy()
        else:
            out[c.name] = s.astype(_DTYPES[c.sql]).array
    return pd.DataFrame(out, columns=[c.name for c in columns(cls)])


def _utc_text(scn: Scenario) -> str:
    return scn.epoch_utc.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class RunResult:
    """Everything a scenario run computed, as typed records (one list per output table) and the arrays behind
    them. :meth:`tables` gives the database's tables as DataFrames; :meth:`summary` the JSON summary."""

    scenario: Scenario
    threats: list[ThreatFlight]
    flights: Truths                  # the flown threats, the one record (row i: threats[i])
    truths: dict[str, Truth]         # per threat: the dense flown truth the sensors saw
    #: stored trajectory per threat: ``(t_s, latitude_deg, longitude_deg, altitude_m)`` arrays
    trajectories: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    sensors: list[SensorInfo] = field(default_factory=list)
    detections: list[SensorDetection] = field(default_factory=list)
    tracks: dict[str, TrackSummary] = field(default_factory=dict)
    coverage: list[CoverageRing] = field(default_factory=list)
    unseen: list[UnseenFlight] = field(default_factory=list)
    decision: list[DecisionTime] = field(default_factory=list)
    sharing: list[SharedFeed] = field(default_factory=list)
    sharing_sensors: list[SharedFeedSensor] = field(default_factory=list)
    sharing_pips: list[SharedFeedPip] = field(default_factory=list)
    #: per observer, the feed of every threat (``bmdsim.sensing.feed.Feed``, in threat order)
    feeds: dict[str, list] = field(default_factory=dict)
    aircraft: list[AircraftResult] = field(default_factory=list)
    airspace: list[AirspaceEvent] = field(default_factory=list)
    engagements: list[Engagement] | None = None
    outcomes: list[Outcome] | None = None
    battle: list[Battle] | None = None     # per site: the battle manager's Monte Carlo summary
    footprint: FootprintAnalysis | None = None
    chase: list[ChaseRow] | None = None
    #: the chase's threshold against the commit time, per chased flight and site
    chase_commit_curve: list[CommitCurvePoint] | None = None
    #: the flown path of each engagement's first shot (:mod:`bmdsim.scenario.flyouts`)
    flyouts: list[Flyout] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    started_utc: str = ""
    finished_utc: str = ""
    timings_s: dict[str, float] = field(default_factory=dict)
    scenario_text: str = ""
    scenario_sha256: str = ""
    scenario_source: str = "python"

    # ------------------------------------------------------------------------------------------- lookups
    def threat(self, name: str) -> ThreatFlight:
        """The flight record of raid ``name``."""
        from bmdsim.errors import UnknownNameError

        for t in self.threats:
            if t.name == name:
                return t
        raise UnknownNameError("name", name, [t.name for t in self.threats])

    def unseen_of(self, name: str) -> UnseenFlight | None:
        return next((u for u in self.unseen if u.threat == name), None)

    # -------------------------------------------------------------------------------------------- tables
    def provenance(self) -> tuple[str, str, str]:
        """The scenario's text, its SHA-256 and where it came from (the ``run`` table's)."""
        text_ = self.scenario_text or self.scenario.model_dump_json(indent=1)
        sha = self.scenario_sha256 or hashlib.sha256(text_.encode("utf-8")).hexdigest()
        return text_, sha, self.scenario_source

    def _objects(self) -> list[ObjectRow]:
        from bmdsim.flight import sites as fsites

        s = self.scenario
        nan = math.nan
        out = [ObjectRow(object_id=f"threat:{t.name}", kind="threat", name=t.name, catalog=t.missile,
                         latitude_deg=t.launch_latitude_deg, longitude_deg=t.launch_longitude_deg, altitude_m=0.0,
                         label="NOTIONAL", source=f"{t.launch} -> {t.target}",
                         details_json=json.dumps({"count": t.count, "decoys": t.decoys, "profile": t.profile}))
               for t in self.threats]
        out += [ObjectRow(object_id=f"sensor:{si.name}", kind="sensor", name=si.name, catalog=si.catalog,
                          latitude_deg=si.latitude_deg, longitude_deg=si.longitude_deg, altitude_m=si.altitude_m,
                          label=si.label, source=si.source,
                          details_json=json.dumps({"kind": si.kind, "needs_cue": si.needs_cue}
                                                  | ({"min_elevation_deg": si.min_elevation_deg,
                                                      "max_range_km": si.max_range_km,
                                                      "fields_of_regard": list(si.fields_of_regard)}
                                                     if si.fields_of_regard else {})))
                for si in self.sensors]
        local = {x.name: x for x in s.sites}
        for site in s.interceptor_sites:
            if site.site in local:
                lat, lon = local[site.site].latitude_deg, local[site.site].longitude_deg
            else:
                lat, lon = fsites.resolve("site", site.site)
            out.append(ObjectRow(object_id=f"interceptor_site:{site.name}", kind="interceptor_site", name=site.name,
                                 catalog=site.interceptor, latitude_deg=lat, longitude_deg=lon, altitude_m=0.0,
                                 label="SCENARIO", source=f"site {site.site}",
                                 details_json=json.dumps({"inventory": site.inventory, "variants": site.all_variants,
                                                          "doctrine": site.doctrine.model_dump(),
                                                          "readiness": site.readiness.model_dump()})))
        out += [ObjectRow(object_id=f"aircraft:{a.name}", kind="aircraft", name=a.name, catalog=None,
                          latitude_deg=float(a.latitude_deg[0]) if a.t_s.size else nan,
                          longitude_deg=float(a.longitude_deg[0]) if a.t_s.size else nan,
                          altitude_m=float(a.altitude_m[0]) if a.t_s.size else nan, label="NOTIONAL",
                          source="aircraft track", details_json=json.dumps({"points": int(a.t_s.size)}))
                for a in self.aircraft]
        return out

    def table_items(self) -> dict[type, list]:
        """The rows of every table (records and column blocks), by record class, in :data:`TABLES` order."""
        from bmdsim import __version__

        s = self.scenario
        text_, sha, source = self.provenance()
        fp = self.footprint or FootprintAnalysis()
        return {
            RunInfo: [RunInfo(bmdsim_version=__version__, python_version=sys.version.split()[0],
                              database_schema_version=DATABASE_SCHEMA_VERSION, scenario_name=s.name,
                              scenario_source=source, scenario_sha256=sha, scenario_text=text_,
                              schema_version=s.schema_version, epoch_utc=_utc_text(s), seed=s.seed,
                              started_utc=self.started_utc, finished_utc=self.finished_utc,
                              timings_json=json.dumps(self.timings_s))],
            ObjectRow: self._objects(),
            ThreatFlight: list(self.threats),
            TrajectorySample: [trajectory_rows(f"threat:{t.name}", *self.trajectories[t.name]) for t in self.threats]
            + [trajectory_rows(f"aircraft:{a.name}", a.t_s, a.latitude_deg, a.longitude_deg, a.altitude_m)
               for a in self.aircraft]
            + [trajectory_rows(f.object_id, f.t_s, f.latitude_deg, f.longitude_deg, f.altitude_m)
               for f in self.flyouts],
            SensorDetection: list(self.detections),
            MeasurementRow: [measurement_rows(d) for d in self.detections],
            TrackUpdate: [tr.rows() for tr in self.tracks.values()],
            CoverageRing: list(self.coverage),
            UnseenFlight: list(self.unseen),
            DecisionTime: list(self.decision),
            SharedFeed: list(self.sharing),
            SharedFeedSensor: list(self.sharing_sensors),
            SharedFeedPip: list(self.sharing_pips),
            Engagement: list(self.engagements or []),
            Outcome: list(self.outcomes or []),
            Battle: list(self.battle or []),
            FootprintCell: list(fp.cells),
            FootprintCity: list(fp.cities),
            FootprintSummary: list(fp.summaries),
            ChaseRow: list(self.chase or []),
            AirspaceEvent: list(self.airspace),
            Capability: [Capability(capability=c, available=c not in self.unavailable,
                                    note=self.unavailable.get(c, "")) for c in CAPABILITIES],
            Flyout: list(self.flyouts),
            CommitCurvePoint: list(self.chase_commit_curve or []),
        }

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of the results database as a DataFrame (same names, columns, rows and order as
        ``results.duckdb``; docs/database.md)."""
        return {table_name(cls): frame(cls, items) for cls, items in self.table_items().items()}

    # ------------------------------------------------------------------------------------------- summary
    def observers_summary(self) -> dict:
        """Per observer: its feed, how many threats it hears of, and when its PIP stays within 10 km / 1 km of
        the impact compared with the defense (per threat, and the median delay over the threats where both
        do)."""
        out = {}
        for o in self.scenario.observers:
            mine = [d for d in self.sharing if d.observer == o.name]
            if not mine:
                continue
            keys = ("source", "first_received_after_launch_s", "defense_stays_within_10_km_t_s",
                    "observer_stays_within_10_km_t_s", "observer_delay_10_km_s", "defense_stays_within_1_km_t_s",
                    "observer_stays_within_1_km_t_s", "observer_delay_1_km_s", "observer_final_pip_error_km")
            out[o.name] = {
                "feedspec": mine[0].feedspec, "feed_file": f"feed-{o.name}.jsonl", "threats": len(mine),
                "threats_heard": sum(1 for d in mine if math.isfinite(d.first_received_t_s)),
                "impact_within_10_km": sum(1 for d in mine if math.isfinite(d.observer_stays_within_10_km_t_s)),
                "impact_within_1_km": sum(1 for d in mine if math.isfinite(d.observer_stays_within_1_km_t_s)),
                "median_delay_10_km_s": _median(d.observer_delay_10_km_s for d in mine),
                "median_delay_1_km_s": _median(d.observer_delay_1_km_s for d in mine),
                "per_threat": {d.threat: {k: getattr(d, k) for k in keys} for d in mine},
            }
        return out

    def summary(self, out_dir: str | None = None) -> dict:
        """The JSON summary of a run (the contract of ``bmdsim run --json`` and ``summary.json``)."""
        from dataclasses import asdict

        s = self.scenario
        variants = list(dict.fromkeys(v for x in s.interceptor_sites for v in x.all_variants))
        if self.chase is not None:
            engageable = {v: sum(1 for c in self.chase if c.variant == v and c.engageable) for v in variants}
        else:
            engageable = {v: None for v in variants}
        if self.outcomes is not None:   # one seeded realisation; the first site that engages a threat counts
            best: dict[str, Outcome] = {}
            for o in self.outcomes:
                if o.threat not in best or o.killed_in_realisation > best[o.threat].killed_in_realisation:
                    best[o.threat] = o
            intercepted = sum(o.killed_in_realisation for o in best.values())
            leakers = sum(o.warheads for o in best.values()) - intercepted
        else:
            intercepted = leakers = None
        return {
            "scenario": s.name, "seed": s.seed, "threats": sum(t.count for t in self.threats),
            "raids": len(self.threats), "icbm_flights": sum(1 for t in self.threats if t.is_icbm),
            "intercepted": intercepted, "leakers": leakers,
            "defended_cities": self.footprint.defended_cities if self.footprint else None,
            "engageable_icbm_flights": engageable,
            "expected_leakers": {b.site: round(b.leakers_mean, 3) for b in self.battle or []} or None,
            "p_no_leak": {b.site: round(b.p_no_leak, 3) for b in self.battle or []} or None,
            "tracked_threats": len(self.tracks),
            "observers": self.observers_summary(),
            "airspace_violations": {a.name: len(a.check["violations"]) for a in self.aircraft},
            "closest_approach_km": {f"{a.name}/{c['poi']}": round(c["distance_km"], 1) for a in self.aircraft
                                    for c in a.check["cpa"]},
            "unavailable": self.unavailable, "out_dir": out_dir,
            "flights": [asdict(t) for t in self.threats],
            "unseen": [asdict(u) for u in self.unseen],
            "timings_s": self.timings_s,
        }

    # ------------------------------------------------------------------------------------------- display
    def __repr__(self) -> str:
        s = self.summary()
        parts = [f"{s['raids']} raids ({s['threats']} missiles, {s['icbm_flights']} ICBM flights)",
                 f"{len(self.sensors)} sensors", f"{s['tracked_threats']} tracked"]
        if s["intercepted"] is not None:
            parts.append(f"{s['intercepted']} intercepted, {s['leakers']} leak (one realisation)")
        if s["defended_cities"] is not None:
            parts.append(f"{len(s['defended_cities'])} defended cities")
        if self.unavailable:
            parts.append(f"unavailable: {', '.join(self.unavailable)}")
        return f"<RunResult {self.scenario.name!r} seed {self.scenario.seed}: " + "; ".join(parts) + ">"

    def _repr_html_(self) -> str:
        import html

        df = self.tables()["threat_flights"][["threat", "missile", "range_km", "apogee_km", "time_of_flight_s",
                                              "miss_m"]]
        return (f"<p><b>{html.escape(repr(self))}</b></p>"
                + df.to_html(index=False, float_format=lambda x: f"{x:,.1f}")
                + "<p>Tables: " + ", ".join(html.escape(n) for n in self.tables()) + " (<code>.tables()</code>)</p>")

    # ------------------------------------------------------------------------------------------- plots
    def plot_trajectories(self, ax=None):
        """Ground tracks of the threats (and aircraft) on longitude/latitude axes; returns the matplotlib ax."""
        ax = _ax(ax)
        for t in self.threats:
            _, la, lo, _h = self.trajectories[t.name]
            ax.plot(lo, la, lw=1, label=t.name)
        for a in self.aircraft:
            ax.plot(a.longitude_deg, a.latitude_deg, "k--", lw=0.8, label=a.name)
        for si in self.sensors:
            if si.kind == "radar":
                ax.plot(si.longitude_deg, si.latitude_deg, "b^", ms=5)
        ax.set_xlabel("longitude (deg)")
        ax.set_ylabel("latitude (deg)")
        ax.legend(fontsize=7)
        return ax

    def plot_pip_error(self, ax=None):
        """Each fused track's predicted-impact-point error (km, log scale) over minutes after launch; returns
        the ax."""
        ax = _ax(ax)
        for name, tr in self.tracks.items():
            ok = np.isfinite(tr.pip_error_km)
            t0 = self.threat(name).launch_t_s
            ax.semilogy((tr.t_s[ok] - t0) / 60.0, tr.pip_error_km[ok], lw=1, label=name)
        ax.set_xlabel("minutes after launch")
        ax.set_ylabel("PIP error (km)")
        ax.legend(fontsize=7)
        return ax


def _ax(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots()
    return ax


def _median(xs):
    xs = sorted(x for x in xs if x is not None and math.isfinite(x))
    if not xs:
        return None
    m = len(xs) // 2
    return xs[m] if len(xs) % 2 else 0.5 * (xs[m - 1] + xs[m])
