"""The voltage-clamp lab: :func:`vclamp` holds, steps and releases the membrane potential of
the model cell and records every membrane current.

The clamp is ideal: one compartment (no space clamp problem), no series resistance, no
capacitive transient; ``v`` jumps to each command potential and stays there bit for bit,
while every other state of the cell's own equations (gates, Ca2+ pool, NMDA/AMPA synaptic
states, ketamine trapping states, extra parts) is integrated on the fast engine
(:mod:`habmodel.experiments.vclamp_run` says how). One cell per step potential, every step
(and every arm of a protocol) in one population run. ``docs/vclamp.md`` has the details;
:mod:`habmodel.experiments.vclamp_protocols` the ready-made protocols.

Sign convention: membrane currents, outward positive, inward negative, in pA
(:mod:`habmodel.experiments.vclamp_tables`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engines import ENGINES, default_engine
from ..engines.runner import DEFAULT_DT_MS, DEFAULT_METHOD
from ..model.cell import Cell
from ..model.drugs import availability, check_concentration, condition_label, resolve_drug
from ..model.equations import KETAMINE_MODELS, cell_for
from ..model.inputs import check_int, display_array, scalar_overrides
from ..model.parameters import condition_values
from ..model.units import to_display
from .vclamp_run import Schedule, run_schedule
from .vclamp_tables import (
    TOTAL,
    clamp_iv,
    currents_of,
    currents_table,
    namespace,
    puff_increments,
    steady_state_start,
)

__all__ = ["vclamp", "VClampResult", "ClampArm", "clamp_arm", "run_arms", "clamp_iv",
           "V_RANGE_MV", "MAX_SAMPLES", "RECORD_DT_MS", "DEFAULT_SAMPLES"]

#: Command potentials the clamp accepts (mV).
V_RANGE_MV = (-150.0, 100.0)
#: Most samples (samples x cells) one clamp may record.
MAX_SAMPLES = 20_000_000
#: Finest default sampling interval (ms); longer protocols sample more coarsely, so that a
#: cell has at most DEFAULT_SAMPLES samples.
RECORD_DT_MS = 0.1
DEFAULT_SAMPLES = 5000


@dataclass
class ClampArm:
    """One arm of a clamp: a condition, its drugs and overrides, and its command potentials
    (one cell per step). ``overrides`` are display-unit floats; ``drugs`` ``{name: uM}``;
    ``s`` a fixed NMDA open fraction (``s_tonic``) or None."""

    label: str
    condition: str
    hold_mV: float
    steps_mV: np.ndarray
    tail_mV: float
    overrides: dict = field(default_factory=dict)
    drugs: dict = field(default_factory=dict)
    s: float | None = None


@dataclass
class VClampResult:
    """What :func:`vclamp` (or a ready-made protocol) recorded.

    Attributes
    ----------
    currents : DataFrame
        One row per cell and sample: ``arm, hold_mV, step_mV, repeat, segment`` (``hold``,
        ``step`` or ``tail``), ``t_ms`` (from the start of the recording), ``v_mV`` (the
        command), ``I_total_pA`` and one ``<current>_pA`` column per current of the cell
        (``I_Na_pA, ..., I_T_pA, ..., I_NMDA_pA``, parts included). Inward negative.
    iv : DataFrame
        :func:`clamp_iv` of ``currents``: peak and steady (and tail) currents per step.
    arms : DataFrame
        ``arm, condition, hold_mV, tail_mV, s, drugs`` of each arm.
    settings : dict
        Times (ms), puffs, engine, method, seed, ketamine model, protocol.
    params : dict
        Every parameter value used, one per arm (display units; ``C_m`` is the cell's own,
        which plays no part in an ideal clamp).
    cell : Cell
        The cell that was clamped.
    focus : str
        The current the protocol is about (the default current of :meth:`figure`).
    """

    currents: pd.DataFrame
    iv: pd.DataFrame
    arms: pd.DataFrame
    settings: dict
    params: dict
    cell: Cell
    focus: str = TOTAL

    def figure(self, current: str | None = None, **kwargs):
        """:func:`habmodel.plotting.vclamp.plot_vclamp` of this result."""
        from ..plotting.vclamp import plot_vclamp

        return plot_vclamp(self.currents, self.iv, current=current or self.focus,
                           title=kwargs.pop("title", self.settings.get("title")), **kwargs)


# --- inputs ---------------------------------------------------------------------------------

def _potential(value, name: str) -> float:
    mV = to_display(value, "mV", name)
    _check_potentials(np.array([mV]), name)
    return mV


def _check_potentials(values: np.ndarray, name: str) -> None:
    low, high = V_RANGE_MV
    bad = values[(values < low) | (values > high)]
    if bad.size:
        raise ValueError(f"{name}: expected potentials in [{low:g}, {high:g}] mV, got "
                         f"{bad[0]:g} mV")


def _time_ms(value, name: str, *, zero: bool) -> float:
    ms = to_display(value, "ms", name)
    if ms < 0 or (ms == 0 and not zero) or ms > 3.6e6:
        raise ValueError(f"{name}: expected a time in {'[0' if zero else '(0'} ms, 1 h], got "
                         f"{value!r}")
    return ms


def _fraction(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
        raise ValueError(f"{name}: expected a number in [0, 1], got {value!r}")
    if not 0 <= float(value) <= 1:
        raise ValueError(f"{name}: expected a number in [0, 1], got {value!r}")
    return float(value)


def clamp_arm(condition: str = "control", hold="-70 mV", steps=("-50 mV",), tail=None, *,
              overrides=None, drugs=None, s=None, cell: Cell | None = None,
              label: str | None = None) -> ClampArm:
    """Check the inputs of one arm (units at the boundary) and return it."""
    table = None if cell is None else cell.parameters
    condition_values(condition, table)  # a known condition
    hold_mV = _potential(hold, "hold")
    steps_mV = display_array(steps, "mV", "steps")
    _check_potentials(steps_mV, "steps")
    if np.unique(steps_mV).size != steps_mV.size:
        raise ValueError(f"steps: each potential once, please (one cell each), got "
                         f"{steps_mV.tolist()} mV")
    tail_mV = hold_mV if tail is None else _potential(tail, "tail")
    own = scalar_overrides(overrides, table)
    if s is not None:
        s = _fraction(s, "s")
        if "s_tonic" in own:
            raise ValueError("s: give the NMDA open fraction either as s or as the "
                             "override s_tonic, not both")
    conc = {}
    for name, value in (drugs or {}).items():
        drug = resolve_drug(name)
        conc[drug.name] = float(check_concentration(drug.name,
                                                    to_display(value, "uM", drug.name)))
    if label is None:
        label = condition_label(condition, {k: v for k, v in conc.items() if v > 0})
    return ClampArm(str(label), condition, hold_mV, steps_mV, tail_mV, own, conc, s)


# --- one population run of every arm ---------------------------------------------------------

def _steps(ms: float, dt_ms: float) -> int:
    return int(round(ms / dt_ms))


def run_arms(arms: list[ClampArm], *, pre="100 ms", duration="200 ms", tail_duration="100 ms",
             repeats: int = 1, glutamate=None, puff_events: int = 50, settle="0.5 s",
             cell: Cell | None = None, ketamine_model: str = "hill", seed: int = 0, dt=None,
             record_dt=None, method: str = DEFAULT_METHOD, engine: str | None = None,
             threads: int | None = None, progress: bool | None = None,
             protocol: str | None = None, focus: str = TOTAL,
             title: str | None = None) -> VClampResult:
    """Clamp every arm (one cell per step potential) in ONE population run (the engine of
    :func:`vclamp` and of the ready-made protocols); the arguments are those of
    :func:`vclamp`."""
    if not arms:
        raise ValueError("nothing to clamp (no arms)")
    labels = [arm.label for arm in arms]
    if len(set(labels)) != len(labels):
        raise ValueError(f"arms: every arm needs its own label, got {labels}")
    if ketamine_model not in KETAMINE_MODELS:
        raise ValueError(f"ketamine_model: expected one of {', '.join(KETAMINE_MODELS)}, got "
                         f"{ketamine_model!r}")
    cell = cell_for(ketamine_model, cell)
    if "C_m" not in cell.parameters or "v" not in cell.states:
        raise ValueError("cell: the clamp needs a membrane part with v and C_m")
    engine = default_engine() if engine is None else engine
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    dt_ms = DEFAULT_DT_MS if dt is None else to_display(dt, "ms", "dt")
    if not 0 < dt_ms <= 1:
        raise ValueError(f"dt: expected a time step in (0, 1] ms, got {dt_ms:g} ms")
    repeats = check_int("repeats", repeats, 1, 10_000)
    puff_events = check_int("puff_events", puff_events, 1, 100_000)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    n_pre = _steps(_time_ms(pre, "pre", zero=True), dt_ms)
    n_step = max(1, _steps(_time_ms(duration, "duration", zero=False), dt_ms))
    n_tail = _steps(_time_ms(tail_duration, "tail_duration", zero=True), dt_ms)
    n_settle = _steps(_time_ms(settle, "settle", zero=True), dt_ms)
    period = n_step + n_tail
    total = n_pre + repeats * period
    onsets = n_pre + period * np.arange(repeats)
    if record_dt is None:
        every = max(1, _steps(RECORD_DT_MS, dt_ms), -(-total // DEFAULT_SAMPLES))
    else:
        record_ms = _time_ms(record_dt, "record_dt", zero=False)
        if record_ms < dt_ms:
            raise ValueError(f"record_dt: expected at least dt ({dt_ms:g} ms), got "
                             f"{record_ms:g} ms")
        every = _steps(record_ms, dt_ms)
    puff_steps = _puff_steps(glutamate, onsets, total, dt_ms)
    n_settle = -(-n_settle // every) * every  # whole sampling intervals: the same on every engine

    # one cell per (arm, step): per-cell parameters, drugs, commands
    table = cell.parameters
    per_arm = [{name: np.full(len(arm.steps_mV), value) for name, value in
                {**condition_values(arm.condition, table), **_arm_overrides(arm)}.items()}
               for arm in arms]
    values = {name: np.concatenate([p[name] for p in per_arm]) for name in table}
    n_cells = len(values["C_m"])
    drug_names = sorted({name for arm in arms for name in arm.drugs})
    concentrations = {resolve_drug(name): np.concatenate(
        [np.full(len(arm.steps_mV), arm.drugs.get(name, 0.0)) for arm in arms])
        for name in drug_names}
    avail = availability(concentrations, values, n_cells, ketamine_model,
                         targets=cell.drug_targets)
    hold = np.concatenate([np.full(len(a.steps_mV), a.hold_mV) for a in arms]) * 1e-3
    step = np.concatenate([a.steps_mV for a in arms]) * 1e-3
    tail = np.concatenate([np.full(len(a.steps_mV), a.tail_mV) for a in arms]) * 1e-3
    commands = [(0, hold)] if n_pre else []
    for onset in onsets:
        commands.append((int(onset), step))
        if n_tail:
            commands.append((int(onset + n_step), tail))
    samples = np.union1d(np.arange(0, total, every), [c for c, _ in commands])
    if samples.size * n_cells > MAX_SAMPLES:
        raise ValueError(f"record_dt: {samples.size} samples x {n_cells} cells is more than "
                         f"{MAX_SAMPLES:g}; record more coarsely or record less")
    ns = namespace(cell, values, avail)
    increments = puff_increments(cell, ns, puff_events)
    schedule = Schedule(steady_state_start(cell, ns, hold), commands,
                        [(int(p), increments) for p in puff_steps], samples, total, n_settle)
    states, used = run_schedule(
        schedule, values, avail, n_cells, cell=cell, seed=seed, dt_ms=dt_ms, method=method,
        engine=engine, record_every=every, threads=threads, announce=progress is not False)

    area = values["area"]
    currents = currents_of(cell, states, ns, area)
    frame = currents_table(arms, samples, n_pre, n_step, n_tail, onsets, dt_ms, states,
                           currents)
    settings = {"protocol": protocol, "title": title, "pre_ms": n_pre * dt_ms,
                "duration_ms": n_step * dt_ms, "tail_duration_ms": n_tail * dt_ms,
                "repeats": repeats, "puffs_ms": [p * dt_ms for p in puff_steps],
                "puff_events": puff_events, "settle_ms": n_settle * dt_ms, "dt_ms": dt_ms,
                "record_dt_ms": every * dt_ms, "method": method, "engine": used, "seed": seed,
                "ketamine_model": ketamine_model}
    arms_table = pd.DataFrame({
        "arm": labels, "condition": [a.condition for a in arms],
        "hold_mV": [a.hold_mV for a in arms], "tail_mV": [a.tail_mV for a in arms],
        "s": [np.nan if a.s is None else a.s for a in arms],
        "drugs": [condition_label("", a.drugs).lstrip(" +") or "none" for a in arms]})
    first = np.cumsum([0] + [len(a.steps_mV) for a in arms])[:-1]
    params = {name: [float(values[name][i]) for i in first] for name in table}
    return VClampResult(frame, clamp_iv(frame), arms_table, settings, params, cell, focus)


def _arm_overrides(arm: ClampArm) -> dict:
    own = dict(arm.overrides)
    own.setdefault("nu_glu", 0.0)  # a slice: no spontaneous glutamate unless asked for
    if arm.s is not None:
        own["s_tonic"] = arm.s
    return own


def _puff_steps(glutamate, onsets, total: int, dt_ms: float) -> list[int]:
    if glutamate is None:
        return []
    if isinstance(glutamate, str) and glutamate.strip().lower() == "steps":
        return [int(o) for o in onsets]
    times = display_array(glutamate, "ms", "glutamate")
    steps = sorted({_steps(t, dt_ms) for t in times})
    if steps[0] < 0 or steps[-1] >= total:
        raise ValueError(f"glutamate: expected puff times in [0, {total * dt_ms:g}) ms (the "
                         f"recording), got {times.min():g} to {times.max():g} ms")
    return steps


# --- the public entry -------------------------------------------------------------------------

def vclamp(condition: str = "control", hold="-70 mV", steps=("-50 mV",), duration="200 ms",
           tail=None, *, pre="100 ms", tail_duration="100 ms", repeats: int = 1,
           glutamate=None, puff_events: int = 50, s=None, drugs=None, overrides=None,
           cell: Cell | None = None, ketamine_model: str = "hill", settle="0.5 s",
           seed: int = 0, dt=None, record_dt=None, method: str = DEFAULT_METHOD,
           engine: str | None = None, threads: int | None = None,
           progress: bool | None = None, label: str | None = None) -> VClampResult:
    """Voltage-clamp the model cell: hold, step(s), tail; record every membrane current.

    One cell per step potential, all in one population run. Each cell sits at ``hold``
    (its states start at their steady state there, then ``settle`` unrecorded), is
    recorded for ``pre`` at ``hold``, jumps to its step potential for ``duration``, then to
    ``tail`` for ``tail_duration``; ``repeats`` > 1 repeats step + tail. The membrane
    potential is clamped exactly (an ideal clamp: no series resistance, no capacitive
    transient, one compartment); every other state of the cell's own equations is
    integrated (:mod:`habmodel.experiments.vclamp_run`).

    Parameters
    ----------
    condition : str
        A named condition (``"control"``, ``"depressed"``).
    hold, steps, tail : quantity or str
        Holding potential, the step potential(s) (one cell each) and the potential after
        each step (default: ``hold``), e.g. ``"-70 mV"``, ``[-90, -70, -50]*mV``.
    duration, pre, tail_duration, settle : quantity or str
        Step length, recorded time at ``hold`` before the first step, time at ``tail``
        after each step, unrecorded settling at ``hold``.
    repeats : int
        Number of step + tail cycles (use-dependent block: ``repeats=10``).
    glutamate : None, "steps" or sequence of times
        Glutamate puffs: at the onset of every step (``"steps"``) or at these times from
        the start of the recording. A puff is ``puff_events`` glutamate events at once
        (each adds the cell's event: ``x += w_glu``, ``s_AMPA += 1``); 50 events open
        about 40 % of the NMDA channels.
    s : float, optional
        A fixed NMDA open fraction during the whole clamp (``s_tonic``): glutamate applied
        in the bath.
    drugs, overrides : dict, optional
        ``{"ketamine": 10*uM}``; ``{"Mg_o": 0*mM}`` (one value each). Spontaneous glutamate
        input is off (``nu_glu = 0``, a slice) unless ``overrides`` sets ``nu_glu``.
    cell : Cell, optional
        The neuron model (extra parts add their currents to the tables).
    ketamine_model : {"hill", "trapping"}
        ``"trapping"`` makes ketamine's block kinetic and use dependent.
    seed : int
        Seed of the Poisson glutamate input (only with ``nu_glu > 0``).
    dt, record_dt, method, engine, threads
        Integration step (default 0.05 ms), sampling interval of the tables (default
        0.1 ms, or coarser so that a cell has at most 5000 samples), method and engine as
        for :func:`habmodel.simulate` (the fast engine falls back to the packaged
        WebAssembly kernel, or to Brian2's runtime for a cell with its own parts).
    progress : bool, optional
        ``False`` silences the one-line note printed while a kernel is compiled.
    label : str, optional
        The ``arm`` of the tables (default: condition and drugs).

    Returns
    -------
    VClampResult
        ``currents`` (one row per cell and sample; ``I_total_pA`` and one ``<current>_pA``
        per current of the cell, inward negative), ``iv`` (peak, steady and tail current
        of each step) and the settings.

    Examples
    --------
    >>> import habmodel
    >>> from brian2 import mV
    >>> result = habmodel.vclamp("control", hold=-100*mV, steps=[-50]*mV, duration="50 ms")
    >>> round(float(result.iv["I_T_peak_pA"].iloc[0]), -2)  # inward: negative
    -3600.0
    """
    arm = clamp_arm(condition, hold, steps, tail, overrides=overrides, drugs=drugs, s=s,
                    cell=cell, label=label)
    return run_arms([arm], pre=pre, duration=duration, tail_duration=tail_duration,
                    repeats=repeats, glutamate=glutamate, puff_events=puff_events,
                    settle=settle, cell=cell, ketamine_model=ketamine_model, seed=seed, dt=dt,
                    record_dt=record_dt, method=method, engine=engine, threads=threads,
                    progress=progress)
