// The voltage clamp's figures (Plotly basic): the command and one current against time,
// one column per arm and one colour per step (as habmodel.plotting.vclamp), and the I-V:
// peak and steady current against the step potential, one colour per arm (or, for
// repeated steps, the peak current of each repeat).

import { COLORS, STATIC, axis, baseLayout, decimate, fontSize, title } from "./plots.js";

const plotly = () => window.Plotly;

// cividis (matplotlib's), the colour of a step from the most negative to the most positive
const CIVIDIS = ["#00224e", "#123570", "#3b496c", "#575d6d", "#707173", "#8a8779", "#a69d75", "#c4b56c", "#e4cf5b", "#fee838"];

function hex(c) {
  return [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16));
}

/** The cividis colour at f in [0, 1]. */
export function cividis(f) {
  const x = Math.min(Math.max(f, 0), 1) * (CIVIDIS.length - 1);
  const i = Math.min(Math.floor(x), CIVIDIS.length - 2);
  const [a, b] = [hex(CIVIDIS[i]), hex(CIVIDIS[i + 1])];
  const mix = a.map((v, k) => Math.round(v + (b[k] - v) * (x - i)));
  return `rgb(${mix.join(",")})`;
}

/** The command of one cell as corner points (only where it changes). */
function commandLine(t, v, offset, n) {
  const x = [t[0]];
  const y = [v[offset]];
  for (let k = 1; k < n; k++) {
    if (v[offset + k] !== v[offset + k - 1]) { x.push(t[k]); y.push(v[offset + k]); }
  }
  x.push(t[n - 1]);
  y.push(v[offset + n - 1]);
  return { x, y };
}

const armColor = (a) => COLORS.curves[(a + 1) % COLORS.curves.length];

/** The command (top) and `current` (below) of every cell, one column per arm. */
export function drawClampTraces(div, result, current, heading) {
  const { t_ms: t, arms } = result;
  const nS = t.length;
  const gap = 0.05;
  const width = (1 - gap * (arms.length - 1)) / arms.length;
  const data = [];
  const layout = baseLayout({
    title: title(heading), margin: { l: 60, r: 12, t: 58, b: 42 },
    yaxis: axis(`${current} (pA)`, { domain: [0, 0.7], zeroline: true, zerolinecolor: "#bbb" }),
    yaxis2: axis("mV", { domain: [0.78, 1], anchor: "x" }),
    annotations: [],
  });
  arms.forEach((arm, a) => {
    const x = a === 0 ? "" : String(a + 1);
    const left = a * (width + gap);
    layout[`xaxis${x}`] = axis("time (ms)", { domain: [left, left + width], anchor: "y" });
    layout.annotations.push({ xref: "paper", yref: "paper", x: left, y: 1.0, xanchor: "left", yanchor: "bottom",
      text: arm.label, showarrow: false, font: { size: fontSize() - 1, color: armColor(a) } });
    const cells = [...result.cell_arm.keys()].filter((i) => result.cell_arm[i] === a);
    cells.forEach((i, j) => {
      const color = cividis(cells.length > 1 ? j / (cells.length - 1) : 0.5);
      const name = `${result.cell_step[i]} mV`;
      const trace = decimate(t, result.data[current].subarray(i * nS, (i + 1) * nS), 800);
      data.push({ type: "scatter", mode: "lines", x: trace.t, y: trace.v, xaxis: `x${x}`, yaxis: "y", name,
        line: { color, width: 1.2 }, hovertemplate: `${arm.label}, step ${name}: %{y:.4g} pA at %{x:.1f} ms<extra></extra>` });
      const cmd = commandLine(t, result.v_mV, i * nS, nS);
      data.push({ type: "scatter", mode: "lines", x: cmd.x, y: cmd.y, xaxis: `x${x}`, yaxis: "y2", name,
        line: { color, width: 1, shape: "hv" }, hovertemplate: `command ${name}<extra></extra>` });
    });
  });
  return plotly().react(div, data, layout, STATIC);
}

/** The I-V of `current`: peak (filled) and steady (open) per arm against the step; with
 * repeated steps, the peak of each repeat against its number. */
export function drawClampIV(div, result, current) {
  const rows = result.iv;
  const repeated = result.settings.repeats > 1;
  const data = [];
  result.arms.forEach((arm, a) => {
    const mine = rows.filter((r) => r.arm === arm.label);
    const color = armColor(a);
    if (repeated) {
      data.push({ type: "scatter", mode: "lines+markers", name: arm.label, x: mine.map((r) => r.repeat + 1),
        y: mine.map((r) => r[`${current}_peak_pA`]), line: { color, width: 1.8 }, marker: { color, size: 7 },
        hovertemplate: `${arm.label}, step %{x}: peak %{y:.4g} pA<extra></extra>` });
      return;
    }
    for (const [kind, dash, symbol] of [["peak", "solid", "circle"], ["steady", "dash", "circle-open"]]) {
      data.push({ type: "scatter", mode: "lines+markers", name: `${arm.label}, ${kind}`, x: mine.map((r) => r.step_mV),
        y: mine.map((r) => r[`${current}_${kind}_pA`]), line: { color, width: 1.6, dash },
        marker: { color, size: 7, symbol }, hovertemplate: `${arm.label}, ${kind}: %{y:.4g} pA at %{x} mV<extra></extra>` });
    }
  });
  const layout = baseLayout({
    title: title(repeated ? `peak ${current} of each step` : `I-V of ${current}: peak (●), steady (○)`),
    showlegend: true, margin: { l: 60, r: 12, t: 40, b: 42 },
    legend: { orientation: "h", x: 0, y: -0.25, xanchor: "left", yanchor: "top", font: { size: fontSize() - 2 } },
    xaxis: axis(repeated ? "depolarisation number" : "step potential (mV)", { dtick: repeated ? 1 : undefined }),
    yaxis: axis(`${current} (pA)`, { zeroline: true, zerolinecolor: "#888" }),
  });
  return plotly().react(div, data, layout, STATIC);
}

/** The traces figure as a PNG (drawn by Plotly in the page, nothing sent). */
export function downloadClampFigure(div) {
  return plotly().downloadImage(div, { format: "png", filename: "habmodel_vclamp", width: 1400, height: 520 });
}
