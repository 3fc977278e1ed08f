"""Full simulations of the trapping model with the block state read out, and the
firing-mode table (spiking windows at a grid of block levels)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import analysis
from ..model.parameters import condition_values
from ._base import (
    _EDGE,
    _PROBE_K_OFF,
    _PROBE_K_ON,
    _PROBE_UM,
    _SPECIAL,
    DEFAULT_BLOCKS,
    DEFAULT_SEED,
    _check_arms,
    _fraction,
    _int,
    _parameters,
    _seconds,
    _uM,
)

# --- the full model with the block state exposed ------------------------------------------

@dataclass
class _Run:
    t_s: np.ndarray  # sample times from the start of the recording
    blocked: np.ndarray  # (samples, cells): s_blk + s_trap
    open_blocked: np.ndarray
    trapped: np.ndarray
    open_fraction: np.ndarray  # s + s_blk
    counts: np.ndarray  # (samples - 1, cells): spikes per sample interval
    spikes_s: list


def _simulate(values: dict, ket_uM: np.ndarray, block0: np.ndarray, input_ids: np.ndarray,
              seed: int, duration_s: float, warmup_s: float, sample_s: float,
              dt_ms: float | None = None, threads: int | None = None) -> _Run:
    """Run the trapping model with a per-cell initial block and read the block state
    every ``sample_s`` (the fast engine's kernel, driven directly)."""
    from ..engines.runner import DEFAULT_DT_MS, FastPopulation
    from ..model.drugs import DRUGS, availability

    n = len(ket_uM)
    dt_ms = DEFAULT_DT_MS if dt_ms is None else dt_ms
    dt_s = dt_ms * 1e-3
    avail = availability({DRUGS["ketamine"]: ket_uM}, values, n, "trapping")
    n_warm = int(round(warmup_s / dt_s))
    per_sample = max(1, int(round(sample_s / dt_s)))
    n_samples = max(1, int(round(duration_s / sample_s)))
    pop = FastPopulation(values, avail, n, seed, dt_ms, ketamine_model="trapping",
                         input_ids=input_ids, threads=threads, t_offset_s=n_warm * dt_s)
    pop.set("s_trap", block0)
    steps, cells = [], []

    def advance(count: int) -> None:
        more_steps, more_cells = pop.advance(count)
        steps.append(more_steps)
        cells.append(more_cells)

    def read():
        s, blk, trap = (pop.get(k) for k in ("s", "s_blk", "s_trap"))
        return blk + trap, blk, trap, s + blk

    advance(n_warm)
    samples = [read()]
    for _ in range(n_samples):
        advance(per_sample)
        samples.append(read())
    steps_all = np.concatenate(steps)
    who_all = np.concatenate(cells)
    keep = steps_all >= n_warm
    rec_steps, rec_who = steps_all[keep] - n_warm, who_all[keep]
    spikes_s = [np.sort(rec_steps[rec_who == i]) * dt_s for i in range(n)]
    counts = np.zeros((n_samples, n))
    np.add.at(counts, (np.minimum(rec_steps // per_sample, n_samples - 1), rec_who), 1)
    stack = [np.array([s[i] for s in samples]) for i in range(4)]
    return _Run(np.arange(n_samples + 1) * per_sample * dt_s, *stack, counts, spikes_s)


def _arm_cells(condition: str, arms: dict, n_cells: int, ketamine, initial_block):
    """Per-cell values, concentrations, initial blocks and input ids of arms x cells."""
    labels = list(arms)
    n = len(labels) * n_cells
    base = condition_values(condition)
    values = {name: np.full(n, v) for name, v in base.items()}
    ket = np.zeros(n)
    block0 = np.zeros(n)
    for a, label in enumerate(labels):
        spec = arms[label]
        cells = slice(a * n_cells, (a + 1) * n_cells)
        overrides = {k: v for k, v in spec.items() if k not in _SPECIAL}
        for name, value in _parameters(condition, overrides).items():
            values[name][cells] = value
        ket[cells] = _uM(spec.get("ketamine", ketamine), f"{label}: ketamine")
        block0[cells] = _fraction(spec.get("initial_block", initial_block),
                                  f"{label}: initial_block")
    return labels, values, ket, block0, np.tile(np.arange(n_cells), len(labels))


def block_time_course(arms: Mapping | None = None, ketamine="10 uM", duration="20 s", *,
                      condition: str = "depressed", initial_block=0.0, n_cells: int = 4,
                      seed: int = DEFAULT_SEED, sample="1 s", warmup="0.5 s",
                      criteria: analysis.BurstCriteria | None = None) -> pd.DataFrame:
    """Full simulation of the trapping model with the block state read every ``sample``.

    Parameters
    ----------
    arms : mapping, optional
        ``{label: overrides}``; each arm is ``n_cells`` cells of ``condition``
        with those parameter overrides (``{"nu_glu": "480 Hz"}``) and, optionally,
        its own ``"ketamine"`` concentration and ``"initial_block"``. Default:
        one arm ``"quiet"``. Cell ``i`` of every arm gets the same glutamate input.
    ketamine : quantity or str
        Constant ketamine concentration (arms may override it).
    initial_block : float
        Blocked fraction at the start (all of it trapped; during the unrecorded
        ``warmup`` the blocked channels open and close like the others).
    duration, sample, warmup : quantity or str
        Recorded time, sampling interval of the block, unrecorded warm-up.

    Returns
    -------
    DataFrame
        One row per arm, cell and sample: ``arm, cell, time_s, ketamine_uM,
        blocked, open_blocked, trapped, open_fraction, rate_hz`` (spikes in the
        interval that ends at ``time_s``; NaN at 0) and the cell's whole-window
        metrics ``bursts_per_s, burst_fraction, mode``.
    """
    arms = _check_arms(arms)
    n_cells = _int("n_cells", n_cells, 1, 10_000)
    seed = _int("seed", seed, 0, 2**63 - 1)
    duration_s = _seconds(duration, "duration")
    sample_s = _seconds(sample, "sample")
    warmup_s = _seconds(warmup, "warmup", positive=False)
    if sample_s > duration_s:
        raise ValueError(f"sample: expected at most the duration ({duration_s:g} s), got "
                         f"{sample_s:g} s")
    labels, values, ket, block0, ids = _arm_cells(condition, arms, n_cells, ketamine,
                                                  initial_block)
    run = _simulate(values, ket, block0, ids, seed, duration_s, warmup_s, sample_s)
    window = run.t_s[-1]
    metrics = analysis.population_metrics(run.spikes_s, window,
                                          criteria or analysis.DEFAULT_CRITERIA)
    n_t = len(run.t_s)
    n = len(ket)
    rate = np.vstack([np.full((1, n), np.nan), run.counts / np.diff(run.t_s)[:, None]])
    frame = pd.DataFrame({
        "arm": np.repeat(np.repeat(labels, n_cells), n_t),
        "cell": np.repeat(ids, n_t),
        "time_s": np.tile(run.t_s, n),
        "ketamine_uM": np.repeat(ket, n_t),
        "blocked": run.blocked.T.ravel(),
        "open_blocked": run.open_blocked.T.ravel(),
        "trapped": run.trapped.T.ravel(),
        "open_fraction": run.open_fraction.T.ravel(),
        "rate_hz": rate.T.ravel(),
    })
    for key in ("bursts_per_s", "burst_fraction", "mode"):
        frame[key] = np.repeat(metrics[key], n_t)
    return frame


def block_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean and SD over cells of a :func:`block_time_course` table, per arm and time:
    ``arm, time_s, ketamine_uM, blocked, blocked_sd, rate_hz, n_cells``."""
    grouped = table.groupby(["arm", "time_s"], sort=False)
    out = grouped.agg(ketamine_uM=("ketamine_uM", "first"), blocked=("blocked", "mean"),
                      blocked_sd=("blocked", "std"), rate_hz=("rate_hz", "mean"),
                      n_cells=("cell", "size"))
    return out.reset_index()


# --- the firing-mode table: spiking windows at a grid of block levels ------------------------

def firing_mode_table(arms: Mapping | None = None, blocks=DEFAULT_BLOCKS, *,
                      condition: str = "depressed", n_cells: int = 4, window="4 s",
                      warmup="1 s", seed: int = DEFAULT_SEED,
                      criteria: analysis.BurstCriteria | None = None) -> pd.DataFrame:
    """Simulate the firing mode at fixed block levels and measure what drives the block.

    For every arm (``{label: overrides}``, default ``{"quiet": {}}``) and block
    level, ``n_cells`` cells are simulated twice for ``window`` (after
    ``warmup``) with the block state started at that level: once with slow probe
    entry only (1 uM, ``k_off = 0``) and once with slow probe exit only (no
    drug). The change of the blocked fraction over the window is the exact flux
    integral, so

    * ``p_entry = <m(V) s> / (1 - B)``: entry rate per free channel / (k_on [ket]);
    * ``p_exit = <exp(V/V_off) s_blk> / B``: exit rate per blocked channel / k_off.

    They do not depend on ``k_on_ket`` or ``k_off_ket`` (so the table serves
    any of their values) but do depend on ``V_off_ket``, ``ket_Mg_competition``
    and everything that shapes the firing. Levels 0 and 1 are measured at
    1e-3 and 1 - 1e-3.

    Returns
    -------
    DataFrame
        One row per arm and level: ``arm, condition, blocked, p_entry, p_exit,
        p_entry_sd, p_exit_sd, rate_hz, bursts_per_s, burst_fraction,
        frac_silent, frac_tonic, frac_burst, n_cells, window_s`` (firing from
        the exit run, which has no drug).
    """
    arms = _check_arms(arms)
    levels = np.asarray(blocks, float).ravel()
    if levels.size < 2 or np.any(~np.isfinite(levels)) or np.any((levels < 0) | (levels > 1)):
        raise ValueError("blocks: expected at least two blocked fractions in [0, 1]")
    if np.any(np.diff(levels) <= 0):
        raise ValueError("blocks: expected increasing blocked fractions")
    n_cells = _int("n_cells", n_cells, 1, 10_000)
    window_s = _seconds(window, "window")
    warmup_s = _seconds(warmup, "warmup", positive=False)
    criteria = criteria or analysis.DEFAULT_CRITERIA
    probe = {"entry": {"ketamine": f"{_PROBE_UM} uM", "k_on_ket": f"{_PROBE_K_ON} Hz",
                       "k_off_ket": "0 Hz"},
             "exit": {"ketamine": "0 uM", "k_on_ket": "0 Hz", "k_off_ket": f"{_PROBE_K_OFF} Hz"}}
    groups, where = {}, {}
    for label, spec in arms.items():
        if any(k in spec for k in _SPECIAL):
            raise ValueError(f"arms[{label!r}]: the firing-mode table sets the drug and the "
                             "block itself; give parameter overrides only")
        for i, level in enumerate(levels):
            for kind, extra in probe.items():
                b0 = float(np.clip(level, _EDGE, 1 - _EDGE))
                where[(label, i, kind)] = slice(len(groups) * n_cells,
                                                (len(groups) + 1) * n_cells)
                groups[f"{label} | block {level:g} | {kind}"] = {**spec, **extra,
                                                                 "initial_block": b0}
    _, values, ket, block0, ids = _arm_cells(condition, groups, n_cells, "0 uM", 0.0)
    if np.any(values["s_tonic"] > 0):
        raise ValueError("s_tonic: the reduced model follows the synaptic NMDA channels only; "
                         "expected s_tonic = 0 (tonic channels are never trapped)")
    run = _simulate(values, ket, block0, ids, seed, window_s, warmup_s, window_s)
    b_start, b_end = run.blocked[0], run.blocked[-1]
    b_mid = 0.5 * (b_start + b_end)
    rows = []
    for label in arms:
        for i, level in enumerate(levels):
            entry, leave = where[(label, i, "entry")], where[(label, i, "exit")]
            p_in = (b_end[entry] - b_start[entry]) / (
                _PROBE_K_ON * _PROBE_UM * (1 - b_mid[entry]) * window_s)
            p_out = (b_start[leave] - b_end[leave]) / (_PROBE_K_OFF * b_mid[leave] * window_s)
            m = analysis.population_metrics(run.spikes_s[leave], window_s, criteria)
            fractions = analysis.mode_fractions(m["mode"])
            rows.append({
                "arm": label, "condition": condition, "blocked": float(level),
                "p_entry": float(np.mean(p_in)), "p_exit": float(np.mean(p_out)),
                "p_entry_sd": float(np.std(p_in, ddof=1)) if n_cells > 1 else math.nan,
                "p_exit_sd": float(np.std(p_out, ddof=1)) if n_cells > 1 else math.nan,
                "rate_hz": float(np.mean(m["rate_hz"])),
                "bursts_per_s": float(np.mean(m["bursts_per_s"])),
                "burst_fraction": float(np.mean(np.nan_to_num(m["burst_fraction"]))),
                **{f"frac_{mode}": fractions[mode] for mode in analysis.MODES},
                "n_cells": n_cells, "window_s": window_s,
            })
    return pd.DataFrame(rows)


def _arm_table(table: pd.DataFrame, arm: str | None) -> pd.DataFrame:
    _check_table(table)
    arms = list(dict.fromkeys(table["arm"]))
    arm = arms[0] if arm is None else arm
    if arm not in arms:
        raise ValueError(f"arm: expected one of {', '.join(map(repr, arms))}, got {arm!r}")
    return table[table["arm"] == arm].sort_values("blocked")


def _check_table(table) -> None:
    need = {"arm", "condition", "blocked", "p_entry", "p_exit", "bursts_per_s"}
    if not isinstance(table, pd.DataFrame) or not need <= set(table.columns):
        raise ValueError("table: expected a firing_mode_table() DataFrame (columns "
                         f"{', '.join(sorted(need))})")


def _table_rates(table: pd.DataFrame, overrides: Mapping | None) -> tuple[float, float]:
    """``(k_on per uM, k_off at 0 mV)`` in 1/s for the table's condition plus overrides."""
    p = _parameters(str(table["condition"].iloc[0]), overrides)
    return p["k_on_ket"], p["k_off_ket"]


def steady_state_curve(table: pd.DataFrame, arm: str | None = None, *,
                       overrides=None) -> pd.DataFrame:
    """Steady-state dose-response of the block in the spiking cell, from the table.

    At steady state ``k_on K p_entry(B)(1 - B) = k_off p_exit(B) B``, so each
    measured block level ``B`` (0 < B < 1) has one concentration
    ``K(B) = k_off p_exit(B) B / (k_on p_entry(B) (1 - B))``. Where ``K(B)`` falls
    as ``B`` rises the steady state is unstable (``stable = False``: the firing
    mode switches and the block is bistable there).

    Returns ``arm, blocked, ketamine_uM, stable``.
    """
    t = _arm_table(table, arm)
    k_on, k_off = _table_rates(t, overrides)
    t = t[(t["blocked"] > 0) & (t["blocked"] < 1)]
    b = t["blocked"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        conc = k_off * t["p_exit"].to_numpy() * b / (k_on * t["p_entry"].to_numpy() * (1 - b))
    stable = np.r_[np.diff(conc) > 0, True] if len(conc) > 1 else np.ones(len(conc), bool)
    return pd.DataFrame({"arm": t["arm"].to_numpy(), "blocked": b, "ketamine_uM": conc,
                         "stable": stable})


def steady_state_ic50(table: pd.DataFrame, arm: str | None = None, *, overrides=None):
    """Ketamine concentration at which half of the cell's NMDA channels are blocked at
    steady state, in the firing mode the cell has at half block (Brian2 quantity)."""
    import brian2

    t = _arm_table(table, arm)
    k_on, k_off = _table_rates(t, overrides)
    b = t["blocked"].to_numpy(float)
    p_in = np.interp(0.5, b, t["p_entry"].to_numpy(float))
    p_out = np.interp(0.5, b, t["p_exit"].to_numpy(float))
    if k_on * p_in <= 0:
        return math.inf * brian2.uM
    return k_off * p_out / (k_on * p_in) * brian2.uM
