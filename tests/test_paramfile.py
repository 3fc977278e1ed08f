"""Parameter files: `habmodel params`, `--params FILE`, and the round trip of a run's record."""

from __future__ import annotations

import tomllib

import pytest

from habmodel.model.parameters import CONDITIONS, PARAMETERS, condition_values
from habmodel.paramfile import parameters_toml, read_params


@pytest.mark.parametrize("condition", list(CONDITIONS))
def test_params_prints_every_parameter_and_reads_back_exactly(condition, tmp_path, run_cli):
    status, out, _ = run_cli(["params", "--condition", condition])
    assert status == 0
    data = tomllib.loads(out)
    assert set(data["parameters"]) == set(PARAMETERS)
    assert data["run"]["condition"] == condition
    for name, param in PARAMETERS.items():  # unit, meaning and source in the line
        line = next(x for x in out.splitlines() if x.startswith(f"{name} = "))
        assert param.meaning in line and param.source in line
        if param.unit != "1":
            assert param.unit in line
    path = tmp_path / "p.toml"
    path.write_text(out)
    assert read_params(path).parameters == condition_values(condition)
    assert out == parameters_toml(condition)


def test_params_out_file_is_written_once(tmp_path, run_cli, one_line_error):
    target = tmp_path / "p.toml"
    assert run_cli(["params", "--out", target])[0] == 0
    assert tomllib.loads(target.read_text())["run"]["condition"] == "control"
    status, _, err = run_cli(["params", "--out", target])
    assert status == 2
    one_line_error(err, "--out", "exists")


def test_partial_file_keeps_the_other_defaults(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[parameters]\ng_T = "2.2 mS/cm2"\nK_o = 3\n[drugs]\nketamine = "2 uM"\n')
    read = read_params(path)
    assert read.parameters == {"g_T": 2.2, "K_o": 3.0}
    assert read.drugs == {"ketamine": 2.0}
    assert read.run == {} and read.criteria is None


BAD_FILES = [
    ('[parameters]\ng_TT = "1 mS/cm2"\n', ["[parameters]", "g_TT", "did you mean 'g_T'"]),
    ('[parameters]\ng_T = "1 mV"\n', ["[parameters] g_T", "mS/cm2"]),
    ('[parameters]\ng_T = "-1 mS/cm2"\n', ["g_T", "outside the valid range"]),
    ('[parameters]\ng_T = true\n', ["g_T", "expected a number"]),
    ('[parameterz]\ng_T = 1\n', ["unknown table 'parameterz'", "parameters"]),
    ('[drugs]\nketamin = "1 uM"\n', ["[drugs]", "did you mean 'ketamine'"]),
    ('[drugs]\nketamine = "-1 uM"\n', ["ketamine", "concentration"]),
    ('[run]\ncells = "many"\n', ["[run] cells", "whole number"]),
    ('[run]\ncondition = "depresed"\n', ["condition", "did you mean 'depressed'"]),
    ('[run]\nduration = "5 mV"\n', ["[run] duration", "s"]),
    ("[run]\nspeed = 3\n", ["[run]", "unknown setting 'speed'"]),
    ('[burst_criteria]\nmax_isi = "-2 ms"\n', ["[burst_criteria]", "max_isi"]),
    ("[parameters\ng_T = 1\n", ["not valid TOML"]),
]


@pytest.mark.parametrize(("text", "needles"), BAD_FILES, ids=[t[1][0] for t in BAD_FILES])
def test_bad_files_exit_2_with_one_line_and_write_nothing(text, needles, tmp_path, run_cli,
                                                          one_line_error, no_simulation):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    out = tmp_path / "run"
    status, stdout, err = run_cli(["simulate", "--params", path, "--out", out])
    assert status == 2 and stdout == ""
    one_line_error(err, "--params", *needles)
    assert not out.exists()


def test_missing_file_is_one_line(tmp_path, run_cli, one_line_error, no_simulation):
    status, _, err = run_cli(["simulate", "--params", tmp_path / "nope.toml", "--out",
                              tmp_path / "run"])
    assert status == 2
    one_line_error(err, "--params", "no such file")


@pytest.mark.slow
def test_round_trip_params_edit_simulate_record_same_spikes(tmp_path, run_cli, one_line_error):
    """params -> edit -> simulate --params -> params.toml -> simulate --params: same spikes."""
    status, text, _ = run_cli(["params", "--condition", "depressed"])
    assert status == 0
    edited = text.replace('g_T = "1.5 mS/cm2"', 'g_T = "1.7 mS/cm2"')
    assert edited != text
    path = tmp_path / "mine.toml"
    path.write_text(edited)
    first, second = tmp_path / "first", tmp_path / "second"
    assert run_cli(["simulate", "--params", path, "--cells", 3, "--duration", "1s", "--seed",
                    4, "--drug", "ketamine=0.5uM", "--jitter", "0.1", "--set",
                    "nu_glu=110Hz", "--out", first, "--quiet"])[0] == 0
    record = read_params(first / "params.toml")
    assert record.run["condition"] == "depressed" and record.run["cells"] == 3
    assert record.parameters["nu_glu"] == 110.0
    assert isinstance(record.parameters["g_T"], list)  # jittered per cell
    assert all(1.7 * 0.9 <= g <= 1.7 * 1.1 for g in record.parameters["g_T"])
    assert run_cli(["simulate", "--params", first / "params.toml", "--out", second,
                    "--quiet"])[0] == 0
    assert (first / "spikes.csv").read_text() == (second / "spikes.csv").read_text()
    assert (first / "summary.csv").read_text() == (second / "summary.csv").read_text()
    assert len((first / "spikes.csv").read_text().splitlines()) > 10


@pytest.mark.slow
def test_flags_override_the_file(tmp_path, run_cli, one_line_error):
    path = tmp_path / "p.toml"
    path.write_text('[run]\ncondition = "depressed"\ncells = 5\nseed = 9\nduration = "0.2 s"\n'
                    '[parameters]\ng_T = "1.7 mS/cm2"\n')
    out = tmp_path / "run"
    assert run_cli(["simulate", "--params", path, "--cells", 2, "--set", "g_T=1.6mS/cm2",
                    "--out", out, "--quiet"])[0] == 0
    record = read_params(out / "params.toml")
    assert record.run["cells"] == 2 and record.run["seed"] == 9
    assert record.run["condition"] == "depressed" and record.run["duration"] == 0.2
    assert record.parameters["g_T"] == 1.6


@pytest.mark.slow
def test_simulate_arguments_repeat_a_recorded_run(tmp_path, run_cli):
    import numpy as np

    import habmodel

    out = tmp_path / "run"
    assert run_cli(["simulate", "--condition", "depressed", "--cells", 3, "--duration", "0.5s",
                    "--seed", 6, "--drug", "ketamine=0.4uM", "--jitter", "0.1", "--out", out,
                    "--quiet"])[0] == 0
    args = read_params(out / "params.toml").simulate_arguments()
    assert args["n_cells"] == 3 and args["seed"] == 6 and args["condition"] == "depressed"
    again = habmodel.simulate(**args, progress=False)
    recorded = np.loadtxt(out / "spikes.csv", delimiter=",", skiprows=1, ndmin=2)
    times = np.concatenate(again.spikes_s)
    assert len(times) == len(recorded) > 0
    np.testing.assert_allclose(np.sort(times), np.sort(recorded[:, 1]), rtol=0, atol=1e-12)
