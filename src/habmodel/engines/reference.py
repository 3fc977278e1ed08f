"""An independent SciPy reference integrator of the model equations, for accuracy tests.

Brian2 integrates :data:`habmodel.model.EQUATIONS` with a fixed-step explicit
method (:data:`habmodel.simulation.DEFAULT_METHOD` at
:data:`habmodel.simulation.DEFAULT_DT_MS`). This module integrates the *same*
equation string for one cell with an adaptive, implicit, high-order method
(``scipy.integrate.solve_ivp(method="Radau")``, ``rtol=1e-9``) and an analytic
Jacobian, so the step-size error of the Brian2 run can be measured
(``tests/test_accuracy.py``, ``benchmarks/convergence.py``).

How the equations are obtained (no second hand-written copy of the model):

1. :func:`habmodel.model.full_equations` is parsed by :class:`brian2.Equations`
   and every expression is turned into a SymPy expression by Brian2's own
   ``str_to_sympy``;
2. subexpressions (``I_ion``, ``E_K``, ``B_Mg``, ...) are substituted, in
   dependency order, into the right-hand sides;
3. the cell's parameters (display units, as in
   :func:`habmodel.simulation.resolve_parameters`), its drug factors (as in
   :func:`habmodel.model.drugs.availability`) and every Brian2 unit name (``mV``,
   ``ms``, ``mM``, ``uA``, ``cm``, ``kelvin``, ``volt``, ...) are replaced by
   SI floats;
4. the right-hand side and its Jacobian (differentiated by SymPy) are
   ``lambdify``-ed to plain-Python scalar functions.

The initial state and the spike condition mirror those that
:func:`habmodel.engines.runtime.build_network` sets (:data:`INITIAL_STATE`,
:data:`SPIKE_CONDITION`), so the reference starts where Brian2 starts and
counts what Brian2 counts. Spikes are upward crossings of the threshold,
located by ``solve_ivp`` events on the dense output.

Only deterministic drive is supported (``nu_glu = 0``; use ``s_tonic`` for a
tonic NMDA drive, ``I_hold``/``I_step`` for current): Poisson glutamate events
have no counterpart here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..model.equations import INITIAL_STATE, SPIKE_CONDITION, STATE_VARIABLES
from ..model.parameters import PARAMETERS
from .symbolic import symbolic_model

__all__ = ["RTOL", "ATOL", "INITIAL_STATE", "SPIKE_CONDITION", "reference_spike_times",
           "initial_state", "ReferenceSystem", "reference_system"]

#: Relative tolerance of the Radau reference.
RTOL = 1e-9

#: Absolute tolerance per state variable, in SI units (v in volt: 1e-7 V = 1e-4 mV; the
#: rest dimensionless). Measured against rtol 1e-11 with 1000x smaller atol: spike times
#: of 2 s tonic and bursting runs agree within 0.2 us, at a third of the cost of 10x
#: smaller atol.
ATOL = {"v": 1e-7, "m": 1e-7, "h": 1e-7, "n": 1e-7, "p": 1e-7, "h_T": 1e-7, "c": 1e-7,
        "r": 1e-7, "s": 1e-9, "x": 1e-9, "s_AMPA": 1e-9}


# --- numerically safe scalar implementations for lambdify ------------------------------

def _exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:  # a wild Newton trial point; Radau rejects the step
        return math.inf


def _exprel(x: float) -> float:
    """``(exp(x) - 1)/x``, exact at and near 0 (as Brian2's C implementation)."""
    if x == 0.0:
        return 1.0
    try:
        return math.expm1(x) / x
    except OverflowError:
        return math.inf


def _dexprel(x: float) -> float:
    """Derivative of ``exprel``: ``((x - 1) exp(x) + 1)/x**2``, by its series near 0."""
    if abs(x) < 1e-3:
        return 0.5 + x * (1.0 / 3.0 + x * (1.0 / 8.0 + x / 30.0))
    try:
        return ((x - 1.0) * math.exp(x) + 1.0) / (x * x)
    except OverflowError:
        return math.inf


def _int(value) -> float:
    return float(bool(value))


_MODULES = [{"exp": _exp, "exprel": _exprel, "dexprel": _dexprel, "int_": _int}, "math"]


# --- what build_network sets up ------------------------------------------------------

def initial_state(cell=None) -> np.ndarray:
    """The state :func:`habmodel.engines.runtime.build_network` starts a cell in (SI units,
    in the order of the reference's state variables: :data:`habmodel.model.STATE_VARIABLES`
    for the LHb neuron)."""
    if cell is None:
        return np.array([INITIAL_STATE[name] for name in STATE_VARIABLES], float)
    start = cell.initial_state()
    return np.array([start[name] for name in _state_names(cell)], float)


def _state_names(cell) -> tuple[str, ...]:
    if cell is None:
        return STATE_VARIABLES
    return tuple(s.name for s in symbolic_model(cell.full_equations()).states)


# --- the numeric system of one cell -----------------------------------------------------

def _si_values(params: dict, avail: dict, t_offset_s: float, needed,
               table=PARAMETERS) -> dict[str, float]:
    from ..model.units import unit_of

    out = {}
    for name in needed:
        if name == "t_offset":
            out[name] = float(t_offset_s)
        elif name in avail:
            out[name] = float(avail[name])
        elif name in params:
            out[name] = float(params[name]) * float(unit_of(table[name].unit))
        elif name.startswith("avail_"):
            out[name] = 1.0
        elif name in ("pore_load", "pore_delta"):
            out[name] = 0.0
        else:
            raise ValueError(f"reference: no value for the parameter '{name}'")
    return out


@dataclass(frozen=True)
class ReferenceSystem:
    """Right-hand side, Jacobian and spike function of one cell, as SciPy wants them."""

    fun: object  # fun(t, y) -> ndarray
    jac: object  # jac(t, y) -> ndarray (n, n)
    threshold: object  # g(t, y); spikes are upward zero crossings
    breakpoints: tuple  # times (s) where the drive is discontinuous (current steps)


def reference_system(params: dict, avail: dict | None = None,
                     t_offset_s: float = 0.0, cell=None) -> ReferenceSystem:
    """Lambdify the equations of one cell (parameters in display units; ``cell``: a
    :class:`habmodel.model.cell.Cell`, default the LHb neuron)."""
    import sympy
    from brian2.core.namespace import DEFAULT_UNITS

    sym = symbolic_model(None if cell is None else cell.full_equations())
    table = PARAMETERS if cell is None else cell.parameters
    avail = dict(avail or {})
    unit_names = {s.name for e in (*sym.rhs, sym.threshold) for s in e.free_symbols}
    unit_names -= {s.name for s in sym.states} | {sym.t.name} | set(sym.parameters)
    unknown = sorted(n for n in unit_names if n not in DEFAULT_UNITS)
    if unknown:
        raise ValueError(f"reference: unknown names in the equations: {unknown}")
    values = _si_values(params, avail, t_offset_s, sym.parameters, table)
    values.update({n: float(DEFAULT_UNITS[n]) for n in unit_names})

    def numeric(expr):
        return expr.xreplace({s: sympy.Float(values[s.name], 17)
                              for s in expr.free_symbols if s.name in values})

    rhs = [numeric(e) for e in sym.rhs]
    jac = sympy.Matrix(rhs).jacobian(sym.states).tolist()
    args = (sym.t, list(sym.states))
    f_rhs = sympy.lambdify(args, rhs, modules=_MODULES, cse=True)
    f_jac = sympy.lambdify(args, jac, modules=_MODULES, cse=True)
    f_thr = sympy.lambdify(args, numeric(sym.threshold), modules=_MODULES)

    def fun(t, y):
        return np.array(f_rhs(t, y))

    def jacobian(t, y):
        return np.array(f_jac(t, y))

    def threshold(t, y):
        return float(f_thr(t, y))

    threshold.direction = 1.0
    breaks = set()
    if float(params.get("I_step", 0.0)) != 0.0:
        for name in ("step_start", "step_stop"):
            breaks.add(t_offset_s + float(params[name]) * 1e-3)
    return ReferenceSystem(fun, jacobian, threshold, tuple(sorted(breaks)))


def reference_spike_times(params: dict, avail: dict | None = None, duration_s: float = 1.0,
                          t_offset_s: float = 0.0, y0=None, rtol: float = RTOL,
                          atol=None, cell=None) -> np.ndarray:
    """Spike times (s) of one cell with deterministic drive, by SciPy Radau.

    Parameters
    ----------
    params : dict
        Parameter values of the cell in display units (``{"K_o": 3.0, ...}``), e.g.
        ``{k: v[i] for k, v in simulation.resolve_parameters(...).items()}``.
        Must have ``nu_glu = 0``: Poisson input has no counterpart here.
    avail : dict, optional
        The cell's drug factors (``avail_<target>``, ``pore_load``,
        ``pore_delta``), as :func:`habmodel.model.drugs.availability` gives them;
        missing ones mean no drug.
    duration_s : float
        Recorded time (s), as ``simulate(duration=...)``.
    t_offset_s : float
        Unrecorded warm-up (s), as ``simulate(warmup=...)``: the cell is
        integrated from ``t = 0`` to ``t_offset_s + duration_s`` with the
        equation constant ``t_offset = t_offset_s``, and spike times are
        returned relative to ``t_offset_s`` (earlier spikes are dropped).
    y0 : array or dict, optional
        Initial state in SI units (default: the state build_network sets).
    cell : Cell, optional
        The neuron model (default: the LHb neuron); ``atol`` then defaults to 1e-7
        for the states of its extra parts.

    Returns
    -------
    ndarray
        Upward threshold crossings, in seconds from the start of the recorded period.
    """
    from scipy.integrate import solve_ivp

    if float(params.get("nu_glu", 0.0)) > 0:
        raise ValueError("reference_spike_times: the reference has no Poisson input; set "
                         "nu_glu = 0 and drive the cell with s_tonic (or current)")
    if not duration_s > 0 or not t_offset_s >= 0:
        raise ValueError("reference_spike_times: need duration_s > 0 and t_offset_s >= 0")
    system = reference_system(params, avail, t_offset_s, cell)
    names = _state_names(cell)
    if y0 is None:
        y = initial_state(cell)
    elif isinstance(y0, dict):
        y = initial_state(cell)
        for name, value in y0.items():
            y[names.index(name)] = float(value)
    else:
        y = np.array(y0, float)
    atol = np.array([ATOL.get(n, 1e-7) for n in names]) if atol is None else atol

    t_end = t_offset_s + duration_s
    edges = [0.0, *[b for b in system.breakpoints if 0 < b < t_end], t_end]
    spikes = []
    for t0, t1 in zip(edges[:-1], edges[1:], strict=True):
        sol = solve_ivp(system.fun, (t0, t1), y, method="Radau", jac=system.jac,
                        events=system.threshold, rtol=rtol, atol=atol)
        if sol.status != 0:
            raise RuntimeError(f"reference integration failed at t = {sol.t[-1]:g} s: "
                               f"{sol.message}")
        spikes.append(sol.t_events[0])
        y = sol.y[:, -1]
    times = np.concatenate(spikes) - t_offset_s
    return times[times >= 0]
