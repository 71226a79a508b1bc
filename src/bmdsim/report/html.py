"""The HTML report of a run: one self-contained file (images embedded as data URIs, no scripts, no external
links needed), one section per question of the developers' brief, each with its numbers and the assumptions
that drive them. A question whose capability is not part of this build says so plainly.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable

import numpy as np

from bmdsim.scenario.run import RunResult

__all__ = ["render_report", "SECTIONS"]

#: (anchor, title) of the question sections, in order
SECTIONS = [
    ("protects", "1. What the defense protects"),
    ("threatens", "2. What it could threaten"),
    ("sees", "3. What its radars see, when, and how well"),
    ("decision", "4. How much decision time there is, and what a delayed activation costs"),
    ("sharing", "5. What a shared radar feed reveals to an observer"),
    ("airspace", "6. Whether the aircraft stayed out of sovereign airspace, and how close it came"),
]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#1d1d1d;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.86em}th,td{border:1px solid #ccc;padding:3px 7px;
text-align:right}th{background:#f1f1f1}td:first-child,th:first-child{text-align:left}
.note{background:#fff6d6;border-left:4px solid #e0b400;padding:.5em .9em;margin:.8em 0}
.assume{background:#eef4fa;border-left:4px solid #0072b2;padding:.5em .9em;margin:.8em 0;font-size:.92em}
.key{font-size:1.05em}img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.8em}nav a{margin-right:1em}
.small{font-size:.85em;color:#555}
"""


def _e(x) -> str:
    return html.escape(str(x))


def _n(x, fmt="{:,.0f}", none="–") -> str:
    if x is None:
        return none
    try:
        if isinstance(x, float) and not math.isfinite(x):
            return none
    except TypeError:
        return _e(x)
    return fmt.format(x)


def _min(x) -> str:
    return _n(x / 60.0 if x is not None and np.isfinite(x) else None, "{:.1f}")


def _table(head: list[str], rows: list[list[str]]) -> str:
    h = "".join(f"<th>{_e(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{h}</tr>{body}</table>"


def _timings(timings_s: dict[str, float]) -> str:
    """The run's step timings as a small table of seconds (rounded to 0.1 s) with their total."""
    if not timings_s:
        return ""
    rows = [[_e(k), _n(v, "{:,.1f}")] for k, v in timings_s.items()]
    rows.append(["<b>total</b>", f"<b>{_n(sum(timings_s.values()), '{:,.1f}')}</b>"])
    return '<p>Step timings:</p>' + _table(["step", "seconds"], rows)


def _img(png: bytes | None, alt: str) -> str:
    if not png:
        return ""
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _note(text: str) -> str:
    return f'<div class="note"><b>Not available in this build.</b> {_e(text)}</div>'


def _assume(items: list[str]) -> str:
    lis = "".join(f"<li>{i}</li>" for i in items)
    return f'<div class="assume"><b>Assumptions that drive these numbers</b><ul>{lis}</ul></div>'


# --------------------------------------------------------------------------------------------- sections
def _protects(r: RunResult, maps: dict) -> str:
    s = r.scenario
    out = []
    if r.outcomes:
        for b in r.battle or []:
            out.append(f'<p class="key">{_e(b.site)} ({b.inventory} x {_e(b.interceptor)}, '
                       f'{_e(b.doctrine)}, Pssk {b.pssk:g}) against {b.warheads} warheads and '
                       f'{b.decoys} decoys: {b.leakers_mean:.2f} expected leakers (± {b.leakers_se:.2f}), '
                       f'probability of no leak {b.p_no_leak:.2f}, {b.interceptors_fired_mean:.1f} '
                       f"interceptors fired on average ({b.trials} seeded trials).</p>")
        rows = [[_e(o.threat), _e(o.site), _e(o.outcome), _n(o.shots), _n(o.p_kill, "{:.2f}"),
                 _e(o.reason or "")] for o in r.outcomes]
        out.append("<p>Per threat: the outcome of one seeded realisation, and the kill probability over all "
                   "trials:</p>")
        out.append(_table(["threat", "site", "outcome", "shot opportunities", "P(kill)", "why"], rows))
    elif "engagements" in r.unavailable:
        out.append(_note(r.unavailable["engagements"] + ". No interceptions are claimed; the table below lists "
                         "what the defense would face."))
    if r.outcomes and "engagements" in r.unavailable:
        out.append(_note(r.unavailable["engagements"]))
    if r.footprint:
        fp = r.footprint
        out.append(_img(maps.get("footprint"), "defended footprint map"))
        rows = [[_e(x.site), _e(x.variant), _e(x.launch_site), _n(x.reachable_cells),
                 _n(x.defended_cells), _n(100 * x.defended_fraction, "{:.0f} %")] for x in fp.summaries]
        out.append(f"<p>Aimpoints on a {fp.grid_step_deg:g}° grid of land cells over the region "
                   f"{_e(list(fp.region_deg))} (lon/lat bounds), {_e(fp.missile)} aimed at each "
                   "(minimum-energy), the site's fire control deciding whether any interceptor can reach it:</p>")
        out.append(_table(["site", "interceptor", "launched from", "reachable cells", "defended cells",
                           "defended share"], rows))
        ver = [x for x in fp.summaries if x.verified_cells]
        if ver:
            out.append("<p class=\"small\">Verdicts checked by flying, without the fan table (a yes: the shot "
                       "flown; a no: a direct search over launch time, bearing and steering with the engine): "
                       + "; ".join(f"{_e(x.variant)} from {_e(x.launch_site)}: {x.verified_agree} of "
                                   f"{x.verified_cells} hold" for x in ver) + ".</p>")
        srcs = sorted({x.commit_time_source for x in fp.summaries})
        out.append(f"<p class=\"small\">Commit time in the footprint: {_e('; '.join(srcs))}. The engagements "
                   "above commit on the run's own reported radar tracks (outcomes.commit_source), so a city's "
                   "shots can differ between the two.</p>")
        main = {x.name: x.interceptor for x in s.interceptor_sites}
        crow = [[_e(c.name), "yes" if c.defended else "no", _n(c.shots), _n(c.p_no_leak, "{:.2f}")]
                for c in fp.cities if main.get(c.site) == c.variant and c.reachable]
        if crow:
            out.append(f'<p class="key">With {_e(", ".join(sorted(set(main.values()))))}, the defended cities '
                       f"are: {_e(', '.join(fp.defended_cities) or 'none')}.</p>")
            out.append(_table(["city", "defended", "shots", "P(no leak), one threat"], crow))
    elif "footprint" in r.unavailable:
        out.append(_note(r.unavailable["footprint"] + "."))
    rows = []
    for t in r.threats:
        rows.append([_e(t.name), _e(t.missile), _e(t.target), _n(t.count), _n(t.range_km), _n(t.apogee_km),
                     _min(t.time_of_flight_s), "yes" if t.is_icbm else "no"])
    out.append("<p>The raids the defense faces (each flown on the rotating WGS84 Earth, targeted to within "
               f"{_n(max((t.miss_m for t in r.threats), default=0.0), '{:,.0f}')} m):</p>")
    out.append(_table(["threat", "missile", "target", "missiles", "range km", "apogee km", "flight min", "ICBM"],
                      rows))
    sites = "; ".join(f"{_e(x.name)}: {x.inventory} x {_e(x.interceptor)} ({_e(x.doctrine.mode)}, "
                      f"{x.doctrine.shots_per_threat} shots/threat, Pssk {x.doctrine.single_shot_kill_probability:g})"
                      for x in s.interceptor_sites) or "none"
    out.append(_assume([f"Interceptor sites: {sites}.",
                        "Commit: first radar track of the site's catalog sensors + fire-control and reaction "
                        "times; perfect kill assessment; decoys recognised (p_discrimination 1); the battle manager "
                        "assigns interceptors look by look (bmdsim.engagement.battle).",
                        "Threat vehicles are NOTIONAL, sized to the claimed range class (docs/sources.md).",
                        "A raid of several missiles flies one trajectory (count matters for inventory only).",
                        "Interceptor fly-out fans fly vertical rise, kick and gravity turn (kicks past the "
                        "horizontal, thrust cut-offs) and, after first-stage burnout, linear-tangent steering to "
                        "flat high burnouts near design speed (docs/design.md, \"Interceptor steering to design "
                        "speed\")."]))
    return "".join(out)


def _threatens(r: RunResult, maps: dict | None = None) -> str:
    from bmdsim.flight import catalog

    out = []
    if r.chase:
        variants = list(dict.fromkeys(c.variant for c in r.chase))
        flights = list(dict.fromkeys(c.threat for c in r.chase))
        by = {(c.threat, c.variant): c for c in r.chase}
        head = (["ICBM flight"] + [f"{v} ({_n(by[(flights[0], v)].burnout_speed_mps / 1e3, '{:.1f}')} km/s)"
                                   for v in variants] + ["ideal bound (km/s)"])
        rows = [[_e(f)] + ["<b>yes</b>" if by[(f, v)].engageable else "no" for v in variants]
                + [_n(by[(f, variants[0])].ideal_speed_mps / 1e3, "{:.2f}")] for f in flights]
        rows.append(["<b>flights reachable</b>"] + [f"<b>{sum(1 for f in flights if by[(f, v)].engageable)} of "
                                                    f"{len(flights)}</b>" for v in variants] + [""])
        out.append("<p>Could the interceptors reach each ICBM flight at all (site on alert; commit on the run's "
                   f"reported tracks, as the engagements: {_e(r.chase[0].commit_time_source or 'see the chase table')}"
                   ")? Beside the verdicts, the ideal bound: the least impulsive (Lambert) speed from the site for "
                   "the same flight and commit, the whole speed at lift-off; with the impulse after the burn in the "
                   "table below (columns chase.ideal_speed_mps, ideal_speed_delayed_mps).</p>")
        out.append(_table(head, rows))
        out.append(_table(["flight", "interceptor", "could reach", "ideal bound (km/s): at lift-off / after burn",
                           "why"],
                          [[_e(c.threat), _e(c.variant), "yes" if c.engageable else "no",
                            f"{_n(c.ideal_speed_mps / 1e3, '{:.2f}')} / "
                            f"{_n(c.ideal_speed_delayed_mps / 1e3, '{:.2f}')}",
                            _e(c.reason)] for c in r.chase]))
        if (maps or {}).get("commit"):
            out.append("<p>The speed each flight needs against the commit time (the slowest of the site's "
                       "variants that engages, and the ideal impulsive bound; the orange line is where the sensor "
                       "timeline puts the commit, and which sensor's track sets it; table chase_commit_curve):</p>")
            out.append(_img(maps["commit"], "threshold against commit time"))
        if "chase" in r.unavailable:
            out.append(_note(r.unavailable["chase"] + "."))
    elif "chase" in r.unavailable:
        out.append(_note(r.unavailable["chase"] + ". The numbers that question turns on are listed below."))
    icbm = [t for t in r.threats if t.is_icbm]
    rows = [[_e(t.name), _e(t.launch), _e(t.target), _n(t.burnout_speed_mps / 1e3, "{:.2f}"),
             _n(t.burnout_after_launch_s), _n(t.apogee_km), _min(t.time_of_flight_s)] for t in icbm]
    out.append("<p>ICBM flights of the scenario:</p>")
    out.append(_table(["flight", "from", "to", "burnout km/s", "burnout s", "apogee km", "flight min"], rows))
    rows = []
    for site in r.scenario.interceptor_sites:
        for v in site.all_variants:
            spec = catalog.raw()["interceptors"][v]
            rows.append([_e(site.name), _e(v), _n(spec["burnout_speed_mps"] / 1e3, "{:.1f}"), _e(spec["label"]),
                         _e(spec["source"])])
    if rows:
        out.append("<p>The disputed interceptor burnout speeds (each a named variant):</p>")
        out.append(_table(["site", "variant", "burnout km/s", "label", "source"], rows))
    out.append(_assume(["Interceptor variants are the two-stage GBI base design sized so that its burnout speed "
                        "equals each claim (bmdsim.flight.sizing).",
                        "Commit: first radar track of the site's catalog sensors + fire-control and reaction "
                        "times (bmdsim.analysis.engage); intercepts only above the site's minimum altitude; the "
                        "threat re-aimed on a minimum-energy profile.",
                        "Russian ICBMs are one NOTIONAL solid three-stage class; launch fields are "
                        "approximate (a few km)."]))
    return "".join(out)


def _sees(r: RunResult, maps: dict) -> str:
    out = []
    if not r.sensors:
        return "<p>The scenario has no sensors.</p>"
    out.append(_img(maps.get("coverage"), "radar coverage map"))
    if r.coverage:
        rows = [[_e(c.sensor), _n(c.altitude_km), _n(c.rcs_m2, "{:g}"), _n(c.area_km2 / 1e6, "{:.2f}")]
                for c in r.coverage]
        out.append(_table(["radar", "target altitude km", "RCS m²", "covered area M km²"], rows))
    if r.unseen:
        rows = [[_e(u.threat), _e(u.first_detection_radar or "none"), _min(u.first_detection_after_launch_s),
                 _n(u.unseen_ground_range_km), _n(u.first_detection_altitude_km), _n(u.total_ground_range_km),
                 _e(u.first_detectable_radar or "none"), _n(u.undetectable_ground_range_km)] for u in r.unseen]
        out.append("<p>How far each threat flies before it is seen (the reported '245, 450 or 850 km could not be "
                   "seen' claim): before the first radar detection of this run, and, as a capability, before any "
                   "radar could detect it at its design SNR (a fluctuating target is sometimes detected "
                   "earlier):</p>")
        out.append(_table(["threat", "first radar detection", "min after launch", "unseen km",
                           "altitude then km", "total km", "first radar able (design SNR)", "undetectable km"],
                          rows))
    sensors = [s.name for s in r.sensors]
    by = {(d.threat, d.sensor): d for d in r.detections}
    rows = []
    for t in r.threats:
        row = [_e(t.name)]
        for s in sensors:
            d = by.get((t.name, s))
            if d is None or not np.isfinite(d.track_t_s):
                row.append("–")
            else:
                row.append(f"{(d.track_t_s - t.launch_t_s) / 60:.1f}")
        tr = r.tracks.get(t.name)
        if tr is not None:
            fin = tr.pip_error_km[np.isfinite(tr.pip_error_km)]
            t10 = tr.pip_stays_within_t_s(10.0)
            row += [_min(t10 - t.launch_t_s) if np.isfinite(t10) else "–",
                    _n(fin[-1] if fin.size else None, "{:.2f}")]
        else:
            row += ["–", "–"]
        rows.append(row)
    out.append("<p>Minutes after launch at which each sensor holds a confirmed track (– never), and the fused "
               "radar track's predicted impact point (PIP): from when its error stays within 10 km:</p>")
    out.append(_table(["threat", *sensors, "PIP stays within 10 km (min after launch)", "last PIP error km"], rows))
    out.append(_img(maps.get("pip"), "PIP error against time"))
    labels = "; ".join(f"{_e(s.name)} ({_e(s.catalog)}, {_e(s.label)})" for s in r.sensors)
    rcs = sorted({t.rcs_m2 for t in r.threats})
    out.append(_assume([f"Sensors: {labels}. Labels: PRIMARY, REPORTED, SECONDARY or NOTIONAL (docs/sources.md).",
                        f"Warhead radar cross-section {', '.join(f'{x:g}' for x in rcs)} m² (scenario), "
                        "Swerling fluctuation per the radar catalog; cued radars start from the earliest report.",
                        "Straight-line propagation (no refraction); detections are random draws from the scenario "
                        "seed.",
                        "The fused track uses the radar reports after burnout only (the filter has no thrust "
                        "model; boost-phase reports drag its velocity for minutes); detection and track times count "
                        "every report.",
                        "The PIP flies the track state in vacuum: during reentry it lies long of the true impact "
                        "by what drag takes away."]))
    return "".join(out)


def _decision(r: RunResult, maps: dict) -> str:
    out = [_img(maps.get("timeline"), "timeline")]
    rows = []
    for d in r.decision:
        rows.append([_e(d.threat), _e(d.site or "–"), _e(d.readiness or "–"), _min(d.warning_s),
                     _min(d.radar_track_to_impact_s), _min(d.decision_window_s),
                     _min(d.lost_to_activation_s)])
    out.append(_table(["threat", "site", "readiness", "warning min (first report to impact)",
                       "radar track to impact min", "decision window min", "lost to late activation min"], rows))
    delayed = [x for x in r.scenario.interceptor_sites if x.readiness.state == "delayed"]
    if delayed:
        lost = [d for d in r.decision if d.site in {x.name for x in delayed} and d.lost_to_activation_s
                and np.isfinite(d.lost_to_activation_s) and d.lost_to_activation_s > 0]
        gone = [d for d in lost if not (d.decision_window_s > 0)]
        out.append(f'<p class="key">A delayed activation of {", ".join(_e(x.name) for x in delayed)} '
                   f"({_min(delayed[0].readiness.activation_delay_s)} min after the first launch) cuts into the "
                   f"decision window of {len(lost)} of {len(r.threats)} threats and leaves no window at all for "
                   f"{len(gone)}.</p>")
    else:
        out.append("<p>All interceptor sites are on alert; run <code>bmdsim run europe-2007-delayed</code> to see "
                   "what a delayed activation costs.</p>")
    if r.outcomes and delayed:
        lost = [o for o in r.outcomes if o.shots_on_alert > o.shots]
        n_lost = sum(o.shots_on_alert - o.shots for o in lost)
        out.append(f'<p class="key">In engagements, the delay costs {n_lost} '
                   f"shot opportunities over {len(lost)} threats; "
                   f"{sum(1 for o in r.outcomes if o.shots == 0 and o.shots_on_alert > 0)} threats that an "
                   "on-alert site could engage cannot be engaged at all.</p>")
    elif "engagements" in r.unavailable:
        out.append(_note(r.unavailable["engagements"]))
    out.append(_assume(["Warning time starts at the first report by any sensor (satellite reports carry their "
                        "latency); the decision window at the first confirmed radar track or the site's "
                        "activation, whichever is later.",
                        "Activation delays count from the first launch of the scenario."]))
    return "".join(out)


def _sharing(r: RunResult) -> str:
    if not r.scenario.observers:
        return "<p>The scenario has no observers.</p>"
    if not r.sharing:
        return "<p>The sharing analysis did not run (disabled, or no sensors).</p>"
    launch = {t.name: t.launch_t_s for t in r.threats}

    def after(d, key):
        x = getattr(d, key)
        return _min(x - launch[d.threat]) if x is not None and np.isfinite(x) else "never"

    def delay(x):
        return _n(x, "{:+.0f}")

    out = []
    for o in r.scenario.observers:
        mine = [d for d in r.sharing if d.observer == o.name]
        if not mine:
            continue
        heard = sum(1 for d in mine if np.isfinite(d.first_received_t_s))
        n10 = sum(1 for d in mine if np.isfinite(d.observer_stays_within_10_km_t_s))
        n1 = sum(1 for d in mine if np.isfinite(d.observer_stays_within_1_km_t_s))
        d10 = [d.observer_delay_10_km_s for d in mine if np.isfinite(d.observer_delay_10_km_s)]
        lag = f" (median {np.median(d10):+.0f} s after the defense)" if d10 else ""
        out.append(f'<p class="key"><b>{_e(o.name)}</b> receives <code>{_e(mine[0].feedspec)}</code>. It hears of '
                   f"{heard} of {len(mine)} threats; its predicted impact point stays within 10 km of the impact for "
                   f"{n10}{lag}, within 1 km for {n1}. The messages are in <code>feed-{_e(o.name)}.jsonl</code>."
                   "</p>")
        rows = [[_e(d.threat), _e(d.source),
                 _n(d.detection_messages + d.track_messages + d.pip_messages),
                 after(d, "first_received_t_s"),
                 after(d, "defense_stays_within_10_km_t_s"), after(d, "observer_stays_within_10_km_t_s"),
                 delay(d.observer_delay_10_km_s),
                 after(d, "defense_stays_within_1_km_t_s"), after(d, "observer_stays_within_1_km_t_s"),
                 delay(d.observer_delay_1_km_s),
                 _n(d.defense_final_pip_error_km, "{:.2f}"), _n(d.observer_final_pip_error_km, "{:.2f}")]
                for d in mine]
        out.append(_table(["threat", "observer's PIPs from", "messages", "first message (min after launch)",
                           "defense PIP stays < 10 km (min)", "observer (min)", "observer delay s",
                           "defense PIP stays < 1 km (min)", "observer (min)", "observer delay s",
                           "defense last PIP error km", "observer last PIP error km"], rows))
        held = sum(d.removed_by_blanking for d in mine)
        if held:
            out.append(f"<p>The blanked regions held back {held} messages.</p>")
    out.append(_assume([
        "The feed model of bmdsim.sensing.feed: per stream (detections per radar, track states, PIPs) sensor "
        "selection, then blanking on the defense's own position estimate, thinning to the interval, added error "
        "(which the feed's stated sigmas include), then latency.",
        "The shared track is the defense's fused track (radar reports after burnout) when the feed names every "
        "radar, else the track fused from the named radars; from shared detections the observer runs the same "
        "filter itself after burnout.",
        "\"Stays within\" is the time from which the PIP error no longer leaves the limit, at reception for the "
        "observer; the delay is observer minus defense. The PIP ignores drag: for some ICBMs its vacuum bias "
        "alone exceeds 1 km, so \"never\" within 1 km is then the model, not the feed.",
        "Thinning keeps the first message and then each one at least the interval after the last kept one, so "
        "the defense's final PIP can be held back and the last errors differ.",
        "Latency and interval of the bundled scenarios are assumptions (see the scenario file's comments)."]))
    return "".join(out)


def _airspace(r: RunResult, maps: dict) -> str:
    if not r.aircraft:
        return "<p>The scenario has no aircraft tracks.</p>"
    out = [_img(maps.get("aircraft"), "aircraft map")]
    for a in r.aircraft:
        c = a.check
        verdict = ("entered territorial airspace of " + ", ".join(_e(v["country"]) for v in c["violations"])
                   if c["entered_territorial_airspace"] else "stayed out of every country's territorial airspace")
        out.append(f'<p class="key"><b>{_e(a.name)}</b> ({_e(c["start_time"])} to {_e(c["end_time"])}) '
                   f"{verdict}.</p>")
        if c["violations"]:
            out.append(_table(["country", "entry", "exit", "max depth km"],
                              [[_e(v["country"]), _e(v["entry_time"]), _e(v["exit_time"]),
                                _n(v["max_depth_km"], "{:.1f}")] for v in c["violations"]]))
        if c["cpa"]:
            out.append(_table(["closest approach to", "distance km", "time (UTC)"],
                              [[_e(p["poi"]), _n(p["distance_km"], "{:.1f}"), _e(p["time"])] for p in c["cpa"]]))
        rows = [[_e(k), _n(v, "{:.1f}"), _n(c["min_distance_to_territorial_airspace_km"].get(k), "{:.1f}"),
                 _e(c["closest_to_coast"].get(k, {}).get("time", ""))]
                for k, v in list(c["min_distance_to_coast_km"].items())[:10]]
        out.append(_table(["country", "closest to coast km", "to territorial airspace km", "when (UTC)"], rows))
        if "unusual_route" in c:
            u = c["unusual_route"]
            out.append(f"<p>Unusual-route score: the track strays up to {_n(u['score_km'])} km (median "
                       f"{_n(u['median_km'])} km) from {_e(u['reference'])}.</p>")
        for w in c.get("warnings", []):
            out.append(f'<p class="small">{_e(w)}</p>')
    out.append(_assume(["Territorial airspace = land plus 12 nautical miles of sea from the Natural Earth 1:10m "
                        "coastline (UNCLOS), not the legal baselines; expect differences of a few km near "
                        "fjords and islands.",
                        "The Tu-160 route is a NOTIONAL reconstruction from the press account, not flight data.",
                        "The aircraft's home countries are not counted as violations."]))
    return "".join(out)


# ------------------------------------------------------------------------------------------------ public
def render_report(result: RunResult, *, files: list[str] | None = None,
                  progress: Callable[[str, int, int], None] | None = None) -> str:
    """The report as one HTML string (maps rendered here; takes a few seconds)."""
    from bmdsim import __version__
    from bmdsim.report import maps as m
    from bmdsim.report.commit import commit_chart

    progress = progress or (lambda *_: None)
    steps = [("overview", m.overview_map), ("coverage", m.coverage_map if result.coverage else None),
             ("timeline", m.timeline_chart if result.threats else None),
             ("pip", m.pip_chart if result.tracks else None), ("aircraft", m.aircraft_map),
             ("footprint", m.footprint_map), ("commit", lambda r: commit_chart(r.chase_commit_curve))]
    images = {}
    for i, (k, f) in enumerate(steps):
        images[k] = f(result) if f else None
        progress("drawing maps", i + 1, len(steps))
    s = result.scenario
    scenario_text, scenario_sha256, scenario_source = result.provenance()
    n_thr = sum(t.count for t in result.threats)
    icbm = sum(1 for t in result.threats if t.is_icbm)
    bodies = {
        "protects": _protects(result, images), "threatens": _threatens(result, images), "sees": _sees(result, images),
        "decision": _decision(result, images), "sharing": _sharing(result), "airspace": _airspace(result, images),
    }
    nav = "".join(f'<a href="#{a}">{_e(t.split(". ", 1)[0])}. {_e(t.split(". ", 1)[1].split(",")[0])}</a>'
                  for a, t in SECTIONS)
    unavailable = "".join(f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in result.unavailable.items())
    head = (f"<h1>bmdsim report: {_e(s.name)}</h1>"
            f'<p class="small">bmdsim {_e(__version__)} · scenario {_e(scenario_source)} · SHA-256 '
            f"{_e(scenario_sha256[:16])}… · seed {s.seed} · epoch {_e(s.epoch_utc.isoformat())} · run "
            f"{_e(result.started_utc)} to {_e(result.finished_utc)}</p>"
            f"<p>{_e(' '.join(s.description.split()))}</p>"
            f'<p class="key">{n_thr} threats in {len(result.threats)} raids ({icbm} ICBM flights), '
            f"{len(result.sensors)} sensors, {len(s.interceptor_sites)} interceptor sites, "
            f"{len(s.observers)} observers, {len(result.aircraft)} aircraft tracks.</p>"
            + (f'<div class="note"><b>Not yet part of this build</b><ul>{unavailable}</ul></div>'
               if unavailable else "")
            + _img(images.get("overview"), "overview map") + f"<nav>{nav}</nav>")
    sections = "".join(f'<h2 id="{a}">{_e(t)}</h2>{bodies[a]}' for a, t in SECTIONS)
    flist = "".join(f"<li><code>{_e(f)}</code></li>" for f in (files or []))
    tail = ("<h2 id=\"files\">Files and provenance</h2>"
            f"<p>Written beside this report:</p><ul>{flist}</ul>"
            "<p>Query the database with SQL, e.g. <code>duckdb results.duckdb \"SELECT * FROM decision_times\""
            "</code>; its tables are documented in docs/database.md.</p>"
            + _timings(result.timings_s) +
            f"<details><summary>The scenario file</summary><pre>{_e(scenario_text)}</pre></details>")
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>bmdsim: {_e(s.name)}</title>"
            f"<style>{_CSS}</style></head><body>{head}{sections}{tail}</body></html>")
