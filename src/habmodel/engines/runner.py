"""Running a population on either engine: the fast kernel (:class:`FastPopulation`) or
Brian2's runtime code generation, with a progress bar and a check for numerical blow-ups.
:func:`habmodel.simulate` checks the inputs and calls one of these."""

from __future__ import annotations

import os
import sys
import time

import numpy as np

from ..model.cell import Cell
from ..model.drive import input_keys
from ..model.equations import cell_for
from ..model.parameters import PARAMETERS
from ..model.units import si_scale
from .runtime import build_network

__all__ = ["DEFAULT_DT_MS", "DEFAULT_METHOD", "PROGRESS_AFTER_S", "SimulationError",
           "FastPopulation", "progress_mode", "run_fast", "run_runtime", "check_finite",
           "packaged_wasm_kernel", "EngineFallbackWarning"]

#: Integration time step (ms) and method, chosen by the convergence test against a
#: SciPy Radau reference (tests/test_accuracy.py, docs/model.md).
DEFAULT_DT_MS = 0.05
DEFAULT_METHOD = "rk4"


#: Runs expected to take longer than this (wall seconds) show a progress bar.
PROGRESS_AFTER_S = 2.0


_CELL_STEPS_PER_CALL = 1_000_000  # fast engine: ~0.05-0.2 s of work (8 MB) per kernel call


class SimulationError(RuntimeError):
    """The simulation produced non-finite or runaway values."""


class EngineFallbackWarning(RuntimeWarning):
    """The fast engine is unavailable here; the WebAssembly or Brian2's runtime engine is
    used instead (the message says why)."""


def progress_mode(progress: bool | None) -> str:
    """``"on"``, ``"off"`` or ``"auto"`` (a bar only on a terminal or in Jupyter) for a
    ``progress`` argument; ``HABMODEL_PROGRESS=0`` turns every bar off."""
    if os.environ.get("HABMODEL_PROGRESS", "1").strip().lower() in ("0", "false", "no", "off"):
        return "off"
    if progress is not None:
        return "on" if progress else "off"
    interactive = "ipykernel" in sys.modules or (
        hasattr(sys.stderr, "isatty") and sys.stderr.isatty())
    return "auto" if interactive else "off"


class _Progress:
    """A tqdm bar over simulated seconds, opened once the run looks longer than
    :data:`PROGRESS_AFTER_S` (or at once with ``progress=True``)."""

    def __init__(self, progress: bool | None, total_s: float):
        self.total_s, self.bar, self.start = total_s, None, time.perf_counter()
        self.mode = progress_mode(progress)
        if self.mode == "on":
            self._open(0.0)

    def _open(self, done_s: float):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=round(self.total_s, 3), initial=round(done_s, 3), unit="s",
                        desc="habmodel: simulated", leave=False, file=sys.stderr,
                        bar_format="{desc} {n:.2f}/{total:.2f} s |{bar}| {elapsed}<{remaining}")

    def update(self, done_s: float):
        if self.mode == "auto" and self.bar is None and done_s > 0:
            elapsed = time.perf_counter() - self.start
            if elapsed * (self.total_s / done_s - 1) > PROGRESS_AFTER_S:
                self._open(done_s)
        if self.bar is not None:
            self.bar.n = round(min(done_s, self.total_s), 3)
            self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _parameter_rows(names, values: dict, avail: dict, n_cells: int, t_offset_s: float,
                    table=PARAMETERS):
    """The kernel's parameter array: one row per name, SI values."""
    rows = np.empty((len(names), n_cells))
    for j, name in enumerate(names):
        if name == "t_offset":
            rows[j] = t_offset_s
        elif name in avail:
            rows[j] = avail[name]
        elif name in values:
            rows[j] = np.asarray(values[name], float) * si_scale(table[name].unit)
        elif name.startswith("avail_"):
            rows[j] = 1.0  # a drug target no drug acts on
        else:
            raise ValueError(f"the fast engine needs a value for '{name}'")
    return rows


class FastPopulation:
    """A population on the fast engine, advanced in steps (the engine of :func:`simulate`;
    :mod:`habmodel.trapping` reads its state between steps).

    Parameters are per-cell arrays in display units (``values``) and drug factors
    (``avail``, from :func:`habmodel.model.drugs.availability`). A population of more
    than half the kernel's vector width (:attr:`habmodel.engines.fast.Kernel.simd_width`:
    8 cells with AVX-512, 4 with AVX2) is padded to whole vectors with copies of
    the last cell, which are never reported. ``vector=False`` runs every cell on
    the kernel's one-cell-at-a-time path instead (the same spikes; for tests).
    ``engine="wasm"`` runs the packaged WebAssembly kernel of the built-in cell instead of
    the native one (:mod:`habmodel.engines.wasm_kernel`; no C compiler needed).
    """

    def __init__(self, values: dict, avail: dict, n_cells: int, seed: int, dt_ms: float,
                 method: str = DEFAULT_METHOD, *, ketamine_model: str = "hill",
                 input_ids=None, threads: int | None = None, t_offset_s: float = 0.0,
                 announce: bool = True, vector: bool = True, cell: Cell | None = None,
                 engine: str = "fast"):
        from .fast import default_threads

        cell = cell_for(ketamine_model, cell)
        self.kernel, self.engine = _kernel_for(cell, method, announce, engine)
        self.n_cells, self.dt_s, self.method, self.step = n_cells, dt_ms * 1e-3, method, 0
        width = self.kernel.simd_width if vector else 1
        # More than half a vector of cells: padding to whole vectors costs less than
        # running them one at a time (measured on AVX-512, AVX2 and SSE4.2 builds).
        n_run = n_cells if 2 * n_cells <= width else -(-n_cells // width) * width
        pad = np.minimum(np.arange(n_run), n_cells - 1)
        rows = _parameter_rows(self.kernel.parameters, values, avail, n_cells, t_offset_s,
                               cell.parameters)
        self.params = np.ascontiguousarray(rows[:, pad])
        start = cell.initial_state()
        self.state = np.array([np.full(n_run, start[name]) for name in self.kernel.states])
        self.notref = np.ones(n_run, np.int64)
        self.keys = np.ascontiguousarray(input_keys(seed, n_cells, input_ids)[pad])
        self.threads = threads or default_threads(n_run)
        self.n_run, self._pad, self.vector = n_run, pad, vector
        self._spk = np.zeros((max(1, _CELL_STEPS_PER_CALL // n_run), n_run), np.int64)

    def row(self, name: str) -> int:
        return self.kernel.states.index(name)

    def get(self, name: str) -> np.ndarray:
        """A state variable of every (real) cell, SI units (a copy)."""
        return self.state[self.row(name), :self.n_cells].copy()

    def set(self, name: str, values) -> None:
        """Set a state variable of every cell (one value or one per cell, SI units)."""
        values = np.broadcast_to(np.asarray(values, float), (self.n_cells,))
        self.state[self.row(name)] = values[self._pad]

    def advance(self, n_steps: int, *, rec_cells=None, rec=None, rec_every: int = 0,
                rec_step0: int = 0, on_chunk=None):
        """Run ``n_steps`` steps; return ``(steps, cells)`` of the spikes (global steps).

        ``rec`` (samples x recorded cells) receives ``v`` of ``rec_cells`` at the
        global steps ``rec_step0 + k*rec_every``; ``on_chunk(step)`` is called
        after every kernel call. Raises :class:`SimulationError` on a blow-up.
        """
        steps, cells, done = [], [], 0
        v_row = self.row("v")
        while done < n_steps:
            m = min(len(self._spk), n_steps - done)
            self.kernel.run(m, self.step, self.dt_s, self.state, self.params, self.keys,
                            self.notref, self._spk, self.threads, rec_var=v_row,
                            rec_every=rec_every, rec_step0=rec_step0, rec_cells=rec_cells,
                            rec=rec, vector=self.vector)
            rows, who = np.nonzero(self._spk[:m, :self.n_cells])
            steps.append(rows + self.step)
            cells.append(who)
            self.step += m
            done += m
            v = self.state[v_row, :self.n_cells]
            ok = np.isfinite(v) & (np.abs(v) < 0.5)
            if not np.all(ok):
                bad = np.flatnonzero(~ok)
                raise SimulationError(
                    f"numerical blow-up by t = {self.step * self.dt_s:g} s: the membrane "
                    f"potential of {bad.size} cell(s) (first: {bad[:5].tolist()}) became "
                    f"non-finite or exceeded 500 mV with method {self.method!r} at dt = "
                    f"{self.dt_s * 1e3:g} ms; use a smaller dt or check the parameters")
            if on_chunk is not None:
                on_chunk(self.step)
        if not steps:
            return np.zeros(0, int), np.zeros(0, int)
        return np.concatenate(steps), np.concatenate(cells)


def _kernel_for(cell: Cell, method: str, announce: bool, engine: str):
    """``(kernel, engine)``: the native kernel, or for ``engine="wasm"`` (or where no C
    compiler works, with one :class:`EngineFallbackWarning`) the packaged WebAssembly one.
    Raises :class:`habmodel.engines.fast.EngineUnavailableError` if neither can run."""
    import warnings

    from .fast import EngineUnavailableError, kernel
    from .wasm_kernel import WasmUnavailableError

    if engine == "wasm":
        return packaged_wasm_kernel(cell, method), "wasm"
    try:
        return kernel(method, cell.full_equations(), announce=announce,
                      event=cell.glutamate_event), "fast"
    except EngineUnavailableError as err:
        try:
            loaded = packaged_wasm_kernel(cell, method)
        except WasmUnavailableError as why:
            raise EngineUnavailableError(f"{err}, and {why}") from None
        warnings.warn(f"habmodel: the fast engine is unavailable ({err}); using the "
                      "WebAssembly engine instead (the same kernel, 2-6x slower)",
                      EngineFallbackWarning, stacklevel=4)
        return loaded, "wasm"


def packaged_wasm_kernel(cell: Cell, method: str = DEFAULT_METHOD):
    """The packaged WebAssembly kernel, if it integrates ``cell`` with ``method``; raises
    :class:`habmodel.engines.wasm_kernel.WasmUnavailableError` (saying why) otherwise."""
    from ..model.equations import DEFAULT_CELL
    from .wasm_kernel import WasmUnavailableError, wasm_kernel

    variant = next((v for v in ("hill", "trapping")
                    if cell.full_equations() == DEFAULT_CELL.variant(v).full_equations()
                    and dict(cell.glutamate_event) == dict(DEFAULT_CELL.glutamate_event)), None)
    if variant is None:
        raise WasmUnavailableError("the packaged WebAssembly kernel has the built-in cell only "
                                   "(a cell with its own parts needs a C compiler, or Brian2's "
                                   "runtime engine)")
    loaded = wasm_kernel(variant)
    if method != loaded.method:
        raise WasmUnavailableError(f"the packaged WebAssembly kernel integrates with "
                                   f"{loaded.method}, not {method}")
    return loaded


def run_fast(values, avail, n_cells, seed, dt_ms, method, n_warm, n_rec, cells, rec_every,
              progress, ketamine_model, input_ids, cell, threads, engine="fast"):
    dt_s = dt_ms * 1e-3
    pop = FastPopulation(values, avail, n_cells, seed, dt_ms, method,
                         ketamine_model=ketamine_model, input_ids=input_ids, threads=threads,
                         t_offset_s=n_warm * dt_s, announce=progress is not False, cell=cell,
                         engine=engine)
    used = pop.engine
    n_samples = -(-n_rec // rec_every) if len(cells) else 0
    rec = np.full((n_samples, len(cells)), np.nan)
    bar = _Progress(progress, (n_warm + n_rec) * dt_s)
    try:
        steps, who = pop.advance(n_warm + n_rec, rec_cells=cells, rec=rec,
                                 rec_every=rec_every if n_samples else 0, rec_step0=n_warm,
                                 on_chunk=lambda step: bar.update(step * dt_s))
    finally:
        bar.close()
    keep = steps >= n_warm
    steps, who = steps[keep], who[keep]
    order = np.argsort(who, kind="stable")
    bounds = np.searchsorted(who[order], np.arange(n_cells + 1))
    times = (steps[order] - n_warm) * dt_s
    spikes_s = [times[bounds[i]:bounds[i + 1]] for i in range(n_cells)]
    t_s = v_mV = None
    if n_samples:
        t_s = np.arange(n_samples) * rec_every * dt_s
        v_mV = rec.T * 1e3
    return spikes_s, t_s, v_mV, pop.get("v") * 1e3, used


def run_runtime(values, avail, n_cells, seed, dt_ms, method, n_warm, n_rec, cells, rec_every,
                 progress, ketamine_model, input_ids, cell):
    import brian2 as b2

    dt_q = dt_ms * b2.ms
    net, group, spikes, state = build_network(
        values, avail, n_cells, seed, dt_q, method, cells, rec_every * dt_q, n_warm * dt_q,
        ketamine_model=ketamine_model, input_ids=input_ids, cell=cell)
    if state is not None:
        state.active = False
    total_s = (n_warm + n_rec) * dt_ms * 1e-3
    bar = _Progress(progress, total_s)

    def report(elapsed, completed, start, duration):
        bar.update(float(start) + float(completed) * float(duration))

    try:
        if n_warm:
            net.run(n_warm * dt_q, namespace={}, report=report, report_period=0.5 * b2.second)
        if state is not None:
            state.active = True
        net.run(n_rec * dt_q, namespace={}, report=report, report_period=0.5 * b2.second)
    except b2.BrianObjectException as err:
        if isinstance(getattr(err, "__cause__", None), (ZeroDivisionError, FloatingPointError)):
            raise SimulationError(f"numerical blow-up with method {method!r} at dt = {dt_ms:g} "
                                  "ms; use a smaller dt or check the parameters") from err
        raise
    finally:
        bar.close()

    t0 = n_warm * dt_ms * 1e-3
    trains_all = spikes.spike_trains()
    spikes_s = [np.asarray(trains_all[i] / b2.second) - t0 for i in range(n_cells)]
    spikes_s = [s[s >= -1e-12] for s in spikes_s]
    t_s = v_mV = None
    if state is not None:
        t_s = np.asarray(state.t / b2.second) - t0
        v_mV = np.asarray(state.v / b2.mV)
    return spikes_s, t_s, v_mV, np.asarray(group.v[:] / b2.mV)


def check_finite(v_end, v_mV, cells, dt_ms, method):
    bad = ~np.isfinite(v_end) | (np.abs(v_end) > 500)
    if v_mV is not None:
        bad_rec = ~np.all(np.isfinite(v_mV) & (np.abs(v_mV) < 500), axis=1)
        bad[cells[bad_rec]] = True
    if bad.any():
        which = np.flatnonzero(bad)
        raise SimulationError(
            f"numerical blow-up: the membrane potential of {which.size} cell(s) (first: "
            f"{which[:5].tolist()}) became non-finite or exceeded 500 mV with method "
            f"{method!r} at dt = {dt_ms:g} ms; use a smaller dt or check the parameters")
