"""Seeded, bounded fuzzing of the command line and of scenario files (hypothesis, derandomized: the same cases on
every run). Every case must end with exit code 0 or 2 and never a traceback or an "internal error".

Commands run in-process through ``bmdsim.cli.main``. For the commands whose work takes seconds (flights, chase,
footprint, tracking, coverage areas, the whole run, sweeps, the web service), the work itself is replaced by a
sentinel: the fuzz checks that the arguments are either refused with exit code 2 or accepted whole (the sentinel
is reached), which is where the validation lives; the work on valid input is tested elsewhere. Fast commands
(ballistic, coverage ranges, validate and the catalogs) run for real. About 2,000 cases, under 3 minutes on a
loaded 2-core machine. The regression corpus of past failures is in ``tests/test_input_validation.py``.
"""

import inspect
from importlib import resources

import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bmdsim.cli import app, main

COMMANDS = typer.main.get_command(app).commands


class Reached(BaseException):  # noqa: N818 - not an error: the arguments got through to the work
    """Raised where the real work of a slow command would start."""


def _reached(*a, **k):
    raise Reached


SLOW_WORK = ("bmdsim.analysis.chase.chase", "bmdsim.analysis.chase.chase_threat", "bmdsim.analysis.footprint.footprint",
             "bmdsim.sweep.native.footprint_sweep", "bmdsim.sweep.native.chase_sweep",
             "bmdsim.sweep.native.battle_monte_carlo",
             "bmdsim.analysis.timeline.timeline", "bmdsim.analysis.observe.fly_truths",
             "bmdsim.analysis.observe.russian_icbm_visibility", "bmdsim.airspace.check_tracks",
             "bmdsim.cli.cmd_flight.solve", "bmdsim.scenario.run.run",
             "bmdsim.sensing.coverage.footprint", "bmdsim.sweep.runner.cluster", "bmdsim.web.app.create_app")

NASTY = ["", " ", "abc", "-1", "0", "1", "-0", "0.5", "1e308", "-1e308", "1e-320", "nan", "NaN", "inf", "-inf",
         str(2**64), str(-2**63), "10cm2", "1,2", "0,200", "91,0", "-90,180", "1,2,3", ",", "13.4,52.52",
         "52.52,13.4", "semnan", "berlin", "redzikowo", "kozelsk", "washington", "brdy", "fylingdales", "irbm-3700",
         "shahab-3", "icbm-solid-russia", "gbi2-6.3", "tu160", "europe-2007", "test-small", "../../x",
         "/nonexistent/x.png", "x.txt", "x.png", "x.csv", "/proc/x", "<script>", "x" * 300, "--json", "-",
         "latency_s=1", "noise_m=1e308", "content=tracks;latency_s=5", "100,500", "-5,10", "ekf", "ukf",
         "lofted", "4/3", "none", "ft", "RUS", "Atlantis", "Noordwijk=52.24,4.43", "a=b=c"]


#: plausible values per option or argument, so that many cases get past the first check to the later ones
GOOD = {"--from": ["semnan", "kozelsk", "35.2,53.9"], "--to": ["berlin", "washington", "52.52,13.4", "warsaw"],
        "--launch": ["semnan", "35.2,53.9"], "--missile": ["irbm-3700", "shahab-3", "icbm-solid-russia"],
        "--radar": ["brdy", "fylingdales", "thule"], "--radars": ["brdy", "brdy,fylingdales", "ew-satellites"],
        "--site": ["redzikowo"], "--interceptor": ["gbi2-6.3", "gbi2-9.0"], "--profile": ["minimum-energy", "lofted"],
        "--method": ["ekf", "ukf"], "--refraction": ["none", "4/3"], "--earth": ["wgs84", "sphere"],
        "--share": ["latency_s=5", "content=tracks;latency_s=5;noise_m=100"], "--altitude-km": ["100,500", "300"],
        "--region": ["-10,30,30,60"], "--png": ["m.png"], "--out": ["o.csv", "outdir"], "--pairs": ["p.csv"],
        "--trajectory": ["t.csv"], "--feed-out": ["f.jsonl"], "--poi": ["Noordwijk=52.24,4.43"],
        "--home-country": ["RUS", "Norway"], "--altitude-unit": ["ft", "m"], "--seed": ["0", "7"],
        "--speed-mps": ["3000", "7000"], "--gamma-deg": ["30", "45"], "--range-km": ["1000"],
        "scenario": ["test-small", "europe-2007"], "tracks": ["tu160"], "--targets": ["washington"],
        "--fields": ["kozelsk"]}
GROUPS = {"fly": [("--from", "--to"), ("--pairs", "--out")],
          "ballistic": [("--speed-mps", "--gamma-deg"), ("--range-km", "--minimum-energy")]}
NUMBERS = ["0", "1", "2", "10", "100", "1000", "0.5", "45"]


def _value(draw, opt: str = "", numeric: bool = False) -> str:
    """Mostly a plausible value for the option (so a case reaches the later checks), sometimes a nasty one."""
    good = GOOD.get(opt) or (NUMBERS if numeric else None)
    if good and draw(st.sampled_from(range(10))) < 8:
        return draw(st.sampled_from(good))
    return draw(st.one_of(st.sampled_from(NASTY), st.text(max_size=12),
                          st.floats(allow_nan=True, allow_infinity=True).map(repr),
                          st.integers(min_value=-2**70, max_value=2**70).map(str)))


@st.composite
def argv(draw):
    name = draw(st.sampled_from(sorted(COMMANDS)))
    params = [p for p in COMMANDS[name].params if p.name != "help"]
    args = [name]
    ann = {k: str(v.annotation) for k, v in inspect.signature(COMMANDS[name].callback).parameters.items()}
    chosen = draw(st.lists(st.sampled_from(params), max_size=4, unique_by=lambda p: p.name)) if params else []
    # required options and arguments most of the time, so the cases get past click to bmdsim's own checks
    chosen += [p for p in params if p.required and p not in chosen and draw(st.sampled_from(range(10))) < 9]
    if name in GROUPS and draw(st.sampled_from(range(10))) < 8:   # options that only work together
        group = draw(st.sampled_from(GROUPS[name]))
        chosen += [p for p in params if p.opts[0] in group and p not in chosen]
    for p in chosen:
        value = _value(draw, p.opts[0] if p.param_type_name == "option" else p.name,
                       ann.get(p.name) in ("float", "int"))
        if p.param_type_name == "argument":
            args.append(value)
        elif getattr(p, "is_flag", False):
            args.append(p.opts[0])
        else:
            args += [p.opts[0], value]
    if draw(st.sampled_from(range(10))) == 0:
        args.insert(draw(st.integers(1, len(args))), draw(st.sampled_from(["--bogus", "-x", "extra", "--json=1"])))
    return args


def _check(args, capsys):
    try:
        code = main(args)
    except Reached:
        code = 0
    out = capsys.readouterr()
    text = out.err + out.out
    assert code in (0, 2), (args, text[-2000:])
    assert "Traceback" not in text and "internal error" not in text, (args, text[-2000:])


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)          # anything a case writes lands here
    (tmp_path / "p.csv").write_text("launch_latitude_deg,launch_longitude_deg,target_latitude_deg,"
                                    "target_longitude_deg\n35.2,53.9,33.3,44.4\n")
    for target in SLOW_WORK:
        monkeypatch.setattr(target, _reached)
    monkeypatch.delenv("BMDSIM_DEBUG", raising=False)
    return tmp_path


@settings(max_examples=1300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(args=argv())
def test_fuzz_command_line(args, sandbox, capsys):
    _check(args, capsys)


# ------------------------------------------------------------------------------------------ scenario files
_BASE = resources.files("bmdsim.data.scenarios").joinpath("test-small.yaml").read_text(encoding="utf-8")
_LINES = _BASE.splitlines()

SCALARS = ["-1", "0", "1e308", "-1e308", ".nan", ".inf", "-.inf", str(2**64), "abc", "''", "[]", "{}", "~",
           "yes", "2007-13-45T99:00:00Z", "1600-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "'../../../x'", "'.'",
           "'/etc/passwd'", "'<script>alert(1)</script>'", "semnan", "berlin", "redzikowo", "brdy", "'0,200'",
           "'13.4,52.52'", "[1, 2, 3]", "{a: 1}", "!!python/object:os.system ls", "&a 1", "*a", "[" * 30 + "]" * 30]


@st.composite
def scenario_text(draw):
    lines = list(_LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.integers(0, 5))
        line = lines[i]
        if kind <= 2 and ":" in line:            # replace a value
            head = line[: line.index(":") + 1]
            lines[i] = f"{head} {draw(st.sampled_from(SCALARS))}"
        elif kind == 3 and ("{" in line and ":" in line):   # replace a value inside a flow mapping
            k = line.index(":", line.index("{"))
            end = min([j for j in (line.find(",", k), line.find("}", k)) if j > 0] or [len(line)])
            lines[i] = line[: k + 1] + " " + draw(st.sampled_from(SCALARS)) + line[end:]
        elif kind == 4:                          # duplicate or drop a line
            lines.insert(i, line) if draw(st.booleans()) else lines.pop(i)
        else:                                    # arbitrary text in the line
            lines[i] = draw(st.text(max_size=30))
    return "\n".join(lines) + "\n"


@settings(max_examples=700, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(text=scenario_text())
def test_fuzz_scenario_files(text, tmp_path, capsys):
    f = tmp_path / "s.yaml"
    f.write_text(text, encoding="utf-8")
    _check(["validate", str(f)], capsys)
