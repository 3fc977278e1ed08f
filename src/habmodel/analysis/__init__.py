"""The analysis layer: plain data in, plain data out (spike times, tables, fits).

=====================  =================================================================
:mod:`.bursts`         burst criteria and burst detection in a spike train
:mod:`.metrics`        per-cell and population metrics, firing modes
:mod:`.burst_shapes`   each burst of a voltage trace as square-wave, triangular or
                       parabolic (``docs/burst_shapes.md``)
:mod:`.fitting`        Hill fits of dose-response data
:mod:`.curves`         steady-state curves of the model (I-V, gates, NMDA unblock), from
                       its own equations (needs pandas; import it as a module)
:mod:`.summaries`      summaries of the protocols' tidy tables (per condition, per dose)
=====================  =================================================================

Nothing here runs a simulation or draws a figure. The names of :mod:`.bursts`,
:mod:`.metrics`, :mod:`.burst_shapes` and :mod:`.fitting` are names of this package:

    >>> from habmodel.analysis import cell_metrics, detect_bursts
    >>> detect_bursts([0.100, 0.104, 0.108, 0.500])   # spikes 0, 1 and 2 are one burst
    [(0, 3)]
    >>> cell_metrics([0.100, 0.104, 0.108, 0.500], duration=1.0).mode
    'burst'
"""

from . import burst_shapes, bursts, fitting, metrics
from .burst_shapes import *  # noqa: F403
from .bursts import *  # noqa: F403
from .fitting import *  # noqa: F403
from .metrics import *  # noqa: F403

__all__ = sorted(set(bursts.__all__) | set(metrics.__all__) | set(fitting.__all__)
                 | set(burst_shapes.__all__))
