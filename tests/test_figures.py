"""The figure script runs and writes PNG, SVG and captions."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_make_figures_quick(tmp_path):
    out = tmp_path / "figs"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "make_figures.py"), "--quick",
                    "--out", str(out)], check=True, env={**os.environ, "MPLBACKEND": "Agg"})
    assert (out / "traces.png").stat().st_size > 10_000
    assert (out / "traces.svg").exists()
    readme = (out / "README.md").read_text()
    assert "traces:" in readme and "seed" in readme and "ISIs <= 20 ms" in readme
