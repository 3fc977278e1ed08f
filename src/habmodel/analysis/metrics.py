"""Firing and burst metrics of spike trains, per cell and per population, and the
firing mode (silent, tonic, burst) of each cell (numpy only; the burst definition
and conventions are those of :mod:`habmodel.analysis.bursts`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .bursts import (
    DEFAULT_CRITERIA,
    MODES,
    BurstCriteria,
    _as_spike_array,
    _bursts_of,
    _validate_window,
)

__all__ = ["CellMetrics", "cell_metrics", "population_metrics", "mode_fractions"]


@dataclass(frozen=True)
class CellMetrics:
    """Firing and burst metrics of one spike train.

    Attributes
    ----------
    n_spikes : int
        Number of spikes in the analysis window.
    rate_hz : float
        Mean firing rate (Hz); never NaN.
    burst_fraction : float
        Fraction of spikes that belong to bursts; NaN if there are no spikes.
    bursts_per_s : float
        Number of bursts per second; never NaN.
    spikes_per_burst : float
        Mean number of spikes per burst; NaN if there are no bursts.
    intraburst_hz : float
        Mean over bursts of ``(spikes - 1) / (last - first)``; NaN if there are
        no bursts, ``inf`` if a burst consists of coincident spikes.
    isi_cv : float
        Coefficient of variation (population std / mean) of the ISIs; NaN if
        there are fewer than two ISIs or the mean ISI is zero.
    mode : str
        One of ``MODES``.
    """

    n_spikes: int
    rate_hz: float
    burst_fraction: float
    bursts_per_s: float
    spikes_per_burst: float
    intraburst_hz: float
    isi_cv: float
    mode: str


def _isi_cv(times: NDArray[np.float64]) -> float:
    """Coefficient of variation of the ISIs; NaN if undefined."""
    isis = np.diff(times)
    if isis.size < 2:
        return math.nan
    mean = float(isis.mean())
    return float(isis.std()) / mean if mean > 0 else math.nan


def _intraburst_hz(times: NDArray[np.float64], bursts: list[tuple[int, int]]) -> float:
    """Mean intra-burst firing rate over bursts; NaN if there are none."""
    if not bursts:
        return math.nan
    with np.errstate(divide="ignore"):
        rates = [np.float64(b - a - 1) / (times[b - 1] - times[a]) for a, b in bursts]
    return float(np.mean(rates))


def _classify(n_spikes: int, rate_hz: float, fraction: float, criteria: BurstCriteria) -> str:
    """Return the firing mode; a cell without spikes is always silent."""
    if n_spikes == 0 or rate_hz < criteria.silent_rate:
        return "silent"
    if fraction > criteria.burst_fraction_threshold:
        return "burst"
    return "tonic"


def cell_metrics(
    spike_times: ArrayLike,
    duration: float,
    criteria: BurstCriteria = DEFAULT_CRITERIA,
    t_start: float = 0.0,
) -> CellMetrics:
    """Compute firing and burst metrics of one spike train.

    Only spikes in ``[t_start, t_start + duration)`` are used; bursts are
    detected on those spikes alone, so the first spike in the window counts as
    preceded by silence (use ``t_start`` to drop an initial transient).

    Parameters
    ----------
    spike_times : array_like
        1-D, finite spike times (s), sorted non-decreasing.
    duration : float
        Length of the analysis window (s), positive and finite.
    criteria : BurstCriteria
        Burst definition and mode thresholds.
    t_start : float
        Start of the analysis window (s).

    Returns
    -------
    CellMetrics
        Metrics of the windowed train; undefined values are NaN (see
        ``CellMetrics``).

    Raises
    ------
    ValueError
        If the spike times or the window are invalid.
    """
    _validate_window(duration, t_start)
    times = _as_spike_array(spike_times)
    times = times[(times >= t_start) & (times < t_start + duration)]
    bursts = _bursts_of(times, criteria)
    n_spikes = int(times.size)
    in_bursts = sum(b - a for a, b in bursts)
    rate_hz = n_spikes / duration
    fraction = in_bursts / n_spikes if n_spikes else math.nan
    return CellMetrics(
        n_spikes=n_spikes,
        rate_hz=float(rate_hz),
        burst_fraction=float(fraction),
        bursts_per_s=float(len(bursts) / duration),
        spikes_per_burst=float(in_bursts / len(bursts)) if bursts else math.nan,
        intraburst_hz=_intraburst_hz(times, bursts),
        isi_cv=_isi_cv(times),
        mode=_classify(n_spikes, rate_hz, fraction, criteria),
    )


_COLUMNS: tuple[str, ...] = (
    "n_spikes",
    "rate_hz",
    "burst_fraction",
    "bursts_per_s",
    "spikes_per_burst",
    "intraburst_hz",
    "isi_cv",
)


def population_metrics(
    spike_trains: Sequence[ArrayLike],
    duration: float,
    criteria: BurstCriteria = DEFAULT_CRITERIA,
    t_start: float = 0.0,
) -> dict[str, np.ndarray]:
    """Compute ``cell_metrics`` for every train, column-oriented.

    Parameters
    ----------
    spike_trains : sequence of array_like
        One spike-time array (s) per cell.
    duration, criteria, t_start
        As in ``cell_metrics``; shared by all cells.

    Returns
    -------
    dict of str to numpy.ndarray
        Keys ``"cell"`` (index, int), ``"n_spikes"`` (int), ``"rate_hz"``,
        ``"burst_fraction"``, ``"bursts_per_s"``, ``"spikes_per_burst"``,
        ``"intraburst_hz"``, ``"isi_cv"`` (float) and ``"mode"`` (str), one
        entry per cell.
    """
    rows = [cell_metrics(train, duration, criteria, t_start) for train in spike_trains]
    table: dict[str, np.ndarray] = {"cell": np.arange(len(rows), dtype=int)}
    for name in _COLUMNS:
        dtype = int if name == "n_spikes" else float
        table[name] = np.array([getattr(row, name) for row in rows], dtype=dtype)
    table["mode"] = np.array([row.mode for row in rows], dtype=str)
    return table


def mode_fractions(modes: Iterable[str]) -> dict[str, float]:
    """Fraction of cells in each firing mode.

    Parameters
    ----------
    modes : iterable of str
        One label from ``MODES`` per cell.

    Returns
    -------
    dict of str to float
        One entry for each of ``MODES`` (always all three); fractions sum to 1,
        or are all NaN if ``modes`` is empty.

    Raises
    ------
    ValueError
        If a label is not one of ``MODES``.
    """
    labels = [str(mode) for mode in modes]
    unknown = sorted(set(labels) - set(MODES))
    if unknown:
        raise ValueError(f"modes must be among {MODES}, got {unknown}")
    if not labels:
        return {mode: math.nan for mode in MODES}
    return {mode: labels.count(mode) / len(labels) for mode in MODES}
