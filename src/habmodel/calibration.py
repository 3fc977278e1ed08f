"""The model against the literature: published values, the model's values, their ratio.

:data:`LITERATURE` lists every quantity with a published value that the model
can be compared with (docs/calibration.md explains each source);
:func:`measure_model` measures the model's value of each on fresh simulations
(the fast engine, or the kinetic scheme of :mod:`habmodel.trapping`), and
:func:`calibration_table` joins the two with their ratio and whether the model
lies in the quantity's target range (where the literature gives one).
``habmodel calibrate`` prints the table; :func:`calibration_claims` turns the
rows with a target range into rows of ``habmodel validate``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Reference", "LITERATURE", "measure_model", "calibration_table",
           "calibration_markdown", "calibration_claims"]


@dataclass(frozen=True)
class Reference:
    """One published quantity.

    ``low``/``high`` give the target range the model must meet (``None``: the
    value is reported, not tested, e.g. because it could not be confirmed);
    ``value`` is the published number used for the ratio (``None`` when the source
    gives no number). ``confirmed`` is False where the number was recalled or
    could not be found in the source's retrieved text.
    """

    key: str
    quantity: str
    unit: str
    published: str
    value: float | None
    low: float | None
    high: float | None
    source: str
    confirmed: bool
    command: str


_V = "habmodel calibrate"
_GILLING = ("Gilling et al. 2009, Neuropharmacology 56:866, abstract (human GluN1/2A, 0 Mg2+); "
            "doi:10.1016/j.neuropharm.2009.01.012 (DOI not confirmed)")
_KJ = "Kotermanski & Johnson 2009, J Neurosci 29:2774, doi:10.1523/JNEUROSCI.4593-08.2009"
_WV = "Weiss & Veh 2011, Neuroscience 172:74, doi:10.1016/j.neuroscience.2010.10.047, abstract"
_YANG = "Yang et al. 2018, Nature 554:317, doi:10.1038/nature25509"
_CUI = "Cui et al. 2018, Nature 554:323, doi:10.1038/nature25752"
_MA = "Ma et al. 2023, Nature 622:802, doi:10.1038/s41586-023-06624-1, abstract"

#: The published quantities (docs/calibration.md gives the details of each source).
LITERATURE = (
    Reference("rest_tonic", "resting potential, tonic LHb neuron (model: control, NMDA off)",
              "mV", "not found in the retrieved text", None, None, None, _WV, False, _V),
    Reference("rest_burst", "resting potential, bursting LHb neuron (model: depressed, "
              "NMDA off)", "mV", "more hyperpolarised than tonic cells (no number found)",
              None, None, None, _CUI, False, _V),
    Reference("burst_trough", "most negative potential between bursts (depressed)", "mV",
              "not found", None, None, None, _YANG, False, _V),
    Reference("input_resistance", "input resistance (control, NMDA off, -10 pA)", "MOhm",
              "'high' (no number found)", None, None, None, _WV, False, _V),
    Reference("tau_m", "membrane time constant (control, NMDA off, -10 pA)", "ms",
              "'long' (no number found)", None, None, None, _WV, False, _V),
    Reference("sag", "sag ratio, -50 pA for 1 s (control, NMDA off)", "1",
              "present: time-dependent inward rectification", None, 0.02, None, _WV, True, _V),
    Reference("rebound_spikes", "spikes in the rebound burst after -20 pA / 500 ms", "1",
              "rebound bursts after hyperpolarisation", None, 2.0, None, _WV, True, _V),
    Reference("spikes_per_burst", "spikes per burst (depressed)", "1",
              "not confirmed in the figures (claim 2 target 2-10)", None, 2.0, 10.0, _YANG,
              False, _V),
    Reference("intraburst_hz", "intra-burst frequency (depressed)", "Hz",
              "not confirmed (claim 2 target >= 100 Hz)", None, 100.0, None, _YANG, False, _V),
    Reference("bursts_per_s", "burst frequency (depressed)", "Hz",
              "not confirmed (claim 2 target 0.5-10 Hz)", None, 0.5, 10.0, _YANG, False, _V),
    Reference("burst_fraction_control", "fraction of bursting cells, control (jittered, 100)",
              "1", "increased in depressed animals (per-mode numbers not found)", None, None,
              None, _YANG, False, _V),
    Reference("burst_fraction_depressed", "fraction of bursting cells, depressed", "1",
              "increased in depressed animals (per-mode numbers not found)", None, None, None,
              _YANG, False, _V),
    Reference("k_o_control", "extracellular K+ (model: perisomatic, control)", "mM",
              "about 3 mM in brain extracellular fluid (textbook, 2.5-3.5)", 3.0, None, None,
              "textbook value [lit]", True, _V),
    Reference("delta_e_k", "E_K shift from the Kir4.1 change (control - depressed)", "mV",
              "hyperpolarisation set by the Kir4.1 level (no number found)", None, None, None,
              _CUI, False, _V),
    Reference("ket_ic50_0mg", "ketamine IC50, 0 Mg2+, -70 mV (kinetic scheme)", "uM",
              "0.71 uM (Hill 0.84)", 0.71, 0.3, 1.6, _GILLING, True, _V),
    Reference("ket_ic50_mg", "ketamine IC50, 1 mM Mg2+, -66 mV (kinetic scheme)", "uM",
              "about 5 uM for GluN1/2A and 2B (recalled, not checked)", 5.2, 2.0, 12.0, _KJ,
              False, _V),
    Reference("ket_mg_shift", "Mg2+ (1 mM) rise of the ketamine IC50 at -66 mV", "1",
              "about 16x for GluN2A/2B, 2.5-4x for 2C/2D (recalled, not checked)", None, 2.0,
              16.0, _KJ, False, _V),
    Reference("ket_ic50_slope", "change of the IC50 (1 mM Mg2+) from -90 to -30 mV", "1",
              "rises with depolarisation (voltage-dependent block, delta 0.79)", None, 1.0,
              None, _GILLING, True, _V),
    Reference("k_on", "ketamine on-rate of an open channel", "1/(uM s)", "0.15 +- 0.05", 0.15,
              0.1, 0.3, _GILLING, True, _V),
    Reference("k_off", "ketamine off-rate of an open-blocked channel, -70 mV", "1/s",
              "0.22 +- 0.05", 0.22, 0.1, 0.5, _GILLING, True, _V),
    Reference("human_cmax", "plasma ketamine after 0.5 mg/kg over 40 min (human preset)", "uM",
              "185 ng/ml = 0.78 uM", 0.78, 0.5, 1.2,
              "Zanos et al. 2018, Pharmacol Rev 70:621, Table 1", True, _V),
    Reference("mouse_half_life", "ketamine elimination half-life, mouse preset", "min",
              "13 min", 13.0, 10.0, 20.0, _MA, True, _V),
    Reference("ap5_ic50", "D-AP5 IC50", "uM", "3.7 uM (vs 40 uM NMDA)", 3.7, None, None,
              "Lodge et al. 1988", True, _V),
    Reference("mibefradil_2um", "T-current left at 2 uM mibefradil", "1",
              "complete block of I_T at >= 2 uM (thalamic neurons)", None, None, 0.05,
              "Broicher et al. 2007", True, _V),
    Reference("block_24h", "NMDA block 24 h after one mouse dose (10 mg/kg i.p.), simulated "
              "cell", "1", "block and burst suppression last up to 24 h", None, None, None,
              _MA, True, "habmodel calibrate (docs/calibration.md: the one-day result)"),
)


# --- the model's values ----------------------------------------------------------------------

def _run(condition, duration, overrides=None, seed=1, **kw):
    from . import simulate

    return simulate(condition, n_cells=kw.pop("n_cells", 1), duration=duration, seed=seed,
                    record_v=True, overrides=overrides, **kw)


def _passive(seed: int) -> dict:
    """Rest, input resistance, time constant and sag of the cell with NMDA off."""
    out = {}
    for cond, key in (("control", "rest_tonic"), ("depressed", "rest_burst")):
        r = _run(cond, "1 s", {"g_NMDA": "0 nS/um**2"}, seed, warmup="2 s")
        out[key] = float(np.mean(r.v_mV[0]))
    step = {"g_NMDA": "0 nS/um**2", "I_step": "-10 pA", "step_start": "500 ms",
            "step_stop": "1500 ms"}
    r = _run("control", "1.6 s", step, seed, warmup="2 s", record_dt="0.1 ms")
    t, v = r.t_s, r.v_mV[0]
    base = float(np.mean(v[(t > 0.3) & (t < 0.5)]))
    ss = float(np.mean(v[(t > 1.4) & (t < 1.5)]))
    out["input_resistance"] = (ss - base) / -10.0 * 1e3  # mV per pA = GOhm -> MOhm
    during = (t >= 0.5) & (t < 1.5)
    reached = np.flatnonzero(v[during] <= base + 0.632 * (ss - base))
    out["tau_m"] = float(t[during][reached[0]] - 0.5) * 1e3 if reached.size else math.nan
    sag = {**step, "I_step": "-50 pA"}
    r = _run("control", "1.6 s", sag, seed, warmup="2 s", record_dt="0.1 ms")
    v = r.v_mV[0]
    peak, ss = float(np.min(v[during])), float(np.mean(v[(t > 1.4) & (t < 1.5)]))
    out["sag"] = (ss - peak) / (base - peak) if base > peak else math.nan
    return out


def _firing(seed: int, n_cells: int, duration: str) -> dict:
    dep = _run("depressed", duration, None, seed, n_cells=n_cells)
    m = dep.metrics
    out = {key: float(np.nanmean(m[key])) for key in
           ("spikes_per_burst", "intraburst_hz", "bursts_per_s")}
    out["burst_trough"] = float(np.min(dep.v_mV))
    reb = _run("control", "1.3 s", {"I_step": "-20 pA", "step_start": "500 ms",
                                    "step_stop": "1000 ms"}, seed, n_cells=n_cells)
    counts = [np.count_nonzero((s >= 1.0) & (s < 1.3)) for s in reb.spikes_s]
    out["rebound_spikes"] = float(np.mean(counts))
    return out


def _population(seed: int, n_cells: int, table=None) -> dict:
    from . import experiments

    if table is None:
        table = experiments.jittered_population(0.2, n_cells=n_cells, seed=seed,
                                                ketamine_doses=("0 uM",), duration="3 s")
    table = table[table["ketamine_uM"] == 0]
    frac = table.assign(b=table["mode"] == "burst").groupby("condition")["b"].mean()
    return {"burst_fraction_control": float(frac["control"]),
            "burst_fraction_depressed": float(frac["depressed"])}


def _pharmacology() -> dict:
    from .model.parameters import condition_values
    from .model.units import unit_of
    from .trapping import block_rates, ic50_at
    from .trapping.pharmacokinetics import SPECIES, regimen

    def um(q):
        return float(q / unit_of("uM"))

    ctl, dep = condition_values("control"), condition_values("depressed")
    kt = 8.617333262e-5 * ctl["temperature"] * 1e3  # mV
    ic_mg = [um(ic50_at(f"{v} mV")) for v in (-90, -66, -30)]
    ic_0 = um(ic50_at("-66 mV", overrides={"Mg_o": "0 mM"}))
    human = regimen(None, "human").time_course("6 h", step="1 min")
    mib = ctl["mibefradil_IC50"], ctl["mibefradil_hill"]
    return {
        "k_o_control": float(ctl["K_o"]),
        "delta_e_k": float(kt * math.log(ctl["K_o"] / dep["K_o"])),
        "ket_ic50_0mg": um(ic50_at("-70 mV", overrides={"Mg_o": "0 mM"})),
        "ket_ic50_mg": ic_mg[1], "ket_mg_shift": ic_mg[1] / ic_0,
        "ket_ic50_slope": ic_mg[2] / ic_mg[0],
        "k_on": float(ctl["k_on_ket"]),
        "k_off": block_rates("-70 mV", overrides={"Mg_o": "0 mM"})["k_unblock_hz"],
        "human_cmax": float(human["plasma_uM"].max()),
        "mouse_half_life": SPECIES["mouse"].half_life_s / 60.0,
        "ap5_ic50": float(ctl["ap5_IC50"]),
        "mibefradil_2um": 1.0 / (1.0 + (2.0 / mib[0]) ** mib[1]),
    }


def _one_day(seed: int, quick: bool) -> dict:
    from .trapping import day_course, firing_mode_table
    from .trapping.oneday import one_dose_summary

    table = firing_mode_table({"quiet": {}}, (0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
                              n_cells=2 if quick else 6, window="2 s" if quick else "4 s",
                              seed=seed)
    course = day_course("mouse", arms={"no stimulation": []}, table=table, step="10 min")
    row = one_dose_summary(course, (24.0,)).iloc[0]
    return {"block_24h": float(row["blocked"])}


def measure_model(quick: bool = False, seed: int = 2026, *, jitter_table=None) -> dict:
    """The model's value of each quantity of :data:`LITERATURE` (plain floats, their units).

    ``quick``: 4 cells x 3 s instead of 20 cells x 5 s, 20 jittered cells
    instead of 100, and a coarser firing-mode table for the one-day block.
    ``jitter_table``: a :func:`habmodel.experiments.jittered_population` table already
    simulated (``habmodel validate`` passes claim 9's), read instead of a new one.
    """
    n, duration, pop = (4, "3 s", 20) if quick else (20, "5 s", 100)
    return {**_passive(seed), **_firing(seed, n, duration),
            **_population(seed, pop, jitter_table),
            **_pharmacology(), **_one_day(seed, quick)}


def calibration_table(values: dict | None = None, *, quick: bool = False,
                      seed: int = 2026, jitter_table=None) -> pd.DataFrame:
    """:data:`LITERATURE` with the model's values (measured here unless ``values`` given).

    Columns: ``key, quantity, unit, published, source, confirmed, model, ratio``
    (model / published value, NaN where the source gives no number), ``target``
    (the range, or "") and ``in_range`` (None where there is no target).
    """
    values = (measure_model(quick, seed, jitter_table=jitter_table) if values is None
              else values)
    rows = []
    for ref in LITERATURE:
        model = float(values[ref.key])
        ratio = model / ref.value if ref.value else math.nan
        has = ref.low is not None or ref.high is not None
        ok = ((ref.low is None or model >= ref.low) and (ref.high is None or model <= ref.high)
              if has and math.isfinite(model) else (False if has else None))
        target = ("" if not has else f">= {ref.low:g}" if ref.high is None
                  else f"<= {ref.high:g}" if ref.low is None else f"{ref.low:g}-{ref.high:g}")
        rows.append({"key": ref.key, "quantity": ref.quantity, "unit": ref.unit,
                     "published": ref.published, "source": ref.source,
                     "confirmed": ref.confirmed, "model": model, "ratio": ratio,
                     "target": target, "in_range": ok, "command": ref.command})
    return pd.DataFrame(rows)


def calibration_markdown(table: pd.DataFrame) -> str:
    """The table as Markdown (one row per quantity)."""
    lines = ["| quantity | published | source | model | ratio | target | in range |",
             "|---|---|---|---|---|---|---|"]
    for row in table.itertuples():
        ratio = f"{row.ratio:.2g}" if math.isfinite(row.ratio) else "n/a"
        mark = "" if row.confirmed else " (not confirmed)"
        ok = {None: "", True: "yes", False: "NO"}[row.in_range]
        lines.append(f"| {row.quantity} [{row.unit}] | {row.published}{mark} | {row.source} "
                     f"| {row.model:.3g} | {ratio} | {row.target} | {ok} |")
    return "\n".join(lines) + "\n"


def calibration_claims(table: pd.DataFrame) -> list[dict]:
    """Rows of ``habmodel validate`` for the quantities with a target range."""
    out = []
    for i, row in enumerate(table[table["target"] != ""].itertuples(), start=1):
        out.append({"claim": f"C{i}", "description": f"Calibration: {row.quantity}",
                    "measured": f"{row.model:.3g} {row.unit}",
                    "target": f"{row.target} {row.unit} ({row.published}; {row.source})",
                    "passed": bool(row.in_range)})
    return out
