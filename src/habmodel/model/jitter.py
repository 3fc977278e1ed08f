"""Conductance jitter: heterogeneous populations that are the same in every condition.

docs/science.md claim 9 asks for populations in which every maximal conductance of
every cell is jittered by +-F (F = 20 %), *the same cells in every
condition*. :func:`conductance_jitter` multiplies every parameter whose unit is
``mS/cm2`` (see :data:`habmodel.model.parameters.PARAMETERS`) by a factor drawn
uniformly from ``[1 - F, 1 + F]``.

The factor of cell ``i`` and parameter ``name`` depends only on
``(seed, i, name)``: it is drawn from ``numpy.random.default_rng([seed, i, 2,
crc32(name)])`` (independent of the glutamate input, a counter-based hash of
the seed, the cell and the time step: :func:`habmodel.model.drive.glutamate_counts`).
So cell ``i`` has the same conductances whatever the population size, the
condition or the drugs, and adding a conductance to the model does not change
the factors of the others.

``habmodel.simulate(..., jitter=F)`` and ``habmodel simulate --jitter F`` use
these factors; :func:`jitter_overrides` gives them as explicit ``overrides``::

    from habmodel.model.jitter import jitter_overrides
    overrides = jitter_overrides(n_cells=100, fraction=0.2, seed=1)
    habmodel.simulate("depressed", n_cells=100, seed=1, overrides=overrides)

(numpy only; Brian2 is imported only by :func:`jitter_overrides`.)
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from .parameters import PARAMETERS

__all__ = ["CONDUCTANCE_UNIT", "CONDUCTANCES", "conductances", "check_fraction", "jitter_factors",
           "conductance_jitter", "jitter_overrides"]

#: The unit that marks a maximal conductance in the parameter table.
CONDUCTANCE_UNIT = "mS/cm2"

def conductances(table=PARAMETERS) -> tuple[str, ...]:
    """The maximal conductances of a parameter table (its parameters in mS/cm2)."""
    return tuple(p.name for p in table.values() if p.unit == CONDUCTANCE_UNIT)


#: Every maximal conductance of the model (the parameters that jitter scales).
CONDUCTANCES: tuple[str, ...] = conductances()

_STREAM = 2  # a stream tag of these factors (kept: changing it would change every cell)


def check_fraction(fraction) -> float:
    """``fraction`` as a float in ``[0, 1)``; ``ValueError`` naming ``jitter`` otherwise."""
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.integer,
                                                               np.floating)):
        raise ValueError(f"jitter: expected a fraction in [0, 1) (e.g. 0.2 for +-20 %), "
                         f"got {fraction!r}")
    value = float(fraction)
    if not (math.isfinite(value) and 0.0 <= value < 1.0):
        raise ValueError(f"jitter: expected a fraction in [0, 1) (e.g. 0.2 for +-20 %), "
                         f"got {fraction!r}")
    return value


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected an integer >= 0, got {seed!r}")
    return int(seed)


def _name_id(name: str) -> int:
    """A stable integer id of a parameter name (CRC-32: the same on every platform/run)."""
    return zlib.crc32(name.encode("utf-8"))


def jitter_factors(cells, fraction, seed: int, names=CONDUCTANCES) -> dict[str, np.ndarray]:
    """The jitter factor of each cell for each conductance.

    Parameters
    ----------
    cells : int or array of int
        Number of cells (``0 .. cells-1``) or the cell identities (indices);
        identities let a panel of conditions repeat the same cells.
    fraction : float
        Jitter half-width F in ``[0, 1)``; factors are uniform in ``[1-F, 1+F]``.
    seed : int
        Seed; the factor of ``(cell, name)`` depends only on ``(seed, cell, name)``.
    names : sequence of str
        Parameters to draw factors for (default: every maximal conductance).

    Returns
    -------
    dict
        ``{name: factors}``, one float per cell.
    """
    fraction = check_fraction(fraction)
    seed = _check_seed(seed)
    ids = np.arange(cells) if np.ndim(cells) == 0 else np.asarray(cells)
    if ids.ndim != 1 or (ids.size and (not np.issubdtype(ids.dtype, np.integer)
                                       or ids.min() < 0)):
        raise ValueError(f"cells: expected a count or a 1-D array of cell indices >= 0, "
                         f"got {cells!r}")
    out = {}
    for name in names:
        key = _name_id(name)
        if fraction == 0.0:
            out[name] = np.ones(ids.size)
            continue
        out[name] = np.array([np.random.default_rng([seed, int(i), _STREAM, key]).uniform(
            1.0 - fraction, 1.0 + fraction) for i in ids], float)
    return out


def conductance_jitter(values: dict, fraction: float, seed: int) -> dict:
    """Jitter every maximal conductance of every cell by an independent factor in [1-F, 1+F].

    Parameters
    ----------
    values : dict
        Per-cell parameter arrays in display units, as
        :func:`habmodel.model.inputs.resolve_parameters` returns them (every array
        of length ``n_cells``; cell ``i`` is position ``i``).
    fraction : float
        F in ``[0, 1)`` (0.2 for +-20 %).
    seed : int
        Seed of the jitter (see the module docstring).

    Returns
    -------
    dict
        A new dict (``values`` is not modified): every parameter with unit
        ``mS/cm2`` multiplied by its factor, every other one copied unchanged.
    """
    fraction = check_fraction(fraction)
    lengths = {np.size(v) for v in values.values()}
    if len(lengths) != 1:
        raise ValueError("values: expected per-cell arrays of one common length, got lengths "
                         f"{sorted(lengths)}")
    n_cells = lengths.pop()
    names = [name for name in values if name in CONDUCTANCES]
    factors = jitter_factors(n_cells, fraction, seed, names)
    out = {name: np.array(value, float, copy=True).reshape(n_cells)
           for name, value in values.items()}
    for name in names:
        out[name] = out[name] * factors[name]
    return out


def jitter_overrides(n_cells: int, fraction: float, seed: int, condition: str = "control",
                     overrides: dict | None = None, cells=None) -> dict:
    """``overrides`` for :func:`habmodel.simulate` with jittered conductances (Brian2 quantities).

    The conductances of ``condition`` plus ``overrides`` are jittered; the
    other parameters are passed through unchanged.

    Parameters
    ----------
    cells : array of int, optional
        Cell identities (length ``n_cells``), e.g. ``np.tile(np.arange(20), 3)``
        for three conditions of the same 20 cells; default ``0 .. n_cells-1``.
    """
    from .inputs import resolve_parameters
    from .units import unit_of

    values = resolve_parameters(condition, overrides, n_cells)
    ids = np.arange(n_cells) if cells is None else np.asarray(cells)
    if ids.shape != (n_cells,):
        raise ValueError(f"cells: expected {n_cells} cell identities, got shape {ids.shape}")
    factors = jitter_factors(ids, fraction, seed)
    out = dict(overrides or {})
    for name in CONDUCTANCES:
        out[name] = values[name] * factors[name] * unit_of(PARAMETERS[name].unit)
    return out
