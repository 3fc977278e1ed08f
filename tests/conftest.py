"""Shared fixtures: the command-line helpers, a machine without a C compiler, and the
suite's own cache of Brian2's Cython modules."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from habmodel import cli, simulation

#: Brian2's Cython modules compiled by the suite: their own folder, built without
#: optimisation. Brian2 keys its cache by the Python executable, so a fresh clone (a new
#: .venv) compiles every module again; at -O0 that takes 40 % of the time of Brian2's
#: default -O3, and the suite's Brian2 runs are short. A folder of their own keeps these
#: unoptimised modules away from the ones habmodel's users get (Brian2's key does not
#: include the compiler flags).
SUITE_CYTHON_CACHE = Path(__file__).resolve().parents[1] / "build" / "test-cython"
SUITE_BRIAN2_PREFS = {"codegen.runtime.cython.cache_dir": str(SUITE_CYTHON_CACHE),
                      "codegen.cpp.extra_compile_args_gcc": ["-w", "-O0"]}


def pytest_configure(config):
    """This process's Brian2 (imported here) compiles into :data:`SUITE_CYTHON_CACHE`."""
    import brian2

    for name, value in SUITE_BRIAN2_PREFS.items():
        brian2.prefs[name] = value


@pytest.fixture
def brian2_here(tmp_path) -> Path:
    """A ``brian_preferences`` file in ``tmp_path``: Brian2 started there (a notebook
    kernel, a command run with ``cwd=tmp_path``) compiles into the suite's cache as this
    process does."""
    path = tmp_path / "brian_preferences"
    path.write_text("".join(f"{name} = {value!r}\n"
                            for name, value in SUITE_BRIAN2_PREFS.items()), encoding="utf-8")
    return path


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if the CLI gets as far as simulating."""
    def refuse(*args, **kwargs):
        raise AssertionError("simulate() was called; the input should have been rejected")
    monkeypatch.setattr(simulation, "simulate", refuse)


@pytest.fixture
def run_cli(capsys):
    """``run_cli(argv) -> (status, stdout, stderr)`` of ``habmodel ARGV``."""
    def run(argv):
        status = cli.main([str(a) for a in argv])
        captured = capsys.readouterr()
        return status, captured.out, captured.err
    return run


@pytest.fixture
def one_line_error():
    """``check(stderr, *needles)``: one line, ``habmodel: error: ...``, with every needle."""
    def check(err: str, *needles: str) -> None:
        lines = err.strip().splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
        assert lines[0].startswith("habmodel: error: "), lines[0]
        assert "Traceback" not in err
        for needle in needles:
            assert needle in lines[0], f"{needle!r} missing from: {lines[0]}"
    return check


#: Names of C compilers that "no compiler" hides from PATH.
_COMPILERS = re.compile(r"^(cc|c\+\+|c89|c99|cpp|gcc|g\+\+|clang|clang\+\+|tcc|icc|icx)"
                        r"([-.][\w.+-]*)?$|^[\w.-]+-linux-gnu-(gcc|g\+\+|cc|c\+\+|cpp)(-[\d.]+)?$")


@pytest.fixture
def no_compiler(monkeypatch, tmp_path_factory):
    """This process and its children as on a machine without a C compiler: ``CC`` a
    command that fails, a PATH without cc, gcc or clang, and empty kernel and Cython
    caches (so nothing compiled earlier is found)."""
    root = tmp_path_factory.mktemp("no-compiler")
    bin_dir = root / "bin"
    bin_dir.mkdir()
    for folder in os.environ.get("PATH", "").split(os.pathsep):
        if not folder or not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            target = bin_dir / entry.name
            if _COMPILERS.match(entry.name) or target.exists() or target.is_symlink():
                continue
            if entry.is_file() and os.access(entry.path, os.X_OK):
                target.symlink_to(entry.path)
    broken = root / "cc-that-fails"
    broken.write_text("#!/bin/sh\necho 'no C compiler on this machine' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    for name in ("CC", "CXX"):
        monkeypatch.setenv(name, str(broken))
    monkeypatch.setenv("HABMODEL_CACHE_DIR", str(root / "habmodel-cache"))
    monkeypatch.setenv("CYTHON_CACHE_DIR", str(root / "cython-cache"))
    from habmodel.engines import fast

    fast._compiler.cache_clear()
    monkeypatch.setattr(fast, "_loaded", {})
    yield root
    fast._compiler.cache_clear()
