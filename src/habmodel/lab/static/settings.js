// The lab's settings: defaults and presets, values typed with units, the page's URL and
// params.toml (the names and units of habmodel's command line and parameter files), and
// what one trace hands to the engine. Shared by the page (main.js) and the worker.

/** A setting that cannot be used: the message names the setting and its range. */
export class InputError extends Error {}

// Units a typed value may carry, per control unit: factor to the control's unit.
const UNIT_FACTORS = {
  mM: { M: 1e3, mM: 1, uM: 1e-3, nM: 1e-6 },
  uM: { M: 1e6, mM: 1e3, uM: 1, nM: 1e-3 },
  "mS/cm2": { "S/cm2": 1e3, "mS/cm2": 1, "uS/cm2": 1e-3, "S/m2": 0.1 },
  Hz: { Hz: 1, kHz: 1e3 },
  pA: { pA: 1, nA: 1e3, fA: 1e-3 },
  s: { s: 1, ms: 1e-3, min: 60 },
  ms: { ms: 1, s: 1e3 },
  mV: { mV: 1, V: 1e3 },
  "1": { "": 1 },
};

const NUMBER = /^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$/;

function fmt(x) {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(12)));
}

/** A value as text with its unit, as habmodel writes it ("2.6 mM"). */
export function withUnit(value, unit) {
  return unit === "1" || unit === "" ? String(value) : `${value} ${unit}`;
}

/**
 * The number in `unit` that `text` gives: "2.6" (in `unit`), "2600 uM", "2.6mM".
 * `label` names the setting in the error.
 */
export function parseValue(text, unit, label) {
  const clean = String(text).replace(/µ/g, "u").replace(/μ/g, "u");
  const match = NUMBER.exec(clean);
  if (!match) {
    throw new InputError(`${label}: expected a number${unit === "1" ? "" : ` in ${unit}`}, got '${text}'`);
  }
  const number = Number(match[1]);
  const given = match[2].replace(/\s+/g, "").replace(/\*\*2$|\^2$/, "2");
  const factors = UNIT_FACTORS[unit] ?? { [unit]: 1 };
  if (given === "") return number;
  const factor = factors[given];
  if (factor === undefined) {
    const known = Object.keys(factors).filter(Boolean).join(", ");
    throw new InputError(`${label}: expected a value in ${unit}${known ? ` (or ${known})` : ""}, got '${text}'`);
  }
  return factor === 1 ? number : number * factor;
}

export class Settings {
  constructor(model) {
    this.model = model;
    this.controls = Object.fromEntries(model.controls.map((c) => [c.name, c]));
  }

  /** The default settings of a condition: its [K+]o, no drugs, no current. */
  preset(condition = "control") {
    const m = this.model;
    if (!(condition in m.conditions)) {
      throw new InputError(`condition: expected one of ${Object.keys(m.conditions).join(", ")}, got '${condition}'`);
    }
    const values = { ...m.conditions[condition] };
    const p = (name) => (name in values ? values[name] : m.parameters[name].default);
    return {
      condition, K_o: p("K_o"), g_NMDA: p("g_NMDA"), nu_glu: p("nu_glu"),
      ketamine: 0, ap5: 0, mibefradil: 0, I_hold: p("I_hold"), I_step: 0,
      step_start: 1.0, step_ms: 0, duration: 3.0, seed: 1, extra: {},
    };
  }

  /** Check one control's value (in its unit); returns it or throws InputError. */
  check(name, value) {
    const c = this.controls[name];
    const label = c.unit === "1" ? c.label : `${c.label} (${c.unit})`;
    const low = c.log ? 0 : c.low;
    if (name === "seed" && !Number.isInteger(value)) {
      throw new InputError(`${label}: expected a whole number, got '${value}'`);
    }
    if (!(Number.isFinite(value) && value >= low && value <= c.high)) {
      throw new InputError(`${label}: expected ${fmt(low)} to ${fmt(c.high)}${c.unit === "1" ? "" : ` ${c.unit}`}, got '${value}'`);
    }
    return value;
  }

  /** A typed value of a control ("2.6", "2600 uM"), checked. */
  parse(name, text) {
    const c = this.controls[name];
    const label = c.unit === "1" ? c.label : `${c.label} (${c.unit})`;
    return this.check(name, parseValue(text, c.unit, label));
  }

  /** A parameter of the table (not a control) set by a URL or a file, checked. */
  parseParameter(name, text) {
    const p = this.model.parameters[name];
    const value = typeof text === "number" ? text : parseValue(text, p.unit, name);
    if (!(Number.isFinite(value) && value >= p.low && value <= p.high)) {
      throw new InputError(`${name}: expected ${fmt(p.low)} to ${fmt(p.high)} ${p.unit}, got '${text}'`);
    }
    return value;
  }

  /** What the engine needs for one trace (habmodel.simulate's arguments, as the
   * Python lab gave them). */
  simulation(s) {
    const overrides = { ...s.extra, K_o: s.K_o, g_NMDA: s.g_NMDA, nu_glu: s.nu_glu, I_hold: s.I_hold };
    if (s.I_step !== 0 && s.step_ms > 0) {
      overrides.I_step = s.I_step;
      overrides.step_start = s.step_start * 1e3;
      overrides.step_stop = (s.step_start + s.step_ms / 1e3) * 1e3;
    }
    const drugs = {};
    for (const c of this.model.controls) if (c.group === "drug" && s[c.name] > 0) drugs[c.name] = s[c.name];
    return { condition: s.condition, overrides, drugs, durationS: s.duration, seed: s.seed };
  }

  // --- the page's URL ------------------------------------------------------------------
  /** Settings from a query string (`?condition=depressed&ketamine=1uM&K_o=2.6mM`): the
   * names of params.toml and the command line; step_start/step_stop as times. */
  fromQuery(search) {
    const params = new URLSearchParams(search);
    const s = this.preset(params.get("condition") ?? "control");
    let start = null;
    let stop = null;
    for (const [key, text] of params) {
      if (key === "condition" || key === "tour") continue;
      if (key === "mode") {
        if (text !== "cclamp") throw new InputError(`mode: expected cclamp (the current clamp) or vclamp, got '${text}'`);
        continue;
      }
      if (key === "step_start" || key === "step_stop") {
        const ms = parseValue(text, "ms", key);
        if (!(ms >= 0 && ms <= 1e4)) throw new InputError(`${key}: expected 0 to 10000 ms, got '${text}'`);
        if (key === "step_start") start = ms; else stop = ms;
      } else if (key in this.controls) {
        s[key] = this.parse(key, text);
      } else if (key in this.model.parameters) {
        s.extra[key] = this.parseParameter(key, text);
      } else {
        throw new InputError(`unknown setting '${key}' in the page's address`);
      }
    }
    if (start !== null) s.step_start = this.check("step_start", start / 1e3);
    if (stop !== null) {
      if (stop < (start ?? s.step_start * 1e3)) throw new InputError("step_stop: must not be before step_start");
      s.step_ms = this.check("step_ms", stop - (start ?? s.step_start * 1e3));
    }
    return s;
  }

  /** The query string of settings: only what differs from the condition's preset. */
  toQuery(s) {
    const base = this.preset(s.condition);
    const out = new URLSearchParams({ condition: s.condition });
    for (const c of this.model.controls) {
      if (c.group === "step") continue;
      if (s[c.name] !== base[c.name]) out.set(c.name, withUnit(s[c.name], c.unit).replace(" ", ""));
    }
    if (s.I_step !== 0 && s.step_ms > 0) {
      out.set("I_step", `${s.I_step}pA`);
      out.set("step_start", `${s.step_start * 1e3}ms`);
      out.set("step_stop", `${(s.step_start + s.step_ms / 1e3) * 1e3}ms`);
    }
    for (const [name, value] of Object.entries(s.extra)) {
      out.set(name, withUnit(value, this.model.parameters[name].unit).replace(" ", ""));
    }
    return `?${out.toString()}`;
  }

  // --- params.toml -----------------------------------------------------------------------
  /** params.toml of a trace: `habmodel simulate --params params.toml` repeats it. */
  toToml(s) {
    const m = this.model;
    const sim = this.simulation(s);
    const q = (x) => JSON.stringify(x);
    const lines = [
      "# habmodel lab: the settings of one trace. Repeat it, spike for spike, with",
      "#   habmodel simulate --params params.toml --out run",
      "", "[run]",
      `condition = ${q(s.condition)}`, "cells = 1", `seed = ${s.seed}`,
      `duration = ${q(withUnit(s.duration, "s"))}  # recorded time`,
      `warmup = ${q(withUnit(m.run.warmup_s, "s"))}`, `dt = ${q(withUnit(m.run.dt_ms, "ms"))}`,
      `method = ${q(m.run.method)}`, 'engine = "fast"', "", "[drugs]  # concentrations",
    ];
    for (const [name, conc] of Object.entries(sim.drugs)) lines.push(`${name} = ${q(withUnit(conc, "uM"))}`);
    lines.push("", "[parameters]  # those the lab sets; every other one has its default");
    for (const [name, value] of Object.entries(sim.overrides)) {
      lines.push(`${name} = ${q(withUnit(value, m.parameters[name].unit))}  # ${m.parameters[name].meaning}`);
    }
    lines.push("", "[versions]", `habmodel = ${q(m.habmodel)}`, 'engine = "habmodel lab (WebAssembly)"', "");
    return lines.join("\n");
  }

  /** Settings from a params.toml (as habmodel writes it, or written by hand). */
  fromToml(text) {
    const m = this.model;
    const doc = parseToml(text);
    const run = doc.run ?? {};
    const known = new Set(["run", "drugs", "parameters", "burst_criteria", "versions"]);
    for (const table of Object.keys(doc)) {
      if (!known.has(table)) throw new InputError(`params.toml: unknown table [${table}]`);
    }
    const s = this.preset(run.condition ?? "control");
    const one = (table, key, value) => {
      if (Array.isArray(value)) {
        if (value.length !== 1 && new Set(value.map(String)).size !== 1) {
          throw new InputError(`params.toml: [${table}] ${key} has one value per cell; the lab shows one cell`);
        }
        return value[0];
      }
      return value;
    };
    if ("cells" in run && run.cells !== 1) {
      // a population file: the lab shows its first cell (every cell has the same values)
    }
    if ("seed" in run) s.seed = this.check("seed", one("run", "seed", run.seed));
    if ("duration" in run) s.duration = this.check("duration", parseValue(one("run", "duration", run.duration), "s", "duration"));
    const fixed = { warmup: [m.run.warmup_s, "s"], dt: [m.run.dt_ms, "ms"] };
    for (const [key, [value, unit]] of Object.entries(fixed)) {
      if (key in run && Math.abs(parseValue(one("run", key, run[key]), unit, key) - value) > 1e-12) {
        throw new InputError(`params.toml: the lab runs ${key} = ${value} ${unit}, the file asks for ${run[key]}`);
      }
    }
    if ("method" in run && run.method !== m.run.method) {
      throw new InputError(`params.toml: the lab runs method ${m.run.method}, the file asks for ${run.method}`);
    }
    for (const [name, value] of Object.entries(doc.drugs ?? {})) {
      if (!(name in this.controls) || this.controls[name].group !== "drug") {
        throw new InputError(`params.toml: [drugs] ${name} is not a drug of the lab (${Object.keys(m.drugs).join(", ")})`);
      }
      s[name] = this.check(name, parseValue(one("drugs", name, value), "uM", name));
    }
    let start = null;
    let stop = null;
    for (const [name, raw] of Object.entries(doc.parameters ?? {})) {
      const value = one("parameters", name, raw);
      if (!(name in m.parameters)) throw new InputError(`params.toml: [parameters] unknown parameter '${name}'`);
      const v = this.parseParameter(name, typeof value === "number" ? value : String(value));
      if (name === "step_start") start = v;
      else if (name === "step_stop") stop = v;
      else if (name in this.controls) s[name] = this.check(name, v);
      else if (v !== (name in m.conditions[s.condition] ? m.conditions[s.condition][name] : m.parameters[name].default)) {
        s.extra[name] = v;
      }
    }
    if (start !== null) s.step_start = this.check("step_start", start / 1e3);
    if (stop !== null && stop > s.step_start * 1e3) s.step_ms = this.check("step_ms", stop - s.step_start * 1e3);
    return s;
  }
}

/** A small TOML reader for parameter files: [tables], key = "string" | number | bool |
 * [list], comments. */
export function parseToml(text) {
  const doc = {};
  let table = doc;
  let name = "";
  String(text).split(/\r?\n/).forEach((raw, i) => {
    const line = stripComment(raw).trim();
    if (!line) return;
    const where = `params.toml line ${i + 1}`;
    const header = /^\[([A-Za-z0-9_.-]+)\]$/.exec(line);
    if (header) {
      name = header[1];
      if (name in doc) throw new InputError(`${where}: table [${name}] appears twice`);
      table = doc[name] = {};
      return;
    }
    const kv = /^([A-Za-z0-9_-]+|"[^"]*")\s*=\s*(.+)$/.exec(line);
    if (!kv) throw new InputError(`${where}: expected key = value, got '${raw.trim()}'`);
    const key = kv[1].replace(/^"|"$/g, "");
    if (key in table) throw new InputError(`${where}: ${key} appears twice in [${name}]`);
    table[key] = parseTomlValue(kv[2].trim(), where);
  });
  return doc;
}

function stripComment(line) {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"' && line[i - 1] !== "\\") quoted = !quoted;
    if (line[i] === "#" && !quoted) return line.slice(0, i);
  }
  return line;
}

function parseTomlValue(text, where) {
  if (text.startsWith("[")) {
    if (!text.endsWith("]")) throw new InputError(`${where}: a list must end with ']'`);
    const inner = text.slice(1, -1).trim();
    return inner ? inner.split(",").map((t) => t.trim()).filter(Boolean).map((t) => parseTomlValue(t, where)) : [];
  }
  if (text.startsWith('"')) {
    try {
      return JSON.parse(text);
    } catch {
      throw new InputError(`${where}: cannot read the string ${text}`);
    }
  }
  if (text === "true" || text === "false") return text === "true";
  const number = Number(text.replace(/_/g, ""));
  if (text === "" || !Number.isFinite(number)) throw new InputError(`${where}: cannot read the value '${text}'`);
  return number;
}
