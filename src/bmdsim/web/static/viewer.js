// bmdsim viewer: plays a run's scene.czml on an offline CesiumJS globe and drives the service's JSON API.
// Offline by construction: no Cesium ion token, no geocoder, no terrain, imagery from the bundled Natural Earth II
// tiles (levels 0-2); every request goes to the service that served this page.
"use strict";

Cesium.Ion.defaultAccessToken = "";

const $ = (id) => document.getElementById(id);
const api = async (path, options) => {
  const r = await fetch(path, options);
  const body = await r.json();
  if (!r.ok) throw new Error(body.message || `${r.status} ${r.statusText}`);
  return body;
};

// layer groups: the prefix of a CZML packet id ("threat:iran-berlin") -> label
const LAYERS = {
  threat: "threat trajectories", interceptor: "interceptor sites", interceptor_flight: "interceptor fly-outs (flown)",
  intercept: "intercepts", sensor: "radar sites", coverage: "radar coverage", field_of_regard: "radar fields of regard",
  track: "defense track, PIP and ellipse", observer: "observer's delayed view", footprint: "defended footprint",
  aircraft: "aircraft routes", airspace: "aircraft closest approaches", territorial: "territorial airspace",
};
// layers drawn as areas or volumes: a click picks them only where no point or line lies under the cursor
const AREAS = new Set(["field_of_regard", "territorial", "coverage"]);

const viewer = new Cesium.Viewer("globe", {
  baseLayer: Cesium.ImageryLayer.fromProviderAsync(
    Cesium.TileMapServiceImageryProvider.fromUrl(Cesium.buildModuleUrl("Assets/Textures/NaturalEarthII"),
                                                 { maximumLevel: 2 })),
  baseLayerPicker: false, geocoder: false, homeButton: true, sceneModePicker: true, navigationHelpButton: false,
  fullscreenButton: false, infoBox: false, selectionIndicator: true, shouldAnimate: true,
  // software rendering is the common case (no GPU): draw only when something changes, at most 30 frames/s
  requestRenderMode: true, targetFrameRate: 30,
});
viewer.scene.globe.enableLighting = false;

const state = { run: null, source: null, tables: {}, hidden: new Set() };
window.bmdsimViewer = { viewer, state };   // for the browser tests and the console

function status(text) { $("status").textContent = text || ""; }

function table(rows) {
  const t = document.createElement("table");
  for (const [k, v] of rows) {
    const tr = t.insertRow();
    tr.insertCell().textContent = k;
    tr.insertCell().textContent = v === null || v === undefined ? "–" : String(v);
  }
  return t;
}

// ----------------------------------------------------------------------------------------------- scenarios, runs
async function loadScenarios() {
  const rows = await api("/api/scenarios");
  const sel = $("scenario");
  sel.replaceChildren();
  for (const s of rows) {
    const o = new Option(s.origin === "bundled" ? s.name : `${s.name} (yours)`, s.name);
    o.disabled = !s.valid;
    o.title = s.valid ? s.description : s.problem;
    sel.add(o);
  }
}

async function loadRuns(select) {
  const { runs } = await api("/api/runs");
  const sel = $("runs");
  sel.replaceChildren();
  for (const r of runs) {
    const label = r.state === "done" ? `${r.id}  (${r.finished_utc || ""})` : `${r.id}  [${r.state}]`;
    const o = new Option(label, r.id);
    o.disabled = r.state !== "done";
    sel.add(o);
  }
  const want = select || new URLSearchParams(location.search).get("run");
  const pick = runs.find((r) => r.id === want && r.state === "done") || runs.find((r) => r.state === "done");
  const pending = runs.find((r) => r.state === "queued" || r.state === "running");
  if (pending) watch(pending.id);
  if (pick && pick.id !== state.run) {
    sel.value = pick.id;
    await playRun(pick.id);
  } else if (!pick && !pending) {
    status("No runs yet: pick a scenario and press Run.");
  }
}

let watching = null;
function watch(id) {
  if (watching === id) return;
  watching = id;
  $("progress-box").hidden = false;
  const es = new EventSource(`/api/runs/${encodeURIComponent(id)}/events`);
  const show = (ev) => {
    const s = JSON.parse(ev.data);
    $("progress").value = s.progress;
    $("progress-text").textContent = `${s.id}: ${s.state}` + (s.step ? `, ${s.step}` : "") +
      ` (${Math.round(100 * s.progress)} %)` + (s.error ? `: ${s.error}` : "");
    return s;
  };
  es.addEventListener("progress", show);
  es.addEventListener("end", async (ev) => {
    es.close();
    watching = null;
    const s = show(ev);
    if (s.state === "done") await loadRuns(s.id);
    else status(`run ${s.id} failed: ${s.error}`);
  });
}

async function startRun() {
  status("");
  const body = { scenario: $("scenario").value };
  const seed = $("seed").value.trim();
  if (seed !== "") body.seed = Number(seed);
  try {
    const r = await api("/api/runs", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    await loadRuns(state.run);
    watch(r.id);
  } catch (e) {
    status(e.message);
  }
}

// ----------------------------------------------------------------------------------------------- playing a run
async function playRun(id) {
  status("");
  const base = `/api/runs/${encodeURIComponent(id)}`;
  const [info, ds] = await Promise.all([api(base), Cesium.CzmlDataSource.load(`${base}/scene.czml`)]);
  const tables = {};
  await Promise.all(["run", "objects", "threat_flights", "decision_times", "engagements", "outcomes", "unseen", "shared_feed",
                     "interceptor_flyouts", "tracks", "airspace_events"].map(
    async (t) => { tables[t] = (await api(`${base}/tables/${t}?limit=10000`)).rows; }));
  viewer.dataSources.removeAll();
  await viewer.dataSources.add(ds);
  viewer.clockTrackedDataSource = ds;
  viewer.timeline.zoomTo(ds.clock.startTime, ds.clock.stopTime);
  // start a minute before the first launch (an aircraft track may begin hours earlier)
  const launches = ds.entities.values.filter((e) => group(e) === "threat" && e.availability)
    .map((e) => e.availability.start);
  if (launches.length) {
    const first = launches.reduce((a, b) => (Cesium.JulianDate.lessThan(a, b) ? a : b));
    const t = Cesium.JulianDate.addSeconds(first, -60, new Cesium.JulianDate());
    if (Cesium.JulianDate.greaterThan(t, ds.clock.startTime)) viewer.clock.currentTime = t;
  }
  // the scenario epoch: every t_s of the tables counts from it (the CZML document's position epoch)
  const epoch = Cesium.JulianDate.fromIso8601(tables.run[0].epoch_utc);
  Object.assign(state, { run: id, source: ds, tables, info, epoch });
  showRunInfo(info);
  buildLayers(ds);
  viewer.selectedEntity = undefined;
  showDetails(undefined);
  // frame what moves and the sites, not the fields of regard (they reach thousands of km into space)
  await viewer.zoomTo(ds.entities.values.filter((e) => group(e) !== "field_of_regard"));
  document.body.dataset.run = id;   // the page has played this run
}

function showRunInfo(info) {
  const s = info.summary || {};
  $("run-info").replaceChildren(table([
    ["scenario", info.scenario], ["seed", info.seed], ["threats", s.threats], ["intercepted", s.intercepted],
    ["leakers", s.leakers], ["tracked threats", s.tracked_threats],
    ["defended cities", (s.defended_cities || []).join(", ") || null],
  ]));
  const base = `/api/runs/${encodeURIComponent(info.id)}`;
  const links = $("run-links");
  links.replaceChildren();
  for (const [label, href] of [["report", `${base}/report.html`], ["CZML", `${base}/scene.czml`],
                               ["footprints", `${base}/footprints.geojson`]]) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = label;
    a.target = "_blank";
    links.append(a, " ");
  }
}

function group(entity) {
  const id = entity.id || "";
  return id.includes(":") ? id.slice(0, id.indexOf(":")) : "other";
}

function buildLayers(ds) {
  const counts = {};
  for (const e of ds.entities.values) counts[group(e)] = (counts[group(e)] || 0) + 1;
  const box = $("layers");
  box.replaceChildren();
  for (const g of Object.keys(counts).sort()) {
    const label = document.createElement("label");
    label.className = "layer";
    const cb = document.createElement("input");
    cb.type = "checkbox";
    cb.checked = !state.hidden.has(g);
    cb.dataset.layer = g;
    cb.style.width = "auto";
    cb.addEventListener("change", () => {
      if (cb.checked) state.hidden.delete(g); else state.hidden.add(g);
      for (const e of ds.entities.values) if (group(e) === g) e.show = cb.checked;
    });
    label.append(cb, ` ${LAYERS[g] || g} (${counts[g]})`);
    box.append(label);
    for (const e of ds.entities.values) if (group(e) === g) e.show = cb.checked;
  }
}

// ----------------------------------------------------------------------------------------------- details
const FIELDS = {
  threat_flights: ["missile", "launch", "target", "profile", "range_km", "apogee_km", "burnout_speed_mps",
                   "time_of_flight_s", "launch_t_s", "impact_t_s", "impact_latitude_deg",
                   "impact_longitude_deg", "miss_m"],
};

function rowsOf(tableName, key, value) {
  return (state.tables[tableName] || []).filter((r) => r[key] === value);
}

function showDetails(entity) {
  const box = $("details");
  if (!entity) { box.textContent = "Click an object on the globe."; return; }
  const id = entity.id || "";
  const kind = group(entity);
  const name = id.slice(id.indexOf(":") + 1);
  const parts = [];
  const h = document.createElement("h3");
  h.textContent = entity.name || id;
  parts.push(h);
  const objectId = kind === "interceptor" ? `interceptor_site:${name}` : id;
  const obj = rowsOf("objects", "object_id", objectId)[0];
  if (kind === "threat") {
    const f = rowsOf("threat_flights", "threat", name)[0];
    if (f) parts.push(table(FIELDS.threat_flights.map((k) => [k, f[k]])));
    for (const d of rowsOf("decision_times", "threat", name)) {
      parts.push(table(Object.entries(d).filter(([k]) => k !== "threat")));
    }
    for (const e of rowsOf("engagements", "threat", name)) {
      parts.push(table([["engagement", `${e.site} shot ${e.shot}`], ["intercept_t_s", e.intercept_t_s],
                        ["intercept_altitude_km", e.intercept_altitude_km]]));
    }
    for (const o of rowsOf("outcomes", "threat", name)) {
      parts.push(table([["outcome", `${o.site}: ${o.outcome}`], ["p_kill", o.p_kill], ["reason", o.reason]]));
    }
  } else if (kind === "intercept" || kind === "interceptor_flight") {
    const [site, threat, shot] = name.split(":");
    const e = (state.tables.engagements || []).find(
      (r) => r.site === site && r.threat === threat && String(r.shot) === shot);
    if (e) parts.push(table(Object.entries(e)));
    const f = rowsOf("interceptor_flyouts", "object_id", `interceptor:${name}`)[0];
    if (f && kind === "interceptor_flight") parts.splice(1, 0, table(Object.entries(f)));
  } else if (kind === "field_of_regard") {
    const sensor = entity.properties.sensor.getValue(), face = entity.properties.face.getValue();
    const o = rowsOf("objects", "object_id", `sensor:${sensor}`)[0];
    if (o) {
      const d = JSON.parse(o.details_json);
      parts.push(table([["sensor", sensor], ["face", face + 1], ...Object.entries(d.fields_of_regard[face]),
                        ["min_elevation_deg", d.min_elevation_deg], ["max_range_km", d.max_range_km]]));
    }
  } else if (kind === "territorial") {
    const country = entity.properties.country.getValue();
    for (const r of rowsOf("airspace_events", "subject", country)) {
      parts.push(table(Object.entries(r).filter(([k]) => k !== "subject")));
    }
  } else if (kind === "track" && id.endsWith(":pip")) {
    // the tracks table's PIP at the latest update before the clock's time (the first one before it starts)
    const threat = name.slice(0, -":pip".length);
    const now = Cesium.JulianDate.secondsDifference(viewer.clock.currentTime, state.epoch);
    const rows = rowsOf("tracks", "threat", threat).filter((r) => r.pip_semi_minor_km !== null);
    const r = rows.filter((x) => x.t_s <= now + 1e-3).pop() || rows[0];   // 1 ms: the clock's rounding
    if (r) parts.push(table(Object.entries(r).filter(([k]) => k === "t_s" || k === "k" || k.startsWith("pip_"))));
  } else if (kind === "sensor" && obj) {
    const d = JSON.parse(obj.details_json);
    parts.push(table(Object.entries(obj).filter(([k]) => !["object_id", "details_json"].includes(k))));
    parts.push(table([["min_elevation_deg", d.min_elevation_deg], ["max_range_km", d.max_range_km],
                      ["faces", (d.fields_of_regard || []).length]]));
  } else if (kind === "observer") {
    const [observer, threat] = name.split(":");
    for (const r of (state.tables.shared_feed || []).filter((x) => x.observer === observer && x.threat === threat)) {
      parts.push(table(Object.entries(r).filter(([k]) => !["observer", "threat"].includes(k))));
    }
  } else if (obj) {
    parts.push(table(Object.entries(obj).filter(([k]) => k !== "object_id")));
  }
  const desc = entity.description && entity.description.getValue(viewer.clock.currentTime);
  if (desc) { const p = document.createElement("p"); p.textContent = desc; parts.splice(1, 0, p); }
  box.replaceChildren(...parts);
  box.dataset.object = id;
}

viewer.selectedEntityChanged.addEventListener(showDetails);
// picking: the nearest point or line under the cursor, else the nearest area or volume (a field of regard spans
// half the sky and would otherwise hide every threat inside it)
viewer.screenSpaceEventHandler.setInputAction((click) => {
  const hits = viewer.scene.drillPick(click.position, 4).map((h) => h && h.id)
    .filter((e) => e instanceof Cesium.Entity && e.isShowing);
  viewer.selectedEntity = hits.find((e) => !AREAS.has(group(e))) || hits[0];
}, Cesium.ScreenSpaceEventType.LEFT_CLICK);
$("start").addEventListener("click", startRun);
$("runs").addEventListener("change", (ev) => playRun(ev.target.value).catch((e) => status(e.message)));

(async () => {
  try {
    await loadScenarios();
    await loadRuns();
  } catch (e) {
    status(e.message);
  }
})();
