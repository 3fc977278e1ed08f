"""The simulate() API: units at the boundary, reproducibility, explicit objects."""

import pickle
import subprocess
import sys
from pathlib import Path

import brian2
import numpy as np
import pytest
from brian2 import cm, mM, ms, msiemens, mV, pA, second, uM

import habmodel
from habmodel.simulation import SimulationError

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"condition": "depresed"}, "did you mean 'depressed'"),
        ({"drugs": {"ketamin": 1 * uM}}, "did you mean 'ketamine'"),
        ({"drugs": {"ketamine": 1 * mV}}, "ketamine: expected a quantity in uM"),
        ({"drugs": {"ketamine": -1 * uM}}, "ketamine"),
        ({"overrides": {"g_TT": 1 * msiemens / cm**2}}, "did you mean 'g_T'"),
        ({"overrides": {"g_T": 1 * mV}}, "g_T: expected a quantity in mS/cm2"),
        ({"overrides": {"g_T": -1 * msiemens / cm**2}}, "g_T: -1 mS/cm2 is outside"),
        ({"overrides": {"K_o": [1, 2, 3] * mM}}, "one per cell"),
        ({"duration": 5}, "duration: expected a quantity in s"),
        ({"duration": 0 * second}, "duration"),
        ({"duration": float("nan") * second}, "duration"),
        ({"n_cells": 0}, "n_cells"),
        ({"n_cells": 2.5}, "n_cells"),
        ({"seed": -1}, "seed"),
        ({"dt": 5 * ms}, "dt"),
        ({"record_v": [7]}, "record_v"),
        ({"engine": "turbo"}, "engine: expected one of fast, wasm, runtime"),
        ({"threads": 0}, "threads"),
        ({"method": "exponential_euler"}, "method: the fast engine implements"),
    ],
)
def test_bad_input_is_rejected_with_the_parameter_named(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        habmodel.simulate(**{"n_cells": 2, **kwargs})


def test_import_changes_no_brian2_global_state():
    code = ("import brian2; dt0 = brian2.defaultclock.dt; t0 = brian2.prefs.codegen.target; "
            "import habmodel, habmodel.simulation, habmodel.model; "
            "assert brian2.defaultclock.dt == dt0 and brian2.prefs.codegen.target == t0")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_import_does_not_import_brian2():
    code = "import sys, habmodel, habmodel.analysis; assert 'brian2' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.slow
def test_same_seed_same_spikes_and_repeated_calls_work():
    kwargs = dict(condition="depressed", n_cells=3, duration=0.5 * second, seed=5,
                  drugs={"ketamine": 0.3 * uM})
    first = habmodel.simulate(**kwargs)
    other = habmodel.simulate(**{**kwargs, "seed": 6})
    again = habmodel.simulate(**kwargs)
    for a, b in zip(first.spikes_s, again.spikes_s, strict=False):
        np.testing.assert_array_equal(a, b)
    assert any(len(a) != len(b) or not np.array_equal(a, b)
               for a, b in zip(first.spikes_s, other.spikes_s, strict=False))
    assert brian2.defaultclock.dt == 0.1 * ms  # untouched


@pytest.mark.slow
def test_result_is_plain_data():
    result = habmodel.simulate("control", n_cells=2, duration=0.3 * second, seed=1,
                               record_v=[1], overrides={"g_T": [1.5, 1.6] * msiemens / cm**2})
    restored = pickle.loads(pickle.dumps(result))
    assert restored.v_mV.shape == (1, len(restored.t_s))
    assert restored.t_s[0] == pytest.approx(0.0) and restored.t_s[-1] < 0.3
    np.testing.assert_allclose(restored.params["g_T"], [1.5, 1.6])
    assert restored.params["K_o"][0] == habmodel.CONDITIONS.get("control", {}).get(
        "K_o", habmodel.PARAMETERS["K_o"].default)
    assert set(restored.versions) == {"habmodel", "brian2", "numpy"}
    assert [row["cell"] for row in restored.summary_rows()] == [0, 1]
    assert sum(restored.mode_fractions().values()) == pytest.approx(1.0)


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["fast", "runtime"])
def test_numerical_blow_up_is_reported(engine):
    with pytest.raises(SimulationError, match="blow-up"):
        habmodel.simulate("control", n_cells=1, duration=50 * ms, warmup=0 * ms, dt=1 * ms,
                          method="euler", overrides={"I_hold": 500 * pA}, engine=engine)


def test_model_doc_is_current():
    script = ROOT / "scripts" / "make_model_doc.py"
    done = subprocess.run([sys.executable, str(script), "--check"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stdout
