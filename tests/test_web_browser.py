"""The viewer in a real headless chromium (Debian's, driven by Playwright) against a real ``bmdsim serve``: the
page loads with no failed request and no console error, a run started from the page completes and plays, the
globe canvas draws, clicking a trajectory shows its details (the numbers of the database), and no request goes
to any host but the service."""

from __future__ import annotations

import json
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
    layers = page.eval_on_selector_all("#layers input", "els => els.map(e => e.dataset.layer)")
    # the flown fly-outs, the radar fields of regard and the territorial airspace: each its own layer, off and on
    # (in one script: software WebGL redraws the half-sky volumes in seconds after each toggle otherwise)
    flips = page.evaluate(f"""(() => {{
        const shown = {shown};
        return ["interceptor_flight", "field_of_regard", "territorial"].map((g) => {{
            const box = document.querySelector(`#layers input[data-layer='${{g}}']`);
            const before = shown(g); box.click(); const off = shown(g); box.click();
            return [g, before, off, shown(g)];
        }});
    }})()""")
    for layer, before, off, on in flips:
        assert layer in layers
        assert len(before) > 0 and set(before) == {True} and set(off) == {False} and set(on) == {True}, layer
    for layer in ("track", "observer"):     # they sit on the threat's point: off for the click test below
        assert set(page.evaluate(shown, layer)) == {True}
        page.eval_on_selector(f"#layers input[data-layer='{layer}']", "el => el.click()")
        assert set(page.evaluate(shown, layer)) == {False}
    assert set(page.evaluate(shown, "threat")) == {True}


def _db(service, rid, sql):
    con = duckdb.connect(str(service.runs_dir / rid / "results.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchdf()
    finally:
        con.close()


def test_cesium_draws_the_pip_ellipse_with_the_stored_axes_and_orientation(played, service):
    """Cesium's own ellipse geometry (EllipseOutlineGeometry of the vendored build, from the entity's values at
    an update time) has its farthest points along the table's orientation: this pins Cesium's rotation
    convention (counter-clockwise from east, CesiumGS/cesium#8682), not only our formula. Tolerances: 1 deg
    (the outline's vertices are 0.25 deg of the parametric angle apart), 1 % on the axes."""
    from pyproj import Geod

    page = played.page
    rid = page.evaluate("document.body.dataset.run")
    rows = _db(service, rid, "SELECT * FROM tracks WHERE pip_semi_minor_km > 0.1 AND "
                             "pip_semi_major_km > 1.5 * pip_semi_minor_km ORDER BY threat, k")
    assert len(rows) > 10
    r = rows.iloc[len(rows) // 2]
    got = page.evaluate("""([id, t]) => {
        const v = window.bmdsimViewer.viewer, st = window.bmdsimViewer.state;
        const e = v.dataSources.get(0).entities.getById(id);
        const time = Cesium.JulianDate.addSeconds(st.epoch, t, new Cesium.JulianDate());
        const center = e.position.getValue(time);
        const g = Cesium.EllipseOutlineGeometry.createGeometry(new Cesium.EllipseOutlineGeometry({
            center, semiMajorAxis: e.ellipse.semiMajorAxis.getValue(time),
            semiMinorAxis: e.ellipse.semiMinorAxis.getValue(time), rotation: e.ellipse.rotation.getValue(time),
            granularity: Cesium.Math.toRadians(0.25)}));
        const p = g.attributes.position.values, out = [];
        for (let i = 0; i < p.length; i += 3) {
            const c = Cesium.Cartographic.fromCartesian(new Cesium.Cartesian3(p[i], p[i + 1], p[i + 2]));
            out.push([Cesium.Math.toDegrees(c.longitude), Cesium.Math.toDegrees(c.latitude)]);
        }
        const c = Cesium.Cartographic.fromCartesian(center);
        return {center: [Cesium.Math.toDegrees(c.longitude), Cesium.Math.toDegrees(c.latitude)], ring: out};
    }""", [f"track:{r.threat}:pip", float(r.t_s)])
    assert abs(got["center"][0] - r.pip_longitude_deg) < 1e-9 and abs(got["center"][1] - r.pip_latitude_deg) < 1e-9
    ring = np.asarray(got["ring"])
    az, _, d = Geod(ellps="WGS84").inv(np.full(len(ring), got["center"][0]), np.full(len(ring), got["center"][1]),
                                       ring[:, 0], ring[:, 1])
    far = az[np.argmax(d)] % 180.0
    assert abs((far - r.pip_orientation_deg + 90.0) % 180.0 - 90.0) < 1.0, (far, r.pip_orientation_deg)
    assert d.max() / 1e3 == pytest.approx(r.pip_semi_major_km, rel=0.01)
    assert d.min() / 1e3 == pytest.approx(r.pip_semi_minor_km, rel=0.01)


def test_cesium_draws_each_field_of_regard_in_its_sector(played, service):
    """Cesium's own ellipsoid outline of each face (vendored build, the entity's clock and cone limits) lies in
    the face's azimuth sector and elevation limits, spans them, and reaches the instrumented range; the entity's
    frame is the site's east-north-up frame. Tolerance 0.5 deg (the outline's subdivisions)."""
    page = played.page
    rid = page.evaluate("document.body.dataset.run")
    sensors = _db(service, rid, "SELECT name, details_json FROM objects WHERE kind = 'sensor'")
    checked = 0
    for s in sensors.itertuples():
        d = json.loads(s.details_json)
        for k, f in enumerate(d.get("fields_of_regard", [])):
            got = page.evaluate("""(id) => {
                const v = window.bmdsimViewer.viewer, e = v.dataSources.get(0).entities.getById(id);
                const t = v.clock.currentTime, o = e.ellipsoid, val = (p) => p.getValue(t);
                const g = Cesium.EllipsoidOutlineGeometry.createGeometry(new Cesium.EllipsoidOutlineGeometry({
                    radii: val(o.radii), minimumClock: val(o.minimumClock), maximumClock: val(o.maximumClock),
                    minimumCone: val(o.minimumCone), maximumCone: val(o.maximumCone), stackPartitions: 4,
                    slicePartitions: 8, subdivisions: 360}));
                const m = e.computeModelMatrix(t);
                const enu = Cesium.Transforms.eastNorthUpToFixedFrame(e.position.getValue(t));
                return {p: Array.from(g.attributes.position.values),
                        enu: Cesium.Matrix4.equalsEpsilon(m, enu, 1e-6)};
            }""", f"field_of_regard:{s.name}:{k}")
            assert got["enu"]
            p = np.asarray(got["p"]).reshape(-1, 3)
            rng = np.linalg.norm(p, axis=1)
            far = rng > 1.0
            az = np.degrees(np.arctan2(p[far, 0], p[far, 1]))
            el = np.degrees(np.arcsin(p[far, 2] / rng[far]))
            off = (az - f["boresight_azimuth_deg"] + 180.0) % 360.0 - 180.0
            assert np.abs(off).max() <= f["azimuth_half_width_deg"] + 0.5
            if f["azimuth_half_width_deg"] < 180.0:
                assert np.abs(off).max() >= f["azimuth_half_width_deg"] - 0.5
            assert el.min() >= d["min_elevation_deg"] - 0.5 and el.max() <= f["max_elevation_deg"] + 0.5
            assert el.min() <= d["min_elevation_deg"] + 0.5
            assert rng.max() == pytest.approx(d["max_range_km"] * 1e3, rel=1e-6)
            checked += 1
    assert checked == 4     # Fylingdales' three faces and Brdy's one


def _details(page, entity_id, t_s=None):
    """Select an entity (at an optional clock time, s from the epoch) and read the details panel's tables."""
    page.evaluate("""([id, t]) => {
        const v = window.bmdsimViewer.viewer, st = window.bmdsimViewer.state;
        if (t !== null) v.clock.currentTime = Cesium.JulianDate.addSeconds(st.epoch, t, new Cesium.JulianDate());
        v.selectedEntity = v.dataSources.get(0).entities.getById(id);
    }""", [entity_id, t_s])
    page.wait_for_selector(f"#details[data-object='{entity_id}']", state="attached")
    return page.eval_on_selector_all("#details table", "ts => ts.map(t => Object.fromEntries("
                                     "Array.from(t.rows).map(r => [r.cells[0].textContent, r.cells[1].textContent])))")


def test_details_of_the_new_layers_are_the_database_numbers(played, service):
    page = played.page
    rid = page.evaluate("document.body.dataset.run")
    # a flown fly-out: its interceptor_flyouts row
    f = _db(service, rid, "SELECT * FROM interceptor_flyouts ORDER BY threat").iloc[0]
    shown = _details(page, f"interceptor_flight:{f.site}:{f.threat}:{f.shot}")[0]
    for k in ("launch_t_s", "intercept_t_s", "miss_m", "launch_azimuth_deg", "time_of_flight_s"):
        assert float(shown[k]) == f[k], k
    # a field of regard: the face's numbers in the objects table
    d = json.loads(_db(service, rid, "SELECT details_json FROM objects WHERE object_id = 'sensor:fylingdales'")
                   .details_json.iloc[0])
    shown = _details(page, "field_of_regard:fylingdales:1")[0]
    assert shown["face"] == "2"
    for k, v in d["fields_of_regard"][1].items():
        assert float(shown[k]) == v, k
    assert float(shown["max_range_km"]) == d["max_range_km"]
    # territorial airspace: the airspace_events rows of that country
    ev = _db(service, rid, "SELECT * FROM airspace_events WHERE subject = 'Norway' AND event = 'closest_to_coast'")
    tables = _details(page, "territorial:NOR:0")
    row = next(t for t in tables if t.get("event") == "closest_to_coast")
    assert float(row["distance_km"]) == ev.distance_km.iloc[0]
    # the PIP at an update: that row of the tracks table
    pips = _db(service, rid, "SELECT * FROM tracks WHERE threat = 'iran-berlin' AND pip_semi_minor_km IS NOT NULL "
                             "ORDER BY k")
    r, r0 = pips.iloc[5], pips.iloc[0]
    shown = _details(page, "track:iran-berlin:pip", float(r.t_s))[0]
    for k in ("pip_semi_major_km", "pip_semi_minor_km", "pip_orientation_deg", "pip_latitude_deg"):
        assert float(shown[k]) == r[k], k
    if SHOTS:
        # the fly-outs, fields of regard and territorial airspace at 700 s; the first PIP ellipse of iran-berlin
        # (580 x 330 km) over Germany, the defense track's layer on again
        page.eval_on_selector("#layers input[data-layer='track']", "el => el.checked || el.click()")
        for t, lon, lat, h, name in ((700.0, 18.0, 50.0, 9e6, "viewer-layers.png"),
                                     (float(r0.t_s) + 3.0, 13.0, 52.0, 2.5e6, "viewer-pip.png")):
            page.evaluate("""([t, lon, lat, h]) => {
                const v = window.bmdsimViewer.viewer, st = window.bmdsimViewer.state;
                v.selectedEntity = undefined;
                v.clock.currentTime = Cesium.JulianDate.addSeconds(st.epoch, t, new Cesium.JulianDate());
                v.camera.setView({destination: Cesium.Cartesian3.fromDegrees(lon, lat, h)});
            }""", [t, lon, lat, h])
            for _ in range(10):     # time-varying geometry (the ellipse, the paths) is built over the next frames
                page.evaluate("window.bmdsimViewer.viewer.scene.requestRender()")
                page.wait_for_timeout(500)
            _keep(page, name)
    assert played.console_errors == [] and played.failed == []


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
