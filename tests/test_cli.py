"""Tests of the command line (habmodel.cli) and of writing results (habmodel.io).

Only the tests marked ``slow`` run a simulation; every bad-input test checks
that the input is rejected before anything is simulated or written.
"""

from __future__ import annotations

import csv
import math
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import habmodel.model.parameters
from habmodel import analysis, io, simulation
from habmodel.model.parameters import PARAMETERS
from habmodel.model.units import parse_quantity, to_display

SRC = Path(__file__).resolve().parents[1] / "src"
SUMMARY_HEADER = ["cell", "rate_hz", "burst_fraction", "bursts_per_s", "spikes_per_burst",
                  "intraburst_hz", "mode"]
FILES = {"spikes.csv", "summary.csv", "params.toml", "trace.png"}


BAD_INPUTS = [
    (["--condition", "depresed"], ["--condition", "depressed"]),
    (["--drug", "ketamin=2uM"], ["ketamin", "did you mean 'ketamine'"]),
    (["--drug", "ketamine"], ["--drug", "NAME=VALUE"]),
    (["--drug", "ketamine="], ["--drug", "NAME=VALUE"]),
    (["--drug", "ketamine=2mV"], ["ketamine", "uM"]),
    (["--drug", "ketamine=-1uM"], ["ketamine", "uM"]),
    (["--drug", "ketamine=2uM", "--drug", "ketamine=3uM"], ["ketamine", "twice"]),
    (["--set", "g_T=2mV"], ["g_T", "mS/cm2"]),
    (["--set", "g_TT=1mS/cm2"], ["g_TT", "did you mean 'g_T'"]),
    (["--set", "g_T=-1mS/cm2"], ["g_T", "range"]),
    (["--set", "g_T"], ["--set", "NAME=VALUE"]),
    (["--set", "g_T=abc"], ["g_T", "number"]),
    (["--cells", "0"], ["--cells"]),
    (["--cells", "-3"], ["--cells"]),
    (["--cells", "2.5"], ["--cells"]),
    (["--cells", "10000000"], ["--cells"]),
    (["--duration", "0s"], ["--duration"]),
    (["--duration", "nan s"], ["--duration", "finite"]),
    (["--duration", "-1s"], ["--duration"]),
    (["--duration", "1e9 s"], ["--duration"]),
    (["--duration", "5 mV"], ["--duration", "s"]),
    (["--warmup", "-1ms"], ["--warmup"]),
    (["--seed", "-1"], ["--seed"]),
    (["--engine", "turbo"], ["--engine", "fast"]),
    (["--threads", "0"], ["--threads"]),
    (["--threads", "two"], ["--threads"]),
    (["--jitter", "1.5"], ["--jitter", "[0, 1)"]),
    (["--jitter", "-0.1"], ["--jitter"]),
    (["--ketamine-model", "hil"], ["--ketamine-model", "hill"]),
    # a dimensional value needs its unit (10 what?)
    (["--drug", "ketamine=10"], ["--drug", "ketamine=10", "no unit", "ketamine=10uM"]),
    (["--drug", "AP5=50"], ["--drug", "AP5=50", "no unit", "AP5=50uM"]),
    (["--set", "g_T=2"], ["--set", "g_T=2", "no unit", "g_T=2mS/cm2"]),
    (["--set", "K_o=2.75"], ["--set", "K_o=2.75", "no unit", "K_o=2.75mM"]),
    (["--set", "I_hold=-5"], ["--set", "I_hold=-5", "no unit", "pA"]),
]


@pytest.mark.parametrize(("extra", "needles"), BAD_INPUTS, ids=lambda v: " ".join(v))
def test_bad_input_exits_2_with_one_line(extra, needles, tmp_path, run_cli, one_line_error,
                                         no_simulation):
    out = tmp_path / "run"
    status, stdout, err = run_cli(["simulate", "--cells", "2", *extra, "--out", out])
    assert status == 2
    one_line_error(err, *needles)
    assert stdout == ""
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [["simulate", "--cells", "2"], ["simulat", "--out", "x"],
                                  [], ["simulate", "--out", "x", "--bogus"]],
                         ids=["no --out", "bad command", "no command", "unknown option"])
def test_usage_errors_are_one_line(argv, run_cli, one_line_error, no_simulation):
    status, _, err = run_cli(argv)
    assert status == 2
    one_line_error(err)


def test_refuses_non_empty_out_dir(tmp_path, run_cli, one_line_error, no_simulation):
    (tmp_path / "keep.txt").write_text("mine")
    status, _, err = run_cli(["simulate", "--out", tmp_path])
    assert status == 2
    one_line_error(err, "--out", "--overwrite")
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_simulation_error_exits_1(tmp_path, run_cli, one_line_error, monkeypatch):
    def blow_up(*args, **kwargs):
        raise simulation.SimulationError("numerical blow-up: the membrane potential ...")
    monkeypatch.setattr(simulation, "simulate", blow_up)
    out = tmp_path / "run"
    status, _, err = run_cli(["simulate", "--cells", "1", "--out", out, "--quiet"])
    assert status == 1
    one_line_error(err, "blow-up")
    assert not out.exists()


def test_python_m_habmodel_bad_input(tmp_path, one_line_error):
    out = tmp_path / "run"
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.run([sys.executable, "-m", "habmodel", "simulate", "--cells", "0",
                           "--out", str(out)], capture_output=True, text=True, env=env,
                          check=False)
    assert proc.returncode == 2
    one_line_error(proc.stderr, "--cells")
    assert not out.exists()


# --- habmodel.io, on a hand-made result (no simulation) -------------------------------------

def fake_result(n_cells=2, g_T=(1.5, 2.0)):
    spikes = [np.array([0.2, 0.205, 0.21, 0.6]), np.array([])] + [np.array([0.5])] * (n_cells - 2)
    params = simulation.resolve_parameters("depressed", None, n_cells)
    params["g_T"] = np.asarray(g_T, float)
    t = np.arange(0, 1, 1e-3)
    return simulation.SimulationResult(
        condition="depressed", n_cells=n_cells, duration_s=1.0, warmup_s=0.5, seed=7,
        dt_ms=0.05, method="rk4", spikes_s=spikes, t_s=t, v_mV=-70 + 0 * t[None, :],
        v_cells=np.array([0]), params=params, drugs_uM={"ketamine": np.full(n_cells, 2.0)},
        metrics=analysis.population_metrics(spikes, 1.0), criteria=analysis.DEFAULT_CRITERIA,
        versions={"habmodel": "test", "brian2": "x", "numpy": np.__version__})


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.reader(handle))


def test_write_run_files(tmp_path):
    out = io.write_run(fake_result(), tmp_path / "a" / "b", argv=["simulate", "--seed", "7"])
    assert {p.name for p in out.iterdir()} == FILES
    spikes = read_csv(out / "spikes.csv")
    assert spikes[0] == ["cell", "t_s"] and len(spikes) == 1 + 4
    summary = read_csv(out / "summary.csv")
    assert summary[0] == SUMMARY_HEADER
    assert summary[2][4] == "nan"  # spikes_per_burst of a cell without bursts
    assert math.isnan(float(summary[2][4]))
    params = tomllib.loads((out / "params.toml").read_text())
    assert params["run"]["seed"] == 7
    assert params["parameters"]["g_T"] == ["1.5 mS/cm2", "2 mS/cm2"]  # differs per cell
    k_o = habmodel.model.parameters.CONDITIONS["depressed"]["K_o"]
    assert params["parameters"]["K_o"] == f"{k_o:g} mM"  # same in every cell: a scalar
    assert params["drugs"]["ketamine"] == "2 uM"
    assert params["burst_criteria"]["max_isi"] == "20 ms"
    used = fake_result().params
    for name, value in params["parameters"].items():  # every value reads back exactly
        unit = PARAMETERS[name].unit
        back = [to_display(v, unit, name) for v in (value if isinstance(value, list) else [value])]
        assert np.all(np.array(back) == used[name]), name
    assert set(params["parameters"]) == set(PARAMETERS)
    assert "# T-type Ca2+ conductance" in (out / "params.toml").read_text()
    assert not [p for p in (tmp_path / "a").iterdir() if p.name.startswith(".habmodel")]


def test_write_run_refuses_then_overwrites(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "old.txt").write_text("old")
    with pytest.raises(FileExistsError):
        io.write_run(fake_result(), out)
    assert (out / "old.txt").exists()
    io.write_run(fake_result(), out, overwrite=True)
    assert {p.name for p in out.iterdir()} == FILES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_write_run_failure_leaves_nothing(tmp_path, monkeypatch):
    import habmodel.plotting

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(habmodel.plotting.layout, "save_figure", broken)
    with pytest.raises(RuntimeError):
        io.write_run(fake_result(), tmp_path / "new" / "run")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "x.txt").write_text("x")
    with pytest.raises(RuntimeError):
        io.write_run(fake_result(), tmp_path / "old", overwrite=True)
    assert [p.name for p in tmp_path.iterdir()] == ["old"]
    assert (tmp_path / "old" / "x.txt").read_text() == "x"


def test_plot_conditions_and_save(tmp_path):
    from habmodel.plotting import plot_conditions, save_figure

    results = {"depressed": fake_result(), "depressed + ketamine": fake_result()}
    written = save_figure(plot_conditions(results), tmp_path / "fig1")
    assert [p.name for p in written] == ["fig1.png", "fig1.svg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig1.png", "fig1.svg"]


# --- a real (small) run ---------------------------------------------------------------------

@pytest.mark.slow
def test_simulate_writes_the_four_files(tmp_path, run_cli, one_line_error):
    out = tmp_path / "run"
    argv = ["simulate", "--condition", "depressed", "--drug", "ketamine=2uM", "--cells", "2",
            "--duration", "1s", "--warmup", "200 ms", "--seed", "1", "--set", "g_T=2.2mS/cm2",
            "--out", out]
    status, stdout, err = run_cli(argv)
    assert status == 0, err
    assert {p.name for p in out.iterdir()} == FILES
    assert str(out) in stdout and "depressed" in stdout and "ketamine" in stdout
    spikes = read_csv(out / "spikes.csv")
    assert spikes[0] == ["cell", "t_s"]
    assert all(row[0] in ("0", "1") and 0 <= float(row[1]) < 1 for row in spikes[1:])
    summary = read_csv(out / "summary.csv")
    assert summary[0] == SUMMARY_HEADER and [r[0] for r in summary[1:]] == ["0", "1"]
    for row in summary[1:]:
        n = sum(1 for s in spikes[1:] if s[0] == row[0])
        assert float(row[1]) == pytest.approx(n / 1.0)
        assert row[6] in analysis.MODES
    params = tomllib.loads((out / "params.toml").read_text())
    assert params["run"]["seed"] == 1 and params["run"]["cells"] == 2
    assert params["parameters"]["g_T"] == "2.2 mS/cm2"
    assert float(parse_quantity(params["run"]["warmup"]) / parse_quantity("1 s")) == 0.2
    assert (out / "trace.png").read_bytes()[:4] == b"\x89PNG"


def test_dimensionless_values_and_zero_need_no_unit(tmp_path, run_cli):
    """Bare numbers are kept for dimensionless parameters, and 0 is 0 in any unit."""
    out = tmp_path / "run"
    status, _, err = run_cli(["simulate", "--cells", "1", "--duration", "0.1s", "--warmup",
                              "0s", "--set", "w_glu=0.5", "--drug", "ketamine=0",
                              "--out", out, "--quiet"])
    assert status == 0, err
    assert "w_glu = 0.5" in (out / "params.toml").read_text()


@pytest.mark.parametrize("argv", [
    ["sweep", "--vary", "ketamine=0,1,3", "--cells", "1", "--duration", "1s"],
    ["sweep", "--vary", "K_o=2.5,3", "--cells", "1", "--duration", "1s"],
    ["dose-response", "--drug", "ketamine", "--doses", "0,1,3,10", "--cells", "1"],
], ids=["vary drug", "vary parameter", "doses"])
def test_value_lists_without_a_unit_exit_2(argv, tmp_path, run_cli, one_line_error,
                                           no_simulation):
    out = tmp_path / "run"
    status, _, err = run_cli([*argv, "--out", out])
    assert status == 2
    one_line_error(err, "no unit")
    assert not out.exists()
