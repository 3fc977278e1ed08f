"""The browser lab: one static folder (``index.html``, its ES modules, the WebAssembly
kernel, ``model.json`` and a vendored plotting library) that runs the model in the
student's own browser. No server computes anything: any web server, ``habmodel app`` or
``python -m http.server`` can serve it, to a class of any size, offline.

:func:`build_lab` writes the folder (``habmodel lab --out DIR``); with a user's own
parts it compiles their cell to WebAssembly (needs the wasm toolchain,
:mod:`habmodel.engines.wasm`). :mod:`habmodel.lab.server` serves it
(``habmodel app``). The page itself is in ``static/``; ``docs/app.md`` describes it.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["build_lab", "STATIC", "LAB_MARKER"]

#: The page's own files (HTML, ES modules, CSS, the vendored plotting library).
STATIC = Path(__file__).parent / "static"
#: A file every built lab folder has (so that rebuilding may replace the folder).
LAB_MARKER = "model.json"


def build_lab(out, parts=None) -> Path:
    """Write the lab into the folder ``out`` and return its path.

    ``parts`` (a list of :class:`habmodel.Part`) adds a user's own currents: their cell (and
    its ketamine-trapping variant, for the clamp) is compiled to WebAssembly here (raises
    :class:`habmodel.engines.wasm.WasmToolchainError` without the toolchain). Without
    parts the packaged module of the built-in cell is used. The folder appears complete
    or not at all; an existing folder is replaced only if it is empty or a lab.
    """
    from ..engines.wasm import PREBUILT, VARIANTS, build_wasm, packaged_layout
    from ..model.cell import Cell
    from .bundle import model_bundle

    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir())
                                              and not (out / LAB_MARKER).is_file())):
        raise FileExistsError(f"{out} exists and is not an empty folder or a habmodel lab")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        shutil.copytree(STATIC, tmp, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        cell = Cell(extra=list(parts)) if parts else None
        layouts = {}
        for model, stem in VARIANTS.items():  # the trapping one for the clamp's use protocol
            if cell is None:
                layouts[model] = packaged_layout(model)
                shutil.copyfile(PREBUILT / f"{stem}.wasm", tmp / f"{stem}.wasm")
            else:
                layouts[model] = build_wasm(tmp / "_build", cell.variant(model), stem=stem)
                os.replace(tmp / "_build" / f"{stem}.wasm", tmp / f"{stem}.wasm")
        shutil.rmtree(tmp / "_build", ignore_errors=True)
        bundle = model_bundle(layouts["hill"], cell, layouts["trapping"])
        # compact: the page fetches it on every load (the voltage clamp made it larger)
        (tmp / LAB_MARKER).write_text(json.dumps(bundle, separators=(",", ":")) + "\n")
        os.chmod(tmp, 0o755)
        if out.exists():
            aside = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, aside / "lab")
            os.replace(tmp, out)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
