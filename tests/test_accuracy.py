"""Integration accuracy: Brian2's default method and step against a SciPy Radau reference.

docs/science.md sec. 7 requires the integrator to be chosen by a convergence test
against an independent reference of the same equations, and that test to stay
in the suite. :mod:`habmodel.engines.reference` integrates the equation string of
:mod:`habmodel.model` with ``solve_ivp(method="Radau", rtol=1e-9)``;
``benchmarks/convergence.py`` prints the error of each Brian2 method and step.

The population is driven by a tonic NMDA conductance (``s_tonic``) with no
Poisson input (``nu_glu = 0``), so both integrators see the same deterministic
drive. It mixes control and depressed [K+]o and several drive levels so that it
holds tonic and bursting cells (checked below, on the reference, because
parameter defaults may change; if a check fails, pick new ``POPULATION``
values with ``benchmarks/convergence.py --scan``).
"""

from __future__ import annotations

import numpy as np
import pytest

from habmodel import analysis
from habmodel.engines.reference import reference_spike_times
from habmodel.model.drugs import availability
from habmodel.model.parameters import CONDITIONS, PARAMETERS, condition_values
from habmodel.model.units import unit_of
from habmodel.simulation import DEFAULT_DT_MS, DEFAULT_METHOD, simulate

pytestmark = [pytest.mark.slow, pytest.mark.validation]

#: (condition, tonic NMDA open fraction s_tonic) of each cell.
POPULATION = (
    ("control", 0.11),
    ("control", 0.14),
    ("depressed", 0.10),
    ("depressed", 0.12),
    ("depressed", 0.14),
    ("depressed", 0.20),
)
DURATION_S = 2.0
MIN_TOTAL_SPIKES = 100
COUNT_RTOL = 0.01  # total population spike count, relative to the reference
TIME_ATOL_S = 1e-3  # spike times of a bursting cell


def population_overrides(population=POPULATION) -> dict:
    """Per-cell overrides that give each cell its condition's values and its drive."""
    conditions = [condition for condition, _ in population]
    changed = sorted(set().union(*(CONDITIONS[c] for c in conditions)))
    overrides = {name: np.array([condition_values(c)[name] for c in conditions])
                 * unit_of(PARAMETERS[name].unit) for name in changed}
    overrides["s_tonic"] = np.array([s for _, s in population])
    overrides["nu_glu"] = "0 Hz"
    return overrides


def run_brian(method: str | None = None, dt_ms: float | None = None,
              population=POPULATION, duration_s: float = DURATION_S, engine: str | None = None):
    """The population in one run, with simulate's default method, step and engine (the
    fast one) unless given; methods the fast engine lacks run on Brian2's runtime. No
    warm-up, so the recorded period starts at t = 0 (and t_offset = 0)."""
    from brian2 import ms, second

    from habmodel.engines.codegen import METHODS

    options = {} if method is None else {"method": method}
    if engine is not None or method not in (None, *METHODS):
        options["engine"] = engine or "runtime"
    if dt_ms is not None:
        options["dt"] = dt_ms * ms
    return simulate("control", n_cells=len(population), duration=duration_s * second,
                    warmup=0 * second, overrides=population_overrides(population), **options)


def run_reference(result) -> list[np.ndarray]:
    """Radau spike times of every cell of ``result``, with the very same parameters."""
    n = result.n_cells
    avail = availability({}, result.params, n)
    return [reference_spike_times({k: v[i] for k, v in result.params.items()},
                                  {k: v[i] for k, v in avail.items()}, result.duration_s,
                                  t_offset_s=result.warmup_s)
            for i in range(n)]


def brian_spike_times(result, i: int) -> np.ndarray:
    """Brian2 stamps a spike with the start ``t`` of the step whose end crosses the
    threshold; ``+ dt/2`` centres it on the step that contains the crossing."""
    return result.spikes_s[i] + 0.5 * result.dt_ms * 1e-3


@pytest.fixture(scope="module")
def runs():
    result = run_brian()
    assert result.engine == "fast"  # the default path is the one held to the reference
    reference = run_reference(result)
    modes = analysis.population_metrics(reference, DURATION_S)["mode"]
    return result, reference, list(modes)


def test_population_is_a_meaningful_benchmark(runs):
    result, reference, modes = runs
    assert (result.method, result.dt_ms) == (DEFAULT_METHOD, DEFAULT_DT_MS)
    assert result.warmup_s == 0
    total = sum(len(s) for s in reference)
    assert total >= MIN_TOTAL_SPIKES, (
        f"the reference population fires only {total} spikes in {DURATION_S} s; parameter "
        "defaults probably changed: pick new POPULATION drive levels")
    assert "burst" in modes and "tonic" in modes, (
        f"the population should hold bursting and tonic cells, modes are {modes}; "
        "parameter defaults probably changed: pick new POPULATION drive levels")


def test_population_spike_count_matches_reference(runs):
    result, reference, _ = runs
    n_ref = sum(len(s) for s in reference)
    n_brian = sum(len(s) for s in result.spikes_s)
    per_cell = [(len(b), len(r)) for b, r in zip(result.spikes_s, reference, strict=True)]
    assert abs(n_brian - n_ref) <= COUNT_RTOL * n_ref, (
        f"{result.method} at dt = {result.dt_ms:g} ms gives {n_brian} spikes, the Radau "
        f"reference {n_ref} (more than {COUNT_RTOL:.0%} apart; per cell (brian, reference): "
        f"{per_cell}). The default integrator is not converged for the current parameters: "
        "rerun benchmarks/convergence.py")


def test_bursting_cell_spike_times_match_reference(runs):
    result, reference, modes = runs
    assert "burst" in modes
    i = modes.index("burst")
    brian, ref = brian_spike_times(result, i), reference[i]
    assert len(brian) == len(ref), (
        f"bursting cell {i} {POPULATION[i]}: {len(brian)} spikes with {result.method} at "
        f"dt = {result.dt_ms:g} ms, {len(ref)} in the Radau reference")
    worst = float(np.max(np.abs(brian - ref)))
    assert worst < TIME_ATOL_S, (
        f"bursting cell {i} {POPULATION[i]}: spike times differ from the reference by up to "
        f"{worst * 1e3:.3f} ms (limit {TIME_ATOL_S * 1e3:g} ms)")
