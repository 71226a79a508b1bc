"""Records of what the defense can reach in a scenario run: the defended-footprint grid, its cities and its
summary per site, variant and launch area (:func:`bmdsim.analysis.footprint.footprint`), and which ICBM flights
each interceptor variant could reach (:func:`bmdsim.analysis.chase.chase`). Times relative to the threat's
launch say so (``*_after_launch_s``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bmdsim.core.records import flag, integer, real, table, text

__all__ = ["FootprintCell", "FootprintCity", "FootprintSummary", "FootprintAnalysis", "ChaseRow",
           "CommitCurvePoint"]

_COMMIT_DOC = ("earliest interceptor launch this verdict assumed, s after the threat's launch: the commit on this "
               "aimpoint's own flight's sensor timeline (its own detection draw; NULL where out of reach). The "
               "run's chase and engagements commit on the run's reported tracks instead (chase."
               "interceptor_launch_after_launch_s); with the same commit the two agree")
_SOURCE_DOC = "how that commit was set (which sensor's track, which delays; empty where out of reach)"


@table("footprint_cells", "Defended-footprint grid cells: per interceptor variant and launch area, can the missile "
       "reach the cell and can the site engage it.")
@dataclass(frozen=True, slots=True, kw_only=True)
class FootprintCell:
    site: str = text("interceptor site")
    variant: str = text("interceptor variant")
    launch_site: str = text("launch area")
    latitude_deg: float = real("cell centre (aimpoint)")
    longitude_deg: float = real("")
    reachable: bool = flag("the missile can be aimed there")
    defended: bool = flag("at least one shot opportunity")
    shots: int = integer("shoot-look-shoot opportunities")
    p_no_leak: float = real("probability the threat is killed (independent shots, one threat)")
    interceptor_launch_after_launch_s: float = real(_COMMIT_DOC)
    commit_time_source: str = text(_SOURCE_DOC)


@table("footprint_cities", "Cities in the footprint region: defended or not, per variant and launch area.")
@dataclass(frozen=True, slots=True, kw_only=True)
class FootprintCity:
    site: str = text("interceptor site")
    variant: str = text("interceptor variant")
    launch_site: str = text("launch area")
    name: str = text("city")
    latitude_deg: float = real("")
    longitude_deg: float = real("")
    reachable: bool = flag("the missile can be aimed there")
    defended: bool = flag("at least one shot opportunity")
    shots: int = integer("shoot-look-shoot opportunities")
    p_no_leak: float = real("NULL where out of reach")
    earliest_intercept_after_launch_s: float = real("s after the threat's launch")
    interceptor_launch_after_launch_s: float = real(_COMMIT_DOC)
    commit_time_source: str = text(_SOURCE_DOC)


@table("footprint_summaries", "Per interceptor site, variant and launch area: the defended footprint in numbers, "
       "and the commit-time assumption it used.")
@dataclass(frozen=True, slots=True, kw_only=True)
class FootprintSummary:
    site: str = text("interceptor site")
    variant: str = text("interceptor variant")
    launch_site: str = text("launch area")
    missile: str = text("catalog missile aimed at every cell")
    cells: int = integer("grid cells")
    reachable_cells: int = integer("cells the missile can be aimed at")
    defended_cells: int = integer("cells with at least one shot opportunity")
    defended_fraction: float = real("defended share of the reachable cells")
    pssk: float = real("single-shot kill probability")
    salvo: int = integer("interceptors per look")
    commit_time_source: str = text("how the commit time was set (each aimpoint's own flight through the site's "
                                   "sensors; the run's engagements and chase use the run's reported tracks)")
    verified_cells: int = integer("cells whose verdict was checked by flying, without the fan table (the site's "
                                  "main variant; analyses.footprint.verify_cells)")
    verified_agree: int = integer("of those, verdicts that held when flown")


@dataclass(frozen=True, slots=True, kw_only=True)
class FootprintAnalysis:
    """The footprint step of a run: its three tables and the cities the main variant of each site defends."""

    cells: list[FootprintCell] = field(default_factory=list)
    cities: list[FootprintCity] = field(default_factory=list)
    summaries: list[FootprintSummary] = field(default_factory=list)
    defended_cities: list[str] = field(default_factory=list)
    missile: str = ""
    grid_step_deg: float = 0.0
    region_deg: tuple = ()


@table("chase", "Which ICBM flights each interceptor variant could reach (site on alert).")
@dataclass(frozen=True, slots=True, kw_only=True)
class ChaseRow:
    threat: str = text("raid name")
    site: str = text("interceptor site")
    variant: str = text("interceptor variant")
    burnout_speed_mps: float = real("claimed burnout speed of the variant")
    engageable: bool = flag("an intercept above the minimum altitude exists")
    interceptor_launch_after_launch_s: float = real("earliest interceptor launch, s after the threat's launch")
    intercept_after_launch_s: float = real("earliest intercept, s after the threat's launch")
    intercept_altitude_km: float = real("")
    intercept_latitude_deg: float = real("")
    intercept_longitude_deg: float = real("")
    closing_speed_mps: float = real("interceptor-threat closing speed at the intercept")
    tail_chase: bool | None = flag("the interceptor closes from behind")
    commit_time_source: str = text("how the commit time was set (in a run: the run's reported tracks, as the "
                                   "engagements)")
    reason: str = text("why (not)")
    fan_intercept_after_launch_s: float = real("earliest intercept as the fan table gives it for the same commit "
                                               "(the engagements' intercept_t_s, from the threat's launch); "
                                               "intercept_after_launch_s is the flown, refined shot")
    ideal_speed_mps: float = real("ideal bound beside the verdict: least impulsive (Lambert) speed from the site "
                                  "for the same threat, commit, minimum altitude and flight-time limit, the whole "
                                  "speed at lift-off (analysis.chase; the same figure as bmdsim chase)")
    ideal_speed_delayed_mps: float = real("the same with the impulse only after the variant's burn "
                                          "(ideal_burn_delay_s): a conservative, boost-aware bound")
    ideal_burn_delay_s: float = real("the variant's burn time, s, used by ideal_speed_delayed_mps")


@table("chase_commit_curve", "The interceptor speed a chased ICBM flight needs against the commit time: per "
       "commit, the slowest of the site's variants that still engages (analysis.chase.variants_commit_curve; "
       "``bmdsim chase`` gives the same curve over a speed search).")
@dataclass(frozen=True, slots=True, kw_only=True)
class CommitCurvePoint:
    threat: str = text("raid name")
    site: str = text("interceptor site")
    commit_after_launch_s: float = real("earliest interceptor launch (commit plus reaction), s after the threat's "
                                        "launch")
    threshold_mps: float = real("slowest variant's burnout speed that engages with this commit (NULL: none)")
    bracket_low_mps: float = real("fastest variant below it that does not (NULL: none)")
    ideal_mps: float = real("ideal impulsive (Lambert) speed with launches no earlier than this commit")
    sensor_timeline: bool = flag("this commit is the one the sensor timeline gives (the run's chase)")
    commit_time_source: str = text("where the sensor timeline puts the commit and why (which sensor's track)")
