"""The ``habmodel`` command line.

::

    habmodel simulate --condition depressed --drug ketamine=2uM --cells 20 \\
        --duration 5s --seed 1 [--set g_T=2.2mS/cm2 ...] --out runs/ketamine

Every input is checked before anything is simulated or written. Bad input
exits with status 2 and one line on stderr, ``habmodel: error: <param>: <what
was expected>``; a numerical blow-up (:class:`habmodel.SimulationError`) or a
failure to write the results exits with status 1 and one line.

Each subcommand is a ``_add_<name>(subparsers)`` function that registers a
parser whose ``handler(args, argv) -> int`` does the work.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from . import __version__
from .drugs import DRUGS
from .parameters import CONDITION_DOCS, CONDITIONS, DEFAULT_CONDITION

__all__ = ["UsageError", "build_parser", "main", "simulation_inputs"]

PROG = "habmodel"


class UsageError(ValueError):
    """Bad command-line input (exit status 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line."""

    def error(self, message):
        self.exit(2, f"{PROG}: error: {' '.join(str(message).split())}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all subcommands."""
    parser = _Parser(prog=PROG, description="A Brian2 model of lateral habenula burst firing.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_simulate(sub)
    return parser


# --- simulate ------------------------------------------------------------------------------

def _add_simulate(sub) -> None:
    conditions = "; ".join(f"{name}: {CONDITION_DOCS.get(name, '')}" for name in CONDITIONS)
    p = sub.add_parser(
        "simulate", help="simulate a population and write spikes, summary, parameters, trace",
        description="Simulate a population of LHb neurons and write spikes.csv, summary.csv, "
        "params.toml and trace.png to --out. Quantities take a unit ('2uM', '500 ms', "
        "'2.2 mS/cm2'); a bare number is read in the parameter's own unit.")
    p.add_argument("--condition", default=DEFAULT_CONDITION,
                   help=f"named condition (default {DEFAULT_CONDITION}). {conditions}")
    p.add_argument("--drug", action="append", default=[], metavar="NAME=CONC",
                   help="a drug and its concentration, e.g. ketamine=2uM (repeatable); "
                   f"drugs: {', '.join(DRUGS)}")
    p.add_argument("--cells", default="20", metavar="N", help="number of cells (default 20)")
    p.add_argument("--duration", default="5 s", metavar="TIME",
                   help="recorded time (default 5 s)")
    p.add_argument("--warmup", default="0.5 s", metavar="TIME",
                   help="time simulated before recording starts (default 0.5 s)")
    p.add_argument("--seed", default="0", metavar="SEED",
                   help="seed of the glutamate input (default 0)")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a model parameter, e.g. g_T=2.2mS/cm2 (repeatable)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (must not "
                   "exist or be empty, unless --overwrite)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a non-empty --out, once the new results are complete")
    _add_engine_options(p)
    p.add_argument("--quiet", action="store_true",
                   help="print nothing unless there is an error (no progress bar)")
    p.set_defaults(handler=_simulate)


def _add_engine_options(p) -> None:
    p.add_argument("--engine", default="fast", choices=("fast", "runtime"),
                   help="fast: the compiled kernel, built once per model and machine "
                   "(default); runtime: Brian2's runtime code generation")
    p.add_argument("--threads", default=None, metavar="N",
                   help="threads of the fast engine (default: one per 64 cells, up to the "
                   "number of cores)")


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


def _tagged(option: str, err: Exception) -> UsageError:
    """Name the option in messages that do not start with a parameter name."""
    message = str(err)
    return UsageError(f"{option}: {message}" if message.startswith("unknown ") else message)


def simulation_inputs(args) -> dict:
    """Check every simulate option; return keyword arguments for :func:`habmodel.simulate`."""
    from .parameters import condition_values
    from .simulation import _MAX_CELLS, _MAX_DURATION_S, resolve_drugs, resolve_parameters
    from .units import to_quantity

    try:
        condition_values(args.condition)
    except ValueError as err:
        raise _tagged("--condition", err) from None
    n_cells = _integer("--cells", args.cells, 1, _MAX_CELLS)
    seed = _integer("--seed", args.seed, 0, 2**63 - 1)
    duration = _time("--duration", args.duration, _MAX_DURATION_S, allow_zero=False)
    warmup = _time("--warmup", args.warmup, _MAX_DURATION_S, allow_zero=True)
    overrides = _pairs("--set", args.set, "g_T=2.2mS/cm2")
    drugs = _pairs("--drug", args.drug, "ketamine=2uM")
    for option, check in (("--set", lambda: resolve_parameters(args.condition, overrides, 1)),
                          ("--drug", lambda: resolve_drugs(drugs, 1))):
        try:
            check()
        except ValueError as err:
            raise _tagged(option, err) from None
    threads = None if args.threads is None else _integer("--threads", args.threads, 1, 1024)
    return {"condition": args.condition, "drugs": drugs, "n_cells": n_cells, "seed": seed,
            "duration": to_quantity(duration, "s"), "warmup": to_quantity(warmup, "s"),
            "overrides": overrides, "engine": args.engine, "threads": threads,
            "progress": False if args.quiet else None}


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
    from .io import write_run
    from .simulation import simulate

    try:
        result = simulate(**inputs, record_v=[0])
    except ValueError as err:
        raise UsageError(str(err)) from None
    try:
        write_run(result, out, argv, overwrite=args.overwrite)
    except OSError as err:
        return _fail(f"--out: cannot write the results: {err}", 1)
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
    try:
        args = build_parser().parse_args(_join_negative_values(argv))
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 0
    try:
        return args.handler(args, argv)
    except UsageError as err:
        return _fail(err, 2)
    except SimulationError as err:
        return _fail(err, 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
