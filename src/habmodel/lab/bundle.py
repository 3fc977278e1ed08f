"""The lab's ``model.json``: everything the page needs to know about the model, written
from habmodel's own tables so that the page holds no second copy of them.

The parameter table (units, defaults, ranges, SI scales), the conditions, the drugs and
their Hill parameters, the burst criteria, the kernel's state and parameter layout and
initial state (from the WebAssembly module's ``kernel.json``), the integration settings
of :func:`habmodel.simulate`, the controls, the tour, the I-V and map grids, the
plasma levels of the dose-response figure, and the voltage clamp: the second kernel (the
ketamine-trapping variant), the ready-made protocols of
:data:`habmodel.experiments.VCLAMP_PROTOCOLS` and the defaults of
:func:`habmodel.experiments.vclamp.run_arms`.
"""

from __future__ import annotations

from dataclasses import asdict

__all__ = ["model_bundle"]


#: The kernel files of the lab, per ketamine model.
KERNEL_FILES = {"hill": "kernel.wasm", "trapping": "kernel-trapping.wasm"}


def _kernel(layout: dict, cell, model: str) -> dict:
    return {"file": KERNEL_FILES[model], "ketamine_model": model,
            "state_order": list(cell.states),
            **{k: layout[k] for k in ("abi", "method", "states", "parameters", "currents",
                                      "initial_state", "sha256")}}


def model_bundle(layout: dict, cell=None, trapping: dict | None = None) -> dict:
    """The content of ``model.json`` for a kernel ``layout`` (``kernel.json``) of ``cell``
    (default: the LHb neuron) and the layout of its ketamine-trapping variant."""
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
    kernels = {"trapping": _kernel(trapping, cell.variant("trapping"), "trapping")} \
        if trapping else {}
    return {
        "habmodel": __version__,
        "kernel": _kernel(layout, cell, "hill"),
        "kernels": kernels,
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
        "vclamp": clamp_bundle(cell),
    }


def clamp_bundle(cell) -> dict:
    """The voltage clamp's part of ``model.json``: its settings and limits, the defaults and
    constants of :func:`habmodel.experiments.vclamp.run_arms`, and every ready-made
    protocol (display units: mV, ms, uM)."""
    import inspect

    from ..experiments.vclamp import (
        DEFAULT_SAMPLES,
        RECORD_DT_MS,
        V_RANGE_MV,
        run_arms,
    )
    from ..experiments.vclamp_protocols import VCLAMP_PROTOCOLS, vclamp_protocol
    from ..experiments.vclamp_run import CLAMP_C_M
    from ..experiments.vclamp_tables import STEADY_MAX_MS, TOTAL
    from ..model.units import to_display
    from . import settings as st

    table = cell.parameters
    run = inspect.signature(run_arms).parameters
    ms = {"pre", "duration", "tail_duration", "settle", "record_dt"}

    def options(given: dict) -> dict:
        out = {}
        for key, value in given.items():
            if key in ms:
                out[f"{key}_ms"] = None if value is None else to_display(value, "ms", key)
            else:
                out[key] = value
        return out

    def arm(label, hold, overrides, drugs, s):
        return {"label": label, "hold_mV": float(hold),
                "overrides": {k: to_display(v, table[k].unit, k) for k, v in overrides.items()},
                "drugs": {k: float(c) for k, c in drugs.items()}, "s": s}

    s_default = inspect.signature(vclamp_protocol).parameters["s"].default
    protocols = {name: {
        "description": spec.description, "focus": spec.focus,
        "arms": [arm(*a) for a in spec.arms(s_default)],
        "steps_mV": [float(v) for v in spec.steps_mV],
        "duration_ms": to_display(spec.duration, "ms", "duration"),
        "options": options(spec.options), "title": st.CLAMP_TITLES[name],
        "note": st.CLAMP_NOTES[name],
    } for name, spec in VCLAMP_PROTOCOLS.items()}
    return {
        "v_range_mV": list(V_RANGE_MV), "clamp_C_m": CLAMP_C_M, "total": TOTAL,
        "record_dt_ms": RECORD_DT_MS, "default_samples": DEFAULT_SAMPLES,
        "steady_max_ms": STEADY_MAX_MS, "max_steps": st.CLAMP_MAX_STEPS,
        "max_cell_samples": st.CLAMP_MAX_CELL_SAMPLES,
        "defaults": options({k: run[k].default for k in (
            "pre", "duration", "tail_duration", "repeats", "puff_events", "settle", "seed",
            "ketamine_model", "record_dt")}),
        "open_fraction": s_default,
        "settings": [asdict(c) for c in st.CLAMP_SETTINGS.values()],
        "custom": {**st.CLAMP_CUSTOM, "steps": list(st.CLAMP_CUSTOM["steps"]),
                   "title": st.CLAMP_TITLES["custom"], "note": st.CLAMP_NOTES["custom"]},
        "protocols": protocols,
    }
