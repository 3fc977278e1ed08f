"""Faults: a damaged kernel cache, a write that cannot finish, two runs into one folder.

Each must end in a run that succeeds with the same spikes, or in exit status 2 with one
line naming the path and the reason, and never in a traceback or a half-written output.
"""

import errno
import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from habmodel.engines import fast as engine

SIMULATE = ["simulate", "--condition", "depressed", "--cells", "3", "--duration", "0.5s",
            "--seed", "4", "--quiet"]


def _habmodel(*args, cache: Path, cwd: Path, extra_env=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "HABMODEL_CACHE_DIR": str(cache), "MPLBACKEND": "Agg",
           **(extra_env or {})}
    return subprocess.run([sys.executable, "-m", "habmodel", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)


def _warnings(stderr: str) -> list[str]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert not any("Traceback" in line for line in lines), stderr
    return lines


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A kernel cache with the default kernel, and the spikes of one run made with it."""
    root = tmp_path_factory.mktemp("faults")
    done = _habmodel(*SIMULATE, "--out", root / "reference", cache=root / "cache", cwd=root)
    assert done.returncode == 0, done.stderr
    return root


def _entry(cache: Path) -> Path:
    entries = [p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(entries) == 1
    return entries[0]


DAMAGES = {
    "truncated kernel.so": lambda e, other: (e / "kernel.so").write_bytes(
        (e / "kernel.so").read_bytes()[:4096]),
    "another entry's kernel.so": lambda e, other: shutil.copy2(other, e / "kernel.so"),
    "no layout.json": lambda e, other: (e / "layout.json").unlink(),
    "unreadable layout.json": lambda e, other: (e / "layout.json").write_text("{not json"),
    "empty kernel.so": lambda e, other: (e / "kernel.so").write_bytes(b""),
}


@pytest.fixture(scope="module")
def other_library(tmp_path_factory):
    """The kernel.so of another structure (euler instead of rk4)."""
    cache = tmp_path_factory.mktemp("other-cache")
    code = ("from habmodel.engines import fast as engine; "
            "print(engine.kernel('euler', announce=False).path)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "HABMODEL_CACHE_DIR": str(cache)}, timeout=300)
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


@pytest.mark.slow
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_cache_entry_is_rebuilt_once(damage, built, other_library, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(built / "cache", cache)
    DAMAGES[damage](_entry(cache), other_library)
    done = _habmodel(*SIMULATE, "--out", "run", cache=cache, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = _warnings(done.stderr)
    assert len(lines) == 1 and str(cache) in lines[0] and "damaged" in lines[0], lines
    assert (tmp_path / "run" / "spikes.csv").read_text() == \
        (built / "reference" / "spikes.csv").read_text()
    # the entry is whole again: the next run loads it silently
    again = _habmodel(*SIMULATE, "--out", "again", cache=cache, cwd=tmp_path)
    assert again.returncode == 0 and _warnings(again.stderr) == []
    assert not [p for p in cache.iterdir() if p.name.startswith(".damaged")]


@pytest.mark.slow
def test_a_cache_folder_that_is_a_file_still_gives_the_same_spikes(built, tmp_path):
    cache = tmp_path / "cache-file"
    cache.write_text("not a folder")
    done = _habmodel(*SIMULATE, "--out", "run", cache=cache, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = _warnings(done.stderr)
    assert len(lines) == 1 and str(cache) in lines[0] and "cannot be used" in lines[0]
    assert (tmp_path / "run" / "spikes.csv").read_text() == \
        (built / "reference" / "spikes.csv").read_text()
    assert cache.read_text() == "not a folder"


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can write to any folder")
def test_an_unwritable_cache_folder_still_gives_the_same_spikes(built, tmp_path):
    cache = tmp_path / "locked"
    cache.mkdir()
    cache.chmod(0o500)
    try:
        done = _habmodel(*SIMULATE, "--out", "run", cache=cache, cwd=tmp_path)
    finally:
        cache.chmod(0o700)
    assert done.returncode == 0, done.stderr
    assert len(_warnings(done.stderr)) == 1
    assert (tmp_path / "run" / "spikes.csv").read_text() == \
        (built / "reference" / "spikes.csv").read_text()


def test_a_kernel_that_never_loads_falls_back_to_the_webassembly_engine(tmp_path,
                                                                         monkeypatch):
    """If the rebuilt kernel is damaged too, simulate() runs the packaged WebAssembly
    kernel of the built-in cell."""
    import habmodel
    from habmodel.simulation import EngineFallbackWarning

    monkeypatch.setenv("HABMODEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(engine, "_loaded", {})

    def broken(folder, method):
        raise engine.DamagedEntryError("kernel.so does not load (simulated)")

    monkeypatch.setattr(engine, "_load", broken)
    import brian2  # noqa: F401  (its import routes warnings to logging: not inside the block)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = habmodel.simulate("control", n_cells=1, duration="20 ms", warmup="0 ms")
    fallback = [w for w in caught if issubclass(w.category, EngineFallbackWarning)]
    assert len(fallback) == 1 and "does not load" in str(fallback[0].message)
    assert "WebAssembly" in str(fallback[0].message)
    assert result.engine == "wasm"


# --- writes that cannot finish ----------------------------------------------------------

WRITE_FAILURES = {
    "simulate": (["simulate", "--cells", "1", "--duration", "0.1s", "--warmup", "0s",
                  "--out", "{out}"], "habmodel.io._write_csv"),
    "dose-response": (["dose-response", "--drug", "ketamine", "--doses", "0,1,3,10uM",
                       "--cells", "1", "--duration", "0.2s", "--warmup", "0s",
                       "--out", "{out}"], "pandas.DataFrame.to_csv"),
}


@pytest.mark.slow
@pytest.mark.parametrize("command", list(WRITE_FAILURES))
def test_a_full_disk_exits_2_with_one_line_and_leaves_nothing(command, tmp_path):
    argv, target = WRITE_FAILURES[command]
    out = tmp_path / "out"
    module, _, name = target.rpartition(".")
    code = textwrap.dedent(f"""
        import errno, os, sys, importlib
        def no_space(*args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "x.csv")
        owner = {module!r}
        try:
            obj = importlib.import_module(owner)
        except ModuleNotFoundError:
            head, _, cls = owner.rpartition(".")
            obj = getattr(importlib.import_module(head), cls)
        setattr(obj, {name!r}, no_space)
        import habmodel.cli
        sys.exit(habmodel.cli.main({[a.replace('{out}', str(out)) for a in argv]!r}))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "MPLBACKEND": "Agg"}, timeout=300)
    assert done.returncode == 2, done.stderr
    lines = _warnings(done.stderr)
    assert len(lines) == 1, lines
    assert "No space left on device" in lines[0] and "--out" in lines[0]
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


@pytest.mark.parametrize("kind", ["a file", "a missing parent that is a file"])
def test_an_out_path_that_cannot_be_a_folder_exits_2(kind, tmp_path, run_cli, one_line_error,
                                                     no_simulation):
    (tmp_path / "taken").write_text("mine")
    out = tmp_path / "taken" if kind == "a file" else tmp_path / "taken" / "run"
    status, _, err = run_cli(["simulate", "--out", out])
    assert status == 2
    one_line_error(err, "--out")
    assert (tmp_path / "taken").read_text() == "mine"


def _patched_cli(patch: str, argv: list, cwd: Path, timeout: int = 300):
    """Run the command line in a new process after ``patch`` (Python statements)."""
    code = "import errno, os, sys\n" + textwrap.dedent(patch) + textwrap.dedent(f"""
        import habmodel.cli
        sys.exit(habmodel.cli.main({[str(a) for a in argv]!r}))
    """)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "MPLBACKEND": "Agg"}, timeout=timeout)


NO_SPACE = "raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(args[-1]))"


@pytest.mark.slow
def test_a_sweep_that_cannot_write_its_results_keeps_its_chunks(tmp_path):
    argv = ["sweep", "--vary", "ketamine=0,1uM", "--cells", "2", "--duration", "0.2s",
            "--warmup", "0s", "--out", "grid", "--quiet"]
    patch = f"""
        import pandas
        def no_space(self, *args, **kwargs):
            {NO_SPACE}
        pandas.DataFrame.to_csv = no_space
    """
    done = _patched_cli(patch, argv, tmp_path)
    assert done.returncode == 2, done.stderr
    lines = _warnings(done.stderr)
    assert len(lines) == 1 and "No space left on device" in lines[0] and "resume" in lines[0]
    grid = tmp_path / "grid"
    assert list((grid / "chunks").glob("*.parquet"))
    left = sorted(p.name for p in grid.iterdir())
    assert "results.csv" not in left and "results.parquet" not in left
    assert "provenance.json" not in left and not [n for n in left if n.endswith(".tmp")]
    again = _patched_cli("", argv, tmp_path)  # the same command resumes and finishes
    assert again.returncode == 0, again.stderr
    assert (grid / "results.csv").exists() and (grid / "provenance.json").exists()


@pytest.mark.slow
def test_validate_that_cannot_write_exits_2_and_keeps_the_old_report(tmp_path):
    out = tmp_path / "check"
    out.mkdir()
    (out / "validation.md").write_text("the old report")
    patch = f"""
        import pathlib
        real = pathlib.Path.write_text
        def write_text(self, *args, **kwargs):
            if self.name.startswith(".reproduces.md"):
                {NO_SPACE.replace("args[-1]", "self")}
            return real(self, *args, **kwargs)
        pathlib.Path.write_text = write_text
    """
    done = _patched_cli(patch, ["validate", "--quick", "--out", out, "--quiet"], tmp_path)
    assert done.returncode == 2, done.stderr
    lines = _warnings(done.stderr)
    assert len(lines) == 1 and "No space left on device" in lines[0] and "reproduces" in lines[0]
    assert sorted(p.name for p in out.iterdir()) == ["validation.md"]
    assert (out / "validation.md").read_text() == "the old report"  # all or none


def test_figures_that_cannot_be_written_exit_2_with_one_line(tmp_path):
    patch = """
        import habmodel.figures
        def no_space(fig, path, *args, **kwargs):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path) + ".png")
        habmodel.figures.save_figure = no_space
    """
    done = _patched_cli(patch, ["figures", "--quick", "--only", "curves", "--out", "figs"],
                        tmp_path)
    assert done.returncode == 2, done.stderr
    lines = _warnings(done.stderr)
    assert len(lines) == 1 and "No space left on device" in lines[0] and "curves.png" in lines[0]
    assert list((tmp_path / "figs").iterdir()) == []


@pytest.mark.slow
def test_without_a_working_compiler_the_command_warns_once_and_succeeds(tmp_path):
    """A build that fails (no compiler, or a full disk while compiling) falls back to
    the WebAssembly engine with one warning line, and the run records it."""
    patch = """
        from habmodel.engines import fast as engine
        def fails(cc, source, library):
            raise engine.EngineUnavailableError("the C compiler failed: No space left on device")
        engine._compile = fails
        os.environ["HABMODEL_CACHE_DIR"] = sys.argv[1]
    """
    code_argv = ["simulate", "--cells", "1", "--duration", "0.1s", "--warmup", "0s",
                 "--out", "run", "--quiet"]
    done = subprocess.run(
        [sys.executable, "-c", "import os, sys\n" + textwrap.dedent(patch)
         + f"import habmodel.cli\nsys.exit(habmodel.cli.main({code_argv!r}))",
         str(tmp_path / "cache")], cwd=tmp_path, capture_output=True, text=True,
        env={**os.environ, "MPLBACKEND": "Agg"}, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = _warnings(done.stderr)
    assert len(lines) == 1 and "WebAssembly engine" in lines[0], lines
    assert (tmp_path / "run" / "spikes.csv").exists()
    assert 'engine = "wasm"' in (tmp_path / "run" / "params.toml").read_text()


# --- two runs into one folder ---------------------------------------------------------------

def _start(argv, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "habmodel", *map(str, argv)], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "MPLBACKEND": "Agg"})


@pytest.mark.slow
def test_two_simulations_into_one_folder_one_wins(tmp_path):
    runs = [_start(["simulate", "--cells", "20", "--duration", "2s", "--seed", seed,
                    "--out", "same", "--quiet"], tmp_path) for seed in ("1", "2")]
    errors = [p.communicate(timeout=300)[1] for p in runs]
    results = [(p.returncode, err) for p, err in zip(runs, errors, strict=True)]
    statuses = sorted(status for status, _ in results)
    assert statuses == [0, 2], results
    loser = next(err for status, err in results if status == 2)
    assert len(_warnings(loser)) == 1 and "--out" in loser
    winner = 1 + [status for status, _ in results].index(0)
    folder = tmp_path / "same"
    assert sorted(p.name for p in folder.iterdir()) == [
        "params.toml", "spikes.csv", "summary.csv", "trace.png"]
    assert f"seed = {winner}\n" in (folder / "params.toml").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["same"]  # no temporary folder left


@pytest.mark.slow
def test_a_second_sweep_into_a_folder_in_use_exits_2_at_once(tmp_path):
    argv = ["sweep", "--vary", "ketamine=0,1uM", "--cells", "40", "--duration", "3s",
            "--quiet", "--out", "grid"]
    first = _start(argv, tmp_path)
    grid = tmp_path / "grid"
    for _ in range(600):  # until the first holds the folder
        if (grid / "chunks").exists() or first.poll() is not None:
            break
        subprocess.run(["sleep", "0.05"])
    second = _start([*argv[:-1], "grid"], tmp_path)
    err2 = second.communicate(timeout=300)[1]
    err1 = first.communicate(timeout=300)[1]
    status1, status2 = first.returncode, second.returncode
    assert status1 == 0, err1
    assert status2 == 2 and len(_warnings(err2)) == 1 and "another habmodel sweep" in err2
    assert (grid / "results.csv").exists()


def test_a_failed_write_names_the_path_asked_for_not_the_temporary_one(tmp_path, monkeypatch):
    from habmodel.io import write_error, write_folder

    out = tmp_path / "run"

    def fill(tmp):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp / "spikes.csv"))

    with pytest.raises(OSError) as caught:
        write_folder(out, fill)
    expected = f"cannot write {out / 'spikes.csv'}: No space left on device"
    assert write_error(caught.value) == expected

    def no_folder(*args, **kwargs):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))

    monkeypatch.setattr("tempfile.mkdtemp", no_folder)
    with pytest.raises(OSError) as caught:
        write_folder(out, fill)
    assert write_error(caught.value) == f"cannot write {out}: No such file or directory"
    assert list(tmp_path.iterdir()) == []
