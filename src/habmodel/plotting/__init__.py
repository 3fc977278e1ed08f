"""The plotting layer: tables and results in, a :class:`matplotlib.figure.Figure` out.

==================  ===================================================================
:mod:`.style`       the look (palette, markers, text sizes), applied locally
:mod:`.layout`      saving figures atomically, captions, shared axes and bars
:mod:`.traces`      voltage traces of a simulation result, with bursts marked
:mod:`.protocols`   the pharmacology panel, dose-response and rebound figures
:mod:`.maps`        the firing-mode map and the jittered population
:mod:`.curves`      the steady-state I-V and the teaching curves
==================  ===================================================================

Nothing here runs a simulation; nothing uses pyplot or changes matplotlib's global
settings. The public names of these modules are names of this package:

>>> import habmodel
>>> from habmodel.plotting import plot_trace, save_figure
>>> result = habmodel.simulate("depressed", duration="1 s", seed=1, record_v=True)
>>> [path.name for path in save_figure(plot_trace(result), "trace")]
['trace.png', 'trace.svg']
"""

from . import layout, protocols, style, traces  # noqa: F401  (style: a module of this package)
from .layout import *  # noqa: F403
from .protocols import *  # noqa: F403
from .traces import *  # noqa: F403

__all__ = sorted(set(layout.__all__) | set(traces.__all__) | set(protocols.__all__))
