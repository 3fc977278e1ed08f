"""Protocol 6: the shapes of the model's bursts along the [K+]o axis and with a holding
current (issue 28; ``docs/burst_shapes.md``).

Every burst of every cell is classified as square-wave, triangular or parabolic by
:func:`habmodel.analysis.classify_bursts`; the question is whether hyperpolarisation
(lower [K+]o, or a hyperpolarising holding current ``I_hold``) favours square-wave
bursts, as reported for mouse LHb neurons (J Physiol 604:3396, 2026).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.burst_shapes import (
    DEFAULT_SHAPE_CRITERIA,
    NO_BURST,
    SHAPE_COLUMNS,
    SHAPES,
    ShapeCriteria,
    classify_bursts,
)
from ..model.inputs import display_array
from ..model.jitter import check_fraction
from ..model.parameters import PARAMETERS, condition_values
from ._core import DEFAULT_SEED, _int, _Plan, _run, _seconds

#: Default [K+]o axis (mM): from below the depressed value (2.6) to the edge of bursting.
DEFAULT_SHAPE_K_O_MM = (2.4, 2.6, 3.0, 3.4, 3.6)
#: Default holding currents (pA): hyperpolarising to depolarising.
DEFAULT_HOLDING_PA = (-20.0, -10.0, 0.0, 10.0)
#: Window of an example burst: from this long before its first spike ...
EXAMPLE_BEFORE_S = 0.03
#: ... to this long after its last spike.
EXAMPLE_AFTER_S = 0.04


def shape_plan(k_o, holding, holding_condition, n_cells, shape: ShapeCriteria,
               examples: dict) -> _Plan:
    """The cells of the protocol and how its table is made (fills ``examples``)."""
    rows = [{"axis": "K_o", "K_o_mM": float(k), "I_hold_pA": 0.0, "condition": "control",
             "cell": c, "overrides": {"K_o": float(k)}}
            for k in k_o for c in range(n_cells)]
    k_hold = condition_values(holding_condition)["K_o"]
    rows += [{"axis": "I_hold", "K_o_mM": float(k_hold), "I_hold_pA": float(i),
              "condition": holding_condition, "cell": c, "overrides": {"I_hold": float(i)}}
             for i in holding for c in range(n_cells)]

    def finish(table, result):
        table = table.copy()  # the values each cell got (also with the user's overrides)
        table["K_o_mM"] = np.asarray(result.params["K_o"], float)[table["_index"]]
        table["I_hold_pA"] = np.asarray(result.params["I_hold"], float)[table["_index"]]
        out = []
        for _, row in table.iterrows():
            index = int(row["_index"])
            bursts = classify_bursts(result.t_s, result.v_mV[index], result.spikes_s[index],
                                     criteria=result.criteria, shape=shape)
            if bursts.empty:
                bursts = pd.DataFrame([{"burst": -1, "n_spikes": 0, "label": NO_BURST}],
                                      columns=list(SHAPE_COLUMNS))
            head = row.drop(labels=["_index"]).to_dict()
            head["cell_n_spikes"] = head.pop("n_spikes")  # the cell's; n_spikes: the burst's
            for burst in bursts.to_dict("records"):
                out.append({**head, **burst, "_index": index})
        expanded = pd.DataFrame(out)
        examples.update(_examples(expanded, result))
        return expanded

    return _Plan(rows, finish)


def _examples(table: pd.DataFrame, result) -> dict:
    """One typical burst of each shape found: the one nearest the median of its shape's
    plateau_retained (ties: the first)."""
    found = {}
    for label in SHAPES:
        chosen = table[table["label"] == label]
        if chosen.empty:
            continue
        retained = chosen["plateau_retained"].astype(float)
        pick = chosen.loc[(retained - retained.median()).abs().idxmin()] \
            if retained.notna().any() else chosen.iloc[0]
        index = int(pick["_index"])
        t = np.asarray(result.t_s)
        window = (t >= pick["start_s"] - EXAMPLE_BEFORE_S) & (t <= pick["end_s"] + EXAMPLE_AFTER_S)
        found[label] = {"t_ms": (t[window] - pick["start_s"]) * 1e3,
                        "v_mV": np.asarray(result.v_mV[index])[window].copy(),
                        "baseline_mV": float(pick["baseline_mV"]),
                        **{k: pick[k] for k in ("axis", "K_o_mM", "I_hold_pA", "cell",
                                                "burst", "n_spikes")}}
    return found


def _axis(values, unit: str, name: str, default) -> np.ndarray:
    """An axis in ``unit``: ``None`` the default, an empty sequence no axis."""
    if values is None:
        return np.array(default, float)
    if isinstance(values, (list, tuple)) and len(values) == 0:
        return np.array([], float)
    return display_array(values, unit, name)


def burst_shapes_with_examples(k_o_values=None, holding_currents=None, *,
                               holding_condition: str = "depressed", n_cells: int = 4,
                               duration="3 s", seed: int = DEFAULT_SEED, jitter: float = 0.0,
                               warmup=None, criteria=None, shape: ShapeCriteria | None = None,
                               **simulate_options) -> tuple[pd.DataFrame, dict]:
    """:func:`burst_shapes`, and one example burst of each shape found.

    Returns
    -------
    table : DataFrame
        As :func:`burst_shapes`.
    examples : dict
        ``{shape: {"t_ms", "v_mV", "baseline_mV", "axis", "K_o_mM", "I_hold_pA",
        "cell", "burst", "n_spikes"}}``: the voltage from 30 ms before the first
        spike (t = 0) to 40 ms after the last, for each shape that occurred
        (for :func:`habmodel.plotting.burst_shapes.plot_burst_shapes`).
    """
    k_o = _axis(k_o_values, "mM", "k_o_values", DEFAULT_SHAPE_K_O_MM)
    holding = _axis(holding_currents, "pA", "holding_currents", DEFAULT_HOLDING_PA)
    for value in k_o:
        PARAMETERS["K_o"].check(value)
    for value in holding:
        PARAMETERS["I_hold"].check(value)
    condition_values(holding_condition)
    if k_o.size + holding.size == 0:
        raise ValueError("k_o_values, holding_currents: expected at least one value")
    shape = DEFAULT_SHAPE_CRITERIA if shape is None else shape
    if not isinstance(shape, ShapeCriteria):
        raise TypeError(f"shape: expected a ShapeCriteria, got {shape!r}")
    if "record_v" in simulate_options:
        raise ValueError("record_v: this protocol records every cell's voltage itself")
    examples: dict = {}
    plan = shape_plan(k_o, holding, holding_condition, _int("n_cells", n_cells, 1), shape,
                      examples)
    table = _run(plan, _seconds(duration, "duration"), _int("seed", seed, 0, 2**63 - 1),
                 check_fraction(jitter), warmup, criteria, {**simulate_options, "record_v": True})
    first = list(table.columns[:table.columns.get_loc("cell") + 1]) + list(SHAPE_COLUMNS)
    return table[first + [c for c in table.columns if c not in first]], examples


def burst_shapes(k_o_values=None, holding_currents=None, *,
                 holding_condition: str = "depressed", n_cells: int = 4, duration="3 s",
                 seed: int = DEFAULT_SEED, jitter: float = 0.0, warmup=None, criteria=None,
                 shape: ShapeCriteria | None = None, **simulate_options) -> pd.DataFrame:
    """Burst shapes along the [K+]o axis and with a holding current, in one simulation.

    Two axes, ``n_cells`` cells per point (independent glutamate input; cell ``i``
    gets the same input at every point):

    * ``axis == "K_o"``: [K+]o at each of ``k_o_values`` (no injected current; the
      other parameters are the control values, so 2.6 mM is the depressed cell);
    * ``axis == "I_hold"``: the ``holding_condition`` cell with a constant injected
      current ``I_hold`` at each of ``holding_currents`` (< 0: hyperpolarising).

    Every cell's voltage is recorded and each of its bursts (the burst ``criteria``)
    is classified by :func:`habmodel.analysis.classify_bursts` with ``shape``.

    Parameters
    ----------
    k_o_values : Quantity array or sequence
        [K+]o values (default :data:`DEFAULT_SHAPE_K_O_MM` mM); ``[]``: no K_o axis.
    holding_currents : Quantity array or sequence
        Holding currents (default :data:`DEFAULT_HOLDING_PA` pA); ``[]``: no such axis.
    holding_condition : str
        The named condition the holding current is applied to.
    shape : ShapeCriteria, optional
        The thresholds of the shape classes.

    Returns
    -------
    DataFrame
        One row per burst: ``axis, K_o_mM, I_hold_pA, condition, cell``, the
        columns of :func:`habmodel.analysis.classify_bursts` (``burst, start_s,
        ..., label``), the drug columns, ``seed, jitter`` and the cell's metrics
        (its spike count as ``cell_n_spikes``; ``n_spikes`` is the burst's).
        A cell without bursts has one row with ``label == "none"``, ``burst ==
        -1``, ``n_spikes == 0`` and NaN measures, so every cell is in the table.
        Summarise with :func:`habmodel.analysis.burst_shape_summary`.

    Examples
    --------
    >>> from habmodel import experiments
    >>> from habmodel.analysis import burst_shape_summary
    >>> table = experiments.burst_shapes(k_o_values=["2.6 mM", "5 mM"], holding_currents=[],
    ...                                  n_cells=1, duration="2 s", seed=1)
    >>> burst_shape_summary(table)[["K_o_mM", "n_bursts", "n_parabolic"]].values.tolist()
    [[2.6, 7.0, 0.0], [5.0, 0.0, 0.0]]
    """
    table, _ = burst_shapes_with_examples(
        k_o_values, holding_currents, holding_condition=holding_condition, n_cells=n_cells,
        duration=duration, seed=seed, jitter=jitter, warmup=warmup, criteria=criteria,
        shape=shape, **simulate_options)
    return table
