"""The user install (``pip install -e .``, runtime dependencies only, at the newest versions pip resolves) runs
the command line: a fresh virtual environment gets the package without the dev extra (whose test oracles pin
pandas below 3), plus pytest and hypothesis, and runs the CLI error, validation and fuzz tests there.

It installs from the package index, so it runs in CI (``CI=true``) or when ``BMDSIM_TEST_LEAN=1``; it takes a
few minutes (pip and the first import)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTS = ["tests/test_cli_errors.py", "tests/test_input_validation.py", "tests/test_fuzz.py",
         "tests/test_export_escaping.py"]


def _enabled() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true") or os.environ.get("BMDSIM_TEST_LEAN") == "1"


@pytest.mark.slow
@pytest.mark.skipif(not _enabled(), reason="installs from the package index: set CI=true or BMDSIM_TEST_LEAN=1")
def test_user_install_runs_the_cli_tests_on_the_newest_versions(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "-e", str(ROOT), "pytest", "hypothesis"], check=True,
                   timeout=1800)
    # nothing at run time imports a dev-only dependency
    probe = ("import importlib.util, sys; import bmdsim.cli, bmdsim.scenario.run, bmdsim.report.html, "
             "bmdsim.store.database; bad = [m for m in ('traffic', 'stonesoup', 'importlinter') if m in sys.modules]; "
             "sys.exit(f'runtime imported {bad}' if bad else 0)")
    subprocess.run([str(py), "-c", probe], check=True, timeout=600, cwd=tmp_path)
    p = subprocess.run([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x", *TESTS], cwd=ROOT,
                       capture_output=True, text=True, timeout=2400)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-2000:]
    versions = subprocess.run([str(py), "-m", "pip", "list"], capture_output=True, text=True).stdout
    print(versions)   # which versions this ran on, in the CI log
