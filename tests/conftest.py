"""Shared helpers of the command-line tests."""

from __future__ import annotations

import pytest

from habmodel import cli, simulation


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
