"""Figures of the experiment protocols and the teaching curves.

One function per protocol of :mod:`habmodel.experiments`, each taking that
protocol's table and returning a :class:`matplotlib.figure.Figure` (no
pyplot, no global state, no ``show``: save it with
:func:`habmodel.plotting.save_figure`). Figures that use burst detection carry
the criteria in a caption line.

Colours: one colour-blind-safe palette (Paul Tol's "bright" set plus a dark
wine for bursting), the same colour for the same condition, drug or firing
mode in every figure (:data:`PALETTE`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from . import analysis
from .parameters import CONDITIONS, PARAMETERS, condition_values

__all__ = ["PALETTE", "PLASMA_LEVELS_UM", "plot_panel", "plot_dose_response", "plot_rebound",
           "plot_mode_map", "plot_jitter", "plot_teaching_curves"]

#: One colour per condition, drug and firing mode (Paul Tol's colour-blind-safe sets).
PALETTE = {
    "control": "#4477AA",  # blue
    "depressed": "#EE6677",  # red
    "none": "#000000",  # no drug (rebound)
    "ketamine": "#228833",  # green
    "ap5": "#AA3377",  # purple
    "mibefradil": "#CCBB44",  # yellow
    "silent": "#BBBBBB",  # grey
    "tonic": "#66CCEE",  # cyan
    "burst": "#882255",  # wine
}

#: Ketamine concentrations worth marking (SCIENCE.md section 3; Zanos et al. 2018, Table 1):
#: antidepressant human plasma Cmax (0.5 mg/kg over 40 min) and the anaesthetic range.
PLASMA_LEVELS_UM = {"antidepressant Cmax": 0.78, "anaesthesia": (5.0, 10.0)}

_MODE_INDEX = {mode: i for i, mode in enumerate(analysis.MODES)}


def _caption(fig: Figure, criteria, extra: str = "") -> None:
    criteria = criteria or analysis.DEFAULT_CRITERIA
    text = f"{extra} Burst criteria: {criteria.describe()}.".strip()
    fig.text(0.5, 0.0, text, ha="center", va="top", fontsize="small", wrap=True)


def _label_color(label: str) -> str:
    """The colour of a condition label such as ``"depressed + ketamine 3 uM"``."""
    lowered = label.lower()
    for drug in ("mibefradil", "ap5", "ketamine"):
        if drug in lowered:
            return PALETTE[drug]
    return PALETTE["depressed" if lowered.startswith("depressed") else "control"]


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
    ax.legend(loc="lower right", fontsize="small", framealpha=0.9)


# --- 1. pharmacology panel ---------------------------------------------------------------------

def plot_panel(table: pd.DataFrame, *, criteria=None) -> Figure:
    """Pharmacology panel: mode fractions and mean +- SD bursts/s per condition.

    Parameters
    ----------
    table : DataFrame
        :func:`habmodel.experiments.pharmacology_panel` output.
    """
    from .experiments import panel_summary

    summary = panel_summary(table)
    labels = list(summary["label"])
    fig = Figure(figsize=(11, 0.45 * len(labels) + 1.6), layout="constrained")
    left, right = fig.subplots(1, 2, sharey=True)
    _stacked_modes(left, labels, summary)
    left.set_title("firing mode")
    y = np.arange(len(labels))
    right.barh(y, summary["bursts_per_s_mean"], xerr=np.nan_to_num(summary["bursts_per_s_sd"]),
               color=[_label_color(lab) for lab in labels], capsize=3)
    right.set_xlabel("bursts/s (mean +- SD over cells)")
    right.set_title("burst rate")
    n = int(summary["n_cells"].min())
    _caption(fig, criteria, f"{n} cells per condition, seed {int(table['seed'].iloc[0])}.")
    return fig


# --- 2. dose-response ---------------------------------------------------------------------

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
    color = PALETTE.get(drug, "black")

    fig = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = fig.subplots(1, 2, sharex=True)
    left.errorbar(positive["dose_uM"], positive["mean"], yerr=np.nan_to_num(positive["sd"]),
                  fmt="o", color=color, capsize=3, label="model (mean +- SD)")
    if len(zero):
        left.axhline(float(zero["mean"].iloc[0]), color="grey", ls=":", lw=1,
                     label="no drug")
    if fit is not None:
        left.plot(grid, fit.predict(grid), color=color, lw=1.5, label=f"Hill fit: {fit.describe()}")
        if math.isfinite(fit.ic50_uM):
            left.axvline(fit.ic50_uM, color=color, ls="--", lw=0.8)
    left.set_xscale("log")
    left.set_xlabel(f"{drug} (uM)")
    left.set_ylabel(metric.replace("_", " ").replace("per s", "/s"))
    left.set_title(f"{metric.replace('_', ' ')} ({table['condition'].iloc[0]} cells)")
    left.legend(fontsize="x-small", loc="upper right")

    positive_block = block[block["dose_uM"] > 0]
    right.plot(positive_block["dose_uM"], positive_block["blocked_fraction"], color="black",
               lw=1.5, label=f"{positive_block['target'].iloc[0]} conductance blocked "
               f"(at {float(block['v_mV'].iloc[0]):g} mV)")
    if fit is not None and fit.top > fit.bottom:
        suppressed = (fit.top - positive["mean"]) / (fit.top - fit.bottom)
        right.plot(positive["dose_uM"], suppressed, "o", color=color,
                   label=f"{metric.replace('_', ' ')} suppressed")
        right.plot(grid, (fit.top - fit.predict(grid)) / (fit.top - fit.bottom), color=color,
                   lw=1)
    right.set_xscale("log")
    right.set_ylim(-0.05, 1.05)
    right.set_xlabel(f"{drug} (uM)")
    right.set_ylabel("fraction")
    right.set_title("conductance block vs burst suppression")
    if plasma and drug == "ketamine":
        for ax in (left, right):
            ax.axvline(PLASMA_LEVELS_UM["antidepressant Cmax"], color="grey", lw=1)
            ax.axvspan(*PLASMA_LEVELS_UM["anaesthesia"], color="grey", alpha=0.15, lw=0)
        right.text(PLASMA_LEVELS_UM["antidepressant Cmax"], 0.5, " antidepressant\n plasma Cmax",
                   fontsize="x-small", color="grey")
        right.text(PLASMA_LEVELS_UM["anaesthesia"][0], 0.2, " anaesthesia", fontsize="x-small",
                   color="grey")
    right.legend(fontsize="x-small", loc="upper left")
    n = int(means["n_cells"].min())
    _caption(fig, criteria, f"{n} cells per dose. {note}")
    return fig


def _uM():
    from brian2 import uM

    return uM


# --- 3. rebound -------------------------------------------------------------------------------

def plot_rebound(table: pd.DataFrame, *, criteria=None) -> Figure:
    """Rebound burst probability, spikes in the first burst and latency, per drug and step.

    Parameters
    ----------
    table : DataFrame
        :func:`habmodel.experiments.rebound` output.
    """
    from .experiments import rebound_summary

    summary = rebound_summary(table)
    fig = Figure(figsize=(12, 3.8), layout="constrained")
    axes = fig.subplots(1, 3, sharex=True)
    styles = ["-", "--", ":", "-."]
    steps = sorted(summary["step_ms"].unique())
    columns = [("rebound_probability", "rebound burst probability"),
               ("rebound_spikes_mean", "spikes in the first burst"),
               ("latency_ms_mean", "latency of the first spike (ms)")]
    for ax, (column, title) in zip(axes, columns, strict=True):
        for (drug, step), group in summary.groupby(["drug", "step_ms"], sort=False):
            group = group.sort_values("amplitude_pA")
            conc = float(group["drug_uM"].iloc[0])
            name = "no drug" if drug == "none" else f"{drug} {conc:g} uM"
            ax.plot(group["amplitude_pA"], group[column], marker="o",
                    ls=styles[steps.index(step) % len(styles)],
                    color=PALETTE.get(drug, "black"), label=f"{name}, {step:g} ms step")
        ax.set_xlabel("step amplitude (pA)")
        ax.set_title(title)
    axes[0].set_ylim(-0.05, 1.05)
    axes[0].legend(fontsize="x-small")
    n = int(summary["n_cells"].min())
    _caption(fig, criteria, f"{n} cells per point; a rebound burst is a burst whose first "
             "spike falls in the window after release.")
    return fig


# --- 4. mode map ----------------------------------------------------------------------------------

def _edges(centres: np.ndarray) -> np.ndarray:
    c = np.asarray(centres, float)
    if c.size == 1:
        return np.array([c[0] - 0.5, c[0] + 0.5])
    mid = (c[1:] + c[:-1]) / 2
    return np.r_[c[0] - (mid[0] - c[0]), mid, c[-1] + (c[-1] - mid[-1])]


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
    fig = Figure(figsize=(4.2 * len(doses) + 0.5, 4.4), layout="constrained")
    axes = np.atleast_1d(fig.subplots(1, len(doses), sharey=True, squeeze=False)[0])
    operating = {name: condition_values(name) for name in CONDITIONS}
    for ax, dose in zip(axes, doses, strict=True):
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
        ax.set_xlabel("[K+]o (mM)")
        ax.set_title(f"ketamine {dose:g} uM")
        top = ax.secondary_xaxis("top", functions=(k_to_e, e_to_k))
        top.xaxis.set_major_locator(MaxNLocator(5))
        top.set_xlabel("E_K (mV)", fontsize="small")
    axes[0].set_ylabel(f"g_NMDA ({PARAMETERS['g_NMDA'].unit})")
    handles = [Patch(color=PALETTE[m], label=m) for m in analysis.MODES]
    handles += axes[0].get_legend_handles_labels()[0]
    axes[-1].legend(handles=handles, fontsize="x-small", loc="upper right", framealpha=0.9)
    n = int(summary["n_cells"].max())
    how = "the mode of the single cell" if n == 1 else f"the majority mode of {n} cells"
    _caption(fig, criteria, f"Each square: {how} at that point ({condition} parameters "
             "otherwise); markers: the named conditions at their default g_NMDA.")
    return fig


# --- 5. jittered population ----------------------------------------------------------------------

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
    fig = Figure(figsize=(11, 0.35 * len(labels) + 2.0), layout="constrained")
    left, right = fig.subplots(1, 2)
    _stacked_modes(left, labels, by_dose)
    left.set_title("firing mode")
    for cond, group in by_dose.groupby("condition", sort=False):
        created = float(summary.loc[summary["condition"] == cond, "frac_created"].iloc[0])
        doses = group["ketamine_uM"].to_numpy(float)
        shown = np.where(doses > 0, doses, np.nan)
        right.plot(shown, group["frac_burst"], marker="o", color=PALETTE.get(cond, "black"),
                   label=f"{cond} (ketamine creates bursting in {100 * created:.0f} % of cells)")
        right.axhline(float(group.loc[group["ketamine_uM"] == 0, "frac_burst"].iloc[0]),
                      color=PALETTE.get(cond, "black"), ls=":", lw=1)
    right.set_xscale("log")
    right.set_ylim(-0.05, 1.05)
    right.set_xlabel("ketamine (uM); dotted: no drug")
    right.set_ylabel("fraction of cells bursting")
    right.legend(fontsize="x-small")
    jitter = float(table["jitter"].iloc[0])
    n = int(summary["n_cells"].min())
    _caption(fig, criteria, f"{n} cells, every maximal conductance jittered by +-{100 * jitter:g} "
             "% (the same cells in every condition).")
    return fig


# --- teaching curves ------------------------------------------------------------------------------

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

    fig = Figure(figsize=(11, 8), layout="constrained")
    (a, b), (c, d) = fig.subplots(2, 2)
    mgs = sorted(iv["Mg_mM"].unique())
    colors = _sequential(len(mgs))
    for mg, color in zip(mgs, colors, strict=True):
        curve = iv[iv["Mg_mM"] == mg]
        a.plot(curve["v_mV"], curve["I_NMDA_uA_cm2"], color=color, label=f"[Mg2+]o {mg:g} mM")
    region = curves.negative_slope_region(iv)
    ref = region.iloc[(region["Mg_mM"] - 1.0).abs().argmin()]
    if math.isfinite(ref["v_low_mV"]):
        a.axvspan(ref["v_low_mV"], ref["v_high_mV"], color="grey", alpha=0.12, lw=0,
                  label=f"negative slope ({ref['Mg_mM']:g} mM)")
        a.axvspan(ref["v_low_steep_mV"], ref["v_high_steep_mV"], color="grey", alpha=0.2, lw=0,
                  label="its steep part")
    a.axhline(0, color="black", lw=0.5)
    a.set_xlabel("membrane potential (mV)")
    a.set_ylabel("I_NMDA (uA/cm2; inward < 0)")
    a.set_title("NMDA current with Mg2+ block (all channels open)")
    a.legend(fontsize="x-small")

    b.plot(t_gating["v_mV"], t_gating["m_inf_sq"], color=PALETTE["burst"], label="m_inf^2")
    b.plot(t_gating["v_mV"], t_gating["h_inf"], color=PALETTE["control"], label="h_inf")
    b.set_xlabel("membrane potential (mV)")
    b.set_ylabel("steady state")
    b.set_title("T-type Ca2+ channel")
    tb = b.twinx()
    tb.plot(t_gating["v_mV"], t_gating["tau_h_ms"], color="grey", ls="--", label="tau_h")
    tb.set_ylabel("tau_h (ms)")
    _merge_legends(b, tb)

    c.plot(h["v_mV"], h["r_inf"], color=PALETTE["tonic"], label="r_inf")
    c.set_xlabel("membrane potential (mV)")
    c.set_ylabel("activation")
    c.set_title("I_h (HCN)")
    tc = c.twinx()
    tc.plot(h["v_mV"], h["tau_r_ms"], color="grey", ls="--", label="tau_r")
    tc.set_ylabel("tau_r (ms)")
    _merge_legends(c, tc)

    d.plot(e_k["K_o_mM"], e_k["E_K_mV"], color="black")
    for name in CONDITIONS:
        k = condition_values(name)["K_o"]
        e = float(np.interp(k, e_k["K_o_mM"], e_k["E_K_mV"]))
        d.plot(k, e, "o", ms=8, color=PALETTE.get(name, "black"), label=f"{name}: {e:.0f} mV")
    d.set_xlabel("[K+]o (mM)")
    d.set_ylabel("E_K (mV)")
    d.set_title("K+ reversal potential (Nernst)")
    d.legend(fontsize="x-small")
    return fig


def _sequential(n: int):
    from matplotlib import colormaps

    cmap = colormaps["cividis"]
    return [cmap(x) for x in np.linspace(0.0, 0.85, max(n, 1))][:n]


def _merge_legends(ax, twin) -> None:
    handles, labels = ax.get_legend_handles_labels()
    more, more_labels = twin.get_legend_handles_labels()
    ax.legend(handles + more, labels + more_labels, fontsize="x-small", loc="center right")
