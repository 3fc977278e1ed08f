// The tables of a voltage clamp (vclamp.js): the peak / steady / tail current of every step
// (habmodel.experiments.clamp_iv) and the two CSV files of `habmodel vclamp`: currents.csv
// (one row per cell and sample) and iv.csv, with the same columns.

const SEGMENTS = ["hold", "step", "tail"];

/** The value of largest magnitude (the first of them), sign kept. */
function peak(values) {
  let best = NaN;
  for (const x of values) if (!(Math.abs(x) <= Math.abs(best))) best = x;
  return best;
}

function mean(values) {
  let sum = 0.0;
  for (const x of values) sum += x;
  return sum / values.length;
}

/**
 * Peak, steady and tail current of every arm, step and repeat (clamp_iv): rows {arm,
 * hold_mV, step_mV, repeat, <name>_peak_pA, <name>_steady_pA, <name>_tail_pA} for every
 * current name of `result`; steady: the mean over the last 10 % of the step (at most its
 * last model.vclamp.steady_max_ms).
 */
export function clampIV(result, steadyMaxMs) {
  const { t_ms: t, segment, repeat, names } = result;
  const nS = t.length;
  const hasTail = segment.includes(2);
  let repeats = 0;
  for (const r of repeat) if (r >= repeats) repeats = r + 1;
  const rows = [];
  for (let i = 0; i < result.cell_arm.length; i++) {
    const arm = result.arms[result.cell_arm[i]];
    for (let r = 0; r < repeats; r++) {
      const step = [];
      const tail = [];
      for (let k = 0; k < nS; k++) {
        if (repeat[k] !== r) continue;
        if (segment[k] === 1) step.push(k);
        else if (segment[k] === 2) tail.push(k);
      }
      if (!step.length) continue;
      const ts = step.map((k) => t[k]);
      const dt = ts.length > 1 ? ts[1] - ts[0] : 0.0;
      const end = ts[ts.length - 1] + dt;
      const cut = end - Math.min(0.1 * (end - ts[0]), steadyMaxMs) - 1e-9 * Math.max(1.0, end);
      const late = step.filter((k, j) => ts[j] >= cut || j === step.length - 1);
      const row = { arm: arm.label, hold_mV: arm.hold_mV, step_mV: result.cell_step[i], repeat: r };
      for (const name of names) {
        const data = result.data[name];
        row[`${name}_peak_pA`] = peak(step.map((k) => data[i * nS + k]));
        row[`${name}_steady_pA`] = mean(late.map((k) => data[i * nS + k]));
        if (hasTail) row[`${name}_tail_pA`] = peak(tail.map((k) => data[i * nS + k]));
      }
      rows.push(row);
    }
  }
  return rows;
}

/** A number as pandas writes it with float_format="%.9g" (near enough: it reads back the same). */
export function g9(x) {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "" : (x > 0 ? "inf" : "-inf");
  if (Number.isInteger(x) && Math.abs(x) < 1e9) return String(x);
  const text = x.toPrecision(9);
  if (text.includes("e")) {
    const [mantissa, exponent] = text.split("e");
    const digits = exponent.slice(1).padStart(2, "0");
    return `${mantissa.replace(/\.?0+$/, "")}e${exponent[0]}${digits}`;
  }
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

function field(text) {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** currents.csv: arm, hold_mV, step_mV, repeat, segment, t_ms, v_mV, I_total_pA and one
 * <current>_pA column per current; one row per cell and sample. */
export function currentsCsv(result) {
  const nS = result.t_ms.length;
  const columns = result.names.map((name) => result.data[name]);
  const lines = [["arm", "hold_mV", "step_mV", "repeat", "segment", "t_ms", "v_mV",
    ...result.names.map((name) => `${name}_pA`)].join(",")];
  for (let i = 0; i < result.cell_arm.length; i++) {
    const arm = result.arms[result.cell_arm[i]];
    const head = `${field(arm.label)},${g9(arm.hold_mV)},${g9(result.cell_step[i])},`;
    for (let k = 0; k < nS; k++) {
      const at = i * nS + k;
      let line = `${head}${result.repeat[k]},${SEGMENTS[result.segment[k]]},${g9(result.t_ms[k])},${g9(result.v_mV[at])}`;
      for (const column of columns) line += `,${g9(column[at])}`;
      lines.push(line);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** iv.csv: the rows of clampIV. */
export function ivCsv(rows) {
  if (!rows.length) return "";
  const keys = Object.keys(rows[0]);
  const out = [keys.join(",")];
  for (const row of rows) out.push(keys.map((k) => (typeof row[k] === "number" ? g9(row[k]) : field(String(row[k])))).join(","));
  return `${out.join("\n")}\n`;
}
