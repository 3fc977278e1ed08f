"""The voltage-clamp lab (habmodel.vclamp, the ready-made protocols, habmodel vclamp).

The clamp holds v exactly (an effectively infinite membrane capacitance, v re-set between
kernel calls) and integrates every other state; the tests check it against the steady-state
curves computed from the same equations, and check the textbook results of each protocol.
"""

from __future__ import annotations

import importlib
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from brian2 import mM, ms, mV, uM

import habmodel
from habmodel import experiments
from habmodel.analysis.curves import steady_state_iv
from habmodel.experiments import vclamp_protocol
from habmodel.experiments.vclamp_run import CLAMP_C_M

ROOT = Path(__file__).resolve().parents[1]
#: The module (habmodel.experiments.vclamp is also the name of the function).
vclamp_module = importlib.import_module("habmodel.experiments.vclamp")


@pytest.fixture
def no_clamp(monkeypatch):
    """Fail the test if the clamp gets as far as running."""
    def refuse(*args, **kwargs):
        raise AssertionError("the clamp ran; the input should have been rejected")
    monkeypatch.setattr(vclamp_module, "run_schedule", refuse)


# --- the clamp against the steady-state curves of the same equations ------------------------

@pytest.mark.parametrize("condition, s, drugs", [("depressed", 0.1, None),
                                                 ("control", 0.05, {"ketamine": 1 * uM})])
def test_steady_clamp_currents_equal_the_steady_state_iv(condition, s, drugs):
    """At the end of a long step every gate, the Ca2+ pool and the SK current have reached
    the steady state at the step potential, so the clamp current is the steady-state I-V
    (analysis.curves.steady_state_iv: every state at x_inf(V), NMDA open fraction s). The
    fixed point of rk4 is the ODE's own, so no time-step error remains; what remains is the
    relaxation of the slowest gate, I_h (tau_r at most about 1 s near -80 mV), after 10 s:
    e^-10 = 5e-5 of its change, a few 1e-4 pA. Hence 2e-3 pA (currents of 1-1500 pA)."""
    steps = np.arange(-120.0, -19.0, 10.0)
    result = habmodel.vclamp(condition, hold=-70 * mV, steps=steps * mV, duration="10 s",
                             s=s, drugs=drugs, tail_duration="0 ms", record_dt="5 ms")
    reference = steady_state_iv(condition, open_fractions=(s,), v=steps * mV, drugs=drugs)
    clamp = result.iv.sort_values("step_mV")["I_total_steady_pA"].to_numpy()
    np.testing.assert_allclose(clamp, reference["I_pA"].to_numpy(), rtol=0, atol=2e-3)
    assert np.ptp(clamp) > 100  # the comparison spans a wide range of currents


def test_v_stays_exactly_at_the_command():
    result = habmodel.vclamp("depressed", hold="-70 mV", steps=[-90, -30, 0, 20] * mV,
                             duration="100 ms", glutamate="steps", s=0.2)
    table = result.currents
    expected = np.where(table["segment"] == "step", table["step_mV"], table["hold_mV"])
    np.testing.assert_allclose(table["v_mV"], expected, rtol=0, atol=1e-24)
    assert CLAMP_C_M >= 1e30


def test_the_total_is_the_sum_of_the_currents_and_inward_is_negative():
    result = habmodel.vclamp("control", hold="-70 mV", steps=[-110, -50] * mV,
                             duration="50 ms")
    names = [f"{c}_pA" for c in result.cell.currents]
    table = result.currents
    np.testing.assert_allclose(table[names].sum(axis=1), table["I_total_pA"], rtol=1e-12)
    assert list(table.columns[:7]) == ["arm", "hold_mV", "step_mV", "repeat", "segment", "t_ms",
                                       "v_mV"]
    iv = result.iv.set_index("step_mV")
    assert iv.loc[-50, "I_T_peak_pA"] < -100  # Ca2+ flows in: inward, negative
    assert iv.loc[-110, "I_h_steady_pA"] < 0 < iv.loc[-50, "I_KL_steady_pA"]  # K+ flows out


# --- the protocols -----------------------------------------------------------------------------

def test_nmda_clamp_iv_has_a_negative_slope_in_mg_and_none_without():
    steps = np.arange(-100.0, 41.0, 10.0)
    result = vclamp_protocol("nmda-iv", steps=steps * mV, duration="20 ms", pre="5 ms",
                             tail_duration="0 ms", settle="0 ms")
    iv = result.iv.pivot(index="step_mV", columns="arm", values="I_NMDA_steady_pA")
    slope = iv.diff().iloc[1:] / 10.0  # pA/mV = nS, between neighbouring steps
    between = slope.index[(slope.index > -70) & (slope.index <= -30)]  # -70 to -30 mV
    assert (slope.loc[between, "1 mM Mg2+"] < 0).all()
    assert (slope["0 Mg2+"] > 0).all()
    assert iv.loc[-30, "1 mM Mg2+"] < iv.loc[-70, "1 mM Mg2+"] < 0  # more inward as V rises
    # the default ("hill") ketamine block is voltage independent: 1 uM = IC50 halves it
    ratio = (iv["1 mM Mg2+ + ketamine 1 uM"] / iv["1 mM Mg2+"]).drop(index=0.0)
    np.testing.assert_allclose(ratio, 0.5, rtol=1e-9)


def _block(result) -> np.ndarray:
    iv = result.iv.pivot(index="repeat", columns="arm", values="I_NMDA_peak_pA")
    return (1 - iv["ketamine 10 uM"] / iv["no drug"]).to_numpy()


def test_ketamine_block_of_the_nmda_clamp_current_grows_with_repeated_depolarisations():
    block = _block(vclamp_protocol("ketamine-use"))
    assert block[0] < 0.05  # the channels were closed before the first puff: little block
    assert np.all(np.diff(block) > 0.005)  # more block with every depolarisation
    assert block[-1] > 0.2
    # the equilibrium ("hill") block has no memory: the same at every step
    hill = _block(vclamp_protocol("ketamine-use", ketamine_model="hill", repeats=4))
    np.testing.assert_allclose(hill, hill[0], atol=1e-9)
    assert hill[0] > 0.8  # 10 uM = 10 x IC50


def test_t_current_needs_hyperpolarisation_to_de_inactivate():
    result = vclamp_protocol("t-current", steps=["-50 mV"], duration="50 ms")
    peak = result.iv.set_index("arm")["I_T_peak_pA"]
    assert peak["from -100 mV"] < 3 * peak["from -60 mV"] < 0
    assert result.focus == "I_T"


def test_h_current_activates_more_and_faster_at_more_hyperpolarised_steps():
    steps = np.arange(-80.0, -121.0, -10.0)  # below -80 mV, where tau_r peaks
    result = vclamp_protocol("h-activation", steps=steps * mV, duration="4 s",
                             record_dt="2 ms")
    e_h = result.params["E_h"][0]
    final, half = [], []
    for step in steps:
        rows = result.currents[(result.currents["step_mV"] == step)
                               & (result.currents["segment"] == "step")]
        t = rows["t_ms"].to_numpy() - rows["t_ms"].iloc[0]
        g = rows["I_h_pA"].to_numpy() / (step - e_h)  # nS: I_h = g_h r (V - E_h)
        final.append(g[-1])
        half.append(t[np.argmax(g - g[0] >= 0.5 * (g[-1] - g[0]))])
    assert np.all(np.diff(final) > 0)  # more HCN channels open
    assert np.all(np.diff(half) < 0)  # and they open faster
    steady = result.iv.set_index("step_mV")["I_h_steady_pA"]
    assert np.all(np.diff(steady.loc[steps].to_numpy()) < 0)  # a larger inward current


def test_the_protocol_list_of_the_cli_is_the_packages():
    from habmodel.cli.vclamp import PROTOCOLS

    assert tuple(experiments.VCLAMP_PROTOCOLS) == PROTOCOLS


# --- glutamate, extra parts, engines ------------------------------------------------------------

def test_a_glutamate_puff_opens_nmda_channels_only_after_it():
    result = habmodel.vclamp("control", hold="-70 mV", steps=["-30 mV"], duration="100 ms",
                             pre="20 ms", glutamate=["40 ms"], puff_events=50,
                             overrides={"Mg_o": 0 * mM})
    table = result.currents
    before, after = table[table["t_ms"] < 40], table[table["t_ms"] > 45]
    assert (before["I_NMDA_pA"] == 0).all()
    assert after["I_NMDA_pA"].min() < -50
    assert result.settings["puffs_ms"] == [40.0]


def test_a_cell_with_an_extra_part_adds_its_current():
    part = habmodel.load_parts(ROOT / "examples" / "a_type_potassium.py")
    result = habmodel.vclamp("control", hold="-100 mV", steps=[-40] * mV, duration="50 ms",
                             cell=habmodel.Cell(extra=part))
    table = result.currents
    assert "I_A_pA" in table
    assert result.iv["I_A_peak_pA"].iloc[0] > 50  # a transient outward K+ current
    names = [f"{c}_pA" for c in result.cell.currents]
    np.testing.assert_allclose(table[names].sum(axis=1), table["I_total_pA"], rtol=1e-12)


def test_the_webassembly_kernel_gives_the_same_currents():
    pytest.importorskip("wasmtime")
    args = dict(hold="-90 mV", steps=[-50, -20] * mV, duration="30 ms", glutamate="steps")
    fast = habmodel.vclamp("depressed", **args, engine="fast")
    wasm = habmodel.vclamp("depressed", **args, engine="wasm")
    assert wasm.settings["engine"] == "wasm"
    pd.testing.assert_frame_equal(fast.iv, wasm.iv, rtol=1e-9, atol=1e-9)


@pytest.mark.slow
def test_brian2s_runtime_engine_gives_the_same_currents():
    args = dict(hold="-100 mV", steps=[-80, -50] * mV, duration="20 ms", pre="5 ms",
                tail_duration="5 ms", glutamate=["2 ms", "20 ms"], settle="10 ms")
    fast = habmodel.vclamp("control", **args, engine="fast")
    runtime = habmodel.vclamp("control", **args, engine="runtime")
    assert runtime.settings["engine"] == "runtime"
    pd.testing.assert_frame_equal(fast.currents, runtime.currents, rtol=1e-9, atol=1e-9)


def _fallbacks(caught) -> list[str]:
    from habmodel.engines.runner import EngineFallbackWarning

    return [str(w.message) for w in caught if issubclass(w.category, EngineFallbackWarning)]


@pytest.mark.slow
def test_without_a_c_compiler_the_clamp_falls_back(tmp_path, monkeypatch):
    """As tests/test_engine.py: no kernel can be built (Cython, which Brian2's runtime uses
    where it can, still works; the notebook test runs the real thing)."""
    from habmodel.engines import fast

    monkeypatch.setenv("HABMODEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(fast, "_loaded", {})
    monkeypatch.setattr(fast, "_compiler", lambda: ("cc", ""))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = habmodel.vclamp("control", hold="-100 mV", steps=["-50 mV"],
                                 duration="10 ms", settle="0 ms", progress=False)
    assert result.settings["engine"] == "wasm"
    assert len(_fallbacks(caught)) == 1 and "WebAssembly" in _fallbacks(caught)[0]
    part = habmodel.load_parts(ROOT / "examples" / "a_type_potassium.py")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        own = habmodel.vclamp("control", hold="-100 mV", steps=["-50 mV"], duration="2 ms",
                              pre="1 ms", tail_duration="0 ms", settle="0 ms",
                              cell=habmodel.Cell(extra=part), progress=False)
    assert own.settings["engine"] == "runtime" and "I_A_pA" in own.currents
    assert len(_fallbacks(caught)) == 1 and "runtime" in _fallbacks(caught)[0]


# --- inputs --------------------------------------------------------------------------------------

BAD = [
    (dict(hold=-70), "hold"),
    (dict(hold="70 ms"), "hold"),
    (dict(hold="-400 mV"), "hold"),
    (dict(steps=[1, 2] * ms), "steps"),
    (dict(steps=[-50, -50] * mV), "steps"),
    (dict(tail="-70 uM"), "tail"),
    (dict(duration="5 mV"), "duration"),
    (dict(duration="0 ms"), "duration"),
    (dict(pre=-5 * ms), "pre"),
    (dict(tail_duration="1 mV"), "tail_duration"),
    (dict(settle=3), "settle"),
    (dict(record_dt="0.01 ms"), "record_dt"),
    (dict(dt="1 mV"), "dt"),
    (dict(glutamate=["10 mV"]), "glutamate"),
    (dict(glutamate=["10 s"]), "glutamate"),
    (dict(s=1.5), "s"),
    (dict(s=0.1, overrides={"s_tonic": 0.1}), "s"),
    (dict(drugs={"ketamine": "1 mV"}), "ketamine"),
    (dict(drugs={"ketamin": 1 * uM}), "ketamin"),
    (dict(overrides={"g_T": 2 * mV}), "g_T"),
    (dict(overrides={"g_T": "-1 mS/cm2"}), "g_T"),
    (dict(condition="depresed"), "condition"),
    (dict(repeats=0), "repeats"),
    (dict(puff_events=0), "puff_events"),
    (dict(engine="turbo"), "engine"),
    (dict(ketamine_model="hil"), "ketamine_model"),
]


@pytest.mark.parametrize("kwargs, needle", BAD)
def test_bad_inputs_are_value_errors_naming_the_input(kwargs, needle, no_clamp):
    with pytest.raises(ValueError, match=needle):
        habmodel.vclamp(**{"steps": [-50] * mV, **kwargs})


def test_a_protocol_refuses_to_be_overridden_where_it_sets_a_value(no_clamp):
    with pytest.raises(ValueError, match="Mg_o"):
        vclamp_protocol("nmda-iv", overrides={"Mg_o": 0 * mM})
    with pytest.raises(ValueError, match="ketamine"):
        vclamp_protocol("ketamine-use", drugs={"ketamine": 1 * uM})
    with pytest.raises(ValueError, match="protocol"):
        vclamp_protocol("nmda")


# --- tables, figure, command line ----------------------------------------------------------------

def test_the_iv_table_is_read_back_from_the_currents_csv(tmp_path):
    result = habmodel.vclamp("control", hold="-90 mV", steps=[-60, -40] * mV,
                             duration="30 ms", tail="-50 mV", tail_duration="10 ms")
    result.currents.to_csv(tmp_path / "currents.csv", index=False)
    again = experiments.clamp_iv(pd.read_csv(tmp_path / "currents.csv"))
    pd.testing.assert_frame_equal(again, result.iv, check_dtype=False)
    assert {"I_total_peak_pA", "I_total_steady_pA", "I_total_tail_pA", "I_T_tail_pA"} <= \
        set(result.iv.columns)
    fig = result.figure("I_T")
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match="I_X"):
        result.figure("I_X")


def test_cli_writes_the_files(tmp_path, run_cli):
    out = tmp_path / "run"
    status, stdout, stderr = run_cli(["vclamp", "--condition", "depressed", "--hold", "-100mV",
                                      "--steps", "-70,-50mV", "--duration", "40ms",
                                      "--tail", "-60mV", "--drug", "mibefradil=0.25uM",
                                      "--set", "g_h=0.05mS/cm2", "--out", out])
    assert status == 0, stderr
    assert {p.name for p in out.iterdir()} == {"currents.csv", "iv.csv", "params.toml",
                                               "vclamp.png"}
    iv = pd.read_csv(out / "iv.csv")
    assert iv["step_mV"].tolist() == [-70, -50] and iv["hold_mV"].eq(-100).all()
    currents = pd.read_csv(out / "currents.csv")
    assert {"t_ms", "v_mV", "I_total_pA", "I_T_pA", "I_NMDA_pA"} <= set(currents.columns)
    params = tomllib.loads((out / "params.toml").read_text())
    arm = params["arms"]["depressed + mibefradil 0.25 uM"]
    assert arm["hold"] == "-100 mV" and arm["tail"] == "-60 mV"
    assert params["parameters"]["g_h"] == "0.05 mS/cm2"
    assert params["command"]["duration"] == "40 ms"
    assert "output" in stdout


def test_cli_runs_a_protocol(tmp_path, run_cli):
    out = tmp_path / "t"
    status, stdout, stderr = run_cli(["vclamp", "--protocol", "t-current", "--steps", "-50mV",
                                      "--duration", "30ms", "--quiet", "--out", out])
    assert status == 0, stderr
    assert stdout == ""
    iv = pd.read_csv(out / "iv.csv")
    assert list(iv["arm"]) == ["from -100 mV", "from -60 mV"]
    assert tomllib.loads((out / "params.toml").read_text())["run"]["protocol"] == "t-current"


CLI_BAD = [
    (["--steps", "-50"], ["--steps", "-50mV"]),
    (["--steps", "-50mV", "--hold", "-70"], ["--hold", "-70mV"]),
    (["--steps", "-50mV", "--duration", "5mV"], ["--duration", "ms"]),
    (["--steps", "-500mV"], ["--steps", "mV"]),
    (["--steps", "-50mV", "--tail", "1s"], ["--tail", "mV"]),
    (["--steps", "-50mV", "--pre", "-1ms"], ["--pre"]),
    (["--steps", "-50mV", "--glutamate", "1e6ms"], ["--glutamate"]),
    (["--steps", "-50mV", "--open-fraction", "two"], ["--open-fraction"]),
    (["--steps", "-50mV", "--open-fraction", "2"], ["--open-fraction"]),
    (["--steps", "-50mV", "--repeats", "0"], ["--repeats"]),
    (["--steps", "-50mV", "--set", "g_TT=1mS/cm2"], ["--set", "g_T"]),
    (["--steps", "-50mV", "--set", "g_T=2"], ["--set", "g_T=2mS/cm2"]),
    (["--steps", "-50mV", "--drug", "ketamine=1"], ["--drug", "ketamine=1uM"]),
    (["--steps", "-50mV", "--drug", "ketamin=1uM"], ["--drug", "ketamine"]),
    (["--steps", "-50mV", "--condition", "depresed"], ["--condition", "depressed"]),
    (["--steps", "-50mV", "--current", "I_X"], ["--current", "I_T"]),
    (["--steps", "-50mV", "--engine", "turbo"], ["--engine"]),
    ([], ["--steps", "--protocol"]),
    (["--protocol", "nmda"], ["--protocol", "nmda-iv"]),
    (["--protocol", "t-current", "--hold", "-70mV"], ["--hold", "t-current"]),
    (["--protocol", "nmda-iv", "--set", "Mg_o=0mM"], ["--set", "Mg_o"]),
    (["--protocol", "t-current", "--open-fraction", "0.1"], ["--open-fraction", "nmda-iv"]),
]


@pytest.mark.parametrize("argv, needles", CLI_BAD)
def test_cli_bad_input_exits_2_with_one_line(argv, needles, tmp_path, run_cli, one_line_error,
                                             no_clamp):
    out = tmp_path / "out"
    status, _, stderr = run_cli(["vclamp", *argv, "--out", out])
    assert status == 2
    one_line_error(stderr, *needles)
    assert not out.exists()


def test_cli_engine_that_cannot_run_the_cell_is_one_line(tmp_path, run_cli, one_line_error):
    out = tmp_path / "out"
    status, _, stderr = run_cli(["vclamp", "--steps", "-50mV", "--engine", "wasm", "--part",
                                 ROOT / "examples" / "a_type_potassium.py", "--out", out])
    assert status == 2
    one_line_error(stderr, "--engine", "built-in cell")
    assert not out.exists()
