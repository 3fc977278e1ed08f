// The voltage clamp on the lab's WebAssembly kernel: habmodel.experiments.vclamp.run_arms
// in the browser, step for step. One cell per (arm, step potential), all in one population;
// the same equations and integration as the current clamp, with one value changed: the
// membrane capacitance C_m is huge (model.vclamp.clamp_C_m), so that no current moves v,
// and v is set to each cell's command between kernel calls (an ideal clamp). Every current
// is read from the kernel's hm_currents at each sample (inward negative, pA).
// Runs in the Web Worker (worker.js) and in Node (tests/test_lab_engine.py).

import { SettingError, inputKeys } from "./engine.js";

/** Python's round(): halves go to the even neighbour (int(round(ms / dt_ms)) in habmodel). */
export function roundHalfEven(x) {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function timeMs(value, name, zero, high) {
  if (!(Number.isFinite(value) && (zero ? value >= 0 : value > 0) && value <= high)) {
    throw new SettingError(`${name}: expected a time in ${zero ? "[0" : "(0"} ms, ${high} ms], got ${value}`);
  }
  return value;
}

function checkPotentials(values, name, [low, high]) {
  for (const v of values) {
    if (!(Number.isFinite(v) && v >= low && v <= high)) {
      throw new SettingError(`${name}: expected potentials in [${low}, ${high}] mV, got ${v} mV`);
    }
  }
}

/**
 * The schedule of a clamp in integration steps (run_arms): durations, the sampling
 * interval, the commands, the puffs and the sampled steps. `request` as for clamp().
 */
export function schedule(model, request) {
  const vc = model.vclamp;
  const dt = model.run.dt_ms;
  const n = (ms) => roundHalfEven(ms / dt);
  const d = { ...vc.defaults, ...Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined)) };
  const long = 1e4;
  const nPre = n(timeMs(d.pre_ms, "pre", true, long));
  const nStep = Math.max(1, n(timeMs(d.duration_ms, "duration", false, long)));
  const nTail = n(timeMs(d.tail_duration_ms, "tail_duration", true, long));
  let nSettle = n(timeMs(d.settle_ms, "settle", true, long));
  const repeats = d.repeats;
  if (!(Number.isInteger(repeats) && repeats >= 1 && repeats <= 100)) {
    throw new SettingError(`repeats: expected a whole number from 1 to 100, got ${repeats}`);
  }
  const period = nStep + nTail;
  const total = nPre + repeats * period;
  const onsets = Array.from({ length: repeats }, (_, r) => nPre + period * r);
  let every;
  if (d.record_dt_ms === null) {
    every = Math.max(1, n(vc.record_dt_ms), Math.ceil(total / vc.default_samples));
  } else {
    const ms = timeMs(d.record_dt_ms, "record_dt", false, long);
    if (ms < dt) throw new SettingError(`record_dt: expected at least dt (${dt} ms), got ${ms} ms`);
    every = n(ms);
  }
  let puffs = [];
  if (d.glutamate === "steps") puffs = onsets.slice();
  else if (Array.isArray(d.glutamate) && d.glutamate.length) {
    puffs = [...new Set(d.glutamate.map(n))].sort((a, b) => a - b);
    if (puffs[0] < 0 || puffs[puffs.length - 1] >= total) {
      throw new SettingError(`glutamate: expected puff times in [0, ${total * dt}) ms (the recording)`);
    }
  }
  nSettle = Math.ceil(nSettle / every) * every;  // whole sampling intervals
  const commands = nPre ? [[0, "hold"]] : [];
  for (const onset of onsets) {
    commands.push([onset, "step"]);
    if (nTail) commands.push([onset + nStep, "tail"]);
  }
  const stepSet = new Set(commands.map(([s]) => s));
  for (let s = 0; s < total; s += every) stepSet.add(s);
  const samples = Float64Array.from(stepSet).sort();
  return { dt, nPre, nStep, nTail, nSettle, total, onsets, every, puffs, commands, samples,
    repeats, puffEvents: d.puff_events, seed: d.seed, ketamineModel: d.ketamine_model };
}

/** The arms as cells: display-unit parameter values (C_m the clamp's) and drug factors. */
function cellsOf(engine, arms) {
  const vc = engine.model.vclamp;
  const labels = arms.map((a) => a.label);
  if (new Set(labels).size !== labels.length) throw new SettingError(`arms: every arm needs its own label, got ${labels.join(", ")}`);
  const drugNames = [...new Set(arms.flatMap((a) => Object.keys(a.drugs ?? {})))].sort();
  const cells = [];
  for (const [k, arm] of arms.entries()) {
    checkPotentials([arm.hold_mV, arm.tail_mV ?? arm.hold_mV], "hold/tail", vc.v_range_mV);
    checkPotentials(arm.steps_mV, "steps", vc.v_range_mV);
    if (new Set(arm.steps_mV).size !== arm.steps_mV.length) {
      throw new SettingError(`steps: each potential once, please (one cell each), got ${arm.steps_mV.join(", ")} mV`);
    }
    const own = { nu_glu: 0.0, ...arm.overrides };
    if (arm.s !== null && arm.s !== undefined) {
      if (arm.overrides && "s_tonic" in arm.overrides) throw new SettingError("s: give the NMDA open fraction either as s or as the override s_tonic, not both");
      own.s_tonic = arm.s;
    }
    const values = engine.values(arm.condition, own);
    const drugs = Object.fromEntries(drugNames.map((name) => [name, arm.drugs?.[name] ?? 0.0]));
    const avail = engine.availability(values, drugs);
    const clamped = { ...values, C_m: vc.clamp_C_m };
    for (const step of arm.steps_mV) {
      cells.push({ arm: k, hold: arm.hold_mV, step, tail: arm.tail_mV ?? arm.hold_mV, values, avail, clamped });
    }
  }
  return cells;
}

/** Every state at its steady state at the holding potential, as far as the equations
 * tell (vclamp_tables.steady_state_start): the states whose right-hand side is linear in
 * themselves, three Gauss-Seidel sweeps in the cell's order. Works on S in place. */
function steadyStart(engine, nRun, ptr, S, D) {
  const states = engine.states;
  for (let sweep = 0; sweep < 3; sweep++) {
    for (const name of engine.kernel.state_order) {
      if (name === "v") continue;
      const r = states.indexOf(name) * nRun;
      const old = S().slice(r, r + nRun);
      const at = (x) => {
        S().fill(x, r, r + nRun);
        engine.x.hm_rhs(BigInt(nRun), 0.0, ptr.S, ptr.P, ptr.D);
        return D().slice(r, r + nRun);
      };
      const f0 = at(0.0);
      const f1 = at(1.0);
      const fh = at(0.5);
      const rate = f0.map((a, j) => a - f1[j]);
      let big = 0.0;
      for (const x of rate) big = Number.isNaN(x) || Number.isNaN(big) ? NaN : Math.max(big, Math.abs(x));
      const atol = 1e-12 * (Number.isNaN(big) ? 1.0 : Math.max(1.0, big));
      const s = S();
      for (let j = 0; j < nRun; j++) {
        const b = f0[j] - 0.5 * rate[j];
        const linear = Math.abs(fh[j] - b) <= atol + 1e-9 * Math.abs(b);
        s[r + j] = linear && rate[j] > 1e-9 ? f0[j] / rate[j] : old[j];
      }
    }
  }
}

/**
 * Clamp the arms of `request` (habmodel.experiments.vclamp.run_arms, display units):
 * {arms: [{label, condition, hold_mV, steps_mV, tail_mV, overrides, drugs, s}], pre_ms,
 * duration_ms, tail_duration_ms, repeats, glutamate (null, "steps" or [ms]), puff_events,
 * settle_ms, record_dt_ms (null: the default), seed, ketamine_model}. `engine` must run
 * that ketamine model's kernel. Returns the samples and every current of every cell.
 */
export function clamp(engine, request, onProgress = null) {
  const model = engine.model;
  if (!request.arms?.length) throw new SettingError("nothing to clamp (no arms)");
  const plan = schedule(model, request);
  if (plan.ketamineModel !== engine.ketamineModel) {
    throw new Error(`the clamp needs the ${plan.ketamineModel} kernel, not ${engine.ketamineModel}`);
  }
  const cells = cellsOf(engine, request.arms);
  const n = cells.length;
  const nS = plan.samples.length;
  if (nS * n > model.vclamp.max_cell_samples) {
    throw new SettingError(`this clamp would record ${nS} samples x ${n} cells, more than the lab's `
      + `${model.vclamp.max_cell_samples}: use fewer steps or shorter times`);
  }
  const start = performance.now();
  const nRun = 2 * n <= engine.width ? n : Math.ceil(n / engine.width) * engine.width;
  const pad = Array.from({ length: nRun }, (_, i) => Math.min(i, n - 1));
  const names = engine.kernel.currents;
  const nState = engine.states.length;
  const nCur = names.length;
  const P = engine.parameterArray(pad.map((i) => ({ values: cells[i].clamped, avail: cells[i].avail })), 0.0);
  const chunk = Math.max(1, Math.floor(model.run.cell_steps_per_call / nRun));
  const ptr = {};
  const sizes = { S: nState * nRun, D: nState * nRun, P: P.length, C: Math.max(1, nCur) * nRun,
    keys: nRun, notref: nRun, spk: chunk * nRun, recCells: 1, rec: 1 };
  try {
    for (const [name, size] of Object.entries(sizes)) ptr[name] = engine.alloc(size * 8);
    const S = () => engine.view(Float64Array, ptr.S, nState * nRun);
    const D = () => engine.view(Float64Array, ptr.D, nState * nRun);
    engine.view(Float64Array, ptr.P, P.length).set(P);
    engine.view(BigUint64Array, ptr.keys, nRun).set(inputKeys(plan.seed, pad));
    engine.view(BigInt64Array, ptr.notref, nRun).fill(1n);
    const vRow = engine.states.indexOf("v");
    engine.states.forEach((name, r) => S().fill(engine.kernel.initial_state[name], r * nRun, (r + 1) * nRun));
    const command = (which) => pad.map((i) => cells[i][which] * 1e-3);
    S().set(command("hold"), vRow * nRun);
    steadyStart(engine, nRun, ptr, S, D);
    // what one glutamate event adds to each state (per cell), times the events of a puff
    engine.x.hm_event(BigInt(nRun), ptr.S, ptr.P, ptr.D);
    const event = D().slice();
    const eventRows = engine.states.map((_, r) => r).filter((r) => event.subarray(r * nRun, (r + 1) * nRun).some((x) => x !== 0));

    let step = 0;
    const advance = (count) => {
      for (let done = 0; done < count;) {
        const m = Math.min(chunk, count - done);
        engine.x.hm_run(BigInt(nRun), BigInt(m), BigInt(step), plan.dt * 1e-3, ptr.S, ptr.P, ptr.keys,
          ptr.notref, ptr.spk, BigInt(vRow), 0n, 0n, 0n, ptr.recCells, ptr.rec, 1n, BigInt(engine.width));
        step += m;
        done += m;
      }
      const s = S();
      for (let i = 0; i < n; i++) {
        const v = s[vRow * nRun + i];
        if (!Number.isFinite(v) || Math.abs(v) >= 0.5) throw new SettingError("the clamp blew up (a state became non-finite); try less extreme settings");
      }
    };
    const commands = new Map();
    for (const [at, which] of plan.commands) commands.set(at, command(which));
    const puffs = new Set(plan.puffs);
    const sampleIndex = new Map(Array.from(plan.samples, (s, k) => [s, k]));
    const stops = [...new Set([...plan.samples, ...commands.keys(), ...puffs])].filter((s) => s < plan.total).sort((a, b) => a - b);
    stops.push(plan.total);

    const out = { v_mV: new Float64Array(n * nS), data: Object.fromEntries(
      [model.vclamp.total, ...names].map((name) => [name, new Float64Array(n * nS)])) };
    const area = cells.map((c) => c.values.area);
    const record = (k) => {
      const s = S();
      engine.x.hm_currents(BigInt(nRun), step * plan.dt * 1e-3, ptr.S, ptr.P, ptr.C);
      const C = engine.view(Float64Array, ptr.C, nCur * nRun);
      const total = out.data[model.vclamp.total];
      for (let i = 0; i < n; i++) {
        const at = i * nS + k;
        out.v_mV[at] = s[vRow * nRun + i] * 1e3;
        let sum = 0.0;
        for (let c = 0; c < nCur; c++) {
          const pA = C[c * nRun + i] * area[i] + 0.0;  // A/m2 x um2 = pA
          out.data[names[c]][at] = pA;
          sum += pA;
        }
        total[at] = sum;
      }
    };

    advance(plan.nSettle);
    let now = 0;
    for (const stop of stops) {
      if (stop > now) {
        advance(stop - now);
        now = stop;
        if (onProgress) onProgress(now / plan.total);
      }
      if (now === plan.total) break;
      if (commands.has(now)) S().set(commands.get(now), vRow * nRun);
      if (puffs.has(now)) {
        const s = S();
        for (const r of eventRows) for (let i = 0; i < nRun; i++) s[r * nRun + i] += plan.puffEvents * event[r * nRun + i];
      }
      if (sampleIndex.has(now)) record(sampleIndex.get(now));
    }
    return { ...segments(plan), ...out, names: [model.vclamp.total, ...names],
      arms: request.arms.map((a) => ({ label: a.label, condition: a.condition, hold_mV: a.hold_mV,
        tail_mV: a.tail_mV ?? a.hold_mV, s: a.s ?? null, drugs: a.drugs ?? {}, steps_mV: a.steps_mV.slice() })),
      cell_arm: Int32Array.from(cells, (c) => c.arm), cell_step: Float64Array.from(cells, (c) => c.step),
      settings: { protocol: request.protocol ?? null, pre_ms: plan.nPre * plan.dt, duration_ms: plan.nStep * plan.dt,
        tail_duration_ms: plan.nTail * plan.dt, repeats: plan.repeats, puffs_ms: plan.puffs.map((p) => p * plan.dt),
        puff_events: plan.puffEvents, settle_ms: plan.nSettle * plan.dt, dt_ms: plan.dt,
        record_dt_ms: plan.every * plan.dt, method: model.run.method, engine: "wasm (lab)", seed: plan.seed,
        ketamine_model: plan.ketamineModel },
      elapsed_ms: performance.now() - start };
  } finally {
    for (const p of Object.values(ptr)) engine.x.free(p);
  }
}

/** The time, repeat and segment (0 hold, 1 step, 2 tail) of every sample (currents_table). */
function segments(plan) {
  const nS = plan.samples.length;
  const out = { t_ms: new Float64Array(nS), repeat: new Int32Array(nS), segment: new Uint8Array(nS) };
  const period = plan.nStep + plan.nTail;
  plan.samples.forEach((s, k) => {
    out.t_ms[k] = s * plan.dt;
    if (s < plan.nPre) return;
    const repeat = Math.max(0, Math.floor((s - plan.onsets[0]) / period));
    out.repeat[k] = repeat;
    out.segment[k] = s - plan.onsets[0] - repeat * period < plan.nStep ? 1 : 2;
  });
  return out;
}
