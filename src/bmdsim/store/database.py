"""The results database of a run: one DuckDB file, ``results.duckdb``, with documented tables.

The schema is derived from the record classes of the run (:data:`bmdsim.scenario.result.TABLES`: one frozen
dataclass per table, each column a field with its SQL type and meaning in the field's metadata); so is
``docs/database.md`` (:func:`markdown`). :func:`write_database` creates every table (empty ones too, so
queries never fail on a missing table) and fills it with exactly the DataFrames of
:meth:`~bmdsim.scenario.result.RunResult.tables`; :func:`read_tables` reads them back in the same dtypes.

Rows are written in a fixed order, and nothing but the ``run`` table's ``started_utc``/``finished_utc`` and
``timings_json`` depends on the clock: the same scenario and seed give the same contents.

Query it with any DuckDB client, e.g. ``duckdb results.duckdb "SELECT * FROM outcomes"`` or from Python:
``duckdb.connect("results.duckdb", read_only=True).sql("SELECT ...").df()``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from bmdsim.core.records import columns, table_doc, table_name
from bmdsim.scenario.result import DATABASE_SCHEMA_VERSION, RunResult, normalise
from bmdsim.scenario.result import TABLES as _CLASSES

__all__ = ["TABLES", "write_database", "read_tables", "markdown", "ddl"]

#: table name -> its record class, in the database's order
TABLES: dict[str, type] = {table_name(c): c for c in _CLASSES}


def _q(s: str) -> str:
    return s.replace("'", "''")


def ddl(cls) -> str:
    cols = ", ".join(f'"{c.name}" {c.sql}' for c in columns(cls))
    return f'CREATE TABLE "{table_name(cls)}" ({cols})'


def write_database(path: str | Path, result: RunResult) -> dict[str, int]:
    """Create the DuckDB file ``path`` (must not exist) with every table of :data:`TABLES`, filled from
    ``result.tables()``; returns the row count per table."""
    import duckdb

    data = result.tables()
    con = duckdb.connect(str(path))
    counts = {}
    try:
        for name, cls in TABLES.items():
            cols = columns(cls)
            con.execute(ddl(cls))
            con.execute(f"COMMENT ON TABLE \"{name}\" IS '{_q(table_doc(cls))}'")
            for c in cols:
                if c.doc:
                    con.execute(f"COMMENT ON COLUMN \"{name}\".\"{c.name}\" IS '{_q(c.doc)}'")
            df = data[name]
            if list(df.columns) != [c.name for c in cols]:
                raise TypeError(f"table {name}: columns {list(df.columns)} are not those of {cls.__name__}")
            if len(df):
                con.register("_rows", df)
                sel = ", ".join(f'CAST("{c.name}" AS {c.sql})' for c in cols)
                con.execute(f'INSERT INTO "{name}" SELECT {sel} FROM _rows')
                con.unregister("_rows")
            counts[name] = len(df)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def read_tables(path: str | Path) -> dict[str, pd.DataFrame]:
    """Every table of a results database, in the dtypes of ``RunResult.tables()`` (NULL as NaN/None/NA)."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        return {name: normalise(cls, con.sql(f'SELECT * FROM "{name}"').df()) for name, cls in TABLES.items()}
    finally:
        con.close()


def markdown() -> str:
    """The documentation of every table (``docs/database.md``)."""
    lines = ["# The results database (`results.duckdb`)", "",
             "Every `bmdsim run` writes one DuckDB file with the tables below (generated from the record classes "
             "listed in `bmdsim.scenario.result.TABLES`; `bmdsim.run(...).tables()` gives the same tables as "
             f"pandas DataFrames). Database schema version {DATABASE_SCHEMA_VERSION} (`run.database_schema_version`). "
             "Times `t_s` and `*_t_s` are seconds since the scenario epoch (`run.epoch_utc`); `*_after_launch_s` "
             "count from the threat's launch, other `*_s` are durations; angles in degrees, latitude before "
             "longitude; NULL means \"never happened\" or \"not computed\". The same scenario and seed give the "
             "same contents, except `run.started_utc`, `run.finished_utc` and `run.timings_json`.", "",
             "```sh", "duckdb out/results.duckdb \"SELECT threat, outcome FROM outcomes\"",
             "python -c \"import duckdb; print(duckdb.connect('out/results.duckdb', read_only=True)"
             ".sql('SELECT * FROM decision_times').df())\"", "```", ""]
    for name, cls in TABLES.items():
        lines += [f"## `{name}`", "", table_doc(cls), "",
                  f"Record: `{cls.__module__}.{cls.__qualname__}`", "",
                  "| column | type | meaning |", "| --- | --- | --- |"]
        lines += [f"| `{c.name}` | {c.sql} | {c.doc.replace('|', '/')} |" for c in columns(cls)]
        lines.append("")
    return "\n".join(lines)
