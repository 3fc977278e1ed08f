"""Figures of the LHb -> RMTg -> VTA circuit (plain data in, a Figure out; no pyplot)."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from .. import analysis
from . import style

__all__ = ["draw_raster", "plot_circuit", "plot_dopamine_by_arm"]

_POP_COLOR = {"LHb": style.PALETTE["depressed"], "RMTg": style.GREY, "VTA": "#228833"}


def draw_raster(ax, pops: dict, *, n_show: int = 30, window=None) -> None:
    """Spike raster of ``pops`` (``{"LHb": [...], "RMTg": [...], "VTA": [...]}``, spike
    times in s per cell), stacked; LHb spikes in bursts are drawn in the burst colour."""
    y0, ticks = 0, []
    for pop in ("VTA", "RMTg", "LHb"):
        cells = pops.get(pop, [])[:n_show]
        for k, t in enumerate(cells):
            t = np.asarray(t, float)
            if window is not None:
                t = t[(t >= window[0]) & (t < window[1])]
            y = np.full(t.size, y0 + k)
            ax.plot(t, y, "|", color=_POP_COLOR[pop], ms=3, mew=0.8)
            if pop == "LHb" and t.size:
                inside = np.zeros(t.size, bool)
                for a, b in analysis.detect_bursts(t):
                    inside[a:b] = True
                ax.plot(t[inside], y[inside], "|", color=style.PALETTE["burst"], ms=4, mew=1.2)
        ticks.append((y0 + len(cells) / 2, pop))
        y0 += len(cells) + 3
    ax.set_yticks([t for t, _ in ticks], [label for _, label in ticks])
    ax.set_xlabel("time (s)")
    if window is not None:
        ax.set_xlim(*window)


@style.styled
def plot_circuit(spikes: dict, da_t_s, da_nM: dict, *, arms=None, window=(0.0, 2.0),
                 title: str = "LHb -> RMTg -> VTA") -> Figure:
    """One raster per arm (LHb bursts marked) over ``window`` and, below, the dopamine
    readout of every arm. ``spikes``/``da_nM`` as in :class:`habmodel.circuit.CircuitResult`."""
    arms = list(spikes) if arms is None else list(arms)
    fig = Figure(figsize=(4.6 * len(arms) + 1.0, 8.0), layout="constrained")
    grid = fig.add_gridspec(2, len(arms), height_ratios=(3, 1.3))
    for k, arm in enumerate(arms):
        ax = fig.add_subplot(grid[0, k])
        draw_raster(ax, spikes[arm], window=window)
        ax.set_title(arm, fontsize="medium")
        if k:
            ax.set_yticklabels([])
    ax = fig.add_subplot(grid[1, :])
    for arm in arms:
        tonic = "tonic" in arm
        ax.plot(da_t_s, da_nM[arm], color=style.GREY if tonic else style.label_color(arm),
                ls="--" if tonic else "-", lw=1.5, label=arm)
    ax.set(xlabel="time (s)", ylabel="dopamine (nM)", title="dopamine readout (release/reuptake)")
    ax.legend(fontsize="small", ncols=min(3, len(arms)))
    fig.suptitle(title)
    return fig


@style.styled
def plot_dopamine_by_arm(summary, title: str = "what the LHb does to dopamine") -> Figure:
    """Rates of the three populations and the mean dopamine per arm (a
    :class:`habmodel.circuit.CircuitResult` summary)."""
    arms = list(dict.fromkeys(summary["arm"]))
    fig = Figure(figsize=(12.0, 5.2), layout="constrained")
    left, right = fig.subplots(1, 2)
    x = np.arange(len(arms))
    for k, pop in enumerate(("LHb", "RMTg", "VTA")):
        rates = [float(summary[(summary["arm"] == a) & (summary["population"] == pop)]
                       ["rate_hz"].iloc[0]) for a in arms]
        left.bar(x + (k - 1) * 0.27, rates, 0.27, color=_POP_COLOR[pop], label=pop)
    left.set_xticks(x, arms, rotation=35, ha="right", fontsize="small")
    left.set(ylabel="mean rate (Hz)", title="firing per population")
    left.legend(fontsize="small")
    vta = summary[summary["population"] == "VTA"].set_index("arm").loc[arms]
    right.bar(x, vta["dopamine_nM"], color="#228833")
    right.set_xticks(x, arms, rotation=35, ha="right", fontsize="small")
    right.set(ylabel="mean dopamine (nM)", title="dopamine readout")
    fig.suptitle(title)
    return fig
