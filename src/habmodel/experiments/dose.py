"""Protocol 2: dose-response, its Hill fit and the conductance block."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..curves import evaluate
from ..drugs import DRUGS, availability, resolve_drug
from ..fitting import HillFit, fit_hill
from ..jitter import check_fraction
from ..parameters import condition_values
from ..units import to_display
from ._core import (
    _NUMERIC,
    DEFAULT_DOSES_UM,
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
        A drug of :data:`habmodel.drugs.DRUGS`.
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


def dose_response_means(table: pd.DataFrame, metric: str = "bursts_per_s") -> pd.DataFrame:
    """``dose_uM, mean, sd, n_cells`` of ``metric`` per dose (sorted by dose)."""
    if metric not in _NUMERIC:
        raise ValueError(f"metric: expected one of {', '.join(_NUMERIC)}, got {metric!r}")
    grouped = table.groupby("dose_uM", sort=True)[metric]
    out = pd.DataFrame({"mean": grouped.mean(), "sd": grouped.std(ddof=1),
                        "n_cells": grouped.size()}).reset_index()
    return out


def fit_dose_response(table: pd.DataFrame, metric: str = "bursts_per_s", *,
                      top: float | None = None, bottom: float | None = 0.0) -> HillFit:
    """Hill fit (:func:`habmodel.fitting.fit_hill`) of the per-dose mean of ``metric``.

    Doses at which the mean is undefined (no cell with a defined value) are
    left out.
    """
    means = dose_response_means(table, metric).dropna(subset=["mean"])
    return fit_hill(means["dose_uM"].to_numpy(), means["mean"].to_numpy(), top=top,
                    bottom=bottom)


def conductance_block(drug: str = "ketamine", doses=None, v="-60 mV", *,
                      condition: str = "control") -> pd.DataFrame:
    """Fraction of the drug's target conductance blocked at each dose, at voltage ``v``.

    Computed from the drug layer (:func:`habmodel.drugs.availability`) and,
    for pore blockers, the model's ``pore_free`` expression at ``v`` (the
    block is voltage independent unless ``ketamine_delta > 0``).

    Returns
    -------
    DataFrame
        ``drug, target, dose_uM, v_mV, free_fraction, blocked_fraction``.
    """
    d = resolve_drug(drug)
    doses = np.array(DEFAULT_DOSES_UM) if doses is None else _doses(doses, "doses")
    v_mV = to_display(v, "mV", "v")
    params = {k: np.full(doses.size, val) for k, val in condition_values(condition).items()}
    avail = availability({d: doses}, params, doses.size)
    target = "NMDA" if d.target == "NMDA_pore" else d.target
    free = np.asarray(avail[f"avail_{target}"], float)
    if d.target == "NMDA_pore":
        pore = evaluate("pore_free", {"v": v_mV * 1e-3, "pore_load": avail["pore_load"],
                                      "pore_delta": avail["pore_delta"]}, condition=condition)
        free = free * np.asarray(pore, float)
    return pd.DataFrame({"drug": d.name, "target": target, "dose_uM": doses, "v_mV": v_mV,
                         "free_fraction": free, "blocked_fraction": 1.0 - free})
