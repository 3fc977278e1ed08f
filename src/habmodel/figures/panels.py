"""The teaching figures, one function each: ``fig_<name>(sizes)`` runs its protocol at
the given population sizes (:data:`FULL` or :data:`QUICK`) and returns the Figure and
its caption (burst criteria, parameters, seed). :data:`FIGURES` lists them in the
order ``habmodel figures`` makes them."""


from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
from brian2 import ms, mV, pA, second, uM

from .. import experiments
from ..analysis import curves
from ..analysis.bursts import DEFAULT_CRITERIA
from ..model.drugs import condition_label
from ..model.parameters import CONDITIONS, PARAMETERS
from ..plotting import protocols as experiment_plots
from ..plotting.traces import plot_conditions
from ..simulation import simulate

#: Seed of every simulation (glutamate input and conductance jitter).
SEED = experiments.DEFAULT_SEED


@dataclass(frozen=True)
class Sizes:
    """Population sizes and durations (full run, or ``--quick``)."""

    trace_s: float
    panel_cells: int
    panel_s: float
    dose_cells: int
    dose_s: float
    doses_uM: tuple
    rebound_cells: int
    rebound_pA: tuple
    rebound_ms: tuple
    map_k_o: tuple
    map_g: tuple
    map_s: float
    jitter_cells: int
    jitter_s: float
    jitter_doses_uM: tuple
    trap_cells: int = 4
    trap_window: str = "4 s"
    trap_blocks: tuple = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
    circuit_cells: int = 100
    circuit_s: float = 5.0


FULL = Sizes(
    trace_s=3.0, panel_cells=20, panel_s=5.0, dose_cells=20, dose_s=5.0,
    doses_uM=(0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0),
    rebound_cells=10, rebound_pA=(-5.0, -10.0, -20.0, -40.0), rebound_ms=(250.0, 500.0),
    map_k_o=tuple(np.round(np.arange(2.0, 5.501, 0.125), 6)),
    map_g=tuple(np.round(np.arange(0.0, 4.001, 0.25), 6)), map_s=3.0,
    jitter_cells=100, jitter_s=5.0, jitter_doses_uM=(0.3, 1.0, 3.0, 10.0))

QUICK = Sizes(
    trace_s=1.0, panel_cells=3, panel_s=1.5, dose_cells=2, dose_s=1.5,
    doses_uM=(0.0, 0.3, 0.5, 1.0, 2.0, 10.0), rebound_cells=2, rebound_pA=(-10.0, -20.0),
    rebound_ms=(500.0,), map_k_o=(2.5, 3.0, 3.5, 4.0, 5.0), map_g=(0.0, 1.0, 2.3, 3.5),
    map_s=1.5, jitter_cells=8, jitter_s=1.5, jitter_doses_uM=(1.0, 10.0),
    trap_cells=2, trap_window="2 s", trap_blocks=(0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1.0),
    circuit_cells=15, circuit_s=1.0)

#: Ketamine doses of the firing-mode map (uM).
MAP_DOSES_UM = (0.0, 1.0, 3.0, 10.0)


# --- caption parts ---------------------------------------------------------------------------

def _criteria() -> str:
    return f"Burst criteria: {DEFAULT_CRITERIA.describe()}"


def _conditions() -> str:
    """``control [K+]o 5 mM (E_K -88 mV), depressed ...; g_NMDA ...`` from the public tables."""
    parts = []
    for name in CONDITIONS:
        k_o = PARAMETERS["K_o"].default
        k_o = dict(CONDITIONS[name]).get("K_o", k_o)
        e_k = float(curves.potassium_reversal([f"{k_o} mM"])["E_K_mV"].iloc[0])
        parts.append(f"{name} [K+]o {k_o:g} mM (E_K {e_k:.0f} mV)")
    g = PARAMETERS["g_NMDA"]
    nu = PARAMETERS["nu_glu"]
    return (f"{', '.join(parts)}; g_NMDA {g.default:g} {g.unit}, Poisson glutamate input "
            f"{nu.default:g} {nu.unit}; other parameters at their defaults (docs/model.md)")


def _seed(cells: str, duration_s: float) -> str:
    return (f"{cells}, {duration_s:g} s recorded after a 0.5 s warm-up, seed {SEED}, "
            "fast engine (rk4, dt 0.05 ms)")


# --- the figures: each returns (Figure, caption) ------------------------------------------------

def fig_traces(sizes: Sizes):
    """Control / depressed / + ketamine / + AP5 / + mibefradil voltage traces, bursts marked."""
    duration = sizes.trace_s * second
    panel = {
        "control": ("control", {}),
        "depressed": ("depressed", {}),
        "depressed + ketamine 10 uM": ("depressed", {"ketamine": 10 * uM}),
        "depressed + mibefradil 2 uM": ("depressed", {"mibefradil": 2 * uM}),
    }
    results = {label: simulate(cond, drugs=drugs, n_cells=1, duration=duration,
                                        seed=SEED, record_v=True)
               for label, (cond, drugs) in panel.items()}
    fig = plot_conditions(results)
    labels = "; ".join(condition_label(r.condition, r.drugs_uM) for r in results.values())
    return fig, (f"Membrane potential of one model LHb cell ({labels}); left the whole "
                 "recording, right its first burst (or its first 0.5 s); triangles mark spikes "
                 "in bursts. "
                 f"{_conditions()}. {_seed('1 cell per condition', sizes.trace_s)}. "
                 f"{_criteria()}.")


def fig_panel(sizes: Sizes):
    """Pharmacology panel: firing-mode fractions and bursts/s (mean +- SD) per condition."""
    table = experiments.pharmacology_panel(
        n_cells=sizes.panel_cells, duration=sizes.panel_s * second, seed=SEED,
        ketamine_doses=[1, 3, 10] * uM, ap5=50 * uM, mibefradil=2 * uM,
        control_ketamine=[10] * uM)
    fig = experiment_plots.plot_panel(table)
    return fig, ("Pharmacology panel: fraction of silent / tonic / burst-mode cells, "
                 "bursts/s and firing rate (mean +- SD over cells) in control and depressed "
                 "cells, with "
                 "ketamine 1, 3, 10 uM, AP5 50 uM or mibefradil 2 uM (and control + ketamine "
                 f"10 uM). {_conditions()}. "
                 f"{_seed(f'{sizes.panel_cells} cells per condition', sizes.panel_s)}. "
                 f"{_criteria()}.")


def fig_dose_response(sizes: Sizes):
    """Ketamine dose-response in depressed cells, Hill fit, NMDA conductance block."""
    table = experiments.dose_response("ketamine", doses=list(sizes.doses_uM) * uM,
                                      condition="depressed", n_cells=sizes.dose_cells,
                                      duration=sizes.dose_s * second, seed=SEED)
    try:
        fit = experiments.fit_dose_response(table)
        fit_text = f"Hill fit of the mean bursts/s: {fit.describe()}"
    except ValueError as err:
        fit_text = f"no Hill fit ({err})"
    fig = experiment_plots.plot_dose_response(table)
    ket = PARAMETERS["ketamine_IC50"]
    return fig, ("Ketamine dose-response of depressed cells (log axis): bursts/s (mean +- SD) "
                 f"and its {fit_text}; right, the fraction of NMDA conductance blocked "
                 f"(pore-block IC50 {ket.default:g} {ket.unit}, at -60 mV) beside the "
                 "fraction of bursting suppressed; grey: human plasma levels (antidepressant "
                 "0.5 mg/kg Cmax 0.78 uM; anaesthesia 5-10 uM; Zanos et al. 2018). "
                 f"{_conditions()}. {_seed(f'{sizes.dose_cells} cells per dose', sizes.dose_s)}"
                 f". {_criteria()}.")


def fig_rebound(sizes: Sizes):
    """Rebound bursts after hyperpolarising steps: example traces and the protocol summary."""
    table = experiments.rebound(amplitudes=list(sizes.rebound_pA) * pA,
                                durations=list(sizes.rebound_ms) * ms,
                                drugs=("none", "ketamine", "ap5", "mibefradil"),
                                condition="control", n_cells=sizes.rebound_cells, seed=SEED)
    step = {"I_step": -20 * pA, "step_start": 500 * ms, "step_stop": 1000 * ms}
    examples = {}
    for drug, conc in (("none", 0.0), ("ketamine", 10.0), ("mibefradil", 2.0)):
        drugs = {drug: conc * uM} if conc > 0 else None
        examples[drug] = simulate("control", drugs=drugs, n_cells=1,
                                           duration=1.5 * second, seed=SEED, record_v=True,
                                           overrides=step)
    fig = experiment_plots.plot_rebound(table, examples=examples)
    recorded_s = (500 + max(sizes.rebound_ms) + 300) / 1000 + 0.1  # the protocol's minimum
    amps = ", ".join(f"{a:g}" for a in sizes.rebound_pA)
    steps = ", ".join(f"{s:g}" for s in sizes.rebound_ms)
    return fig, ("Rebound bursts in control cells after release from a hyperpolarising "
                 f"current step ({amps} pA for {steps} ms, from 0.5 s): top, example traces "
                 "(-20 pA, 500 ms, cell 0) without drug, with ketamine 10 uM and with "
                 "mibefradil 2 uM (without drug the NMDA-driven cell also bursts during the "
                 "step: hyperpolarisation alone moves it into the burst regime, as in the "
                 "depressed condition); "
                 "bottom, rebound-burst probability (a burst starting within 300 ms of "
                 "release), spikes in it and first-spike latency, without drug and with "
                 "ketamine 10 uM, AP5 50 uM or mibefradil 2 uM. The rebound burst is carried by "
                 "T-channels: mibefradil abolishes it, NMDA block does not at moderate steps. "
                 f"{_conditions()}. "
                 f"{_seed(f'{sizes.rebound_cells} cells per point', recorded_s)}. {_criteria()}.")


def fig_mode_map(sizes: Sizes):
    """Firing-mode map over [K+]o (E_K) x g_NMDA at ketamine 0, 1, 3, 10 uM."""
    table = experiments.mode_map([f"{k:g} mM" for k in sizes.map_k_o],
                                 [f"{g:g} mS/cm2" for g in sizes.map_g],
                                 ketamine_doses=list(MAP_DOSES_UM) * uM, n_cells=1,
                                 duration=sizes.map_s * second, seed=SEED)
    fig = experiment_plots.plot_mode_map(table)
    n = len(sizes.map_k_o) * len(sizes.map_g)
    return fig, ("Firing-mode map: the mode (silent / tonic / burst) of one model cell at each "
                 f"[K+]o (top axis: E_K, Nernst) x g_NMDA point ({len(sizes.map_k_o)} x "
                 f"{len(sizes.map_g)} = {n} points), at ketamine "
                 f"{', '.join(f'{d:g}' for d in MAP_DOSES_UM)} uM; other parameters of the "
                 "control condition; markers: the control and depressed conditions at their "
                 f"default g_NMDA. {_conditions()}. "
                 f"{_seed('1 cell per point', sizes.map_s)}. {_criteria()}.")


def fig_jitter(sizes: Sizes):
    """docs/science.md claim 9: a +-20 % conductance-jittered population."""
    table = experiments.jittered_population(
        fraction=0.2, n_cells=sizes.jitter_cells, seed=SEED,
        ketamine_doses=list(sizes.jitter_doses_uM) * uM, duration=sizes.jitter_s * second)
    fig = experiment_plots.plot_jitter(table)
    summary = experiments.jitter_summary(table).set_index("condition")
    facts = "; ".join(f"{c}: {100 * row['frac_burst']:.0f} % bursting without drug, "
                      f"{100 * row['frac_burst_max_dose']:.0f} % with ketamine "
                      f"{row['max_dose_uM']:g} uM" for c, row in summary.iterrows())
    return fig, ("Jittered population (docs/science.md claim 9): every maximal conductance of "
                 f"each of {sizes.jitter_cells} cells scaled by a random factor in 0.8-1.2, "
                 "the same cells in every condition; silent / tonic / burst fractions per "
                 f"condition and ketamine dose ({facts}). {_conditions()}. "
                 f"{_seed(f'{sizes.jitter_cells} cells per condition and dose', sizes.jitter_s)}"
                 f". {_criteria()}.")


#: NMDA open fractions of the steady-state I-V (the default input keeps about 11 % open).
OPEN_FRACTIONS = (0.0, 0.05, 0.11, 0.15)
def fig_nmda_slope(sizes: Sizes):
    """Why NMDA makes bursts regenerative: the whole-cell I-V softens (notebook 03)."""
    v = np.round(np.arange(-100.0, -45.0001, 0.25), 6)
    table = curves.steady_state_iv("depressed", OPEN_FRACTIONS, v * mV)
    fig = experiment_plots.plot_steady_state_iv(table)
    rests = []
    for s, curve in table.groupby("s"):
        current = curve["I_pA"].to_numpy()
        up = np.flatnonzero((current[:-1] < 0) & (current[1:] >= 0))
        rests.append(f"s = {s:g}: {v[up[0]]:.0f} mV" if up.size else f"s = {s:g}: none")
    return fig, ("Why NMDA makes bursts regenerative (notebook 03): total steady-state "
                 "current of the depressed cell (every gate and the Ca2+ pool at steady state) "
                 "and its slope conductance, with the NMDA channels held at open fraction "
                 f"s = {', '.join(f'{s:g}' for s in OPEN_FRACTIONS)} (the default glutamate "
                 "input keeps about 0.11 open); stable rests "
                 f"({'; '.join(rests)}). Without NMDA the cell has one stiff rest; the NMDA "
                 "current's Mg2+ unblock lowers the slope between about -75 and -50 mV. "
                 f"{_conditions()}. No simulation: no seed, no burst criteria.")


def fig_curves(sizes: Sizes):
    """Teaching curves: NMDA I-V with Mg2+ block, T-channel gating, I_h, E_K vs [K+]o."""
    fig = experiment_plots.plot_teaching_curves()
    iv = curves.nmda_iv()
    region = curves.negative_slope_region(iv).set_index("Mg_mM").loc[1.0]
    return fig, ("Teaching curves evaluated from the model's own equations (no simulation: "
                 "no seed, no burst criteria): NMDA current of fully open channels against "
                 "voltage at [Mg2+]o 0, 0.5, 1, 2 mM (Jahr & Stevens 1990 block), its "
                 f"negative-slope region shaded (steep part at 1 mM: "
                 f"{region['v_low_steep_mV']:.0f} to {region['v_high_steep_mV']:.0f} mV); "
                 "T-type Ca2+ channel m_inf^2, h_inf and tau_h (Huguenard & McCormick 1992, "
                 "at 34 C); I_h activation and time constant; E_K against [K+]o (Nernst, "
                 f"[K+]i {PARAMETERS['K_i'].default:g} mM, 34 C) with the control "
                 "and depressed conditions marked.")


def _trapping_caption() -> str:
    p = PARAMETERS
    rates = ", ".join(f"{name} {p[name].default:g} {p[name].unit}"
                      for name in ("k_on_ket", "k_off_ket", "V_off_ket", "ket_Mg_competition"))
    return (f"Kinetic ketamine block with trapping (ketamine_model='trapping'; {rates}; "
            f"habmodel.trapping). {_conditions()}")


@functools.lru_cache(maxsize=2)
def _firing_modes(sizes: Sizes):
    """The trapping model's firing-mode table (quiet and every stimulation), simulated once
    for the washout and the day-course figures."""
    from habmodel import trapping

    arms = {"quiet": {}, **trapping.STIMULATIONS}
    return trapping.firing_mode_table(arms, sizes.trap_blocks, n_cells=sizes.trap_cells,
                                      window=sizes.trap_window, seed=SEED)


def fig_use_dependence(sizes: Sizes):
    """Use-dependence: block develops faster in a more active cell (full simulations)."""
    from habmodel import trapping

    duration = "10 s" if sizes.trap_cells < 4 else "30 s"
    summary = trapping.use_dependence("10 uM", duration=duration, n_cells=sizes.trap_cells,
                                      seed=SEED)
    fig = trapping.plot_use_dependence(summary)
    return fig, (f"Use-dependence of the ketamine block (10 uM from t = 0) in depressed cells "
                 "that are quiet, driven harder by glutamate or depolarised: the blocked "
                 "fraction of the synaptic NMDA channels over time and its onset rate. "
                 f"{_trapping_caption()}. {sizes.trap_cells} cells per arm, {duration} after a "
                 f"0.5 s warm-up, seed {SEED}, fast engine (rk4, dt 0.05 ms). {_criteria()}.")


def fig_washout(sizes: Sizes):
    """Washout: a quiet cell keeps its trapped block for hours; activity releases it."""
    from habmodel import trapping

    table = trapping.washout("10 uM", table=_firing_modes(sizes))
    fig = trapping.plot_washout(table)
    summary = trapping.washout_summary(table, "3 h").set_index("washout_arm")
    halves = "; ".join(f"{arm}: half the block lost after {row['half_time_h']:.1f} h"
                       for arm, row in summary.iterrows())
    return fig, (f"Ketamine 10 uM for 30 min into a stimulated depressed cell, then washout "
                 f"(free drug gone) and 24 h with the cell quiet or stimulated ({halves}). "
                 "Block by the reduced model (block rates per firing mode measured in "
                 f"{sizes.trap_window} full-simulation windows at {len(sizes.trap_blocks)} block "
                 f"levels, {sizes.trap_cells} cells each, seed {SEED}). {_trapping_caption()}. "
                 f"{_criteria()}.")


def fig_day_course(sizes: Sizes):
    """24 h after one dose, mouse and human half-lives, with and without stimulation."""
    from habmodel import trapping

    table = trapping.day_course(table=_firing_modes(sizes))
    fig = trapping.plot_day_course(table)
    return fig, ("Brain ketamine, NMDA block and burst suppression over 24 h after one dose "
                 "(mouse 10 mg/kg i.p., half-life 13 min; human 0.5 mg/kg i.v. over 40 min, "
                 "half-life 3 h, plasma peak 0.78 uM; habmodel.trapping.pharmacokinetics), "
                 "with the LHb "
                 "quiet or stimulated (NMDA drive x4) at the times marked. Reduced model on "
                 f"{sizes.trap_window} full-simulation windows, {sizes.trap_cells} cells, seed "
                 f"{SEED}. {_trapping_caption()}. {_criteria()}.")


@functools.lru_cache(maxsize=2)
def _circuit(sizes: Sizes):
    """The standard circuit comparison, simulated once for both circuit figures."""
    from habmodel import circuit

    params = circuit.DEFAULT_CIRCUIT.with_(n_rmtg=sizes.circuit_cells, n_vta=sizes.circuit_cells)
    return circuit.run_circuit(n_lhb=sizes.circuit_cells, duration=sizes.circuit_s * second,
                               seed=SEED, params=params)


def _circuit_caption(sizes: Sizes) -> str:
    n = sizes.circuit_cells
    return (f"{n} LHb cells (+-20 % jitter, fast engine) per arm, {n} RMTg (integrate-and-fire, "
            f"AMPA + NMDA, facilitating) and {n} VTA dopamine cells (Izhikevich pacemakers), "
            f"{sizes.circuit_s:g} s after a 1 s settling period, seed {SEED}; habmodel.circuit, "
            "parameters and their sources in docs/circuit.md. The drugs act in the LHb only. "
            f"{_conditions()}. {_criteria()}.")


def fig_circuit(sizes: Sizes):
    """Rasters of LHb, RMTg and VTA (LHb bursts marked) and the dopamine readout."""
    from ..plotting.circuit import plot_circuit

    result = _circuit(sizes)
    arms = ["control", "depressed", "depressed, rate-matched tonic", "depressed + ketamine 10 uM"]
    fig = plot_circuit(result.spikes, result.da_t_s, result.da_nM, arms=arms,
                       window=(0.0, min(2.0, sizes.circuit_s)))
    return fig, ("The LHb -> RMTg -> VTA circuit: control, depressed, the depressed LHb's spike "
                 "counts replayed as tonic trains (rate-matched control) and depressed + "
                 "ketamine 10 uM. Top, rasters (30 cells each; LHb spikes in bursts "
                 "highlighted); bottom, dopamine (release per spike, first-order reuptake). "
                 f"{_circuit_caption(sizes)}")


def fig_circuit_dopamine(sizes: Sizes):
    """Rates per population and mean dopamine per condition and ketamine dose."""
    from habmodel import circuit

    from ..plotting.circuit import plot_dopamine_by_arm

    result = _circuit(sizes)
    dose = circuit.ketamine_dose_response(result)
    fig = plot_dopamine_by_arm(result.summary)
    return fig, ("Mean rate of the LHb, RMTg and VTA populations and mean dopamine per arm: "
                 "the bursting depressed LHb drives the RMTg and slows dopamine neurons, the "
                 "rate-matched tonic LHb much less; ketamine (0.3-10 uM) and mibefradil 2 uM "
                 "restore dopamine. Ketamine dose restoring half of the VTA rate: "
                 f"{dose['half_restoring_uM']:.2g} uM. {_circuit_caption(sizes)}")


def fig_reward_task(sizes: Sizes):
    """LHb, dopamine and serotonin per trial type of the reward task (figures/task.py)."""
    from .task import reward_task_figure

    return reward_task_figure(sizes, SEED, f"{_conditions()}. {_criteria()}.")


FIGURES = {
    "traces": fig_traces,
    "panel": fig_panel,
    "dose_response": fig_dose_response,
    "rebound": fig_rebound,
    "mode_map": fig_mode_map,
    "jitter": fig_jitter,
    "curves": fig_curves,
    "nmda_slope": fig_nmda_slope,
    "use_dependence": fig_use_dependence,
    "washout": fig_washout,
    "day_course": fig_day_course,
    "circuit": fig_circuit,
    "circuit_dopamine": fig_circuit_dopamine,
    "reward_task": fig_reward_task,
}
