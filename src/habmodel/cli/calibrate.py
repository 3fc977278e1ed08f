"""``habmodel calibrate``: the model against the literature (docs/calibration.md)."""

from __future__ import annotations

import sys
from pathlib import Path

from ..io import write_error, write_files
from .common import UsageError, fail, integer

__all__ = ["add_calibrate"]


def add_calibrate(sub) -> None:
    p = sub.add_parser(
        "calibrate", help="measure the model's value of each published quantity "
        "(docs/calibration.md) and print the table",
        description="Measure, on fresh simulations, the model's value of every quantity with "
        "a published value (resting potentials, input resistance, time constant, sag, "
        "rebound, bursts, bursting fractions, K+, ketamine IC50s and rates, "
        "pharmacokinetics, the one-day block) and print the table with the published value, "
        "its source, the ratio and the target range. --out FILE.csv writes it as a tidy CSV.")
    p.add_argument("--quick", action="store_true",
                   help="small populations and short runs (a smoke test; about 10 s)")
    p.add_argument("--seed", default="2026", help="seed of the inputs (default 2026)")
    p.add_argument("--out", default=None, metavar="FILE",
                   help="also write the table as CSV to FILE (must not exist, unless "
                   "--overwrite)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out FILE")
    p.set_defaults(handler=_calibrate)


def _calibrate(args, argv) -> int:
    from ..calibration import calibration_markdown, calibration_table

    seed = integer("--seed", args.seed, 0, 2**63 - 1)
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and (out.is_dir() or not args.overwrite):
        raise UsageError(f"--out: {out} exists; use --overwrite to replace a file")
    table = calibration_table(quick=args.quick, seed=seed)
    if out is not None:
        try:
            write_files({out: table.to_csv(index=False)})
        except OSError as err:
            return fail(f"--out: {write_error(err, out)}", 2)
    sys.stdout.write(calibration_markdown(table))
    off = table[table["in_range"] == False]  # noqa: E712  (None means: no target)
    if len(off):
        print(f"habmodel: {len(off)} quantity(ies) outside their target range: "
              f"{', '.join(off['key'])}", file=sys.stderr)
    return 0
