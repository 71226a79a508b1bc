"""Typed result records: one frozen, slotted dataclass per output table, its columns as fields with their units
in their names and their SQL type and meaning in the field metadata.

A record class is declared beside the analysis that produces it::

    @table("unseen", "How far each threat flies before any radar could detect it.")
    @dataclass(frozen=True, slots=True, kw_only=True)
    class Unseen:
        threat: str = text("raid name")
        unseen_ground_range_km: float = real("from the launch point")

(the ``real``/``text``/... helpers give a field without a default, so a missing column is a ``TypeError`` and a
misspelt one too). Fields that are not columns (arrays kept for plots, say) are declared with :func:`extra`.
The store layer derives the database schema and ``docs/database.md`` from these classes
(:func:`columns`); the rows of a table are either a list of records or a :class:`Columns` block (arrays, one
per column, checked against the class when it is built).

No I/O here, and nothing but the standard library and numpy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["table", "real", "integer", "bigint", "text", "flag", "extra", "columns", "Column", "Columns",
           "SchemaError", "is_table", "table_name", "table_doc", "as_rows"]

_SQL = "bmdsim_sql"
_DOC = "bmdsim_doc"


class SchemaError(TypeError):
    """A table's rows do not match its record class (a misspelt, missing or extra column)."""


def _col(sql: str, doc: str):
    return dataclasses.field(metadata={_SQL: sql, _DOC: doc})


def real(doc: str = ""):
    """A DOUBLE column (NaN is stored as NULL)."""
    return _col("DOUBLE", doc)


def integer(doc: str = ""):
    """An INTEGER column."""
    return _col("INTEGER", doc)


def bigint(doc: str = ""):
    """A BIGINT column."""
    return _col("BIGINT", doc)


def text(doc: str = ""):
    """A VARCHAR column (None is stored as NULL)."""
    return _col("VARCHAR", doc)


def flag(doc: str = ""):
    """A BOOLEAN column."""
    return _col("BOOLEAN", doc)


def extra(default=dataclasses.MISSING, *, default_factory=dataclasses.MISSING):
    """A field of the record that is not a column of its table (arrays kept for plots, say)."""
    return dataclasses.field(default=default, default_factory=default_factory, metadata={_SQL: None})


def table(name: str, doc: str):
    """Class decorator (outside ``@dataclass``): the class is the record of table ``name``. Every field must be a
    column (:func:`real`, :func:`text`, ...) or an :func:`extra`; checked here, at import time."""

    def wrap(cls):
        if not dataclasses.is_dataclass(cls):
            raise TypeError(f"@table({name!r}) goes above @dataclass on {cls.__name__}")
        for f in dataclasses.fields(cls):
            if _SQL not in f.metadata:
                raise TypeError(f"{cls.__name__}.{f.name}: declare it with real/integer/text/flag/extra")
        cls.__bmdsim_table__ = name
        cls.__bmdsim_table_doc__ = doc
        return cls

    return wrap


def is_table(cls) -> bool:
    return isinstance(cls, type) and hasattr(cls, "__bmdsim_table__")


def table_name(cls) -> str:
    return cls.__bmdsim_table__


def table_doc(cls) -> str:
    return cls.__bmdsim_table_doc__


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    sql: str
    doc: str


def columns(cls) -> list[Column]:
    """The columns of a record class, in field order."""
    return [Column(f.name, f.metadata[_SQL], f.metadata[_DOC]) for f in dataclasses.fields(cls)
            if f.metadata[_SQL] is not None]


@dataclass(frozen=True, slots=True)
class Columns:
    """Many rows of table ``cls`` as arrays of equal length, one per column; a missing, extra or misspelt column
    is a :class:`SchemaError` when the block is built."""

    cls: type
    data: Mapping[str, object]

    def __post_init__(self):
        want = [c.name for c in columns(self.cls)]
        got = list(self.data)
        missing = [c for c in want if c not in self.data]
        unknown = [c for c in got if c not in want]
        if missing or unknown:
            raise SchemaError(f"rows of table {table_name(self.cls)!r}: missing columns {missing}, unknown "
                              f"columns {unknown} (the columns are those of {self.cls.__name__})")
        sizes = {c: np.size(v) if np.ndim(v) else 1 for c, v in self.data.items()}
        n = max(sizes.values(), default=0)
        bad = {c: s for c, s in sizes.items() if s not in (n, 1)}
        if bad:
            raise SchemaError(f"rows of table {table_name(self.cls)!r}: columns of unequal length {bad} (want {n})")

    def __len__(self) -> int:
        return max((np.size(v) for v in self.data.values() if np.ndim(v)), default=0)


def as_rows(cls, items: Iterable) -> list[Columns]:
    """The rows of table ``cls`` from records of ``cls`` and :class:`Columns` blocks (in order), as column
    blocks. A record of another class is a :class:`SchemaError`."""
    names = [c.name for c in columns(cls)]
    out, recs = [], []

    def flush():
        if recs:
            out.append(Columns(cls, {n: [getattr(r, n) for r in recs] for n in names}))
            recs.clear()

    for it in items:
        if isinstance(it, Columns):
            if it.cls is not cls:
                raise SchemaError(f"rows of {it.cls.__name__} given for table {table_name(cls)!r}")
            flush()
            out.append(it)
        elif type(it) is cls:
            recs.append(it)
        else:
            raise SchemaError(f"a {type(it).__name__} given as a row of table {table_name(cls)!r} "
                              f"(want {cls.__name__})")
    flush()
    return out
