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


@pytest.mark.slow
def test_a_wheel_installed_elsewhere_runs_every_command(tmp_path):
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs the git checkout (the wheel is built from the tracked files)")
    source, dist, venv, elsewhere = (tmp_path / n for n in ("src", "dist", "venv", "elsewhere"))
    for folder in (source, elsewhere):
        folder.mkdir()
    _copy_tracked_files(source)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["MPLBACKEND"] = "Agg"
    # build the wheel offline with this environment's setuptools (a test dependency)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "-w", dist, source], cwd=tmp_path, env=env)
    wheel = next(dist.glob("habmodel-*.whl"))
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
    assert sorted(p.name for p in elsewhere.iterdir()) == ["figures", "run", "validation"]
