"""Scenario files: the bundled ones validate, round trips, and positioned error messages on broken files (observer
blocks included: the feed model's keys in scenario style)."""

import dataclasses
import json
import re
import textwrap

import pytest
import yaml

from bmdsim.cli import main
from bmdsim.scenario.load import ScenarioError, bundled_names, load_scenario, validate_text
from bmdsim.scenario.schema import Scenario
from bmdsim.sensing.feed import FeedSpec

GOOD = textwrap.dedent("""\
    schema_version: 1
    name: tiny
    epoch_utc: 2007-10-25T12:00:00Z
    seed: 1
    sensors:
      - {catalog: brdy, name: brdy}
    threats:
      - {name: a, missile: irbm-3700, launch: semnan, target: berlin}
    observers:
      - {name: ru, feed_from: [brdy]}
    """)


def test_bundled_scenarios_validate():
    names = bundled_names()
    assert {"europe-2007", "europe-2007-delayed", "test-small"} <= set(names)
    for n in names:
        ls = load_scenario(n)
        assert ls.scenario.name == n and len(ls.sha256) == 64
    d = load_scenario("europe-2007-delayed").scenario.interceptor_sites[0].readiness
    assert d.state == "delayed" and d.activation_delay_s > 0


@pytest.mark.parametrize("name", ["europe-2007", "test-small"])
def test_round_trip(name):
    """Dumped to YAML and read back, a scenario is the same object."""
    scn = load_scenario(name).scenario
    text = yaml.safe_dump(json.loads(scn.model_dump_json()), sort_keys=False)
    again = validate_text("dumped.yaml", text)
    assert again == scn
    assert Scenario.model_validate(scn.model_dump()) == scn


def _problems(text: str, tmp_path=None):
    with pytest.raises(ScenarioError) as ei:
        validate_text("s.yaml", text, base_dir=tmp_path)
    return ei.value.problems


# (what is broken, replacement of a line of GOOD, expected line, expected column, path, words in the message)
BROKEN = [
    ("unknown key with a suggestion", ("seed: 1", "seeed: 1"), 4, 1, "seeed", ["unknown key", "did you mean 'seed'"]),
    ("unknown missile", ("missile: irbm-3700", "missile: irbm-3070"), 8, 24, "threats[0].missile",
     ["'irbm-3070'", "did you mean 'irbm-3700'"]),
    ("unknown site", ("target: berlin", "target: berlni"), 8, 59, "threats[0].target", ["did you mean 'berlin'"]),
    ("bad number", ("seed: 1", "seed: one"), 4, 7, "seed", ["'one'", "valid integer"]),
    ("negative seed", ("seed: 1", "seed: -1"), 4, 7, "seed", ["greater than or equal to 0"]),
    ("epoch without zone", ("epoch_utc: 2007-10-25T12:00:00Z", "epoch_utc: 2007-10-25T12:00:00"), 3, 12, "epoch_utc",
     ["UTC"]),
    ("unknown sensor", ("catalog: brdy,", "catalog: brdz,"), 6, 15, "sensors[0].catalog", ["did you mean 'brdy'"]),
    ("observer names no sensor", ("feed_from: [brdy]", "feed_from: [brdx]"), 10, 28, "observers[0].feed_from[0]",
     ["not one of this scenario's sensors", "did you mean 'brdy'"]),
]


def _one_positioned_problem(base, repl, line, col, path, words):
    """Break ``base`` with the replacement ``repl``: exactly one problem, at ``line``:``col`` of ``path``, whose
    message holds every one of ``words``."""
    text = base.replace(*repl)
    assert text != base
    (p,) = _problems(text)
    assert (p.line, p.column, p.path) == (line, col, path), str(p)
    for w in words:
        assert w in str(p), str(p)
    return p


@pytest.mark.parametrize("what, repl, line, col, path, words", BROKEN, ids=[b[0] for b in BROKEN])
def test_positioned_errors(what, repl, line, col, path, words):
    p = _one_positioned_problem(GOOD, repl, line, col, path, words)
    assert str(p).startswith(f"s.yaml:{line}:{col}: {path}")


# GOOD plus a second observer in block style (lines 11-16)
OBS = GOOD + (
    "  - name: ru2\n"
    "    feed_from: [brdy]\n"
    "    content: [tracks, pips]\n"
    "    latency_s: 30\n"
    "    blank:\n"
    "      - {latitude0_deg: 50, longitude0_deg: 20, latitude1_deg: 60, longitude1_deg: 60}\n")

BROKEN_OBSERVER = [
    ("unknown content", ("content: [tracks, pips]", "content: [tracks, pipz]"), 13, 23, "observers[1].content[1]",
     ["'pipz'", "'detections', 'tracks' or 'pips'"]),
    ("content twice", ("content: [tracks, pips]", "content: [pips, pips]"), 13, 14, "observers[1].content",
     ["name each kind once"]),
    ("no content", ("content: [tracks, pips]", "content: []"), 13, 14, "observers[1].content",
     ["share at least one of detections, tracks, pips"]),
    ("negative latency", ("latency_s: 30", "latency_s: -30"), 14, 16, "observers[1].latency_s",
     ["greater than or equal to 0"]),
    ("key without its unit", ("latency_s: 30", "latency: 30"), 14, 5, "observers[1].latency",
     ["unknown key", "did you mean 'latency_s'", "interval_s", "noise_m", "blank"]),
    ("box corners swapped", ("latitude0_deg: 50", "latitude0_deg: 70"), 16, 9, "observers[1].blank[0]",
     ["south-west corner first", "latitude0_deg < latitude1_deg"]),
    ("box latitude", ("latitude0_deg: 50", "latitude0_deg: 95"), 16, 25, "observers[1].blank[0].latitude0_deg",
     ["less than or equal to 90"]),
    ("altitude band upside down", ("longitude1_deg: 60}", "longitude1_deg: 60, altitude0_km: 100, altitude1_km: 50}"),
     16, 9, "observers[1].blank[0]", ["altitude1_km > altitude0_km"]),
    ("name not file-safe", ("name: ru2", "name: ru/2"), 11, 11, "observers[1].name", ["feed-NAME.jsonl"]),
    ("name twice", ("name: ru2", "name: ru"), 11, 11, "observers[1].name", ["appears twice"]),
]


@pytest.mark.parametrize("what, repl, line, col, path, words", BROKEN_OBSERVER, ids=[b[0] for b in BROKEN_OBSERVER])
def test_positioned_observer_errors(what, repl, line, col, path, words):
    _one_positioned_problem(OBS, repl, line, col, path, words)


def test_observer_shares_radars_only():
    text = OBS.replace("sensors:\n", "sensors:\n  - {catalog: ew-satellites}\n").replace(
        "feed_from: [brdy]\n", "feed_from: [brdy, ew-satellites]\n")
    (p,) = _problems(text)
    assert p.path == "observers[1].feed_from[1]" and (p.line, p.column) == (13, 23)
    assert "only radar data are shared" in p.message and "name radars: brdy" in p.message


def test_observer_feed_spec():
    """The observer block is the FEEDSPEC of ``bmdsim track --share`` in scenario style."""
    scn = validate_text("s.yaml", OBS.replace("latency_s: 30", "latency_s: 30\n    interval_s: 20\n    noise_m: 500"))
    assert scn.observers[0].feed_spec() == FeedSpec(sensors=("brdy",))      # default content: tracks, pips
    spec = scn.observers[1].feed_spec()
    # the scenario names its own sensors (no catalog lookup as in --share)
    assert spec == dataclasses.replace(FeedSpec.parse("content=tracks,pips;latency_s=30;interval_s=20;noise_m=500;"
                                                      "blank=50,20,60,60"), sensors=("brdy",))
    one = validate_text("s.yaml", GOOD.replace("feed_from: [brdy]}", "feed_from: [brdy], content: detections}"))
    assert one.observers[0].feed_spec().content == ("detections",)
    band = validate_text("s.yaml", OBS.replace("longitude1_deg: 60}", "longitude1_deg: 60, altitude1_km: 300}"))
    (box,) = band.observers[1].feed_spec().blank
    assert (box.alt0_m, box.alt1_m) == (0.0, 300e3)


def test_missing_key_points_at_the_mapping():
    (p,) = _problems(GOOD.replace(", target: berlin", ""))
    assert (p.line, p.path) == (8, "threats[0].target") and "add 'target:'" in p.message


def test_all_problems_at_once_in_file_order():
    text = GOOD.replace("seed: 1", "seed: x").replace("irbm-3700", "nope").replace("name: tiny", "nmae: tiny")
    ps = _problems(text)
    assert [p.line for p in ps] == sorted(p.line for p in ps) and len(ps) >= 3


@pytest.mark.parametrize("text, words", [
    ("name: [unclosed\n", ["not valid YAML"]),
    ("a: &x 1\nb: *x\n", ["anchors and aliases"]),
    ("name: !!python/object/apply:os.system ['echo hi']\n", ["tags"]),
    ("- just\n- a list\n", ["a scenario is a YAML mapping"]),
])
def test_unsafe_or_malformed_yaml(text, words):
    (p,) = _problems(text)
    for w in words:
        assert w in str(p)
    assert p.line >= 1 and p.column >= 1


@pytest.mark.parametrize("path, words", [
    ("/etc/passwd.csv", "absolute"), ("../outside.csv", "'..'"), ("tracks/missing.csv", "no such file"),
    ("C:\\\\data\\\\x.csv", "absolute"),
])
def test_paths_stay_inside_the_scenario_folder(tmp_path, path, words):
    text = GOOD + f"aircraft:\n  - {{name: x, file: \"{path}\"}}\n"
    (p,) = _problems(text, tmp_path)
    assert p.path == "aircraft[0].file" and words in p.message and p.line == 12


def test_symlink_out_of_the_folder_is_refused(tmp_path):
    outside = tmp_path / "outside.csv"
    outside.write_text("timestamp,latitude_deg,longitude_deg\n")
    inner = tmp_path / "scn"
    inner.mkdir()
    (inner / "link.csv").symlink_to(outside)
    (p,) = _problems(GOOD + "aircraft:\n  - {name: x, file: link.csv}\n", inner)
    assert "outside the scenario's folder" in p.message


def test_validate_command(tmp_path, capsys):
    good = tmp_path / "good.yaml"
    good.write_text(GOOD)
    assert main(["validate", str(good)]) == 0
    assert "valid scenario 'tiny'" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("seed: 1", "sed: 1"))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert re.search(rf"{re.escape(str(bad))}:4:1: sed: unknown key; did you mean 'seed'\?", err), err
    assert main(["validate", str(bad), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["valid"] is False and out["problems"][0]["line"] == 4
    assert main(["validate", "europe-2007", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["threats"] == 12
