"""``simulate``: run a population of LHb neurons and return plain data.

Three engines integrate the same equations with the same input:

* ``"fast"`` (default): the compiled kernel of :mod:`habmodel.engines.fast`, built
  once per model structure and machine, then re-run with new values;
* ``"wasm"``: the same kernel compiled to WebAssembly, packaged with habmodel for the
  built-in cell and run by ``wasmtime`` (:mod:`habmodel.engines.wasm_kernel`): the
  fallback where no C compiler works, 2-6x slower than native;
* ``"runtime"``: Brian2's runtime code generation on an explicit
  :class:`brian2.Network` (no global ``run``, no change to Brian2's global
  preferences or clock); the fallback for a cell with its own parts where no C
  compiler works.

``HABMODEL_ENGINE`` chooses the engine where ``engine`` is not given.

Either way a warm-up that is not recorded comes first, and the result is a
:class:`SimulationResult` made of NumPy arrays: picklable, and independent of
Brian2 once returned.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from . import analysis
from .engines import ENGINES, default_engine
from .engines.runner import (  # the population runners (FastPopulation etc. are exported here too)
    DEFAULT_DT_MS,
    DEFAULT_METHOD,
    PROGRESS_AFTER_S,
    EngineFallbackWarning,
    FastPopulation,
    SimulationError,
    check_finite,
    progress_mode,
    run_fast,
    run_runtime,
)
from .model.cell import Cell
from .model.cells import named_cell
from .model.equations import KETAMINE_MODELS, cell_for
from .model.inputs import (
    MAX_CELLS,
    MAX_DURATION_S,
    check_int,
    resolve_drugs,
    resolve_parameters,
)
from .model.units import to_display
from .model.values import population_values

__all__ = ["simulate", "SimulationResult", "SimulationError", "EngineFallbackWarning",
           "default_engine",
           "FastPopulation", "DEFAULT_DT_MS", "DEFAULT_METHOD", "ENGINES", "PROGRESS_AFTER_S",
           "progress_mode", "resolve_parameters", "resolve_drugs"]


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
        from :data:`habmodel.model.parameters.PARAMETERS`, or the ``cell``'s table).
    cell : Cell
        The neuron model that was simulated (:class:`habmodel.model.cell.Cell`).
    drugs_uM : dict
        Drug concentrations (uM), per cell.
    metrics : dict
        Per-cell metrics from :func:`habmodel.analysis.population_metrics`.

    Examples
    --------
    >>> import habmodel
    >>> result = habmodel.simulate("depressed", n_cells=2, duration="1 s", seed=1)
    >>> len(result.spikes_s), round(float(result.spikes_s[0][0]), 3)  # cell 0's first spike
    (2, 0.248)
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


def simulate(condition: str = "control", drugs: dict | None = None, n_cells: int = 1,
             duration=None, seed: int = 0, record_v=False, overrides: dict | None = None, *,
             warmup=None, dt=None, method: str = DEFAULT_METHOD, record_dt=None,
             criteria: analysis.BurstCriteria | None = None, engine: str | None = None,
             threads: int | None = None, progress: bool | None = None,
             ketamine_model: str = "hill", input_ids=None,
             jitter: float = 0.0, cell: Cell | str | None = None) -> SimulationResult:
    """Simulate a population of LHb neurons.

    Parameters
    ----------
    condition : str
        A named condition from :data:`habmodel.model.parameters.CONDITIONS`
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
    engine : {"fast", "wasm", "runtime"}, optional
        ``"fast"`` (default, or ``HABMODEL_ENGINE``) runs the compiled kernel
        (:mod:`habmodel.engines.fast`; methods ``rk4``, ``rk2``, ``euler``);
        ``"wasm"`` the packaged WebAssembly kernel of the built-in cell (rk4, no
        compiler needed); ``"runtime"`` Brian2's runtime code generation (any Brian2
        method). Where the fast engine cannot be built, the WebAssembly engine is used
        for the built-in cell and Brian2's runtime for any other, with one
        :class:`EngineFallbackWarning` that says why.
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
        uniform in ``[1 - jitter, 1 + jitter]`` (:mod:`habmodel.model.jitter`); the
        factors depend only on the seed and the cell's id (``input_ids``), so
        the same seed gives the same cells in every condition and with every drug.
    cell : Cell or str, optional
        The neuron model (default: the LHb neuron of ``docs/model.md``); e.g.
        ``habmodel.Cell(extra=[my_current])`` (:mod:`habmodel.model.cell`), or the name of
        a named cell, ``"default"`` or ``"pacemaker"`` (:mod:`habmodel.model.cells`). Both
        engines integrate its equations; ``overrides`` may set its parameters.

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> import habmodel
    >>> result = habmodel.simulate("depressed", n_cells=2, duration="1 s", seed=1)
    >>> result.mode_fractions()
    {'silent': 0.0, 'tonic': 0.0, 'burst': 1.0}
    >>> result.mean("bursts_per_s")
    3.0
    """
    n_cells = check_int("n_cells", n_cells, 1, MAX_CELLS)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    duration_s = to_display("5 s" if duration is None else duration, "s", "duration")
    warmup_s = to_display("0.5 s" if warmup is None else warmup, "s", "warmup")
    dt_ms = to_display(f"{DEFAULT_DT_MS!r} ms" if dt is None else dt, "ms", "dt")
    record_dt_ms = (max(0.1, dt_ms) if record_dt is None
                    else to_display(record_dt, "ms", "record_dt"))
    if not 0 < duration_s <= MAX_DURATION_S:
        raise ValueError(f"duration: expected a time in (0, 24] h, got {duration_s:g} s")
    if not 0 <= warmup_s <= MAX_DURATION_S:
        raise ValueError(f"warmup: expected a time in [0, 24] h, got {warmup_s:g} s")
    if not 0 < dt_ms <= 1:
        raise ValueError(f"dt: expected a time step in (0, 1] ms, got {dt_ms:g} ms")
    if record_dt_ms < dt_ms:
        raise ValueError(f"record_dt: expected at least dt ({dt_ms:g} ms), got {record_dt_ms:g}")
    engine = default_engine() if engine is None else engine
    if engine not in ENGINES:
        raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    if threads is not None:
        threads = check_int("threads", threads, 1, 1024)
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

    cell = cell_for(ketamine_model, named_cell(cell) if isinstance(cell, str) else cell)
    values, concentrations, avail = population_values(condition, overrides, drugs, n_cells,
                                                      seed, jitter, cell, input_ids)

    n_warm = int(round(warmup_s * 1e3 / dt_ms))
    n_rec = int(round(duration_s * 1e3 / dt_ms))
    rec_every = max(1, int(round(record_dt_ms / dt_ms)))
    run = dict(values=values, avail=avail, n_cells=n_cells, seed=seed, dt_ms=dt_ms,
               method=method, n_warm=n_warm, n_rec=n_rec, cells=cells, rec_every=rec_every,
               progress=progress, ketamine_model=ketamine_model, input_ids=input_ids,
               cell=cell)
    if engine in ("fast", "wasm"):
        from .engines.fast import EngineUnavailableError

        try:
            spikes_s, t_s, v_mV, v_end, engine = run_fast(**run, threads=threads,
                                                          engine=engine)
        except EngineUnavailableError as err:
            if engine == "wasm":
                raise
            warnings.warn(f"habmodel: the fast engine is unavailable ({err}); using Brian2's "
                          "runtime engine instead (much slower)", EngineFallbackWarning,
                          stacklevel=2)
            engine = "runtime"
    if engine == "runtime":
        spikes_s, t_s, v_mV, v_end = run_runtime(**run)
    check_finite(v_end, v_mV, cells, dt_ms, method)

    metrics = analysis.population_metrics(spikes_s, duration_s, criteria)
    return SimulationResult(
        condition=condition, n_cells=n_cells, duration_s=duration_s, warmup_s=warmup_s,
        seed=seed, dt_ms=dt_ms, method=method, spikes_s=spikes_s, t_s=t_s, v_mV=v_mV,
        v_cells=cells, params=values,
        drugs_uM={d.name: c for d, c in concentrations.items()}, metrics=metrics,
        criteria=criteria, versions=_versions(), engine=engine,
        ketamine_model=ketamine_model, jitter=float(jitter), cell=cell,
    )


