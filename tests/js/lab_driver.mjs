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

const model = JSON.parse(readFileSync(`${input.lab}/model.json`, "utf8"));
const engine = await Engine.create(readFileSync(`${input.lab}/${model.kernel.file}`), model);
const settings = new Settings(model);

function cell(sim, extra = {}) {
  const values = engine.values(sim.condition, { ...sim.overrides, ...extra });
  return { values, avail: engine.availability(values, sim.drugs) };
}

function job(j) {
  switch (j.kind) {
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
    case "query": return settings.fromQuery(j.search);
    case "toquery": return settings.toQuery({ ...settings.preset(j.settings.condition ?? "control"), ...j.settings });
    case "fromtoml": return settings.fromToml(j.text);
    case "parse": return settings.parse(j.name, j.text);
    default: throw new Error(`unknown job ${j.kind}`);
  }
}

const out = input.jobs.map((j) => {
  try {
    return job(j);
  } catch (err) {
    return { error: String(err.message ?? err), type: err.constructor.name };
  }
});
process.stdout.write(JSON.stringify(out, (k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v)));
