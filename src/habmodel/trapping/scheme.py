"""The kinetic ketamine block at a fixed voltage: rates, IC50 and steady-state block."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..model.units import to_display, unit_of
from ._base import _parameters

# --- the scheme at a fixed voltage --------------------------------------------------------

def _b_mg(v_mV, mg_mM):
    """The Jahr-Stevens Mg2+ unblock of :data:`habmodel.model.EQUATIONS`."""
    return 1.0 / (1.0 + mg_mM / 3.57 * np.exp(-0.062 * np.asarray(v_mV, float)))


def _rates(p: Mapping, v_mV):
    """Block rate per uM and unblock rate (1/s) of an open channel at ``v_mV``."""
    m = 1.0 - p["ket_Mg_competition"] * (1.0 - _b_mg(v_mV, p["Mg_o"]))
    return p["k_on_ket"] * m, p["k_off_ket"] * np.exp(np.asarray(v_mV, float) / p["V_off_ket"])


def block_rates(v="-66 mV", *, condition: str = "depressed", overrides=None) -> dict:
    """Block and unblock rates of an open NMDA channel at a fixed voltage.

    Returns ``{"k_block_per_uM_hz", "k_unblock_hz", "mg_free"}`` (floats; the
    block rate per uM of ketamine and the unblock rate of an open-blocked
    channel, in 1/s, and ``m(V)``, the Mg2+-free fraction of open pores).
    """
    v_mV = to_display(v, "mV", "v")
    p = _parameters(condition, overrides)
    on, off = _rates(p, v_mV)
    return {"k_block_per_uM_hz": float(on), "k_unblock_hz": float(off),
            "mg_free": float(on / p["k_on_ket"]) if p["k_on_ket"] else math.nan}


def ic50_at(v="-66 mV", *, condition: str = "depressed", overrides=None):
    """Steady-state ketamine IC50 of the scheme at a fixed voltage (Brian2 quantity, uM).

    ``k_off(V) / (k_on m(V))``; with ``Mg_o`` from the condition (override it to
    compare 0 and 1 mM). Independent of the channels' open probability.
    """
    import brian2

    rates = block_rates(v, condition=condition, overrides=overrides)
    if rates["k_block_per_uM_hz"] <= 0:
        return math.inf * brian2.uM
    return rates["k_unblock_hz"] / rates["k_block_per_uM_hz"] * brian2.uM


def steady_state_block(concentrations, v="-66 mV", *, condition: str = "depressed",
                       overrides=None) -> np.ndarray:
    """Steady-state blocked fraction at fixed voltage for ketamine ``concentrations``."""
    from ..model.inputs import display_array

    conc = display_array(concentrations, "uM", "concentrations")
    if np.any(conc < 0):
        raise ValueError("concentrations: expected concentrations >= 0 uM")
    ic50 = float(ic50_at(v, condition=condition, overrides=overrides) / unit_of("uM"))
    return conc / (conc + ic50)
