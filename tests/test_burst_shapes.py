"""The burst-shape classifier (habmodel.analysis.burst_shapes) on synthetic traces.

Each synthetic burst is drawn with the defining features of its class (docs/burst_shapes.md):
square-wave bursts ride on a sustained plateau and start at their shortest interval,
triangular bursts start on a plateau that decays to the baseline while the intervals
lengthen, parabolic bursts have troughs at or below the baseline and their shortest
interval inside the burst. Spike counts, amplitudes, rates, plateau heights and noise
are random (hypothesis); the classifier must find every burst and label it correctly.
"""

import math

import numpy as np
import pandas as pd
import pytest
from brian2 import ms, mV, second, volt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from habmodel import analysis
from habmodel.analysis import (
    SHAPE_COLUMNS,
    SHAPE_LABELS,
    SHAPES,
    ShapeCriteria,
    classify_bursts,
    shape_fractions,
    spike_crossings,
)

DT = 5e-5  # s: the synthetic traces' sample step
SPIKE_WIDTH = 1e-4  # s: the Gaussian width of a synthetic spike


def _isis(kind: str, n: int, isi_min: float, rng: np.random.Generator) -> np.ndarray:
    """The n - 1 intervals (s) of a burst of ``kind``, with 3 % jitter."""
    k = np.arange(n - 1, dtype=float)
    if kind == "parabolic":
        j = int(rng.integers(1, n - 2))  # the shortest interval is interior
        r1, r2 = rng.uniform(1.5, 3.0, 2)
        left = 1 + (r1 - 1) * ((j - k) / j) ** 2
        right = 1 + (r2 - 1) * ((k - j) / (n - 2 - j)) ** 2
        shape = np.where(k <= j, left, right)
    else:  # square-wave and triangular: shortest first, lengthening
        growth = rng.uniform(0.0, 1.0) if kind == "square-wave" else rng.uniform(0.5, 2.0)
        shape = 1 + growth * k / max(n - 2, 1)
    return isi_min * shape * rng.uniform(0.97, 1.03, n - 1)


def _troughs(kind: str, n: int, plateau: float, rng: np.random.Generator) -> np.ndarray:
    """The n - 1 interspike trough levels (mV above the baseline)."""
    x = np.linspace(0.0, 1.0, n - 1)
    if kind == "square-wave":  # a sustained plateau (it may sag by up to a quarter)
        return plateau * (1 - rng.uniform(0.0, 0.25) * x)
    if kind == "triangular":  # the plateau decays to the baseline
        end = rng.uniform(-3.0, 3.0)
        return plateau + (end - plateau) * x
    return np.full(n - 1, rng.uniform(-10.0, 2.0))  # parabolic: at or below the baseline


def synthetic_trace(kinds, rng, *, n_spikes, baseline, peak, plateau, isi_min, noise,
                    lead=0.2, gap=0.25):
    """A trace (t in s, v in mV) with one burst of each kind in ``kinds``, in order.

    Returns ``(t, v, starts)``: ``starts`` the first spike time of each burst.
    """
    spikes, levels, starts = [], [], []
    t0 = lead
    for kind, n in zip(kinds, n_spikes, strict=True):
        times = t0 + np.r_[0.0, np.cumsum(_isis(kind, n, isi_min, rng))]
        spikes.append(times)
        levels.append(_troughs(kind, n, plateau, rng))
        starts.append(times[0])
        t0 = times[-1] + gap
    t = np.arange(0.0, t0 - gap + 0.1, DT)
    rel = np.zeros(t.size)  # the slow envelope, mV above the baseline
    for times, level in zip(spikes, levels, strict=True):
        rise = (t >= times[0] - 3e-3) & (t < times[0])
        rel[rise] = level[0] * (t[rise] - times[0] + 3e-3) / 3e-3
        for a, b, lv in zip(times[:-1], times[1:], level, strict=True):
            rel[(t >= a) & (t < b)] = lv
        after = t >= times[-1]
        rel[after] += level[-1] * np.exp(-(t[after] - times[-1]) / 5e-3) * (
            t[after] < times[-1] + 0.05)
    v = baseline + rel
    for times in spikes:
        for s in times:
            near = np.abs(t - s) < 6 * SPIKE_WIDTH
            bump = np.exp(-(((t[near] - s) / SPIKE_WIDTH) ** 2))
            v[near] = v[near] + (peak - v[near]) * bump
    v = v + rng.normal(0.0, noise, t.size) if noise > 0 else v
    return t, v, np.array(starts)


@st.composite
def bursts(draw):
    kinds = draw(st.lists(st.sampled_from(SHAPES), min_size=1, max_size=4))
    n_spikes = [draw(st.integers(4 if k == "parabolic" else 3, 10)) for k in kinds]
    baseline = draw(st.floats(-75.0, -55.0))
    return dict(kinds=kinds, n_spikes=n_spikes, baseline=baseline,
                peak=draw(st.floats(0.0, 30.0)),
                plateau=draw(st.floats(22.0, min(35.0, -30.0 - baseline))),
                isi_min=draw(st.floats(2.5e-3, 6e-3)),
                noise=draw(st.sampled_from([0.0, 0.3, 1.0])),
                seed=draw(st.integers(0, 2**32 - 1)))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bursts())
def test_synthetic_bursts_are_labelled_by_their_class(case):
    rng = np.random.default_rng(case.pop("seed"))
    t, v, starts = synthetic_trace(case["kinds"], rng, **{k: case[k] for k in (
        "n_spikes", "baseline", "peak", "plateau", "isi_min", "noise")})
    table = classify_bursts(t, v)
    assert list(table.columns) == list(SHAPE_COLUMNS)
    assert table["n_spikes"].tolist() == case["n_spikes"]
    np.testing.assert_allclose(table["start_s"], starts, atol=3e-4)  # crossing before peak
    assert table["label"].tolist() == case["kinds"], table.drop(columns=["start_s", "end_s"])
    np.testing.assert_allclose(table["baseline_mV"], case["baseline"], atol=1.0)


def _one(kind, n=6, **kw):
    args = dict(n_spikes=[n], baseline=-65.0, peak=20.0, plateau=28.0, isi_min=3e-3, noise=0.0)
    args.update(kw)
    return synthetic_trace([kind], np.random.default_rng(1), **args)


def test_measures_of_a_square_wave_burst():
    t, v, _ = _one("square-wave")
    row = classify_bursts(t, v).iloc[0]
    assert row["label"] == "square-wave"
    assert row["baseline_mV"] == pytest.approx(-65.0)
    assert row["spike_height_mV"] == pytest.approx(85.0, abs=2.0)  # peaks between samples
    assert 21.0 <= row["plateau_last_mV"] <= row["plateau_first_mV"] <= 28.5
    assert row["isi_min_position"] == 0.0 and row["acceleration"] == 1.0
    assert row["deceleration"] >= 1.0 and row["isi_min_ms"] == pytest.approx(3.0, rel=0.05)


def test_parabolic_shortest_interval_is_interior():
    t, v, _ = _one("parabolic", n=8)
    row = classify_bursts(t, v).iloc[0]
    assert row["label"] == "parabolic"
    assert 0 < row["isi_min_position"] < 1
    assert row["acceleration"] >= 1.4 and row["deceleration"] >= 1.4
    assert row["plateau_fraction"] < 0.05


def test_no_bursts_gives_an_empty_table_with_the_columns():
    t = np.arange(0, 2.0, DT)
    v = np.full(t.size, -60.0) + np.random.default_rng(0).normal(0, 0.5, t.size)
    for s in np.arange(0.1, 2.0, 0.2):  # tonic spikes, 200 ms apart
        v[np.abs(t - s) < 2e-4] = 20.0
    assert spike_crossings(t, v).size == 10
    table = classify_bursts(t, v)
    assert table.empty and list(table.columns) == list(SHAPE_COLUMNS)
    flat = classify_bursts(t, np.full(t.size, -70.0))
    assert flat.empty


def test_a_burst_at_the_start_of_the_trace():
    t, v, starts = _one("square-wave", lead=0.004)  # no sample before the baseline window
    row = classify_bursts(t, v).iloc[0]
    assert row["label"] == "unclassified" and math.isnan(row["baseline_mV"])
    assert row["n_spikes"] == 6  # still found and measured where it can be
    t, v, starts = _one("square-wave", lead=0.03)  # part of the window: still classified
    assert classify_bursts(t, v)["label"].tolist() == ["square-wave"]


def test_a_burst_cut_by_the_end_of_the_trace():
    t, v, starts = _one("triangular", n=8)
    cut = t < starts[0] + 0.012  # the trace ends inside the burst
    table = classify_bursts(t[cut], v[cut])
    assert len(table) == 1 and 3 <= table["n_spikes"].iloc[0] < 8


def test_too_few_spikes_is_unclassified():
    t, v, _ = _one("square-wave", n=2)
    assert classify_bursts(t, v)["label"].tolist() == ["unclassified"]
    t, v, _ = _one("square-wave", n=3)
    assert classify_bursts(t, v)["label"].tolist() == ["square-wave"]
    strict = ShapeCriteria(min_spikes=4)
    assert classify_bursts(t, v, shape=strict)["label"].tolist() == ["unclassified"]


def test_nan_or_inf_is_a_clear_error():
    t, v, _ = _one("square-wave")
    bad = v.copy()
    bad[100] = np.nan
    with pytest.raises(ValueError, match=r"^v: contains NaN"):
        classify_bursts(t, bad)
    bad_t = t.copy()
    bad_t[5] = np.inf
    with pytest.raises(ValueError, match=r"^time: contains inf"):
        classify_bursts(bad_t, v)
    with pytest.raises(ValueError, match=r"^spike_times: contains NaN"):
        classify_bursts(t, v, [0.2, np.nan])


def test_quantities_at_the_boundary():
    t, v, _ = _one("triangular")
    plain = classify_bursts(t, v)
    quantities = classify_bursts(t * 1e3 * ms, v * 1e-3 * volt)
    pd.testing.assert_frame_equal(plain, quantities)
    assert plain["label"].tolist() == ["triangular"]
    with pytest.raises(ValueError, match=r"^v: expected membrane potentials in mV .*wrong dim"):
        classify_bursts(t, v * second)
    with pytest.raises(ValueError, match=r"^time: expected times in seconds .*wrong dim"):
        classify_bursts(t * mV, v)
    with pytest.raises(ValueError, match=r"^spike_times: expected times in seconds"):
        classify_bursts(t, v, [0.2, 0.203] * mV)
    with pytest.raises(ValueError, match=r"^time: expected times in seconds, got the string"):
        classify_bursts("1 s", v)


def test_other_input_errors():
    t, v, starts = _one("square-wave")
    with pytest.raises(ValueError, match="same length"):
        classify_bursts(t[:-1], v)
    with pytest.raises(ValueError, match="strictly increasing"):
        classify_bursts(t[::-1], v)
    with pytest.raises(ValueError, match="within the trace"):
        classify_bursts(t, v, [t[-1] + 1.0])
    with pytest.raises(ValueError, match="^time: expected a 1-D array"):
        classify_bursts(np.zeros((2, 2)), np.zeros((2, 2)))
    with pytest.raises(TypeError, match="shape"):
        classify_bursts(t, v, shape="strict")
    for field, value in [("plateau_high", 0.0), ("isi_ratio", 0.5), ("baseline_window", -1.0),
                         ("plateau_retained", float("nan"))]:
        with pytest.raises(ValueError, match=f"^{field}"):
            ShapeCriteria(**{field: value})
    with pytest.raises(ValueError, match="^min_spikes"):
        ShapeCriteria(min_spikes=2)


def test_given_spike_times_are_used():
    t, v, starts = _one("square-wave")
    found = spike_crossings(t, v)
    assert found.size == 6
    np.testing.assert_array_equal(classify_bursts(t, v, found)["n_spikes"], [6])
    assert classify_bursts(t, v, found[:2])["label"].tolist() == ["unclassified"]


def test_shape_fractions():
    assert shape_fractions(["square-wave", "square-wave", "parabolic", "unclassified"]) == {
        "square-wave": 2 / 3, "triangular": 0.0, "parabolic": 1 / 3}
    assert all(math.isnan(x) for x in shape_fractions(["unclassified"]).values())
    with pytest.raises(ValueError, match="labels"):
        shape_fractions(["square"])
    assert SHAPE_LABELS[:3] == SHAPES and "classify_bursts" in analysis.__all__


def test_describe_names_the_thresholds():
    text = ShapeCriteria().describe()
    assert "0.1" in text and "1.2" in text and "0.5" in text


# --- the protocol, its summary and its figure, on short real simulations ---------------------

@pytest.fixture(scope="module")
def measured():
    from habmodel.experiments import burst_shapes_with_examples

    return burst_shapes_with_examples(["2.6 mM", "5 mM"], ["-20 pA", "0 pA"], n_cells=2,
                                      duration="2 s", seed=3)


@pytest.mark.slow
def test_the_protocol_table_accounts_for_every_cell(measured):
    from habmodel.analysis import NO_BURST, burst_shape_summary

    table, _ = measured
    assert list(table.columns[:5]) == ["axis", "K_o_mM", "I_hold_pA", "condition", "cell"]
    assert list(table.columns[5:5 + len(SHAPE_COLUMNS)]) == list(SHAPE_COLUMNS)
    assert {"cell_n_spikes", "mode", "seed"} <= set(table.columns)
    assert set(table["label"]) <= {*SHAPE_LABELS, NO_BURST}
    tonic = table[(table["axis"] == "K_o") & (table["K_o_mM"] == 5.0)]
    assert tonic["label"].tolist() == [NO_BURST, NO_BURST] and (tonic["burst"] == -1).all()
    assert set(tonic["mode"]) == {"tonic"}
    held = table[table["axis"] == "I_hold"]
    assert set(held["K_o_mM"]) == {2.6} and set(held["I_hold_pA"]) == {-20.0, 0.0}
    summary = burst_shape_summary(table)
    assert summary["n_cells"].tolist() == [2, 2, 2, 2]
    assert summary["n_bursts"].iloc[1] == 0 and math.isnan(summary["frac_square_wave"].iloc[1])
    depressed = summary.iloc[0]
    assert depressed["n_bursts"] >= 8 and depressed["frac_parabolic"] == 0.0
    fractions = summary[["frac_square_wave", "frac_triangular", "frac_parabolic"]].iloc[[0, 2, 3]]
    np.testing.assert_allclose(fractions.sum(axis=1), 1.0)
    # the classified bursts are the bursts of the cell's metrics (same spikes, same criteria)
    bursting = table[table["label"] != NO_BURST]
    per_cell = bursting.groupby(["axis", "K_o_mM", "I_hold_pA", "cell"])["n_spikes"].mean()
    first = bursting.groupby(["axis", "K_o_mM", "I_hold_pA", "cell"])["spikes_per_burst"].first()
    np.testing.assert_allclose(per_cell, first)


@pytest.mark.slow
def test_examples_and_the_figure(measured):
    from matplotlib.figure import Figure

    from habmodel.analysis import burst_shape_summary
    from habmodel.plotting.burst_shapes import plot_burst_shapes

    table, examples = measured
    assert examples and set(examples) <= set(SHAPES)
    for label, example in examples.items():
        assert label in set(table["label"])
        assert example["t_ms"].shape == example["v_mV"].shape
        assert example["t_ms"][0] == pytest.approx(-30.0, abs=0.2)
        assert example["v_mV"].max() > 0 and math.isfinite(example["baseline_mV"])
    fig = plot_burst_shapes(table, examples)
    assert isinstance(fig, Figure) and len(fig.axes) == len(examples) + 2
    only = plot_burst_shapes(burst_shape_summary(table))
    assert len(only.axes) == 2
    with pytest.raises(ValueError, match="axis"):
        plot_burst_shapes(burst_shape_summary(table).assign(axis="x"))


def test_protocol_input_errors():
    from habmodel.experiments import burst_shapes

    with pytest.raises(ValueError, match="^k_o_values: expected quantities in mM"):
        burst_shapes(k_o_values=[2.6, 3.0] * mV)
    with pytest.raises(ValueError, match="^holding_currents"):
        burst_shapes(holding_currents=["10 mV"])
    with pytest.raises(ValueError, match="at least one value"):
        burst_shapes(k_o_values=[], holding_currents=[])
    with pytest.raises(ValueError, match="^record_v"):
        burst_shapes(record_v=True)
    with pytest.raises(ValueError, match="K_o"):
        burst_shapes(k_o_values=["50 mM"])
    with pytest.raises(TypeError, match="shape"):
        burst_shapes(shape=0.5)


@pytest.mark.parametrize("name", ["habmodel.analysis.burst_shapes",
                                  "habmodel.experiments.burst_shapes"])
def test_the_docstring_examples_run(name):
    import doctest
    import importlib

    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
