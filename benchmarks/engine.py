"""Speed of the fast engine against Brian2's Cython runtime, measured in one run.

    python benchmarks/engine.py            # the four workloads of docs/performance.md
    python benchmarks/engine.py --quick    # shorter runs (same ratios, less precise)

Workloads (every one on the same model, both engines, in this process):

(a) 1 cell x 10 s (warm: kernels and Cython code compiled), and the whole
    ``habmodel simulate`` command for it;
(b) 1000 cells x 2 s;
(c) a 10-dose x 50-cell ketamine dose series (one run of 500 cells, 5 s);
(d) a cold first ``habmodel simulate`` (1 cell x 1 s) with an empty kernel cache,
    and Brian2's runtime with an empty Cython cache, each in a new process.

For each it prints the wall time, ns per cell per 0.025 ms of simulated time
(the unit of docs/performance.md's NEURON figures) and the ratio runtime/fast.
It also checks that changing parameters rebuilds nothing.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
from brian2 import second, uM

import habmodel
from habmodel import engine


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores, Python {platform.python_version()}, {platform.system()}"


def ns_per_cell(wall_s: float, n_cells: int, sim_s: float) -> float:
    return wall_s / (n_cells * sim_s / 25e-6) * 1e9


def timed(**kwargs) -> float:
    start = time.perf_counter()
    habmodel.simulate(progress=False, **kwargs)
    return time.perf_counter() - start


def workload(name: str, sim_s: float, n_cells: int, **kwargs) -> dict:
    """Both engines on one workload (each warmed up first on a tiny run)."""
    for eng in ("fast", "runtime"):
        habmodel.simulate(n_cells=1, duration=0.01 * second, engine=eng, progress=False)
    fast = timed(n_cells=n_cells, duration=sim_s * second, warmup=0 * second, **kwargs)
    runtime = timed(n_cells=n_cells, duration=sim_s * second, warmup=0 * second,
                    engine="runtime", **kwargs)
    row = {"workload": name, "fast_s": fast, "runtime_s": runtime,
           "fast_ns": ns_per_cell(fast, n_cells, sim_s),
           "runtime_ns": ns_per_cell(runtime, n_cells, sim_s), "ratio": runtime / fast}
    print(f"{name:32s} fast {fast:8.3f} s ({row['fast_ns']:6.1f} ns/cell/0.025ms)   "
          f"runtime {runtime:8.2f} s ({row['runtime_ns']:6.1f})   ratio {row['ratio']:6.1f}x",
          flush=True)
    return row


def command(args, env=None) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    args = parser.parse_args(argv)
    scale = 0.2 if args.quick else 1.0
    print(f"machine: {machine()}")
    print(f"habmodel {habmodel.__version__}, fast engine threads for 1000 cells: "
          f"{engine.default_threads(1000)}\n", flush=True)

    rows = [workload("(a) 1 cell x 10 s", 10 * scale, 1, condition="depressed")]
    with tempfile.TemporaryDirectory() as tmp:
        cli = [sys.executable, "-m", "habmodel", "simulate", "--cells", "1", "--duration",
               f"{10 * scale:g}s", "--quiet"]
        fast_cli = command([*cli, "--out", f"{tmp}/fast"])
        runtime_cli = command([*cli, "--engine", "runtime", "--out", f"{tmp}/runtime"])
    print(f"{'(a) habmodel simulate command':32s} fast {fast_cli:8.3f} s"
          f"{'':30s}runtime {runtime_cli:8.2f} s   ratio {runtime_cli / fast_cli:6.1f}x")
    rows.append(workload("(b) 1000 cells x 2 s", 2 * scale, 1000, condition="depressed"))
    doses = np.repeat([0, 0.1, 0.3, 0.5, 1, 2, 3, 5, 10, 30], 50) * uM
    rows.append(workload("(c) 10 doses x 50 cells x 5 s", 5 * scale, 500,
                         condition="depressed", drugs={"ketamine": doses}))

    before = engine.build_count()
    habmodel.simulate("control", n_cells=7, duration=0.1 * second, seed=3, progress=False,
                      drugs={"ketamine": 2 * uM}, overrides={"nu_glu": "90 Hz"})
    print(f"\nkernels built by a parameter-only change: {engine.build_count() - before}")

    with tempfile.TemporaryDirectory() as tmp:
        cold = [sys.executable, "-m", "habmodel", "simulate", "--cells", "1", "--duration",
                "1s", "--quiet"]
        fast_cold = command([*cold, "--out", f"{tmp}/fast"], {"HABMODEL_CACHE_DIR": tmp})
        code = ("import brian2, habmodel; "
                f"brian2.prefs.codegen.runtime.cython.cache_dir = {tmp + '/cython'!r}; "
                "habmodel.simulate(n_cells=1, duration=1*brian2.second, engine='runtime')")
        runtime_cold = command([sys.executable, "-c", code])
    print(f"(d) cold first run, empty cache:  fast {fast_cold:.1f} s (habmodel simulate, "
          f"build included); Brian2 runtime {runtime_cold:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
