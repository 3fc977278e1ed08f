"""habmodel: a Brian2 model of NMDA- and T-channel-dependent burst firing in the
lateral habenula, and of its block by ketamine.

The public API::

    import habmodel
    from brian2 import second, uM
    result = habmodel.simulate("depressed", drugs={"ketamine": 2*uM}, n_cells=20,
                               duration=5*second, seed=1)
    result.metrics["burst_fraction"]

Brian2 is imported only when a simulation runs.
"""

from importlib.metadata import PackageNotFoundError, version

from .analysis import BurstCriteria
from .cell import Cell, load_parts
from .drugs import DRUGS, Drug
from .parameters import CONDITIONS, PARAMETERS, Parameter
from .parts import Part

try:
    __version__ = version("habmodel")
except PackageNotFoundError:  # pragma: no cover
    __version__ = "0+unknown"

__all__ = ["simulate", "sweep", "SimulationResult", "SimulationError", "BurstCriteria", "Drug",
           "DRUGS", "CONDITIONS", "PARAMETERS", "Parameter", "Cell", "Part", "load_parts",
           "__version__"]


def __getattr__(name):
    if name in ("simulate", "SimulationResult", "SimulationError"):
        from . import simulation

        return getattr(simulation, name)
    if name == "sweep":
        from .sweeps import sweep

        return sweep
    raise AttributeError(f"module 'habmodel' has no attribute {name!r}")
