"""bmdsim: an open, physics-based simulator for ballistic missile defense and air surveillance.

Layers (checked by import-linter, see ``pyproject.toml``): ``core`` (pure maths on arrays) <- ``flight`` <-
``sensing`` / ``engagement`` / ``airspace`` <- ``analysis`` <- ``scenario`` <- ``store`` / ``report`` <- ``cli``.
"""

__version__ = "0.1.0"
