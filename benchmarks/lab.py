"""Speed of the static lab in headless Chromium, on this machine.

    python benchmarks/lab.py               # 20 changes, 3 map runs
    python benchmarks/lab.py --changes 50

Builds the lab folder, serves it with ``python -m http.server`` and drives Debian's
Chromium (scripts/lab_browser.py). Prints the CPU, then:

1. the first trace after a cold page load (new browser profile: nothing cached), from
   navigation start to the trace drawn, and everything the page transferred;
2. the response per change: a new g_NMDA typed into its field, from the Enter key to the
   new trace drawn (measured in the page), 3 s traces: median and 95th percentile;
3. the firing-mode map (12 x 10 points, 2 s each, in the map workers), from the change to
   the map drawn;
4. the WebAssembly kernel alone against the native kernel: one cell, 3.5 s (the trace's
   warm-up and record), timed in the page's worker and by ``habmodel.simulate``.

Targets of the lab issue: median <= 100 ms and p95 <= 200 ms per change, first trace
<= 1.5 s, <= 2 MB transferred, map <= 2 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import lab_browser  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from engine import machine  # noqa: E402


def transferred(driver) -> int:
    """Bytes received, from the network log (every request of the page and its workers)."""
    total = 0
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.loadingFinished":
            total += int(message["params"].get("encodedDataLength", 0))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--maps", type=int, default=3)
    args = parser.parse_args()
    why = lab_browser.missing()
    if why:
        print(f"benchmarks/lab.py: {why}", file=sys.stderr)
        return 2
    print(f"machine: {machine()}")
    with lab_browser.built_lab() as folder, lab_browser.served(folder) as base:
        files = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        driver = lab_browser.chromium()
        try:
            lab = lab_browser.Lab(driver, base)
            start = time.perf_counter()
            lab.open("?condition=depressed")
            wall = time.perf_counter() - start
            first = lab.js("const t = window.habmodelLab.timings[0]; return t.drawn;")
            moved = transferred(driver)
            print(f"first trace after a cold load: {first:.0f} ms in the page "
                  f"({wall * 1e3:.0f} ms wall, browser start excluded); transferred "
                  f"{moved / 1e6:.2f} MB (the folder: {files / 1e6:.2f} MB)")
            lab.wait(lambda: lab.count("maps") >= 1, 60, "the first map")
            times, sims = [], []
            for k in range(args.changes):
                before = lab.count()
                lab.type("g_NMDA", f"{2.0 + 0.01 * (k + 1):.2f}")
                lab.wait(lambda before=before: lab.count() > before, 30, "a trace")
                t = lab.js("const t = window.habmodelLab.timings; return t[t.length - 1];")
                times.append(t["drawn"] - t["sent"])
                sims.append(lab.hooks("lastTrace")["elapsed_ms"])
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            print(f"response per change ({args.changes} changes, 3 s trace): median "
                  f"{statistics.median(times):.0f} ms, p95 {p95:.0f} ms "
                  f"(the simulation alone: median {statistics.median(sims):.0f} ms)")
            maps = []
            for k in range(args.maps):
                before = lab.count("maps")
                start = time.perf_counter()
                lab.js("window.habmodelLab.apply(arguments[0]);", {"nu_glu": 110.0 + 5 * k})
                lab.wait(lambda before=before: lab.count("maps") > before, 60, "a map")
                maps.append(time.perf_counter() - start)
            n = len(lab.hooks("lastMap")["modes"])
            print(f"firing-mode map ({n} points x 2 s): median {statistics.median(maps):.2f} s "
                  f"(of {args.maps})")
            assert not lab.errors(), lab.errors()
        finally:
            driver.quit()
    from habmodel import simulate

    simulate("depressed", duration="0.1 s", progress=False)
    best = min(_timed(lambda: simulate("depressed", duration="3 s", seed=1, progress=False))
               for _ in range(5))
    wasm = statistics.median(sims)
    print(f"one cell, 3.5 s simulated: WebAssembly in Chromium {wasm:.0f} ms, native fast "
          f"engine {best * 1e3:.0f} ms (whole simulate call): {wasm / (best * 1e3):.1f}x")
    return 0


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    sys.exit(main())
