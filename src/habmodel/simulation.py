"""``simulate``: run a population of LHb neurons and return plain data.

Two engines integrate the same equations with the same input:

* ``"fast"`` (default): the compiled kernel of :mod:`habmodel.engine`, built
  once per model structure and machine, then re-run with new values;
* ``"runtime"``: Brian2's runtime code generation on an explicit
  :class:`brian2.Network` (no global ``run``, no change to Brian2's global
  preferences or clock); also the fallback where no C compiler works.

Either way a warm-up that is not recorded comes first, and the result is a
:class:`SimulationResult` made of NumPy arrays: picklable, and independent of
Brian2 once returned.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from . import analysis
from .cell import Cell
from .drugs import availability, check_concentration, resolve_drug
from .model import KETAMINE_MODELS, build_network, cell_for, input_keys
from .parameters import PARAMETERS, condition_values, get_parameter
from .units import is_quantity, si_scale, to_display, unit_of

__all__ = ["simulate", "SimulationResult", "SimulationError", "EngineFallbackWarning",
           "FastPopulation", "DEFAULT_DT_MS", "DEFAULT_METHOD", "ENGINES"]

#: Integration time step (ms) and method, chosen by the convergence test against a
#: SciPy Radau reference (tests/test_accuracy.py, docs/model.md).
DEFAULT_DT_MS = 0.05
DEFAULT_METHOD = "rk4"

_MAX_CELLS = 100_000
_MAX_DURATION_S = 24 * 3600.0


#: The engines of :func:`simulate`.
ENGINES = ("fast", "runtime")

#: Runs expected to take longer than this (wall seconds) show a progress bar.
PROGRESS_AFTER_S = 2.0


_CELL_STEPS_PER_CALL = 1_000_000  # fast engine: ~0.05-0.2 s of work (8 MB) per kernel call


class SimulationError(RuntimeError):
    """The simulation produced non-finite or runaway values."""


class EngineFallbackWarning(RuntimeWarning):
    """The fast engine is unavailable here; Brian2's runtime engine is used instead."""


def _versions() -> dict[str, str]:
    try:
        own = version("habmodel")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        own = "unknown"
    return {"habmodel": own, "brian2": version("brian2"), "numpy": np.__version__}


@dataclass
class SimulationResult:
    """What one :func:`simulate` call produced. All arrays are plain NumPy.

    Attributes
    ----------
    spikes_s : list of ndarray
        Spike times (s) of each cell, from the start of the recorded period.
    t_s, v_mV : ndarray or None
        Time (s) and voltage traces (mV, shape ``(len(v_cells), len(t_s))``).
    v_cells : ndarray
        Cells whose voltage was recorded.
    params : dict
        Every parameter value used, per cell (arrays, in each parameter's unit
        from :data:`habmodel.parameters.PARAMETERS`, or the ``cell``'s table).
    cell : Cell
        The neuron model that was simulated (:class:`habmodel.cell.Cell`).
    drugs_uM : dict
        Drug concentrations (uM), per cell.
    metrics : dict
        Per-cell metrics from :func:`habmodel.analysis.population_metrics`.
    """

    condition: str
    n_cells: int
    duration_s: float
    warmup_s: float
    seed: int
    dt_ms: float
    method: str
    spikes_s: list
    t_s: np.ndarray | None
    v_mV: np.ndarray | None
    v_cells: np.ndarray
    params: dict
    drugs_uM: dict
    metrics: dict
    criteria: analysis.BurstCriteria
    versions: dict = field(default_factory=dict)
    engine: str = "fast"
    ketamine_model: str = "hill"
    jitter: float = 0.0
    cell: Cell | None = None

    def summary_rows(self) -> list[dict]:
        """One dict per cell with the columns of ``summary.csv``."""
        keys = ("rate_hz", "burst_fraction", "bursts_per_s", "spikes_per_burst",
                "intraburst_hz", "mode")
        return [{"cell": int(i), **{k: self.metrics[k][i] for k in keys}}
                for i in range(self.n_cells)]

    def mode_fractions(self) -> dict[str, float]:
        """Fraction of silent / tonic / burst cells."""
        return analysis.mode_fractions(self.metrics["mode"])

    def mean(self, metric: str) -> float:
        """Population mean of a metric, ignoring undefined (NaN) cells."""
        values = np.asarray(self.metrics[metric], float)
        return float(np.nanmean(values)) if np.isfinite(values).any() else math.nan


def _per_cell(name: str, value, unit: str, n_cells: int) -> np.ndarray:
    """A scalar or per-cell value (quantity, string or array) as floats in ``unit``."""
    if is_quantity(value) and np.ndim(value) > 0:
        if value.dim != unit_of(unit).dim:
            raise ValueError(f"{name}: expected quantities in {unit}, got {value.dim} "
                             "(wrong dimensions)")
        arr = np.asarray(value / unit_of(unit), float).ravel()
    elif isinstance(value, (list, tuple)) or (
            isinstance(value, np.ndarray) and not is_quantity(value)
            and value.ndim > 0):
        arr = np.array([to_display(v, unit, name) for v in value], float)
    else:
        return np.full(n_cells, to_display(value, unit, name))
    if arr.shape != (n_cells,):
        raise ValueError(f"{name}: expected one value or {n_cells} values (one per cell), "
                         f"got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: expected finite values in {unit}")
    return arr


def _check_int(name: str, value, low: int, high: int = 10**9) -> int:
    """``value`` as an int if it is an integer in [low, high]; else a ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name}: expected an integer in [{low}, {high}], got {value}")
    return int(value)


def resolve_parameters(condition: str, overrides: dict | None, n_cells: int,
                       table=None) -> dict:
    """Per-cell parameter arrays (display units) for a condition plus overrides
    (``table``: the parameter table of the cell, default :data:`PARAMETERS`)."""
    base = condition_values(condition, table)
    values = {name: np.full(n_cells, v) for name, v in base.items()}
    for name, value in (overrides or {}).items():
        param = get_parameter(name, table)
        arr = _per_cell(name, value, param.unit, n_cells)
        for v in np.unique(arr):
            param.check(float(v))
        values[name] = arr
    return values


def scalar_overrides(overrides) -> dict[str, float]:
    """``{name: value}`` (quantities, strings, or numbers for dimensionless parameters),
    one value each, as checked floats in each parameter's display unit."""
    out = {}
    for name, value in (overrides or {}).items():
        param = get_parameter(name)
        if np.ndim(value) > 0 and not isinstance(value, str):
            raise ValueError(f"{name}: expected one value (per-cell values are not supported "
                             "here)")
        out[name] = to_display(value, param.unit, name)
        param.check(out[name])
    return out


def resolve_drugs(drugs: dict | None, n_cells: int) -> dict:
    """``{Drug: per-cell concentration in uM}``, validated."""
    out = {}
    for key, conc in (drugs or {}).items():
        drug = resolve_drug(key)
        out[drug] = check_concentration(drug.name, _per_cell(drug.name, conc, "uM", n_cells))
    return out


def simulate(condition: str = "control", drugs: dict | None = None, n_cells: int = 1,
             duration=None, seed: int = 0, record_v=False, overrides: dict | None = None, *,
             warmup=None, dt=None, method: str = DEFAULT_METHOD, record_dt=None,
             criteria: analysis.BurstCriteria | None = None, engine: str = "fast",
             threads: int | None = None, progress: bool | None = None,
             ketamine_model: str = "hill", input_ids=None,
             jitter: float = 0.0, cell: Cell | None = None) -> SimulationResult:
    """Simulate a population of LHb neurons.

    Parameters
    ----------
    condition : str
        A named condition from :data:`habmodel.parameters.CONDITIONS`
        (``"control"`` or ``"depressed"``).
    drugs : dict, optional
        ``{"ketamine": 2*uM, "mibefradil": 2*uM}``; values may be per-cell
        arrays (a dose series in one run).
    n_cells : int
        Population size.
    duration : Quantity
        Recorded time (default 5 s), after ``warmup`` (default 0.5 s).
    seed : int
        Seed of the glutamate input; the same seed gives the same spikes.
    record_v : bool or sequence of int
        ``True`` records every cell's voltage, a sequence records those cells.
    overrides : dict, optional
        ``{"g_T": 2.2*msiemens/cm**2}``; values may be per-cell arrays.
    dt, method : Quantity, str
        Integration step and Brian2 method (default 0.05 ms, ``"rk4"``: the
        combination that matches the SciPy reference, see ``docs/model.md``).
    criteria : BurstCriteria, optional
        Burst-detection criteria for the per-cell metrics.
    engine : {"fast", "runtime"}
        ``"fast"`` (default) runs the compiled kernel (:mod:`habmodel.engine`;
        methods ``rk4``, ``rk2``, ``euler``); ``"runtime"`` runs Brian2's
        runtime code generation (any Brian2 method). Where the fast engine
        cannot be built, the runtime engine is used with an
        :class:`EngineFallbackWarning`.
    threads : int, optional
        Threads of the fast engine (default: one per 64 cells, up to the cores).
    progress : bool, optional
        Show a progress bar (``tqdm``); by default only on a terminal or in
        Jupyter and only when the run is expected to take over 2 s.
        ``HABMODEL_PROGRESS=0`` turns it off everywhere.
    ketamine_model : str
        How ketamine blocks NMDA receptors (:data:`habmodel.model.KETAMINE_MODELS`).
    input_ids : sequence of int, optional
        The identity of each cell's glutamate input stream (default: the cell
        index). Cells with the same id and seed get the same input, so a sweep
        can give cell ``i`` of every grid point the same input.
    jitter : float
        Scale every maximal conductance of every cell by an independent factor
        uniform in ``[1 - jitter, 1 + jitter]`` (:mod:`habmodel.jitter`); the
        factors depend only on the seed and the cell's id (``input_ids``), so
        the same seed gives the same cells in every condition and with every drug.
    cell : Cell, optional
        The neuron model (default: the LHb neuron of ``docs/model.md``); e.g.
        ``habmodel.Cell(extra=[my_current])`` (:mod:`habmodel.cell`). Both engines
        integrate its equations; ``overrides`` may set its parameters.

    Returns
    -------
    SimulationResult
    """
    n_cells = _check_int("n_cells", n_cells, 1, _MAX_CELLS)
    seed = _check_int("seed", seed, 0, 2**63 - 1)
    duration_s = to_display("5 s" if duration is None else duration, "s", "duration")
    warmup_s = to_display("0.5 s" if warmup is None else warmup, "s", "warmup")
    dt_ms = to_display(f"{DEFAULT_DT_MS!r} ms" if dt is None else dt, "ms", "dt")
    record_dt_ms = (max(0.1, dt_ms) if record_dt is None
                    else to_display(record_dt, "ms", "record_dt"))
    if not 0 < duration_s <= _MAX_DURATION_S:
        raise ValueError(f"duration: expected a time in (0, 24] h, got {duration_s:g} s")
    if not 0 <= warmup_s <= _MAX_DURATION_S:
        raise ValueError(f"warmup: expected a time in [0, 24] h, got {warmup_s:g} s")
    if not 0 < dt_ms <= 1:
        raise ValueError(f"dt: expected a time step in (0, 1] ms, got {dt_ms:g} ms")
    if record_dt_ms < dt_ms:
        raise ValueError(f"record_dt: expected at least dt ({dt_ms:g} ms), got {record_dt_ms:g}")
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    if threads is not None:
        threads = _check_int("threads", threads, 1, 1024)
    if ketamine_model not in KETAMINE_MODELS:
        raise ValueError(f"ketamine_model: expected one of {', '.join(KETAMINE_MODELS)}, got "
                         f"{ketamine_model!r}")
    if input_ids is not None:
        input_ids = np.asarray(input_ids)
        if (input_ids.shape != (n_cells,) or not np.issubdtype(input_ids.dtype, np.integer)
                or input_ids.min() < 0):
            raise ValueError(f"input_ids: expected {n_cells} non-negative integers (one per cell)")
    criteria = criteria or analysis.DEFAULT_CRITERIA
    if record_v is True:
        cells = np.arange(n_cells)
    elif record_v is False or record_v is None:
        cells = np.zeros(0, int)
    else:
        cells = np.unique(np.asarray(record_v, int))
        if cells.size and (cells.min() < 0 or cells.max() >= n_cells):
            raise ValueError(f"record_v: cell indices must be in [0, {n_cells - 1}]")

    cell = cell_for(ketamine_model, cell)
    values = resolve_parameters(condition, overrides, n_cells, cell.parameters)
    if jitter:
        from .jitter import check_fraction, conductances, jitter_factors

        ids = np.arange(n_cells) if input_ids is None else input_ids
        names = conductances(cell.parameters)
        for name, factor in jitter_factors(ids, check_fraction(jitter), seed, names).items():
            values[name] = values[name] * factor
    concentrations = resolve_drugs(drugs, n_cells)
    avail = availability(concentrations, values, n_cells, ketamine_model,
                         targets=cell.drug_targets)

    n_warm = int(round(warmup_s * 1e3 / dt_ms))
    n_rec = int(round(duration_s * 1e3 / dt_ms))
    rec_every = max(1, int(round(record_dt_ms / dt_ms)))
    run = dict(values=values, avail=avail, n_cells=n_cells, seed=seed, dt_ms=dt_ms,
               method=method, n_warm=n_warm, n_rec=n_rec, cells=cells, rec_every=rec_every,
               progress=progress, ketamine_model=ketamine_model, input_ids=input_ids,
               cell=cell)
    if engine == "fast":
        from .engine import EngineUnavailableError

        try:
            spikes_s, t_s, v_mV, v_end = _run_fast(**run, threads=threads)
        except EngineUnavailableError as err:
            warnings.warn(f"habmodel: the fast engine is unavailable ({err}); using Brian2's "
                          "runtime engine instead (slower)", EngineFallbackWarning,
                          stacklevel=2)
            engine = "runtime"
    if engine == "runtime":
        spikes_s, t_s, v_mV, v_end = _run_runtime(**run)
    _check_finite(v_end, v_mV, cells, dt_ms, method)

    metrics = analysis.population_metrics(spikes_s, duration_s, criteria)
    return SimulationResult(
        condition=condition, n_cells=n_cells, duration_s=duration_s, warmup_s=warmup_s,
        seed=seed, dt_ms=dt_ms, method=method, spikes_s=spikes_s, t_s=t_s, v_mV=v_mV,
        v_cells=cells, params=values,
        drugs_uM={d.name: c for d, c in concentrations.items()}, metrics=metrics,
        criteria=criteria, versions=_versions(), engine=engine,
        ketamine_model=ketamine_model, jitter=float(jitter), cell=cell,
    )


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
    (``avail``, from :func:`habmodel.drugs.availability`). A population of more
    than half the kernel's vector width (:attr:`habmodel.engine.Kernel.simd_width`:
    8 cells with AVX-512, 4 with AVX2) is padded to whole vectors with copies of
    the last cell, which are never reported. ``vector=False`` runs every cell on
    the kernel's one-cell-at-a-time path instead (the same spikes; for tests).
    """

    def __init__(self, values: dict, avail: dict, n_cells: int, seed: int, dt_ms: float,
                 method: str = DEFAULT_METHOD, *, ketamine_model: str = "hill",
                 input_ids=None, threads: int | None = None, t_offset_s: float = 0.0,
                 announce: bool = True, vector: bool = True, cell: Cell | None = None):
        from .engine import default_threads, kernel

        cell = cell_for(ketamine_model, cell)
        self.kernel = kernel(method, cell.full_equations(), announce=announce,
                             event=cell.glutamate_event)
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


def _run_fast(values, avail, n_cells, seed, dt_ms, method, n_warm, n_rec, cells, rec_every,
              progress, ketamine_model, input_ids, cell, threads):
    dt_s = dt_ms * 1e-3
    pop = FastPopulation(values, avail, n_cells, seed, dt_ms, method,
                         ketamine_model=ketamine_model, input_ids=input_ids, threads=threads,
                         t_offset_s=n_warm * dt_s, announce=progress is not False, cell=cell)
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
    return spikes_s, t_s, v_mV, pop.get("v") * 1e3


def _run_runtime(values, avail, n_cells, seed, dt_ms, method, n_warm, n_rec, cells, rec_every,
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


def _check_finite(v_end, v_mV, cells, dt_ms, method):
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


