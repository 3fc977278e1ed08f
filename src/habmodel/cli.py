"""The ``habmodel`` command line.

::

    habmodel simulate --condition depressed --drug ketamine=2uM --cells 20 \\
        --duration 5s --seed 1 [--set g_T=2.2mS/cm2 ...] [--params FILE] --out runs/ketamine
    habmodel params [--condition C] [--out FILE]
    habmodel sweep --condition C --vary NAME=V1,V2,... [--vary ...] --cells N --seeds K \\
        --duration T --out DIR [--scheduler tcp://HOST:PORT]
    habmodel dose-response --drug ketamine --doses 0.3,1,3,10,30uM --condition depressed \\
        --cells 20 --duration 5s --seed 3 --out DIR
    habmodel validate [--quick] [--out DIR] [--readme README.md]
    habmodel figures [--out DIR] [--only NAME ...] [--quick] [--gallery DIR]
    habmodel cache [--info | --clear]

Every input is checked before anything is simulated or written. Bad input
exits with status 2 and one line on stderr, ``habmodel: error: <param>: <what
was expected>``; so does a write that cannot finish (no space, no permission:
the line names the path and the reason, and nothing partial is left) and a run
into a folder that another run is writing. A numerical blow-up
(:class:`habmodel.SimulationError`) exits with status 1 and one line. Warnings
(a damaged kernel cache that was rebuilt, the runtime-engine fallback) are one
line each.

Each subcommand is a ``_add_<name>(subparsers)`` function that registers a
parser whose ``handler(args, argv) -> int`` does the work.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import warnings
from pathlib import Path

from . import __version__
from .drugs import DRUGS
from .parameters import CONDITION_DOCS, CONDITIONS, DEFAULT_CONDITION

__all__ = ["UsageError", "build_parser", "main", "simulation_inputs", "model_inputs",
           "require_unit", "input_unit"]

PROG = "habmodel"


class UsageError(ValueError):
    """Bad command-line input (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line."""

    def error(self, message):
        self.exit(2, f"{PROG}: error: {' '.join(str(message).split())}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all subcommands."""
    from . import cli_cache, cli_experiments

    parser = _Parser(prog=PROG, description="A Brian2 model of lateral habenula burst firing.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_simulate(sub)
    _add_params(sub)
    cli_experiments.add_sweep(sub)
    cli_experiments.add_dose_response(sub)
    cli_experiments.add_validate(sub)
    _add_figures(sub)
    cli_cache.add_cache(sub)
    return parser


def _add_figures(sub) -> None:
    # The options live in habmodel.figures (which imports Brian2 and matplotlib), so that
    # parsing any other command stays light: everything after 'figures' is handed over.
    p = sub.add_parser("figures", add_help=False,
                       help="make the teaching figures (habmodel figures --help for options)")
    p.add_argument("figure_args", nargs=argparse.REMAINDER)
    p.set_defaults(handler=_figures)


def _figures(args, argv) -> int:
    from .figures import main as figures_main

    try:
        return figures_main(args.figure_args)
    except SystemExit as exc:  # its argparse: --help or a usage error
        return exc.code if isinstance(exc.code, int) else 0


# --- options shared by several subcommands ---------------------------------------------------

def add_part_option(p) -> None:
    """--part FILE: extra parts of the cell from a Python file (:func:`habmodel.load_parts`)."""
    p.add_argument("--part", action="append", default=[], metavar="FILE",
                   help="add the current(s) a Python file defines (PARTS = [habmodel.Part(...)]) "
                   "to the cell; repeatable. See docs/howto.md")


def cell_option(args):
    """The cell of ``--part`` FILEs (a :class:`habmodel.Cell`), or None without any."""
    files = getattr(args, "part", None) or []
    if not files:
        return None
    if getattr(args, "_cell", None) is None:
        from .cell import Cell, load_parts

        try:
            extra = [part for file in files for part in load_parts(file)]
            args._cell = Cell(extra=extra)
        except (ValueError, TypeError) as err:
            raise UsageError(f"--part: {err}") from None
    return args._cell


def add_model_options(p, *, cells: bool = True, drugs: bool = True) -> None:
    """--condition, --params, --set, --drug NAME=CONC, --cells, --duration, --warmup, --seed,
    --jitter, --ketamine-model. Defaults are None so that a --params file can fill them."""
    from .model import KETAMINE_MODELS

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
    p.add_argument("--engine", default=None, choices=("fast", "runtime"),
                   help="fast: the compiled kernel, built once per model and machine "
                   "(default); runtime: Brian2's runtime code generation")
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


# --- simulate ------------------------------------------------------------------------------

def _add_simulate(sub) -> None:
    p = sub.add_parser(
        "simulate", help="simulate a population and write spikes, summary, parameters, trace",
        description="Simulate a population of LHb neurons and write spikes.csv, summary.csv, "
        "params.toml and trace.png to --out. Quantities need a unit ('2uM', '500 ms', "
        "'2.2 mS/cm2'); only dimensionless parameters (and 0) take a bare number.")
    add_model_options(p)
    add_part_option(p)
    add_out_options(p, "spikes.csv, summary.csv, params.toml and trace.png")
    add_engine_options(p)
    p.set_defaults(handler=_simulate)


def _integer(option: str, text: str, low: int, high: int) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise UsageError(f"{option}: expected a whole number in [{low}, {high}], got '{text}'")
    return value


def _time(option: str, text: str, high_s: float, allow_zero: bool) -> float:
    from .units import to_display

    try:
        value = to_display(text, "s", option)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if (value < 0 or (value == 0 and not allow_zero)) or value > high_s:
        bounds = "[0 s" if allow_zero else "(0 s"
        raise UsageError(f"{option}: expected a time in {bounds}, {high_s / 3600:g} h], "
                         f"got '{text}'")
    return value


def _fraction(option: str, text) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        value = None
    if value is None or not 0 <= value < 1:
        raise UsageError(f"{option}: expected a number in [0, 1), got '{text}'")
    return value


def _pairs(option: str, items, example: str) -> dict[str, str]:
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
    from .drugs import resolve_drug
    from .parameters import PARAMETERS

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
    from .units import _NUMBER

    unit = input_unit(name, table)
    match = _NUMBER.match(text)
    if unit is None or unit.strip() in ("", "1") or not match or match.group(2):
        return
    if float(match.group(1)) == 0:
        return
    given = text if given is None else given
    kind = ("a concentration" if unit == "uM" else f"a quantity in {unit}") if given == text \
        else ("concentrations" if unit == "uM" else f"quantities in {unit}")
    raise UsageError(f"{option}: {name}={given} has no unit; expected {kind} such as "
                     f"{name}={given}{unit.replace(' ', '')}")


def _tagged(option: str, err: Exception) -> UsageError:
    """Name the option in messages that do not start with a parameter name."""
    message = str(err)
    return UsageError(f"{option}: {message}" if message.startswith("unknown ") else message)


def read_params_option(args):
    """The --params file (a :class:`habmodel.paramfile.ParamFile`) or None; read once
    per command (kept on ``args``)."""
    if not getattr(args, "params", None):
        return None
    if getattr(args, "_param_file", None) is None:
        from .paramfile import read_params

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
    from .parameters import condition_values
    from .simulation import _MAX_CELLS, _MAX_DURATION_S, resolve_drugs, resolve_parameters

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
        raise _tagged("--condition", err) from None
    out = {"condition": condition}
    if cell is not None:
        out["cell"] = cell
    if cells:
        value, option = pick("cells")
        out["n_cells"] = _integer(option, value, 1, _MAX_CELLS)
    value, option = pick("seed")
    out["seed"] = _integer(option, value, 0, 2**63 - 1)
    for name, allow_zero in (("duration", False), ("warmup", True)):
        value, option = pick(name)
        text = value if isinstance(value, str) else f"{value!r} s"  # a file gives seconds
        out[name] = f"{_time(option, text, _MAX_DURATION_S, allow_zero)!r} s"
    value, option = pick("jitter")
    out["jitter"] = _fraction(option, value)
    out["ketamine_model"] = pick("ketamine_model")[0]
    flags = _pairs("--set", args.set, "g_T=2.2mS/cm2")
    for name, text in flags.items():
        require_unit("--set", name, text, table=table)
    overrides = {**from_file.get("overrides", {}), **flags}
    out["overrides"] = overrides
    if drugs:
        flags = _pairs("--drug", args.drug, "ketamine=2uM")
        for name, text in flags.items():
            require_unit("--drug", name, text)
        out["drugs"] = {**from_file.get("drugs", {}), **flags}
    n = out.get("n_cells", 1)
    for option, check in (("--set", lambda: resolve_parameters(condition, overrides, n, table)),
                          ("--drug", lambda: resolve_drugs(out.get("drugs"), n))):
        try:
            check()
        except ValueError as err:
            raise _tagged(option, err) from None
    out.update({key: from_file[key] for key in ("criteria", "dt", "method") if key in from_file})
    return out


def engine_inputs(args) -> dict:
    """--engine, --threads and --quiet (and a --params file's engine) as keyword
    arguments for simulate()."""
    file = read_params_option(args)
    engine = args.engine or (file.run if file else {}).get("engine") or DEFAULTS["engine"]
    if engine not in ("fast", "runtime"):
        raise UsageError(f"--params [run] engine: expected fast or runtime, got '{engine}'")
    threads = None if args.threads is None else _integer("--threads", args.threads, 1, 1024)
    return {"engine": engine, "threads": threads, "progress": False if args.quiet else None}


def simulation_inputs(args) -> dict:
    """Check every simulate option; return keyword arguments for :func:`habmodel.simulate`."""
    return {**model_inputs(args), **engine_inputs(args)}


# --- params --------------------------------------------------------------------------------

def _add_params(sub) -> None:
    p = sub.add_parser(
        "params", help="print every parameter as TOML (a parameter file to edit)",
        description="Print every model parameter of a condition as TOML, with its unit, "
        "meaning, source and valid range. Edit it (a partial file is fine) and pass it to "
        "simulate, sweep or dose-response with --params FILE.")
    p.add_argument("--condition", default=DEFAULT_CONDITION,
                   help=f"named condition (default {DEFAULT_CONDITION})")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="write to FILE instead of printing (must not exist, unless --overwrite)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out FILE")
    p.set_defaults(handler=_params)


def _params(args, argv) -> int:
    from .parameters import condition_values
    from .paramfile import parameters_toml

    try:
        condition_values(args.condition)
    except ValueError as err:
        raise _tagged("--condition", err) from None
    text = parameters_toml(args.condition)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    out = Path(args.out)
    if out.is_dir() or (out.exists() and not args.overwrite):
        raise UsageError(f"--out: {out} exists; use --overwrite to replace it"
                         if not out.is_dir() else f"--out: {out} is a folder")
    if not out.parent.absolute().is_dir():
        raise UsageError(f"--out: the folder of {out} does not exist")
    from .io import write_error, write_files

    try:
        write_files({out: text})
    except OSError as err:
        return _fail(f"--out: {write_error(err, out)}", 2)
    return 0


def _check_out(text: str, overwrite: bool) -> Path:
    from .io import is_nonempty_dir

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


def _summary(result, out: Path) -> str:
    from .io import condition_label

    drugs = condition_label("", result.drugs_uM).lstrip(" +") or "none"
    modes = ", ".join(f"{k} {v:.0%}" for k, v in result.mode_fractions().items())
    fraction = result.mean("burst_fraction")
    in_bursts = ("no spikes" if fraction != fraction
                 else f"{100 * fraction:.1f} % of spikes (mean over cells that fired)")
    return "\n".join([
        f"condition  {result.condition}",
        f"drugs      {drugs}",
        f"cells      {result.n_cells}, {result.duration_s:g} s recorded (seed {result.seed})",
        f"rate       {result.mean('rate_hz'):.2f} Hz (mean over cells)",
        f"in bursts  {in_bursts}",
        f"bursts     {result.mean('bursts_per_s'):.2f} /s (mean over cells)",
        f"modes      {modes}",
        f"output     {out}",
    ])


def _simulate(args, argv) -> int:
    inputs = simulation_inputs(args)
    out = _check_out(args.out, args.overwrite)
    from .io import write_error, write_run
    from .simulation import simulate

    try:
        result = simulate(**inputs, record_v=[0])
    except ValueError as err:
        raise UsageError(str(err)) from None
    try:
        write_run(result, out, argv, overwrite=args.overwrite)
    except OSError as err:
        return _fail(f"--out: {write_error(err, out)}", 2)
    if not args.quiet:
        print(_summary(result, out))
    return 0


# --- entry point ---------------------------------------------------------------------------

_NEGATIVE = re.compile(r"^-(\d|\.\d|inf|nan)", re.IGNORECASE)


def _join_negative_values(argv: list[str]) -> list[str]:
    """``--duration -1s`` -> ``--duration=-1s``, so argparse does not take it for an option."""
    out, i = [], 0
    while i < len(argv):
        token = argv[i]
        if (token.startswith("--") and token != "--" and "=" not in token
                and i + 1 < len(argv) and _NEGATIVE.match(argv[i + 1])):
            out.append(f"{token}={argv[i + 1]}")
            i += 2
        else:
            out.append(token)
            i += 1
    return out


def _fail(message, status: int) -> int:
    print(f"{PROG}: error: {' '.join(str(message).split())}", file=sys.stderr)
    return status


def main(argv=None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failure, 2 bad input)."""
    from .simulation import SimulationError

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["figures"]:  # its options are habmodel.figures' own (see _add_figures)
        args = argparse.Namespace(figure_args=argv[1:], handler=_figures)
    else:
        try:
            args = build_parser().parse_args(_join_negative_values(argv))
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            return exc.code if isinstance(exc.code, int) else 0
    import logging

    from .io import OutputBusyError

    capture = logging.captureWarnings
    with warnings.catch_warnings():  # restored on return: no global state changed
        warnings.showwarning = _one_line_warning
        # Brian2's import routes warnings into its logger (two lines each, with the
        # source line); while the command runs they stay one line each.
        logging.captureWarnings = lambda capture: None
        try:
            return args.handler(args, argv)
        except UsageError as err:
            return _fail(err, 2)
        except OutputBusyError as err:
            return _fail(f"--out: {err}", 2)
        except SimulationError as err:
            return _fail(err, 1)
        except KeyboardInterrupt:
            return _fail("interrupted", 130)
        finally:
            logging.captureWarnings = capture


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning on the command line: one line on stderr, no source location."""
    text = " ".join(str(message).split())
    print(text if text.startswith(f"{PROG}:") else f"{PROG}: warning: {text}",
          file=sys.stderr if file is None else file)
