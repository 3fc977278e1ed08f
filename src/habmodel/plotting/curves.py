"""Figures of the cell's steady state: the whole-cell I-V and the teaching curves (NMDA
Mg2+ unblock, T-channel gating, E_K against [K+]o). They take plain tables (from
:mod:`habmodel.analysis.curves`) and return a Figure."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..model.parameters import CONDITIONS, condition_values
from . import style
from .layout import add_caption


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
    add_caption(fig, None, "Every gate at its steady state, NMDA channels at a fixed open "
             "fraction s; dots: stable resting potentials (I = 0, positive slope). No "
             "simulation: no burst detection.", bursts=False)
    return fig


@style.styled
def plot_teaching_curves(iv: pd.DataFrame | None = None, t_gating: pd.DataFrame | None = None,
                         h: pd.DataFrame | None = None,
                         e_k: pd.DataFrame | None = None) -> Figure:
    """NMDA I-V with Mg2+ block, T-channel gating, I_h activation and E_K vs [K+]o.

    The arguments are the tables of :mod:`habmodel.analysis.curves` (computed with the
    defaults when omitted).
    """
    from ..analysis import curves

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
