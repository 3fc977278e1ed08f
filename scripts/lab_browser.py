"""Drive the static lab in headless Chromium: shared by tests/test_lab.py, the lab's
benchmark (benchmarks/lab.py) and the screenshots of the docs.

    python scripts/lab_browser.py                 # docs/images/lab.png, lab_phone.png, ...
    python scripts/lab_browser.py lab_vclamp.png  # one of them

Debian's Chromium and ChromeDriver, driven by Selenium (nothing is downloaded). The lab
folder is written by ``habmodel.lab.build_lab`` and served by ``python -m http.server``,
exactly as an educator would serve it; Chromium resolves no host name but this one, so
any request to another host would fail loudly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = os.environ.get("HABMODEL_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HABMODEL_CHROMEDRIVER", "/usr/bin/chromedriver")
ROOT = Path(__file__).resolve().parents[1]


def missing() -> str | None:
    """Why the browser cannot run here (None if it can)."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    for path in (CHROMIUM, CHROMEDRIVER):
        if not (Path(path).exists() or shutil.which(path)):
            return (f"{path} not found: Debian's browser is needed ('apt-get install chromium "
                    "chromium-driver' as root; make test does it)")
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited early:\n{proc.stdout.read()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(0.1)
    raise RuntimeError("the server did not start listening in time")


@contextlib.contextmanager
def served(folder) -> str:
    """``python -m http.server`` on ``folder`` at a free loopback port; yields the base URL."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                             "127.0.0.1", "--directory", str(folder)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_listening(port, proc)
        yield f"http://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@contextlib.contextmanager
def built_lab():
    """A freshly built lab folder (removed afterwards)."""
    from habmodel.lab import build_lab

    with tempfile.TemporaryDirectory(prefix="habmodel-lab-") as tmp:
        yield build_lab(Path(tmp) / "lab")


def chromium(width: int = 1400, height: int = 900, downloads: str | None = None):
    """Headless Chromium with the browser console and the network log recorded."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                 f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    if downloads:
        options.add_experimental_option("prefs", {"download.default_directory": downloads,
                                                  "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    if downloads:
        driver.execute_cdp_cmd("Page.setDownloadBehavior",
                               {"behavior": "allow", "downloadPath": downloads})
    return driver


class Lab:
    """The lab's page in a driver: open it, wait for its runs, read its test hooks."""

    def __init__(self, driver, base: str):
        self.d, self.base = driver, base
        self.console: list[dict] = []
        self.requests: list[str] = []

    def open(self, query: str = "", timeout: float = 60.0) -> None:
        self.d.get(self.base + "index.html" + query)
        self.wait(lambda: self.d.execute_script("return document.body.dataset.ready") == "1",
                  timeout, "the first trace")

    def wait(self, condition, timeout: float = 30.0, what: str = "the page") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.02)
        self.logs()
        raise TimeoutError(f"waited {timeout:g} s for {what}; console: {self.console[-5:]}")

    def js(self, script: str, *args):
        return self.d.execute_script(script, *args)

    def hooks(self, name: str):
        return self.js(f"return window.habmodelLab.{name};")

    def count(self, what: str = "traces") -> int:
        return int(self.js(f"return document.body.dataset.{what} || '0'"))

    def text(self, selector: str) -> str:
        return self.js("const e = document.querySelector(arguments[0]); "
                       "return e ? e.textContent.trim() : null;", selector)

    def apply(self, changes: dict, what: str = "traces", timeout: float = 30.0) -> None:
        """Apply settings as if typed and wait for the new trace (or map)."""
        before = self.count(what)
        self.js("window.habmodelLab.apply(arguments[0]);", changes)
        self.wait(lambda: self.count(what) > before, timeout, f"a new {what[:-1]}")

    def type(self, name: str, text: str) -> None:
        """Type ``text`` into a setting's field and press Enter."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        field = self.d.find_element(By.ID, f"field-{name}")
        field.clear()
        field.send_keys(text + Keys.ENTER)

    def logs(self) -> None:
        """Collect the browser console and the network requests since the last call."""
        self.console += self.d.get_log("browser")
        for entry in self.d.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message.get("method") == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])

    def errors(self) -> list[dict]:
        self.logs()
        return [e for e in self.console if e.get("level") in ("SEVERE", "ERROR")]


#: The docs' screenshots: file, window size, the page's address.
SHOTS = (("lab.png", (1600, 1000), "?condition=depressed"),
         ("lab_phone.png", (390, 844), "?condition=depressed"),
         ("lab_vclamp.png", (1600, 1000), "?mode=vclamp&protocol=nmda-iv"))


def screenshots(out: Path = ROOT / "docs" / "images", only=None) -> list[Path]:
    """The docs' screenshots: the lab on a laptop (depressed cell + the tour), on a phone,
    and its voltage clamp (``only``: some of the file names)."""
    saved = []
    with built_lab() as folder, served(folder) as base:
        for name, size, query in SHOTS:
            if only and name not in only:
                continue
            driver = chromium(*size)
            try:
                lab = Lab(driver, base)
                lab.open(query)
                if "mode=vclamp" not in query:
                    lab.wait(lambda lab=lab: lab.count("maps") >= 1, 60, "the map")
                path = out / name
                driver.save_screenshot(str(path))
                saved.append(path)
            finally:
                driver.quit()
    return saved


if __name__ == "__main__":
    why = missing()
    if why:
        sys.exit(f"lab_browser: {why}")
    for path in screenshots(only=sys.argv[1:]):
        print(path)
