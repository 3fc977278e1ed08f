"""The readouts of the reward task: windows of each trial, the tidy tables, time courses."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..analysis import BurstCriteria, detect_bursts

__all__ = ["TaskTiming", "TIMING", "MEASURES", "per_trial", "summarise", "time_courses"]


@dataclass(frozen=True)
class TaskTiming:
    """The times of a trial (s from its start): the cue, the outcome, the baseline window
    (before the cue) and the window after the response; ``warmup_s`` is simulated before
    each trial of the LHb cells."""

    trial_s: float = 2.5
    cue_s: float = 1.0
    outcome_s: float = 1.5
    baseline_s: tuple = (0.3, 1.0)
    after_s: float = 0.3
    warmup_s: float = 0.5


TIMING = TaskTiming()

#: The measures of the tables: ``(name, unit, population or readout)``.
MEASURES = (("LHb rate", "Hz", "LHb"), ("LHb bursts", "bursts/s", "LHb"),
            ("RMTg rate", "Hz", "RMTg"), ("VTA rate", "Hz", "VTA"),
            ("dopamine", "nM", "dopamine"), ("DR GABA rate", "Hz", "DR GABA"),
            ("5-HT rate", "Hz", "5-HT"), ("serotonin", "nM", "serotonin"))

_COLUMNS = ["condition", "trial", "trial_type", "prediction_error", "measure", "unit",
            "baseline", "response", "after"]


def _windows(timing: TaskTiming, pe_s: float, n: int) -> dict:
    """The three windows of trial ``n`` (absolute times, s)."""
    o = n * timing.trial_s
    start = o + timing.outcome_s
    return {"baseline": (o + timing.baseline_s[0], o + timing.baseline_s[1]),
            "response": (start, start + pe_s),
            "after": (start + pe_s, start + pe_s + timing.after_s)}


def _count(sorted_times: np.ndarray, lo: float, hi: float) -> int:
    a, b = np.searchsorted(sorted_times, [lo, hi])
    return int(b - a)


def _pooled(trains) -> np.ndarray:
    return np.sort(np.concatenate([np.asarray(t, float) for t in trains])) if len(trains) \
        else np.zeros(0)


def _burst_onsets(trains, criteria: BurstCriteria) -> np.ndarray:
    onsets = []
    for t in trains:
        t = np.asarray(t, float)
        onsets += [t[a] for a, _ in detect_bursts(t, criteria)]
    return np.sort(np.asarray(onsets, float))


def per_trial(result, errors: dict) -> pd.DataFrame:
    """One row per condition, trial and measure (:data:`MEASURES`), with the mean of each
    window: rates per cell (Hz), LHb burst onsets per cell and second, readouts (nM)."""
    rows = []
    t_grid = np.asarray(result.t_s, float)
    for label in result.conditions:
        pops = result.spikes[label]
        series = {}
        for name, _, source in MEASURES:
            if name == "LHb bursts":
                series[name] = ("events", _burst_onsets(pops["LHb"], BurstCriteria()),
                                len(pops["LHb"]))
            elif source in ("dopamine", "serotonin"):
                trace = (result.dopamine_nM if source == "dopamine" else
                         result.serotonin_nM)[label]
                series[name] = ("trace", np.asarray(trace, float), None)
            else:
                series[name] = ("events", _pooled(pops[source]), len(pops[source]))
        for n, kind in enumerate(result.order):
            windows = _windows(result.timing, result.pe_duration_s, n)
            for name, unit, _ in MEASURES:
                how, data, cells = series[name]
                row = {"condition": label, "trial": n, "trial_type": kind,
                       "prediction_error": errors[kind], "measure": name, "unit": unit}
                for window, (lo, hi) in windows.items():
                    if how == "events":
                        row[window] = _count(data, lo, hi) / max(1, cells) / (hi - lo)
                    else:
                        inside = (t_grid >= lo) & (t_grid < hi)
                        row[window] = float(data[inside].mean()) if inside.any() else math.nan
                rows.append(row)
    return pd.DataFrame(rows, columns=_COLUMNS)


def summarise(trials: pd.DataFrame, kinds=None) -> pd.DataFrame:
    """The tidy summary: one row per condition, trial type and measure, averaged over
    trials (``change = response - baseline``, ``change_after = after - baseline``, and the
    standard error of ``change`` across trials). Trial types in the order of ``kinds``
    (default: as they first appear)."""
    trials = trials.assign(change=trials["response"] - trials["baseline"],
                           change_after=trials["after"] - trials["baseline"])
    keys = ["condition", "trial_type", "measure"]
    rows = []
    for (condition, kind, measure), group in trials.groupby(keys, sort=False):
        n = len(group)
        sem = float(group["change"].std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        rows.append({"condition": condition, "trial_type": kind,
                     "prediction_error": float(group["prediction_error"].iloc[0]),
                     "measure": measure, "unit": group["unit"].iloc[0],
                     **{c: float(group[c].mean()) for c in ("baseline", "response", "after",
                                                            "change", "change_after")},
                     "change_sem": sem, "n_trials": n})
    table = pd.DataFrame(rows)
    kinds = list(dict.fromkeys(trials["trial_type"]) if kinds is None else kinds)
    order = {m: k for k, (m, _, _) in enumerate(MEASURES)}
    conditions = {c: k for k, c in enumerate(dict.fromkeys(trials["condition"]))}
    table = table.sort_values(["condition", "trial_type", "measure"], key=lambda col: col.map(
        conditions if col.name == "condition" else
        {k: i for i, k in enumerate(kinds)} if col.name == "trial_type" else order),
        kind="stable")
    return table.reset_index(drop=True)


def time_courses(result, bin_s: float = 0.02) -> pd.DataFrame:
    """Trial-averaged time courses (tidy: ``condition, trial_type, signal, t_s, value``)."""
    timing = result.timing
    edges = np.arange(0.0, timing.trial_s + bin_s / 2, bin_s)
    centers = 0.5 * (edges[:-1] + edges[1:])
    t_grid = np.asarray(result.t_s, float)
    frames = []
    for label in result.conditions:
        pops = result.spikes[label]
        pooled = {pop: _pooled(pops[pop]) for pop in ("LHb", "RMTg", "VTA", "DR GABA", "5-HT")}
        traces = {"dopamine": np.asarray(result.dopamine_nM[label], float),
                  "serotonin": np.asarray(result.serotonin_nM[label], float)}
        for kind in dict.fromkeys(result.order):
            trials = [n for n, k in enumerate(result.order) if k == kind]
            for pop, spikes in pooled.items():
                counts = sum(np.histogram(spikes, n * timing.trial_s + edges)[0]
                             for n in trials)
                value = counts / (len(trials) * max(1, len(pops[pop])) * bin_s)
                frames.append(pd.DataFrame({"condition": label, "trial_type": kind,
                                            "signal": f"{pop} rate", "t_s": centers,
                                            "value": value}))
            for name, trace in traces.items():
                total = np.zeros(centers.size)
                for n in trials:
                    index = np.clip(np.searchsorted(t_grid, n * timing.trial_s + centers),
                                    0, max(0, t_grid.size - 1))
                    total += trace[index] if trace.size else 0.0
                frames.append(pd.DataFrame({"condition": label, "trial_type": kind,
                                            "signal": name, "t_s": centers,
                                            "value": total / len(trials)}))
    return pd.concat(frames, ignore_index=True)
