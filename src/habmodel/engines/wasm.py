"""The fast kernel compiled to WebAssembly: one build for the browser lab and for
Python without a C compiler.

The C source is the fast engine's own (:func:`habmodel.engines.codegen.kernel_source`:
the same equations, input stream and integration method), compiled for ``wasm32`` with
clang and the WASI C library (Debian: ``clang lld wasi-libc libclang-rt-dev-wasm32``).
The module needs no imports, so a browser instantiates it with an empty import object
and ``wasmtime`` runs it from Python. It exports ``hm_run``, ``hm_rhs``, ``hm_currents``
and ``hm_event`` (as in the native kernel: :mod:`habmodel.engines.probes`),
``malloc``/``free`` for the arrays, and the memory.

The modules of the built-in LHb cell are packaged with habmodel
(``habmodel/engines/prebuilt/kernel.wasm``, with ``kernel.json``: its state and
parameter layout and the SHA-256 of the C source it was built from; and
``kernel-trapping.wasm`` for the ketamine-trapping variant), so neither the lab nor
``engine="wasm"`` needs a compiler. ``python scripts/build_wasm.py`` rebuilds it;
``tests/test_wasm.py`` checks that the packaged module was built from the source this
habmodel generates today.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from functools import lru_cache
from pathlib import Path

__all__ = ["WasmToolchainError", "PREBUILT", "VARIANTS", "WASM_FLAGS", "APT_PACKAGES",
           "toolchain",
           "build_wasm", "packaged_layout", "source_digest", "kernel_layout"]

#: The packaged module of the built-in cell and its layout.
PREBUILT = Path(__file__).parent / "prebuilt"

#: Debian packages that compile C to wasm32.
APT_PACKAGES = ("clang", "lld", "wasi-libc", "libclang-rt-dev-wasm32")

#: Compiler flags. Measured in V8 (Node 20) and Chromium: SIMD128 (-msimd128, with the
#: kernel's portable vector exp) made the kernel slower, not faster (docs/performance.md),
#: so the module is scalar and uses the C library's exp.
WASM_FLAGS = ("-O3", "-ffast-math", "-fopenmp-simd", "-DHM_LIBM_EXP")

_EXPORTS = ("hm_run", "hm_rhs", "hm_currents", "hm_event", "hm_abi_version", "hm_n_states",
            "hm_n_parameters", "hm_n_currents", "hm_simd_width", "malloc", "free")


class WasmToolchainError(RuntimeError):
    """No compiler for wasm32 here (the message says what to install)."""


def _hint() -> str:
    return f"install it with: apt-get install {' '.join(APT_PACKAGES)}"


@lru_cache(maxsize=1)
def toolchain() -> tuple[str, str, str]:
    """``(clang, its version line, the WASI sysroot)``; raises :class:`WasmToolchainError`
    where clang, wasm-ld or the WASI C library is missing."""
    clang = os.environ.get("HABMODEL_WASM_CC") or shutil.which("clang")
    if clang is None:
        raise WasmToolchainError(f"no clang for WebAssembly; {_hint()}")
    sysroot = os.environ.get("HABMODEL_WASI_SYSROOT", "/usr")
    if not (Path(sysroot) / "lib" / "wasm32-wasi" / "libc.a").is_file():
        raise WasmToolchainError(f"no WASI C library in {sysroot}/lib/wasm32-wasi; {_hint()}")
    try:
        done = subprocess.run([clang, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as err:
        raise WasmToolchainError(f"clang does not run ({err}); {_hint()}") from None
    return clang, (done.stdout.splitlines() or [""])[0], sysroot


def source_digest(code: str) -> str:
    """SHA-256 of a kernel's C source (recorded with a built module)."""
    return hashlib.sha256(code.encode()).hexdigest()


#: The packaged modules: file stem of each variant of the built-in cell.
VARIANTS = {"hill": "kernel", "trapping": "kernel-trapping"}


def kernel_layout(cell=None, method: str = "rk4"):
    """``(KernelSource, layout dict)`` of ``cell`` (default: the LHb neuron): what a
    built module's ``kernel.json`` records."""
    from ..model.equations import DEFAULT_CELL
    from .codegen import ABI_VERSION, kernel_source

    cell = DEFAULT_CELL if cell is None else cell
    source = kernel_source(method, cell.full_equations(), cell.glutamate_event)
    start = cell.initial_state()
    layout = {"abi": ABI_VERSION, "method": method, "states": list(source.states),
              "parameters": list(source.parameters), "currents": list(source.currents),
              "initial_state": {name: float(start[name]) for name in source.states},
              "source_sha256": source_digest(source.code), "flags": list(WASM_FLAGS)}
    return source, layout


def build_wasm(out_dir, cell=None, method: str = "rk4", stem: str = "kernel") -> dict:
    """Compile ``cell``'s kernel to ``out_dir/<stem>.wasm`` and write ``<stem>.json``;
    return the layout. Both files appear complete or not at all.

    Raises :class:`WasmToolchainError` without the toolchain, ``RuntimeError`` if
    clang fails.
    """
    clang, version, sysroot = toolchain()
    source, layout = kernel_layout(cell, method)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="habmodel-wasm-") as tmp:
        c_file, wasm = Path(tmp) / "kernel.c", Path(tmp) / "kernel.wasm"
        c_file.write_text(source.code)
        cmd = [clang, "--target=wasm32-wasi", f"--sysroot={sysroot}", *WASM_FLAGS,
               "-mexec-model=reactor", "-Wl,--no-entry", "-Wl,--strip-all",
               *(f"-Wl,--export={name}" for name in _EXPORTS),
               "-o", str(wasm), str(c_file), "-lm"]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError("clang could not build the WebAssembly kernel: "
                               + " ".join(done.stderr.split())[:400])
        data = wasm.read_bytes()
        layout.update(compiler=version, bytes=len(data),
                      sha256=hashlib.sha256(data).hexdigest())
        staged = out_dir / f".{stem}.wasm.tmp"
        staged.write_bytes(data)
        os.replace(staged, out_dir / f"{stem}.wasm")
    staged = out_dir / f".{stem}.json.tmp"
    staged.write_text(json.dumps(layout, indent=1) + "\n")
    os.replace(staged, out_dir / f"{stem}.json")
    return layout


def packaged_layout(variant: str = "hill") -> dict:
    """The ``kernel.json`` of a packaged module (checked against its bytes)."""
    stem = VARIANTS[variant]
    layout = json.loads((PREBUILT / f"{stem}.json").read_text())
    data = (PREBUILT / f"{stem}.wasm").read_bytes()
    if hashlib.sha256(data).hexdigest() != layout["sha256"]:
        raise RuntimeError(f"{PREBUILT / (stem + '.wasm')} does not match its {stem}.json; "
                           "reinstall habmodel or run scripts/build_wasm.py")
    return layout
