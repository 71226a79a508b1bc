"""The public Python API of bmdsim (re-exported by :mod:`bmdsim`; ``bmdsim.__all__`` is pinned by a test).

>>> import bmdsim
>>> r = bmdsim.run(bmdsim.load_scenario("test-small"))      # doctest: +SKIP
>>> r.tables()["outcomes"]                                  # doctest: +SKIP

:class:`RunResult` is the scenario layer's typed result (:class:`bmdsim.scenario.result.RunResult`) with
:meth:`RunResult.write`, which writes the same output folder as ``bmdsim run``; it lives here, at the top of the
layers, because writing needs both the store and the report.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from bmdsim.flight.profiles import DEFAULT_PROFILE
from bmdsim.scenario import result as _result
from bmdsim.scenario.load import LoadedScenario
from bmdsim.scenario.load import load_scenario as _load
from bmdsim.scenario.schema import Scenario

__all__ = ["RunResult", "load_scenario", "run", "fly", "track", "coverage", "check_airspace", "catalogs"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class RunResult(_result.RunResult):
    """The typed result of a run (:class:`bmdsim.scenario.result.RunResult`) that can write its output folder."""

    def write(self, path: str | Path, *, progress: Callable[[str, int, int], None] | None = None) -> list[str]:
        """Write the output folder of ``bmdsim run`` (results.duckdb, report.html, CZML, KML, GeoJSON,
        summary.json, feed files) into ``path``, replaced as a whole; returns the file names."""
        from bmdsim.report.html import render_report
        from bmdsim.store.outputs import write_outputs

        return write_outputs(Path(path), self, render_report=render_report, progress=progress)


def load_scenario(name_or_path: str | Path) -> LoadedScenario:
    """A bundled scenario by name (``bmdsim scenarios``) or a YAML file by path, validated. Its ``.scenario`` is
    the typed :class:`~bmdsim.scenario.schema.Scenario`; ``.text``/``.sha256``/``.source`` its provenance."""
    return _load(str(name_or_path))


def run(scenario: LoadedScenario | Scenario | str | Path, *, seed: int | None = None,
        progress: Callable[[str, int, int], None] | None = None) -> RunResult:
    """Run a scenario (a :func:`load_scenario` result, a :class:`Scenario`, or a name or path) and return the
    typed :class:`RunResult`. ``seed`` overrides the scenario's random seed; ``progress(step, done, total)`` is
    called as the steps advance."""
    from bmdsim.errors import InputError
    from bmdsim.scenario.run import run as _run

    if isinstance(scenario, str | Path):
        scenario = load_scenario(scenario)
    if isinstance(scenario, LoadedScenario):
        scn, prov, base_dir = scenario.scenario, dict(scenario_text=scenario.text, scenario_sha256=scenario.sha256,
                                                    scenario_source=scenario.source), scenario.base_dir
    elif isinstance(scenario, Scenario):
        scn, prov, base_dir = scenario, {}, None
    else:
        raise InputError("scenario", type(scenario).__name__, "pass bmdsim.load_scenario(NAME_OR_PATH), a "
                         "Scenario, or a bundled name or YAML path")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise InputError("seed", seed, "give a seed of 0 or more (an int)")
        scn = scn.model_copy(update={"seed": seed})
    base = _run(scn, progress, base_dir=base_dir, **prov)
    return RunResult(**{f.name: getattr(base, f.name) for f in dataclasses.fields(base)})


# --------------------------------------------------------------------------------------- focused questions
def _place(field: str, where) -> tuple[float, float]:
    from bmdsim.flight import sites

    if isinstance(where, str):
        return sites.resolve(field, where)
    try:
        lat, lon = (float(x) for x in where)
    except (TypeError, ValueError):
        from bmdsim.errors import InputError

        raise InputError(field, where, "give a site name (bmdsim sites) or a (latitude_deg, longitude_deg) "
                         "pair") from None
    return lat, lon


def fly(missile: str, launch, target, *, profile: str = DEFAULT_PROFILE, dt_s: float = 2.0):
    """Aim ``missile`` (catalog name) from ``launch`` at ``target`` (site names or ``(lat, lon)`` in degrees) and
    fly it with dense output every ``dt_s``: the flown :class:`~bmdsim.analysis.observe.Truth` (ECEF samples,
    burnout, apogee, impact, miss distance)."""
    from bmdsim.analysis.observe import fly_truth

    return fly_truth(missile, _place("launch", launch), _place("target", target), dt_s=dt_s, profile=profile)


def track(missile: str, launch, target, *, sensors=None, rcs_m2: float = 0.1, seed: int = 0,
          profile: str = DEFAULT_PROFILE, dt_s: float = 2.0):
    """Fly one threat and run ``sensors`` (catalog names; default the 2007 system that can see it) against it:
    detections, the fused track and its predicted impact points
    (:class:`~bmdsim.analysis.observe.ThreatObservation`; ``bmdsim track``). Its unseen part:
    :func:`bmdsim.analysis.observe.unseen_flight`."""
    import numpy as np

    from bmdsim.analysis import observe

    truth = fly(missile, launch, target, profile=profile, dt_s=dt_s)
    sens = observe.resolve_sensors(list(sensors)) if sensors is not None else None
    return observe.observe_threat(truth, sens, rng=np.random.default_rng(seed), rcs_m2=rcs_m2, object_id=missile)


def coverage(radar: str, altitude_km: float, *, rcs_m2: float = 1.0, refraction: str = "none"):
    """Where a target of ``rcs_m2`` at ``altitude_km`` is detected by catalog radar ``radar``
    (:func:`bmdsim.sensing.coverage.footprint`: outer boundary and area)."""
    from bmdsim.sensing import catalog
    from bmdsim.sensing import coverage as cov

    return cov.footprint(catalog.radar(radar), float(altitude_km) * 1e3, rcs_m2, refraction=refraction)


def check_airspace(path: str | Path, *, points_of_interest=(), home_countries=()):
    """Check the first aircraft track in a file (CSV/ADS-B, :func:`bmdsim.airspace.tracks.read_tracks`) against
    sovereign airspace and ``points_of_interest`` (site names): the JSON-ready report of
    :func:`bmdsim.airspace.check_track`."""
    import bmdsim.airspace as air
    from bmdsim.airspace.tracks import read_tracks
    from bmdsim.errors import InputError

    tracks = read_tracks(Path(path)).tracks
    if not tracks:
        raise InputError("path", str(path), "the file holds no usable track rows")
    pois = [air.PointOfInterest(name=p, latitude_deg=la, longitude_deg=lo)
            for p in points_of_interest for la, lo in [_place("points_of_interest", p)]]
    return air.check_track(tracks[0], pois=pois, home_countries=tuple(home_countries))


class catalogs:  # noqa: N801 (a namespace, used as bmdsim.catalogs.missiles())
    """The shipped catalogs: names of missiles, interceptors, radars, sites, defense sites and scenarios."""

    @staticmethod
    def missiles() -> list[str]:
        from bmdsim.flight import catalog

        return catalog.threat_names()

    @staticmethod
    def interceptors() -> list[str]:
        from bmdsim.flight import catalog

        return catalog.interceptor_names()

    @staticmethod
    def radars() -> list[str]:
        from bmdsim.sensing import catalog

        return catalog.radar_names()

    @staticmethod
    def sites() -> list[str]:
        from bmdsim.flight import sites

        return sorted(sites.all_sites())

    @staticmethod
    def defenses() -> list[str]:
        from bmdsim.engagement import defenses

        return defenses.names()

    @staticmethod
    def scenarios() -> list[str]:
        from bmdsim.scenario.load import bundled_names

        return bundled_names()
