"""Shared helpers of the command-line tests."""

import json

import duckdb

from bmdsim.cli import main


def run_json(capsys, *args):
    """Run ``bmdsim ARGS --json`` in-process; assert exit code 0 and return the parsed JSON object."""
    code = main([*args, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)


def db_dicts(path, sql):
    """The rows of ``sql`` on the results database at ``path`` (opened read-only) as dicts by column name."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()
