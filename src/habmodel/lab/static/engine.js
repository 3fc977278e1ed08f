// The model in the browser: habmodel's fast kernel compiled to WebAssembly, driven as
// habmodel.simulate drives the native one (same parameters in SI units, same drug
// availability, same input keys, same warm-up, time step and spike rule).
// Everything about the model comes from model.json, written by habmodel itself.
// Runs in a Web Worker (worker.js) and in Node (the tests and the benchmark).

const GAMMA = 0x9E3779B97F4A7C15n;
const M1 = 0xBF58476D1CE4E5B9n;
const M2 = 0x94D049BB133111EBn;
const MASK = (1n << 64n) - 1n;

function mix(z) {  // SplitMix64's finaliser (habmodel.model.drive._mix)
  z &= MASK;
  z = ((z ^ (z >> 30n)) * M1) & MASK;
  z = ((z ^ (z >> 27n)) * M2) & MASK;
  return z ^ (z >> 31n);
}

/** The glutamate input key of each cell (habmodel.model.drive.input_keys). */
export function inputKeys(seed, ids) {
  const base = mix(BigInt(seed) & MASK);
  return BigUint64Array.from(ids, (id) => mix(base + GAMMA * (BigInt(id) + 1n)));
}

/** A setting out of range or unknown: the message names it (shown on the page). */
export class SettingError extends Error {}

export class Engine {
  /** `bytes`: the kernel.wasm module (ArrayBuffer or WebAssembly.Module); `model`: model.json;
   * `kernel`: its layout in model.json (default model.kernel; model.kernels.trapping is the
   * ketamine-trapping variant, for the voltage clamp). */
  static async create(bytes, model, kernel = model.kernel) {
    const module = bytes instanceof WebAssembly.Module ? bytes : await WebAssembly.compile(bytes);
    const instance = await WebAssembly.instantiate(module, {});
    return new Engine(instance, model, kernel);
  }

  constructor(instance, model, kernel = model.kernel) {
    this.x = instance.exports;
    if (this.x._initialize) this.x._initialize();
    this.model = model;
    this.kernel = kernel;
    if (this.x.hm_abi_version() !== kernel.abi) throw new Error(`${kernel.file} does not match model.json`);
    this.states = kernel.states;
    this.parameters = kernel.parameters;
    this.ketamineModel = kernel.ketamine_model ?? "hill";
    this.width = this.x.hm_simd_width();
  }

  // --- parameters ------------------------------------------------------------------
  /** Display-unit values of every parameter for a condition plus overrides
   * (habmodel.model.parameters.condition_values, then the overrides). */
  values(condition, overrides = {}) {
    const m = this.model;
    if (!(condition in m.conditions)) {
      throw new SettingError(`condition: expected one of ${Object.keys(m.conditions).join(", ")}, got '${condition}'`);
    }
    const out = {};
    for (const [name, p] of Object.entries(m.parameters)) out[name] = p.default;
    Object.assign(out, m.conditions[condition]);
    for (const [name, value] of Object.entries(overrides)) {
      const p = m.parameters[name];
      if (!p) throw new SettingError(`unknown parameter '${name}'`);
      if (!(Number.isFinite(value) && value >= p.low && value <= p.high)) {
        throw new SettingError(`${name}: expected ${p.low} to ${p.high} ${p.unit}, got ${value}`);
      }
      out[name] = value;
    }
    return out;
  }

  /** Drug availability factors (habmodel.model.drugs.availability): with the trapping
   * kernel, ketamine goes to the kinetic scheme (ket_uM) instead of the pore load. */
  availability(values, drugsUM) {
    const m = this.model;
    const avail = {};
    for (const t of m.drug_targets) avail[`avail_${t}`] = 1.0;
    const trapping = this.ketamineModel === "trapping";
    if (trapping) avail.ket_uM = 0.0;
    let load = 0.0;
    let delta = null;
    const field = (spec) => (typeof spec === "string" ? values[spec] : spec);
    for (const [name, conc] of Object.entries(drugsUM)) {
      const d = m.drugs[name];
      if (!d) throw new SettingError(`unknown drug '${name}'`);
      if (trapping && name === "ketamine") {
        avail.ket_uM += conc;
        continue;
      }
      const ic50 = field(d.ic50);
      const hill = field(d.hill);
      if (d.target === "NMDA_pore") {
        const dd = field(d.delta);
        if (delta !== null && Math.abs(dd - delta) > 1e-12) {
          throw new SettingError(`pore blockers with different 'delta' cannot be combined (${name})`);
        }
        delta = dd;
        load += (conc / ic50) ** hill;
      } else {
        avail[`avail_${d.target}`] *= 1.0 / (1.0 + (conc / ic50) ** hill);
      }
    }
    avail.pore_load = load;
    avail.pore_delta = delta === null ? 0.0 : delta;
    return avail;
  }

  /** One kernel parameter column (SI) per cell: `cells` is a list of {values, avail}. */
  parameterArray(cells, tOffsetS) {
    const n = cells.length;
    const P = new Float64Array(this.parameters.length * n);
    this.parameters.forEach((name, j) => {
      for (let i = 0; i < n; i++) {
        const { values, avail } = cells[i];
        let v;
        if (name === "t_offset") v = tOffsetS;
        else if (name in avail) v = avail[name];
        else if (name in values) v = values[name] * this.model.parameters[name].si_scale;
        else if (name.startsWith("avail_")) v = 1.0;
        else throw new Error(`the kernel needs a value for '${name}'`);
        P[j * n + i] = v;
      }
    });
    return P;
  }

  // --- memory ----------------------------------------------------------------------
  alloc(bytes) {
    const ptr = this.x.malloc(Math.max(8, bytes));
    if (!ptr) throw new Error("out of memory in the WebAssembly kernel");
    return ptr;
  }

  view(Type, ptr, length) {
    return new Type(this.x.memory.buffer, ptr, length);
  }

  // --- a population ------------------------------------------------------------------
  /**
   * Simulate `cells` ({values, avail} each) as habmodel.simulate does on the fast engine.
   * `opts`: seed, durationS, warmupS (default model.run.warmup_s), recordCells (indices),
   * ids (input identities, default 0..n-1), onChunk(fractionDone).
   * Returns {spikes: [Float64Array of s per cell], t: Float64Array (s), v: [Float64Array mV]}.
   */
  run(cells, opts) {
    const run = this.model.run;
    const dtMs = run.dt_ms;
    const dt = dtMs * 1e-3;
    const n = cells.length;
    const warmupS = opts.warmupS ?? run.warmup_s;
    const nWarm = Math.round(warmupS * 1e3 / dtMs);
    const nRec = Math.round(opts.durationS * 1e3 / dtMs);
    const recEvery = Math.max(1, Math.round(run.record_dt_ms / dtMs));
    const recordCells = opts.recordCells ?? [];
    // More than half a vector of cells: padded to whole vectors with copies of the last
    // cell (habmodel.engines.runner.FastPopulation), never reported.
    const nRun = 2 * n <= this.width ? n : Math.ceil(n / this.width) * this.width;
    const pad = Array.from({ length: nRun }, (_, i) => Math.min(i, n - 1));
    const padded = pad.map((i) => cells[i]);
    const ids = opts.ids ?? Array.from({ length: n }, (_, i) => i);
    const keys = inputKeys(opts.seed, pad.map((i) => ids[i]));
    const P = this.parameterArray(padded, nWarm * dt);
    const nS = this.states.length;
    const chunk = Math.max(1, Math.floor(run.cell_steps_per_call / nRun));
    const nSamples = recordCells.length ? Math.ceil(nRec / recEvery) : 0;
    const ptr = {};
    const sizes = {
      S: nS * nRun * 8, P: P.length * 8, keys: nRun * 8, notref: nRun * 8,
      spk: chunk * nRun * 8, recCells: Math.max(1, recordCells.length) * 8,
      rec: Math.max(1, nSamples * recordCells.length) * 8,
    };
    try {
      for (const [name, size] of Object.entries(sizes)) ptr[name] = this.alloc(size);
      const S = this.view(Float64Array, ptr.S, nS * nRun);
      this.states.forEach((name, r) => S.fill(this.kernel.initial_state[name], r * nRun, (r + 1) * nRun));
      this.view(Float64Array, ptr.P, P.length).set(P);
      this.view(BigUint64Array, ptr.keys, nRun).set(keys);
      this.view(BigInt64Array, ptr.notref, nRun).fill(1n);
      this.view(BigInt64Array, ptr.recCells, recordCells.length).set(recordCells.map(BigInt));
      if (nSamples) this.view(Float64Array, ptr.rec, nSamples * recordCells.length).fill(NaN);
      const vRow = this.states.indexOf(run.spike_variable);
      const trains = Array.from({ length: n }, () => []);
      const total = nWarm + nRec;
      for (let step = 0; step < total;) {
        const m = Math.min(chunk, total - step);
        this.x.hm_run(BigInt(nRun), BigInt(m), BigInt(step), dt, ptr.S, ptr.P, ptr.keys,
          ptr.notref, ptr.spk, BigInt(vRow), BigInt(nSamples ? recEvery : 0), BigInt(nWarm),
          BigInt(recordCells.length), ptr.recCells, ptr.rec, 1n, BigInt(this.width));
        // spikes are rare: scan the int64 flags as 32-bit words (the high words are 0)
        const words = this.view(Int32Array, ptr.spk, m * nRun * 2);
        for (let k = Math.max(0, nWarm - step); k < m; k++) {
          const row = 2 * k * nRun;
          for (let i = 0; i < n; i++) {
            if (words[row + 2 * i] !== 0) trains[i].push((step + k - nWarm) * dt);
          }
        }
        step += m;
        const state = this.view(Float64Array, ptr.S, nS * nRun);
        for (let i = 0; i < n; i++) {
          const x = state[vRow * nRun + i];
          if (!Number.isFinite(x) || Math.abs(x) >= 0.5) {
            throw new SettingError("the simulation blew up (the membrane potential became "
              + "non-finite); try less extreme settings");
          }
        }
        if (opts.onChunk) opts.onChunk(step / total);
      }
      const out = { spikes: trains.map((t) => Float64Array.from(t)), t: null, v: [] };
      if (nSamples) {
        const rec = this.view(Float64Array, ptr.rec, nSamples * recordCells.length);
        out.t = Float64Array.from({ length: nSamples }, (_, k) => k * recEvery * dt);
        out.v = recordCells.map((_, r) => Float64Array.from({ length: nSamples }, (_, k) => rec[k * recordCells.length + r] * 1e3));
      }
      return out;
    } finally {
      for (const p of Object.values(ptr)) this.x.free(p);
    }
  }

  // --- the steady-state I-V curve ----------------------------------------------------
  /**
   * Whole-cell steady-state current (pA, inward negative) at each voltage of `vMV` and
   * NMDA open fraction of `openFractions`, for one cell's {values, avail}: the open
   * fraction fixed, the glutamate-event states at 0, every other state at its steady
   * state (each right-hand side is linear in its own state), no injected current.
   * As habmodel.analysis.curves.steady_state_iv, with the drugs applied.
   */
  iv(cell, vMV, openFractions) {
    const spec = this.model.iv;
    const values = { ...cell.values };
    for (const name of spec.zero_parameters) values[name] = 0.0;
    const nV = vMV.length;
    const n = nV * openFractions.length;
    const P = this.parameterArray(Array.from({ length: n }, () => ({ values, avail: cell.avail })), 0.0);
    const nS = this.states.length;
    const S0 = new Float64Array(nS * n);
    const row = (name) => this.states.indexOf(name);
    const fixed = new Set(["v", spec.open_state, ...spec.zero_states]);
    const free = this.states.filter((s) => !fixed.has(s));
    for (let f = 0; f < openFractions.length; f++) {
      for (let i = 0; i < nV; i++) {
        const j = f * nV + i;
        S0[row("v") * n + j] = vMV[i] * 1e-3;
        S0[row(spec.open_state) * n + j] = openFractions[f];
        for (const name of free) S0[row(name) * n + j] = this.kernel.initial_state[name];
      }
    }
    const ptr = {};
    try {
      ptr.S = this.alloc(nS * n * 8);
      ptr.P = this.alloc(P.length * 8);
      ptr.D = this.alloc(nS * n * 8);
      this.view(Float64Array, ptr.P, P.length).set(P);
      const S = () => this.view(Float64Array, ptr.S, nS * n);
      const D = () => this.view(Float64Array, ptr.D, nS * n);
      S().set(S0);
      const rhs = () => { this.x.hm_rhs(BigInt(n), 0.0, ptr.S, ptr.P, ptr.D); return D(); };
      // Gauss-Seidel over the free states: a gate depends on v only, the Ca2+ pool on
      // the gates, so a few passes reach the exact steady state.
      for (let pass = 0; pass < 4; pass++) {
        for (const name of free) {
          const r = row(name) * n;
          S().fill(0.0, r, r + n);
          const f0 = rhs().slice(r, r + n);
          S().fill(1.0, r, r + n);
          const f1 = rhs().slice(r, r + n);
          const s = S();
          for (let j = 0; j < n; j++) s[r + j] = f0[j] / (f0[j] - f1[j]);
        }
      }
      const dv = rhs().slice(row("v") * n, row("v") * n + n);
      const scale = -values.C_m * this.model.parameters.C_m.si_scale
        * values.area * this.model.parameters.area.si_scale * 1e12;
      return openFractions.map((s, f) => ({
        s, I_pA: Float64Array.from({ length: nV }, (_, i) => dv[f * nV + i] * scale),
      }));
    } finally {
      for (const p of Object.values(ptr)) this.x.free(p);
    }
  }
}
