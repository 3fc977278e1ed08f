"""The burst-shape measurement of docs/burst_shapes.md: prints its tables (markdown) and
writes its figure.

    python scripts/measure_burst_shapes.py                 # 10 cells x 5 s per point
    python scripts/measure_burst_shapes.py --cells 4 --duration "3 s" --figure out.png

Three seeds by default; the thresholds of the shape classes are varied for the
sensitivity table (plateau_retained 0.4 / 0.5 / 0.6).
"""

import argparse

import pandas as pd

from habmodel.analysis import ShapeCriteria, burst_shape_summary
from habmodel.experiments import burst_shapes, burst_shapes_with_examples
from habmodel.plotting import save_figure
from habmodel.plotting.burst_shapes import plot_burst_shapes

K_O = ["2.4 mM", "2.6 mM", "2.8 mM", "3.0 mM", "3.2 mM", "3.4 mM", "3.6 mM"]
HOLD = ["-30 pA", "-20 pA", "-10 pA", "-5 pA", "0 pA", "5 pA", "10 pA"]


def _markdown(frame: pd.DataFrame) -> str:
    head = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = ["| " + " | ".join(f"{v:.2f}" if isinstance(v, float) else str(v) for v in row)
            + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=10)
    parser.add_argument("--duration", default="5 s")
    parser.add_argument("--seeds", type=int, nargs="+", default=[2026, 7, 11])
    parser.add_argument("--figure", default="docs/images/burst_shapes.png")
    args = parser.parse_args()
    runs = []
    for seed in args.seeds:
        for name, hold_args in (("depressed", {"holding_condition": "depressed"}),
                                ("3.4 mM", {"holding_condition": "control",
                                            "overrides": {"K_o": "3.4 mM"}}),
                                ("control", {"holding_condition": "control"})):
            k_o = K_O if name == "depressed" else []
            hold = HOLD if name != "control" else ["-40 pA", "-30 pA", "-20 pA", "-10 pA", "0 pA"]
            if seed == args.seeds[0] and name == "depressed":
                table, examples = burst_shapes_with_examples(
                    k_o, hold, n_cells=args.cells, duration=args.duration, seed=seed, **hold_args)
                if args.figure:
                    save_figure(plot_burst_shapes(table, examples), args.figure.rsplit(".", 1)[0],
                                formats=(args.figure.rsplit(".", 1)[1],), dpi=100)
            else:
                table = burst_shapes(k_o, hold, n_cells=args.cells, duration=args.duration,
                                     seed=seed, **hold_args)
            runs.append(table.assign(run=name))
    everything = pd.concat(runs, ignore_index=True)
    summary = burst_shape_summary(everything, by=("axis", "K_o_mM", "I_hold_pA", "condition"))
    cols = ["axis", "K_o_mM", "I_hold_pA", "n_cells", "n_bursting_cells", "n_bursts",
            "n_unclassified", "frac_square_wave", "frac_triangular", "frac_parabolic",
            "spikes_per_burst", "plateau_retained"]
    print(f"All seeds {args.seeds}, {args.cells} cells x {args.duration} per point and seed:\n")
    print(_markdown(summary[cols]))
    per_seed = burst_shape_summary(everything, by=("axis", "K_o_mM", "I_hold_pA", "seed"))
    wide = per_seed.pivot_table(index=["axis", "K_o_mM", "I_hold_pA"], columns="seed",
                                values="frac_square_wave", sort=False).reset_index()
    wide.columns = [str(c) for c in wide.columns]
    print("\nSquare-wave fraction per seed:\n")
    print(_markdown(wide))
    print("\nSensitivity (first seed): square-wave fraction at plateau_retained 0.4/0.5/0.6:\n")
    rows = {}
    for retained in (0.4, 0.5, 0.6):
        table = burst_shapes(K_O, HOLD, n_cells=args.cells, duration=args.duration,
                             seed=args.seeds[0], shape=ShapeCriteria(plateau_retained=retained))
        rows[f"retained {retained:g}"] = burst_shape_summary(table)["frac_square_wave"]
    base = burst_shape_summary(table)[["axis", "K_o_mM", "I_hold_pA"]]
    print(_markdown(pd.concat([base, pd.DataFrame(rows)], axis=1)))
    by_spikes = everything[everything["label"].isin(["square-wave", "triangular"])]
    share = by_spikes.groupby("n_spikes")["label"].agg(
        n="size", square_wave=lambda x: float((x == "square-wave").mean())).reset_index()
    print("\nSquare-wave fraction by spikes per burst (all runs):\n")
    print(_markdown(share))


if __name__ == "__main__":
    main()
