"""The reward task in the circuit (docs/reward_task.md): prediction errors, dopamine, serotonin.

The ``validation`` tests run the real task (habmodel's LHb cells on the fast engine, the
RMTg, VTA and dorsal raphe in Brian2) on small populations and 2 trials of each type. If
one fails, the task no longer shows what docs/reward_task.md says: find out what changed,
do not loosen the bound.
"""

import numpy as np
import pytest

from habmodel.circuit import DEFAULT_RAPHE, TASK_CIRCUIT, TRIAL_TYPES, run_task
from habmodel.circuit.task import TaskTiming
from habmodel.circuit.task_metrics import MEASURES

SMALL = {"params": TASK_CIRCUIT.with_(n_rmtg=30, n_vta=30),
         "raphe": DEFAULT_RAPHE.with_(n_5ht=30, n_gaba=30)}
TINY = {"params": TASK_CIRCUIT.with_(n_rmtg=8, n_vta=8),
        "raphe": DEFAULT_RAPHE.with_(n_5ht=8, n_gaba=8), "n_lhb": 6, "n_trials": 1,
        "timing": TaskTiming(trial_s=1.4, cue_s=0.5, outcome_s=0.8, baseline_s=(0.1, 0.5),
                             after_s=0.2, warmup_s=0.3)}


@pytest.fixture(scope="module")
def task():
    return run_task(n_trials=2, n_lhb=20, seed=1, **SMALL)


def _row(result, condition, kind, measure):
    t = result.table
    return t[(t["condition"] == condition) & (t["trial_type"] == kind)
             & (t["measure"] == measure)].iloc[0]


def _baseline(result, condition, measure):
    """The pre-cue baseline of a condition, over all its trials."""
    t = result.trials
    return float(t[(t["condition"] == condition) & (t["measure"] == measure)]["baseline"].mean())


@pytest.mark.slow
@pytest.mark.validation
def test_an_omitted_reward_excites_the_lhb_and_dips_dopamine_in_control(task):
    lhb = _row(task, "control", "omitted reward", "LHb rate")
    assert lhb["response"] > 2 * lhb["baseline"] + 5, lhb
    da = _row(task, "control", "omitted reward", "dopamine")
    assert da["response"] < da["baseline"] - 1.0, da
    vta = _row(task, "control", "omitted reward", "VTA rate")
    assert vta["response"] < 0.5 * vta["baseline"], vta
    expected = _row(task, "control", "expected reward", "LHb rate")
    assert abs(expected["change"]) < 0.5 * lhb["change"]  # no prediction error, no response


@pytest.mark.slow
@pytest.mark.validation
def test_a_larger_reward_does_the_reverse_in_control(task):
    lhb = _row(task, "control", "larger reward", "LHb rate")
    assert lhb["response"] < 0.3 * lhb["baseline"], lhb
    da = _row(task, "control", "larger reward", "dopamine")
    assert da["response"] > da["baseline"] + 1.0, da
    vta = _row(task, "control", "larger reward", "VTA rate")
    assert vta["response"] > vta["baseline"] + 1.0, vta


@pytest.mark.slow
@pytest.mark.validation
def test_serotonin_moves_against_the_lhb(task):
    """Habenula activity inhibits raphe 5-HT neurons (Wang & Aghajanian 1977): when the LHb
    fires more (no reward, punishment) the 5-HT neurons and the serotonin readout fall; when
    it is silenced (a larger reward) they rise; the depressed LHb lowers baseline 5-HT."""
    for kind in ("omitted reward", "punishment"):
        assert _row(task, "control", kind, "5-HT rate")["change"] < -0.5
        assert _row(task, "control", kind, "serotonin")["change"] < -0.3
    assert _row(task, "control", "larger reward", "5-HT rate")["change"] > 0.3
    assert _row(task, "control", "larger reward", "serotonin")["change"] > 0.3
    gaba = _row(task, "control", "omitted reward", "DR GABA rate")
    assert gaba["response"] > 2 * gaba["baseline"], gaba  # through the DR's GABA neurons
    assert _baseline(task, "depressed", "serotonin") < _baseline(task, "control", "serotonin")


@pytest.mark.slow
@pytest.mark.validation
def test_depressed_baseline_dopamine_is_low_and_ketamine_raises_it(task):
    control, depressed, ketamine = (_baseline(task, c, "dopamine") for c in
                                    ("control", "depressed", "depressed + ketamine"))
    assert depressed < control - 1.0, (control, depressed)
    assert ketamine > depressed + 1.0, (depressed, ketamine)
    assert _baseline(task, "depressed", "LHb bursts") > 2 * _baseline(
        task, "depressed + ketamine", "LHb bursts")


@pytest.mark.slow
def test_the_table_is_tidy_and_complete(task):
    t = task.table
    assert list(t.columns) == ["condition", "trial_type", "prediction_error", "measure", "unit",
                               "baseline", "response", "after", "change", "change_after",
                               "change_sem", "n_trials"]
    assert len(t) == 3 * len(TRIAL_TYPES) * len(MEASURES)
    assert not t.duplicated(["condition", "trial_type", "measure"]).any()
    assert set(t["n_trials"]) == {2} and len(task.order) == 2 * len(TRIAL_TYPES)
    assert dict(zip(t["trial_type"], t["prediction_error"], strict=True)) == {
        "expected reward": 0.0, "omitted reward": -1.0, "larger reward": 1.0,
        "punishment": -2.0}
    courses = task.time_courses()
    assert set(courses["signal"]) == {"LHb rate", "RMTg rate", "VTA rate", "DR GABA rate",
                                      "5-HT rate", "dopamine", "serotonin"}


@pytest.mark.slow
def test_same_seed_same_spikes():
    a, b = run_task(("depressed",), seed=3, **TINY), run_task(("depressed",), seed=3, **TINY)
    for pop, cells in a.spikes["depressed"].items():
        assert len(cells), pop
        for x, y in zip(cells, b.spikes["depressed"][pop], strict=True):
            np.testing.assert_array_equal(x, y)
    assert a.table.equals(b.table)


@pytest.mark.parametrize("kwargs, message", [
    ({"pe_current": "30 mV"}, "pe_current: expected a quantity in pA"),
    ({"pe_current": 30}, "pe_current: expected a quantity in pA"),
    ({"pe_current": "300 pA"}, "pe_current: expected 0-250 pA"),
    ({"pe_duration": "0.3 pA"}, "pe_duration: expected a quantity in ms"),
    ({"pe_duration": "2 s"}, "pe_duration: expected 20-700 ms"),
    ({"ketamine": "1 mV"}, "ketamine: expected a quantity in uM"),
    ({"ketamine": "-1 uM"}, "ketamine: expected 0-10000 uM"),
    ({"n_trials": 0}, "n_trials"),
    ({"n_trials": 2.5}, "n_trials"),
    ({"n_lhb": 0}, "n_lhb"),
    ({"jitter": 1.5}, "jitter"),
    ({"params": {"n_rmtg": 10}}, "params: expected"),
    ({"raphe": None}, "raphe: expected"),
    ({"conditions": "control"}, "conditions: expected a sequence"),
    ({"conditions": ()}, "conditions: expected a sequence"),
    ({"conditions": ("contol",)}, "conditions"),
    ({"conditions": ("depressed + mibefradil",)}, "give the dose of mibefradil"),
    ({"conditions": ("depressed + ketamine 1 mV",)}, "expected a quantity in uM"),
    ({"conditions": ("depressed + aspirin 1 uM",)}, "aspirin"),
    ({"conditions": ("control", "control")}, "distinct"),
    ({"timing": TaskTiming(outcome_s=0.5)}, "timing: expected"),
    ({"timing": TaskTiming(trial_s=1.9)}, "timing: expected"),
    ({"timing": (2.5, 1.0)}, "timing: expected"),
])
def test_inputs_are_checked_before_anything_runs(kwargs, message, no_simulation):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("+", r"\+")):
        run_task(**kwargs)


@pytest.mark.slow
def test_the_task_command_writes_its_files(tmp_path, run_cli):
    out = tmp_path / "task"
    status, stdout, err = run_cli(["circuit", "--task", "reward", "--trials", "1",
                                   "--lhb-cells", "6", "--rmtg-cells", "8", "--vta-cells", "8",
                                   "--drug", "ketamine=3uM", "--seed", "1", "--quiet",
                                   "--out", out])
    assert status == 0, err
    assert {p.name for p in out.iterdir()} == {"task.csv", "params.toml", "task.png"}
    import tomllib

    import pandas as pd

    table = pd.read_csv(out / "task.csv")
    assert set(table["condition"]) == {"control", "depressed", "depressed + ketamine"}
    params = tomllib.loads((out / "params.toml").read_text())
    assert params["run"]["ketamine"] == "3uM" and params["circuit"]["vta_substeps"] == 4
    assert params["run"]["trials_per_type"] == 1 and params["raphe"]["n_5ht"] == 60


@pytest.mark.parametrize("extra, needles", [
    (["--trials", "0"], ["--trials"]),
    (["--trials", "many"], ["--trials"]),
    (["--condition", "depressed"], ["--condition", "not used with --task"]),
    (["--duration", "5s"], ["--duration", "not used with --task"]),
    (["--rate-matched"], ["--rate-matched", "not used with --task"]),
    (["--drug", "mibefradil=2uM"], ["--drug", "only ketamine"]),
    (["--drug", "ketamine=1mV"], ["ketamine", "uM"]),
    (["--drug", "ketamine=1"], ["ketamine", "1uM"]),
    (["--lhb-cells", "0"], ["--lhb-cells"]),
    (["--circuit", "w_gaba=-1"], ["--circuit w_gaba"]),
    (["--seed", "-2"], ["--seed"]),
    (["--task", "punishment"], ["--task", "reward"]),
])
def test_bad_task_input_exits_2_with_one_line_and_no_folder(extra, needles, tmp_path, run_cli,
                                                            one_line_error, no_simulation):
    out = tmp_path / "bad"
    status, _, err = run_cli(["circuit", "--task", "reward", *extra, "--out", out])
    assert status == 2
    one_line_error(err, *needles)
    assert not out.exists()


def test_trials_need_a_task(tmp_path, run_cli, one_line_error, no_simulation):
    status, _, err = run_cli(["circuit", "--trials", "2", "--out", tmp_path / "bad"])
    assert status == 2
    one_line_error(err, "--trials", "--task")


@pytest.mark.slow
def test_a_subset_of_trial_types_runs_only_those():
    result = run_task(("control",), seed=3, trial_types=["omitted reward"], **TINY)
    assert result.order == ["omitted reward"]
    assert set(result.table["trial_type"]) == {"omitted reward"}
    with pytest.raises(ValueError, match="trial_types"):
        run_task(("control",), trial_types=["jackpot"], **TINY)
    with pytest.raises(ValueError, match="trial_types"):
        run_task(("control",), trial_types=[], **TINY)
