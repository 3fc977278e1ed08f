"""The LHb neuron as equations: the default cell and its Brian2 equation string.

A single-compartment conductance-based model of a lateral habenula neuron
(see ``docs/model.md`` for the equations, the mechanism and the sources),
assembled from its parts (:mod:`habmodel.model.currents`) by :class:`habmodel.model.cell.Cell`.
Every tunable parameter of :data:`habmodel.model.parameters.PARAMETERS` that enters
the equations is a per-cell constant, so one ``NeuronGroup`` holds a whole
population or parameter sweep.

Drugs act only through per-cell *availability* factors (``avail_NMDA``,
``avail_T``, ...) and one voltage-dependent NMDA pore-block slot
(``pore_load``, ``pore_delta``), computed by :mod:`habmodel.model.drugs`; adding a
drug never touches these equations.

The glutamate drive is defined in :mod:`habmodel.model.drive`; the Brian2 objects
that simulate a population, in :mod:`habmodel.engines.runtime`.
"""

from __future__ import annotations

from types import MappingProxyType

from .cell import KETAMINE_MODELS, Cell
from .currents import KETAMINE_TRAPPING

__all__ = ["DEFAULT_CELL", "cell_for", "EQUATIONS", "EQUATION_PARAMETERS", "DRUG_TARGETS",
           "STATE_VARIABLES", "INITIAL_STATE", "SPIKE_CONDITION", "GLUTAMATE_EVENT",
           "KETAMINE_MODELS", "TRAPPING_EQUATIONS", "TRAPPING_STATES", "full_equations",
           "initial_state"]

#: The LHb neuron of docs/model.md (hill ketamine model), assembled from its parts.
DEFAULT_CELL = Cell()

#: Currents whose conductance a drug can scale (``avail_<target>`` in the equations).
DRUG_TARGETS = DEFAULT_CELL.drug_targets

#: The dynamics of the LHb neuron as one Brian2 equation string (from its parts).
EQUATIONS = DEFAULT_CELL.equations

#: Table parameters that appear in the equations (drug IC50s etc. do not).
EQUATION_PARAMETERS = DEFAULT_CELL.equation_parameters

#: The state variables integrated by the ODE solver.
STATE_VARIABLES = DEFAULT_CELL.states

#: Initial state of every cell (SI units: v in volts): the gates at their steady
#: state for v = -65 mV and the default V_T. The unrecorded warm-up of
#: :func:`habmodel.simulate` removes what remains of the start transient.
INITIAL_STATE = MappingProxyType(DEFAULT_CELL.initial_state())

#: Spike detection: an upward crossing of -20 mV (refractory while above).
SPIKE_CONDITION = "v > -20*mV"

#: The equations the ``"trapping"`` variant adds
#: (:data:`habmodel.model.currents.KETAMINE_TRAPPING`).
TRAPPING_EQUATIONS = KETAMINE_TRAPPING.equations

#: State variables that the ``"trapping"`` variant adds, all starting at 0 (no drug).
TRAPPING_STATES = tuple(KETAMINE_TRAPPING.states)


def cell_for(ketamine_model: str = "hill", cell: Cell | None = None) -> Cell:
    """``cell`` (default: the LHb neuron) in the equation variant ``ketamine_model``."""
    if cell is not None and not isinstance(cell, Cell):
        raise TypeError(f"cell: expected a habmodel.Cell, got {cell!r}")
    return (cell or DEFAULT_CELL).variant(ketamine_model)


def full_equations(ketamine_model: str = "hill") -> str:
    """The complete Brian2 equation string (dynamics plus per-cell constants)."""
    return cell_for(ketamine_model).full_equations()


def initial_state(ketamine_model: str = "hill") -> dict:
    """Initial value of every state variable of a variant (SI units)."""
    return cell_for(ketamine_model).initial_state()


#: What each glutamate event adds to which state variable, at the start of a time step.
GLUTAMATE_EVENT = DEFAULT_CELL.glutamate_event
