"""Figures of the experiment protocols and the teaching curves (the mode map and the
jittered population are drawn in :mod:`habmodel.plotting.maps`, the steady-state curves in
:mod:`habmodel.plotting.curves`; all are exported here).

One function per protocol of :mod:`habmodel.experiments`, each taking that
protocol's table and returning a :class:`matplotlib.figure.Figure` (no
pyplot, no global state, no ``show``: save it with
:func:`habmodel.plotting.save_figure`). Figures that use burst detection carry
the criteria in a caption line.

Look: every figure is drawn in the style of :mod:`habmodel.plotting.style`
(projector-sized text; one colour-blind-safe palette, :data:`habmodel.plotting.style.PALETTE`,
with the same colour for the same condition, drug or firing mode in every
figure), applied locally: matplotlib's global settings are never changed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from . import style
from .curves import plot_steady_state_iv, plot_teaching_curves
from .layout import add_caption, log_dose_axis, stacked_modes
from .maps import plot_jitter, plot_mode_map
from .style import PALETTE

__all__ = ["PALETTE", "PLASMA_LEVELS_UM", "plot_panel", "plot_dose_response", "plot_rebound",
           "plot_mode_map", "plot_jitter", "plot_steady_state_iv", "plot_teaching_curves"]

#: Ketamine concentrations worth marking (docs/science.md section 3; Zanos et al. 2018, Table 1):
#: antidepressant human plasma Cmax (0.5 mg/kg over 40 min) and the anaesthetic range.
PLASMA_LEVELS_UM = {"antidepressant Cmax": 0.78, "anaesthesia": (5.0, 10.0)}


# --- 1. pharmacology panel ---------------------------------------------------------------------

@style.styled
def plot_panel(table: pd.DataFrame, *, criteria=None) -> Figure:
    """Pharmacology panel: mode fractions, and mean +- SD bursts/s and firing rate per condition.

    Parameters
    ----------
    table : DataFrame
        :func:`habmodel.experiments.pharmacology_panel` output.
    """
    from ..analysis.summaries import panel_summary

    summary = panel_summary(table)
    labels = list(summary["label"])
    fig = Figure(figsize=(15, 0.5 * len(labels) + 2.2), layout="constrained")
    left, middle, right = fig.subplots(1, 3, sharey=True, width_ratios=(1.2, 1, 1))
    stacked_modes(left, labels, summary)
    y = np.arange(len(labels))
    colors = [style.label_color(lab) for lab in labels]
    for ax, metric, title in ((middle, "bursts_per_s", "burst rate (bursts/s)"),
                              (right, "rate_hz", "firing rate (Hz)")):
        ax.barh(y, summary[f"{metric}_mean"], xerr=np.nan_to_num(summary[f"{metric}_sd"]),
                color=colors)
        ax.set_xlabel("mean \u00b1 SD over cells")
        ax.set_title(title)
    n = int(summary["n_cells"].min())
    add_caption(fig, criteria, f"{n} cells per condition, seed {int(table['seed'].iloc[0])}.")
    return fig


# --- 2. dose-response ---------------------------------------------------------------------

@style.styled
def plot_dose_response(table: pd.DataFrame, fit=None, block: pd.DataFrame | None = None, *,
                       metric: str = "bursts_per_s", plasma: bool = True,
                       criteria=None) -> Figure:
    """Dose-response on a log axis, its Hill fit, and the conductance-block curve beside it.

    Parameters
    ----------
    table : DataFrame
        :func:`habmodel.experiments.dose_response` output.
    fit : HillFit, optional
        Default: :func:`habmodel.experiments.fit_dose_response` (omitted, with a
        note, if the data cannot be fitted).
    block : DataFrame, optional
        :func:`habmodel.experiments.conductance_block` output; default computed
        for the table's drug at -60 mV.
    plasma : bool
        Mark the human plasma levels of :data:`PLASMA_LEVELS_UM` (ketamine only).
    """
    from ..analysis.curves import conductance_block
    from ..analysis.summaries import dose_response_means, fit_dose_response

    drug = str(table["drug"].iloc[0])
    means = dose_response_means(table, metric)
    positive = means[means["dose_uM"] > 0]
    zero = means[means["dose_uM"] == 0]
    note = ""
    if fit is None:
        try:
            fit = fit_dose_response(table, metric)
        except ValueError as err:
            note = f"No Hill fit: {err}."
    lo, hi = float(positive["dose_uM"].min()), float(positive["dose_uM"].max())
    grid = np.logspace(math.log10(lo) - 0.3, math.log10(hi) + 0.3, 200)
    if block is None:
        block = conductance_block(drug, np.r_[0.0, grid] * _uM())
    color = style.color_of(drug)
    name = _drug_name(drug)
    quantity = _METRIC_LABELS.get(metric, metric.replace("_", " "))

    fig = Figure(figsize=(13, 5.0), layout="constrained")
    left, right = fig.subplots(1, 2, sharex=True)
    left.errorbar(positive["dose_uM"], positive["mean"], yerr=np.nan_to_num(positive["sd"]),
                  fmt="o", color=color, ms=8, label="model, mean \u00b1 SD")
    if len(zero):
        left.axhline(float(zero["mean"].iloc[0]), color=style.GREY, ls=":", lw=1.5,
                     label="no drug")
    if fit is not None:
        left.plot(grid, fit.predict(grid), color=color, label=f"Hill fit, n = {fit.hill_n:.2g}")
        if math.isfinite(fit.ic50_uM):
            ci_lo, ci_hi = fit.ci95_uM
            ci = (f"\n95 % CI {ci_lo:.2g}-{ci_hi:.2g} uM"
                  if math.isfinite(ci_lo) and math.isfinite(ci_hi) else "\n95 % CI n/a")
            left.axvline(fit.ic50_uM, color=color, ls="--", lw=1.5,
                         label=f"IC50 {fit.ic50_uM:.2g} uM{ci}")
            if math.isfinite(ci_lo) and math.isfinite(ci_hi):
                left.axvspan(ci_lo, ci_hi, color=color, alpha=0.25, lw=0)
    log_dose_axis(left)
    left.set_xlabel(f"{name} (uM)")
    left.set_ylabel(quantity)
    left.set_title(f"{quantity}, {table['condition'].iloc[0]} cells")
    left.legend(loc="center right")

    positive_block = block[block["dose_uM"] > 0]
    target = positive_block["target"].iloc[0]
    right.plot(positive_block["dose_uM"], positive_block["blocked_fraction"], color="black",
               label=f"{target} conductance blocked\n(at {float(block['v_mV'].iloc[0]):g} mV)")
    if fit is not None and fit.top > fit.bottom:
        suppressed = (fit.top - positive["mean"]) / (fit.top - fit.bottom)
        right.plot(positive["dose_uM"], suppressed, "o", color=color, ms=8,
                   label=f"{quantity} suppressed")
        right.plot(grid, (fit.top - fit.predict(grid)) / (fit.top - fit.bottom), color=color)
    log_dose_axis(right)
    right.set_ylim(-0.05, 1.05)
    right.set_xlabel(f"{name} (uM)")
    right.set_ylabel("fraction")
    right.set_title(f"{target} block vs burst suppression")
    right.legend(loc="lower right")
    if plasma and drug == "ketamine":
        _mark_plasma(left)
        _mark_plasma(right)
    n = int(means["n_cells"].min())
    plasma_text = (" Grey: human plasma ketamine, antidepressant Cmax 0.78 uM (line) and "
                   "anaesthesia 5-10 uM (band), Zanos et al. 2018." if plasma
                   and drug == "ketamine" else "")
    add_caption(fig, criteria, f"{n} cells per dose.{plasma_text} {note}".strip())
    return fig


_METRIC_LABELS = {"bursts_per_s": "bursts/s", "burst_fraction": "fraction of spikes in bursts",
                  "rate_hz": "firing rate (Hz)", "spikes_per_burst": "spikes per burst",
                  "intraburst_hz": "intra-burst frequency (Hz)"}


def _mark_plasma(ax) -> None:
    """Grey line at the antidepressant plasma Cmax, grey band over the anaesthetic range,
    both named on a top axis."""
    cmax = PLASMA_LEVELS_UM["antidepressant Cmax"]
    low, high = PLASMA_LEVELS_UM["anaesthesia"]
    ax.axvline(cmax, color=style.GREY, lw=1.5)
    ax.axvspan(low, high, color=style.GREY, alpha=0.18, lw=0)
    top = ax.secondary_xaxis("top")
    top.set_xticks([cmax, math.sqrt(low * high)],
                   ["plasma Cmax,\nantidepressant", "plasma,\nanaesthesia"])
    top.xaxis.set_minor_locator(NullLocator())
    top.tick_params(labelsize="small", labelcolor=style.GREY, color=style.GREY)


def _uM():
    from brian2 import uM

    return uM


# --- 3. rebound -------------------------------------------------------------------------------

@style.styled
def plot_rebound(table: pd.DataFrame, examples: dict | None = None, *, criteria=None) -> Figure:
    """Rebound burst probability, spikes in the first burst and latency, per drug and step.

    Parameters
    ----------
    table : DataFrame
        :func:`habmodel.experiments.rebound` output.
    examples : dict, optional
        ``{drug name or "none": SimulationResult}``: example traces of cell 0
        (simulated with ``record_v`` and a current step, parameters ``I_step``,
        ``step_start``, ``step_stop``), drawn in a row above the summary with
        the step shaded.
    """
    from ..analysis.summaries import rebound_summary

    summary = rebound_summary(table)
    if examples:
        fig = Figure(figsize=(13, 7.6), layout="constrained")
        top, bottom = fig.subfigures(2, 1, height_ratios=(1, 1.1))
        _rebound_examples(top, examples)
    else:
        fig = bottom = Figure(figsize=(13, 4.2), layout="constrained")
    axes = bottom.subplots(1, 3, sharex=True)
    styles = ["-", "--", ":", "-."]
    steps = sorted(summary["step_ms"].unique())
    columns = [("rebound_probability", "rebound burst probability"),
               ("rebound_spikes_mean", "spikes in the rebound burst"),
               ("latency_ms_mean", "first spike after release (ms)")]
    drugs = summary.drop_duplicates("drug")
    # Lines that coincide (e.g. two NMDA blockers) stay visible: earlier drugs are drawn
    # thicker, with bigger markers, under the later ones.
    order = list(drugs["drug"])
    widths = {d: 1.8 + 0.7 * (len(order) - 1 - k) for k, d in enumerate(order)}
    for ax, (column, title) in zip(axes, columns, strict=True):
        for (drug, step), group in summary.groupby(["drug", "step_ms"], sort=False):
            group = group.sort_values("amplitude_pA")
            ax.plot(group["amplitude_pA"], group[column], marker=style.marker_of(drug),
                    ms=4 + 1.6 * widths[drug], lw=widths[drug],
                    ls=styles[steps.index(step) % len(styles)], color=style.color_of(drug))
        ax.set_xlabel("step amplitude (pA)")
        ax.set_title(title)
    axes[0].set_ylim(-0.05, 1.05)
    handles = [Line2D([], [], color=style.color_of(d), marker=style.marker_of(d),
                      lw=widths[d], ms=4 + 1.6 * widths[d],
                      label="no drug" if d == "none" else f"{_drug_name(d)} {c:g} uM")
               for d, c in zip(drugs["drug"], drugs["drug_uM"], strict=True)]
    if len(steps) > 1:
        handles += [Line2D([], [], color="black", ls=styles[i % len(styles)],
                           label=f"{step:g} ms step") for i, step in enumerate(steps)]
    bottom.legend(handles=handles, loc="outside right upper")
    n = int(summary["n_cells"].min())
    add_caption(fig, criteria, f"{n} cells per point; a rebound burst is a burst whose first "
             "spike falls in the window after release.")
    return fig


def _drug_name(drug: str) -> str:
    return {"ap5": "AP5"}.get(drug, drug)


def _rebound_examples(subfig, examples: dict) -> None:
    from .traces import draw_trace

    axes = np.atleast_1d(subfig.subplots(1, len(examples), sharey=True, squeeze=False)[0])
    for ax, (drug, result) in zip(axes, examples.items(), strict=True):
        start = float(np.asarray(result.params["step_start"])[0]) * 1e-3
        stop = float(np.asarray(result.params["step_stop"])[0]) * 1e-3
        amp = float(np.asarray(result.params["I_step"])[0])
        draw_trace(ax, result, 0, zoom=(max(0.0, start - 0.2), min(result.duration_s,
                                                                    stop + 0.4)))
        ax.axvspan(start, stop, color=style.GREY, alpha=0.15, lw=0)
        low = float(np.nanmin(result.v_mV[0]))
        ax.set_ylim(bottom=low - 0.35 * (60 - low))
        ax.text((start + stop) / 2, 0.03, f"{amp:g} pA step", transform=ax.get_xaxis_transform(),
                ha="center", va="bottom", color=style.GREY)
        conc = {k: float(np.max(v)) for k, v in result.drugs_uM.items()}
        name = "no drug" if not conc or drug == "none" else " + ".join(
            f"{_drug_name(k)} {v:g} uM" for k, v in conc.items())
        ax.set_title(f"{result.condition}, {name}", color="black")
        ax.set_xlabel("time (s)")
    for ax in axes[1:]:
        ax.set_ylabel("")
    axes[0].set_ylabel("V (mV)")


# --- 4. mode map ----------------------------------------------------------------------------------


# --- 5. jittered population ----------------------------------------------------------------------


# --- whole-cell steady state ---------------------------------------------------------------------


# --- teaching curves ------------------------------------------------------------------------------


