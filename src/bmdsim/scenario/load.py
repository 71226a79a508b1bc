"""Load scenarios: bundled ones by name, or a user's YAML file. Safe YAML only (no code, no includes)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from bmdsim.errors import DataError, InputError, UnknownNameError
from bmdsim.scenario.schema import Scenario

__all__ = ["bundled_names", "load", "load_text"]


def bundled_names() -> list[str]:
    root = resources.files("bmdsim.data.scenarios")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


def load_text(name: str, text: str) -> Scenario:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DataError(f"{name}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise DataError(f"{name}: a scenario is a YAML mapping with keys name, epoch_utc, threats, ...")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = ".".join(str(p) for p in err["loc"])
        raise InputError(f"{name}: {path}", err.get("input"), err["msg"]) from None


def load(ref: str) -> tuple[Scenario, str]:
    """A bundled scenario by name, or a YAML file by path; returns the scenario and its source text."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise InputError("scenario", ref, "no such file; give a YAML file or a bundled name: "
                             + ", ".join(bundled_names()))
        text = p.read_text(encoding="utf-8")
        return load_text(str(p), text), text
    if ref not in bundled_names():
        raise UnknownNameError("scenario", ref, bundled_names())
    text = resources.files("bmdsim.data.scenarios").joinpath(f"{ref}.yaml").read_text(encoding="utf-8")
    return load_text(ref, text), text
