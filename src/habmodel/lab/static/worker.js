// The lab's Web Worker: loads the WebAssembly kernel and model.json, then answers one
// request at a time. The page sends a request only when the worker is free, always the
// newest one (main.js), so a slow run never queues behind older ones.
//
//   {type: "trace", id, settings}  -> {type: "trace", id, t_s, v_mV, spikes_s, metrics, elapsed_ms}
//   {type: "iv", id, settings}     -> {type: "iv", id, v_mV, curves: [{s, I_pA}]}
//   {type: "map", id, settings, points: [[K_o, g_NMDA], ...]} -> {type: "map", id, modes}
//   {type: "vclamp", id, settings: request} -> {type: "vclamp", id, result} (vclamp.js's
//                                     clamp, with its I-V rows; the ketamine-trapping kernel
//                                     is loaded the first time a protocol needs it)
//   any failure                    -> {type: "error", id, message}

import { Engine } from "./engine.js";
import { cellMetrics } from "./metrics.js";
import { Settings } from "./settings.js";

let engine = null;
let settings = null;
const engines = {};
const ready = (async () => {
  const model = await (await fetch(new URL("model.json", import.meta.url))).json();
  engine = await load(model, model.kernel);
  engines.hill = engine;
  settings = new Settings(model);
})();

async function load(model, kernel) {
  const answer = await fetch(new URL(kernel.file, import.meta.url));
  if (!answer.ok) throw new Error(`${kernel.file} could not be loaded (${answer.status})`);
  return Engine.create(await answer.arrayBuffer(), model, kernel);
}

async function vclamp(request) {
  const { clamp } = await import("./vclamp.js");
  const { clampIV } = await import("./clamptables.js");
  const kind = request.ketamine_model ?? "hill";
  if (!engines[kind]) engines[kind] = await load(engine.model, engine.model.kernels[kind]);
  const result = clamp(engines[kind], request);
  result.iv = clampIV(result, engine.model.vclamp.steady_max_ms);
  return { result };
}

function cellOf(sim, overrides = {}) {
  const values = engine.values(sim.condition, { ...sim.overrides, ...overrides });
  return { values, avail: engine.availability(values, sim.drugs) };
}

function trace(s) {
  const sim = settings.simulation(s);
  const start = performance.now();
  const run = engine.run([cellOf(sim)], { seed: sim.seed, durationS: sim.durationS, recordCells: [0] });
  const elapsed = performance.now() - start;
  const spikes = run.spikes[0];
  const metrics = cellMetrics(spikes, sim.durationS, engine.model.criteria);
  return { t_s: run.t, v_mV: run.v[0], spikes_s: spikes, metrics, elapsed_ms: elapsed };
}

function iv(s) {
  const sim = settings.simulation(s);
  const spec = engine.model.iv;
  return { v_mV: spec.v_mV, curves: engine.iv(cellOf(sim), spec.v_mV, spec.open_fractions) };
}

function map(s, points) {
  // every other setting as in s (drugs, input, holding current, seed), no current step
  const sim = settings.simulation({ ...s, I_step: 0 });
  const cells = points.map(([K_o, g_NMDA]) => cellOf(sim, { K_o, g_NMDA }));
  const duration = engine.model.map.duration_s;
  const run = engine.run(cells, { seed: sim.seed, durationS: duration });
  return { modes: run.spikes.map((sp) => cellMetrics(sp, duration, engine.model.criteria).mode) };
}

self.onmessage = async (event) => {
  const { type, id } = event.data;
  try {
    await ready;
    let out;
    if (type === "trace") out = trace(event.data.settings);
    else if (type === "iv") out = iv(event.data.settings);
    else if (type === "map") out = map(event.data.settings, event.data.points);
    else if (type === "vclamp") out = await vclamp(event.data.settings);
    else if (type === "ping") out = {};
    else throw new Error(`unknown request ${type}`);
    const arrays = [out.t_s, out.v_mV, out.spikes_s];
    if (out.result) arrays.push(...Object.values(out.result), ...Object.values(out.result.data));
    const transfer = [...new Set(arrays.filter((a) => ArrayBuffer.isView(a)).map((a) => a.buffer))];
    self.postMessage({ type, id, ...out }, transfer);
  } catch (err) {
    self.postMessage({ type: "error", request: type, id, message: String(err.message ?? err) });
  }
};
