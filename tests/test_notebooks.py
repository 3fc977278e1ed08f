"""The teaching notebooks (notebooks/0*.ipynb): well-formed, and they run top to bottom.

Fast tests check the structure of every notebook: a papermill ``parameters`` cell, learning
goals, 2-4 exercises with collapsed answers, references, no stored outputs or execution
counts, no model equations (notebooks use the public API only; 08 writes the downstream
circuit in Brian2 on purpose) and clean simulation calls.
The ``notebook`` tests execute every notebook in a fresh ``python3`` kernel with papermill,
with the shortened parameters of :data:`SHORT`, and check that figures were drawn.
"""

import ast
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"

#: The notebooks of the teaching series, in order.
NOTEBOOKS = (
    "01_meet_the_lhb_neuron",
    "02_depression_as_hyperpolarisation",
    "03_why_bursts_need_nmda",
    "04_ketamine",
    "05_slice_protocols",
    "06_research_sandbox",
    "07_trapping",
    "08_circuit",
    "09_voltage_clamp",
    "10_two_hypotheses",
    "11_disappointment",
)

#: Shortened parameters for the execution tests (each key must be in the parameters cell).
#: 04_ketamine keeps 2 s so that its 3-cell dose-response still has a fittable shape.
SHORT = {
    "01_meet_the_lhb_neuron": {"duration_s": 1.0, "n_rates": 4},
    "02_depression_as_hyperpolarisation": {"duration_s": 1.0, "n_k": 6, "cells_per_k": 2},
    "03_why_bursts_need_nmda": {"duration_s": 1.0, "n_k": 4, "n_g": 6},
    "04_ketamine": {"duration_s": 2.0, "n_cells": 3, "n_k": 4, "n_g": 3, "n_g_fine": 13,
                    "n_k_scan": 4},
    "05_slice_protocols": {"duration_s": 1.0, "n_cells": 12, "rebound_cells": 2},
    # interactive=False: nbclient can hang at random on ipywidgets.interact (jupyter/nbclient#312)
    "06_research_sandbox": {"duration_s": 1.0, "n_cells": 3, "seeds": 1, "interactive": False},
    "07_trapping": {"n_cells": 2, "window_s": 1.0, "n_blocks": 5, "onset_s": 4.0,
                    "demo_s": 8.0, "validate_s": 6.0},
    "08_circuit": {"n_lhb": 20, "n_down": 20, "duration_s": 0.5},
    "09_voltage_clamp": {"step_ms": 20.0, "n_pulses": 3, "n_holds": 4, "h_step_s": 0.3},
    "10_two_hypotheses": {"duration_s": 1.0, "n_cells": 2, "n_doses": 3, "n_holds": 3,
                          "jitter_cells": 8},
    "11_disappointment": {"n_lhb": 6, "n_down": 8, "n_trials": 1, "pe_values": [30],
                          "short_trials": True},
}

#: Text that would mean a notebook defines model equations instead of using the package.
FORBIDDEN = ("NeuronGroup", "dv/dt", "Equations(")

#: Notebooks that build Brian2 objects on purpose: 08 writes the downstream circuit (RMTg,
#: VTA) in plain Brian2 to teach it; the LHb cell still comes from the package.
BRIAN2_BY_DESIGN = {"08_circuit"}

#: Functions that run simulations: every call in a notebook passes progress=False.
SIMULATING = {"simulate", "sweep", "dose_response", "pharmacology_panel", "mode_map", "rebound",
              "jittered_population", "run_circuit", "run_task"}


def _load(name: str):
    return nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)


def _code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _hidden(cell) -> bool:
    return bool(cell.metadata.get("jupyter", {}).get("source_hidden"))


def test_the_series_is_complete():
    found = {path.stem for path in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")}
    missing = set(NOTEBOOKS) - found
    assert not missing, f"notebooks/ lacks {sorted(missing)}"
    assert set(SHORT) == set(NOTEBOOKS)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_valid_and_stripped(name):
    nb = _load(name)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in _code_cells(nb):
        assert cell.outputs == [], f"{name}: outputs are stored; strip them before committing"
        assert cell.execution_count is None, f"{name}: execution counts are stored"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_parameters_cell_holds_the_shortened_parameters(name):
    tagged = [cell for cell in _load(name).cells if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{name}: expected one cell tagged 'parameters' (papermill)"
    assert tagged[0].cell_type == "code"
    assigned = {target.id for node in ast.parse(tagged[0].source).body
                if isinstance(node, ast.Assign) for target in node.targets
                if isinstance(target, ast.Name)}
    missing = set(SHORT[name]) - assigned
    assert not missing, f"{name}: the parameters cell does not define {sorted(missing)}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_learning_goals_exercises_answers_references(name):
    nb = _load(name)
    assert nb.cells[0].cell_type == "markdown" and "Learning goals" in nb.cells[0].source, (
        f"{name}: the first cell should state the learning goals")
    exercises = [cell for cell in nb.cells
                 if cell.cell_type == "markdown" and "**Exercise" in cell.source]
    answers = [cell for cell in nb.cells if _hidden(cell)]
    assert 2 <= len(exercises) <= 4, f"{name}: expected 2-4 exercises, found {len(exercises)}"
    assert len(answers) >= len(exercises), f"{name}: every exercise needs a collapsed answer"
    text = "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")
    assert "References" in text and "et al." in text, f"{name}: cite the sources"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_no_model_equations_in_notebooks(name):
    if name in BRIAN2_BY_DESIGN:
        text = "\n".join(cell.source for cell in _load(name).cells)
        assert "m_T_inf" not in text and "avail_T" not in text, (
            f"{name}: the LHb cell's equations belong to the package")
        return
    for cell in _load(name).cells:
        for text in FORBIDDEN:
            assert text not in cell.source, (
                f"{name}: '{text}' in a cell; notebooks use habmodel's public API, not equations")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_simulations_run_without_progress_bars(name):
    for cell in _code_cells(_load(name)):
        for node in ast.walk(ast.parse(cell.source)):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in SIMULATING:
                keywords = {kw.arg for kw in node.keywords}
                assert "progress" in keywords, (
                    f"{name}: {called}(...) without progress=False:\n{ast.unparse(node)[:200]}")


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.parametrize("compiler", ["native", "no-compiler"])
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_top_to_bottom(name, compiler, tmp_path, monkeypatch, request,
                                     brian2_here):
    """Every notebook, with the fast engine and on a machine without a C compiler (the
    WebAssembly engine; Brian2's own objects in 08 on its NumPy target)."""
    papermill = pytest.importorskip("papermill")
    if compiler == "no-compiler":
        request.getfixturevalue("no_compiler")
    # A fresh kernel with Jupyter's inline backend (figures rendered as PNG) and no bars.
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.setenv("HABMODEL_PROGRESS", "0")
    parameters = dict(SHORT[name])
    if name == "06_research_sandbox":
        parameters["out_dir"] = str(tmp_path / "sandbox_output")
    executed = papermill.execute_notebook(
        str(NOTEBOOK_DIR / f"{name}.ipynb"), str(tmp_path / f"{name}.ipynb"),
        parameters=parameters, kernel_name="python3", cwd=str(tmp_path), progress_bar=False,
        execution_timeout=300,  # a hung kernel fails the test instead of blocking the suite
    )
    outputs = [out for cell in executed.cells if cell.cell_type == "code"
               for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.get("output_type") == "error"]
    figures = [out for out in outputs if "image/png" in out.get("data", {})]
    assert figures, f"{name}: no figure was drawn"
