// Bursts and firing metrics of one spike train: habmodel.analysis.bursts and
// habmodel.analysis.metrics, with the criteria from model.json (one burst criterion for
// the page and for habmodel; tests/test_lab.py holds the two to the same numbers).

const TIME_TOLERANCE = 1e-9;  // habmodel.analysis.bursts.TIME_TOLERANCE

/** Bursts as [start, stop) spike-index pairs (habmodel.analysis.detect_bursts). */
export function detectBursts(times, criteria) {
  const out = [];
  if (times.length < 2) return out;
  let start = 0;
  const close = (stop) => {
    if (stop - start >= criteria.min_spikes) {
      const silence = criteria.min_preburst_silence;
      const quiet = start === 0 || silence === null
        || times[start] - times[start - 1] >= silence - TIME_TOLERANCE;
      if (quiet) out.push([start, stop]);
    }
  };
  for (let i = 1; i < times.length; i++) {
    if (times[i] - times[i - 1] > criteria.max_isi + TIME_TOLERANCE) {
      close(i);
      start = i;
    }
  }
  close(times.length);
  return out;
}

/** Firing metrics of the spikes in [0, duration) s (habmodel.analysis.cell_metrics):
 * n_spikes, rate_hz, burst_fraction, bursts_per_s, spikes_per_burst, intraburst_hz, mode. */
export function cellMetrics(spikeTimes, duration, criteria) {
  const times = Array.prototype.filter.call(spikeTimes, (t) => t >= 0 && t < duration);
  const bursts = detectBursts(times, criteria);
  const n = times.length;
  const inBursts = bursts.reduce((sum, [a, b]) => sum + (b - a), 0);
  const rate = n / duration;
  const fraction = n ? inBursts / n : NaN;
  let mode = "tonic";
  if (n === 0 || rate < criteria.silent_rate) mode = "silent";
  else if (fraction > criteria.burst_fraction_threshold) mode = "burst";
  const intra = bursts.length
    ? bursts.reduce((sum, [a, b]) => sum + (b - a - 1) / (times[b - 1] - times[a]), 0) / bursts.length
    : NaN;
  return {
    n_spikes: n, rate_hz: rate, burst_fraction: fraction, bursts_per_s: bursts.length / duration,
    spikes_per_burst: bursts.length ? inBursts / bursts.length : NaN, intraburst_hz: intra,
    mode, bursts,
  };
}
