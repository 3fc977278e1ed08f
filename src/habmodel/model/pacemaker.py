"""The parts of the *pacemaker* LHb cell: the second hypothesis of ``docs/two_hypotheses.md``.

The default cell (:data:`habmodel.model.currents.LHB_PARTS`) bursts only with NMDA receptors:
the NMDA current's Mg2+ block makes each burst regenerative (Yang et al. 2018). The
pacemaker cell is the alternative: a thalamic-like I_h/I_T pacemaker that bursts rhythmically
in the depressed condition *without* NMDA receptors. After a burst the Ca2+ that entered
through the T-channels opens SK channels and pulls the membrane to about -99 mV; there
T-channels recover from inactivation and I_h (HCN) activates; as Ca2+ clears (``tau_Ca``),
I_h carries the membrane back up to the T-channels' threshold (about -73 mV), a low-threshold
Ca2+ spike (LTS) fires a burst of Na+ spikes, and the depolarisation closes I_h and
inactivates the T-channels again: about 2.3 bursts/s, with or without NMDA.

It has **the same equations** as the default cell, so it runs on every engine (even the
packaged WebAssembly kernel) and every protocol; only three defaults differ, each in its
part's parameter row: a stronger T current, a stronger I_h and a slower Ca2+ clearance
(:data:`PACEMAKER_VALUES`). How they were chosen, on which targets, and the predictions in
which the two cells differ (measured, and tested in ``tests/test_pacemaker.py``) are in
``docs/two_hypotheses.md``.

Sources: marks follow ``docs/science.md``: ``[lit]``, ``[src]``, ``[assume]``.
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from .currents import H_CURRENT, LHB_PARTS, T_CURRENT
from .parts import Part

__all__ = ["PACEMAKER_VALUES", "PACEMAKER_SOURCES", "PACEMAKER_T", "PACEMAKER_H",
           "PACEMAKER_PARTS"]

_CAL = "docs/two_hypotheses.md, calibration [assume]"

#: The pacemaker cell's defaults that differ from the default cell's (display units:
#: mS/cm2, ms). Everything else, the conditions included, is the default cell's.
PACEMAKER_VALUES = MappingProxyType({"g_T": 2.4, "g_h": 0.12, "tau_Ca": 350})

#: Where each of :data:`PACEMAKER_VALUES` comes from (the parameter rows' source column).
PACEMAKER_SOURCES = MappingProxyType({
    "g_T": "pacemaker hypothesis: a T current as large as in thalamic relay neurons, the "
           "classic I_h/I_T pacemakers (McCormick & Pape 1990; Huguenard & McCormick 1992 "
           "[lit]); value " + _CAL,
    "g_h": "pacemaker hypothesis: I_h strong enough to carry the membrane from the "
           "post-burst trough to the LTS threshold (LHb neurons show a clear I_h sag, Weiss & "
           "Veh 2011 [src]); value " + _CAL,
    "tau_Ca": "pacemaker hypothesis: slower Ca2+ clearance, so that the SK current after a "
              "burst holds the membrane low long enough for T-channels to recover; value " + _CAL,
})


def _retuned(part: Part) -> Part:
    """``part`` with the pacemaker's defaults (and sources) in its parameter rows."""
    rows = tuple(replace(p, default=float(PACEMAKER_VALUES[p.name]),
                         source=PACEMAKER_SOURCES[p.name])
                 if p.name in PACEMAKER_VALUES else p for p in part.parameters)
    return replace(part, parameters=rows)


#: The T current, Ca2+ pool and SK with a stronger T conductance (``g_T``) and a slower
#: Ca2+ clearance (``tau_Ca``).
PACEMAKER_T = _retuned(T_CURRENT)

#: I_h with a stronger HCN conductance (``g_h``).
PACEMAKER_H = _retuned(H_CURRENT)

#: The pacemaker cell, part by part (the default cell's order and names).
PACEMAKER_PARTS = tuple({id(T_CURRENT): PACEMAKER_T, id(H_CURRENT): PACEMAKER_H}.get(
    id(part), part) for part in LHB_PARTS)
