"""The per-cell values of a population: a condition, overrides, jitter and drugs as the
arrays an engine sets (one value per cell, in each parameter's display unit).

:func:`habmodel.simulate` and :func:`habmodel.brian2_group` both call
:func:`population_values`, so the same arguments give the same cells in both.
"""

from __future__ import annotations

import numpy as np

from .cell import Cell
from .drugs import availability
from .inputs import resolve_drugs, resolve_parameters
from .jitter import check_fraction, conductances, jitter_factors

__all__ = ["population_values"]


def population_values(condition: str, overrides: dict | None, drugs: dict | None,
                      n_cells: int, seed: int, jitter: float, cell: Cell,
                      input_ids=None) -> tuple[dict, dict, dict]:
    """``(values, concentrations, avail)`` of a population of ``cell``.

    ``values``: per-cell parameter arrays (display units) of the condition plus the
    overrides, every conductance scaled by its jitter factor (:mod:`habmodel.model.jitter`,
    drawn from ``seed`` and the cells' ids: ``input_ids`` or the cell index);
    ``concentrations``: ``{Drug: per-cell uM}``; ``avail``: the drug factors of the cell's
    drug targets in its ketamine model (:func:`habmodel.model.drugs.availability`).
    Raises ``ValueError`` naming the parameter, drug or ``jitter`` that is wrong.
    """
    values = resolve_parameters(condition, overrides, n_cells, cell.parameters)
    if jitter:
        ids = np.arange(n_cells) if input_ids is None else input_ids
        names = conductances(cell.parameters)
        for name, factor in jitter_factors(ids, check_fraction(jitter), seed, names).items():
            values[name] = values[name] * factor
    concentrations = resolve_drugs(drugs, n_cells)
    avail = availability(concentrations, values, n_cells, cell.ketamine_model,
                         targets=cell.drug_targets)
    return values, concentrations, avail
