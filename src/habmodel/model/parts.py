"""The building blocks of a cell: a :class:`Parameter` row and a :class:`Part`.

A part is one piece of the neuron model (a current, the Ca2+ pool, the NMDA
synapse, the injected current): its Brian2 equation lines, its state variables
with their initial values, the currents it adds to the membrane, the conductances
a drug can scale, and its rows of the parameter table. :class:`habmodel.model.cell.Cell`
assembles a list of parts into the one equation string that both engines, the
SciPy reference and the docs read, so a new part needs no edit anywhere else.

This module needs neither Brian2 nor NumPy: the parameter table is built from the
parts at import time and a command line stays fast.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["Parameter", "Part", "BRIAN_UNITS"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: The Brian2 unit (as written in an equation) of each display unit the built-in
#: parts use; a part may use any other unit Brian2 can read (see :meth:`Part.declarations`).
BRIAN_UNITS = MappingProxyType({
    "uF/cm2": "farad/meter**2", "um2": "meter**2", "K": "kelvin", "mS/cm2": "siemens/meter**2",
    "mV": "volt", "ms": "second", "1/ms": "1/second", "mM": "mmolar", "Hz": "hertz",
    "1": "1", "pA": "amp", "uM": "mmolar",
})


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    Attributes
    ----------
    name : str
        Name as used in the equations, the CLI (``--set NAME=VALUE``) and TOML.
    unit : str
        Display unit, parseable by :func:`habmodel.model.units.parse_quantity`
        (``"1"`` for dimensionless).
    default : float
        Default value, in ``unit``.
    low, high : float
        Valid range (inclusive), in ``unit``; values outside are rejected.
    meaning : str
        One-line meaning.
    source : str
        Where the value comes from.
    group : str
        Which part of the model it belongs to (for docs and TOML sections).
    """

    name: str
    unit: str
    default: float
    low: float
    high: float
    meaning: str
    source: str
    group: str

    def check(self, value: float) -> None:
        """Raise ``ValueError`` if ``value`` (in ``unit``) is not valid."""
        if not (value == value) or value in (float("inf"), float("-inf")):
            raise ValueError(f"{self.name}: expected a finite value in {self.unit}, got {value}")
        slack = 1e-9 * max(abs(self.low), abs(self.high), 1.0)  # unit-conversion round-off
        if not (self.low - slack <= value <= self.high + slack):
            raise ValueError(
                f"{self.name}: {value:g} {self.unit} is outside the valid range "
                f"[{self.low:g}, {self.high:g}] {self.unit}"
            )


def _brian_unit(unit: str) -> str:
    """The unit of an equation declaration for a display unit (``"nS"`` -> ``"siemens"``)."""
    known = BRIAN_UNITS.get(unit.strip())
    if known is not None:
        return known
    from brian2.units.fundamentalunits import get_unit

    from .units import unit_of

    return repr(get_unit(unit_of(unit).dim)).replace(" ", "") or "1"


@dataclass(frozen=True)
class Part:
    """One piece of the cell model.

    Attributes
    ----------
    name : str
        A short key, unique within a cell (``"T"``, ``"NMDA"``, ``"A"``).
    title : str
        One line that heads the part's equations (what it is and its source).
    equations : str
        Brian2 equation lines: differential equations of its state variables and
        subexpressions (a current density in ``amp/meter**2`` for each of ``currents``).
    currents : tuple of str
        Membrane current densities the part adds to ``I_ion`` (outward positive).
    states : mapping
        Initial value (SI units) of each state variable the part integrates.
    parameters : tuple of Parameter
        The part's rows of the parameter table (per-cell constants of the equations).
    drug_targets : tuple of str
        Names ``X`` of conductances a drug can scale: the part's equations use the
        per-cell factor ``avail_X`` (1 without drug).
    constants : tuple of str
        Other per-cell constants the part's equations use, set by the simulation or
        the drug layer, as Brian2 declarations (``"pore_load : 1"``).
    events : mapping
        What one glutamate event adds to which of the part's state variables
        (``{"x": "w_glu"}``).
    """

    name: str
    title: str
    equations: str
    currents: tuple = ()
    states: MappingProxyType = field(default_factory=dict)
    parameters: tuple = ()
    drug_targets: tuple = ()
    constants: tuple = ()
    events: MappingProxyType = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "currents", tuple(self.currents))
        object.__setattr__(self, "parameters", tuple(self.parameters))
        object.__setattr__(self, "drug_targets", tuple(self.drug_targets))
        object.__setattr__(self, "constants", tuple(self.constants))
        object.__setattr__(self, "states", MappingProxyType(
            {k: float(v) for k, v in dict(self.states).items()}))
        object.__setattr__(self, "events", MappingProxyType(dict(self.events)))
        where = f"part {self.name!r}"
        names = [self.name, *self.currents, *self.states, *self.drug_targets,
                 *(p.name for p in self.parameters if isinstance(p, Parameter))]
        for name in names:
            if not isinstance(name, str) or not _NAME.match(name):
                raise ValueError(f"{where}: {name!r} is not a valid name")
        for p in self.parameters:
            if not isinstance(p, Parameter):
                raise TypeError(f"{where}: parameters must be habmodel.Parameter rows, got "
                                f"{p!r}")
            if not p.low <= p.default <= p.high:
                raise ValueError(f"{where}: {p.name}'s default {p.default:g} {p.unit} is "
                                 f"outside its range [{p.low:g}, {p.high:g}]")
        text = self.equations
        for state in self.states:
            if not re.search(rf"(?m)^\s*d{state}/dt\s*=", text):
                raise ValueError(f"{where}: state variable {state!r} has no 'd{state}/dt = "
                                 "...' line in its equations")
        for current in self.currents:
            if not re.search(rf"(?m)^\s*{current}\s*=", text):
                raise ValueError(f"{where}: current {current!r} has no '{current} = ... : "
                                 "amp/meter**2' line in its equations")
        for var in self.events:
            if var not in self.states:
                raise ValueError(f"{where}: a glutamate event acts on {var!r}, which is not "
                                 "one of its state variables")

    def __reduce__(self):  # mapping proxies do not pickle: rebuild from plain values
        return (Part, (self.name, self.title, self.equations, self.currents, dict(self.states),
                       self.parameters, self.drug_targets, self.constants, dict(self.events)))

    def declarations(self) -> list[str]:
        """Brian2 declarations of the part's per-cell constants (parameters first)."""
        lines = [f"{p.name} : {_brian_unit(p.unit)} (constant)" for p in self.parameters]
        lines += [f"avail_{t} : 1 (constant)" for t in self.drug_targets]
        lines += [c if "(constant)" in c else f"{c} (constant)" for c in self.constants]
        return lines

    def block(self) -> str:
        """The part's equations under a comment line with its title."""
        head = f"# --- {self.title} "
        return head + "-" * max(3, 88 - len(head)) + "\n" + self.equations.strip("\n") + "\n"
