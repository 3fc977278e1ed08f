"""``habmodel.exports.neuroml``: the LHb cell as NeuroML2 and a LEMS simulation.

Without Java: the channels, gates, pool and synapses are read from the equations with the
condition's values (standard NeuroML forms where the equations have them, generated
ComponentTypes that evaluate to the model's functions elsewhere), and the LEMS file
replays habmodel's glutamate events. With pyNeuroML and Java: the files validate, and
jLEMS's run (forward Euler) converges to habmodel's SciPy reference (Radau with the same
events, :func:`~habmodel.exports.neuroml_check.reference_with_events`) at first order in
its step; with NEURON as well, jNeuroML's NEURON export of the same file (CVODE) gives the
reference's spikes within 0.5 ms over 2 s, except one knife-edge spike of the control cell
(the xfail's reason; docs/neuroml.md).
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from habmodel import Cell, load_parts
from habmodel.exports.neuroml import (
    DEFAULT_STEP_MS,
    export_neuroml,
    glutamate_event_times,
    jneuroml_jar,
    neuron_available,
    run_lems,
    validate_export,
)
from habmodel.exports.neuroml_check import compare_spikes, reference_with_events
from habmodel.exports.neuroml_expr import hh_form, lems
from habmodel.model.drive import glutamate_counts, input_keys

ROOT = Path(__file__).resolve().parents[1]
NS = {"n": "http://www.neuroml.org/schema/neuroml2"}
needs_java = pytest.mark.skipif(
    jneuroml_jar() is None, reason="needs pyNeuroML (pip install pyneuroml: it ships "
    "jNeuroML) and a Java runtime (Debian: default-jre-headless)")
CASES = {"depressed": ("depressed", None), "control": ("control", None),
         "depressed + ketamine 1 uM": ("depressed", {"ketamine": "1 uM"})}


def _export(tmp_path, **kwargs):
    paths = export_neuroml(tmp_path, **kwargs)
    cell = ET.parse(paths[0]).getroot()
    return paths, cell, ET.parse(paths[1]).getroot(), ET.parse(paths[2]).getroot()


def _lems_value(text: str, **names) -> float:
    """Evaluate a LEMS expression written by the exporter (SI values, unit constants 1)."""
    code = text.replace("^", "**").replace("ln(", "log(")
    scope = {"exp": math.exp, "log": math.log, "sqrt": math.sqrt, "VOLT": 1.0, "SEC": 1.0,
             "PER_SEC": 1.0, "MOLAR_SI": 1.0, **names}
    return eval(code, {"__builtins__": {}}, scope)  # noqa: S307 - our own generated text


def _types(cell_root) -> dict[str, str]:
    return {t.get("name"): t.find("n:Dynamics/n:DerivedVariable", NS).get("value")
            for t in cell_root.findall("n:ComponentType", NS)}


# --- the printer and the standard forms ------------------------------------------------

def test_lems_prints_what_sympy_means():
    import sympy

    v, c = sympy.symbols("v c", real=True)
    for expr in (-2 * v + 3, 1 / (1 + 0.5 * sympy.exp(-v / 0.01)), c**4 / (c**4 + 1),
                 sympy.exp(-(v + 0.035) / 0.02) - 1e-7 * v**2, sympy.sqrt(c) * sympy.log(2 + c)):
        text = lems(expr, {"v": "(v/VOLT)", "c": "c"})
        for x in (-0.07, 0.0, 0.013):
            assert _lems_value(text, v=x, c=abs(x) + 0.5) == pytest.approx(
                float(expr.subs({v: x, c: abs(x) + 0.5})), rel=1e-12, abs=1e-15)


def test_the_standard_forms_are_recognised_and_others_are_not():
    import sympy

    v = sympy.Symbol("v", real=True)
    form = hh_form(0.32e6 * 0.004 / ((sympy.exp((0.013 - v - 0.048) / 0.004) - 1)
                                     / ((0.013 - v - 0.048) / 0.004)), v)
    assert form[0] == "ExpLinear" and form[1:] == pytest.approx((1280, -0.035, 0.004))
    assert hh_form(1 / (1 + sympy.exp((v + 0.081) / 0.004)), v)[0] == "Sigmoid"
    assert hh_form(128 * sympy.exp((0.017 - v - 0.048) / 0.018), v)[:1] == ("Exp",)
    assert hh_form(1 / (sympy.exp(v / 0.01) + sympy.exp(-v / 0.02)), v) is None


# --- the cell: read from the equations, values from the table ----------------------------

def test_the_cell_is_read_from_the_equations_with_the_table_values(tmp_path):
    _, cell, synapses, sim = _export(tmp_path, condition="depressed")
    channels = {c.get("id"): c for c in cell.findall("n:ionChannelHH", NS)}
    assert set(channels) == {"lhb_Na", "lhb_K", "lhb_M", "lhb_T", "lhb_SK", "lhb_h"}
    assert {c.get("id") for c in cell.findall("n:ionChannel", NS)} == {"lhb_KL", "lhb_NaL"}
    m = channels["lhb_Na"].find("n:gateHHrates[@id='m']", NS)
    assert m.get("instances") == "3"
    assert m.find("n:forwardRate", NS).attrib == {  # Traub-Miles, V_T = -48 mV
        "type": "HHExpLinearRate", "rate": "1.28per_ms", "midpoint": "-35mV", "scale": "4mV"}
    gates = {g.get("id"): g for g in channels["lhb_T"].findall("n:gate", NS)}
    assert gates["m_T_inf"].get("type") == "gateHHInstantaneous"
    assert gates["m_T_inf"].get("instances") == "2"
    assert gates["h_T"].find("n:q10Settings", NS).attrib == {
        "type": "q10ExpTemp", "q10Factor": "3", "experimentalTemp": "24degC"}
    densities = {d.get("id"): d.attrib for d in cell.iter(f"{{{NS['n']}}}channelDensity")}
    e_k = 1e3 * 8.617333262e-5 * 307.15 * math.log(2.6 / 140)  # Nernst at the depressed K_o
    for current in ("I_K", "I_M", "I_KL", "I_SK"):
        assert float(densities[current]["erev"].removesuffix("mV")) == pytest.approx(e_k)
    assert densities["I_T"]["ion"] == "ca" and densities["I_T"]["condDensity"] == "1.5mS_per_cm2"
    pool = cell.find("n:fixedFactorConcentrationModel", NS).attrib
    # dc/dt = -k_Ca I_T/(uA/cm2) - c/tau_Ca, c in mM: rho = 0.002/ms / (1 uA/cm2)
    assert pool["rho"] == "200mol_per_m_per_A_per_s" and pool["decayConstant"] == "200ms"
    nmda = synapses.find("lhb_NMDA_synapse")
    assert nmda.get("gbase") == "55nS"  # 2.2 mS/cm2 x 2500 um2
    assert nmda.find("voltageConcDepBlockMechanism").attrib == {
        "id": "NMDA_block0", "species": "mg", "blockConcentration": "1mM",
        "scalingConc": "3.57mM", "scalingVolt": "16.129032258mV"}  # Jahr-Stevens
    assert sim.find("networkWithTemperature").get("temperature") == "34degC"


def test_the_generated_types_evaluate_to_the_model_functions(tmp_path):
    _, cell, _, _ = _export(tmp_path)
    types = _types(cell)
    for v_mV in (-100.0, -70.0, -40.0, 0.0):
        v = v_mV * 1e-3
        tau_m = 1.0 / (3.3 * math.exp((v_mV + 35) / 20) + math.exp(-(v_mV + 35) / 20))
        assert _lems_value(types["lhb_M_p_tau"], v=v) == pytest.approx(tau_m, rel=1e-12)
        tau_h = 1e-3 * (30.8 + (211.4 + math.exp((v_mV + 113.2) / 5))
                        / (1 + math.exp((v_mV + 84) / 3.2)))  # unscaled: q10 is its own
        assert _lems_value(types["lhb_T_h_T_tau"], v=v) == pytest.approx(tau_h, rel=1e-12)
        rate = math.exp(-14.59 - 0.086 * v_mV) + math.exp(-1.87 + 0.0701 * v_mV)
        assert _lems_value(types["lhb_h_r_tau"], v=v) == pytest.approx(1e-3 / rate, rel=1e-12)
    for c in (0.0, 0.5, 1.0, 3.0):
        assert _lems_value(types["lhb_SK_c_gate"], caConc=c) == pytest.approx(c**4 / (c**4 + 1))


def test_overrides_and_drugs_change_the_values(tmp_path):
    _, cell, synapses, _ = _export(tmp_path, overrides={"V_T": "-50 mV"},
                                   drugs={"ketamine": "1 uM", "mibefradil": "0.25 uM"})
    rate = cell.find("n:ionChannelHH[@id='lhb_Na']/n:gateHHrates[@id='m']/n:forwardRate", NS)
    assert rate.get("midpoint") == "-37mV"
    densities = {d.get("id"): d.attrib for d in cell.iter(f"{{{NS['n']}}}channelDensity")}
    assert densities["I_T"]["condDensity"] == "0.75mS_per_cm2"  # mibefradil at its IC50
    assert synapses.find("lhb_NMDA_synapse").get("gbase") == "27.5nS"  # ketamine at its IC50
    notes = cell.find("n:notes", NS).text
    assert "control + ketamine 1 uM + mibefradil 0.25 uM" in notes and "V_T=-50" in notes


def test_the_lems_file_replays_the_glutamate_events_of_the_seed(tmp_path):
    paths, _, _, sim = _export(tmp_path, seed=1, duration="1 s", warmup="0.2 s")
    assert paths[2].name == "LEMS_LHb_control.xml"
    times = [float(s.get("time").removesuffix("ms"))
             for s in sim.find("timedSynapticInput").findall("spike")]
    counts = glutamate_counts(input_keys(1, 1)[0], np.arange(24000, dtype=np.uint64),
                              120 * 0.05e-3)
    assert len(times) == counts.sum() and 100 < len(times) < 190  # 120 Hz for 1.2 s
    steps = np.round(np.array(times) / 0.05).astype(int)
    assert np.array_equal(np.bincount(steps, minlength=24000), counts)
    assert np.allclose(glutamate_event_times(1, 120.0, 1.2), times)
    simulation = sim.find("Simulation")
    assert simulation.get("length") == "1200ms"
    assert simulation.get("step") == f"{DEFAULT_STEP_MS:g}ms"


def test_a_cell_with_its_own_part_is_exported(tmp_path):
    cell = Cell(extra=load_parts(ROOT / "examples" / "a_type_potassium.py"))
    _, root, _, _ = _export(tmp_path, cell=cell)
    a = root.find("n:ionChannelHH[@id='lhb_A']", NS)
    assert a is not None
    assert {g.get("id"): g.get("instances") for g in a if g.get("id")} == {"a_A": "4",
                                                                          "b_A": "1"}
    taus = [g.find("n:timeCourse", NS).attrib for g in a.findall("n:gateHHtauInf", NS)]
    assert {"type": "fixedTimeCourse", "tau": "20ms"} in taus


def test_the_trapping_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="cannot export"):
        export_neuroml(tmp_path, cell=Cell(ketamine_model="trapping"))


# --- with jNeuroML ------------------------------------------------------------------------

@needs_java
def test_the_exported_files_validate(tmp_path):
    cell = Cell(extra=load_parts(ROOT / "examples" / "a_type_potassium.py"))
    paths = export_neuroml(tmp_path / "A", cell=cell)
    for name, (condition, drugs) in CASES.items():
        paths += export_neuroml(tmp_path / name.replace(" ", "_"), condition=condition,
                                drugs=drugs, duration="0.1 s")
    assert validate_export(paths) == {}


@needs_java
@pytest.mark.slow
def test_jneuroml_converges_to_the_reference_at_first_order(tmp_path):
    """The exported model is habmodel's: halving the LEMS step halves the error of the
    first spike (forward Euler) against the Radau reference with the same events."""
    kwargs = dict(condition="depressed", seed=1, duration="0.2 s", warmup="0 s")
    reference = reference_with_events(**kwargs)
    assert len(reference) == 2  # 192.9 and 197.9 ms
    errors = []
    for step in (0.004, 0.002):
        paths = export_neuroml(tmp_path / str(step), step_ms=step, **kwargs)
        spikes, _ = run_lems(paths[-1], warmup_s=0.0)
        assert compare_spikes(spikes, reference, 1.0)["ok"], (step, spikes, reference)
        errors.append(abs(spikes[0] - reference[0]) * 1e3)
    assert errors[1] < 0.1 and 1.5 < errors[0] / errors[1] < 2.7, errors


# --- the 2 s comparison: jNeuroML's NEURON export of the same LEMS file (CVODE) -----------

CONTROL_SPIKE_10 = (
    "the control cell's 10th spike (1438.6 ms in the reference) is on a knife edge: a 1e-4 "
    "mV kick of v 100 ms earlier moves it 0.3 ms, rounding K_o to E_K = -88.19725 mV moves "
    "it 0.2 ms. jNeuroML's NEURON writer puts the parameters into the mod and hoc files in "
    "single precision (gmax 0.049999997 S/cm2, ek -88.19725 mV, rates 1.2800001/ms), and "
    "with them NEURON's CVODE moves that spike 5 ms (tolerance 1e-9) or loses it (1e-10, "
    "1e-11); at 1e-9 every other spike is within 0.1 ms. habmodel's own fast engine (rk4, "
    "0.05 ms) misses the same spike by 4.4 ms. docs/neuroml.md")
needs_neuron = pytest.mark.skipif(not neuron_available(), reason=(
    "needs pyNeuroML, Java and NEURON (pip install neuron): jNeuroML writes the LEMS file "
    "for NEURON and runs it with CVODE"))


@pytest.fixture(scope="module")
def neuron_runs(tmp_path_factory):
    """The three cells, 2 s after the 0.5 s warm-up, seed 1: jNeuroML -> NEURON (two at a
    time, in subprocesses) and the Radau reference with the same events (meanwhile)."""
    from concurrent.futures import ThreadPoolExecutor

    root = tmp_path_factory.mktemp("neuroml_neuron")
    lems_files = {name: export_neuroml(root / name.replace(" ", "_"), condition=condition,
                                       drugs=drugs, seed=1)[-1]
                  for name, (condition, drugs) in CASES.items()}
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = {name: pool.submit(run_lems, path, simulator="neuron", timeout=900)
                for name, path in lems_files.items()}
        references = {name: reference_with_events(condition, drugs, seed=1)
                      for name, (condition, drugs) in CASES.items()}
        return {name: (runs[name].result()[0], references[name]) for name in CASES}


@needs_neuron
@pytest.mark.slow
@pytest.mark.parametrize("name", [
    "depressed", "depressed + ketamine 1 uM",
    pytest.param("control", marks=pytest.mark.xfail(strict=True, reason=CONTROL_SPIKE_10))])
def test_jneuroml_neuron_spikes_match_habmodel_over_2_s(neuron_runs, name):
    spikes, reference = neuron_runs[name]
    result = compare_spikes(spikes, reference, 0.5)
    assert result["ok"], (result, np.round(spikes * 1e3, 2), np.round(reference * 1e3, 2))
