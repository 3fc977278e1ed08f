"""The LHb neuron: equations and the Brian2 objects that simulate a population.

A single-compartment conductance-based model of a lateral habenula neuron
(see ``docs/model.md`` for the equations, the mechanism and the sources).
Every tunable parameter of :data:`habmodel.parameters.PARAMETERS` that enters
the equations is a per-cell constant, so one ``NeuronGroup`` holds a whole
population or parameter sweep.

Drugs act only through per-cell *availability* factors (``avail_NMDA``,
``avail_T``, ...) and one voltage-dependent NMDA pore-block slot
(``pore_load``, ``pore_delta``), computed by :mod:`habmodel.drugs`; adding a
drug never touches these equations.

The glutamate drive is a list of Poisson event times per cell (drawn by
:func:`glutamate_events` from a NumPy generator seeded by the run's seed and
the cell index), delivered through a ``SpikeGeneratorGroup``: the same seed
gives the same input on every code-generation target.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from .parameters import PARAMETERS

__all__ = ["EQUATIONS", "EQUATION_PARAMETERS", "DRUG_TARGETS", "STATE_VARIABLES",
           "INITIAL_STATE", "SPIKE_CONDITION", "full_equations", "glutamate_events",
           "build_network"]

#: Currents whose conductance a drug can scale (``avail_<target>`` in the equations).
DRUG_TARGETS = ("Na", "K", "M", "KL", "T", "h", "SK", "NMDA", "AMPA")

EQUATIONS = """
# --- membrane -------------------------------------------------------------------
dv/dt = (I_inj/area - I_ion)/C_m : volt
I_ion = I_Na + I_K + I_M + I_KL + I_NaL + I_T + I_h + I_SK + I_NMDA + I_AMPA : amp/meter**2
I_inj = I_hold + I_step*int(t - t_offset >= step_start and t - t_offset < step_stop) : amp
E_K = (8.617333262e-5*volt/kelvin)*temperature*log(K_o/K_i) : volt

# --- Traub-Miles fast Na+ and delayed-rectifier K+ -------------------------------
I_Na = avail_Na*g_Na*m**3*h*(v - E_Na) : amp/meter**2
I_K = avail_K*g_K*n**4*(v - E_K) : amp/meter**2
dm/dt = 0.32*(mV**-1)*4*mV/exprel((13*mV - v + V_T)/(4*mV))/ms*(1 - m)
        - 0.28*(mV**-1)*5*mV/exprel((v - V_T - 40*mV)/(5*mV))/ms*m : 1
dh/dt = 0.128*exp((17*mV - v + V_T)/(18*mV))/ms*(1 - h)
        - 4/(1 + exp((40*mV - v + V_T)/(5*mV)))/ms*h : 1
dn/dt = 0.032*(mV**-1)*5*mV/exprel((15*mV - v + V_T)/(5*mV))/ms*(1 - n)
        - 0.5*exp((10*mV - v + V_T)/(40*mV))/ms*n : 1

# --- slow M-type K+ (Pospischil et al. 2008) --------------------------------------
I_M = avail_M*g_M*p*(v - E_K) : amp/meter**2
dp/dt = (1/(1 + exp(-(v + 35*mV)/(10*mV))) - p)
        * (3.3*exp((v + 35*mV)/(20*mV)) + exp(-(v + 35*mV)/(20*mV)))/tau_M : 1

# --- leaks: K+ leak (E_K from Nernst on K_o) and Na+ leak -----------------------------
I_KL = avail_KL*g_KL*(v - E_K) : amp/meter**2
I_NaL = g_NaL*(v - E_Na) : amp/meter**2

# --- T-type Ca2+ (Huguenard & McCormick 1992), Ca2+ pool and SK ---------------------
I_T = avail_T*g_T*m_T_inf**2*h_T*(v - E_Ca) : amp/meter**2
m_T_inf = 1/(1 + exp(-(v + 57*mV)/(6.2*mV))) : 1
dh_T/dt = (1/(1 + exp((v + 81*mV)/(4*mV))) - h_T)/tau_h_T : 1
tau_h_T = (30.8*ms + (211.4*ms + exp((v + 113.2*mV)/(5*mV))*ms)
           / (1 + exp((v + 84*mV)/(3.2*mV))))
          / q10_T**((temperature - 297.15*kelvin)/(10*kelvin)) : second
dc/dt = -k_Ca*I_T/(uA/cm**2) - c/tau_Ca : 1
I_SK = avail_SK*g_SK*c**4/(c**4 + 1)*(v - E_K) : amp/meter**2

# --- I_h (HCN) ------------------------------------------------------------------------
I_h = avail_h*g_h*r*(v - E_h) : amp/meter**2
dr/dt = (1/(1 + exp((v + 75*mV)/(5.5*mV))) - r)
        * (exp(-14.59 - 0.086*v/mV) + exp(-1.87 + 0.0701*v/mV))/ms : 1

# --- NMDA (Brunel & Wang 2001 kinetics, Jahr & Stevens 1990 Mg2+ block) ----------------
I_NMDA = avail_NMDA*g_NMDA*(s + s_tonic)*B_Mg*pore_free*(v - E_NMDA) : amp/meter**2
B_Mg = 1/(1 + Mg_o/(3.57*mM)*exp(-0.062*v/mV)) : 1
pore_free = 1/(1 + pore_load*exp(-pore_delta*v/((8.617333262e-5*volt/kelvin)*temperature))) : 1
ds/dt = -s/tau_NMDA_decay + alpha_NMDA*x*(1 - s) : 1
dx/dt = -x/tau_NMDA_rise : 1

# --- AMPA (optional; same glutamate events) -------------------------------------------
I_AMPA = avail_AMPA*g_AMPA*s_AMPA*(v - E_AMPA) : amp/meter**2
ds_AMPA/dt = -s_AMPA/tau_AMPA : 1
"""

#: Brian2 unit of each table parameter that enters the equations (as a unit string).
_EQ_UNITS = {
    "uF/cm2": "farad/meter**2", "um2": "meter**2", "K": "kelvin", "mS/cm2": "siemens/meter**2",
    "mV": "volt", "ms": "second", "1/ms": "1/second", "mM": "mmolar", "Hz": "hertz",
    "1": "1", "pA": "amp",
}

#: Table parameters that appear in the equations (drug IC50s etc. do not).
EQUATION_PARAMETERS = tuple(p.name for p in PARAMETERS.values() if p.group != "drugs")

_EXTRA = ["t_offset : second (constant)", "pore_load : 1 (constant)", "pore_delta : 1 (constant)"]
_EXTRA += [f"avail_{target} : 1 (constant)" for target in DRUG_TARGETS]

#: The state variables integrated by the ODE solver.
STATE_VARIABLES = ("v", "m", "h", "n", "p", "h_T", "c", "r", "s", "x", "s_AMPA")

#: Initial state of every cell (SI units: v in volts): the gates at their steady
#: state for v = -65 mV and the default V_T. The unrecorded warm-up of
#: :func:`habmodel.simulate` removes what remains of the start transient.
INITIAL_STATE = MappingProxyType({
    "v": -65e-3, "m": 0.00067, "h": 0.9999, "n": 0.0031, "p": 0.0474, "h_T": 0.018,
    "c": 0.0, "r": 0.140, "s": 0.0, "x": 0.0, "s_AMPA": 0.0})

#: Spike detection: an upward crossing of -20 mV (refractory while above).
SPIKE_CONDITION = "v > -20*mV"


def _declarations() -> str:
    lines = []
    for name in EQUATION_PARAMETERS:
        unit = _EQ_UNITS[PARAMETERS[name].unit]
        lines.append(f"{name} : {unit} (constant)")
    return "\n".join(lines + _EXTRA)


def full_equations() -> str:
    """The complete Brian2 equation string (dynamics plus per-cell constants)."""
    return EQUATIONS + "\n# --- per-cell constants ---\n" + _declarations()


def glutamate_events(rates_hz, total_time_s: float, dt_s: float, seed: int):
    """Poisson glutamate event times, one independent stream per cell.

    The stream of cell ``i`` depends only on ``(seed, i, rate)``, not on the
    number of cells or the condition, so paired comparisons across conditions
    see the same input.

    Returns
    -------
    cells, steps : ndarray of int
        Cell index and time step of each event, sorted by step.
    """
    cells, steps = [], []
    n_steps = int(round(total_time_s / dt_s))
    for i, rate in enumerate(np.asarray(rates_hz, dtype=float)):
        if rate <= 0:
            continue
        rng = np.random.default_rng([int(seed), i, 1])
        count = rng.poisson(rate * total_time_s)
        step = np.sort(rng.integers(0, n_steps, size=count))
        cells.append(np.full(count, i))
        steps.append(step)
    if not cells:
        return np.zeros(0, int), np.zeros(0, int)
    cells, steps = np.concatenate(cells), np.concatenate(steps)
    order = np.argsort(steps, kind="stable")
    return cells[order], steps[order]


def _lanes(cells, steps, n_cells):
    """Spread events that share a (cell, step) over lanes, so no source spikes twice a step."""
    if len(cells) == 0:
        return np.zeros(0, int), 1
    key = steps.astype(np.int64) * n_cells + cells
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    run_start = np.maximum.accumulate(np.where(first, np.arange(len(key)), 0))
    lane = np.empty(len(key), int)
    lane[order] = np.arange(len(key)) - run_start
    return lane, int(lane.max()) + 1


def build_network(values: dict, avail: dict, n_cells: int, events, dt, method: str,
                  record_v, record_dt, t_offset):
    """Build the Brian2 objects for one population run.

    Parameters
    ----------
    values : dict
        Per-cell parameter values (arrays of length ``n_cells``) in display units.
    avail : dict
        Per-cell drug factors: ``avail_<target>``, ``pore_load``, ``pore_delta``.
    events : tuple of arrays
        ``(cells, steps)`` from :func:`glutamate_events`.
    record_v : sequence of int
        Cells whose voltage is recorded (may be empty).

    Returns
    -------
    net, group, spike_monitor, state_monitor (or None)
    """
    import brian2 as b2

    from .units import unit_of

    group = b2.NeuronGroup(
        n_cells, full_equations(), method=method, threshold=SPIKE_CONDITION,
        refractory=SPIKE_CONDITION, dt=dt, name="lhb",
    )
    for name in EQUATION_PARAMETERS:
        setattr(group, name, np.asarray(values[name], float) * unit_of(PARAMETERS[name].unit))
    for name, value in avail.items():
        setattr(group, name, value)
    group.t_offset = t_offset
    for name, value in INITIAL_STATE.items():
        setattr(group, name, value * b2.volt if name == "v" else value)
    objects = [group]

    cells, steps = events
    lane, n_lanes = _lanes(cells, steps, n_cells)
    source = b2.SpikeGeneratorGroup(
        n_lanes * n_cells, lane * n_cells + cells, steps * dt, dt=dt, name="glutamate",
        sorted=False,
    )
    syn = b2.Synapses(source, group, on_pre="x_post += w_glu_post\ns_AMPA_post += 1", dt=dt,
                      name="glutamate_synapses")
    src = np.arange(n_lanes * n_cells)
    syn.connect(i=src, j=src % n_cells)
    objects += [source, syn]

    spikes = b2.SpikeMonitor(group, record=True, name="spikes")
    objects.append(spikes)
    state = None
    if len(record_v):
        state = b2.StateMonitor(group, "v", record=list(record_v), dt=record_dt, name="trace")
        objects.append(state)
    return b2.Network(*objects), group, spikes, state
