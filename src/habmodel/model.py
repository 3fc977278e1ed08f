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

The glutamate drive is a Poisson number of events per cell and time step,
drawn by a counter-based random number generator: a hash of the cell's key
(from the run's seed and the cell index, :func:`input_keys`) and the step
index (:func:`glutamate_counts`). Nothing is stored or streamed, a cell gets
the same input in every condition and whatever the population size, and the
Brian2 runtime engine (a ``run_regularly`` operation calling
:func:`glutamate_count_function`) and the compiled engine
(:mod:`habmodel.codegen`) draw exactly the same events.
"""

from __future__ import annotations

from types import MappingProxyType

import numpy as np

from .parameters import PARAMETERS

__all__ = ["EQUATIONS", "EQUATION_PARAMETERS", "DRUG_TARGETS", "STATE_VARIABLES",
           "INITIAL_STATE", "SPIKE_CONDITION", "GLUTAMATE_EVENT", "N_POISSON_TERMS",
           "KETAMINE_MODELS", "TRAPPING_EQUATIONS", "TRAPPING_STATES", "full_equations",
           "initial_state", "input_keys", "glutamate_counts", "glutamate_count_function",
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


#: How ketamine's NMDA block is modelled: ``"hill"``, an equilibrium pore block
#: through ``pore_load`` (:mod:`habmodel.drugs`); ``"trapping"``, a kinetic
#: open-channel block with trapping (:data:`TRAPPING_EQUATIONS`). Each entry names
#: an equation variant of :func:`full_equations` with its own initial state.
KETAMINE_MODELS = ("hill", "trapping")

#: The NMDA lines of :data:`EQUATIONS` that the ``"trapping"`` variant replaces.
_HILL_NMDA_LINES = (
    "I_NMDA = avail_NMDA*g_NMDA*(s + s_tonic)*B_Mg*pore_free*(v - E_NMDA) : amp/meter**2",
    "ds/dt = -s/tau_NMDA_decay + alpha_NMDA*x*(1 - s) : 1",
)

#: The ``"trapping"`` variant: ketamine as a kinetic open-channel blocker that can
#: be trapped (docs/science.md sec. 1 item 4 and sec. 3; :mod:`habmodel.trapping`).
#: Synaptic NMDA channels are closed (``1 - s - s_blk - s_trap``), open (``s``),
#: open-blocked (``s_blk``) or closed-blocked, i.e. trapped (``s_trap``).
#: Glutamate opens closed channels and reopens trapped ones at the same rate
#: ``alpha_NMDA*x``; open and open-blocked channels close at the same rate
#: ``1/tau_NMDA_decay`` (a blocked channel closes around the drug: trapping).
#: Ketamine enters only an open channel, at ``k_on_ket`` per uM times the fraction
#: of open pores free of Mg2+ (``ket_Mg_competition = 1``), and leaves only an
#: open-blocked channel, at ``k_off_ket*exp(v/V_off_ket)``. Tonically open channels
#: (``s_tonic``) never close, so they are blocked (``s_tonic_blk``) but never trapped.
#: ``ket_uM`` (ketamine in uM, a per-cell number) comes from :mod:`habmodel.drugs`.
TRAPPING_EQUATIONS = """
I_NMDA = avail_NMDA*g_NMDA*(s + s_tonic - s_tonic_blk)*B_Mg*pore_free*(v - E_NMDA) : amp/meter**2
ds/dt = -s/tau_NMDA_decay + alpha_NMDA*x*(1 - s - s_blk - s_trap)
        - ket_block_rate*s + ket_unblock_rate*s_blk : 1
ds_blk/dt = -s_blk/tau_NMDA_decay + alpha_NMDA*x*s_trap
            + ket_block_rate*s - ket_unblock_rate*s_blk : 1
ds_trap/dt = s_blk/tau_NMDA_decay - alpha_NMDA*x*s_trap : 1
ds_tonic_blk/dt = ket_block_rate*(s_tonic - s_tonic_blk) - ket_unblock_rate*s_tonic_blk : 1
ket_block_rate = k_on_ket*ket_uM*(1 - ket_Mg_competition*(1 - B_Mg)) : hertz
ket_unblock_rate = k_off_ket*exp(v/V_off_ket) : hertz
"""

#: State variables that the ``"trapping"`` variant adds, all starting at 0 (no drug).
TRAPPING_STATES = ("s_blk", "s_trap", "s_tonic_blk")


def _check_variant(ketamine_model: str) -> None:
    if ketamine_model not in KETAMINE_MODELS:
        raise ValueError(f"ketamine_model: expected one of {', '.join(KETAMINE_MODELS)}, got "
                         f"{ketamine_model!r}")


def full_equations(ketamine_model: str = "hill") -> str:
    """The complete Brian2 equation string (dynamics plus per-cell constants)."""
    _check_variant(ketamine_model)
    if ketamine_model == "trapping":
        return _trapping_equations() + "\n# --- per-cell constants ---\n" + _declarations() + (
            "\nket_uM : 1 (constant)")
    return EQUATIONS + "\n# --- per-cell constants ---\n" + _declarations()


def _trapping_equations() -> str:
    """:data:`EQUATIONS` with the NMDA lines replaced by the kinetic ketamine scheme."""
    text = EQUATIONS
    for line in _HILL_NMDA_LINES:
        if text.count(line) != 1:  # pragma: no cover - EQUATIONS was edited
            raise RuntimeError(f"model.EQUATIONS no longer contains {line!r} once")
        text = text.replace(line + "\n", "")
    marker = "# --- AMPA"
    head, tail = text.split(marker, 1)
    return (head + "# --- ketamine: open-channel block with trapping (kinetic scheme) ----------"
            + TRAPPING_EQUATIONS + "\n" + marker + tail)


def initial_state(ketamine_model: str = "hill") -> dict:
    """Initial value of every state variable of a variant (SI units)."""
    _check_variant(ketamine_model)
    state = dict(INITIAL_STATE)
    if ketamine_model == "trapping":
        state.update(dict.fromkeys(TRAPPING_STATES, 0.0))
    return state


#: What each glutamate event adds to which state variable, at the start of a time step.
GLUTAMATE_EVENT = MappingProxyType({"x": "w_glu", "s_AMPA": "1"})

#: Event counts per cell and step are exact up to this many (a Poisson tail beyond
#: it has probability < 1e-9 per step even at the highest allowed rate, 5 kHz).
N_POISSON_TERMS = 8

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z) -> np.ndarray:
    """The SplitMix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    z = np.asarray(z, np.uint64)
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def input_keys(seed: int, n_cells: int, input_ids=None) -> np.ndarray:
    """The random-number key of each cell's glutamate input (uint64), from the
    seed and the cell's input identity only (default: the cell index)."""
    base = _mix(np.array([int(seed) % 2**64], np.uint64))
    ids = np.arange(n_cells) if input_ids is None else np.asarray(input_ids)
    return _mix(base + _GOLDEN * (ids.astype(np.uint64) + np.uint64(1)))


def glutamate_counts(keys, steps, rate_per_step) -> np.ndarray:
    """Number of glutamate events of cells with ``keys`` in time ``steps``.

    Poisson with mean ``rate_per_step`` (``nu_glu * dt``), by inversion of one
    uniform number ``u = hash(key, step)``; this is what both engines compute.
    Arguments broadcast against each other.
    """
    keys, steps = np.broadcast_arrays(np.asarray(keys, np.uint64), np.asarray(steps, np.uint64))
    u = (_mix(keys + steps * _GOLDEN) >> np.uint64(11)).astype(float) * 2.0**-53
    lam = np.asarray(rate_per_step, float)
    prob = np.exp(-lam)
    cum = prob
    count = (u >= cum).astype(int)
    for k in range(1, N_POISSON_TERMS):
        prob = prob * lam / k
        cum = cum + prob
        count += u >= cum
    return count


_CYTHON_COUNT = f"""
cdef int glutamate_count(int key_hi, int key_lo, double t, double dt, double lam):
    cdef unsigned long long z = ((<unsigned long long>(<unsigned int>key_hi)) << 32) | (
        <unsigned long long>(<unsigned int>key_lo))
    cdef unsigned long long step = <unsigned long long>(t/dt + 0.5)
    cdef double u, prob, cum
    cdef int count, k
    z = z + step*<unsigned long long>{int(_GOLDEN)}ULL
    z = (z ^ (z >> 30))*<unsigned long long>{int(_M1)}ULL
    z = (z ^ (z >> 27))*<unsigned long long>{int(_M2)}ULL
    z = z ^ (z >> 31)
    u = <double>(z >> 11)*1.1102230246251565e-16
    prob = exp(-lam)
    cum = prob
    count = u >= cum
    for k in range(1, {N_POISSON_TERMS}):
        prob = prob*lam/k
        cum = cum + prob
        count += u >= cum
    return count
"""


def _split_keys(keys) -> tuple[np.ndarray, np.ndarray]:
    """uint64 keys as two int32 halves (Brian2 integers are int32)."""
    keys = np.asarray(keys, np.uint64)
    hi = (keys >> np.uint64(32)).astype(np.uint32).view(np.int32)
    lo = (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32).view(np.int32)
    return hi, lo


def glutamate_count_function():
    """``glutamate_count(key_hi, key_lo, t, dt, lam)`` as a Brian2 ``Function``
    (Cython and NumPy implementations of :func:`glutamate_counts`)."""
    import brian2 as b2

    def numpy_count(key_hi, key_lo, t, dt, lam):
        hi = np.asarray(key_hi, np.int32).view(np.uint32).astype(np.uint64)
        lo = np.asarray(key_lo, np.int32).view(np.uint32).astype(np.uint64)
        step = np.floor(np.asarray(t / dt, float) + 0.5).astype(np.uint64)
        return glutamate_counts((hi << np.uint64(32)) | lo, step, lam)

    function = b2.Function(numpy_count, arg_units=[1, 1, b2.second, b2.second, 1],
                           arg_names=["key_hi", "key_lo", "t", "dt", "lam"], return_unit=1,
                           arg_types=["integer", "integer", "float", "float", "float"],
                           return_type="integer", stateless=True)
    function.implementations.add_implementation("cython", _CYTHON_COUNT,
                                                name="glutamate_count")
    return function


def build_network(values: dict, avail: dict, n_cells: int, seed: int, dt, method: str,
                  record_v, record_dt, t_offset, *, ketamine_model: str = "hill",
                  input_ids=None):
    """Build the Brian2 objects of one population run (the runtime engine).

    Parameters
    ----------
    values : dict
        Per-cell parameter values (arrays of length ``n_cells``) in display units.
    avail : dict
        Per-cell drug factors: ``avail_<target>``, ``pore_load``, ``pore_delta``.
    seed : int
        Seed of the glutamate input (:func:`input_keys`).
    record_v : sequence of int
        Cells whose voltage is recorded (may be empty), at the start of each
        recorded step (before that step's input and update).
    ketamine_model : str
        Equation variant (:data:`KETAMINE_MODELS`).
    input_ids : array of int, optional
        Identity of each cell's input stream (default: the cell index).

    Returns
    -------
    net, group, spike_monitor, state_monitor (or None)
    """
    import brian2 as b2

    from .units import unit_of

    keys = "glu_key_hi : integer (constant)\nglu_key_lo : integer (constant)"
    group = b2.NeuronGroup(
        n_cells, full_equations(ketamine_model) + "\n" + keys, method=method,
        threshold=SPIKE_CONDITION, refractory=SPIKE_CONDITION, dt=dt, name="lhb",
        namespace={"glutamate_count": glutamate_count_function()},
    )
    for name in EQUATION_PARAMETERS:
        setattr(group, name, np.asarray(values[name], float) * unit_of(PARAMETERS[name].unit))
    for name, value in avail.items():
        setattr(group, name, value)
    group.t_offset = t_offset
    group.glu_key_hi, group.glu_key_lo = _split_keys(input_keys(seed, n_cells, input_ids))
    for name, value in initial_state(ketamine_model).items():
        setattr(group, name, value * b2.volt if name == "v" else value)
    code = ["n_glu = glutamate_count(glu_key_hi, glu_key_lo, t, dt, nu_glu*dt)"]
    code += [f"{var} += n_glu*({expr})" for var, expr in GLUTAMATE_EVENT.items()]
    group.run_regularly("\n".join(code), dt=dt, when="start", order=0, name="glutamate")
    objects = [group]
    spikes = b2.SpikeMonitor(group, record=True, name="spikes")
    objects.append(spikes)
    state = None
    if len(record_v):
        state = b2.StateMonitor(group, "v", record=list(record_v), dt=record_dt, when="start",
                                order=-1, name="trace")
        objects.append(state)
    return b2.Network(*objects), group, spikes, state
