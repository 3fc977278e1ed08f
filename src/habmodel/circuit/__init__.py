"""Beyond the cell: the LHb -> RMTg -> VTA circuit, and what ketamine does to dopamine.

An LHb population (habmodel's cell, heterogeneous by conductance jitter, simulated by
the fast engine) drives GABAergic RMTg neurons through AMPA + NMDA synapses with
short-term facilitation; the RMTg inhibits VTA dopamine neurons (Izhikevich-type
pacemakers); the dopamine they release is read out by a release/reuptake model.
Bursts drive the RMTg far more than the same number of tonic spikes (facilitation and
NMDA summation), so a bursting (depressed) LHb silences dopamine neurons, and ketamine,
by stopping the bursts, releases them. The downstream part is plain Brian2
(:mod:`habmodel.circuit.network`; notebook 08 builds it step by step).

Sources and assumptions: docs/circuit.md. Entry points: :func:`run_circuit` (with
:func:`standard_arms`: control, depressed, a rate-matched tonic control, ketamine doses,
mibefradil), :func:`ketamine_dose_response`, :func:`volley_pause` (the dopamine pause after a
synchronous LHb volley), :func:`run_task` (a reward task: prediction errors, dopamine and
the dorsal raphe's serotonin, docs/reward_task.md), and ``habmodel circuit`` at the command
line.
"""

from __future__ import annotations

from .metrics import DA_BURSTS, lhb_synchrony, pause_after, population_summary
from .network import DEFAULT_CIRCUIT, CircuitParameters, dopamine_readout, run_downstream
from .protocols import (
    CircuitArm,
    CircuitResult,
    ketamine_dose_response,
    rate_matched_tonic,
    run_circuit,
    standard_arms,
    volley_pause,
)
from .raphe import DEFAULT_RAPHE, RapheParameters, run_raphe, serotonin_readout
from .task import TASK_CIRCUIT, TIMING, TRIAL_TYPES, TaskResult, TaskTiming, run_task

__all__ = ["CircuitParameters", "DEFAULT_CIRCUIT", "run_downstream", "dopamine_readout",
           "CircuitArm", "CircuitResult", "run_circuit", "standard_arms", "rate_matched_tonic",
           "ketamine_dose_response", "volley_pause", "DA_BURSTS", "population_summary",
           "pause_after", "lhb_synchrony", "run_task", "TaskResult", "TRIAL_TYPES",
           "TASK_CIRCUIT", "TaskTiming", "TIMING", "RapheParameters", "DEFAULT_RAPHE", "run_raphe",
           "serotonin_readout"]
