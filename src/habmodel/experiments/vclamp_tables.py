"""The tables of a voltage clamp: the membrane currents from the recorded states, and the
peak / steady / tail currents of every step (:func:`clamp_iv`).

Currents are the model's own subexpressions (``I_T``, ``I_NMDA``, ... of
:attr:`habmodel.Cell.currents`, parts included), evaluated by
:func:`habmodel.analysis.curves.evaluate` on the recorded states with each cell's
parameters and drug factors. Sign convention: membrane current, outward positive and
inward negative, in pA (the current density times the membrane area). In an ideal clamp
the current the amplifier injects to hold ``v`` equals this membrane current (there is no
capacitive current: ``v`` does not move between steps, and a step is instantaneous).
``I_total`` is the sum of the ionic currents of the cell (its ``I_ion``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.curves import evaluate
from ..model.units import si_scale

__all__ = ["TOTAL", "current_column", "currents_of", "currents_table", "clamp_iv",
           "steady_state_start", "namespace", "puff_increments"]

#: The name of the total ionic current in the tables (``I_total_pA``, ``I_total_peak_pA``).
TOTAL = "I_total"

#: Longest averaging window of the steady current (ms); shorter steps average their
#: last 10 %.
STEADY_MAX_MS = 50.0


def current_column(name: str) -> str:
    """``"I_T"`` -> ``"I_T_pA"``: the column of a current in the currents table."""
    return f"{name}_pA"


def namespace(cell, values: dict, avail: dict) -> dict:
    """Per-cell parameter values and drug factors in SI units, for
    :func:`habmodel.analysis.curves.evaluate` (``values`` in display units)."""
    table = cell.parameters
    ns = {name: np.asarray(arr, float) * si_scale(table[name].unit)
          for name, arr in values.items() if name in table}
    ns.update({name: np.asarray(arr, float) for name, arr in avail.items()})
    return ns


def currents_of(cell, states: dict, ns: dict, area_um2) -> dict[str, np.ndarray]:
    """Every membrane current of ``cell`` (pA, inward negative) from recorded ``states``
    (SI arrays, samples x cells) and the per-cell namespace ``ns``; ``I_total`` first."""
    state = {**ns, **states}
    out = {}
    for name in cell.currents:
        density = np.asarray(evaluate(name, state, cell=cell), float)  # A/m2
        # A/m2 x um2 = pA; + 0.0 turns -0.0 into 0.0
        out[name] = np.broadcast_to(density * area_um2, states["v"].shape) + 0.0
    total = np.zeros(states["v"].shape)
    for value in out.values():
        total = total + value
    return {TOTAL: total, **out}


def steady_state_start(cell, ns: dict, v_volt, *, sweeps: int = 3) -> dict[str, np.ndarray]:
    """Every state of ``cell`` at its steady state at ``v_volt`` (one per cell), as far as
    it can be read off the equations: each state whose right-hand side is linear in itself
    with a positive rate (gates, the Ca2+ pool, the synaptic states) is set to the value
    where its derivative vanishes, a few Gauss-Seidel sweeps in the cell's order (the Ca2+
    pool follows I_T). Other states keep their initial value; the unrecorded settling
    period of the clamp removes what remains."""
    state = {name: np.broadcast_to(np.asarray(v, float), np.shape(v_volt)).copy()
             for name, v in cell.initial_state().items()}
    state["v"] = np.asarray(v_volt, float)
    for _ in range(sweeps):
        for name in cell.states:
            if name == "v":
                continue
            f0, f1, fh = (np.asarray(evaluate(f"d{name}/dt", {**ns, **state, name: x},
                                              cell=cell), float) for x in (0.0, 1.0, 0.5))
            rate = f0 - f1
            linear = np.isclose(fh, f0 - 0.5 * rate, rtol=1e-9,
                                atol=1e-12 * max(1.0, float(np.max(np.abs(rate)))))
            ok = linear & (rate > 1e-9)
            state[name] = np.where(ok, f0 / np.where(ok, rate, 1.0), state[name])
    return state


def puff_increments(cell, ns: dict, events: int) -> dict:
    """What ``events`` glutamate events add to each state (per cell, SI): the cell's
    :attr:`~habmodel.Cell.glutamate_event` expressions times ``events``."""
    from brian2.core.namespace import DEFAULT_UNITS

    scope = {**{k: float(v) for k, v in DEFAULT_UNITS.items()}, **ns}
    return {name: events * np.asarray(eval(compile(expr, "<glutamate event>", "eval"),
                                           {"__builtins__": {}}, scope), float)
            for name, expr in cell.glutamate_event.items()}


def currents_table(arms, samples, n_pre, n_step, n_tail, onsets, dt_ms, states, currents):
    """The currents table of a clamp: one row per cell (``arms`` x steps) and sample (the
    steps ``samples``), with the segment (``hold``, ``step``, ``tail``) and repeat of each
    sample."""
    n_s = samples.size
    steps_all = np.concatenate([a.steps_mV for a in arms])
    n_cells = steps_all.size
    rel = samples - (onsets[0] if onsets.size else 0)
    repeat = np.where(samples < n_pre, 0, np.clip(rel // (n_step + n_tail), 0, None))
    into = np.where(samples < n_pre, -1, rel - repeat * (n_step + n_tail))
    segment = np.where(samples < n_pre, "hold", np.where(into < n_step, "step", "tail"))
    frame = {
        "arm": np.repeat([a.label for a in arms], [len(a.steps_mV) for a in arms]).repeat(n_s),
        "hold_mV": np.concatenate([np.full(len(a.steps_mV), a.hold_mV) for a in arms]
                                  ).repeat(n_s),
        "step_mV": steps_all.repeat(n_s),
        "repeat": np.tile(repeat, n_cells).astype(int),
        "segment": np.tile(segment, n_cells),
        "t_ms": np.tile(samples * dt_ms, n_cells),
        "v_mV": states["v"].T.ravel() * 1e3,
    }
    for name, values in currents.items():
        frame[current_column(name)] = values.T.ravel()
    return pd.DataFrame(frame)


def _peak(values: np.ndarray) -> float:
    return float(values[np.argmax(np.abs(values))]) if values.size else np.nan


def clamp_iv(currents: pd.DataFrame) -> pd.DataFrame:
    """Peak, steady and tail current of every arm, step and repeat of a clamp.

    Parameters
    ----------
    currents : DataFrame
        The currents table of :func:`habmodel.experiments.vclamp` (columns ``arm,
        hold_mV, step_mV, repeat, segment, t_ms`` and ``<current>_pA``), e.g. read back
        from ``currents.csv``.

    Returns
    -------
    DataFrame
        One row per arm, step and repeat: ``arm, hold_mV, step_mV, repeat`` and, for the
        total and for each current, ``<current>_peak_pA`` (the value of largest magnitude
        during the step, sign kept: inward negative), ``<current>_steady_pA`` (the mean
        over the last 10 % of the step, at most its last 50 ms) and, when the clamp
        recorded a tail, ``<current>_tail_pA`` (the value of largest magnitude at the
        tail potential after the step).
    """
    need = {"arm", "hold_mV", "step_mV", "repeat", "segment", "t_ms"}
    if not isinstance(currents, pd.DataFrame) or not need <= set(currents.columns):
        raise ValueError("currents: expected the currents table of vclamp() (columns "
                         f"{', '.join(sorted(need))} and <current>_pA)")
    names = [c for c in currents.columns if c.endswith("_pA")]
    values = currents[names].to_numpy(float)
    segment = currents["segment"].to_numpy(str)
    t_all = currents["t_ms"].to_numpy(float)
    has_tail = bool((segment == "tail").any())
    keys = ["arm", "hold_mV", "step_mV", "repeat"]
    rows = []
    for key, index in currents.groupby(keys, sort=False).indices.items():
        step = index[segment[index] == "step"]
        if step.size == 0:
            continue
        t = t_all[step]
        dt = t[1] - t[0] if t.size > 1 else 0.0
        end = t[-1] + dt  # the end of the step
        late = t >= end - min(0.1 * (end - t[0]), STEADY_MAX_MS) - 1e-9 * max(1.0, end)
        late[-1] = True
        tail = index[segment[index] == "tail"]
        row = dict(zip(keys, key, strict=True))
        for j, column in enumerate(names):
            base = column[:-3]
            row[f"{base}_peak_pA"] = _peak(values[step, j])
            row[f"{base}_steady_pA"] = float(np.mean(values[step[late], j]))
            if has_tail:
                row[f"{base}_tail_pA"] = _peak(values[tail, j])
        rows.append(row)
    return pd.DataFrame(rows)
