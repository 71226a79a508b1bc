"""A sweep's plan: settings (``KEY=V1,V2,...`` with KEY a path into the scenario), their cartesian product as
cases, each validated by the scenario schema before any work starts, and one seed per (case, trial).

Seeds: ``numpy.random.SeedSequence(scenario_seed, spawn_key=(case words..., trial))``, where the case words come
from the case's identity (a hash of its key = value assignments, not its position in the product), so a trial's
draws never depend on the worker, the order of completion, the number of workers or which other cases are swept.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from bmdsim.errors import InputError
from bmdsim.scenario.load import LoadedScenario, ScenarioError, validate_text
from bmdsim.scenario.schema import Scenario

__all__ = ["Setting", "Case", "Plan", "parse_setting", "plan", "trial_seed", "MAX_CASES"]

MAX_CASES = 10_000   #: a sweep larger than this is a mistake in the --set lists more often than a plan
_INDEX = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True, slots=True)
class Setting:
    """One swept key: the path into the scenario (``interceptor_sites.0.interceptor``) and its values."""

    key: str
    path: tuple[str | int, ...]
    values: tuple

    @property
    def kind(self) -> str:
        """The column type of the values: ``bool``, ``int``, ``float`` or ``str``."""
        if all(isinstance(v, bool) for v in self.values):
            return "bool"
        if all(isinstance(v, int) and not isinstance(v, bool) for v in self.values):
            return "int"
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in self.values):
            return "float"
        return "str"

    def column(self, v):
        """``v`` as stored in this key's column (one type per column across every Parquet part)."""
        return {"bool": bool, "int": int, "float": float, "str": str}[self.kind](v)


@dataclass(frozen=True, slots=True)
class Case:
    """One point of the product: ``index`` in the product order, ``case_id`` from the assignments (stable)."""

    index: int
    case_id: str
    assignments: tuple[tuple[str, object], ...]
    text: str                 #: the case's scenario as YAML, validated

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={v}" for k, v in self.assignments) or "(scenario as given)"


@dataclass(frozen=True, slots=True)
class Plan:
    scenario: str             #: as the user named it (bundled name or path)
    source: str
    sha256: str
    seed: int
    base_dir: Path | None
    settings: tuple[Setting, ...]
    cases: tuple[Case, ...]
    trials: int

    def manifest(self) -> dict:
        """What identifies a sweep's results (``--resume`` refuses a folder written for another)."""
        return {"scenario": self.scenario, "source": self.source, "scenario_sha256": self.sha256, "seed": self.seed,
                "settings": [{"key": s.key, "values": list(s.values)} for s in self.settings]}

    def tasks(self):
        """Every (case, trial) in product order."""
        return [(c, t) for c in self.cases for t in range(self.trials)]


def _scalar(key: str, text: str):
    text = text.strip()
    if not text:
        raise InputError(f"settings[{key}]", text, "an empty value; give KEY=V1,V2,... with no empty items")
    try:
        v = yaml.safe_load(text)
    except yaml.YAMLError:
        v = text
    if isinstance(v, dict | list) or v is None:
        raise InputError(f"settings[{key}]", text, "give plain values (numbers, names, true/false); lists and "
                         "mappings cannot be swept")
    return v


def parse_setting(text: str) -> Setting:
    """Parse ``KEY=V1,V2,...``; KEY is dotted (``interceptor_sites.0.doctrine.single_shot_kill_probability``,
    ``interceptor_sites[0].interceptor`` also works); values are read as YAML scalars.

    >>> s = parse_setting("interceptor_sites.0.doctrine.single_shot_kill_probability=0.5,0.7,0.9")
    >>> s.path, s.values, s.kind
    (('interceptor_sites', 0, 'doctrine', 'single_shot_kill_probability'), (0.5, 0.7, 0.9), 'float')
    """
    key, sep, vals = str(text).partition("=")
    key = _INDEX.sub(r".\1", key.strip()).strip(".")
    if not sep or not key:
        raise InputError("settings", text, "give KEY=V1,V2,..., e.g. interceptor_sites.0.interceptor=gbi2-6.3,gbi2-7.7")
    path = tuple(int(p) if p.isdigit() else p for p in key.split("."))
    if any(p == "" for p in path):
        raise InputError("settings", text, "the key has an empty part; write it like interceptor_sites.0.interceptor")
    if path[0] == "seed":
        raise InputError("settings", text, "the seed is not swept; every case runs `trials` seeded trials")
    if path[0] == "name":
        raise InputError("settings", text, "the scenario name labels the sweep; sweep its contents instead")
    values = tuple(_scalar(key, v) for v in vals.split(","))
    if len(set(map(repr, values))) != len(values):
        raise InputError(f"settings[{key}]", vals, "a value appears twice; give each value once")
    return Setting(key, path, values)


def _assign(data: dict, s: Setting, value) -> None:
    node, where = data, []
    for part in s.path[:-1]:
        where.append(str(part))
        node = _step(node, part, s, where, create=True)
    last = s.path[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or not 0 <= last < len(node):
            raise InputError(f"settings[{s.key}]", value, f"{'.'.join(where) or 'the scenario'} is a list of "
                             f"{len(node)}; give an index from 0 to {len(node) - 1}")
        node[last] = value
    elif isinstance(node, dict):
        if isinstance(last, int):
            raise InputError(f"settings[{s.key}]", value, f"{'.'.join(where)} is a mapping, not a list; name a key")
        node[last] = value
    else:
        raise InputError(f"settings[{s.key}]", value, f"{'.'.join(where)} is a plain value; the key goes too deep")


def _step(node, part, s: Setting, where: list[str], *, create: bool):
    path = ".".join(where)
    if isinstance(node, list):
        if not isinstance(part, int) or not 0 <= part < len(node):
            raise InputError(f"settings[{s.key}]", part, f"{'.'.join(where[:-1]) or 'the scenario'} is a list of "
                             f"{len(node)} items; give an index from 0 to {len(node) - 1}")
        return node[part]
    if isinstance(node, dict):
        if isinstance(part, int):
            raise InputError(f"settings[{s.key}]", part, f"{'.'.join(where[:-1]) or 'the scenario'} is a mapping; "
                             "name a key, not an index")
        if part not in node and create:
            node[part] = {}          # a section left to its defaults (e.g. doctrine); the schema checks the key
        return node[part]
    raise InputError(f"settings[{s.key}]", part, f"{path} is a plain value; the key goes too deep")


def _validated(ls: LoadedScenario, data: dict, what: str, assignments) -> str:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    try:
        validate_text(f"{ls.source} with {what}", text, base_dir=ls.base_dir)
    except ScenarioError as exc:
        probs = "; ".join(f"{p.path}: {p.message}" if p.path else p.message for p in exc.problems)
        key, value = assignments[0] if len(assignments) == 1 else ("settings", what)
        raise InputError(f"settings[{key}]" if len(assignments) == 1 else "settings", value,
                         f"the scenario rejects it: {probs}") from None
    return text


def case_id(assignments) -> str:
    """16 hex digits naming a case by its assignments (order of the --set options does not matter)."""
    blob = json.dumps(sorted([k, repr(v)] for k, v in assignments), separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def trial_seed(scenario_seed: int, case: str, trial: int) -> int:
    """The seed of one trial (0 <= seed < 2**63), from the scenario seed, the case id and the trial number.

    >>> c = "00000000000000ff"
    >>> trial_seed(7, c, 0) == trial_seed(7, c, 0) != trial_seed(7, c, 1)
    True
    """
    words = (int(case[:8], 16), int(case[8:16], 16))
    a, b = np.random.SeedSequence(int(scenario_seed), spawn_key=(*words, int(trial))).generate_state(2, np.uint32)
    return (int(a) << 31) ^ int(b)


def plan(ls: LoadedScenario, scenario: str, settings: list[Setting], *, trials: int) -> Plan:
    """The validated plan: every case of the product checked by the scenario schema (each value alone first, so
    an error names the one key and value at fault)."""
    if trials < 1 or trials > 1_000_000:
        raise InputError("trials", trials, "give a number of trials from 1 to 1,000,000")
    keys = [s.key for s in settings]
    for k in keys:
        if keys.count(k) > 1:
            raise InputError("settings", k, "this key is set twice; give all its values in one KEY=V1,V2,...")
    n = 1
    for s in settings:
        n *= len(s.values)
    if n > MAX_CASES:
        raise InputError("settings", n, f"the product has {n:,} cases (more than {MAX_CASES:,}); sweep fewer values")
    base = yaml.safe_load(ls.text)
    for s in settings:             # each value alone: the error names it
        for v in s.values:
            d = copy.deepcopy(base)
            _assign(d, s, v)
            _validated(ls, d, f"{s.key}={v}", [(s.key, v)])
    cases = []
    for i, combo in enumerate(itertools.product(*[s.values for s in settings])):
        d = copy.deepcopy(base)
        assignments = tuple((s.key, v) for s, v in zip(settings, combo, strict=True))
        for s, v in zip(settings, combo, strict=True):
            _assign(d, s, v)
        label = ", ".join(f"{k}={v}" for k, v in assignments)
        text = _validated(ls, d, label or "no change", assignments) if settings else ls.text
        cases.append(Case(i, case_id(assignments), assignments, text))
    return Plan(scenario=scenario, source=ls.source, sha256=ls.sha256, seed=ls.scenario.seed, base_dir=ls.base_dir,
                settings=tuple(settings), cases=tuple(cases), trials=trials)


def case_scenario(plan_: Plan, case: Case, trial: int) -> Scenario:
    """The case's scenario with the trial's seed (validated again where it runs: the text is what travels)."""
    scn = validate_text(f"{plan_.source} case {case.case_id}", case.text, base_dir=plan_.base_dir)
    return scn.model_copy(update={"seed": trial_seed(plan_.seed, case.case_id, trial)})
