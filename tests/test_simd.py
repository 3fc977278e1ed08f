"""The fast engine's vector loop and its one-cell-at-a-time loop give the same spikes,
on every instruction set the kernel can be built for on this CPU."""

import platform

import numpy as np
import pytest
from brian2 import mM, uM

from habmodel.engines import fast as engine
from habmodel.model.drugs import availability
from habmodel.model.jitter import jitter_factors
from habmodel.simulation import DEFAULT_DT_MS, FastPopulation, resolve_drugs, resolve_parameters

SIZES = (1, 7, 8, 9, 64, 65)

#: Compiler targets and the CPU flags (``/proc/cpuinfo``) they need; "" is -march=native.
TARGETS = {"": (), "x86-64-v3": ("avx2", "fma", "bmi2"), "x86-64-v2": ("sse4_2", "popcnt")}
EXPECTED_WIDTH = {"": None, "x86-64-v3": 4, "x86-64-v2": 2}


def _cpu_flags() -> set:
    try:
        with open("/proc/cpuinfo") as f:
            return set(next(line for line in f if line.startswith("flags")).split(":")[1].split())
    except (OSError, StopIteration):
        return set()


def _population(n_cells: int, vector: bool) -> FastPopulation:
    """Depressed cells, each different (K+, ketamine, jittered conductances), so that
    every lane of a vector does its own thing: bursting, tonic, silent."""
    values = resolve_parameters("depressed", {"K_o": np.linspace(2.5, 5.0, n_cells) * mM},
                                n_cells)
    for name, factor in jitter_factors(np.arange(n_cells), 0.2, 5).items():
        values[name] = values[name] * factor
    ketamine = np.where(np.arange(n_cells) % 5 == 4, 2.0, 0.0) * uM
    avail = availability(resolve_drugs({"ketamine": ketamine}, n_cells), values, n_cells,
                         "hill")
    return FastPopulation(values, avail, n_cells, seed=13, dt_ms=DEFAULT_DT_MS, threads=2,
                          announce=False, vector=vector)


def _spikes(pop: FastPopulation, n_steps: int) -> list:
    steps, cells = pop.advance(n_steps)
    return [np.sort(steps[cells == i]) for i in range(pop.n_cells)]


@pytest.mark.slow
@pytest.mark.parametrize("target", list(TARGETS))
def test_vector_and_scalar_paths_give_the_same_spikes(target, monkeypatch, tmp_path):
    if target:
        if platform.machine() not in ("x86_64", "AMD64"):
            pytest.skip(f"{target} is an x86-64 target")
        missing = set(TARGETS[target]) - _cpu_flags()
        if missing:
            pytest.skip(f"this CPU cannot run {target} code (no {', '.join(sorted(missing))})")
        monkeypatch.setenv("HABMODEL_MARCH", target)
        monkeypatch.setenv("HABMODEL_CACHE_DIR", str(tmp_path / "cache"))
        monkeypatch.setattr(engine, "_loaded", {})
    kernel = engine.kernel(announce=False)
    if EXPECTED_WIDTH[target]:
        assert kernel.simd_width == EXPECTED_WIDTH[target], kernel.isa
    n_steps = int(round(0.8 / (DEFAULT_DT_MS * 1e-3)))
    total = 0
    for n_cells in SIZES:
        vector = _population(n_cells, vector=True)
        scalar = _population(n_cells, vector=False)
        assert scalar.n_run == n_cells  # never padded
        if 2 * n_cells > kernel.simd_width:  # the vector loop runs
            assert vector.n_run % kernel.simd_width == 0
        fast, slow = _spikes(vector, n_steps), _spikes(scalar, n_steps)
        for cell, (a, b) in enumerate(zip(fast, slow, strict=True)):
            np.testing.assert_array_equal(a, b, err_msg=f"{kernel.isa}, {n_cells} cells, "
                                                        f"cell {cell}")
        np.testing.assert_allclose(vector.get("v"), scalar.get("v"), rtol=0, atol=1e-6)
        total += sum(len(s) for s in fast)
    assert total > 200  # the cells fired: the comparison is not of empty trains
