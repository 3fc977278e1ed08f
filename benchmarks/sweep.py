"""Time a 5 x 5 grid x 20 cells x 2 seeds x 5 s sweep, locally (issue 5's yardstick).

    python benchmarks/sweep.py [--scheduler tcp://HOST:PORT]

Prints the wall time, the number of rows, the simulated cell-seconds and the
cost per cell per 0.025 ms of simulated time, against simulating the same cells
with one simulate() call per grid point and seed (no packing) in the same run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time

import numpy as np
from brian2 import mM, second, uM

import habmodel

GRID = {"K_o": np.linspace(2.5, 5.0, 5) * mM, "ketamine": [0, 0.3, 1, 3, 10] * uM}
N_CELLS, SEEDS, DURATION_S, WARMUP_S = 20, 2, 5.0, 0.5


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scheduler", default=None, help="a Dask scheduler address")
    args = parser.parse_args(argv)
    habmodel.simulate(n_cells=1, duration=0.01 * second, progress=False)  # kernel in cache
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        table = habmodel.sweep("depressed", vary=GRID, n_cells=N_CELLS, seeds=SEEDS,
                               duration=DURATION_S * second, warmup=WARMUP_S * second,
                               out=f"{tmp}/sweep", scheduler=args.scheduler, progress=False)
        wall = time.perf_counter() - start
    cells = len(table)
    steps = cells * (DURATION_S + WARMUP_S) / 25e-6
    print(f"sweep 5 x 5 grid x {N_CELLS} cells x {SEEDS} seeds x {DURATION_S:g} s "
          f"(+{WARMUP_S:g} s warm-up): {wall:.1f} s wall, {len(table)} rows, "
          f"{wall / steps * 1e9:.0f} ns per cell per 0.025 ms (files written included)")
    start = time.perf_counter()
    k_o, ket = GRID["K_o"], GRID["ketamine"]
    for seed in range(SEEDS):
        for k in k_o:
            for c in ket:
                habmodel.simulate("depressed", drugs={"ketamine": c}, n_cells=N_CELLS,
                                  duration=DURATION_S * second, warmup=WARMUP_S * second,
                                  seed=seed, overrides={"K_o": k}, progress=False)
    unpacked = time.perf_counter() - start
    print(f"the same cells, one simulate() per grid point and seed: {unpacked:.1f} s "
          f"(packing gains {unpacked / wall:.1f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
