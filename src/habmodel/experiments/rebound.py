"""Protocol 3: rebound bursts after hyperpolarising steps."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .. import analysis
from ..model.drugs import DRUGS, resolve_drug
from ..model.inputs import display_array
from ..model.jitter import check_fraction
from ..model.parameters import PARAMETERS, condition_values
from ..model.units import to_display
from ._core import DEFAULT_SEED, _conc, _int, _Plan, _run, _seconds

# --- 3. rebound bursts ----------------------------------------------------------------------

#: Default concentration of each drug in the rebound protocol (uM).
REBOUND_DRUGS_UM = {"none": 0.0, "ketamine": 10.0, "ap5": 50.0, "mibefradil": 2.0}


def drug_set(drugs) -> dict[str, float]:
    if isinstance(drugs, Mapping):
        items = list(drugs.items())
    else:
        items = [(name, None) for name in drugs]
    out = {}
    for name, conc in items:
        key = str(name).lower()
        if key == "none":
            out["none"] = 0.0
            continue
        real = resolve_drug(key).name
        out[real] = REBOUND_DRUGS_UM.get(real, 0.0) if conc is None else _conc(conc, real)
    if not out:
        raise ValueError("drugs: expected at least one of 'none', " + ", ".join(DRUGS))
    return out


def rebound_plan(amplitudes, steps_ms, drugs: dict, condition, n_cells, step_start_ms,
                  window_ms) -> _Plan:
    rows = []
    for name, conc in drugs.items():
        for amp in amplitudes:
            for step in steps_ms:
                for c in range(n_cells):
                    rows.append({
                        "drug": name, "drug_uM": conc, "amplitude_pA": float(amp),
                        "step_ms": float(step), "condition": condition, "cell": c,
                        "drugs": {name: conc} if name != "none" and conc > 0 else {},
                        "overrides": {"I_step": float(amp), "step_start": step_start_ms,
                                      "step_stop": step_start_ms + float(step)},
                        "_release_s": (step_start_ms + float(step)) * 1e-3})
    min_duration = (step_start_ms + max(steps_ms) + window_ms) * 1e-3 + 0.1

    def finish(table, result):
        criteria = result.criteria
        found, counts, latency = [], [], []
        for index, release in zip(table["_index"], table["_release_s"], strict=True):
            spikes = np.asarray(result.spikes_s[int(index)], float)
            end = release + window_ms * 1e-3
            after = spikes[(spikes >= release) & (spikes < end)]
            latency.append((after[0] - release) * 1e3 if after.size else math.nan)
            first = [(a, b) for a, b in analysis.detect_bursts(spikes, criteria)
                     if release <= spikes[a] < end]
            found.append(bool(first))
            counts.append(int(first[0][1] - first[0][0]) if first else 0)
        table = table.copy()
        table["release_s"] = table["_release_s"]
        table["rebound_burst"] = found
        table["rebound_spikes"] = counts
        table["rebound_latency_ms"] = latency
        return table

    return _Plan(rows, finish, min_duration)


def rebound(amplitudes=("-10 pA", "-20 pA", "-40 pA"), durations=("500 ms",),
            drugs=("none", "ketamine", "mibefradil"), *, condition: str = "control",
            n_cells: int = 3, seed: int = DEFAULT_SEED, step_start="500 ms", window="300 ms",
            duration=None, jitter: float = 0.0, warmup=None, criteria=None,
            **simulate_options) -> pd.DataFrame:
    """Rebound bursts after release from hyperpolarising current steps.

    Every combination of drug x amplitude x step duration, ``n_cells`` cells
    each (independent glutamate input), in one simulation. The step
    (parameters ``I_step``, ``step_start``, ``step_stop``) starts at
    ``step_start`` into the recorded period; the *release* is its end.

    Parameters
    ----------
    amplitudes : Quantity array or sequence
        Step amplitudes (pA, <= 0: hyperpolarising).
    durations : Quantity array or sequence
        Step durations.
    drugs : sequence or mapping
        Drug names (``"none"`` for no drug) at the concentrations of
        :data:`REBOUND_DRUGS_UM`, or ``{name: concentration}``.
    window : Quantity or str
        After release, the window in which a rebound burst is looked for.
    duration : Quantity or str, optional
        Recorded time; default (and minimum) the end of the window plus 100 ms.

    Returns
    -------
    DataFrame
        One row per cell: ``drug, drug_uM, amplitude_pA, step_ms, condition,
        cell``, the drug columns, ``release_s``, ``rebound_burst`` (a burst by
        the burst criteria whose first spike falls in the window),
        ``rebound_spikes`` (spikes in the first such burst, 0 if none),
        ``rebound_latency_ms`` (first spike after release, NaN if none in the
        window), ``seed, jitter`` and the metrics of the whole recording.

    Examples
    --------
    >>> from habmodel import experiments
    >>> table = experiments.rebound(amplitudes=["-20 pA"], drugs=["none", "mibefradil"],
    ...                             n_cells=1, seed=1)
    >>> experiments.rebound_summary(table)["rebound_probability"].tolist()
    [1.0, 0.0]
    """
    amps = display_array(amplitudes, "pA", "amplitudes")
    if np.any(amps > 0):
        raise ValueError(f"amplitudes: expected hyperpolarising steps (<= 0 pA), got "
                         f"{amps.tolist()} pA")
    for a in amps:
        PARAMETERS["I_step"].check(a)
    steps = display_array(durations, "ms", "durations")
    if np.any(steps <= 0):
        raise ValueError(f"durations: expected positive step durations, got {steps.tolist()} ms")
    condition_values(condition)
    start_ms = to_display(step_start, "ms", "step_start")
    if start_ms < 0:
        raise ValueError(f"step_start: expected a time >= 0 ms, got {step_start!r}")
    window_ms = to_display(window, "ms", "window")
    if window_ms <= 0:
        raise ValueError(f"window: expected a positive time, got {window!r}")
    plan = rebound_plan(amps, steps, drug_set(drugs), condition,
                         _int("n_cells", n_cells, 1), start_ms, window_ms)
    duration_s = plan.min_duration_s if duration is None else _seconds(duration, "duration")
    if duration_s < plan.min_duration_s:
        raise ValueError(f"duration: expected at least {plan.min_duration_s:g} s (step end + "
                         f"window + 0.1 s), got {duration_s:g} s")
    return _run(plan, duration_s, _int("seed", seed, 0, 2**63 - 1), check_fraction(jitter),
                warmup, criteria, simulate_options)


