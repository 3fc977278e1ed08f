"""The model equations as SymPy expressions, shared by the reference and the fast engine.

:func:`symbolic_model` parses :func:`habmodel.model.full_equations` with
:class:`brian2.Equations`, turns every expression into SymPy with Brian2's own
``str_to_sympy`` and substitutes the subexpressions (``I_ion``, ``E_K``,
``B_Mg``, ...) into the right-hand sides, in dependency order. The SciPy
reference (:mod:`habmodel.engines.reference`) lambdifies the result; the fast engine
(:mod:`habmodel.engines.codegen`) prints it as C. Neither holds a second copy of the model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ..model.equations import SPIKE_CONDITION, STATE_VARIABLES, full_equations

__all__ = ["SymbolicModel", "symbolic_model", "TOTAL_CURRENT"]

#: The subexpression that sums the membrane currents (:attr:`habmodel.Cell.equations`).
TOTAL_CURRENT = "I_ion"


@dataclass(frozen=True)
class SymbolicModel:
    """The model as SymPy: what the reference integrator and the C printer need."""

    states: tuple  # sympy symbols, in STATE_VARIABLES order
    t: object  # the time symbol
    rhs: tuple  # d(state)/dt with every subexpression substituted
    threshold: object  # g(t, y): a spike is an upward zero crossing of g
    parameters: frozenset  # names of the per-cell constants that appear
    #: ``(name, expression)`` of each membrane current, every subexpression substituted:
    #: the terms of :data:`TOTAL_CURRENT` in the order written (a cell's ``currents``);
    #: empty for equations without it.
    currents: tuple = ()


def _sympy_functions():
    import sympy

    class dexprel(sympy.Function):  # noqa: N801 - printed by name for lambdify
        nargs = 1

    class exprel(sympy.Function):  # noqa: N801 - printed by name for lambdify
        """Like Brian2's ``exprel``, with a derivative that lambdify evaluates stably."""

        nargs = 1

        def fdiff(self, argindex=1):
            return dexprel(self.args[0])

    return exprel, dexprel


@lru_cache(maxsize=4)
def symbolic_model(equations: str | None = None) -> SymbolicModel:
    """The right-hand sides and the spike function of the model, with every
    subexpression substituted (cached per equation string).

    ``equations`` defaults to :func:`habmodel.model.full_equations`; another
    string (a variant with a new current, say) must keep the spike variable ``v``.
    Its state variables are taken in :data:`STATE_VARIABLES` order where they
    appear there, the others after them in alphabetical order.
    """
    import brian2
    import sympy
    from brian2.equations.equations import DIFFERENTIAL_EQUATION, SUBEXPRESSION
    from brian2.parsing.sympytools import str_to_sympy

    default = equations is None
    eqs = brian2.Equations(full_equations() if default else equations)
    if eqs.is_stochastic:
        raise ValueError("habmodel integrates deterministic equations only")
    if default and set(eqs.diff_eq_names) != set(STATE_VARIABLES):
        raise ValueError(f"model.STATE_VARIABLES {sorted(STATE_VARIABLES)} does not match the "
                         f"equations' state variables {sorted(eqs.diff_eq_names)}")
    order = [n for n in STATE_VARIABLES if n in eqs.diff_eq_names]
    order += sorted(set(eqs.diff_eq_names) - set(order))
    exprel, dexprel = _sympy_functions()
    brian_exprel = type(str_to_sympy("exprel(x)"))

    def parse(code):
        expr = str_to_sympy(code)
        return expr.replace(lambda e: isinstance(e, brian_exprel), lambda e: exprel(*e.args))

    subexpr = {eq.varname: parse(eq.expr.code) for eq in eqs.ordered
               if eq.type == SUBEXPRESSION}
    diff = {eq.varname: parse(eq.expr.code) for eq in eqs.ordered
            if eq.type == DIFFERENTIAL_EQUATION}

    # Resolve the subexpressions in dependency order (depth first, with a cycle check).
    resolved, active = {}, set()

    def resolve(name):
        if name in resolved:
            return resolved[name]
        if name in active:
            raise ValueError(f"cyclic subexpression '{name}'")
        active.add(name)
        expr = subexpr[name]
        deps = {s: resolve(s.name) for s in expr.free_symbols if s.name in subexpr}
        resolved[name] = expr.xreplace(deps)
        active.discard(name)
        return resolved[name]

    def substitute(expr):
        return expr.xreplace({s: resolve(s.name) for s in expr.free_symbols
                              if s.name in subexpr})

    rhs = tuple(substitute(diff[name]) for name in order)
    symbols = {s.name: s for e in rhs for s in e.free_symbols}
    states = tuple(symbols.get(n, sympy.Symbol(n, real=True)) for n in order)
    t = symbols.get("t", sympy.Symbol("t", real=True))

    condition = substitute(str_to_sympy(SPIKE_CONDITION))
    if not isinstance(condition, (sympy.StrictGreaterThan, sympy.GreaterThan)):
        raise ValueError(f"cannot turn the threshold {SPIKE_CONDITION!r} into a crossing "
                         "(expected 'expression > value')")
    threshold = condition.lhs - condition.rhs

    total = next((eq.expr.code for eq in eqs.ordered
                  if eq.varname == TOTAL_CURRENT and eq.type == SUBEXPRESSION), "")
    names = [n for n in re.findall(r"[A-Za-z_]\w*", total) if n in subexpr]
    currents = tuple((name, resolve(name)) for name in dict.fromkeys(names))

    used = {s.name for e in (*rhs, threshold) for s in e.free_symbols}
    parameters = frozenset(n for n in eqs.parameter_names if n in used)
    return SymbolicModel(states, t, rhs, threshold, parameters, currents)
