"""The burst-shape figure: an example burst of each shape found, and the shape fractions
along the [K+]o axis and with a holding current (:func:`habmodel.experiments.burst_shapes`,
``docs/burst_shapes.md``)."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure

from ..analysis.burst_shapes import DEFAULT_SHAPE_CRITERIA, SHAPES, burst_shape_summary
from . import style
from .layout import add_caption

__all__ = ["SHAPE_COLORS", "plot_burst_shapes"]

#: One colour per burst shape (Tol's bright set: blue, yellow, purple).
SHAPE_COLORS = {"square-wave": style.TOL_BRIGHT[0], "triangular": style.TOL_BRIGHT[3],
                "parabolic": style.TOL_BRIGHT[5]}

_AXES = {"K_o": ("K_o_mM", "[K+]o (mM)", "0 pA"),
         "I_hold": ("I_hold_pA", "holding current (pA)", None)}


def _example(ax, label: str, example: dict) -> None:
    ax.plot(example["t_ms"], example["v_mV"], color=SHAPE_COLORS[label], lw=1.5)
    if math.isfinite(example.get("baseline_mV", math.nan)):
        ax.axhline(example["baseline_mV"], color=style.GREY, ls="--", lw=1)
    where = (f"[K+]o {example['K_o_mM']:g} mM" if example["axis"] == "K_o"
             else f"{example['I_hold_pA']:g} pA, [K+]o {example['K_o_mM']:g} mM")
    ax.set_title(f"{label}\n{where}, {int(example['n_spikes'])} spikes", fontsize="medium")
    ax.set_xlabel("time from first spike (ms)")


def _fractions(ax, summary, axis: str) -> None:
    column, xlabel, note = _AXES[axis]
    part = summary[summary["axis"] == axis].sort_values(column)
    x = np.arange(len(part))
    bottom = np.zeros(len(part))
    for label in SHAPES:
        frac = np.nan_to_num(part[f"frac_{label.replace('-', '_')}"].to_numpy(float))
        ax.bar(x, frac, bottom=bottom, color=SHAPE_COLORS[label], label=label,
               edgecolor="white", width=0.8)
        bottom += frac
    for xi, n in zip(x, part["n_bursts"], strict=True):
        ax.text(xi, 1.02, f"n={int(n)}", ha="center", va="bottom", fontsize="x-small")
    ax.set_xticks(x, [f"{v:g}" for v in part[column]])
    ax.set_ylim(0, 1.12)
    condition = "" if axis == "K_o" else f", {part['condition'].iloc[0]} cell"
    ax.set_xlabel(xlabel + (f" (I_hold {note})" if note else condition))
    ax.set_ylabel("fraction of classified bursts")


@style.styled
def plot_burst_shapes(table, examples: dict | None = None, *, criteria=None,
                      shape=None) -> Figure:
    """Example bursts of each shape (top) and the shape fractions along each axis (bottom).

    Parameters
    ----------
    table : DataFrame
        :func:`habmodel.experiments.burst_shapes` output (one row per burst), or
        its summary by :func:`habmodel.analysis.burst_shape_summary`.
    examples : dict, optional
        ``{shape: {"t_ms", "v_mV", "baseline_mV", "axis", "K_o_mM", "I_hold_pA",
        "n_spikes"}}`` as :func:`habmodel.experiments.burst_shapes_with_examples`
        returns; without it only the fractions are drawn.
    criteria, shape : BurstCriteria, ShapeCriteria, optional
        Stated in the caption (defaults: the package's).

    Returns
    -------
    Figure
        Bars: the fraction of each shape among the classified bursts at each point
        (``n`` = bursts found there, unclassified ones included); dashed line in an
        example: its pre-burst baseline.
    """
    summary = table if "n_bursts" in table.columns else burst_shape_summary(table)
    examples = {k: v for k, v in (examples or {}).items() if k in SHAPES}
    axes_found = [a for a in _AXES if (summary["axis"] == a).any()]
    if not axes_found:
        raise ValueError("table: expected rows with axis 'K_o' or 'I_hold'")
    top = len(examples) > 0
    fig = Figure(figsize=(style.FIGSIZE_WIDE[0], 8.4 if top else 4.4), layout="constrained")
    grid = fig.add_gridspec(2 if top else 1, 6)
    if top:
        width = 6 // len(examples)
        for i, label in enumerate(s for s in SHAPES if s in examples):
            ax = fig.add_subplot(grid[0, i * width:(i + 1) * width])
            _example(ax, label, examples[label])
            if i == 0:
                ax.set_ylabel("v (mV)")
    width = 6 // len(axes_found)
    for i, axis in enumerate(axes_found):
        ax = fig.add_subplot(grid[-1, i * width:(i + 1) * width])
        _fractions(ax, summary, axis)
        if i == len(axes_found) - 1:
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False,
                      title="burst shape")
    shape = shape or DEFAULT_SHAPE_CRITERIA
    add_caption(fig, criteria, f"Burst shapes: {shape.describe()}.")
    return fig
