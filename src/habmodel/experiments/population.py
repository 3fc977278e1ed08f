"""Protocol 5: jittered populations (docs/science.md claim 9)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import analysis
from ..jitter import check_fraction
from ..parameters import condition_values
from ._core import DEFAULT_SEED, DRUG_COLUMNS, _doses, _identity, _int, _Plan, _run, _seconds

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


def ketamine_created_bursting(table: pd.DataFrame) -> pd.DataFrame:
    """Per condition and cell: does ketamine create bursting the drug-free cell does not show?

    A cell "bursts" when its firing mode is ``"burst"``; rows with another
    drug (AP5, mibefradil) are ignored. Returns ``condition, cell,
    bursts_without_drug, bursts_with_ketamine`` (at some dose > 0) and
    ``created`` (with ketamine but not without).
    """
    dose = "ketamine_uM"
    others = [c for name, c in DRUG_COLUMNS.items() if name != "ketamine" and c in table]
    if others:
        table = table[(table[others] == 0).all(axis=1)]
    burst = table.assign(_b=table["mode"] == "burst")
    rows = []
    for (cond, cell), group in burst.groupby(["condition", "cell"], sort=False):
        without = bool(group.loc[group[dose] == 0, "_b"].any())
        with_k = bool(group.loc[group[dose] > 0, "_b"].any())
        rows.append({"condition": cond, "cell": int(cell), "bursts_without_drug": without,
                     "bursts_with_ketamine": with_k, "created": with_k and not without})
    return pd.DataFrame(rows)


def jitter_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Claim 9 per condition.

    Returns
    -------
    DataFrame
        One row per condition: ``n_cells``, ``frac_silent/tonic/burst``
        without drug, ``max_dose_uM`` and ``frac_burst_max_dose`` (at the
        highest ketamine dose), ``burst_cut`` (relative reduction of the
        bursting fraction by that dose; NaN if no cell bursts without drug) and
        ``frac_created`` (fraction of cells in which ketamine creates bursting
        at some dose, :func:`ketamine_created_bursting`).
    """
    dose = "ketamine_uM"
    created = ketamine_created_bursting(table)
    rows = []
    for cond, group in table.groupby("condition", sort=False):
        free = group[group[dose] == 0]
        top = float(group[dose].max())
        at_top = group[group[dose] == top]
        fractions = analysis.mode_fractions(free["mode"])
        base = fractions["burst"]
        frac_top = analysis.mode_fractions(at_top["mode"])["burst"]
        rows.append({"condition": cond, "n_cells": int(group["cell"].nunique()),
                     **{f"frac_{m}": fractions[m] for m in analysis.MODES},
                     "max_dose_uM": top, "frac_burst_max_dose": frac_top,
                     "burst_cut": (1 - frac_top / base) if base > 0 else math.nan,
                     "frac_created": float(created.loc[created["condition"] == cond,
                                                       "created"].mean())})
    return pd.DataFrame(rows)
