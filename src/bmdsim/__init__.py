"""bmdsim: an open, physics-based simulator for ballistic missile defense and air surveillance.

The public Python API (``__all__``, pinned by ``tests/test_api.py``)::

    import bmdsim
    r = bmdsim.run(bmdsim.load_scenario("test-small"))
    r.tables()["outcomes"]          # every table of results.duckdb as a DataFrame
    r.write("out")                  # the output folder of `bmdsim run`

Layers (checked by import-linter, see ``pyproject.toml``): ``core`` (pure maths on arrays) <- ``flight`` <-
``sensing`` / ``engagement`` / ``airspace`` <- ``analysis`` <- ``scenario`` <- ``store`` / ``report`` <- ``cli``.
The names below are loaded on first use, so ``import bmdsim`` stays cheap.
"""

__version__ = "0.1.0"

#: public name -> (module, attribute)
_API = {
    "load_scenario": ("bmdsim.api", "load_scenario"),
    "run": ("bmdsim.api", "run"),
    "RunResult": ("bmdsim.api", "RunResult"),
    "Scenario": ("bmdsim.scenario.schema", "Scenario"),
    "fly": ("bmdsim.api", "fly"),
    "track": ("bmdsim.api", "track"),
    "coverage": ("bmdsim.api", "coverage"),
    "chase": ("bmdsim.analysis.chase", "chase"),
    "footprint": ("bmdsim.analysis.footprint", "footprint"),
    "check_airspace": ("bmdsim.api", "check_airspace"),
    "catalogs": ("bmdsim.api", "catalogs"),
    "errors": ("bmdsim.errors", None),
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'bmdsim' has no attribute {name!r}")
    import importlib

    mod, attr = _API[name]
    value = importlib.import_module(mod) if attr is None else getattr(importlib.import_module(mod), attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
