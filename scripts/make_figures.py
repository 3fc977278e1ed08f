"""Make habmodel's teaching figures (PNG and SVG) from the public API.

Usage::

    python scripts/make_figures.py --out figures [--only traces] [--quick]

Each figure is deterministic (seeded). ``figures/README.md`` lists every
figure with its caption (burst criteria, parameters, seed).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from brian2 import second, uM

import habmodel
from habmodel.io import condition_label
from habmodel.plotting import plot_conditions, save_figure

SEED = 1


def fig_traces(out: Path, quick: bool) -> str:
    """Control / depressed / + ketamine / + mibefradil voltage traces, bursts marked."""
    duration = (1.0 if quick else 3.0) * second
    panel = {
        "control": ("control", {}),
        "depressed": ("depressed", {}),
        "depressed + ketamine 10 uM": ("depressed", {"ketamine": 10 * uM}),
        "depressed + mibefradil 2 uM": ("depressed", {"mibefradil": 2 * uM}),
    }
    results = {label: habmodel.simulate(cond, drugs=drugs, n_cells=1, duration=duration,
                                        seed=SEED, record_v=True)
               for label, (cond, drugs) in panel.items()}
    fig = plot_conditions(results)
    save_figure(fig, out / "traces", dpi=300)
    first = results["depressed"]
    labels = "; ".join(condition_label(r.condition, r.drugs_uM) for r in results.values())
    return (f"traces: membrane potential of one LHb model cell ({labels}); "
            f"{duration / second:g} s after a 0.5 s warm-up, seed {SEED}, "
            f"Poisson glutamate input {first.params['nu_glu'][0]:g} Hz, "
            f"{first.criteria.describe()}")


FIGURES = {"traces": fig_traces}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="figures", help="output folder (default figures/)")
    parser.add_argument("--only", action="append", choices=sorted(FIGURES),
                        help="make only this figure (repeatable)")
    parser.add_argument("--quick", action="store_true", help="short runs (for tests)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    captions = []
    for name in args.only or list(FIGURES):
        start = time.perf_counter()
        print(f"[figures] {name} ...", end=" ", flush=True)
        captions.append(FIGURES[name](out, args.quick))
        print(f"done in {time.perf_counter() - start:.1f} s", flush=True)
    readme = out / "README.md"
    tmp = readme.with_suffix(".md.tmp")
    tmp.write_text("# habmodel figures\n\nMade by `scripts/make_figures.py` "
                   f"(habmodel {habmodel.__version__}).\n\n"
                   + "".join(f"- {c}\n" for c in captions))
    tmp.replace(readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
