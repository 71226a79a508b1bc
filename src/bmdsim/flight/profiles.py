"""The one home of the trajectory profile names (what :func:`bmdsim.flight.targeting.solve` flies), their
default, the text that lists them and the check of a given name, used by targeting, the scenario schema and
the command line.

>>> check_profile("profile", "lofted")
'lofted'
>>> PROFILES_TEXT
'minimum-energy, lofted, depressed or maximum-range'
"""

from __future__ import annotations

from bmdsim.errors import InputError

__all__ = ["PROFILES", "DEFAULT_PROFILE", "PROFILES_TEXT", "check_profile", "profile_problem"]

#: minimum-energy (least burnout energy), lofted / depressed (above / below it), maximum-range (full burn)
PROFILES = ("minimum-energy", "lofted", "depressed", "maximum-range")
DEFAULT_PROFILE = "minimum-energy"
PROFILES_TEXT = ", ".join(PROFILES[:-1]) + " or " + PROFILES[-1]


def profile_problem(profile: str) -> str | None:
    """The message for an unknown profile name, or None."""
    return None if profile in PROFILES else "use one of " + ", ".join(PROFILES)


def check_profile(field: str, profile: str) -> str:
    """``profile`` if it is one of :data:`PROFILES`, else :class:`InputError` on ``field``."""
    problem = profile_problem(profile)
    if problem:
        raise InputError(field, profile, problem)
    return profile
