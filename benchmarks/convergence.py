"""Convergence of Brian2's integrators against the SciPy Radau reference.

For each method and time step, runs the population of ``tests/test_accuracy.py``
(tonic NMDA drive, no Poisson input, 2 s, no warm-up) and prints the population
spike-count error against :func:`habmodel.engines.reference.reference_spike_times`, the
worst spike-time error of the first bursting cell, and the wall time of the
Brian2 run (compilation excluded). This is how ``DEFAULT_METHOD`` and
``DEFAULT_DT_MS`` in :mod:`habmodel.simulation` are chosen: the cheapest
combination within 1 % of the reference spike count.

Usage::

    python benchmarks/convergence.py                      # the full table
    python benchmarks/convergence.py --methods rk4 --dts 0.05 0.025
    python benchmarks/convergence.py --scan               # help pick the test population
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import test_accuracy as acc  # noqa: E402  (the population the test uses)

from habmodel import analysis  # noqa: E402

METHODS = ("exponential_euler", "rk2", "rk4")
DTS_MS = (0.1, 0.05, 0.025, 0.01)


def table(methods, dts_ms) -> None:
    t0 = time.perf_counter()
    base = acc.run_brian(methods[0], dts_ms[0])
    reference = acc.run_reference(base)
    ref_wall = time.perf_counter() - t0
    n_ref = sum(len(s) for s in reference)
    modes = list(analysis.population_metrics(reference, acc.DURATION_S)["mode"])
    burst = modes.index("burst") if "burst" in modes else None
    print(f"population: {acc.POPULATION}")
    print(f"reference (Radau rtol 1e-9): {n_ref} spikes, per cell "
          f"{[len(s) for s in reference]}, modes {modes}; {ref_wall:.1f} s")
    print(f"{'method':>18} {'dt/ms':>6} {'spikes':>7} {'error':>8} {'max|dN| cell':>13} "
          f"{'burst cell max|dt|/ms':>22} {'wall/s':>7}")
    for method in methods:
        acc.run_brian(method, dts_ms[0], duration_s=0.01)  # compile outside the timing
        for dt_ms in dts_ms:
            t1 = time.perf_counter()
            try:
                result = acc.run_brian(method, dt_ms)
            except Exception as err:  # a blow-up at a large step is a result too
                cause = err.__cause__ or err
                print(f"{method:>18} {dt_ms:>6g}  failed (numerical blow-up?): "
                      f"{type(cause).__name__}: {str(cause).splitlines()[0][:60]}")
                continue
            wall = time.perf_counter() - t1
            counts = [len(s) for s in result.spikes_s]
            n = sum(counts)
            worst_cell = max(abs(c - len(r)) for c, r in zip(counts, reference, strict=True))
            timing = "-"
            if burst is not None:
                b = acc.brian_spike_times(result, burst)
                if len(b) == len(reference[burst]):
                    timing = f"{np.max(np.abs(b - reference[burst])) * 1e3:.4f}"
                else:
                    timing = f"count {len(b)} vs {len(reference[burst])}"
            print(f"{method:>18} {dt_ms:>6g} {n:>7d} {100 * (n - n_ref) / n_ref:>+7.2f}% "
                  f"{worst_cell:>13d} {timing:>22} {wall:>7.2f}", flush=True)


def scan() -> None:
    """Brian2 (default method) spike counts and modes over a grid of drives."""
    grid = [(c, s) for c in ("control", "depressed")
            for s in (0.03, 0.05, 0.07, 0.09, 0.1, 0.11, 0.12, 0.13, 0.14, 0.16, 0.2, 0.25)]
    result = acc.run_brian(population=grid)
    for (condition, s), spikes, mode in zip(grid, result.spikes_s, result.metrics["mode"],
                                            strict=True):
        print(f"{condition:>10} s_tonic={s:<5g} {len(spikes):>4d} spikes  {mode}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--dts", nargs="+", type=float, default=list(DTS_MS),
                        help="time steps in ms")
    parser.add_argument("--scan", action="store_true",
                        help="print spike counts and modes over a grid of drives instead")
    args = parser.parse_args(argv)
    if args.scan:
        scan()
    else:
        table(args.methods, args.dts)


if __name__ == "__main__":
    main()
