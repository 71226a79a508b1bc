"""Shared helpers of the command-line tests."""

import json

from bmdsim.cli import main


def run_json(capsys, *args):
    """Run ``bmdsim ARGS --json`` in-process; assert exit code 0 and return the parsed JSON object."""
    code = main([*args, "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)
