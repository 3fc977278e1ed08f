// The figures (Plotly basic, window.Plotly): the trace, the zoom on the first burst, the
// I-V curves and the firing-mode map. Colours are habmodel's (plotting/style.py).

export const COLORS = {
  control: "#4477AA", depressed: "#EE6677",
  silent: "#BBBBBB", tonic: "#66CCEE", burst: "#882255",
  grey: "#666666", curves: ["#888888", "#4477AA", "#EE6677", "#228833", "#CCBB44", "#AA3377"],
};
const MODES = ["silent", "tonic", "burst"];

/** Plotly's options: nothing leaves the page (no Chart Studio, no links, no logo). */
export const CONFIG = {
  responsive: true, displaylogo: false, showLink: false, showEditInChartStudio: false,
  showSendToCloud: false, plotlyServerURL: "", sendData: false, showTips: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "toggleSpikelines"],
};
export const STATIC = { ...CONFIG, displayModeBar: false };

const plotly = () => window.Plotly;

/** Text size from the page's root size (larger on a projector). */
export function fontSize() {
  const root = parseFloat(getComputedStyle(document.documentElement).fontSize) || 15;
  return Math.round(root * 0.8);
}

export function baseLayout(extra) {
  const size = fontSize();
  return {
    font: { family: "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif", size, color: "#1d2127" },
    margin: { l: 52, r: 12, t: 34, b: 42 },
    paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff",
    showlegend: false, hovermode: "closest",
    ...extra,
  };
}

export function axis(title, extra = {}) {
  return {
    title: { text: title, standoff: 4 }, zeroline: false, showline: true, linecolor: "#888",
    ticks: "outside", ticklen: 3, gridcolor: "#eceff3", automargin: true, ...extra,
  };
}

export function title(text) {
  return { text, x: 0.01, xanchor: "left", y: 0.98, yanchor: "top", font: { size: fontSize() + 1 } };
}

/**
 * Min and max of each of `buckets` stretches of the trace, in time order: every spike stays
 * visible with at most 2 x buckets points (the full trace stays for the CSV).
 */
export function decimate(t, v, buckets = 2500) {
  const n = t.length;
  if (n <= 2 * buckets) return { t, v };
  const tt = new Float64Array(2 * buckets);
  const vv = new Float64Array(2 * buckets);
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const stop = Math.floor(((b + 1) * n) / buckets);
    let lo = start;
    let hi = start;
    for (let i = start + 1; i < stop; i++) {
      if (v[i] < v[lo]) lo = i;
      if (v[i] > v[hi]) hi = i;
    }
    const [first, second] = lo < hi ? [lo, hi] : [hi, lo];
    tt[2 * b] = t[first]; vv[2 * b] = v[first];
    tt[2 * b + 1] = t[second]; vv[2 * b + 1] = v[second];
  }
  return { t: tt, v: vv };
}

/** The spike times that belong to bursts. */
function burstSpikes(spikes, bursts) {
  const out = [];
  for (const [a, b] of bursts) for (let i = a; i < b; i++) out.push(spikes[i]);
  return out;
}

function peakOf(v) {
  let peak = -Infinity;
  for (const x of v) if (x > peak) peak = x;
  return Number.isFinite(peak) ? peak : 40;
}

/** The voltage trace, its burst spikes marked and the current step shaded; `heading`
 * names the condition and the drugs (it goes into the PNG and SVG too). */
export function drawTrace(div, run, s, heading) {
  const { t, v } = decimate(run.t_s, run.v_mV);
  const marked = burstSpikes(run.spikes_s, run.metrics.bursts);
  const markY = peakOf(v) + 6;
  const shapes = [];
  const annotations = [];
  if (s.I_step !== 0 && s.step_ms > 0) {
    const x1 = s.step_start + s.step_ms / 1e3;
    shapes.push({ type: "rect", xref: "x", yref: "paper", x0: s.step_start, x1, y0: 0, y1: 1,
      fillcolor: "rgba(68,119,170,0.12)", line: { width: 0 }, layer: "below" });
    annotations.push({ xref: "x", yref: "paper", x: s.step_start, y: 1, xanchor: "left", yanchor: "bottom",
      text: `step ${s.I_step} pA`, showarrow: false, font: { size: fontSize() - 1, color: COLORS.control } });
  }
  const data = [
    { type: "scatter", mode: "lines", x: t, y: v, name: "membrane potential", showlegend: false,
      line: { color: COLORS[s.condition] ?? COLORS.depressed, width: 1 }, hoverinfo: "x+y" },
    { type: "scatter", mode: "markers", x: marked, y: marked.map(() => markY), name: "spike in a burst",
      marker: { symbol: "triangle-down", size: 7, color: COLORS.burst }, hoverinfo: "x+name" },
  ];
  const layout = baseLayout({
    title: title(heading),
    showlegend: true,
    margin: { l: 52, r: 34, t: 50, b: 42 },  // the title, and the legend below it
    modebar: { orientation: "v" },  // on the right, clear of the title and the legend
    legend: { orientation: "h", x: 1, xanchor: "right", y: 1.0, yanchor: "bottom", bgcolor: "rgba(0,0,0,0)" },
    xaxis: axis("time (s)", { range: [0, s.duration] }),
    yaxis: axis("membrane potential (mV)"),
    shapes, annotations,
    uirevision: `${s.duration}`,
  });
  // on a phone the tool bar only covers the figure (and Plotly does not pinch-zoom)
  const config = window.innerWidth < 600 ? { ...CONFIG, displayModeBar: false } : CONFIG;
  return plotly().react(div, data, layout, config);
}

/** The first burst (from 30 ms before it to 80 ms after), or the first 300 ms. */
export function drawZoom(div, run) {
  const { t_s: t, v_mV: v, spikes_s: spikes } = run;
  const first = run.metrics.bursts[0];
  const dt = t.length > 1 ? t[1] - t[0] : 1e-4;
  let t0 = 0;
  let t1 = Math.min(0.3, t.length * dt);
  let name = "first 300 ms (no burst)";
  if (first) {
    t0 = Math.max(0, spikes[first[0]] - 0.03);
    t1 = spikes[first[1] - 1] + 0.08;
    name = `first burst (${first[1] - first[0]} spikes)`;
  }
  const i0 = Math.max(0, Math.floor(t0 / dt));
  const i1 = Math.min(t.length, Math.ceil(t1 / dt) + 1);
  const x = Array.from(t.subarray(i0, i1), (ti) => (ti - t0) * 1e3);
  const y = v.subarray(i0, i1);
  const marked = first ? Array.from(spikes.subarray(first[0], first[1]), (ts) => (ts - t0) * 1e3) : [];
  const markY = peakOf(y) + 6;
  const data = [
    { type: "scatter", mode: "lines", x, y, line: { color: COLORS.grey, width: 1.2 }, hoverinfo: "x+y" },
    { type: "scatter", mode: "markers", x: marked, y: marked.map(() => markY),
      marker: { symbol: "triangle-down", size: 7, color: COLORS.burst }, hoverinfo: "x" },
  ];
  const layout = baseLayout({
    title: title(name),
    margin: { l: 52, r: 12, t: 54, b: 42 },  // plot areas level with the I-V and the map
    xaxis: axis("time (ms)"),
    yaxis: axis("mV"),
  });
  return plotly().react(div, data, layout, STATIC);
}

function holdShape(I_hold) {
  return { type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: I_hold, y1: I_hold,
    line: { color: "#333", width: 1.5, dash: "dash" } };
}

/** The steady-state I-V curves, one per NMDA open fraction, and the holding current. */
export function drawIV(div, iv, I_hold) {
  const data = iv.curves.map((curve, i) => ({
    type: "scatter", mode: "lines", x: iv.v_mV, y: curve.I_pA, name: `s = ${curve.s}`,
    line: { color: COLORS.curves[i % COLORS.curves.length], width: 1.8 },
    hovertemplate: `s = ${curve.s}: %{y:.1f} pA at %{x:.1f} mV<extra></extra>`,
  }));
  const layout = baseLayout({
    title: title("steady-state I-V"),
    showlegend: true,
    margin: { l: 52, r: 12, t: 54, b: 42 },
    legend: { orientation: "h", x: 0, y: 1.0, xanchor: "left", yanchor: "bottom",
      font: { size: fontSize() - 2 } },
    xaxis: axis("membrane potential (mV)"),
    yaxis: axis("current (pA)"),
    shapes: [holdShape(I_hold)],
  });
  return plotly().react(div, data, layout, STATIC);
}

/** Move the holding-current line of a drawn I-V figure. */
export function setHold(div, I_hold) {
  if (!div.data) return Promise.resolve();
  return plotly().relayout(div, { shapes: [holdShape(I_hold)] });
}

// --- the firing-mode map -----------------------------------------------------------------
const MAP_MARGIN = { l: 52, r: 12, t: 54, b: 42 };

/** The side (px) of a square marker that fills one cell of the grid: from the drawn plot
 * area (Plotly's _fullLayout._size, which counts the room the legend takes), else from
 * the figure's size and margins. */
function cellSize(div, grid) {
  const area = div._fullLayout?._size;
  const w = area ? area.w : div.clientWidth - MAP_MARGIN.l - MAP_MARGIN.r;
  const h = area ? area.h : div.clientHeight - MAP_MARGIN.t - MAP_MARGIN.b;
  return Math.max(4, Math.min(w / grid.K_o.length, h / grid.g_NMDA.length) - 1.5);
}

function span(values) {
  const step = values.length > 1 ? values[1] - values[0] : 1;
  return [values[0] - step / 2, values[values.length - 1] + step / 2];
}

/**
 * The map: square markers coloured by mode (`result` = {points, modes}, or null while it
 * is computed) and a ring at `here` = {K_o, g_NMDA}.
 */
export function drawMap(div, grid, result, here, heading) {
  const size = cellSize(div, grid);
  const data = MODES.map((mode) => {
    const pts = result ? result.points.filter((_, i) => result.modes[i] === mode) : [];
    return {
      type: "scatter", mode: "markers", name: mode, x: pts.map((p) => p[0]), y: pts.map((p) => p[1]),
      marker: { symbol: "square", size, color: COLORS[mode], line: { width: 0 } },
      hovertemplate: `${mode}: [K+]o %{x} mM, g_NMDA %{y} mS/cm²<extra></extra>`,
    };
  });
  data.push({
    type: "scatter", mode: "markers", name: "this cell", x: [here.K_o], y: [here.g_NMDA],
    marker: { symbol: "circle-open", size: 16, color: "#000", line: { width: 3 } },
    hovertemplate: "this cell: [K+]o %{x} mM, g_NMDA %{y} mS/cm²<extra></extra>",
  });
  const layout = baseLayout({
    title: title(heading),
    margin: MAP_MARGIN,
    showlegend: true,
    legend: { orientation: "h", x: 0, y: 1.0, xanchor: "left", yanchor: "bottom",
      font: { size: fontSize() - 2 }, itemclick: false, itemdoubleclick: false },
    xaxis: axis("[K+]o (mM)", { range: span(grid.K_o), showgrid: false, automargin: false }),
    yaxis: axis("g_NMDA (mS/cm²)", { range: span(grid.g_NMDA), showgrid: false, automargin: false }),
  });
  return plotly().react(div, data, layout, STATIC);
}

/** Move the ring of a drawn map to the current settings. */
export function setRing(div, here) {
  if (!div.data) return Promise.resolve();
  return plotly().restyle(div, { x: [[here.K_o]], y: [[here.g_NMDA]] }, [MODES.length]);
}

/** Keep the map's squares filling their cells after every redraw (a new map, a resize, a
 * legend that wraps): call once, after the map is first drawn. */
export function keepMapCells(div, grid) {
  div.on("plotly_afterplot", () => {
    const size = cellSize(div, grid);
    const now = div.data?.[0]?.marker?.size;
    // restyling draws again (and calls back): only when the size really changed
    if (typeof now === "number" && Math.abs(now - size) > 0.5) {
      plotly().restyle(div, { "marker.size": size }, [0, 1, 2]);
    }
  });
}

/** The trace figure as a PNG or SVG file (drawn by Plotly in the page, nothing sent). */
export function downloadTrace(div, format) {
  return plotly().downloadImage(div, { format, filename: "habmodel_trace", width: 1200, height: 420 });
}
