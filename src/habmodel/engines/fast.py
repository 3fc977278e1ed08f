"""The fast engine: a compiled kernel per model structure, re-run with new values.

:mod:`habmodel.engines.codegen` prints the model as one C kernel; this module compiles
it with the system C compiler, keeps the shared library in a per-user cache and
calls it through :mod:`ctypes` with NumPy arrays. Parameter values, drug
doses, seeds, durations, population sizes and recorded cells are arrays and
scalars of the call, so only a new model *structure* (the equations, the spike
condition, the glutamate input, the integration method, the code generator or
the compiler) builds a new kernel.

The cache (``HABMODEL_CACHE_DIR``, or the platform's user cache folder,
e.g. ``~/.cache/habmodel``) holds one folder per structure, named by a hash of
everything that goes into the build. A folder appears by an atomic rename once
complete, and builds of the same structure are serialised by a file lock, so
several processes can share the cache. Cells are split over threads (OpenMP)
in blocks; each cell's result does not depend on the number of threads.

Where no C compiler works, :func:`kernel` raises :class:`EngineUnavailableError`
and :func:`habmodel.simulate` falls back to Brian2's runtime with one warning.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import warnings
from functools import lru_cache
from pathlib import Path

from .kernel import Kernel, default_threads

__all__ = ["EngineUnavailableError", "EngineCacheWarning", "Kernel", "kernel", "cache_dir",
           "build_count", "cache_entries", "clear_cache",
           "default_threads", "CFLAGS", "cflags"]

#: Compiler flags. ``-ffast-math`` lets the cell loop vectorise (SIMD exp/expm1
#: from the C library); the accuracy test checks the result against the SciPy
#: reference. The library is linked without it, so loading the kernel does not
#: change the process's floating-point mode (no flush-to-zero). The target is
#: this CPU (``-march=native``) unless ``HABMODEL_MARCH`` names another one
#: (e.g. ``x86-64-v2``, ``x86-64-v3``, ``znver3``: for benchmarks and tests of
#: the code paths of other CPUs; the kernel must still run on this one).
CFLAGS = ("-O3", "-ffast-math", "-march=native", "-fopenmp", "-fPIC")
#: What a build tries when the compiler refuses its flags, one change at a time: OpenMP's
#: SIMD pragmas without its runtime (Apple clang, clang without libomp: the cell loop stays
#: vectorised, one thread), no OpenMP at all, no -march (a compiler that does not know it).
_FALLBACKS = (("-fopenmp", "-fopenmp-simd"), ("-fopenmp-simd", None), ("-march=", None))

_ENGINE_VERSION = "2"  # bump to invalidate every cache entry (2: layout.json has a checksum)
_builds = 0  # kernels compiled by this process (tests count them)
_lock = threading.Lock()


class EngineUnavailableError(RuntimeError):
    """The fast engine cannot be built here (no working C compiler)."""


def build_count() -> int:
    """How many kernels this process has compiled (not loaded from the cache)."""
    return _builds


def cache_dir() -> Path:
    """The folder of compiled kernels: ``$HABMODEL_CACHE_DIR`` or the user cache."""
    env = os.environ.get("HABMODEL_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("habmodel", appauthor=False)) / "engines"


@lru_cache(maxsize=1)
def _compiler() -> tuple[str, str]:
    """The C compiler command and its version line ('' if none works)."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or "cc"
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return cc, ""
    return cc, (out.stdout.splitlines() or [""])[0] if out.returncode == 0 else ""


@lru_cache(maxsize=1)
def _machine() -> str:
    """What ``-march=native`` depends on: the CPU's model and feature flags."""
    text = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(("model name", "flags")):
                    text += line
                if line.startswith("flags"):
                    break
    except OSError:
        text = platform.processor()
    return platform.machine() + ":" + hashlib.sha256(text.encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def _generator_digest() -> str:
    """Hash of the code generator's source (read once per process)."""
    from . import codegen

    folder = Path(codegen.__file__).parent
    sources = ("codegen.py", "cexpr.py", "cpreamble.py", "probes.py", "symbolic.py")
    return hashlib.sha256(b"".join((folder / name).read_bytes() for name in sources)).hexdigest()


def cflags() -> tuple[str, ...]:
    """The compiler flags of a new build: :data:`CFLAGS` with ``HABMODEL_MARCH``'s target."""
    march = os.environ.get("HABMODEL_MARCH", "").strip()
    if not march:
        return CFLAGS
    if not all(ch.isalnum() or ch in "-_.+" for ch in march):
        raise ValueError(f"HABMODEL_MARCH: expected a compiler target such as x86-64-v2 or "
                         f"native, got {march!r}")
    return tuple(f"-march={march}" if f.startswith("-march=") else f for f in CFLAGS)


def _structure_key(method: str, equations: str | None, event=None) -> tuple[str, dict]:
    from importlib.metadata import version

    from ..model import equations as model
    from ..model.drive import N_POISSON_TERMS
    from . import codegen

    cc, cc_version = _compiler()
    if not cc_version:
        raise EngineUnavailableError(f"no working C compiler ({cc!r} --version failed)")
    what = {
        "engine": _ENGINE_VERSION, "abi": codegen.ABI_VERSION, "method": method,
        "equations": model.full_equations() if equations is None else equations,
        "spike": model.SPIKE_CONDITION,
        "event": dict(model.GLUTAMATE_EVENT if event is None else event),
        "poisson_terms": N_POISSON_TERMS,
        "generator": _generator_digest(),
        "sympy": version("sympy"), "brian2": version("brian2"),
        "compiler": cc_version, "cflags": cflags(), "machine": _machine(),
    }
    digest = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:24]
    return f"{method}-{digest}", what


def _compile(cc: str, source: Path, library: Path) -> list[str]:
    """Compile, then link without -ffast-math. Where the compiler refuses the flags, try
    each change of :data:`_FALLBACKS` alone and keep the first that builds; if none does,
    keep the first change and try again (so only refused flags go)."""

    def attempt(flags):
        obj = source.with_suffix(".o")
        compile_cmd = [cc, "-c", *flags, str(source), "-o", str(obj)]
        link_cmd = [cc, "-shared", *(f for f in flags if f == "-fopenmp"), str(obj), "-o",
                    str(library), "-lm"]
        done = subprocess.run(compile_cmd, capture_output=True, text=True)
        if done.returncode == 0:
            done = subprocess.run(link_cmd, capture_output=True, text=True)
        return done

    def changed(flags, old, new):
        if not any(f.startswith(old) for f in flags):
            return None
        return [g for f in flags for g in ([new] if f.startswith(old) and new else
                                           [] if f.startswith(old) else [f])]

    flags = list(cflags())
    done = attempt(flags)
    while done.returncode != 0:
        options = [c for c in (changed(flags, old, new) for old, new in _FALLBACKS) if c]
        if not options:
            break
        for option in options:
            done = attempt(option)
            if done.returncode == 0:
                return option
        flags = options[0]
    if done.returncode == 0:
        return flags
    raise EngineUnavailableError(f"the C compiler failed: {' '.join(done.stderr.split())[:300]}")


def _build(folder: Path, key: str, what: dict, method: str, equations: str | None) -> None:
    """Generate, compile and publish one cache entry (caller holds the lock)."""
    global _builds
    from .codegen import kernel_source

    source = kernel_source(method, equations, what["event"])
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=folder.parent))
    try:
        (tmp / "kernel.c").write_text(source.code)
        flags = _compile(_compiler()[0], tmp / "kernel.c", tmp / "kernel.so")
        (tmp / "kernel.o").unlink(missing_ok=True)
        layout = {"states": source.states, "parameters": source.parameters,
                  "method": method, "flags": flags, "abi": _abi(),
                  "sha256": _sha256(tmp / "kernel.so"), "built_from": what}
        (tmp / "layout.json").write_text(json.dumps(layout, indent=1))
        os.rename(tmp, folder)  # atomic: the entry appears complete or not at all
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _builds += 1


def _abi() -> int:
    from .codegen import ABI_VERSION

    return ABI_VERSION


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class DamagedEntryError(RuntimeError):
    """A cache entry that cannot be used as it is (the message says why)."""


class EngineCacheWarning(RuntimeWarning):
    """The kernel cache had a damaged entry, or cannot be used; the run goes on."""


def _load(folder: Path, method: str) -> Kernel:
    """Load a cache entry after checking it: layout, checksum, that it loads, its ABI."""
    try:
        layout = json.loads((folder / "layout.json").read_text())
        states, parameters = tuple(layout["states"]), tuple(layout["parameters"])
        recorded = layout["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise DamagedEntryError(f"layout.json is missing or unreadable ({err})") from None
    library = folder / "kernel.so"
    try:
        actual = _sha256(library)
    except OSError as err:
        raise DamagedEntryError(f"kernel.so cannot be read ({err.strerror or err})") from None
    if actual != recorded:
        raise DamagedEntryError("kernel.so does not match the checksum it was built with")
    try:
        lib = ctypes.CDLL(str(library))
        lib.hm_run.restype = None
        lib.hm_isa.restype = ctypes.c_char_p
        abi, width, isa = lib.hm_abi_version(), int(lib.hm_simd_width()), lib.hm_isa().decode()
    except (OSError, AttributeError) as err:
        raise DamagedEntryError(f"kernel.so does not load ({err})") from None
    if abi != _abi() or layout.get("abi") != abi:
        raise DamagedEntryError(f"kernel.so has ABI {abi}, this habmodel needs {_abi()}")
    return Kernel(library, states, parameters, method, lib, simd_width=width, isa=isa)


def _usable_root(root: Path) -> str | None:
    """Why the cache folder cannot hold entries (None if it can)."""
    if root.exists() and not root.is_dir():
        return "it is not a folder"
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return err.strerror or str(err)
    if not os.access(root, os.W_OK | os.X_OK):
        return "not writable"
    return None


def _private_kernel(key: str, what: dict, method: str, equations: str | None) -> Kernel:
    """Build into a temporary folder, load, and delete the folder (the process keeps the
    loaded library): for a cache that cannot be written."""
    scratch = Path(tempfile.mkdtemp(prefix="habmodel-engine-"))
    try:
        _build(scratch / key, key, what, method, equations)
        return _load(scratch / key, method)
    except DamagedEntryError as err:
        raise EngineUnavailableError(f"a freshly built kernel does not load: {err}") from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _cached_kernel(root: Path, key: str, what: dict, method: str, equations: str | None,
                   announce: bool) -> Kernel:
    """Load the entry ``key`` of the cache ``root``, building it if it is missing, and
    once more (moved aside first) if it is damaged."""
    from filelock import FileLock

    folder = root / key
    try:
        return _load(folder, method)  # the common case: no lock needed to read
    except DamagedEntryError:
        pass
    with FileLock(str(folder) + ".lock"):
        damaged = None
        if folder.exists():  # another process may have (re)built it meanwhile
            try:
                return _load(folder, method)
            except DamagedEntryError as err:
                damaged = err
                aside = Path(tempfile.mkdtemp(prefix=f".damaged-{key}-", dir=root))
                os.replace(folder, aside / "entry")
                shutil.rmtree(aside, ignore_errors=True)
                warnings.warn(f"habmodel: the kernel cache {root} had a damaged entry {key} "
                              f"({err}); it was moved aside and is rebuilt now",
                              EngineCacheWarning, stacklevel=4)
        if announce and damaged is None:
            print(f"habmodel: compiling the fast engine ({method}), once for this "
                  "model and machine (a few seconds) ...", file=sys.stderr, flush=True)
        _build(folder, key, what, method, equations)
        try:
            return _load(folder, method)
        except DamagedEntryError as err:
            raise EngineUnavailableError(f"the rebuilt kernel in {folder} does not load: "
                                         f"{err}") from None


def cache_entries() -> list[dict]:
    """What the kernel cache holds: one dict per entry (``name``, ``path``, ``bytes``,
    ``built`` (ISO time), ``method``, ``flags``, ``compiler``, ``ok`` and ``problem``),
    checked as before use but without loading anything. Leftovers of interrupted or
    damaged builds are listed with ``ok`` False."""
    from datetime import UTC, datetime

    root = cache_dir()
    if not root.is_dir():
        return []
    entries = []
    for path in sorted(root.iterdir()):
        if path.suffix == ".lock" or not path.is_dir():
            continue
        size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
        info = {"name": path.name, "path": str(path), "bytes": size,
                "built": datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(
                    timespec="seconds"), "method": "", "flags": "", "compiler": "",
                "ok": False, "problem": ""}
        try:
            layout = json.loads((path / "layout.json").read_text())
            info.update(method=layout.get("method", ""), flags=" ".join(layout.get("flags", ())),
                        compiler=layout.get("built_from", {}).get("compiler", ""))
            if "sha256" not in layout or layout.get("abi") != _abi():
                info["problem"] = "built by an older habmodel (never used now)"
            else:
                ok = _sha256(path / "kernel.so") == layout["sha256"]
                info.update(ok=ok, problem="" if ok else "kernel.so does not match its checksum")
        except (OSError, ValueError, AttributeError) as err:
            info["problem"] = f"unreadable ({err.__class__.__name__})"
        if path.name.startswith("."):
            info.update(ok=False, problem="leftover of an interrupted or damaged build")
        entries.append(info)
    return entries


def clear_cache() -> int:
    """Delete every entry of the kernel cache (and its locks); return how many went.
    Kernels already loaded by running processes keep working."""
    root = cache_dir()
    if not root.is_dir():
        return 0
    removed = 0
    for path in root.iterdir():
        if path.is_dir():
            shutil.rmtree(path)
            removed += 1
        elif path.suffix == ".lock":
            path.unlink(missing_ok=True)
    with _lock:
        _loaded.clear()
    return removed


_loaded: dict = {}


def kernel(method: str = "rk4", equations: str | None = None, *,
           announce: bool = True, event=None) -> Kernel:
    """The compiled kernel of the model for ``method``: from this process, from
    the cache, or built now (tens of seconds, once per structure and machine;
    ``announce`` prints one line on stderr when it builds).

    Every cache entry is checked before use (its ``layout.json``, the checksum of
    ``kernel.so``, that it loads, its ABI); a damaged one is moved aside and rebuilt
    once, with an :class:`EngineCacheWarning`. A cache folder that cannot be
    written gives a kernel built for this process only, with the same warning.

    Raises
    ------
    EngineUnavailableError
        No working C compiler, or a kernel that does not load even when rebuilt
        (:func:`habmodel.simulate` then falls back to the runtime engine).
    """
    from .codegen import METHODS

    if method not in METHODS:
        raise ValueError(f"method: the fast engine implements {', '.join(METHODS)}; got "
                         f"{method!r} (use engine='runtime' for Brian2's other methods)")
    key, what = _structure_key(method, equations, event)
    with _lock:
        if key in _loaded:
            return _loaded[key]
        root = cache_dir()
        problem = _usable_root(root)
        if problem is None:
            try:
                loaded = _cached_kernel(root, key, what, method, equations, announce)
            except OSError as err:  # the lock or the entry cannot be written after all
                problem = err.strerror or str(err)
        if problem is not None:
            warnings.warn(f"habmodel: the kernel cache {root} cannot be used ({problem}); "
                          "building the fast engine for this process only (set "
                          "HABMODEL_CACHE_DIR to a writable folder)", EngineCacheWarning,
                          stacklevel=2)
            loaded = _private_kernel(key, what, method, equations)
        _loaded[key] = loaded
        return loaded
