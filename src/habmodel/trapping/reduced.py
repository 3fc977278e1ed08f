"""The reduced model: the block over hours, driven by the block rates of the firing-mode table."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from ._base import DEFAULT_BLOCKS, DEFAULT_SEED, _fraction, _sec, _seconds, _uM
from .full import (
    _arm_table,
    _check_table,
    _table_rates,
    block_summary,
    block_time_course,
    firing_mode_table,
)
from .pharmacokinetics import Regimen

# --- the reduced model ----------------------------------------------------------------------

def _concentration_function(concentration) -> tuple[Callable, list[float]]:
    """``f(t_s) -> uM`` and its break points from a constant, a Regimen or a callable."""
    if isinstance(concentration, Regimen):
        breaks = [concentration.start_s]
        if concentration.route == "infusion":
            breaks.append(concentration.start_s + concentration.infusion_s)
        return concentration.brain_uM, breaks
    if callable(concentration):
        def checked(t):
            value = np.asarray(concentration(t), float)
            if np.any(~np.isfinite(value)) or np.any(value < 0):
                raise ValueError("concentration: the function returned a negative or "
                                 "non-finite value (expected uM >= 0)")
            return value
        return checked, []
    conc = _uM(concentration, "concentration")
    return (lambda t: np.full(np.shape(t), conc)), []


def _schedule(schedule, arms: list[str], total_s: float) -> list[tuple[float, float, str]]:
    """``[(start_s, stop_s, arm)]`` covering [0, total]: the first arm where none is given."""
    base = arms[0]
    if schedule is None:
        return [(0.0, total_s, base)]
    windows = []
    for item in schedule:
        if not (isinstance(item, (tuple, list)) and len(item) == 3):
            raise ValueError(f"schedule: expected (start, stop, arm) triples, got {item!r}")
        start = _seconds(item[0], "schedule start", positive=False)
        stop = _seconds(item[1], "schedule stop", positive=False)
        if stop <= start:
            raise ValueError(f"schedule: stop must come after start in {item!r}")
        if item[2] not in arms:
            raise ValueError(f"schedule: arm {item[2]!r} is not in the table (arms: "
                             f"{', '.join(map(repr, arms))})")
        windows.append((start, min(stop, total_s), item[2]))
    windows.sort()
    for (_, stop, _), (start, _, _) in zip(windows, windows[1:], strict=False):
        if start < stop:
            raise ValueError("schedule: windows overlap")
    out, t = [], 0.0
    for start, stop, arm in windows:
        if start >= total_s:
            break
        if start > t:
            out.append((t, start, base))
        out.append((start, stop, arm))
        t = stop
    if t < total_s:
        out.append((t, total_s, base))
    return out


def _opening(opening_after) -> tuple[float, float]:
    """``(start_s, factor)`` of the ``opening_after`` hypothesis (``(inf, 1)`` when off)."""
    if opening_after is None:
        return math.inf, 1.0
    if not (isinstance(opening_after, (tuple, list)) and len(opening_after) == 2):
        raise ValueError(f"opening_after: expected (time, factor), got {opening_after!r}")
    factor = _fraction(opening_after[1], "opening_after factor")
    if factor <= 0:
        raise ValueError("opening_after factor: expected a fraction in (0, 1], got 0")
    return _seconds(opening_after[0], "opening_after time", positive=False), factor


def reduced_block(table: pd.DataFrame, concentration, duration="24 h", *, initial_block=0.0,
                  schedule=None, readout: str | None = None, step="5 min",
                  overrides=None, opening_after=None) -> pd.DataFrame:
    """Blocked fraction over hours by the reduced model, with the firing it implies.

    Parameters
    ----------
    table : DataFrame
        From :func:`firing_mode_table`; each arm is one firing state (quiet,
        stimulated, ...). Its first arm is the default state.
    concentration : quantity, str, Regimen or callable
        Ketamine at the receptors: constant (``"10 uM"``), a
        :class:`habmodel.trapping.pharmacokinetics.Regimen` (its ``brain_uM``) or a
        function of time in seconds returning uM.
    duration, step : quantity or str
        Time span (from 0) and output interval.
    initial_block : float
        Blocked fraction at time 0.
    schedule : list of (start, stop, arm), optional
        When the cell is in another arm's state (``[("6 h", "8 h", "NMDA drive x4")]``);
        outside the windows it is in the first arm's.
    readout : str, optional
        The arm whose firing is reported at each block level (default: the
        first arm): "how would the cell fire now, left alone".
    overrides : dict, optional
        ``k_on_ket`` / ``k_off_ket`` (and other parameters) for the rates.
    opening_after : (time, factor), optional
        A hypothesis, not part of the simulated cell (default: off). In the
        simulated cell NMDA channels open at the rate its glutamate input sets,
        drug or no drug. ``("30 min", 1e-3)`` scales the entry and exit rates of
        the first arm (the cell left alone) by ``factor`` from ``time`` on: its
        channels open ``factor`` times as often from then on.
        :func:`habmodel.trapping.oneday.required_opening_after` finds the factor at
        which one dose acts for a day.

    Returns
    -------
    DataFrame
        ``time_s, time_h, ketamine_uM, blocked, arm, rate_hz, bursts_per_s,
        burst_fraction, frac_burst, burst_suppression`` (1 - bursts/s relative
        to the unblocked cell of the readout arm).
    """
    from scipy.integrate import solve_ivp

    _check_table(table)
    arms = list(dict.fromkeys(table["arm"]))
    total = _seconds(duration, "duration")
    dt = _seconds(step, "step")
    b0 = _fraction(initial_block, "initial_block")
    t_after, f_after = _opening(opening_after)
    conc, breaks = _concentration_function(concentration)
    segments = _schedule(schedule, arms, total)
    k_on, k_off = _table_rates(table, overrides)
    curves = {}
    for arm in arms:
        t = _arm_table(table, arm)
        curves[arm] = (t["blocked"].to_numpy(float), t["p_entry"].to_numpy(float),
                       t["p_exit"].to_numpy(float))
    pieces = []
    for start, stop, arm in segments:
        cuts = sorted({start, stop, *(b for b in [*breaks, t_after] if start < b < stop)})
        pieces += [(a, b, arm) for a, b in zip(cuts, cuts[1:], strict=False)]
    n_out = int(math.floor(total / dt + 1e-9)) + 1
    t_out = np.arange(n_out) * dt
    b_out = np.full(n_out, np.nan)
    arm_out = np.empty(n_out, object)
    b = b0
    for a, z, arm in pieces:
        grid, p_in, p_out = curves[arm]
        if arm == arms[0] and a >= t_after:
            p_in, p_out = p_in * f_after, p_out * f_after

        def rhs(t, y, grid=grid, p_in=p_in, p_out=p_out):
            x = min(max(y[0], 0.0), 1.0)
            c = float(conc(t))
            return [k_on * c * np.interp(x, grid, p_in) * (1 - x)
                    - k_off * np.interp(x, grid, p_out) * x]

        inside = (t_out >= a) & ((t_out < z) | ((z == total) & (t_out <= z)))
        sol = solve_ivp(rhs, (a, z), [b], method="LSODA", rtol=1e-8, atol=1e-10,
                        dense_output=True, max_step=max(dt, (z - a) / 50))
        if not sol.success:  # pragma: no cover - LSODA on a 1-D smooth problem
            raise RuntimeError(f"reduced_block: the integrator failed ({sol.message})")
        if inside.any():
            b_out[inside] = np.clip(sol.sol(t_out[inside])[0], 0, 1)
            arm_out[inside] = arm
        b = float(np.clip(sol.y[0, -1], 0, 1))
    read = _arm_table(table, readout)
    grid = read["blocked"].to_numpy(float)
    frame = pd.DataFrame({"time_s": t_out, "time_h": t_out / 3600.0,
                          "ketamine_uM": np.asarray(conc(t_out), float) * np.ones(n_out),
                          "blocked": b_out, "arm": arm_out.astype(str)})
    for key in ("rate_hz", "bursts_per_s", "burst_fraction", "frac_burst"):
        frame[key] = np.interp(b_out, grid, read[key].to_numpy(float))
    base = float(read["bursts_per_s"].iloc[0])
    frame["burst_suppression"] = 1 - frame["bursts_per_s"] / base if base > 0 else math.nan
    return frame


def validate_reduced_model(ketamine="10 uM", duration="60 s", *, condition: str = "depressed",
                           overrides=None, initial_block=0.0, table: pd.DataFrame | None = None,
                           n_cells: int = 8, seed: int = DEFAULT_SEED, sample="2 s",
                           blocks=DEFAULT_BLOCKS, window="4 s") -> pd.DataFrame:
    """Compare the reduced model with the full simulation over one window.

    The full model (``n_cells`` cells, constant ``ketamine``, block started at
    ``initial_block``) is run for ``duration``; the reduced model starts from the
    full model's mean block at the start of the recording and uses ``table``
    (measured here for ``condition`` + ``overrides`` if not given; the table's
    cells get other inputs than the compared ones when ``seed`` differs).
    ``overrides`` may speed the kinetics (``k_on_ket``, ``k_off_ket`` x 100) to
    make the block travel further within a window that can run in full.

    Returns
    -------
    DataFrame
        ``time_s, ketamine_uM, blocked_full, blocked_full_sd, blocked_reduced,
        error`` (reduced - full); summarise it with :func:`reduced_model_error`.
    """
    overrides = dict(overrides or {})
    full = block_time_course({"cell": {**overrides, "initial_block": initial_block}}, ketamine,
                             duration, condition=condition, n_cells=n_cells, seed=seed,
                             sample=sample)
    mean = block_summary(full)
    if table is None:
        table = firing_mode_table({"cell": overrides}, blocks, condition=condition,
                                  n_cells=n_cells, window=window, seed=seed + 1)
    t = mean["time_s"].to_numpy(float)
    red = reduced_block(table, ketamine, _sec(t[-1]),
                        initial_block=float(mean["blocked"].iloc[0]), step=_sec(t[1] - t[0]),
                        overrides=overrides)
    reduced = np.interp(t, red["time_s"].to_numpy(), red["blocked"].to_numpy())
    return pd.DataFrame({"time_s": t, "ketamine_uM": mean["ketamine_uM"].to_numpy(),
                         "blocked_full": mean["blocked"].to_numpy(),
                         "blocked_full_sd": mean["blocked_sd"].to_numpy(),
                         "blocked_reduced": reduced,
                         "error": reduced - mean["blocked"].to_numpy()})


def reduced_model_error(comparison: pd.DataFrame) -> dict:
    """Error of the reduced model in a :func:`validate_reduced_model` table.

    ``{"max_abs_error", "change_full", "change_reduced", "rel_change_error"}``:
    the largest absolute difference of the blocked fraction, the change of the
    block over the window in both models, and the relative error of that change.
    """
    full = comparison["blocked_full"].to_numpy(float)
    red = comparison["blocked_reduced"].to_numpy(float)
    change_full, change_red = full[-1] - full[0], red[-1] - red[0]
    rel = abs(change_red - change_full) / abs(change_full) if change_full else math.nan
    return {"max_abs_error": float(np.max(np.abs(red - full))), "change_full": float(change_full),
            "change_reduced": float(change_red), "rel_change_error": float(rel)}
