"""Burst detection in spike trains (numpy only); the metrics of a train are in
:mod:`habmodel.analysis.metrics`.

All times are plain floats in seconds; rates are in Hz.

Default burst criteria
----------------------
A *burst* is a run of 2 or more spikes whose inter-spike intervals (ISIs) are
all 20 ms or less, whose first spike follows at least 100 ms of silence. This
is the thalamic low-threshold-spike (LTS) burst convention used for lateral
habenula recordings; the silence requirement is optional
(``BurstCriteria(min_preburst_silence=None)`` disables it).

A cell firing below 0.1 Hz is classed as ``"silent"``; otherwise it is
``"burst"`` if more than 50 % of its spikes belong to bursts, and ``"tonic"``
otherwise.

Conventions
-----------
* The first spike of a train has no predecessor and is treated as preceded by
  silence, so a run at the very start of a train can be a burst.
* ISIs and silences are compared with an absolute tolerance of
  ``TIME_TOLERANCE`` (1 ns), far below any simulation time step, so that an ISI
  of exactly ``max_isi`` on a simulation time grid (e.g. ``1.02 - 1.0``, which
  is ``0.020000000000000018`` in floating point) is not lost to round-off.
* NaN marks values that are undefined for a given train (e.g. spikes per burst
  when there are no bursts). Spike counts, firing rates and burst rates are
  always defined and never NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "MODES",
    "TIME_TOLERANCE",
    "DEFAULT_CRITERIA",
    "BurstCriteria",
    "burst_mask",
    "detect_bursts",
]

MODES: tuple[str, str, str] = ("silent", "tonic", "burst")
"""Firing-mode labels, in a fixed order."""

TIME_TOLERANCE: float = 1e-9
"""Absolute tolerance (s) used when comparing ISIs and silences to criteria."""


def _is_finite_real(value: object) -> bool:
    """Return True if ``value`` is a finite real number (bools excluded)."""
    if isinstance(value, bool | np.bool_):
        return False
    try:
        return math.isfinite(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class BurstCriteria:
    """Criteria for detecting bursts and classifying firing modes.

    Parameters
    ----------
    max_isi : float
        Largest ISI (s) allowed between consecutive spikes inside a burst.
    min_spikes : int
        Smallest number of spikes in a burst (>= 2).
    min_preburst_silence : float or None
        Silence (s) required before the first spike of a burst. ``None``
        disables the requirement.
    silent_rate : float
        Firing rate (Hz) below which a cell is classed as ``"silent"``.
    burst_fraction_threshold : float
        Fraction of spikes in bursts above which a non-silent cell is classed
        as ``"burst"`` (strictly greater than).

    Raises
    ------
    ValueError
        If a field is out of range; the message names the field.
    """

    max_isi: float = 0.020
    min_spikes: int = 2
    min_preburst_silence: float | None = 0.100
    silent_rate: float = 0.1
    burst_fraction_threshold: float = 0.5

    def __post_init__(self) -> None:
        if not _is_finite_real(self.max_isi) or self.max_isi <= 0:
            raise ValueError(
                f"max_isi must be a positive finite number of seconds, got {self.max_isi!r}"
            )
        if (
            isinstance(self.min_spikes, bool | np.bool_)
            or not isinstance(self.min_spikes, int | np.integer)
            or self.min_spikes < 2
        ):
            raise ValueError(f"min_spikes must be an integer >= 2, got {self.min_spikes!r}")
        silence = self.min_preburst_silence
        if silence is not None and (not _is_finite_real(silence) or silence < 0):
            raise ValueError(
                "min_preburst_silence must be None or a finite number of seconds >= 0, "
                f"got {silence!r}"
            )
        if not _is_finite_real(self.silent_rate) or self.silent_rate < 0:
            raise ValueError(
                f"silent_rate must be a finite rate in Hz >= 0, got {self.silent_rate!r}"
            )
        threshold = self.burst_fraction_threshold
        if not _is_finite_real(threshold) or not 0 <= threshold <= 1:
            raise ValueError(f"burst_fraction_threshold must be in [0, 1], got {threshold!r}")

    def describe(self) -> str:
        """Return a one-line description suitable for a figure caption.

        Returns
        -------
        str
            E.g. ``"burst = >=2 spikes with ISIs <= 20 ms, first spike after
            >= 100 ms silence; silent < 0.1 Hz; burst mode if > 50 % of spikes
            in bursts"``.
        """
        if self.min_preburst_silence is None:
            silence = "no pre-burst silence required"
        else:
            silence = f"first spike after >= {self.min_preburst_silence * 1e3:g} ms silence"
        return (
            f"burst = >={self.min_spikes} spikes with ISIs <= {self.max_isi * 1e3:g} ms, "
            f"{silence}; silent < {self.silent_rate:g} Hz; "
            f"burst mode if > {self.burst_fraction_threshold * 100:g} % of spikes in bursts"
        )


DEFAULT_CRITERIA = BurstCriteria()
"""The default (thalamic LTS) burst criteria described in the module docstring."""


def _as_spike_array(spike_times: ArrayLike) -> NDArray[np.float64]:
    """Validate spike times and return them as a 1-D float array.

    Raises
    ------
    ValueError
        If the times are not 1-D, not finite, or not sorted non-decreasing.
    """
    times = np.asarray(spike_times, dtype=float)
    if times.ndim != 1:
        raise ValueError(f"spike_times must be 1-D, got an array of shape {times.shape}")
    if not np.all(np.isfinite(times)):
        raise ValueError("spike_times must be finite (no NaN or inf)")
    if np.any(np.diff(times) < 0):
        raise ValueError("spike_times must be sorted in non-decreasing order")
    return times


def _validate_window(duration: float, t_start: float) -> None:
    """Check that the analysis window is a finite, positive-length interval."""
    if not _is_finite_real(duration) or duration <= 0:
        raise ValueError(f"duration must be a positive finite number of seconds, got {duration!r}")
    if not _is_finite_real(t_start):
        raise ValueError(f"t_start must be a finite number of seconds, got {t_start!r}")


def _bursts_of(times: NDArray[np.float64], criteria: BurstCriteria) -> list[tuple[int, int]]:
    """Detect bursts in already validated spike times (see ``detect_bursts``)."""
    if times.size < 2:
        return []
    linked = np.diff(times) <= criteria.max_isi + TIME_TOLERANCE
    edges = np.diff(np.concatenate(([0], linked.astype(np.int8), [0])))
    run_starts = np.flatnonzero(edges == 1)
    run_stops = np.flatnonzero(edges == -1) + 1  # exclusive, in spike indices
    keep = run_stops - run_starts >= criteria.min_spikes
    silence = criteria.min_preburst_silence
    if silence is not None:
        previous = times[np.maximum(run_starts - 1, 0)]
        quiet = times[run_starts] - previous >= silence - TIME_TOLERANCE
        keep &= (run_starts == 0) | quiet
    return [(int(a), int(b)) for a, b in zip(run_starts[keep], run_stops[keep], strict=True)]


def detect_bursts(
    spike_times: ArrayLike, criteria: BurstCriteria = DEFAULT_CRITERIA
) -> list[tuple[int, int]]:
    """Find bursts in a spike train.

    Consecutive spikes are grouped into maximal runs in which every ISI is at
    most ``criteria.max_isi``. A run is a burst if it has at least
    ``criteria.min_spikes`` spikes and, unless ``min_preburst_silence`` is
    None, the spike preceding its first spike lies at least
    ``min_preburst_silence`` earlier. The first spike of the train has no
    predecessor and is treated as preceded by silence.

    Parameters
    ----------
    spike_times : array_like
        1-D, finite spike times (s), sorted non-decreasing.
    criteria : BurstCriteria
        Burst definition.

    Returns
    -------
    list of tuple of int
        ``(start, stop)`` index pairs into ``spike_times``, ``stop``
        exclusive, in increasing order and non-overlapping.

    Raises
    ------
    ValueError
        If ``spike_times`` is not 1-D, not finite or not sorted.
    """
    return _bursts_of(_as_spike_array(spike_times), criteria)


def burst_mask(
    spike_times: ArrayLike, criteria: BurstCriteria = DEFAULT_CRITERIA
) -> NDArray[np.bool_]:
    """Flag the spikes that belong to a burst.

    Parameters
    ----------
    spike_times : array_like
        1-D, finite spike times (s), sorted non-decreasing.
    criteria : BurstCriteria
        Burst definition.

    Returns
    -------
    numpy.ndarray of bool
        Same length as ``spike_times``; True where the spike is in a burst.
    """
    times = _as_spike_array(spike_times)
    mask = np.zeros(times.size, dtype=bool)
    for start, stop in _bursts_of(times, criteria):
        mask[start:stop] = True
    return mask
