"""Figures of the experiment protocols and the teaching curves.

One function per protocol of :mod:`habmodel.experiments`, each taking that
protocol's table and returning a :class:`matplotlib.figure.Figure` (no
pyplot, no global state, no ``show``: save it with
:func:`habmodel.plotting.save_figure`). Figures that use burst detection carry
the criteria in a caption line.

Look: every figure is drawn in the style of :mod:`habmodel.style`
(projector-sized text; one colour-blind-safe palette, :data:`habmodel.style.PALETTE`,
with the same colour for the same condition, drug or firing mode in every
figure), applied locally: matplotlib's global settings are never changed.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator

from . import analysis, style
from .parameters import CONDITIONS, PARAMETERS, condition_values
from .style import PALETTE

__all__ = ["PALETTE", "PLASMA_LEVELS_UM", "plot_panel", "plot_dose_response", "plot_rebound",
           "plot_mode_map", "plot_jitter", "plot_steady_state_iv", "plot_teaching_curves"]

#: Ketamine concentrations worth marking (docs/science.md section 3; Zanos et al. 2018, Table 1):
#: antidepressant human plasma Cmax (0.5 mg/kg over 40 min) and the anaesthetic range.
PLASMA_LEVELS_UM = {"antidepressant Cmax": 0.78, "anaesthesia": (5.0, 10.0)}

_MODE_INDEX = {mode: i for i, mode in enumerate(analysis.MODES)}


def _caption(fig: Figure, criteria, extra: str = "", *, bursts: bool = True) -> None:
    """A caption line under the figure; with ``bursts`` it ends with the burst criteria."""
    criteria = criteria or analysis.DEFAULT_CRITERIA
    rule = f"Burst criteria: {criteria.describe()}." if bursts else ""
    text = " ".join(part for part in (extra.strip(), rule) if part)
    fig.text(0.5, 0.0, text, ha="center", va="top", fontsize="small", wrap=True)


def _stacked_modes(ax, labels, fractions: pd.DataFrame) -> None:
    """Horizontal stacked bars of silent/tonic/burst fractions, one bar per label."""
    y = np.arange(len(labels))
    left = np.zeros(len(labels))
    for mode in analysis.MODES:
        width = fractions[f"frac_{mode}"].to_numpy(float)
        ax.barh(y, width, left=left, color=PALETTE[mode], label=mode, edgecolor="white")
        left += np.nan_to_num(width)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of cells")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncols=len(analysis.MODES),
              frameon=False, title="firing mode", handlelength=1.2, columnspacing=1.0)


# --- 1. pharmacology panel ---------------------------------------------------------------------

@style.styled
def plot_panel(table: pd.DataFrame, *, criteria=None) -> Figure:
    """Pharmacology panel: mode fractions, and mean +- SD bursts/s and firing rate per condition.

    Parameters
    ----------
    table : DataFrame
        :func:`habmodel.experiments.pharmacology_panel` output.
    """
    from .experiments import panel_summary

    summary = panel_summary(table)
    labels = list(summary["label"])
    fig = Figure(figsize=(15, 0.5 * len(labels) + 2.2), layout="constrained")
    left, middle, right = fig.subplots(1, 3, sharey=True, width_ratios=(1.2, 1, 1))
    _stacked_modes(left, labels, summary)
    y = np.arange(len(labels))
    colors = [style.label_color(lab) for lab in labels]
    for ax, metric, title in ((middle, "bursts_per_s", "burst rate (bursts/s)"),
                              (right, "rate_hz", "firing rate (Hz)")):
        ax.barh(y, summary[f"{metric}_mean"], xerr=np.nan_to_num(summary[f"{metric}_sd"]),
                color=colors)
        ax.set_xlabel("mean \u00b1 SD over cells")
        ax.set_title(title)
    n = int(summary["n_cells"].min())
    _caption(fig, criteria, f"{n} cells per condition, seed {int(table['seed'].iloc[0])}.")
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
    from .experiments import conductance_block, dose_response_means, fit_dose_response

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
    _log_dose_axis(left)
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
    _log_dose_axis(right)
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
    _caption(fig, criteria, f"{n} cells per dose.{plasma_text} {note}".strip())
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


def _log_dose_axis(ax) -> None:
    """Log dose axis with plain numbers (0.1, 1, 10) instead of powers of ten."""
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))


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
    from .experiments import rebound_summary

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
    _caption(fig, criteria, f"{n} cells per point; a rebound burst is a burst whose first "
             "spike falls in the window after release.")
    return fig


def _unit(unit: str) -> str:
    """``mS/cm2`` as mathtext ``mS/cm$^2$``."""
    return unit.replace("cm2", "cm$^2$")


def _drug_name(drug: str) -> str:
    return {"ap5": "AP5"}.get(drug, drug)


def _rebound_examples(subfig, examples: dict) -> None:
    from .plotting import draw_trace

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

def _edges(centres: np.ndarray) -> np.ndarray:
    c = np.asarray(centres, float)
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = (c[1:] + c[:-1]) / 2
    return np.r_[c[0] - (mid[0] - c[0]), mid, c[-1] + (c[-1] - mid[-1])]


@style.styled
def plot_mode_map(table: pd.DataFrame, *, criteria=None) -> Figure:
    """Firing-mode map over [K+]o (E_K on the top axis) x g_NMDA, one panel per ketamine dose.

    The control and depressed operating points (the named conditions at the
    default g_NMDA) are marked.

    Parameters
    ----------
    table : DataFrame
        :func:`habmodel.experiments.mode_map` output.
    """
    from .curves import potassium_reversal
    from .experiments import mode_map_summary

    summary = mode_map_summary(table)
    doses = sorted(summary["ketamine_uM"].unique())
    k_o = np.sort(summary["K_o_mM"].unique())
    g = np.sort(summary["g_NMDA_mS_cm2"].unique())
    condition = str(table["condition"].iloc[0])
    k_i = condition_values(condition)["K_i"]
    slope = float(potassium_reversal(["1 mM"], condition=condition)["E_K_mV"].iloc[0]) / math.log(
        1.0 / k_i)

    def k_to_e(k):
        return slope * np.log(np.clip(np.asarray(k, float), 1e-6, None) / k_i)

    def e_to_k(e):
        return k_i * np.exp(np.clip(np.asarray(e, float) / slope, -50, 50))

    cmap = ListedColormap([PALETTE[m] for m in analysis.MODES])
    norm = BoundaryNorm([-0.5, 0.5, 1.5, 2.5], cmap.N)
    ncols = 2 if len(doses) == 4 else min(len(doses), 3)
    nrows = math.ceil(len(doses) / ncols)
    fig = Figure(figsize=(4.6 * ncols + 2.2, 4.4 * nrows), layout="constrained")
    grid_axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    axes = grid_axes.ravel()
    for ax in axes[len(doses):]:
        ax.set_visible(False)
    operating = {name: condition_values(name) for name in CONDITIONS}
    for i, (ax, dose) in enumerate(zip(axes, doses, strict=False)):
        r, col = divmod(i, ncols)
        part = summary[summary["ketamine_uM"] == dose]
        grid = np.full((g.size, k_o.size), np.nan)
        for _, row in part.iterrows():
            grid[np.searchsorted(g, row["g_NMDA_mS_cm2"]), np.searchsorted(k_o, row["K_o_mM"])] \
                = _MODE_INDEX[row["mode"]]
        ax.pcolormesh(_edges(k_o), _edges(g), np.ma.masked_invalid(grid), cmap=cmap, norm=norm,
                      edgecolors="white", linewidth=0.3)
        for name, values in operating.items():
            ax.plot(values["K_o"], values["g_NMDA"], marker="*" if name == "depressed" else "o",
                    ms=11, mfc=PALETTE.get(name, "black"), mec="black", ls="none", label=name)
        ax.set_title(f"ketamine {dose:g} uM", color=PALETTE["ketamine"] if dose > 0 else "black",
                     fontweight="bold")
        top = ax.secondary_xaxis("top", functions=(k_to_e, e_to_k))
        top.xaxis.set_major_locator(MaxNLocator(5))
        if r == 0:
            top.set_xlabel("$E_K$ (mV)")
        if r == nrows - 1 or i + ncols >= len(doses):
            ax.set_xlabel("[K$^+$]$_o$ (mM)")
            ax.xaxis.set_tick_params(labelbottom=True)
        if col == 0:
            ax.set_ylabel(f"$g_{{NMDA}}$ ({_unit(PARAMETERS['g_NMDA'].unit)})")
    handles = [Patch(color=PALETTE[m], label=m) for m in analysis.MODES]
    handles += axes[0].get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside right upper", title="firing mode / condition")
    n = int(summary["n_cells"].max())
    how = "the mode of the single cell" if n == 1 else f"the majority mode of {n} cells"
    _caption(fig, criteria, f"Each square: {how} at that point ({condition} parameters "
             "otherwise); markers: the named conditions at their default g_NMDA.")
    return fig


# --- 5. jittered population ----------------------------------------------------------------------

@style.styled
def plot_jitter(table: pd.DataFrame, *, criteria=None) -> Figure:
    """Jittered population: mode fractions per condition x ketamine dose, and bursting vs dose.

    Parameters
    ----------
    table : DataFrame
        :func:`habmodel.experiments.jittered_population` output.
    """
    from .experiments import jitter_summary, summarise

    by_dose = summarise(table, ["condition", "ketamine_uM"])
    labels = [f"{c} + ketamine {d:g} uM" if d > 0 else str(c)
              for c, d in zip(by_dose["condition"], by_dose["ketamine_uM"], strict=True)]
    summary = jitter_summary(table)
    fig = Figure(figsize=(13, 0.42 * len(labels) + 2.4), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1.15, 1))
    _stacked_modes(left, labels, by_dose)
    for cond, group in by_dose.groupby("condition", sort=False):
        created = float(summary.loc[summary["condition"] == cond, "frac_created"].iloc[0])
        doses = group["ketamine_uM"].to_numpy(float)
        shown = np.where(doses > 0, doses, np.nan)
        color = style.color_of(cond)
        right.plot(shown, group["frac_burst"], marker="o", ms=8, color=color,
                   label=f"{cond}\n(ketamine creates bursting\nin {100 * created:.0f} % of cells)")
        right.axhline(float(group.loc[group["ketamine_uM"] == 0, "frac_burst"].iloc[0]),
                      color=color, ls=":", lw=1.5)
    _log_dose_axis(right)
    right.set_ylim(-0.05, 1.05)
    right.set_xlabel("ketamine (uM); dotted: no drug")
    right.set_ylabel("fraction of cells bursting")
    right.set_title("bursting vs ketamine")
    right.legend(loc="upper right")
    jitter = float(table["jitter"].iloc[0])
    n = int(summary["n_cells"].min())
    _caption(fig, criteria, f"{n} cells, every maximal conductance jittered by "
             f"\u00b1{100 * jitter:g} % (the same cells in every condition).")
    return fig


# --- whole-cell steady state ---------------------------------------------------------------------

@style.styled
def plot_steady_state_iv(table: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Whole-cell steady-state I-V and slope conductance at several NMDA open fractions.

    Parameters
    ----------
    table : DataFrame
        Columns ``s`` (NMDA open fraction), ``v_mV``, ``I_pA`` (sum of the ionic
        currents with every gate at its steady state) and ``slope_nS`` (dI/dV),
        optionally ``condition``. A stable resting potential (I = 0 with a
        positive slope) is marked on each curve.
    """
    fig = Figure(figsize=(13, 5.0), layout="constrained")
    left, right = fig.subplots(1, 2, sharex=True)
    levels = sorted(table["s"].unique())
    colors = style.sequential(len(levels), stop=0.8)
    for s, color in zip(levels, colors, strict=True):
        curve = table[table["s"] == s].sort_values("v_mV")
        v, current = curve["v_mV"].to_numpy(float), curve["I_pA"].to_numpy(float)
        label = f"s = {s:g}" + (" (no NMDA)" if s == 0 else "")
        left.plot(v, current, color=color, label=label, lw=3 if s == 0 else 2)
        right.plot(v, curve["slope_nS"], color=color, label=label, lw=3 if s == 0 else 2)
        up = np.flatnonzero((current[:-1] < 0) & (current[1:] >= 0))
        for k in up:  # upward zero crossing: a stable rest
            rest = v[k] - current[k] * (v[k + 1] - v[k]) / (current[k + 1] - current[k])
            left.plot(rest, 0, "o", ms=10, mfc=color, mec="black", zorder=5)
    for ax in (left, right):
        ax.axhline(0, color="black", lw=0.8)
        ax.set_xlabel("membrane potential (mV)")
    condition = str(table["condition"].iloc[0]) if "condition" in table else "model"
    left.set_ylabel("total steady current (pA; inward < 0)")
    left.set_title(title or f"{condition} cell: steady-state I-V")
    low, high = np.nanpercentile(table["I_pA"], [5, 95])
    left.set_ylim(min(-40.0, 1.2 * low), max(50.0, 0.6 * high))
    left.legend(title="NMDA open fraction", loc="upper left")
    right.set_ylabel("slope conductance dI/dV (nS)")
    right.set_title("NMDA lowers the slope: the cell gets soft")
    right.set_ylim(-1, 3)
    _caption(fig, None, "Every gate at its steady state, NMDA channels at a fixed open "
             "fraction s; dots: stable resting potentials (I = 0, positive slope). No "
             "simulation: no burst detection.", bursts=False)
    return fig


# --- teaching curves ------------------------------------------------------------------------------

@style.styled
def plot_teaching_curves(iv: pd.DataFrame | None = None, t_gating: pd.DataFrame | None = None,
                         h: pd.DataFrame | None = None,
                         e_k: pd.DataFrame | None = None) -> Figure:
    """NMDA I-V with Mg2+ block, T-channel gating, I_h activation and E_K vs [K+]o.

    The arguments are the tables of :mod:`habmodel.curves` (computed with the
    defaults when omitted).
    """
    from . import curves

    iv = curves.nmda_iv() if iv is None else iv
    t_gating = curves.t_channel_gating() if t_gating is None else t_gating
    h = curves.h_activation() if h is None else h
    e_k = curves.potassium_reversal() if e_k is None else e_k

    fig = Figure(figsize=(13, 9.5), layout="constrained")
    fig.get_layout_engine().set(wspace=0.08, hspace=0.06)
    (a, b), (c, d) = fig.subplots(2, 2)
    vlabel = "membrane potential (mV)"

    # NMDA I-V: zoomed on the Mg2+-blocked curves (the Mg2+-free line runs off the bottom)
    mgs = sorted(iv["Mg_mM"].unique())
    colors = style.sequential(len(mgs), stop=0.8)
    for mg, color in zip(mgs, colors, strict=True):
        curve = iv[iv["Mg_mM"] == mg]
        label = f"{mg:g} mM" + (" (no block)" if mg == 0 else "")
        a.plot(curve["v_mV"], curve["I_NMDA_uA_cm2"], color=color, label=label,
               lw=3 if mg == 1 else 2)
    region = curves.negative_slope_region(iv)
    ref = region.iloc[(region["Mg_mM"] - 1.0).abs().argmin()]
    if math.isfinite(ref["v_low_mV"]):
        a.axvspan(ref["v_low_mV"], ref["v_high_mV"], color=style.GREY, alpha=0.1, lw=0)
        a.axvspan(ref["v_low_steep_mV"], ref["v_high_steep_mV"], color=style.GREY, alpha=0.22,
                  lw=0)
        a.text((ref["v_low_steep_mV"] + ref["v_high_steep_mV"]) / 2, 0.97,
               f"negative slope\n({ref['Mg_mM']:g} mM; dark:\nsteep part)", ha="center",
               va="top", transform=a.get_xaxis_transform(), fontsize="small")
    blocked = iv[iv["Mg_mM"] > 0]
    if len(blocked):
        low, high = float(blocked["I_NMDA_uA_cm2"].min()), float(iv["I_NMDA_uA_cm2"].max())
        a.set_ylim(2.6 * low, 1.1 * high)
    a.axhline(0, color="black", lw=0.8)
    a.set_xlabel(vlabel)
    a.set_ylabel("$I_{NMDA}$ (uA/cm$^2$; inward < 0)")
    a.set_title("NMDA current, Mg$^{2+}$ block (channels open)")
    a.legend(loc="lower left", title="[Mg$^{2+}$]$_o$")

    b.plot(t_gating["v_mV"], t_gating["m_inf_sq"], color="black",
           label="$m_\\infty^2$ (activation)")
    b.plot(t_gating["v_mV"], t_gating["h_inf"], color="black", ls="-.",
           label="$h_\\infty$ (inactivation)")
    b.set_xlabel(vlabel)
    b.set_ylabel("steady state")
    b.set_title("T-type Ca$^{2+}$ channel")
    tb = b.twinx()
    tb.plot(t_gating["v_mV"], t_gating["tau_h_ms"], color=style.GREY, ls="--",
            label="$\\tau_h$ (right axis)")
    tb.set_ylabel("$\\tau_h$ (ms)", color=style.GREY)
    _merge_legends(b, tb)

    c.plot(h["v_mV"], h["r_inf"], color="black", label="$r_\\infty$ (activation)")
    c.set_xlabel(vlabel)
    c.set_ylabel("activation")
    c.set_title("$I_h$ (HCN channel)")
    tc = c.twinx()
    tc.plot(h["v_mV"], h["tau_r_ms"], color=style.GREY, ls="--", label="$\\tau_r$ (right axis)")
    tc.set_ylabel("$\\tau_r$ (ms)", color=style.GREY)
    _merge_legends(c, tc)

    d.plot(e_k["K_o_mM"], e_k["E_K_mV"], color="black")
    for name in CONDITIONS:
        k = condition_values(name)["K_o"]
        e = float(np.interp(k, e_k["K_o_mM"], e_k["E_K_mV"]))
        d.plot(k, e, "o", ms=11, mec="black", color=style.color_of(name),
               label=f"{name}: {k:g} mM, {e:.0f} mV")
    d.set_xlabel("[K$^+$]$_o$ (mM)")
    d.set_ylabel("$E_K$ (mV)")
    d.set_title("K$^+$ reversal potential (Nernst)")
    d.legend(loc="lower right")
    return fig


def _merge_legends(ax, twin) -> None:
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = twin.get_legend_handles_labels()
    ax.legend(handles + more, labels + more_labels, loc="center right")
