"""What a NeuroML export is checked against: habmodel's SciPy reference with the glutamate
events replayed.

:func:`habmodel.engines.reference.reference_spike_times` integrates one cell with Radau
(rtol 1e-9) but has no Poisson input. :func:`reference_with_events` integrates the same
right-hand side from one glutamate event to the next and adds each event's jump (``x +=
w_glu`` per event) where habmodel adds it, at the start of its 0.05 ms step: the exact
solution, to the reference's tolerance, of the equations habmodel integrates and the
NeuroML export describes, with the same input. ``docs/neuroml.md`` compares jNeuroML's
spikes and habmodel's fast engine with it.
"""

from __future__ import annotations

import numpy as np

from ..engines.reference import ATOL, RTOL, initial_state, reference_system
from ..engines.runner import DEFAULT_DT_MS
from ..engines.symbolic import symbolic_model
from ..model.drive import glutamate_counts, input_keys
from ..model.drugs import availability
from ..model.equations import cell_for
from ..model.inputs import positive_seconds, resolve_drugs, resolve_parameters
from ..model.units import to_display

__all__ = ["reference_with_events", "compare_spikes"]


def _gating_states(cell, jac, y, names) -> list[int]:
    """The states NeuroML starts at their steady state: the gate variables, each relaxing
    on its own at a rate set by v (its Jacobian row has only itself and v), and not moved
    by a glutamate event."""
    j = jac(0.0, y)
    v = names.index("v")
    return [i for i, name in enumerate(names)
            if i != v and j[i, i] < 0 and name not in cell.glutamate_event
            and not np.any(np.delete(j[i], [i, v]) != 0)]


def reference_with_events(condition: str = "control", drugs=None, overrides=None, *,
                          cell=None, seed: int = 0, duration=None, warmup=None,
                          start: str = "neuroml", rtol: float = RTOL) -> np.ndarray:
    """Spike times (s, from the end of the warm-up) of cell 0 of
    ``habmodel.simulate(condition, drugs, overrides=overrides, seed=seed, duration=duration,
    warmup=warmup)``, integrated by SciPy's Radau between the glutamate events.

    ``start="neuroml"`` starts every gate variable at its steady state at the initial
    membrane potential, as NeuroML's gates do (``OnStart: q = inf``); ``"habmodel"``
    starts where ``simulate`` starts (:data:`habmodel.model.INITIAL_STATE`). After the
    0.5 s warm-up the two give spike times within 0.1 ms of each other (docs/neuroml.md).
    """
    from brian2.parsing.sympytools import str_to_sympy
    from scipy.integrate import solve_ivp

    if start not in ("neuroml", "habmodel"):
        raise ValueError(f"start: expected 'neuroml' or 'habmodel', got {start!r}")
    cell = cell_for("hill", cell)
    duration_s = positive_seconds("2 s" if duration is None else duration, "duration")
    warmup_s = to_display("0.5 s" if warmup is None else warmup, "s", "warmup")
    values = resolve_parameters(condition, overrides, 1, cell.parameters)
    avail = availability(resolve_drugs(drugs, 1), values, 1, "hill",
                         targets=cell.drug_targets)
    params = {k: float(v[0]) for k, v in values.items()}
    system = reference_system(params, {k: float(v[0]) for k, v in avail.items()}, warmup_s,
                              cell)
    names = [s.name for s in symbolic_model(cell.full_equations()).states]
    y = initial_state(cell)
    if start == "neuroml":
        for i in _gating_states(cell, system.jac, y, names):
            y[i] -= system.fun(0.0, y)[i] / system.jac(0.0, y)[i, i]
    jumps = {names.index(var): float(str_to_sympy(expr).subs(
        {s: params[s.name] for s in str_to_sympy(expr).free_symbols}))
        for var, expr in cell.glutamate_event.items()}
    total_s = warmup_s + duration_s
    steps = np.arange(int(round(total_s * 1e3 / DEFAULT_DT_MS)), dtype=np.uint64)
    counts = glutamate_counts(input_keys(seed, 1)[0], steps,
                              params.get("nu_glu", 0.0) * DEFAULT_DT_MS * 1e-3)
    hits = np.nonzero(counts)[0]
    edges = [*(hits * DEFAULT_DT_MS * 1e-3), total_s]
    atol = np.array([ATOL.get(n, 1e-7) for n in names])
    breaks = sorted(b for b in system.breakpoints if 0 < b < total_s)
    t0, spikes = 0.0, []
    for t_event, n in zip(edges, [*counts[hits], 0], strict=True):
        for t1 in [*(b for b in breaks if t0 < b < t_event), t_event]:
            if t1 > t0:
                sol = solve_ivp(system.fun, (t0, t1), y, method="Radau", jac=system.jac,
                                events=system.threshold, rtol=rtol, atol=atol)
                if sol.status != 0:
                    raise RuntimeError(f"reference integration failed at t = {sol.t[-1]:g} s: "
                                       f"{sol.message}")
                spikes.append(sol.t_events[0])
                y, t0 = sol.y[:, -1].copy(), t1
        for i, jump in jumps.items():
            y[i] += n * jump
    times = np.concatenate(spikes) - warmup_s if spikes else np.zeros(0)
    return times[times >= 0]


def compare_spikes(test, reference, tolerance_ms: float = 0.5) -> dict:
    """How two spike trains (s) differ: ``same_count``, ``max_ms`` (the largest time
    difference of paired spikes, over the shorter train), ``first_off`` (the index of the
    first spike more than ``tolerance_ms`` off, or None) and ``ok`` (same count and every
    spike within the tolerance)."""
    test, reference = np.asarray(test, float), np.asarray(reference, float)
    n = min(len(test), len(reference))
    diff = np.abs(test[:n] - reference[:n]) * 1e3
    off = np.nonzero(diff > tolerance_ms)[0]
    same = len(test) == len(reference)
    return {"same_count": same, "counts": (len(test), len(reference)),
            "max_ms": float(diff.max()) if n else 0.0,
            "first_off": int(off[0]) if off.size else (None if same else n),
            "ok": bool(same and not off.size)}
