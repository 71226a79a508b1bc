"""Flight commands: ``ballistic``, ``fly`` and ``missiles``."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import typer

from bmdsim.cli._common import check_lat, check_number, check_output_file, echo_json
from bmdsim.core import kepler
from bmdsim.core.checks import bad_latitude, bad_longitude
from bmdsim.core.constants import R_SPHERE_M
from bmdsim.errors import DataError, InputError, UnreachableError
from bmdsim.flight import catalog, sites
from bmdsim.flight.fly import Flights, Options, fly_ballistic
from bmdsim.flight.profiles import DEFAULT_PROFILE, PROFILES_TEXT, check_profile
from bmdsim.flight.targeting import burnout_inertial, solve

_RESULT_FIELDS = ("range_km", "time_of_flight_s", "apogee_km", "burnout_speed_mps", "burnout_after_launch_s",
                  "burnout_altitude_km", "impact_latitude_deg", "impact_longitude_deg", "burnout_speed_inertial_mps",
                  "burnout_flight_path_angle_deg_inertial", "burnout_flight_path_angle_deg_earth_relative")


def _columns(f: Flights) -> dict:
    """The contract's result fields, one array per field over all flights. Burnout speed and flight-path angle
    come in both frames, named as such: Earth-relative (``burnout_speed_mps``, ``..._earth_relative``) and
    inertial (what the minimum-energy ellipse of Bate, Mueller & White ch. 6 is about)."""
    speed_i, gamma_i, _ = burnout_inertial(f)
    return dict(zip(_RESULT_FIELDS, (
        f.range_m / 1e3, f.time_of_flight_s, f.apogee_m / 1e3, f.burnout_speed_mps, f.burnout_after_launch_s,
        f.burnout_altitude_m / 1e3, f.impact_latitude_deg, f.impact_longitude_deg, speed_i, np.degrees(gamma_i),
        np.degrees(f.burnout_gamma_rad)), strict=True))


def _summary(f: Flights, i: int = 0) -> dict:
    """Row ``i`` of :func:`_columns`, the two burnout flight-path angles as one field
    ``burnout_flight_path_angle_deg: {inertial, earth_relative}``."""
    out = {k: v[i] for k, v in _columns(f).items()}
    out["burnout_flight_path_angle_deg"] = {frame: out.pop(f"burnout_flight_path_angle_deg_{frame}")
                                            for frame in ("inertial", "earth_relative")}
    return out


def _write_table(path: Path, table: dict) -> None:
    import pandas as pd

    df = pd.DataFrame(table)
    tmp = path.with_name(path.name + ".partial")
    if path.suffix == ".parquet":
        df.to_parquet(tmp, index=False)
    elif path.suffix == ".csv":
        df.to_csv(tmp, index=False)
    else:
        raise InputError("output file", str(path), "use a .csv or .parquet file name")
    tmp.replace(path)


def register(app: typer.Typer) -> None:
    @app.command()
    def ballistic(
        speed_mps: float = typer.Option(None, help="Burnout speed (Earth-relative), m/s."),
        gamma_deg: float = typer.Option(None, help="Burnout flight-path angle above the horizontal, degrees."),
        range_km: float = typer.Option(None, help="With --minimum-energy: the ground range to solve for, km."),
        minimum_energy: bool = typer.Option(False, help="Solve the minimum-energy speed and angle for --range-km."),
        altitude_m: float = typer.Option(0.0, help="Burnout altitude, m (reentry at the same altitude)."),
        latitude_deg: float = typer.Option(0.0, help="Burnout latitude, degrees."),
        longitude_deg: float = typer.Option(0.0, help="Burnout longitude, degrees."),
        azimuth_deg: float = typer.Option(90.0, help="Direction of flight, degrees clockwise from north."),
        earth: str = typer.Option("wgs84", help="Earth model: wgs84 (ellipsoid) or sphere (R = 6,371 km)."),
        no_rotation: bool = typer.Option(False, help="Do not turn the Earth."),
        no_drag: bool = typer.Option(False, help="No atmosphere (vacuum)."),
        no_j2: bool = typer.Option(False, help="Point-mass gravity only."),
        beta_kg_m2: float = typer.Option(10000.0, help="Ballistic coefficient m/(Cd A) for drag, kg/m^2."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ):
        """Fly a free ballistic arc from a burnout state, or solve the minimum-energy arc for a range.

        With --earth sphere --no-rotation --no-drag --no-j2 this is the two-body problem of Bate, Mueller &
        White ch. 6; the output then also shows the closed-form values for comparison.
        """
        if earth not in ("wgs84", "sphere"):
            raise InputError("--earth", earth, "use wgs84 or sphere")
        check_lat("--latitude-deg", latitude_deg)
        check_number("--longitude-deg", longitude_deg, -360, 360, hint="give a longitude in degrees")
        check_number("--azimuth-deg", azimuth_deg, -360, 360, hint="give a direction in degrees from north")
        check_number("--beta-kg-m2", beta_kg_m2, 0, 1e7, lo_open=True, hint="give a ballistic coefficient")
        check_number("--speed-mps", speed_mps, 0, 20_000, lo_open=True, hint="give a positive speed in m/s")
        check_number("--altitude-m", altitude_m, 0, 2e6, hint="give a burnout altitude in m")
        if altitude_m < 0 or not np.isfinite(altitude_m):
            raise InputError("--altitude-m", altitude_m, "give a burnout altitude of zero or more metres")
        radius = R_SPHERE_M + altitude_m
        out: dict = {}
        if minimum_energy:
            if range_km is None or not range_km > 0 or range_km >= np.pi * R_SPHERE_M / 1e3:
                raise InputError("--range-km", range_km, "give a range between 0 and 20,000 km with "
                                 "--minimum-energy")
            v, g = kepler.minimum_energy(range_km * 1e3 / R_SPHERE_M, radius)
            speed_mps, gamma_deg = float(v), float(np.degrees(g))
            out.update(speed_mps=speed_mps, gamma_deg=gamma_deg)
        if speed_mps is None or gamma_deg is None:
            raise InputError("--speed-mps/--gamma-deg", None, "give both, or --range-km R --minimum-energy")
        if not speed_mps > 0:
            raise InputError("--speed-mps", speed_mps, "give a positive speed in m/s")
        if not 0 < gamma_deg <= 90:
            raise InputError("--gamma-deg", gamma_deg, "give a flight-path angle above 0 and at most 90 degrees")
        # J2 is a property of the oblate Earth: the sphere has none
        opts = Options(rotation=not no_rotation, j2=not no_j2 and earth == "wgs84", drag=not no_drag,
                       sphere=earth == "sphere", max_time_s=50_000.0)
        f = fly_ballistic(latitude_deg, longitude_deg, altitude_m, speed_mps, gamma_deg, azimuth_deg,
                          beta_kg_m2=beta_kg_m2, options=opts)
        if f.status[0] != 0:
            raise InputError("--speed-mps", speed_mps, "this arc does not come back down (escape or a flight "
                             "longer than 50,000 s); lower the speed")
        rng = (f.range_m[0] if earth == "wgs84" else
               np.radians(_central_angle(latitude_deg, longitude_deg, f.impact_latitude_deg[0],
                                         f.impact_longitude_deg[0])) * R_SPHERE_M)
        out.update(range_km=rng / 1e3, time_of_flight_s=f.time_of_flight_s[0], apogee_km=f.apogee_m[0] / 1e3,
                   impact_latitude_deg=f.impact_latitude_deg[0], impact_longitude_deg=f.impact_longitude_deg[0])
        if earth == "sphere" and no_rotation and no_drag:
            g = np.radians(gamma_deg)
            out["closed_form"] = {
                "range_km": float(kepler.range_angle(speed_mps, g, radius)) * R_SPHERE_M / 1e3,
                "time_of_flight_s": float(kepler.time_of_flight(speed_mps, g, radius)),
                "apogee_km": (float(kepler.apogee_radius(speed_mps, g, radius)) - R_SPHERE_M) / 1e3,
            }
        if json_out:
            echo_json(out)
        else:
            for k, v in out.items():
                typer.echo(f"{k:>22}: {v}")

    @app.command("fly")
    def fly_cmd(
        missile: str = typer.Option(..., help="Catalog name (see `bmdsim missiles`)."),
        from_: str = typer.Option(None, "--from", help="Launch point: LAT,LON in degrees or a site name."),
        to: str = typer.Option(None, help="Target: LAT,LON in degrees or a site name (see `bmdsim sites`)."),
        profile: str = typer.Option(DEFAULT_PROFILE, help=PROFILES_TEXT + "."),
        apogee_km: float = typer.Option(None, help="Fly a lofted/depressed shot with this apogee, km."),
        burnout_gamma_deg: float = typer.Option(None, help="...or with this flight-path angle at burnout, deg."),
        trajectory: Path = typer.Option(None, help="Write the trajectory (1 s samples) to a .csv or .parquet."),
        pairs: Path = typer.Option(None, help="Batch: CSV with launch_latitude_deg, launch_longitude_deg, "
                                   "target_latitude_deg, target_longitude_deg."),
        out: Path = typer.Option(None, help="Batch results file (.csv or .parquet), with --pairs."),
        json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
    ):
        """Aim a catalog missile at a target on the rotating WGS84 Earth and fly it (or a batch of pairs).

        Targeting solves the launch azimuth and the steering (kick angle and/or thrust cut-off) for the profile,
        and reports the remaining miss.
        """
        vehicle = catalog.get(missile)
        check_profile("--profile", profile)
        check_number("--apogee-km", apogee_km, 0, 10_000, lo_open=True, hint="give an apogee in km")
        check_number("--burnout-gamma-deg", burnout_gamma_deg, 0, 90, lo_open=True,
                     hint="give a flight-path angle in degrees")
        apogee_m = None if apogee_km is None else apogee_km * 1e3
        if apogee_m is not None and not apogee_m > 0:
            raise InputError("--apogee-km", apogee_km, "give a positive apogee in km")
        if trajectory is not None:
            check_output_file("--trajectory", trajectory, (".csv", ".parquet"))
        if pairs is not None:
            _fly_pairs(vehicle, pairs, out, profile, apogee_m, json_out, burnout_gamma_deg)
            return
        if from_ is None or to is None:
            raise InputError("--from/--to", None, "give both --from LAT,LON and --to LAT,LON (or --pairs FILE)")
        lat0, lon0 = sites.resolve("--from", from_)
        lat1, lon1 = sites.resolve("--to", to)
        sol = solve(vehicle, lat0, lon0, lat1, lon1, profile=profile, apogee_m=apogee_m,
                    burnout_gamma_deg=burnout_gamma_deg)
        if not sol.miss_m[0] < 1000.0:
            from bmdsim.core import geodesy
            from bmdsim.flight.targeting import max_range

            dist, az = geodesy.inverse(lat0, lon0, lat1, lon1)
            reach, _ = max_range(vehicle, latitude_deg=lat0, longitude_deg=lon0, azimuth_deg=float(az))
            raise UnreachableError(
                "--to", to, f"{missile} misses it by {sol.miss_m[0] / 1000:.0f} km: the target is "
                f"{float(dist) / 1000:.0f} km away and the missile reaches about {reach / 1000:.0f} km in that "
                "direction on the turning Earth; choose a closer target or another missile")
        res = _summary(sol.flights) | {"miss_m": sol.miss_m[0], "azimuth_deg": sol.azimuth_deg[0],
                                       "kick_deg": sol.kick_deg[0], "cutoff_s": sol.cutoff_s[0],
                                       "missile": missile, "profile": profile}
        if trajectory is not None:
            from bmdsim.flight.fly import fly

            tof = float(sol.flights.time_of_flight_s[0])
            f = fly(vehicle, lat0, lon0, sol.azimuth_deg, sol.kick_deg, cutoff_s=sol.cutoff_s,
                    options=Options(dense_dt_s=1.0, dense_n=int(tof) + 2))
            la, lo, h = f.geodetic()
            keep = np.isfinite(h[0])
            _write_table(trajectory, {"t_s": f.t_s[0][keep], "latitude_deg": la[0][keep],
                                      "longitude_deg": lo[0][keep], "altitude_m": h[0][keep],
                                      "x_ecef_m": f.r_ecef[0][keep, 0], "y_ecef_m": f.r_ecef[0][keep, 1],
                                      "z_ecef_m": f.r_ecef[0][keep, 2]})
            res["trajectory"] = str(trajectory)
        if json_out:
            echo_json(res)
        else:
            for k, v in res.items():
                typer.echo(f"{k:>22}: {v}")

    @app.command()
    def missiles(json_out: bool = typer.Option(False, "--json", help="Print one JSON object.")):
        """List the catalog of notional missiles and interceptors, with burnout speed and maximum range."""
        from bmdsim.flight.sizing import reference_burnout_speed
        from bmdsim.flight.targeting import range_table

        rows = []
        for name in catalog.names():
            v = catalog.get(name)
            row = {"name": name, "role": v.role, "stages": len(v.stages), "liftoff_mass_kg": v.liftoff_mass_kg,
                   "burn_time_s": v.burn_time_s, "source": v.source,
                   "label": v.claim.get("label", "NOTIONAL")}
            if v.role == "threat":
                kicks, r, _ = range_table(v)
                j = int(np.nanargmax(r))
                row["max_range_km"] = float(r[j]) / 1e3
                from bmdsim.flight.fly import fly

                row["burnout_speed_mps"] = float(fly(v, 0.0, 0.0, 0.0, kicks[j],
                                                     options=Options(rotation=False)).burnout_speed_mps[0])
            else:
                row["burnout_speed_mps"] = float(reference_burnout_speed([v])[0])
            rows.append(row)
        if json_out:
            echo_json({"missiles": rows})
            return
        from rich.console import Console
        from rich.table import Table

        t = Table(title="bmdsim catalog (notional; see docs/sources.md)")
        for col in ("name", "role", "stages", "liftoff t", "burn s", "burnout km/s", "max range km"):
            t.add_column(col)
        for r in rows:
            t.add_row(r["name"], r["role"], str(r["stages"]), f"{r['liftoff_mass_kg'] / 1000:.1f}",
                      f"{r['burn_time_s']:.0f}", f"{r['burnout_speed_mps'] / 1000:.2f}",
                      f"{r['max_range_km']:.0f}" if "max_range_km" in r else "-")
        Console(width=max(Console().width, 120)).print(t)


def _central_angle(lat1, lon1, lat2, lon2):
    p1, p2, dl = np.radians(lat1), np.radians(lat2), np.radians(lon2 - lon1)
    c = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
    return np.degrees(np.arccos(np.clip(c, -1, 1)))


MAX_PAIRS = 1_000_000
PAIR_REACHED_M = 100.0  #: a batch row counts as reached when the impact lies within this of the target


def _plural(n: int, word: str) -> str:
    return word if n == 1 else word + "s"


_PAIR_COLS = ("launch_latitude_deg", "launch_longitude_deg", "target_latitude_deg", "target_longitude_deg")


def _fly_pairs(vehicle, pairs: Path, out: Path | None, profile: str, apogee_m, json_out: bool,
               burnout_gamma_deg=None) -> None:
    import pandas as pd

    if out is None:
        raise InputError("--out", None, "give a results file (.csv or .parquet) for --pairs")
    check_output_file("--out", out, (".csv", ".parquet"), inputs=(pairs,))
    try:
        df = pd.read_parquet(pairs) if pairs.suffix == ".parquet" else pd.read_csv(pairs)
    except (OSError, ValueError) as exc:
        raise DataError(f"--pairs {pairs}: cannot read it ({exc}); give a CSV with columns "
                        + ", ".join(_PAIR_COLS)) from None
    missing = [c for c in _PAIR_COLS if c not in df.columns]
    if missing:
        raise DataError(f"--pairs {pairs}: missing column(s) {', '.join(missing)}; the file needs "
                        + ", ".join(_PAIR_COLS))
    if len(df) == 0:
        raise DataError(f"--pairs {pairs}: the file has a header but no rows; add one row per launch-target pair")
    if len(df) > MAX_PAIRS:
        raise DataError(f"--pairs {pairs}: {len(df):,} rows; give at most {MAX_PAIRS:,} per batch (split the file)")
    vals = df[list(_PAIR_COLS)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(bad_latitude(vals[:, 0]) | bad_latitude(vals[:, 2]) | bad_longitude(vals[:, 1])
                         | bad_longitude(vals[:, 3]))
    if bad.size:
        raise DataError(f"--pairs {pairs}: rows {', '.join(str(b + 2) for b in bad[:10])} (file lines) have "
                        "missing, non-numeric or out-of-range coordinates; fix or remove them")
    from bmdsim.core import geodesy
    from bmdsim.flight.targeting import MIN_RANGE_M, within_reach

    dist, _ = geodesy.inverse(vals[:, 0], vals[:, 1], vals[:, 2], vals[:, 3])
    close = np.asarray(dist) < MIN_RANGE_M          # rows too short to aim or beyond reach are marked, not flown
    ok = ~close & within_reach(vehicle, dist)
    t = time.perf_counter()
    table = {c: vals[:, i] for i, c in enumerate(_PAIR_COLS)}
    miss = np.full(len(vals), np.nan)
    table.update({k: np.full(len(vals), np.nan) for k in _RESULT_FIELDS})
    if ok.any():
        sol = solve(vehicle, *(vals[ok, i] for i in range(4)), profile=profile, apogee_m=apogee_m,
                    burnout_gamma_deg=burnout_gamma_deg)
        for k, v in _columns(sol.flights).items():
            table[k][ok] = v
        miss[ok] = sol.miss_m
    seconds = time.perf_counter() - t
    reached = miss < PAIR_REACHED_M
    status = np.where(close, "too-close", np.where(reached, "reached", "unreachable"))
    table["miss_m"] = miss
    table["reached"] = reached
    table["status"] = status
    _write_table(out, table)
    n_flown = int(ok.sum())
    summary = {"count": int(len(vals)), "flown": n_flown, "seconds": seconds,
               "trajectories_per_second": n_flown / seconds if seconds > 0 else None,
               "reached": int(reached.sum()), "max_miss_m_of_reached":
               float(np.max(miss, initial=0.0, where=reached)), "out": str(out),
               "not_reached_rows": [int(i) + 2 for i in np.flatnonzero(~reached)[:20]]}
    if json_out:
        echo_json(summary)
        return
    typer.echo(f"{summary['count']} {_plural(summary['count'], 'pair')} from {pairs}: {n_flown} flown in "
               f"{seconds:.2f} s -> {out}; {summary['reached']} reached their targets within "
               f"{PAIR_REACHED_M:.0f} m")
    if summary["not_reached_rows"]:
        typer.echo(f"not reached (file lines {', '.join(map(str, summary['not_reached_rows']))}"
                   f"{', ...' if (~reached).sum() > 20 else ''}): see the status and miss_m columns "
                   f"(too-close: under {MIN_RANGE_M / 1e3:.0f} km; unreachable: beyond the missile's reach)")
