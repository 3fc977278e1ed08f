"""Rebuild the packaged WebAssembly kernels of the built-in cell
(src/habmodel/engines/prebuilt/: kernel.wasm for the lab and engine="wasm",
kernel-trapping.wasm for the ketamine-trapping variant, each with its .json layout).

Run after any change to the model or the code generator (make wasm); tests/test_wasm.py
fails until the packaged modules match the source habmodel generates.
"""

from habmodel.engines.wasm import PREBUILT, VARIANTS, build_wasm
from habmodel.model.equations import DEFAULT_CELL

if __name__ == "__main__":
    for variant, stem in VARIANTS.items():
        layout = build_wasm(PREBUILT, DEFAULT_CELL.variant(variant), stem=stem)
        print(f"{PREBUILT / (stem + '.wasm')}: {layout['bytes']} bytes, {layout['compiler']}")
