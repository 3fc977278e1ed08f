"""Check the model against the claims of docs/science.md section 4, and report.

:func:`run_validation` runs the experiment protocols of
:mod:`habmodel.experiments` (pharmacology panel, ketamine dose-response,
rebound, firing-mode map, jittered population) -- all of them in **one**
:func:`habmodel.simulate` call -- and turns their tables into one
:class:`ClaimResult` per claim (1-6, 8 and 9; claim 7, trapping, runs the
kinetic ketamine scheme of :mod:`habmodel.trapping`). Each claim is named by
its number and its title in ``docs/science.md`` (:data:`habmodel.claims.CLAIMS`).
:func:`validation_markdown` writes them as a table, :func:`reproduces_markdown`
as the README's short table.

Sizes: the full run uses docs/science.md's sizes (20 cells x 5 s per panel
condition, 100 jittered cells per condition); ``quick=True`` uses small
populations and 3 s runs (a smoke test of the pipeline, well under 3 minutes on
two cores: its verdicts have wider statistical error).

The burst criteria are :data:`habmodel.analysis.DEFAULT_CRITERIA`; "rhythmic
bursting" means at least 0.5 bursts/s (the lower end of claim 2's range).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import analysis
from .claims import CLAIMS, claim_label
from .experiments import (
    DEFAULT_SEED,
    fit_dose_response,
    jitter_summary,
    ketamine_created_bursting,
    mode_map_summary,
    rebound_summary,
)
from .experiments._core import run_merged
from .experiments.dose import dose_plan
from .experiments.mode_map import map_plan
from .experiments.panel import panel_plan
from .experiments.population import jitter_plan
from .experiments.rebound import drug_set, rebound_plan
from .model.inputs import positive_seconds
from .model.parameters import condition_values

__all__ = ["ClaimResult", "run_validation", "validation_markdown", "reproduces_markdown",
           "RHYTHMIC_BURSTS_PER_S"]

#: Bursts/s at or above which a cell counts as rhythmically bursting (claim 8).
RHYTHMIC_BURSTS_PER_S = 0.5


@dataclass(frozen=True)
class ClaimResult:
    """The verdict on one claim of docs/science.md section 4."""

    claim: str
    description: str
    measured: str
    target: str
    passed: bool


@dataclass(frozen=True)
class _Sizes:
    duration: str
    panel_cells: int
    panel_doses: tuple
    dose_cells: int
    doses: tuple
    rebound_cells: int
    rebound_amplitudes: tuple
    rebound_steps: tuple
    map_k_o: tuple
    map_g: tuple
    map_doses: tuple
    jitter_cells: int
    jitter_doses: tuple


_QUICK = _Sizes(
    duration="3 s", panel_cells=8, panel_doses=(0.3, 1.0, 3.0, 10.0), dose_cells=6,
    doses=(0.0, 0.1, 0.3, 0.5, 1.0, 2.0, 3.0, 10.0), rebound_cells=4,
    rebound_amplitudes=(-20.0,), rebound_steps=(500.0,),
    map_k_o=(2.5, 3.0, 3.5, 4.0, 4.5, 5.0), map_g=(0.0, 1.0, 2.3, 3.5),
    map_doses=(0.0, 1.0, 10.0), jitter_cells=20, jitter_doses=(1.0, 10.0))

_FULL = _Sizes(
    duration="5 s", panel_cells=20, panel_doses=(0.3, 1.0, 3.0, 10.0), dose_cells=20,
    doses=(0.0, 0.1, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0), rebound_cells=10,
    rebound_amplitudes=(-10.0, -20.0, -40.0), rebound_steps=(250.0, 500.0),
    map_k_o=tuple(np.round(np.arange(2.0, 5.51, 0.25), 6)),
    map_g=tuple(np.round(np.arange(0.0, 4.01, 0.5), 6)), map_doses=(0.0, 1.0, 10.0),
    jitter_cells=100, jitter_doses=(0.3, 1.0, 3.0, 10.0))

#: The rebound protocol of claim 5 (docs/model.md): -20 pA for 500 ms, from 0.5 s.
_REBOUND_AMP, _REBOUND_STEP = -20.0, 500.0


def _tables(sizes: _Sizes, seed: int, options: dict) -> dict[str, pd.DataFrame]:

    plans = {
        "panel": (panel_plan(sizes.panel_cells, np.array(sizes.panel_doses), 50.0, 2.0,
                              np.array(sizes.panel_doses)), 0.0),
        "dose": (dose_plan("ketamine", np.array(sizes.doses), "depressed", sizes.dose_cells),
                 0.0),
        "rebound": (rebound_plan(np.array(sizes.rebound_amplitudes),
                                  np.array(sizes.rebound_steps),
                                  drug_set(("none", "ketamine", "mibefradil")), "control",
                                  sizes.rebound_cells, 500.0, 300.0), 0.0),
        "map": (map_plan(np.array(sizes.map_k_o), np.array(sizes.map_g),
                          np.array(sizes.map_doses), "control", 1), 0.0),
        "jitter": (jitter_plan(sizes.jitter_cells, np.r_[0.0, sizes.jitter_doses],
                                ["control", "depressed"]), 0.2),
    }
    return run_merged(plans, positive_seconds(sizes.duration, "duration"), seed, options=options)


def _mean(values) -> float:
    values = np.asarray(values, float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else math.nan


def _pct(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{100 * x:.0f} %"


def _modes(table) -> str:
    f = analysis.mode_fractions(table["mode"])
    return f"silent/tonic/burst {_pct(f['silent'])}/{_pct(f['tonic'])}/{_pct(f['burst'])}"


def _claim1(panel) -> ClaimResult:
    m = panel[panel["label"] == "control"]
    firing = m[m["mode"] != "silent"]
    rate = _mean(firing["rate_hz"]) if len(firing) else math.nan
    bf = _mean(np.nan_to_num(m["burst_fraction"].to_numpy(float)))
    no_burst = not (m["mode"] == "burst").any()
    rate_ok = len(firing) == 0 or 0.8 <= rate <= 10.5
    return ClaimResult(
        "1", CLAIMS[1].title,
        f"{_modes(m)}; rate of firing cells {rate:.1f} Hz; spikes in bursts {_pct(bf)} "
        f"(n = {len(m)})",
        "no burst-mode cell, < 20 % of spikes in bursts, tonic rate about 1-10 Hz "
        "(accepted 0.8-10.5 Hz)",
        bool(no_burst and bf < 0.2 and rate_ok))


def _claim2(panel) -> ClaimResult:
    m = panel[panel["label"] == "depressed"]
    bf, bps = _mean(m["burst_fraction"]), _mean(m["bursts_per_s"])
    spb, ibf = _mean(m["spikes_per_burst"]), _mean(m["intraburst_hz"])
    ok = bf >= 0.6 and 0.5 <= bps <= 10 and 2 <= spb <= 10 and ibf >= 100
    return ClaimResult(
        "2", CLAIMS[2].title,
        f"{_modes(m)}; spikes in bursts {_pct(bf)}, {bps:.2f} bursts/s, {spb:.1f} spikes/burst, "
        f"intra-burst {ibf:.0f} Hz (n = {len(m)})",
        ">= 60 % of spikes in bursts, 0.5-10 bursts/s, 2-10 spikes/burst, intra-burst >= 100 Hz",
        bool(ok))


def _spikes_in_bursts(table) -> float:
    """Fraction of all the cells' spikes that are in bursts (0 without spikes)."""
    n = table["n_spikes"].to_numpy(float)
    in_bursts = np.nan_to_num(table["burst_fraction"].to_numpy(float)) * n
    return float(in_bursts.sum() / n.sum()) if n.sum() > 0 else 0.0


def _claim3(panel, dose) -> ClaimResult:
    depressed = panel[panel["label"] == "depressed"]
    before = _mean(depressed["bursts_per_s"])
    in_bursts_before = _spikes_in_bursts(depressed)
    parts, ok = [], before > 0 and in_bursts_before > 0
    for label in ("depressed + ketamine 10 uM", "depressed + AP5 50 uM"):
        m = panel[panel["label"] == label]
        after = _mean(m["bursts_per_s"])
        cut = 1 - after / before if before > 0 else math.nan
        cut_spikes = 1 - _spikes_in_bursts(m) / in_bursts_before if in_bursts_before else math.nan
        parts.append(f"{label.removeprefix('depressed + ')}: {after:.2f} bursts/s "
                     f"(cut {_pct(cut)}), spikes in bursts cut {_pct(cut_spikes)}, "
                     f"{_modes(m)}")
        ok = ok and cut >= 0.8 and cut_spikes >= 0.8 and not (m["mode"] == "burst").any()
    try:
        fit = fit_dose_response(dose)
        parts.append(f"ketamine {fit.describe()}")
        ok = ok and 0.3 <= fit.ic50_uM <= 10
    except ValueError as err:
        parts.append(f"no Hill fit: {err}")
        ok = False
    return ClaimResult(
        "3", CLAIMS[3].title,
        f"depressed {before:.2f} bursts/s; " + "; ".join(parts),
        "fraction of spikes in bursts and bursts/s cut by >= 80 % by ketamine 10 uM and by "
        "AP5 50 uM, no burst-mode cell left; half-maximal ketamine "
        "dose (Hill fit of mean bursts/s) in the low-uM range (0.3-10 uM)",
        bool(ok))


def _claim4(panel) -> ClaimResult:
    before = _mean(panel.loc[panel["label"] == "depressed", "bursts_per_s"])
    m = panel[panel["label"] == "depressed + mibefradil 2 uM"]
    after = _mean(m["bursts_per_s"])
    cut = 1 - after / before if before > 0 else math.nan
    ok = before > 0 and cut >= 0.95 and not (m["mode"] == "burst").any()
    return ClaimResult(
        "4", CLAIMS[4].title,
        f"{after:.2f} bursts/s vs {before:.2f} (cut {_pct(cut)}); {_modes(m)}",
        "no burst-mode cell, bursts/s cut by >= 95 %", bool(ok))


def _claim5(rebound) -> ClaimResult:
    summary = rebound_summary(rebound)
    at = summary[(summary["amplitude_pA"] == _REBOUND_AMP)
                 & (summary["step_ms"] == _REBOUND_STEP)].set_index("drug")
    p = {drug: float(at.loc[drug, "rebound_probability"]) for drug in at.index}
    spikes = at.loc["none", "rebound_spikes_mean"] if "none" in at.index else math.nan
    others = summary[summary["drug"] == "none"]
    extra = ", ".join(f"{a:g} pA/{s:g} ms {_pct(q)}" for a, s, q in
                      zip(others["amplitude_pA"], others["step_ms"],
                          others["rebound_probability"], strict=True))
    extra = f"; all steps without drug: {extra}" if len(others) > 1 else ""
    ok = p.get("none", 0.0) >= 0.75 and p.get("mibefradil", 1.0) <= 0.1
    return ClaimResult(
        "5", CLAIMS[5].title,
        f"-20 pA/500 ms: rebound burst in {_pct(p.get('none', math.nan))} of cells "
        f"({spikes:.1f} spikes), with ketamine 10 uM {_pct(p.get('ketamine', math.nan))}, "
        f"with mibefradil 2 uM {_pct(p.get('mibefradil', math.nan))}{extra}",
        "rebound burst within 300 ms of release in >= 75 % of cells at -20 pA/500 ms; "
        "T-driven: <= 10 % with mibefradil 2 uM",
        bool(ok))


def _claim6(mode_map) -> ClaimResult:
    summary = mode_map_summary(mode_map)
    doses = sorted(summary["ketamine_uM"].unique())
    counts = {d: summary.loc[summary["ketamine_uM"] == d, "mode"].value_counts().to_dict()
              for d in doses}
    free = counts[doses[0]]
    all_modes = all(free.get(m, 0) > 0 for m in analysis.MODES)
    n_burst = [counts[d].get("burst", 0) for d in doses]
    moved = doses[0] == 0 and len(doses) > 1 and n_burst[-1] < n_burst[0]
    text = "; ".join(f"ketamine {d:g} uM: " + "/".join(str(counts[d].get(m, 0))
                                                      for m in analysis.MODES)
                     for d in doses)
    return ClaimResult(
        "6", CLAIMS[6].title,
        f"grid points silent/tonic/burst: {text} (of {len(summary) // len(doses)})",
        "silent, tonic and burst regions without drug; ketamine shrinks the burst region",
        bool(all_modes and moved))


def _claim8(panel, mode_map) -> ClaimResult:
    no_nmda = mode_map[mode_map["g_NMDA_mS_cm2"] == 0]
    top = float(mode_map["ketamine_uM"].max())
    blocked = mode_map[mode_map["ketamine_uM"] == top]
    control_ket = panel[(panel["condition"] == "control") & (panel["ketamine_uM"] > 0)]
    a = float(no_nmda["bursts_per_s"].max())
    b = float(blocked["bursts_per_s"].max())
    c = int((control_ket["mode"] == "burst").sum())
    ok = (a < RHYTHMIC_BURSTS_PER_S and not (no_nmda["mode"] == "burst").any()
          and top >= 10 and b < RHYTHMIC_BURSTS_PER_S and c == 0)
    k_o = mode_map["K_o_mM"]
    return ClaimResult(
        "8", CLAIMS[8].title,
        f"g_NMDA = 0, [K+]o {k_o.min():g}-{k_o.max():g} mM: max {a:.2f} bursts/s; "
        f"ketamine {top:g} uM over the map: max {b:.2f} bursts/s; control + ketamine "
        f"{', '.join(f'{d:g}' for d in sorted(control_ket['ketamine_uM'].unique()))} uM: "
        f"{c} burst-mode cells of {len(control_ket)}",
        f"< {RHYTHMIC_BURSTS_PER_S:g} bursts/s without NMDA and with ketamine 10 uM at every "
        "[K+]o and g_NMDA; ketamine creates no bursting in control cells",
        bool(ok))


def _claim9(jitter) -> ClaimResult:
    summary = jitter_summary(jitter).set_index("condition")
    created = ketamine_created_bursting(jitter)
    ctl, dep = summary.loc["control"], summary.loc["depressed"]
    never = 1 - float(created["created"].mean())
    ratio = (dep["frac_burst"] / ctl["frac_burst"] if ctl["frac_burst"] > 0
             else (math.inf if dep["frac_burst"] > 0 else math.nan))
    top = float(dep["max_dose_uM"])
    ok = (dep["frac_burst"] >= 0.5 and ratio >= 3 and top >= 10
          and dep["burst_cut"] >= 0.8 and never >= 0.95)
    ratio_text = (f"{ratio:.3g}x" if math.isfinite(ratio)
                  else "unbounded (no control cell bursts)" if ratio == math.inf else "n/a")
    modes = "; ".join(
        f"{cond} silent/tonic/burst {_pct(row['frac_silent'])}/{_pct(row['frac_tonic'])}/"
        f"{_pct(row['frac_burst'])}" for cond, row in summary.iterrows())
    return ClaimResult(
        "9", CLAIMS[9].title,
        f"{modes} (n = {int(dep['n_cells'])} per condition); depressed/control bursting "
        f"{ratio_text}; ketamine {top:g} uM cuts depressed bursting by "
        f"{_pct(dep['burst_cut'])}; ketamine creates no bursting in {_pct(never)} of cells",
        "depressed bursting >= 50 % and >= 3x control; ketamine 10 uM cuts it by >= 80 %; "
        "ketamine creates no bursting in >= 95 % of cells",
        bool(ok))


def run_validation(quick: bool = False, seed: int = DEFAULT_SEED, calibration: bool = True,
                   **simulate_options) -> list[ClaimResult]:
    """Run the protocols and judge docs/science.md claims 1-9 (7 on the trapping model).

    Parameters
    ----------
    quick : bool
        Small populations and 3 s runs (a fast smoke test); default: docs/science.md's
        sizes (20 cells x 5 s per condition, 100 jittered cells).
    seed : int
        Seed of the input and of the jitter.
    calibration : bool
        Also judge the quantities of :data:`habmodel.calibration.LITERATURE` that have a
        target range (rows ``C1, C2, ...`` after the claims; docs/calibration.md).
        They are measured on the built-in cell, without ``simulate_options``.
    **simulate_options
        Passed on to :func:`habmodel.simulate` (e.g. ``dt``, ``method``).

    Returns
    -------
    list of ClaimResult
        In claim order, then the calibration rows.

    Examples
    --------
    >>> from habmodel.validate import run_validation
    >>> results = run_validation(quick=True)   # doctest: +SKIP
    >>> [r.passed for r in results]            # doctest: +SKIP
    [True, True, True, True, True, True, True, True, True]
    """
    condition_values("depressed")  # fail early if the named conditions went away
    tables = _tables(_QUICK if quick else _FULL, seed, simulate_options)
    panel = tables["panel"]
    results = [_claim1(panel), _claim2(panel), _claim3(panel, tables["dose"]), _claim4(panel),
               _claim5(tables["rebound"]), _claim6(tables["map"]), _claim7(quick),
               _claim8(panel, tables["map"]), _claim9(tables["jitter"])]
    if calibration:
        from .calibration import calibration_claims, calibration_table

        jitter = tables["jitter"] if not simulate_options else None  # the built-in cell's
        rows = calibration_claims(calibration_table(quick=quick, seed=seed, jitter_table=jitter))
        results += [ClaimResult(**row) for row in rows]
    return results


def _claim7(quick: bool) -> ClaimResult:
    """Trapping (the kinetic ketamine model of :mod:`habmodel.trapping`)."""
    from .trapping import trapping_claim

    row = trapping_claim(quick=quick)
    number = row["claim"].partition(". ")[0]
    return ClaimResult(claim=number, description=CLAIMS[int(number)].title,
                       measured=row["measured"],
                       target=row["target"], passed=bool(row["passed"]))


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _label(result, link: str | None) -> str:
    if link and str(result.claim).isdigit() and int(result.claim) in CLAIMS:
        return claim_label(result.claim, link)
    return f"{_cell(result.claim)}. {_cell(result.description)}"


def validation_markdown(results, link: str | None = None) -> str:
    """The results as a Markdown table ``claim | measured | target | pass/FAIL``.

    ``link``: the path of ``docs/science.md`` seen from where the table is
    written; each claim then links to its definition there.
    """
    lines = ["| claim | measured | target | pass/FAIL |", "|---|---|---|---|"]
    for r in results:
        lines.append(f"| {_label(r, link)} | {_cell(r.measured)} | "
                     f"{_cell(r.target)} | {'pass' if r.passed else 'FAIL'} |")
    return "\n".join(lines) + "\n"


def reproduces_markdown(results, link: str | None = None) -> str:
    """The short table of the README, "What the model reproduces":
    ``claim | measured | target`` with a check mark or a cross."""
    lines = ["| claim | measured | target | |", "|---|---|---|---|"]
    for r in (r for r in results if str(r.claim).isdigit()):  # claims; calibration: docs
        lines.append(f"| {_label(r, link)} | {_cell(r.measured)} | {_cell(r.target)} | "
                     f"{'✓' if r.passed else '✗ FAIL'} |")
    return "\n".join(lines) + "\n"
