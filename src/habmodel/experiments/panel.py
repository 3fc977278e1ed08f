"""Protocol 1: the pharmacology panel."""

from __future__ import annotations

import pandas as pd

from ..model.jitter import check_fraction
from ._core import (
    _DRUG_LABEL,
    DEFAULT_SEED,
    _conc,
    _doses,
    _fmt,
    _identity,
    _int,
    _Plan,
    _run,
    _seconds,
)

# --- 1. pharmacology panel ---------------------------------------------------------------------

def _label(condition: str, drugs: dict) -> str:
    parts = [condition] + [f"{_DRUG_LABEL.get(d, d)} {_fmt(c)} uM" for d, c in drugs.items()]
    return " + ".join(parts)


def panel_plan(n_cells, ketamine_doses, ap5, mibefradil, control_ketamine) -> _Plan:
    conditions = [("control", {}), ("depressed", {})]
    conditions += [("depressed", {"ketamine": d}) for d in ketamine_doses if d > 0]
    if ap5 > 0:
        conditions.append(("depressed", {"ap5": ap5}))
    if mibefradil > 0:
        conditions.append(("depressed", {"mibefradil": mibefradil}))
    conditions += [("control", {"ketamine": d}) for d in control_ketamine if d > 0]
    rows = [{"label": _label(cond, drugs), "condition": cond, "cell": c, "drugs": drugs}
            for cond, drugs in conditions for c in range(n_cells)]
    return _Plan(rows, _identity)


def pharmacology_panel(n_cells: int = 20, duration="5 s", seed: int = DEFAULT_SEED,
                       ketamine_doses=("1 uM", "3 uM", "10 uM"), *, ap5="50 uM",
                       mibefradil="2 uM", control_ketamine=None, jitter: float = 0.0,
                       warmup=None, criteria=None, **simulate_options) -> pd.DataFrame:
    """The pharmacology panel of docs/science.md claims 1-4 and 8, in one simulation.

    Conditions (``label`` column), each with ``n_cells`` cells: control;
    depressed; depressed + ketamine at each of ``ketamine_doses``; depressed +
    AP5 ``ap5``; depressed + mibefradil ``mibefradil``; control + ketamine at
    each of ``control_ketamine`` (default: the same doses as ``ketamine_doses``).

    Parameters
    ----------
    n_cells : int
        Cells per condition.
    duration : Quantity or str
        Recorded time per cell.
    ketamine_doses, control_ketamine : Quantity array or sequence
        Ketamine concentrations (a dose of 0 is skipped: it is the drug-free condition).
    ap5, mibefradil : Quantity or str
        Concentrations; 0 leaves the condition out.
    jitter : float
        Conductance jitter F (0 = identical cells): the same cells in every condition.

    Returns
    -------
    DataFrame
        One row per cell: ``label, condition, cell, ketamine_uM, ap5_uM,
        mibefradil_uM, seed, jitter`` and the metrics. :func:`panel_summary`
        gives mean +- SD and mode fractions per condition.

    Examples
    --------
    >>> from habmodel import experiments
    >>> table = experiments.pharmacology_panel(n_cells=2, duration="1 s", seed=1,
    ...                                        ketamine_doses=["10 uM"])
    >>> summary = experiments.panel_summary(table)
    >>> dict(zip(summary["label"], summary["frac_burst"].tolist()))
    {'control': 0.0, 'depressed': 1.0, 'depressed + ketamine 10 uM': 0.0,
     'depressed + AP5 50 uM': 0.0, 'depressed + mibefradil 2 uM': 0.0,
     'control + ketamine 10 uM': 0.0}
    """
    n_cells = _int("n_cells", n_cells, 1)
    seed = _int("seed", seed, 0, 2**63 - 1)
    duration_s = _seconds(duration, "duration")
    doses = _doses(ketamine_doses, "ketamine_doses")
    control = doses if control_ketamine is None else _doses(control_ketamine, "control_ketamine")
    plan = panel_plan(n_cells, doses, _conc(ap5, "ap5"), _conc(mibefradil, "mibefradil"),
                       control)
    return _run(plan, duration_s, seed, check_fraction(jitter), warmup, criteria,
                simulate_options)


