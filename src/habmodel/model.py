"""The LHb neuron: equations and the Brian2 objects that simulate a population.

A single-compartment conductance-based model of a lateral habenula neuron
(see ``docs/model.md`` for the equations, the mechanism and the sources),
assembled from its parts (:mod:`habmodel.currents`) by :class:`habmodel.cell.Cell`.
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

from .cell import KETAMINE_MODELS, Cell
from .currents import KETAMINE_TRAPPING

__all__ = ["DEFAULT_CELL", "cell_for", "EQUATIONS", "EQUATION_PARAMETERS", "DRUG_TARGETS",
           "STATE_VARIABLES", "INITIAL_STATE", "SPIKE_CONDITION", "GLUTAMATE_EVENT",
           "N_POISSON_TERMS", "KETAMINE_MODELS", "TRAPPING_EQUATIONS", "TRAPPING_STATES",
           "full_equations", "initial_state", "input_keys", "glutamate_counts",
           "glutamate_count_function", "build_network"]

#: The LHb neuron of docs/model.md (hill ketamine model), assembled from its parts.
DEFAULT_CELL = Cell()

#: Currents whose conductance a drug can scale (``avail_<target>`` in the equations).
DRUG_TARGETS = DEFAULT_CELL.drug_targets

#: The dynamics of the LHb neuron as one Brian2 equation string (from its parts).
EQUATIONS = DEFAULT_CELL.equations

#: Table parameters that appear in the equations (drug IC50s etc. do not).
EQUATION_PARAMETERS = DEFAULT_CELL.equation_parameters

#: The state variables integrated by the ODE solver.
STATE_VARIABLES = DEFAULT_CELL.states

#: Initial state of every cell (SI units: v in volts): the gates at their steady
#: state for v = -65 mV and the default V_T. The unrecorded warm-up of
#: :func:`habmodel.simulate` removes what remains of the start transient.
INITIAL_STATE = MappingProxyType(DEFAULT_CELL.initial_state())

#: Spike detection: an upward crossing of -20 mV (refractory while above).
SPIKE_CONDITION = "v > -20*mV"

#: The equations the ``"trapping"`` variant adds (:data:`habmodel.currents.KETAMINE_TRAPPING`).
TRAPPING_EQUATIONS = KETAMINE_TRAPPING.equations

#: State variables that the ``"trapping"`` variant adds, all starting at 0 (no drug).
TRAPPING_STATES = tuple(KETAMINE_TRAPPING.states)


def cell_for(ketamine_model: str = "hill", cell: Cell | None = None) -> Cell:
    """``cell`` (default: the LHb neuron) in the equation variant ``ketamine_model``."""
    if cell is not None and not isinstance(cell, Cell):
        raise TypeError(f"cell: expected a habmodel.Cell, got {cell!r}")
    return (cell or DEFAULT_CELL).variant(ketamine_model)


def full_equations(ketamine_model: str = "hill") -> str:
    """The complete Brian2 equation string (dynamics plus per-cell constants)."""
    return cell_for(ketamine_model).full_equations()


def initial_state(ketamine_model: str = "hill") -> dict:
    """Initial value of every state variable of a variant (SI units)."""
    return cell_for(ketamine_model).initial_state()


#: What each glutamate event adds to which state variable, at the start of a time step.
GLUTAMATE_EVENT = DEFAULT_CELL.glutamate_event

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
                  input_ids=None, cell: Cell | None = None):
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
    cell : Cell, optional
        The neuron model (default: the LHb neuron), in the variant ``ketamine_model``.

    Returns
    -------
    net, group, spike_monitor, state_monitor (or None)
    """
    import brian2 as b2

    from .units import unit_of

    cell = cell_for(ketamine_model, cell)
    keys = "glu_key_hi : integer (constant)\nglu_key_lo : integer (constant)"
    group = b2.NeuronGroup(
        n_cells, cell.full_equations() + "\n" + keys, method=method,
        threshold=SPIKE_CONDITION, refractory=SPIKE_CONDITION, dt=dt, name="lhb",
        namespace={"glutamate_count": glutamate_count_function()},
    )
    table = cell.parameters
    for name in cell.equation_parameters:
        setattr(group, name, np.asarray(values[name], float) * unit_of(table[name].unit))
    declared = set(group.variables)
    for name, value in avail.items():
        if name in declared:
            setattr(group, name, value)
    for target in cell.drug_targets:
        if f"avail_{target}" not in avail:
            setattr(group, f"avail_{target}", 1.0)
    group.t_offset = t_offset
    group.glu_key_hi, group.glu_key_lo = _split_keys(input_keys(seed, n_cells, input_ids))
    for name, value in cell.initial_state().items():
        setattr(group, name, value * b2.volt if name == "v" else value)
    code = ["n_glu = glutamate_count(glu_key_hi, glu_key_lo, t, dt, nu_glu*dt)"]
    code += [f"{var} += n_glu*({expr})" for var, expr in cell.glutamate_event.items()]
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
