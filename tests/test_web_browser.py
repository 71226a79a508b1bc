"""The viewer in a real headless chromium (Debian's, driven by Playwright) against a real ``bmdsim serve``: the
page loads with no failed request and no console error, a run started from the page completes and plays, the
globe canvas draws, clicking a trajectory shows its details (the numbers of the database), and no request goes
to any host but the service."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import httpx
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from web_helpers import CHROMIUM, Server, launch_chromium

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="needs Debian's chromium (.ci/run installs it; CI never skips)")

#: set to a folder (e.g. docs) to keep the screenshots
SHOTS = os.environ.get("BMDSIM_SCREENSHOTS")


class Page:
    """A page with its network and console log."""

    def __init__(self, browser, url):
        self.context = browser.new_context(viewport={"width": 1280, "height": 800})
        self.page = self.context.new_page()
        self.page.set_default_timeout(120_000)   # software WebGL on a shared 2-core machine: frames take seconds
        self.requests, self.failed, self.bad_status, self.console_errors = [], [], [], []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: self.failed.append((r.url, r.failure)))
        self.page.on("response", lambda r: r.status >= 400 and self.bad_status.append((r.url, r.status)))
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.page.goto(url)


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with Server(tmp_path_factory.mktemp("browser") / "runs") as s:
        yield s


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def played(service, browser):
    """The page, after starting a run of test-small from its panel and waiting until it plays."""
    pg = Page(browser, service.url + "/")
    page = pg.page
    page.wait_for_selector("#scenario option[value='test-small']", state="attached")
    page.wait_for_function("document.getElementById('status').textContent.includes('No runs yet')")
    page.select_option("#scenario", "test-small")
    page.click("#start")
    page.wait_for_selector("#progress-box:not([hidden])")
    page.wait_for_selector("body[data-run]", timeout=900_000)
    now = "Cesium.JulianDate.secondsDifference(window.bmdsimViewer.viewer.clock.currentTime, " \
          "window.bmdsimViewer.viewer.clock.startTime)"
    t0 = page.evaluate(now)
    page.wait_for_timeout(3000)     # imagery tiles and a few frames
    pg.played_s = page.evaluate(now) - t0
    # pause: software WebGL on a loaded machine renders a frame in seconds, and a playing clock asks for every
    # frame (the viewer renders on request); paused, the page is idle and clicks are answered at once
    page.evaluate("window.bmdsimViewer.viewer.clock.shouldAnimate = false")
    page.wait_for_timeout(1000)
    yield pg
    pg.context.close()


def _only_the_service(urls, service_url):
    here = urlsplit(service_url).netloc
    return [u for u in urls if not u.startswith(("blob:", "data:")) and urlsplit(u).netloc != here]


def test_run_started_from_the_page_completes_and_plays(played, service):
    page = played.page
    rid = page.evaluate("document.body.dataset.run")
    st = httpx.get(f"{service.url}/api/runs/{rid}").json()
    assert st["state"] == "done" and st["scenario"] == "test-small"
    assert page.evaluate("document.getElementById('progress').value") == 1
    assert "done (100 %)" in page.inner_text("#progress-text")
    assert played.played_s > 0      # the clock ran (60x real time in the CZML)
    ids = page.evaluate("window.bmdsimViewer.viewer.dataSources.get(0).entities.values.map(e => e.id)")
    czml = httpx.get(f"{service.url}/api/runs/{rid}/scene.czml").json()
    assert sorted(ids) == sorted(p["id"] for p in czml if p["id"] != "document")
    layers = page.eval_on_selector_all("#layers input", "els => els.map(e => e.dataset.layer)")
    assert {"threat", "sensor", "interceptor", "coverage", "aircraft"} <= set(layers)
    # the viewer plays on the run's clock: the timeline spans the CZML document's interval
    start, stop = czml[0]["clock"]["interval"].split("/")
    got = page.evaluate("(() => { const c = window.bmdsimViewer.viewer.clock, iso = Cesium.JulianDate.toIso8601; "
                        "return [iso(c.startTime, 0), iso(c.stopTime, 0)] })()")
    assert got[0][:19] == start[:19] and got[1][:19] == stop[:19]


def test_no_failed_request_no_console_error_no_other_host(played, service):
    assert played.failed == []
    assert played.bad_status == []
    assert played.console_errors == []
    assert len(played.requests) > 20
    assert _only_the_service(played.requests, service.url) == []
    # the imagery is the bundled Natural Earth II, at most level 2
    tiles = [u for u in played.requests if "/NaturalEarthII/" in u and u.endswith(".jpg")]
    assert tiles and all(int(urlsplit(u).path.split("/NaturalEarthII/")[1].split("/")[0]) <= 2 for u in tiles)


def test_globe_canvas_draws(played, tmp_path):
    shot = tmp_path / "globe.png"
    box = played.page.locator("#globe canvas").first.bounding_box()
    played.page.screenshot(path=str(shot), clip=box)
    px = np.asarray(Image.open(shot).convert("RGB"), dtype=float)
    assert px.shape[0] > 300 and px.shape[1] > 300
    assert px.std(axis=(0, 1)).max() > 20                       # not one colour
    colours = {tuple(c) for c in (px[::8, ::8].reshape(-1, 3) // 32).astype(int)}
    assert len(colours) > 20                                    # sea, land, ice, sky, tracks
    # Earth in the middle: bluish/greenish imagery there, the black sky at a corner
    h, w, _ = px.shape
    centre, corner = px[h // 2 - 20:h // 2 + 20, w // 2 - 20:w // 2 + 20].mean(axis=(0, 1)), px[:20, -20:].mean()
    assert centre.sum() > 150 and corner < 60
    if SHOTS:
        _keep(played.page, "viewer.png")


def _keep(page, name):
    """Save a screenshot of the page into SHOTS (palette PNG: a fifth of the size)."""
    path = Path(SHOTS) / name
    page.screenshot(path=str(path))
    Image.open(path).convert("RGB").quantize(colors=256).save(path, optimize=True)


def test_layer_toggles(played):
    page = played.page
    shown = "(g) => window.bmdsimViewer.viewer.dataSources.get(0).entities.values" \
            ".filter(e => e.id.startsWith(g + ':')).map(e => e.show)"
    for layer in ("track", "observer"):     # they sit on the threat's point: off for the click test below
        assert set(page.evaluate(shown, layer)) == {True}
        page.eval_on_selector(f"#layers input[data-layer='{layer}']", "el => el.click()")
        assert set(page.evaluate(shown, layer)) == {False}
    assert set(page.evaluate(shown, "threat")) == {True}


def test_click_on_a_trajectory_shows_its_details(played, service):
    page = played.page
    rid = page.evaluate("document.body.dataset.run")
    aim = """(() => {
        const v = window.bmdsimViewer.viewer;
        const e = v.dataSources.get(0).entities.getById('threat:iran-berlin');
        v.clock.shouldAnimate = false;
        v.clock.currentTime = Cesium.JulianDate.addSeconds(e.availability.start, 420, new Cesium.JulianDate());
        const here = e.position.getValue(v.clock.currentTime);
        const g = Cesium.Cartographic.fromCartesian(here);   // look straight down on it from 6,000 km
        v.camera.setView({destination: Cesium.Cartesian3.fromRadians(g.longitude, g.latitude, 6e6)});
        v.scene.render();
        const c = Cesium.SceneTransforms.worldToWindowCoordinates(v.scene, here);
        const r = v.canvas.getBoundingClientRect();
        return [c.x + r.left, c.y + r.top];
    })()"""
    # the viewer may redraw or reload between aiming and clicking (other runs of the shared service finishing):
    # aim again and click again, a few times, before calling the click lost
    for attempt in range(5):
        xy = page.evaluate(aim)
        page.wait_for_timeout(500)
        page.mouse.click(xy[0], xy[1])
        try:
            page.wait_for_selector("#details[data-object='threat:iran-berlin']", state="attached",
                                   timeout=120_000 if attempt == 4 else 20_000)
            break
        except PlaywrightTimeoutError:
            if attempt == 4:
                raise
    cells = page.eval_on_selector_all("#details table:first-of-type tr",
                                      "rows => rows.map(r => [r.cells[0].textContent, r.cells[1].textContent])")
    shown = dict(cells)
    con = duckdb.connect(str(service.runs_dir / rid / "results.duckdb"), read_only=True)
    try:
        cur = con.execute("SELECT * FROM threat_flights WHERE threat = 'iran-berlin'")
        row = dict(zip([d[0] for d in cur.description], cur.fetchall()[0], strict=True))
    finally:
        con.close()
    for k in ("range_km", "apogee_km", "burnout_speed_mps", "time_of_flight_s", "miss_m", "impact_latitude_deg"):
        assert float(shown[k]) == row[k], k
    assert shown["missile"] == row["missile"] == "irbm-3700"
    if SHOTS:
        _keep(page, "viewer-details.png")
    assert played.console_errors == [] and played.failed == []
