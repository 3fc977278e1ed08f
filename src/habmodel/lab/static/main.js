// habmodel lab: the page. It holds the current settings (in the page's address too),
// hands every accepted change to the trace worker (the newest change wins), draws the
// answers, then asks for the I-V curves and, in separate workers, the firing-mode map.
// The voltage-clamp mode (?mode=vclamp) is clampview.js, loaded when it is first shown.
// index.html loads this module only over http (not from file://).

import { InputError, Settings } from "./settings.js";
import { buildControls } from "./controls.js";
import * as plots from "./plots.js";
import { TraceClient } from "./workers.js";
import { ModeMapView, serial } from "./mapview.js";
import { AddressKeeper, modeFromAddress, settingsFromAddress, tourFromAddress } from "./address.js";
import { copyLink, readChosenFile, saveText, traceCsv } from "./downloads.js";
import { Tour } from "./tour.js";

// The simulation worker starts first: it loads the kernel while the page builds itself.
const client = new TraceClient("worker.js", { onTrace: traceAnswered, onIV: ivAnswered, onError: workerFailed });
const startMode = modeFromAddress(location.search);
const modelLoaded = fetch("model.json").then((r) => {
  if (!r.ok) throw new Error(`model.json could not be loaded (${r.status})`);
  return r.json();
});
const domReady = new Promise((resolve) => {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", resolve, { once: true });
  else resolve();
});
/** Run Plotly (a classic script defining window.Plotly), once the first trace is asked for:
 * parsing it takes the page's thread for a moment. */
function loadPlotly() {
  return new Promise((resolve, reject) => {
    if (window.Plotly) return resolve();
    const script = document.createElement("script");
    script.src = "vendor/plotly-basic.min.js";
    script.id = "plotly-js";
    script.addEventListener("load", resolve, { once: true });
    script.addEventListener("error", () => reject(new Error(
      "the plotting library (vendor/plotly-basic.min.js) did not load")), { once: true });
    document.head.append(script);
  });
}
let uiBuilt;
const uiReady = new Promise((resolve) => { uiBuilt = resolve; });

const $ = (id) => document.getElementById(id);
let model = null;
let api = null;          // the Settings of model.json
let current = null;      // the settings shown (the last accepted change)
let changeId = 0;        // the id of the newest change (= its trace request)
const sentAt = new Map();
let widgets = {};
let shown = null;        // the drawn trace's full arrays, for the CSV
let nextRun = null;      // the newest trace answer not yet drawn
let drawing = false;
let ivKey = null;
let ivId = 0;
let modeMap = null;      // the firing-mode map (mapview.js)
let address = null;      // the settings in the page's address (address.js)
const onIVFigure = serial();
let mode = startMode;    // "cclamp" (the trace, I-V, map) or "vclamp"
let clampView = null;    // the voltage clamp (clampview.js), once shown
let traced = false;      // a trace was asked for (the current clamp was shown)

// The hooks of the browser tests and the benchmark.
const hooks = {
  settings: () => (mode === "vclamp" ? clampView?.settings() ?? null : current ? structuredClone(current) : null),
  lastTrace: null, lastIV: null, lastMap: null, lastClamp: null, traces: 0, maps: 0, clamps: 0, timings: [],
  apply(changes) {
    const { mode: wanted, ...rest } = changes;
    safely(async () => {
      if (wanted) await setMode(wanted);
      if (mode === "vclamp") clampView.change(rest);
      else if (Object.keys(rest).length) applyChanges(rest);
    });
  },
};
window.habmodelLab = hooks;

// --- messages: shown on the page, never thrown, never logged -------------------------------
const early = [];
function showMessage(text) {
  const box = $("message");
  if (box) box.textContent = text;
  else early.push(text);
}
function clearMessage() {
  const box = $("message");
  if (box) box.textContent = "";
}
function describe(err) {
  return err instanceof InputError ? err.message : `something went wrong: ${err?.message ?? err}`;
}
function safely(fn) {
  try {
    const out = fn();
    if (out instanceof Promise) out.catch((err) => showMessage(describe(err)));
  } catch (err) {
    showMessage(describe(err));
  }
}
window.addEventListener("error", (event) => { event.preventDefault(); showMessage(describe(event.error ?? event.message)); });
window.addEventListener("unhandledrejection", (event) => { event.preventDefault(); showMessage(describe(event.reason)); });

// --- settings --------------------------------------------------------------------------------
/** Apply a partial settings object (values as numbers or typed text with units). A new
 * condition starts from its preset. Throws InputError for a value that cannot be used. */
function applyChanges(changes) {
  if (!api) throw new InputError("the lab is still starting");
  let s = structuredClone(current);
  if ("condition" in changes && changes.condition !== s.condition) s = api.preset(changes.condition);
  for (const [name, value] of Object.entries(changes)) {
    if (name === "condition") continue;
    if (name === "extra") {
      s.extra = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, api.parseParameter(k, v)]));
    } else if (name in api.controls) {
      s[name] = typeof value === "number" ? api.check(name, value) : api.parse(name, String(value));
    } else {
      throw new InputError(`unknown setting '${name}'`);
    }
  }
  accept(s);
}

/** Take `s` as the current settings and simulate it. */
function accept(s) {
  current = s;
  changeId += 1;
  traced = true;
  sentAt.set(changeId, performance.now());
  client.trace(changeId, s);
  if (!document.body?.dataset.ui) return;
  clearMessage();
  showSettings(s);
  if (mode === "cclamp") address.update(s);
}

// --- the mode: current clamp or voltage clamp --------------------------------------------
/** Load the voltage clamp's module and view (once). */
async function clampViewReady() {
  if (!clampView) {
    const { ClampView } = await import("./clampview.js");
    clampView = new ClampView({
      model, client, hooks, ready: uiReady, onError: showMessage, onClear: clearMessage,
      onSettings: (s) => { if (mode === "vclamp") address.update(s); },
    });
  }
  return clampView;
}

/** Show the current clamp ("cclamp") or the voltage clamp ("vclamp"). */
async function setMode(wanted) {
  if (wanted !== "cclamp" && wanted !== "vclamp") throw new InputError(`mode: expected cclamp or vclamp, got '${wanted}'`);
  mode = wanted;
  document.body.classList.toggle("vclamp-mode", mode === "vclamp");
  for (const button of document.querySelectorAll(".mode-button")) {
    button.setAttribute("aria-pressed", String(button.dataset.mode === mode));
  }
  document.querySelector(".skip").href = mode === "vclamp" ? "#vc-plots" : "#plots";
  // figures drawn while their mode was hidden take their size now
  for (const id of mode === "vclamp" ? ["vc-traces", "vc-iv"] : ["trace", "zoom", "iv", "map"]) {
    const div = $(id);
    if (div?.data && window.Plotly) window.Plotly.Plots.resize(div).catch(() => {});
  }
  if (mode === "vclamp") {
    const view = await clampViewReady();
    if (!view.s) view.accept(view.api.preset());
    else address.update(view.s);
  } else {
    if (!traced) accept(current);
    address.update(current);
  }
}

function showSettings(s) {
  for (const [name, widget] of Object.entries(widgets)) widget.set(s[name]);
  for (const button of document.querySelectorAll(".preset")) {
    button.setAttribute("aria-pressed", String(button.dataset.condition === s.condition));
  }
}

/** What the I-V curves depend on: the cell and the drugs (not the holding current, which
 * is the dashed line, nor the step, the duration or the seed). */
function ivKeyOf(s) {
  const names = model.controls.filter((c) => (c.group === "cell" || c.group === "drug") && c.name !== "I_hold");
  return JSON.stringify([s.condition, s.extra, ...names.map((c) => s[c.name])]);
}

// --- answers -----------------------------------------------------------------------------
function traceAnswered(answer, s) {
  nextRun = { answer, s };
  if (!drawing) drawRuns();
}

async function drawRuns() {
  drawing = true;
  try {
    await uiReady;
    while (nextRun) {
      const { answer, s } = nextRun;
      nextRun = null;
      await showRun(answer, s);
    }
  } catch (err) {
    showMessage(describe(err));
  } finally {
    drawing = false;
  }
}

async function showRun(a, s) {
  showNumbers(a.metrics, a.elapsed_ms, s);
  await plots.drawTrace($("trace"), a, s, traceHeading(s));
  hooks.timings.push({ id: a.id, sent: sentAt.get(a.id), drawn: performance.now() });
  for (const id of sentAt.keys()) if (id <= a.id) sentAt.delete(id);
  if (hooks.timings.length > 1000) hooks.timings.splice(0, hooks.timings.length - 1000);
  shown = { t: a.t_s, v: a.v_mV };
  hooks.lastTrace = { id: a.id, settings: s, spikes_s: Array.from(a.spikes_s), metrics: a.metrics, elapsed_ms: a.elapsed_ms };
  hooks.traces += 1;
  document.body.dataset.traces = String(hooks.traces);
  document.body.dataset.ready = "1";
  await plots.drawZoom($("zoom"), a);
  afterTrace(s);
}

/** "membrane potential: depressed, ketamine 1 µM" */
function traceHeading(s) {
  const drugs = model.controls.filter((c) => c.group === "drug" && s[c.name] > 0).map((c) => `, ${c.label} ${s[c.name]} µM`);
  return `membrane potential: ${s.condition}${drugs.join("")}`;
}

function showNumbers(m, elapsed, s) {
  const mode = $("mode");
  mode.textContent = m.mode;
  mode.dataset.mode = m.mode;
  $("rate").textContent = m.rate_hz.toFixed(1);
  $("bursts").textContent = m.bursts_per_s.toFixed(2);
  $("spb").textContent = Number.isFinite(m.spikes_per_burst) ? m.spikes_per_burst.toFixed(1) : "–";
  $("elapsed").textContent = `${s.duration} s simulated in ${Math.round(elapsed)} ms`;
}

/** After a trace is drawn: the holding-current line, the ring, the I-V curve, the map. */
function afterTrace(s) {
  $("iv-caption").textContent = `s: the NMDA open fraction. The cell rests where a curve crosses `
    + `the dashed line, the holding current (${s.I_hold} pA).`;
  onIVFigure(() => plots.setHold($("iv"), s.I_hold)).catch((err) => showMessage(describe(err)));
  const key = ivKeyOf(s);
  if (key !== ivKey) {
    ivKey = key;
    client.iv(++ivId, s);
  }
  modeMap.follow(s);
}

function ivAnswered(answer, s) {
  hooks.lastIV = { settings: s, v_mV: Array.from(answer.v_mV),
    curves: answer.curves.map((c) => ({ s: c.s, I_pA: Array.from(c.I_pA) })) };
  onIVFigure(() => plots.drawIV($("iv"), answer, current.I_hold)).catch((err) => showMessage(describe(err)));
}

function workerFailed(kind, message) {
  if (kind === "iv") ivKey = null;
  if (kind === "vclamp" && clampView) clampView.failed(message);
  else showMessage(kind === "iv" ? `the I-V curve failed: ${message}` : message);
}

// --- the page ----------------------------------------------------------------------------------
function buildUi(tourStart) {
  widgets = buildControls($("control-list"), model, {
    parse: (name, text) => api.parse(name, text),
    onValue: (name, value) => safely(() => applyChanges({ [name]: value })),
    onError: showMessage,
  });
  for (const button of document.querySelectorAll(".preset")) {
    button.addEventListener("click", () => safely(() => accept(api.preset(button.dataset.condition))));
  }
  $("reset").addEventListener("click", () => safely(() => accept(api.preset("control"))));
  new Tour(model.tour, (changes) => safely(() => applyChanges(changes)), tourStart);
  $("download-csv").addEventListener("click", () => safely(() => {
    if (!shown) throw new InputError("no trace yet: wait for the first one");
    saveText(traceCsv(shown.t, shown.v), "habmodel_trace.csv", "text/csv");
  }));
  for (const format of ["png", "svg"]) {
    $(`download-${format}`).addEventListener("click", () => safely(() => plots.downloadTrace($("trace"), format)));
  }
  $("download-toml").addEventListener("click", () => safely(() => saveText(api.toToml(current), "params.toml", "application/toml")));
  $("load-toml").addEventListener("change", (event) => safely(async () => {
    const text = await readChosenFile(event.target);
    if (text !== null) accept(api.fromToml(text));
  }));
  $("copy-link").addEventListener("click", () => safely(() => copyLink($("link-field"), $("link-status"))));
  for (const button of document.querySelectorAll(".mode-button")) {
    button.addEventListener("click", () => safely(() => setMode(button.dataset.mode)));
  }
  modeMap = new ModeMapView({
    model, div: $("map"), status: $("map-status"), onError: showMessage,
    onDrawn(result) {
      hooks.lastMap = result;
      hooks.maps += 1;
      document.body.dataset.maps = String(hooks.maps);
    },
  });
  const either = { toQuery: (s) => (s.mode === "vclamp" ? clampView.api.toQuery(s) : api.toQuery(s)) };
  address = new AddressKeeper(either, () => {
    const field = $("link-field");
    if (!field.hidden) field.value = location.href;
  });
  document.body.dataset.traces = String(hooks.traces);
  document.body.dataset.maps = String(hooks.maps);
  document.body.dataset.ui = "1";
}

async function start() {
  model = await modelLoaded;
  api = new Settings(model);
  let errors = [];
  if (startMode === "cclamp") {
    const read = settingsFromAddress(api, location.search);
    errors = read.errors;
    accept(read.settings);  // the first trace is asked for before the page is built
  } else {
    current = api.preset("control");  // simulated when the current clamp is first shown
  }
  const plotly = loadPlotly();
  await domReady;
  buildUi(tourFromAddress(location.search, model.tour.length));
  showSettings(current);
  if (startMode === "vclamp") {
    const view = await clampViewReady();
    const read = settingsFromAddress(view.api, location.search);
    errors = read.errors;
    view.accept(read.settings);
    await setMode("vclamp");
  } else {
    address.update(current);
  }
  const messages = [...early, ...errors];
  if (messages.length) showMessage(messages.join("\n"));
  await plotly;
  uiBuilt();
}

start().catch(async (err) => {
  await domReady;
  showMessage(`the lab could not start: ${err?.message ?? err}`);
});
