"""The reward task's teaching figure (``habmodel figures``: ``reward_task``)."""

from __future__ import annotations

__all__ = ["reward_task_figure"]


def reward_task_figure(sizes, seed: int, parameters: str):
    """LHb, dopamine and serotonin per trial type, in control, depressed and depressed +
    ketamine (:func:`habmodel.circuit.run_task`). A few trials: 2 of each type (1 with
    ``--quick``), with as many LHb, RMTg and VTA cells as the circuit figures (at most 40);
    ``parameters``: the caption's sentence on the conditions and burst criteria."""
    from ..circuit import DEFAULT_RAPHE, TASK_CIRCUIT, run_task
    from ..plotting.task import plot_task

    n = min(40, sizes.circuit_cells)
    trials = 2 if sizes.circuit_s >= 5 else 1
    result = run_task(n_trials=trials, n_lhb=n, seed=seed,
                      params=TASK_CIRCUIT.with_(n_rmtg=n, n_vta=n),
                      raphe=DEFAULT_RAPHE.with_(n_5ht=n, n_gaba=n))
    timing = result.timing
    fig = plot_task(result.time_courses(0.02), cue_s=timing.cue_s, outcome_s=timing.outcome_s,
                    response_s=result.pe_duration_s)
    return fig, (
        "A reward task in the circuit: a cue predicts the usual reward; 0.5 s later comes the "
        "expected reward, no reward, a larger reward or a punishment. The LHb gets "
        f"-{result.pe_current_pA:g} pA per unit of prediction error for "
        f"{result.pe_duration_s * 1e3:g} ms (shaded): excited by worse than expected, "
        "inhibited by better. Rows: LHb rate, dopamine and serotonin readouts, averaged over "
        f"{trials} trial(s) of each type (20 ms bins). In control, no reward excites the LHb "
        "and dips dopamine and serotonin, a larger reward does the reverse, and the end of "
        "its inhibition sets off rebound bursts; the depressed LHb lowers both baselines; "
        f"ketamine 1 uM raises them. {n} LHb cells (+-20 % jitter) per condition, {n} RMTg, "
        f"{n} VTA, {n} DR GABA and {n} 5-HT cells, seed {seed}; docs/reward_task.md. "
        f"{parameters}")
