"""Ketamine trapping: the kinetic block, a reduced model for hours, and the protocols.

**The scheme** (``ketamine_model="trapping"``, :data:`habmodel.model.TRAPPING_EQUATIONS`).
Synaptic NMDA channels are closed ``C``, open ``O`` (the Brunel-Wang gating
``s``), open-blocked ``OB`` (``s_blk``) or closed-blocked, i.e. trapped, ``CB``
(``s_trap``)::

            alpha*x               k_on*[ket]*m(V)
        C  --------->  O  ------------------------>  OB
           <---------     <------------------------
            1/tau_d             k_off(V)
                                                   OB  --1/tau_d-->  CB  (trapped)
                                                   OB <--alpha*x---  CB

Ketamine enters only open channels, at ``k_on_ket`` per uM times
``m(V) = 1 - c + c*B_Mg(V)``, the fraction of open pores free of Mg2+
(``c = ket_Mg_competition``; Mg2+ and ketamine compete for the pore, which is
why Mg2+ raises the ketamine IC50). It leaves only from ``OB``, at
``k_off(V) = k_off_ket*exp(V/V_off_ket)`` (a cation pushed out by
depolarisation). A blocked channel closes, with the drug inside, at the rate
open channels close; a trapped channel reopens into ``OB`` when glutamate
arrives. Blocked channels gate like free ones, so the total open fraction
``s + s_blk`` is exactly the drug-free gating, and at a fixed voltage the
steady-state block ``B = K/(K + IC50(V))``, ``IC50(V) = k_off(V)/(k_on m(V))``,
does not depend on how often channels open (:func:`ic50_at`): activity sets how
*fast* the block comes and goes, not how deep it is.

**Calibrated rates** (:mod:`habmodel.parameters`, group ``trapping``; rates of
the coarse gating variable ``s``, not single-channel rates): ``k_on_ket``
2.5e-3 /s per uM, ``k_off_ket`` 1e-3 /s at 0 mV, ``V_off_ket`` 33 mV
(electrical distance 0.8 at 34 C), ``ket_Mg_competition`` 1. Calibration
targets: a steady-state IC50 in the low-uM range (SCIENCE.md sec. 3: about 1 uM
at the pore, IC50 rising with Mg2+) and a block kept for hours by a quiet cell.
Measured (default seed, 6 cells x 5 s per block level):

* IC50 at fixed voltage: 0.96 uM at -66 mV in 1 mM Mg2+, 0.51 uM at 0 mV;
  0.054 uM at -66 mV without Mg2+ (about 6x below the 0.3-0.5 uM reported there:
  here Mg2+ competition accounts for all of the Mg2+ effect, 18x at -66 mV);
* steady-state IC50 in the spiking depressed cell (:func:`steady_state_ic50`):
  1.3 uM quiet, 0.9 uM with NMDA drive x4, 0.7 uM with +30 pA;
* unblocking time constant of a quiet, blocked (silent) depressed cell:
  ``1/(k_off p_exit)`` = about 27 h (``p_exit`` 0.0102); half of a 63 % block is
  lost in 17 h quiet, 3.9 h with NMDA drive x4, 8.9 h with +30 pA
  (:func:`washout`);
* use-dependence (:func:`use_dependence`, 10 uM): onset 1.1e-4 /s quiet,
  3.3e-4 /s with drive x2 or +30 pA, 1.2e-3 /s with drive x4.

What the model says about "one dose for a day": trapped block lasts a day only
if much of it got in, and at the same activity the product of the block that
gets in and the time it stays is bounded by about (drug exposure)/IC50 (both
rates scale with the same open probability). The model's bursting depressed
cell lets ketamine in only 1.5x faster than the silent one (``p_entry`` 0.0047
vs 0.0031) and keeps bursting until about half its NMDA channels are blocked.
So one mouse dose (10 mg/kg i.p., brain peak 12 uM) blocks 18 % of the
channels in a quiet cell and 61 % if the LHb is stimulated while the drug is
present (bursts then suppressed by >= 80 % from 0.3 to 4.5 h and by 44 % at 12 h);
the human dose (peak 0.78 uM, below the IC50) blocks at most 20 % and does
not suppress bursting (:func:`day_course`).

**Hours of model time: the reduced model.** The blocked fraction ``B = s_blk +
s_trap`` changes over minutes to days; firing and gating change over
milliseconds to a second. So between them the block is quasi-static, and

    dB/dt = k_on [ket](t) p_entry(B) (1 - B) - k_off p_exit(B) B

where ``p_entry(B) = <m(V) s>/(1 - B)`` (the Mg2+-free open probability of a
free channel) and ``p_exit(B) = <exp(V/V_off) s_blk>/B`` (the voltage-weighted
open probability of a blocked channel) are averages over the firing mode that
the cell has at block ``B``. :func:`firing_mode_table` measures them by
simulating spiking windows of the full model at a grid of block levels
(separate probe runs for entry and exit, the block read before and after each
window: exact flux integrals, not samples); :func:`reduced_block` integrates the
equation over hours with the drug concentration from
:mod:`habmodel.pharmacokinetics` and a schedule of stimulation, and reads the
firing (bursts/s, ...) off the same table. :func:`validate_reduced_model`
compares it with the full simulation over a window short enough to run in
full. Error (8 cells, tables measured on other inputs, block sampled every
5 s): with the calibrated rates over 120 s (10 uM quiet, with drive x4 and with
+30 pA; washout from 0.8 with drive x4) the change of the block differs by
0.3-0.9 % and the block by at most 0.0012; with the kinetics 100x faster over
200 s (onset at 3 and 10 uM through the burst-to-silent switch, washout from
0.9 quiet and driven: the block travels 0.17-0.76) by 0.1-3.8 % and at most
0.017. Faster kinetics leave less time-scale separation, so the error at the
calibrated rates is expected to be the smaller one, as measured. Not covered:
the tonic NMDA component (``s_tonic``; 0 by default), a firing mode that depends
on history at a given block (each window starts from the same initial state),
and differences between cells (the table is a population mean).

Stimulation means more NMDA drive (``nu_glu``) or a depolarising current
(``I_hold``): any parameter overrides, applied on top of the condition.

Tables are tidy :class:`pandas.DataFrame` objects; figures are
:class:`matplotlib.figure.Figure` objects (no pyplot). Dimensional inputs are
Brian2 quantities or strings (``"10 uM"``, ``"30 min"``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from . import analysis
from .parameters import condition_values, get_parameter
from .pharmacokinetics import Regimen, regimen
from .units import to_display, unit_of

__all__ = [
    "DEFAULT_SEED", "DEFAULT_BLOCKS", "STIMULATIONS", "block_rates", "steady_state_block",
    "ic50_at", "block_time_course", "block_summary", "firing_mode_table", "steady_state_curve",
    "steady_state_ic50", "reduced_block", "validate_reduced_model", "reduced_model_error",
    "use_dependence", "washout", "washout_summary", "day_course", "trapping_claim",
    "plot_use_dependence", "plot_validation", "plot_washout", "plot_day_course",
]

DEFAULT_SEED = 2026
#: Block levels at which :func:`firing_mode_table` simulates the firing mode.
DEFAULT_BLOCKS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: Named stimulations of the LHb cell (parameter overrides).
STIMULATIONS = MappingProxyType({"NMDA drive x4": MappingProxyType({"nu_glu": "480 Hz"}),
                                 "depolarising current": MappingProxyType({"I_hold": "30 pA"})})

_SPECIAL = ("ketamine", "initial_block")  # arm keys that are not parameters
_PROBE_K_ON = 0.01  # Hz per uM: probe rates of firing_mode_table (slow: B stays put)
_PROBE_K_OFF = 0.01  # Hz
_PROBE_UM = 1.0
_EDGE = 1e-3  # block levels 0 and 1 are measured at 1e-3 and 1 - 1e-3


# --- input checks -------------------------------------------------------------------------

def _int(name: str, value, low: int, high: int = 10**7) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name}: expected an integer in [{low}, {high}], got {value}")
    return int(value)


def _seconds(value, name: str, positive: bool = True) -> float:
    seconds = to_display(value, "s", name)
    if seconds < 0 or (positive and seconds == 0):
        raise ValueError(f"{name}: expected a {'positive' if positive else 'non-negative'} "
                         f"time, got {value!r}")
    return seconds


def _sec(seconds: float):
    """Seconds as a Brian2 quantity (for internal calls of the public functions)."""
    import brian2

    return float(seconds) * brian2.second


def _uM(value, name: str) -> float:
    conc = to_display(value, "uM", name)
    if not 0 <= conc <= 1e5:
        raise ValueError(f"{name}: expected a concentration in [0, 1e5] uM, got {value!r}")
    return conc


def _fraction(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}: expected a blocked fraction (a number in [0, 1]), "
                         f"got {value!r}")
    value = float(value)
    if not 0 <= value <= 1:
        raise ValueError(f"{name}: expected a blocked fraction in [0, 1], got {value!r}")
    return value


def _parameters(condition: str, overrides: Mapping | None) -> dict[str, float]:
    """Scalar parameter values (display units) of a condition plus overrides."""
    values = condition_values(condition)
    for name, value in (overrides or {}).items():
        param = get_parameter(name)
        if np.ndim(value) != 0 and not isinstance(value, str):
            raise ValueError(f"{name}: expected one value in {param.unit} (per-cell values "
                             "are not supported here), got an array")
        number = to_display(value, param.unit, name)
        param.check(number)
        values[name] = number
    return values


def _check_arms(arms, what: str = "arms") -> dict[str, dict]:
    if arms is None:
        return {"quiet": {}}
    if not isinstance(arms, Mapping) or not arms:
        raise ValueError(f"{what}: expected a non-empty mapping of labels to parameter "
                         f"overrides, got {arms!r}")
    out = {}
    for label, spec in arms.items():
        if not isinstance(spec, Mapping):
            raise ValueError(f"{what}[{label!r}]: expected a mapping of parameter overrides, "
                             f"got {spec!r}")
        out[str(label)] = dict(spec)
    return out


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
    from .curves import _display_array

    conc = _display_array(concentrations, "uM", "concentrations")
    if np.any(conc < 0):
        raise ValueError("concentrations: expected concentrations >= 0 uM")
    ic50 = float(ic50_at(v, condition=condition, overrides=overrides) / unit_of("uM"))
    return conc / (conc + ic50)


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
    from .drugs import DRUGS, availability
    from .simulation import DEFAULT_DT_MS, FastPopulation

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


def reduced_block(table: pd.DataFrame, concentration, duration="24 h", *, initial_block=0.0,
                  schedule=None, readout: str | None = None, step="5 min",
                  overrides=None) -> pd.DataFrame:
    """Blocked fraction over hours by the reduced model, with the firing it implies.

    Parameters
    ----------
    table : DataFrame
        From :func:`firing_mode_table`; each arm is one firing state (quiet,
        stimulated, ...). Its first arm is the default state.
    concentration : quantity, str, Regimen or callable
        Ketamine at the receptors: constant (``"10 uM"``), a
        :class:`habmodel.pharmacokinetics.Regimen` (its ``brain_uM``) or a
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
        cuts = sorted({start, stop, *(b for b in breaks if start < b < stop)})
        pieces += [(a, b, arm) for a, b in zip(cuts, cuts[1:], strict=False)]
    n_out = int(math.floor(total / dt + 1e-9)) + 1
    t_out = np.arange(n_out) * dt
    b_out = np.full(n_out, np.nan)
    arm_out = np.empty(n_out, object)
    b = b0
    for a, z, arm in pieces:
        grid, p_in, p_out = curves[arm]

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


# --- protocols ------------------------------------------------------------------------------

def use_dependence(concentration="10 uM", arms: Mapping | None = None, duration="30 s", *,
                   condition: str = "depressed", n_cells: int = 4, seed: int = DEFAULT_SEED,
                   sample="2 s") -> pd.DataFrame:
    """Block onset at different activity levels (full simulation; use-dependence).

    ``arms`` maps labels to overrides (default: quiet, NMDA drive x2 and x4,
    depolarising current). Returns :func:`block_summary` of the run plus the
    arm's onset rate ``onset_per_s`` (initial slope of the block, 1/s) and its
    mean firing rate ``arm_rate_hz``.
    """
    if arms is None:
        arms = {"quiet": {}, "NMDA drive x2": {"nu_glu": "240 Hz"},
                **{k: dict(v) for k, v in STIMULATIONS.items()}}
    table = block_time_course(arms, concentration, duration, condition=condition,
                              n_cells=n_cells, seed=seed, sample=sample)
    summary = block_summary(table)
    onset, rate = {}, {}
    for arm, group in summary.groupby("arm", sort=False):
        t, b = group["time_s"].to_numpy(), group["blocked"].to_numpy()
        onset[arm] = (b[-1] - b[0]) / (t[-1] - t[0]) / max(1e-12, 1 - b[0])
        rate[arm] = float(np.nanmean(group["rate_hz"]))
    summary["onset_per_s"] = summary["arm"].map(onset)
    summary["arm_rate_hz"] = summary["arm"].map(rate)
    return summary


def _stimulation_arms(stimulations) -> dict[str, dict]:
    stimulations = STIMULATIONS if stimulations is None else stimulations
    arms = {"quiet": {}}
    for label, spec in _check_arms(stimulations, "stimulations").items():
        if label == "quiet":
            raise ValueError("stimulations: the label 'quiet' is reserved for no stimulation")
        arms[label] = spec
    return arms


def washout(concentration="10 uM", load="30 min", wash="24 h", *,
            stimulations: Mapping | None = None, load_arm: str | None = "NMDA drive x4",
            condition: str = "depressed", table: pd.DataFrame | None = None,
            n_cells: int = 4, blocks=DEFAULT_BLOCKS, window="4 s", seed: int = DEFAULT_SEED,
            step="5 min", overrides=None) -> pd.DataFrame:
    """Block and bursting after the drug is washed out: quiet vs stimulated cell.

    Ketamine at ``concentration`` for ``load`` (the cell in the ``load_arm``
    state: by default stimulated, as slice experiments evoke NMDA currents to
    load a use-dependent blocker; ``None`` for quiet), then none for ``wash``,
    with the cell quiet or in one of the ``stimulations`` (default
    :data:`STIMULATIONS`) for the whole washout. Reduced model
    (:func:`reduced_block`) on a :func:`firing_mode_table` of the quiet and
    stimulated states (measured here unless ``table`` is given).

    Returns
    -------
    DataFrame
        :func:`reduced_block` columns plus ``washout_arm`` (what the cell does
        after washout), ``phase`` ("drug" or "washout") and ``time_after_washout_h``.
        The firing columns are those of the quiet cell at that block.
    """
    arms = _stimulation_arms(stimulations)
    conc = _uM(concentration, "concentration")
    load_s = _seconds(load, "load")
    wash_s = _seconds(wash, "wash")
    if load_arm is not None and load_arm not in arms:
        raise ValueError(f"load_arm: expected None or one of {', '.join(map(repr, arms))}, "
                         f"got {load_arm!r}")
    if table is None:
        table = firing_mode_table(arms, blocks, condition=condition, n_cells=n_cells,
                                  window=window, seed=seed)
    frames = []
    for arm in arms:
        # the schedule always breaks at the washout, where the concentration steps to 0
        schedule = [(_sec(0), _sec(load_s), load_arm or "quiet"),
                    (_sec(load_s), _sec(load_s + wash_s), arm)]
        course = reduced_block(table, lambda t: np.where(np.asarray(t) < load_s, conc, 0.0),
                               _sec(load_s + wash_s), schedule=schedule, readout="quiet",
                               step=step, overrides=overrides)
        course.insert(0, "washout_arm", arm)
        course["phase"] = np.where(course["time_s"] < load_s, "drug", "washout")
        course["time_after_washout_h"] = (course["time_s"] - load_s) / 3600.0
        frames.append(course)
    return pd.DataFrame(pd.concat(frames, ignore_index=True))


def _time_to(times: np.ndarray, values: np.ndarray, level: float) -> float:
    """First time at which ``values`` fall to ``level`` or below (inf if never)."""
    below = np.flatnonzero(values <= level)
    if not below.size:
        return math.inf
    i = below[0]
    if i == 0:
        return float(times[0])
    t0, t1, v0, v1 = times[i - 1], times[i], values[i - 1], values[i]
    return float(t0 + (v0 - level) / (v0 - v1) * (t1 - t0))


def washout_summary(table: pd.DataFrame, after="3 h") -> pd.DataFrame:
    """Per washout arm: block at washout, fraction of it left ``after`` washout, the time
    to lose half of it (h, inf if beyond the table) and the burst suppression then."""
    after_h = _seconds(after, "after") / 3600.0
    rows = []
    for arm, group in table.groupby("washout_arm", sort=False):
        wash = group[group["phase"] == "washout"]
        t = wash["time_after_washout_h"].to_numpy(float)
        b = wash["blocked"].to_numpy(float)
        b0 = float(b[0])
        left = float(np.interp(after_h, t, b)) / b0 if b0 > 0 and after_h <= t[-1] else math.nan
        rows.append({"washout_arm": arm, "blocked_at_washout": b0,
                     f"fraction_left_after_{after_h:g}h": left,
                     "half_time_h": _time_to(t, b, b0 / 2) - t[0] if b0 > 0 else math.nan,
                     "burst_suppression_at_washout": float(wash["burst_suppression"].iloc[0])})
    return pd.DataFrame(rows)


def day_course(species=("mouse", "human"), doses: Mapping | None = None, *,
               arms: Mapping | None = None, stimulation: str = "NMDA drive x4",
               stimulations: Mapping | None = None,
               condition: str = "depressed", duration="24 h", step="5 min",
               table: pd.DataFrame | None = None, n_cells: int = 4, blocks=DEFAULT_BLOCKS,
               window="4 s", seed: int = DEFAULT_SEED, overrides=None) -> pd.DataFrame:
    """Burst suppression over a day after one dose, with and without LHb stimulation.

    Parameters
    ----------
    species : sequence of {"mouse", "human"}
        Pharmacokinetic presets (:mod:`habmodel.pharmacokinetics`).
    doses : mapping, optional
        ``{species: dose or Regimen}`` (default: each species' preset dose).
    arms : mapping, optional
        ``{label: [(start, stop), ...]}``: when the LHb is stimulated (times from
        the dose). Default: none; during the drug (0-1 h); later (6-8 h).
    stimulation : str
        Which of ``stimulations`` (default :data:`STIMULATIONS`) is applied in the
        windows; with ``table``, the name of one of its arms.

    Returns
    -------
    DataFrame
        :func:`reduced_block` columns plus ``species, regimen, stim_arm`` and
        ``stimulated`` (bool).
    """
    if isinstance(species, str):
        species = (species,)
    if arms is None:
        arms = {"no stimulation": [], "stimulated 0-1 h": [("0 h", "1 h")],
                "stimulated 6-8 h": [("6 h", "8 h")]}
    if table is None:
        known = _stimulation_arms(stimulations)
        if stimulation not in known or stimulation == "quiet":
            raise ValueError(f"stimulation: expected one of "
                             f"{', '.join(map(repr, list(known)[1:]))}, got {stimulation!r}")
        table = firing_mode_table({"quiet": {}, stimulation: known[stimulation]}, blocks,
                                  condition=condition, n_cells=n_cells, window=window, seed=seed)
    frames = []
    for sp in species:
        dose = (doses or {}).get(sp)
        reg = dose if isinstance(dose, Regimen) else regimen(dose, sp)
        for label, windows in arms.items():
            schedule = [(a, b, stimulation) for a, b in windows]
            course = reduced_block(table, reg, duration, schedule=schedule or None,
                                   readout="quiet", step=step, overrides=overrides)
            course.insert(0, "stim_arm", label)
            course.insert(0, "regimen", reg.describe())
            course.insert(0, "species", sp)
            course["stimulated"] = course["arm"] == stimulation
            frames.append(course)
    return pd.DataFrame(pd.concat(frames, ignore_index=True))


# --- the validation claim --------------------------------------------------------------------

def trapping_claim(quick: bool = True) -> dict:
    """SCIENCE.md sec. 4 claim 7 on the trapping model: a row of ``habmodel validate``.

    Loads 10 uM ketamine for 30 min into a stimulated depressed cell, washes it
    out, and follows the block for 24 h with the cell quiet or stimulated (NMDA
    drive x4), by the reduced model on a measured firing-mode table
    (``quick``: 2 cells x 2 s per level, 8 levels; else 6 cells x 5 s, 11 levels).

    Returns
    -------
    dict
        ``claim, measured, target, passed``: passed when the quiet cell keeps
        more than half of its block 3 h after washout (free drug gone) and
        stimulation after washout at least halves the time to lose half the block.
    """
    blocks = (0.0, 0.15, 0.3, 0.45, 0.6, 0.75, 0.9, 1.0) if quick else DEFAULT_BLOCKS
    n_cells, window = (2, "2 s") if quick else (6, "5 s")
    stim = {"NMDA drive x4": STIMULATIONS["NMDA drive x4"]}
    table = firing_mode_table(_stimulation_arms(stim), blocks, n_cells=n_cells, window=window)
    summary = washout_summary(washout(stimulations=stim, table=table), "3 h").set_index(
        "washout_arm")
    left = float(summary.loc["quiet", "fraction_left_after_3h"])
    quiet_half = float(summary.loc["quiet", "half_time_h"])
    stim_half = float(summary.loc["NMDA drive x4", "half_time_h"])
    ic50 = float(steady_state_ic50(table) / unit_of("uM"))
    passed = bool(left > 0.5 and stim_half <= 0.5 * quiet_half)
    half = "> 24 h" if math.isinf(quiet_half) else f"{quiet_half:.1f} h"
    return {
        "claim": "7. Trapping: block outlasts washout when the cell is quiet; activity after "
                 "washout speeds recovery",
        "measured": (f"block at washout {summary.loc['quiet', 'blocked_at_washout']:.2f}; "
                     f"quiet: {left * 100:.0f} % left 3 h after washout, half-time {half}; "
                     f"stimulated (NMDA drive x4): half-time {stim_half:.1f} h; steady-state "
                     f"IC50 {ic50:.2g} uM (reduced model on a measured firing-mode table)"),
        "target": "quiet cell keeps > 50 % of its block 3 h after washout; stimulation at "
                  "least halves the time to lose half of it",
        "passed": passed,
    }


# --- figures ----------------------------------------------------------------------------------

_ARM_COLORS = ("#000000", "#EE6677", "#4477AA", "#228833", "#CCBB44", "#AA3377", "#66CCEE")


def _colors(labels) -> dict:
    return {label: _ARM_COLORS[i % len(_ARM_COLORS)] for i, label in enumerate(labels)}


def plot_use_dependence(summary: pd.DataFrame) -> Figure:
    """Block onset at each activity level (a :func:`use_dependence` table)."""
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    left, right = fig.subplots(1, 2)
    arms = list(dict.fromkeys(summary["arm"]))
    colors = _colors(arms)
    for arm in arms:
        g = summary[summary["arm"] == arm]
        left.plot(g["time_s"], g["blocked"] * 100, color=colors[arm], label=arm)
        right.scatter(g["arm_rate_hz"].iloc[0], g["onset_per_s"].iloc[0] * 1e3,
                      color=colors[arm], label=arm)
    conc = float(summary["ketamine_uM"].iloc[0])
    left.set(xlabel="time (s)", ylabel="NMDA channels blocked (%)",
             title=f"ketamine {conc:g} uM from t = 0")
    right.set(xlabel="firing rate (Hz)", ylabel="block onset rate (1/ks)",
              title="use-dependence")
    left.legend(fontsize="small")
    return fig


def plot_validation(comparison: pd.DataFrame, title: str = "") -> Figure:
    """Full simulation vs reduced model (a :func:`validate_reduced_model` table)."""
    fig = Figure(figsize=(5, 3.6), layout="constrained")
    ax = fig.subplots()
    t = comparison["time_s"]
    full = comparison["blocked_full"] * 100
    sd = comparison["blocked_full_sd"].fillna(0) * 100
    ax.fill_between(t, full - sd, full + sd, color="#BBBBBB", label="full model (mean +- SD)")
    ax.plot(t, full, color="black")
    ax.plot(t, comparison["blocked_reduced"] * 100, color="#EE6677", ls="--",
            label="reduced model")
    err = reduced_model_error(comparison)
    ax.set(xlabel="time (s)", ylabel="NMDA channels blocked (%)",
           title=title or f"max error {err['max_abs_error'] * 100:.1f} % points")
    ax.legend(fontsize="small")
    return fig


def plot_washout(table: pd.DataFrame) -> Figure:
    """Block and burst suppression after washout, per washout arm (a :func:`washout` table)."""
    fig = Figure(figsize=(7, 5.5), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True)
    arms = list(dict.fromkeys(table["washout_arm"]))
    colors = _colors(arms)
    for arm in arms:
        g = table[table["washout_arm"] == arm]
        top.plot(g["time_after_washout_h"], g["blocked"] * 100, color=colors[arm], label=arm)
        bottom.plot(g["time_after_washout_h"], g["burst_suppression"] * 100, color=colors[arm])
    load_h = -float(table["time_after_washout_h"].min())
    for ax in (top, bottom):
        ax.axvspan(-load_h, 0, color="#228833", alpha=0.15, lw=0)
        ax.axvline(0, color="grey", lw=0.8)
    conc = float(table["ketamine_uM"].max())
    top.set(ylabel="NMDA channels blocked (%)",
            title=f"ketamine {conc:g} uM (shaded), then washout")
    bottom.set(xlabel="time after washout (h)",
               ylabel="burst suppression (%)\n(quiet cell at that block)")
    top.legend(title="after washout", fontsize="small")
    return fig


def plot_day_course(table: pd.DataFrame) -> Figure:
    """Concentration, block and burst suppression over a day (a :func:`day_course` table)."""
    species = list(dict.fromkeys(table["species"]))
    fig = Figure(figsize=(4.5 * len(species), 7.5), layout="constrained")
    axes = np.atleast_2d(fig.subplots(3, len(species), sharex=True, squeeze=False))
    arms = list(dict.fromkeys(table["stim_arm"]))
    colors = _colors(arms)
    for j, sp in enumerate(species):
        t_sp = table[table["species"] == sp]
        first = t_sp[t_sp["stim_arm"] == arms[0]]
        axes[0, j].plot(first["time_h"], first["ketamine_uM"], color="#228833")
        axes[0, j].set_title(str(first["regimen"].iloc[0]).replace(", t1/2", "\nt1/2"),
                             fontsize="small")
        axes[0, j].set_ylabel("brain ketamine (uM)")
        for arm in arms:
            g = t_sp[t_sp["stim_arm"] == arm]
            axes[1, j].plot(g["time_h"], g["blocked"] * 100, color=colors[arm], label=arm)
            axes[2, j].plot(g["time_h"], g["burst_suppression"] * 100, color=colors[arm])
            on = g["stimulated"].to_numpy(bool)
            if on.any():
                axes[1, j].fill_between(g["time_h"], 0, 100, where=on, color=colors[arm],
                                        alpha=0.08, lw=0)
        axes[1, j].set(ylabel="NMDA channels blocked (%)", ylim=(0, 100))
        axes[2, j].set(ylabel="burst suppression (%)\n(quiet cell at that block)",
                       xlabel="time after dose (h)", ylim=(0, 100))
    axes[1, 0].legend(fontsize="small")
    return fig
