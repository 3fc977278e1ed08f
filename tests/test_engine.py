"""The fast engine: same numbers as Brian2's runtime, built once per structure, shared cache."""

import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from brian2 import cm, mM, ms, msiemens, pA, second, uM

import habmodel
from habmodel.engines import fast as engine
from habmodel.model.drive import glutamate_counts, input_keys
from habmodel.simulation import EngineFallbackWarning

TINY_MODEL = """
dv/dt = (E_L - v)/tau + x*mV/ms : volt
dx/dt = -x/tau : 1
ds_AMPA/dt = -s_AMPA/tau : 1
E_L : volt (constant)
tau : second (constant)
nu_glu : hertz (constant)
w_glu : 1 (constant)
"""


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty kernel cache, and no kernel loaded in this process."""
    monkeypatch.setenv("HABMODEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(engine, "_loaded", {})
    return tmp_path / "cache"


# --- the counter-based glutamate input ----------------------------------------------------

def test_input_keys_depend_on_seed_and_cell_only():
    np.testing.assert_array_equal(input_keys(7, 3), input_keys(7, 50)[:3])
    assert len(set(input_keys(7, 1000).tolist())) == 1000
    assert not np.any(input_keys(7, 5) == input_keys(8, 5))


def test_glutamate_counts_are_poisson():
    lam = 0.3
    counts = glutamate_counts(input_keys(3, 1), np.arange(400_000), lam)
    assert counts.mean() == pytest.approx(lam, rel=0.01)
    assert counts.var() == pytest.approx(lam, rel=0.02)
    for k in range(4):  # P(N = k) = exp(-lam) lam^k / k!
        expected = np.exp(-lam) * lam**k / np.prod(np.arange(1, k + 1))
        assert np.mean(counts == k) == pytest.approx(expected, rel=0.05, abs=2e-4)
    assert not glutamate_counts(input_keys(3, 4), np.arange(100)[:, None], 0.0).any()


# --- same numbers as Brian2 ---------------------------------------------------------------

@pytest.mark.slow
def test_fast_engine_matches_brian2_runtime():
    """Poisson input, drugs, a current step, two conditions: the spikes of the compiled
    kernel and of Brian2's runtime are the same, and so are the voltage traces."""
    drugs = {"ketamine": [0, 0.5, 1, 0, 0, 0] * uM, "mibefradil": [0, 0, 0, 0, 0, 1] * uM}
    overrides = {"K_o": [2.75, 2.75, 2.75, 5, 5, 2.75] * mM,
                 "I_step": [0, 0, 0, -20, 0, 0] * pA, "step_start": 300 * ms,
                 "step_stop": 600 * ms}
    kwargs = dict(condition="depressed", n_cells=6, duration=1 * second, warmup=0.2 * second,
                  seed=11, record_v=[0, 5], drugs=drugs, overrides=overrides)
    fast = habmodel.simulate(**kwargs, engine="fast")
    runtime = habmodel.simulate(**kwargs, engine="runtime")
    assert (fast.engine, runtime.engine) == ("fast", "runtime")
    assert sum(len(s) for s in fast.spikes_s) > 50
    for a, b in zip(fast.spikes_s, runtime.spikes_s, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-9)
    np.testing.assert_allclose(fast.t_s, runtime.t_s, atol=1e-12)
    np.testing.assert_allclose(fast.v_mV, runtime.v_mV, atol=1e-3)


@pytest.mark.slow
def test_results_do_not_depend_on_threads():
    kwargs = dict(condition="depressed", n_cells=150, duration=0.3 * second, seed=4)
    one = habmodel.simulate(**kwargs, threads=1)
    two = habmodel.simulate(**kwargs, threads=2)
    for a, b in zip(one.spikes_s, two.spikes_s, strict=True):
        np.testing.assert_array_equal(a, b)


# --- compiled once per structure ----------------------------------------------------------

@pytest.mark.slow
def test_parameter_changes_never_rebuild():
    habmodel.simulate("control", n_cells=1, duration=10 * ms)
    before = engine.build_count()
    habmodel.simulate("depressed", n_cells=37, duration=30 * ms, warmup=5 * ms, seed=9,
                      drugs={"ketamine": np.linspace(0, 10, 37) * uM}, record_v=[3, 4],
                      record_dt=0.5 * ms,
                      overrides={"g_T": 2.0 * msiemens / cm**2, "I_hold": -5 * pA})
    habmodel.simulate("control", n_cells=2, duration=20 * ms, dt=0.025 * ms, threads=1)
    assert engine.build_count() == before


def test_a_structural_change_builds_once_and_the_cache_is_shared(fresh_cache):
    before = engine.build_count()
    first = engine.kernel("euler", TINY_MODEL, announce=False)
    assert engine.build_count() == before + 1
    assert engine.kernel("euler", TINY_MODEL, announce=False) is first
    assert engine.build_count() == before + 1
    entries = [p for p in fresh_cache.iterdir() if p.is_dir()]
    assert len(entries) == 1
    layout = json.loads((entries[0] / "layout.json").read_text())
    assert layout["states"] == ["v", "x", "s_AMPA"]
    assert layout["built_from"]["equations"] == TINY_MODEL
    # another process finds it in the cache and builds nothing
    code = textwrap.dedent(f"""
        from habmodel.engines import fast as engine
        engine.kernel("euler", {TINY_MODEL!r}, announce=False)
        print(engine.build_count())
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "HABMODEL_CACHE_DIR": str(fresh_cache)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"
    # a different method is a different structure
    engine.kernel("rk2", TINY_MODEL, announce=False)
    assert engine.build_count() == before + 2


def test_two_processes_building_at_once_share_one_entry(fresh_cache):
    code = textwrap.dedent(f"""
        import numpy as np
        from habmodel.engines import fast as engine
        k = engine.kernel("rk2", {TINY_MODEL!r}, announce=False)
        n = 3
        state = np.zeros((3, n)); state[0] = -0.07
        params = np.array([[-0.065] * n, [0.01] * n, [100.0] * n, [0.5] * n])
        spikes = np.zeros((100, n), np.int64)
        k.run(100, 0, 1e-4, state, params, np.arange(n, dtype=np.uint64),
              np.ones(n, np.int64), spikes, 1)
        print(engine.build_count(), repr(state[0].tolist()))
    """)
    env = {**os.environ, "HABMODEL_CACHE_DIR": str(fresh_cache)}
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outs]
    builds = sorted(int(out.split()[0]) for out, _ in outs)
    assert builds == [0, 1]
    assert outs[0][0].split(maxsplit=1)[1] == outs[1][0].split(maxsplit=1)[1]
    assert len([p for p in fresh_cache.iterdir() if p.is_dir()]) == 1
    assert not [p for p in fresh_cache.iterdir() if p.name.startswith(".")]


def test_without_a_compiler_the_builtin_cell_runs_in_webassembly(fresh_cache, monkeypatch):
    native = habmodel.simulate("depressed", n_cells=3, duration=500 * ms, seed=2)
    monkeypatch.setattr(engine, "_compiler", lambda: ("cc", ""))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = habmodel.simulate("depressed", n_cells=3, duration=500 * ms, seed=2)
    record = [w for w in caught if issubclass(w.category, EngineFallbackWarning)]
    assert len(record) == 1 and "\n" not in str(record[0].message)
    assert "WebAssembly engine" in str(record[0].message)
    assert result.engine == "wasm"
    for a, b in zip(native.spikes_s, result.spikes_s, strict=True):
        assert a.size == b.size and a.size > 0 and np.max(np.abs(a - b)) <= 1e-4


def test_without_a_compiler_a_cell_with_its_own_part_falls_back_to_brian2(fresh_cache,
                                                                           monkeypatch):
    from habmodel.model.cell import Cell, load_parts

    parts = load_parts(Path(__file__).resolve().parents[1] / "examples" / "a_type_potassium.py")
    monkeypatch.setattr(engine, "_compiler", lambda: ("cc", ""))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = habmodel.simulate("control", n_cells=1, duration=20 * ms, warmup=0 * ms,
                                   cell=Cell(extra=parts))
    record = [w for w in caught if issubclass(w.category, EngineFallbackWarning)]
    assert len(record) == 1 and "\n" not in str(record[0].message)
    assert "runtime engine" in str(record[0].message) and "own parts" in str(record[0].message)
    assert result.engine == "runtime"


def test_kernel_rejects_arrays_of_the_wrong_shape(fresh_cache):
    k = engine.kernel("euler", TINY_MODEL, announce=False)
    with pytest.raises(ValueError, match="shape"):
        k.run(10, 0, 1e-4, np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(3, np.uint64),
              np.ones(3, np.int64), np.zeros((10, 3), np.int64), 1)


# --- progress -----------------------------------------------------------------------------

@pytest.mark.slow
def test_progress_bar_on_request_and_off_when_quiet(capsys, monkeypatch):
    habmodel.simulate("control", n_cells=1, duration=50 * ms, progress=True)
    assert "habmodel: simulated" in capsys.readouterr().err
    habmodel.simulate("control", n_cells=1, duration=50 * ms, progress=False)
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("HABMODEL_PROGRESS", "0")
    habmodel.simulate("control", n_cells=1, duration=50 * ms, progress=True)
    assert capsys.readouterr().err == ""


@pytest.mark.slow
def test_a_warm_command_line_run_does_not_import_brian2(tmp_path):
    """Brian2's import alone takes about a second; the fast path of `habmodel simulate`
    (strings in, compiled kernel from the cache) does without it."""
    engine.kernel("rk4", announce=False)  # in the cache
    code = textwrap.dedent(f"""
        import sys
        sys.modules["brian2"] = None  # any import of Brian2 now fails
        import habmodel.cli
        status = habmodel.cli.main(["simulate", "--cells", "2", "--duration", "0.2s",
                                    "--drug", "ketamine=1uM", "--out", {str(tmp_path / "r")!r},
                                    "--quiet"])
        sys.exit(status)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r" / "spikes.csv").exists()
