"""``habmodel lab --out DIR [--part FILE ...]``: write the browser lab, a folder of static
files that any web server can serve (:func:`habmodel.lab.build_lab`)."""

from __future__ import annotations

import shlex
from pathlib import Path

__all__ = ["add_lab"]


def add_lab(sub) -> None:
    from .common import add_part_option

    p = sub.add_parser(
        "lab", help="write the browser lab: a folder of static files to serve or copy",
        description="Write the browser lab to --out: index.html, its JavaScript modules, the "
        "model compiled to WebAssembly (kernel.wasm), model.json and the plotting library. "
        "The page runs the model in the browser, so any static web server can serve the "
        "folder (habmodel app --dir DIR, python -m http.server, a university web space), "
        "offline and to any number of students. With --part your cell is compiled to "
        "WebAssembly here, which needs clang, wasm-ld and the WASI C library.")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="folder to write (must not exist, be empty, or be a lab written "
                   "before, which is replaced once the new one is complete)")
    add_part_option(p)
    p.set_defaults(handler=_lab)


def _files(root: Path) -> tuple[int, int]:
    files = [p for p in root.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _lab(args, argv) -> int:
    from ..engines.wasm import WasmToolchainError, toolchain
    from ..io import write_error
    from ..lab import LAB_MARKER, build_lab
    from .common import PROG, UsageError, cell_option, check_out, fail

    out = check_out(args.out, overwrite=True)  # a file, an unwritable parent: refused
    if out.is_dir() and any(out.iterdir()) and not (out / LAB_MARKER).is_file():
        raise UsageError(f"--out: {out} is not empty and is not a habmodel lab (it has no "
                         f"{LAB_MARKER}); choose a new or empty folder")
    cell = cell_option(args)  # reads and checks the --part files
    parts = list(cell.extra) if cell is not None else None
    try:
        if parts:
            toolchain()  # before anything is written
        build_lab(out, parts)
    except WasmToolchainError as err:
        return fail(f"lab: --part needs the WebAssembly toolchain to compile the cell: {err}",
                    2)
    except FileExistsError as err:
        return fail(f"--out: {err}", 2)
    except OSError as err:
        return fail(f"--out: {write_error(err, out)}", 2)
    except (ValueError, TypeError) as err:
        return fail(f"--part: {err}", 2)
    except RuntimeError as err:  # clang failed on the cell's code
        return fail(f"lab: {err}", 1)
    n, size = _files(out)
    where = shlex.quote(str(out))
    print(f"{PROG} lab: wrote {out} ({n} files, {size / 2**20:.1f} MiB)\n"
          f"Open it with:  habmodel app --dir {where}\n"
          f"          or:  python -m http.server -d {where}   (then http://127.0.0.1:8000/)\n"
          "or copy the folder to any web server. Browsers do not run it from disk "
          "(file://): it needs a server.")
    return 0
