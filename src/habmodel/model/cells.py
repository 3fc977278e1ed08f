"""Named cells: the two hypotheses of ``docs/two_hypotheses.md`` as ready-made :class:`Cell`\\ s.

========================  ==============================================================
``"default"``             the LHb neuron of ``docs/model.md``: rhythmic bursting needs
                          NMDA receptors (the claims of ``docs/science.md`` are its claims)
``"pacemaker"``           the same equations with a stronger T current and I_h and a
                          smaller Na+ leak (:mod:`habmodel.model.pacemaker`): an I_h/I_T
                          pacemaker that bursts in the depressed condition without NMDA
========================  ==============================================================

``habmodel.simulate(..., cell="pacemaker")`` and ``habmodel simulate --cell pacemaker`` take
a name; the protocols (:mod:`habmodel.experiments`) take the cell itself,
``cell=named_cell("pacemaker")``. Both cells share the conditions
(:data:`habmodel.model.parameters.CONDITIONS`) and the drugs.

>>> from habmodel.model.cells import CELLS, named_cell, changed_parameters
>>> sorted(CELLS)
['default', 'pacemaker']
>>> named_cell("pacemaker").parameters["g_T"].default
2.4
>>> changed_parameters("pacemaker")["g_h"]
(0.04, 0.12)
"""

from __future__ import annotations

from types import MappingProxyType

from .cell import Cell
from .equations import DEFAULT_CELL
from .pacemaker import PACEMAKER_PARTS
from .parameters import closest_name

__all__ = ["CELLS", "CELL_DOCS", "DEFAULT_CELL_NAME", "named_cell", "changed_parameters"]

#: The name of the default cell (``docs/model.md``).
DEFAULT_CELL_NAME = "default"

#: The named cells, by name (read-only).
CELLS: MappingProxyType[str, Cell] = MappingProxyType({
    DEFAULT_CELL_NAME: DEFAULT_CELL,
    "pacemaker": Cell(PACEMAKER_PARTS),
})

#: One line on each named cell (for the CLI and the docs).
CELL_DOCS = MappingProxyType({
    DEFAULT_CELL_NAME: "the LHb neuron of docs/model.md: rhythmic bursting needs NMDA "
                       "receptors (Yang et al. 2018)",
    "pacemaker": "an I_h/I_T pacemaker (stronger T and h currents, slower Ca2+ clearance): "
                 "bursts when depressed without NMDA receptors (docs/two_hypotheses.md)",
})


def named_cell(name: str) -> Cell:
    """The cell called ``name`` (:data:`CELLS`); ``ValueError`` with a suggestion if unknown."""
    if not isinstance(name, str):
        raise TypeError(f"cell: expected a habmodel.Cell or the name of one "
                        f"({', '.join(CELLS)}), got {name!r}")
    try:
        return CELLS[name.strip().lower()]
    except KeyError:
        hint = closest_name(name, CELLS)
        tail = f"; did you mean '{hint}'?" if hint else f"; expected one of: {', '.join(CELLS)}"
        raise ValueError(f"unknown cell '{name}'{tail}") from None


def changed_parameters(name: str, reference: str = DEFAULT_CELL_NAME) -> dict[str, tuple]:
    """``{parameter: (reference default, this cell's default)}`` for every parameter whose
    default differs between the named cell ``name`` and ``reference`` (display units)."""
    cell, ref = named_cell(name).parameters, named_cell(reference).parameters
    return {n: (ref[n].default, p.default) for n, p in cell.items()
            if n in ref and ref[n].default != p.default}
