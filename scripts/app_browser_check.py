"""Drive the browser lab in headless Chromium: the check of tests/test_app.py, and the
README's screenshot.

    python scripts/app_browser_check.py                       # docs/images/app.png
    python scripts/app_browser_check.py --screenshot shot.png --changes 20

Starts ``habmodel app`` on a free loopback port and, in Debian's Chromium (driven by
Selenium through chromedriver; nothing is downloaded):

1. moves the [K+]o slider to the depressed value (2.6 mM) and reads the firing mode;
2. types ketamine 10 uM and reads the firing mode;
3. types a bad value and reads the message the page shows;
4. times ``--changes`` changes of g_NMDA typed into its field, from the Enter key to the
   page showing the new run (measured in the browser); prints the median;
5. saves a screenshot, then stops the app.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

CHROMIUM = os.environ.get("HABMODEL_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HABMODEL_CHROMEDRIVER", "/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[1]

#: Every element matching a CSS selector, through the shadow roots of Bokeh's components.
_DEEP = """
function deep(root, sel, out) {
  root.querySelectorAll(sel).forEach(e => out.push(e));
  root.querySelectorAll('*').forEach(e => { if (e.shadowRoot) deep(e.shadowRoot, sel, out); });
  return out;
}
"""


def missing() -> str | None:
    """Why the check cannot run here (None if it can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(path)):
            return (f"{path} not found: install Debian's browser with "
                    "'sudo apt-get install chromium chromium-driver' (make browser)")
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(timeout: float = 180.0):
    """``habmodel app`` on a free loopback port; yields its URL, stops it afterwards."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "habmodel", "app", "--port", str(port),
                             "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "HABMODEL_PROGRESS": "0"})
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"habmodel app exited early:\n{proc.stdout.read()}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.2)
        else:
            raise RuntimeError("habmodel app did not start listening in time")
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1600,1000"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


class Page:
    """The lab's page, read and driven through the shadow DOM."""

    def __init__(self, driver):
        self.d = driver

    def all(self, selector: str):
        return self.d.execute_script(_DEEP + "return deep(document, arguments[0], []);",
                                     selector)

    def inner(self, host_class: str, selector: str):
        """The first ``selector`` inside the component whose host has ``host_class``."""
        found = self.d.execute_script(_DEEP + """
            for (const h of deep(document, '.' + arguments[0], [])) {
              const r = deep(h.shadowRoot || h, arguments[1], []);
              if (r.length) return r[0];
            }
            return null;""", host_class, selector)
        if found is None:
            raise LookupError(f"no {selector} in .{host_class}")
        return found

    def attr(self, element_id: str, name: str) -> str:
        return self.d.execute_script(
            _DEEP + "const e = deep(document, '#' + arguments[0], []);"
            "return e.length ? e[0].getAttribute(arguments[1]) : null;", element_id, name)

    def text(self, element_id: str) -> str:
        return self.d.execute_script(
            _DEEP + "return deep(document, '#' + arguments[0], []).map(e => e.textContent)"
            ".join(' ');", element_id) or ""

    def wait_run(self, after: int, timeout: float = 60.0) -> int:
        """Wait for a run numbered above ``after``; return its number."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = int(self.attr("status", "data-run") or 0)
            if run > after:
                return run
            time.sleep(0.02)
        raise TimeoutError(f"no new run after run {after} in {timeout} s")

    def wait_for(self, what: str, count: int, timeout: float = 60.0) -> None:
        """Wait until the I-V curve (``"iv"``) or the map (``"map"``) was shown ``count``
        times."""
        deadline = time.monotonic() + timeout
        while int(self.attr("status", f"data-{what}") or 0) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the {what} was not shown in {timeout} s")
            time.sleep(0.05)

    def type_into(self, name: str, value: str) -> None:
        from selenium.webdriver.common.keys import Keys

        field = self.inner(f"field-{name}", "input")
        field.send_keys(Keys.END, *[Keys.BACKSPACE] * 20, value, Keys.ENTER)

    def drag_slider(self, name: str, value: float, low: float, high: float) -> None:
        """Drag the slider's handle to ``value`` (its range ``low``-``high``)."""
        from selenium.webdriver.common.action_chains import ActionChains

        handle = self.inner(f"slider-{name}", ".noUi-handle")
        track = self.inner(f"slider-{name}", ".noUi-base")
        width = track.size["width"]
        x_now = handle.location["x"] + handle.size["width"] / 2
        x_to = track.location["x"] + (value - low) / (high - low) * width
        ActionChains(self.d).click_and_hold(handle).move_by_offset(round(x_to - x_now), 0) \
            .release().perform()


def check(screenshot: Path, changes: int = 20) -> dict:
    """Run the whole check; return what it read (modes, message, latencies)."""
    from habmodel.app.settings import CONTROLS

    out = {}
    with running_app() as (url, _proc):
        driver = browser()
        try:
            page = Page(driver)
            driver.get(url)
            run = page.wait_run(0, timeout=120)
            page.wait_for("map", 1)  # the page's layout is complete
            out["start_mode"] = page.attr("status", "data-mode")
            k = CONTROLS["K_o"]
            page.drag_slider("K_o", 2.6, k.low, k.high)
            run = page.wait_run(run)
            out["K_o_after_drag"] = float(page.inner("field-K_o", "input").get_attribute("value"))
            out["depressed_mode"] = page.attr("status", "data-mode")
            page.type_into("ketamine", "10")
            run = page.wait_run(run)
            out["ketamine_mode"] = page.attr("status", "data-mode")
            page.type_into("g_NMDA", "lots")
            time.sleep(0.5)
            out["bad_value_message"] = page.text("message")
            page.type_into("ketamine", "0")
            run = page.wait_run(run)
            out["latencies_ms"] = _latencies(page, run, changes)
            out["median_ms"] = statistics.median(out["latencies_ms"]) if changes else None
            page.type_into("g_NMDA", "2.2")
            page.wait_run(run + changes)
            maps = int(page.attr("status", "data-map"))
            page.wait_for("map", maps)
            time.sleep(1.0)  # the I-V curve and the map follow the trace
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(screenshot))
            out["console_errors"] = [e["message"] for e in driver.get_log("browser")
                                     if e.get("level") == "SEVERE"]
        finally:
            driver.quit()
    return out


def _latencies(page: Page, run: int, changes: int) -> list[float]:
    """Milliseconds from the Enter key to the page showing the new run, per change."""
    page.d.execute_script(_DEEP + """
        window.__lab = {t0: null, want: null, times: []};
        const host = deep(document, '.field-g_NMDA', [])[0];
        const input = deep(host.shadowRoot || host, 'input', [])[0];
        input.addEventListener('keydown', e => {
          if (e.key === 'Enter') window.__lab.t0 = performance.now(); }, true);
        const poll = () => {
          const s = deep(document, '#status', [])[0];
          const lab = window.__lab;
          if (s && lab.want !== null && Number(s.getAttribute('data-run')) >= lab.want) {
            lab.times.push(performance.now() - lab.t0); lab.want = null; }
          requestAnimationFrame(poll); };
        requestAnimationFrame(poll);""")
    for k in range(changes):
        page.d.execute_script("window.__lab.want = arguments[0];", run + 1)
        page.type_into("g_NMDA", f"{2.0 + 0.05 * (k % 8):.2f}")
        deadline = time.monotonic() + 60
        while page.d.execute_script("return window.__lab.times.length;") <= k:
            if time.monotonic() > deadline:
                raise TimeoutError(f"change {k + 1}: the page showed no new run in 60 s")
            time.sleep(0.01)
        run = page.wait_run(run)
    return [round(t, 1) for t in page.d.execute_script("return window.__lab.times;")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--screenshot", type=Path, default=ROOT / "docs" / "images" / "app.png")
    parser.add_argument("--changes", type=int, default=20)
    args = parser.parse_args()
    why = missing()
    if why:
        print(f"app_browser_check: {why}", file=sys.stderr)
        return 2
    result = check(args.screenshot, args.changes)
    print(json.dumps(result, indent=1))
    print(f"screenshot: {args.screenshot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
