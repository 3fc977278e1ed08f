"""Units at the boundary: parse strings like ``"2 uM"`` and check Brian2 quantities.

Inside habmodel, parameter values are plain floats in each parameter's display
unit (see :mod:`habmodel.model.parameters`). Users hand in Brian2 quantities (Python
API) or strings (CLI, TOML); this module converts both, and rejects a wrong
dimension with a message that names the parameter and the expected unit.
"""

from __future__ import annotations

import ast
import math
import re
import sys
from functools import cache

__all__ = ["parse_quantity", "unit_of", "to_display", "to_quantity", "is_quantity",
           "si_scale", "split_number"]

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan)\s*(.*?)\s*$",
                     re.IGNORECASE)


def split_number(text: str) -> tuple[float, str] | None:
    """``"10 uM"`` -> ``(10.0, "uM")``, ``"10"`` -> ``(10.0, "")``; None if ``text``
    does not start with a number."""
    match = _NUMBER.match(text)
    return (float(match.group(1)), match.group(2)) if match else None


# Names Brian2 does not define: name -> (Brian2 unit, factor).
_ALIASES = {"s": ("second", 1.0), "sec": ("second", 1.0), "min": ("second", 60.0),
            "h": ("second", 3600.0), "K": ("kelvin", 1.0)}


@cache
def unit_of(text: str):
    """The Brian2 unit (a Quantity) that a unit string such as ``"mS/cm2"`` names."""
    import brian2

    text = text.strip().replace("µ", "u").replace("μ", "u").replace("^", "**")
    if text in ("", "1"):
        return brian2.Quantity(1.0)
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError:
        raise ValueError(f"cannot read the unit '{text}'") from None

    def ev(node):
        if isinstance(node, ast.Name):
            if node.id in _ALIASES:
                return _ALIASES[node.id][1] * getattr(brian2, _ALIASES[node.id][0])
            unit = getattr(brian2.units.allunits, node.id, None)
            if unit is None:
                unit = getattr(brian2, node.id, None)
            if unit is None or not isinstance(unit, brian2.Quantity):
                raise ValueError(f"unknown unit '{node.id}'")
            return unit
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div, ast.Pow)):
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                return left / right
            if not isinstance(right, (int, float)):
                raise ValueError(f"cannot read the unit '{text}'")
            return left**right
        raise ValueError(f"cannot read the unit '{text}'")

    result = ev(tree)
    return result if isinstance(result, brian2.Quantity) else brian2.Quantity(result)


def parse_quantity(text: str, name: str = "value", expected_unit: str | None = None):
    """Parse ``"2uM"``, ``"2 µM"``, ``"500 ms"``, ``"2.2 mS/cm2"`` into a Brian2 Quantity.

    A bare number is read in ``expected_unit`` when one is given. With
    ``expected_unit`` the dimension is checked; errors are ``ValueError`` naming
    ``name``.
    """
    if not isinstance(text, str):
        raise ValueError(f"{name}: expected a string such as '2 uM', got {text!r}")
    match = _NUMBER.match(text)
    if not match:
        unit_hint = f" in {expected_unit}" if expected_unit else ""
        raise ValueError(f"{name}: cannot read '{text}' as a number{unit_hint}")
    number = float(match.group(1))
    unit_text = match.group(2)
    if not math.isfinite(number):
        raise ValueError(f"{name}: expected a finite number, got '{text}'")
    if not unit_text:
        unit_text = expected_unit or "1"
    elif unit_text.startswith("/"):
        unit_text = "1" + unit_text
    try:
        quantity = number * unit_of(unit_text)
    except ValueError as err:
        raise ValueError(f"{name}: {err} in '{text}'") from None
    if expected_unit is not None:
        to_display(quantity, expected_unit, name)
    return quantity


#: SI value of the display units of the parameter table, so that the fast engine
#: needs no Brian2 import (tests/test_units_si.py checks every entry against Brian2).
_SI_SCALE = {"1": 1.0, "": 1.0, "mV": 1e-3, "ms": 1e-3, "s": 1.0, "1/ms": 1e3, "Hz": 1.0,
             "mS/cm2": 10.0, "uF/cm2": 1e-2, "um2": 1e-12, "pA": 1e-12, "mM": 1.0,
             "uM": 1e-3, "K": 1.0}


def si_scale(unit: str) -> float:
    """The SI value of one ``unit`` (``"mS/cm2"`` -> 10.0 S/m2), as a float."""
    scale = _SI_SCALE.get(unit.strip())
    return float(unit_of(unit)) if scale is None else scale


def is_quantity(value) -> bool:
    """True for a Brian2 Quantity (without importing Brian2: a user who made one has)."""
    brian2 = sys.modules.get("brian2")
    return brian2 is not None and isinstance(value, brian2.Quantity)


def to_display(value, unit: str, name: str = "value") -> float:
    """Convert a Brian2 quantity (or a number, for a dimensionless unit) to a float in ``unit``.

    Raises ``ValueError`` naming ``name`` and ``unit`` if the dimensions differ
    or the value is not finite. Strings already in ``unit`` and plain numbers
    are read without importing Brian2 (a command line stays fast).
    """
    if isinstance(value, str):
        match = _NUMBER.match(value)
        if match and match.group(2).replace(" ", "") in ("", unit.replace(" ", "")):
            number = float(match.group(1))  # already in the display unit: exact, no rescaling
            if not math.isfinite(number):
                raise ValueError(f"{name}: expected a finite number, got '{value}'")
            return number
        value = parse_quantity(value, name, unit)
    quantity = is_quantity(value)
    if isinstance(value, bool) or not (quantity or isinstance(value, (int, float))):
        raise ValueError(f"{name}: expected a quantity in {unit}, got {value!r}")
    if not quantity:
        if unit.strip() in ("", "1"):
            result = float(value)
        else:
            raise ValueError(
                f"{name}: expected a quantity in {unit} (e.g. 2*{unit.split('/')[0]}), "
                f"got the plain number {value!r}"
            )
    else:
        target = unit_of(unit)
        if value.dim != target.dim:
            raise ValueError(f"{name}: expected a quantity in {unit}, got {value!r} "
                             "(wrong dimensions)")
        arr = value / target
        if getattr(arr, "shape", ()) not in ((), (1,)):
            raise ValueError(f"{name}: expected a single value in {unit}, got an array")
        result = float(arr)
    if not math.isfinite(result):
        raise ValueError(f"{name}: expected a finite value in {unit}, got {value!r}")
    return result


def to_quantity(value: float, unit: str):
    """A float in display ``unit`` as a Brian2 Quantity."""
    return value * unit_of(unit)
