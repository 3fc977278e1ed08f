"""Export the LHb cell to NeuroML2 and LEMS: :func:`export_neuroml`.

The export is generated from the cell's equations and one parameter set (a condition,
overrides, drug doses), never from a second hand-written copy of the model
(:mod:`habmodel.exports.neuroml_cell` reads the equations, :mod:`.neuroml_files` writes
the files). ``docs/neuroml.md`` describes the files, the custom ComponentTypes, how to
validate and run them, how the LEMS simulation compares with habmodel, and what the
export leaves out.

>>> from habmodel.exports.neuroml import export_neuroml
>>> paths = export_neuroml("out", condition="depressed", seed=1)  # doctest: +SKIP
>>> [p.name for p in paths]  # doctest: +SKIP
['LHb_depressed.cell.nml', 'LHb_depressed.synapses.xml', 'LEMS_LHb_depressed.xml']

Running the LEMS file needs jNeuroML (``pip install pyneuroml`` ships it, and Java):
:func:`run_lems` runs it and returns the spike times; :func:`validate_export` validates
the files with pyNeuroML.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np

from ..engines.runner import DEFAULT_DT_MS
from ..model.drive import glutamate_counts, input_keys
from ..model.drugs import availability, condition_label
from ..model.equations import cell_for
from ..model.inputs import check_int, positive_seconds, resolve_drugs, resolve_parameters
from ..model.units import to_display
from .neuroml_cell import describe_cell
from .neuroml_files import cell_document, simulation_document, synapse_document

__all__ = ["export_neuroml", "glutamate_event_times", "run_lems", "validate_export",
           "jneuroml_jar", "neuron_available", "DEFAULT_STEP_MS", "CVODE_TOLERANCE", "CELL_ID"]

#: The LEMS time step (ms) of the exported simulation. jLEMS (``jnml LEMS_x.xml``)
#: integrates with forward Euler at this step: 2.5 s take about 75 s, and the spike times
#: are not converged (docs/neuroml.md); jNeuroML's NEURON export of the same file runs
#: CVODE instead (:data:`CVODE_TOLERANCE`) and matches habmodel.
DEFAULT_STEP_MS = 0.002

#: The absolute and relative tolerance of NEURON's CVODE in the LEMS file's NEURON settings
#: (``jnml LEMS_x.xml -neuron``): spike times within 0.2 ms of habmodel's reference, but
#: for one knife-edge spike (docs/neuroml.md).
CVODE_TOLERANCE = 1e-9

#: The id of the cell in the NeuroML document.
CELL_ID = "lhb_cell"


def glutamate_event_times(seed: int, nu_glu_hz: float, total_s: float,
                          dt_ms: float = DEFAULT_DT_MS) -> np.ndarray:
    """The times (ms) of habmodel's glutamate events onto cell 0 for ``seed`` in
    ``[0, total_s)``: the start of every step of ``dt_ms`` with an event, repeated for a
    step with more than one (as :func:`habmodel.model.drive.glutamate_counts` draws them)."""
    steps = np.arange(int(round(total_s * 1e3 / dt_ms)), dtype=np.uint64)
    counts = glutamate_counts(input_keys(seed, 1)[0], steps, nu_glu_hz * dt_ms * 1e-3)
    hit = np.nonzero(counts)[0]
    return np.repeat(hit * dt_ms, counts[hit])


def _stem(condition: str, drugs_uM: dict) -> str:
    label = condition_label(condition, drugs_uM)
    return "LHb_" + re.sub(r"[^A-Za-z0-9]+", "_", label.replace(".", "p")).strip("_")


def export_neuroml(out_dir, cell=None, condition: str = "control", overrides=None,
                   drugs=None, *, seed: int = 0, duration=None, warmup=None,
                   step_ms: float = DEFAULT_STEP_MS, record_v: bool = False) -> list[Path]:
    """Write the cell as NeuroML2 and a LEMS simulation of it into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        Folder for the files (created if missing).
    cell : Cell, optional
        The neuron model (default: the LHb neuron); its ``"hill"`` ketamine model.
    condition, overrides, drugs
        As for :func:`habmodel.simulate` (one value per parameter and drug).
    seed : int
        Seed of the glutamate input: the LEMS simulation replays the events that
        ``habmodel.simulate(..., seed=seed)`` gives cell 0.
    duration, warmup
        Recorded time (default 2 s) and the warm-up before it (default 0.5 s, as
        ``simulate``); the LEMS simulation runs ``warmup + duration`` from t = 0.
    step_ms : float
        The LEMS time step (ms); jNeuroML integrates with forward Euler at this step.
    record_v : bool
        Also write the membrane potential at every step to ``<stem>.v.dat``.

    Returns
    -------
    list of Path
        ``<stem>.cell.nml`` (NeuroML2), ``<stem>.synapses.xml`` and ``LEMS_<stem>.xml``
        (LEMS), ``<stem>`` naming the condition and the drugs (``LHb_depressed``).
    """
    if cell is not None and getattr(cell, "ketamine_model", "hill") != "hill":
        raise ValueError("cannot export the 'trapping' ketamine model (its kinetic block "
                         "has no NeuroML form here); export the cell with "
                         "ketamine_model='hill'")
    cell = cell_for("hill", cell)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    duration_s = positive_seconds("2 s" if duration is None else duration, "duration")
    warmup_s = to_display("0.5 s" if warmup is None else warmup, "s", "warmup")
    if not warmup_s >= 0 or not 0 < float(step_ms) <= DEFAULT_DT_MS:
        raise ValueError(f"need warmup >= 0 and 0 < step_ms <= {DEFAULT_DT_MS} ms")
    for name, value in (overrides or {}).items():
        if np.ndim(value) > 0 and not isinstance(value, str):
            raise ValueError(f"{name}: the export takes one value per parameter")
    values = {k: float(v[0]) for k, v in
              resolve_parameters(condition, overrides, 1, cell.parameters).items()}
    concentrations = resolve_drugs(drugs, 1)
    avail = availability(concentrations, {k: np.array([v]) for k, v in values.items()}, 1,
                         "hill", targets=cell.drug_targets)
    desc = describe_cell(cell, values, {k: float(v[0]) for k, v in avail.items()}, warmup_s)

    drugs_uM = {d.name: float(c[0]) for d, c in concentrations.items()}
    stem = _stem(condition, drugs_uM)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    label = condition_label(condition, drugs_uM)
    notes = (f"The lateral habenula neuron of habmodel ({label}), exported by "
             "habmodel.exports.neuroml from the model's equations and parameter table; "
             "see docs/neuroml.md. Changed from the defaults: "
             + (", ".join(f"{k}={v:g}" for k, v in sorted(_changed(cell, values).items()))
                or "nothing") + ".")
    files = {f"{stem}.cell.nml": cell_document(desc, stem, CELL_ID, notes),
             f"{stem}.synapses.xml": synapse_document(desc)}
    total_ms = (warmup_s + duration_s) * 1e3
    events = glutamate_event_times(seed, values["nu_glu"], warmup_s + duration_s) \
        if "nu_glu" in values else np.zeros(0)
    files[f"LEMS_{stem}.xml"] = simulation_document(
        desc, sim_id=f"sim_{stem}", includes=list(files), cell_id=CELL_ID,
        events_ms=[float(t) for t in events], duration_ms=total_ms, step_ms=float(step_ms),
        spikes_file=f"{stem}.spikes",
        v_file=f"{stem}.v.dat" if record_v else None, injection_delay_ms=warmup_s * 1e3,
        cvode_tolerance=CVODE_TOLERANCE)
    paths = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def _changed(cell, values: dict) -> dict:
    return {k: v for k, v in values.items() if k in cell.parameters
            and abs(v - cell.parameters[k].default) > 1e-12 * max(1.0, abs(v))}


def jneuroml_jar() -> Path | None:
    """The jNeuroML jar that pyNeuroML ships, or None without pyNeuroML or Java."""
    if shutil.which("java") is None:
        return None
    try:
        from pyneuroml.pynml import get_path_to_jnml_jar
    except ImportError:
        return None
    jar = Path(get_path_to_jnml_jar())
    return jar if jar.is_file() else None


def neuron_available() -> bool:
    """Whether jNeuroML can run a LEMS file in NEURON here (``jnml -neuron``): NEURON's
    Python module and ``nrnivmodl`` beside this Python, and jNeuroML."""
    import importlib.util
    import sys

    nrnivmodl = (Path(sys.executable).parent / "nrnivmodl").exists() \
        or shutil.which("nrnivmodl") is not None
    return jneuroml_jar() is not None and importlib.util.find_spec("neuron") is not None \
        and nrnivmodl


def run_lems(lems_file, *, simulator: str = "jlems", warmup_s: float = 0.5,
             timeout: float = 3600, max_memory: str = "1G") -> tuple[np.ndarray, float]:
    """Run ``LEMS_<stem>.xml`` with jNeuroML and return the spike times (s, from the end
    of the warm-up ``warmup_s``) and the wall-clock time (s) of the run.

    ``simulator="jlems"`` runs jNeuroML's own simulator (``jnml LEMS_x.xml -nogui``:
    forward Euler at the file's step); ``"neuron"`` has jNeuroML write the model for
    NEURON, compile its mechanisms and run it (``jnml LEMS_x.xml -neuron -compile -run
    -nogui``: CVODE at the file's tolerances). Raises ``RuntimeError`` with jNeuroML's
    message if the run fails."""
    import os
    import sys

    if simulator not in ("jlems", "neuron"):
        raise ValueError(f"simulator: expected 'jlems' or 'neuron', got {simulator!r}")
    jar = jneuroml_jar()
    if jar is None:
        raise RuntimeError("running LEMS needs pyNeuroML (pip install pyneuroml) and Java")
    lems_file = Path(lems_file).resolve()
    spikes = lems_file.parent / (lems_file.stem.removeprefix("LEMS_") + ".spikes")
    spikes.unlink(missing_ok=True)
    extra = ["-nogui"] if simulator == "jlems" else ["-neuron", "-compile", "-run", "-nogui"]
    here = Path(sys.executable).parent  # this Python's bin: python, nrnivmodl (pip's NEURON)
    env = dict(os.environ, PATH=os.pathsep.join([str(here), os.environ.get("PATH", "")]))
    nrnivmodl = shutil.which("nrnivmodl", path=env["PATH"])
    if simulator == "neuron" and "NEURON_HOME" not in env and nrnivmodl:
        env["NEURON_HOME"] = str(Path(nrnivmodl).resolve().parent.parent)  # jnml wants it
    start = time.perf_counter()
    done = subprocess.run(["java", f"-Xmx{max_memory}", "-jar", str(jar), lems_file.name,
                           *extra], cwd=lems_file.parent, capture_output=True, text=True,
                          timeout=timeout, env=env)
    seconds = time.perf_counter() - start
    if done.returncode != 0 or not spikes.is_file():
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"jNeuroML could not run {lems_file.name} ({simulator}):\n{tail}")
    text = spikes.read_text().split()
    times = np.array([float(t) for t in text[0::2]]) - warmup_s
    return times[times >= -1e-12], seconds


def validate_export(paths) -> dict[str, str]:
    """Validate exported files with pyNeuroML: each ``.nml`` against the NeuroML2 schema
    (``validate_neuroml2``), each ``LEMS_*.xml`` by loading it in jLEMS without running
    it (``jnml LEMS_x.xml -norun``, what ``validate_neuroml2_lems_file`` does, without its
    exit on failure). Returns ``{file name: problem}``, empty if all
    are valid."""
    from pyneuroml import pynml, runners

    problems = {}
    for path in map(Path, paths):
        if path.suffix == ".nml":
            ok, text = pynml.validate_neuroml2(str(path), verbose_validate=False,
                                               return_string=True)
        elif path.name.startswith("LEMS_"):
            ok, text = runners.run_jneuroml("", str(path), "-norun", max_memory="1G",
                                            report_jnml_output=False, exit_on_fail=False,
                                            return_string=True)
        else:
            continue
        if not ok:
            problems[path.name] = "\n".join(text.strip().splitlines()[-20:])
    return problems
