"""Per-population readouts of the circuit: rates, bursts, pauses, dopamine, synchrony."""

from __future__ import annotations

import math

import numpy as np

from ..analysis import BurstCriteria, detect_bursts

__all__ = ["DA_BURSTS", "population_summary", "pause_after", "lhb_synchrony", "dopamine_readout",
           "first_order_filter"]

#: Dopamine-neuron bursts (Grace & Bunney 1984): start at an interval <= 80 ms, end at one
#: > 160 ms; approximated here by runs of intervals <= 80 ms (no silence required before).
DA_BURSTS = BurstCriteria(max_isi=0.08, min_spikes=2, min_preburst_silence=None)


def _burst_fraction(trains, criteria) -> float:
    n = sum(len(t) for t in trains)
    if n == 0:
        return math.nan
    inside = 0
    for t in trains:
        for a, b in detect_bursts(np.asarray(t, float), criteria):
            inside += b - a
    return inside / n


def population_summary(pops: dict, duration_s: float, da_nM) -> list[dict]:
    """One row per population: ``population, n_cells, rate_hz, burst_fraction`` (LHb and
    RMTg: habmodel's LTS-burst criteria; VTA: :data:`DA_BURSTS`) and, for VTA,
    ``dopamine_nM`` (mean of the readout); for LHb the synchrony measures of
    :func:`lhb_synchrony`. (The dopamine pause needs a synchronous LHb volley:
    :func:`habmodel.circuit.volley_pause`.)"""
    rows = []
    for pop, trains in pops.items():
        rate = sum(len(t) for t in trains) / max(1, len(trains)) / duration_s
        crit = DA_BURSTS if pop == "VTA" else BurstCriteria()
        row = {"population": pop, "n_cells": len(trains), "rate_hz": rate,
               "burst_fraction": _burst_fraction(trains, crit),
               "dopamine_nM": math.nan, "lhb_corr": math.nan, "lhb_theta_fraction": math.nan}
        if pop == "VTA":
            row["dopamine_nM"] = float(np.mean(da_nM)) if len(da_nM) else math.nan
        if pop == "LHb":
            row.update(lhb_synchrony(trains, duration_s))
        rows.append(row)
    return rows


def pause_after(onsets, vta, window_s: float = 0.4, bin_s: float = 0.01) -> dict:
    """Dopamine pause after events at ``onsets`` (s): the VTA population rate (``vta``, spike
    times per cell) around each onset, averaged over onsets. The pause is how long the rate
    stays below half of its mean in the 100 ms before the onsets (``pause_ms``; 0 if it never
    falls that low, nan without onsets or without firing before them); also
    ``baseline_hz`` and ``rebound_hz`` (the highest rate in the window after the pause)."""
    onsets = np.asarray(onsets, float)
    nan = {"pause_ms": math.nan, "baseline_hz": math.nan, "rebound_hz": math.nan}
    if onsets.size == 0 or not len(vta):
        return nan
    spikes = np.sort(np.concatenate([np.asarray(t, float) for t in vta]))
    edges = np.arange(-0.1, window_s + bin_s / 2, bin_s)
    hist = np.zeros(len(edges) - 1)
    for o in onsets:
        lo, hi = np.searchsorted(spikes, [o - 0.1, o + window_s])
        hist += np.histogram(spikes[lo:hi] - o, edges)[0]
    rate = hist / (onsets.size * bin_s * len(vta))
    centers = 0.5 * (edges[:-1] + edges[1:])
    base = float(rate[centers < 0].mean())
    if base <= 0:
        return nan
    after = rate[centers >= 0]
    below = after < 0.5 * base
    if not below.any():
        return {"pause_ms": 0.0, "baseline_hz": base, "rebound_hz": float(after.max())}
    start = int(np.argmax(below))  # the first bin below half, then the end of that run
    end = start + (int(np.argmin(below[start:])) if not below[start:].all() else
                   len(below) - start)
    return {"pause_ms": float((end - start) * bin_s * 1e3), "baseline_hz": base,
            "rebound_hz": float(after[end:].max()) if end < len(after) else math.nan}


def lhb_synchrony(trains, duration_s: float, bin_s: float = 0.025) -> dict:
    """LHb population synchrony: ``lhb_corr``, the mean pairwise Pearson correlation of
    spike counts in ``bin_s`` bins (cells that fire), and ``lhb_theta_fraction``, the share
    of the population-rate power spectrum (1-50 Hz, 5 ms bins) in the theta band (4-8 Hz)."""
    edges = np.arange(0.0, duration_s + bin_s / 2, bin_s)
    counts = np.array([np.histogram(t, edges)[0] for t in trains], float)
    active = counts[counts.std(axis=1) > 0]
    corr = math.nan
    if len(active) >= 2:
        c = np.corrcoef(active)
        corr = float(c[np.triu_indices(len(active), 1)].mean())
    fine = np.arange(0.0, duration_s + 0.0025, 0.005)
    pop = np.histogram(np.concatenate([np.asarray(t, float) for t in trains]) if trains else [],
                       fine)[0].astype(float)
    theta = math.nan
    if pop.sum() > 0 and len(pop) > 64:
        f, pxx = welch_power(pop - pop.mean(), 200.0, min(len(pop), 400))
        band = (f >= 1) & (f <= 50)
        total = pxx[band].sum()
        if total > 0:
            theta = float(pxx[(f >= 4) & (f <= 8)].sum() / total)
    return {"lhb_corr": corr, "lhb_theta_fraction": theta}


def welch_power(x: np.ndarray, fs: float, nperseg: int) -> tuple[np.ndarray, np.ndarray]:
    """Welch's averaged periodogram as ``scipy.signal.welch(x, fs, nperseg=nperseg)``
    computes it (periodic Hann window, half-overlapping segments, each detrended by its
    mean), up to the scale of the density and the one-sided doubling, which cancel in the
    band ratios taken here; numpy alone, so that the circuit command does not import
    scipy.signal (about 1 s)."""
    x = np.asarray(x, float)
    step = nperseg - nperseg // 2
    starts = np.arange(0, x.size - nperseg + 1, step)
    segments = x[starts[:, None] + np.arange(nperseg)]
    segments = segments - segments.mean(axis=1, keepdims=True)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(nperseg) / nperseg)
    power = np.abs(np.fft.rfft(segments * window, axis=1)) ** 2
    return np.fft.rfftfreq(nperseg, 1.0 / fs), power.mean(axis=0)


def dopamine_readout(trains: list[np.ndarray], grid_s: np.ndarray, params=None) -> np.ndarray:
    """Extracellular dopamine (nM) on ``grid_s``: each DA spike releases
    ``da_per_spike_nM`` (averaged over the population), cleared with time constant
    ``tau_da_ms`` (first-order reuptake)."""
    spikes = np.concatenate([np.asarray(t, float) for t in trains]) if trains else np.zeros(0)
    if spikes.size == 0 or len(grid_s) == 0:
        return np.zeros(len(grid_s))
    step = grid_s[1] - grid_s[0] if len(grid_s) > 1 else 1.0
    counts = np.histogram(spikes, np.r_[grid_s, grid_s[-1] + step])[0]
    per = params.da_per_spike_nM / max(1, len(trains))
    return first_order_filter(per * counts.astype(float), step / (params.tau_da_ms * 1e-3))


def first_order_filter(x: np.ndarray, rate: float) -> np.ndarray:
    """``y[k] = exp(-rate) * y[k-1] + x[k]`` (``y[-1] = 0``), exactly, in vectorised blocks:
    within a block, ``y[k0 + m] = d**(m+1) y[k0-1] + d**m * cumsum(x[k0 + j] / d**j)``, with
    blocks short enough that ``d**-j`` stays far from overflow."""
    x = np.asarray(x, float)
    y = np.empty_like(x)
    size = int(min(4096, max(1, 30.0 // max(rate, 1e-12))))
    powers = np.exp(-rate * np.arange(size + 1))  # d**0 ... d**size
    last = 0.0
    for k0 in range(0, x.size, size):
        block = x[k0:k0 + size]
        m = block.size
        y[k0:k0 + m] = powers[1:m + 1] * last + powers[:m] * np.cumsum(block / powers[:m])
        last = y[k0 + m - 1]
    return y
