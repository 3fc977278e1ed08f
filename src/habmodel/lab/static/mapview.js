// The firing-mode map on the page: which settings it depends on, when to compute it (in
// the map workers, never in the trace worker), and its figure with the ring at the
// current settings.

import { MapPool } from "./workers.js";
import * as plots from "./plots.js";

/** Plotly calls on one figure, one after another. */
export function serial() {
  let last = Promise.resolve();
  return (fn) => (last = last.catch(() => {}).then(fn));
}

export class ModeMapView {
  /**
   * `model`: model.json; `div`, `status`: the figure and its caption; `onDrawn(result)`
   * after each map is drawn ({settings, points, modes}); `onError(message)`.
   */
  constructor({ model, div, status, onDrawn, onError }) {
    this.model = model;
    this.div = div;
    this.status = status;
    this.onDrawn = onDrawn;
    this.onError = onError;
    this.grid = model.map;
    // row by row: every [K+]o at the first g_NMDA, then the next g_NMDA, ...
    this.points = this.grid.g_NMDA.flatMap((g) => this.grid.K_o.map((K) => [K, g]));
    this.pool = null;
    this.key = null;
    this.generation = 0;
    this.settings = null;
    this.here = null;
    this.queue = serial();
  }

  /** What the map depends on: every setting but its axes ([K+]o, g_NMDA), the current
   * step (the workers run none) and the duration (the map has its own). */
  keyOf(s) {
    const names = this.model.controls
      .filter((c) => (c.group === "cell" || c.group === "drug") && c.name !== "K_o" && c.name !== "g_NMDA")
      .map((c) => s[c.name]);
    return JSON.stringify([s.condition, s.extra, s.seed, ...names]);
  }

  /** The current settings are `s` (its trace is drawn): move the ring, and compute a new
   * map if a setting it depends on changed. */
  follow(s) {
    this.here = { K_o: s.K_o, g_NMDA: s.g_NMDA };
    this.queue(async () => {
      if (this.div.data) return plots.setRing(this.div, this.here);
      await plots.drawMap(this.div, this.grid, null, this.here, "firing-mode map");
      plots.keepMapCells(this.div, this.grid);
    })
      .catch((err) => this.onError(`the map could not be drawn: ${err.message ?? err}`));
    const key = this.keyOf(s);
    if (key === this.key) return;
    if (!this.pool) {
      const size = Math.min(4, Math.max(2, navigator.hardwareConcurrency || 2));
      this.pool = new MapPool("worker.js", size, {
        onDone: (generation, modes) => this.done(generation, modes),
        onProgress: (generation, done, total) => {
          if (generation === this.generation) this.status.textContent = `computing the map… ${done}/${total}`;
        },
        onError: (message) => this.failed(message),
      });
    }
    this.key = key;
    this.generation += 1;
    this.settings = s;
    this.status.textContent = "computing the map…";
    this.pool.start(this.generation, s, this.points);
  }

  done(generation, modes) {
    const s = this.settings;
    const result = { settings: s, points: this.points, modes };
    const drugs = this.model.controls.filter((c) => c.group === "drug" && s[c.name] > 0)
      .map((c) => `${c.label} ${s[c.name]} µM`);
    this.queue(async () => {
      if (generation !== this.generation) return;  // a newer map is on its way
      await plots.drawMap(this.div, this.grid, result, this.here, `firing modes, ${drugs.join(", ") || "no drugs"}`);
      this.status.textContent = `${this.grid.duration_s} s per point, input ${s.nu_glu} Hz, `
        + `holding ${s.I_hold} pA, seed ${s.seed}; the ring is this cell.`;
      this.onDrawn(result);
    }).catch((err) => this.onError(`the map could not be drawn: ${err.message ?? err}`));
  }

  failed(message) {
    this.key = null;  // computed again with the next change
    this.status.textContent = "the map failed";
    this.onError(message);
  }
}
