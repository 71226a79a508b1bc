"""The command line's one error boundary: every usage error exits 2 with click's one-line message and no
traceback, whatever typer/click version is installed; every bmdsim error exits 2; a bug exits 1 with one line
(the traceback only with --debug or BMDSIM_DEBUG=1). Cases are derived from the commands themselves, so a new
command or option is covered without editing this file."""

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from bmdsim.cli import app, main

COMMANDS = typer.main.get_command(app).commands


def _params(cmd):
    return [p for p in COMMANDS[cmd].params if p.name != "help"]


def _numeric_options():
    for name, c in COMMANDS.items():
        ann = {k: str(v.annotation) for k, v in inspect.signature(c.callback).parameters.items()}
        for p in _params(name):
            if p.param_type_name == "option" and ann.get(p.name) in ("float", "int", "<class 'float'>",
                                                                      "<class 'int'>"):
                yield name, p.opts[0]


def _required(cmd):
    return [p for p in _params(cmd) if p.required]


def run_cli(capsys, args):
    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out, out.err
    return code, out


def assert_usage_error(capsys, args, words=()):
    code, out = run_cli(capsys, args)
    assert code == 2, (args, out.err)
    assert "Error:" in out.err, out.err
    assert len(out.err.strip().splitlines()) <= 4, out.err      # usage line, help hint, blank, error
    for w in words:
        assert w in out.err, out.err


@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_unknown_option(cmd, capsys):
    for bogus in ("--bogus", "--JSON", "-j"):
        assert_usage_error(capsys, [cmd, bogus], ["No such option"])


@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_flag_given_a_value(cmd, capsys):
    assert_usage_error(capsys, [cmd, "--json=yes"], ["does not take a value"])


@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_extra_argument(cmd, capsys):
    positional = [p for p in _params(cmd) if p.param_type_name == "argument"]
    required = [x for p in _required(cmd) if p.param_type_name == "option" for x in (p.opts[0], "x")]
    assert_usage_error(capsys, [cmd, *required, *["a"] * (len(positional) + 1)], ["unexpected extra argument"])


@pytest.mark.parametrize("cmd", sorted(c for c in COMMANDS if _required(c)))
def test_missing_required(cmd, capsys):
    assert_usage_error(capsys, [cmd], ["Missing"])


@pytest.mark.parametrize("cmd", sorted(c for c in COMMANDS if any(p.param_type_name == "option" and not p.is_flag
                                                                  for p in _params(c))))
def test_option_without_its_value(cmd, capsys):
    opt = next(p for p in _params(cmd) if p.param_type_name == "option" and not p.is_flag)
    assert_usage_error(capsys, [cmd, opt.opts[0]], ["requires an argument"])


@pytest.mark.parametrize(("cmd", "opt"), sorted(set(_numeric_options())))
@pytest.mark.parametrize("bad", ["abc", "10cm2", ""])
def test_malformed_number(cmd, opt, bad, capsys):
    assert_usage_error(capsys, [cmd, opt, bad], ["Invalid value", opt])


def test_bare_command_and_help(capsys):
    code, out = run_cli(capsys, [])
    assert code == 2 and "Usage" in out.out + out.err      # click: no arguments shows the help, as a usage error
    code, out = run_cli(capsys, ["--help"])
    assert code == 0 and "run" in out.out
    code, out = run_cli(capsys, ["--version"])
    assert code == 0 and out.out.startswith("bmdsim ")
    assert_usage_error(capsys, ["nosuchcommand"], ["No such command"])


def test_bmdsim_error_exits_2(capsys):
    code, out = run_cli(capsys, ["fly", "--missile", "shahab"])
    assert code == 2 and out.err.startswith("error: --missile = 'shahab'") and "shahab-3" in out.err


def _boom(*a, **k):
    raise RuntimeError("a bug\nsecond line")


def test_bug_exits_1_with_one_line(capsys, monkeypatch):
    monkeypatch.delenv("BMDSIM_DEBUG", raising=False)
    monkeypatch.setattr("bmdsim.flight.catalog.names", _boom)
    code, out = run_cli(capsys, ["missiles"])
    assert code == 1
    assert out.err.strip().count("\n") == 0 and "RuntimeError: a bug" in out.err and "--debug" in out.err


@pytest.mark.parametrize("how", ["flag", "env"])
def test_debug_prints_the_traceback(how, capsys, monkeypatch):
    monkeypatch.setattr("bmdsim.flight.catalog.names", _boom)
    if how == "env":
        monkeypatch.setenv("BMDSIM_DEBUG", "1")
    code = main(["--debug", "missiles"] if how == "flag" else ["missiles"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" in err and "RuntimeError: a bug" in err


def test_environment_fault_exits_2(capsys, monkeypatch):
    def denied(*a, **k):
        raise PermissionError(13, "Permission denied", "/somewhere/x")

    monkeypatch.setattr("bmdsim.flight.catalog.names", denied)
    code, out = run_cli(capsys, ["missiles"])
    assert code == 2 and "/somewhere/x" in out.err and "Permission denied" in out.err


@pytest.mark.parametrize(("args", "words"), [
    (["fly", "--missile", "shahab-3", "--from", "semnan", "--to", "ankara", "--trajectory", "/nonexistent/d/t.csv"],
     ["--trajectory", "does not exist"]),
    (["fly", "--missile", "shahab-3", "--from", "semnan", "--to", "ankara", "--trajectory", "t.txt"], [".csv"]),
    (["coverage", "--radar", "brdy", "--png", "/nonexistent/dir/x.png"], ["--png", "does not exist"]),
    (["coverage", "--radar", "brdy", "--png", "m.txt"], ["--png", ".png"]),
    (["coverage", "--radar", "brdy", "--png", "x" * 300 + ".png"], ["--png", "255"]),
    (["footprint", "--launch", "semnan", "--missile", "irbm-3700", "--png", "/nonexistent/x.png"], ["--png"]),
    (["airspace", "tu160", "--png", "/nonexistent/x.png"], ["--png"]),
])
def test_output_path_checked_before_work(args, words, capsys):
    code, out = run_cli(capsys, args)
    assert code == 2, out.err
    for w in words:
        assert w in out.err


def test_output_equal_to_input_refused(tmp_path, capsys):
    pairs = tmp_path / "p.csv"
    pairs.write_text("launch_latitude_deg,launch_longitude_deg,target_latitude_deg,target_longitude_deg\n"
                     "35.2,53.9,39.9,32.9\n")
    code, out = run_cli(capsys, ["fly", "--missile", "shahab-3", "--pairs", str(pairs), "--out", str(pairs)])
    assert code == 2 and "input" in out.err
    assert pairs.read_text().startswith("launch_latitude_deg")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_unwritable_folder(tmp_path, capsys):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o500)
    try:
        code, out = run_cli(capsys, ["coverage", "--radar", "brdy", "--png", str(d / "x.png")])
        assert code == 2 and "cannot write" in out.err
    finally:
        d.chmod(0o700)


def test_installed_entry_point():
    """The console script itself (not only main()): a usage error is exit 2 and no traceback."""
    exe = Path(sys.executable).with_name("bmdsim")
    if not exe.exists():
        pytest.skip("bmdsim console script not installed next to this python")
    p = subprocess.run([str(exe), "run", "--bogus"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and "No such option: --bogus" in p.stderr and "Traceback" not in p.stderr
