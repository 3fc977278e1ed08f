"""SymPy expressions of the model as LEMS: the printer and the standard NeuroML forms.

The NeuroML export (:mod:`habmodel.exports.neuroml`) never copies a rate or a steady
state by hand: it takes the expression from the cell's Brian2 equations (as SymPy, values
in SI) and either recognises one of NeuroML's standard forms in it (:func:`hh_form`:
``HHExpRate``, ``HHSigmoidRate``, ``HHExpLinearRate`` and their ``...Variable``
counterparts), checked numerically against the expression, or prints it as the value of
a LEMS ``DerivedVariable`` (:func:`lems`).

LEMS expressions must be dimensionally consistent and have no units inline, so every
dimensional name is divided by a constant of value 1 in SI (``v/VOLT``) and the result
multiplied by the constant of its own dimension (``PER_SEC*(...)``); the numbers are SI.
:data:`UNIT_CONSTANTS` are those constants, as ``<Constant>`` rows.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["UNIT_CONSTANTS", "DIMENSIONS", "lems", "numeric_function", "hh_form",
           "nml_quantity"]

#: LEMS constants of value 1 in SI, by dimension: (name, value as LEMS writes it).
UNIT_CONSTANTS = {"voltage": ("VOLT", "1V"), "time": ("SEC", "1s"),
                  "per_time": ("PER_SEC", "1per_s"), "concentration": ("MOLAR_SI", "1mol_per_m3"),
                  "current": ("AMP", "1A"), "conductance": ("SIEMENS", "1S"),
                  "temperature": ("KELVIN", "1K")}

#: habmodel display unit -> (LEMS dimension, NeuroML unit, factor from display to it).
DIMENSIONS = {"mV": ("voltage", "mV", 1.0), "ms": ("time", "ms", 1.0),
              "1/ms": ("per_time", "per_ms", 1.0), "Hz": ("per_time", "Hz", 1.0),
              "1": ("none", "", 1.0), "mM": ("concentration", "mM", 1.0),
              "uM": ("concentration", "mM", 1e-3), "K": ("temperature", "K", 1.0),
              "pA": ("current", "pA", 1.0), "mS/cm2": ("conductanceDensity", "mS_per_cm2", 1.0),
              "uF/cm2": ("specificCapacitance", "uF_per_cm2", 1.0), "um2": ("area", "um2", 1.0)}


def _number(x: float) -> str:
    if not math.isfinite(x):
        raise ValueError(f"cannot write the number {x} in a LEMS expression")
    text = repr(float(x))
    return f"(0 - {text[1:]})" if text.startswith("-") else text


def lems(expr, names: dict[str, str]) -> str:
    """``expr`` (SymPy, SI values) as a LEMS expression; ``names`` maps each free symbol's
    name to its LEMS text (``{"v": "(v/VOLT)"}``). Raises ``ValueError`` for what LEMS
    cannot express."""
    import sympy

    def p(e) -> str:
        if e.is_Number:
            return _number(float(e))
        if e.is_Symbol:
            if e.name not in names:
                raise ValueError(f"no LEMS name for {e.name!r} in {expr}")
            return names[e.name]
        if isinstance(e, sympy.Add):
            terms = list(e.as_ordered_terms())
            out = p(terms[0])
            for term in terms[1:]:
                out += f" - {p(-term)}" if term.could_extract_minus_sign() else f" + {p(term)}"
            return f"({out})"
        if isinstance(e, sympy.Mul):
            coeff, rest = e.as_coeff_Mul()
            if coeff < 0:
                return f"(0 - {p(-e)})"
            num, den = [], []
            for factor in sympy.Mul.make_args(e):
                base, power = factor.as_base_exp()
                if power.is_Number and power < 0:
                    den.append(base if power == -1 else base ** -power)
                else:
                    num.append(factor)
            top = " * ".join(p(f) for f in num) if num else "1"
            return f"({top} / ({' * '.join(p(f) for f in den)}))" if den else f"({top})"
        if isinstance(e, sympy.Pow):
            base, power = e.args
            if power.is_Number and power < 0:
                return f"(1 / {p(base ** -power)})"
            if power == sympy.Rational(1, 2):
                return f"sqrt({p(base)})"
            return f"({p(base)})^({p(power)})"
        if isinstance(e, sympy.exp):
            return f"exp({p(e.args[0])})"
        if isinstance(e, sympy.log):
            return f"ln({p(e.args[0])})"
        if type(e).__name__ == "exprel":  # Brian2's (exp(x) - 1)/x
            x = p(e.args[0])
            return f"((exp({x}) - 1) / {x})"
        raise ValueError(f"cannot write {type(e).__name__} in a LEMS expression: {e}")

    text = p(sympy.sympify(expr))
    return text[1:-1] if text.startswith("(") and _balanced(text[1:-1]) else text


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _exprel(x):
    x = np.asarray(x, float)
    safe = np.where(x == 0, 1.0, x)
    return np.where(x == 0, 1.0, np.expm1(safe) / safe)


def numeric_function(expr, symbols):
    """``expr`` as a NumPy function of ``symbols`` (Brian2's ``exprel`` included)."""
    import sympy

    return sympy.lambdify(symbols, expr, modules=[{"exprel": _exprel}, "numpy"])


#: The NeuroML forms (Channels.xml), as functions of v, rate, midpoint and scale (SI).
_FORMS = {
    "Exp": lambda v, r, m, s: r * np.exp((v - m) / s),
    "Sigmoid": lambda v, r, m, s: r / (1 + np.exp(-(v - m) / s)),
    "ExpLinear": lambda v, r, m, s: r * _exprel(-(v - m) / s) ** -1,
}

#: Membrane potentials (V) at which a recognised form must equal the expression.
_CHECK_V = np.linspace(-0.15, 0.08, 47) + 1.234e-5


def hh_form(expr, v, numeric=None) -> tuple[str, float, float, float] | None:
    """The standard NeuroML form of ``expr``, a function of the membrane potential ``v``
    once ``numeric`` (default: none) has put in the values: ``(form, rate, midpoint,
    scale)`` with ``form`` one of ``"Exp"``, ``"Sigmoid"``, ``"ExpLinear"`` (rate in the
    expression's SI unit, midpoint and scale in volts), or None if no form equals it (to
    1e-9) at every test voltage.

    The scale comes from the argument of an ``exp`` or ``exprel`` of ``expr`` (pass the
    expression before its values are put in: SymPy moves a number out of ``exp`` once it
    is one), the midpoint from that argument (the sigmoid's from two values of the
    function), the rate from one value.
    """
    import sympy

    numeric = numeric or (lambda e: e)
    values = numeric(sympy.sympify(expr))
    if {s.name for s in values.free_symbols} != {v.name}:
        return None
    f = numeric_function(values, [v])
    with np.errstate(all="ignore"):
        target = np.asarray(f(_CHECK_V), float) * np.ones_like(_CHECK_V)
    if not np.all(np.isfinite(target)):
        return None
    atoms = [a for a in sympy.preorder_traversal(sympy.sympify(expr))
             if isinstance(a, sympy.exp) or type(a).__name__ == "exprel"]
    for atom in atoms:
        arg = sympy.expand(numeric(atom.args[0]))
        slope, offset = arg.coeff(v, 1), arg.subs(v, 0)
        if not (slope.is_Number and offset.is_Number) or slope == 0 \
                or sympy.expand(arg - slope * v - offset) != 0:
            continue
        slope, offset = float(slope), float(offset)
        for form, rate, mid, scale in _candidates(f, slope, offset):
            with np.errstate(all="ignore"):
                guess = _FORMS[form](_CHECK_V, rate, mid, scale)
            tolerance = 1e-9 * np.abs(target) + 1e-12 * np.max(np.abs(target))
            if math.isfinite(rate) and rate != 0 and np.all(np.abs(guess - target) <= tolerance):
                return form, rate, mid, scale
    return None


def _candidates(f, slope: float, offset: float):
    """(form, rate, midpoint, scale) to try for an exponent ``slope*v + offset``."""
    mid = -offset / slope
    probe = mid + 0.0123  # away from the midpoint, where ExpLinear is 0/0
    with np.errstate(all="ignore"):
        for form, scale in (("Exp", 1 / slope), ("ExpLinear", -1 / slope),
                            ("Sigmoid", -1 / slope)):
            yield form, float(f(probe)) / _FORMS[form](probe, 1.0, mid, scale), mid, scale
        # r/(1 + K exp(slope*v)): 1/f is linear in exp(slope*v); K = exp(midpoint/scale)
        v1, v2 = -0.06, -0.06 + 1 / abs(slope)
        e1, e2 = math.exp(slope * v1), math.exp(slope * v2)
        y1, y2 = 1 / float(f(v1)), 1 / float(f(v2))
        k_over_r = (y1 - y2) / (e1 - e2)
        inv_r = y1 - k_over_r * e1
        if inv_r != 0 and k_over_r / inv_r > 0:
            scale = -1 / slope
            yield "Sigmoid", 1 / inv_r, scale * math.log(k_over_r / inv_r), scale
        # r x/(1 - exp(-x)), x = (v - m)/s, is r x far on the side where exp(-x) vanishes
        scale = -1 / slope
        far = 1.0 if scale > 0 else -1.0
        f1, f2 = float(f(far)), float(f(1.1 * far))
        if math.isfinite(f1) and math.isfinite(f2) and f2 != f1:
            rate = (f2 - f1) / (0.1 * far) * scale
            yield "ExpLinear", rate, far - f1 * scale / rate, scale


def nml_quantity(value: float, unit: str = "") -> str:
    """A NeuroML quantity, ``"-35mV"``: ``value`` (in ``unit``) with the fewest digits that
    keep it to 1e-11."""
    value = float(value)
    for digits in range(6, 18):
        text = f"{value:.{digits}g}"
        if abs(float(text) - value) <= 1e-11 * abs(value):
            break
    return text + unit
