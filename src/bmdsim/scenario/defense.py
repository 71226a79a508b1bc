"""Run steps 7-9, the defense: engagements (fire control and the battle manager), the chase analysis and the
defended footprints. Where a capability is not available the result says so in ``unavailable``.

Where a site stands: the scenario's ``sites:`` entry of its place first, then the site catalog (as the threats'
launch points and targets, :func:`bmdsim.scenario.flights.site_lookup`); its fire control (fly-out fans, commit,
ideal bounds) is computed there (:func:`fire_control`), and its sensor timeline uses the scenario's instances of
the site's sensors, at their scenario positions and with their overrides (:func:`fire_control_sensors`).

Commit times: the run's engagements and the chase rows commit on the first radar track *the run reports*
(``sensor_detections``, the same draws as the ``tracks`` table), through
:func:`bmdsim.analysis.engage.commit_timeline`; chase takes each threat as the run flew it
(:func:`bmdsim.analysis.chase.chase_threat`: nothing re-aimed or re-flown). The footprint's aimpoints are flights
of their own: each takes its commit from its own flight's sensor timeline
(:func:`bmdsim.analysis.engage.sensor_timeline`, the same rule through the same sensors, its own draw). Every row
names the assumption it used (``commit_source`` / ``commit_time_source``), and each footprint cell and city
gives the commit it assumed (``interceptor_launch_after_launch_s``, as the chase rows): with the same commit the
footprint and the chase of a threat to the same aimpoint agree (tests/test_defense_site.py).
"""

from __future__ import annotations

import math

import numpy as np

from bmdsim.analysis.engage import Battle, Engagement, Outcome
from bmdsim.analysis.reach import ChaseRow, FootprintAnalysis, FootprintCell, FootprintCity, FootprintSummary
from bmdsim.scenario.flights import FlownThreats, ThreatFlight, site_lookup
from bmdsim.scenario.schema import InterceptorSite, Scenario
from bmdsim.scenario.sensing import Sensing, SensorDetection, site_active_from_t_s

__all__ = ["defense_sites", "engage", "chase_rows", "footprints", "fire_control", "fire_control_sensors",
           "flown_threats", "reported_commits", "N_TRIALS", "REPORTED_TRACKS"]

N_TRIALS = 1000           #: Monte Carlo trials of the battle manager per site
REPORTED_TRACKS = "run's reported tracks"


def defense_sites(scn: Scenario, unavailable: dict, what: str):
    """The scenario's interceptor sites that the engagement layer knows (its defenses catalog)."""
    from bmdsim.engagement import defenses

    known = defenses.names()
    out = [x for x in scn.interceptor_sites if x.site in known]
    missing = [x.name for x in scn.interceptor_sites if x.site not in known]
    if missing:
        unavailable[what] = (f"interceptor sites {missing} stand at places the engagement layer has no fire-control "
                             f"data for (known: {', '.join(known)}); {what} covers only the others")
    return out


def fire_control(scn: Scenario, site: InterceptorSite):
    """The site's catalog defense (inventory, timing, sensors) standing where the scenario puts its place
    (module docstring)."""
    from bmdsim.analysis.engage import defense_at

    i = scn.interceptor_sites.index(site)
    lat, lon = site_lookup(scn)(f"interceptor_sites[{i}].site", site.site)
    return defense_at(site.site, lat, lon)


def fire_control_sensors(scn: Scenario, d) -> list:
    """The sensor objects of defense ``d``'s sensor timeline: for each of its catalog sensors, the scenario's own
    instance of it (its position and overrides) when the scenario has one, else the catalog's."""
    from bmdsim.scenario.sensing import build_sensors
    from bmdsim.sensing import catalog as sc

    def key(name):
        return name if name in sc.infrared_names() else sc.resolve_name(name)

    built, info = build_sensors(scn)
    mine = {}
    for obj, si in zip(built, info, strict=True):
        mine.setdefault(si.catalog if si.kind == "infrared" else key(si.catalog), obj)
    return [mine[key(n)] if key(n) in mine else sc.sensor(n) for n in d.sensors]


def flown_threats(flown: FlownThreats, threats: list[ThreatFlight]):
    """The run's flown trajectories of ``threats`` as one fire-control :class:`~bmdsim.engagement.firecontrol.
    Threats` batch (rows in the order given), taken from the one flown record."""
    row = {t.name: i for i, t in enumerate(flown.threats)}
    return flown.fire_control(np.array([row[t.name] for t in threats], dtype=int))


def reported_commits(th, d, threats: list[ThreatFlight], dets: list[SensorDetection]):
    """The commit timeline of ``threats`` (rows of ``th``) at defense ``d`` from the first radar tracks the run
    reports: the one rule the engagements and the chase rows share."""
    from bmdsim.analysis.engage import commit_timeline

    t_track, who = _first_radar_tracks(threats, dets)
    return commit_timeline(th, d, t_track_s=t_track, tracking_sensor=who, how=REPORTED_TRACKS)


def _first_radar_tracks(threats: list[ThreatFlight], dets: list[SensorDetection]):
    best = {t.name: (math.nan, None) for t in threats}
    for d in dets:
        if d.kind == "radar" and math.isfinite(d.track_t_s) and d.threat in best:
            t0, _ = best[d.threat]
            if not d.track_t_s >= t0:     # NaN or later
                best[d.threat] = (d.track_t_s, d.sensor)
    return (np.array([best[t.name][0] for t in threats]), [best[t.name][1] for t in threats])


def engage(scn: Scenario, flown: FlownThreats, dets: list[SensorDetection], rng, progress, unavailable):
    """The scenario's raids against each interceptor site: fire control on the flown trajectories (commit from
    the first radar track the run reports, not before the site is active), then the battle manager's seeded Monte
    Carlo over the inventory. One realisation (trial 0) gives the per-threat outcome; the Monte Carlo gives the
    probabilities. One child of ``rng`` per site."""
    from bmdsim.analysis.engage import fan_at, interceptor_for
    from bmdsim.core import frames
    from bmdsim.engagement.battle import Raid, fight
    from bmdsim.engagement.doctrine import Doctrine
    from bmdsim.engagement.firecontrol import windows

    threats = flown.threats
    sites_ = defense_sites(scn, unavailable, "engagements")
    if not sites_ or not threats:
        return None, None, None
    th = flown_threats(flown, threats)
    first_launch = min(t.launch_t_s for t in threats)
    rngs = rng.spawn(len(sites_))
    engagements, outcomes, battles = [], [], []
    progress("engagements", 0, len(sites_))
    for n, (site, g) in enumerate(zip(sites_, rngs, strict=True)):
        d = fire_control(scn, site)
        v = interceptor_for(site.interceptor, site=d)
        tl = reported_commits(th, d, threats, dets)
        active = site_active_from_t_s(site, first_launch)
        c = np.maximum(tl.t_earliest_launch_s, active)
        fan = fan_at(v, d)
        w = windows(fan, th, t_earliest_launch_s=c, min_intercept_altitude_m=d.min_intercept_altitude_m)
        doc = site.doctrine
        looks = doc.shots_per_threat if doc.mode == "shoot-look-shoot" else 1
        salvo = 1 if doc.mode == "shoot-look-shoot" else doc.shots_per_threat
        dc = Doctrine(salvo=salvo, looks=looks, assess_s=d.kill_assessment_s)
        opp, t_int = w.opportunities(assess_s=dc.assess_s, max_shots=looks)
        opp_alert = opp
        if active > 0:   # what the same site would have had on alert
            w0 = windows(fan, th, t_earliest_launch_s=tl.t_earliest_launch_s,
                         min_intercept_altitude_m=d.min_intercept_altitude_m)
            opp_alert, _ = w0.opportunities(assess_s=dc.assess_s, max_shots=looks)
        # objects: every missile of every raid, each followed by its decoys
        value, warhead, cluster, o_obj, raid_of = [], [], [], [], []
        for i, t in enumerate(threats):
            for _ in range(t.count):
                head = len(value)
                for k in range(1 + t.decoys):
                    value.append(1.0)
                    warhead.append(k == 0)
                    cluster.append(head)
                    o_obj.append(int(opp[i]))
                    raid_of.append(i)
        raid = Raid(value=np.array(value), warhead=np.array(warhead), cluster=np.array(cluster),
                    opportunities=np.array(o_obj)[None, :], inventory=np.array([site.inventory]),
                    pssk=np.array([doc.single_shot_kill_probability]))
        res = fight(raid, dc, p_discrimination=1.0, n_trials=N_TRIALS, rng=g)
        killed0 = res.warhead_killed[0]
        p_kill = res.warhead_killed.mean(axis=0)
        wh_raid = np.array(raid_of)[np.array(warhead)]
        battles.append(Battle(site=site.name, interceptor=v.name, inventory=site.inventory,
                              doctrine=f"{doc.mode}, {doc.shots_per_threat} per threat",
                              pssk=doc.single_shot_kill_probability, active_from_t_s=active, trials=N_TRIALS,
                              warheads=int(wh_raid.size), decoys=int(np.sum(~np.array(warhead))),
                              leakers_mean=res.leakers_mean, leakers_se=res.leakers_se, p_no_leak=res.p_no_leak,
                              interceptors_fired_mean=res.fired_mean, site_latitude_deg=d.latitude_deg,
                              site_longitude_deg=d.longitude_deg))
        eid = 0
        for i, t in enumerate(threats):
            mine = np.flatnonzero(wh_raid == i)
            kills = int(killed0[mine].sum())
            for s_ in range(int(opp[i])):
                eid += 1
                k_i = w.k_earliest[i]
                lat = lon = alt = math.nan
                if s_ == 0 and k_i >= 0:
                    la, lo, h = frames.ecef_to_geodetic(th.r_ecef[i, k_i])
                    lat, lon, alt = float(np.degrees(la)), float(np.degrees(lo)), float(h) / 1e3
                engagements.append(Engagement(
                    engagement_id=eid, site=site.name, interceptor=v.name, threat=t.name, shot=s_ + 1,
                    interceptor_launch_t_s=float(c[i]) if s_ == 0 else math.nan, intercept_t_s=float(t_int[i, s_]),
                    intercept_latitude_deg=lat, intercept_longitude_deg=lon, intercept_altitude_km=alt))
            if opp[i] == 0:
                outcome = "not-engaged"
                why = (f"lost to the delayed activation ({int(opp_alert[i])} opportunities on alert)"
                       if opp_alert[i] > 0 else "no intercept possible in the fan above the minimum altitude")
            else:
                outcome = "intercepted" if kills == mine.size else "leaked"
                why = f"{int(opp[i])} shot opportunit{'y' if opp[i] == 1 else 'ies'}"
                if opp_alert[i] > opp[i]:
                    why += f" ({int(opp_alert[i] - opp[i])} lost to the delayed activation)"
            outcomes.append(Outcome(threat=t.name, site=site.name, outcome=outcome, shots=int(opp[i]),
                                    shots_on_alert=int(opp_alert[i]), warheads=int(mine.size),
                                    killed_in_realisation=kills,
                                    p_kill=float(p_kill[mine].mean()) if mine.size else math.nan, reason=why,
                                    commit_source=tl.source[i]))
        progress("engagements", n + 1, len(sites_))
    return engagements, outcomes, battles


def chase_rows(scn: Scenario, flown: FlownThreats, sensed: Sensing, progress, unavailable,
               curves: list | None = None, *, bounds: bool = True) -> list[ChaseRow]:
    """Which ICBM flights each interceptor variant could reach (capability: the site on alert). Each threat as
    the run flew it, its commit from the run's reported tracks and its handover from the run's fused track, as
    the engagements (module docstring): no threat is aimed or flown again. Each row carries the ideal bounds
    beside its verdict (as ``bmdsim chase``; ``bounds=False`` skips them, for measuring their cost). ``curves``,
    when given, receives each flight's commit curve per site (:class:`CommitCurvePoint`) from the same chases."""
    from bmdsim.analysis.chase import chase_threat, variants_commit_curve
    from bmdsim.analysis.reach import CommitCurvePoint
    from bmdsim.errors import BmdsimError

    done: dict = {}

    wanted = set(scn.analyses.chase.threats)
    flights = [t for t in flown.threats if (t.name in wanted if wanted else t.is_icbm)]
    sites_ = defense_sites(scn, unavailable, "chase")
    rows: list[ChaseRow] = []
    if not flights or not sites_:
        return rows
    th = flown_threats(flown, flights)
    fc = {site.name: fire_control(scn, site) for site in sites_}
    commits = {site.name: reported_commits(th, fc[site.name], flights, sensed.detections) for site in sites_}
    jobs = [(site, v, i) for site in sites_ for v in site.all_variants for i in range(len(flights))]
    memo: dict = {}    # each ideal bound once per threat, site and burn delay (not once per variant)
    nan = math.nan
    progress("chase (ICBM x variant)", 0, max(len(jobs), 1))
    for k, (site, v, i) in enumerate(jobs):
        t = flights[i]
        obs = sensed.observations.get(t.name)
        try:
            c = chase_threat(th.take([i]), missile=t.missile,
                             launch=(t.launch_latitude_deg, t.launch_longitude_deg),
                             target=(t.target_latitude_deg, t.target_longitude_deg), site=fc[site.name],
                             interceptor=v, timeline=_row(commits[site.name], i), threshold=False, seed=scn.seed,
                             track=obs.track if obs is not None else None, bounds=bounds,
                             ideal_memo=memo)
        except BmdsimError as exc:
            rows.append(ChaseRow(threat=t.name, site=site.name, variant=v, burnout_speed_mps=nan, engageable=False,
                                 interceptor_launch_after_launch_s=nan, intercept_after_launch_s=nan,
                                 intercept_altitude_km=nan, intercept_latitude_deg=nan, intercept_longitude_deg=nan,
                                 closing_speed_mps=nan, tail_chase=None, commit_time_source="",
                                 reason=f"not computed: {exc}", fan_intercept_after_launch_s=nan,
                                 ideal_speed_mps=nan, ideal_speed_delayed_mps=nan, ideal_burn_delay_s=nan))
            continue
        done.setdefault((t.name, site.name), []).append(c)
        if c.engageable:
            why = (f"{'tail chase' if c.tail_chase else 'head-on/crossing'} intercept at "
                   f"{c.intercept_altitude_km:,.0f} km altitude, {c.earliest_intercept_after_launch_s / 60:.1f} min "
                   f"after launch, closing {c.closing_speed_mps / 1e3:.1f} km/s")
        else:
            why = (f"no intercept above {c.min_intercept_altitude_km:.0f} km within the fan "
                   f"(interceptor leaves {c.earliest_launch_after_launch_s / 60:.1f} min after the threat's launch)")

        rows.append(ChaseRow(threat=t.name, site=site.name, variant=v,
                             burnout_speed_mps=c.interceptor_burnout_speed_mps, engageable=c.engageable,
                             interceptor_launch_after_launch_s=_nan(c.earliest_launch_after_launch_s),
                             intercept_after_launch_s=_nan(c.earliest_intercept_after_launch_s),
                             intercept_altitude_km=_nan(c.intercept_altitude_km),
                             intercept_latitude_deg=_nan(c.intercept_latitude_deg),
                             intercept_longitude_deg=_nan(c.intercept_longitude_deg),
                             closing_speed_mps=_nan(c.closing_speed_mps), tail_chase=c.tail_chase,
                             commit_time_source=c.commit_time_source, reason=why,
                             fan_intercept_after_launch_s=_nan(c.fan_intercept_after_launch_s),
                             ideal_speed_mps=_nan(c.ideal_speed_mps),
                             ideal_speed_delayed_mps=_nan(c.ideal_speed_delayed_mps),
                             ideal_burn_delay_s=_nan(c.ideal_burn_delay_s)))
        progress("chase (ICBM x variant)", k + 1, max(len(jobs), 1))
    for (tname, sname), res in (done.items() if curves is not None else ()):
        cc = variants_commit_curve(res)
        curves += [CommitCurvePoint(threat=tname, site=sname, commit_after_launch_s=x["commit_after_launch_s"],
                                    threshold_mps=_nan(x["threshold_mps"]),
                                    bracket_low_mps=_nan(x["bracket_low_mps"]),
                                    ideal_mps=_nan(x["ideal_mps"]),
                                    sensor_timeline=x["commit_after_launch_s"] == cc["chase_commit_after_launch_s"],
                                    commit_time_source=cc["commit_time_source"]) for x in cc["rows"]]
    return rows


def _nan(x) -> float:
    """``None`` (not computed) as the records' NaN."""
    return math.nan if x is None else float(x)


def _cell_source(f, i: int) -> str:
    """The commit source of footprint cell ``i`` (empty where out of reach)."""
    k = int(f.commit_source_index[i])
    return f.commit_sources[k] if k >= 0 else ""


def _row(tl, i: int):
    """Row ``i`` of a :class:`~bmdsim.analysis.engage.SensorTimeline` as a timeline of one threat."""
    from dataclasses import replace

    return replace(tl, **{k: (getattr(tl, k)[i:i + 1] if isinstance(getattr(tl, k), np.ndarray)
                              else [getattr(tl, k)[i]]) for k in tl.__dataclass_fields__})


def footprints(scn: Scenario, progress, unavailable) -> FootprintAnalysis | None:
    """Defended footprints per launch area and interceptor variant (fire control of the engagement layer)."""
    from bmdsim.analysis.footprint import footprint
    from bmdsim.errors import BmdsimError

    a = scn.analyses.footprint
    resolve = site_lookup(scn)
    jobs = [(site, v, ls) for site in defense_sites(scn, unavailable, "footprint") for v in site.all_variants
            for ls in a.launch_sites]
    fc = {site.name: fire_control(scn, site) for site, _, _ in jobs}
    sensors = {name: fire_control_sensors(scn, d) for name, d in fc.items()}
    cells, cities, summaries = [], [], []
    shared: dict = {}          # a site's variants share the threat flights and their sensor timelines
    progress("defended footprints", 0, max(len(jobs), 1))
    for k, (site, v, ls) in enumerate(jobs):
        launch = resolve("analyses.footprint.launch_sites", ls)
        try:
            f = footprint(launch, a.missile, site=fc[site.name], interceptor=v, grid_deg=a.grid_step_deg,
                          region=tuple(a.region_deg), seed=scn.seed, sensors=sensors[site.name],
                          verify=a.verify_cells if v == site.interceptor else 0, shared=shared)
        except BmdsimError as exc:
            unavailable.setdefault("footprint", f"footprint for {v} from {ls} not computed: {exc}")
            continue
        key = dict(site=site.name, variant=v, launch_site=ls)
        cells += [FootprintCell(**key, latitude_deg=float(f.latitude_deg[i]), longitude_deg=float(f.longitude_deg[i]),
                                reachable=bool(f.reachable[i]), defended=bool(f.defended[i]), shots=int(f.shots[i]),
                                p_no_leak=float(f.p_no_leak[i]),
                                interceptor_launch_after_launch_s=float(f.earliest_launch_after_launch_s[i]),
                                commit_time_source=_cell_source(f, i)) for i in range(f.latitude_deg.size)]
        cities += [FootprintCity(**key, name=c["name"], latitude_deg=c["latitude_deg"],
                                 longitude_deg=c["longitude_deg"], reachable=c["reachable"], defended=c["defended"],
                                 shots=c["shots"],
                                 p_no_leak=_nan(c["p_no_leak"]),
                                 earliest_intercept_after_launch_s=_nan(c["earliest_intercept_after_launch_s"]),
                                 interceptor_launch_after_launch_s=_nan(c["earliest_launch_after_launch_s"]),
                                 commit_time_source=c["commit_time_source"] or "")
                   for c in f.cities]
        summaries.append(FootprintSummary(**key, missile=a.missile, cells=int(f.latitude_deg.size),
                                          reachable_cells=int(f.reachable.sum()), defended_cells=int(f.defended.sum()),
                                          defended_fraction=f.defended_fraction, pssk=f.pssk, salvo=f.salvo,
                                          commit_time_source=f.commit_time_source,
                                          verified_cells=int((f.verification or {}).get("checked", 0)),
                                          verified_agree=int((f.verification or {}).get("agree", 0))))
        progress("defended footprints", k + 1, max(len(jobs), 1))
    if not summaries:
        return None
    main = {x.name: x.interceptor for x in scn.interceptor_sites}
    defended = sorted({c.name for c in cities if c.defended and main.get(c.site) == c.variant})
    return FootprintAnalysis(cells=cells, cities=cities, summaries=summaries, defended_cities=defended,
                             missile=a.missile, grid_step_deg=a.grid_step_deg, region_deg=tuple(a.region_deg))
