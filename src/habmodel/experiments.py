"""Experiment protocols: pharmacology panel, dose-response, rebound, mode map, jitter.

Each protocol builds one population in which every cell is one (condition,
drug, dose, step, grid point, ...) combination, with per-cell parameter and
drug arrays, and runs it in **one** :func:`habmodel.simulate` call; it returns
a tidy :class:`pandas.DataFrame` with one row per cell and the columns

* ``cell`` -- the cell's identity within its condition (``0 .. n_cells-1``):
  with ``jitter`` the same identity has the same conductances in every
  condition (:mod:`habmodel.jitter`);
* ``seed``, ``jitter`` and the condition/drug/dose columns of the protocol
  (``condition``, ``ketamine_uM``, ``ap5_uM``, ``mibefradil_uM``, ...);
* with jitter, the conductances each cell got (``jittered_g_T_mS_cm2``, ...);
* the per-cell metrics of :attr:`habmodel.SimulationResult.metrics`:
  ``rate_hz, burst_fraction, bursts_per_s, spikes_per_burst, intraburst_hz,
  mode`` (plus ``n_spikes`` and ``isi_cv``).

Paired cells: the glutamate input of a cell is keyed by the run's seed and
its ``cell`` identity (``simulate(input_ids=...)``), and so is its jitter:
cell ``i`` gets the same input and the same conductances in every condition,
at every dose and grid point, so "the same cell with and without the drug"
means exactly that. Different identities get independent input.

Burst criteria are those of :data:`habmodel.analysis.DEFAULT_CRITERIA` unless
``criteria`` is given (state them in every caption: ``criteria.describe()``).

Every protocol passes further keyword arguments (``dt``, ``method``,
``engine``, ``ketamine_model``, and whatever else :func:`habmodel.simulate`
accepts) on to ``simulate``; ``overrides={"g_T": "2 mS/cm2"}`` (one value per
parameter) changes the model of every cell, except a parameter that the
protocol varies itself (an error).

Dimensional inputs are Brian2 quantities or strings (``"10 uM"``,
``[0, 1, 10]*uM``); a wrong dimension is a ``ValueError`` naming the input and
the expected unit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import analysis
from .curves import _display_array, evaluate
from .drugs import DRUGS, availability, resolve_drug
from .fitting import HillFit, fit_hill
from .jitter import CONDUCTANCES, check_fraction, jitter_factors
from .parameters import PARAMETERS, condition_values, get_parameter
from .units import to_display, unit_of

__all__ = [
    "METRICS", "DRUG_COLUMNS", "DEFAULT_SEED", "DEFAULT_DOSES_UM", "DEFAULT_K_O_MM",
    "DEFAULT_G_NMDA", "summarise", "pharmacology_panel", "panel_summary", "dose_response",
    "dose_response_means", "fit_dose_response", "conductance_block", "rebound",
    "rebound_summary", "mode_map", "mode_map_summary", "jittered_population", "jitter_summary",
    "ketamine_created_bursting",
]

#: Per-cell metrics every protocol table carries (as in SimulationResult.metrics).
METRICS = ("rate_hz", "burst_fraction", "bursts_per_s", "spikes_per_burst", "intraburst_hz",
           "mode", "n_spikes", "isi_cv")
_NUMERIC = ("rate_hz", "burst_fraction", "bursts_per_s", "spikes_per_burst", "intraburst_hz")

#: The drug-concentration column of each drug of :data:`habmodel.drugs.DRUGS`.
DRUG_COLUMNS = {name: f"{name}_uM" for name in DRUGS}

DEFAULT_SEED = 2026
#: Default ketamine doses of the dose-response (uM).
DEFAULT_DOSES_UM = (0.0, 0.1, 0.3, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)
#: Default axes of the mode map: [K+]o (mM) and g_NMDA (mS/cm2).
DEFAULT_K_O_MM = tuple(np.round(np.arange(2.0, 5.51, 0.25), 6))
DEFAULT_G_NMDA = tuple(np.round(np.arange(0.0, 4.01, 0.5), 6))

#: Display names of the drugs in condition labels.
_DRUG_LABEL = {"ketamine": "ketamine", "ap5": "AP5", "mibefradil": "mibefradil"}


# --- input checks -------------------------------------------------------------------------

def _int(name: str, value, low: int, high: int = 10**9) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name}: expected an integer in [{low}, {high}], got {value}")
    return int(value)


def _seconds(value, name: str) -> float:
    seconds = to_display(value, "s", name)
    if not seconds > 0:
        raise ValueError(f"{name}: expected a positive time, got {value!r}")
    return seconds


def _doses(value, name: str) -> np.ndarray:
    doses = _display_array(value, "uM", name)
    if np.any(doses < 0):
        raise ValueError(f"{name}: concentrations must be >= 0 uM, got {doses.tolist()}")
    return doses


def _conc(value, name: str) -> float:
    conc = to_display(value, "uM", name)
    if conc < 0:
        raise ValueError(f"{name}: expected a concentration >= 0 uM, got {value!r}")
    return conc


def _fmt(x: float) -> str:
    return f"{x:g}"


# --- the common engine: rows -> one simulate call -> tidy table -----------------------------

@dataclass
class _Plan:
    """Cells of one protocol (rows) and how to turn their raw table into the protocol table."""

    rows: list[dict]
    finish: Callable[[pd.DataFrame, object], pd.DataFrame]
    min_duration_s: float = 0.0


def _identity(table, result):
    return table


def _simulate_rows(rows: list[dict], *, duration_s: float, seed: int, jitter: float = 0.0,
                   warmup=None, criteria=None, options: dict | None = None):
    """Simulate one cell per row in ONE ``simulate`` call.

    Each row: ``condition`` (named condition), ``cell`` (identity: keys the
    glutamate input stream, through ``simulate(input_ids=...)``, and the
    jitter), optional ``drugs`` ``{name: uM}``, ``overrides`` ``{name:
    value in display unit}`` and ``_jitter`` (this row's jitter fraction,
    default ``jitter``); any other key becomes a column of the table.
    Returns ``(table, result)``; the table has a column ``_index`` (the cell's
    position in the run).
    """
    from brian2 import second, uM

    from .simulation import simulate

    n = len(rows)
    if n == 0:
        raise ValueError("nothing to simulate (no cells)")
    values = {name: np.empty(n) for name in PARAMETERS}
    for i, row in enumerate(rows):
        cell_values = condition_values(row["condition"])
        for name, value in row.get("overrides", {}).items():
            param = get_parameter(name)
            param.check(float(value))
            cell_values[name] = float(value)
        for name, value in cell_values.items():
            values[name][i] = value
    fractions = np.array([check_fraction(row.get("_jitter", jitter)) for row in rows])
    ids = np.array([row["cell"] for row in rows], int)
    for fraction in np.unique(fractions[fractions > 0]):
        chosen = fractions == fraction
        for name, factor in jitter_factors(ids[chosen], fraction, seed).items():
            values[name][chosen] = values[name][chosen] * factor
    defaults = condition_values("control")
    overrides = {name: arr * unit_of(PARAMETERS[name].unit) for name, arr in values.items()
                 if not np.all(arr == defaults[name])}
    drug_names = sorted({name for row in rows for name in row.get("drugs", {})})
    concentrations = {name: np.array([float(row.get("drugs", {}).get(name, 0.0))
                                      for row in rows]) for name in drug_names}
    drugs = {name: conc * uM for name, conc in concentrations.items() if np.any(conc > 0)}
    result = simulate("control", drugs=drugs or None, n_cells=n, duration=duration_s * second,
                      seed=seed, overrides=overrides or None, warmup=warmup, criteria=criteria,
                      input_ids=ids, **(options or {}))

    meta = [{k: v for k, v in row.items() if k not in ("drugs", "overrides")} for row in rows]
    table = pd.DataFrame(meta)
    for name, column in DRUG_COLUMNS.items():
        table[column] = concentrations.get(name, np.zeros(n))
    table["seed"] = seed
    table["jitter"] = fractions
    if np.any(fractions > 0):  # the conductances each cell got (the same cell, every condition)
        for name in CONDUCTANCES:
            table[f"jittered_{name}_mS_cm2"] = np.asarray(result.params[name], float)
    for key in METRICS:
        table[key] = np.asarray(result.metrics[key])
    table["_index"] = np.arange(n)
    return table, result


def _with_overrides(rows: list[dict], overrides) -> list[dict]:
    """Every row with the user's ``overrides`` (one value per parameter) added; a name
    that the protocol itself sets is an error."""
    base = _scalar_overrides(overrides)
    if not base:
        return rows
    out = []
    for row in rows:
        own = row.get("overrides", {})
        clash = sorted(name for name in base if name in own and own[name] != base[name])
        if clash:
            raise ValueError(f"{clash[0]}: this protocol sets it itself; use the protocol's "
                             "own arguments to change it")
        out.append({**row, "overrides": {**base, **own}})
    return out


def _run(plan: _Plan, duration_s: float, seed: int, jitter: float, warmup, criteria,
         options: dict):
    options = dict(options)
    rows = _with_overrides(plan.rows, options.pop("overrides", None))
    plan = _Plan(rows, plan.finish, plan.min_duration_s)
    table, result = _simulate_rows(plan.rows, duration_s=max(duration_s, plan.min_duration_s),
                                   seed=seed, jitter=jitter, warmup=warmup, criteria=criteria,
                                   options=options)
    return _tidy(plan.finish(table, result))


def _tidy(table: pd.DataFrame) -> pd.DataFrame:
    """Protocol columns first, then seed/jitter, then the metrics; drop private columns."""
    drop = [c for c in table.columns if c.startswith("_")]
    if "jitter" in table and not (table["jitter"] > 0).any():  # un-jittered part of a merged run
        drop += [c for c in table.columns if c.startswith("jittered_")]
    table = table.drop(columns=drop)
    tail = ["seed", "jitter", *[m for m in METRICS if m in table.columns]]
    head = [c for c in table.columns if c not in tail]
    return table[head + [c for c in tail if c in table.columns]].reset_index(drop=True)


def _run_merged(plans: dict, duration_s: float, seed: int, warmup=None, criteria=None,
                options: dict | None = None) -> dict[str, pd.DataFrame]:
    """Several protocols in ONE simulate call (used by :mod:`habmodel.validate`).

    ``plans`` maps a name to ``(plan, jitter)``; each plan's cells keep their
    own jitter fraction (the factors are keyed by the cell identity, so a
    jittered cell is the same cell as in its protocol's own run).
    """
    options = dict(options or {})
    base = options.pop("overrides", None)
    rows, owners = [], []
    for name, (plan, jitter) in plans.items():
        rows.extend({**row, "_jitter": jitter} for row in _with_overrides(plan.rows, base))
        owners.extend([name] * len(plan.rows))
    duration_s = max([duration_s, *[p.min_duration_s for p, _ in plans.values()]])
    table, result = _simulate_rows(rows, duration_s=duration_s, seed=seed, warmup=warmup,
                                   criteria=criteria, options=options)
    out = {}
    owners = np.array(owners)
    for name, (plan, _) in plans.items():
        part = table.loc[owners == name].reset_index(drop=True)
        out[name] = _tidy(plan.finish(part, result))
    return out


# --- summaries -------------------------------------------------------------------------------

def summarise(table: pd.DataFrame, by) -> pd.DataFrame:
    """Mean and SD of the metrics and the silent/tonic/burst fractions, per group.

    Parameters
    ----------
    table : DataFrame
        A protocol table (one row per cell).
    by : str or list of str
        Grouping columns (e.g. ``"label"`` or ``["condition", "ketamine_uM"]``),
        kept in order of first appearance.

    Returns
    -------
    DataFrame
        One row per group: the ``by`` columns, the other columns that are
        constant within every group (condition, doses, ...), ``n_cells``,
        ``<metric>_mean`` and ``<metric>_sd`` (sample SD; NaN-valued cells,
        e.g. spikes per burst of a cell without bursts, are left out) and
        ``frac_silent``, ``frac_tonic``, ``frac_burst`` (fractions of cells).
    """
    by = [by] if isinstance(by, str) else list(by)
    skip = set(by) | set(METRICS) | {"cell"}
    candidates = [c for c in table.columns if c not in skip]
    groups = list(table.groupby(by, sort=False, dropna=False))
    constant = [c for c in candidates
                if all(g[c].nunique(dropna=False) <= 1 for _, g in groups)]
    rows = []
    for key, group in groups:
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key, strict=True))
        row.update({c: group[c].iloc[0] for c in constant})
        row["n_cells"] = len(group)
        for metric in _NUMERIC:
            values = group[metric].astype(float)
            row[f"{metric}_mean"] = float(values.mean()) if values.notna().any() else math.nan
            row[f"{metric}_sd"] = float(values.std(ddof=1)) if values.notna().sum() > 1 \
                else math.nan
        fractions = analysis.mode_fractions(group["mode"])
        row.update({f"frac_{mode}": fractions[mode] for mode in analysis.MODES})
        rows.append(row)
    return pd.DataFrame(rows)


# --- 1. pharmacology panel ---------------------------------------------------------------------

def _label(condition: str, drugs: dict) -> str:
    parts = [condition] + [f"{_DRUG_LABEL.get(d, d)} {_fmt(c)} uM" for d, c in drugs.items()]
    return " + ".join(parts)


def _panel_plan(n_cells, ketamine_doses, ap5, mibefradil, control_ketamine) -> _Plan:
    conditions = [("control", {}), ("depressed", {})]
    conditions += [("depressed", {"ketamine": d}) for d in ketamine_doses if d > 0]
    if ap5 > 0:
        conditions.append(("depressed", {"ap5": ap5}))
    if mibefradil > 0:
        conditions.append(("depressed", {"mibefradil": mibefradil}))
    conditions += [("control", {"ketamine": d}) for d in control_ketamine if d > 0]
    rows = [{"label": _label(cond, drugs), "condition": cond, "cell": c, "drugs": drugs}
            for cond, drugs in conditions for c in range(n_cells)]
    return _Plan(rows, _identity)


def pharmacology_panel(n_cells: int = 20, duration="5 s", seed: int = DEFAULT_SEED,
                       ketamine_doses=("1 uM", "3 uM", "10 uM"), *, ap5="50 uM",
                       mibefradil="2 uM", control_ketamine=None, jitter: float = 0.0,
                       warmup=None, criteria=None, **simulate_options) -> pd.DataFrame:
    """The pharmacology panel of SCIENCE.md claims 1-4 and 8, in one simulation.

    Conditions (``label`` column), each with ``n_cells`` cells: control;
    depressed; depressed + ketamine at each of ``ketamine_doses``; depressed +
    AP5 ``ap5``; depressed + mibefradil ``mibefradil``; control + ketamine at
    each of ``control_ketamine`` (default: the same doses as ``ketamine_doses``).

    Parameters
    ----------
    n_cells : int
        Cells per condition.
    duration : Quantity or str
        Recorded time per cell.
    ketamine_doses, control_ketamine : Quantity array or sequence
        Ketamine concentrations (a dose of 0 is skipped: it is the drug-free condition).
    ap5, mibefradil : Quantity or str
        Concentrations; 0 leaves the condition out.
    jitter : float
        Conductance jitter F (0 = identical cells): the same cells in every condition.

    Returns
    -------
    DataFrame
        One row per cell: ``label, condition, cell, ketamine_uM, ap5_uM,
        mibefradil_uM, seed, jitter`` and the metrics. :func:`panel_summary`
        gives mean +- SD and mode fractions per condition.
    """
    n_cells = _int("n_cells", n_cells, 1)
    seed = _int("seed", seed, 0, 2**63 - 1)
    duration_s = _seconds(duration, "duration")
    doses = _doses(ketamine_doses, "ketamine_doses")
    control = doses if control_ketamine is None else _doses(control_ketamine, "control_ketamine")
    plan = _panel_plan(n_cells, doses, _conc(ap5, "ap5"), _conc(mibefradil, "mibefradil"),
                       control)
    return _run(plan, duration_s, seed, check_fraction(jitter), warmup, criteria,
                simulate_options)


def panel_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Mean +- SD of the metrics and silent/tonic/burst fractions per panel condition."""
    return summarise(table, "label")


# --- 2. dose-response ------------------------------------------------------------------------

def _dose_plan(drug: str, doses, condition: str, n_cells: int) -> _Plan:
    rows = [{"drug": drug, "dose_uM": float(d), "condition": condition, "cell": c,
             "drugs": {drug: float(d)} if d > 0 else {}}
            for d in doses for c in range(n_cells)]
    return _Plan(rows, _identity)


def _scalar_overrides(overrides) -> dict[str, float]:
    """``{name: value}`` (quantities, strings or numbers) as floats in display units."""
    out = {}
    for name, value in (overrides or {}).items():
        param = get_parameter(name)
        if np.ndim(value) > 0 and not isinstance(value, str):
            raise ValueError(f"{name}: expected one value (per-cell values are not supported "
                             "here)")
        out[name] = to_display(value, param.unit, name)
        param.check(out[name])
    return out


def dose_response(drug: str = "ketamine", doses=None, condition: str = "depressed",
                  n_cells: int = 10, duration="3 s", seed: int = DEFAULT_SEED, *,
                  jitter: float = 0.0, warmup=None, criteria=None, overrides=None,
                  **simulate_options) -> pd.DataFrame:
    """Dose-response of one drug in one condition, all doses in one simulation.

    Parameters
    ----------
    drug : str
        A drug of :data:`habmodel.drugs.DRUGS`.
    doses : Quantity array or sequence
        Concentrations (default :data:`DEFAULT_DOSES_UM` uM); include 0 for the
        drug-free response.
    condition : str
        Named condition (default ``"depressed"``).
    n_cells : int
        Cells per dose.
    overrides : dict, optional
        Parameter values that replace the condition's (one value each).

    Returns
    -------
    DataFrame
        One row per cell: ``drug, dose_uM, condition, cell``, the drug columns,
        ``seed, jitter`` and the metrics. Fit it with :func:`fit_dose_response`.
    """
    name = resolve_drug(drug).name
    if name not in DRUGS:
        raise ValueError(f"drug: expected one of {', '.join(DRUGS)}, got {drug!r}")
    condition_values(condition)
    doses = (np.array(DEFAULT_DOSES_UM) if doses is None else _doses(doses, "doses"))
    n_cells = _int("n_cells", n_cells, 1)
    seed = _int("seed", seed, 0, 2**63 - 1)
    plan = _dose_plan(name, doses, condition, n_cells)
    simulate_options = {**simulate_options, "overrides": overrides}
    return _run(plan, _seconds(duration, "duration"), seed, check_fraction(jitter), warmup,
                criteria, simulate_options)


def dose_response_means(table: pd.DataFrame, metric: str = "bursts_per_s") -> pd.DataFrame:
    """``dose_uM, mean, sd, n_cells`` of ``metric`` per dose (sorted by dose)."""
    if metric not in _NUMERIC:
        raise ValueError(f"metric: expected one of {', '.join(_NUMERIC)}, got {metric!r}")
    grouped = table.groupby("dose_uM", sort=True)[metric]
    out = pd.DataFrame({"mean": grouped.mean(), "sd": grouped.std(ddof=1),
                        "n_cells": grouped.size()}).reset_index()
    return out


def fit_dose_response(table: pd.DataFrame, metric: str = "bursts_per_s", *,
                      top: float | None = None, bottom: float | None = 0.0) -> HillFit:
    """Hill fit (:func:`habmodel.fitting.fit_hill`) of the per-dose mean of ``metric``.

    Doses at which the mean is undefined (no cell with a defined value) are
    left out.
    """
    means = dose_response_means(table, metric).dropna(subset=["mean"])
    return fit_hill(means["dose_uM"].to_numpy(), means["mean"].to_numpy(), top=top,
                    bottom=bottom)


def conductance_block(drug: str = "ketamine", doses=None, v="-60 mV", *,
                      condition: str = "control") -> pd.DataFrame:
    """Fraction of the drug's target conductance blocked at each dose, at voltage ``v``.

    Computed from the drug layer (:func:`habmodel.drugs.availability`) and,
    for pore blockers, the model's ``pore_free`` expression at ``v`` (the
    block is voltage independent unless ``ketamine_delta > 0``).

    Returns
    -------
    DataFrame
        ``drug, target, dose_uM, v_mV, free_fraction, blocked_fraction``.
    """
    d = resolve_drug(drug)
    doses = np.array(DEFAULT_DOSES_UM) if doses is None else _doses(doses, "doses")
    v_mV = to_display(v, "mV", "v")
    params = {k: np.full(doses.size, val) for k, val in condition_values(condition).items()}
    avail = availability({d: doses}, params, doses.size)
    target = "NMDA" if d.target == "NMDA_pore" else d.target
    free = np.asarray(avail[f"avail_{target}"], float)
    if d.target == "NMDA_pore":
        pore = evaluate("pore_free", {"v": v_mV * 1e-3, "pore_load": avail["pore_load"],
                                      "pore_delta": avail["pore_delta"]}, condition=condition)
        free = free * np.asarray(pore, float)
    return pd.DataFrame({"drug": d.name, "target": target, "dose_uM": doses, "v_mV": v_mV,
                         "free_fraction": free, "blocked_fraction": 1.0 - free})


# --- 3. rebound bursts ----------------------------------------------------------------------

#: Default concentration of each drug in the rebound protocol (uM).
REBOUND_DRUGS_UM = {"none": 0.0, "ketamine": 10.0, "ap5": 50.0, "mibefradil": 2.0}


def _drug_set(drugs) -> dict[str, float]:
    if isinstance(drugs, Mapping):
        items = list(drugs.items())
    else:
        items = [(name, None) for name in drugs]
    out = {}
    for name, conc in items:
        key = str(name).lower()
        if key == "none":
            out["none"] = 0.0
            continue
        real = resolve_drug(key).name
        out[real] = REBOUND_DRUGS_UM.get(real, 0.0) if conc is None else _conc(conc, real)
    if not out:
        raise ValueError("drugs: expected at least one of 'none', " + ", ".join(DRUGS))
    return out


def _rebound_plan(amplitudes, steps_ms, drugs: dict, condition, n_cells, step_start_ms,
                  window_ms) -> _Plan:
    rows = []
    for name, conc in drugs.items():
        for amp in amplitudes:
            for step in steps_ms:
                for c in range(n_cells):
                    rows.append({
                        "drug": name, "drug_uM": conc, "amplitude_pA": float(amp),
                        "step_ms": float(step), "condition": condition, "cell": c,
                        "drugs": {name: conc} if name != "none" and conc > 0 else {},
                        "overrides": {"I_step": float(amp), "step_start": step_start_ms,
                                      "step_stop": step_start_ms + float(step)},
                        "_release_s": (step_start_ms + float(step)) * 1e-3})
    min_duration = (step_start_ms + max(steps_ms) + window_ms) * 1e-3 + 0.1

    def finish(table, result):
        criteria = result.criteria
        found, counts, latency = [], [], []
        for index, release in zip(table["_index"], table["_release_s"], strict=True):
            spikes = np.asarray(result.spikes_s[int(index)], float)
            end = release + window_ms * 1e-3
            after = spikes[(spikes >= release) & (spikes < end)]
            latency.append((after[0] - release) * 1e3 if after.size else math.nan)
            first = [(a, b) for a, b in analysis.detect_bursts(spikes, criteria)
                     if release <= spikes[a] < end]
            found.append(bool(first))
            counts.append(int(first[0][1] - first[0][0]) if first else 0)
        table = table.copy()
        table["release_s"] = table["_release_s"]
        table["rebound_burst"] = found
        table["rebound_spikes"] = counts
        table["rebound_latency_ms"] = latency
        return table

    return _Plan(rows, finish, min_duration)


def rebound(amplitudes=("-10 pA", "-20 pA", "-40 pA"), durations=("500 ms",),
            drugs=("none", "ketamine", "mibefradil"), *, condition: str = "control",
            n_cells: int = 3, seed: int = DEFAULT_SEED, step_start="500 ms", window="300 ms",
            duration=None, jitter: float = 0.0, warmup=None, criteria=None,
            **simulate_options) -> pd.DataFrame:
    """Rebound bursts after release from hyperpolarising current steps.

    Every combination of drug x amplitude x step duration, ``n_cells`` cells
    each (independent glutamate input), in one simulation. The step
    (parameters ``I_step``, ``step_start``, ``step_stop``) starts at
    ``step_start`` into the recorded period; the *release* is its end.

    Parameters
    ----------
    amplitudes : Quantity array or sequence
        Step amplitudes (pA, <= 0: hyperpolarising).
    durations : Quantity array or sequence
        Step durations.
    drugs : sequence or mapping
        Drug names (``"none"`` for no drug) at the concentrations of
        :data:`REBOUND_DRUGS_UM`, or ``{name: concentration}``.
    window : Quantity or str
        After release, the window in which a rebound burst is looked for.
    duration : Quantity or str, optional
        Recorded time; default (and minimum) the end of the window plus 100 ms.

    Returns
    -------
    DataFrame
        One row per cell: ``drug, drug_uM, amplitude_pA, step_ms, condition,
        cell``, the drug columns, ``release_s``, ``rebound_burst`` (a burst by
        the burst criteria whose first spike falls in the window),
        ``rebound_spikes`` (spikes in the first such burst, 0 if none),
        ``rebound_latency_ms`` (first spike after release, NaN if none in the
        window), ``seed, jitter`` and the metrics of the whole recording.
    """
    amps = _display_array(amplitudes, "pA", "amplitudes")
    if np.any(amps > 0):
        raise ValueError(f"amplitudes: expected hyperpolarising steps (<= 0 pA), got "
                         f"{amps.tolist()} pA")
    for a in amps:
        PARAMETERS["I_step"].check(a)
    steps = _display_array(durations, "ms", "durations")
    if np.any(steps <= 0):
        raise ValueError(f"durations: expected positive step durations, got {steps.tolist()} ms")
    condition_values(condition)
    start_ms = to_display(step_start, "ms", "step_start")
    if start_ms < 0:
        raise ValueError(f"step_start: expected a time >= 0 ms, got {step_start!r}")
    window_ms = to_display(window, "ms", "window")
    if window_ms <= 0:
        raise ValueError(f"window: expected a positive time, got {window!r}")
    plan = _rebound_plan(amps, steps, _drug_set(drugs), condition,
                         _int("n_cells", n_cells, 1), start_ms, window_ms)
    duration_s = plan.min_duration_s if duration is None else _seconds(duration, "duration")
    if duration_s < plan.min_duration_s:
        raise ValueError(f"duration: expected at least {plan.min_duration_s:g} s (step end + "
                         f"window + 0.1 s), got {duration_s:g} s")
    return _run(plan, duration_s, _int("seed", seed, 0, 2**63 - 1), check_fraction(jitter),
                warmup, criteria, simulate_options)


def rebound_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per drug x amplitude x step: rebound burst probability, spikes and latency."""
    keys = ["drug", "amplitude_pA", "step_ms"]
    rows = []
    for key, group in table.groupby(keys, sort=False):
        bursts = group[group["rebound_burst"]]
        rows.append({**dict(zip(keys, key, strict=True)), "drug_uM": group["drug_uM"].iloc[0],
                     "n_cells": len(group),
                     "rebound_probability": float(group["rebound_burst"].mean()),
                     "rebound_spikes_mean": (float(bursts["rebound_spikes"].mean())
                                             if len(bursts) else math.nan),
                     "latency_ms_mean": (float(group["rebound_latency_ms"].mean())
                                         if group["rebound_latency_ms"].notna().any()
                                         else math.nan)})
    return pd.DataFrame(rows)


# --- 4. firing-mode map ----------------------------------------------------------------------

def _map_plan(k_o, g_nmda, ket, condition, n_cells) -> _Plan:
    e_k = _e_k(k_o, condition)
    rows = [{"K_o_mM": float(k), "E_K_mV": float(e),
             "g_NMDA_mS_cm2": float(g), "condition": condition, "cell": c,
             "drugs": {"ketamine": float(d)} if d > 0 else {},
             "overrides": {"K_o": float(k), "g_NMDA": float(g)}}
            for d in ket for k, e in zip(k_o, e_k, strict=True) for g in g_nmda
            for c in range(n_cells)]
    return _Plan(rows, _identity)


def _e_k(k_o_mM, condition) -> np.ndarray:
    """E_K (mV) of the model's Nernst expression at each [K+]o (mM) of ``condition``."""
    k_o_si = np.asarray(k_o_mM, float) * float(unit_of("mM"))
    return np.asarray(evaluate("E_K", {"K_o": k_o_si}, condition=condition), float) * 1e3


def mode_map(k_o_values=None, nmda_values=None, ketamine_doses=("0 uM", "1 uM", "10 uM"), *,
             n_cells: int = 1, duration="3 s", seed: int = DEFAULT_SEED,
             condition: str = "control", jitter: float = 0.0, warmup=None,
             criteria=None, **simulate_options) -> pd.DataFrame:
    """Firing mode over [K+]o (and so E_K) x NMDA drive (g_NMDA), at several ketamine doses.

    All grid points x doses x ``n_cells`` in one simulation; the other
    parameters are those of ``condition``.

    Classification of a grid point: with ``n_cells = 1`` (default) the mode of
    its single cell; with more, :func:`mode_map_summary` takes the majority
    mode (ties go to burst, then tonic: a point where half the cells burst is
    shown as burst, so bursting is never hidden by the summary).

    Parameters
    ----------
    k_o_values : Quantity array or sequence
        [K+]o values (default :data:`DEFAULT_K_O_MM` mM).
    nmda_values : Quantity array or sequence
        g_NMDA values (default :data:`DEFAULT_G_NMDA` mS/cm2).
    ketamine_doses : Quantity array or sequence
        One map per dose.

    Returns
    -------
    DataFrame
        One row per cell: ``ketamine_uM, K_o_mM, E_K_mV, g_NMDA_mS_cm2,
        condition, cell``, the drug columns, ``seed, jitter`` and the metrics.
    """
    k_o = (np.array(DEFAULT_K_O_MM) if k_o_values is None
           else _display_array(k_o_values, "mM", "k_o_values"))
    g = (np.array(DEFAULT_G_NMDA) if nmda_values is None
         else _display_array(nmda_values, "mS/cm2", "nmda_values"))
    for value in k_o:
        PARAMETERS["K_o"].check(value)
    for value in g:
        PARAMETERS["g_NMDA"].check(value)
    ket = _doses(ketamine_doses, "ketamine_doses")
    condition_values(condition)
    plan = _map_plan(k_o, g, ket, condition, _int("n_cells", n_cells, 1))
    return _run(plan, _seconds(duration, "duration"), _int("seed", seed, 0, 2**63 - 1),
                check_fraction(jitter), warmup, criteria, simulate_options)


_TIE_ORDER = ("burst", "tonic", "silent")


def _majority(modes) -> str:
    modes = list(modes)
    counts = {m: modes.count(m) for m in _TIE_ORDER}
    return max(_TIE_ORDER, key=lambda m: (counts[m], -_TIE_ORDER.index(m)))


def mode_map_summary(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (ketamine dose, [K+]o, g_NMDA): majority ``mode``, mode fractions, means."""
    keys = ["ketamine_uM", "K_o_mM", "g_NMDA_mS_cm2"]
    summary = summarise(table, keys)
    summary["mode"] = [_majority(g["mode"]) for _, g in table.groupby(keys, sort=False)]
    return summary


# --- 5. jittered population (claim 9) ---------------------------------------------------------

def _jitter_plan(n_cells, doses, conditions) -> _Plan:
    rows = [{"condition": cond, "cell": c,
             "drugs": {"ketamine": float(d)} if d > 0 else {}}
            for cond in conditions for d in doses for c in range(n_cells)]
    return _Plan(rows, _identity)


def jittered_population(fraction: float = 0.2, n_cells: int = 100, seed: int = DEFAULT_SEED,
                        ketamine_doses=("0.3 uM", "1 uM", "3 uM", "10 uM"), duration="3 s", *,
                        conditions=("control", "depressed"), warmup=None,
                        criteria=None, **simulate_options) -> pd.DataFrame:
    """SCIENCE.md claim 9: a +-``fraction`` conductance-jittered population in every condition.

    The same ``n_cells`` cells (same jittered conductances, keyed by ``seed``
    and the cell identity) in each condition, without drug and at each
    ketamine dose, in one simulation.

    Returns
    -------
    DataFrame
        One row per cell and condition: ``condition, cell``,
        the drug columns, ``seed, jitter`` and the metrics. Summarise with
        :func:`jitter_summary`.
    """
    fraction = check_fraction(fraction)
    n_cells = _int("n_cells", n_cells, 1)
    doses = _doses(ketamine_doses, "ketamine_doses")
    doses = np.unique(np.r_[0.0, doses])
    for cond in conditions:
        condition_values(cond)
    plan = _jitter_plan(n_cells, doses, list(conditions))
    return _run(plan, _seconds(duration, "duration"), _int("seed", seed, 0, 2**63 - 1),
                fraction, warmup, criteria, simulate_options)


def ketamine_created_bursting(table: pd.DataFrame) -> pd.DataFrame:
    """Per condition and cell: does ketamine create bursting the drug-free cell does not show?

    A cell "bursts" when its firing mode is ``"burst"``; rows with another
    drug (AP5, mibefradil) are ignored. Returns ``condition, cell,
    bursts_without_drug, bursts_with_ketamine`` (at some dose > 0) and
    ``created`` (with ketamine but not without).
    """
    dose = "ketamine_uM"
    others = [c for name, c in DRUG_COLUMNS.items() if name != "ketamine" and c in table]
    if others:
        table = table[(table[others] == 0).all(axis=1)]
    burst = table.assign(_b=table["mode"] == "burst")
    rows = []
    for (cond, cell), group in burst.groupby(["condition", "cell"], sort=False):
        without = bool(group.loc[group[dose] == 0, "_b"].any())
        with_k = bool(group.loc[group[dose] > 0, "_b"].any())
        rows.append({"condition": cond, "cell": int(cell), "bursts_without_drug": without,
                     "bursts_with_ketamine": with_k, "created": with_k and not without})
    return pd.DataFrame(rows)


def jitter_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Claim 9 per condition.

    Returns
    -------
    DataFrame
        One row per condition: ``n_cells``, ``frac_silent/tonic/burst``
        without drug, ``max_dose_uM`` and ``frac_burst_max_dose`` (at the
        highest ketamine dose), ``burst_cut`` (relative reduction of the
        bursting fraction by that dose; NaN if no cell bursts without drug) and
        ``frac_created`` (fraction of cells in which ketamine creates bursting
        at some dose, :func:`ketamine_created_bursting`).
    """
    dose = "ketamine_uM"
    created = ketamine_created_bursting(table)
    rows = []
    for cond, group in table.groupby("condition", sort=False):
        free = group[group[dose] == 0]
        top = float(group[dose].max())
        at_top = group[group[dose] == top]
        fractions = analysis.mode_fractions(free["mode"])
        base = fractions["burst"]
        frac_top = analysis.mode_fractions(at_top["mode"])["burst"]
        rows.append({"condition": cond, "n_cells": int(group["cell"].nunique()),
                     **{f"frac_{m}": fractions[m] for m in analysis.MODES},
                     "max_dose_uM": top, "frac_burst_max_dose": frac_top,
                     "burst_cut": (1 - frac_top / base) if base > 0 else math.nan,
                     "frac_created": float(created.loc[created["condition"] == cond,
                                                       "created"].mean())})
    return pd.DataFrame(rows)
