"""Load scenarios: bundled ones by name, or a user's YAML file, into a validated :class:`Scenario`.

Safety: YAML is read with the safe loader only (no tags that build Python objects), anchors and aliases are
refused (no exponential "billion laughs" documents), and files the scenario names (aircraft tracks) must lie in
the scenario's own folder or below (:func:`resolve_path`).

Errors carry positions: the document is composed into PyYAML nodes (each with its line and column), pydantic's
error locations (``('threats', 3, 'missile')``) are walked down those nodes, and every problem is reported as
``FILE:LINE:COLUMN: PATH = VALUE: HOW TO FIX`` (all problems at once, in file order). Unknown keys get a
"did you mean" from the allowed keys of that place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath

import yaml
from pydantic import BaseModel, ValidationError

from bmdsim.errors import DataError, InputError, UnknownNameError, did_you_mean
from bmdsim.scenario.schema import Scenario

__all__ = ["bundled_names", "load", "load_text", "Problem", "ScenarioError", "LoadedScenario", "resolve_path",
           "validate_text", "MAX_BYTES"]

MAX_BYTES = 2_000_000  #: a scenario is a description, not a data file
MAX_DEPTH = 20  #: nesting of mappings and lists (the schema needs 5); deeper is refused before parsing


class _Loader(yaml.SafeLoader):
    """The safe loader without YAML's implicit timestamps: an epoch stays text for the schema to parse and check
    with a positioned message (PyYAML's own conversion raises a bare ValueError on ``2007-13-45``)."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem, positioned in the file (line and column from 1)."""

    file: str
    line: int
    column: int
    path: str
    value: object
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        if self.path:
            val = "" if self.value is _MISSING else f" = {self.value!r}"
            return f"{where}: {self.path}{val}: {self.message}"
        return f"{where}: {self.message}"


_MISSING = type("_Missing", (), {"__repr__": lambda self: "<missing>"})()


class ScenarioError(InputError):
    """A scenario file with one or more problems; ``problems`` holds them, ``str()`` lists them."""

    def __init__(self, source: str, problems: list[Problem]):
        self.problems = problems
        self.source = source
        n = len(problems)
        head = f"{source}: {n} problem{'s' if n != 1 else ''} in the scenario"
        Exception.__init__(self, head + "\n" + "\n".join(f"  {p}" for p in problems))
        self.field, self.value, self.hint = "scenario", source, head

    def __str__(self) -> str:
        return Exception.__str__(self)


@dataclass(frozen=True, slots=True)
class LoadedScenario:
    """A validated scenario with its source: the text, its SHA-256, where it came from, and its folder (for
    files it names; None for bundled scenarios, which may only name bundled data)."""

    scenario: Scenario
    text: str
    sha256: str
    source: str
    base_dir: Path | None


def bundled_names() -> list[str]:
    root = resources.files("bmdsim.data.scenarios")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".yaml"))


# ------------------------------------------------------------------------------------------ positions
def _key_node(mapping: yaml.MappingNode, key: str):
    for k, v in mapping.value:
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return k, v
    return None, None


def _walk(root, loc) -> tuple[yaml.Node, list, bool]:
    """The deepest node along ``loc`` (pydantic's error location) and the parts of ``loc`` reached."""
    node, reached = root, []
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            k, v = _key_node(node, part)
            if k is None:
                break
            reached.append(part)
            node = v
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            reached.append(part)
            node = node.value[part]
        elif isinstance(part, str) and "[" in part:
            continue  # pydantic's tags for validators and union members
        else:
            break
    return node, reached, False


def _fmt_path(loc) -> str:
    out = ""
    for p in loc:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, str) and ("[" in p and "]" in p):
            continue
        else:
            out += ("." if out else "") + str(p)
    return out


def _model_at(loc) -> type[BaseModel] | None:
    """The pydantic model that owns the mapping at ``loc`` (for "did you mean" on unknown keys)."""
    import typing

    model: object = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        f = model.model_fields.get(part)
        if f is None:
            return None
        ann = f.annotation
        # unwrap list[X], X | None
        for _ in range(3):
            args = typing.get_args(ann)
            if not args:
                break
            cand = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if cand:
                ann = cand[0]
                break
            ann = args[0]
        model = ann
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _mark(node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _problems_from_validation(source: str, root, exc: ValidationError) -> list[Problem]:
    out = []
    for err in exc.errors(include_url=False):
        loc = list(err["loc"])
        typ = err["type"]
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, "):]
        if typ == "extra_forbidden":
            parent_loc, key = loc[:-1], loc[-1]
            parent, _, _ = _walk(root, parent_loc)
            k, _v = _key_node(parent, str(key)) if isinstance(parent, yaml.MappingNode) else (None, None)
            model = _model_at([p for p in parent_loc if not (isinstance(p, str) and "[" in p)])
            allowed = sorted(model.model_fields) if model else []
            hint = did_you_mean(key, allowed, label="allowed keys here") if allowed else "remove it"
            line, col = _mark(k if k is not None else parent)
            out.append(Problem(source, line, col, _fmt_path(loc), _MISSING, f"unknown key; {hint}"))
            continue
        node, reached, _ = _walk(root, loc)
        line, col = _mark(node)
        if typ == "missing":
            field = loc[-1]
            model = _model_at([p for p in loc[:-1] if not (isinstance(p, str) and "[" in p)])
            desc = ""
            if model is not None and field in model.model_fields and model.model_fields[field].description:
                desc = f" ({model.model_fields[field].description})"
            out.append(Problem(source, line, col, _fmt_path(loc), _MISSING,
                               f"required key missing; add '{field}:'{desc} to this mapping"))
            continue
        value = err.get("input", _MISSING)
        if isinstance(value, dict | list):
            value = _MISSING
        hint = msg
        if typ in ("int_parsing", "float_parsing", "int_type", "float_type"):
            hint += "; give a plain number (units are in the key's name)"
        elif typ.startswith("datetime"):
            hint += "; give a UTC time like 2007-10-25T12:00:00Z"
        elif typ == "literal_error":
            pass
        out.append(Problem(source, line, col, _fmt_path(loc), value, hint))
    return out


_OPEN = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
         yaml.FlowSequenceStartToken)
_CLOSE = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def _no_aliases(source: str, text: str) -> None:
    """Refuse anchors, aliases, tags and nesting deeper than :data:`MAX_DEPTH`, from the token stream (the
    scanner is iterative; PyYAML's composer recurses and would hit Python's recursion limit first)."""
    depth = 0
    try:
        for tok in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(tok, _OPEN):
                depth += 1
                if depth > MAX_DEPTH:
                    m = tok.start_mark
                    raise ScenarioError(source, [Problem(source, m.line + 1, m.column + 1, "", _MISSING,
                                                         f"nested more than {MAX_DEPTH} levels deep; a scenario "
                                                         "needs a few levels (see bmdsim/data/scenarios/)")])
            elif isinstance(tok, _CLOSE):
                depth -= 1
            if isinstance(tok, yaml.AliasToken | yaml.AnchorToken):
                m = tok.start_mark
                raise ScenarioError(source, [Problem(source, m.line + 1, m.column + 1, "", _MISSING,
                                                     "anchors and aliases (& and *) are not allowed in scenario "
                                                     "files; write the values out")])
            if isinstance(tok, yaml.TagToken):
                m = tok.start_mark
                raise ScenarioError(source, [Problem(source, m.line + 1, m.column + 1, "", _MISSING,
                                                     "YAML tags (!...) are not allowed in scenario files; remove "
                                                     "the tag")])
    except yaml.YAMLError:
        return  # reported with its position by the parser below


def _duplicate_keys(source: str, root) -> list[Problem]:
    """A key given twice in one mapping (YAML would silently keep the last one)."""
    out, stack = [], [(root, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for k, v in node.value:
                key = k.value if isinstance(k, yaml.ScalarNode) else None
                sub = f"{path}.{key}" if path else str(key)
                if key is not None and key in seen:
                    line, col = _mark(k)
                    out.append(Problem(source, line, col, sub, _MISSING, f"this key appears twice in this mapping "
                                       f"(first on line {seen[key]}); keep one"))
                elif key is not None:
                    seen[key] = k.start_mark.line + 1
                stack.append((v, sub))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node.value))
    return sorted(out, key=lambda p: (p.line, p.column))


def _runtime_problems(scn: Scenario, base_dir: Path | None):
    """The checks ``run`` would otherwise fail on, made here so ``validate`` finds them: a raid's launch point
    equal to its target, a target beyond the missile's reach, aircraft home countries that are not known, track
    files that hold no usable rows.
    Yields ``(loc, value, message)``."""
    from bmdsim.core import geodesy
    from bmdsim.flight import catalog, sites
    from bmdsim.flight.targeting import MIN_RANGE_M, max_range_m, within_reach

    local = {s.name: (s.latitude_deg, s.longitude_deg) for s in scn.sites}

    def where(ref):
        return local[ref] if ref in local else sites.resolve("site", ref)

    for i, r in enumerate(scn.threats):
        (la0, lo0), (la1, lo1) = where(r.launch), where(r.target)
        d, _ = geodesy.inverse(la0, lo0, la1, lo1)
        if float(d) < MIN_RANGE_M:
            yield ("threats", i, "target"), r.target, (f"the target lies {float(d) / 1e3:.1f} km from the launch "
                                                       f"point; give a target at least {MIN_RANGE_M / 1e3:.0f} km "
                                                       "away")
        elif not bool(within_reach(v := catalog.get(r.missile), float(d))):
            yield ("threats", i, "target"), r.target, (f"the target lies {float(d) / 1e3:.0f} km from the launch "
                                                       f"point, beyond the reach of {r.missile} (about "
                                                       f"{max_range_m(v) / 1e3:.0f} km); choose a closer target "
                                                       "or a longer-range missile")
    air_space = None
    for i, a in enumerate(scn.aircraft):
        if a.home_countries:
            from bmdsim.airspace import default_airspace

            air_space = air_space or default_airspace()
            for j, h in enumerate(a.home_countries):
                try:
                    air_space.index(h)
                except InputError as exc:
                    yield ("aircraft", i, "home_countries", j), h, "unknown country; " + exc.hint
        if a.file is not None and base_dir is not None:
            from bmdsim.airspace.tracks import read_tracks

            try:
                path = resolve_path(base_dir, a.file)
            except InputError:
                continue   # reported by the path check
            try:
                ok = bool(read_tracks(path).tracks)
                msg = "the file holds no usable track rows (time, latitude, longitude)"
            except (InputError, DataError) as exc:
                ok, msg = False, f"cannot be used as a track: {exc}"
            if not ok:
                yield ("aircraft", i, "file"), a.file, msg


def validate_text(source: str, text: str, *, base_dir: Path | None = None) -> Scenario:
    """Parse and validate scenario text; raise :class:`ScenarioError` listing every positioned problem."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise ScenarioError(source, [Problem(source, 1, 1, "", _MISSING, f"the file is larger than "
                                             f"{MAX_BYTES // 1_000_000} MB; a scenario describes a situation, "
                                             "put data in track files it names")])
    _no_aliases(source, text)
    try:
        root = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except RecursionError:
        raise ScenarioError(source, [Problem(source, 1, 1, "", _MISSING, "nested too deeply to read; a scenario "
                                             "needs a few levels")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(source, [Problem(source, line, col, "", _MISSING,
                                             f"not valid YAML: {what}; check indentation and quoting")]) from None
    if not isinstance(data, dict) or root is None:
        raise ScenarioError(source, [Problem(source, 1, 1, "", _MISSING, "a scenario is a YAML mapping with keys "
                                             "name, epoch_utc, threats, ... (see bmdsim/data/scenarios/)")])
    dups = _duplicate_keys(source, root)
    if dups:
        raise ScenarioError(source, dups)
    local_sites = set()
    for s in data.get("sites") or []:
        if isinstance(s, dict) and isinstance(s.get("name"), str):
            local_sites.add(s["name"])
    try:
        scn = Scenario.model_validate(data, context={"site_names": local_sites})
    except ValidationError as exc:
        problems = _problems_from_validation(source, root, exc)
        problems.sort(key=lambda p: (p.line, p.column))
        raise ScenarioError(source, problems) from None
    problems = []
    for loc, value, msg in [*scn.cross_reference_problems(), *_runtime_problems(scn, base_dir)]:
        node, _, _ = _walk(root, loc)
        line, col = _mark(node)
        problems.append(Problem(source, line, col, _fmt_path(loc), value, msg))
    for i, a in enumerate(scn.aircraft):
        if a.file is None:
            continue
        if base_dir is None:
            msg = "a bundled scenario may only use bundled tracks ('bundled: NAME')"
        else:
            try:
                resolve_path(base_dir, a.file)
                continue
            except InputError as exc:
                msg = exc.hint
        node, _, _ = _walk(root, ("aircraft", i, "file"))
        line, col = _mark(node)
        problems.append(Problem(source, line, col, f"aircraft[{i}].file", a.file, msg))
    if problems:
        raise ScenarioError(source, sorted(problems, key=lambda p: (p.line, p.column)))
    return scn


def resolve_path(base_dir: Path, relative: str) -> Path:
    """The file ``relative`` in ``base_dir`` or below; refuses absolute paths, ``..`` and symbolic links that
    lead outside, and missing files."""
    rel = PurePosixPath(relative.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts:
        raise InputError("file", relative, "give a path relative to the scenario's folder, without '..'")
    base = Path(base_dir).resolve()
    p = (base / rel).resolve()
    if base != p and base not in p.parents:
        raise InputError("file", relative, "the path leads outside the scenario's folder; copy the file beside "
                         "the scenario")
    if not p.is_file():
        raise InputError("file", relative, f"no such file in {base}; give a CSV or Parquet track file there")
    return p


def load_text(name: str, text: str, *, base_dir: Path | None = None) -> Scenario:
    """Validate scenario text (``name`` labels messages)."""
    return validate_text(name, text, base_dir=base_dir)


def load_scenario(ref: str) -> LoadedScenario:
    """A bundled scenario by name, or a YAML file by path, validated."""
    p = Path(ref)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.is_file():
            raise InputError("scenario", ref, "no such file; give a YAML file or a bundled name: "
                             + ", ".join(bundled_names()))
        try:
            raw = p.read_bytes()
        except OSError as exc:
            raise DataError(f"{p}: cannot be read: {exc.strerror}") from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise DataError(f"{p}: not UTF-8 text; save the scenario as UTF-8") from None
        scn = validate_text(str(p), text, base_dir=p.parent)
        return LoadedScenario(scn, text, hashlib.sha256(raw).hexdigest(), str(p), p.parent)
    if ref not in bundled_names():
        raise UnknownNameError("scenario", ref, bundled_names())
    text = resources.files("bmdsim.data.scenarios").joinpath(f"{ref}.yaml").read_text(encoding="utf-8")
    scn = validate_text(f"{ref}.yaml", text, base_dir=None)
    return LoadedScenario(scn, text, hashlib.sha256(text.encode("utf-8")).hexdigest(), f"bundled:{ref}", None)


def load(ref: str) -> tuple[Scenario, str]:
    """A bundled scenario by name, or a YAML file by path; returns the scenario and its source text."""
    ls = load_scenario(ref)
    return ls.scenario, ls.text
