"""Experiment protocols on real (small) simulations, their figures and the validation report.

Each fixture is one protocol = one ``simulate`` call on a small population
(4-10 cells per condition, 2 s). The claims asserted are those of
``docs/science.md`` section 4, with margins: exact spike counts
depend on the random input. If a claim fails, do not loosen the bound: find
out which parameter change moved the cell (``docs/model.md``).
"""

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from brian2 import cm, mM, ms, msiemens, mV, pA, uM
from matplotlib.figure import Figure

from habmodel import experiments, validate
from habmodel.analysis import MODES
from habmodel.analysis.curves import potassium_reversal
from habmodel.plotting import protocols as experiment_plots
from habmodel.validate import ClaimResult, validation_markdown

SEED = 2026
DURATION = "2 s"
METRIC_COLUMNS = ["rate_hz", "burst_fraction", "bursts_per_s", "spikes_per_burst",
                  "intraburst_hz", "mode"]

# --- fast: input checks and table logic (no simulation) ----------------------------------------

@pytest.mark.parametrize("call, message", [
    (lambda: experiments.dose_response(doses=[1, 2] * mV), "doses: expected quantities in uM"),
    (lambda: experiments.dose_response(doses=[1.0, 2.0]), "doses: expected a quantity in uM"),
    (lambda: experiments.dose_response(doses=[-1, 2] * uM),
     "doses: expected a concentration in \\[0, "),
    (lambda: experiments.dose_response(drug="ketamin"), "did you mean 'ketamine'"),
    (lambda: experiments.dose_response(condition="depresed"), "did you mean 'depressed'"),
    (lambda: experiments.dose_response(duration=3), "duration: expected a quantity in s"),
    (lambda: experiments.pharmacology_panel(duration="2 mV"), "duration"),
    (lambda: experiments.pharmacology_panel(ap5=50), "ap5: expected a quantity in uM"),
    (lambda: experiments.pharmacology_panel(n_cells=0), "n_cells"),
    (lambda: experiments.pharmacology_panel(jitter=1.0), "jitter"),
    (lambda: experiments.mode_map(k_o_values=[3, 4] * mV), "k_o_values: expected quantities"),
    (lambda: experiments.mode_map(nmda_values=[1] * mM), "nmda_values: expected quantities"),
    (lambda: experiments.mode_map(k_o_values=[30] * mM), "K_o"),
    (lambda: experiments.rebound(amplitudes=[20] * pA), "hyperpolarising"),
    (lambda: experiments.rebound(amplitudes=[-20] * mV), "amplitudes: expected quantities in pA"),
    (lambda: experiments.rebound(durations=["500 mV"]), "durations: expected a quantity in ms"),
    (lambda: experiments.rebound(drugs=["ketamin"]), "did you mean 'ketamine'"),
    (lambda: experiments.rebound(duration="0.5 s"), "duration: expected at least"),
    (lambda: experiments.jittered_population(fraction=-0.1), "jitter"),
    (lambda: experiments.jittered_population(ketamine_doses="1 mV"), "ketamine_doses"),
    (lambda: experiments.conductance_block(v="1 mM"), "v: expected a quantity in mV"),
])
def test_bad_input_is_rejected_before_simulating(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_conductance_block_follows_the_drug_layer():
    ket = experiments.conductance_block("ketamine", [0, 1, 3] * uM)
    np.testing.assert_allclose(ket["blocked_fraction"], [0, 0.5, 0.75])
    assert set(ket["target"]) == {"NMDA"} and set(ket["v_mV"]) == {-60.0}
    mib = experiments.conductance_block("mibefradil", [0.25] * uM)
    assert mib["target"].iloc[0] == "T" and mib["blocked_fraction"].iloc[0] == pytest.approx(0.5)
    ap5 = experiments.conductance_block("ap5", [3.7] * uM, v="-80 mV")
    assert ap5["blocked_fraction"].iloc[0] == pytest.approx(0.5)


def _fake(rows):
    table = pd.DataFrame(rows)
    for column in ("rate_hz", "burst_fraction", "bursts_per_s", "spikes_per_burst",
                   "intraburst_hz"):
        if column not in table:
            table[column] = 1.0
    return table


def test_summarise_and_created_bursting_on_a_known_table():
    modes = {(0, "control"): ["tonic", "burst"], (1, "control"): ["tonic", "tonic"],
             (0, "depressed"): ["burst", "silent"], (1, "depressed"): ["tonic", "burst"]}
    rows = [{"condition": cond, "cell": cell, "ketamine_uM": dose, "mode": mode}
            for (cell, cond), pair in modes.items()
            for dose, mode in zip((0.0, 1.0), pair, strict=True)]
    table = _fake(rows)
    created = experiments.ketamine_created_bursting(table).set_index(["condition", "cell"])
    assert bool(created.loc[("control", 0), "created"])  # tonic -> burst with ketamine
    assert not created.loc[("control", 1), "created"]
    assert not created.loc[("depressed", 0), "created"]  # bursts without drug already
    assert bool(created.loc[("depressed", 1), "created"])
    summary = experiments.jitter_summary(table).set_index("condition")
    assert summary.loc["control", "frac_created"] == 0.5
    assert summary.loc["depressed", "frac_burst"] == 0.5
    assert summary.loc["depressed", "burst_cut"] == 0.0
    assert math.isnan(summary.loc["control", "burst_cut"])  # nothing bursts without drug
    by = experiments.summarise(table, ["condition", "ketamine_uM"])
    assert list(by["n_cells"]) == [2, 2, 2, 2]
    np.testing.assert_allclose(by[[f"frac_{m}" for m in MODES]].sum(axis=1), 1.0)


def test_mode_map_majority_prefers_burst_on_ties():
    rows = [{"ketamine_uM": 0.0, "K_o_mM": 3.0, "g_NMDA_mS_cm2": 1.0, "cell": c, "mode": m}
            for c, m in enumerate(["burst", "tonic", "tonic", "burst"])]
    rows += [{"ketamine_uM": 0.0, "K_o_mM": 4.0, "g_NMDA_mS_cm2": 1.0, "cell": c, "mode": m}
             for c, m in enumerate(["silent", "tonic", "tonic", "burst"])]
    summary = experiments.mode_map_summary(_fake(rows))
    assert list(summary["mode"]) == ["burst", "tonic"]


def test_dose_response_figure_without_a_fit():
    doses = [0.0, 0.3, 1.0, 3.0]
    table = _fake([{"drug": "ap5", "dose_uM": d, "condition": "depressed", "cell": c,
                    "seed": 1, "mode": "tonic", "bursts_per_s": 2.0}
                   for d in doses for c in range(2)])
    fig = experiment_plots.plot_dose_response(table)  # flat: no Hill fit, said in the caption
    assert isinstance(fig, Figure)
    assert any("No Hill fit" in t.get_text() for t in fig.texts)


def test_validation_markdown_table():
    results = [ClaimResult("1", "control", "5 Hz | tonic", "1-10 Hz", True),
               ClaimResult("9", "robust", "40 %", ">= 50 %", False)]
    text = validation_markdown(results)
    lines = text.strip().splitlines()
    assert lines[0] == "| claim | measured | target | pass/FAIL |"
    assert lines[2].endswith("| pass |") and "5 Hz \\| tonic" in lines[2]
    assert lines[3].endswith("| FAIL |") and lines[3].startswith("| 9. robust |")


# --- slow: one simulate call per protocol ---------------------------------------------------------

@pytest.fixture(scope="module")
def panel():
    return experiments.pharmacology_panel(n_cells=6, duration=DURATION, seed=SEED,
                                          ketamine_doses=[1, 10] * uM)


@pytest.fixture(scope="module")
def dose():
    return experiments.dose_response("ketamine", [0, 0.1, 0.3, 0.5, 1, 2, 3, 10] * uM,
                                     "depressed", n_cells=6, duration=DURATION, seed=SEED)


@pytest.fixture(scope="module")
def mode_map():
    return experiments.mode_map([2.5, 3.0, 3.5, 4.0, 5.0] * mM,
                                [0.0, 1.0, 2.3, 3.5] * msiemens / cm**2, [0, 10] * uM,
                                duration=DURATION, seed=SEED)


@pytest.fixture(scope="module")
def rebound():
    return experiments.rebound([-20] * pA, [500] * ms, ("none", "ketamine", "mibefradil"),
                               n_cells=3, seed=SEED)


@pytest.fixture(scope="module")
def jittered():
    return experiments.jittered_population(0.2, n_cells=10, seed=SEED,
                                           ketamine_doses=[1, 10] * uM, duration=DURATION)


def _by_label(table, label):
    part = table[table["label"] == label]
    assert len(part), f"no rows labelled {label!r}: {sorted(set(table['label']))}"
    return part


@pytest.mark.slow
def test_panel_table_is_tidy(panel):
    labels = ["control", "depressed", "depressed + ketamine 1 uM", "depressed + ketamine 10 uM",
              "depressed + AP5 50 uM", "depressed + mibefradil 2 uM", "control + ketamine 1 uM",
              "control + ketamine 10 uM"]
    assert list(dict.fromkeys(panel["label"])) == labels
    assert len(panel) == 6 * len(labels)
    assert {"label", "condition", "cell", "seed", "ketamine_uM", "ap5_uM",
            "mibefradil_uM"} <= set(panel.columns)
    assert set(METRIC_COLUMNS) <= set(panel.columns)
    assert set(panel["cell"]) == set(range(6)) and set(panel["seed"]) == {SEED}
    row = _by_label(panel, "depressed + AP5 50 uM").iloc[0]
    assert (row["condition"], row["ap5_uM"], row["ketamine_uM"]) == ("depressed", 50.0, 0.0)
    summary = experiments.panel_summary(panel)
    assert list(summary["label"]) == labels
    np.testing.assert_allclose(summary[[f"frac_{m}" for m in MODES]].sum(axis=1), 1.0)


@pytest.mark.slow
@pytest.mark.validation
def test_depressed_cells_burst_and_control_cells_do_not(panel):
    depressed = _by_label(panel, "depressed")
    assert (depressed["mode"] == "burst").mean() >= 0.5, list(depressed["mode"])
    assert depressed["bursts_per_s"].mean() >= 0.5
    control = _by_label(panel, "control")
    assert not (control["mode"] == "burst").any(), list(control["mode"])


@pytest.mark.slow
@pytest.mark.validation
@pytest.mark.parametrize("label, min_cut", [("depressed + ketamine 10 uM", 0.8),
                                            ("depressed + AP5 50 uM", 0.8),
                                            ("depressed + mibefradil 2 uM", 0.95)])
def test_blockers_suppress_bursting(panel, label, min_cut):
    before = _by_label(panel, "depressed")["bursts_per_s"].mean()
    after = _by_label(panel, label)
    assert after["bursts_per_s"].mean() <= (1 - min_cut) * before, (
        f"{label}: {after['bursts_per_s'].mean():.2f} vs {before:.2f} bursts/s")
    assert not (after["mode"] == "burst").any()


@pytest.mark.slow
@pytest.mark.validation
def test_ketamine_creates_no_bursting_in_control(panel):
    for label in ("control + ketamine 1 uM", "control + ketamine 10 uM"):
        assert not (_by_label(panel, label)["mode"] == "burst").any(), label


@pytest.mark.slow
@pytest.mark.validation
def test_ketamine_half_maximal_dose_is_low_micromolar(dose):
    assert len(dose) == 6 * 8 and set(dose["drug"]) == {"ketamine"}
    means = experiments.dose_response_means(dose)
    assert means["mean"].iloc[0] >= 0.5, "the depressed cells must burst without drug"
    fit = experiments.fit_dose_response(dose)
    assert 0.3 <= fit.ic50_uM <= 10, fit.describe()
    assert fit.top == pytest.approx(means["mean"].iloc[0], rel=0.3)
    assert means["mean"].iloc[-1] <= 0.2 * means["mean"].iloc[0]


@pytest.mark.slow
@pytest.mark.validation
def test_mode_map_burst_region_needs_nmda(mode_map):
    summary = experiments.mode_map_summary(mode_map)
    assert len(summary) == 5 * 4 * 2
    free = summary[summary["ketamine_uM"] == 0]
    assert (free["mode"] == "burst").any(), "no burst region without drug"
    assert {"silent", "tonic", "burst"} <= set(free["mode"])
    no_nmda = mode_map[mode_map["g_NMDA_mS_cm2"] == 0]
    assert not (no_nmda["mode"] == "burst").any()
    assert no_nmda["bursts_per_s"].max() < 0.5
    blocked = mode_map[mode_map["ketamine_uM"] == 10]
    assert blocked["bursts_per_s"].max() < 0.5, "ketamine 10 uM must stop rhythmic bursting"
    e_k = potassium_reversal(sorted(set(mode_map["K_o_mM"])) * mM)
    for k_o, e in zip(e_k["K_o_mM"], e_k["E_K_mV"], strict=True):
        np.testing.assert_allclose(mode_map.loc[mode_map["K_o_mM"] == k_o, "E_K_mV"], e)


@pytest.mark.slow
@pytest.mark.validation
def test_rebound_burst_in_control_abolished_by_mibefradil(rebound):
    summary = experiments.rebound_summary(rebound).set_index("drug")
    assert summary.loc["none", "rebound_probability"] >= 2 / 3, rebound
    assert summary.loc["none", "rebound_spikes_mean"] >= 2
    assert summary.loc["none", "latency_ms_mean"] < 100
    assert summary.loc["mibefradil", "rebound_probability"] == 0, rebound
    assert set(rebound["release_s"]) == {1.0}


@pytest.mark.slow
@pytest.mark.validation
def test_jittered_population(jittered):
    conductances = [c for c in jittered.columns if c.startswith("jittered_")]
    assert "jittered_g_T_mS_cm2" in conductances and len(conductances) >= 9
    per_cell = jittered.groupby("cell")[conductances].nunique()
    assert (per_cell == 1).all().all(), "a cell must have the same conductances everywhere"
    assert jittered.groupby(["condition", "ketamine_uM"])["jittered_g_T_mS_cm2"].nunique().min() > 1
    summary = experiments.jitter_summary(jittered).set_index("condition")
    control, depressed = summary.loc["control"], summary.loc["depressed"]
    assert control["frac_created"] <= 0.1, "ketamine creates bursting in jittered control cells"
    assert depressed["frac_burst"] >= 0.5
    assert depressed["frac_burst"] >= 3 * control["frac_burst"]
    assert depressed["burst_cut"] >= 0.8


# --- figures from the tables above ---------------------------------------------------------------

@pytest.mark.slow
def test_figures(panel, dose, mode_map, rebound, jittered, tmp_path):
    figures = {
        "panel": experiment_plots.plot_panel(panel),
        "dose": experiment_plots.plot_dose_response(dose),
        "map": experiment_plots.plot_mode_map(mode_map),
        "rebound": experiment_plots.plot_rebound(rebound),
        "jitter": experiment_plots.plot_jitter(jittered),
        "curves": experiment_plots.plot_teaching_curves(),
    }
    for name, fig in figures.items():
        assert isinstance(fig, Figure), name
        path = tmp_path / f"{name}.png"
        fig.savefig(path, dpi=40)
        assert path.stat().st_size > 3000, name
    assert len(figures["map"].axes) >= 2  # one panel per ketamine dose (+ E_K axes)


# --- the validation report, on tiny populations (checks the pipeline, not the claims) -------------

@pytest.mark.slow
def test_run_validation_pipeline(monkeypatch):
    tiny = dataclasses.replace(
        validate._QUICK, duration="1.5 s", panel_cells=2, panel_doses=(10.0,), dose_cells=1,
        doses=(0.0, 0.3, 1.0, 3.0, 10.0), rebound_cells=1, map_k_o=(2.75, 5.0),
        map_g=(0.0, 2.3), map_doses=(0.0, 10.0), jitter_cells=3, jitter_doses=(10.0,))
    monkeypatch.setattr(validate, "_QUICK", tiny)
    results = validate.run_validation(quick=True, seed=SEED, calibration=False)
    assert [r.claim for r in results] == ["1", "2", "3", "4", "5", "6", "7", "8", "9"]
    assert all(isinstance(r.passed, bool) and r.measured and r.target for r in results)
    table = validation_markdown(results)
    assert table.count("\n") == len(results) + 2


@pytest.mark.slow
def test_protocols_take_parameter_overrides():
    """overrides= reaches every cell (g_NMDA = 0 stops the depressed bursting); a
    parameter the protocol varies itself is refused."""
    table = experiments.dose_response("ketamine", [0, 1, 3] * uM, "depressed", n_cells=2,
                                      duration="1 s", overrides={"g_NMDA": "0 mS/cm2"})
    assert (table["bursts_per_s"] == 0).all()
    with pytest.raises(ValueError, match="K_o: this protocol sets it itself"):
        experiments.mode_map([2.75, 5] * mM, [0, 2.3] * msiemens / cm**2, ["0 uM"],
                             duration="0.5 s", overrides={"K_o": "3 mM"})
