// The voltage-clamp mode's settings: a protocol of habmodel.experiments.VCLAMP_PROTOCOLS
// (or "custom": your own hold, steps and tail), its steps and step length, drugs, any
// parameter; values typed with units; the page's address (?mode=vclamp&protocol=nmda-iv);
// what the clamp (vclamp.js) runs; the `habmodel vclamp` command that repeats it.

import { InputError, Settings, parseValue } from "./settings.js";

export const CUSTOM = "custom";
const CUSTOM_ONLY = ["hold", "tail", "tail_duration", "pre"];

/** A number as Python's "%g" writes it (6 significant digits). */
export function gText(x) {
  return String(Number(x.toPrecision(6)));
}

export class ClampSettings {
  constructor(model) {
    this.model = model;
    this.vc = model.vclamp;
    this.base = new Settings(model);
    this.fields = Object.fromEntries(this.vc.settings.map((c) => [c.name, c]));
    this.drugs = model.controls.filter((c) => c.group === "drug").map((c) => c.name);
    this.protocols = [...Object.keys(this.vc.protocols), CUSTOM];
    this.currents = [this.vc.total, ...model.kernel.currents];
  }

  /** "nmda-iv" (also "nmda_iv", any case), checked. */
  protocolName(text) {
    const name = String(text).trim().toLowerCase().replace(/_/g, "-");
    if (!this.protocols.includes(name)) {
      throw new InputError(`protocol: expected one of ${this.protocols.join(", ")}, got '${text}'`);
    }
    return name;
  }

  /** The settings a protocol starts from, in `condition`. */
  preset(protocol = this.protocols[0], condition = "control") {
    const p = this.protocolName(protocol);
    this.base.preset(condition);  // checks the condition
    const s = { mode: "vclamp", protocol: p, condition, hold: null, tail: null, tail_duration: null,
      pre: null, s: null, extra: {} };
    for (const name of this.drugs) s[name] = 0;
    if (p === CUSTOM) {
      const c = this.vc.custom;
      return { ...s, hold: c.hold, steps: c.steps.slice(), duration: c.duration,
        tail_duration: c.tail_duration, pre: c.pre, current: this.vc.total };
    }
    const spec = this.vc.protocols[p];
    for (const arm of spec.arms) {
      for (const [name, conc] of Object.entries(arm.drugs)) s[name] = Math.max(s[name], conc);
      if (arm.s !== null) s.s = arm.s;
    }
    return { ...s, steps: spec.steps_mV.slice(), duration: spec.duration_ms, current: spec.focus };
  }

  /** Whether the protocol of `s` takes the setting `name` (the others are its own). */
  takes(s, name) {
    if (CUSTOM_ONLY.includes(name)) return s.protocol === CUSTOM;
    if (name === "s") return s.protocol === CUSTOM || this.vc.protocols[s.protocol].arms.some((a) => a.s !== null);
    return true;
  }

  /** The drugs a protocol compares with and without (their setting is that arm's). */
  ownDrugs(protocol) {
    if (protocol === CUSTOM) return new Set();
    return new Set(this.vc.protocols[protocol].arms.flatMap((a) => Object.keys(a.drugs)));
  }

  label(name) {
    const c = this.fields[name] ?? this.model.controls.find((x) => x.name === name);
    return c.unit === "1" ? c.label : `${c.label} (${c.unit})`;
  }

  /** One setting from typed text (with or without its unit), checked. */
  parse(name, text) {
    if (name === "protocol") return this.protocolName(text);
    if (name === "current") return this.parseCurrent(text);
    if (name === "steps") return this.parseSteps(text);
    if (this.drugs.includes(name)) return this.base.parse(name, text);
    const c = this.fields[name];
    if (!c) throw new InputError(`unknown setting '${name}'`);
    if ((name === "tail" || name === "s") && String(text).trim() === "") return null;
    return this.check(name, parseValue(text, c.unit, this.label(name)));
  }

  check(name, value) {
    const c = this.fields[name];
    if (!(Number.isFinite(value) && value >= c.low && value <= c.high)) {
      throw new InputError(`${this.label(name)}: expected ${gText(c.low)} to ${gText(c.high)}${c.unit === "1" ? "" : ` ${c.unit}`}, got '${value}'`);
    }
    return value;
  }

  parseCurrent(text) {
    const name = String(text).trim();
    if (!this.currents.includes(name)) throw new InputError(`current: expected one of ${this.currents.join(", ")}, got '${text}'`);
    return name;
  }

  /** "-90,-70,-50mV" (the unit of the last value that has one applies to bare numbers). */
  parseSteps(text) {
    const label = this.label("steps");
    const items = String(text).split(/[,;]/).map((t) => t.trim());
    if (!items.length || items.some((t) => !t)) throw new InputError(`${label}: expected potentials separated by commas, such as -90,-70,-50 mV, got '${text}'`);
    const unitOf = (t) => /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*([A-Za-zµμ]+)$/.exec(t)?.[1] ?? "";
    const unit = [...items].reverse().map(unitOf).find(Boolean) ?? "";
    const c = this.fields.steps;
    const values = items.map((t) => {
      const v = parseValue(unitOf(t) || !unit ? t : `${t} ${unit}`, "mV", label);
      if (!(Number.isFinite(v) && v >= c.low && v <= c.high)) {
        throw new InputError(`${label}: expected ${gText(c.low)} to ${gText(c.high)} mV, got '${t}${unitOf(t) || !unit ? "" : unit}'`);
      }
      return v;
    });
    if (new Set(values).size !== values.length) throw new InputError(`${label}: each potential once, please (one cell each), got '${text}'`);
    if (values.length > this.vc.max_steps) throw new InputError(`${label}: at most ${this.vc.max_steps} steps, got ${values.length}`);
    return values;
  }

  /** Apply `changes` ({name: value or typed text}) to `s`; a new protocol starts from its
   * preset (in the condition of `s` or of the changes). Throws InputError for a value the protocol cannot take. */
  apply(s, changes) {
    let out = structuredClone(s);
    if ("condition" in changes) out = { ...out, condition: this.preset(out.protocol, changes.condition).condition };
    if ("protocol" in changes && this.protocolName(changes.protocol) !== s.protocol) {
      out = this.preset(changes.protocol, out.condition);
    }
    for (const [name, value] of Object.entries(changes)) {
      if (name === "protocol" || name === "condition" || name === "mode") continue;
      if (name === "extra") {
        for (const [k, v] of Object.entries(value)) out.extra[k] = this.parameter(out, k, v);
      } else if (name in this.model.parameters && !(name in this.fields)) {
        out.extra[name] = this.parameter(out, name, value);
      } else {
        if (!this.takes(out, name)) throw new InputError(this.refusal(out, name));
        const numeric = typeof value === "number" && name !== "steps";
        out[name] = numeric ? (this.drugs.includes(name) ? this.base.check(name, value) : this.check(name, value))
          : Array.isArray(value) ? this.parseSteps(value.join(",")) : this.parse(name, String(value));
      }
    }
    return out;
  }

  refusal(s, name) {
    return name === "s"
      ? `s: the protocol '${s.protocol}' has no NMDA open fraction (nmda-iv and custom take one)`
      : `${name}: the protocol '${s.protocol}' sets it itself; choose protocol=custom for your own`;
  }

  parameter(s, name, value) {
    if (s.protocol !== CUSTOM && this.vc.protocols[s.protocol].arms.some((a) => name in a.overrides)) {
      throw new InputError(`${name}: the protocol '${s.protocol}' sets it itself`);
    }
    return this.base.parseParameter(name, value);
  }

  // --- the page's address --------------------------------------------------------------
  /** Settings from a query string: ?mode=vclamp&protocol=nmda-iv&ketamine=1uM&steps=-90,-50mV */
  fromQuery(search) {
    const params = new URLSearchParams(search);
    const mode = params.get("mode") ?? "vclamp";
    if (mode !== "vclamp") throw new InputError(`mode: expected vclamp here, got '${mode}'`);
    let s = this.preset(params.get("protocol") ?? this.protocols[0], params.get("condition") ?? "control");
    const changes = {};
    for (const [key, text] of params) {
      if (["mode", "protocol", "condition", "tour"].includes(key)) continue;
      if (!(key in this.fields || this.drugs.includes(key) || key === "current" || key in this.model.parameters)) {
        throw new InputError(`unknown setting '${key}' in the page's address`);
      }
      changes[key] = text;
    }
    s = this.apply(s, changes);
    return s;
  }

  /** The query of settings: mode, protocol, condition and what differs from the preset. */
  toQuery(s) {
    const base = this.preset(s.protocol, s.condition);
    const parts = [["mode", "vclamp"], ["protocol", s.protocol], ["condition", s.condition]];
    const unit = (name, value) => `${gText(value)}${this.fields[name]?.unit === "1" ? "" : this.fields[name]?.unit ?? "uM"}`;
    if (s.steps.join() !== base.steps.join()) parts.push(["steps", `${s.steps.map(gText).join(",")}mV`]);
    for (const name of ["duration", "hold", "tail", "tail_duration", "pre", "s", ...this.drugs]) {
      if (s[name] !== base[name] && s[name] !== null) parts.push([name, unit(name, s[name])]);
    }
    if (s.current !== base.current) parts.push(["current", s.current]);
    for (const [name, value] of Object.entries(s.extra)) {
      const u = this.model.parameters[name].unit;
      parts.push([name, `${value}${u === "1" ? "" : u}`]);
    }
    const encode = (t) => encodeURIComponent(t).replace(/%2C/g, ",").replace(/%2F/g, "/");
    return `?${parts.map(([k, v]) => `${k}=${encode(v)}`).join("&")}`;
  }

  // --- what the clamp runs ---------------------------------------------------------------
  /** The request of vclamp.js's clamp() (habmodel.experiments.vclamp.run_arms' arguments). */
  request(s) {
    const drugs = Object.fromEntries(this.drugs.filter((d) => s[d] > 0).map((d) => [d, s[d]]));
    const extra = { ...s.extra };
    if (s.protocol === CUSTOM) {
      const label = [s.condition, ...Object.entries(drugs).map(([d, c]) => `${d} ${gText(c)} uM`)].join(" + ");
      return { protocol: null, focus: this.vc.total, duration_ms: s.duration, pre_ms: s.pre,
        tail_duration_ms: s.tail_duration,
        arms: [{ label, condition: s.condition, hold_mV: s.hold, steps_mV: s.steps.slice(),
          tail_mV: s.tail ?? s.hold, overrides: extra, drugs, s: s.s }] };
    }
    const spec = this.vc.protocols[s.protocol];
    const own = this.ownDrugs(s.protocol);
    const arms = [];
    for (const arm of spec.arms) {
      const armDrugs = Object.fromEntries(Object.entries(drugs).filter(([d]) => !own.has(d)));
      let label = arm.label;
      let dropped = false;
      for (const [d, conc] of Object.entries(arm.drugs)) {
        if (!(s[d] > 0)) dropped = true;
        armDrugs[d] = s[d];
        const text = `${d} ${gText(conc)} uM`;
        if (s[d] !== conc) label = label.includes(text) ? label.replace(text, `${d} ${gText(s[d])} uM`) : `${label} (${d} ${gText(s[d])} uM)`;
      }
      if (dropped) continue;  // the drug's arm, with the drug off: left out
      arms.push({ label, condition: s.condition, hold_mV: arm.hold_mV, steps_mV: s.steps.slice(),
        tail_mV: arm.hold_mV, overrides: { ...arm.overrides, ...extra }, drugs: armDrugs,
        s: arm.s === null ? null : (s.s ?? arm.s) });
    }
    return { protocol: s.protocol, focus: spec.focus, duration_ms: s.duration, ...spec.options, arms };
  }

  /** The `habmodel vclamp` command that repeats the clamp, or null where none can (a
   * protocol's own drug at another concentration). */
  command(s) {
    const base = this.preset(s.protocol, s.condition);
    const args = ["habmodel vclamp"];
    const mV = (x) => `${gText(x)}mV`;
    if (s.protocol !== CUSTOM) {
      for (const d of this.ownDrugs(s.protocol)) if (s[d] !== base[d]) return null;
      args.push(`--protocol ${s.protocol}`);
    }
    if (s.condition !== "control") args.push(`--condition ${s.condition}`);
    if (s.protocol === CUSTOM) args.push(`--hold ${mV(s.hold)}`);
    if (s.protocol === CUSTOM || s.steps.join() !== base.steps.join()) args.push(`--steps ${s.steps.map(gText).join(",")}mV`);
    if (s.protocol === CUSTOM || s.duration !== base.duration) args.push(`--duration ${gText(s.duration)}ms`);
    if (s.protocol === CUSTOM) {
      const d = this.vc.defaults;
      if (s.tail !== null && s.tail !== s.hold) args.push(`--tail ${mV(s.tail)}`);
      if (s.tail_duration !== d.tail_duration_ms) args.push(`--tail-duration ${gText(s.tail_duration)}ms`);
      if (s.pre !== d.pre_ms) args.push(`--pre ${gText(s.pre)}ms`);
    }
    if (s.s !== null && s.s !== base.s) args.push(`--open-fraction ${gText(s.s)}`);
    const own = this.ownDrugs(s.protocol);
    for (const d of this.drugs) if (s[d] > 0 && !own.has(d)) args.push(`--drug ${d}=${gText(s[d])}uM`);
    for (const [name, value] of Object.entries(s.extra)) {
      const u = this.model.parameters[name].unit;
      args.push(`--set ${name}=${gText(value)}${u === "1" ? "" : u}`);
    }
    const focus = s.protocol === CUSTOM ? this.vc.total : this.vc.protocols[s.protocol].focus;
    if (s.current !== focus) args.push(`--current ${s.current}`);
    args.push("--out vclamp");
    return args.join(" ");
  }
}
