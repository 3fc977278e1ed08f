"""The second hypothesis: the pacemaker cell (docs/two_hypotheses.md) and its predictions.

The default cell bursts only with NMDA receptors (docs/science.md, claims 3 and 8); the
pacemaker cell (``cell="pacemaker"``, :mod:`habmodel.model.pacemaker`) is an I_h/I_T
pacemaker with the same equations and three other defaults. These tests pin down, on real
simulations of both cells (a few seeded cells, 3-4 s), what both share and where they differ:
the table of docs/two_hypotheses.md. If one fails, the calibration moved: do not loosen the
bound, rerun the measurements of docs/two_hypotheses.md and update the table.
"""

from __future__ import annotations

import numpy as np
import pytest
from brian2 import cm, mM, ms, msiemens, pA, uM

import habmodel
from habmodel.model.cells import CELL_DOCS, CELLS, changed_parameters, named_cell
from habmodel.model.currents import LHB_PARTS
from habmodel.model.equations import DEFAULT_CELL
from habmodel.model.pacemaker import PACEMAKER_PARTS, PACEMAKER_VALUES
from habmodel.model.parameters import CONDITIONS, PARAMETERS, condition_values

N = 6          # cells per arm
SEED = 2026
NAMES = ("default", "pacemaker")

#: The arms of one run per cell: label -> (condition, overrides in display units, drugs uM).
ARMS = {
    "control": ("control", {}, {}),
    "control + ketamine 10 uM": ("control", {}, {"ketamine": 10.0}),
    "depressed": ("depressed", {}, {}),
    "depressed, g_NMDA = 0": ("depressed", {"g_NMDA": 0.0}, {}),
    "depressed + ketamine 1 uM": ("depressed", {}, {"ketamine": 1.0}),
    "depressed + ketamine 10 uM": ("depressed", {}, {"ketamine": 10.0}),
    "depressed + AP5 50 uM": ("depressed", {}, {"ap5": 50.0}),
    "depressed + mibefradil 2 uM": ("depressed", {}, {"mibefradil": 2.0}),
}


def _arms(name: str) -> dict[str, dict]:
    """Per-arm metrics of one simulation of every arm of :data:`ARMS` (N cells each)."""
    labels = list(ARMS)
    cell = named_cell(name)
    g_nmda = cell.parameters["g_NMDA"].default
    k_o = np.repeat([condition_values(ARMS[a][0])["K_o"] for a in labels], N)
    g = np.repeat([ARMS[a][1].get("g_NMDA", g_nmda) for a in labels], N)
    drugs = {d: np.repeat([ARMS[a][2].get(d, 0.0) for a in labels], N) * uM
             for d in ("ketamine", "ap5", "mibefradil")}
    result = habmodel.simulate("control", drugs=drugs, n_cells=N * len(labels),
                               duration="3 s", seed=SEED, cell=name, progress=False,
                               overrides={"K_o": k_o * mM, "g_NMDA": g * msiemens / cm**2})
    return {label: {k: np.asarray(v)[i * N:(i + 1) * N] for k, v in result.metrics.items()}
            for i, label in enumerate(labels)}


@pytest.fixture(scope="module")
def runs():
    return {name: _arms(name) for name in NAMES}


def _mean(values) -> float:
    values = np.asarray(values, float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else 0.0


def _bursting(m) -> float:
    """Fraction of burst-mode cells."""
    return float(np.mean(np.asarray(m["mode"]) == "burst"))


# --- the cells ----------------------------------------------------------------------------

def test_the_named_cells():
    assert list(CELLS) == ["default", "pacemaker"] and set(CELL_DOCS) == set(CELLS)
    assert named_cell("default") is DEFAULT_CELL
    assert named_cell(" Pacemaker ") is CELLS["pacemaker"]
    with pytest.raises(ValueError, match="did you mean 'pacemaker'"):
        named_cell("pacmaker")
    with pytest.raises(TypeError, match="habmodel.Cell"):
        named_cell(3)


def test_the_pacemaker_changes_three_defaults_and_nothing_else():
    pacemaker = named_cell("pacemaker")
    assert changed_parameters("pacemaker") == {
        name: (PARAMETERS[name].default, value) for name, value in PACEMAKER_VALUES.items()}
    assert set(PACEMAKER_VALUES) == {"g_T", "g_h", "tau_Ca"}
    for name in PACEMAKER_VALUES:  # a named source in the parameter row, as every part has
        source = pacemaker.parameters[name].source
        assert "two_hypotheses.md" in source and "[assume]" in source, source
    # the same equations: every engine (the packaged WebAssembly kernel too) runs it
    assert pacemaker.full_equations() == DEFAULT_CELL.full_equations()
    assert [p.name for p in PACEMAKER_PARTS] == [p.name for p in LHB_PARTS]
    # the default cell, its table and the conditions are untouched
    assert PARAMETERS["g_T"].default == 1.5 and PARAMETERS["g_h"].default == 0.04
    assert PARAMETERS["tau_Ca"].default == 200
    assert {n: p.default for n, p in DEFAULT_CELL.parameters.items()} == {
        n: p.default for n, p in PARAMETERS.items()}
    assert dict(CONDITIONS["depressed"]) == {"K_o": 2.6}
    # the trapping variant keeps the pacemaker's values
    assert pacemaker.variant("trapping").parameters["g_T"].default == 2.4


def test_simulate_takes_a_cell_by_name():
    by_name = habmodel.simulate("depressed", n_cells=2, duration="1 s", seed=1,
                                cell="pacemaker", progress=False)
    by_cell = habmodel.simulate("depressed", n_cells=2, duration="1 s", seed=1,
                                cell=named_cell("pacemaker"), progress=False)
    assert all(np.array_equal(a, b) for a, b in zip(by_name.spikes_s, by_cell.spikes_s,
                                                    strict=True))
    assert by_name.params["g_T"].tolist() == [2.4, 2.4]
    assert by_name.params["tau_Ca"].tolist() == [350.0, 350.0]
    default = habmodel.simulate("depressed", n_cells=2, duration="1 s", seed=1,
                                cell="default", progress=False)
    plain = habmodel.simulate("depressed", n_cells=2, duration="1 s", seed=1, progress=False)
    assert all(np.array_equal(a, b) for a, b in zip(default.spikes_s, plain.spikes_s,
                                                    strict=True))
    with pytest.raises(ValueError, match="unknown cell 'thalamic'"):
        habmodel.simulate(cell="thalamic", duration="1 s")


def test_the_pacemaker_runs_on_the_packaged_webassembly_kernel():
    wasm = habmodel.simulate("depressed", n_cells=2, duration="1 s", seed=1,
                             cell="pacemaker", engine="wasm", progress=False)
    fast = habmodel.simulate("depressed", n_cells=2, duration="1 s", seed=1,
                             cell="pacemaker", progress=False)
    assert wasm.engine == "wasm"
    assert all(np.allclose(a, b) for a, b in zip(wasm.spikes_s, fast.spikes_s, strict=True))


# --- what both cells share: claims 1, 2 and 4 -----------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_control_fires_tonically(runs, name):
    m = runs[name]["control"]
    assert set(m["mode"]) == {"tonic"}, m["mode"]
    assert 1 <= _mean(m["rate_hz"]) <= 10, m["rate_hz"]


@pytest.mark.parametrize("name", NAMES)
def test_depressed_bursts_with_the_claim_2_numbers(runs, name):
    m = runs[name]["depressed"]
    assert _bursting(m) == 1.0, m["mode"]
    assert 0.5 <= _mean(m["bursts_per_s"]) <= 10
    assert 2 <= _mean(m["spikes_per_burst"]) <= 10
    assert np.nanmin(m["intraburst_hz"]) >= 100


@pytest.mark.parametrize("name", NAMES)
def test_mibefradil_abolishes_bursting(runs, name):
    m = runs[name]["depressed + mibefradil 2 uM"]
    assert _bursting(m) == 0.0, m["mode"]
    assert _mean(m["bursts_per_s"]) <= 0.05 * _mean(runs[name]["depressed"]["bursts_per_s"])


@pytest.mark.parametrize("name", NAMES)
def test_ketamine_creates_no_bursting_in_control(runs, name):
    m = runs[name]["control + ketamine 10 uM"]
    assert _bursting(m) == 0.0 and _mean(m["rate_hz"]) < 0.5, m["mode"]


# --- where they differ: NMDA block ------------------------------------------------------

def test_without_nmda_only_the_pacemaker_bursts(runs):
    assert _bursting(runs["default"]["depressed, g_NMDA = 0"]) == 0.0
    m = runs["pacemaker"]["depressed, g_NMDA = 0"]
    assert _bursting(m) == 1.0, m["mode"]
    assert 0.5 <= _mean(m["bursts_per_s"]) <= 10 and np.nanmin(m["intraburst_hz"]) >= 100


@pytest.mark.parametrize("arm", ["depressed + ketamine 10 uM", "depressed + AP5 50 uM"])
def test_nmda_block_silences_the_default_cell_but_not_the_pacemaker(runs, arm):
    default, pacemaker = runs["default"][arm], runs["pacemaker"][arm]
    assert _bursting(default) == 0.0 and _mean(default["rate_hz"]) < 0.5
    before = runs["pacemaker"]["depressed"]
    assert _bursting(pacemaker) == 1.0, pacemaker["mode"]
    # the rhythm is kept (bursts/s within 15 %), and the bursts are no weaker
    ratio = _mean(pacemaker["bursts_per_s"]) / _mean(before["bursts_per_s"])
    assert 0.85 <= ratio <= 1.15, ratio
    assert _mean(pacemaker["spikes_per_burst"]) >= _mean(before["spikes_per_burst"])


def test_one_uM_ketamine_halves_the_default_cell_and_spares_the_pacemaker(runs):
    for name, low, high in (("default", 0.2, 0.7), ("pacemaker", 0.85, 1.15)):
        ratio = (_mean(runs[name]["depressed + ketamine 1 uM"]["bursts_per_s"])
                 / _mean(runs[name]["depressed"]["bursts_per_s"]))
        assert low <= ratio <= high, (name, ratio)


# --- where they differ: hyperpolarising current -----------------------------------------

def _stepped(name: str, drugs=None, duration="3 s"):
    """-20 pA from 0.5 to 1.0 s of the recording, control (claim 5's step)."""
    return habmodel.simulate("control", drugs=drugs, n_cells=N, duration=duration, seed=SEED,
                             cell=name, progress=False,
                             overrides={"I_step": -20 * pA, "step_start": 500 * ms,
                                        "step_stop": 1000 * ms})


def _count(spikes, start: float, stop: float) -> np.ndarray:
    return np.array([np.sum((s >= start) & (s < stop)) for s in spikes])


def test_with_nmda_blocked_a_step_gives_a_rebound_or_bursts_during_the_step():
    """Control + ketamine 10 uM: the default cell is silent during the step and fires one
    rebound burst on release; the pacemaker fires LTS bursts *during* the step (its I_h sag
    reaches the T threshold) and none on release."""
    ketamine = {"ketamine": 10 * uM}
    default = _stepped("default", ketamine).spikes_s
    assert _count(default, 0.55, 1.0).sum() == 0
    assert np.mean(_count(default, 1.0, 1.3) >= 2) >= 0.75
    pacemaker = _stepped("pacemaker", ketamine).spikes_s
    assert np.all(_count(pacemaker, 0.55, 1.0) >= 2)
    assert np.mean(_count(pacemaker, 1.0, 1.3) == 0) >= 0.75


def test_a_step_switches_only_the_pacemaker_into_sustained_bursting():
    """Control with NMDA: after the step the default cell returns to tonic firing; the
    pacemaker keeps bursting (it is bistable in control; with NMDA blocked it is not)."""
    after = {}
    for name in NAMES:
        spikes = _stepped(name, duration="4 s").spikes_s
        late = [s[(s >= 2.0) & (s < 4.0)] - 2.0 for s in spikes]
        after[name] = habmodel.analysis.population_metrics(late, 2.0,
                                                           habmodel.analysis.DEFAULT_CRITERIA)
    assert _bursting(after["default"]) == 0.0
    assert _bursting(after["pacemaker"]) >= 0.75
    assert _mean(after["pacemaker"]["bursts_per_s"]) >= 2


def test_a_hyperpolarising_holding_current_makes_only_the_pacemaker_burst():
    """Control + ketamine 10 uM (no NMDA current) held at -15 pA: a thalamic-like pacemaker
    oscillates; the default cell has no pacemaker there (claim 8's note)."""
    for name, bursting in (("default", 0.0), ("pacemaker", 1.0)):
        result = habmodel.simulate("control", drugs={"ketamine": 10 * uM}, n_cells=N,
                                   duration="3 s", seed=SEED, cell=name, progress=False,
                                   overrides={"I_hold": -15 * pA})
        assert _bursting(result.metrics) == bursting, (name, result.metrics["mode"])


# --- the command line ---------------------------------------------------------------------

def test_the_cli_takes_a_named_cell(run_cli, one_line_error, tmp_path):
    import tomllib

    out = tmp_path / "run"
    status, _, err = run_cli(["simulate", "--cell", "pacemaker", "--condition", "depressed",
                              "--set", "g_NMDA=0mS/cm2", "--cells", "2", "--duration", "1s",
                              "--quiet", "--out", out])
    assert status == 0, err
    params = tomllib.loads((out / "params.toml").read_text())["parameters"]
    assert params["g_T"] == "2.4 mS/cm2" and params["tau_Ca"] == "350 ms"
    summary = (out / "summary.csv").read_text().splitlines()[1:]
    assert all(line.endswith(",burst") for line in summary), summary
    status, _, err = run_cli(["simulate", "--cell", "pacmaker", "--out", tmp_path / "x"])
    assert status == 2
    one_line_error(err, "--cell", "did you mean 'pacemaker'")
    status, _, err = run_cli(["lab", "--cell", "pacemaker", "--out", tmp_path / "lab"])
    assert status == 2
    one_line_error(err, "--cell", "default cell only")
    assert not (tmp_path / "lab").exists()


# --- the validation tells the two cells apart ---------------------------------------------

@pytest.mark.slow
def test_the_validation_fails_the_pacemaker_exactly_on_the_nmda_claims():
    """Claims 3, 6, 8 and 9 say that NMDA block stops bursting: the pacemaker fails them and
    passes the claims both hypotheses share (1, 2, 4, 5)."""
    from habmodel.validate import run_validation

    results = run_validation(quick=True, calibration=False, cell=named_cell("pacemaker"),
                             progress=False)
    verdict = {int(r.claim.split(".")[0]): r.passed for r in results}
    assert set(verdict) == set(range(1, 10))
    assert {n for n, ok in verdict.items() if not ok} == {3, 6, 8, 9}, verdict
