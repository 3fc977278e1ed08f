"""Shared machinery of the protocols: input checks, rows -> one simulate call -> tidy
table, summaries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..analysis.summaries import DRUG_COLUMNS, METRICS
from ..model.drugs import check_concentration
from ..model.inputs import check_int, display_array, positive_seconds
from ..model.jitter import CONDUCTANCES, check_fraction, conductances, jitter_factors
from ..model.parameters import PARAMETERS, condition_values, get_parameter
from ..model.units import to_display, unit_of

DEFAULT_SEED = 2026
#: Default axes of the mode map: [K+]o (mM) and g_NMDA (mS/cm2).
DEFAULT_K_O_MM = tuple(np.round(np.arange(2.0, 5.51, 0.25), 6))
DEFAULT_G_NMDA = tuple(np.round(np.arange(0.0, 4.01, 0.5), 6))

#: Display names of the drugs in condition labels.
_DRUG_LABEL = {"ketamine": "ketamine", "ap5": "AP5", "mibefradil": "mibefradil"}


# --- input checks -------------------------------------------------------------------------

_seconds = positive_seconds  # a positive time in seconds


_int = check_int  # integers in a range (one check for the whole package)


def _doses(value, name: str) -> np.ndarray:
    return check_concentration(name, display_array(value, "uM", name))


def _conc(value, name: str) -> float:
    return check_concentration(name, to_display(value, "uM", name))


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

    from ..simulation import simulate

    n = len(rows)
    if n == 0:
        raise ValueError("nothing to simulate (no cells)")
    cell = (options or {}).get("cell")
    ptable = PARAMETERS if cell is None else cell.parameters
    values = {name: np.empty(n) for name in ptable}
    for i, row in enumerate(rows):
        cell_values = condition_values(row["condition"], ptable)
        for name, value in row.get("overrides", {}).items():
            param = get_parameter(name, ptable)
            param.check(float(value))
            cell_values[name] = float(value)
        for name, value in cell_values.items():
            values[name][i] = value
    fractions = np.array([check_fraction(row.get("_jitter", jitter)) for row in rows])
    ids = np.array([row["cell"] for row in rows], int)
    for fraction in np.unique(fractions[fractions > 0]):
        chosen = fractions == fraction
        for name, factor in jitter_factors(ids[chosen], fraction, seed,
                                           conductances(ptable)).items():
            values[name][chosen] = values[name][chosen] * factor
    defaults = condition_values("control", ptable)
    overrides = {name: arr * unit_of(ptable[name].unit) for name, arr in values.items()
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


def _with_overrides(rows: list[dict], overrides, cell=None) -> list[dict]:
    """Every row with the user's ``overrides`` (one value per parameter of ``cell``'s
    table) added; a name that the protocol itself sets is an error."""
    from ..model.inputs import scalar_overrides

    base = scalar_overrides(overrides, None if cell is None else cell.parameters)
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
    rows = _with_overrides(plan.rows, options.pop("overrides", None), options.get("cell"))
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


def run_merged(plans: dict, duration_s: float, seed: int, warmup=None, criteria=None,
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
        rows.extend({**row, "_jitter": jitter} for row in _with_overrides(plan.rows, base,
                                                                          options.get("cell")))
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


