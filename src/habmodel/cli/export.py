"""``habmodel export neuron|neuroml --out DIR [--part FILE ...]``: the cell for other
simulators (:mod:`habmodel.exports`).

``export neuron`` also takes ``--condition``, ``--set`` and ``--drug``: they become the
defaults of the exported ``cell.py`` and of the mod files' ``PARAMETER`` blocks.
"""

from __future__ import annotations

import shlex

__all__ = ["add_export"]


def add_export(sub) -> None:
    from .common import add_part_option

    p = sub.add_parser(
        "export", help="write the cell for NEURON or NeuroML (docs/elsewhere.md)",
        description="Write the LHb cell (with any --part currents) for another simulator. "
        "See docs/elsewhere.md.")
    formats = p.add_subparsers(dest="format", required=True, metavar="FORMAT")
    n = formats.add_parser(
        "neuron", help="NMODL mechanisms and a cell.py that runs the cell in NEURON",
        description="Write mod/*.mod (NMODL generated from the cell's equations), cell.py "
        "(builds the cell with NEURON's Python API, replays habmodel's glutamate input for "
        "a seed, writes spikes.csv as habmodel simulate does) and model.json to --out. "
        "--condition, --set and --drug become cell.py's defaults (its own options override "
        "them). Quantities need a unit ('2.2mS/cm2', '1uM').")
    n.add_argument("--out", required=True, metavar="DIR",
                   help="folder to write (must not exist or be empty, unless --overwrite)")
    n.add_argument("--overwrite", action="store_true",
                   help="replace a non-empty --out once the new export is complete")
    add_part_option(n)
    n.add_argument("--condition", default=None,
                   help="the default condition of cell.py and the mod files (default control)")
    n.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="a parameter value, e.g. g_T=2.2mS/cm2 (repeatable)")
    n.add_argument("--drug", action="append", default=[], metavar="NAME=CONC",
                   help="a default drug dose, e.g. ketamine=1uM (repeatable)")
    n.set_defaults(handler=_neuron)
    m = formats.add_parser(
        "neuroml", help="NeuroML 2 / LEMS files of the cell",
        description="Write the cell as NeuroML 2 and LEMS to --out (docs/neuroml.md).")
    m.add_argument("--out", required=True, metavar="DIR",
                   help="folder to write (must not exist or be empty)")
    add_part_option(m)
    m.set_defaults(handler=_neuroml)


def _inputs(args) -> dict:
    """--condition, --set and --drug, checked; keyword arguments for export_neuron."""
    from ..model.parameters import DEFAULT_CONDITION
    from .common import cell_option, one_cell_inputs

    cell = cell_option(args)
    table = None if cell is None else cell.parameters
    condition = args.condition or DEFAULT_CONDITION
    overrides, drugs = one_cell_inputs(args, table, condition, "g_T=2.2mS/cm2",
                                       "ketamine=1uM")
    return {"cell": cell, "condition": condition, "overrides": overrides, "drugs": drugs}


def _neuron(args, argv) -> int:
    from ..exports.neuron import export_neuron
    from ..io import write_error
    from .common import PROG, check_out, fail

    out = check_out(args.out, args.overwrite)
    inputs = _inputs(args)
    try:
        files = export_neuron(out, **inputs, overwrite=args.overwrite, command=argv)
    except FileExistsError as err:
        return fail(f"--out: {err}", 2)
    except OSError as err:
        return fail(f"--out: {write_error(err, out)}", 2)
    except ValueError as err:
        return fail(f"export neuron: {err}", 2)
    mods = [f.name for f in files if f.suffix == ".mod"]
    where = shlex.quote(str(out))
    print(f"{PROG} export neuron: wrote {out} ({len(mods)} mechanisms: "
          f"{', '.join(m.removesuffix('.mod') for m in mods)}; cell.py, model.json)\n"
          f"Run it:  cd {where} && nrnivmodl mod && python cell.py --condition "
          f"{inputs['condition']} --duration 2s --seed 1 --out run1\n"
          "(cell.py compiles the mechanisms itself on first use; it needs NEURON: "
          "pip install neuron)")
    return 0


def _neuroml(args, argv) -> int:
    from ..io import write_error
    from .common import PROG, cell_option, check_out, fail

    out = check_out(args.out, False)
    cell = cell_option(args)
    try:
        from ..exports.neuroml import export_neuroml
    except ImportError as err:
        return fail(f"export neuroml: the NeuroML exporter is not available ({err})", 1)
    try:
        files = export_neuroml(out, cell=cell)
    except FileExistsError as err:
        return fail(f"--out: {err}", 2)
    except OSError as err:
        return fail(f"--out: {write_error(err, out)}", 2)
    except ValueError as err:
        return fail(f"export neuroml: {err}", 2)
    print(f"{PROG} export neuroml: wrote {out} ({len(files)} files)")
    return 0
