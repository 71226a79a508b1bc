"""Sweeps on real Dask clusters: identical rows for 1 and 2 local workers and an external `dask scheduler` /
`dask worker` cluster started here; a worker killed mid-sweep and a sweep killed mid-way lose nothing and
duplicate nothing (--resume); bad keys and values are refused (exit 2) before any work starts.

The scenario is tests/data/sweep-tiny.yaml (a few seconds a run); 2 cases x 2 trials each sweep."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from bmdsim.cli import main
from bmdsim.scenario.load import load_scenario
from bmdsim.sweep import cases

TINY = str(Path(__file__).parent / "data" / "sweep-tiny.yaml")
SET = "interceptor_sites.0.interceptor=gbi2-8.3,gbi2-9.0"
BIN = Path(sys.executable).parent


def _trials(out: Path) -> pd.DataFrame:
    with duckdb.connect(str(out / "sweep.duckdb"), read_only=True) as c:
        return c.execute("SELECT * FROM trials ORDER BY case_index, trial").df()


def _sweep(capsys, out, *extra):
    code = main(["sweep", TINY, "--set", SET, "--trials", "2", "--out", str(out), "--json", *extra])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    return json.loads(cap.out)


# ------------------------------------------------------------------------------------------------ the plan
def test_settings_parse_and_case_ids_do_not_depend_on_order():
    a = cases.parse_setting("interceptor_sites[0].doctrine.single_shot_kill_probability=0.5,0.9")
    assert a.path == ("interceptor_sites", 0, "doctrine", "single_shot_kill_probability") and a.kind == "float"
    assert cases.case_id([("x", 1), ("y", "a")]) == cases.case_id([("y", "a"), ("x", 1)])
    assert cases.case_id([("x", 1)]) != cases.case_id([("x", 1.5)])
    # seeds: fixed by (scenario seed, case, trial) only; distinct across trials and cases
    seeds = {cases.trial_seed(11, cases.case_id([("x", v)]), t) for v in (1, 2) for t in range(50)}
    assert len(seeds) == 100 and all(0 <= s < 2**63 for s in seeds)


def test_plan_validates_every_case_and_names_the_bad_one():
    ls = load_scenario(TINY)
    p = cases.plan(ls, TINY, [cases.parse_setting(SET),
                              cases.parse_setting("interceptor_sites.0.doctrine.single_shot_kill_probability=0.5,0.9")],
                   trials=3)
    assert len(p.cases) == 4 and len(p.tasks()) == 12
    assert "single_shot_kill_probability: 0.9" in p.cases[1].text
    # below the CLI the errors name the Python parameter (the CLI maps it to --set: see the next test)
    with pytest.raises(cases.InputError,
                       match=r"^settings\[interceptor_sites.0.interceptor\] = 'gbi2-99'.*unknown interceptor"):
        cases.plan(ls, TINY, [cases.parse_setting("interceptor_sites.0.interceptor=gbi2-9.0,gbi2-99")], trials=1)
    with pytest.raises(cases.InputError, match=r"did you mean 'single_shot_kill_probability'"):
        cases.plan(ls, TINY, [cases.parse_setting("interceptor_sites.0.doctrine.single_shot_kill_prob=0.5")],
                   trials=1)
    with pytest.raises(cases.InputError, match=r"list of 1 items; give an index from 0 to 0"):
        cases.plan(ls, TINY, [cases.parse_setting("interceptor_sites.3.interceptor=gbi2-9.0")], trials=1)
    with pytest.raises(cases.InputError, match=r"less than or equal to 1"):
        cases.plan(ls, TINY, [cases.parse_setting("interceptor_sites.0.doctrine.single_shot_kill_probability=1.5")],
                   trials=1)


@pytest.mark.parametrize("args, words", [
    (["--set", "interceptor_sites.0.interceptr=gbi2-9.0"], "did you mean 'interceptor'"),
    (["--set", "seed=1,2"], "every case runs --trials seeded trials"),
    (["--set", "interceptor_sites.0.interceptor=gbi2-9.0,gbi2-99"],
     "--set interceptor_sites.0.interceptor = 'gbi2-99': the scenario rejects it"),
    (["--set", "interceptor_sites.0.interceptor"], "KEY=V1,V2"),
    (["--set", SET, "--trials", "0"], "--trials"),
    (["--set", SET, "--workers", "0"], "--workers"),
    (["--set", SET, "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "not both"),
])
def test_bad_input_exits_2_before_any_work(tmp_path, capsys, args, words):
    out = tmp_path / "s"
    code = main(["sweep", TINY, *args, "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and words in err, err
    assert not (out / "parts").exists() or not any((out / "parts").iterdir())


def test_a_folder_of_other_files_or_another_sweep_is_refused(tmp_path, capsys):
    (tmp_path / "x.txt").write_text("mine")
    assert main(["sweep", TINY, "--set", SET, "--out", str(tmp_path)]) == 2
    assert "--out = " in (err := capsys.readouterr().err) and "holds other files" in err


def test_python_errors_name_run_sweeps_parameters():
    """``run_sweep`` is called from Python too: its errors name ``settings``, ``trials``, ``workers``; the CLI's
    one table maps them to --set, --trials, --workers (and so the parameters a hint names in backquotes)."""
    from bmdsim.cli._common import PARAMETER_FLAGS, in_cli_words
    from bmdsim.errors import InputError
    from bmdsim.sweep.run import run_sweep

    with pytest.raises(InputError, match=r"^trials = 0: ") as e:
        run_sweep(TINY, [SET], trials=0, out="never-written")
    assert in_cli_words(e.value).startswith("--trials = 0: ")
    with pytest.raises(InputError, match=r"^settings = 'seed=1,2': .*every case runs `trials` seeded") as e:
        run_sweep(TINY, {"seed": [1, 2]}, out="never-written")
    assert in_cli_words(e.value) == "--set = 'seed=1,2': the seed is not swept; every case runs --trials seeded trials"
    with pytest.raises(InputError, match=r"^workers = 0: "):
        run_sweep(TINY, [SET], workers=0, out="never-written")
    with pytest.raises(InputError, match=r"^workers = 2: give either `workers` .* or `scheduler`") as e:
        run_sweep(TINY, [SET], workers=2, scheduler="tcp://127.0.0.1:1", out="never-written")
    assert "give either --workers (a local cluster) or --scheduler" in in_cli_words(e.value)
    assert {PARAMETER_FLAGS[k] for k in ("settings", "trials", "workers", "scheduler", "out", "resume")} == {
        "--set", "--trials", "--workers", "--scheduler", "--out", "--resume"}
    assert not Path("never-written").exists()


# ------------------------------------------------------------------------------------------ real clusters
@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The sweep on one local worker: the rows every other cluster must reproduce."""
    out = tmp_path_factory.mktemp("sweep") / "one"
    code = main(["sweep", TINY, "--set", SET, "--trials", "2", "--workers", "1", "--out", str(out), "--json"])
    assert code == 0
    return out


def test_one_worker_writes_one_row_per_case_and_trial_and_figures(reference):
    df = _trials(reference)
    assert len(df) == 4 and not df.duplicated(["case_id", "trial"]).any()
    assert list(df["interceptor_sites.0.interceptor"]) == ["gbi2-8.3", "gbi2-8.3", "gbi2-9.0", "gbi2-9.0"]
    assert df["error"].isna().all()
    assert set(df["interceptor_burnout_speed_mps"]) == {8300.0, 9000.0}
    # the two trials of a case draw differently (seeded Monte Carlo) but stay near each other
    assert df["seed"].nunique() == 4
    assert (df["expected_leakers"].between(0, 2)).all()
    assert (reference / "defended_area_vs_speed.png").stat().st_size > 10_000
    assert (reference / "report.html").read_text().count("data:image/png") >= 2
    parts = sorted((reference / "parts").glob("*.parquet"))
    assert len(parts) == 4


def test_two_local_workers_give_the_same_rows(reference, tmp_path, capsys):
    s = _sweep(capsys, tmp_path / "two", "--workers", "2")
    assert s["workers"] == 2 and s["rows"] == 4
    pd.testing.assert_frame_equal(_trials(tmp_path / "two"), _trials(reference))
    runs = duckdb.connect(str(tmp_path / "two" / "sweep.duckdb"), read_only=True).execute(
        "SELECT count(DISTINCT worker) FROM trial_runs").fetchone()[0]
    assert runs == 2


def test_resume_runs_only_what_is_missing(reference, tmp_path, capsys):
    out = tmp_path / "resumed"
    shutil.copytree(reference, out)
    victim = sorted((out / "parts").glob("*.parquet"))[1]
    victim.unlink()
    (out / "parts" / ".leftover.partial").write_bytes(b"half a file")   # debris of a kill mid-write
    with pytest.raises(AssertionError):    # without --resume the folder is refused
        _sweep(capsys, out, "--workers", "1")
    s = _sweep(capsys, out, "--workers", "1", "--resume")
    assert s["ran"] == 1 and s["resumed_from"] == 3 and s["rows"] == 4
    pd.testing.assert_frame_equal(_trials(out), _trials(reference))
    # another sweep into the same folder is refused
    code = main(["sweep", TINY, "--set", "interceptor_sites.0.interceptor=gbi2-7.7", "--out", str(out), "--resume"])
    assert code == 2 and "different sweep" in capsys.readouterr().err


@pytest.fixture(scope="module")
def external(tmp_path_factory):
    """A real `dask scheduler` and two `dask worker` processes (no nanny: killing a worker's pid kills it)."""
    d = tmp_path_factory.mktemp("dask")
    sched_file = d / "scheduler.json"
    env = dict(os.environ)
    procs = [subprocess.Popen([str(BIN / "dask"), "scheduler", "--scheduler-file", str(sched_file), "--port", "0",
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    for _ in range(100):
        if sched_file.exists() and sched_file.stat().st_size:
            break
        time.sleep(0.2)
    address = json.loads(sched_file.read_text())["address"]

    def worker():
        p = subprocess.Popen([str(BIN / "dask"), "worker", address, "--nthreads", "1", "--no-nanny",
                              "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(p)
        return p

    workers = [worker(), worker()]
    from distributed import Client

    with Client(address) as c:
        c.wait_for_workers(2, timeout=120)
    yield {"address": address, "workers": workers, "start_worker": worker}
    for p in reversed(procs):     # only the processes this fixture started, by their pids
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def _wait_first_part(out: Path, proc, timeout_s=600):
    t0 = time.time()
    while time.time() - t0 < timeout_s:
        parts = list((out / "parts").glob("*.parquet")) if (out / "parts").is_dir() else []
        if parts:
            return parts
        assert proc.poll() is None, "the sweep ended before any result"
        time.sleep(0.2)
    raise AssertionError("no result in time")


def test_external_scheduler_gives_the_same_rows(reference, external, tmp_path, capsys):
    s = _sweep(capsys, tmp_path / "ext", "--scheduler", external["address"])
    assert s["rows"] == 4 and s["workers"] >= 2
    pd.testing.assert_frame_equal(_trials(tmp_path / "ext"), _trials(reference))


def test_a_worker_killed_mid_sweep_loses_nothing(reference, external, tmp_path):
    out = tmp_path / "killed-worker"
    proc = subprocess.Popen([str(BIN / "bmdsim"), "sweep", TINY, "--set", SET, "--trials", "2", "--out", str(out),
                             "--scheduler", external["address"], "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    _wait_first_part(out, proc)
    victim = next(p for p in external["workers"] if p.poll() is None)
    victim.send_signal(signal.SIGKILL)          # a worker dies with tasks in hand
    so, se = proc.communicate(timeout=900)
    assert proc.returncode == 0, se
    assert json.loads(so)["rows"] == 4
    df = _trials(out)
    assert not df.duplicated(["case_id", "trial"]).any()
    pd.testing.assert_frame_equal(df, _trials(reference))
    external["workers"].remove(victim)
    external["workers"].append(external["start_worker"]())


def test_a_sweep_killed_mid_way_keeps_what_finished_and_resumes(reference, external, tmp_path, capsys):
    out = tmp_path / "killed-sweep"
    proc = subprocess.Popen([str(BIN / "bmdsim"), "sweep", TINY, "--set", SET, "--trials", "2", "--out", str(out),
                             "--scheduler", external["address"]], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    _wait_first_part(out, proc)
    proc.send_signal(signal.SIGKILL)            # the sweep itself dies (no clean-up runs)
    proc.wait(timeout=30)
    kept = {p.name for p in (out / "parts").glob("*.parquet")}
    assert 1 <= len(kept) <= 4
    s = _sweep(capsys, out, "--scheduler", external["address"], "--resume")
    assert s["ran"] == 4 - len(kept) and s["rows"] == 4
    pd.testing.assert_frame_equal(_trials(out), _trials(reference))


# ------------------------------------------------------------------------------------------------ dispatch
def _simulate(n_cases: int, trials: int, workers: int, cold_s: float, warm_s: float):
    """Run the dispatcher against a simulated cluster: a case's first trial on a worker takes ``cold_s`` (its fan
    is built), every other ``warm_s``. Returns (makespan, hand-outs as (worker, case index, trial), cases begun
    per worker)."""
    from bmdsim.sweep.runner import Dispatcher

    ls = load_scenario(TINY)
    p = cases.plan(ls, TINY, [cases.parse_setting("interceptor_sites.0.doctrine.single_shot_kill_probability="
                                                  + ",".join(f"0.{i + 1}" for i in range(n_cases)))],
                   trials=trials)
    d = Dispatcher(p.tasks())
    warm: dict[str, set] = {}
    clock = {f"w{i}": 0.0 for i in range(workers)}
    running, given = {}, []

    def give(w, now):
        nxt = d.next_for(w, now)
        if nxt is None:
            return False
        case, trial, first = nxt
        cold = case.case_id not in warm.setdefault(w, set())
        warm[w].add(case.case_id)
        running[w] = (now + (cold_s if cold else warm_s), cold_s if cold else warm_s, first)
        given.append((w, case.index, trial))
        return True

    idle = {w for w in clock if not give(w, 0.0)}
    end = 0.0
    while running:
        w = min(running, key=lambda k: running[k][0])
        t, took, first = running.pop(w)
        end = max(end, t)
        d.record(w, took, first)
        for v in [w, *sorted(idle)]:
            idle.discard(v)
            if not give(v, t):
                idle.add(v)
    return end, given, {w: len(c) for w, c in warm.items()}


def test_dispatch_hands_out_every_trial_once_and_keeps_workers_to_their_cases():
    end, given, begun = _simulate(2, 4, 2, cold_s=4.0, warm_s=1.0)
    assert sorted((c, t) for _, c, t in given) == [(c, t) for c in range(2) for t in range(4)]
    assert begun == {"w0": 1, "w1": 1} and end == 4.0 + 3 * 1.0     # each fan built once, no worker waits
    # five cases on two workers: at most one case is begun twice, and only when that shortens the sweep
    end, given, begun = _simulate(5, 4, 2, cold_s=4.0, warm_s=1.0)
    assert len(given) == 20 and len(set(given)) == 20 and sum(begun.values()) <= 6
    serial = 5 * (4.0 + 3 * 1.0)
    assert end <= serial / 2 + 4.0                      # within one fan build of a perfect split
    # an idle worker starts a second copy of a case when it finishes sooner: here both build it at once
    end, given, begun = _simulate(1, 3, 2, cold_s=10.0, warm_s=1.0)
    assert begun == {"w0": 1, "w1": 1} and end == 11.0


def test_dispatch_leaves_the_last_trial_to_the_worker_that_will_finish_it_first():
    from bmdsim.sweep.runner import Dispatcher

    p = cases.plan(load_scenario(TINY), TINY, [cases.parse_setting(SET)], trials=4)
    d = Dispatcher(p.tasks()[:4])                        # one case, four trials
    assert d.next_for("a", 0.0)[1:] == (0, True)
    d.record("a", 10.0, True)                            # its fan took 10 s
    assert d.next_for("a", 10.0)[1:] == (1, False)
    d.record("a", 1.0, False)                            # a warm trial 1 s
    assert d.next_for("a", 11.0)[1:] == (2, False)
    # b is free at 11.5 s: building the case would take it 10 s, a finishes the last trial by 13 s
    assert d.next_for("b", 11.5) is None
    d.record("a", 1.0, False)
    assert d.next_for("a", 12.0)[1:] == (3, False) and len(d) == 0
