"""The Brian2 runtime engine: one ``NeuronGroup`` for a population, an explicit
``Network`` with its monitors, and the glutamate drive as a ``run_regularly``
operation calling a Cython/NumPy ``Function`` that draws the same events as the
fast kernel (:mod:`habmodel.model.drive`)."""

from __future__ import annotations

import numpy as np

from ..model.cell import Cell
from ..model.drive import (
    N_POISSON_TERMS,
    SPLITMIX_GAMMA,
    SPLITMIX_M1,
    SPLITMIX_M2,
    glutamate_counts,
    input_keys,
)
from ..model.equations import SPIKE_CONDITION, cell_for

__all__ = ["glutamate_count_function", "build_network"]

_CYTHON_COUNT = f"""
cdef int glutamate_count(int key_hi, int key_lo, double t, double dt, double lam):
    cdef unsigned long long z = ((<unsigned long long>(<unsigned int>key_hi)) << 32) | (
        <unsigned long long>(<unsigned int>key_lo))
    cdef unsigned long long step = <unsigned long long>(t/dt + 0.5)
    cdef double u, prob, cum
    cdef int count, k
    z = z + step*<unsigned long long>{int(SPLITMIX_GAMMA)}ULL
    z = (z ^ (z >> 30))*<unsigned long long>{int(SPLITMIX_M1)}ULL
    z = (z ^ (z >> 27))*<unsigned long long>{int(SPLITMIX_M2)}ULL
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

    from ..model.units import unit_of

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
