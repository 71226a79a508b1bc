"""Test configuration.

- The Stone Soup oracle module is only collectable (for doctests) where Stone Soup is installed; the tests that
  use it skip themselves otherwise.
- The disk cache of fan sectors (:mod:`bmdsim.engagement.fancache`) points at a fresh folder for the session
  (inherited by the CLI subprocesses the tests start), so the suite neither reads nor fills the user's cache and
  every session starts cold; within the session, a sector built by one test is loaded by the next.
"""

import importlib.util
import os
import shutil
import tempfile

collect_ignore = [] if importlib.util.find_spec("stonesoup") else ["stonesoup_models.py"]

_CACHE = tempfile.mkdtemp(prefix="bmdsim-test-cache-")
os.environ["BMDSIM_CACHE_DIR"] = _CACHE
os.environ.pop("BMDSIM_NO_CACHE", None)


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_CACHE, ignore_errors=True)
