"""The WebAssembly kernel run from Python: the engine where no C compiler works.

The packaged module of the built-in cell (:mod:`habmodel.engines.wasm`, the one the
browser lab runs) is compiled once per process by ``wasmtime`` (PyPI wheels for Linux,
macOS and Windows on x86-64 and ARM; nothing else to install) and called like the native
kernel: :class:`WasmKernel` has the interface of :class:`habmodel.engines.kernel.Kernel`,
so :class:`habmodel.engines.runner.FastPopulation` runs either. The arrays are copied into
the module's linear memory and back for every call.

Blocks of cells run in several module instances on several threads where that pays
(wasmtime's calls release the GIL): ``threads`` as for the native kernel.
"""

from __future__ import annotations

import atexit
import ctypes
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from .fast import EngineUnavailableError
from .wasm import PREBUILT, VARIANTS, packaged_layout

__all__ = ["WasmKernel", "wasm_kernel", "WasmUnavailableError"]

_BLOCK = 64  # cells per thread block, as in the native kernel


class WasmUnavailableError(EngineUnavailableError):
    """The WebAssembly engine cannot run here (wasmtime missing, or not the built-in cell)."""


class _Instance:
    """One instance of the module with its own memory, and the arrays it was sized for."""

    def __init__(self, wasmtime, engine, module):
        self.store = wasmtime.Store(engine)
        inst = wasmtime.Instance(self.store, module, [])
        exports = inst.exports(self.store)
        self.memory = exports["memory"]
        self.f = {name: exports[name] for name in ("hm_run", "malloc", "free", "_initialize")
                  if name in exports}
        if "_initialize" in self.f:
            self.f["_initialize"](self.store)
        self.buffers: dict[str, tuple[int, int]] = {}

    def pointer(self, name: str, nbytes: int) -> int:
        ptr, size = self.buffers.get(name, (0, 0))
        if size < nbytes:
            if ptr:
                self.f["free"](self.store, ptr)
            ptr = self.f["malloc"](self.store, max(8, int(nbytes)))
            if not ptr:
                raise MemoryError("the WebAssembly kernel ran out of memory")
            self.buffers[name] = (ptr, nbytes)
        return ptr

    def view(self, ptr: int, dtype, count: int) -> np.ndarray:
        base = ctypes.addressof(self.memory.data_ptr(self.store).contents)
        nbytes = np.dtype(dtype).itemsize * count
        return np.frombuffer((ctypes.c_ubyte * nbytes).from_address(base + ptr), dtype)


@dataclass
class WasmKernel:
    """The packaged WebAssembly kernel; :meth:`run` as in
    :meth:`habmodel.engines.kernel.Kernel.run`."""

    states: tuple
    parameters: tuple
    method: str
    simd_width: int
    isa: str
    path: object = None
    _wasmtime: object = field(default=None, repr=False)
    _engine: object = field(default=None, repr=False)
    _module: object = field(default=None, repr=False)
    _pool: list = field(default_factory=list, repr=False)
    _lock: object = field(default_factory=threading.Lock, repr=False)

    def _instances(self, k: int) -> list:
        with self._lock:
            while len(self._pool) < k:
                self._pool.append(_Instance(self._wasmtime, self._engine, self._module))
            return self._pool[:k]

    def run(self, n_steps: int, step0: int, dt: float, state: np.ndarray, params: np.ndarray,
            keys: np.ndarray, notref: np.ndarray, spikes: np.ndarray, threads: int,
            rec_var: int = 0, rec_every: int = 0, rec_step0: int = 0,
            rec_cells: np.ndarray | None = None, rec: np.ndarray | None = None,
            vector: bool = True) -> None:
        n = state.shape[1]
        if rec_cells is None or rec is None or rec_every <= 0:
            rec_cells, rec, rec_every = np.zeros(0, np.int64), np.zeros((0, 0)), 0
        rec_cells = np.asarray(rec_cells, np.int64)
        blocks = -(-n // _BLOCK)
        k = max(1, min(int(threads), blocks))
        bounds = np.linspace(0, blocks, k + 1).round().astype(int) * _BLOCK
        bounds[-1] = n
        parts = [(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True) if hi > lo]
        instances = self._instances(len(parts))
        args = (n_steps, step0, dt, state, params, keys, notref, spikes, rec_var, rec_every,
                rec_step0, rec_cells, rec, vector)
        if len(parts) == 1:
            self._block(instances[0], *parts[0], *args)
            return
        with ThreadPoolExecutor(len(parts)) as pool:
            for done in [pool.submit(self._block, inst, lo, hi, *args)
                         for inst, (lo, hi) in zip(instances, parts, strict=True)]:
                done.result()

    def _block(self, inst, lo, hi, n_steps, step0, dt, state, params, keys, notref, spikes,
               rec_var, rec_every, rec_step0, rec_cells, rec, vector):
        lo, hi = int(lo), int(hi)
        m = hi - lo
        local = np.flatnonzero((rec_cells >= lo) & (rec_cells < hi))
        n_samples = rec.shape[0] if rec_every else 0
        arrays = {
            "S": np.ascontiguousarray(state[:, lo:hi]),
            "P": np.ascontiguousarray(params[:, lo:hi]),
            "keys": np.ascontiguousarray(keys[lo:hi]),
            "notref": np.ascontiguousarray(notref[lo:hi]),
            "rec_cells": rec_cells[local] - lo,
        }
        sizes = {**{name: a.nbytes for name, a in arrays.items()},
                 "spk": n_steps * m * 8, "rec": max(1, n_samples * local.size) * 8}
        ptrs = {name: inst.pointer(name, size) for name, size in sizes.items()}
        for name, array in arrays.items():  # views after every malloc (memory may grow)
            inst.view(ptrs[name], array.dtype, array.size)[:] = array.ravel()
        if rec_every and local.size:  # the samples of other calls stay as they are
            inst.view(ptrs["rec"], np.float64, n_samples * local.size)[:] = rec[:, local].ravel()
        inst.f["hm_run"](inst.store, int(m), int(n_steps), int(step0), float(dt), ptrs["S"],
                         ptrs["P"], ptrs["keys"], ptrs["notref"], ptrs["spk"], int(rec_var),
                         int(rec_every) if local.size else 0, int(rec_step0), int(local.size),
                         ptrs["rec_cells"], ptrs["rec"], 1,
                         int(self.simd_width) if vector else 2**62)
        state[:, lo:hi] = inst.view(ptrs["S"], np.float64, state.shape[0] * m).reshape(-1, m)
        notref[lo:hi] = inst.view(ptrs["notref"], np.int64, m)
        spikes[:n_steps, lo:hi] = inst.view(ptrs["spk"], np.int64, n_steps * m).reshape(-1, m)
        if rec_every and local.size:
            got = inst.view(ptrs["rec"], np.float64, n_samples * local.size)
            rec[:, local] = got.reshape(n_samples, local.size)


_loaded: dict = {}
_load_lock = threading.Lock()


@atexit.register
def _release() -> None:
    """Close the instances, modules and engines before the interpreter tears wasmtime's
    own bindings down (their finalisers would print errors at exit)."""
    with _load_lock:
        for kernel in _loaded.values():
            for inst in kernel._pool:
                inst.store.close()
            kernel._pool.clear()
            kernel._module.close()
            kernel._engine.close()
        _loaded.clear()


def wasm_kernel(variant: str = "hill") -> WasmKernel:
    """The packaged kernel of the built-in cell (``variant``: ``"hill"`` or ``"trapping"``,
    :data:`habmodel.engines.wasm.VARIANTS`), compiled by wasmtime once per process.

    Raises :class:`WasmUnavailableError` if wasmtime is not installed or the packaged
    module does not load."""
    with _load_lock:
        if variant in _loaded:
            return _loaded[variant]
        try:
            import wasmtime
        except ImportError:
            raise WasmUnavailableError(
                "wasmtime is not installed (pip install wasmtime)") from None
        try:
            layout = packaged_layout(variant)
            path = PREBUILT / f"{VARIANTS[variant]}.wasm"
            engine = wasmtime.Engine()
            module = wasmtime.Module.from_file(engine, str(path))
        except (OSError, RuntimeError, wasmtime.WasmtimeError) as err:
            raise WasmUnavailableError(
                f"the packaged WebAssembly kernel does not load: {err}") from None
        probe = _Instance(wasmtime, engine, module)
        exports = wasmtime.Instance(probe.store, module, []).exports(probe.store)
        width = int(exports["hm_simd_width"](probe.store))
        kernel = WasmKernel(tuple(layout["states"]), tuple(layout["parameters"]),
                            layout["method"], width, "wasm32" if width == 1 else "simd128",
                            path, wasmtime, engine, module, [probe])
        _loaded[variant] = kernel
        return kernel
