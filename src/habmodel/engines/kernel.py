"""A loaded fast kernel: the ctypes call of the compiled library with NumPy arrays, and
the number of threads a population gets."""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Kernel", "default_threads"]


def default_threads(n_cells: int) -> int:
    """Threads for a population: one per 64-cell block, at most the usable cores
    (``HABMODEL_THREADS`` overrides)."""
    env = os.environ.get("HABMODEL_THREADS")
    if env:
        return max(1, int(env))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, -(-n_cells // 64)))


@dataclass
class Kernel:
    """A loaded kernel: call :meth:`run` with the population's arrays."""

    path: Path
    states: tuple
    parameters: tuple
    method: str
    _lib: object
    #: Cells per vector of the instruction set the kernel was compiled for (8 with
    #: AVX-512, 4 with AVX2, 2 with SSE); a block of at least this many cells runs the
    #: vector loop (:class:`habmodel.simulation.FastPopulation` pads to whole vectors).
    simd_width: int = 1
    #: That instruction set: ``"avx512f"``, ``"avx2"``, ``"sse4.2"``, ...
    isa: str = "scalar"

    def run(self, n_steps: int, step0: int, dt: float, state: np.ndarray, params: np.ndarray,
            keys: np.ndarray, notref: np.ndarray, spikes: np.ndarray, threads: int,
            rec_var: int = 0, rec_every: int = 0, rec_step0: int = 0,
            rec_cells: np.ndarray | None = None, rec: np.ndarray | None = None,
            vector: bool = True) -> None:
        """Advance every cell ``n_steps`` steps from global step ``step0`` in place.

        ``state`` (states x cells) and ``notref`` are updated; ``spikes``
        (at least n_steps x cells, int64) gets 1 where a cell spiked; ``rec``
        (samples x recorded cells) gets state row ``rec_var`` of ``rec_cells``
        at every step ``rec_step0 + k*rec_every`` of this call, before its update.
        ``vector=False`` runs every cell on the one-cell-at-a-time path (tests
        check that both paths give the same spikes).
        """
        n = state.shape[1]
        if rec_cells is None or rec is None or rec_every <= 0:
            rec_cells, rec, rec_every = np.zeros(0, np.int64), np.zeros(1), 0
        for array, dtype, shape in ((state, np.float64, (len(self.states), n)),
                                    (params, np.float64, (len(self.parameters), n)),
                                    (keys, np.uint64, (n,)), (notref, np.int64, (n,))):
            if array.dtype != dtype or array.shape != shape or not array.flags.c_contiguous:
                raise ValueError(f"kernel.run: expected a C-contiguous {dtype.__name__} array "
                                 f"of shape {shape}, got {array.dtype} {array.shape}")
        if (spikes.dtype != np.int64 or spikes.ndim != 2 or spikes.shape[1] != n
                or spikes.shape[0] < n_steps or not spikes.flags.c_contiguous):
            raise ValueError("kernel.run: spikes must be a C-contiguous int64 array with "
                             f"at least {n_steps} rows of {n} cells")
        rec_cells = np.ascontiguousarray(rec_cells, np.int64)
        if rec_every and (rec.dtype != np.float64 or not rec.flags.c_contiguous
                          or rec.ndim != 2 or rec.shape[1] != len(rec_cells)):
            raise ValueError("kernel.run: rec must be C-contiguous float64 (samples x cells)")
        ptr = ctypes.c_void_p
        self._lib.hm_run(
            ctypes.c_int64(n), ctypes.c_int64(n_steps), ctypes.c_int64(step0),
            ctypes.c_double(dt), ptr(state.ctypes.data), ptr(params.ctypes.data),
            ptr(keys.ctypes.data), ptr(notref.ctypes.data), ptr(spikes.ctypes.data),
            ctypes.c_int64(rec_var), ctypes.c_int64(rec_every), ctypes.c_int64(rec_step0),
            ctypes.c_int64(len(rec_cells)), ptr(rec_cells.ctypes.data), ptr(rec.ctypes.data),
            ctypes.c_int64(max(1, int(threads))),
            ctypes.c_int64(self.simd_width if vector else 2**62))
