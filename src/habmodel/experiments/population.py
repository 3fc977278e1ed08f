"""Protocol 5: jittered populations (docs/science.md claim 9)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.jitter import check_fraction
from ..model.parameters import condition_values
from ._core import DEFAULT_SEED, _doses, _identity, _int, _Plan, _run, _seconds

# --- 5. jittered population (claim 9) ---------------------------------------------------------

def jitter_plan(n_cells, doses, conditions) -> _Plan:
    rows = [{"condition": cond, "cell": c,
             "drugs": {"ketamine": float(d)} if d > 0 else {}}
            for cond in conditions for d in doses for c in range(n_cells)]
    return _Plan(rows, _identity)


def jittered_population(fraction: float = 0.2, n_cells: int = 100, seed: int = DEFAULT_SEED,
                        ketamine_doses=("0.3 uM", "1 uM", "3 uM", "10 uM"), duration="3 s", *,
                        conditions=("control", "depressed"), warmup=None,
                        criteria=None, **simulate_options) -> pd.DataFrame:
    """docs/science.md claim 9: a +-``fraction`` conductance-jittered population in every condition.

    The same ``n_cells`` cells (same jittered conductances, keyed by ``seed``
    and the cell identity) in each condition, without drug and at each
    ketamine dose, in one simulation.

    Returns
    -------
    DataFrame
        One row per cell and condition: ``condition, cell``,
        the drug columns, ``seed, jitter`` and the metrics. Summarise with
        :func:`jitter_summary`.

    Examples
    --------
    >>> from habmodel import experiments
    >>> table = experiments.jittered_population(0.2, n_cells=4, ketamine_doses=["10 uM"],
    ...                                         duration="1 s", seed=1)
    >>> summary = experiments.jitter_summary(table)
    >>> summary[["frac_burst", "frac_burst_max_dose"]].to_numpy().tolist()
    [[0.0, 0.0], [1.0, 0.0]]
    """
    fraction = check_fraction(fraction)
    n_cells = _int("n_cells", n_cells, 1)
    doses = _doses(ketamine_doses, "ketamine_doses")
    doses = np.unique(np.r_[0.0, doses])
    for cond in conditions:
        condition_values(cond)
    plan = jitter_plan(n_cells, doses, list(conditions))
    return _run(plan, _seconds(duration, "duration"), _int("seed", seed, 0, 2**63 - 1),
                fraction, warmup, criteria, simulate_options)


