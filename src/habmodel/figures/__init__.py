"""Make habmodel's teaching figures (PNG at 300 dpi and SVG) from the public API.

Usage::

    habmodel figures --out figures                     # everything (about a minute)
    habmodel figures --only dose_response --only mode_map
    habmodel figures --quick --out /tmp/figs           # small runs (for tests)
    habmodel figures --gallery docs/images             # also the README's gallery

(``python scripts/make_figures.py`` in a source checkout and ``python -m
habmodel figures`` are the same command.) Every figure is deterministic (seeded:
the same command writes the same files). ``OUT/README.md`` lists every figure
with its caption (burst criteria, parameters, seed); ``OUT/validation.md`` is
the claim-by-claim validation report of :func:`habmodel.validate.run_validation`
(``--quick``: its small populations). ``--only NAME`` (repeatable) makes just
those figures (name ``validation`` for the report); the README then keeps the
entries of figures already in ``OUT``.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from .. import __version__, validate
from ..claims import SCIENCE_DOC, science_link
from ..io import OutputBusyError, folder_lock, write_error
from ..plotting.layout import save_figure
from .panels import FIGURES, FULL, QUICK, SEED, _criteria

#: Resolution of the PNG files, and of the small gallery PNGs of ``--gallery``.
DPI = 300
GALLERY_DPI = 60
#: Figures shown in the README's gallery (``--gallery DIR``).
GALLERY = ("traces", "nmda_slope", "panel", "dose_response", "mode_map", "curves", "circuit",
           "circuit_dopamine", "reward_task")

VALIDATION = "validation"


# --- files -----------------------------------------------------------------------------------

def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a temporary file renamed into place)."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


_ENTRY = re.compile(r"^- \*\*(?P<name>[a-z_]+)\*\* ")


def readme_text(out: Path, captions: dict[str, str], quick: bool) -> str:
    """``OUT/README.md``: one line per figure in ``OUT`` (new captions, else the old line)."""
    old = {}
    path = out / "README.md"
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _ENTRY.match(line)
            if match and match["name"] in FIGURES and (out / f"{match['name']}.png").exists():
                old[match["name"]] = line
    lines = []
    for name in FIGURES:
        if name in captions:
            lines.append(f"- **{name}** ([png]({name}.png), [svg]({name}.svg)): "
                         f"{captions[name]}")
        elif name in old:
            lines.append(old[name])
    size = "quick (small populations, short runs)" if quick else "full"
    report = (f"\nValidation of the claims of {_science(out)} (section 4): "
              "[validation.md](validation.md).\n") if (out / "validation.md").exists() else ""
    return ("# habmodel figures\n\n"
            f"Made by `habmodel figures` (habmodel {__version__}, "
            f"{size} sizes, seed {SEED}). PNG at {DPI} dpi and SVG; every figure is "
            "deterministic. One line per figure: its caption (parameters, seed, burst "
            "criteria).\n\n" + "\n".join(lines) + "\n" + report)


def _science(out: Path) -> str:
    """docs/science.md, as a link from ``out`` where the repository is at hand."""
    link = science_link(out)
    return f"[{SCIENCE_DOC}]({link})" if link else f"{SCIENCE_DOC} (habmodel's repository)"


def validation_text(quick: bool, out: Path) -> str:
    """``OUT/validation.md``: the validation table of :mod:`habmodel.validate`."""
    results = validate.run_validation(quick=quick, seed=SEED)
    passed = sum(r.passed for r in results)
    size = ("quick: small populations and 3 s runs, a smoke test with wide statistical error"
            if quick else "full: 20 cells x 5 s per condition, 100 jittered cells")
    return ("# habmodel validation\n\n"
            f"The claims of {_science(out)} (section 4), each checked on simulations by "
            f"`habmodel.validate.run_validation(quick={quick})` (habmodel "
            f"{__version__}, seed {SEED}; {size}). {_criteria()}; rhythmic "
            f"bursting: at least {validate.RHYTHMIC_BURSTS_PER_S:g} bursts/s.\n\n"
            f"{passed} of {len(results)} claims pass.\n\n"
            + validate.validation_markdown(results, science_link(out)))


def _default_jobs() -> int:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(2, cores or 1))


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 64:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1 to 64, got '{text}'")
    return value


def add_arguments(parser) -> None:
    """The options of ``habmodel figures`` (and of ``scripts/make_figures.py``)."""
    parser.epilog = f"Figures: {', '.join(FIGURES)}; '{VALIDATION}' is the validation report."
    parser.add_argument("--out", default="figures", type=Path,
                        help="output folder (default figures/)")
    parser.add_argument("--only", action="append", choices=[*FIGURES, VALIDATION],
                        metavar="NAME", help="make only this figure (repeatable); "
                        f"one of {', '.join([*FIGURES, VALIDATION])}")
    parser.add_argument("--quick", action="store_true",
                        help="small populations and short runs (for tests; seconds)")
    parser.add_argument("--jobs", type=_jobs, default=_default_jobs(), metavar="N",
                        help="processes that make figures at once (default: the cores, at "
                        "most 2; 1: one after the other in this process)")
    parser.add_argument("--gallery", type=Path, metavar="DIR",
                        help=f"also write small PNGs ({GALLERY_DPI} dpi) of "
                        f"{', '.join(GALLERY)} to DIR (the README's gallery: docs/images)")


def main(argv=None) -> int:
    """``habmodel figures``: parse ``argv`` and make the figures."""
    parser = argparse.ArgumentParser(prog="habmodel figures",
                                     description=__doc__.splitlines()[0])
    parser.error = lambda message: parser.exit(  # one line, as every habmodel command
        2, f"habmodel figures: error: {' '.join(str(message).split())}\n")
    add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args) -> int:
    """Make the figures that ``args`` (of :func:`add_arguments`) ask for.

    Every file is written atomically; a write that cannot finish (no space, no
    permission) exits with status 2 and one line naming the path and the reason (the
    figures finished before it are kept, the index README.md is not rewritten), and so
    does a second ``habmodel figures`` into a folder that one is writing.
    """
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        if args.gallery is not None:
            args.gallery.mkdir(parents=True, exist_ok=True)
        with folder_lock(args.out, "habmodel figures"):
            return _make(args)
    except OSError as err:
        print(f"\nhabmodel figures: error: --out: {write_error(err, args.out)}", file=sys.stderr)
        return 2
    except OutputBusyError as err:
        print(f"habmodel figures: error: --out: {err}", file=sys.stderr)
        return 2


#: Figures that share a simulation (cached in the process that makes them) go together.
_TOGETHER = (("circuit", "circuit_dopamine"), ("washout", "day_course"))
#: The longest items first, so that the two processes finish at about the same time.
_LONGEST_FIRST = (VALIDATION, "mode_map", "reward_task", "circuit", "jitter", "washout",
                  "dose_response")


def _make(args) -> int:
    sizes = "quick" if args.quick else "full"
    names = list(dict.fromkeys(args.only)) if args.only else [*FIGURES, VALIDATION]
    tasks = _tasks(names)
    start_all = time.perf_counter()
    captions, done = {}, 0
    jobs = min(args.jobs, len(tasks))
    if jobs > 1:  # the drawing and Brian2 use one core: a second process uses the other
        from concurrent.futures import ProcessPoolExecutor, as_completed
        from multiprocessing import get_context

        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as pool:
            futures = [pool.submit(_items, task, sizes, args.out, args.gallery, args.quick)
                       for task in tasks]
            for future in as_completed(futures):
                for item in future.result():
                    done += 1
                    captions.update(_report(done, len(names), *item))
    else:
        for task in tasks:
            for item in _items(task, sizes, args.out, args.gallery, args.quick):
                done += 1
                captions.update(_report(done, len(names), *item))
    write_text(args.out / "README.md", readme_text(args.out, captions, args.quick))
    print(f"[figures] {len(names)} item(s) in {time.perf_counter() - start_all:.1f} s "
          f"({jobs} process(es)); captions in {args.out / 'README.md'}", flush=True)
    return 0


def _tasks(names: list[str]) -> list[tuple[str, ...]]:
    """``names`` grouped (:data:`_TOGETHER`), the longest first."""
    tasks = [tuple(n for n in group if n in names) for group in _TOGETHER]
    grouped = {n for task in tasks for n in task}
    tasks = [t for t in tasks if t] + [(n,) for n in names if n not in grouped]
    rank = {n: k for k, n in enumerate(_LONGEST_FIRST)}
    return sorted(tasks, key=lambda task: min(rank.get(n, len(rank)) for n in task))


def _items(names, sizes: str, out: Path, gallery, quick: bool) -> list[tuple]:
    """Make these figures (or the validation report), one after the other:
    ``[(name, caption, files, seconds), ...]``."""
    made = []
    for name in names:
        start = time.perf_counter()
        caption = None
        if name == VALIDATION:
            write_text(out / "validation.md", validation_text(quick, out))
            written = ["validation.md"]
        else:
            fig, caption = FIGURES[name](QUICK if sizes == "quick" else FULL)
            written = [p.name for p in save_figure(fig, out / name, dpi=DPI)]
            if gallery is not None and name in GALLERY:
                save_figure(fig, gallery / name, formats=("png",), dpi=GALLERY_DPI)
                written.append(f"{gallery / name}.png")
        made.append((name, caption, written, time.perf_counter() - start))
    return made


def _report(i: int, n: int, name: str, caption, written, seconds: float) -> dict:
    print(f"[figures {i}/{n}] {name} done in {seconds:.1f} s ({', '.join(written)})",
          flush=True)
    return {} if caption is None else {name: caption}
