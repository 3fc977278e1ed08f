"""Figures of the firing-mode map ([K+]o x g_NMDA, per ketamine dose) and of the jittered
population (every conductance +-F). They take the protocols' tables (from
:mod:`habmodel.experiments`) and return a Figure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .. import analysis
from ..model.parameters import CONDITIONS, PARAMETERS, condition_values
from . import style
from .layout import add_caption, log_dose_axis, stacked_modes, unit_label
from .style import PALETTE

_MODE_INDEX = {mode: i for i, mode in enumerate(analysis.MODES)}


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
    from ..analysis.curves import potassium_reversal
    from ..analysis.summaries import mode_map_summary

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
            ax.set_ylabel(f"$g_{{NMDA}}$ ({unit_label(PARAMETERS['g_NMDA'].unit)})")
    handles = [Patch(color=PALETTE[m], label=m) for m in analysis.MODES]
    handles += axes[0].get_legend_handles_labels()[0]
    fig.legend(handles=handles, loc="outside right upper", title="firing mode / condition")
    n = int(summary["n_cells"].max())
    how = "the mode of the single cell" if n == 1 else f"the majority mode of {n} cells"
    add_caption(fig, criteria, f"Each square: {how} at that point ({condition} parameters "
             "otherwise); markers: the named conditions at their default g_NMDA.")
    return fig


@style.styled
def plot_jitter(table: pd.DataFrame, *, criteria=None) -> Figure:
    """Jittered population: mode fractions per condition x ketamine dose, and bursting vs dose.

    Parameters
    ----------
    table : DataFrame
        :func:`habmodel.experiments.jittered_population` output.
    """
    from ..analysis.summaries import jitter_summary, summarise

    by_dose = summarise(table, ["condition", "ketamine_uM"])
    labels = [f"{c} + ketamine {d:g} uM" if d > 0 else str(c)
              for c, d in zip(by_dose["condition"], by_dose["ketamine_uM"], strict=True)]
    summary = jitter_summary(table)
    fig = Figure(figsize=(13, 0.42 * len(labels) + 2.4), layout="constrained")
    left, right = fig.subplots(1, 2, width_ratios=(1.15, 1))
    stacked_modes(left, labels, by_dose)
    for cond, group in by_dose.groupby("condition", sort=False):
        created = float(summary.loc[summary["condition"] == cond, "frac_created"].iloc[0])
        doses = group["ketamine_uM"].to_numpy(float)
        shown = np.where(doses > 0, doses, np.nan)
        color = style.color_of(cond)
        right.plot(shown, group["frac_burst"], marker="o", ms=8, color=color,
                   label=f"{cond}\n(ketamine creates bursting\nin {100 * created:.0f} % of cells)")
        right.axhline(float(group.loc[group["ketamine_uM"] == 0, "frac_burst"].iloc[0]),
                      color=color, ls=":", lw=1.5)
    log_dose_axis(right)
    right.set_ylim(-0.05, 1.05)
    right.set_xlabel("ketamine (uM); dotted: no drug")
    right.set_ylabel("fraction of cells bursting")
    right.set_title("bursting vs ketamine")
    right.legend(loc="upper right")
    jitter = float(table["jitter"].iloc[0])
    n = int(summary["n_cells"].min())
    add_caption(fig, criteria, f"{n} cells, every maximal conductance jittered by "
             f"\u00b1{100 * jitter:g} % (the same cells in every condition).")
    return fig
