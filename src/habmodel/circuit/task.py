"""A reward task in the circuit: cues, outcomes, prediction errors, dopamine and serotonin.

Every trial has a cue that predicts the usual reward and, half a second later, an outcome:
the expected reward, no reward, a larger reward, or a punishment. The LHb's input follows
the sign of the reward prediction error (outcome value minus the expected value): it is
excited when the outcome is worse than expected and by punishment, and inhibited when it
is better (Matsumoto & Hikosaka 2007, Nature 447:1111; Hikosaka 2010, Nat Rev Neurosci
11:503). The LHb cells are habmodel's own (:func:`habmodel.simulate`, fast engine), so
that depression and ketamine act through the cell's own currents, rebound bursts through
I_T included; the prediction error reaches them as an injected current step, positive
(depolarising) for a negative prediction error and negative for a positive one. The RMTg
and VTA are those of :func:`habmodel.circuit.run_downstream`; the dorsal raphe is
:func:`habmodel.circuit.raphe.run_raphe`.

Each trial of each LHb cell is its own simulation (fresh input noise and cell-to-cell
jitter, drawn from the seed and the trial's number, after a warm-up), so a trial's LHb
population does not depend on the trials before it; the trials are then laid end to end,
in one shuffled order, for the downstream circuit. Every condition gets the same cells
(cell k of trial n is the same cell with the same input noise), the same order of trials
and the same downstream connectivity: conditions differ only by condition and drugs.
Sources and assumptions: docs/reward_task.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd

from ..model.drugs import resolve_drug
from ..model.inputs import check_int
from ..model.jitter import check_fraction
from ..model.parameters import condition_values
from ..model.units import to_display
from .network import DEFAULT_CIRCUIT, CircuitParameters, run_downstream
from .raphe import DEFAULT_RAPHE, RapheParameters, run_raphe
from .task_metrics import TIMING, TaskTiming, per_trial, summarise, time_courses

__all__ = ["TRIAL_TYPES", "DEFAULT_CONDITIONS", "TASK_CIRCUIT", "TaskResult", "run_task",
           "TaskTiming", "TIMING"]

#: The outcomes and their values; the cue predicts the usual reward (value 1), so the
#: prediction error of each is its value minus 1. Punishment is put on the same scale as
#: reward, as bad as the reward is good (value -1): an assumption (docs/reward_task.md).
TRIAL_TYPES = MappingProxyType({"expected reward": 1.0, "omitted reward": 0.0,
                                "larger reward": 2.0, "punishment": -1.0})
EXPECTED_VALUE = 1.0

DEFAULT_CONDITIONS = ("control", "depressed", "depressed + ketamine")
DEFAULT_SEED = 2026

#: The circuit of the task: :data:`DEFAULT_CIRCUIT` with RMTg cells that the control LHb's
#: tonic firing keeps firing (RMTg neurons fire spontaneously in vivo and pause for rewards:
#: Jhou et al. 2009; Hong et al. 2011), so that a reward's LHb pause can release dopamine in
#: control too; and 4 Euler substeps for the VTA, stable under the task's synchronous RMTg
#: volleys (docs/reward_task.md).
TASK_CIRCUIT = DEFAULT_CIRCUIT.with_(rmtg_bias_pA=65.0, vta_substeps=4)


@dataclass
class TaskResult:
    """What :func:`run_task` produced.

    ``table`` is the tidy summary, one row per condition, trial type and measure:
    ``baseline`` (the second before the cue), ``response`` (the outcome's prediction-error
    input), ``after`` (the 0.3 s after it), ``change`` and ``change_after`` (each minus the
    baseline, averaged over trials), ``change_sem`` and ``n_trials``. ``trials`` has the
    same windows per trial. ``spikes`` holds every population's trains (s, from the first
    trial's start) per condition, ``t_s``/``dopamine_nM``/``serotonin_nM`` the readouts.
    """

    conditions: list[str]
    drugs: dict  # {condition label: {drug: "dose"}}
    order: list[str]  # the trial type of each trial
    timing: TaskTiming
    pe_current_pA: float
    pe_duration_s: float
    seed: int
    params: CircuitParameters
    raphe: RapheParameters
    spikes: dict
    t_s: np.ndarray
    dopamine_nM: dict
    serotonin_nM: dict
    trials: pd.DataFrame
    table: pd.DataFrame

    def time_courses(self, bin_s: float = 0.02) -> pd.DataFrame:
        """Trial-averaged time courses per condition and trial type (tidy: ``condition,
        trial_type, signal, t_s, value``; ``t_s`` from the trial's start): the LHb, RMTg,
        VTA, 5-HT and DR GABA rates (Hz per cell) and the two readouts (nM)."""
        return time_courses(self, bin_s)


def _arms(conditions, ketamine_uM: float) -> list[tuple[str, str, dict]]:
    """``(label, condition, drugs)`` of each condition string: ``"control"``,
    ``"depressed + ketamine"`` (the ``ketamine`` dose), ``"depressed + ketamine 3 uM"``."""
    if isinstance(conditions, str) or not isinstance(conditions, Sequence) or not conditions:
        raise ValueError(f"conditions: expected a sequence of condition strings such as "
                         f"{DEFAULT_CONDITIONS!r}, got {conditions!r}")
    arms = []
    for text in conditions:
        if not isinstance(text, str):
            raise ValueError(f"conditions: expected strings, got {text!r}")
        name, *drugs = (part.strip() for part in text.split("+"))
        try:
            condition_values(name)
        except ValueError as err:
            raise ValueError(f"conditions: {err}") from None
        doses = {}
        for item in drugs:
            drug, _, dose = item.partition(" ")
            try:
                real = resolve_drug(drug.lower()).name
            except (ValueError, KeyError) as err:
                raise ValueError(f"conditions: {text!r}: {err}") from None
            if not dose.strip():
                if real != "ketamine":
                    raise ValueError(f"conditions: {text!r}: give the dose of {real} "
                                     f"(e.g. '{name} + {real} 2 uM')")
                dose = f"{ketamine_uM!r} uM"
            value = to_display(dose.strip(), "uM", f"conditions: {real}")
            if not 0 <= value <= 1e4:
                raise ValueError(f"conditions: {real}: expected 0-10000 uM, got {dose!r}")
            doses[real] = f"{value!r} uM"
        arms.append((text.strip(), name, doses))
    labels = [a[0] for a in arms]
    if len(set(labels)) != len(labels):
        raise ValueError(f"conditions: expected distinct conditions, got {labels!r}")
    return arms


def _check_timing(timing, pe_s: float) -> None:
    if not isinstance(timing, TaskTiming):
        raise ValueError("timing: expected a habmodel.circuit.TaskTiming")
    t = timing
    if not (0 <= t.baseline_s[0] < t.baseline_s[1] <= t.cue_s < t.outcome_s
            and t.outcome_s + pe_s + t.after_s <= t.trial_s <= 60 and t.warmup_s >= 0):
        raise ValueError(f"timing: expected 0 <= baseline start < baseline stop <= cue < "
                         f"outcome, and outcome + pe_duration + after <= trial <= 60 s; got "
                         f"{t} with pe_duration {pe_s * 1e3:g} ms")


def run_task(conditions: Sequence[str] = DEFAULT_CONDITIONS, *, n_trials: int = 5,
             n_lhb: int = 40, seed: int = DEFAULT_SEED, ketamine="1 uM", pe_current="30 pA",
             pe_duration="300 ms", jitter: float = 0.2,
             params: CircuitParameters = TASK_CIRCUIT,
             raphe: RapheParameters = DEFAULT_RAPHE, timing: TaskTiming = TIMING,
             trial_types: Sequence[str] | None = None, progress: bool = False) -> TaskResult:
    """Run the reward task in each condition: LHb -> RMTg -> VTA and the dorsal raphe.

    Parameters
    ----------
    conditions : sequence of str
        A named condition, optionally with drugs: ``"control"``, ``"depressed"``,
        ``"depressed + ketamine"`` (at ``ketamine``), ``"depressed + ketamine 10 uM"``,
        ``"depressed + mibefradil 2 uM"``. Drugs act on the LHb cells only.
    n_trials : int
        Trials of each trial type (:data:`TRIAL_TYPES`), in one shuffled order.
    n_lhb : int
        LHb cells per condition (every conductance jittered by ``jitter``).
    seed : int
        Seed of the LHb cells and their input, the order of trials, and the RMTg, VTA and
        raphe connectivity and noise.
    ketamine : quantity or str
        The dose of ``"... + ketamine"`` without a dose (default 1 uM).
    pe_current : quantity or str
        The LHb input per unit of prediction error (pA): ``-pe_current * error`` is
        injected into every LHb cell during the outcome's response window.
    pe_duration : quantity or str
        How long that input lasts (the response window), 20-700 ms.
    params, raphe : CircuitParameters, RapheParameters
        The downstream circuit (default :data:`TASK_CIRCUIT`) and the dorsal raphe.
    timing : TaskTiming
        The times of a trial (default :data:`TIMING`: 2.5 s trials, the cue at 1 s, the
        outcome at 1.5 s, the baseline 0.3-1 s).
    trial_types : sequence of str, optional
        The trial types to run (names of :data:`TRIAL_TYPES`; default all four): an
        experiment about one outcome costs a quarter of the time.

    Returns
    -------
    TaskResult
    """
    from brian2 import ms, pA

    from ..simulation import simulate

    n_trials = check_int("n_trials", n_trials, 1, 1000)
    n_lhb = check_int("n_lhb", n_lhb, 1, 10_000)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    ketamine_uM = to_display(ketamine, "uM", "ketamine")
    if not 0 <= ketamine_uM <= 1e4:
        raise ValueError(f"ketamine: expected 0-10000 uM, got {ketamine!r}")
    amp = to_display(pe_current, "pA", "pe_current")
    if not 0 <= amp <= 250:
        raise ValueError(f"pe_current: expected 0-250 pA, got {pe_current!r}")
    dur = to_display(pe_duration, "ms", "pe_duration")
    if not 20 <= dur <= 700:
        raise ValueError(f"pe_duration: expected 20-700 ms, got {pe_duration!r}")
    jitter = check_fraction(jitter)
    if not isinstance(params, CircuitParameters):
        raise ValueError("params: expected a habmodel.circuit.CircuitParameters")
    if not isinstance(raphe, RapheParameters):
        raise ValueError("raphe: expected a habmodel.circuit.RapheParameters")
    arms = _arms(conditions, ketamine_uM)
    _check_timing(timing, dur * 1e-3)
    names = _trial_types(trial_types)
    rng = np.random.default_rng([seed, 0x7A5C])
    order = [names[k] for k in rng.permutation(np.repeat(np.arange(len(names)), n_trials))]
    errors = np.array([TRIAL_TYPES[t] - EXPECTED_VALUE for t in order])
    n_total = len(order)
    # cell k of trial n is simulation cell n*n_lhb + k: the same cell and input everywhere
    step = np.repeat(-amp * errors, n_lhb)
    start_ms = timing.outcome_s * 1e3
    overrides = {"I_step": step * pA, "step_start": np.full(step.size, start_ms) * ms,
                 "step_stop": np.full(step.size, start_ms + dur) * ms}
    lhb = []
    for _, condition, drugs in arms:
        result = simulate(condition, drugs=drugs or None, n_cells=n_lhb * n_total,
                          duration=f"{timing.trial_s!r} s", warmup=f"{timing.warmup_s!r} s",
                          seed=seed, jitter=jitter, overrides=overrides, progress=progress)
        spikes = result.spikes_s
        lhb.append([np.concatenate([np.asarray(spikes[n * n_lhb + k], float)
                                    + n * timing.trial_s for n in range(n_total)])
                    for k in range(n_lhb)])
    total_s = n_total * timing.trial_s
    down = run_downstream(lhb, total_s, seed, params)
    dr = run_raphe(lhb, down["rmtg"], total_s, seed, raphe)
    labels = [a[0] for a in arms]
    spikes = {label: {"LHb": lhb[c], "RMTg": down["rmtg"][c], "VTA": down["vta"][c],
                      "DR GABA": dr["dr_gaba"][c], "5-HT": dr["5ht"][c]}
              for c, label in enumerate(labels)}
    result = TaskResult(labels, {a[0]: a[2] for a in arms}, order, timing, amp, dur * 1e-3,
                        seed, params, raphe, spikes, down["da_t_s"],
                        dict(zip(labels, down["da_nM"], strict=True)),
                        dict(zip(labels, dr["ht_nM"], strict=True)), pd.DataFrame(),
                        pd.DataFrame())
    result.trials = per_trial(result, {t: v - EXPECTED_VALUE for t, v in TRIAL_TYPES.items()})
    result.table = summarise(result.trials, names)
    return result


def _trial_types(trial_types) -> list[str]:
    if trial_types is None:
        return list(TRIAL_TYPES)
    names = [trial_types] if isinstance(trial_types, str) else list(trial_types)
    unknown = [n for n in names if n not in TRIAL_TYPES]
    if unknown or not names or len(set(names)) != len(names):
        raise ValueError(f"trial_types: expected distinct names of {', '.join(TRIAL_TYPES)}; "
                         f"got {trial_types!r}")
    return [n for n in TRIAL_TYPES if n in names]
