"""The ``sweep``, ``dose-response`` and ``validate`` subcommands of :mod:`habmodel.cli`.

Same conventions as ``simulate``: every input is checked before anything runs
or is written; bad input exits with status 2 and one line; results appear
atomically (a sweep's finished chunks too, so that it can resume).
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

from .. import __version__
from ..io import folder_lock, write_error, write_files
from ..model.drugs import DRUGS
from .common import (
    PROG,
    UsageError,
    add_engine_options,
    add_model_options,
    add_out_options,
    add_part_option,
    cell_option,
    check_out,
    engine_inputs,
    fail,
    integer,
    model_inputs,
    read_params_option,
    require_unit,
    tagged,
)

__all__ = ["add_sweep", "add_dose_response", "add_validate", "value_list"]

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")


def value_list(option: str, text: str) -> list[str]:
    """``"0.3,1,3uM"`` -> ``["0.3 uM", "1 uM", "3uM"]``: bare numbers take the unit of
    the last value that has one (a list with no unit stays bare)."""
    items = [item.strip() for item in str(text).split(",")]
    if not items or any(not item for item in items):
        raise UsageError(f"{option}: expected comma-separated values such as 0.3,1,3uM, "
                         f"got '{text}'")
    matches = [_NUMBER.match(item) for item in items]
    units = [m.group(2) if m else "" for m in matches]
    unit = next((u for u in reversed(units) if u), "")
    return [f"{item} {unit}" if m and not m.group(2) and unit else item
            for item, m in zip(items, matches, strict=True)]


# --- sweep ---------------------------------------------------------------------------------

def add_sweep(sub) -> None:
    p = sub.add_parser(
        "sweep", help="run a grid of parameter / drug values to a tidy results table",
        description="Run every combination of the --vary values over cells and seeds; write "
        "results.csv, results.parquet (one row per grid point x cell x seed) and "
        "provenance.json to --out. Finished chunks are kept: running the same command again "
        "resumes an interrupted sweep.")
    p.add_argument("--vary", action="append", default=[], metavar="NAME=V1,V2,...",
                   help="a parameter or drug and its values, e.g. K_o=2.5,3,3.5mM or "
                   "ketamine=0,1,3uM (repeatable: several make a grid)")
    add_model_options(p)
    p.add_argument("--seeds", default="1", metavar="K",
                   help="number of seeds, from --seed on (default 1)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run the chunks on a Dask cluster, e.g. tcp://10.0.0.5:8786 "
                   "(pip install 'habmodel[dask]')")
    add_part_option(p)
    add_out_options(p, "results.csv, results.parquet, provenance.json and chunks/")
    add_engine_options(p)
    p.set_defaults(handler=_sweep)


def _sweep(args, argv) -> int:
    from ..sweeps import SweepError, sweep

    if not args.vary:
        raise UsageError("--vary: give at least one NAME=V1,V2,... (e.g. ketamine=0,1,3uM)")
    cell = cell_option(args)
    table = None if cell is None else cell.parameters
    vary = {}
    for item in args.vary:
        name, sep, values = (part.strip() for part in item.partition("="))
        if not (sep and name and values):
            raise UsageError(f"--vary: expected NAME=V1,V2,... such as ketamine=0,1,3uM, got "
                             f"'{item}'")
        if name in vary:
            raise UsageError(f"--vary: {name} is given twice")
        vary[name] = value_list("--vary", values)
        for text in vary[name]:
            require_unit("--vary", name, text, values, table=table)
    inputs = {**model_inputs(args), **engine_inputs(args)}
    seeds = integer("--seeds", args.seeds, 1, 10_000)
    if args.scheduler is not None and not re.match(r"^[a-z]+://[^\s/]+:\d+$|^[^\s/:]+:\d+$",
                                                    args.scheduler):
        raise UsageError(f"--scheduler: expected an address such as tcp://HOST:PORT, got "
                         f"'{args.scheduler}'")
    for key in ("dt", "method"):
        inputs.pop(key, None)
    kwargs = dict(vary=vary, seeds=seeds, out=args.out, overwrite=args.overwrite,
                  scheduler=args.scheduler, command=shlex.join([PROG, *map(str, argv)]),
                  **{k: v for k, v in inputs.items() if k != "n_cells"},
                  n_cells=inputs["n_cells"])
    try:
        table = sweep(**kwargs)
    except SweepError as err:
        raise UsageError(f"--out: {str(err).removeprefix('out: ')}") from None
    except ValueError as err:
        message = str(err)
        option = "--scheduler" if message.startswith("scheduler") else "--vary"
        raise tagged(option, err) if message.startswith("unknown ") else UsageError(
            message.replace("vary: ", "--vary: ").replace("scheduler: ", "--scheduler: ")) \
            from None
    except OSError as err:
        return fail(f"--out: {write_error(err, args.out)} (finished chunks are kept: run "
                     "the same command again to resume)", 2)
    if not args.quiet:
        points = table["point"].nunique()
        print(f"sweep      {points} grid point(s) x {inputs['n_cells']} cell(s) x {seeds} "
              f"seed(s) = {len(table)} rows\noutput     {args.out}")
    return 0


# --- dose-response -------------------------------------------------------------------------

def add_dose_response(sub) -> None:
    p = sub.add_parser(
        "dose-response", help="a drug's dose-response with a Hill fit",
        description="Simulate a dose series of one drug in one condition (all doses in one "
        "run), fit a Hill curve to the mean burst rate, and write dose_response.csv, fit.json "
        "(ic50_uM, hill_n, ci95_uM) and dose_response.png to --out.")
    p.add_argument("--drug", required=True, metavar="NAME",
                   help=f"the drug ({', '.join(DRUGS)})")
    p.add_argument("--doses", default="0,0.3,1,3,10,30uM", metavar="C1,C2,...",
                   help="concentrations, e.g. 0.3,1,3,10,30uM (default 0,0.3,1,3,10,30uM)")
    add_model_options(p, drugs=False)
    add_part_option(p)
    add_out_options(p, "dose_response.csv, fit.json and dose_response.png")
    add_engine_options(p)
    p.set_defaults(handler=_dose_response)


def _dose_response(args, argv) -> int:
    import numpy as np

    from ..experiments import conductance_block, dose_response
    from ..io import write_folder
    from ..model.drugs import check_concentration, resolve_drug
    from ..model.units import to_display

    if args.condition is None and not (args.params and read_params_option(args).run.get(
            "condition")):
        args.condition = "depressed"
    try:
        drug = resolve_drug(args.drug).name
    except ValueError as err:
        raise tagged("--drug", err) from None
    doses = []
    for text in value_list("--doses", args.doses):
        require_unit("--doses", drug, text, args.doses)
        try:
            doses.append(check_concentration("--doses", to_display(text, "uM", "--doses")))
        except ValueError as err:
            raise UsageError(str(err)) from None
    if len(set(doses)) != len(doses):
        raise UsageError("--doses: a concentration is given twice")
    if len([d for d in doses if d > 0]) < 3:
        raise UsageError("--doses: give at least three concentrations above 0 for a fit")
    inputs = {**model_inputs(args, drugs=False), **engine_inputs(args)}
    out = check_out(args.out, args.overwrite)
    options = {k: inputs[k] for k in ("engine", "threads", "progress", "ketamine_model")}
    for key in ("dt", "method", "cell"):
        if key in inputs:
            options[key] = inputs[key]
    from brian2 import uM

    try:
        table = dose_response(drug, np.array(doses) * uM, inputs["condition"], inputs["n_cells"],
                              inputs["duration"], inputs["seed"], jitter=inputs["jitter"],
                              warmup=inputs["warmup"], criteria=inputs.get("criteria"),
                              overrides=inputs["overrides"], **options)
    except ValueError as err:
        raise UsageError(str(err)) from None
    fit = _fit(table)
    block = conductance_block(drug, np.array(doses) * uM, condition=inputs["condition"])

    def fill(folder: Path) -> None:
        from ..plotting.layout import save_figure
        from ..plotting.protocols import plot_dose_response

        table.to_csv(folder / "dose_response.csv", index=False)
        (folder / "fit.json").write_text(json.dumps(_fit_json(fit, drug, inputs, argv),
                                                    indent=1) + "\n")
        fig = plot_dose_response(table, fit=fit, block=block)
        save_figure(fig, folder / "dose_response", formats=("png",))

    try:
        write_folder(out, fill, overwrite=args.overwrite)
    except OSError as err:
        return fail(f"--out: {write_error(err, out)}", 2)
    if not args.quiet:
        ic50 = "not determined" if fit is None or not np.isfinite(fit.ic50_uM) \
            else f"{fit.ic50_uM:.3g} uM (95 % CI {fit.ci95_uM[0]:.3g}-{fit.ci95_uM[1]:.3g})"
        print(f"drug       {drug} in {inputs['condition']}, {len(doses)} doses x "
              f"{inputs['n_cells']} cells\nhalf-max   {ic50}\noutput     {out}")
    return 0


def _fit(table):
    from ..experiments import fit_dose_response

    try:
        return fit_dose_response(table)
    except ValueError:
        return None  # e.g. no bursting at any dose: reported in fit.json


def _fit_json(fit, drug: str, inputs: dict, argv) -> dict:
    import math

    def num(x):
        return None if x is None or not math.isfinite(x) else float(x)

    data = {"drug": drug, "condition": inputs["condition"], "metric": "bursts_per_s",
            "command": shlex.join([PROG, *map(str, argv)])}
    if fit is None:
        return {**data, "ic50_uM": None, "hill_n": None, "ci95_uM": [None, None],
                "reason": "the mean burst rate could not be fitted (no decreasing response)"}
    return {**data, "ic50_uM": num(fit.ic50_uM), "hill_n": num(fit.hill_n),
            "ci95_uM": [num(fit.ci95_uM[0]), num(fit.ci95_uM[1])], "top": num(fit.top),
            "bottom": num(fit.bottom), "residual": num(fit.residual),
            "reason": getattr(fit, "reason", "") or ""}


# --- validate ------------------------------------------------------------------------------

def add_validate(sub) -> None:
    p = sub.add_parser(
        "validate", help="check the scientific claims of docs/science.md on real simulations",
        description="Run every claim the model covers, print a table claim | measured | "
        "target | pass/FAIL, write it to DIR/validation.md and exit 1 if a claim fails.")
    p.add_argument("--quick", action="store_true",
                   help="small populations and short runs (under 3 minutes)")
    p.add_argument("--seed", default="2026", metavar="SEED", help="seed (default 2026)")
    p.add_argument("--out", default=".", metavar="DIR",
                   help="folder for validation.md and reproduces.md (the README's short "
                   "table; default: the current folder)")
    p.add_argument("--readme", default=None, metavar="FILE",
                   help="also put the short table into FILE between the lines "
                   f"'{README_START}' and '{README_END}' (the project's README.md)")
    add_part_option(p)
    add_engine_options(p)
    p.set_defaults(handler=_validate)


#: The lines around the validation table in the README (``habmodel validate --readme``).
README_START = "<!-- habmodel validate: start -->"
README_END = "<!-- habmodel validate: end -->"


def _readme_with_table(readme: Path, table: str) -> str:
    text = readme.read_text(encoding="utf-8")
    head, start, rest = text.partition(README_START)
    _, end, tail = rest.partition(README_END)
    if not start or not end:
        raise UsageError(f"--readme: {readme} has no '{README_START}' ... '{README_END}' block")
    return head + start + "\n" + table + end + tail


def _validate(args, argv) -> int:
    seed = integer("--seed", args.seed, 0, 2**63 - 1)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {out} exists and is not a folder")
    readme = Path(args.readme) if args.readme else None
    if readme is not None and not readme.is_file():
        raise UsageError(f"--readme: {readme} is not a file")
    if readme is not None:
        _readme_with_table(readme, "")  # has the block: fail before simulating
    options = engine_inputs(args)
    cell = cell_option(args)
    if cell is not None:
        options["cell"] = cell
    try:
        out.mkdir(parents=True, exist_ok=True)
        with folder_lock(out, "habmodel validate"):  # a second validate into it exits 2
            return _validate_into(out, readme, seed, args, options)
    except OSError as err:
        return fail(f"--out: {write_error(err, out)}", 2)


def _validate_into(out: Path, readme: Path | None, seed: int, args, options) -> int:
    from ..claims import SCIENCE_DOC, science_link
    from ..validate import reproduces_markdown, run_validation, validation_markdown

    results = run_validation(quick=args.quick, seed=seed, **options)
    failed = [r for r in results if not r.passed]
    link = science_link(out)
    table = validation_markdown(results, link)
    where = f"[{SCIENCE_DOC}]({link})" if link else f"{SCIENCE_DOC} of the habmodel repository"
    header = (f"# habmodel validation\n\nThe claims of {where} (section 4), checked on "
              f"fresh simulations by `habmodel validate{' --quick' if args.quick else ''}` "
              f"(habmodel {__version__}, seed {seed}): {len(results) - len(failed)} of "
              f"{len(results)} claims pass.\n\n")
    files = {out / "validation.md": header + table,
             out / "reproduces.md": reproduces_markdown(results, link)}
    if readme is not None:
        files[readme] = _readme_with_table(readme, reproduces_markdown(
            results, science_link(readme.parent)))
    write_files(files)  # all or none
    if not args.quiet:
        sys.stdout.write(table)
    if failed:
        print(f"{PROG}: {len(failed)} claim(s) FAIL: "
              f"{', '.join(str(r.claim) for r in failed)}", file=sys.stderr)
        return 1
    return 0
