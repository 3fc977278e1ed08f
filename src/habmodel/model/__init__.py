"""The model layer: what the LHb neuron is, independent of how it is simulated.

========================  ===============================================================
:mod:`.parts`             ``Part`` (equations, states, parameter rows of one current) and
                          ``Parameter`` (one row of the parameter table)
:mod:`.currents`          the LHb neuron's parts: membrane, Na/K, M, leak, T, H, NMDA,
                          AMPA, injection, and the ketamine trapping scheme
:mod:`.cell`              ``Cell``: a list of parts assembled into one equation string
:mod:`.equations`         the default cell and its equations, states and spike rule
:mod:`.parameters`        the parameter table and the conditions (control, depressed)
:mod:`.drugs`             the drugs (ketamine, AP5, mibefradil) and how they block
:mod:`.drive`             the glutamate drive (a counter-based Poisson input)
:mod:`.jitter`            cell-to-cell heterogeneity of the conductances
:mod:`.inputs`            checks of user inputs (sizes, durations, parameter overrides)
:mod:`.values`            the per-cell values of a population (condition, jitter, drugs)
:mod:`.units`             parsing and display of Brian2 quantities
========================  ===============================================================

Nothing here imports Brian2 at import time, nor anything above this layer.
Every public name of these modules is also a name of this package::

    from habmodel.model import PARAMETERS, condition_values
    condition_values("depressed")["K_o"]   # 2.6 (mM)
"""

from . import (
    cell,
    currents,
    drive,
    drugs,
    equations,
    inputs,
    jitter,
    parameters,
    parts,
    units,
    values,
)
from .cell import *  # noqa: F403
from .currents import *  # noqa: F403
from .drive import *  # noqa: F403
from .drugs import *  # noqa: F403
from .equations import *  # noqa: F403
from .inputs import *  # noqa: F403
from .jitter import *  # noqa: F403
from .parameters import *  # noqa: F403
from .parts import *  # noqa: F403
from .units import *  # noqa: F403
from .values import *  # noqa: F403

__all__ = sorted({name for module in (parts, units, currents, parameters, cell, equations, drive,
                                      drugs, jitter, inputs, values) for name in module.__all__})
