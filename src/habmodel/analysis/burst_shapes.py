"""Burst shapes: each burst of a voltage trace as square-wave, triangular or parabolic.

The classes
-----------
The fast-slow theory of bursting (Rinzel 1987; Rinzel & Lee 1987; Bertram, Butte,
Kiemel & Sherman 1995, *Bull Math Biol* 57:413; Golubitsky, Josic & Kaper 2001)
names bursts by how the fast spiking starts and stops. Two of its classes have a
shape that a voltage trace shows without a bifurcation analysis:

* **square-wave** (fold/homoclinic; Bertram et al.'s Type I): the spikes ride on a
  depolarised plateau, so the membrane between two spikes stays well above the
  silent phase; the burst starts at (about) its highest rate and slows down as it
  approaches its end (the homoclinic termination lengthens the last intervals);
* **parabolic** (circle/circle; Type II): no plateau, the interspike troughs reach
  the level of the silent phase or undershoot it, and the rate rises and then falls:
  the shortest interval lies inside the burst.

The LHb study that motivates this module ("Multiple bursting patterns in lateral
habenula neurons", *J Physiol* 604:3396, 2026) reports these two as the ends of one
continuum, with **triangular** bursts as the transitional form. Its typical shape:
the burst starts on a plateau that then decays (a triangle: up at once, down along a
ramp) while the intervals lengthen from the first. Which bifurcations make a
triangular burst is not settled by a trace, and is not claimed here.

The criteria (:class:`ShapeCriteria`)
-------------------------------------
Spikes are upward crossings of ``threshold`` (-20 mV, the model's spike rule), unless
``spike_times`` are given; bursts are those of :func:`habmodel.analysis.detect_bursts`
with ``criteria``. For each burst of ``n`` spikes:

* **baseline**: the median of v over ``baseline_window`` (50 ms) ending ``baseline_gap``
  (10 ms) before the first spike: the silent phase, not the upstroke of the burst;
* **spike height**: the mean over the burst's spikes of (peak - baseline);
* **troughs**: the minimum of v between two successive spikes (``n - 1`` of them);
  **plateau fraction** of a trough: (trough - baseline) / spike height, so 0 means
  "at the baseline" and 1 "at the spike peaks";
* **ISI profile**: the ``n - 1`` intervals; ``acceleration`` = first / shortest,
  ``deceleration`` = last / shortest; the minimum is *interior* when both are at
  least ``isi_ratio`` (1.2).

Labels, in this order:

1. ``"unclassified"``: fewer than ``min_spikes`` (3) spikes, or no sample of the
   trace in the baseline window (a burst at the very start of the trace);
2. ``"square-wave"``: the ISI minimum is not interior, every trough is at least
   ``plateau_high`` (0.1) of the spike height above the baseline, and the last trough
   keeps at least ``plateau_retained`` (0.5) of the first trough's height;
3. ``"parabolic"``: the ISI minimum is interior and the mean trough is below
   ``plateau_high`` (near or below the baseline); needs 4 spikes or more;
4. ``"triangular"``: every other burst: the transitional class (typically a plateau
   that decays, with intervals that lengthen from the first).

The numbers in brackets are this project's choices, not values of the papers (which
classify by eye and by bifurcation analysis); they are fields of
:class:`ShapeCriteria`, and ``docs/burst_shapes.md`` discusses them.

Units at the boundary: ``time`` and ``spike_times`` are Brian2 quantities of time or
plain numbers in seconds; ``v`` is a Brian2 quantity of voltage or plain numbers in
mV. A quantity of another dimension is a ``ValueError`` that names the input and the
expected unit; NaN or inf in any input is a ``ValueError`` too. (pandas is imported on
the first call, not with :mod:`habmodel.analysis`.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..model.units import is_quantity, unit_of
from .bursts import DEFAULT_CRITERIA, BurstCriteria, _as_spike_array, _bursts_of

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SHAPES", "SHAPE_LABELS", "SHAPE_COLUMNS", "ShapeCriteria", "DEFAULT_SHAPE_CRITERIA",
           "spike_crossings", "classify_bursts", "shape_fractions", "burst_shape_summary",
           "NO_BURST"]

#: The three burst shapes, from the square-wave to the parabolic end of the continuum.
SHAPES: tuple[str, str, str] = ("square-wave", "triangular", "parabolic")

#: Every label :func:`classify_bursts` gives (the shapes, then ``"unclassified"``).
SHAPE_LABELS: tuple[str, ...] = (*SHAPES, "unclassified")

#: The label of the one row a protocol table gives a cell without bursts
#: (:func:`habmodel.experiments.burst_shapes`), so that the table accounts for every cell.
NO_BURST = "none"

#: The columns of :func:`classify_bursts`, in order.
SHAPE_COLUMNS: tuple[str, ...] = (
    "burst", "start_s", "end_s", "n_spikes", "baseline_mV", "spike_height_mV", "plateau_mV",
    "plateau_first_mV", "plateau_last_mV", "plateau_fraction", "plateau_min_fraction",
    "plateau_retained", "isi_first_ms", "isi_min_ms", "isi_last_ms", "isi_min_position",
    "acceleration", "deceleration", "label")


@dataclass(frozen=True)
class ShapeCriteria:
    """The thresholds of the burst-shape classes (see the module docstring).

    Parameters
    ----------
    threshold : float
        Spike detection: upward crossing of this voltage (mV).
    baseline_window, baseline_gap : float
        The baseline is the median of v over ``baseline_window`` seconds ending
        ``baseline_gap`` seconds before the burst's first spike.
    plateau_high : float
        Trough height above the baseline, as a fraction of the spike height, that
        counts as "on a plateau" (square-wave) and below which the mean trough counts
        as "near the baseline" (parabolic).
    plateau_retained : float
        Smallest (last trough / first trough) height of a square-wave burst.
    isi_ratio : float
        First / shortest and last / shortest ISI both at least this: the ISI minimum
        is interior.
    min_spikes : int
        Bursts with fewer spikes are ``"unclassified"`` (>= 3: two troughs and two
        intervals are needed to see a profile).
    """

    threshold: float = -20.0
    baseline_window: float = 0.050
    baseline_gap: float = 0.010
    plateau_high: float = 0.10
    plateau_retained: float = 0.5
    isi_ratio: float = 1.2
    min_spikes: int = 3

    def __post_init__(self) -> None:
        checks = {"threshold": math.isfinite(self.threshold),
                  "baseline_window": self.baseline_window > 0,
                  "baseline_gap": self.baseline_gap >= 0,
                  "plateau_high": 0 < self.plateau_high < 1,
                  "plateau_retained": 0 <= self.plateau_retained <= 1,
                  "isi_ratio": self.isi_ratio >= 1}
        for name, ok in checks.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not ok \
                    or not math.isfinite(value):
                raise ValueError(f"{name}: out of range, got {value!r} (see ShapeCriteria)")
        if isinstance(self.min_spikes, bool) or not isinstance(self.min_spikes, int) \
                or self.min_spikes < 3:
            raise ValueError(f"min_spikes: expected an integer >= 3, got {self.min_spikes!r}")

    def describe(self) -> str:
        """One line for a figure caption."""
        return (f"square-wave: every interspike trough >= {self.plateau_high:g} of the spike "
                f"height above the pre-burst baseline, last trough >= "
                f"{self.plateau_retained:g} x first, shortest ISI not interior; parabolic: "
                f"shortest ISI interior (ends >= {self.isi_ratio:g} x it), mean trough < "
                f"{self.plateau_high:g}; triangular: the rest; >= {self.min_spikes} spikes")


DEFAULT_SHAPE_CRITERIA = ShapeCriteria()
"""The default thresholds (the module docstring)."""


def _array(value, unit: str, name: str, what: str) -> np.ndarray:
    """A 1-D finite float array in ``unit`` from a Brian2 quantity or plain numbers."""
    if isinstance(value, str):
        raise ValueError(f"{name}: expected {what}, got the string {value!r}")
    if is_quantity(value):
        target = unit_of(unit)
        if value.dim != target.dim:
            raise ValueError(f"{name}: expected {what} (a quantity in {unit}), got a quantity "
                             f"in {value.dim!s} (wrong dimensions)")
        arr = np.asarray(value / target, dtype=float)
    else:
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise ValueError(f"{name}: expected {what}, got {value!r}") from None
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "inf"
        raise ValueError(f"{name}: contains {bad} at {int(np.sum(~np.isfinite(arr)))} of "
                         f"{arr.size} samples; remove or interpolate them first")
    return arr


def _trace(time, v) -> tuple[np.ndarray, np.ndarray]:
    t = _array(time, "s", "time", "times in seconds")
    volts = _array(v, "mV", "v", "membrane potentials in mV")
    if t.size != volts.size:
        raise ValueError(f"time and v: expected the same length, got {t.size} and {volts.size}")
    if t.size < 2 or np.any(np.diff(t) <= 0):
        raise ValueError("time: expected at least 2 strictly increasing times")
    return t, volts


def spike_crossings(time, v, threshold: float = -20.0) -> np.ndarray:
    """Spike times (s): the samples at which v crosses ``threshold`` (mV) upwards.

    The model's spike rule (``v > -20*mV``, refractory while above), applied to a
    sampled trace: a spike at the first sample above the threshold after a sample
    at or below it. ``time`` in s and ``v`` in mV, or Brian2 quantities.
    """
    t, volts = _trace(time, v)
    above = volts > threshold
    return t[1:][above[1:] & ~above[:-1]]


def _baseline(t, volts, first: float, crit: ShapeCriteria) -> float:
    stop = first - crit.baseline_gap
    inside = (t >= stop - crit.baseline_window) & (t <= stop)
    return float(np.median(volts[inside])) if inside.any() else math.nan


def _one_burst(t, volts, spikes: np.ndarray, crit: ShapeCriteria) -> dict:
    """The measures and label of one burst (spike times ``spikes``, s)."""
    n = spikes.size
    last = t.size - 1
    idx = np.minimum(np.searchsorted(t, spikes), last)
    isis = np.diff(spikes) * 1e3
    ends = np.r_[idx[1:], np.searchsorted(t, spikes[-1] + np.min(isis) * 1e-3)]
    peaks = np.array([volts[a:max(b, a + 1)].max() for a, b in zip(idx, ends, strict=True)])
    troughs = np.array([volts[a:max(b, a + 1)].min() for a, b in zip(idx[:-1], idx[1:],
                                                                       strict=True)])
    base = _baseline(t, volts, spikes[0], crit)
    height = float(np.mean(peaks)) - base
    rel = troughs - base
    fraction = rel / height if height > 0 else np.full(rel.shape, math.nan)
    shortest = float(isis.min())
    row = {"start_s": float(spikes[0]), "end_s": float(spikes[-1]), "n_spikes": int(n),
           "baseline_mV": base, "spike_height_mV": height, "plateau_mV": float(rel.mean()),
           "plateau_first_mV": float(rel[0]), "plateau_last_mV": float(rel[-1]),
           "plateau_fraction": float(np.mean(fraction)),
           "plateau_min_fraction": float(np.min(fraction)),
           "plateau_retained": float(rel[-1] / rel[0]) if rel[0] > 0 else math.nan,
           "isi_first_ms": float(isis[0]), "isi_min_ms": shortest, "isi_last_ms": float(isis[-1]),
           "isi_min_position": float(np.argmin(isis) / (isis.size - 1)) if isis.size > 1 else 0.0,
           "acceleration": float(isis[0] / shortest) if shortest > 0 else math.nan,
           "deceleration": float(isis[-1] / shortest) if shortest > 0 else math.nan}
    row["label"] = _label(row, crit)
    return row


def _label(row: dict, crit: ShapeCriteria) -> str:
    if row["n_spikes"] < crit.min_spikes or not math.isfinite(row["plateau_fraction"]):
        return "unclassified"
    interior = (row["n_spikes"] >= 4 and row["acceleration"] >= crit.isi_ratio
                and row["deceleration"] >= crit.isi_ratio)
    retained = row["plateau_retained"]
    if (not interior and row["plateau_min_fraction"] >= crit.plateau_high
            and math.isfinite(retained) and retained >= crit.plateau_retained):
        return "square-wave"
    if interior and row["plateau_fraction"] < crit.plateau_high:
        return "parabolic"
    return "triangular"


def classify_bursts(time, v, spike_times=None, *, criteria: BurstCriteria = DEFAULT_CRITERIA,
                    shape: ShapeCriteria = DEFAULT_SHAPE_CRITERIA) -> pd.DataFrame:
    """Classify every burst of a voltage trace as square-wave, triangular or parabolic.

    Parameters
    ----------
    time : Quantity or array_like
        Sample times: a Brian2 quantity of time, or plain numbers in seconds;
        1-D, strictly increasing.
    v : Quantity or array_like
        Membrane potential at those times: a Brian2 quantity of voltage, or plain
        numbers in mV.
    spike_times : Quantity or array_like, optional
        Spike times (s) if known (e.g. ``SimulationResult.spikes_s[i]``); by default
        the upward crossings of ``shape.threshold`` (:func:`spike_crossings`).
    criteria : BurstCriteria
        What a burst is (:func:`habmodel.analysis.detect_bursts`).
    shape : ShapeCriteria
        The thresholds of the shape classes (module docstring).

    Returns
    -------
    DataFrame
        One row per burst, the columns :data:`SHAPE_COLUMNS`: ``burst`` (0, 1, ...),
        ``start_s`` and ``end_s`` (first and last spike), ``n_spikes``,
        ``baseline_mV``, ``spike_height_mV``, the plateau measures (mean, first and
        last trough above the baseline in mV; mean and lowest trough as a fraction
        of the spike height; last / first trough), the ISI profile (first, shortest
        and last ISI in ms, the position of the shortest from 0 = first to 1 = last,
        ``acceleration`` = first / shortest, ``deceleration`` = last / shortest) and
        ``label`` (one of :data:`SHAPE_LABELS`). No bursts: no rows, same columns.

    Raises
    ------
    ValueError
        A quantity of the wrong dimension, NaN or inf, different lengths of ``time``
        and ``v``, times not increasing; the message names the input.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0, 0.3, 1e-4)                  # s
    >>> v = np.full(t.size, -65.0)                   # mV: silent at -65 mV ...
    >>> v[(t > 0.2) & (t < 0.232)] = -35.0           # ... then a plateau at -35 mV
    >>> for s in (0.202, 0.206, 0.211, 0.217, 0.224):   # with 5 spikes, slowing down
    ...     v[(t >= s) & (t < s + 3e-4)] = 30.0
    >>> table = classify_bursts(t, v)
    >>> table[["n_spikes", "plateau_mV", "isi_min_position", "label"]].to_dict("records")
    [{'n_spikes': 5, 'plateau_mV': 30.0, 'isi_min_position': 0.0, 'label': 'square-wave'}]
    """
    import pandas as pd  # only when needed: importing habmodel stays light

    if not isinstance(criteria, BurstCriteria):
        raise TypeError(f"criteria: expected a BurstCriteria, got {criteria!r}")
    if not isinstance(shape, ShapeCriteria):
        raise TypeError(f"shape: expected a ShapeCriteria, got {shape!r}")
    t, volts = _trace(time, v)
    if spike_times is None:
        spikes = spike_crossings(t, volts, shape.threshold)
    else:
        spikes = _as_spike_array(_array(spike_times, "s", "spike_times", "times in seconds"))
        step = t[-1] - t[-2]
        if spikes.size and (spikes[0] < t[0] - step or spikes[-1] > t[-1] + step):
            raise ValueError(f"spike_times: expected times within the trace ({t[0]:g} to "
                             f"{t[-1]:g} s), got {spikes[0]:g} to {spikes[-1]:g} s")
    rows = [{"burst": k, **_one_burst(t, volts, spikes[a:b], shape)}
            for k, (a, b) in enumerate(_bursts_of(spikes, criteria))]
    table = pd.DataFrame(rows, columns=list(SHAPE_COLUMNS))
    return table.astype({"burst": int, "n_spikes": int}) if rows else table


def shape_fractions(labels) -> dict[str, float]:
    """Fraction of each shape among the classified bursts (``"unclassified"`` and
    :data:`NO_BURST` left out).

    Returns ``{shape: fraction}`` for every shape of :data:`SHAPES`; all NaN when no
    burst was classified.
    """
    labels = [str(x) for x in labels]
    unknown = sorted(set(labels) - set(SHAPE_LABELS) - {NO_BURST})
    if unknown:
        raise ValueError(f"labels: expected labels of {SHAPE_LABELS}, got {unknown}")
    counted = [x for x in labels if x in SHAPES]
    if not counted:
        return {s: math.nan for s in SHAPES}
    return {s: counted.count(s) / len(counted) for s in SHAPES}


def burst_shape_summary(table, by=("axis", "K_o_mM", "I_hold_pA", "condition")):
    """The class fractions per group of a burst-shape table (one row per burst).

    Parameters
    ----------
    table : DataFrame
        :func:`habmodel.experiments.burst_shapes` output, or any table with a
        ``label`` column (rows labelled :data:`NO_BURST` stand for a cell without
        bursts), ``n_spikes`` and ``plateau_retained``; with a ``cell`` column the
        cells are counted too (a cell is a ``(seed, cell)`` pair where there is a
        ``seed`` column).
    by : sequence of str
        Grouping columns (those present are used, in order of first appearance).

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, ``n_cells`` and ``n_bursting_cells``
        (with a ``cell`` column), ``n_bursts``, ``n_unclassified``, the count
        ``n_<shape>`` and the fraction ``frac_<shape>`` of each shape among the
        classified bursts (``square_wave``, ``triangular``, ``parabolic``; NaN
        without classified bursts), ``spikes_per_burst`` (mean) and
        ``plateau_retained`` (median over the classified bursts).
    """
    import pandas as pd

    keys = [c for c in by if c in table.columns]
    if not keys or "label" not in table.columns:
        raise ValueError(f"table: expected a 'label' column and one of {list(by)}")
    rows = []
    for key, group in table.groupby(keys, sort=False, dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        found = group[group["label"] != NO_BURST]
        classified = found[found["label"].isin(SHAPES)]
        row = dict(zip(keys, key, strict=True))
        if "cell" in group.columns:  # a cell: its identity in its run (seed)
            ident = [c for c in ("seed", "cell") if c in group.columns]
            row["n_cells"] = len(group[ident].drop_duplicates())
            row["n_bursting_cells"] = len(found[ident].drop_duplicates())
        row["n_bursts"] = len(found)
        row["n_unclassified"] = int((found["label"] == "unclassified").sum())
        fractions = shape_fractions(classified["label"])
        for name in SHAPES:
            column = name.replace("-", "_")
            row[f"n_{column}"] = int((classified["label"] == name).sum())
            row[f"frac_{column}"] = fractions[name]
        row["spikes_per_burst"] = float(found["n_spikes"].mean()) if len(found) else math.nan
        row["plateau_retained"] = (float(classified["plateau_retained"].median())
                                   if len(classified) else math.nan)
        rows.append(row)
    return pd.DataFrame(rows)
