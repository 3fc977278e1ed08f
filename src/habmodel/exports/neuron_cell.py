"""The LHb neuron of habmodel in NEURON: build it, replay habmodel's glutamate input, run.

Written by ``habmodel export neuron`` as ``cell.py`` beside ``model.json`` (the parameter
table, conditions, drugs and how each parameter reaches the mechanisms) and ``mod/`` (the
NMODL files, generated from habmodel's equations). It needs NEURON and NumPy, not habmodel::

    python cell.py --condition depressed --duration 2s --seed 1 --drug ketamine=1uM --out OUT

runs the cell as ``habmodel simulate`` would (0.5 s unrecorded warm-up, the glutamate
events of the seed replayed at the same times) and writes ``OUT/spikes.csv`` (``cell,t_s``)
and ``OUT/run.json``. The mechanisms are compiled (``nrnivmodl mod``) on first use. From
Python: ``cell = LHbCell("depressed", drugs={"ketamine": 1.0})`` builds one cell in the
running NEURON (parameters in habmodel's display units, doses in uM).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROG = "cell.py"


def _load_inputs():
    """``inputs.py`` beside this file (``neuron_inputs.py`` inside habmodel), by path, so
    that this file runs and imports from anywhere."""
    path = HERE / "inputs.py"
    path = path if path.is_file() else HERE / "neuron_inputs.py"
    name = f"_lhb_inputs_{abs(hash(str(path)))}"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


inputs = _load_inputs()
model = inputs.model

#: CVODE's tolerances. Spike times of 2 s runs agree with habmodel's SciPy Radau reference
#: within 1 us at these (a control cell's marginal spike moved by 1.4 ms at 1e-8); 1 s of
#: the cell costs about 0.5 s.
RTOL, ATOL = 0.0, 1e-11

# --- NEURON ---------------------------------------------------------------------------------

def _library():
    found = [p for pattern in ("*/libnrnmech.*", "*/.libs/libnrnmech.*", "nrnmech.dll")
             for p in HERE.glob(pattern)]
    return found[0] if found else None


def compile_mechanisms(quiet: bool = False) -> Path:
    """``nrnivmodl mod`` in this folder, unless the library is newer than every mod file
    (one process at a time: a second one waits for the first, then finds the library)."""
    mods = list((HERE / "mod").glob("*.mod"))

    def fresh():
        lib = _library()
        newest = max(m.stat().st_mtime for m in mods)
        return lib if lib is not None and lib.stat().st_mtime >= newest else None

    if fresh() is not None:
        return fresh()
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        fcntl = None
    with open(HERE / ".compile.lock", "w") as lock:
        if fcntl is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
        if fresh() is not None:
            return fresh()
        tool = shutil.which("nrnivmodl") or str(Path(sys.executable).with_name("nrnivmodl"))
        if not quiet:
            print(f"{PROG}: compiling the NEURON mechanisms once (nrnivmodl mod in {HERE}) ...",
                  file=sys.stderr)
        try:
            done = subprocess.run([tool, "mod"], cwd=HERE, capture_output=True, text=True)
        except OSError as err:
            raise RuntimeError(f"cannot run nrnivmodl ({err}); install NEURON (pip install "
                               "neuron) and run 'nrnivmodl mod' in this folder") from None
        lib = fresh()
        if done.returncode or lib is None:
            raise RuntimeError("nrnivmodl failed:\n" + (done.stdout + done.stderr)[-3000:])
        return lib


def load_mechanisms(quiet: bool = False):
    """NEURON's ``h`` with this folder's mechanisms loaded (compiled first if need be)."""
    os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
    try:
        from neuron import h
    except ImportError as err:
        raise RuntimeError(f"NEURON is not installed here ({err}): pip install neuron") \
            from None

    names = [m["name"] for m in model()["mechanisms"]]
    known = set()
    types = h.MechanismType(0), h.MechanismType(1)
    for mt in types:
        for i in range(int(mt.count())):
            mt.select(i)
            ref = h.ref("")
            mt.selected(ref)
            known.add(ref[0])
    if not set(names) <= known:
        h.nrn_load_dll(str(compile_mechanisms(quiet)))
    h.load_file("stdrun.hoc")
    return h


class LHbCell:
    """One LHb neuron in NEURON: ``soma`` (one section of habmodel's area and C_m) with the
    density mechanisms, and ``points`` (the synapse and injection point processes, by
    mechanism name). ``synapses`` receive the glutamate events (NetCon weight = count).

    ``condition``, ``overrides`` (display units, or strings with units) and ``drugs`` (uM)
    as for ``habmodel.simulate``; ``set(K_o=3.0)`` changes values later (every mechanism
    that uses a parameter has its own copy: ``set`` changes them all, and the drug factors).
    """

    def __init__(self, condition=None, overrides=None, drugs=None, t_offset_ms=None):
        h = load_mechanisms()
        self.values = inputs.parameters(condition, overrides)
        doses = {**model()["defaults"]["drugs"], **(drugs or {})}
        self.drugs = {k.lower(): inputs.to_display(v, "uM", k) if isinstance(v, str)
                      else float(v) for k, v in doses.items()}
        self.soma = h.Section(name="soma")
        self.soma.nseg = 1
        seg = self.soma(0.5)
        self.points = {}
        for mech in model()["mechanisms"]:
            if mech["kind"] == "density":
                self.soma.insert(mech["name"])
            else:
                self.points[mech["name"]] = getattr(h, mech["name"])(seg)
        self.synapses = [self.points[m["name"]] for m in model()["mechanisms"] if m["events"]]
        self.v_init = model()["membrane"]["v_init_mV"]
        warmup_ms = model()["run"]["warmup_s"] * 1e3
        self.t_offset_ms = warmup_ms if t_offset_ms is None else t_offset_ms
        self.set()

    def set(self, **values) -> None:
        """Set parameters (display units, or strings with units) in every mechanism."""
        from neuron import h

        for name, value in values.items():
            self.values[name] = inputs.value_of(name, value)
        self.avail = inputs.availability(self.drugs, self.values)
        membrane = model()["membrane"]
        area_um2 = self.values[membrane["area"]] * membrane["area_factor"]
        self.soma.L = self.soma.diam = math.sqrt(area_um2 / math.pi)
        self.soma.cm = self.values[membrane["C_m"]] * membrane["C_m_factor"]
        h.celsius = self.values.get("temperature", 307.15) - 273.15
        constants = {**self.avail, "t_offset": self.t_offset_ms * 1e-3}
        seg = self.soma(0.5)
        for mech in model()["mechanisms"]:
            density = mech["kind"] == "density"
            target = seg if density else self.points[mech["name"]]
            for name, (source, factor) in mech["parameters"].items():
                value = self.values[name] if source == "table" else constants[name]
                setattr(target, name + ("_" + mech["name"] if density else ""), value * factor)


def run(condition=None, overrides=None, drugs=None, seed=0, duration_s=5.0, warmup_s=0.5,
        input_id=0, rtol=RTOL, atol=ATOL, exact=False, fixed_step_ms=None, quiet=False):
    """Spike times (s from the end of the warm-up) of one cell with habmodel's input, by
    CVODE (or NEURON's fixed-step method with ``fixed_step_ms``), and the cell."""
    h = load_mechanisms(quiet)
    dt = model()["drive"]["dt_ms"]
    n_warm, n_rec = round(warmup_s * 1e3 / dt), round(duration_s * 1e3 / dt)
    cell = LHbCell(condition, overrides, drugs, t_offset_ms=n_warm * dt)
    rate = cell.values[model()["drive"]["rate"]]
    steps, counts = inputs.glutamate_events(seed, n_warm + n_rec, rate, input_id)
    nets = {}
    for syn in cell.synapses:
        for count in sorted(set(counts.tolist())):
            nets[syn, count] = h.NetCon(None, syn)
            nets[syn, count].weight[0] = count
    times = h.Vector()
    detector = h.NetCon(cell.soma(0.5)._ref_v, None, sec=cell.soma)
    detector.threshold = model()["membrane"]["threshold_mV"]
    detector.record(times)
    cvode = h.CVode()
    cvode.active(0 if fixed_step_ms else 1)
    if fixed_step_ms:
        h.dt, h.steps_per_ms, h.secondorder = fixed_step_ms, 1 / fixed_step_ms, 0
    cvode.rtol(rtol)
    cvode.atol(atol)
    cvode.condition_order(2)
    h.finitialize(cell.v_init)  # (it empties the event queue: events go in after it)
    if cell.values.get("I_step", 0.0) != 0.0:  # stop exactly at the current step's edges
        for edge in ("step_start", "step_stop"):
            cvode.event(n_warm * dt + cell.values[edge])
    for k, step in enumerate(steps.tolist()):
        for syn in cell.synapses:
            nets[syn, int(counts[k])].event(step * dt)
    h.continuerun((n_warm + n_rec) * dt)
    crossings = [t for t in times if t >= n_warm * dt]
    if exact:
        return [(t - n_warm * dt) * 1e-3 for t in crossings], cell
    # habmodel stamps a spike with the start of the time step in which v crossed
    return [(math.floor(t / dt) - n_warm) * dt * 1e-3 for t in crossings], cell


# --- the command line ---------------------------------------------------------------------

def _pairs(option: str, items) -> dict:
    out = {}
    for item in items:
        name, sep, value = (part.strip() for part in item.partition("="))
        if not (sep and name and value):
            raise ValueError(f"{option}: expected NAME=VALUE, got '{item}'")
        if name in out:
            raise ValueError(f"{option}: {name} is given twice")
        out[name] = value
    return out


def _seconds(option: str, text: str, allow_zero: bool) -> float:
    value = inputs.to_display(text, "s", option)
    if value < 0 or (value == 0 and not allow_zero) or value > 24 * 3600:
        raise ValueError(f"{option}: expected a time in {'[' if allow_zero else '('}0 s, 24 h], "
                         f"got '{text}'")
    return value


def _write(out: Path, files: dict, overwrite: bool) -> None:
    """Write ``files`` into a new folder beside ``out``, then rename it into place."""
    out.absolute().parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.absolute().parent, prefix=".cell-tmp-"))
    old = None
    try:
        for name, text in files.items():
            (tmp / name).write_text(text, encoding="utf-8")
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o777 & ~mask)  # a folder like any other, not mkdtemp's 0700
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=out.absolute().parent, prefix=".cell-old-"))
            os.replace(out, old)
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not out.exists():
            os.replace(old, out)
            old = None
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors on one line
        self.exit(2, f"{PROG}: error: {' '.join(str(message).split())}\n")


def main(argv=None) -> int:
    defaults = model()["defaults"]
    p = _Parser(prog=PROG, description="Run habmodel's LHb neuron in NEURON with habmodel's "
                "glutamate input; write OUT/spikes.csv.")
    p.add_argument("--condition", default=None,
                   help=f"{', '.join(model()['conditions'])} (default {defaults['condition']})")
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="override a parameter, e.g. g_T=2.2mS/cm2 (repeatable)")
    p.add_argument("--drug", action="append", default=[], metavar="NAME=CONC",
                   help=f"e.g. ketamine=1uM (repeatable); drugs: {', '.join(model()['drugs'])}")
    p.add_argument("--duration", default="5 s", help="recorded time (default 5 s)")
    p.add_argument("--warmup", default="0.5 s", help="unrecorded time before (default 0.5 s)")
    p.add_argument("--seed", default="0", help="seed of habmodel's glutamate input (default 0)")
    p.add_argument("--input-id", default="0", metavar="N",
                   help="replay the input of cell N of a habmodel population (default 0)")
    p.add_argument("--exact-times", action="store_true",
                   help="write the interpolated crossing times instead of habmodel's stamps "
                   "(the start of the 0.05 ms step in which v crossed -20 mV)")
    p.add_argument("--rtol", type=float, default=RTOL,
                   help=f"CVODE's relative tolerance (default {RTOL:g})")
    p.add_argument("--atol", type=float, default=ATOL,
                   help=f"CVODE's absolute tolerance (default {ATOL:g}; mV for v)")
    p.add_argument("--fixed-step", type=float, default=None, metavar="DT_MS",
                   help="NEURON's fixed-step implicit Euler at DT_MS instead of CVODE "
                   "(less accurate: see docs/elsewhere.md)")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (new or empty)")
    p.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    p.add_argument("--quiet", action="store_true", help="print nothing but errors")
    args = p.parse_args(argv)
    try:
        out = Path(args.out)
        if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not args.overwrite)):
            raise ValueError(f"--out: {out} exists and is not an empty folder (use --overwrite)")
        seed, input_id = (int(x) if x.strip().isdigit() else None
                          for x in (args.seed, args.input_id))
        if seed is None or input_id is None or seed >= 2**63:
            raise ValueError("--seed and --input-id: expected whole numbers >= 0")
        duration = _seconds("--duration", args.duration, False)
        warmup = _seconds("--warmup", args.warmup, True)
        overrides = _pairs("--set", args.set)
        drugs = {name.lower(): inputs.to_display(conc, "uM", name)
                 for name, conc in _pairs("--drug", args.drug).items()}
        values = inputs.parameters(args.condition, overrides)
        inputs.availability({**defaults["drugs"], **drugs}, values)
    except ValueError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    try:
        spikes, cell = run(args.condition, overrides, drugs, seed, duration, warmup, input_id,
                           args.rtol, args.atol, args.exact_times, args.fixed_step,
                           args.quiet)
    except RuntimeError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 1
    from neuron import __version__ as neuron_version

    rows = "".join(f"{input_id},{t:.12g}\n" for t in spikes)
    info = {"condition": args.condition or defaults["condition"], "seed": seed,
            "input_id": input_id, "duration_s": duration, "warmup_s": warmup,
            "drugs_uM": cell.drugs, "parameters": cell.values,
            "availability": cell.avail, "solver": {"cvode": not args.fixed_step, "rtol": args.rtol,
                                                  "atol": args.atol,
                                                  "fixed_step_ms": args.fixed_step},
            "spike_times": "exact" if args.exact_times else "habmodel step stamps",
            "habmodel": model()["habmodel"], "neuron": neuron_version}
    try:
        _write(out, {"spikes.csv": "cell,t_s\n" + rows,
                     "run.json": json.dumps(info, indent=1) + "\n"}, args.overwrite)
    except OSError as err:
        print(f"{PROG}: error: --out: cannot write {err.filename or out}: {err.strerror}",
              file=sys.stderr)
        return 2
    if not args.quiet:
        print(f"{len(spikes)} spikes in {duration:g} s ({len(spikes) / duration:.2f} Hz); "
              f"wrote {out / 'spikes.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
