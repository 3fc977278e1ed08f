// The controls: one slider and one typed field per setting of model.controls, grouped as
// on the old Panel lab, and the plasma-level marks under the ketamine slider.
//
// A slider applies its value when released (or on each arrow key); while it is dragged,
// only the field beside it follows. A field applies on Enter or when it loses focus.
// Drug sliders are logarithmic; their leftmost half decade means 0 ("off").

import { InputError } from "./settings.js";

const OFF = 0.5;  // decades left of a log slider's lowest value that mean "off"

const GROUP_TITLES = {
  cell: "cell",
  drug: "drugs (slider far left: off)",
  step: "current step (for a rebound burst)",
  run: "run",
};

/** A unit as shown to a reader ("uM" -> "µM", "mS/cm2" -> "mS/cm²"). */
export function displayUnit(unit) {
  if (unit === "1") return "";
  return unit.replace(/^u/, "µ").replace(/cm2$/, "cm²");
}

/** A value as the field shows it: whole seeds, otherwise up to 6 significant digits. */
export function formatValue(control, value) {
  if (control.name === "seed") return String(Math.round(value));
  return String(Number(value.toPrecision(6)));
}

const round9 = (x) => Math.round(x * 1e9) / 1e9;

/** A slider with its typed field: `set` shows a value, a change calls back. */
class ControlWidget {
  constructor(control, { parse, onValue, onError }) {
    this.c = control;
    this.parse = parse;
    this.onValue = onValue;
    this.onError = onError;
    this.shown = "";  // the field's text as last set or applied
    this.element = this.build();
  }

  build() {
    const c = this.c;
    const unit = displayUnit(c.unit);
    const title = unit ? `${c.label} (${unit})` : c.label;
    const box = document.createElement("div");
    box.className = "control";
    box.dataset.name = c.name;

    const label = document.createElement("label");
    label.htmlFor = `slider-${c.name}`;
    label.textContent = title;

    const slider = document.createElement("input");
    slider.type = "range";
    slider.id = `slider-${c.name}`;
    slider.setAttribute("aria-label", title);
    if (c.log) {
      slider.min = String(round9(Math.log10(c.low) - OFF));
      slider.max = String(round9(Math.log10(c.high)));
    } else {
      slider.min = String(c.low);
      slider.max = String(c.high);
    }
    slider.step = String(c.step);

    const field = document.createElement("input");
    field.type = "text";
    field.id = `field-${c.name}`;
    field.className = "field";
    field.inputMode = "decimal";
    field.autocomplete = "off";
    field.spellcheck = false;
    field.setAttribute("aria-label", `${title}, typed value`);
    field.title = `type a value${unit ? ` in ${unit} or with a unit` : ""}, then Enter`;
    const fieldLabel = document.createElement("label");
    fieldLabel.htmlFor = field.id;
    fieldLabel.className = "visually-hidden";
    fieldLabel.textContent = `${title}, typed value`;

    const unitText = document.createElement("span");
    unitText.className = "unit";
    unitText.textContent = unit;
    unitText.setAttribute("aria-hidden", "true");

    const row = document.createElement("div");
    row.className = "row";
    row.append(slider, fieldLabel, field, unitText);
    box.append(label, row);

    slider.addEventListener("input", () => this.preview());
    slider.addEventListener("change", () => this.slid());
    field.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        this.typed(true);
      }
    });
    field.addEventListener("change", () => this.typed(false));
    this.slider = slider;
    this.field = field;
    return box;
  }

  // --- slider <-> value ---------------------------------------------------------------
  toSlider(value) {
    const c = this.c;
    if (!c.log) return Math.min(Math.max(value, c.low), c.high);
    const lo = Math.log10(c.low);
    if (value <= 0) return lo - OFF;
    return Math.min(Math.max(Math.log10(value), lo), Math.log10(c.high));
  }

  fromSlider() {
    const c = this.c;
    const x = Number(this.slider.value);
    if (!c.log) return c.name === "seed" ? Math.round(x) : round9(x);
    const lo = Math.log10(c.low);
    if (x < lo - OFF / 2) return 0;
    return Number((10 ** Math.max(x, lo)).toPrecision(2));
  }

  valueText(value) {
    if (this.c.log && value === 0) return "off";
    const unit = displayUnit(this.c.unit);
    return unit ? `${formatValue(this.c, value)} ${unit}` : formatValue(this.c, value);
  }

  // --- showing ------------------------------------------------------------------------
  /** Show `value` in the slider and the field, without calling back. */
  set(value) {
    this.slider.value = String(this.toSlider(value));
    this.lastX = Number(this.slider.value);
    this.slider.setAttribute("aria-valuetext", this.valueText(value));
    this.shown = formatValue(this.c, value);
    this.field.value = this.shown;
    this.field.removeAttribute("aria-invalid");
  }

  /** A log slider has no values between "off" and its lowest value: a step (an arrow
   * key, a drag) into that gap goes across it, in the direction it was going. */
  snap() {
    const c = this.c;
    const x = Number(this.slider.value);
    if (c.log) {
      const lo = Math.log10(c.low);
      if (x > lo - OFF && x < lo) {
        const off = lo - OFF;
        const prev = this.lastX ?? off;
        this.slider.value = String(round9(x > prev ? lo : x < prev ? off : (x < lo - OFF / 2 ? off : lo)));
      }
    }
    this.lastX = Number(this.slider.value);
  }

  preview() {
    this.snap();
    const value = this.fromSlider();
    this.field.value = formatValue(this.c, value);
    this.slider.setAttribute("aria-valuetext", this.valueText(value));
  }

  // --- changes ------------------------------------------------------------------------
  slid() {
    this.snap();
    const value = this.fromSlider();
    this.shown = formatValue(this.c, value);
    this.field.value = this.shown;
    this.field.removeAttribute("aria-invalid");
    this.onValue(this.c.name, value);
  }

  /** The typed text: Enter always applies it (again, if unchanged); leaving the field
   * ("change") only if it differs from what was shown or applied last. */
  typed(enter) {
    const text = this.field.value;
    if (!enter && text === this.shown) return;  // e.g. the "change" that follows an Enter
    this.shown = text;
    let value;
    try {
      value = this.parse(this.c.name, text);
    } catch (err) {
      this.field.setAttribute("aria-invalid", "true");
      this.onError(err instanceof InputError ? err.message : `${this.c.label}: ${err.message ?? err}`);
      return;
    }
    this.onValue(this.c.name, value);
  }
}

/** Grey marks under a drug slider at the human plasma levels, and their legend. */
function plasmaMarks(control, plasma) {
  const lo = Math.log10(control.low) - OFF;
  const hi = Math.log10(control.high);
  // the slider's track starts and ends half a thumb (8 px) inside the input
  const at = (uM) => `calc(8px + (100% - 16px) * ${(Math.log10(uM) - lo) / (hi - lo)})`;
  const [bandLow, bandHigh] = plasma.anaesthesia;
  const wrap = document.createElement("div");
  wrap.className = "plasma";
  wrap.innerHTML = `
    <div class="marks" aria-hidden="true">
      <div class="track">
        <div class="mark band" style="left:${at(bandLow)};width:calc(${at(bandHigh)} - ${at(bandLow)})"></div>
        <div class="mark cmax" style="left:${at(plasma.antidepressant)}"></div>
      </div>
      <div class="spacer"></div>
    </div>
    <p class="marks-legend">human plasma levels:<br>
      <span class="key cmax"></span>${plasma.antidepressant} µM after an antidepressant dose<br>
      <span class="key band"></span>${bandLow}–${bandHigh} µM under anaesthesia</p>`;
  return wrap;
}

/**
 * Build every control of `model.controls` into `container`; returns {name: widget}.
 * `parse(name, text)` reads a typed value (throws InputError); `onValue(name, value)`
 * gets each new value, `onError(message)` each refused one.
 */
export function buildControls(container, model, handlers) {
  const widgets = {};
  const seen = new Set();
  let group = null;
  let fieldset = null;
  for (const c of model.controls) {
    if (c.group !== group) {
      group = c.group;
      fieldset = document.createElement("fieldset");
      fieldset.className = `control-group group-${group}`;
      const legend = document.createElement("legend");
      legend.textContent = seen.has(group) ? "injected current" : (GROUP_TITLES[group] ?? group);
      seen.add(group);
      fieldset.append(legend);
      container.append(fieldset);
    }
    const widget = new ControlWidget(c, handlers);
    widgets[c.name] = widget;
    fieldset.append(widget.element);
    if (c.name === "ketamine" && model.plasma_uM) widget.element.append(plasmaMarks(c, model.plasma_uM));
  }
  return widgets;
}
