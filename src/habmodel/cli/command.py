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
    habmodel calibrate [--quick] [--out FILE.csv]
    habmodel circuit --condition depressed --drug ketamine=1uM --out DIR
    habmodel figures [--out DIR] [--only NAME ...] [--quick] [--gallery DIR]
    habmodel cache [--info | --clear]
    habmodel lab --out DIR [--part FILE ...]
    habmodel app [--host ADDRESS] [--port N] [--no-browser] [--dir DIR]
    habmodel export neuron|neuroml --out DIR [--part FILE ...]
    habmodel vclamp [--protocol NAME] --hold V --steps V1,V2,...mV --duration T [--tail V] \\
        --out DIR

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
import re
import sys
import warnings
from pathlib import Path

from .. import __version__
from ..model.parameters import DEFAULT_CONDITION
from .common import (
    PROG,
    UsageError,
    add_engine_options,
    add_model_options,
    add_out_options,
    add_part_option,
    check_out,
    fail,
    input_unit,
    model_inputs,
    require_unit,
    simulation_inputs,
    tagged,
)

__all__ = ["UsageError", "build_parser", "main", "simulation_inputs", "model_inputs",
           "require_unit", "input_unit"]

class _Parser(argparse.ArgumentParser):
    """argparse, with its usage errors on one line."""

    def error(self, message):
        self.exit(2, f"{PROG}: error: {' '.join(str(message).split())}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with all subcommands."""
    from . import app as cli_app
    from . import cache as cli_cache
    from . import calibrate as cli_calibrate
    from . import circuit as cli_circuit
    from . import experiments as cli_experiments
    from . import export as cli_export
    from . import lab as cli_lab
    from . import vclamp as cli_vclamp

    parser = _Parser(prog=PROG, description="A Brian2 model of lateral habenula burst firing.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_simulate(sub)
    _add_params(sub)
    cli_experiments.add_sweep(sub)
    cli_experiments.add_dose_response(sub)
    cli_experiments.add_validate(sub)
    cli_calibrate.add_calibrate(sub)
    cli_circuit.add_circuit(sub)
    _add_figures(sub)
    cli_cache.add_cache(sub)
    cli_lab.add_lab(sub)
    cli_app.add_app(sub)
    cli_export.add_export(sub)
    cli_vclamp.add_vclamp(sub)
    return parser


def _add_figures(sub) -> None:
    # The options live in habmodel.figures (which imports Brian2 and matplotlib), so that
    # parsing any other command stays light: everything after 'figures' is handed over.
    p = sub.add_parser("figures", add_help=False,
                       help="make the teaching figures (habmodel figures --help for options)")
    p.add_argument("figure_args", nargs=argparse.REMAINDER)
    p.set_defaults(handler=_figures)


def _figures(args, argv) -> int:
    from ..figures import main as figures_main

    try:
        return figures_main(args.figure_args)
    except SystemExit as exc:  # its argparse: --help or a usage error
        return exc.code if isinstance(exc.code, int) else 0


# --- options shared by several subcommands ---------------------------------------------------


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
    from ..model.parameters import condition_values
    from ..paramfile import parameters_toml

    try:
        condition_values(args.condition)
    except ValueError as err:
        raise tagged("--condition", err) from None
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
    from ..io import write_error, write_files

    try:
        write_files({out: text})
    except OSError as err:
        return fail(f"--out: {write_error(err, out)}", 2)
    return 0


def _summary(result, out: Path) -> str:
    from ..io import condition_label

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
    out = check_out(args.out, args.overwrite)
    from ..io import write_error, write_run
    from ..simulation import simulate

    try:
        result = simulate(**inputs, record_v=[0])
    except ValueError as err:
        raise UsageError(str(err)) from None
    try:
        write_run(result, out, argv, overwrite=args.overwrite)
    except OSError as err:
        return fail(f"--out: {write_error(err, out)}", 2)
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


def main(argv=None) -> int:
    """Run the command line; return the exit status (0 ok, 1 failure, 2 bad input)."""
    from ..engines.fast import EngineUnavailableError
    from ..simulation import SimulationError

    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["figures"]:  # its options are habmodel.figures' own (see _add_figures)
        args = argparse.Namespace(figure_args=argv[1:], handler=_figures)
    else:
        try:
            args = build_parser().parse_args(_join_negative_values(argv))
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            return exc.code if isinstance(exc.code, int) else 0
    import logging

    from ..io import OutputBusyError

    capture = logging.captureWarnings
    with warnings.catch_warnings():  # restored on return: no global state changed
        warnings.showwarning = _one_line_warning
        # Brian2's import routes warnings into its logger (two lines each, with the
        # source line); while the command runs they stay one line each.
        logging.captureWarnings = lambda capture: None
        try:
            return args.handler(args, argv)
        except UsageError as err:
            return fail(err, 2)
        except OutputBusyError as err:
            return fail(f"--out: {err}", 2)
        except SimulationError as err:
            return fail(err, 1)
        except EngineUnavailableError as err:  # --engine wasm for a cell it cannot run, ...
            return fail(f"--engine: {err}", 2)
        except KeyboardInterrupt:
            return fail("interrupted", 130)
        finally:
            logging.captureWarnings = capture


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning on the command line: one line on stderr, no source location."""
    text = " ".join(str(message).split())
    print(text if text.startswith(f"{PROG}:") else f"{PROG}: warning: {text}",
          file=sys.stderr if file is None else file)
