"""NMODL mechanisms printed from a cell's parts (``habmodel export neuron``).

Every mechanism is generated from the Brian2 equation lines of the parts, turned into
SymPy by Brian2's own ``str_to_sympy`` (as :mod:`habmodel.engines.symbolic` does for the
fast kernel and the SciPy reference), so a part has no second, hand-written copy.

Units. habmodel's equations carry Brian2 units (``mV``, ``ms``, ``uA/cm**2``, ``volt``,
``kelvin``, ...). Where the fast kernel replaces each unit name by its SI value, the
NMODL files replace it by its value in a coherent system whose base units are cm,
1e-11 kg, ms, mA, K, umol: in that system mV, ms, mA/cm2, S/cm2, mM and 1/ms are all 1,
which are NEURON's own units. Because Brian2 checked every equation for consistent
dimensions, an equation evaluated in any coherent system gives the same quantity in that
system's units: ``(v + 57*mV)/(6.2*mV)`` becomes ``(v + 57)/6.2`` with ``v`` in mV, and a
parameter's NEURON value is its habmodel value times :func:`to_neuron` of its unit
(``g_T = 1.5 mS/cm2`` -> ``0.0015`` S/cm2).

Mechanisms. The part that owns ``v`` is NEURON's membrane itself (``cm``, the section's
area; its equation must be ``dv/dt = (I_inj/area - I_ion)/C_m``). Every other part with
currents or state variables is one mechanism, ``hm_<part>``:

* a density mechanism (``SUFFIX``, ``NONSPECIFIC_CURRENT`` in mA/cm2);
* a ``POINT_PROCESS`` if the part receives glutamate events (its ``NET_RECEIVE(n_events)``
  adds ``n_events`` times the part's event increment); its currents are still densities
  of the part's own conductances (mA/cm2), and its one ``NONSPECIFIC_CURRENT i`` (nA) is
  their sum times the area of the segment;
* the part that defines the injected current ``I_inj`` is a ``POINT_PROCESS`` with an
  ``ELECTRODE_CURRENT`` (nA).

A quantity of another part that depends on parameters only (``E_K``, the Nernst
potential of the membrane part) is computed again inside each mechanism that uses it,
from the same parameters, which then belong to that mechanism too (the cell sets every
copy to one value). Parts that read each other's state variables are merged into one
mechanism.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from functools import reduce

from .nmodl_text import in_neuron_units, nmodl_printer, render

__all__ = ["BASE_UNITS", "Mechanism", "NeuronModel", "neuron_model", "to_neuron", "neuron_unit",
           "RESERVED"]

#: The base units of the NMODL files, in SI, in the order of Brian2's dimensions (length,
#: mass, time, current, temperature, amount, luminosity). Density mechanisms and synapses:
#: cm, 1e-11 kg, ms, mA, K, umol, cd (mV, ms, mA/cm2, S/cm2, mM are 1); the injected
#: current: um, 1e-9 kg, ms, nA, K, 1e-18 mol, cd (mV, ms, nA, uS, um2, mM are 1).
BASE_UNITS = {
    "density": (Fraction(1, 100), Fraction(1, 10**11), Fraction(1, 1000), Fraction(1, 1000),
                Fraction(1), Fraction(1, 10**6), Fraction(1)),
    "electrode": (Fraction(1, 10**6), Fraction(1, 10**9), Fraction(1, 1000),
                  Fraction(1, 10**9), Fraction(1), Fraction(1, 10**18), Fraction(1)),
}

_COMMON = {(0, 0, 0, 0, 0, 0, 0): "1", (2, 1, -3, -1, 0, 0, 0): "mV", (0, 0, 1, 0, 0, 0, 0): "ms",
           (0, 0, -1, 0, 0, 0, 0): "/ms", (-3, 0, 0, 0, 0, 1, 0): "mM",
           (0, 0, 0, 0, 1, 0, 0): "K"}

#: How the NMODL files label the units of the dimensions they meet.
_LABELS = {
    "density": {**_COMMON, (-4, -1, 3, 2, 0, 0, 0): "S/cm2", (-2, 0, 0, 1, 0, 0, 0): "mA/cm2",
                (2, 0, 0, 0, 0, 0, 0): "cm2", (0, 0, 0, 1, 0, 0, 0): "mA",
                (-2, -1, 3, 2, 0, 0, 0): "S", (-4, -1, 4, 2, 0, 0, 0): "mF/cm2"},
    "electrode": {**_COMMON, (0, 0, 0, 1, 0, 0, 0): "nA", (2, 0, 0, 0, 0, 0, 0): "um2",
                  (-2, -1, 3, 2, 0, 0, 0): "uS", (-2, -1, 4, 2, 0, 0, 0): "nF"},
}

#: Names a variable of a part cannot have in an NMODL file (NEURON's own variables, NMODL
#: keywords and constants, C++ keywords, and the names the generated files use).
RESERVED = frozenset("""v t dt i area diam celsius secondorder PI FARADAY R DEG GAMMA
e_ion n_events hm_exprel states NEURON UNITS PARAMETER ASSIGNED STATE INITIAL BREAKPOINT
DERIVATIVE KINETIC FUNCTION PROCEDURE NET_RECEIVE LOCAL SOLVE METHOD SUFFIX POINT_PROCESS
ARTIFICIAL_CELL RANGE GLOBAL POINTER BBCOREPOINTER EXTERNAL THREADSAFE USEION READ WRITE
VALENCE NONSPECIFIC_CURRENT ELECTRODE_CURRENT CONSTANT INDEPENDENT DEFINE INCLUDE TITLE
COMMENT ENDCOMMENT VERBATIM ENDVERBATIM TABLE DEPEND FROM TO WITH CONSERVE COMPARTMENT
LINEAR NONLINEAR WATCH FOR_NETCONS RANDOM CONDUCTANCE REPRESENTS UNITSON UNITSOFF if else
while flag net_send net_event net_move exp log log10 fabs sqrt pow sin cos tan floor ceil
auto break case char class const continue default delete do double else enum extern float
for goto inline int long new register return short signed sizeof static struct switch
template this typedef union unsigned void volatile""".split())


def _dims(dimension) -> tuple[int, ...]:
    dims = tuple(float(d) for d in dimension._dims)
    if any(d != round(d) for d in dims):
        raise ValueError(f"NEURON export: fractional dimensions {dimension} are not supported")
    return tuple(int(round(d)) for d in dims)


def _scale(dims, kind: str = "density") -> Fraction:
    """The SI value of the NMODL unit of a dimension."""
    system = BASE_UNITS["electrode" if kind == "electrode" else "density"]
    return reduce(lambda acc, pair: acc * pair[0] ** pair[1], zip(system, dims, strict=True),
                  Fraction(1))


def _label(dims, kind: str = "density") -> str:
    labels = _LABELS["electrode" if kind == "electrode" else "density"]
    return labels.get(dims) or f"{float(_scale(dims, kind)):g} SI"


def _exact(value: float) -> Fraction:
    return Fraction(repr(float(value)))


def neuron_unit(unit: str, kind: str = "density") -> str:
    """The unit of the NMODL files of a ``kind`` of mechanism (``"density"``, ``"point"``,
    ``"electrode"``) for a habmodel display unit (``"mS/cm2"`` -> ``"S/cm2"``); units of
    rarer dimensions are written as SI multiples."""
    from ..model.units import unit_of

    return _label(_dims(unit_of(unit).dim), kind)


def to_neuron(unit: str, kind: str = "density") -> float:
    """The factor from a habmodel display unit to the unit of the NMODL files of a ``kind``
    of mechanism (``"mS/cm2"`` -> 0.001: 1 mS/cm2 is 0.001 S/cm2; ``"pA"`` in the injected
    current -> 0.001 nA)."""
    return float(_factor(unit, kind))


def _factor(unit: str, kind: str) -> Fraction:
    from ..model.units import si_scale, unit_of

    return _exact(si_scale(unit)) / _scale(_dims(unit_of(unit).dim), kind)


@dataclass
class Mechanism:
    """One NMODL mechanism: its name, kind, parts, what it declares, and its source."""

    name: str
    kind: str  # "density", "point" (glutamate events) or "electrode" (injected current)
    parts: tuple
    title: str
    parameters: dict  # per-cell constant -> (NEURON value, factor, "table"/"constant", unit)
    states: tuple
    currents: tuple
    events: dict = field(default_factory=dict)
    text: str = ""
    blocks: dict = field(default_factory=dict, repr=False)


@dataclass
class NeuronModel:
    """The cell as NEURON sees it: its mechanisms and the membrane's initial potential
    (``C_m`` is NEURON's ``cm``, ``area`` the area of the one section)."""

    mechanisms: list
    v_init_mV: float


class _Equations:
    """A cell's equations as SymPy, with the part each name belongs to."""

    def __init__(self, cell):
        import brian2
        from brian2.equations.equations import DIFFERENTIAL_EQUATION, PARAMETER, SUBEXPRESSION
        from brian2.parsing.sympytools import str_to_sympy

        full = brian2.Equations(cell.full_equations())
        self.dims = {eq.varname: _dims(eq.dim) for eq in full.ordered}
        self.code = {eq.varname: eq.expr.code for eq in full.ordered if eq.expr is not None}
        self.expr = {name: str_to_sympy(code) for name, code in self.code.items()}
        self.subexpr = {eq.varname for eq in full.ordered if eq.type == SUBEXPRESSION}
        self.states = [eq.varname for eq in full.ordered if eq.type == DIFFERENTIAL_EQUATION]
        self.constants = {eq.varname for eq in full.ordered if eq.type == PARAMETER}
        self.owner = {}
        for index, part in enumerate(cell.parts):
            for eq in brian2.Equations(part.equations).ordered:
                self.owner[eq.varname] = index
        self.events = {var: str_to_sympy(code) for var, code in cell.glutamate_event.items()}

    def names(self, expr) -> set[str]:
        return {s.name for s in expr.free_symbols}

    def closure(self, roots) -> list[str]:
        """The subexpressions that ``roots`` need, in dependency order (roots included)."""
        order, seen = [], set()

        def visit(name, path):
            if name in seen or name not in self.subexpr:
                return
            if name in path:
                raise ValueError(f"cyclic subexpression {name!r}")
            for dep in sorted(self.names(self.expr[name])):
                visit(dep, path | {name})
            seen.add(name)
            order.append(name)

        for root in roots:
            visit(root, frozenset())
        return order

    def resolved(self, name: str):
        """The expression of ``name`` with every subexpression substituted."""
        expr = self.expr[name]
        for sub in reversed(self.closure(sorted(self.names(expr)))):
            expr = expr.xreplace({s: self.expr[sub] for s in expr.free_symbols
                                  if s.name == sub})
        return expr


def _unit_values(eqs: _Equations, exprs, kind: str) -> dict:
    """Every Brian2 unit name in ``exprs``, as its exact value in the NMODL units."""
    import sympy
    from brian2.core.namespace import DEFAULT_UNITS

    known = set(eqs.dims) | {"t"}
    out = {}
    for expr in exprs:
        for symbol in expr.free_symbols:
            if symbol.name in known or symbol in out:
                continue
            if symbol.name not in DEFAULT_UNITS:
                raise ValueError(f"NEURON export: unknown name {symbol.name!r} in the equations")
            unit = DEFAULT_UNITS[symbol.name]
            value = _exact(float(unit)) / _scale(_dims(unit.dim), kind)
            out[symbol] = sympy.Rational(value.numerator, value.denominator)
    return out


def _groups(cell, eqs: _Equations, membrane: int) -> list[list[int]]:
    """The parts of each mechanism: parts that read each other's state variables (or a
    quantity that depends on one) are merged."""
    parent = list(range(len(cell.parts)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    state_owner = {s: eqs.owner[s] for s in eqs.states}
    for index in range(len(cell.parts)):
        if index == membrane:
            continue
        own = [n for n, o in eqs.owner.items() if o == index and n in eqs.expr]
        used = set().union(set(), *(eqs.names(eqs.expr[n]) for n in own),
                           *(eqs.names(e) for v, e in eqs.events.items()
                             if eqs.owner.get(v) == index))
        for name in eqs.closure(sorted(used)) + sorted(used):
            deps = eqs.names(eqs.expr[name]) if name in eqs.subexpr else {name}
            for dep in deps | {name}:
                other = state_owner.get(dep)
                if other is not None and other != membrane and other != index:
                    parent[find(other)] = find(index)
    groups: dict[int, list[int]] = {}
    for index in range(len(cell.parts)):
        if index != membrane:
            groups.setdefault(find(index), []).append(index)
    return list(groups.values())


def neuron_model(cell, values: dict, constants: dict, version: str = "") -> NeuronModel:
    """The NMODL mechanisms of ``cell`` (a :class:`habmodel.Cell` with the Hill ketamine
    model), carrying ``values`` (every table parameter, display units) and ``constants``
    (the drug slots ``avail_<target>``, ``pore_load``, ``pore_delta`` and ``t_offset``, in
    SI) as the defaults of their ``PARAMETER`` blocks."""
    eqs = _Equations(cell)
    if "v" not in eqs.owner:
        raise ValueError("NEURON export: the cell has no membrane potential 'v'")
    membrane = eqs.owner["v"]
    _check_membrane(cell, eqs, membrane)
    table = cell.parameters

    def default(name: str, kind: str) -> tuple[float, float, str]:
        """``(value, factor, source)``: the NEURON value of ``name`` in a ``kind`` of
        mechanism, and the factor from habmodel's value (display unit for a table
        parameter, SI for a constant) to it."""
        if name in table:
            factor = _factor(table[name].unit, kind)
            return float(_exact(values[name]) * factor), float(factor), "table"
        if name not in constants:
            raise ValueError(f"NEURON export: no value for the constant {name!r}")
        factor = 1 / _scale(eqs.dims[name], kind)
        return float(_exact(constants[name]) * factor), float(factor), "constant"

    mechanisms = [mech for group in _groups(cell, eqs, membrane)
                  if (mech := _mechanism(cell, group, eqs, default)) is not None]
    names = [m.name for m in mechanisms]
    if len(set(names)) != len(names):
        raise ValueError(f"NEURON export: two mechanisms would have the same name: {names}")
    for mech in mechanisms:
        mech.text = render(mech, version)
    v_init = float(_exact(cell.initial_state()["v"]) * 1000)
    return NeuronModel(mechanisms, v_init)


def _check_membrane(cell, eqs: _Equations, membrane: int) -> None:
    import sympy

    part = cell.parts[membrane]
    extra = [s for s in part.states if s != "v"]
    if extra:
        raise ValueError(f"NEURON export: the membrane part {part.name!r} has state variables "
                         f"besides v ({', '.join(extra)})")
    rhs = eqs.expr["v"]
    sym = {s.name: s for s in rhs.free_symbols}
    wrong = ValueError("NEURON export: the membrane equation must be dv/dt = (I_inj/area - "
                       f"I_ion)/C_m, got dv/dt = {eqs.code['v']}")
    if set(sym) not in ({"I_ion", "C_m"}, {"I_ion", "C_m", "I_inj", "area"}):
        raise wrong
    expected = -sym["I_ion"] / sym["C_m"]
    if "I_inj" in sym:
        expected = (sym["I_inj"] / sym["area"] - sym["I_ion"]) / sym["C_m"]
    if sympy.simplify(rhs - expected) != 0:
        raise wrong
    total = eqs.expr["I_ion"]
    terms = total.args if total.is_Add else (total,)
    if sorted(str(t) for t in terms) != sorted(cell.currents) and cell.currents:
        raise ValueError("NEURON export: I_ion must be the sum of the parts' currents")


def _mechanism(cell, group, eqs: _Equations, default):
    """The mechanism of the parts ``group`` (indices into ``cell.parts``), or None if they
    have no currents and no state variables (their quantities are copied where used)."""
    import sympy

    parts = [cell.parts[i] for i in group]
    own = {n for n, o in eqs.owner.items() if o in group}
    states = [s for s in eqs.states if s in own]
    currents = [c for p in parts for c in p.currents]
    events = {v: e for v, e in eqs.events.items() if v in own}
    injection = "I_inj" in own
    what = f"part {parts[0].name!r}"
    if injection and (states or currents or events):
        raise ValueError(f"NEURON export: {what} defines I_inj and other currents or states; "
                         "give the injected current a part of its own")
    if not (states or currents or injection):
        return None
    kind = "electrode" if injection else ("point" if events else "density")
    name = "hm_" + "_".join(p.name for p in parts)
    for candidate in sorted(own | {name}):
        if candidate in RESERVED:
            raise ValueError(f"NEURON export: {what}: the name {candidate!r} cannot be used in "
                             "NEURON; rename it")
    for_current = eqs.closure(["I_inj"] if injection else currents)
    read = set().union(*(eqs.names(eqs.expr[s]) for s in states))
    for_states = eqs.closure(sorted(read))
    used = set().union(*(eqs.names(eqs.expr[n]) for n in [*for_current, *for_states, *states]),
                       *(eqs.names(e) for e in events.values()))
    for other in sorted(used):
        if other in RESERVED and other not in ("v", "t"):
            raise ValueError(f"NEURON export: {what} uses {other!r}, which means something "
                             "else in NEURON; give it another name")
        if other in eqs.states and other != "v" and other not in states:
            raise ValueError(f"NEURON export: {what} reads the state {other!r} of another part")
        if other == "I_ion" or (other == "I_inj" and not injection):
            raise ValueError(f"NEURON export: {what} reads {other}, which belongs to the "
                             "membrane")
    units = _unit_values(eqs, [eqs.expr[n] for n in {*for_current, *for_states, *states}]
                         + list(events.values()), kind)
    printer = nmodl_printer()

    def show(expr) -> str:
        return printer(in_neuron_units(expr, units))

    def initial(state) -> str:
        start = _exact(cell.initial_state()[state]) / _scale(eqs.dims[state], kind)
        return repr(float(start))

    parameters = {n: (*default(n, kind), _label(eqs.dims[n], kind))
                  for n in sorted(used) if n in eqs.constants}
    mech = Mechanism(name, kind, tuple(p.name for p in parts), "; ".join(p.title for p in parts),
                     parameters, tuple(states), tuple(currents),
                     {v: show(e) for v, e in events.items()})
    linear = all(sympy.diff(eqs.resolved(s), sympy.Symbol(s, real=True), 2) == 0
                 for s in states)
    mech.blocks = {
        "assigned": [(n, _label(eqs.dims[n], kind)) for n in dict.fromkeys(for_current
                                                                            + for_states)],
        "breakpoint": [(n, show(eqs.expr[n]), eqs.code[n]) for n in for_current],
        "derivative": [(n, show(eqs.expr[n]), eqs.code[n]) for n in for_states],
        "states": [(s, show(eqs.expr[s]), eqs.code[s], initial(s), _label(eqs.dims[s], kind))
                   for s in states],
        "method": "cnexp" if linear else "derivimplicit",
    }
    return mech
