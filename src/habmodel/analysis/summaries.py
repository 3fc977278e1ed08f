"""Summaries of the protocols' tidy tables: per condition, per dose, per grid point.

Each function takes the table a protocol of :mod:`habmodel.experiments` returns
(one row per cell) and returns a smaller table or a fit; none runs a simulation,
so a table read back from a CSV file is summarised the same way. The protocols'
package re-exports them (``habmodel.experiments.panel_summary`` is this
:func:`panel_summary`).
"""

from __future__ import annotations

import math

import pandas as pd

from ..model.drugs import DRUGS
from .bursts import MODES
from .fitting import HillFit, fit_hill
from .metrics import mode_fractions

__all__ = ["METRICS", "NUMERIC_METRICS", "DRUG_COLUMNS", "summarise", "panel_summary",
           "dose_response_means", "fit_dose_response", "mode_map_summary",
           "ketamine_created_bursting", "jitter_summary", "rebound_summary"]

#: Per-cell metrics every protocol table carries (as in SimulationResult.metrics).
METRICS = ("rate_hz", "burst_fraction", "bursts_per_s", "spikes_per_burst", "intraburst_hz",
           "mode", "n_spikes", "isi_cv")
NUMERIC_METRICS = ("rate_hz", "burst_fraction", "bursts_per_s", "spikes_per_burst", "intraburst_hz")

#: The drug-concentration column of each drug of :data:`habmodel.model.drugs.DRUGS`.
DRUG_COLUMNS = {name: f"{name}_uM" for name in DRUGS}


def summarise(table: pd.DataFrame, by) -> pd.DataFrame:
    """Mean and SD of the metrics and the silent/tonic/burst fractions, per group.

    Parameters
    ----------
    table : DataFrame
        A protocol table (one row per cell).
    by : str or list of str
        Grouping columns (e.g. ``"label"`` or ``["condition", "ketamine_uM"]``),
        kept in order of first appearance.

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, the other columns that are
        constant within every group (condition, doses, ...), ``n_cells``,
        ``<metric>_mean`` and ``<metric>_sd`` (sample SD; NaN-valued cells,
        e.g. spikes per burst of a cell without bursts, are left out) and
        ``frac_silent``, ``frac_tonic``, ``frac_burst`` (fractions of cells).
    """
    by = [by] if isinstance(by, str) else list(by)
    skip = set(by) | set(METRICS) | {"cell"}
    candidates = [c for c in table.columns if c not in skip]
    groups = list(table.groupby(by, sort=False, dropna=False))
    constant = [c for c in candidates
                if all(g[c].nunique(dropna=False) <= 1 for _, g in groups)]
    rows = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key, strict=True))
        row.update({c: group[c].iloc[0] for c in constant})
        row["n_cells"] = len(group)
        for metric in NUMERIC_METRICS:
            values = group[metric].astype(float)
            row[f"{metric}_mean"] = float(values.mean()) if values.notna().any() else math.nan
            row[f"{metric}_sd"] = float(values.std(ddof=1)) if values.notna().sum() > 1 \
                else math.nan
        fractions = mode_fractions(group["mode"])
        row.update({f"frac_{mode}": fractions[mode] for mode in MODES})
        rows.append(row)
    return pd.DataFrame(rows)


def panel_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean +- SD of the metrics and silent/tonic/burst fractions per panel condition."""
    return summarise(table, "label")


def dose_response_means(table: pd.DataFrame, metric: str = "bursts_per_s") -> pd.DataFrame:
    """``dose_uM, mean, sd, n_cells`` of ``metric`` per dose (sorted by dose)."""
    if metric not in NUMERIC_METRICS:
        raise ValueError(f"metric: expected one of {', '.join(NUMERIC_METRICS)}, got {metric!r}")
    grouped = table.groupby("dose_uM", sort=True)[metric]
    out = pd.DataFrame({"mean": grouped.mean(), "sd": grouped.std(ddof=1),
                        "n_cells": grouped.size()}).reset_index()
    return out


def fit_dose_response(table: pd.DataFrame, metric: str = "bursts_per_s", *,
                      top: float | None = None, bottom: float | None = 0.0) -> HillFit:
    """Hill fit (:func:`habmodel.analysis.fitting.fit_hill`) of the per-dose mean of ``metric``.

    Doses at which the mean is undefined (no cell with a defined value) are
    left out.
    """
    means = dose_response_means(table, metric).dropna(subset=["mean"])
    return fit_hill(means["dose_uM"].to_numpy(), means["mean"].to_numpy(), top=top,
                    bottom=bottom)


_TIE_ORDER = ("burst", "tonic", "silent")


def _majority(modes) -> str:
    modes = list(modes)
    counts = {m: modes.count(m) for m in _TIE_ORDER}
    return max(_TIE_ORDER, key=lambda m: (counts[m], -_TIE_ORDER.index(m)))


def mode_map_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (ketamine dose, [K+]o, g_NMDA): majority ``mode``, mode fractions, means."""
    keys = ["ketamine_uM", "K_o_mM", "g_NMDA_mS_cm2"]
    summary = summarise(table, keys)
    summary["mode"] = [_majority(g["mode"]) for _, g in table.groupby(keys, sort=False)]
    return summary


def ketamine_created_bursting(table: pd.DataFrame) -> pd.DataFrame:
    """Per condition and cell: does ketamine create bursting the drug-free cell does not show?

    A cell "bursts" when its firing mode is ``"burst"``; rows with another
    drug (AP5, mibefradil) are ignored. Returns ``condition, cell,
    bursts_without_drug, bursts_with_ketamine`` (at some dose > 0) and
    ``created`` (with ketamine but not without).
    """
    dose = "ketamine_uM"
    others = [c for name, c in DRUG_COLUMNS.items() if name != "ketamine" and c in table]
    if others:
        table = table[(table[others] == 0).all(axis=1)]
    burst = table.assign(_b=table["mode"] == "burst")
    rows = []
    for (cond, cell), group in burst.groupby(["condition", "cell"], sort=False):
        without = bool(group.loc[group[dose] == 0, "_b"].any())
        with_k = bool(group.loc[group[dose] > 0, "_b"].any())
        rows.append({"condition": cond, "cell": int(cell), "bursts_without_drug": without,
                     "bursts_with_ketamine": with_k, "created": with_k and not without})
    return pd.DataFrame(rows)


def jitter_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Claim 9 per condition.

    Returns
    -------
    DataFrame
        One row per condition: ``n_cells``, ``frac_silent/tonic/burst``
        without drug, ``max_dose_uM`` and ``frac_burst_max_dose`` (at the
        highest ketamine dose), ``burst_cut`` (relative reduction of the
        bursting fraction by that dose; NaN if no cell bursts without drug) and
        ``frac_created`` (fraction of cells in which ketamine creates bursting
        at some dose, :func:`ketamine_created_bursting`).
    """
    dose = "ketamine_uM"
    created = ketamine_created_bursting(table)
    rows = []
    for cond, group in table.groupby("condition", sort=False):
        free = group[group[dose] == 0]
        top = float(group[dose].max())
        at_top = group[group[dose] == top]
        fractions = mode_fractions(free["mode"])
        base = fractions["burst"]
        frac_top = mode_fractions(at_top["mode"])["burst"]
        rows.append({"condition": cond, "n_cells": int(group["cell"].nunique()),
                     **{f"frac_{m}": fractions[m] for m in MODES},
                     "max_dose_uM": top, "frac_burst_max_dose": frac_top,
                     "burst_cut": (1 - frac_top / base) if base > 0 else math.nan,
                     "frac_created": float(created.loc[created["condition"] == cond,
                                                       "created"].mean())})
    return pd.DataFrame(rows)


def rebound_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per drug x amplitude x step: rebound burst probability, spikes and latency."""
    keys = ["drug", "amplitude_pA", "step_ms"]
    rows = []
    for key, group in table.groupby(keys, sort=False):
        bursts = group[group["rebound_burst"]]
        rows.append({**dict(zip(keys, key, strict=True)), "drug_uM": group["drug_uM"].iloc[0],
                     "n_cells": len(group),
                     "rebound_probability": float(group["rebound_burst"].mean()),
                     "rebound_spikes_mean": (float(bursts["rebound_spikes"].mean())
                                             if len(bursts) else math.nan),
                     "latency_ms_mean": (float(group["rebound_latency_ms"].mean())
                                         if group["rebound_latency_ms"].notna().any()
                                         else math.nan)})
    return pd.DataFrame(rows)
