"""Tracking commands: ``track`` (one threat through the sensors, its PIP over time, a shared feed and what the
observer learns) and ``visibility`` (how much of a Russian ICBM flight each radar sees)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import typer

from bmdsim.analysis import observe
from bmdsim.cli._common import check_output_file, echo_json
from bmdsim.errors import InputError
from bmdsim.flight import catalog as flight_catalog
from bmdsim.flight import sites
from bmdsim.flight.profiles import DEFAULT_PROFILE, PROFILES_TEXT, check_profile
from bmdsim.sensing.feed import FeedSpec, write_jsonl

_SHARE_HELP = (
    "Share the defense's radar data with an observer. FEEDSPEC = key=value pairs separated by ';' (quote it): "
    "content=detections,tracks,pips (default tracks,pips); latency_s=S (delay, default 0); interval_s=S (at most "
    "one message per stream per S seconds, default 0 = all); noise_m=M (added 1-sigma error per axis on "
    "positions, default 0); noise_mps=V (on track velocities); blank=LAT0,LON0,LAT1,LON1[,ALT0_KM,ALT1_KM]|... "
    "(boxes not shared, south-west then north-east corner); sensors=A,B (share only these radars' detections). "
    "Example: --share 'content=detections;latency_s=10;interval_s=20;noise_m=500;blank=50,30,60,60'.")


def _fmt(x, unit="", nd=0):
    return "-" if x is None or (isinstance(x, float) and not math.isfinite(x)) else f"{x:,.{nd}f}{unit}"


def _split(text: str | None) -> list[str]:
    return [s.strip() for s in str(text).split(",") if s.strip()] if text else []


def _print_track(d: dict) -> None:
    f = d["flight"]
    typer.echo(f"{d['missile']}: {f['range_km']:,.0f} km in {f['time_of_flight_s']:,.0f} s, burnout at "
               f"{f['burnout_t_s']:.0f} s, apogee {f['apogee_km']:,.0f} km; RCS {d['rcs_m2']:g} m^2")
    typer.echo(f"{'sensor':<24}{'1st detect s':>13}{'track s':>10}{'undetect. km':>13}{'visible km':>12}{'reports':>9}")
    for name, s in d["sensors"].items():
        typer.echo(f"{name:<24}{_fmt(s['first_detection_t_s'], nd=1):>13}{_fmt(s['track_established_t_s'], nd=1):>10}"
                   f"{_fmt(s['undetectable_ground_range_km']):>13}{_fmt(s['visible_ground_range_km']):>12}"
                   f"{s['measurements']:>9}")
    u = d["unseen"]
    if u:
        typer.echo(f"unseen: the first {_fmt(u['unseen_ground_range_km'])} km of {_fmt(u['total_ground_range_km'])} km "
                   f"(first radar detection {_fmt(u['first_detection_t_s'], ' s', 1)} by "
                   f"{u['first_detection_radar'] or '-'}); no radar could detect the first "
                   f"{_fmt(u['undetectable_ground_range_km'])} km at its design SNR "
                   f"(first: {u['first_detectable_radar'] or '-'})")
    t = d["track"]
    typer.echo(f"fused track from {_fmt(t['fused_track_start_t_s'], ' s', 1)} ({t['updates']} updates): PIP "
               "stays within 100/10/1 km from "
               + "/".join(_fmt(t[f"pip_stays_within_{km}_km_t_s"]) for km in (100, 10, 1)) +
               f" s; final error {_fmt(t['final_pip_error_km'], ' km', 2)} (sigma "
               f"{_fmt(t['final_pip_sigma_km'], ' km', 2)}; vacuum-model bias "
               f"{_fmt(t['pip_model_bias_km'], ' km', 2)})")
    o = d.get("observer")
    if o:
        c = o["comparison"]
        typer.echo(f"observer ({o['feed']['feedspec']}): source {o['source']}, first message at "
                   f"{_fmt(o['first_received_t_s'], ' s', 1)}; PIP stays within 10/1 km from "
                   f"{_fmt(c['observer_stays_within_10_km_t_s'])}/{_fmt(c['observer_stays_within_1_km_t_s'])} s "
                   f"(defense {_fmt(c['defense_stays_within_10_km_t_s'])}/"
                   f"{_fmt(c['defense_stays_within_1_km_t_s'])} s); "
                   f"final error {_fmt(o['final_pip_error_km'], ' km', 2)}")
    typer.echo("timeline:")
    for e in d["timeline"]:
        who = f" ({e['sensor']})" if e["sensor"] else ""
        typer.echo(f"  {e['t_s']:8.1f} s  {_fmt(e['ground_range_km']):>7} km  {e['event']}{who}")


def register(app: typer.Typer) -> None:
    @app.command("track")
    def track_cmd(
        missile: str = typer.Option(None, help="Catalog missile (see `bmdsim missiles`)."),
        from_: str = typer.Option(None, "--from", help="Launch point: LAT,LON in degrees or a site name."),
        to: str = typer.Option(None, help="Target: LAT,LON in degrees or a site name."),
        scenario: str = typer.Option(None, help="Instead of --missile/--from/--to: a scenario (bundled name or "
                                     "YAML file) and its --threat, observed exactly as `bmdsim run` does (same "
                                     "flight, sensors and random stream)."),
        threat: str = typer.Option(None, help="The raid of --scenario to observe."),
        radars: str = typer.Option(None, help="Sensors, comma-separated (radars, variants, ew-satellites; see "
                                   "`bmdsim radars`). Default: ew-satellites (the cue), the early-warning radars "
                                   "of the 2007 system that could detect this flight (fylingdales, thule), and "
                                   "brdy. Add gabala or fbx-notional by name."),
        seed: int = typer.Option(0, help="Seed of the random draws (detections, noise); same seed, same result."),
        rcs_m2: float = typer.Option(observe.DEFAULT_RCS_M2, help="Radar cross-section of the threat, m^2."),
        profile: str = typer.Option(DEFAULT_PROFILE, help="Trajectory: " + PROFILES_TEXT + "."),
        share: str = typer.Option(None, "--share", metavar="FEEDSPEC", help=_SHARE_HELP),
        feed_out: Path = typer.Option(None, help="Write the shared feed as JSON lines (needs --share)."),
        pip_dt_s: float = typer.Option(10.0, help="Compute the predicted impact point every this many seconds."),
        dt_s: float = typer.Option(2.0, help="Truth sampling for the sensors, s (Hermite-interpolated between)."),
        method: str = typer.Option("ekf", help="Track filter: ekf or ukf."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ):
        """Fly one threat, run the sensors against it, fuse the radar reports into one track and follow its
        predicted impact point (PIP) as the track matures; with --share, what an observer of the shared feed
        sees.

        JSON: flight; sensors (per sensor: first_detection_t_s, track_established_t_s,
        undetectable_ground_range_km: ground range before the radar could detect it at its design SNR, cued radars
        cued, ...).

        unseen: the run's unseen record (first radar detection and the ground range flown before it; the capability
        figures first_detectable_t_s, undetectable_ground_range_km); track; timeline; pip_t_s, pip_error_km (to
        the true impact), pip_sigma_km (1 sigma).

        With --share: observer, the same fields as the observer sees them (reception times), and a comparison.

        Times are seconds after launch.
        """
        if scenario is not None:
            from bmdsim.scenario.load import load_scenario
            from bmdsim.scenario.sensing import observe_scenario_threat

            if threat is None:
                raise InputError("--threat", None, "name the raid of the scenario to observe (bmdsim run's "
                                 "threat_flights.threat)")
            scn = load_scenario(scenario).scenario
            obs = observe_scenario_threat(scn, threat)
            out = {"scenario": scn.name, "seed": scn.seed, **observe.observation_dict(obs)}
            if json_out:
                echo_json(out)
            else:
                _print_track(out)
            return
        for flag, value in (("--missile", missile), ("--from", from_), ("--to", to)):
            if value is None:
                raise InputError(flag, None, "give --missile, --from and --to (or --scenario and --threat)")
        vehicle = flight_catalog.get(missile)
        check_profile("--profile", profile)
        if method not in ("ekf", "ukf"):
            raise InputError("--method", method, "use ekf or ukf")
        if not (math.isfinite(rcs_m2) and rcs_m2 > 0):
            raise InputError("--rcs-m2", rcs_m2, "give a positive radar cross-section in m^2, e.g. 0.1 for a "
                             "warhead")
        if not (math.isfinite(dt_s) and 0 < dt_s <= 30):
            raise InputError("--dt-s", dt_s, "give a truth sampling interval between 0 and 30 s, e.g. 2")
        from bmdsim.scenario.schema import MAX_SEED

        if not 0 <= seed <= MAX_SEED:
            raise InputError("--seed", seed, f"give a seed between 0 and {MAX_SEED} (2**63 - 1)")
        if not (math.isfinite(pip_dt_s) and 0.5 <= pip_dt_s <= 600):
            raise InputError("--pip-dt-s", pip_dt_s, "give a PIP interval between 0.5 and 600 s, e.g. 10")
        spec = FeedSpec.parse(share) if share is not None else None
        if feed_out is not None and spec is None:
            raise InputError("--feed-out", str(feed_out), "add --share FEEDSPEC to say what the feed carries")
        if feed_out is not None:
            check_output_file("--feed-out", feed_out, (".jsonl",))
        sensors = observe.resolve_sensors(_split(radars)) if radars is not None else None
        p0 = sites.resolve("--from", from_)
        p1 = sites.resolve("--to", to)
        truth = observe.fly_truths(vehicle, [p0], [p1], dt_s=dt_s, profile=profile)[0]
        obs = observe.observe_threat(truth, sensors, rng=np.random.default_rng(seed), rcs_m2=rcs_m2,
                                     share_spec=spec, pip_dt_s=pip_dt_s, method=method, object_id=missile)
        out = {"seed": seed, **observe.observation_dict(obs)}
        if feed_out is not None:
            write_jsonl(obs.feed, feed_out)
            out["feed_out"] = str(feed_out)
        if json_out:
            echo_json(out)
        else:
            _print_track(out)

    @app.command("visibility")
    def visibility_cmd(
        radars: str = typer.Option("brdy,fylingdales,thule", help="Radars, comma-separated."),
        fields: str = typer.Option(None, help="Launch sites, comma-separated (default: every Russian ICBM field "
                                   "in `bmdsim sites`); names or LAT,LON separated by ';'."),
        targets: str = typer.Option("washington,new-york,boston", help="Targets, comma-separated site names."),
        missile: str = typer.Option("icbm-solid-russia", help="Catalog missile."),
        rcs_m2: float = typer.Option(observe.DEFAULT_RCS_M2, help="Radar cross-section, m^2."),
        dt_s: float = typer.Option(2.0, help="Truth sampling, s (the resolution of the times)."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ):
        """How much of each ICBM flight from the Russian fields to U.S. targets each radar could see (visible and a
        track dwell at the design SNR; cued radars assumed cued): the 2007 question "what does the Brdy radar
        see of Russian ICBMs?". Times after launch, ground ranges from the launch point."""
        flight_catalog.get(missile)
        if not (math.isfinite(rcs_m2) and rcs_m2 > 0):
            raise InputError("--rcs-m2", rcs_m2, "give a positive radar cross-section in m^2, e.g. 0.1")
        if not (math.isfinite(dt_s) and 0 < dt_s <= 30):
            raise InputError("--dt-s", dt_s, "give a truth sampling interval between 0 and 30 s, e.g. 2")
        names = [s.name for s in observe.resolve_sensors(_split(radars))]
        fl = None
        if fields:
            fl = [x.strip() for x in fields.split(";")] if ";" in fields or _looks_latlon(fields) else _split(fields)
        rows = observe.russian_icbm_visibility(names, fl, _split(targets), missile=missile, rcs_m2=rcs_m2, dt_s=dt_s)
        out = {"missile": missile, "rcs_m2": rcs_m2, "dt_s": dt_s, "rows": [r.as_dict() for r in rows]}
        summary = {}
        for n in names:
            mine = [r for r in rows if r.radar == n]
            seen = [r for r in mine if r.seen_time_s > 0]
            summary[n] = {"flights": len(mine), "flights_seen": len(seen),
                          "mean_seen_fraction": float(np.mean([r.seen_fraction for r in mine])) if mine else None,
                          "mean_first_seen_after_launch_s": float(np.mean([r.first_seen_after_launch_s
                                                                           for r in seen])) if seen else None}
        out["summary"] = summary
        if json_out:
            echo_json(out)
            return
        typer.echo(f"{missile}, RCS {rcs_m2:g} m^2 (capability: visible and a track dwell at the design SNR)")
        typer.echo(f"{'field':<14}{'target':<12}{'radar':<22}{'tof s':>7}{'seen from s':>12}{'to s':>7}"
                   f"{'seen s':>8}{'%':>5}{'unseen km':>10}{'seen km':>9}")
        for r in rows:
            d = r.as_dict()
            typer.echo(f"{r.field:<14}{r.target:<12}{r.radar:<22}{r.time_of_flight_s:7.0f}"
                       f"{_fmt(r.first_seen_after_launch_s):>12}{_fmt(r.last_seen_after_launch_s):>7}"
                       f"{r.seen_time_s:8.0f}"
                       f"{100 * r.seen_fraction:5.0f}{_fmt(r.first_seen_ground_range_km):>10}"
                       f"{_fmt(d['seen_ground_range_km']):>9}")


def _looks_latlon(text: str) -> bool:
    parts = text.split(",")
    try:
        [float(p) for p in parts]
    except ValueError:
        return False
    return len(parts) == 2
