"""The glutamate drive: a Poisson number of events per cell and time step.

The numbers come from a counter-based random number generator: the SplitMix64
hash of the cell's key (from the run's seed and the cell's input identity,
:func:`input_keys`) plus the step index (:func:`glutamate_counts`). Nothing is
stored or streamed, so a cell gets the same input in every condition and whatever
the population size, and the fast kernel (:mod:`habmodel.engines.codegen`) and
the Brian2 runtime engine (:mod:`habmodel.engines.runtime`) draw the same events.
"""

from __future__ import annotations

import numpy as np

__all__ = ["N_POISSON_TERMS", "SPLITMIX_GAMMA", "SPLITMIX_M1", "SPLITMIX_M2", "input_keys",
           "glutamate_counts"]

#: Event counts per cell and step are exact up to this many (a Poisson tail beyond
#: it has probability < 1e-9 per step even at the highest allowed rate, 5 kHz).
N_POISSON_TERMS = 8

SPLITMIX_GAMMA = np.uint64(0x9E3779B97F4A7C15)
SPLITMIX_M1 = np.uint64(0xBF58476D1CE4E5B9)
SPLITMIX_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z) -> np.ndarray:
    """The SplitMix64 finaliser on uint64 arrays (wrapping arithmetic)."""
    z = np.asarray(z, np.uint64)
    z = (z ^ (z >> np.uint64(30))) * SPLITMIX_M1
    z = (z ^ (z >> np.uint64(27))) * SPLITMIX_M2
    return z ^ (z >> np.uint64(31))


def input_keys(seed: int, n_cells: int, input_ids=None) -> np.ndarray:
    """The random-number key of each cell's glutamate input (uint64), from the
    seed and the cell's input identity only (default: the cell index)."""
    base = _mix(np.array([int(seed) % 2**64], np.uint64))
    ids = np.arange(n_cells) if input_ids is None else np.asarray(input_ids)
    return _mix(base + SPLITMIX_GAMMA * (ids.astype(np.uint64) + np.uint64(1)))


def glutamate_counts(keys, steps, rate_per_step) -> np.ndarray:
    """Number of glutamate events of cells with ``keys`` in time ``steps``.

    Poisson with mean ``rate_per_step`` (``nu_glu * dt``), by inversion of one
    uniform number ``u = hash(key, step)``; this is what both engines compute.
    Arguments broadcast against each other.
    """
    keys, steps = np.broadcast_arrays(np.asarray(keys, np.uint64), np.asarray(steps, np.uint64))
    u = (_mix(keys + steps * SPLITMIX_GAMMA) >> np.uint64(11)).astype(float) * 2.0**-53
    lam = np.asarray(rate_per_step, float)
    prob = np.exp(-lam)
    cum = prob
    count = (u >= cum).astype(int)
    for k in range(1, N_POISSON_TERMS):
        prob = prob * lam / k
        cum = cum + prob
        count += u >= cum
    return count
