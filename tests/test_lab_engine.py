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
import pandas as pd
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


# --- the voltage-clamp mode: vclamp.js on the kernel against habmodel.vclamp ------------------

#: The protocols the lab's clamp is compared on, and the currents compared.
CLAMP_CASES = {"nmda-iv": ["I_NMDA", "I_total"], "t-current": ["I_T", "I_h", "I_total"],
               "ketamine-use": ["I_NMDA", "I_total"]}


def clamp_js(lab, settings=None, columns=None, search=None, csv=False):
    job = {"kind": "vclamp", "columns": columns, "csv": csv}
    job.update({"search": search} if search is not None else {"settings": settings})
    out = run_js(lab, [job])[0]
    assert "error" not in out, out
    return out


def same_currents(js, py, columns):
    """Every sample of every cell: the currents (pA), the command, the times."""
    table = py.currents
    assert len(js["cells"]) * len(js["t_ms"]) == len(table)
    assert [c["arm"] for c in js["cells"]] == list(table["arm"].iloc[::len(js["t_ms"])])
    np.testing.assert_array_equal(np.tile(js["t_ms"], len(js["cells"])), table["t_ms"])
    v = np.concatenate([c["v_mV"] for c in js["cells"]])
    np.testing.assert_allclose(v, table["v_mV"], rtol=0, atol=1e-20)
    for column in columns:
        got = np.concatenate([c[f"{column}_pA"] for c in js["cells"]])
        want = table[f"{column}_pA"].to_numpy()
        # the same kernel source (native vs WebAssembly exp: ulps), currents of up to 20 nA
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-8, err_msg=column)
    # not a comparison of two empty currents
    assert np.ptp(table[f"{columns[0]}_pA"]) > 1.0, columns[0]


@pytest.fixture(scope="module")
def clamps(lab):
    jobs = [{"kind": "vclamp", "settings": {"protocol": name}, "columns": columns}
            for name, columns in CLAMP_CASES.items()]
    return dict(zip(CLAMP_CASES, run_js(lab, jobs), strict=True))


@pytest.mark.parametrize("protocol", list(CLAMP_CASES))
def test_lab_clamp_currents_are_habmodel_vclamps(clamps, protocol):
    """The lab's clamp (vclamp.js on the WebAssembly kernel, the protocol's own settings)
    records habmodel.vclamp's currents, sample for sample, and its I-V table."""
    from habmodel.experiments import vclamp_protocol

    js = clamps[protocol]
    assert "error" not in js, js
    py = vclamp_protocol(protocol, progress=False)
    same_currents(js, py, CLAMP_CASES[protocol])
    focus = py.focus
    iv = pd.DataFrame(js["iv"])
    assert list(iv.columns) == list(py.iv.columns)
    assert iv["arm"].tolist() == py.iv["arm"].tolist()
    for kind in ("peak", "steady", "tail"):
        np.testing.assert_allclose(iv[f"{focus}_{kind}_pA"], py.iv[f"{focus}_{kind}_pA"],
                                   rtol=1e-9, atol=1e-8)
    assert js["run"]["ketamine_model"] == py.settings["ketamine_model"]
    assert js["command"] == f"habmodel vclamp --protocol {protocol} --out vclamp"


def test_lab_nmda_clamp_iv_has_a_negative_slope_in_mg_and_none_without(clamps):
    iv = pd.DataFrame(clamps["nmda-iv"]["iv"]).pivot(index="step_mV", columns="arm",
                                                      values="I_NMDA_steady_pA")
    slope = iv.diff().iloc[1:] / 10.0
    between = slope.index[(slope.index > -70) & (slope.index <= -30)]
    assert (slope.loc[between, "1 mM Mg2+"] < 0).all()
    assert (slope["0 Mg2+"] > 0).all()
    ratio = (iv["1 mM Mg2+ + ketamine 1 uM"] / iv["1 mM Mg2+"]).drop(index=0.0)
    np.testing.assert_allclose(ratio, 0.5, rtol=1e-9)  # 1 uM = the IC50: half the current


def test_lab_t_current_and_use_dependent_block(clamps):
    peak = pd.DataFrame(clamps["t-current"]["iv"]).query("step_mV == -50").set_index("arm")
    peak = peak["I_T_peak_pA"]
    assert peak["from -100 mV"] < 3 * peak["from -60 mV"] < 0
    iv = pd.DataFrame(clamps["ketamine-use"]["iv"]).pivot(index="repeat", columns="arm",
                                                          values="I_NMDA_peak_pA")
    block = (1 - iv["ketamine 10 uM"] / iv["no drug"]).to_numpy()
    assert block[0] < 0.05 and np.all(np.diff(block) > 0.005) and block[-1] > 0.2


def test_lab_custom_clamp_and_its_csv_and_command_repeat_habmodel(lab, tmp_path, run_cli):
    """Your own protocol (hold, steps, tail, drugs, a parameter): the same run as
    habmodel.vclamp; currents.csv has habmodel's columns and values; the command the page
    shows writes the same currents.csv."""
    import shlex

    import habmodel
    from habmodel.experiments import clamp_iv

    settings = {"protocol": "custom", "condition": "depressed", "hold": "-90 mV",
                "steps": "-60, -40mV", "duration": "50", "tail": "-70mV",
                "tail_duration": "20 ms", "pre": "10ms", "mibefradil": "0.25 uM",
                "g_T": "2.5 mS/cm2"}
    js = clamp_js(lab, settings, csv=True)
    py = habmodel.vclamp("depressed", hold="-90 mV", steps=["-60 mV", "-40 mV"],
                         duration="50 ms", tail="-70 mV", tail_duration="20 ms", pre="10 ms",
                         drugs={"mibefradil": "0.25 uM"}, overrides={"g_T": "2.5 mS/cm2"},
                         progress=False)
    same_currents(js, py, js["names"])
    csv = tmp_path / "lab.csv"
    csv.write_text(js["csv"])
    table = pd.read_csv(csv)
    want = py.currents
    assert list(table.columns) == list(want.columns)
    assert (table["arm"] == want["arm"]).all() and (table["segment"] == want["segment"]).all()
    numbers = [c for c in want.columns if c not in ("arm", "segment")]
    np.testing.assert_allclose(table[numbers], want[numbers], rtol=1e-8, atol=1e-8)
    pd.testing.assert_frame_equal(clamp_iv(table), py.iv, rtol=1e-7, atol=1e-8,
                                  check_dtype=False)
    # the page's command
    argv = shlex.split(js["command"])
    assert argv[:2] == ["habmodel", "vclamp"] and argv[-2:] == ["--out", "vclamp"]
    status, _, err = run_cli([*argv[1:-1], str(tmp_path / "run")])
    assert status == 0, err
    cli = pd.read_csv(tmp_path / "run" / "currents.csv")
    np.testing.assert_allclose(table[numbers], cli[numbers], rtol=1e-7, atol=1e-7)


def test_clamp_settings_round_trip_through_the_address(lab):
    cases = [
        "?mode=vclamp&protocol=nmda_iv&ketamine=1uM",
        "?mode=vclamp&protocol=nmda-iv&condition=depressed&ketamine=3uM&s=0.2&current=I_total",
        "?mode=vclamp&protocol=t-current&steps=-50mV&duration=50ms&mibefradil=0.5uM",
        "?mode=vclamp&protocol=custom&hold=-80mV&steps=-100,-60,-20mV&tail=-50mV"
        "&tail_duration=30ms&pre=20ms&duration=150ms&g_h=0.1mS/cm2&s=0.05",
        "?mode=vclamp&protocol=ketamine-use&ketamine=30uM&steps=-20mV",
        "?mode=vclamp",
    ]
    first = run_js(lab, [{"kind": "clampquery", "search": q} for q in cases])
    again = run_js(lab, [{"kind": "clamptoquery", "settings": s} for s in first])
    back = run_js(lab, [{"kind": "clampquery", "search": q} for q in again])
    for query, s, q2, s2 in zip(cases, first, again, back, strict=True):
        assert "error" not in s, (query, s)
        assert s2 == s, (query, q2)
    nmda, nmda2, t_current, custom, use, default = first
    assert (nmda["protocol"], nmda["ketamine"], nmda["current"]) == ("nmda-iv", 1.0, "I_NMDA")
    assert again[0] == "?mode=vclamp&protocol=nmda-iv&condition=control"  # all the preset
    assert (nmda2["condition"], nmda2["ketamine"], nmda2["s"]) == ("depressed", 3.0, 0.2)
    assert t_current["steps"] == [-50.0] and t_current["duration"] == 50.0
    assert custom["steps"] == [-100.0, -60.0, -20.0] and custom["extra"] == {"g_h": 0.1}
    assert (custom["hold"], custom["tail"], custom["tail_duration"]) == (-80.0, -50.0, 30.0)
    assert use["ketamine"] == 30.0 and default["protocol"] == "nmda-iv"
    assert "steps=-100,-60,-20mV" in again[3]


@pytest.mark.parametrize("query, needles", [
    ("?mode=vclamp&protocol=custom&steps=-200mV", ["step potentials", "-150 to 100 mV"]),
    ("?mode=vclamp&protocol=custom&steps=-50,abc", ["step potentials", "abc"]),
    ("?mode=vclamp&protocol=custom&steps=-50,-50mV", ["each potential once"]),
    ("?mode=vclamp&protocol=custom&duration=lots", ["step length", "lots"]),
    ("?mode=vclamp&protocol=custom&duration=1h", ["step length", "ms"]),
    ("?mode=vclamp&protocol=custom&hold=20ms", ["holding potential", "mV"]),
    ("?mode=vclamp&protocol=custom&duration=0ms", ["step length", "0.05 to 10000 ms"]),
    ("?mode=vclamp&protocol=custom&pre=20s", ["recorded time", "10000 ms"]),
    ("?mode=vclamp&protocol=nmda-iv&hold=-60mV", ["hold", "nmda-iv", "custom"]),
    ("?mode=vclamp&protocol=t-current&s=0.1", ["NMDA open fraction"]),
    ("?mode=vclamp&protocol=nmda-iv&Mg_o=0mM", ["Mg_o", "sets it itself"]),
    ("?mode=vclamp&protocol=sodium", ["protocol", "nmda-iv", "custom"]),
    ("?mode=vclamp&ketamine=-1uM", ["ketamine"]),
    ("?mode=vclamp&current=I_X", ["current", "I_NMDA"]),
    ("?mode=vclamp&bogus=1", ["bogus"]),
    ("?mode=voltage", ["mode", "vclamp"]),
])
def test_bad_clamp_settings_get_a_message_naming_them(lab, query, needles):
    out = run_js(lab, [{"kind": "query", "search": query}])[0]
    assert out.get("type") == "InputError", out
    for needle in needles:
        assert needle in out["error"], (needle, out["error"])


def test_a_lab_with_a_users_part_clamps_its_current(tmp_path):
    """habmodel lab --part: both kernels are compiled with the part (the trapping one for the
    use-dependence protocol), and the clamp records the part's current as habmodel does."""
    from pathlib import Path

    import habmodel
    from habmodel.engines import wasm
    from habmodel.lab import build_lab
    from habmodel.model.cell import Cell, load_parts

    try:
        wasm.toolchain()
    except wasm.WasmToolchainError as err:
        pytest.skip(str(err))
    parts = load_parts(Path(__file__).resolve().parents[1] / "examples" / "a_type_potassium.py")
    own = build_lab(tmp_path / "lab", parts)
    model = json.loads((own / "model.json").read_text())
    for kernel in (model["kernel"], model["kernels"]["trapping"]):
        assert "I_A" in kernel["currents"], kernel["file"]
    js = clamp_js(own, {"protocol": "custom", "steps": "-60,-30mV", "duration": "30ms"},
                  columns=["I_A", "I_total"])
    py = habmodel.vclamp("control", hold="-70 mV", steps=["-60 mV", "-30 mV"], duration="30 ms",
                         cell=Cell(extra=parts), progress=False)
    same_currents(js, py, ["I_A", "I_total"])
