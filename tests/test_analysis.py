"""Tests for habmodel.analysis: hand-made spike trains and property-based checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from habmodel.analysis import (
    DEFAULT_CRITERIA,
    MODES,
    TIME_TOLERANCE,
    BurstCriteria,
    CellMetrics,
    burst_mask,
    cell_metrics,
    detect_bursts,
    mode_fractions,
    population_metrics,
)

# ---------------------------------------------------------------------------
# Hand-made trains
# ---------------------------------------------------------------------------


def tonic_train(rate: float = 5.0, duration: float = 2.0, offset: float = 0.1) -> np.ndarray:
    """Regular train at ``rate`` Hz starting at ``offset``."""
    return offset + np.arange(int(round((duration - offset) * rate))) / rate


def burst_train(
    n_bursts: int = 8, period: float = 0.25, spikes: int = 4, isi: float = 0.004
) -> np.ndarray:
    """``n_bursts`` bursts of ``spikes`` spikes at ``isi`` every ``period``, from 0.1 s."""
    onsets = 0.1 + period * np.arange(n_bursts)
    return (onsets[:, None] + isi * np.arange(spikes)[None, :]).ravel()


def test_defaults_match_science() -> None:
    c = BurstCriteria()
    assert c == DEFAULT_CRITERIA
    assert (c.max_isi, c.min_spikes, c.min_preburst_silence) == (0.020, 2, 0.100)
    assert (c.silent_rate, c.burst_fraction_threshold) == (0.1, 0.5)


def test_describe() -> None:
    assert BurstCriteria().describe() == (
        "burst = >=2 spikes with ISIs <= 20 ms, first spike after >= 100 ms silence; "
        "silent < 0.1 Hz; burst mode if > 50 % of spikes in bursts"
    )
    text = BurstCriteria(min_preburst_silence=None, min_spikes=3).describe()
    assert ">=3 spikes" in text and "no pre-burst silence" in text
    assert "\n" not in text


def test_tonic_train() -> None:
    train = tonic_train()
    assert detect_bursts(train) == []
    assert not burst_mask(train).any()
    m = cell_metrics(train, duration=2.0)
    assert isinstance(m, CellMetrics)
    assert m.n_spikes == 10
    assert m.rate_hz == pytest.approx(5.0)
    assert m.burst_fraction == 0.0
    assert m.bursts_per_s == 0.0
    assert math.isnan(m.spikes_per_burst)
    assert math.isnan(m.intraburst_hz)
    assert m.isi_cv == pytest.approx(0.0, abs=1e-9)
    assert m.mode == "tonic"


def test_burst_train() -> None:
    train = burst_train()
    bursts = detect_bursts(train)
    assert bursts == [(4 * k, 4 * k + 4) for k in range(8)]
    assert burst_mask(train).all()
    m = cell_metrics(train, duration=2.0)
    assert m.n_spikes == 32
    assert m.rate_hz == pytest.approx(16.0)
    assert m.burst_fraction == 1.0
    assert m.bursts_per_s == pytest.approx(4.0)
    assert m.spikes_per_burst == 4.0
    assert m.intraburst_hz == pytest.approx(250.0)
    assert m.isi_cv > 1.0
    assert m.mode == "burst"


def test_silence_criterion() -> None:
    train = [0.0, 0.050, 0.055]  # doublet 50 ms after a lone spike
    assert detect_bursts(train) == []
    assert detect_bursts(train, BurstCriteria(min_preburst_silence=None)) == [(1, 3)]
    assert detect_bursts(train, BurstCriteria(min_preburst_silence=0.05)) == [(1, 3)]
    assert detect_bursts([0.0, 0.150, 0.155]) == [(1, 3)]


def test_first_spike_counts_as_preceded_by_silence() -> None:
    assert detect_bursts([0.0, 0.005]) == [(0, 2)]
    assert detect_bursts([0.01, 0.015, 0.5]) == [(0, 2)]


def test_isi_exactly_max_isi_survives_round_off() -> None:
    train = [1.0, 1.02]  # 1.02 - 1.0 == 0.020000000000000018 in floating point
    assert np.diff(train)[0] > 0.020
    assert detect_bursts(train) == [(0, 2)]
    assert detect_bursts([1.0, 1.0201]) == []


def test_min_spikes() -> None:
    doublet = [0.1, 0.105]
    triplet = [0.5, 0.505, 0.510]
    train = doublet + triplet
    assert detect_bursts(train) == [(0, 2), (2, 5)]
    three = BurstCriteria(min_spikes=3)
    assert detect_bursts(train, three) == [(2, 5)]
    assert burst_mask(train, three).tolist() == [False, False, True, True, True]
    m = cell_metrics(train, duration=1.0, criteria=three)
    assert m.burst_fraction == pytest.approx(3 / 5)
    assert m.spikes_per_burst == 3.0
    assert m.mode == "burst"


def test_burst_fraction_threshold_is_strict() -> None:
    train = [0.1, 0.105, 0.5, 0.9]  # half the spikes in bursts
    assert cell_metrics(train, 1.0).mode == "tonic"
    low = BurstCriteria(burst_fraction_threshold=0.4)
    assert cell_metrics(train, 1.0, low).mode == "burst"


@pytest.mark.parametrize("train", [[], np.array([]), np.empty(0)])
def test_empty_train(train: list[float] | np.ndarray) -> None:
    assert detect_bursts(train) == []
    assert burst_mask(train).shape == (0,)
    m = cell_metrics(train, duration=5.0)
    assert m.n_spikes == 0
    assert m.rate_hz == 0.0
    assert m.bursts_per_s == 0.0
    for value in (m.burst_fraction, m.spikes_per_burst, m.intraburst_hz, m.isi_cv):
        assert math.isnan(value)
    assert m.mode == "silent"
    assert cell_metrics(train, 5.0, BurstCriteria(silent_rate=0.0)).mode == "silent"


def test_single_spike_and_silent_rate() -> None:
    m = cell_metrics([1.0], duration=20.0)
    assert m.rate_hz == pytest.approx(0.05)
    assert m.mode == "silent"
    assert math.isnan(m.isi_cv)
    assert cell_metrics([1.0], duration=5.0).mode == "tonic"
    assert math.isnan(cell_metrics([1.0, 2.0], duration=5.0).isi_cv)


def test_t_start_window() -> None:
    transient = tonic_train(rate=40.0, duration=1.0, offset=0.0)  # 0 .. 0.975 s, 25 ms ISIs
    bursts = burst_train(n_bursts=8) + 1.0  # 1.1 .. 2.862 s
    train = np.concatenate([transient, bursts, [3.0]])  # spike at window end excluded
    whole = cell_metrics(train, duration=3.1)
    assert whole.n_spikes == 73
    assert whole.burst_fraction == pytest.approx(32 / 73)
    assert whole.mode == "tonic"
    m = cell_metrics(train, duration=2.0, t_start=1.0)
    assert m.n_spikes == 32
    assert m.burst_fraction == 1.0
    assert m.bursts_per_s == pytest.approx(4.0)
    assert m.mode == "burst"


def test_window_start_counts_as_silence() -> None:
    train = [0.95, 1.0, 1.005]  # doublet 50 ms after a spike that the window drops
    assert cell_metrics(train, duration=2.0).bursts_per_s == 0.0
    assert cell_metrics(train, duration=1.0, t_start=1.0).bursts_per_s == 1.0


def test_accepts_lists_and_non_decreasing_duplicates() -> None:
    assert detect_bursts([0.5, 0.5, 0.51]) == [(0, 3)]
    m = cell_metrics([0.5, 0.5], duration=1.0)
    assert m.intraburst_hz == math.inf
    assert math.isnan(m.isi_cv)


@pytest.mark.parametrize(
    ("train", "match"),
    [
        ([0.2, 0.1], "sorted"),
        ([0.1, float("nan")], "finite"),
        ([0.1, float("inf")], "finite"),
        ([[0.1, 0.2]], "1-D"),
        (0.1, "1-D"),
    ],
)
def test_invalid_spike_times(train: object, match: str) -> None:
    for func in (detect_bursts, burst_mask):
        with pytest.raises(ValueError, match=match):
            func(train)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=match):
        cell_metrics(train, duration=1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("duration", [0.0, -1.0, float("nan"), float("inf")])
def test_invalid_duration(duration: float) -> None:
    with pytest.raises(ValueError, match="duration"):
        cell_metrics([0.1], duration=duration)


def test_invalid_t_start() -> None:
    with pytest.raises(ValueError, match="t_start"):
        cell_metrics([0.1], duration=1.0, t_start=float("nan"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_isi", 0.0),
        ("max_isi", -0.01),
        ("max_isi", float("nan")),
        ("max_isi", float("inf")),
        ("min_spikes", 1),
        ("min_spikes", 2.0),
        ("min_spikes", True),
        ("min_preburst_silence", -0.1),
        ("min_preburst_silence", float("nan")),
        ("silent_rate", -1.0),
        ("silent_rate", float("nan")),
        ("burst_fraction_threshold", -0.1),
        ("burst_fraction_threshold", 1.5),
        ("burst_fraction_threshold", float("nan")),
    ],
)
def test_invalid_criteria(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        BurstCriteria(**{field: value})  # type: ignore[arg-type]


def test_valid_edge_criteria() -> None:
    BurstCriteria(min_spikes=np.int64(3), min_preburst_silence=0.0)
    BurstCriteria(silent_rate=0.0, burst_fraction_threshold=1.0)
    BurstCriteria(min_preburst_silence=None, burst_fraction_threshold=0.0)


def test_population_metrics_and_mode_fractions() -> None:
    trains = [tonic_train(), burst_train(), [], np.array([0.5])]
    table = population_metrics(trains, duration=2.0)
    assert set(table) == {
        "cell",
        "n_spikes",
        "rate_hz",
        "burst_fraction",
        "bursts_per_s",
        "spikes_per_burst",
        "intraburst_hz",
        "isi_cv",
        "mode",
    }
    assert all(len(column) == 4 for column in table.values())
    assert table["cell"].tolist() == [0, 1, 2, 3]
    assert table["n_spikes"].tolist() == [10, 32, 0, 1]
    assert table["mode"].tolist() == ["tonic", "burst", "silent", "tonic"]
    assert table["mode"].dtype.kind == "U"
    assert np.isnan(table["burst_fraction"][2])
    single = cell_metrics(burst_train(), 2.0)
    assert table["intraburst_hz"][1] == single.intraburst_hz
    fractions = mode_fractions(table["mode"])
    assert fractions == {"silent": 0.25, "tonic": 0.5, "burst": 0.25}


def test_population_metrics_empty() -> None:
    table = population_metrics([], duration=1.0)
    assert all(column.shape == (0,) for column in table.values())


def test_mode_fractions_edge_cases() -> None:
    empty = mode_fractions([])
    assert tuple(empty) == MODES
    assert all(math.isnan(v) for v in empty.values())
    assert mode_fractions(["burst"]) == {"silent": 0.0, "tonic": 0.0, "burst": 1.0}
    with pytest.raises(ValueError, match="modes"):
        mode_fractions(["bursting"])


# ---------------------------------------------------------------------------
# Property-based tests
# ---------------------------------------------------------------------------

# Times live on a dyadic grid (2**-12 s, about 0.24 ms) so that shifts and
# window arithmetic are exact in floating point.
TICK = 2.0**-12
_short_isi = st.integers(min_value=0, max_value=120)  # 0 .. ~29 ms
_long_isi = st.integers(min_value=0, max_value=1600)  # 0 .. ~390 ms


@st.composite
def spike_trains(draw: st.DrawFn, max_spikes: int = 60) -> np.ndarray:
    """Sorted spike trains mixing burst-like and tonic-like ISIs."""
    start = draw(st.integers(min_value=0, max_value=4000))
    isis = draw(st.lists(st.one_of(_short_isi, _short_isi, _long_isi), max_size=max_spikes))
    ticks = start + np.cumsum([0, *isis]) if draw(st.integers(0, 9)) else np.empty(0)
    return np.asarray(ticks, dtype=float) * TICK


criteria_strategy = st.builds(
    BurstCriteria,
    max_isi=st.sampled_from([0.004, 0.010, 0.020, 0.050]),
    min_spikes=st.integers(min_value=2, max_value=5),
    min_preburst_silence=st.one_of(st.none(), st.sampled_from([0.0, 0.05, 0.1, 0.2])),
    silent_rate=st.sampled_from([0.0, 0.1, 1.0]),
    burst_fraction_threshold=st.sampled_from([0.0, 0.25, 0.5, 1.0]),
)

SETTINGS = settings(deadline=None)


@SETTINGS
@given(train=spike_trains(), criteria=criteria_strategy)
def test_bursts_ordered_disjoint_and_tight(train: np.ndarray, criteria: BurstCriteria) -> None:
    bursts = detect_bursts(train, criteria)
    previous_stop = 0
    for start, stop in bursts:
        assert previous_stop <= start < stop <= train.size
        assert stop - start >= criteria.min_spikes
        assert np.all(np.diff(train[start:stop]) <= criteria.max_isi + TIME_TOLERANCE)
        previous_stop = stop
    mask = burst_mask(train, criteria)
    assert mask.dtype == bool and mask.shape == train.shape
    assert int(mask.sum()) == sum(stop - start for start, stop in bursts)


@SETTINGS
@given(train=spike_trains(), criteria=criteria_strategy)
def test_burst_fraction_in_unit_interval(train: np.ndarray, criteria: BurstCriteria) -> None:
    duration = float(train[-1]) + 1.0 if train.size else 1.0
    m = cell_metrics(train, duration, criteria)
    assert m.n_spikes == train.size
    assert not math.isnan(m.rate_hz) and not math.isnan(m.bursts_per_s)
    assert m.mode in MODES
    if m.n_spikes:
        assert 0.0 <= m.burst_fraction <= 1.0
    else:
        assert math.isnan(m.burst_fraction)
    if m.bursts_per_s > 0:
        assert m.spikes_per_burst >= criteria.min_spikes


@SETTINGS
@given(
    train=spike_trains(),
    criteria=criteria_strategy,
    shift=st.integers(min_value=-(2**20), max_value=2**20),
    t_start=st.integers(min_value=0, max_value=8000),
    duration=st.integers(min_value=1, max_value=40000),
)
def test_time_shift_invariance(
    train: np.ndarray, criteria: BurstCriteria, shift: int, t_start: int, duration: int
) -> None:
    before = cell_metrics(train, duration * TICK, criteria, t_start=t_start * TICK)
    after = cell_metrics(
        train + shift * TICK, duration * TICK, criteria, t_start=(t_start + shift) * TICK
    )
    assert before.n_spikes == after.n_spikes
    assert before.mode == after.mode
    for name in (
        "rate_hz",
        "burst_fraction",
        "bursts_per_s",
        "spikes_per_burst",
        "intraburst_hz",
        "isi_cv",
    ):
        np.testing.assert_allclose(getattr(after, name), getattr(before, name), equal_nan=True)


@SETTINGS
@given(train=spike_trains(), criteria=criteria_strategy)
def test_dropping_silence_never_loses_burst_spikes(
    train: np.ndarray, criteria: BurstCriteria
) -> None:
    relaxed = BurstCriteria(
        max_isi=criteria.max_isi, min_spikes=criteria.min_spikes, min_preburst_silence=None
    )
    strict_mask = burst_mask(train, criteria)
    relaxed_mask = burst_mask(train, relaxed)
    assert relaxed_mask.sum() >= strict_mask.sum()
    assert np.all(relaxed_mask[strict_mask])


@SETTINGS
@given(modes=st.lists(st.sampled_from(MODES), min_size=1))
def test_mode_fractions_sum_to_one(modes: list[str]) -> None:
    fractions = mode_fractions(modes)
    assert tuple(fractions) == MODES
    assert sum(fractions.values()) == pytest.approx(1.0)
    assert all(0.0 <= v <= 1.0 for v in fractions.values())
