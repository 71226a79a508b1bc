"""A sweep's output folder: one Parquet part per finished (case, trial), written atomically as each result
arrives, plus one DuckDB file (``sweep.duckdb``) kept current from the parts.

The parts are the record: a part exists only once complete (written beside, then renamed), so a killed sweep
keeps every trial that finished, and ``--resume`` runs only the (case, trial) pairs without a part. The database
is rebuilt from the parts when a sweep starts or resumes and when it ends, and appended to (with a primary key on
case and trial) as parts arrive; a part written just before a kill and not yet in the database is picked up by
the next rebuild, so nothing is lost or counted twice.

Tables (``sweep.duckdb``):

- ``trials``: one row per case and trial: ``case_index``, ``case_id``, ``trial``, ``seed``, one column per swept
  key (named as the key, e.g. ``"interceptor_sites.0.interceptor"``; quote it in SQL), ``error`` (NULL when the
  run succeeded) and the figures of :data:`bmdsim.sweep.figures.COLUMNS`.
- ``trial_runs``: per case and trial, the wall time, the worker that ran it and when it started and finished on
  the worker (seconds since 1970, UTC; a timeline of the sweep). These depend on the cluster, so they are kept out
  of ``trials``, which is identical for any worker count.
- ``cases``: per case, its index, id, label and the scenario YAML it ran.
- ``sweep``: one row: the manifest (scenario, its SHA-256, seed, settings) as JSON and the trials per case.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from bmdsim.errors import InputError
from bmdsim.sweep.cases import Plan
from bmdsim.sweep.figures import COLUMNS

__all__ = ["SweepStore", "DATABASE", "MANIFEST", "PARTS"]

DATABASE = "sweep.duckdb"
MANIFEST = "sweep.json"
PARTS = "parts"


def _arrow_type(sql: str):
    import pyarrow as pa

    return {"VARCHAR": pa.string(), "DOUBLE": pa.float64(), "BIGINT": pa.int64(), "BOOLEAN": pa.bool_()}[sql]


_KIND_SQL = {"bool": "BOOLEAN", "int": "BIGINT", "float": "DOUBLE", "str": "VARCHAR"}
#: ``trial_runs``' columns after case and trial: how and where each trial ran (not in ``trials``: they depend on
#: the cluster)
_RUN_COLUMNS = (("elapsed_s", "DOUBLE"), ("worker", "VARCHAR"), ("started_unix_s", "DOUBLE"),
                ("finished_unix_s", "DOUBLE"))


class SweepStore:
    """The output folder of one sweep (see the module docstring)."""

    def __init__(self, out: Path, plan: Plan, *, resume: bool):
        self.out = Path(out)
        self.plan = plan
        self.manifest = plan.manifest()
        self.manifest_sha = hashlib.sha256(json.dumps(self.manifest, sort_keys=True, default=str)
                                           .encode("utf-8")).hexdigest()
        self.parts = self.out / PARTS
        self._check_folder(resume)
        self.parts.mkdir(parents=True, exist_ok=True)
        (self.out / MANIFEST).write_text(json.dumps({**self.manifest, "trials": plan.trials}, indent=1, default=str),
                                         encoding="utf-8")
        self.columns = ([("case_index", "BIGINT"), ("case_id", "VARCHAR"), ("trial", "BIGINT"), ("seed", "BIGINT")]
                        + [(s.key, _KIND_SQL[s.kind]) for s in plan.settings] + [("error", "VARCHAR")]
                        + [(k, t) for k, (t, _) in COLUMNS.items()])
        self._con = None

    # ---------------------------------------------------------------------------------------------- folder
    def _check_folder(self, resume: bool) -> None:
        out = self.out
        if out.exists() and not out.is_dir():
            raise InputError("out", str(out), "this is a file; give a folder for the sweep")
        if not out.is_dir() or not any(out.iterdir()):
            return
        mf = out / MANIFEST
        if not mf.is_file():
            raise InputError("out", str(out), "this folder holds other files and no sweep; give a new or empty "
                             "folder")
        if not resume:
            raise InputError("out", str(out), "this folder holds a sweep already; give `resume` to run what is "
                             "missing, or a new folder")
        try:
            old = json.loads(mf.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError("out", str(out), f"{MANIFEST} cannot be read; give a new folder") from None
        old.pop("trials", None)
        mine = json.loads(json.dumps(self.manifest, default=str))
        if old != mine:
            diff = sorted(k for k in set(old) | set(mine) if old.get(k) != mine.get(k))
            raise InputError("resume", str(out), f"the folder holds a different sweep (differs in: "
                             f"{', '.join(diff)}); give the same scenario and `settings`, or a new folder")

    def part_path(self, case_id: str, trial: int) -> Path:
        return self.parts / f"{case_id}-{trial:07d}.parquet"

    def done(self) -> set[tuple[str, int]]:
        """The (case_id, trial) pairs with a complete part."""
        out = set()
        for p in self.parts.glob("*.parquet"):
            cid, _, t = p.stem.partition("-")
            if t.isdigit():
                out.add((cid, int(t)))
        return out

    # ---------------------------------------------------------------------------------------------- writes
    def _schema(self):
        import pyarrow as pa

        return pa.schema([(n, _arrow_type(t)) for n, t in self.columns]
                         + [(n, _arrow_type(t)) for n, t in _RUN_COLUMNS])

    def write(self, row: dict) -> None:
        """Write one finished trial (its row holds every column of :attr:`columns` plus those of
        ``trial_runs``) as a part, atomically, and append it to the database."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = self._schema()
        table = pa.Table.from_pylist([{n: row.get(n) for n in schema.names}], schema=schema)
        final = self.part_path(row["case_id"], row["trial"])
        fd, tmp = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=".partial", dir=self.parts)
        os.close(fd)
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, final)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        con = self.connect()
        exists = con.execute("SELECT count(*) FROM trials WHERE case_id = ? AND trial = ?",
                             [row["case_id"], row["trial"]]).fetchone()[0]
        if not exists:
            self._insert(con, f"read_parquet('{_sql_path(final)}')")

    # ---------------------------------------------------------------------------------------------- database
    def connect(self):
        if self._con is None:
            import duckdb

            self._con = duckdb.connect(str(self.out / DATABASE))
        return self._con

    def _insert(self, con, source: str) -> None:
        names = ", ".join(_q(n) for n, _ in self.columns)
        con.execute(f"INSERT INTO trials SELECT {names} FROM {source}")
        con.execute(f"INSERT INTO trial_runs SELECT case_id, trial, {', '.join(n for n, _ in _RUN_COLUMNS)} "
                    f"FROM {source}")

    def rebuild(self) -> int:
        """(Re)create every table from the parts; returns the number of trials stored."""
        con = self.connect()
        cols = ", ".join(f"{_q(n)} {t}" for n, t in self.columns)
        con.execute("BEGIN")
        con.execute("DROP TABLE IF EXISTS trials")
        con.execute("DROP TABLE IF EXISTS trial_runs")
        con.execute(f"CREATE TABLE trials ({cols}, PRIMARY KEY (case_id, trial))")
        con.execute(f"CREATE TABLE trial_runs (case_id VARCHAR, trial BIGINT, "
                    f"{', '.join(f'{n} {t}' for n, t in _RUN_COLUMNS)}, PRIMARY KEY (case_id, trial))")
        parts = sorted(self.parts.glob("*.parquet"))
        if parts:
            src = (f"(SELECT * FROM read_parquet('{_sql_path(self.parts)}/*.parquet', union_by_name = true) "
                   "ORDER BY case_index, trial)")     # by name: parts of an older sweep lack the start/end times
            self._insert(con, src)
        for n, (_, meaning) in COLUMNS.items():
            con.execute(f"COMMENT ON COLUMN trials.{_q(n)} IS '{_sql_str(meaning)}'")
        for s in self.plan.settings:
            con.execute(f"COMMENT ON COLUMN trials.{_q(s.key)} IS 'swept: {_sql_str(s.key)}'")
        con.execute("COMMENT ON TABLE trials IS 'one row per case and trial of the sweep'")
        con.execute("CREATE OR REPLACE TABLE cases (case_index BIGINT, case_id VARCHAR, label VARCHAR, "
                    "scenario_yaml VARCHAR)")
        con.executemany("INSERT INTO cases VALUES (?, ?, ?, ?)",
                        [[c.index, c.case_id, c.label, c.text] for c in self.plan.cases])
        con.execute("CREATE OR REPLACE TABLE sweep (manifest_json VARCHAR, manifest_sha256 VARCHAR, "
                    "trials_per_case BIGINT, cases BIGINT)")
        con.execute("INSERT INTO sweep VALUES (?, ?, ?, ?)",
                    [json.dumps(self.manifest, default=str), self.manifest_sha, self.plan.trials,
                     len(self.plan.cases)])
        con.execute("COMMIT")
        return con.execute("SELECT count(*) FROM trials").fetchone()[0]

    def table(self, sql: str = "SELECT * FROM trials ORDER BY case_index, trial"):
        """A query on the sweep database as a pandas DataFrame."""
        return self.connect().execute(sql).df()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_str(s: str) -> str:
    return s.replace("'", "''")


def _sql_path(p: Path) -> str:
    return _sql_str(str(Path(p).resolve()).replace("\\", "/"))
