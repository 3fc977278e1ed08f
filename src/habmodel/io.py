"""Write the results of one run to a folder, atomically.

:func:`write_run` writes

* ``spikes.csv`` -- columns ``cell,t_s``: one row per spike, times in seconds
  from the start of the recorded period (after the warm-up);
* ``summary.csv`` -- one row per cell: ``cell,rate_hz,burst_fraction,
  bursts_per_s,spikes_per_burst,intraburst_hz,mode``; an undefined value (e.g.
  spikes per burst of a cell without bursts) is written ``nan``, and an
  infinite intra-burst rate ``inf`` (both read back by ``float()``, NumPy and
  pandas);
* ``params.toml`` -- every parameter value used, as strings with units that
  :func:`habmodel.model.units.parse_quantity` reads back (``"1.5 mS/cm2"``;
  dimensionless values are plain numbers), with each parameter's meaning as a
  comment, plus the seed, condition, drugs, times, method, burst criteria and
  versions; a per-cell value that is the same in every cell is one value,
  otherwise a list with one value per cell;
* ``trace.png`` -- the voltage trace of the first recorded cell (if any).

Everything is built in a hidden sibling folder and renamed into place at the
end, so an interrupted or failed write leaves no partial folder behind.
"""

from __future__ import annotations

import csv
import errno
import json
import math
import os
import re
import shlex
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .model.drugs import condition_label
from .model.parameters import PARAMETERS

__all__ = ["SUMMARY_COLUMNS", "params_toml", "OutputBusyError", "condition_label", "folder_lock",
           "format_quantity", "is_nonempty_dir", "toml_line", "write_error", "write_folder",
           "write_files", "write_run"]


class OutputBusyError(RuntimeError):
    """Another run is writing to the same output folder, or wrote it first."""


def write_error(err: OSError, path=None) -> str:
    """``"cannot write PATH: No space left on device"``: the path and the OS's reason."""
    where = err.filename or path
    reason = err.strerror or str(err)
    return f"cannot write {where}: {reason}" if where else f"cannot write: {reason}"


@contextmanager
def folder_lock(folder, what: str = "habmodel run"):
    """Hold an exclusive lock on ``folder`` (which must exist) while the block runs.

    The lock is an ``flock`` of the folder itself, so nothing is left behind, and the
    operating system releases it when the process ends however it ends. Raises
    :class:`OutputBusyError` at once if another process holds it. Where the platform
    has no ``flock`` (Windows), nothing is locked.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputBusyError(f"{folder} is being written by another {what}; wait for "
                                  "it or choose another folder") from None
        yield
    finally:
        os.close(fd)


def write_files(files: dict) -> None:
    """Write several text files so that either all of them are replaced or none: each
    goes to a temporary file beside it first, and only when every one is written are
    they renamed into place."""
    staged = []
    try:
        for path, text in files.items():
            path = Path(path)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            staged.append((tmp, path))
            tmp.write_text(text, encoding="utf-8")
        for tmp, path in staged:
            os.replace(tmp, path)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)

SUMMARY_COLUMNS = ("cell", "rate_hz", "burst_fraction", "bursts_per_s", "spikes_per_burst",
                   "intraburst_hz", "mode")


def _num(value: float) -> str:
    """Shortest round-trip text of a float (``50.0`` -> ``"50"``, NaN -> ``"nan"``)."""
    value = float(value)
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return repr(value).removesuffix(".0")


def format_quantity(value: float, unit: str) -> str:
    """``"1.5 mS/cm2"`` from ``1.5`` and ``"mS/cm2"`` (just the number if ``unit`` is ``"1"``)."""
    return _num(value) if unit in ("", "1") else f"{_num(value)} {unit}"


# --- TOML (written by hand so that it can carry comments) ---------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name, ensure_ascii=False)


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return _num(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # A JSON string is a valid TOML basic string (same escapes).
    return json.dumps(str(value), ensure_ascii=False)


def _per_cell(values, unit: str):
    """One value if all cells agree, else a list (strings with units, or numbers)."""
    arr = np.atleast_1d(np.asarray(values, float))
    one = (lambda v: float(v)) if unit in ("", "1") else (lambda v: format_quantity(v, unit))
    if np.all(arr == arr[0]):
        return one(arr[0])
    return [one(v) for v in arr]


def toml_line(name: str, value, comment: str = "") -> str:
    """One ``key = value  # comment`` line of TOML."""
    text = f"{_key(name)} = {_toml_value(value)}"
    return f"{text}  # {comment}" if comment else text


_line = toml_line


def params_toml(result, argv=None) -> str:
    """The ``params.toml`` of ``result`` (a :class:`habmodel.SimulationResult`): every value
    used; ``habmodel simulate --params FILE`` repeats the run (same spikes). ``argv``: the
    command line to record, if any."""
    from .model.drugs import DRUGS

    crit = result.criteria
    silence = crit.min_preburst_silence
    out = [
        "# habmodel run: every value used. Values with units are strings that",
        "# habmodel.model.units.parse_quantity reads back; a list holds one value per cell.",
        "",
        "[run]",
        _line("condition", result.condition),
        _line("cells", int(result.n_cells)),
        _line("seed", int(result.seed)),
        _line("duration", format_quantity(result.duration_s, "s"), "recorded time"),
        _line("warmup", format_quantity(result.warmup_s, "s"), "simulated before recording"),
        _line("dt", format_quantity(result.dt_ms, "ms"), "integration time step"),
        _line("method", result.method, "integration method"),
        _line("engine", result.engine,
              "fast (compiled kernel), wasm (WebAssembly) or runtime (Brian2)"),
        _line("ketamine_model", result.ketamine_model, "how ketamine blocks NMDA receptors"),
    ]
    if result.jitter:
        out.append(f"# conductance jitter {_num(result.jitter)} was applied (seed {result.seed}):"
                   " the per-cell values in [parameters] include it")
    if argv is not None:
        out.append(_line("command", shlex.join(["habmodel", *map(str, argv)])))
    out += ["", "[drugs]  # concentrations"]
    for name, conc in result.drugs_uM.items():
        drug = DRUGS.get(name)
        out.append(_line(name, _per_cell(conc, "uM"), drug.description if drug else ""))
    out += [
        "", f"[burst_criteria]  # {crit.describe()}",
        _line("max_isi", format_quantity(crit.max_isi * 1e3, "ms"), "largest ISI in a burst"),
        _line("min_spikes", int(crit.min_spikes), "fewest spikes in a burst"),
        _line("min_preburst_silence",
              "none" if silence is None else format_quantity(silence * 1e3, "ms"),
              "silence before a burst ('none' = not required)"),
        _line("silent_rate", format_quantity(crit.silent_rate, "Hz"), "below this: silent"),
        _line("burst_fraction_threshold", float(crit.burst_fraction_threshold),
              "burst mode if the fraction of spikes in bursts is above this"),
        "", "[parameters]",
    ]
    group = None
    cell = getattr(result, "cell", None)
    table = cell.parameters if cell is not None else PARAMETERS
    if cell is not None and cell.extra:
        out.append("# this run had extra parts: " + ", ".join(p.name for p in cell.extra)
                   + " (give the same --part FILE again to repeat it)")
    for name, values in result.params.items():
        param = table.get(name)
        unit, meaning = (param.unit, param.meaning) if param else ("1", "")
        if param and param.group != group:
            group = param.group
            out.append(f"# --- {group} ---")
        out.append(_line(name, _per_cell(values, unit), meaning))
    versions = {**result.versions, "python": sys.version.split()[0]}
    out += ["", "[versions]"] + [_line(k, str(v)) for k, v in versions.items()]
    return "\n".join(out) + "\n"


# --- CSV -----------------------------------------------------------------------------------

def _write_csv(path: Path, header, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _spike_rows(result):
    for cell, times in enumerate(result.spikes_s):
        for t in np.asarray(times, float):
            yield cell, f"{t:.12g}"


def _summary_rows(result):
    for row in result.summary_rows():
        yield [row["cell"]] + [
            _num(row[k]) if k != "mode" else str(row[k]) for k in SUMMARY_COLUMNS[1:]]


def _fill(folder: Path, result, argv) -> None:
    _write_csv(folder / "spikes.csv", ("cell", "t_s"), _spike_rows(result))
    _write_csv(folder / "summary.csv", SUMMARY_COLUMNS, _summary_rows(result))
    (folder / "params.toml").write_text(params_toml(result, argv), encoding="utf-8")
    if result.v_mV is not None and len(result.v_cells):
        from .plotting.layout import save_figure
        from .plotting.traces import plot_trace

        fig = plot_trace(result, cell=int(result.v_cells[0]))
        save_figure(fig, folder / "trace", formats=("png",), tight=False)


# --- atomic folder -------------------------------------------------------------------------

def is_nonempty_dir(path) -> bool:
    """True if ``path`` is a folder with something in it."""
    path = Path(path)
    return path.is_dir() and any(path.iterdir())


def write_run(result, out_dir, argv=None, *, overwrite: bool = False) -> Path:
    """Write ``result`` to ``out_dir`` (see the module docstring for the files).

    Parameters
    ----------
    result : SimulationResult
    out_dir : str or Path
        Folder to create. Missing parent folders are created.
    argv : list of str, optional
        The command line, recorded in ``params.toml``.
    overwrite : bool
        Replace an existing non-empty ``out_dir`` (only once the new one is complete).

    Raises
    ------
    FileExistsError
        If ``out_dir`` is a non-empty folder and ``overwrite`` is false, or is a file.
    """
    return write_folder(out_dir, lambda folder: _fill(folder, result, argv), overwrite=overwrite)


def _as_final(err: OSError, tmp, out) -> OSError:
    """``err`` with the path the user asked for in place of the temporary one."""
    name = str(err.filename or "")
    if tmp is not None and name.startswith(str(tmp)):
        name = str(out / Path(name).relative_to(tmp))
    elif not name or Path(name).name.startswith(".habmodel-tmp-") or tmp is None:
        name = str(out)
    else:
        return err
    return type(err)(err.errno, err.strerror or str(err), name)


def write_folder(out_dir, fill, *, overwrite: bool = False) -> Path:
    """Create ``out_dir`` atomically: ``fill(tmp)`` writes into a temporary folder
    beside it, which is then renamed. Nothing is left behind if ``fill`` fails.

    Two runs into the same new folder: the first to finish wins, the other raises
    :class:`OutputBusyError` and keeps nothing (the rename is atomic, so the folder
    always holds one complete run).

    Raises
    ------
    FileExistsError
        If ``out_dir`` is a non-empty folder and ``overwrite`` is false, or is a file.
    OutputBusyError
        If another run filled ``out_dir`` while this one was being written.
    """
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out} exists and is not a folder")
    if is_nonempty_dir(out) and not overwrite:
        raise FileExistsError(f"{out} exists and is not empty (use overwrite)")
    created = []
    parent = out.absolute().parent
    for folder in reversed([parent, *parent.parents]):
        if not folder.exists():
            folder.mkdir()
            created.append(folder)
    tmp = old = None
    try:
        tmp = Path(tempfile.mkdtemp(dir=parent, prefix=".habmodel-tmp-"))
        fill(tmp)
        os.chmod(tmp, 0o777 & ~_umask())
        busy = OutputBusyError(f"{out} was written by another run meanwhile; this run's "
                               "results were not kept")
        if is_nonempty_dir(out):
            if not overwrite:
                raise busy
            old = Path(tempfile.mkdtemp(dir=parent, prefix=".habmodel-old-"))
            os.replace(out, old)
        try:
            os.replace(tmp, out)
        except OSError as err:
            if old is not None:
                os.replace(old, out)
                old = None
            if err.errno in (errno.ENOTEMPTY, errno.EEXIST):
                raise busy from None
            raise
    except BaseException as err:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        for folder in reversed(created):
            try:
                folder.rmdir()
            except OSError:
                break
        if isinstance(err, OSError) and not isinstance(err, FileExistsError):
            raise _as_final(err, tmp, out) from err
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return out


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
