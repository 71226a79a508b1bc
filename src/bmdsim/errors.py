"""The one exception tree of bmdsim.

Every error a user can cause derives from :class:`BmdsimError`; the command line turns it into a message and
exit code 2 (bad input) without a traceback. Messages name the field, the bad value and how to fix it.

- ``BmdsimError``
  - ``InputError``: a value given by the user is invalid (``field``, ``value``, ``hint``).
    - ``UnknownNameError``: a catalog name that does not exist (lists the known names).
    - ``UnreachableError``: a target beyond the reach of a vehicle.
  - ``DataError``: a file the user named cannot be read or has unusable content.
- ``BmdsimWarning`` (a ``UserWarning``): valid input that looks like a mistake.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import get_close_matches


def did_you_mean(value: object, known: Iterable[str], *, label: str = "known names", limit: int | None = None) -> str:
    """The one "did you mean" of bmdsim: the closest of ``known`` to ``value`` (if any is close), then ``label``
    and the known names, sorted (the first ``limit`` of them, then "...").

    >>> did_you_mean("brdz", ["fylingdales", "brdy"])
    "did you mean 'brdy'? known names: brdy, fylingdales"
    """
    known = sorted(known)
    close = get_close_matches(str(value), known, n=1)
    shown = known if limit is None else known[:limit]
    more = ", ..." if limit is not None and len(known) > limit else ""
    return (f"did you mean {close[0]!r}? " if close else "") + f"{label}: " + ", ".join(shown) + more


class BmdsimError(Exception):
    """Base of every error bmdsim raises on purpose."""


class InputError(BmdsimError, ValueError):
    """A user-supplied value is invalid.

    >>> str(InputError("latitude_deg", 95, "use a latitude between -90 and 90"))
    'latitude_deg = 95: use a latitude between -90 and 90'
    """

    def __init__(self, field: str, value: object, hint: str):
        self.field = field
        self.value = value
        self.hint = hint
        super().__init__(f"{field} = {value!r}: {hint}" if not isinstance(value, int | float) else
                         f"{field} = {value}: {hint}")


class UnknownNameError(InputError, KeyError):
    """A catalog name that does not exist.

    >>> e = UnknownNameError("missile", "shahab", ["shahab-3", "sejjil-2"])
    >>> "did you mean 'shahab-3'" in str(e)
    True
    """

    def __init__(self, field: str, value: str, known: Iterable[str]):
        super().__init__(field, value, did_you_mean(value, known))

    def __str__(self) -> str:  # KeyError would repr() the message
        return Exception.__str__(self)


class UnreachableError(InputError):
    """A target lies beyond what a vehicle can reach."""


class DataError(BmdsimError):
    """A file the user named cannot be read or holds unusable content."""


class BmdsimWarning(UserWarning):
    """Input that is valid but looks like a mistake (e.g. latitude and longitude swapped); the command line
    prints it as one ``warning:`` line on stderr and goes on."""
