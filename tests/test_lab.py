"""The static lab in real headless Chromium (Debian's chromium + chromium-driver).

The lab folder is built by ``habmodel.lab.build_lab`` and served by ``python -m
http.server``. Chromium resolves no host but 127.0.0.1. Checked: the page's spikes and
numbers are the fast engine's, the URL opens the view it names, bad values get a message
and never a console error, nothing is requested from another host, the downloads repeat
the run, the layout fits a phone and a projector, and the sliders work from the keyboard;
and the voltage-clamp mode (?mode=vclamp) opens from its address, plots, refuses bad values
with a message, and its currents.csv is habmodel.vclamp's.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import lab_browser  # noqa: E402

from habmodel.paramfile import read_params  # noqa: E402
from habmodel.simulation import simulate  # noqa: E402

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(lab_browser.missing() is not None,
                                 reason=str(lab_browser.missing()))]


@pytest.fixture(scope="module")
def base():
    with lab_browser.built_lab() as folder, lab_browser.served(folder) as url:
        yield url


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def lab(base, downloads):
    driver = lab_browser.chromium(downloads=str(downloads))
    page = lab_browser.Lab(driver, base)
    try:
        yield page
        page.logs()
        hosts = {urlsplit(u).netloc for u in page.requests if u.startswith("http")}
        assert hosts <= {urlsplit(base).netloc}, f"requests to other hosts: {hosts}"
        assert not page.errors(), f"browser console errors: {page.errors()}"
    finally:
        driver.quit()


def python_arguments(settings: dict) -> dict:
    """habmodel.simulate's arguments for the lab's settings (as the page's params.toml)."""
    overrides = {"K_o": f"{settings['K_o']} mM", "g_NMDA": f"{settings['g_NMDA']} mS/cm2",
                 "nu_glu": f"{settings['nu_glu']} Hz", "I_hold": f"{settings['I_hold']} pA"}
    if settings["I_step"] != 0 and settings["step_ms"] > 0:
        start_ms = settings["step_start"] * 1e3
        stop_ms = (settings["step_start"] + settings["step_ms"] / 1e3) * 1e3
        overrides.update(I_step=f"{settings['I_step']} pA", step_start=f"{start_ms!r} ms",
                         step_stop=f"{stop_ms!r} ms")
    drugs = {d: f"{settings[d]} uM" for d in ("ketamine", "ap5", "mibefradil") if settings[d] > 0}
    return dict(condition=settings["condition"], drugs=drugs, overrides=overrides,
                duration=f"{settings['duration']} s", seed=settings["seed"], progress=False)


@pytest.mark.parametrize("query", [
    "?condition=control",
    "?condition=depressed",
    "?condition=depressed&ketamine=1uM",
    "?condition=control&I_step=-20pA&step_start=1s&step_stop=1500ms",
])
def test_lab_spikes_are_the_fast_engines(lab, query):
    lab.open(query)
    trace = lab.hooks("lastTrace")
    result = simulate(**python_arguments(trace["settings"]))
    want = result.spikes_s[0]
    got = np.asarray(trace["spikes_s"], float)
    assert got.size == want.size and got.size > 0, (query, got.size, want.size)
    assert float(np.max(np.abs(got - want))) <= 1e-4
    m = result.metrics
    assert lab.text("#mode") == m["mode"][0] == trace["metrics"]["mode"]
    for key in ("rate_hz", "bursts_per_s", "spikes_per_burst"):
        want_value, got_value = float(m[key][0]), trace["metrics"][key]
        if np.isnan(want_value):
            assert got_value is None
        else:
            assert got_value == pytest.approx(want_value, abs=1e-9), key
    shown_rate = float(lab.text("#rate").split()[0])
    assert shown_rate == pytest.approx(float(m["rate_hz"][0]), abs=0.06)


def test_url_opens_the_view_it_names(lab):
    lab.open("?condition=depressed")
    assert lab.text("#mode") == "burst"
    lab.open("?condition=depressed&ketamine=10uM")
    assert lab.text("#mode") == "silent"
    assert lab.hooks("settings()")["ketamine"] == 10.0


def test_bad_values_get_a_message_naming_the_setting(lab):
    lab.open("?condition=depressed&K_o=99mM")
    message = lab.text("#message")
    assert "[K+]o" in message and "6 mM" in message, message
    lab.open("?condition=depressed")
    runs = lab.count()
    lab.type("ketamine", "1 mV")
    lab.wait(lambda: "ketamine" in (lab.text("#message") or ""), 10, "the message")
    assert "uM" in lab.text("#message")
    lab.type("g_NMDA", "lots")
    lab.wait(lambda: "g_NMDA" in (lab.text("#message") or ""), 10, "the message")
    time.sleep(0.3)
    assert lab.count() == runs, "a refused value must not simulate"
    lab.type("g_NMDA", "1.5")
    lab.wait(lambda: lab.count() > runs, 30, "the next trace")
    assert not lab.text("#message")


def test_the_address_follows_the_settings(lab):
    lab.open("?condition=depressed")
    lab.apply({"ketamine": 1.0})
    assert "ketamine=1uM" in lab.d.current_url and "condition=depressed" in lab.d.current_url


def test_params_toml_download_repeats_the_trace(lab, downloads):
    from selenium.webdriver.common.by import By

    lab.open("?condition=depressed&ketamine=0.5uM&seed=4")
    trace = lab.hooks("lastTrace")
    target = downloads / "params.toml"
    target.unlink(missing_ok=True)
    lab.d.find_element(By.ID, "download-toml").click()
    lab.wait(target.exists, 10, "the download")
    time.sleep(0.2)
    result = simulate(**read_params(target).simulate_arguments(), progress=False)
    assert np.array_equal(np.round(result.spikes_s[0], 6), np.round(trace["spikes_s"], 6))
    csv = downloads / "habmodel_trace.csv"
    csv.unlink(missing_ok=True)
    lab.d.find_element(By.ID, "download-csv").click()
    lab.wait(csv.exists, 10, "the CSV download")
    time.sleep(0.2)
    table = np.loadtxt(csv, delimiter=",", skiprows=1)
    assert table.shape == (30000, 2) and table[1, 0] == pytest.approx(1e-4)


def test_map_and_iv_are_drawn(lab):
    lab.open("?condition=depressed")
    lab.wait(lambda: lab.count("maps") >= 1, 60, "the firing-mode map")
    mapped = lab.hooks("lastMap")
    assert len(mapped["modes"]) >= 120
    assert {"silent", "tonic", "burst"} <= set(mapped["modes"])
    iv = lab.hooks("lastIV")
    assert len(iv["curves"]) == 4


def test_keyboard_moves_a_slider(lab):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    lab.open("?condition=control")
    before, runs = lab.hooks("settings()")["K_o"], lab.count()
    lab.d.find_element(By.ID, "slider-K_o").send_keys(Keys.ARROW_LEFT)
    lab.wait(lambda: lab.count() > runs, 30, "a trace after the key press")
    assert lab.hooks("settings()")["K_o"] < before


@pytest.mark.parametrize("size, query", [((390, 844), "?condition=depressed"),
                                         ((1920, 1080), "?condition=depressed"),
                                         ((390, 844), "?mode=vclamp&protocol=t-current")])
def test_layout_fits_phone_and_projector(base, size, query, tmp_path):
    driver = lab_browser.chromium(*size)
    try:
        page = lab_browser.Lab(driver, base)
        page.open(query)
        width = page.js("return document.documentElement.scrollWidth")
        inner = page.js("return window.innerWidth")
        assert width <= inner, f"horizontal scroll at {size}: {width} > {inner}"
        driver.save_screenshot(str(tmp_path / f"lab_{size[0]}.png"))
        assert not page.errors()
    finally:
        driver.quit()


# --- the voltage-clamp mode ---------------------------------------------------------------------

def test_vclamp_mode_opens_from_the_address_and_plots(lab):
    """?mode=vclamp: the clamp runs, both figures are drawn, the address is the canonical
    one, and the I-V is habmodel's."""
    from habmodel.experiments import vclamp_protocol

    lab.open("?mode=vclamp&protocol=nmda_iv&ketamine=1uM")
    assert lab.js("return document.body.classList.contains('vclamp-mode')")
    clamp = lab.hooks("lastClamp")
    assert clamp["settings"]["protocol"] == "nmda-iv" and clamp["n_cells"] == 45
    for figure in ("vc-traces", "vc-iv"):
        assert lab.js(f"return document.getElementById('{figure}').data.length") > 0, figure
    assert "mode=vclamp&protocol=nmda-iv" in lab.d.current_url
    assert lab.text("#vc-command") == "habmodel vclamp --protocol nmda-iv --out vclamp"
    py = vclamp_protocol("nmda-iv", progress=False).iv
    got = np.array([row["I_NMDA_steady_pA"] for row in clamp["iv"]])
    np.testing.assert_allclose(got, py["I_NMDA_steady_pA"], rtol=1e-9, atol=1e-8)
    assert not lab.text("#message")


def test_vclamp_csv_download_repeats_the_run(lab, downloads):
    from selenium.webdriver.common.by import By

    from habmodel.experiments import vclamp_protocol

    lab.open("?mode=vclamp&protocol=t-current&steps=-70,-50mV&duration=50ms")
    target = downloads / "currents.csv"
    target.unlink(missing_ok=True)
    lab.d.find_element(By.ID, "vc-download-csv").click()
    lab.wait(target.exists, 10, "the currents download")
    time.sleep(0.3)
    table = pd.read_csv(target)
    py = vclamp_protocol("t-current", steps=["-70 mV", "-50 mV"], duration="50 ms",
                         progress=False).currents
    assert list(table.columns) == list(py.columns)
    assert (table["arm"] == py["arm"]).all() and (table["segment"] == py["segment"]).all()
    numbers = [c for c in py.columns if c not in ("arm", "segment")]
    np.testing.assert_allclose(table[numbers], py[numbers], rtol=1e-8, atol=1e-8)


def test_vclamp_bad_values_get_a_message_and_modes_switch(lab):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    lab.open("?mode=vclamp&protocol=custom&steps=-200mV")
    assert "step potentials" in lab.text("#message") and "-150 to 100 mV" in lab.text("#message")
    runs = lab.count("clamps")
    for field, text, needle in (("vc-steps", "-50, lots", "lots"),
                                ("vc-duration", "1 h", "step length")):
        box = lab.d.find_element(By.ID, field)
        box.clear()
        box.send_keys(text + Keys.ENTER)
        lab.wait(lambda needle=needle: needle in (lab.text("#message") or ""), 10, "the message")
        assert box.get_attribute("aria-invalid") == "true"
    time.sleep(0.3)
    assert lab.count("clamps") == runs, "a refused value must not clamp"
    lab.apply({"steps": "-90,-50mV", "ketamine": "2 uM"}, what="clamps")
    assert "steps=-90,-50mV" in lab.d.current_url and "ketamine=2uM" in lab.d.current_url
    assert not lab.text("#message")
    assert lab.js("return document.getElementById('vc-hold').disabled") is False
    lab.apply({"protocol": "t-current"}, what="clamps")
    assert lab.js("return document.getElementById('vc-hold').disabled") is True
    # to the current clamp and back: a trace, and the address of each mode
    traces = lab.count()
    lab.d.find_element(By.ID, "mode-cclamp").click()
    lab.wait(lambda: lab.count() > traces, 30, "a trace in the current clamp")
    lab.wait(lambda: "mode=vclamp" not in lab.d.current_url, 5, "the address")
    lab.d.find_element(By.ID, "mode-vclamp").click()
    lab.wait(lambda: "protocol=t-current" in lab.d.current_url, 5, "the clamp's address")
