"""Test configuration: the Stone Soup oracle module is only collectable (for doctests) where Stone Soup is
installed; the tests that use it skip themselves otherwise."""

import importlib.util

collect_ignore = [] if importlib.util.find_spec("stonesoup") else ["stonesoup_models.py"]
