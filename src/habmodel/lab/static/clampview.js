// The voltage-clamp mode on the page: its settings form, its runs in the trace worker (the
// newest change wins), its figures, downloads and the command that repeats it. main.js
// loads this module only when the page shows the voltage clamp.

import { CUSTOM, ClampSettings } from "./clampsettings.js";
import { InputError } from "./settings.js";
import { displayUnit } from "./controls.js";
import { downloadClampFigure, drawClampIV, drawClampTraces } from "./clampplots.js";
import { currentsCsv, ivCsv } from "./clamptables.js";
import { saveText } from "./downloads.js";
import { serial } from "./mapview.js";
import { renderBold } from "./tour.js";

export { ClampSettings };

const $ = (id) => document.getElementById(id);

export class ClampView {
  /**
   * `model`: model.json; `client`: the TraceClient; `hooks`: window.habmodelLab; `ready`:
   * resolves once the figures can be drawn; `onSettings(s)` after each accepted change
   * (the address); `onError(message)` and `onClear()` for the page's message.
   */
  constructor({ model, client, hooks, ready, onSettings, onError, onClear }) {
    Object.assign(this, { model, client, hooks, ready, onSettings, onError, onClear });
    this.api = new ClampSettings(model);
    this.s = null;
    this.id = 0;
    this.runKey = null;
    this.shown = null;  // {result, settings} drawn
    this.inputs = {};
    this.draw = serial();
    client.handlers.onClamp = (answer) => this.answered(answer);
    this.build();
  }

  settings() {
    return this.s ? structuredClone(this.s) : null;
  }

  // --- the form ------------------------------------------------------------------------
  build() {
    const form = $("vc-form");
    const select = (name, label, options) => {
      const el = document.createElement("select");
      for (const [value, text] of options) el.append(new Option(text, value));
      el.addEventListener("change", () => this.change({ [name]: el.value }));
      return this.row(form, name, label, el);
    };
    select("protocol", "protocol", this.api.protocols.map((p) => [p, (p === CUSTOM ? this.api.vc.custom : this.api.vc.protocols[p]).title]));
    select("current", "current shown", this.api.currents.map((c) => [c, c === this.api.vc.total ? `${c} (the sum)` : c]));
    select("condition", "condition", Object.keys(this.model.conditions).map((c) => [c, c]));
    for (const name of ["steps", "duration", "hold", "tail", "tail_duration", "pre", "s", ...this.api.drugs]) {
      const el = document.createElement("input");
      el.type = "text";
      el.autocomplete = "off";
      el.spellcheck = false;
      el.addEventListener("keydown", (event) => {
        if (event.key === "Enter") { event.preventDefault(); this.typed(name, true); }
      });
      el.addEventListener("change", () => this.typed(name, false));
      const c = this.api.fields[name] ?? this.model.controls.find((x) => x.name === name);
      const unit = displayUnit(c.unit);
      this.row(form, name, unit ? `${c.label} (${unit})` : c.label, el);
    }
    $("vc-reset").addEventListener("click", () => this.safely(() => this.accept(this.api.preset(this.s.protocol, this.s.condition))));
    $("vc-download-csv").addEventListener("click", () => this.safely(() => saveText(currentsCsv(this.result()), "currents.csv", "text/csv")));
    $("vc-download-iv").addEventListener("click", () => this.safely(() => saveText(ivCsv(this.result().iv), "iv.csv", "text/csv")));
    $("vc-download-png").addEventListener("click", () => this.safely(() => downloadClampFigure($("vc-traces"))));
  }

  row(form, name, label, el) {
    el.id = `vc-${name}`;
    const box = document.createElement("div");
    box.className = "control";
    const text = document.createElement("label");
    text.htmlFor = el.id;
    text.textContent = label;
    box.append(text, el);
    form.append(box);
    this.inputs[name] = el;
    return el;
  }

  /** Show `s` in the form: the settings its protocol sets itself are hidden. */
  show(s) {
    for (const [name, el] of Object.entries(this.inputs)) {
      const value = s[name];
      el.value = name === "steps" ? value.map(String).join(", ") : value === null ? "" : String(value);
      el.removeAttribute("aria-invalid");
      el.disabled = !this.api.takes(s, name);
      el.parentElement.hidden = el.disabled;
      el.dataset.shown = el.value;
      el.placeholder = name === "tail" ? "= hold" : name === "s" ? "none" : "";
    }
    const spec = s.protocol === CUSTOM ? this.api.vc.custom : this.api.vc.protocols[s.protocol];
    $("vc-name").textContent = `${s.protocol}, ${s.condition}`;
    $("vc-note").innerHTML = renderBold(spec.note);
    $("vc-description").textContent = spec.description ?? "";
    $("vc-command").textContent = this.api.command(s) ?? "(none: this protocol's own drug is at another concentration)";
  }

  typed(name, enter) {
    const el = this.inputs[name];
    if (!enter && el.value === el.dataset.shown) return;
    el.dataset.shown = el.value;
    try {
      this.accept(this.api.apply(this.s, { [name]: el.value }));
    } catch (err) {
      el.setAttribute("aria-invalid", "true");
      this.onError(this.describe(err));
    }
  }

  describe(err) {
    return err instanceof InputError ? err.message : `something went wrong: ${err?.message ?? err}`;
  }

  safely(fn) {
    try {
      fn();
    } catch (err) {
      this.onError(this.describe(err));
    }
  }

  change(changes) {
    this.safely(() => this.accept(this.api.apply(this.s, changes)));
  }

  result() {
    if (!this.shown) throw new InputError("no clamp yet: wait for the first one");
    return this.shown.result;
  }

  // --- runs ----------------------------------------------------------------------------
  /** Take `s` as the clamp's settings: show it and run it (unless only the shown current
   * changed, which only draws again). */
  accept(s) {
    const request = this.api.request(s);
    this.s = s;
    this.onClear();
    this.show(s);
    this.onSettings(s);
    const key = JSON.stringify(request);
    if (key === this.runKey) {
      if (this.shown) this.redraw();
      return;
    }
    this.runKey = key;
    this.id += 1;
    this.pending = { id: this.id, settings: s, request, sent: performance.now() };
    $("vc-elapsed").textContent = "clamping…";
    this.client.vclamp(this.id, request);
  }

  answered(answer) {
    if (!this.pending || answer.id !== this.pending.id) return;
    const { settings, request } = this.pending;
    const result = answer.result;
    this.shown = { result, settings, request };
    const h = this.hooks;
    h.lastClamp = { id: answer.id, settings, request, names: result.names, iv: result.iv,
      n_cells: result.cell_arm.length, n_samples: result.t_ms.length, run: result.settings,
      elapsed_ms: result.elapsed_ms, command: this.api.command(settings) };
    this.redraw().then(() => {
      h.clamps = (h.clamps ?? 0) + 1;
      document.body.dataset.clamps = String(h.clamps);
      document.body.dataset.ready = "1";
    });
  }

  redraw() {
    const { result } = this.shown;
    const current = this.s.current;
    const n = result.cell_arm.length;
    $("vc-elapsed").textContent = `${n} cell${n === 1 ? "" : "s"} clamped in ${Math.round(result.elapsed_ms)} ms`;
    return this.draw(async () => {
      await this.ready;
      await drawClampTraces($("vc-traces"), result, current, `${current}: ${this.s.protocol}, ${this.s.condition}`);
      await drawClampIV($("vc-iv"), result, current);
    }).catch((err) => this.onError(`the clamp could not be drawn: ${err.message ?? err}`));
  }

  failed(message) {
    this.runKey = null;  // run again with the next change
    $("vc-elapsed").textContent = "the clamp failed";
    this.onError(message);
  }
}
