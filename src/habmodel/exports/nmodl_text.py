"""The text of an NMODL file: SymPy expressions in NEURON's units, printed as NMODL, and
the blocks of a mechanism (:mod:`habmodel.exports.nmodl` decides what goes in them)."""

from __future__ import annotations

from functools import reduce

__all__ = ["in_neuron_units", "nmodl_printer", "render"]


def in_neuron_units(expr, units: dict):
    """``expr`` with each unit name replaced by its value, keeping the written structure
    (numbers of a product or sum are combined; nothing is expanded)."""
    import sympy

    def walk(e):
        if e in units:
            return units[e]
        if e.is_Atom:
            return e
        args = [walk(a) for a in e.args]
        if isinstance(e, (sympy.Mul, sympy.Add)):
            numbers = [a for a in args if a.is_Number]
            rest = [a for a in args if not a.is_Number]
            neutral = sympy.Integer(1 if isinstance(e, sympy.Mul) else 0)
            coeff = reduce(lambda x, y: x * y if isinstance(e, sympy.Mul) else x + y, numbers,
                           neutral)
            if isinstance(e, sympy.Mul) and coeff == 0:
                return sympy.Integer(0)
            args = rest if coeff == neutral else [coeff, *rest]
            if not args:
                return neutral
            return args[0] if len(args) == 1 else e.func(*args, evaluate=False)
        if isinstance(e, sympy.Pow):
            base, power = args
            if base == 1:
                return sympy.Integer(1)
            if base.is_Number and power.is_Number:
                return base**power
            return sympy.Pow(base, power, evaluate=False)
        return e.func(*args)

    return walk(expr)


def nmodl_printer():
    """A function that prints a SymPy expression as NMODL (``exprel`` as ``hm_exprel``,
    integer powers as products, logic as ``&&``/``||``)."""
    import sympy
    from sympy.printing.c import C99CodePrinter

    class Printer(C99CodePrinter):
        def _print_Float(self, expr):
            return repr(float(expr))

        def _print_Rational(self, expr):
            value = float(expr)
            text = repr(value)
            return text if len(text) <= 10 else f"({expr.p}.0/{expr.q}.0)"

        def _print_Integer(self, expr):
            return str(int(expr))

        def _print_Pow(self, expr):
            base, power = expr.args
            b = self.parenthesize(base, 1000)
            if power.is_Integer and 1 < abs(int(power)) <= 4:
                product = "*".join([b] * abs(int(power)))
                return f"({product})" if power > 0 else f"(1/({product}))"
            if power == -1:
                return f"(1/{b})"
            if power == sympy.S.Half:
                return f"sqrt({self._print(base)})"
            return f"{b}^({self._print(power)})"

        def _print_And(self, expr):
            return "(" + " && ".join(f"({self._print(a)})" for a in expr.args) + ")"

        def _print_Or(self, expr):
            return "(" + " || ".join(f"({self._print(a)})" for a in expr.args) + ")"

        def _print_Not(self, expr):
            return f"!({self._print(expr.args[0])})"

        def _print_Abs(self, expr):
            return f"fabs({self._print(expr.args[0])})"

        def _print_Piecewise(self, expr):
            raise ValueError("NEURON export: a conditional expression has no NMODL form")

        def _print_Min(self, expr):
            raise ValueError("NEURON export: min() has no NMODL form here")

        _print_Max = _print_Min

        def _print_Function(self, expr):
            name = type(expr).__name__
            args = ", ".join(self._print(a) for a in expr.args)
            if name == "exprel":
                return f"hm_exprel({args})"
            if name == "int_":  # int() of a condition: 1 or 0 (NMODL's logic gives 1 or 0)
                if not isinstance(expr.args[0], sympy.logic.boolalg.Boolean):
                    raise ValueError("NEURON export: int() of a number has no NMODL form here")
                return f"({args})"
            if name in ("exp", "log", "sqrt", "sin", "cos", "tan", "log10", "floor", "ceil"):
                return f"{name}({args})"
            raise ValueError(f"NEURON export: the function {name!r} has no NMODL form")

    printer = Printer({"allow_unknown_functions": True})
    return printer.doprint


_EXPREL = """
FUNCTION hm_exprel(z) {
    : (exp(z) - 1)/z, exact at 0 (Brian2's exprel)
    if (fabs(z) < 1e-4) {
        hm_exprel = 1 + z*(0.5 + z*(1/6 + z/24))
    } else {
        hm_exprel = (exp(z) - 1)/z
    }
}
"""


def _comment(code: str) -> str:
    return " ".join(code.split())


def render(mech, version: str) -> str:
    """The NMODL text of a :class:`habmodel.exports.nmodl.Mechanism`."""
    b = mech.blocks
    point = mech.kind in ("point", "electrode")
    head = [f"POINT_PROCESS {mech.name}" if point else f"SUFFIX {mech.name}"]
    if mech.kind == "electrode":
        head.append("ELECTRODE_CURRENT i")
    elif point:
        head.append("NONSPECIFIC_CURRENT i")
    elif mech.currents:
        head.append("NONSPECIFIC_CURRENT " + ", ".join(mech.currents))
    ranged = [*mech.parameters, *(n for n, _ in b["assigned"])]
    units = ("mV, ms, nA, uS, um2" if mech.kind == "electrode"
             else "mV, ms, mA/cm2, S/cm2, mM, K" + (" (i in nA)" if point else ""))
    out = [f"TITLE {mech.name}: {mech.title}",
           f": Generated by habmodel {version} (habmodel export neuron) from the part(s) "
           f"{', '.join(mech.parts)};",
           f": do not edit (export again after changing a part). Units: {units}.",
           "", "NEURON {", *(f"    {line}" for line in head)]
    out += ["    RANGE " + ", ".join(ranged[k:k + 8]) for k in range(0, len(ranged), 8)]
    out += ["    THREADSAFE", "}", "", "PARAMETER {"]
    out += [f"    {n} = {value!r} ({unit})" for n, (value, _, _, unit) in mech.parameters.items()]
    out += ["}", "", "ASSIGNED {", "    v (mV)",
            *(["    i (nA)", "    area (um2)  : the segment's (NEURON sets it)"] if point else [])]
    out += [f"    {n} ({unit})" for n, unit in b["assigned"]]
    out.append("}")
    if mech.states:
        out += ["", "STATE {", *(f"    {s} ({unit})" for s, *_, unit in b["states"]), "}",
                "", "INITIAL {", *(f"    {s} = {start}" for s, _, _, start, _ in b["states"]),
                "}"]
    out += ["", "BREAKPOINT {"]
    if mech.states:
        out.append(f"    SOLVE states METHOD {b['method']}")
    for n, text, code in b["breakpoint"]:
        out += [f"    : {n} = {_comment(code)}", f"    {n} = {text}"]
    if mech.kind == "electrode":
        out.append("    i = I_inj  : nA, positive into the cell")
    elif point:
        total = " + ".join(mech.currents) or "0"
        out.append(f"    i = ({total})*area*0.01  : mA/cm2 x um2 (the segment's area) -> nA")
    out.append("}")
    if mech.states:
        out += ["", "DERIVATIVE states {"]
        for n, text, code in b["derivative"]:
            out += [f"    : {n} = {_comment(code)}", f"    {n} = {text}"]
        for s, text, code, _, _ in b["states"]:
            out += [f"    : d{s}/dt = {_comment(code)}", f"    {s}' = {text}"]
        out.append("}")
    if mech.events:
        out += ["", "NET_RECEIVE(n_events) {",
                "    : n_events glutamate events at this time (the NetCon's weight)"]
        out += [f"    {v} = {v} + n_events*({text})" for v, text in mech.events.items()]
        out.append("}")
    if any("hm_exprel(" in line for line in out):
        out.append(_EXPREL.rstrip("\n"))
    return "\n".join(out) + "\n"
