"""Experiment protocols: pharmacology panel, dose-response, rebound, mode map, jitter, burst
shapes (:func:`burst_shapes`, one row per burst; ``docs/burst_shapes.md``), and
the voltage-clamp lab (:func:`vclamp`, :func:`vclamp_protocol`; ``docs/vclamp.md``).

The summaries of their tables (:mod:`habmodel.analysis.summaries`) and the
conductance block curve (:func:`habmodel.analysis.curves.conductance_block`) are
names of this package too.

Each protocol builds one population in which every cell is one (condition,
drug, dose, step, grid point, ...) combination, with per-cell parameter and
drug arrays, and runs it in **one** :func:`habmodel.simulate` call; it returns
a tidy :class:`pandas.DataFrame` with one row per cell and the columns

* ``cell`` -- the cell's identity within its condition (``0 .. n_cells-1``):
  with ``jitter`` the same identity has the same conductances in every
  condition (:mod:`habmodel.model.jitter`);
* ``seed``, ``jitter`` and the condition/drug/dose columns of the protocol
  (``condition``, ``ketamine_uM``, ``ap5_uM``, ``mibefradil_uM``, ...);
* with jitter, the conductances each cell got (``jittered_g_T_mS_cm2``, ...);
* the per-cell metrics of :attr:`habmodel.SimulationResult.metrics`:
  ``rate_hz, burst_fraction, bursts_per_s, spikes_per_burst, intraburst_hz,
  mode`` (plus ``n_spikes`` and ``isi_cv``).

Paired cells: the glutamate input of a cell is keyed by the run's seed and
its ``cell`` identity (``simulate(input_ids=...)``), and so is its jitter:
cell ``i`` gets the same input and the same conductances in every condition,
at every dose and grid point, so "the same cell with and without the drug"
means exactly that. Different identities get independent input.

Burst criteria are those of :data:`habmodel.analysis.DEFAULT_CRITERIA` unless
``criteria`` is given (state them in every caption: ``criteria.describe()``).

Every protocol passes further keyword arguments (``dt``, ``method``,
``engine``, ``ketamine_model``, and whatever else :func:`habmodel.simulate`
accepts) on to ``simulate``; ``overrides={"g_T": "2 mS/cm2"}`` (one value per
parameter) changes the model of every cell, except a parameter that the
protocol varies itself (an error).

Dimensional inputs are Brian2 quantities or strings (``"10 uM"``,
``[0, 1, 10]*uM``); a wrong dimension is a ``ValueError`` naming the input and
the expected unit.
"""

from __future__ import annotations

from ..analysis.burst_shapes import burst_shape_summary
from ..analysis.curves import conductance_block
from ..analysis.summaries import (
    DRUG_COLUMNS,
    METRICS,
    dose_response_means,
    fit_dose_response,
    jitter_summary,
    ketamine_created_bursting,
    mode_map_summary,
    panel_summary,
    rebound_summary,
    summarise,
)
from ..model.drugs import DEFAULT_DOSES_UM
from ._core import DEFAULT_G_NMDA, DEFAULT_K_O_MM, DEFAULT_SEED
from .burst_shapes import (
    DEFAULT_HOLDING_PA,
    DEFAULT_SHAPE_K_O_MM,
    burst_shapes,
    burst_shapes_with_examples,
)
from .dose import dose_response
from .mode_map import mode_map
from .panel import pharmacology_panel
from .population import jittered_population
from .rebound import rebound
from .vclamp import VClampResult, clamp_iv, vclamp
from .vclamp_protocols import VCLAMP_PROTOCOLS, vclamp_protocol

__all__ = [
    "METRICS", "DRUG_COLUMNS", "DEFAULT_SEED", "DEFAULT_DOSES_UM", "DEFAULT_K_O_MM",
    "DEFAULT_G_NMDA", "summarise", "pharmacology_panel", "panel_summary", "dose_response",
    "dose_response_means", "fit_dose_response", "conductance_block", "rebound",
    "rebound_summary", "mode_map", "mode_map_summary", "jittered_population", "jitter_summary",
    "ketamine_created_bursting", "vclamp", "VClampResult", "vclamp_protocol",
    "VCLAMP_PROTOCOLS", "clamp_iv", "burst_shapes", "burst_shapes_with_examples",
    "DEFAULT_SHAPE_K_O_MM", "DEFAULT_HOLDING_PA", "burst_shape_summary",
]
