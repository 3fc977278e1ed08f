"""What the ``habmodel`` subcommands share: the usage error, the model, engine and output
options, and their checks (each returns keyword arguments for :func:`habmodel.simulate`).

Every check raises :class:`UsageError` with one line that names the option and what was
expected; :func:`habmodel.cli.main` prints it and exits with status 2.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..model.drugs import DRUGS
from ..model.parameters import CONDITION_DOCS, CONDITIONS, DEFAULT_CONDITION

__all__ = ["PROG", "UsageError", "DEFAULTS", "add_model_options", "add_part_option",
           "add_engine_options", "add_out_options", "cell_option", "model_inputs",
           "engine_inputs", "simulation_inputs", "read_params_option", "input_unit",
           "require_unit", "integer", "time_option", "fraction", "pairs", "tagged",
           "check_out", "fail"]

PROG = "habmodel"


class UsageError(ValueError):
    """Bad command-line input (exit status 2)."""


def add_part_option(p) -> None:
    """--part FILE: extra parts of the cell from a Python file (:func:`habmodel.load_parts`);
    --cell NAME: the named cell they are added to (:mod:`habmodel.model.cells`)."""
    from ..model.cells import CELL_DOCS, DEFAULT_CELL_NAME

    p.add_argument("--part", action="append", default=[], metavar="FILE",
                   help="add the current(s) a Python file defines (PARTS = [habmodel.Part(...)]) "
                   "to the cell; repeatable. See docs/howto.md")
    cells = "; ".join(f"{name}: {doc}" for name, doc in CELL_DOCS.items())
    p.add_argument("--cell", default=None, metavar="NAME",
                   help=f"the named cell to simulate (default {DEFAULT_CELL_NAME}). {cells}")


def cell_option(args):
    """The cell of ``--cell`` NAME and ``--part`` FILEs (a :class:`habmodel.Cell`), or None
    for the default cell without extra parts."""
    files = getattr(args, "part", None) or []
    name = getattr(args, "cell", None)
    if not files and name is None:
        return None
    if getattr(args, "_cell", None) is None:
        from ..model.cell import Cell, load_parts
        from ..model.cells import CELLS, DEFAULT_CELL_NAME, named_cell

        try:
            base = named_cell(DEFAULT_CELL_NAME if name is None else name)
        except ValueError as err:
            raise UsageError(f"--cell: {err}") from None
        if base is not CELLS[DEFAULT_CELL_NAME] and getattr(args, "command", None) == "lab":
            raise UsageError(f"--cell: the lab has the default cell only; set the {name} "
                             "cell's values in the lab's address, or run it with 'habmodel "
                             f"simulate --cell {name}' (docs/two_hypotheses.md)")
        if not files and base is CELLS[DEFAULT_CELL_NAME]:
            return None
        try:
            extra = [part for file in files for part in load_parts(file)]
            args._cell = Cell(base.parts, extra=extra)
        except (ValueError, TypeError) as err:
            raise UsageError(f"--part: {err}") from None
    return args._cell


def add_model_options(p, *, cells: bool = True, drugs: bool = True) -> None:
    """--condition, --params, --set, --drug NAME=CONC, --cells, --duration, --warmup, --seed,
    --jitter, --ketamine-model. Defaults are None so that a --params file can fill them."""
    from ..model.equations import KETAMINE_MODELS

    conditions = "; ".join(f"{name}: {CONDITION_DOCS.get(name, '')}" for name in CONDITIONS)
    p.add_argument("--condition", default=None,
                   help=f"named condition (default {DEFAULT_CONDITION}). {conditions}")
    p.add_argument("--params", default=None, metavar="FILE",
                   help="a TOML parameter file (habmodel params prints one; the params.toml of "
                   "a run is one); flags given here override it")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a model parameter, e.g. g_T=2.2mS/cm2 (repeatable)")
    if drugs:
        p.add_argument("--drug", action="append", default=[], metavar="NAME=CONC",
                       help="a drug and its concentration, e.g. ketamine=2uM (repeatable); "
                       f"drugs: {', '.join(DRUGS)}")
    if cells:
        p.add_argument("--cells", default=None, metavar="N",
                       help=f"number of cells (default {DEFAULTS['cells']})")
    p.add_argument("--duration", default=None, metavar="TIME",
                   help=f"recorded time (default {DEFAULTS['duration']})")
    p.add_argument("--warmup", default=None, metavar="TIME",
                   help=f"time simulated before recording starts (default {DEFAULTS['warmup']})")
    p.add_argument("--seed", default=None, metavar="SEED",
                   help="seed of the glutamate input and the jitter (default 0)")
    p.add_argument("--jitter", default=None, metavar="F",
                   help="scale every conductance of every cell by a factor uniform in "
                   "[1-F, 1+F], fixed by the seed and the cell (default 0)")
    p.add_argument("--ketamine-model", default=None, choices=KETAMINE_MODELS,
                   help="how ketamine blocks NMDA receptors (default hill)")


def add_engine_options(p) -> None:
    p.add_argument("--engine", default=None, choices=("fast", "wasm", "runtime"),
                   help="fast: the compiled kernel, built once per model and machine "
                   "(default, or HABMODEL_ENGINE); wasm: the packaged WebAssembly kernel of "
                   "the built-in cell (no C compiler needed); runtime: Brian2's runtime "
                   "code generation. Without a C compiler, fast falls back to wasm, or to "
                   "runtime for a cell with its own parts")
    p.add_argument("--threads", default=None, metavar="N",
                   help="threads of the fast engine (default: one per 64 cells, up to the "
                   "number of cores)")
    p.add_argument("--quiet", action="store_true",
                   help="print nothing unless there is an error (no progress bar)")


def add_out_options(p, what: str) -> None:
    p.add_argument("--out", required=True, metavar="DIR", help=f"output folder for {what} "
                   "(must not exist or be empty, unless --overwrite)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a non-empty --out, once the new results are complete")


#: Defaults of the options that a --params file may also set.
DEFAULTS = {"cells": "20", "seed": "0", "duration": "5 s", "warmup": "0.5 s", "jitter": "0",
            "engine": "fast", "ketamine_model": "hill"}


def integer(option: str, text: str, low: int, high: int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise UsageError(f"{option}: expected a whole number in [{low}, {high}], got '{text}'")
    return value


def time_option(option: str, text: str, high_s: float, allow_zero: bool) -> float:
    from ..model.units import to_display

    try:
        value = to_display(text, "s", option)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if (value < 0 or (value == 0 and not allow_zero)) or value > high_s:
        bounds = "[0 s" if allow_zero else "(0 s"
        raise UsageError(f"{option}: expected a time in {bounds}, {high_s / 3600:g} h], "
                         f"got '{text}'")
    return value


def fraction(option: str, text) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        value = None
    if value is None or not 0 <= value < 1:
        raise UsageError(f"{option}: expected a number in [0, 1), got '{text}'")
    return value


def pairs(option: str, items, example: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = (part.strip() for part in item.partition("="))
        if not (sep and name and value):
            raise UsageError(f"{option}: expected NAME=VALUE such as {example}, got '{item}'")
        if name in out:
            raise UsageError(f"{option}: {name} is given twice")
        out[name] = value
    return out


def input_unit(name: str, table=None) -> str | None:
    """The unit a command-line value of ``name`` is given in: ``uM`` for a drug, the
    parameter's own unit for a parameter (of ``table``, default every habmodel
    parameter), None for an unknown name."""
    from ..model.drugs import resolve_drug
    from ..model.parameters import PARAMETERS

    table = PARAMETERS if table is None else table
    if name in table:
        return table[name].unit
    try:
        resolve_drug(name)
    except ValueError:
        return None
    return "uM"


def require_unit(option: str, name: str, text: str, given: str | None = None,
                 table=None) -> None:
    """A dimensional value on the command line must carry its unit: ``ketamine=10`` is
    an error (10 what?), ``ketamine=10uM`` is not; dimensionless parameters and a bare
    0 need none. ``given``: the whole value as typed (a list such as ``0,1,3``), for
    the message."""
    from ..model.units import split_number

    unit = input_unit(name, table)
    number = split_number(text)
    if unit is None or unit.strip() in ("", "1") or not number or number[1]:
        return
    if number[0] == 0:
        return
    given = text if given is None else given
    kind = ("a concentration" if unit == "uM" else f"a quantity in {unit}") if given == text \
        else ("concentrations" if unit == "uM" else f"quantities in {unit}")
    raise UsageError(f"{option}: {name}={given} has no unit; expected {kind} such as "
                     f"{name}={given}{unit.replace(' ', '')}")


def one_cell_inputs(args, table, condition: str, set_example: str,
                    drug_example: str) -> tuple[dict, dict]:
    """``(overrides, drugs)`` of ``--set`` and ``--drug`` for one cell of ``condition``,
    as text with units, each checked against the parameter table ``table`` (or every
    habmodel parameter) and the drugs: for commands that pass them on (export, vclamp)."""
    from ..model.inputs import resolve_drugs, resolve_parameters
    from ..model.parameters import condition_values

    try:
        condition_values(condition)
    except ValueError as err:
        raise tagged("--condition", err) from None
    overrides = pairs("--set", args.set, set_example)
    drugs = pairs("--drug", args.drug, drug_example)
    for option, given in (("--set", overrides), ("--drug", drugs)):
        for name, text in given.items():
            require_unit(option, name, text, table=table if option == "--set" else None)
    for option, check in (("--set", lambda: resolve_parameters(condition, overrides, 1, table)),
                          ("--drug", lambda: resolve_drugs(drugs, 1))):
        try:
            check()
        except ValueError as err:
            raise tagged(option, err) from None
    return overrides, drugs


def tagged(option: str, err: Exception) -> UsageError:
    """Name the option in messages that do not start with a parameter name."""
    message = str(err)
    return UsageError(f"{option}: {message}" if message.startswith("unknown ") else message)


def read_params_option(args):
    """The --params file (a :class:`habmodel.paramfile.ParamFile`) or None; read once
    per command (kept on ``args``)."""
    if not getattr(args, "params", None):
        return None
    if getattr(args, "_param_file", None) is None:
        from ..paramfile import read_params

        cell = cell_option(args)
        try:
            args._param_file = read_params(args.params,
                                           None if cell is None else cell.parameters)
        except ValueError as err:
            hint = ("; a parameter of an extra part needs its --part FILE" if cell is None
                    and "unknown parameter" in str(err) else "")
            raise UsageError(f"--params: {err}{hint}") from None
    return args._param_file


def model_inputs(args, *, cells: bool = True, drugs: bool = True) -> dict:
    """Check the model options (and a --params file); keyword arguments for simulate().

    Precedence: a flag, then the file, then the default.
    """
    from ..model.inputs import MAX_CELLS, MAX_DURATION_S, resolve_drugs, resolve_parameters
    from ..model.parameters import condition_values

    cell = cell_option(args)
    table = None if cell is None else cell.parameters
    file = read_params_option(args)
    run = file.run if file else {}
    from_file = file.simulate_arguments() if file else {}

    def pick(name):
        flag = getattr(args, name, None)
        if flag is not None:
            return flag, f"--{name.replace('_', '-')}"
        if name in run:
            return run[name], f"--params [run] {name}"
        return DEFAULTS[name], f"--{name.replace('_', '-')}"

    condition = args.condition or run.get("condition") or DEFAULT_CONDITION
    try:
        condition_values(condition)
    except ValueError as err:
        raise tagged("--condition", err) from None
    out = {"condition": condition}
    if cell is not None:
        out["cell"] = cell
    if cells:
        value, option = pick("cells")
        out["n_cells"] = integer(option, value, 1, MAX_CELLS)
    value, option = pick("seed")
    out["seed"] = integer(option, value, 0, 2**63 - 1)
    for name, allow_zero in (("duration", False), ("warmup", True)):
        value, option = pick(name)
        text = value if isinstance(value, str) else f"{value!r} s"  # a file gives seconds
        out[name] = f"{time_option(option, text, MAX_DURATION_S, allow_zero)!r} s"
    value, option = pick("jitter")
    out["jitter"] = fraction(option, value)
    out["ketamine_model"] = pick("ketamine_model")[0]
    flags = pairs("--set", args.set, "g_T=2.2mS/cm2")
    for name, text in flags.items():
        require_unit("--set", name, text, table=table)
    overrides = {**from_file.get("overrides", {}), **flags}
    out["overrides"] = overrides
    if drugs:
        flags = pairs("--drug", args.drug, "ketamine=2uM")
        for name, text in flags.items():
            require_unit("--drug", name, text)
        out["drugs"] = {**from_file.get("drugs", {}), **flags}
    n = out.get("n_cells", 1)
    for option, check in (("--set", lambda: resolve_parameters(condition, overrides, n, table)),
                          ("--drug", lambda: resolve_drugs(out.get("drugs"), n))):
        try:
            check()
        except ValueError as err:
            raise tagged(option, err) from None
    out.update({key: from_file[key] for key in ("criteria", "dt", "method") if key in from_file})
    return out


def engine_inputs(args) -> dict:
    """--engine, --threads and --quiet (and a --params file's engine) as keyword
    arguments for simulate()."""
    file = read_params_option(args)
    from ..engines import ENGINES, default_engine

    try:
        fallback = default_engine()
    except ValueError as err:
        raise UsageError(str(err)) from None
    engine = args.engine or (file.run if file else {}).get("engine") or fallback
    if engine not in ENGINES:
        raise UsageError(f"--params [run] engine: expected one of {', '.join(ENGINES)}, "
                         f"got '{engine}'")
    threads = None if args.threads is None else integer("--threads", args.threads, 1, 1024)
    return {"engine": engine, "threads": threads, "progress": False if args.quiet else None}


def simulation_inputs(args) -> dict:
    """Check every simulate option; return keyword arguments for :func:`habmodel.simulate`."""
    return {**model_inputs(args), **engine_inputs(args)}


def check_out(text: str, overwrite: bool) -> Path:
    from ..io import is_nonempty_dir

    out = Path(text)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {out} exists and is not a folder")
    if is_nonempty_dir(out) and not overwrite:
        raise UsageError(f"--out: {out} is not empty; use --overwrite to replace it")
    ancestor = out.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir() or not os.access(ancestor, os.W_OK | os.X_OK):
        raise UsageError(f"--out: cannot create {out}: {ancestor} is not a writable folder")
    return out


def fail(message, status: int) -> int:
    print(f"{PROG}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return status
