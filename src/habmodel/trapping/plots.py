"""Figures of the trapping protocols."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..plotting import style
from .reduced import reduced_model_error

# --- figures ----------------------------------------------------------------------------------

_ARM_COLORS = ("#000000", "#EE6677", "#4477AA", "#228833", "#CCBB44", "#AA3377", "#66CCEE")


def _colors(labels) -> dict:
    return {label: _ARM_COLORS[i % len(_ARM_COLORS)] for i, label in enumerate(labels)}


@style.styled
def plot_use_dependence(summary: pd.DataFrame) -> Figure:
    """Block onset at each activity level (a :func:`use_dependence` table)."""
    fig = Figure(figsize=(12, 4.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    arms = list(dict.fromkeys(summary["arm"]))
    colors = _colors(arms)
    for arm in arms:
        g = summary[summary["arm"] == arm]
        left.plot(g["time_s"], g["blocked"] * 100, color=colors[arm], label=arm)
        right.scatter(g["arm_rate_hz"].iloc[0], g["onset_per_s"].iloc[0] * 1e3,
                      color=colors[arm], label=arm)
    conc = float(summary["ketamine_uM"].iloc[0])
    left.set(xlabel="time (s)", ylabel="NMDA channels blocked (%)",
             title=f"ketamine {conc:g} uM from t = 0")
    right.set(xlabel="firing rate (Hz)", ylabel="block onset rate (1/ks)",
              title="use-dependence")
    left.legend(fontsize="small")
    return fig


@style.styled
def plot_validation(comparison: pd.DataFrame, title: str = "") -> Figure:
    """Full simulation vs reduced model (a :func:`validate_reduced_model` table)."""
    fig = Figure(figsize=(7, 4.6), layout="constrained")
    ax = fig.subplots()
    t = comparison["time_s"]
    full = comparison["blocked_full"] * 100
    sd = comparison["blocked_full_sd"].fillna(0) * 100
    ax.fill_between(t, full - sd, full + sd, color="#BBBBBB", label="full model (mean +- SD)")
    ax.plot(t, full, color="black")
    ax.plot(t, comparison["blocked_reduced"] * 100, color="#EE6677", ls="--",
            label="reduced model")
    err = reduced_model_error(comparison)
    ax.set(xlabel="time (s)", ylabel="NMDA channels blocked (%)",
           title=title or f"max error {err['max_abs_error'] * 100:.1f} % points")
    ax.legend(fontsize="small")
    return fig


@style.styled
def plot_washout(table: pd.DataFrame) -> Figure:
    """Block and burst suppression after washout, per washout arm (a :func:`washout` table)."""
    fig = Figure(figsize=(10, 7.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    arms = list(dict.fromkeys(table["washout_arm"]))
    colors = _colors(arms)
    for arm in arms:
        g = table[table["washout_arm"] == arm]
        top.plot(g["time_after_washout_h"], g["blocked"] * 100, color=colors[arm], label=arm)
        bottom.plot(g["time_after_washout_h"], g["burst_suppression"] * 100, color=colors[arm])
    load_h = -float(table["time_after_washout_h"].min())
    for ax in (top, bottom):
        ax.axvspan(-load_h, 0, color="#228833", alpha=0.15, lw=0)
        ax.axvline(0, color="grey", lw=0.8)
    conc = float(table["ketamine_uM"].max())
    top.set(ylabel="NMDA channels blocked (%)",
            title=f"ketamine {conc:g} uM (shaded), then washout")
    bottom.set(xlabel="time after washout (h)",
               ylabel="burst suppression (%)\n(quiet cell at that block)")
    top.legend(title="after washout", fontsize="small")
    return fig


@style.styled
def plot_day_course(table: pd.DataFrame) -> Figure:
    """Concentration, block and burst suppression over a day (a :func:`day_course` table)."""
    species = list(dict.fromkeys(table["species"]))
    fig = Figure(figsize=(6.5 * len(species), 10), layout="constrained")
    axes = np.atleast_2d(fig.subplots(3, len(species), sharex=True, squeeze=False))
    arms = list(dict.fromkeys(table["stim_arm"]))
    colors = _colors(arms)
    for j, sp in enumerate(species):
        t_sp = table[table["species"] == sp]
        first = t_sp[t_sp["stim_arm"] == arms[0]]
        axes[0, j].plot(first["time_h"], first["ketamine_uM"], color="#228833")
        axes[0, j].set_title(str(first["regimen"].iloc[0]).replace(", t1/2", "\nt1/2"),
                             fontsize="small")
        axes[0, j].set_ylabel("brain ketamine (uM)")
        for arm in arms:
            g = t_sp[t_sp["stim_arm"] == arm]
            axes[1, j].plot(g["time_h"], g["blocked"] * 100, color=colors[arm], label=arm)
            axes[2, j].plot(g["time_h"], g["burst_suppression"] * 100, color=colors[arm])
            on = g["stimulated"].to_numpy(bool)
            if on.any():
                axes[1, j].fill_between(g["time_h"], 0, 100, where=on, color=colors[arm],
                                        alpha=0.08, lw=0)
        axes[1, j].set(ylabel="NMDA channels blocked (%)", ylim=(0, 100))
        axes[2, j].set(ylabel="burst suppression (%)\n(quiet cell at that block)",
                       xlabel="time after dose (h)", ylim=(0, 100))
    axes[1, 0].legend(fontsize="small")
    return fig
