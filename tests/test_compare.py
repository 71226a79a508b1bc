"""`bmdsim compare`: the six questions side by side (text, --json, compare.html), sweep cases as items, and the
bundled 2007 alternatives (delayed activation, Gabala in place of and beside Brdy)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bmdsim.cli import main
from bmdsim.engagement import defenses
from bmdsim.scenario.load import load_scenario
from bmdsim.sweep import cases, compare
from bmdsim.sweep.store import SweepStore

TINY = Path(__file__).parent / "data" / "sweep-tiny.yaml"


def test_compare_shows_both_answers_side_by_side(tmp_path, capsys):
    delayed = tmp_path / "tiny-delayed.yaml"
    delayed.write_text(TINY.read_text().replace("name: sweep-tiny", "name: sweep-tiny-delayed").replace(
        "inventory: 4}", "inventory: 4, readiness: {state: delayed, activation_delay_s: 900}}"))
    code = main(["compare", str(TINY), str(delayed), "--out", str(tmp_path / "cmp"), "--json"])
    cap = capsys.readouterr()
    assert code == 0, cap.err
    r = json.loads(cap.out)
    assert r["scenarios"] == ["sweep-tiny", "sweep-tiny-delayed"]
    rows = {a["measure"]: a for a in r["answers"]}
    assert {a["question"][0] for a in r["answers"]} >= {"1", "2", "3", "4"}
    assert rows["readiness"]["sweep-tiny"] == "redzikowo-gbi: on-alert"
    assert rows["readiness"]["sweep-tiny-delayed"] == "redzikowo-gbi: delayed 15 min"
    # the same threats and radars: the sensing answers agree, the decision window shrinks by the delay
    assert rows["radars"]["sweep-tiny"] == rows["radars"]["sweep-tiny-delayed"]
    w0 = float(rows["shortest decision window, min"]["sweep-tiny"])
    w1 = float(rows["shortest decision window, min"]["sweep-tiny-delayed"])
    assert w1 < w0
    html = (tmp_path / "cmp" / "compare.html").read_text()
    assert html.count("data:image/png") >= 2 and 'class="diff"' in html


def test_compare_needs_two_and_reads_sweep_cases(tmp_path, capsys):
    assert main(["compare", str(TINY)]) == 2
    assert "two or more" in capsys.readouterr().err
    ls = load_scenario(str(TINY))
    plan = cases.plan(ls, str(TINY), [cases.parse_setting("interceptor_sites.0.inventory=2,6")], trials=1)
    store = SweepStore(tmp_path / "sw", plan, resume=False)
    store.rebuild()
    store.close()
    item = compare.load_item(f"{tmp_path / 'sw'}@1")
    assert item.loaded.scenario.interceptor_sites[0].inventory == 6 and "@1" in item.label
    with pytest.raises(compare.InputError, match="cases 0 to 1"):
        compare.load_item(f"{tmp_path / 'sw'}@5")


def test_the_gabala_alternatives_swap_the_radar_and_the_commit_sensors():
    g = load_scenario("europe-2007-gabala").scenario
    gb = load_scenario("europe-2007-gabala-brdy").scenario
    base = load_scenario("europe-2007").scenario
    radars = {s.catalog for s in g.sensors}
    assert "gabala" in radars and "brdy" not in radars
    assert {"gabala", "brdy"} <= {s.catalog for s in gb.sensors}
    assert [t.name for t in g.threats] == [t.name for t in base.threats]
    assert defenses.get(g.interceptor_sites[0].site).sensors == ("ew-satellites", "fylingdales", "thule", "gabala")
    assert "brdy" in defenses.get(gb.interceptor_sites[0].site).sensors
    # the variants sit where Redzikowo is (the catalog's, SECONDARY)
    d, base_d = defenses.get(g.interceptor_sites[0].site), defenses.get("redzikowo")
    assert (d.latitude_deg, d.longitude_deg, d.inventory) == (base_d.latitude_deg, base_d.longitude_deg, 10)
