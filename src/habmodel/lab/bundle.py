"""The lab's ``model.json``: everything the page needs to know about the model, written
from habmodel's own tables so that the page holds no second copy of them.

The parameter table (units, defaults, ranges, SI scales), the conditions, the drugs and
their Hill parameters, the burst criteria, the kernel's state and parameter layout and
initial state (from the WebAssembly module's ``kernel.json``), the integration settings
of :func:`habmodel.simulate`, the controls, the tour, the I-V and map grids and the
plasma levels of the dose-response figure.
"""

from __future__ import annotations

from dataclasses import asdict

__all__ = ["model_bundle"]


def model_bundle(layout: dict, cell=None) -> dict:
    """The content of ``model.json`` for a kernel ``layout`` (``kernel.json``) of ``cell``
    (default: the LHb neuron)."""
    from .. import __version__
    from ..analysis.bursts import DEFAULT_CRITERIA
    from ..engines.runner import DEFAULT_DT_MS, DEFAULT_METHOD
    from ..model.drugs import DRUGS
    from ..model.equations import cell_for
    from ..model.parameters import CONDITION_DOCS, CONDITIONS
    from ..model.units import si_scale
    from ..plotting.protocols import PLASMA_LEVELS_UM
    from . import settings as st

    cell = cell_for("hill", cell)
    if layout["method"] != DEFAULT_METHOD:
        raise ValueError(f"the lab runs {DEFAULT_METHOD}, the kernel was built for "
                         f"{layout['method']}")
    table = cell.parameters
    event_targets = sorted(cell.glutamate_event)
    return {
        "habmodel": __version__,
        "kernel": {"file": "kernel.wasm", **{k: layout[k] for k in (
            "abi", "method", "states", "parameters", "initial_state", "sha256")}},
        "run": {"dt_ms": DEFAULT_DT_MS, "method": DEFAULT_METHOD, "warmup_s": 0.5,
                "record_dt_ms": st.RECORD_DT_MS, "spike_variable": "v",
                "cell_steps_per_call": 1_000_000},
        "parameters": {name: {"unit": p.unit, "default": p.default, "low": p.low,
                              "high": p.high, "meaning": p.meaning,
                              "si_scale": si_scale(p.unit)} for name, p in table.items()},
        "conditions": {name: dict(values) for name, values in CONDITIONS.items()},
        "condition_docs": dict(CONDITION_DOCS),
        "drug_targets": list(cell.drug_targets),
        "drugs": {name: {"target": d.target, "ic50": d.ic50, "hill": d.hill, "delta": d.delta,
                         "description": d.description} for name, d in DRUGS.items()},
        "criteria": asdict(DEFAULT_CRITERIA),
        "controls": [asdict(c) for c in st.CONTROLS.values()],
        "tour": [asdict(s) for s in st.TOUR],
        # the I-V curve: v fixed, NMDA open fraction s fixed, the glutamate-event
        # states at 0, every other state at its steady state (gates and Ca2+ pool)
        "iv": {"v_mV": list(st.IV_V_MV), "open_fractions": list(st.IV_OPEN_FRACTIONS),
               "open_state": "s", "zero_states": [x for x in event_targets if x != "s"],
               "zero_parameters": ["I_hold", "I_step"]},
        "map": {"K_o": list(st.MAP_K_O), "g_NMDA": list(st.MAP_G),
                "duration_s": st.MAP_DURATION_S},
        "plasma_uM": {"antidepressant": PLASMA_LEVELS_UM["antidepressant Cmax"],
                      "anaesthesia": list(PLASMA_LEVELS_UM["anaesthesia"])},
    }
