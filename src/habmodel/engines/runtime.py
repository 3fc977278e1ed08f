"""The Brian2 runtime engine: one ``NeuronGroup`` for a population, an explicit
``Network`` with its monitors, and the glutamate drive as a ``run_regularly``
operation calling a Cython/NumPy ``Function`` that draws the same events as the
fast kernel (:mod:`habmodel.model.drive`)."""

from __future__ import annotations

import os
import warnings
from functools import cache

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

__all__ = ["glutamate_count_function", "lhb_group", "build_network", "compiled_code_class",
           "CodegenFallbackWarning"]

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


def lhb_group(values: dict, avail: dict, n_cells: int, seed: int, dt, method: str, t_offset,
              *, cell: Cell, input_ids=None, glutamate: bool = True, name: str = "lhb",
              codeobj_class=None):
    """The ``NeuronGroup`` of a population of ``cell`` (the assembled equations, every
    per-cell value set, the initial state) with its glutamate drive: the runtime engine's
    group (:func:`build_network`) and :func:`habmodel.brian2_group`'s.

    ``values`` are per-cell parameter arrays in display units, ``avail`` the drug factors
    (``avail_<target>``, ``pore_load``, ...); ``cell`` is used as given (its variant is
    chosen by the caller). With ``glutamate`` the Poisson drive of
    :mod:`habmodel.model.drive` (seed ``seed``, streams ``input_ids``) is a
    ``run_regularly`` operation named ``<name>_glutamate`` at the start of every step;
    without it the group has no input of its own. The group's namespace holds what its
    code needs (the ``glutamate_count`` function), so a ``Network`` runs it with no
    ``namespace`` argument.
    """
    import brian2 as b2

    from ..model.units import unit_of

    equations = cell.full_equations()
    if glutamate:
        equations += "\nglu_key_hi : integer (constant)\nglu_key_lo : integer (constant)"
    group = b2.NeuronGroup(
        n_cells, equations, method=method, threshold=SPIKE_CONDITION,
        refractory=SPIKE_CONDITION, dt=dt, name=name, codeobj_class=codeobj_class,
        namespace={"glutamate_count": glutamate_count_function()},
    )
    table = cell.parameters
    for key in cell.equation_parameters:
        setattr(group, key, np.asarray(values[key], float) * unit_of(table[key].unit))
    declared = set(group.variables)
    for key, value in avail.items():
        if key in declared:
            setattr(group, key, value)
    for target in cell.drug_targets:
        if f"avail_{target}" not in avail:
            setattr(group, f"avail_{target}", 1.0)
    group.t_offset = t_offset
    for key, value in cell.initial_state().items():
        setattr(group, key, value * b2.volt if key == "v" else value)
    if glutamate:
        group.glu_key_hi, group.glu_key_lo = _split_keys(input_keys(seed, n_cells, input_ids))
        code = ["n_glu = glutamate_count(glu_key_hi, glu_key_lo, t, dt, nu_glu*dt)"]
        code += [f"{var} += n_glu*({expr})" for var, expr in cell.glutamate_event.items()]
        group.run_regularly("\n".join(code), clock=group.clock, when="start", order=0,
                            name=f"{name}_glutamate", codeobj_class=codeobj_class)
    return group


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

    group = lhb_group(values, avail, n_cells, seed, dt, method, t_offset,
                      cell=cell_for(ketamine_model, cell), input_ids=input_ids)
    objects = [group]
    spikes = b2.SpikeMonitor(group, record=True, name="spikes")
    objects.append(spikes)
    state = None
    if len(record_v):
        state = b2.StateMonitor(group, "v", record=list(record_v), dt=record_dt, when="start",
                                order=-1, name="trace")
        objects.append(state)
    return b2.Network(*objects), group, spikes, state


class CodegenFallbackWarning(RuntimeWarning):
    """Brian2's Cython target does not compile here; NumPy's is used instead (slower, the
    same numbers)."""


_CYTHON_TEST = """
#cython: language_level=3
def main():
    cdef int x
    x = 1
    return x
"""


def compiled_code_class():
    """Brian2's Cython code-object class if a Cython module compiles (or is in the Cython
    cache) here, else its NumPy class, with one :class:`CodegenFallbackWarning` that says
    why. Checked once per process and compiler setting (``CC``, ``CXX``, ``PATH``,
    ``CYTHON_CACHE_DIR``); Brian2's preferences are not changed."""
    keys = ("CC", "CXX", "PATH", "CYTHON_CACHE_DIR")
    return _code_class(tuple(os.environ.get(k) for k in keys))


@cache
def _code_class(environment: tuple):
    import re

    from brian2 import prefs
    from brian2.codegen.cpp_prefs import get_compiler_and_args
    from brian2.codegen.runtime.cython_rt import CythonCodeObject
    from brian2.codegen.runtime.cython_rt.extension_manager import cython_extension_manager
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject
    from brian2.utils.logger import catch_logs

    try:
        with catch_logs():  # Brian2's notes on the compiler flags it drops: not for users
            compiler, args = get_compiler_and_args()
            module = cython_extension_manager.create_extension(
                _CYTHON_TEST, compiler=compiler, extra_compile_args=args,
                extra_link_args=prefs["codegen.cpp.extra_link_args"],
                include_dirs=prefs["codegen.cpp.include_dirs"],
                library_dirs=prefs["codegen.cpp.library_dirs"],
                runtime_library_dirs=prefs["codegen.cpp.runtime_library_dirs"])
        if module.main() != 1:
            raise RuntimeError("the test module returned a wrong value")
    except Exception as err:  # noqa: BLE001 - any failure means: no Cython here
        text = " ".join(str(err).split())
        failed = re.search(r"(failed with|returned non-zero) exit (code|status) \d+", text)
        why = (f"the C compiler {failed.group(0)}" if failed
               else f"{type(err).__name__}: {text[:200]}")
        warnings.warn(f"habmodel: Brian2's Cython target does not compile here ({why}); "
                      "using its NumPy target instead (the same numbers, 3-4x slower)",
                      CodegenFallbackWarning, stacklevel=3)
        return NumpyCodeObject
    return CythonCodeObject
