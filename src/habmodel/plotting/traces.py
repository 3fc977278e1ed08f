"""Figures of simulation results (matplotlib object API only: no pyplot, no GUI).

Every function returns a :class:`matplotlib.figure.Figure`; save it with
:func:`habmodel.plotting.layout.save_figure`.

Figures are drawn and saved in the style of :mod:`habmodel.plotting.style` (projector-sized
text, the colour-blind-safe palette: a trace has the colour of its condition or
drug, spikes in bursts are marked in the colour of the burst mode), applied
locally: matplotlib's global settings are never changed.
"""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.figure import Figure

from .. import analysis
from ..model.drugs import condition_label
from . import style

__all__ = ["draw_trace", "first_burst_window", "plot_conditions", "plot_trace"]

_BURST_COLOR = style.PALETTE["burst"]


def _trace(result, cell: int):
    """Time (s) and voltage (mV) of a recorded cell."""
    if result.v_mV is None or result.t_s is None:
        raise ValueError("no voltage was recorded; simulate with record_v=[cell]")
    rows = np.flatnonzero(np.asarray(result.v_cells) == cell)
    if rows.size == 0:
        raise ValueError(f"cell {cell} was not recorded; recorded cells: "
                         f"{np.asarray(result.v_cells).tolist()}")
    return np.asarray(result.t_s), np.asarray(result.v_mV[rows[0]])


def _draw(ax, result, cell: int, zoom=None) -> None:
    t, v = _trace(result, cell)
    color = style.label_color(_cell_label(result, cell))
    ax.plot(t, v, color=color, lw=0.9 if zoom is None else 1.4)
    spikes = np.asarray(result.spikes_s[cell], float)
    in_burst = analysis.burst_mask(spikes, result.criteria)
    top = float(np.nanmax(v)) + 6 if v.size else 40.0
    if zoom is not None:
        shown = (spikes >= zoom[0]) & (spikes <= zoom[1])
        in_burst = in_burst & shown
    if in_burst.any():
        ax.plot(spikes[in_burst], np.full(in_burst.sum(), top), "v", ms=6,
                color=_BURST_COLOR, label="spike in a burst")
    ax.set_xlim(*(zoom if zoom is not None else (0.0, result.duration_s)))
    ax.set_ylabel("membrane potential (mV)")


def _cell_label(result, cell: int) -> str:
    """The condition and the drugs that this cell actually got (concentration > 0)."""
    drugs = {}
    for name, conc in result.drugs_uM.items():
        conc = np.atleast_1d(np.asarray(conc, float))
        value = float(conc[cell] if conc.size > cell else conc[0])
        if value > 0:
            drugs[name] = value
    return condition_label(result.condition, drugs)


def draw_trace(ax, result, cell: int = 0, zoom=None) -> None:
    """Draw one recorded cell's trace into ``ax``, spikes in bursts marked (no title, legend).

    The trace has the colour of its condition or drug (:func:`habmodel.plotting.style.label_color`).
    Call it inside :func:`habmodel.plotting.style.context` to get the style's fonts.
    """
    _draw(ax, result, cell, zoom)


@style.styled
def plot_trace(result, cell: int = 0, ax=None, zoom=None) -> Figure:
    """Voltage trace of one recorded cell, with the spikes that belong to bursts marked.

    Parameters
    ----------
    result : SimulationResult
        A result with ``cell`` among its recorded cells (``record_v=[cell]``).
    cell : int
        Cell index.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (no caption is added); default: a new figure.
    zoom : (float, float), optional
        Time window (s) to show; default the whole recorded period.

    Returns
    -------
    Figure
    """
    new = ax is None
    if new:
        fig = Figure(figsize=(10, 3.8), layout="constrained")
        ax = fig.add_subplot()
    _draw(ax, result, cell, zoom)
    ax.set_xlabel("time (s)")
    ax.set_title(f"{condition_label(result.condition, result.drugs_uM)} (cell {cell})")
    if new:  # the caption inside the figure: no tight bounding box (a second draw) needed
        fig.get_layout_engine().set(rect=(0.0, 0.12, 1.0, 0.88))
        fig.text(0.5, 0.01, textwrap.fill(_caption(result), 125), ha="center", va="bottom",
                 fontsize="small")
    elif ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best")
    return ax.figure


def _caption(result) -> str:
    return (f"Trace colour: condition or drug; dark triangles: spikes in bursts "
            f"({result.criteria.describe()}).")


def first_burst_window(result, cell: int, before: float = 0.05, after: float = 0.15):
    """``(t0, t1)`` around the first burst of ``cell`` (s), or ``None`` if it has none."""
    spikes = np.asarray(result.spikes_s[cell], float)
    bursts = analysis.detect_bursts(spikes, result.criteria)
    if not bursts:
        return None
    start, stop = bursts[0]
    return (max(0.0, spikes[start] - before),
            min(result.duration_s, spikes[stop - 1] + after))


@style.styled
def plot_conditions(results: dict, zoom_window=(0.0, 0.5), cell: int | None = None) -> Figure:
    """One row per condition: the full trace (left) and a zoom on one burst (right).

    Parameters
    ----------
    results : dict
        ``{label: SimulationResult}``, in display order (e.g. ``"control"``,
        ``"depressed"``, ``"depressed + ketamine"``, ``"depressed + mibefradil"``).
    zoom_window : (float, float)
        Window (s) shown on the right when the cell has no burst.
    cell : int, optional
        Cell to show; default the first recorded cell of each result.

    Returns
    -------
    Figure
    """
    if not results:
        raise ValueError("results: expected at least one {label: SimulationResult}")
    n = len(results)
    fig = Figure(figsize=(12, 2.4 * n + 0.8), layout="constrained")
    axes = fig.subplots(n, 2, squeeze=False, sharey=True,
                        gridspec_kw={"width_ratios": (3, 1)})
    for row, (label, result) in zip(axes, results.items(), strict=False):
        recorded = np.asarray(result.v_cells)
        which = cell if cell is not None else int(recorded[0]) if recorded.size else 0
        _draw(row[0], result, which)
        full = condition_label(result.condition, result.drugs_uM)
        row[0].set_title(label if label == full else f"{label} ({full})", loc="left")
        row[0].set_ylabel("V (mV)")
        burst = first_burst_window(result, which)
        _draw(row[1], result, which, zoom=burst or tuple(zoom_window))
        row[1].set_ylabel("")
        row[1].set_title("first burst" if burst else "zoom (no burst)")
    axes[-1][0].set_xlabel("time (s)")
    axes[-1][1].set_xlabel("time (s)")
    fig.text(0.5, 0.0, _caption(next(iter(results.values()))), ha="center", va="top",
             fontsize="small", wrap=True)
    return fig
