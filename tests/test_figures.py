"""The teaching figures: the figure script (PNG, SVG, captions, validation report) and the
one style module (palette, fonts, applied locally) shared by both plotting modules."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

import habmodel
from habmodel import analysis, plotting
from habmodel.plotting import protocols as experiment_plots
from habmodel.plotting import style

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_figures.py"
#: The teaching figures issue 4 and 6 ask for (the script may make more).
REQUIRED = ("traces", "panel", "dose_response", "rebound", "mode_map", "jitter", "curves",
            "circuit", "circuit_dopamine")
#: Figures computed from the model equations alone (no simulation, no seed).
NO_SIMULATION = ("curves", "nmda_slope")
CRITERIA = analysis.DEFAULT_CRITERIA.describe()


def _run_script(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True,
                          text=True, env={**os.environ, "MPLBACKEND": "Agg"}, timeout=300)


def _script_module():
    """The module behind scripts/make_figures.py and `habmodel figures`."""
    from habmodel import figures

    return figures


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """``make_figures.py --quick`` once for the module, in this worker's process (``--jobs
    1``: the suite keeps both cores busy already): (output folder, stdout)."""
    out = tmp_path_factory.mktemp("figures")
    done = _run_script("--quick", "--out", out, "--jobs", "1")
    assert done.returncode == 0, f"make_figures.py --quick failed:\n{done.stderr[-3000:]}"
    return out, done.stdout


def _entries(readme: str) -> dict[str, str]:
    return {m["name"]: line for line in readme.splitlines()
            if (m := re.match(r"^- \*\*(?P<name>[a-z_]+)\*\* ", line))}


# --- the figure script ----------------------------------------------------------------------

@pytest.mark.slow
def test_every_figure_png_and_svg(quick):
    out, _ = quick
    names = list(_script_module().FIGURES)
    assert set(REQUIRED) <= set(names), f"missing figures: {set(REQUIRED) - set(names)}"
    for name in names:
        png, svg = out / f"{name}.png", out / f"{name}.svg"
        assert png.stat().st_size > 10_000, f"{png.name} is missing or nearly empty"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png.name
        assert svg.stat().st_size > 10_000 and b"<svg" in svg.read_bytes()[:2000], svg.name
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert not leftovers, f"temporary files left behind: {leftovers}"


@pytest.mark.slow
def test_progress_line_per_figure(quick):
    _, stdout = quick
    names = [*_script_module().FIGURES, "validation"]
    for name in names:
        assert re.search(rf"\] {name} done in [0-9.]+ s", stdout), \
            f"no progress line for {name}:\n{stdout}"


@pytest.mark.slow
def test_readme_has_one_caption_per_figure(quick):
    out, _ = quick
    readme = (out / "README.md").read_text(encoding="utf-8")
    entries = _entries(readme)
    assert list(entries) == list(_script_module().FIGURES), "one line per figure, in order"
    for name, line in entries.items():
        assert f"({name}.png)" in line and f"({name}.svg)" in line
        caption = line.split("): ", 1)[1]
        assert len(caption) > 100, f"{name}: caption too short: {caption!r}"
        if name in NO_SIMULATION:  # computed from the equations
            assert "no seed, no burst criteria" in caption
            continue
        assert "seed 2026" in caption, f"{name}: caption does not give the seed"
        assert CRITERIA in caption, f"{name}: caption does not state the burst criteria"
        assert "[K+]o 2.6 mM" in caption and "g_NMDA" in caption, \
            f"{name}: caption does not give the parameters"
    assert "[validation.md](validation.md)" in readme


@pytest.mark.slow
def test_validation_report(quick):
    out, _ = quick
    text = (out / "validation.md").read_text(encoding="utf-8")
    assert "run_validation(quick=True)" in text and "seed 2026" in text and CRITERIA in text
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert rows[0] == "| claim | measured | target | pass/FAIL |"
    claims = [row.split("|")[1].strip().split(".")[0] for row in rows[1:]]
    assert {"1", "2", "3", "4", "5", "6", "8", "9"} <= set(claims), claims
    # the nine claims in order, then the calibration rows C1, C2, ... (docs/calibration.md)
    assert claims == sorted(claims, key=lambda c: (c.startswith("C"), int(c.lstrip("C")))), claims
    assert [c for c in claims if c.startswith("C")], claims
    assert all(row.rstrip().endswith(("| pass |", "| FAIL |")) for row in rows[1:])
    passed = sum(row.rstrip().endswith("| pass |") for row in rows[1:])
    assert f"{passed} of {len(claims)} claims pass." in text


@pytest.mark.slow
def test_only_is_deterministic_and_keeps_other_entries(quick, tmp_path):
    """``--only`` twice the same bytes as the full run (two processes here, one there); the
    README keeps the other figures."""
    out, _ = quick
    again = tmp_path / "again"
    shutil.copytree(out, again)
    gallery = tmp_path / "gallery"
    done = _run_script("--quick", "--out", again, "--only", "traces", "--only", "curves",
                       "--gallery", gallery, "--jobs", "2")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count(" done in ") == 2
    for name in ("traces", "curves"):
        for suffix in ("png", "svg"):
            assert (again / f"{name}.{suffix}").read_bytes() == \
                (out / f"{name}.{suffix}").read_bytes(), f"{name}.{suffix} is not reproducible"
        small = gallery / f"{name}.png"
        assert 10_000 < small.stat().st_size < 150_000, f"gallery {small.name}: size"
    assert not (gallery / "traces.svg").exists()
    assert _entries((again / "README.md").read_text()) == \
        _entries((out / "README.md").read_text())
    assert (again / "validation.md").read_bytes() == (out / "validation.md").read_bytes()


@pytest.mark.slow
def test_bad_only_is_a_usage_error(tmp_path):
    done = _run_script("--out", tmp_path / "x", "--only", "no_such_figure")
    assert done.returncode == 2 and "no_such_figure" in done.stderr
    assert not (tmp_path / "x").exists()
    for jobs in ("0", "two"):
        done = _run_script("--out", tmp_path / "x", "--jobs", jobs)
        assert done.returncode == 2 and "--jobs" in done.stderr and "1 to 64" in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and not (tmp_path / "x").exists()


# --- the style module -----------------------------------------------------------------------

def test_palette_has_every_condition_drug_and_mode():
    keys = [*habmodel.CONDITIONS, *habmodel.DRUGS, *analysis.MODES, "none"]
    missing = [k for k in keys if k not in style.PALETTE]
    assert not missing, f"add a colour to habmodel.plotting.style.PALETTE for {missing}"
    colours = [to_hex(style.PALETTE[k]) for k in keys]
    assert len(set(colours)) == len(colours), "two categories share a colour"
    assert all(style.marker_of(d) != style.marker_of("none") for d in habmodel.DRUGS)


def test_palette_is_colour_blind_safe():
    """Tol's bright set (plus his wine for bursting): designed for colour-blind readers."""
    allowed = {c.lower() for c in style.TOL_BRIGHT} | {"#882255", "#000000"}
    assert {c.lower() for c in style.PALETTE.values()} <= allowed


def test_label_colours():
    assert style.label_color("depressed + ketamine 3 uM") == style.PALETTE["ketamine"]
    assert style.label_color("depressed + AP5 50 uM") == style.PALETTE["ap5"]
    assert style.label_color("control") == style.PALETTE["control"]
    assert style.label_color("depressed") == style.PALETTE["depressed"]


def test_experiment_plots_uses_the_one_palette():
    assert experiment_plots.PALETTE is style.PALETTE


def test_context_is_local():
    before = dict(matplotlib.rcParams)
    with style.context():
        assert matplotlib.rcParams["font.size"] == style.RC["font.size"] >= 12
        assert matplotlib.rcParams["svg.hashsalt"] == style.RC["svg.hashsalt"]
    assert dict(matplotlib.rcParams) == before


def test_no_pyplot_and_no_global_style_at_import():
    code = ("import matplotlib, sys; before = dict(matplotlib.rcParams); "
            "import habmodel.plotting.style, habmodel.plotting, habmodel.plotting.protocols; "
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'; "
            "assert dict(matplotlib.rcParams) == before, 'rcParams changed at import'")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ,
                                                                  "MPLBACKEND": "Agg"})


def test_the_package_names_each_module_exports_and_loads_only_what_is_used():
    """``habmodel.plotting`` loads its modules when a name is first used: the table of
    names is each module's ``__all__``, and the trace figure of ``habmodel simulate``
    needs neither pandas nor the protocol figures."""
    import importlib

    import habmodel.plotting as plotting

    for module, names in plotting._EXPORTS.items():
        assert tuple(importlib.import_module(f"habmodel.plotting.{module}").__all__) == names
    assert plotting.plot_trace is importlib.import_module("habmodel.plotting.traces").plot_trace
    code = ("import sys; from habmodel.plotting import plot_trace, save_figure; "
            "assert 'pandas' not in sys.modules, 'pandas imported'; "
            "assert 'habmodel.plotting.protocols' not in sys.modules, 'protocols imported'")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ,
                                                                  "MPLBACKEND": "Agg"})


def _fake_result(condition, drugs_uM):
    """A SimulationResult stand-in: one recorded cell with two bursts and a tonic spike."""
    t = np.arange(0, 2.0, 1e-4)
    spikes = np.array([0.5, 0.505, 0.51, 1.2, 1.5, 1.505])
    v = np.full_like(t, -70.0)
    v[np.searchsorted(t, spikes)] = 30.0
    return SimpleNamespace(condition=condition, drugs_uM=drugs_uM, t_s=t, v_mV=v[None, :],
                           v_cells=np.array([0]), spikes_s=[spikes], duration_s=2.0,
                           criteria=analysis.DEFAULT_CRITERIA)


def _line_colours(ax):
    return [to_hex(line.get_color()) for line in ax.get_lines()]


def test_same_colours_in_both_plotting_modules():
    """A condition or drug has the same colour in a trace (plotting) and in a bar chart
    (experiment_plots); burst marks have the burst-mode colour."""
    results = {"depressed": _fake_result("depressed", {}),
               "depressed + ketamine 10 uM": _fake_result("depressed", {"ketamine": 10.0})}
    fig = plotting.plot_conditions(results)
    rows = [fig.axes[0], fig.axes[2]]
    assert _line_colours(rows[0])[0] == style.PALETTE["depressed"].lower()
    assert _line_colours(rows[1])[0] == style.PALETTE["ketamine"].lower()
    assert style.PALETTE["burst"].lower() in _line_colours(rows[0])

    labels = ["control", "depressed", "depressed + ketamine 10 uM"]
    table = pd.DataFrame([
        {"label": lab, "condition": lab.split(" ")[0], "cell": c, "seed": 1, "jitter": 0.0,
         "ketamine_uM": 10.0 if "ketamine" in lab else 0.0, "rate_hz": 5.0 + c,
         "burst_fraction": 0.9, "bursts_per_s": 2.0 + c, "spikes_per_burst": 3.0,
         "intraburst_hz": 200.0, "mode": "burst" if lab == "depressed" else "tonic",
         "n_spikes": 10, "isi_cv": 0.5}
        for lab in labels for c in range(2)])
    fig = experiment_plots.plot_panel(table)
    bars = [p for p in fig.axes[1].patches]
    assert [to_hex(b.get_facecolor()) for b in bars] == [
        style.PALETTE["control"].lower(), style.PALETTE["depressed"].lower(),
        style.PALETTE["ketamine"].lower()]
    modes = {to_hex(p.get_facecolor()) for p in fig.axes[0].patches}
    assert {style.PALETTE[m].lower() for m in ("tonic", "burst")} <= modes
