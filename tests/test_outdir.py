"""The output folder (bmdsim.store.outdir): a safe slug of the scenario name that never leaves the output root,
checks before work, an atomic locked replacement, and recovery after a real SIGKILL of ``bmdsim run`` at several
moments (the previous output stays, or is restored by the next run; no debris survives a later run)."""

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bmdsim.cli import main
from bmdsim.errors import InputError
from bmdsim.store import outdir

FAST = {"bmdsim.scenario.defense.chase_rows": lambda *a, **k: None,
        "bmdsim.scenario.defense.footprints": lambda *a, **k: None}


def _fast(monkeypatch):
    for k, v in FAST.items():
        monkeypatch.setattr(k, v)


def _snapshot(d: Path) -> dict:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def _siblings(d: Path) -> list[str]:
    return sorted(p.name for p in d.parent.iterdir() if p.name != outdir._names(d)[2])   # a killed run's lock


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(min_size=0, max_size=300))
def test_slug_stays_inside_the_root(name):
    root = Path("/tmp/bmdsim-root-test")
    d = outdir.default_dir(root, name)
    assert d.parent == root and d.resolve().parent == root.resolve()
    assert d.name not in ("", ".", "..") and not d.name.startswith(".") and len(d.name) <= 100


@pytest.mark.parametrize("name", ["../../../x", "/etc/passwd", ".", "..", "", "a/../../b", "~root", "....",
                                  "\x00evil", "..\\..\\win"])
def test_hostile_names(name, tmp_path):
    d = outdir.default_dir(tmp_path / "bmdsim-out", name)
    assert d.parent == tmp_path / "bmdsim-out"
    assert d.name not in (".", "..") and "/" not in d.name


def test_dangerous_name_runs_inside_the_root(tmp_path, monkeypatch, capsys):
    """``name: .`` once made bmdsim-out itself the output folder, and a second run deleted its siblings."""
    _fast(monkeypatch)
    monkeypatch.chdir(tmp_path)
    text = resources.files("bmdsim.data.scenarios").joinpath("test-small.yaml").read_text(encoding="utf-8")
    sibling = tmp_path / "bmdsim-out" / "other"
    sibling.mkdir(parents=True)
    (sibling / "keep.txt").write_text("mine")
    f = tmp_path / "s.yaml"
    f.write_text(text.replace("name: test-small", "name: '.'"))     # names like ../../x: test_hostile_names
    assert main(["run", str(f), "--json"]) == 0, capsys.readouterr().err
    capsys.readouterr()
    assert sorted(p.name for p in (tmp_path / "bmdsim-out").iterdir()) == ["other", "scenario"]
    assert (sibling / "keep.txt").read_text() == "mine"


@pytest.mark.parametrize("out", ["", "."])
def test_empty_or_working_folder_refused(out, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "test-small", "--out", out]) == 2
    assert "--out" in capsys.readouterr().err


def test_check_refusals(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("x")
    scn = tmp_path / "mine" / "s.yaml"
    scn.parent.mkdir()
    (scn.parent / outdir.MARKER).write_text("")
    scn.write_text("x")
    cases = [(f, "is a file"), (foreign, "not written by bmdsim"), (f / "sub", "is a file, not a folder"),
             (Path("/proc/bmdsim-test/out"), "cannot write"), (Path("/proc/out"), "cannot write"),
             (tmp_path / ("x" * 250), "too long")]
    for p, words in cases:
        with pytest.raises(InputError, match=words):
            outdir.check(p)
    with pytest.raises(InputError, match="input"):
        outdir.check(scn.parent, inputs=(scn,))
    assert outdir.check(tmp_path / "new" / "deeper") == tmp_path / "new" / "deeper"


def test_failed_write_keeps_the_old_output(tmp_path):
    out = tmp_path / "out"
    outdir.replace_atomically(out, lambda t: (t / "a.txt").write_text("old"))

    def full(t):
        (t / "a.txt").write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError):
        outdir.replace_atomically(out, full)
    assert (out / "a.txt").read_text() == "old"
    assert _siblings(out) == ["out"]


def test_recover_restores_and_cleans(tmp_path):
    out = tmp_path / "out"
    outdir.replace_atomically(out, lambda t: (t / "a.txt").write_text("old"))
    out.rename(tmp_path / ".out.old-abc")                       # a kill between the two renames
    (tmp_path / ".out.partial-xyz").mkdir()                      # and a kill while writing
    (tmp_path / ".out.partial-xyz" / "big").write_bytes(b"0" * 1000)
    done = outdir.recover(out)
    assert (out / "a.txt").read_text() == "old" and any("restored" in d for d in done)
    assert _siblings(out) == ["out"]


def test_second_writer_is_refused_while_the_lock_is_held(tmp_path, monkeypatch):
    monkeypatch.setattr(outdir, "LOCK_WAIT_S", 0.5)
    out = tmp_path / "out"
    with outdir.lock(out):
        t = time.monotonic()
        with pytest.raises(InputError, match=f"process {os.getpid()}"):
            outdir.replace_atomically(out, lambda t: (t / "a.txt").write_text("new"))
        assert time.monotonic() - t >= 0.5
    outdir.replace_atomically(out, lambda t: (t / "a.txt").write_text("new"))   # released: works
    assert (out / "a.txt").read_text() == "new"


# ------------------------------------------------------------------ real processes killed with SIGKILL
_SCRIPT = textwrap.dedent("""
    import os, sys
    import bmdsim.scenario.defense as d
    d.chase_rows = lambda *a, **k: None
    d.footprints = lambda *a, **k: None
    if sys.argv[2] == "swap":
        import bmdsim.store.outdir as od
        od._swapped = lambda old: os._exit(9) if old is not None else None
    from bmdsim.cli import main
    sys.exit(main(["run", "test-small", "--out", sys.argv[1], "--json"]))
""")


def _start(out: Path, mode: str = "run") -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _SCRIPT, str(out), mode], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(pred, proc, timeout_s=240.0) -> bool:
    t = time.monotonic() + timeout_s
    while time.monotonic() < t and proc.poll() is None:
        if pred():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.slow
def test_sigkill_at_several_moments(tmp_path, monkeypatch, capsys):
    _fast(monkeypatch)
    out = tmp_path / "out"
    assert main(["run", "test-small", "--out", str(out), "--json"]) == 0
    capsys.readouterr()
    before = _snapshot(out)
    partial = outdir._names(out)[0]

    def writing():
        return any(p.name.startswith(partial) for p in tmp_path.iterdir())

    # 1. early (imports, flights) 2. as soon as the partial folder appears 3. while the files are written
    for delay in ("start", 0.0, 0.6):
        p = _start(out)
        try:
            if delay == "start":
                time.sleep(2.0)
            else:
                assert _wait_for(writing, p), p.stderr.read() if p.poll() is not None else "no partial folder"
                time.sleep(delay)
            p.send_signal(signal.SIGKILL)
            p.wait(30)
        finally:
            p.kill()
        assert _snapshot(out) == before, f"killed at {delay}: the previous output changed"
    # 4. between the two renames: the old output only in .out.old-*; the next run restores it first
    p = _start(out, "swap")
    assert p.wait(240) == 9, p.stderr.read()
    assert not out.exists() and any(n.startswith(".out.old-") for n in _siblings(out))
    outdir.recover(out)
    assert _snapshot(out) == before and _siblings(out) == ["out"]
    # debris from the kills is cleaned by the next run, which completes normally
    (tmp_path / ".out.partial-left").mkdir()
    assert main(["run", "test-small", "--out", str(out), "--json"]) == 0
    assert _siblings(out) == ["out"] and (out / outdir.MARKER).exists() and "results.duckdb" in _snapshot(out)


_WRITER = textwrap.dedent("""
    import os, sys, time
    import bmdsim.store.outdir as od

    def fill(tmp):
        for i in range(5):                      # slow, so the two writers overlap
            (tmp / f"part{i}.txt").write_text(str(os.getpid()))
            time.sleep(0.3)

    od.replace_atomically(sys.argv[1], fill)
""")


def test_two_concurrent_writers_into_one_folder(tmp_path):
    """Two processes replace one folder at once: the lock serialises them; the result is one writer's complete
    output, never a mix, and no debris."""
    out = tmp_path / "out"
    procs = [subprocess.Popen([sys.executable, "-c", _WRITER, str(out)], stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    codes = [p.wait(120) for p in procs]
    errs = [p.stderr.read() for p in procs]
    assert codes == [0, 0], errs
    owners = {(out / f"part{i}.txt").read_text() for i in range(5)}
    assert len(owners) == 1 and owners <= {str(p.pid) for p in procs}
    assert _siblings(out) == ["out"] and (out / outdir.MARKER).exists()


def test_refusal_through_the_cli(tmp_path, monkeypatch, capsys):
    """While another run holds the lock past the wait, ``bmdsim run`` exits 2 with the message."""
    _fast(monkeypatch)
    monkeypatch.setattr(outdir, "LOCK_WAIT_S", 0.2)
    out = tmp_path / "out"
    with outdir.lock(out):
        assert main(["run", "test-small", "--out", str(out), "--json"]) == 2
    assert "another bmdsim run" in capsys.readouterr().err
    assert not out.exists() and _siblings(out) == []
