"""Inputs of a simulation: named conditions, overrides and drugs as checked per-cell arrays.

Everything here is plain NumPy in each parameter's display unit (see
:mod:`habmodel.model.parameters`); :func:`habmodel.simulate`, the protocols, sweeps and the
command line all check their inputs with these functions, so a wrong value gets the same
one-line message everywhere.
"""

from __future__ import annotations

import numpy as np

from .drugs import check_concentration, resolve_drug
from .parameters import condition_values, get_parameter
from .units import is_quantity, to_display, unit_of

__all__ = ["MAX_CELLS", "MAX_DURATION_S", "check_int", "display_array", "positive_seconds",
           "per_cell", "resolve_parameters",
           "scalar_overrides", "resolve_drugs"]


MAX_CELLS = 100_000


MAX_DURATION_S = 24 * 3600.0


def per_cell(name: str, value, unit: str, n_cells: int) -> np.ndarray:
    """A scalar or per-cell value (quantity, string or array) as floats in ``unit``."""
    if is_quantity(value) and np.ndim(value) > 0:
        if value.dim != unit_of(unit).dim:
            raise ValueError(f"{name}: expected quantities in {unit}, got {value.dim} "
                             "(wrong dimensions)")
        arr = np.asarray(value / unit_of(unit), float).ravel()
    elif isinstance(value, (list, tuple)) or (
            isinstance(value, np.ndarray) and not is_quantity(value)
            and value.ndim > 0):
        arr = np.array([to_display(v, unit, name) for v in value], float)
    else:
        return np.full(n_cells, to_display(value, unit, name))
    if arr.shape != (n_cells,):
        raise ValueError(f"{name}: expected one value or {n_cells} values (one per cell), "
                         f"got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite values in {unit}")
    return arr


def check_int(name: str, value, low: int, high: int = 10**9) -> int:
    """``value`` as an int if it is an integer in [low, high]; else a ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name}: expected an integer in [{low}, {high}], got {value}")
    return int(value)


def resolve_parameters(condition: str, overrides: dict | None, n_cells: int,
                       table=None) -> dict:
    """Per-cell parameter arrays (display units) for a condition plus overrides
    (``table``: the parameter table of the cell, default :data:`PARAMETERS`)."""
    base = condition_values(condition, table)
    values = {name: np.full(n_cells, v) for name, v in base.items()}
    for name, value in (overrides or {}).items():
        param = get_parameter(name, table)
        arr = per_cell(name, value, param.unit, n_cells)
        for v in np.unique(arr):
            param.check(float(v))
        values[name] = arr
    return values


def scalar_overrides(overrides, table=None) -> dict[str, float]:
    """``{name: value}`` (quantities, strings, or numbers for dimensionless parameters),
    one value each, as checked floats in each parameter's display unit. ``table``: the
    parameter table of the cell (default: the LHb neuron's)."""
    out = {}
    for name, value in (overrides or {}).items():
        param = get_parameter(name, table)
        if np.ndim(value) > 0 and not isinstance(value, str):
            raise ValueError(f"{name}: expected one value (per-cell values are not supported "
                             "here)")
        out[name] = to_display(value, param.unit, name)
        param.check(out[name])
    return out


def resolve_drugs(drugs: dict | None, n_cells: int) -> dict:
    """``{Drug: per-cell concentration in uM}``, validated."""
    out = {}
    for key, conc in (drugs or {}).items():
        drug = resolve_drug(key)
        out[drug] = check_concentration(drug.name, per_cell(drug.name, conc, "uM", n_cells))
    return out


def display_array(value, unit: str, name: str) -> np.ndarray:
    """A scalar or sequence of quantities/strings as a 1-D float array in ``unit``.

    Brian2 quantity arrays are converted at once; lists may mix quantities and
    strings; plain numbers are accepted only for dimensionless units.
    """
    import brian2

    if isinstance(value, brian2.Quantity) and np.ndim(value) > 0:
        if value.dim != unit_of(unit).dim:
            raise ValueError(f"{name}: expected quantities in {unit}, got {value!r} "
                             "(wrong dimensions)")
        arr = np.asarray(value / unit_of(unit), float).ravel()
    elif isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray)
                                              and not isinstance(value, brian2.Quantity)
                                              and value.ndim > 0):
        arr = np.array([to_display(v, unit, name) for v in value], float)
    else:
        arr = np.array([to_display(value, unit, name)], float)
    if arr.size == 0:
        raise ValueError(f"{name}: expected at least one value in {unit}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite values in {unit}")
    return arr


def positive_seconds(value, name: str) -> float:
    """A positive time (quantity or string) in seconds; ``ValueError`` naming ``name``."""
    seconds = to_display(value, "s", name)
    if not seconds > 0:
        raise ValueError(f"{name}: expected a positive time, got {value!r}")
    return seconds
