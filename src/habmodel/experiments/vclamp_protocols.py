"""Ready-made voltage-clamp protocols (:func:`vclamp_protocol`, ``habmodel vclamp --protocol``).

==================  ===========================================================================
``nmda-iv``         NMDA I-V with glutamate in the bath (a fixed open fraction ``s``): 1 mM
                    Mg2+, 0 Mg2+, and 1 mM Mg2+ with ketamine 1 uM (the default "hill" block:
                    an equilibrium pore block, voltage independent unless
                    ``ketamine_delta > 0``)
``ketamine-use``    repeated depolarisations (-70 -> -30 mV, a glutamate puff at each) without
                    and with ketamine 10 uM, with the kinetic ``ketamine_model="trapping"``:
                    ketamine enters open channels only and is trapped when they close, so the
                    block grows pulse by pulse (use dependence)
``t-current``       steps from -100 mV and from -60 mV holding: T-channels de-inactivate at
                    -100 mV and are inactivated at -60 mV
``h-activation``    hyperpolarising steps from -50 mV: I_h activates more, and (below about
                    -80 mV, where its time constant peaks) faster, the more negative the step
==================  ===========================================================================

Each returns a :class:`~habmodel.experiments.vclamp.VClampResult` whose ``arm`` column names
the arms; ``steps`` and ``duration`` change the command of every arm, ``drugs`` and
``overrides`` are added to every arm (a drug or parameter the protocol sets itself is an
error), and the other keyword arguments go to
:func:`~habmodel.experiments.vclamp.run_arms` (``seed``, ``record_dt``, ``engine``, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..model.cell import Cell
from .vclamp import VClampResult, clamp_arm, run_arms

__all__ = ["VCLAMP_PROTOCOLS", "vclamp_protocol", "ProtocolSpec"]


@dataclass(frozen=True)
class ProtocolSpec:
    """One ready-made protocol: its arms, its command, the current it is about and the
    options of :func:`~habmodel.experiments.vclamp.run_arms` it sets."""

    description: str
    arms: Callable  # s -> [(label, hold_mV, overrides, drugs_uM, open fraction or None)]
    steps_mV: tuple
    duration: str
    focus: str
    options: dict


def _nmda_arms(s):
    return [("1 mM Mg2+", -70.0, {"Mg_o": "1 mM"}, {}, s),
            ("0 Mg2+", -70.0, {"Mg_o": "0 mM"}, {}, s),
            ("1 mM Mg2+ + ketamine 1 uM", -70.0, {"Mg_o": "1 mM"}, {"ketamine": 1.0}, s)]


def _use_arms(s):
    return [("no drug", -70.0, {}, {}, None), ("ketamine 10 uM", -70.0, {}, {"ketamine": 10.0},
                                                None)]


def _t_arms(s):
    return [("from -100 mV", -100.0, {}, {}, None), ("from -60 mV", -60.0, {}, {}, None)]


def _h_arms(s):
    return [("from -50 mV", -50.0, {}, {}, None)]


#: The ready-made protocols by name.
VCLAMP_PROTOCOLS = {
    "nmda-iv": ProtocolSpec(
        "NMDA I-V with glutamate in the bath (NMDA open fraction s = 0.1): 1 mM Mg2+, 0 Mg2+, "
        "1 mM Mg2+ + ketamine 1 uM", _nmda_arms, tuple(np.arange(-100.0, 40.1, 10.0)),
        "200 ms", "I_NMDA", {"pre": "50 ms", "tail_duration": "50 ms"}),
    "ketamine-use": ProtocolSpec(
        "use-dependent block: 10 steps -70 -> -30 mV (300 ms, every s), a glutamate puff "
        "(100 events) at each, without and with ketamine 10 uM (trapping model)", _use_arms,
        (-30.0,), "300 ms", "I_NMDA",
        {"pre": "100 ms", "tail_duration": "700 ms", "repeats": 10, "glutamate": "steps",
         "puff_events": 100, "ketamine_model": "trapping", "record_dt": "1 ms"}),
    "t-current": ProtocolSpec(
        "T-current activation and inactivation: steps from -100 mV and from -60 mV", _t_arms,
        tuple(np.arange(-90.0, -19.9, 10.0)), "200 ms", "I_T",
        {"pre": "50 ms", "tail_duration": "50 ms", "settle": "1 s"}),
    "h-activation": ProtocolSpec(
        "I_h activation: hyperpolarising steps from -50 mV, 2 s", _h_arms,
        tuple(np.arange(-60.0, -120.1, -10.0)), "2 s", "I_h",
        {"pre": "100 ms", "tail_duration": "300 ms", "settle": "2 s", "record_dt": "1 ms"}),
}


def _merge(protocol: str, own: dict, given: dict, what: str) -> dict:
    clash = sorted(set(own) & set(given))
    if clash:
        raise ValueError(f"{what}: the protocol '{protocol}' sets {clash[0]} itself")
    return {**own, **given}


def vclamp_protocol(name: str, condition: str = "control", *, steps=None, duration=None,
                    s: float = 0.1, drugs=None, overrides=None, cell: Cell | None = None,
                    **options) -> VClampResult:
    """Run a ready-made voltage-clamp protocol (:data:`VCLAMP_PROTOCOLS`).

    Parameters
    ----------
    name : str
        ``"nmda-iv"``, ``"ketamine-use"``, ``"t-current"`` or ``"h-activation"``.
    condition : str
        The condition of every arm.
    steps, duration : optional
        Step potentials and step length instead of the protocol's.
    s : float
        The NMDA open fraction of ``nmda-iv`` (glutamate in the bath).
    drugs, overrides : dict, optional
        Added to every arm (e.g. ``{"mibefradil": 2*uM}`` on the T-current protocol).
    cell : Cell, optional
        The neuron model.
    **options
        Passed on to :func:`~habmodel.experiments.vclamp.run_arms` (``seed``, ``dt``,
        ``record_dt``, ``settle``, ``engine``, ``progress``, ... and the protocol's own
        timing: ``pre``, ``tail_duration``, ``repeats``, ``glutamate``, ``puff_events``).

    Examples
    --------
    >>> from habmodel.experiments import vclamp_protocol
    >>> result = vclamp_protocol("t-current", steps=["-50 mV"], duration="50 ms")
    >>> peak = result.iv.set_index("arm")["I_T_peak_pA"]
    >>> bool(peak["from -100 mV"] < 3 * peak["from -60 mV"] < 0)  # 3x more inward, at least
    True
    """
    if name not in VCLAMP_PROTOCOLS:
        raise ValueError(f"protocol: expected one of {', '.join(VCLAMP_PROTOCOLS)}, got "
                         f"{name!r}")
    spec = VCLAMP_PROTOCOLS[name]
    arms = []
    for label, hold, own, own_drugs, open_fraction in spec.arms(s):
        arms.append(clamp_arm(
            condition, f"{hold} mV", [f"{v:g} mV" for v in spec.steps_mV] if steps is None
            else steps,
            overrides=_merge(name, own, dict(overrides or {}), "overrides"),
            drugs=_merge(name, {k: f"{v} uM" for k, v in own_drugs.items()},
                         dict(drugs or {}), "drugs"),
            s=open_fraction, cell=cell, label=label))
    run = {**spec.options, **options}
    title = f"{name}: {spec.description}"
    return run_arms(arms, duration=spec.duration if duration is None else duration, cell=cell,
                    protocol=name, focus=spec.focus, title=title, **run)
