"""``habmodel export neuron``: the cell as a folder that NEURON runs without habmodel.

:func:`export_neuron` writes

* ``mod/hm_<part>.mod``: one NMODL mechanism per current-carrying part, printed from the
  part's Brian2 equations in NEURON's units (:mod:`habmodel.exports.nmodl`): density
  mechanisms, the glutamate synapses as point processes with a ``NET_RECEIVE`` and the
  injected current as an electrode point process;
* ``cell.py``: a copy of :mod:`habmodel.exports.neuron_cell`, which builds the cell with
  NEURON's Python API, replays habmodel's glutamate events for a seed, runs it with CVODE
  and writes ``spikes.csv`` as ``habmodel simulate`` does;
* ``inputs.py``: a copy of :mod:`habmodel.exports.neuron_inputs`: habmodel's units,
  parameter, drug and glutamate-input rules without habmodel (tests check that they agree);
* ``model.json``: what ``cell.py`` reads: the parameter table, the conditions, the drugs'
  Hill parameters, the glutamate drive, and the mechanism and factor each parameter is
  set on;
* ``README.txt``: how to run it.

The folder is written atomically (:func:`habmodel.io.write_folder`).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

__all__ = ["export_neuron", "model_data", "SCRIPTS"]

#: The Python files copied into the folder (they import nothing from habmodel).
SCRIPTS = {"cell.py": Path(__file__).with_name("neuron_cell.py"),
           "inputs.py": Path(__file__).with_name("neuron_inputs.py")}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("habmodel")
    except PackageNotFoundError:  # pragma: no cover - a source tree
        return "unknown"


def model_data(cell=None, condition: str = "control", overrides: dict | None = None,
               drugs: dict | None = None) -> tuple[dict, list]:
    """``(model.json as a dict, the mechanisms)`` of ``cell`` (default: the LHb neuron),
    with ``condition``, ``overrides`` and ``drugs`` as the defaults of ``cell.py`` and of the
    mod files' ``PARAMETER`` blocks."""
    import numpy as np

    from ..engines.runner import DEFAULT_DT_MS
    from ..model.cell import Cell
    from ..model.drive import N_POISSON_TERMS, SPLITMIX_GAMMA, SPLITMIX_M1, SPLITMIX_M2
    from ..model.drugs import DRUGS, availability
    from ..model.equations import SPIKE_CONDITION
    from ..model.inputs import resolve_drugs, resolve_parameters
    from ..model.parameters import CONDITIONS
    from ..model.units import si_scale
    from .nmodl import neuron_model

    cell = Cell() if cell is None else cell
    if cell.ketamine_model != "hill":
        raise ValueError("NEURON export: only the Hill ketamine model is exported (the "
                         "trapping scheme is not)")
    table = {name: row for name, row in cell.parameters.items() if row.group != "trapping"}
    values = {k: float(v[0]) for k, v in
              resolve_parameters(condition, overrides, 1, cell.parameters).items()}
    doses = resolve_drugs(drugs, 1)
    avail = {k: float(np.asarray(v)[0]) for k, v in
             availability(doses, {k: np.array([v]) for k, v in values.items()}, 1,
                          targets=cell.drug_targets).items()}
    warmup_s = 0.5
    model = neuron_model(cell, values, {**avail, "t_offset": warmup_s}, _version())
    mechanisms = [{"name": mech.name, "kind": mech.kind, "parts": list(mech.parts),
                   "parameters": {name: [source, factor] for name, (_, factor, source, _)
                                  in mech.parameters.items()},
                   "states": list(mech.states), "currents": list(mech.currents),
                   "events": mech.events} for mech in model.mechanisms]
    threshold_mV = _threshold_mV(SPIKE_CONDITION)
    data = {
        "format": 1, "habmodel": _version(), "ketamine_model": "hill",
        "parts": [p.name for p in cell.parts], "extra_parts": [p.name for p in cell.extra],
        "defaults": {"condition": condition,
                     "overrides": {k: values[k] for k in (overrides or {})},
                     "drugs": {d.name: float(np.asarray(c)[0]) for d, c in doses.items()}},
        "parameters": {name: {"unit": row.unit, "default": row.default, "low": row.low,
                              "high": row.high, "meaning": row.meaning, "group": row.group}
                       for name, row in table.items()},
        "conditions": {name: {k: v for k, v in values_.items() if k in table}
                       for name, values_ in CONDITIONS.items()},
        "drugs": {name: {"target": d.target, "ic50": d.ic50, "hill": d.hill, "delta": d.delta,
                         "description": d.description} for name, d in DRUGS.items()},
        "drug_targets": list(dict.fromkeys(cell.drug_targets)),
        "membrane": {"C_m": "C_m", "C_m_factor": si_scale(table["C_m"].unit) / 1e-2,
                     "area": "area", "area_factor": si_scale(table["area"].unit) / 1e-12,
                     "v_init_mV": model.v_init_mV, "threshold_mV": threshold_mV},
        "drive": {"rate": "nu_glu", "dt_ms": DEFAULT_DT_MS, "poisson_terms": N_POISSON_TERMS,
                  "gamma": int(SPLITMIX_GAMMA), "m1": int(SPLITMIX_M1),
                  "m2": int(SPLITMIX_M2), "event": dict(cell.glutamate_event)},
        "run": {"warmup_s": warmup_s},
        "mechanisms": mechanisms,
    }
    return data, model.mechanisms


def _threshold_mV(condition: str) -> float:
    import sympy
    from brian2.parsing.sympytools import str_to_sympy

    rel = str_to_sympy(condition)
    if not isinstance(rel, (sympy.StrictGreaterThan, sympy.GreaterThan)) or str(rel.lhs) != "v":
        raise ValueError(f"NEURON export: cannot read the spike condition {condition!r}")
    mV = {s: sympy.Integer(1) for s in rel.rhs.free_symbols if s.name == "mV"}
    return float(rel.rhs.xreplace(mV))


def export_neuron(out_dir, cell=None, *, condition: str = "control",
                  overrides: dict | None = None, drugs: dict | None = None,
                  overwrite: bool = False, command: list | None = None) -> list[Path]:
    """Write the NEURON version of ``cell`` (default: the LHb neuron) to ``out_dir``.

    ``condition``, ``overrides`` and ``drugs`` (as for :func:`habmodel.simulate`) become
    the defaults of ``cell.py`` and of the mod files. Returns the paths written. Raises
    ``ValueError`` for a cell or input that cannot be exported, ``FileExistsError`` if
    ``out_dir`` is not empty (unless ``overwrite``).
    """
    from ..io import write_folder

    data, mechanisms = model_data(cell, condition, overrides, drugs)
    files = {f"mod/{m.name}.mod": m.text for m in mechanisms}
    files["model.json"] = json.dumps(data, indent=1) + "\n"
    files.update({name: path.read_text(encoding="utf-8") for name, path in SCRIPTS.items()})
    files["README.txt"] = _readme(data, command)

    def fill(folder: Path) -> None:
        (folder / "mod").mkdir()
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")

    out = write_folder(out_dir, fill, overwrite=overwrite)
    return [out / name for name in files]


def _readme(data: dict, command) -> str:
    made = f"Made by: {shlex.join(['habmodel', *map(str, command)])}\n" if command else ""
    return f"""habmodel's LHb neuron for NEURON (habmodel {data['habmodel']}).
{made}
  pip install neuron        # NEURON 9 and NumPy; habmodel is not needed
  cd THIS_FOLDER && nrnivmodl mod     # or let cell.py compile on first use
  python cell.py --condition depressed --duration 2s --seed 1 --drug ketamine=1uM --out run1

cell.py replays habmodel's glutamate input for the seed (0.5 s warm-up, not recorded)
and writes run1/spikes.csv (cell,t_s) as 'habmodel simulate' does. python cell.py --help
lists the options. mod/ holds the mechanisms ({', '.join(m['name'] for m in
data['mechanisms'])}), generated from habmodel's equations: export again rather than edit
them. See habmodel's docs/elsewhere.md.
"""
