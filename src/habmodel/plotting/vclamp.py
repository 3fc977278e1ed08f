"""The voltage-clamp figure: command potentials, current traces and the I-V (or, for a
train of steps, the peak current of each step), from the tables of
:func:`habmodel.experiments.vclamp` (data in, Figure out)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from . import style
from .layout import add_caption

__all__ = ["plot_vclamp"]

#: Most arms drawn as trace columns (the summary panel shows every arm).
MAX_TRACE_ARMS = 3


def _column(current: str) -> str:
    return current if current.endswith("_pA") else f"{current}_pA"


@style.styled
def plot_vclamp(currents: pd.DataFrame, iv: pd.DataFrame, *, current: str = "I_total",
                title: str | None = None) -> Figure:
    """Voltage clamp: the command, the traces of one current, and its I-V.

    Parameters
    ----------
    currents, iv : DataFrame
        The ``currents`` and ``iv`` tables of :func:`habmodel.experiments.vclamp` (or of a
        ready-made protocol; read back from ``currents.csv`` and ``iv.csv`` they draw the
        same figure).
    current : str
        Which current to draw: ``"I_total"`` (the sum of the ionic currents: what the
        amplifier records), or one current of the cell, ``"I_T"``, ``"I_NMDA"``, ...
    title : str, optional
        The figure's title.

    One column per arm (at most three) shows the command potentials (top) and the traces
    (bottom; one colour per step potential, inward currents point down); the last panel is
    the I-V: the peak (filled) and steady (open) current against the step potential, one
    colour per arm, or, when every step was repeated, the peak current of each repeat.
    """
    column = _column(current)
    name = column[:-3]
    if column not in currents.columns:
        known = ", ".join(c[:-3] for c in currents.columns if c.endswith("_pA"))
        raise ValueError(f"current: expected one of {known}, got {current!r}")
    arms = list(dict.fromkeys(currents["arm"]))
    shown = arms[:MAX_TRACE_ARMS]
    fig = Figure(figsize=(4.6 * len(shown) + 5.4, 6.6), layout="constrained")
    grid = fig.add_gridspec(2, len(shown) + 1, height_ratios=(1, 3),
                            width_ratios=(*([1.0] * len(shown)), 1.15))
    span = float(currents["t_ms"].max())
    scale, unit = (1e-3, "s") if span > 3000 else (1.0, "ms")
    trace_axes = []
    for j, arm in enumerate(shown):
        rows = currents[currents["arm"] == arm]
        top = fig.add_subplot(grid[0, j], sharex=trace_axes[0] if trace_axes else None)
        bottom = fig.add_subplot(grid[1, j], sharex=top,
                                 sharey=trace_axes[0] if trace_axes else None)
        steps = sorted(rows["step_mV"].unique())
        for colour, step in zip(style.sequential(len(steps)), steps, strict=True):
            cell = rows[rows["step_mV"] == step]
            t = cell["t_ms"].to_numpy(float) * scale
            top.plot(t, cell["v_mV"], color=colour, lw=1.2, drawstyle="steps-post")
            bottom.plot(t, cell[column], color=colour, lw=1.2, label=f"{step:g} mV")
        top.set_title(arm, fontsize="medium")
        top.tick_params(labelbottom=False)
        bottom.axhline(0, color=style.GREY, lw=0.8)
        bottom.set_xlabel(f"time ({unit})")
        if j == 0:
            top.set_ylabel("command (mV)")
            bottom.set_ylabel(f"{name} (pA; inward < 0)")
        if len(steps) <= 8 and j == len(shown) - 1:
            bottom.legend(title="step", fontsize="x-small", title_fontsize="x-small",
                          loc="best")
        trace_axes.append(bottom)
    summary = fig.add_subplot(grid[:, -1])
    _summary(summary, iv, name, arms)
    fig.suptitle(title or f"voltage clamp: {name}")
    hidden = f" (traces of {', '.join(arms[MAX_TRACE_ARMS:])} not shown)" \
        if len(arms) > MAX_TRACE_ARMS else ""
    add_caption(fig, None, "Ideal voltage clamp of one compartment (no series resistance, no "
                "capacitive transient); membrane currents, inward negative. Peak: the value of "
                "largest magnitude during the step; steady: the mean of its last 10 % (at most "
                f"50 ms).{hidden}", bursts=False)
    return fig


def _summary(ax, iv: pd.DataFrame, name: str, arms: list) -> None:
    peak, steady = f"{name}_peak_pA", f"{name}_steady_pA"
    colours = [style.TOL_BRIGHT[k % len(style.TOL_BRIGHT)] for k in range(len(arms))]
    repeated = "repeat" in iv and iv["repeat"].max() > 0
    for colour, arm in zip(colours, arms, strict=True):
        rows = iv[iv["arm"] == arm]
        if repeated:
            for step, group in rows.groupby("step_mV", sort=True):
                label = arm if rows["step_mV"].nunique() == 1 else f"{arm}, {step:g} mV"
                ax.plot(group["repeat"] + 1, group[peak], "o-", color=colour, label=label)
        else:
            rows = rows.sort_values("step_mV")
            ax.plot(rows["step_mV"], rows[peak], "o-", color=colour, label=f"{arm}: peak")
            ax.plot(rows["step_mV"], rows[steady], "o--", color=colour, mfc="white",
                    label=f"{arm}: steady")
    ax.axhline(0, color=style.GREY, lw=0.8)
    if repeated:
        ax.set_xlabel("step number")
        ax.set_ylabel(f"peak {name} (pA)")
        ax.set_title("peak current, step by step", fontsize="medium")
    else:
        ax.axvline(0, color=style.GREY, lw=0.8)
        ax.set_xlabel("step potential (mV)")
        ax.set_ylabel(f"{name} (pA)")
        ax.set_title("current-voltage relation", fontsize="medium")
    ax.legend(fontsize="x-small", loc="best")
    if not np.all(np.isfinite(ax.get_ylim())):  # pragma: no cover - empty table
        ax.set_ylim(-1, 1)
