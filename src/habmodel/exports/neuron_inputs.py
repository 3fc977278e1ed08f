"""What habmodel computes before it integrates, for the NEURON export: units, parameters,
drugs and the glutamate input.

Written by ``habmodel export neuron`` as ``inputs.py`` beside ``cell.py`` and ``model.json``.
These are habmodel's rules (``habmodel.model.units``, ``.parameters``, ``.drugs`` and
``.drive``) without habmodel, Brian2 or SciPy: habmodel's tests check that they give what
habmodel gives. The data (the parameter table, conditions, drugs, drive constants) come
from ``model.json``, which the export writes from habmodel's tables.
"""

from __future__ import annotations

import ast
import json
import math
import re
from functools import cache
from pathlib import Path

__all__ = ["model", "unit", "to_display", "check", "parameters", "value_of", "availability",
           "input_key", "glutamate_counts", "glutamate_events"]


@cache
def model() -> dict:
    """``model.json`` of this folder."""
    return json.loads(Path(__file__).with_name("model.json").read_text(encoding="utf-8"))


# --- units: "2.2 mS/cm2", "500 ms", "1uM" (as habmodel reads them) ------------------------
_D = {"L": (1, 0, 0, 0, 0, 0, 0), "M": (0, 1, 0, 0, 0, 0, 0), "T": (0, 0, 1, 0, 0, 0, 0),
      "I": (0, 0, 0, 1, 0, 0, 0), "K": (0, 0, 0, 0, 1, 0, 0), "N": (0, 0, 0, 0, 0, 1, 0)}


def _dim(**powers) -> tuple:
    return tuple(sum(p * _D[k][i] for k, p in powers.items()) for i in range(7))


_BASE = {}
for _names, _value in ((("m", "metre", "meter"), (1.0, _dim(L=1))),
                       (("g", "gram", "gramme"), (1e-3, _dim(M=1))),
                       (("s", "second"), (1.0, _dim(T=1))),
                       (("A", "amp", "ampere"), (1.0, _dim(I=1))),
                       (("K", "kelvin"), (1.0, _dim(K=1))), (("mol", "mole"), (1.0, _dim(N=1))),
                       (("M", "molar"), (1000.0, _dim(N=1, L=-3))),
                       (("l", "liter", "litre"), (1e-3, _dim(L=3))),
                       (("Hz", "hertz"), (1.0, _dim(T=-1))),
                       (("S", "siemens"), (1.0, _dim(I=2, T=3, M=-1, L=-2))),
                       (("F", "farad"), (1.0, _dim(I=2, T=4, M=-1, L=-2))),
                       (("V", "volt"), (1.0, _dim(M=1, L=2, T=-3, I=-1))),
                       (("ohm",), (1.0, _dim(M=1, L=2, T=-3, I=-2))),
                       (("C", "coulomb"), (1.0, _dim(I=1, T=1)))):
    _BASE.update(dict.fromkeys(_names, _value))
_WHOLE = {"min": (60.0, _dim(T=1)), "h": (3600.0, _dim(T=1)), "sec": (1.0, _dim(T=1))}
_PREFIX = {"p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "c": 1e-2, "d": 1e-1, "k": 1e3,
           "M": 1e6, "G": 1e9, "f": 1e-15}
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan)\s*(.*?)\s*$",
                     re.IGNORECASE)


def _name(token: str):
    power = 1
    digits = re.match(r"^(.*[A-Za-z])([23])$", token)
    if digits and digits.group(1) not in _WHOLE and digits.group(1) not in ("",):
        token, power = digits.group(1), int(digits.group(2))
    hit = _WHOLE.get(token) or _BASE.get(token)
    if hit is None and len(token) > 1 and token[0] in _PREFIX and token[1:] in _BASE:
        scale, dims = _BASE[token[1:]]
        hit = (_PREFIX[token[0]] * scale, dims)
    if hit is None:
        raise ValueError(f"unknown unit '{token}'")
    return hit[0] ** power, tuple(d * power for d in hit[1])


def unit(text: str):
    """``(SI scale, dimensions)`` of a unit such as ``"mS/cm2"``."""
    text = text.strip().replace("µ", "u").replace("μ", "u").replace("^", "**")
    if text in ("", "1"):
        return 1.0, (0,) * 7

    def ev(node):
        if isinstance(node, ast.Name):
            return _name(node.id)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value), (0,) * 7
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mult, ast.Div)):
            (a, da), (b, db) = ev(node.left), ev(node.right)
            sign = 1 if isinstance(node.op, ast.Mult) else -1
            return (a * b if sign == 1 else a / b), tuple(da[i] + sign * db[i] for i in range(7))
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow) \
                and isinstance(node.right, ast.Constant):
            a, da = ev(node.left)
            return a ** node.right.value, tuple(x * node.right.value for x in da)
        raise ValueError(f"cannot read the unit '{text}'")

    try:
        return ev(ast.parse(text, mode="eval").body)
    except SyntaxError:
        raise ValueError(f"cannot read the unit '{text}'") from None


def to_display(text: str, display: str, name: str, need_unit: bool = True) -> float:
    """A value such as ``"22 S/m2"`` in the ``display`` unit (``ValueError`` naming
    ``name``); a bare number only where the unit is dimensionless, or 0."""
    match = _NUMBER.match(str(text))
    if not match:
        raise ValueError(f"{name}: cannot read '{text}' as a number in {display}")
    number, given = float(match.group(1)), match.group(2)
    if not math.isfinite(number):
        raise ValueError(f"{name}: expected a finite number, got '{text}'")
    dimensionless = display.strip() in ("", "1")
    if not given:
        if need_unit and not dimensionless and number != 0:
            raise ValueError(f"{name}={text} has no unit; expected a quantity in {display} "
                             f"such as {name}={text}{display.replace(' ', '')}")
        return number
    if given.replace(" ", "") == display.replace(" ", ""):
        return number
    scale, dims = unit("1" + given if given.startswith("/") else given)
    target, target_dims = unit(display)
    if dims != target_dims:
        raise ValueError(f"{name}: expected a quantity in {display}, got '{text}' "
                         "(wrong dimensions)")
    return number * scale / target


# --- parameters and drugs ----------------------------------------------------------------

def check(name: str, value: float) -> float:
    row = model()["parameters"][name]
    slack = 1e-9 * max(abs(row["low"]), abs(row["high"]), 1.0)
    if not row["low"] - slack <= value <= row["high"] + slack:
        raise ValueError(f"{name}: {value:g} {row['unit']} is outside the valid range "
                         f"[{row['low']:g}, {row['high']:g}] {row['unit']}")
    return value


def parameters(condition=None, overrides=None) -> dict:
    """Every parameter value (display units) of a condition, the export's overrides, and
    ``overrides`` (numbers in display units, or strings with units)."""
    condition = condition or model()["defaults"]["condition"]
    if condition not in model()["conditions"]:
        raise ValueError(f"unknown condition '{condition}'; expected one of: "
                         f"{', '.join(model()['conditions'])}")
    values = {name: row["default"] for name, row in model()["parameters"].items()}
    values.update(model()["conditions"][condition])
    for name, value in {**model()["defaults"]["overrides"], **(overrides or {})}.items():
        values[name] = value_of(name, value)
    return values


def value_of(name: str, value) -> float:
    """A parameter's value in its display unit, checked (a number in that unit, or a
    string with a unit)."""
    if name not in model()["parameters"]:
        raise ValueError(f"unknown parameter '{name}'")
    row = model()["parameters"][name]
    return check(name, to_display(value, row["unit"], name) if isinstance(value, str)
                 else float(value))


def availability(drugs: dict, values: dict) -> dict:
    """habmodel's drug rules: ``avail_<target>`` (Hill free fractions multiply) and the
    NMDA pore's ``pore_load`` (loads of pore blockers add) and ``pore_delta``."""
    avail = {f"avail_{t}": 1.0 for t in model()["drug_targets"]}
    load, delta = 0.0, None
    for name, conc in drugs.items():
        if name.lower() not in model()["drugs"]:
            raise ValueError(f"unknown drug '{name}'; expected one of: "
                             f"{', '.join(model()['drugs'])}")
        drug = model()["drugs"][name.lower()]
        if not 0 <= conc <= 1e5:
            raise ValueError(f"{name}: expected a concentration in [0, 100000] uM, got {conc:g} uM")

        def field(key, drug=drug):
            return float(values[drug[key]] if isinstance(drug[key], str) else drug[key])

        ratio = (conc / field("ic50")) ** field("hill")
        if drug["target"] == "NMDA_pore":
            if delta is not None and not math.isclose(field("delta"), delta, rel_tol=1e-5,
                                                      abs_tol=1e-8):
                raise ValueError(f"pore blockers with different 'delta' cannot be combined "
                                 f"({name})")
            delta, load = field("delta"), load + ratio
        else:
            key = f"avail_{drug['target']}"
            avail[key] = avail.get(key, 1.0) / (1.0 + ratio)
    return {**avail, "pore_load": load, "pore_delta": 0.0 if delta is None else delta}


# --- the glutamate input: habmodel's counter-based Poisson counts --------------------------

def _mix(z):
    import numpy as np

    z = np.asarray(z, np.uint64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(model()["drive"]["m1"])
    z = (z ^ (z >> np.uint64(27))) * np.uint64(model()["drive"]["m2"])
    return z ^ (z >> np.uint64(31))


def input_key(seed: int, input_id: int = 0) -> int:
    """The key of a cell's input stream (habmodel.model.drive.input_keys)."""
    import numpy as np

    base = _mix(np.array([seed % 2**64], np.uint64))
    ids = np.array([input_id + 1], np.uint64)  # arrays: uint64 arithmetic wraps silently
    return int(_mix(base + np.uint64(model()["drive"]["gamma"]) * ids)[0])


def glutamate_counts(key: int, steps, rate_per_step: float):
    """Events of each step: Poisson by inversion of the step's hashed uniform number."""
    import numpy as np

    steps = np.atleast_1d(np.asarray(steps, np.uint64))
    z = _mix(np.array([key], np.uint64) + steps * np.uint64(model()["drive"]["gamma"]))
    u = (z >> np.uint64(11)).astype(float) * 2.0**-53
    prob = math.exp(-rate_per_step)
    cum = prob
    count = (u >= cum).astype(int)
    for k in range(1, model()["drive"]["poisson_terms"]):
        prob = prob * rate_per_step / k
        cum = cum + prob
        count += u >= cum
    return count


def glutamate_events(seed: int, n_steps: int, nu_glu_hz: float, input_id: int = 0):
    """``(steps, counts)`` of the steps with events among the first ``n_steps``."""
    import numpy as np

    key, lam = input_key(seed, input_id), nu_glu_hz * model()["drive"]["dt_ms"] * 1e-3
    steps, counts = [], []
    for start in range(0, n_steps, 1 << 20):
        chunk = np.arange(start, min(n_steps, start + (1 << 20)), dtype=np.uint64)
        n = glutamate_counts(key, chunk, lam)
        hit = np.flatnonzero(n)
        steps.append(chunk[hit].astype(np.int64))
        counts.append(n[hit])
    return np.concatenate(steps), np.concatenate(counts)
