"""``habmodel export neuron``: NMODL generated from the parts, and a cell.py that NEURON runs.

The cross-simulator tests run the exported cell in NEURON (a subprocess: NEURON loads one
set of mechanisms per process) with habmodel's glutamate input for a seed, and compare its
spikes with habmodel's SciPy Radau reference of the same equations, driven by the same
events (:func:`reference_with_events`: Radau between event steps, the events' increments
at each). The copies of habmodel's rules in the exported ``inputs.py`` (units, parameters,
drugs, glutamate counts) are checked against habmodel itself, without NEURON.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from habmodel import Cell, Parameter, Part, load_parts
from habmodel.exports.neuron import export_neuron

ROOT = Path(__file__).resolve().parents[1]
A_TYPE = ROOT / "examples" / "a_type_potassium.py"
HAS_NEURON = importlib.util.find_spec("neuron") is not None
needs_neuron = pytest.mark.skipif(not HAS_NEURON, reason="NEURON is not installed (pip install "
                                  "neuron, or habmodel's 'neuron' extra)")
DURATION_S, SEED, MAX_DT_S = 2.0, 1, 0.5e-3


# --- the reference: SciPy Radau with habmodel's glutamate events ------------------------

def reference_with_events(cell=None, condition="depressed", drugs=None, overrides=None,
                          seed=SEED, duration_s=DURATION_S, warmup_s=0.5) -> np.ndarray:
    """Spike times (s) of one cell by habmodel's Radau reference, with the glutamate events
    of ``seed`` added at the start of their 0.05 ms steps, as the engines add them, and the
    cell started where :func:`habmodel.simulate` starts it."""
    from habmodel.exports.neuroml_check import reference_with_events as reference

    return reference(condition, drugs, overrides, cell=cell, seed=seed,
                     duration=f"{duration_s!r} s", warmup=f"{warmup_s!r} s", start="habmodel")


# --- the exported folders ----------------------------------------------------------------

def _export(folder: Path, cell=None) -> Path:
    export_neuron(folder, cell)
    return folder


def _inputs_module(folder: Path):
    spec = importlib.util.spec_from_file_location(f"exported_inputs_{folder.name}",
                                                  folder / "inputs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_cell(folder: Path, out: Path, *args, check=True) -> tuple[np.ndarray, object]:
    """``python cell.py ARGS --out OUT``: (spike times of spikes.csv, the finished process)."""
    done = subprocess.run([sys.executable, str(folder / "cell.py"), *map(str, args),
                           "--out", str(out)], capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, done.stderr
    if done.returncode:
        return np.zeros(0), done
    rows = (out / "spikes.csv").read_text().splitlines()
    assert rows[0] == "cell,t_s"
    return np.array([float(r.split(",")[1]) for r in rows[1:]]), done


@pytest.fixture(scope="module")
def lhb(tmp_path_factory) -> Path:
    return _export(tmp_path_factory.mktemp("neuron") / "lhb")


@pytest.fixture(scope="module")
def lhb_a(tmp_path_factory) -> Path:
    return _export(tmp_path_factory.mktemp("neuron") / "lhb_a", Cell(extra=load_parts(A_TYPE)))


def _compile_on_first_use(folder: Path, out: Path) -> Path:
    _, done = run_cell(folder, out, "--duration", "10ms", "--warmup", "0s")
    assert "compiling the NEURON mechanisms" in done.stderr
    assert list(folder.glob("*/libnrnmech.*")) or list(folder.glob("*/.libs/libnrnmech.*"))
    return folder


@pytest.fixture(scope="module")
def compiled(lhb, tmp_path_factory) -> Path:
    return _compile_on_first_use(lhb, tmp_path_factory.mktemp("first") / "run")


@pytest.fixture(scope="module")
def compiled_a(lhb_a, tmp_path_factory) -> Path:
    return _compile_on_first_use(lhb_a, tmp_path_factory.mktemp("first") / "run")


# --- what the export writes --------------------------------------------------------------

def test_one_mechanism_per_current_carrying_part(lhb, lhb_a):
    names = sorted(p.name for p in (lhb / "mod").glob("*.mod"))
    assert names == sorted(f"hm_{n}.mod" for n in ("Na_K", "M", "leak", "T", "h", "NMDA",
                                                     "AMPA", "injection"))
    assert (lhb_a / "mod" / "hm_A.mod").is_file()
    assert {p.name for p in lhb.iterdir()} == {"mod", "cell.py", "inputs.py", "model.json",
                                               "README.txt"}
    nmda = (lhb / "mod" / "hm_NMDA.mod").read_text()
    assert "POINT_PROCESS hm_NMDA" in nmda and "x = x + n_events*(w_glu)" in nmda
    assert "SUFFIX hm_T" in (lhb / "mod" / "hm_T.mod").read_text()
    assert "ELECTRODE_CURRENT i" in (lhb / "mod" / "hm_injection.mod").read_text()
    a_type = (lhb_a / "mod" / "hm_A.mod").read_text()
    # printed from the part's equations, in NEURON's units: mV, ms, S/cm2
    assert "a_A' = (-a_A + (1/(exp(0.11764705882352941*(-v - 60)) + 1)))/tau_a_A" in a_type
    assert "g_A = 0.0005 (S/cm2)" in a_type and "tau_b_A = 20.0 (ms)" in a_type
    assert "E_K = 0.08617333262*temperature*log(K_o/K_i)" in a_type


def test_export_values_become_the_defaults(tmp_path):
    export_neuron(tmp_path / "x", condition="depressed", overrides={"g_T": "2 mS/cm2"},
                  drugs={"ketamine": "2 uM"})
    t = (tmp_path / "x" / "mod" / "hm_T.mod").read_text()
    assert "g_T = 0.002 (S/cm2)" in t and "K_o = 2.6 (mM)" in t
    assert "pore_load = 2.0 (1)" in (tmp_path / "x" / "mod" / "hm_NMDA.mod").read_text()
    data = json.loads((tmp_path / "x" / "model.json").read_text())
    assert data["defaults"] == {"condition": "depressed", "overrides": {"g_T": 2.0},
                                "drugs": {"ketamine": 2.0}}


def test_parts_that_read_each_others_states_share_a_mechanism(tmp_path):
    reader = Part("BK", "a K+ current gated by the Ca2+ pool of part T",
                  "I_BK = g_BK*c/(c + 1)*(v - E_K) : amp/meter**2\n", currents=["I_BK"],
                  parameters=[Parameter("g_BK", "mS/cm2", 0.1, 0, 10, "BK conductance",
                                        "[assume]", "BK")])
    export_neuron(tmp_path / "x", Cell(extra=[reader]))
    merged = (tmp_path / "x" / "mod" / "hm_T_BK.mod").read_text()
    assert "NONSPECIFIC_CURRENT I_T, I_SK, I_BK" in merged
    assert not (tmp_path / "x" / "mod" / "hm_T.mod").exists()


@pytest.mark.parametrize("cell, needle", [
    (Cell(ketamine_model="trapping"), "Hill ketamine model"),
    (Cell(extra=[Part("bad", "a state called diam", "ddiam/dt = -diam/(10*ms) : 1\n",
                      states={"diam": 0.0})]), "'diam' cannot be used in NEURON"),
])
def test_cells_it_cannot_export_are_refused(cell, needle, tmp_path):
    with pytest.raises(ValueError, match=needle):
        export_neuron(tmp_path / "x", cell)
    assert not (tmp_path / "x").exists()


# --- the copies of habmodel's rules in inputs.py ------------------------------------------

def test_inputs_reads_values_as_habmodel(lhb):
    from habmodel.model.units import to_display

    mine = _inputs_module(lhb)
    cases = [("2.2 mS/cm2", "mS/cm2"), ("22 siemens/meter2", "mS/cm2"),
             ("0.0022 siemens/cm**2", "mS/cm2"), ("2200 uS/cm2", "mS/cm2"), ("3 mM", "mM"),
             ("3000 uM", "mM"), ("1uM", "uM"),
             ("0.5 mmolar", "uM"), ("500 ms", "ms"), ("0.5 s", "ms"), ("2s", "s"),
             ("1 min", "s"), ("307 K", "K"), ("-65 mV", "mV"), ("-0.065 volt", "mV"),
             ("25 pA", "pA"), ("0.025 nA", "pA"), ("2500 um2", "um2"), ("2.5e-9 metre2", "um2"),
             ("1 uF/cm2", "uF/cm2"), ("0.002 /ms", "1/ms"), ("2 Hz", "1/ms"),
             ("120 Hz", "Hz"), ("0.12 kHz", "Hz"), ("0.5", "1"), ("3 µM", "uM")]
    for text, unit in cases:
        assert mine.to_display(text, unit, "x") == pytest.approx(to_display(text, unit, "x"),
                                                                 rel=1e-12), text
    for text, unit in [("2 mV", "mS/cm2"), ("2 foo", "mV"), ("2 uM", "ms"), ("x", "mV")]:
        with pytest.raises(ValueError):
            to_display(text, unit, "x")
        with pytest.raises(ValueError):
            mine.to_display(text, unit, "x")


def test_inputs_gives_habmodel_parameters_and_drug_availability(lhb):
    from habmodel.model.drugs import availability
    from habmodel.model.equations import DEFAULT_CELL
    from habmodel.simulation import resolve_drugs, resolve_parameters

    mine = _inputs_module(lhb)
    for condition, overrides, drugs in [
            ("control", {}, {}), ("depressed", {"g_T": "2.2 mS/cm2"}, {"ketamine": "1 uM"}),
            ("depressed", {"ketamine_delta": "0.8", "ketamine_IC50": "3 uM"},
             {"ketamine": "2 uM", "ap5": "5 uM", "mibefradil": "0.5 uM"}),
            ("control", {"ap5_hill": "1.5"}, {"ap5": "40 uM"})]:
        theirs = resolve_parameters(condition, overrides, 1, DEFAULT_CELL.parameters)
        ours = mine.parameters(condition, overrides)
        assert ours == pytest.approx({k: float(v[0]) for k, v in theirs.items()
                                      if k in ours}, rel=1e-12)
        expected = availability(resolve_drugs(drugs, 1), theirs, 1,
                                targets=DEFAULT_CELL.drug_targets)
        got = mine.availability({k: mine.to_display(v, "uM", k) for k, v in drugs.items()},
                                ours)
        assert got == pytest.approx({k: float(v[0]) for k, v in expected.items()},
                                    rel=1e-12)
    with pytest.raises(ValueError, match="outside the valid range"):
        mine.parameters("control", {"g_T": "30 mS/cm2"})
    with pytest.raises(ValueError, match="has no unit"):
        mine.parameters("control", {"g_T": "3"})


def test_inputs_draws_habmodel_glutamate_events(lhb):
    from habmodel.model.drive import glutamate_counts, input_keys

    mine = _inputs_module(lhb)
    for seed in (0, 1, 12345, 2**63 - 1):
        keys = input_keys(seed, 5)
        assert [mine.input_key(seed, i) for i in range(5)] == [int(k) for k in keys]
    rng = np.random.default_rng(0)
    steps = rng.integers(0, 2**40, 20000)
    for rate in (0.0, 0.006, 0.25, 0.9):
        key = int(input_keys(7, 1)[0])
        assert np.array_equal(mine.glutamate_counts(key, steps, rate),
                              glutamate_counts(key, steps, rate))
    at, n = mine.glutamate_events(1, 50_000, 120.0)
    counts = glutamate_counts(input_keys(1, 1)[0], np.arange(50_000), 120.0 * 0.05e-3)
    assert np.array_equal(at, np.flatnonzero(counts)) and np.array_equal(n, counts[at])


# --- the command lines ---------------------------------------------------------------------

def test_cli_export_writes_the_folder(tmp_path, run_cli):
    status, out, err = run_cli(["export", "neuron", "--out", tmp_path / "x", "--part", A_TYPE,
                                "--condition", "depressed", "--set", "g_A=1mS/cm2"])
    assert status == 0, err
    assert "hm_A" in out and "cell.py" in out
    assert "g_A = 0.001 (S/cm2)" in (tmp_path / "x" / "mod" / "hm_A.mod").read_text()
    assert "habmodel export neuron" in (tmp_path / "x" / "README.txt").read_text()


@pytest.mark.parametrize("extra, needles", [
    (["--set", "g_T=2"], ["--set", "g_T=2mS/cm2"]),
    (["--set", "gT=2mS/cm2"], ["unknown parameter 'gT'", "g_T"]),
    (["--set", "g_T=99mS/cm2"], ["g_T", "outside the valid range"]),
    (["--drug", "ketamine=1"], ["ketamine=1uM"]),
    (["--condition", "sad"], ["--condition", "unknown condition"]),
    (["--part", "nowhere.py"], ["--part", "no such file"]),
])
def test_cli_bad_input_exits_2_and_writes_nothing(extra, needles, tmp_path, run_cli,
                                                  one_line_error):
    status, _, err = run_cli(["export", "neuron", "--out", tmp_path / "x", *extra])
    assert status == 2
    one_line_error(err, *needles)
    assert not (tmp_path / "x").exists()


def test_cli_refuses_a_non_empty_out(tmp_path, run_cli, one_line_error):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "keep.txt").write_text("mine")
    status, _, err = run_cli(["export", "neuron", "--out", tmp_path / "x"])
    assert status == 2
    one_line_error(err, "--out", "not empty")
    assert [p.name for p in (tmp_path / "x").iterdir()] == ["keep.txt"]


def test_cli_export_neuroml_hands_the_cell_over(tmp_path, run_cli, monkeypatch):
    import types

    calls = []
    fake = types.ModuleType("habmodel.exports.neuroml")
    fake.export_neuroml = lambda out_dir, cell=None: calls.append((out_dir, cell)) or []
    monkeypatch.setitem(sys.modules, "habmodel.exports.neuroml", fake)
    status, _, err = run_cli(["export", "neuroml", "--out", tmp_path / "x", "--part", A_TYPE])
    assert status == 0, err
    (out_dir, cell), = calls
    assert Path(out_dir) == tmp_path / "x" and [p.name for p in cell.extra] == ["A"]


@pytest.mark.parametrize("args, needle", [
    (["--set", "g_T=3"], "has no unit"), (["--drug", "ketamine=-1uM"], "concentration"),
    (["--condition", "sad"], "unknown condition"), (["--duration", "0s"], "--duration"),
    (["--set", "g_T=3mV"], "wrong dimensions"), (["--seed", "x"], "--seed"),
])
def test_cell_py_bad_input_exits_2_with_one_line(args, needle, lhb, tmp_path):
    _, done = run_cell(lhb, tmp_path / "out", *args, check=False)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cell.py: error: ") and needle in lines[0]
    assert not (tmp_path / "out").exists()


# --- NEURON ---------------------------------------------------------------------------------

@needs_neuron
@pytest.mark.slow  # its fixture compiles the mechanisms (about 10 s)
def test_the_neuron_cell_has_habmodels_values(compiled, tmp_path):
    code = """
import sys, json
sys.path.insert(0, sys.argv[1])
import cell
c = cell.LHbCell("depressed", overrides={"g_T": "2 mS/cm2"}, drugs={"ketamine": 1.0})
seg = c.soma(0.5)
print(json.dumps([seg.area(), c.soma.cm, seg.hm_T.g_T, seg.hm_leak.K_o, seg.hm_T.K_o,
                  c.points["hm_NMDA"].pore_load, c.points["hm_injection"].t_offset,
                  c.v_init]))
c.set(K_o="3 mM", ketamine_IC50=2.0, area="5000 um2", I_hold="25 pA")
print(json.dumps([seg.hm_Na_K.K_o, seg.hm_M.K_o, c.points["hm_NMDA"].pore_load, seg.area(),
                  c.points["hm_injection"].I_hold]))
"""
    done = subprocess.run([sys.executable, "-c", code, str(compiled)], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    area, cm, g_t, k_o_leak, k_o_t, load, offset, v0 = json.loads(lines[-2])
    assert area == pytest.approx(2500) and cm == 1.0 and g_t == pytest.approx(0.002)
    assert k_o_leak == k_o_t == pytest.approx(2.6) and load == pytest.approx(1.0)
    assert offset == 500.0 and v0 == -65.0
    assert json.loads(lines[-1]) == pytest.approx([3.0, 3.0, 0.5, 5000, 0.025])


CASES = {"depressed": ("depressed", {}), "control": ("control", {}),
         "depressed + ketamine 1 uM": ("depressed", {"ketamine": "1 uM"})}


@needs_neuron
@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_neuron_spikes_match_the_reference(case, compiled, tmp_path):
    condition, drugs = CASES[case]
    args = ["--condition", condition, "--duration", f"{DURATION_S}s", "--seed", SEED]
    for name, dose in drugs.items():
        args += ["--drug", f"{name}={dose.replace(' ', '')}"]
    spikes, _ = run_cell(compiled, tmp_path / "run", *args)
    reference = reference_with_events(None, condition, drugs)
    assert len(reference) >= 3
    assert len(spikes) == len(reference)
    assert np.max(np.abs(spikes - reference)) <= MAX_DT_S


@needs_neuron
@pytest.mark.slow
def test_injected_current_matches_the_reference(compiled, tmp_path):
    overrides = {"I_hold": "-10 pA", "I_step": "40 pA", "step_start": "300 ms",
                 "step_stop": "900 ms", "nu_glu": "60 Hz"}
    args = ["--condition", "control", "--duration", "1.2s", "--seed", 3]
    for name, value in overrides.items():
        args += ["--set", f"{name}={value.replace(' ', '')}"]
    spikes, _ = run_cell(compiled, tmp_path / "run", *args)
    reference = reference_with_events(None, "control", overrides=overrides, seed=3,
                                      duration_s=1.2)
    assert len(reference) >= 3
    assert len(spikes) == len(reference)
    assert np.max(np.abs(spikes - reference)) <= MAX_DT_S


@needs_neuron
@pytest.mark.slow
def test_a_users_part_matches_the_reference(compiled_a, tmp_path):
    spikes, _ = run_cell(compiled_a, tmp_path / "run", "--condition", "depressed",
                         "--duration", f"{DURATION_S}s", "--seed", SEED)
    reference = reference_with_events(Cell(extra=load_parts(A_TYPE)), "depressed")
    assert len(reference) >= 3
    assert len(spikes) == len(reference)
    assert np.max(np.abs(spikes - reference)) <= MAX_DT_S


# --- the cross-simulator table of docs/elsewhere.md ---------------------------------------

def _table() -> None:  # pragma: no cover - python tests/test_export_neuron.py
    """Print the table of docs/elsewhere.md: NEURON, the fast engine and the reference."""
    import platform
    import tempfile
    import time

    import habmodel

    a_cell = Cell(extra=load_parts(A_TYPE))
    injection = {"I_hold": "-10 pA", "I_step": "40 pA", "step_start": "300 ms",
                 "step_stop": "900 ms", "nu_glu": "60 Hz"}
    cases = [("depressed", None, "depressed", {}, {}, SEED, DURATION_S),
             ("control", None, "control", {}, {}, SEED, DURATION_S),
             ("depressed + ketamine 1 uM", None, "depressed", {"ketamine": "1 uM"}, {}, SEED,
              DURATION_S),
             ("control, current step (seed 3, 1.2 s)", None, "control", {}, injection, 3, 1.2),
             ("A-type part, depressed", a_cell, "depressed", {}, {}, SEED, DURATION_S),
             ("A-type part, control", a_cell, "control", {}, {}, SEED, DURATION_S)]
    root = Path(tempfile.mkdtemp())
    folders = {None: _export(root / "lhb"), a_cell: _export(root / "lhb_a", a_cell)}
    for folder in folders.values():
        _compile_on_first_use(folder, root / f"first_{folder.name}")
    print("| case | spikes: reference / NEURON / fast engine | max abs dt NEURON, exact "
          "| NEURON, habmodel's stamps | fast engine | NEURON run |")
    print("|---|---|---|---|---|---|")
    for k, (label, cell, condition, drugs, overrides, seed, duration) in enumerate(cases):
        args = ["--condition", condition, "--duration", f"{duration}s", "--seed", seed]
        for name, value in {**{f"--drug {n}": v for n, v in drugs.items()},
                            **{f"--set {n}": v for n, v in overrides.items()}}.items():
            option, key = name.split()
            args += [option, f"{key}={value.replace(' ', '')}"]
        start = time.perf_counter()
        exact, _ = run_cell(folders[cell], root / f"exact{k}", *args, "--exact-times")
        seconds = time.perf_counter() - start
        stamped, _ = run_cell(folders[cell], root / f"stamped{k}", *args)
        reference = reference_with_events(cell, condition, drugs, overrides, seed, duration)
        fast = habmodel.simulate(condition, drugs=drugs, overrides=overrides, seed=seed,
                                 duration=f"{duration} s", cell=cell).spikes_s[0]

        def gap(times, reference=reference):
            if len(times) != len(reference):
                return "counts differ"
            return f"{1e3 * np.max(np.abs(times - reference)):.2g} ms" if len(times) else "-"

        print(f"| {label} | {len(reference)} / {len(exact)} / {len(fast)} | {gap(exact)} | "
              f"{gap(stamped)} | {gap(fast)} | {seconds:.1f} s |")
    from importlib.metadata import version

    cpu = platform.processor() or platform.machine()
    info = Path("/proc/cpuinfo")
    if info.is_file():
        names = [line.split(":", 1)[1].strip() for line in info.read_text().splitlines()
                 if line.startswith("model name")]
        cpu = names[0] if names else cpu
    print(f"\nCPU: {cpu}; NEURON {version('neuron')}, habmodel {version('habmodel')}")


if __name__ == "__main__":  # pragma: no cover
    _table()
