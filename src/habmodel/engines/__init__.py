"""The engine layer: how the model's equations are integrated.

==================  ===================================================================
:mod:`.symbolic`    the equations as SymPy expressions (shared by codegen and reference)
:mod:`.codegen`     C source of the fast kernel, generated from those expressions
:mod:`.cexpr`       SymPy expressions printed as C (SI values, hoisted constants)
:mod:`.fast`        compiling, caching (verified entries) and loading the fast kernel
:mod:`.kernel`      a loaded kernel (the ctypes call) and its thread count
:mod:`.runtime`     the Brian2 runtime engine (``NeuronGroup``, ``Network``, monitors)
:mod:`.group`       ``brian2_group``: the cell as a ``NeuronGroup`` for your own network
:mod:`.runner`      runs a population on either engine and checks the result
:mod:`.reference`   a SciPy (Radau) reference integration of one cell
:mod:`.cpreamble`   the C text every kernel starts with (SIMD width, the loop's exp)
:mod:`.wasm`        the kernel compiled to WebAssembly (the lab's, and the packaged one)
:mod:`.wasm_kernel` the packaged WebAssembly kernel run by wasmtime (``engine="wasm"``)
==================  ===================================================================

Engines read the assembled model (:mod:`habmodel.model`) and never import the
layers above it. Users reach them through :func:`habmodel.simulate`
(``engine="fast"``, ``"wasm"`` or ``"runtime"``; ``HABMODEL_ENGINE`` sets the default);
the cache is managed with ``habmodel cache --info`` and ``--clear``.
"""

import os

__all__ = ["ENGINES", "default_engine"]

#: The engines of :func:`habmodel.simulate`.
ENGINES = ("fast", "wasm", "runtime")


def default_engine() -> str:
    """``HABMODEL_ENGINE`` if set (checked), else ``"fast"``."""
    engine = os.environ.get("HABMODEL_ENGINE", "").strip().lower() or "fast"
    if engine not in ENGINES:
        raise ValueError(f"HABMODEL_ENGINE: expected one of {', '.join(ENGINES)}, got "
                         f"{engine!r}")
    return engine
