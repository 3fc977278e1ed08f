"""The browser lab's model code, run in Node.js: the WebAssembly kernel driven by the
page's own modules (engine.js, metrics.js, settings.js) gives the fast engine's spikes,
habmodel's metrics, its I-V curve, and a params.toml that habmodel repeats.

The same modules run in the browser (tests/test_lab.py checks them there); Node makes
the many small checks fast. Skipped, with the reason, where Node.js is not installed.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess

import numpy as np
import pytest

from habmodel.analysis import population_metrics
from habmodel.analysis.curves import steady_state_iv
from habmodel.model.drive import input_keys
from habmodel.model.units import unit_of
from habmodel.paramfile import read_params
from habmodel.simulation import simulate

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed (Debian: "
                                "apt-get install nodejs); the browser test covers the lab")
DRIVER = __import__("pathlib").Path(__file__).parent / "js" / "lab_driver.mjs"

#: The lab's cases of the issue: control, depressed, depressed + ketamine 1 uM, a rebound.
CASES = {
    "control": {"condition": "control"},
    "depressed": {"condition": "depressed"},
    "depressed+ketamine": {"condition": "depressed", "ketamine": 1.0},
    "rebound": {"condition": "control", "I_step": -20.0, "step_start": 1.0, "step_ms": 500.0},
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    from habmodel.lab import build_lab

    return build_lab(tmp_path_factory.mktemp("lab") / "lab")


def run_js(lab, jobs):
    done = subprocess.run([NODE, str(DRIVER)], input=json.dumps({"lab": str(lab), "jobs": jobs}),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def same_spikes(a, b, tol_s=1e-4):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.size == b.size and (a.size == 0 or float(np.max(np.abs(a - b))) <= tol_s)


@pytest.fixture(scope="module")
def traces(lab):
    jobs = [{"kind": "trace", "settings": {**case, "duration": 3.0, "seed": 1}}
            for case in CASES.values()]
    return dict(zip(CASES, run_js(lab, jobs), strict=True))


@pytest.mark.parametrize("case", list(CASES))
def test_lab_spikes_and_metrics_are_the_fast_engines(traces, case, tmp_path):
    """The page's params.toml, read by habmodel and run on the fast engine, gives the
    lab's spikes (same count, every time within 0.1 ms) and the page's numbers."""
    js = traces[case]
    path = tmp_path / "params.toml"
    path.write_text(js["toml"])
    result = simulate(**read_params(path).simulate_arguments(), progress=False)
    assert result.engine == "fast"
    assert same_spikes(js["spikes_s"], result.spikes_s[0]), (
        f"{case}: lab {len(js['spikes_s'])} spikes, fast engine {len(result.spikes_s[0])}")
    assert js["spikes_s"], f"{case}: no spikes at all: the comparison would be empty"
    m = result.metrics
    assert js["metrics"]["mode"] == m["mode"][0]
    for key in ("rate_hz", "bursts_per_s", "spikes_per_burst", "burst_fraction"):
        want, got = float(m[key][0]), js["metrics"][key]
        assert (got is None and math.isnan(want)) or got == pytest.approx(want, abs=1e-12), key


def test_lab_cases_show_what_the_issue_expects(traces):
    assert traces["depressed"]["metrics"]["mode"] == "burst"
    assert traces["control"]["metrics"]["mode"] == "tonic"
    assert traces["depressed"]["n_samples"] == 30000  # 3 s at 0.1 ms


def test_metrics_js_is_habmodels_burst_criterion(lab):
    rng = np.random.default_rng(7)
    trains = []
    for _ in range(60):
        n = int(rng.integers(0, 40))
        gaps = rng.choice([0.004, 0.015, 0.0199, 0.02, 0.0201, 0.09, 0.1, 0.3], n)
        trains.append(np.round(np.cumsum(gaps) + rng.uniform(0, 0.2), 5).tolist())
    trains += [[], [0.5], [0.1, 0.11], [1.0, 1.02, 1.04]]
    js = run_js(lab, [{"kind": "metrics", "trains": trains, "duration": 3.0}])[0]
    py = population_metrics([np.asarray(t) for t in trains], 3.0)
    for i, row in enumerate(js):
        assert row["mode"] == py["mode"][i]
        assert row["n_spikes"] == py["n_spikes"][i]
        for key in ("rate_hz", "burst_fraction", "bursts_per_s", "spikes_per_burst",
                    "intraburst_hz"):
            want = float(py[key][i])
            assert (row[key] is None and math.isnan(want)) or row[key] == pytest.approx(
                want, rel=1e-12), (i, key)


def test_input_keys_match(lab):
    seeds = [0, 1, 2026, 2**31 - 1, 2**63 - 1]
    jobs = [{"kind": "keys", "seed": str(s), "ids": [0, 1, 5, 1000]} for s in seeds]
    for seed, keys in zip(seeds, run_js(lab, jobs), strict=True):
        assert [int(k) for k in keys] == input_keys(seed, 4, [0, 1, 5, 1000]).tolist()


def test_lab_iv_is_the_steady_state_iv_with_drugs(lab):
    v = np.arange(-110.0, -44.5, 2.5)
    fractions = [0.0, 0.05, 0.15]
    for drugs in ({}, {"ketamine": 1.0}, {"mibefradil": 2.0, "ap5": 10.0}):
        settings = {"condition": "depressed", "K_o": 3.0, "g_NMDA": 1.5, **drugs}
        js = run_js(lab, [{"kind": "iv", "settings": settings, "v_mV": v.tolist(),
                           "open_fractions": fractions}])[0]
        py = steady_state_iv("depressed", fractions, v=v * unit_of("mV"),
                             overrides={"K_o": "3 mM", "g_NMDA": "1.5 mS/cm2"},
                             drugs={k: f"{c} uM" for k, c in drugs.items()})
        for curve in js:
            want = py.loc[py["s"] == curve["s"], "I_pA"].to_numpy()
            np.testing.assert_allclose(curve["I_pA"], want, rtol=1e-9, atol=1e-9)
    # and the drugs change the curve (the comparison above is not of two empty effects)
    off, on = (run_js(lab, [{"kind": "iv", "settings": {"condition": "depressed", **d},
                             "v_mV": [-70.0], "open_fractions": [0.15]}])[0][0]["I_pA"][0]
               for d in ({}, {"ketamine": 10.0}))
    assert abs(on - off) > 1.0


def test_map_population_is_the_fast_engines(lab):
    points = [{"K_o": k, "g_NMDA": g} for k in (2.0, 3.5, 5.0) for g in (0.0, 2.0)]
    js = run_js(lab, [{"kind": "population", "points": points,
                       "settings": {"condition": "control", "duration": 1.0, "seed": 3}}])[0]
    result = simulate("control", n_cells=len(points), duration="1 s", seed=3, progress=False,
                      overrides={"K_o": np.array([p["K_o"] for p in points]) * unit_of("mM"),
                                 "g_NMDA": np.array([p["g_NMDA"] for p in points])
                                 * unit_of("mS/cm2")})
    for i, spikes in enumerate(js["spikes_s"]):
        assert same_spikes(spikes, result.spikes_s[i]), i


def test_url_and_typed_values(lab):
    jobs = [
        {"kind": "query", "search": "?condition=depressed&ketamine=1uM&K_o=2.6mM"},
        {"kind": "query", "search": "?condition=depressed&K_o=2600uM&g_T=2mS/cm2&seed=7"},
        {"kind": "query", "search": "?I_step=-20pA&step_start=1s&step_stop=1500ms"},
        {"kind": "query", "search": "?K_o=99mM"},
        {"kind": "query", "search": "?ketamine=1mV"},
        {"kind": "query", "search": "?condition=sad"},
        {"kind": "query", "search": "?bogus=1"},
        {"kind": "parse", "name": "ketamine", "text": "0.5 µM"},
        {"kind": "parse", "name": "duration", "text": "500 ms"},
        {"kind": "parse", "name": "seed", "text": "1.5"},
        {"kind": "toquery", "settings": {"condition": "depressed", "ketamine": 1.0}},
    ]
    ok, extra, step, big, unit, cond, bogus, ket, dur, seed, query = run_js(lab, jobs)
    assert (ok["condition"], ok["ketamine"], ok["K_o"]) == ("depressed", 1.0, 2.6)
    assert extra["K_o"] == pytest.approx(2.6) and extra["extra"] == {"g_T": 2.0}
    assert extra["seed"] == 7
    assert (step["I_step"], step["step_start"], step["step_ms"]) == (-20.0, 1.0, 500.0)
    assert "[K+]o" in big["error"] and "1.5 to 6 mM" in big["error"]
    assert "ketamine" in unit["error"] and "uM" in unit["error"]
    assert "condition" in cond["error"] and "depressed" in cond["error"]
    assert "bogus" in bogus["error"]
    assert ket == 0.5 and dur == 0.5
    assert "whole number" in seed["error"]
    assert query == "?condition=depressed&ketamine=1uM"


def test_params_toml_written_by_habmodel_loads_into_the_lab(lab, tmp_path):
    from habmodel.io import params_toml

    result = simulate("depressed", drugs={"ketamine": "2 uM"}, duration="2 s", seed=5,
                      overrides={"g_T": "2.5 mS/cm2", "K_o": "2.8 mM"}, progress=False)
    text = params_toml(result, ["simulate"])
    loaded, bad = run_js(lab, [{"kind": "fromtoml", "text": text},
                               {"kind": "fromtoml", "text": text.replace('dt = "0.05 ms"',
                                                                         'dt = "0.025 ms"')}])
    assert (loaded["condition"], loaded["ketamine"], loaded["K_o"], loaded["seed"]) == (
        "depressed", 2.0, 2.8, 5)
    assert loaded["duration"] == 2.0 and loaded["extra"] == {"g_T": 2.5}
    assert "dt" in bad["error"]
    js = run_js(lab, [{"kind": "trace", "settings": loaded}])[0]
    assert same_spikes(js["spikes_s"], result.spikes_s[0])
