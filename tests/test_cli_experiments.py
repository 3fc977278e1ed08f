"""The dose-response and validate subcommands, and --jitter / --ketamine-model on simulate."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from habmodel.cli.experiments import value_list


def test_value_lists_share_the_last_unit():
    assert value_list("--doses", "0.3,1,3uM") == ["0.3 uM", "1 uM", "3uM"]
    assert value_list("--vary", "2.5mM,3,3.5mM") == ["2.5mM", "3 mM", "3.5mM"]
    assert value_list("--vary", "1,2") == ["1", "2"]


@pytest.mark.slow
@pytest.mark.validation
def test_dose_response_writes_table_fit_and_figure(tmp_path, run_cli):
    out = tmp_path / "dr"
    status, stdout, err = run_cli(["dose-response", "--drug", "ketamine", "--doses",
                                   "0.3,1,3,10,30uM", "--condition", "depressed", "--cells", 6,
                                   "--duration", "2s", "--seed", 3, "--out", out])
    assert status == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["dose_response.csv", "dose_response.png",
                                                     "fit.json"]
    fit = json.loads((out / "fit.json").read_text())
    assert {"ic50_uM", "hill_n", "ci95_uM"} <= set(fit)
    assert 0.3 <= fit["ic50_uM"] <= 10  # docs/science.md claim 3: half-maximal dose in the low uM
    assert fit["ci95_uM"][0] <= fit["ic50_uM"] <= fit["ci95_uM"][1]
    table = pd.read_csv(out / "dose_response.csv")
    assert len(table) == 5 * 6 and set(table["dose_uM"]) == {0.3, 1, 3, 10, 30}
    assert (out / "dose_response.png").stat().st_size > 10_000
    assert "half-max" in stdout


BAD = [
    (["--drug", "ketamin"], ["--drug", "did you mean 'ketamine'"]),
    (["--drug", "ketamine", "--doses", "1,2mV"], ["--doses", "uM"]),
    (["--drug", "ketamine", "--doses", "1,2uM"], ["--doses", "three"]),
    (["--drug", "ketamine", "--doses", "1,1,2,3uM"], ["--doses", "twice"]),
    (["--drug", "ketamine", "--doses", "-1,1,2,3uM"], ["--doses"]),
    (["--drug", "ketamine", "--cells", "0"], ["--cells"]),
    (["--drug", "ketamine", "--set", "g_TT=1mS/cm2"], ["g_TT", "did you mean"]),
    (["--drug", "ketamine", "--jitter", "1.5"], ["--jitter", "[0, 1)"]),
]


@pytest.mark.parametrize(("extra", "needles"), BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_dose_response_input_exits_2_and_writes_nothing(extra, needles, tmp_path, run_cli,
                                                            one_line_error, no_simulation):
    out = tmp_path / "dr"
    status, stdout, err = run_cli(["dose-response", *extra, "--out", out])
    assert status == 2 and stdout == ""
    one_line_error(err, *needles)
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.validation
def test_validate_quick_passes_and_writes_the_table(tmp_path, run_cli):
    status, stdout, err = run_cli(["validate", "--quick", "--out", tmp_path, "--quiet"])
    text = (tmp_path / "validation.md").read_text()
    assert "| claim | measured | target | pass/FAIL |" in text
    assert status == 0, text
    assert "FAIL |" not in text.replace("pass/FAIL |", "")
    for claim in ("1.", "2.", "3.", "4.", "5.", "6.", "7.", "8.", "9."):
        assert f"| {claim} " in text


def test_validate_exits_1_when_a_claim_fails(tmp_path, run_cli, monkeypatch):
    from habmodel import validate

    failing = validate.ClaimResult(claim=3, description="NMDA block", measured="none",
                                   target="some", passed=False)
    monkeypatch.setattr(validate, "run_validation", lambda **kwargs: [failing])
    status, _, err = run_cli(["validate", "--out", tmp_path])
    assert status == 1 and "FAIL" in err
    assert "| FAIL |" in (tmp_path / "validation.md").read_text()


@pytest.mark.slow
def test_simulate_jitter_gives_the_same_cells_in_every_condition(tmp_path, run_cli):
    from brian2 import second

    import habmodel

    kwargs = dict(n_cells=4, duration=0.1 * second, seed=8, jitter=0.2)
    control = habmodel.simulate("control", **kwargs)
    depressed = habmodel.simulate("depressed", **kwargs)
    for name in ("g_T", "g_NMDA", "g_KL"):
        assert control.params[name].tolist() == depressed.params[name].tolist()
        assert len(set(control.params[name].tolist())) == 4
    out = tmp_path / "run"
    assert run_cli(["simulate", "--cells", 3, "--duration", "0.1s", "--jitter", "0.2",
                    "--out", out, "--quiet"])[0] == 0
    assert "conductance jitter 0.2" in (out / "params.toml").read_text()


@pytest.mark.parametrize(("argv", "needles"), [
    (["params", "--condition", "depresed"], ["--condition", "did you mean 'depressed'"]),
    (["validate", "--seed", "-1"], ["--seed"]),
    (["validate", "--engine", "turbo"], ["--engine"]),
], ids=["params --condition", "validate --seed", "validate --engine"])
def test_bad_params_and_validate_input(argv, needles, tmp_path, run_cli, one_line_error,
                                       no_simulation, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, stdout, err = run_cli(argv)
    assert status == 2 and stdout == ""
    one_line_error(err, *needles)
    assert list(tmp_path.iterdir()) == []
