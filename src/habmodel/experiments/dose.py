"""Protocol 2: dose-response (its Hill fit and the conductance block are in
:mod:`habmodel.analysis`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model.drugs import DEFAULT_DOSES_UM, DRUGS, resolve_drug
from ..model.jitter import check_fraction
from ..model.parameters import condition_values
from ._core import (
    DEFAULT_SEED,
    _doses,
    _identity,
    _int,
    _Plan,
    _run,
    _seconds,
)

# --- 2. dose-response ------------------------------------------------------------------------

def dose_plan(drug: str, doses, condition: str, n_cells: int) -> _Plan:
    rows = [{"drug": drug, "dose_uM": float(d), "condition": condition, "cell": c,
             "drugs": {drug: float(d)} if d > 0 else {}}
            for d in doses for c in range(n_cells)]
    return _Plan(rows, _identity)



def dose_response(drug: str = "ketamine", doses=None, condition: str = "depressed",
                  n_cells: int = 10, duration="3 s", seed: int = DEFAULT_SEED, *,
                  jitter: float = 0.0, warmup=None, criteria=None, overrides=None,
                  **simulate_options) -> pd.DataFrame:
    """Dose-response of one drug in one condition, all doses in one simulation.

    Parameters
    ----------
    drug : str
        A drug of :data:`habmodel.model.drugs.DRUGS`.
    doses : Quantity array or sequence
        Concentrations (default :data:`DEFAULT_DOSES_UM` uM); include 0 for the
        drug-free response.
    condition : str
        Named condition (default ``"depressed"``).
    n_cells : int
        Cells per dose.
    overrides : dict, optional
        Parameter values that replace the condition's (one value each).

    Returns
    -------
    DataFrame
        One row per cell: ``drug, dose_uM, condition, cell``, the drug columns,
        ``seed, jitter`` and the metrics. Fit it with :func:`fit_dose_response`.

    Examples
    --------
    >>> from habmodel import experiments
    >>> table = experiments.dose_response("ketamine", doses=["0 uM", "10 uM"], n_cells=2,
    ...                                   duration="1 s", seed=1)
    >>> table.groupby("dose_uM")["bursts_per_s"].mean().round(1).to_dict()
    {0.0: 3.0, 10.0: 0.0}
    """
    name = resolve_drug(drug).name
    if name not in DRUGS:
        raise ValueError(f"drug: expected one of {', '.join(DRUGS)}, got {drug!r}")
    condition_values(condition)
    doses = (np.array(DEFAULT_DOSES_UM) if doses is None else _doses(doses, "doses"))
    n_cells = _int("n_cells", n_cells, 1)
    seed = _int("seed", seed, 0, 2**63 - 1)
    plan = dose_plan(name, doses, condition, n_cells)
    simulate_options = {**simulate_options, "overrides": overrides}
    return _run(plan, _seconds(duration, "duration"), seed, check_fraction(jitter), warmup,
                criteria, simulate_options)


