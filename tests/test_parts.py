"""Currents as parts: the LHb cell assembled from its parts, and a user's own current.

A toy current (a slow, non-inactivating K+ current with one gate) is added with
``habmodel.Cell(extra=[...])``: the fast engine must agree with Brian2's runtime engine
on it, it must change the spikes (so the part is really integrated), the CLI takes it
from a file (``--part``), and the validation runs with it.
"""

import subprocess
import sys
import textwrap

import numpy as np
import pytest
from brian2 import cm, msiemens, second

import habmodel
from habmodel import Cell, Parameter, Part, load_parts
from habmodel.model import (
    DRUG_TARGETS,
    EQUATION_PARAMETERS,
    GLUTAMATE_EVENT,
    INITIAL_STATE,
    STATE_VARIABLES,
    full_equations,
)
from habmodel.model.currents import LHB_PARTS
from habmodel.model.parameters import PARAMETERS

TOY_EQUATIONS = """
I_toy = avail_toy*g_toy*q_toy*(v - E_K) : amp/meter**2
dq_toy/dt = (1/(1 + exp(-(v + 50*mV)/(5*mV))) - q_toy)/tau_toy : 1
"""


def toy_part(**changes) -> Part:
    spec = dict(name="toy", title="toy slow K+ current (a test of parts)",
                equations=TOY_EQUATIONS, currents=["I_toy"], states={"q_toy": 0.0},
                drug_targets=["toy"],
                parameters=[Parameter("g_toy", "mS/cm2", 1.0, 0, 50, "toy K+ conductance",
                                      "test", "toy"),
                            Parameter("tau_toy", "ms", 50, 1, 1000, "toy gate time constant",
                                      "test", "toy")])
    spec.update(changes)
    return Part(**spec)


# --- the built-in cell is its parts --------------------------------------------------------

def test_the_default_cell_is_the_documented_model():
    cell = Cell()
    assert cell.full_equations() == full_equations()
    assert cell.states == STATE_VARIABLES and cell.initial_state() == dict(INITIAL_STATE)
    assert cell.equation_parameters == EQUATION_PARAMETERS
    assert list(cell.parameters) == list(PARAMETERS)  # same table, same order
    assert set(cell.drug_targets) == set(DRUG_TARGETS)
    assert dict(cell.glutamate_event) == dict(GLUTAMATE_EVENT) == {"x": "w_glu", "s_AMPA": "1"}
    assert [p.name for p in cell.parts] == [p.name for p in LHB_PARTS]
    # every table row that enters the equations belongs to exactly one part
    owned = [p.name for part in LHB_PARTS for p in part.parameters]
    assert len(owned) == len(set(owned))
    assert set(owned) == {p.name for p in PARAMETERS.values()
                          if p.group not in ("drugs", "trapping")}
    current_line = next(line for line in cell.equations.splitlines()
                        if line.startswith("I_ion ="))
    assert all(f" {c} " in f" {current_line} ".replace("=", " ") for c in cell.currents)


def test_the_trapping_variant_is_assembled_from_parts_too():
    trap = Cell(ketamine_model="trapping")
    assert trap.full_equations() == full_equations("trapping")
    assert Cell().variant("trapping") == trap and trap.variant("hill") == Cell()
    extra = Cell(extra=[toy_part()]).variant("trapping")
    assert "I_toy" in extra.currents and "s_trap" in extra.states


def test_an_extra_part_joins_equations_table_and_state():
    cell = Cell(extra=[toy_part()])
    assert cell.currents[-1] == "I_toy" and "+ I_toy :" in cell.equations
    assert cell.initial_state()["q_toy"] == 0.0
    assert "g_toy : siemens/meter**2 (constant)" in cell.full_equations()
    assert "avail_toy : 1 (constant)" in cell.full_equations()
    assert cell.parameters["g_toy"].unit == "mS/cm2"
    assert "g_toy" not in PARAMETERS  # the global table is not touched
    assert "| toy slow K+ current" in cell.markdown_table()


@pytest.mark.parametrize("change, message", [
    (dict(states={"q_other": 0.0}), "state variable 'q_other' has no 'dq_other/dt"),
    (dict(currents=["I_other"]), "current 'I_other' has no"),
    (dict(parameters=[Parameter("g_K", "mS/cm2", 1, 0, 5, "", "", "toy")]),
     "parameter 'g_K' is already defined by part 'Na_K'"),
    (dict(parameters=[Parameter("g_toy", "mS/cm2", 9, 0, 5, "", "", "toy")]),
     "default 9 mS/cm2 is outside its range"),
    (dict(name="bad name"), "'bad name' is not a valid name"),
    (dict(events={"x": "1"}), "not one of its state variables"),
])
def test_a_bad_part_is_refused_with_one_clear_message(change, message):
    with pytest.raises(ValueError, match=message):
        Cell(extra=[toy_part(**change)])


def test_cell_arguments_are_checked():
    with pytest.raises(TypeError, match="habmodel.Part"):
        Cell(extra=["I_A"])
    with pytest.raises(ValueError, match="ketamine_model"):
        Cell(ketamine_model="kinetic")
    with pytest.raises(TypeError, match="cell: expected a habmodel.Cell"):
        habmodel.simulate(cell=["A-current"])
    with pytest.raises(ValueError, match="unknown cell 'A-current'"):  # a name: model/cells.py
        habmodel.simulate(cell="A-current")
    with pytest.raises(ValueError, match="unknown parameter 'g_toy'"):
        habmodel.simulate(overrides={"g_toy": 1 * msiemens / cm**2})  # not without the part


# --- simulations with the toy current -------------------------------------------------------

@pytest.fixture(scope="module")
def toy_runs():
    cell = Cell(extra=[toy_part()])
    kwargs = dict(n_cells=3, duration=1 * second, seed=3, progress=False, jitter=0.1)
    return {
        "fast": habmodel.simulate("depressed", cell=cell, **kwargs),
        "runtime": habmodel.simulate("depressed", cell=cell, engine="runtime", **kwargs),
        "without": habmodel.simulate("depressed", **kwargs),
        "off": habmodel.simulate("depressed", cell=cell, overrides={"g_toy": 0 * msiemens
                                                                    / cm**2}, **kwargs),
    }


def test_the_fast_engine_agrees_with_the_runtime_engine_on_a_new_current(toy_runs):
    fast, runtime = toy_runs["fast"], toy_runs["runtime"]
    assert fast.engine == "fast" and runtime.engine == "runtime"
    assert sum(map(len, fast.spikes_s)) > 5
    for a, b in zip(fast.spikes_s, runtime.spikes_s, strict=True):
        assert len(a) == len(b)
        np.testing.assert_allclose(a, b, atol=1e-9)


def test_the_new_current_changes_the_cell_and_off_it_changes_nothing(toy_runs):
    with_toy = toy_runs["fast"].spikes_s
    assert any(len(a) != len(b) or not np.allclose(a, b)
               for a, b in zip(with_toy, toy_runs["without"].spikes_s, strict=True))
    for a, b in zip(toy_runs["off"].spikes_s, toy_runs["without"].spikes_s, strict=True):
        np.testing.assert_array_equal(a, b)
    jittered = toy_runs["fast"].params["g_toy"]  # jitter scales the new conductance too
    assert np.all((jittered >= 0.9) & (jittered <= 1.1)) and np.ptp(jittered) > 0


def test_the_reference_integrates_the_new_current_as_the_fast_engine_does():
    from habmodel.engines.reference import reference_spike_times

    cell = Cell(extra=[toy_part()])
    drive = {"nu_glu": "0 Hz", "s_tonic": 0.2, "g_toy": 0.05 * msiemens / cm**2}
    fast = habmodel.simulate("control", cell=cell, duration=1 * second, warmup=0.2 * second,
                             overrides=drive, progress=False).spikes_s[0]
    params = {**{n: p.default for n, p in cell.parameters.items()}, "nu_glu": 0.0,
              "s_tonic": 0.2, "g_toy": 0.05}
    reference = reference_spike_times(params, duration_s=1.0, t_offset_s=0.2, cell=cell)
    without = reference_spike_times({**params, "g_toy": 0.0}, duration_s=1.0, t_offset_s=0.2,
                                    cell=cell)
    assert reference.size >= 3 and reference.size != without.size
    assert fast.size == reference.size
    np.testing.assert_allclose(fast, reference, atol=1e-3)


# --- from a file, on the command line, in the validation ------------------------------------

def _part_file(tmp_path):
    path = tmp_path / "toy.py"
    path.write_text(textwrap.dedent(f"""
        from habmodel import Parameter, Part
        PART = Part("toy", "toy slow K+ current", {TOY_EQUATIONS!r}, currents=["I_toy"],
                    states={{"q_toy": 0.0}},
                    parameters=[Parameter("g_toy", "mS/cm2", 1.0, 0, 50, "toy", "test", "toy"),
                                Parameter("tau_toy", "ms", 50, 1, 1000, "toy", "test", "toy")])
    """))
    return path


def test_load_parts_reads_a_file_and_explains_what_is_wrong(tmp_path):
    (part,) = load_parts(_part_file(tmp_path))
    assert part.name == "toy" and part.currents == ("I_toy",)
    empty = tmp_path / "empty.py"
    empty.write_text("x = 1\n")
    with pytest.raises(ValueError, match="defines neither PARTS"):
        load_parts(empty)
    broken = tmp_path / "broken.py"
    broken.write_text("PART = Part(\n")
    with pytest.raises(ValueError, match="broken.py: SyntaxError"):
        load_parts(broken)
    with pytest.raises(ValueError, match="no such file"):
        load_parts(tmp_path / "missing.py")


def test_the_cli_takes_a_part_from_a_file_and_repeats_the_run(tmp_path):
    part = _part_file(tmp_path)
    cli = [sys.executable, "-m", "habmodel"]
    first = subprocess.run([*cli, "simulate", "--part", part, "--set", "g_toy=0.5mS/cm2",
                            "--condition", "depressed", "--cells", "2", "--duration", "1s",
                            "--out", tmp_path / "a", "--quiet"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    toml = (tmp_path / "a" / "params.toml").read_text()
    assert 'g_toy = "0.5 mS/cm2"' in toml and "extra parts: toy" in toml
    again = subprocess.run([*cli, "simulate", "--part", part, "--params", tmp_path / "a" /
                            "params.toml", "--out", tmp_path / "b", "--quiet"],
                           capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "a" / "spikes.csv").read_text() == (tmp_path / "b" /
                                                           "spikes.csv").read_text()
    missing = subprocess.run([*cli, "simulate", "--params", tmp_path / "a" / "params.toml",
                              "--out", tmp_path / "c"], capture_output=True, text=True)
    assert missing.returncode == 2 and "needs its --part FILE" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1 and not (tmp_path / "c").exists()


@pytest.mark.validation
def test_the_validation_runs_with_an_extra_current(tmp_path):
    """The quick validation with the toy current at a small conductance: the claims hold."""
    from habmodel.validate import run_validation

    weak = toy_part(parameters=[
        Parameter("g_toy", "mS/cm2", 0.01, 0, 50, "toy", "test", "toy"),
        Parameter("tau_toy", "ms", 50, 1, 1000, "toy", "test", "toy")])
    results = run_validation(quick=True, seed=2026, calibration=False, cell=Cell(extra=[weak]))
    assert [r.claim for r in results] == [str(k) for k in range(1, 10)]
    failed = [f"{r.claim}: {r.measured}" for r in results if not r.passed]
    assert not failed, failed
    # ... and it is that cell that was validated: at 1 mS/cm2 the slow K+ current turns
    # the tonic control cells into bursters (spike-frequency adaptation), so claim 1 fails.
    strong = run_validation(quick=True, seed=2026, calibration=False,
                            cell=Cell(extra=[toy_part()]))
    assert not strong[0].passed and "/0 %/" in strong[0].measured  # no tonic cell left


def test_dose_response_takes_a_part_from_a_file(tmp_path):
    part = _part_file(tmp_path)
    cli = [sys.executable, "-m", "habmodel", "dose-response", "--drug", "ketamine",
           "--doses", "0,1,3,10uM", "--cells", "1", "--duration", "1s", "--quiet"]
    plain = subprocess.run([*cli, "--out", tmp_path / "plain"], capture_output=True, text=True)
    toy = subprocess.run([*cli, "--part", part, "--set", "g_toy=1mS/cm2", "--out",
                          tmp_path / "toy"], capture_output=True, text=True)
    assert plain.returncode == 0 and toy.returncode == 0, plain.stderr + toy.stderr
    assert (tmp_path / "toy" / "fit.json").exists()
    assert (tmp_path / "plain" / "dose_response.csv").read_text() != (
        tmp_path / "toy" / "dose_response.csv").read_text()  # the toy current acted
    missing = subprocess.run([*cli, "--set", "g_toy=1mS/cm2", "--out", tmp_path / "none"],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "g_toy" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1 and not (tmp_path / "none").exists()


def test_the_steady_state_iv_includes_an_extra_current():
    from habmodel.analysis import curves
    from habmodel.model.units import si_scale

    cell = Cell(extra=[toy_part()])
    plain = curves.steady_state_iv("depressed", open_fractions=[0.0])
    toy = curves.steady_state_iv("depressed", open_fractions=[0.0], cell=cell)
    v = plain["v_mV"].to_numpy() * 1e-3
    q_inf = 1 / (1 + np.exp(-(v + 0.050) / 0.005))
    e_k = float(curves.evaluate("E_K", {}, condition="depressed"))
    area_m2 = PARAMETERS["area"].default * si_scale(PARAMETERS["area"].unit)
    expected = 10 * q_inf * (v - e_k) * area_m2 * 1e12  # g_toy 1 mS/cm2 = 10 S/m2, in pA
    np.testing.assert_allclose(toy["I_pA"] - plain["I_pA"], expected, rtol=1e-9, atol=1e-9)
    with pytest.raises(ValueError, match="g_toy"):
        curves.steady_state_iv("depressed", overrides={"g_toy": "1 mS/cm2"})


def test_a_sweep_varies_a_parameter_of_an_extra_part(tmp_path):
    import pandas as pd

    part = _part_file(tmp_path)
    cli = [sys.executable, "-m", "habmodel", "sweep", "--condition", "control", "--cells", "1",
           "--duration", "1s", "--quiet"]
    done = subprocess.run([*cli, "--part", part, "--vary", "g_toy=0,1mS/cm2", "--out",
                           tmp_path / "toy"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "toy" / "results.csv")
    assert sorted(table["g_toy_mS_cm2"]) == [0.0, 1.0]
    by_g = table.set_index("g_toy_mS_cm2")["mode"].to_dict()
    assert by_g[0.0] == "tonic" and by_g[1.0] == "burst"  # as claim 1 fails with it, above
    no_unit = subprocess.run([*cli, "--part", part, "--vary", "g_toy=0,1", "--out",
                              tmp_path / "bare"], capture_output=True, text=True)
    assert no_unit.returncode == 2 and "g_toy=0,1mS/cm2" in no_unit.stderr
    missing = subprocess.run([*cli, "--vary", "g_toy=0,1mS/cm2", "--out", tmp_path / "none"],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "g_toy" in missing.stderr
    assert not (tmp_path / "none").exists() and not (tmp_path / "bare").exists()
