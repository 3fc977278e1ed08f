"""One dose, one day: what the physiological rates give, and what would have to be true.

Ma et al. (2023) report that one dose of ketamine blocks LHb NMDA receptors and
suppresses bursting for up to 24 h, that LHb activity after the drug has gone
speeds recovery, and that activity while the drug is present prolongs the
effect. With the literature rates of :mod:`habmodel.trapping` (block within
seconds, unblock at 0.22 /s at -70 mV), the simulated cell loses its block within
about an hour of clearance: its channels keep opening at the rate its glutamate
input sets, and each opening lets trapped ketamine out.

:func:`required_opening_after` asks the model what would have to be true: by
what factor the channels of the cell left alone would have to open less often
from some time after the dose on (the ``opening_after`` hypothesis of
:func:`habmodel.trapping.reduced_block`) for one dose to suppress bursting by half a
day later. :func:`exposure_bound` gives the reason in one number: at a fixed
opening, the block that gets in times the time it stays is at most about the
drug exposure (the integral of the concentration) over the cell's IC50.
:func:`one_dose_summary` reads the block and the burst suppression at fixed
times after the dose from a :func:`habmodel.trapping.day_course` table.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._base import _fraction, _seconds
from .pharmacokinetics import Regimen, regimen
from .reduced import reduced_block

#: Times after the dose (h) reported by :func:`one_dose_summary` and claim 7.
REPORT_HOURS = (1.0, 4.0, 12.0, 24.0)


def one_dose_summary(course: pd.DataFrame, hours=REPORT_HOURS) -> pd.DataFrame:
    """Block and burst suppression at ``hours`` after the dose, per course.

    ``course`` is a :func:`habmodel.trapping.day_course` table; the result has one
    row per ``species, stim_arm`` and hour: ``hours_after_dose, blocked,
    burst_suppression``.
    """
    keys = [k for k in ("species", "stim_arm") if k in course]
    rows = []
    for key, group in course.groupby(keys, sort=False) if keys else [((), course)]:
        t = group["time_h"].to_numpy(float)
        for h in hours:
            if h > t[-1] + 1e-9:
                raise ValueError(f"hours: {h:g} h is beyond the course ({t[-1]:g} h)")
            row = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
            row.update(hours_after_dose=float(h),
                       blocked=float(np.interp(h, t, group["blocked"].to_numpy(float))),
                       burst_suppression=float(np.interp(
                           h, t, group["burst_suppression"].to_numpy(float))))
            rows.append(row)
    return pd.DataFrame(rows)


def _suppression_at(table, reg, at_s, after_s, f, overrides) -> float:
    course = reduced_block(table, reg, f"{at_s} s", readout="quiet", step=f"{at_s / 96} s",
                           overrides=overrides, opening_after=(f"{after_s} s", f))
    return float(course["burst_suppression"].iloc[-1])


def required_opening_after(table: pd.DataFrame, species: str = "mouse", dose=None, *,
                           after="30 min", at="24 h", suppression: float = 0.5,
                           overrides=None, low: float = 1e-9) -> float:
    """Largest factor on the channel opening of the cell left alone from ``after`` on at
    which one dose still suppresses bursting by ``suppression`` at ``at``.

    Bisection (in log factor, to 2 %) on the reduced model of ``table`` (a
    :func:`habmodel.trapping.firing_mode_table` whose first arm is the cell left
    alone). Returns 1.0 if the simulated cell already meets the target, and
    ``nan`` if not even ``low`` does (too little block got in before ``after``).
    """
    target = _fraction(suppression, "suppression")
    at_s, after_s = _seconds(at, "at"), _seconds(after, "after", positive=False)
    reg = dose if isinstance(dose, Regimen) else regimen(dose, species)

    def ok(f):
        return _suppression_at(table, reg, at_s, after_s, f, overrides) >= target

    if ok(1.0):
        return 1.0
    if not ok(low):
        return math.nan
    lo, hi = math.log(low), 0.0
    while hi - lo > 0.02:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if ok(math.exp(mid)) else (lo, mid)
    return float(math.exp(lo))


def exposure_bound(table: pd.DataFrame, species: str = "mouse", dose=None, *,
                   overrides=None) -> dict:
    """The bound on "block that gets in x time it stays" at a fixed opening.

    For a small block, ``dB/dt = k_on c p_entry - k_off p_exit B`` gives a block of
    at most ``k_on p_entry * exposure`` that decays with time constant
    ``1/(k_off p_exit)``; their product is ``exposure / IC50`` with
    ``IC50 = k_off p_exit / (k_on p_entry)`` (the first arm of ``table`` at no
    block). Returns ``exposure_uM_s`` (the integral of the brain concentration),
    ``ic50_uM``, ``bound_h`` (exposure / IC50 in hours) and ``tau_h`` (how long
    the block would stay). One dose acting for a day at half block needs the
    bound to reach about 12 h.
    """
    from .full import _arm_table, _table_rates

    reg = dose if isinstance(dose, Regimen) else regimen(dose, species)
    t = np.linspace(0.0, 48 * 3600.0, 200001)
    exposure = float(np.trapezoid(reg.brain_uM(t), t))
    first = _arm_table(table, str(table["arm"].iloc[0]))
    k_on, k_off = _table_rates(table, overrides)
    p_in, p_out = float(first["p_entry"].iloc[0]), float(first["p_exit"].iloc[0])
    ic50 = k_off * p_out / (k_on * p_in)
    return {"exposure_uM_s": exposure, "ic50_uM": ic50, "bound_h": exposure / ic50 / 3600.0,
            "tau_h": 1.0 / (k_off * p_out) / 3600.0}
