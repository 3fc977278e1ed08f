"""The WebAssembly kernel: the packaged module is the one habmodel generates today, a
rebuild gives the same module, a user's part compiles, and the kernel's own exp (the
vectorisable one clang builds use) is as accurate as the C library's."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pytest

from habmodel.engines import wasm


def _toolchain_or_skip():
    try:
        return wasm.toolchain()
    except wasm.WasmToolchainError as err:
        pytest.skip(f"{err} (make test installs it where it runs as root)")


def test_packaged_module_is_built_from_todays_source():
    """The lab and engine="wasm" cannot drift from the model: the packaged module was
    compiled from exactly the C source that the code generator writes now."""
    packaged = wasm.packaged_layout()
    _, today = wasm.kernel_layout()
    assert packaged["source_sha256"] == today["source_sha256"], (
        "the model or the code generator changed: rebuild the packaged WebAssembly kernel "
        "with python scripts/build_wasm.py")
    for key in ("abi", "method", "states", "parameters", "currents", "initial_state", "flags"):
        assert packaged[key] == today[key], key
    from habmodel.model.equations import DEFAULT_CELL

    assert packaged["currents"] == list(DEFAULT_CELL.currents)  # hm_currents' rows


def test_a_rebuild_gives_the_packaged_module(tmp_path):
    _, version, _ = _toolchain_or_skip()
    layout = wasm.build_wasm(tmp_path)
    packaged = wasm.packaged_layout()
    assert layout["source_sha256"] == packaged["source_sha256"]
    assert json.loads((tmp_path / "kernel.json").read_text()) == layout
    if version != packaged["compiler"]:
        pytest.skip(f"this clang ({version}) is not the one that built the packaged module "
                    f"({packaged['compiler']}): bytes may differ; the source is the same")
    assert (tmp_path / "kernel.wasm").read_bytes() == (wasm.PREBUILT / "kernel.wasm").read_bytes()


def test_a_users_part_compiles(tmp_path):
    _toolchain_or_skip()
    from pathlib import Path

    from habmodel.model.cell import Cell, load_parts

    example = Path(__file__).resolve().parents[1] / "examples" / "a_type_potassium.py"
    cell = Cell(extra=load_parts(example))
    layout = wasm.build_wasm(tmp_path, cell)
    assert set(cell.states) == set(layout["states"])
    assert "g_A" in layout["parameters"]
    assert not list(tmp_path.glob(".*")), "no temporary file left behind"


def test_without_the_toolchain_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setenv("HABMODEL_WASM_CC", "/nonexistent/clang")
    wasm.toolchain.cache_clear()
    try:
        with pytest.raises(wasm.WasmToolchainError, match="apt-get install clang lld wasi-libc"):
            wasm.build_wasm("/nonexistent/out")
    finally:
        monkeypatch.delenv("HABMODEL_WASM_CC")
        wasm.toolchain.cache_clear()


@pytest.mark.skipif(shutil.which("clang") is None, reason="clang is not installed")
def test_the_kernels_own_exp_is_within_two_ulp(tmp_path):
    """clang builds (Apple clang, the WebAssembly module with SIMD) use the kernel's own
    vectorisable exp and expm1: compiled with the kernel's flags, they stay within 2 ulp
    of the C library's over the range the model uses, and expm1 keeps full relative
    accuracy near 0 (where exprel needs it)."""
    from habmodel.engines.cpreamble import MATH_PREAMBLE

    x = np.concatenate([np.linspace(-700, 700, 20001), np.linspace(-40, 40, 20001),
                        np.geomspace(1e-300, 1e-3, 2000), -np.geomspace(1e-300, 1e-3, 2000)])
    (tmp_path / "x.bin").write_bytes(x.tobytes())
    (tmp_path / "fns.c").write_text(
        "#include <math.h>\n#include <stdint.h>\n#include <stdio.h>\n" + MATH_PREAMBLE + """
int main(int argc, char **argv) {
    FILE *f = fopen(argv[1], "rb"); double x; FILE *o = fopen(argv[2], "wb");
    while (fread(&x, sizeof x, 1, f) == 1) {
        double e = hm_exp(x), m = hm_expm1(x);
        fwrite(&e, sizeof e, 1, o); fwrite(&m, sizeof m, 1, o);
    }
    fclose(f); fclose(o); return 0;
}
""")
    subprocess.run(["clang", "-O3", "-ffast-math", "-o", str(tmp_path / "fns"),
                    str(tmp_path / "fns.c"), "-lm"], check=True)
    subprocess.run([str(tmp_path / "fns"), str(tmp_path / "x.bin"), str(tmp_path / "y.bin")],
                   check=True)
    y = np.frombuffer((tmp_path / "y.bin").read_bytes()).reshape(-1, 2)
    for got, want in ((y[:, 0], np.exp(x)), (y[:, 1], np.expm1(x))):
        ulp = np.abs(np.spacing(want))
        assert float(np.max(np.abs(got - want) / ulp)) <= 2.0


def test_the_native_kernels_probes_are_the_models_currents_and_events():
    """hm_currents and hm_event (habmodel.engines.probes) are generated into the native kernel
    as into the WebAssembly one: at random states they give the cell's own currents
    (analysis.curves.evaluate) and what one glutamate event adds."""
    import ctypes

    from habmodel.analysis.curves import evaluate
    from habmodel.engines import fast
    from habmodel.engines.fast import EngineUnavailableError
    from habmodel.model.drugs import availability
    from habmodel.model.equations import DEFAULT_CELL
    from habmodel.model.parameters import condition_values
    from habmodel.model.units import si_scale

    try:
        kernel = fast.kernel(announce=False)
    except EngineUnavailableError as err:
        pytest.skip(f"no native kernel here: {err}")
    n, cell = 7, DEFAULT_CELL
    rng = np.random.default_rng(3)
    states = {name: rng.uniform(0.0, 1.0, n) for name in kernel.states}
    states["v"] = rng.uniform(-0.12, 0.05, n)
    values = condition_values("depressed", cell.parameters)
    ns = {k: np.full(n, v * si_scale(cell.parameters[k].unit)) for k, v in values.items()}
    ns.update(availability({}, values, n, targets=cell.drug_targets))
    ns["s_tonic"] = np.full(n, 0.1)
    params = np.ascontiguousarray([ns[name] if name in ns else np.zeros(n)
                                   for name in kernel.parameters], float)
    S = np.ascontiguousarray([states[name] for name in kernel.states], float)
    C = np.zeros((len(cell.currents), n))
    D = np.zeros_like(S)
    lib, ptr = kernel._lib, ctypes.c_void_p
    assert lib.hm_n_currents() == len(cell.currents)
    lib.hm_currents(ctypes.c_int64(n), ctypes.c_double(0.0), ptr(S.ctypes.data),
                    ptr(params.ctypes.data), ptr(C.ctypes.data))
    lib.hm_event(ctypes.c_int64(n), ptr(S.ctypes.data), ptr(params.ctypes.data),
                 ptr(D.ctypes.data))
    for k, name in enumerate(cell.currents):
        want = np.broadcast_to(evaluate(name, {**ns, **states}, cell=cell), (n,))
        np.testing.assert_allclose(C[k], want, rtol=1e-12, atol=1e-15, err_msg=name)
    event = {name: 0.0 for name in kernel.states}
    event.update(x=ns["w_glu"][0], s_AMPA=1.0)
    np.testing.assert_allclose(D, [np.full(n, event[name]) for name in kernel.states])
