"""habmodel: a Brian2 model of NMDA- and T-channel-dependent burst firing in the
lateral habenula, and of its block by ketamine.

The public API:

==================================  ============================================================
:func:`simulate`                    one population run; returns a :class:`SimulationResult`
:func:`brian2_group`                the cells as a Brian2 ``NeuronGroup`` for your own network
:data:`PARAMETERS`                  the parameter table (unit, default, range, source)
:data:`CONDITIONS`                  the named conditions (``control``, ``depressed``)
:data:`DRUGS`, :class:`Drug`        ketamine, AP5, mibefradil (and your own)
:class:`Cell`, :class:`Part`        the neuron as a list of currents; add your own
:func:`pharmacology_panel`          the protocols (:mod:`habmodel.experiments`): each returns
:func:`dose_response`               a tidy table with one row per cell
:func:`rebound`
:func:`mode_map`
:func:`jittered_population`
:func:`vclamp`                      an ideal voltage clamp: every membrane current per step
:func:`sweep`                       a parameter sweep to a tidy table (resumable)
:func:`run_validation`              the claims of docs/science.md, checked on simulations
==================================  ============================================================

>>> import habmodel
>>> from brian2 import uM
>>> depressed = habmodel.simulate("depressed", n_cells=2, duration="1 s", seed=1)
>>> depressed.mode_fractions()
{'silent': 0.0, 'tonic': 0.0, 'burst': 1.0}
>>> blocked = habmodel.simulate("depressed", drugs={"ketamine": 10*uM}, n_cells=2,
...                             duration="1 s", seed=1)
>>> blocked.mode_fractions()
{'silent': 1.0, 'tonic': 0.0, 'burst': 0.0}

Brian2 (and pandas, SciPy, matplotlib) are imported only when they are needed.
"""

from importlib.metadata import PackageNotFoundError, version

from .analysis.bursts import BurstCriteria
from .model.cell import Cell, load_parts
from .model.drugs import DRUGS, Drug
from .model.parameters import CONDITIONS, PARAMETERS, Parameter
from .model.parts import Part

try:
    __version__ = version("habmodel")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0+unknown"

#: Names loaded on first use, and the module each comes from.
_LAZY = {
    "simulate": "simulation", "SimulationResult": "simulation", "SimulationError": "simulation",
    "brian2_group": "engines.group",
    "sweep": "sweeps", "run_validation": "validate",
    "pharmacology_panel": "experiments", "dose_response": "experiments",
    "rebound": "experiments", "mode_map": "experiments", "jittered_population": "experiments",
    "vclamp": "experiments",
}

__all__ = ["simulate", "SimulationResult", "SimulationError", "brian2_group", "sweep",
           "run_validation", "vclamp",
           "pharmacology_panel", "dose_response", "rebound", "mode_map",
           "jittered_population", "BurstCriteria", "Drug", "DRUGS", "CONDITIONS",
           "PARAMETERS", "Parameter", "Cell", "Part", "load_parts", "__version__"]


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'habmodel' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
