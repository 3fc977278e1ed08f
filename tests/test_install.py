"""A non-editable install works anywhere: a wheel built from the tracked files, installed
into a new virtual environment, runs every command from an unrelated folder."""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(args, cwd, env, timeout=300) -> subprocess.CompletedProcess:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stderr[-3000:]}"
    return done


def _copy_tracked_files(target: Path) -> None:
    """The repository as a fresh clone has it (no build products, no .venv)."""
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                           check=True).stdout.decode().split("\0")
    for name in filter(None, names):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _env() -> dict:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """habmodel's wheel, built once for this module from the tracked files, offline, with
    this environment's setuptools (a test dependency)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout (the wheel is built from the tracked files)")
    root = tmp_path_factory.mktemp("wheel")
    source, dist = root / "src", root / "dist"
    source.mkdir()
    _copy_tracked_files(source)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "-w", dist, source], cwd=root, env=_env())
    return next(dist.glob("habmodel-*.whl"))


@pytest.mark.slow
def test_a_wheel_installed_elsewhere_runs_every_command(tmp_path, wheel):
    venv, elsewhere = tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _env()
    env["MPLBACKEND"] = "Agg"
    _run([sys.executable, "-m", "venv", venv], cwd=tmp_path, env=env)
    python = venv / "bin" / "python"
    _run([python, "-m", "pip", "install", "--no-deps", "--no-index", wheel], cwd=tmp_path,
         env=env)
    # the dependencies come from this environment, after the new one's own site-packages
    # (a path line in a .pth file: the editable habmodel of this environment is not seen)
    site = Path(_run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     cwd=tmp_path, env=env).stdout.strip())
    (site / "zz_habmodel_test_dependencies.pth").write_text(sysconfig.get_paths()["purelib"]
                                                            + "\n")
    habmodel = venv / "bin" / "habmodel"

    where = _run([python, "-c", "import habmodel; print(habmodel.__file__)"], elsewhere, env)
    assert Path(where.stdout.strip()).is_relative_to(venv), "habmodel came from the source tree"
    version = _run([python, "-m", "habmodel", "--version"], elsewhere, env)
    assert version.stdout.strip().startswith("habmodel ")
    params = _run([habmodel, "params"], elsewhere, env)
    assert "g_NMDA" in params.stdout and "mS/cm2" in params.stdout
    _run([habmodel, "simulate", "--condition", "depressed", "--cells", "2", "--duration",
          "1s", "--seed", "1", "--out", "run", "--quiet"], elsewhere, env)
    assert {p.name for p in (elsewhere / "run").iterdir()} >= {
        "spikes.csv", "summary.csv", "params.toml", "trace.png"}
    _run([habmodel, "validate", "--quick", "--out", "validation", "--quiet"], elsewhere, env)
    report = (elsewhere / "validation" / "validation.md").read_text()
    passed = re.search(r"(\d+) of (\d+) claims pass", report)
    assert passed and passed[1] == passed[2] and "docs/science.md" in report
    _run([habmodel, "figures", "--quick", "--only", "traces", "--only", "panel",
          "--only", "curves", "--out", "figures"], elsewhere, env)
    for name in ("traces", "panel", "curves"):
        assert (elsewhere / "figures" / f"{name}.png").stat().st_size > 10_000
    assert (elsewhere / "figures" / "README.md").exists()
    # the browser lab and the WebAssembly kernel travel in the wheel
    _run([habmodel, "lab", "--out", "lab"], elsewhere, env)
    assert {"index.html", "model.json", "kernel.wasm", "engine.js"} <= {
        p.name for p in (elsewhere / "lab").iterdir()}
    wasm = _run([python, "-c", "import habmodel; r = habmodel.simulate('depressed', "
                 "engine='wasm', duration='1 s', seed=1); print(r.engine, len(r.spikes_s[0]))"],
                elsewhere, env)
    assert wasm.stdout.split()[0] == "wasm" and int(wasm.stdout.split()[1]) > 0
    assert sorted(p.name for p in elsewhere.iterdir()) == ["figures", "lab", "run",
                                                           "validation"]


@pytest.mark.slow
@pytest.mark.parametrize("python", ["3.12", "3.13"])
def test_the_dependencies_resolve_for_newer_pythons(tmp_path, python, wheel):
    """No Python 3.12/3.13 interpreter here: pip resolves the built wheel's dependencies
    for them from the package index (binary wheels only), as a user's pip would. Skipped
    with the reason where no index is reachable."""
    env = _env()
    # pip's --python-version checks wheels and Requires-Python for the target but evaluates
    # environment markers for this interpreter; uv resolves both for the target Python
    done = subprocess.run(
        [sys.executable, "-m", "uv", "pip", "compile", "--python-version", python,
         "--only-binary", ":all:", "--no-header", "--quiet", "-"],
        input=f"habmodel @ {wheel.as_uri()}\n", capture_output=True, text=True, timeout=600,
        env=env)
    if done.returncode != 0 and re.search(r"network|connect|dns|resolve host|timed out",
                                          done.stderr, re.I):
        pytest.skip(f"no package index reachable: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr[-3000:]
    installed = dict(line.split("==", 1) for line in done.stdout.splitlines()
                     if "==" in line and not line.startswith(("#", " ")))
    brian2 = tuple(int(x) for x in installed["brian2"].split(".")[:2])
    assert brian2 >= (2, 10), installed["brian2"]
    numpy = tuple(int(x) for x in installed["numpy"].split(".")[:2])
    assert numpy >= (2, 4), f"NumPy {installed['numpy']}: held back for Python {python}"
    assert "wasmtime" in installed and "numpy" in installed
