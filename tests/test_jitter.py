"""Conductance jitter: the same cells in every condition, whatever the population size."""

import math
import zlib

import numpy as np
import pytest

from habmodel.model.jitter import (
    CONDUCTANCES,
    conductance_jitter,
    jitter_factors,
    jitter_overrides,
)
from habmodel.model.parameters import PARAMETERS, condition_values

F = 0.2
SEED = 7


def _values(condition: str, n: int) -> dict:
    """Per-cell arrays in display units, as simulation.resolve_parameters returns them."""
    return {name: np.full(n, value) for name, value in condition_values(condition).items()}


def test_conductances_are_the_ms_per_cm2_parameters():
    expected = {p.name for p in PARAMETERS.values() if p.unit == "mS/cm2"}
    assert set(CONDUCTANCES) == expected
    assert {"g_T", "g_NMDA", "g_KL", "g_h", "g_SK", "g_Na", "g_K"} <= expected
    assert "K_o" not in CONDUCTANCES and "C_m" not in CONDUCTANCES


def test_factor_of_a_cell_does_not_depend_on_population_size():
    small = conductance_jitter(_values("control", 5), F, SEED)
    large = conductance_jitter(_values("control", 60), F, SEED)
    for name in CONDUCTANCES:
        np.testing.assert_array_equal(small[name], large[name][:5], err_msg=name)


def test_same_cells_in_every_condition():
    control = conductance_jitter(_values("control", 30), F, SEED)
    depressed = conductance_jitter(_values("depressed", 30), F, SEED)
    for name in CONDUCTANCES:
        np.testing.assert_array_equal(control[name], depressed[name], err_msg=name)
    # ... and the condition itself is untouched
    assert np.all(control["K_o"] == condition_values("control")["K_o"])
    assert np.all(depressed["K_o"] == condition_values("depressed")["K_o"])


def test_factors_follow_the_documented_scheme():
    factors = jitter_factors(4, F, SEED)
    for name in ("g_T", "g_NMDA"):
        for i in range(4):
            rng = np.random.default_rng([SEED, i, 2, zlib.crc32(name.encode())])
            assert factors[name][i] == rng.uniform(1 - F, 1 + F)


def test_factors_within_bounds_spread_and_independent():
    n = 400
    values = _values("control", n)
    jittered = conductance_jitter(values, F, SEED)
    ratios = {}
    for name in CONDUCTANCES:
        if values[name][0] == 0:  # g_AMPA is off by default: 0 stays 0
            assert np.all(jittered[name] == 0)
            continue
        r = jittered[name] / values[name]
        assert np.all((r >= 1 - F) & (r <= 1 + F)), name
        assert r.min() < 1 - 0.9 * F and r.max() > 1 + 0.9 * F, f"{name}: not uniform over +-F"
        assert abs(r.mean() - 1) < 0.03, name
        ratios[name] = r
    corr = np.corrcoef(ratios["g_T"], ratios["g_KL"])[0, 1]
    assert abs(corr) < 0.2, "g_T and g_KL factors should be independent"
    assert not np.array_equal(ratios["g_T"], ratios["g_NMDA"])


def test_other_parameters_unchanged_and_input_not_modified():
    values = _values("depressed", 8)
    before = {k: v.copy() for k, v in values.items()}
    jittered = conductance_jitter(values, F, SEED)
    for name in values:
        np.testing.assert_array_equal(values[name], before[name])
        if name not in CONDUCTANCES:
            np.testing.assert_array_equal(jittered[name], values[name])
    assert jittered["g_T"] is not values["g_T"]


def test_seed_matters_and_zero_jitter_is_identity():
    values = _values("control", 10)
    a = conductance_jitter(values, F, 1)
    b = conductance_jitter(values, F, 2)
    assert not np.array_equal(a["g_T"], b["g_T"])
    np.testing.assert_array_equal(conductance_jitter(values, F, 1)["g_T"], a["g_T"])
    same = conductance_jitter(values, 0.0, 1)
    for name in values:
        np.testing.assert_array_equal(same[name], values[name])


def test_identities_pick_the_same_cells():
    by_count = jitter_factors(6, F, SEED)
    by_id = jitter_factors(np.array([5, 0, 5]), F, SEED)
    for name in CONDUCTANCES:
        np.testing.assert_array_equal(by_id[name], by_count[name][[5, 0, 5]])


@pytest.mark.parametrize("bad", [-0.1, 1.0, 1.5, math.nan, math.inf, "0.2", None, True])
def test_bad_fraction_is_rejected_naming_jitter(bad):
    with pytest.raises(ValueError, match="jitter"):
        conductance_jitter(_values("control", 3), bad, SEED)
    with pytest.raises(ValueError, match="jitter"):
        jitter_factors(3, bad, SEED)


def test_bad_values_and_seed_rejected():
    values = _values("control", 3)
    values["g_T"] = np.ones(4)
    with pytest.raises(ValueError, match="one common length"):
        conductance_jitter(values, F, SEED)
    with pytest.raises(ValueError, match="seed"):
        conductance_jitter(_values("control", 3), F, -1)


def test_jitter_overrides_are_accepted_by_simulate_parameters():
    from habmodel.simulation import resolve_parameters

    n = 7
    overrides = jitter_overrides(n, F, SEED, condition="depressed")
    resolved = resolve_parameters("depressed", overrides, n)
    expected = conductance_jitter(resolve_parameters("depressed", None, n), F, SEED)
    for name in CONDUCTANCES:
        np.testing.assert_allclose(resolved[name], expected[name], rtol=1e-12, err_msg=name)
    assert np.all(resolved["K_o"] == condition_values("depressed")["K_o"])
