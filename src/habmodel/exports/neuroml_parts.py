"""The pieces of a NeuroML export (dataclasses) and the cell's equations as SymPy.

:class:`CellEquations` parses a cell's Brian2 equations with one parameter set; the
dataclasses are what :func:`habmodel.exports.neuroml_cell.describe_cell` finds in them and
:mod:`habmodel.exports.neuroml_files` writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .neuroml_expr import UNIT_CONSTANTS, lems

__all__ = ["Custom", "Gate", "Channel", "Pool", "Synapse", "NmlCell", "CellEquations",
           "split_drive", "add_custom"]


@dataclass
class Custom:
    """A generated LEMS ComponentType of one function (a rate, a time course, ...)."""

    name: str
    extends: str
    exposure: str
    dimension: str
    value: str
    description: str


@dataclass
class Gate:
    """One gate of an ion channel: its element, instances, children and q10 settings."""

    id: str
    element: str
    instances: int
    children: list
    q10: dict | None = None


@dataclass
class Channel:
    """One ion channel and its density on the cell."""

    id: str
    current: str
    ion: str
    erev_V: float
    density_SI: float
    gates: list


@dataclass
class Pool:
    """The Ca2+ pool as a fixed-factor concentration model (SI values)."""

    state: str
    currents: tuple
    rho_SI: float
    decay_s: float
    resting_SI: float
    initial_SI: float


@dataclass
class Synapse:
    """A glutamate synapse made from a part with events (LEMS text of its dynamics)."""

    id: str
    current: str
    type_name: str
    erev_V: float
    gbase_S: float
    parameters: list  # (name, LEMS dimension, NeuroML value)
    states: dict  # name -> (initial value, LEMS rate of change)
    open_fraction: str
    events: dict  # state -> LEMS value after the event
    blocks: list  # (type, attributes)
    description: str


@dataclass
class NmlCell:
    """Everything the NeuroML writer needs, in SI units."""

    channels: list
    pool: Pool | None
    synapses: list
    customs: list
    capacitance_SI: float
    area_SI: float
    v0_V: float
    threshold_V: float
    temperature_K: float
    injection: dict


class CellEquations:
    """The cell's equations as SymPy, with the values of one parameter set (SI)."""

    def __init__(self, cell, si: dict[str, float]):
        import brian2
        import sympy
        from brian2.core.namespace import DEFAULT_UNITS
        from brian2.equations.equations import DIFFERENTIAL_EQUATION, SUBEXPRESSION
        from brian2.parsing.sympytools import str_to_sympy

        eqs = brian2.Equations(cell.full_equations())
        self.sub = {e.varname: str_to_sympy(e.expr.code) for e in eqs.ordered
                    if e.type == SUBEXPRESSION}
        self.diff = {e.varname: str_to_sympy(e.expr.code) for e in eqs.ordered
                     if e.type == DIFFERENTIAL_EQUATION}
        self.values = {n: float(u) for n, u in DEFAULT_UNITS.items()} | dict(si)
        self.v = sympy.Symbol("v", real=True)
        self.states = set(self.diff)
        self.parse = str_to_sympy

    def resolve(self, expr, keep=()):
        """``expr`` with every subexpression (but ``keep``) substituted."""
        while True:
            found = {s: self.sub[s.name] for s in expr.free_symbols
                     if s.name in self.sub and s.name not in keep}
            if not found:
                return expr
            expr = expr.xreplace(found)

    def numeric(self, expr, keep=()):
        """``expr`` resolved, with values for all names but ``keep``, ``v`` and states;
        ``v`` and the states are the plain symbols ``v``, ``m``, ... (SI)."""
        import sympy

        expr = self.resolve(expr, keep)
        out = {}
        for s in expr.free_symbols:
            if s.name in keep or s.name in self.states:
                out[s] = sympy.Symbol(s.name, real=True)
            elif s.name in self.values:
                out[s] = sympy.Float(self.values[s.name], 17)
            else:
                raise ValueError(f"no value for {s.name!r} in {expr}")
        return expr.xreplace(out)

    def names(self, expr) -> set[str]:
        """The state variables (``v`` included) that ``expr`` depends on."""
        return {s.name for s in self.resolve(expr).free_symbols} & self.states

    def number(self, expr) -> float:
        """``expr`` as a number (``ValueError`` if it depends on v or a state)."""
        value = self.numeric(expr)
        if not value.is_Number:
            raise ValueError(f"expected a constant, got {value}")
        return float(value)


def split_drive(eq: CellEquations, expr, what: str):
    """Split ``expr`` (a current) into its factors but ``v - E``, the number E and E's
    name (``"E_K"``)."""
    import sympy

    factors = list(sympy.Mul.make_args(expr))
    drives = [f for f in factors if isinstance(f, sympy.Add) and eq.v in f.free_symbols
              and eq.v not in sympy.expand(f - eq.v).free_symbols]
    if len(drives) != 1:
        raise ValueError(f"cannot export {what}: expected a current of the form "
                         f"g*gates*(v - E), got {expr}")
    reversal = sympy.expand(eq.v - drives[0])
    factors.remove(drives[0])
    names = [s.name for s in reversal.free_symbols]
    return factors, eq.number(reversal), names[0] if len(names) == 1 else ""


def add_custom(eq, customs, name, extends, exposure, dimension, expr, names, description):
    """Append a generated ComponentType of ``expr`` (exposure ``exposure``) to ``customs``."""
    constant = UNIT_CONSTANTS.get(dimension)
    text = lems(eq.numeric(expr), names)
    value = f"{constant[0]} * ({text})" if constant else text
    customs.append(Custom(name, extends, exposure, dimension, value, description))
    return name
