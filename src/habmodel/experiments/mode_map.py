"""Protocol 4: the firing-mode map over [K+]o x NMDA drive."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.curves import evaluate
from ..model.inputs import display_array
from ..model.jitter import check_fraction
from ..model.parameters import PARAMETERS, condition_values
from ..model.units import unit_of
from ._core import (
    DEFAULT_G_NMDA,
    DEFAULT_K_O_MM,
    DEFAULT_SEED,
    _doses,
    _identity,
    _int,
    _Plan,
    _run,
    _seconds,
)

# --- 4. firing-mode map ----------------------------------------------------------------------

def map_plan(k_o, g_nmda, ket, condition, n_cells) -> _Plan:
    e_k = _e_k(k_o, condition)
    rows = [{"K_o_mM": float(k), "E_K_mV": float(e),
             "g_NMDA_mS_cm2": float(g), "condition": condition, "cell": c,
             "drugs": {"ketamine": float(d)} if d > 0 else {},
             "overrides": {"K_o": float(k), "g_NMDA": float(g)}}
            for d in ket for k, e in zip(k_o, e_k, strict=True) for g in g_nmda
            for c in range(n_cells)]
    return _Plan(rows, _identity)


def _e_k(k_o_mM, condition) -> np.ndarray:
    """E_K (mV) of the model's Nernst expression at each [K+]o (mM) of ``condition``."""
    k_o_si = np.asarray(k_o_mM, float) * float(unit_of("mM"))
    return np.asarray(evaluate("E_K", {"K_o": k_o_si}, condition=condition), float) * 1e3


def mode_map(k_o_values=None, nmda_values=None, ketamine_doses=("0 uM", "1 uM", "10 uM"), *,
             n_cells: int = 1, duration="3 s", seed: int = DEFAULT_SEED,
             condition: str = "control", jitter: float = 0.0, warmup=None,
             criteria=None, **simulate_options) -> pd.DataFrame:
    """Firing mode over [K+]o (and so E_K) x NMDA drive (g_NMDA), at several ketamine doses.

    All grid points x doses x ``n_cells`` in one simulation; the other
    parameters are those of ``condition``.

    Classification of a grid point: with ``n_cells = 1`` (default) the mode of
    its single cell; with more, :func:`mode_map_summary` takes the majority
    mode (ties go to burst, then tonic: a point where half the cells burst is
    shown as burst, so bursting is never hidden by the summary).

    Parameters
    ----------
    k_o_values : Quantity array or sequence
        [K+]o values (default :data:`DEFAULT_K_O_MM` mM).
    nmda_values : Quantity array or sequence
        g_NMDA values (default :data:`DEFAULT_G_NMDA` mS/cm2).
    ketamine_doses : Quantity array or sequence
        One map per dose.

    Returns
    -------
    DataFrame
        One row per cell: ``ketamine_uM, K_o_mM, E_K_mV, g_NMDA_mS_cm2,
        condition, cell``, the drug columns, ``seed, jitter`` and the metrics.

    Examples
    --------
    >>> from habmodel import experiments
    >>> table = experiments.mode_map(k_o_values=["2.75 mM", "5 mM"], nmda_values=["2.3 mS/cm2"],
    ...                              ketamine_doses=["0 uM"], duration="1 s", seed=1)
    >>> table["mode"].tolist()
    ['burst', 'tonic']
    """
    k_o = (np.array(DEFAULT_K_O_MM) if k_o_values is None
           else display_array(k_o_values, "mM", "k_o_values"))
    g = (np.array(DEFAULT_G_NMDA) if nmda_values is None
         else display_array(nmda_values, "mS/cm2", "nmda_values"))
    for value in k_o:
        PARAMETERS["K_o"].check(value)
    for value in g:
        PARAMETERS["g_NMDA"].check(value)
    ket = _doses(ketamine_doses, "ketamine_doses")
    condition_values(condition)
    plan = map_plan(k_o, g, ket, condition, _int("n_cells", n_cells, 1))
    return _run(plan, _seconds(duration, "duration"), _int("seed", seed, 0, 2**63 - 1),
                check_fraction(jitter), warmup, criteria, simulate_options)


