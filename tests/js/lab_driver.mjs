// Runs the browser lab's own modules (engine.js, metrics.js, settings.js) in Node for
// tests/test_lab_engine.py: reads {lab, jobs} as JSON on stdin, writes one result per
// job as JSON on stdout. Errors of a job are returned as {error: message}.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const input = JSON.parse(readFileSync(0, "utf8"));
const lab = (name) => pathToFileURL(`${input.lab}/${name}`).href;
const { Engine, inputKeys } = await import(lab("engine.js"));
const { cellMetrics } = await import(lab("metrics.js"));
const { Settings } = await import(lab("settings.js"));
const { ClampSettings } = await import(lab("clampsettings.js"));
const { clamp } = await import(lab("vclamp.js"));
const { clampIV, currentsCsv } = await import(lab("clamptables.js"));

const model = JSON.parse(readFileSync(`${input.lab}/model.json`, "utf8"));
const engine = await Engine.create(readFileSync(`${input.lab}/${model.kernel.file}`), model);
const settings = new Settings(model);
const clampSettings = new ClampSettings(model);
const engines = { hill: engine };

async function engineFor(ketamineModel) {
  if (!engines[ketamineModel]) {
    const kernel = model.kernels[ketamineModel];
    engines[ketamineModel] = await Engine.create(readFileSync(`${input.lab}/${kernel.file}`), model, kernel);
  }
  return engines[ketamineModel];
}

/** The clamp of the page's settings: a query (`search`) or changes to a protocol's preset. */
async function vclamp(j) {
  const s = j.search !== undefined ? clampSettings.fromQuery(j.search)
    : clampSettings.apply(clampSettings.preset(j.settings.protocol, j.settings.condition ?? "control"), j.settings);
  const request = clampSettings.request(s);
  const result = clamp(await engineFor(request.ketamine_model ?? "hill"), request);
  const iv = clampIV(result, model.vclamp.steady_max_ms);
  const nS = result.t_ms.length;
  const columns = j.columns ?? result.names;
  const cells = Array.from(result.cell_arm, (a, i) => ({
    arm: result.arms[a].label, step_mV: result.cell_step[i],
    ...Object.fromEntries(columns.map((c) => [`${c}_pA`, Array.from(result.data[c].subarray(i * nS, (i + 1) * nS))])),
    v_mV: Array.from(result.v_mV.subarray(i * nS, (i + 1) * nS)),
  }));
  return { settings: s, query: clampSettings.toQuery(s), command: clampSettings.command(s),
    t_ms: Array.from(result.t_ms), segment: Array.from(result.segment), repeat: Array.from(result.repeat),
    cells, iv, names: result.names, elapsed_ms: result.elapsed_ms, run: result.settings,
    csv: j.csv ? currentsCsv(result) : undefined };
}

function cell(sim, extra = {}) {
  const values = engine.values(sim.condition, { ...sim.overrides, ...extra });
  return { values, avail: engine.availability(values, sim.drugs) };
}

async function job(j) {
  switch (j.kind) {
    case "vclamp": return vclamp(j);
    case "clampquery": return clampSettings.fromQuery(j.search);
    case "clamptoquery": return clampSettings.toQuery(j.settings);
    case "trace": {
      const s = { ...settings.preset(j.settings.condition ?? "control"), ...j.settings };
      const sim = settings.simulation(s);
      const t0 = performance.now();
      const run = engine.run([cell(sim)], { seed: sim.seed, durationS: sim.durationS, recordCells: [0] });
      const m = cellMetrics(run.spikes[0], sim.durationS, model.criteria);
      return { spikes_s: Array.from(run.spikes[0]), metrics: m, ms: performance.now() - t0,
        n_samples: run.t.length, v_last: run.v[0][run.v[0].length - 1], toml: settings.toToml(s),
        query: settings.toQuery(s) };
    }
    case "population": {
      const s = { ...settings.preset(j.settings.condition ?? "control"), ...j.settings };
      const sim = settings.simulation(s);
      const cells = j.points.map((p) => cell(sim, p));
      const run = engine.run(cells, { seed: sim.seed, durationS: sim.durationS });
      return { spikes_s: run.spikes.map((x) => Array.from(x)) };
    }
    case "iv": {
      const s = { ...settings.preset(j.settings.condition ?? "control"), ...j.settings };
      const curves = engine.iv(cell(settings.simulation(s)), j.v_mV, j.open_fractions);
      return curves.map((c) => ({ s: c.s, I_pA: Array.from(c.I_pA) }));
    }
    case "metrics":
      return j.trains.map((t) => { const m = cellMetrics(t, j.duration, model.criteria); delete m.bursts; return m; });
    case "keys":
      return Array.from(inputKeys(j.seed, j.ids), String);
    case "query":
      return new URLSearchParams(j.search).get("mode") === "vclamp" ? clampSettings.fromQuery(j.search) : settings.fromQuery(j.search);
    case "toquery": return settings.toQuery({ ...settings.preset(j.settings.condition ?? "control"), ...j.settings });
    case "fromtoml": return settings.fromToml(j.text);
    case "parse": return settings.parse(j.name, j.text);
    default: throw new Error(`unknown job ${j.kind}`);
  }
}

const out = [];
for (const j of input.jobs) {
  try {
    out.push(await job(j));
  } catch (err) {
    out.push({ error: String(err.message ?? err), type: err.constructor.name });
  }
}
process.stdout.write(JSON.stringify(out, (k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)));
