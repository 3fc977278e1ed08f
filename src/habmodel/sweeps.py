"""Parameter sweeps: a grid of values x cells x seeds, to one tidy table with provenance.

::

    table = habmodel.sweep("depressed", vary={"K_o": [2.5, 3, 3.5] * mM,
                                              "ketamine": [0, 1, 3] * uM},
                           n_cells=20, seeds=2, duration=5 * second, out="runs/grid")

``vary`` names model parameters (:data:`habmodel.model.parameters.PARAMETERS`) or
drugs (:data:`habmodel.model.drugs.DRUGS`); several names make a grid (their
product). The grid is packed into *chunks* of grid points, each chunk one
vectorised :func:`habmodel.simulate` run of one seed. Cell ``i`` of every grid
point gets the same glutamate input (and the same conductance jitter), so
grid points are compared on the same cells.

With ``out``, every finished chunk is written at once (atomically) under
``out/chunks/``; calling the same sweep again skips them, so an interrupted
sweep resumes. At the end ``out/results.csv``, ``out/results.parquet`` (one
row per grid point x cell x seed) and ``out/provenance.json`` appear.

With ``scheduler`` (``"tcp://HOST:PORT"``, or a ``dask.distributed.Client``)
the chunks run on a Dask cluster (``pip install habmodel[dask]``); each worker
compiles the model once (or finds it in its kernel cache) and reuses it. The
numbers are the same as those of a local run.
"""

from __future__ import annotations

import itertools
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .io import folder_lock
from .sweep_files import (
    SweepError,
    chunk_path,
    prepare_out,
    remove_if_empty,
    write_atomic,
    write_results,
)

__all__ = ["sweep", "column_name", "SweepError"]

_METRICS = ("rate_hz", "burst_fraction", "bursts_per_s", "spikes_per_burst", "intraburst_hz",
            "mode")


def column_name(name: str, unit: str) -> str:
    """The results column of a varied name: ``K_o_mM``, ``g_T_mS_cm2``, ``ketamine_uM``."""
    if unit in ("", "1"):
        return name
    slug = unit.replace("1/", "per_").replace("/", "_").replace("*", "").replace(" ", "")
    return f"{name}_{slug}"


def _axis(name: str, values, table) -> tuple[str, str, list[float]]:
    """``(kind, unit, floats in unit)`` of one ``vary`` entry, checked against the
    cell's parameter ``table``."""
    from .model.drugs import DRUGS, check_concentration
    from .model.parameters import closest_name
    from .model.units import is_quantity, to_display

    if name in table:
        kind, unit, check = "parameter", table[name].unit, table[name].check
    elif name in DRUGS:
        kind, unit = "drug", "uM"

        def check(v):
            check_concentration(name, v)
    else:
        hint = closest_name(name, [*table, *DRUGS])
        raise ValueError(f"vary: unknown parameter or drug '{name}'"
                         + (f"; did you mean '{hint}'?" if hint else ""))
    if is_quantity(values):
        values = [values[i] for i in range(len(values))] if values.ndim else [values]
    elif isinstance(values, (str, bytes)) or np.ndim(values) == 0:
        values = [values]
    out = [to_display(v, unit, name) for v in values]
    if not out:
        raise ValueError(f"vary: {name} has no values")
    if len(set(out)) != len(out):
        raise ValueError(f"vary: {name} repeats a value")
    for v in out:
        check(v)
    return kind, unit, out


def _fixed_drugs(drugs) -> dict[str, float]:
    """Fixed drug concentrations (one value each) as checked floats in uM."""
    from .model.drugs import check_concentration, resolve_drug
    from .model.units import to_display

    out = {}
    for key, value in (drugs or {}).items():
        name = resolve_drug(key).name
        if np.ndim(value) > 0 and not isinstance(value, str):
            raise ValueError(f"{name}: expected one value for every cell of the sweep; vary it "
                             "instead")
        out[name] = check_concentration(name, to_display(value, "uM", name))
    return out


def _run_chunk(task: dict):
    """Simulate one chunk (one seed, some grid points); a DataFrame of its rows.

    Module-level and made of plain data, so that Dask can ship it to a worker.
    """
    import pandas as pd
    from brian2 import second, uM

    from .model.units import unit_of
    from .simulation import simulate

    n_cells, points = task["n_cells"], task["points"]
    n = n_cells * len(points)
    per_point = {name: np.repeat([p[name] for p in task["values"]], n_cells)
                 for name in task["axes"]}
    overrides, drugs = {}, {}
    for name, value in task["overrides"].items():
        overrides[name] = np.full(n, value)
    for name, value in task["drugs"].items():
        drugs[name] = np.full(n, value)
    for name, (kind, _unit) in task["axes"].items():
        (overrides if kind == "parameter" else drugs)[name] = per_point[name]
    from .model.parameters import PARAMETERS

    table = PARAMETERS if task.get("cell") is None else task["cell"].parameters
    overrides = {k: v * unit_of(table[k].unit) for k, v in overrides.items()}
    drugs = {k: v * uM for k, v in drugs.items()}
    result = simulate(task["condition"], drugs=drugs or None, n_cells=n,
                      duration=task["duration_s"] * second, warmup=task["warmup_s"] * second,
                      seed=task["seed"], overrides=overrides or None, criteria=task["criteria"],
                      engine=task["engine"], threads=task["threads"], progress=False,
                      ketamine_model=task["ketamine_model"], jitter=task["jitter"],
                      input_ids=np.tile(np.arange(n_cells), len(points)),
                      **({} if task.get("cell") is None else {"cell": task["cell"]}))
    table = pd.DataFrame({"point": np.repeat(points, n_cells)})
    for name, (_kind, unit) in task["axes"].items():
        table[column_name(name, unit)] = per_point[name]
    table["cell"] = np.tile(np.arange(n_cells), len(points))
    table["seed"] = task["seed"]
    for key in _METRICS:
        table[key] = np.asarray(result.metrics[key])
    return table, result.engine


def sweep(condition: str = "control", vary: dict | None = None, *, n_cells: int = 20,
          seeds: int = 1, seed: int = 0, duration="5 s", warmup="0.5 s",
          overrides: dict | None = None, drugs: dict | None = None, jitter: float = 0.0,
          criteria=None, out=None, overwrite: bool = False, scheduler=None,
          engine: str = "fast", threads: int | None = None, progress: bool | None = None,
          ketamine_model: str = "hill", chunk_cells: int = 4000, command: str | None = None,
          cell=None):
    """Run a grid of parameter and drug values over cells and seeds.

    Parameters
    ----------
    condition : str
        Named condition every grid point starts from.
    vary : dict
        ``{name: values}``: model parameters or drugs, each with a sequence of
        values (Brian2 quantities, or strings like ``"2 uM"``; plain numbers only
        for dimensionless parameters). Their product is the grid.
    n_cells : int
        Cells per grid point and seed.
    seeds, seed : int
        Number of seeds and the first: seeds ``seed, seed + 1, ...``.
    duration, warmup : Quantity or str
        Recorded time and unrecorded warm-up of every run.
    overrides, drugs : dict, optional
        Fixed parameter values and drug concentrations (one value each).
    jitter : float
        Conductance jitter (as :func:`habmodel.simulate`).
    out : path, optional
        Folder for chunks (resumable), results and provenance.
    scheduler : str or dask.distributed.Client, optional
        Run the chunks on a Dask cluster.
    chunk_cells : int
        Cells per chunk (grid points are packed until this many).
    command : str, optional
        The command line, recorded in the provenance.
    cell : Cell, optional
        The neuron model (default: the LHb neuron); a cell with extra parts lets
        ``vary`` and ``overrides`` name their parameters.

    Returns
    -------
    pandas.DataFrame
        One row per grid point x cell x seed: ``point``, one column per varied
        name with its unit (``K_o_mM``), ``cell``, ``seed`` and the metrics of
        ``summary.csv``.

    Examples
    --------
    >>> import habmodel
    >>> from brian2 import mM
    >>> table = habmodel.sweep("control", vary={"K_o": [2.75, 5.0]*mM}, n_cells=2,
    ...                        duration="1 s", progress=False)
    >>> table.groupby("K_o_mM")["mode"].agg(lambda m: m.mode()[0]).to_dict()
    {2.75: 'burst', 5.0: 'tonic'}
    """

    from .analysis.bursts import DEFAULT_CRITERIA
    from .model.cell import Cell
    from .model.inputs import check_int, scalar_overrides
    from .model.parameters import PARAMETERS, condition_values
    from .model.units import to_display

    if cell is not None and not isinstance(cell, Cell):
        raise TypeError(f"cell: expected a habmodel.Cell, got {cell!r}")
    table = PARAMETERS if cell is None else cell.parameters
    condition_values(condition, table)
    if not vary:
        raise ValueError("vary: give at least one NAME with its values")
    axes, grids = {}, []
    for name, values in vary.items():
        kind, unit, floats = _axis(name, values, table)
        axes[name] = (kind, unit)
        grids.append(floats)
    n_cells = check_int("n_cells", n_cells, 1, 100_000)
    seeds = check_int("seeds", seeds, 1, 10_000)
    seed = check_int("seed", seed, 0, 2**63 - 1 - seeds)
    chunk_cells = check_int("chunk_cells", chunk_cells, 1, 10_000_000)
    duration_s = to_display(duration, "s", "duration")
    warmup_s = to_display(warmup, "s", "warmup")
    if not 0 < duration_s <= 24 * 3600 or not 0 <= warmup_s <= 24 * 3600:
        raise ValueError("duration: expected a time in (0, 24] h (warmup in [0, 24] h)")
    fixed = scalar_overrides(overrides, table)
    fixed_drugs = _fixed_drugs(drugs)
    both = sorted(set(axes) & (set(fixed) | set(fixed_drugs)))
    if both:
        raise ValueError(f"vary: {', '.join(both)} is both varied and fixed")
    from .model.jitter import check_fraction

    jitter = check_fraction(jitter)
    criteria = criteria or DEFAULT_CRITERIA
    points = [dict(zip(axes, combo, strict=True)) for combo in itertools.product(*grids)]
    per_chunk = max(1, chunk_cells // n_cells)
    tasks = []
    for s in range(seed, seed + seeds):
        for start in range(0, len(points), per_chunk):
            index = list(range(start, min(start + per_chunk, len(points))))
            tasks.append({"condition": condition, "seed": s, "points": index,
                          "values": [points[i] for i in index], "axes": axes,
                          "n_cells": n_cells, "duration_s": duration_s, "warmup_s": warmup_s,
                          "overrides": fixed, "drugs": fixed_drugs, "jitter": jitter,
                          "criteria": criteria, "engine": engine, "threads": threads,
                          "ketamine_model": ketamine_model, "cell": cell})
    spec = {"condition": condition, "vary": {n: [*map(float, g)] for n, g in
                                             zip(axes, grids, strict=True)},
            "n_cells": n_cells, "seeds": list(range(seed, seed + seeds)),
            "duration_s": duration_s, "warmup_s": warmup_s, "overrides": fixed,
            "drugs": fixed_drugs, "jitter": jitter, "criteria": criteria.describe(),
            "ketamine_model": ketamine_model, "engine": engine, "chunk_cells": chunk_cells}
    if cell is not None:  # another cell is another sweep (the spec decides what resumes)
        import hashlib

        spec["cell"] = {"parts": [part.name for part in cell.parts],
                        "equations_sha256": hashlib.sha256(
                            cell.full_equations().encode()).hexdigest()}

    started = datetime.now(UTC).isoformat(timespec="seconds")
    out = None if out is None else Path(out)
    with ExitStack() as stack:
        if out is not None:
            if out.exists() and not out.is_dir():
                raise SweepError(f"out: {out} exists and is not a folder")
            created = not out.exists()
            out.mkdir(parents=True, exist_ok=True)
            if created:  # a sweep refused below leaves no empty folder behind
                stack.callback(remove_if_empty, out)
            # one sweep at a time in a folder: a second one exits at once
            stack.enter_context(folder_lock(out, "habmodel sweep"))
            prepare_out(out, spec, overwrite)
        return _execute(tasks, spec, out, started, scheduler, progress, command)


def _execute(tasks, spec, out, started, scheduler, progress, command):
    """Run the chunks that are not in ``out`` yet, and write the results."""
    import pandas as pd

    tables, engines = {}, set()
    pending = []
    for i, task in enumerate(tasks):
        path = None if out is None else chunk_path(out, task)
        if path is not None and path.exists():
            tables[i] = pd.read_parquet(path)
        else:
            pending.append(i)
    bar = _bar(progress, len(tasks), len(tasks) - len(pending))

    def done(i, table, eng):
        engines.add(eng)
        if out is not None:
            write_atomic(chunk_path(out, tasks[i]), lambda p: table.to_parquet(p, index=False))
        tables[i] = table
        bar.update(1)

    try:
        if scheduler is None:
            for i in pending:
                done(i, *_run_chunk(tasks[i]))
        else:
            _run_on_dask(scheduler, tasks, pending, done)
    finally:
        bar.close()
    table = pd.concat([tables[i] for i in range(len(tasks))], ignore_index=True)
    table = table.sort_values(["seed", "point", "cell"], kind="stable", ignore_index=True)
    if out is not None:
        write_results(out, table, spec, tasks, started, command, scheduler, engines)
    return table


def _bar(progress, total: int, initial: int):
    from tqdm.auto import tqdm

    from .engines.runner import progress_mode

    return tqdm(total=total, initial=initial, unit="chunk", desc="habmodel sweep",
                disable=progress_mode(progress) == "off", file=sys.stderr, leave=False)


def _prepare_worker() -> None:
    """Import Brian2 in a worker's main thread (``client.run`` runs there): its import
    installs a SIGINT handler, which Python allows only in the main thread, and tasks
    run in a worker's thread pool."""
    import brian2  # noqa: F401

    from . import simulation  # noqa: F401


def _run_on_dask(scheduler, tasks, pending, done) -> None:
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise ValueError("scheduler: Dask is not installed; pip install 'habmodel[dask]'") \
            from None
    own = not isinstance(scheduler, Client)
    try:
        client = Client(scheduler, timeout="30s") if own else scheduler
    except (OSError, TimeoutError, ValueError) as err:
        raise ValueError(f"scheduler: cannot connect to {scheduler!r} ({err})") from None
    try:
        client.run(_prepare_worker)
        futures = {client.submit(_run_chunk, tasks[i], pure=False): i for i in pending}
        for future in as_completed(futures):
            done(futures[future], *future.result())
    finally:
        if own:
            client.close()
