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
        known = sorted(known)
        close = get_close_matches(str(value), known, n=1)
        hint = (f"did you mean {close[0]!r}? " if close else "") + "known names: " + ", ".join(known)
        super().__init__(field, value, hint)

    def __str__(self) -> str:  # KeyError would repr() the message
        return Exception.__str__(self)


class UnreachableError(InputError):
    """A target lies beyond what a vehicle can reach."""


class DataError(BmdsimError):
    """A file the user named cannot be read or holds unusable content."""


class BmdsimWarning(UserWarning):
    """Input that is valid but looks like a mistake (e.g. latitude and longitude swapped); the command line
    prints it as one ``warning:`` line on stderr and goes on."""
