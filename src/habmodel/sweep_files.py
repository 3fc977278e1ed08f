"""The files of a sweep: its spec (``sweep.json``), one file per finished chunk, and the
results (``results.csv``, ``results.parquet``, ``provenance.json``), each written
atomically so that an interrupted sweep resumes and a finished one is all or nothing."""

from __future__ import annotations

import json
import os
import platform
import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

__all__ = ["SweepError", "SPEC_FILE", "write_atomic", "prepare_out", "chunk_path",
           "remove_if_empty", "write_results"]

SPEC_FILE = "sweep.json"


class SweepError(ValueError):
    """The output folder holds something else than this sweep."""


def write_atomic(path: Path, write) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def prepare_out(out: Path, spec: dict, overwrite: bool) -> None:
    spec_path = out / SPEC_FILE
    if out.exists() and not out.is_dir():
        raise SweepError(f"out: {out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()):
        same = False
        if spec_path.exists():
            try:
                same = json.loads(spec_path.read_text()) == spec
            except (OSError, ValueError):
                same = False
        if overwrite and not same:
            for name in ("chunks", SPEC_FILE, "results.csv", "results.parquet",
                         "provenance.json"):
                target = out / name
                if target.is_dir():
                    shutil.rmtree(target)
                elif target.exists():
                    target.unlink()
            if any(out.iterdir()):
                raise SweepError(f"out: {out} holds other files; choose an empty folder")
        elif not same:
            what = "a different sweep" if spec_path.exists() else "other files"
            raise SweepError(f"out: {out} holds {what}; use a new folder or --overwrite")
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    write_atomic(spec_path, lambda p: p.write_text(json.dumps(spec, indent=1)))


def chunk_path(out: Path, task: dict) -> Path:
    points = task["points"]
    return out / "chunks" / f"seed{task['seed']}-points{points[0]:06d}-{points[-1]:06d}.parquet"


def remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass


def write_results(out: Path, table, spec, tasks, started, command, scheduler, engines) -> None:
    from importlib.metadata import version

    import pandas as pd

    from . import __version__
    from .model.parameters import PARAMETERS, condition_values

    cell = tasks[0].get("cell") if tasks else None
    table_of = PARAMETERS if cell is None else cell.parameters
    params = condition_values(spec["condition"], table_of)
    params.update(spec["overrides"])
    provenance = {
        "habmodel": __version__, "brian2": version("brian2"), "numpy": np.__version__,
        "pandas": pd.__version__, "python": platform.python_version(),
        "machine": f"{platform.node()} ({platform.machine()}, {platform.system()})",
        "command": command, "started": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "scheduler": None if scheduler is None else str(getattr(scheduler, "scheduler",
                                                                 scheduler)),
        "engine": sorted(engines) or [spec["engine"]], "chunks": len(tasks),
        "rows": len(table), "sweep": spec,
        "parameters": {name: value for name, value in params.items()},
        "units": {name: table_of[name].unit for name in params},
    }
    # all three or none: each is written beside its place first, then all are renamed
    staged = {}
    try:
        for name, write in (
                ("results.csv", lambda p: table.to_csv(p, index=False)),
                ("results.parquet", lambda p: table.to_parquet(p, index=False)),
                ("provenance.json",
                 lambda p: p.write_text(json.dumps(provenance, indent=1, default=str)))):
            staged[out / name] = out / f".{name}.{os.getpid()}.tmp"
            write(staged[out / name])
        for path, tmp in staged.items():
            os.replace(tmp, path)
    finally:
        for tmp in staged.values():
            tmp.unlink(missing_ok=True)
