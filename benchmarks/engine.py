"""Speed of the fast engine against Brian2's Cython runtime, measured in one run.

    python benchmarks/engine.py                  # this CPU (-march=native)
    python benchmarks/engine.py --march x86-64-v3  # the AVX2 code path (any AVX2 CPU)
    python benchmarks/engine.py --march x86-64-v2  # the SSE4.2 path of a plain x86-64
    python benchmarks/engine.py --quick          # shorter runs (same ratios, less precise)

It prints the CPU, the instruction set and vector width the kernel was built for, then:

1. the per-cell cost at 1, 8, 64 and 1000 cells with 1 and 2 threads, beside Brian2's
   runtime (one thread) on the same workload, measured in this process;
2. the whole ``habmodel simulate`` command for 1 cell x 10 s, both engines;
3. a 10-dose x 50-cell ketamine dose series (one run of 500 cells, 5 s);
4. a cold first ``habmodel simulate`` (1 cell x 1 s) with an empty kernel cache, and
   Brian2's runtime with an empty Cython cache, each in a new process;
5. that a parameter-only change builds no kernel;
6. the WebAssembly engine (``engine="wasm"``, the engine where no C compiler works) at 1
   and 1000 cells, against the fast engine, and the whole command with every C compiler
   hidden;
7. a kernel built with ``CC=clang`` (no OpenMP runtime: Apple clang's situation) against
   the default compiler's, 256 cells on one thread (``--no-clang`` skips it).

"ns/cell" is wall time per cell per 0.025 ms of simulated time (the unit of NEURON's
fixed step in docs/performance.md), best of ``--repeat`` runs after a warm-up.
``--march`` builds the kernel for another compiler target (``HABMODEL_MARCH``) in a
temporary cache; the CPU must be able to run that target's code.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores, Python {platform.python_version()}, {platform.system()}"


def cpu_family() -> str:
    """Vendor, family and model numbers (they name the microarchitecture)."""
    fields = {}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key in ("vendor_id", "cpu family", "model") and key not in fields:
                    fields[key] = value.strip()
                if not line.strip():
                    break
    except OSError:
        return "unknown"
    return ", ".join(f"{k} {v}" for k, v in fields.items())


def ns_per_cell(wall_s: float, n_cells: int, sim_s: float) -> float:
    return wall_s / (n_cells * sim_s / 25e-6) * 1e9


def best_of(repeat: int, **kwargs) -> float:
    import habmodel

    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        habmodel.simulate(progress=False, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best


def command(args, env=None) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, env={**os.environ, **(env or {})})
    return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs")
    parser.add_argument("--march", default="", help="compiler target (default: this CPU)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per fast measurement")
    parser.add_argument("--no-runtime", action="store_true",
                        help="skip Brian2's runtime (its ratios are then not printed)")
    parser.add_argument("--no-clang", action="store_true", help="skip the CC=clang build")
    args = parser.parse_args(argv)
    tmp_cache = None
    if args.march:
        os.environ["HABMODEL_MARCH"] = args.march
        tmp_cache = tempfile.TemporaryDirectory()
        os.environ["HABMODEL_CACHE_DIR"] = tmp_cache.name

    import numpy as np
    from brian2 import second, uM

    import habmodel
    from habmodel.engines import fast as engine

    scale = 0.2 if args.quick else 1.0
    k = engine.kernel(announce=False)
    print(f"machine: {machine()}")
    print(f"cpu: {cpu_family()}")
    print(f"kernel: {k.isa}, {k.simd_width} doubles per vector, flags "
          f"{' '.join(engine.cflags())}")
    print(f"habmodel {habmodel.__version__}\n", flush=True)

    for eng in ("fast", "runtime"):  # warm: kernel loaded, Brian2's Cython code compiled
        habmodel.simulate(n_cells=1, duration=0.01 * second, engine=eng, progress=False)

    print("per-cell cost, depressed cell, rk4 at 0.05 ms (ns per cell per 0.025 ms)")
    print(f"{'cells':>6s} {'sim s':>6s} {'1 thread':>18s} {'2 threads':>18s} "
          f"{'Brian2 runtime':>20s} {'ratio (2 thr)':>14s}")
    table = []
    for n_cells, sim_s in ((1, 10.0), (8, 5.0), (64, 2.0), (1000, 2.0)):
        sim_s *= scale
        run = dict(condition="depressed", n_cells=n_cells, duration=sim_s * second,
                   warmup=0 * second)
        fast = {th: best_of(args.repeat, threads=th, **run) for th in (1, 2)}
        runtime = None if args.no_runtime else best_of(1, engine="runtime", **run)
        cells = {th: ns_per_cell(fast[th], n_cells, sim_s) for th in fast}
        line = (f"{n_cells:6d} {sim_s:6g} {fast[1]:7.3f} s {cells[1]:6.1f} ns "
                f"{fast[2]:7.3f} s {cells[2]:6.1f} ns")
        if runtime is not None:
            line += (f" {runtime:8.2f} s {ns_per_cell(runtime, n_cells, sim_s):7.1f} ns "
                     f"{runtime / fast[2]:13.1f}x")
        print(line, flush=True)
        table.append((n_cells, cells))
    one = min(table[0][1].values())
    worst = max(min(c.values()) for n, c in table if n >= 64)
    print(f"per-cell cost at >= 64 cells / 1-cell cost: {worst / one:.2f} (target <= 1)\n")

    whole_commands(args, scale)
    with tempfile.TemporaryDirectory() as tmp:
        cli = [sys.executable, "-m", "habmodel", "simulate", "--cells", "1", "--duration",
               f"{10 * scale:g}s", "--quiet"]
        fast_cli = command([*cli, "--out", f"{tmp}/fast"])
        runtime_cli = command([*cli, "--engine", "runtime", "--out", f"{tmp}/runtime"])
    print(f"habmodel simulate command, 1 cell x {10 * scale:g} s: fast {fast_cli:.3f} s, "
          f"runtime {runtime_cli:.2f} s, ratio {runtime_cli / fast_cli:.1f}x\n")

    doses = np.repeat([0, 0.1, 0.3, 0.5, 1, 2, 3, 5, 10, 30], 50) * uM
    run = dict(condition="depressed", n_cells=500, duration=5 * scale * second,
               warmup=0 * second, drugs={"ketamine": doses})
    fast = best_of(args.repeat, **run)
    print(f"10 doses x 50 cells x {5 * scale:g} s: fast {fast:.3f} s "
          f"({ns_per_cell(fast, 500, 5 * scale):.1f} ns/cell)", end="")
    if not args.no_runtime:
        runtime = best_of(1, engine="runtime", **run)
        print(f", runtime {runtime:.2f} s, ratio {runtime / fast:.1f}x", end="")
    print(flush=True)

    before = engine.build_count()
    habmodel.simulate("control", n_cells=7, duration=0.1 * second, seed=3, progress=False,
                      drugs={"ketamine": 2 * uM}, overrides={"nu_glu": "90 Hz"})
    print(f"kernels built by a parameter-only change: {engine.build_count() - before}")

    with tempfile.TemporaryDirectory() as tmp:
        cold = [sys.executable, "-m", "habmodel", "simulate", "--cells", "1", "--duration",
                "1s", "--quiet"]
        fast_cold = command([*cold, "--out", f"{tmp}/fast"], {"HABMODEL_CACHE_DIR": tmp})
        code = ("import brian2, habmodel; "
                f"brian2.prefs.codegen.runtime.cython.cache_dir = {tmp + '/cython'!r}; "
                "habmodel.simulate(n_cells=1, duration=1*brian2.second, engine='runtime')")
        runtime_cold = command([sys.executable, "-c", code])
    print(f"cold first run, empty cache: fast {fast_cold:.1f} s (habmodel simulate, "
          f"build included); Brian2 runtime {runtime_cold:.1f} s\n")
    webassembly(args, scale)
    if not args.no_clang:
        clang_build(args)
    if tmp_cache is not None:
        tmp_cache.cleanup()
    return 0


def whole_commands(args, scale: float) -> None:
    """What the user waits for: the whole ``habmodel simulate`` command (start-up, imports,
    warm-up, run, files and trace.png), best of ``--repeat``, beside ``simulate()`` alone
    (the same run, recording included, in this warm process)."""
    from brian2 import second

    print("whole habmodel simulate command (best of --repeat) / simulate() in this process")
    for n_cells, sim_s, target in ((1, 10.0, 0.8), (1000, 2.0, 4.0)):
        sim_s *= scale
        with tempfile.TemporaryDirectory() as tmp:
            cli = [sys.executable, "-m", "habmodel", "simulate", "--condition", "depressed",
                   "--cells", str(n_cells), "--duration", f"{sim_s:g}s", "--quiet"]
            whole = min(command([*cli, "--out", f"{tmp}/{k}"]) for k in range(args.repeat))
        alone = best_of(args.repeat, condition="depressed", n_cells=n_cells,
                        duration=sim_s * second, record_v=[0])
        print(f"{n_cells:6d} cells x {sim_s:g} s: whole command {whole:.2f} s (target "
              f"{target * scale if n_cells > 1 else target:g} s), simulate() {alone:.2f} s, "
              f"ratio {whole / alone:.2f}", flush=True)


def webassembly(args, scale: float) -> None:
    """The WebAssembly engine against the fast one, measured here and now."""
    from brian2 import second

    print("WebAssembly engine (wasmtime), depressed cell (ns per cell per 0.025 ms)")
    for n_cells, sim_s, threads in ((1, 10.0, 1), (1000, 2.0, 1), (1000, 2.0, 2)):
        sim_s *= scale
        run = dict(condition="depressed", n_cells=n_cells, duration=sim_s * second,
                   warmup=0 * second, threads=threads)
        fast = ns_per_cell(best_of(args.repeat, **run), n_cells, sim_s)
        wasm = ns_per_cell(best_of(args.repeat, engine="wasm", **run), n_cells, sim_s)
        print(f"{n_cells:6d} cells x {sim_s:g} s, {threads} thread(s): wasm {wasm:6.1f} ns, "
              f"fast {fast:6.1f} ns, ratio {wasm / fast:.1f}x", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        hidden = Path(tmp) / "bin"
        hidden.mkdir()
        (hidden / "python").symlink_to(sys.executable)
        cli = [sys.executable, "-m", "habmodel", "simulate", "--condition", "depressed",
               "--cells", "1", "--duration", f"{10 * scale:g}s", "--quiet"]
        env = {"PATH": str(hidden), "CC": "/nonexistent/cc", "HABMODEL_CACHE_DIR": tmp}
        command([*cli, "--out", f"{tmp}/warm"], env)  # the first run loads wasmtime's cache
        wasm_cli = command([*cli, "--out", f"{tmp}/wasm"], env)
        fast_cli = command([*cli, "--out", f"{tmp}/fast"])
    print(f"habmodel simulate --condition depressed --cells 1 --duration {10 * scale:g}s, "
          f"whole command: no C compiler (wasm) {wasm_cli:.2f} s, fast {fast_cli:.2f} s\n")


def clang_build(args) -> None:
    """A kernel built by clang without an OpenMP runtime against the default build."""
    if shutil.which("clang") is None:
        print("CC=clang: clang is not installed (skipped)\n")
        return
    code = textwrap.dedent("""
        import time, habmodel
        from brian2 import second
        from habmodel.engines import fast
        k = fast.kernel(announce=False)
        run = dict(condition="depressed", n_cells=256, warmup=0 * second, threads=1,
                   progress=False)
        habmodel.simulate(duration=0.01 * second, **run)
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            habmodel.simulate(duration=1 * second, **run)
            best = min(best, time.perf_counter() - start)
        print(best / (256 * 40000) * 1e9, k.isa)
    """)
    results = {}
    for cc in ("", "clang"):
        with tempfile.TemporaryDirectory() as tmp:
            env = {**os.environ, "HABMODEL_CACHE_DIR": tmp}
            if cc:
                env["CC"] = cc
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                 env=env, check=True).stdout.split()
            flags = json.loads(next(Path(tmp).glob("*/layout.json")).read_text())["flags"]
            results[cc or "default"] = (float(out[0]), " ".join(flags))
    for name, (ns, flags) in results.items():
        print(f"CC={name}: {ns:.1f} ns per cell per 0.025 ms (256 cells, 1 thread), {flags}")
    ratio = results["clang"][0] / results["default"][0]
    print(f"clang / default: {ratio:.2f}x (target <= 1.5)\n")


if __name__ == "__main__":
    sys.exit(main())
