"""bmdsim.airspace: aircraft tracks against sovereign airspace, coasts, places and usual routes.

Did a track enter a country's territorial airspace (land plus 12 nautical miles of sea from the coast), how
close did it come to each coast and to named places, when, and how unusual was its route?

>>> from bmdsim.airspace import tu160_2007, check_track, NOORDWIJK
>>> r = check_track(tu160_2007(), pois=[NOORDWIJK], home_countries=("RUS",))
>>> r["entered_territorial_airspace"], round(r["cpa"][0]["distance_km"])
(False, 190)

Modules: :mod:`~bmdsim.airspace.tracks` (reading, interpolation), :mod:`~bmdsim.airspace.sovereign`
(territorial airspace), :mod:`~bmdsim.airspace.checks` (the checks), :mod:`~bmdsim.airspace.plot` (maps),
:mod:`~bmdsim.airspace.naturalearth` (shipped shapes), :mod:`~bmdsim.airspace.geo` (geodetic helpers).
"""

from __future__ import annotations

from functools import cache

from .checks import PointOfInterest, RouteCorridor, check_track, check_tracks, route_score
from .plot import draw_map, save_map
from .sovereign import TERRITORIAL_SEA_M, SovereignAirspace, default_airspace, read_zone_file
from .tracks import Track, bundled_track_path, read_tracks, track_from_arrays, tracks_from_frame

__all__ = ["Track", "read_tracks", "tracks_from_frame", "track_from_arrays", "PointOfInterest",
           "RouteCorridor", "check_track", "check_tracks", "route_score", "draw_map", "save_map",
           "SovereignAirspace", "default_airspace", "read_zone_file", "TERRITORIAL_SEA_M", "NOORDWIJK",
           "tu160_2007", "reference_corridor", "bomber_flight_check"]

#: Noordwijk (NATO defence ministers' meeting, 24-25 Oct 2007), town centre, approximate
NOORDWIJK = PointOfInterest(name="Noordwijk", latitude_deg=52.24, longitude_deg=4.43)


def tu160_2007() -> Track:
    """The NOTIONAL Tu-160 route of 25 Oct 2007 shipped in ``data/tracks/tu160-2007-10-25.csv``."""
    return read_tracks(bundled_track_path("tu160-2007-10-25")).tracks[0]


@cache
def reference_corridor() -> RouteCorridor:
    """The corridor of the shipped NOTIONAL reference set of usual long-range aviation routes (Kola, Barents
    and Norwegian Seas)."""
    refs = read_tracks(bundled_track_path("reference-lra-routes-notional")).tracks
    return RouteCorridor(refs, name="bundled notional usual routes (reference-lra-routes-notional)")


def bomber_flight_check(track: Track | None = None, *, pois=(NOORDWIJK,)) -> dict:
    """The checks for the scenario's bomber flight (default: :func:`tu160_2007`), as a JSON-ready dict.

    Russia is the home country (its own airspace is no violation); the score is against
    :func:`reference_corridor`.
    """
    return check_track(track or tu160_2007(), pois=list(pois), corridor=reference_corridor(),
                       home_countries=("RUS",))
