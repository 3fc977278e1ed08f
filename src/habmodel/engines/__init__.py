"""The engine layer: how the model's equations are integrated.

==================  ===================================================================
:mod:`.symbolic`    the equations as SymPy expressions (shared by codegen and reference)
:mod:`.codegen`     C source of the fast kernel, generated from those expressions
:mod:`.cexpr`       SymPy expressions printed as C (SI values, hoisted constants)
:mod:`.fast`        compiling, caching (verified entries) and loading the fast kernel
:mod:`.kernel`      a loaded kernel (the ctypes call) and its thread count
:mod:`.runtime`     the Brian2 runtime engine (``NeuronGroup``, ``Network``, monitors)
:mod:`.runner`      runs a population on either engine and checks the result
:mod:`.reference`   a SciPy (Radau) reference integration of one cell
==================  ===================================================================

Engines read the assembled model (:mod:`habmodel.model`) and never import the
layers above it. Users reach them through :func:`habmodel.simulate`
(``engine="fast"`` or ``"runtime"``); the cache is managed with
``habmodel cache --info`` and ``--clear``.
"""
