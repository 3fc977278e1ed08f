"""The browser lab (``habmodel app``): its settings and simulations without a browser, and
the page itself in headless Chromium (scripts/app_browser_check.py).

The browser test is skipped, with the reason, where Debian's chromium and chromium-driver
are not installed (``make browser`` installs them where apt is available).
"""

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from habmodel.app import settings as st

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location("app_browser_check",
                                                  ROOT / "scripts" / "app_browser_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("name", "text", "message"), [
    ("K_o", "abc", "perisomatic [K+]o (mM): cannot read 'abc'"),
    ("K_o", "50", "perisomatic [K+]o (mM): expected 1.5 to 6 mM, got '50'"),
    ("K_o", "2.6 mV", "wrong dimensions"),
    ("ketamine", "-1", "ketamine (uM): expected 0 to 100 uM"),
    ("seed", "1.5", "seed: expected a whole number"),
    ("duration", "", "duration (s): cannot read ''"),
])
def test_bad_values_are_refused_with_the_setting_and_its_unit(name, text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")
                       .replace("[", r"\[").replace("+", r"\+")):
        st.parse_control(name, text)


def test_values_may_carry_units():
    assert st.parse_control("K_o", "2600 uM") == pytest.approx(2.6)
    assert st.parse_control("ketamine", "10 µM") == 10.0
    assert st.parse_control("step_ms", "0.5 s") == 500.0
    assert st.parse_control("seed", "7") == 7


def test_presets_follow_the_conditions():
    assert st.preset("depressed").K_o == pytest.approx(2.6)
    assert st.preset("control").K_o == pytest.approx(5.0)
    with pytest.raises(ValueError, match="condition"):
        st.preset("sad")
    with pytest.raises(ValueError, match="unknown setting"):
        st.Settings().with_(K=1)


@pytest.mark.slow
def test_a_run_reports_bursts_and_ketamine_silences_them(tmp_path):
    depressed = st.simulate_settings(st.preset("depressed"))
    assert depressed.metrics["mode"] == "burst" and depressed.bursts
    assert depressed.v_mV.size == depressed.t_s.size == 30_000  # 3 s at 0.1 ms
    blocked = st.simulate_settings(st.preset("depressed").with_(ketamine=10.0))
    assert blocked.metrics["mode"] == "silent"
    # the downloads: CSV, figure, and a params.toml that repeats the run exactly
    lines = st.trace_csv(depressed).splitlines()
    assert lines[0] == "t_s,v_mV" and len(lines) == 30_001
    assert st.trace_figure(depressed).axes
    path = tmp_path / "params.toml"
    path.write_text(st.settings_toml(depressed), encoding="utf-8")
    out = tmp_path / "again"
    done = subprocess.run([sys.executable, "-m", "habmodel", "simulate", "--params", str(path),
                           "--out", str(out)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    spikes = np.loadtxt(out / "spikes.csv", delimiter=",", skiprows=1, ndmin=2)[:, 1]
    np.testing.assert_allclose(spikes, depressed.spikes_s, rtol=0, atol=1e-9)


@pytest.mark.slow
def test_a_current_step_gives_a_rebound_burst():
    run = st.simulate_settings(st.Settings(I_step=-20.0, step_start=1.0, step_ms=500.0))
    onsets = [run.spikes_s[a] for a, _ in run.bursts]
    assert any(1.5 < t < 1.8 for t in onsets), onsets  # within 300 ms of the release


@pytest.mark.slow
def test_the_map_and_the_iv_curve():
    table = st.mode_map_of(st.preset("depressed"))
    assert len(table) == len(st.MAP_K_O) * len(st.MAP_G)
    assert {"burst", "tonic"} <= set(table["mode"])
    blocked = st.mode_map_of(st.preset("depressed").with_(ketamine=10.0))
    assert (blocked["mode"] == "burst").sum() < (table["mode"] == "burst").sum()
    iv = st.iv_of(st.preset("depressed"))
    assert set(iv["s"]) == {0.0, 0.05, 0.1, 0.15} and iv["v_mV"].max() < -44


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_page_updates_and_shows_bad_values_without_a_browser():
    pn = pytest.importorskip("panel")
    from habmodel.app.page import Lab

    lab = Lab(pn)  # no server: updates are applied at once, from the worker thread
    lab.apply(st.preset("depressed").as_dict())
    deadline = time.monotonic() + 60
    while (lab.run is None or lab.run.settings.K_o != pytest.approx(2.6)) \
            and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lab.run.metrics["mode"] == "burst"
    assert 'data-mode="burst"' in lab.status.object
    lab.fields["K_o"].text.value = "lots"
    assert "perisomatic [K+]o (mM): cannot read 'lots'" in lab.message.object
    assert lab.settings.K_o == pytest.approx(2.6)  # nothing changed, nothing simulated
    lab.fields["ketamine"].text.value = "10"
    deadline = time.monotonic() + 60
    while lab.run.settings.ketamine != 10.0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lab.run.metrics["mode"] == "silent"
    assert lab.fields["ketamine"].slider.value == pytest.approx(1.0)  # log10(10 uM)
    # the downloads: the shown trace, its figure, its settings
    assert lab._csv().getvalue().startswith("t_s,v_mV\n")
    assert lab._figure("png").getvalue()[:4] == b"\x89PNG"
    assert b"<svg" in lab._figure("svg").getvalue()[:2000]
    assert 'ketamine = "10 uM"' in lab._toml().getvalue().replace("'", '"')
    lab.apply({"K_o": 5.0, "ketamine": 0.0})  # presets and the tour set several at once
    deadline = time.monotonic() + 60
    while lab.run.settings.K_o != 5.0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert lab.run.metrics["mode"] == "tonic" and lab.fields["K_o"].text.value == "5"


def test_the_app_command_checks_its_port():
    done = subprocess.run([sys.executable, "-m", "habmodel", "app", "--port", "http"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "--port" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_in_a_real_browser(tmp_path):
    """Headless Chromium: the K+ slider to the depressed value gives bursting, ketamine
    10 uM silences the cell, a bad value gets a visible message; 20 timed changes."""
    script = _script()
    why = script.missing()
    if why:
        pytest.skip(f"no browser for the app test: {why}")
    shot = tmp_path / "app.png"
    result = script.check(shot, changes=20)
    (tmp_path / "app_check.json").write_text(json.dumps(result, indent=1))
    print(f"\napp response per change (ms): median {result['median_ms']:.0f}, "
          f"all {result['latencies_ms']}")
    assert result["start_mode"] == "tonic"
    assert 2.5 <= result["K_o_after_drag"] <= 2.7, result
    assert result["depressed_mode"] == "burst", result
    assert result["ketamine_mode"] == "silent", result
    assert "g_NMDA" in result["bad_value_message"] and "lots" in result["bad_value_message"]
    assert len(result["latencies_ms"]) == 20
    assert result["console_errors"] == []
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:4] == b"\x89PNG"
