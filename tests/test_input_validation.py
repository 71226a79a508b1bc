"""Validation before work, the regression corpus of issue 11's fuzzing pass: every case exits 2 with a message
that names the field (positioned in scenario files), never a traceback, and nothing physically meaningless is
accepted silently."""

import json
from importlib import resources

import pytest

from bmdsim.cli import main

BASE = """name: t
epoch_utc: 2007-10-25T12:00:00Z
sensors:
  - {catalog: brdy, overrides: {peak_power_kw: 100}}
interceptor_sites:
  - {name: gbi, site: redzikowo, interceptor: gbi2-9.0}
threats:
  - {name: a, missile: irbm-3700, launch: semnan, target: berlin}
"""

# (how the base scenario is changed, what the message must contain, the line it must point at)
SCENARIO_CORPUS = [
    (("2007-10-25T12:00:00Z", "2007-13-45T99:00:00Z"), "epoch_utc", 2),
    (("2007-10-25T12:00:00Z", "1600-10-25T12:00:00Z"), "between the years", 2),
    (("2007-10-25T12:00:00Z", "9999-12-31T23:59:59Z"), "between the years", 2),
    (("peak_power_kw: 100", "peak_power_kw: abc"), "plain number", 4),
    (("peak_power_kw: 100", "peak_power_kw: -1"), "must be positive", 4),
    (("peak_power_kw: 100", "frequency_hz: 0"), "must be positive", 4),
    (("peak_power_kw: 100", "frequency_hz: .nan"), "finite", 4),
    (("peak_power_kw: 100", "duty_cycle: 2"), "fraction", 4),
    (("target: berlin", "target: semnan"), "threats[0].target", 8),
    (("target: berlin", "target: '35.3,53.9'"), "at least 50 km", 8),
    # Semnan-Washington is about 10,000 km; a Shahab-3 reaches about 1,300 km (docs/sources.md)
    (("missile: irbm-3700, launch: semnan, target: berlin", "missile: shahab-3, launch: semnan, target: washington"),
     "beyond the reach of shahab-3", 8),
    (("name: t\n", "name: t\nseed: 18446744073709551616\n"), "seed", 2),
    (("name: t\n", "name: t\nname: u\n"), "appears twice", 2),
    (("launch: semnan", "launch: semnan, launch_time_s: .inf"), "finite", 8),
    (("sensors:", "analyses: {footprint: {region_deg: [10, 60, -10, 30]}}\nsensors:"), "region_deg", 3),
    (("sensors:", "analyses: {footprint: {region_deg: [.nan, 30, 10, 60]}}\nsensors:"), "finite", 3),
    (("sensors:", "analyses: {footprint: {region_deg: [-10, 30, .inf, 60]}}\nsensors:"), "finite", 3),
    (("sensors:", "analyses: {coverage: {rcs_m2: .inf}}\nsensors:"), "finite", 3),
]


def _validate(tmp_path, capsys, text, *extra):
    f = tmp_path / "s.yaml"
    f.write_text(text)
    for name, content in extra:
        (tmp_path / name).write_bytes(content)
    code = main(["validate", str(f)])
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "internal error" not in out.err, out.err
    return code, out.err


def test_base_is_valid(tmp_path, capsys):
    assert _validate(tmp_path, capsys, BASE)[0] == 0


@pytest.mark.parametrize(("change", "words", "line"), SCENARIO_CORPUS)
def test_scenario_corpus(change, words, line, tmp_path, capsys):
    text = BASE.replace(*change)
    assert text != BASE
    code, err = _validate(tmp_path, capsys, text)
    assert code == 2 and words in err, err
    assert f"s.yaml:{line}:" in err, err


def test_out_of_reach_target_is_positioned(tmp_path, capsys):
    """The reach check ``run`` fails on is made by ``validate``: the problem names ``threats[1].target`` at its
    line; aimed at Baghdad (about 900 km) the same raid is valid."""
    text = BASE + "  - {name: b, missile: shahab-3, launch: semnan, target: washington}\n"
    code, err = _validate(tmp_path, capsys, text)
    assert code == 2, err
    (line,) = [ln for ln in err.splitlines() if "beyond the reach" in ln]
    assert "s.yaml:9:" in line and "threats[1].target" in line and "'washington'" in err, err
    assert "threats[0]" not in err, err
    assert _validate(tmp_path, capsys, text.replace("target: washington", "target: '33.31,44.36'"))[0] == 0


@pytest.mark.parametrize(("text", "words"), [
    ("name: " + "[" * 500 + "]" * 500, "nested more than"),
    ("name: " + "{a: " * 300 + "1" + "}" * 300, "nested more than"),
    ("name: only\nepoch_utc: 2007-10-25T12:00:00Z\n", "at least one raid"),
    ("- a\n- b\n", "YAML mapping"),
    ("name: [unclosed\n", "not valid YAML"),
])
def test_malformed_documents(text, words, tmp_path, capsys):
    code, err = _validate(tmp_path, capsys, text)
    assert code == 2 and words in err, err


@pytest.mark.parametrize(("aircraft", "files", "words"), [
    ("{name: x, file: e.csv}", [("e.csv", b"")], "aircraft[0].file"),
    ("{name: x, file: g.csv}", [("g.csv", b"garbage,\x00\x01\n1,2\n")], "aircraft[0].file"),
    ("{name: x, file: h.csv}", [("h.csv", b"time,latitude,longitude\n")], "aircraft[0].file"),
    ("{name: x, bundled: tu160-2007-10-25, home_countries: [Atlantis]}", [], "home_countries[0]"),
])
def test_validate_finds_what_run_would_fail_on(aircraft, files, words, tmp_path, capsys):
    code, err = _validate(tmp_path, capsys, BASE + f"aircraft: [{aircraft}]\n", *files)
    assert code == 2 and words in err and "s.yaml:9:" in err, err


def test_bundled_scenarios_still_valid(capsys):
    for name in ("europe-2007", "europe-2007-delayed", "test-small"):
        assert main(["validate", name]) == 0, capsys.readouterr().err


def test_defense_site_override_in_place_is_fine(tmp_path, capsys):
    """Redefining a defense site at its catalog place (e.g. to name it in the file) changes nothing: accepted."""
    from bmdsim.flight import sites

    s = sites.get("redzikowo")
    text = BASE.replace("sensors:", f"sites: [{{name: redzikowo, latitude_deg: {s.latitude_deg}, "
                        f"longitude_deg: {s.longitude_deg}}}]\nsensors:")
    assert _validate(tmp_path, capsys, text)[0] == 0


CLI_CORPUS = [
    (["footprint", "--launch", "semnan", "--missile", "irbm-3700", "--commit-delay-s", "-5"], "--commit-delay-s"),
    (["chase", "--from", "kozelsk", "--to", "washington", "--missile", "icbm-solid-russia",
      "--commit-delay-s", "nan"], "--commit-delay-s"),
    (["ballistic", "--speed-mps", "3000", "--gamma-deg", "30", "--longitude-deg", "1e308"], "--longitude-deg"),
    (["ballistic", "--speed-mps", "inf", "--gamma-deg", "30"], "--speed-mps"),
    (["timeline", "--from", "0,200", "--to", "berlin", "--missile", "irbm-3700"], "longitude"),
    (["coverage", "--radar", "brdy", "--altitude-km", "1e308"], "--altitude-km"),
    (["coverage", "--radar", "brdy", "--altitude-km", ",".join(["100"] * 2000)], "at most"),
    (["coverage", "--radar", "brdy", "--rcs-m2", "inf"], "--rcs-m2"),
    (["track", "--missile", "irbm-3700", "--from", "semnan", "--to", "berlin", "--share", "noise_m=1e308"],
     "noise_m"),
    (["track", "--missile", "irbm-3700", "--from", "semnan", "--to", "berlin", "--seed", str(2**64)], "--seed"),
    (["run", "test-small", "--seed", str(2**64)], "--seed"),
    (["timeline", "--from", "semnan", "--to", "berlin", "--missile", "irbm-3700", "--activation-delay-s", "-1"],
     "--activation-delay-s"),
    (["fly", "--missile", "shahab-3", "--from", "semnan", "--to", "tehran", "--apogee-km", "nan"], "--apogee-km"),
]


@pytest.mark.parametrize(("args", "words"), CLI_CORPUS)
def test_cli_corpus(args, words, capsys):
    code = main(args)
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err, err


def test_swapped_coordinates_warn(capsys):
    code = main(["fly", "--missile", "irbm-3700", "--from", "semnan", "--to", "13.4,52.52", "--json"])
    err = capsys.readouterr().err
    assert code in (0, 2) and "warning: --to 13.4,52.52 is read as latitude 13.4" in err and "berlin" in err


def test_plain_coordinates_do_not_warn(capsys):
    main(["fly", "--missile", "irbm-3700", "--from", "semnan", "--to", "52.52,13.4", "--json"])
    assert "warning" not in capsys.readouterr().err


def test_pairs_batch_marks_rows_and_completes(tmp_path, capsys):
    pairs = tmp_path / "p.csv"
    pairs.write_text("launch_latitude_deg,launch_longitude_deg,target_latitude_deg,target_longitude_deg\n"
                     "35.2,53.9,33.3,44.4\n"      # Semnan -> Baghdad, about 900 km: reached
                     "35.2,53.9,38.9,-77.0\n"     # Washington: beyond reach
                     "35.2,53.9,35.2,53.9\n")     # launch == target
    out = tmp_path / "o.csv"
    code = main(["fly", "--missile", "shahab-3", "--pairs", str(pairs), "--out", str(out), "--json"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    s = json.loads(cap.out)
    assert s["count"] == 3 and s["reached"] == 1 and s["not_reached_rows"] == [3, 4]
    import pandas as pd

    df = pd.read_csv(out)
    assert df["status"].tolist() == ["reached", "unreachable", "too-close"]
    assert df["miss_m"][0] < 100.0


def test_header_only_pairs(tmp_path, capsys):
    pairs = tmp_path / "p.csv"
    pairs.write_text("launch_latitude_deg,launch_longitude_deg,target_latitude_deg,target_longitude_deg\n")
    code = main(["fly", "--missile", "shahab-3", "--pairs", str(pairs), "--out", str(tmp_path / "o.csv")])
    err = capsys.readouterr().err
    assert code == 2 and str(pairs) in err and "no rows" in err


def test_bundled_test_small_text_has_name_line():
    """The outdir tests rewrite test-small's name line; keep it findable."""
    text = resources.files("bmdsim.data.scenarios").joinpath("test-small.yaml").read_text(encoding="utf-8")
    assert "name: test-small" in text
