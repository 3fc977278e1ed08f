"""The circuit protocols: LHb population (fast engine, or Brian2 in the network) -> RMTg ->
VTA, per condition."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model.inputs import check_int
from ..model.units import to_display
from .metrics import pause_after, population_summary
from .network import DEFAULT_CIRCUIT, SETTLE_S, CircuitParameters, run_downstream

__all__ = ["CircuitArm", "CircuitResult", "run_circuit", "standard_arms", "rate_matched_tonic",
           "ketamine_dose_response", "volley_pause"]

DEFAULT_SEED = 2026


@dataclass(frozen=True)
class CircuitArm:
    """One circuit: its LHb condition and drugs (``{"ketamine": "1 uM"}``), or, with
    ``tonic_like`` set to another arm's label, Poisson-like tonic LHb trains with the
    same per-cell spike counts as that arm (the rate-matched control)."""

    label: str
    condition: str = "depressed"
    drugs: Mapping = field(default_factory=dict)
    tonic_like: str | None = None


@dataclass
class CircuitResult:
    """What :func:`run_circuit` produced: spikes per arm and population, the dopamine
    readout and a tidy summary (one row per arm and population)."""

    arms: list[CircuitArm]
    duration_s: float
    seed: int
    params: CircuitParameters
    spikes: dict  # {arm label: {"LHb"|"RMTg"|"VTA": [array of spike times (s) per cell]}}
    da_t_s: np.ndarray
    da_nM: dict  # {arm label: array}
    summary: pd.DataFrame
    #: the dopamine pause after synchronous LHb volleys (:func:`volley_pause`'s table), when
    #: ``run_circuit(volleys=...)`` ran them in the same network
    pauses: pd.DataFrame | None = None

    def spikes_table(self) -> pd.DataFrame:
        """Tidy spikes: ``arm, population, cell, time_s``."""
        rows = []
        for arm, pops in self.spikes.items():
            for pop, cells in pops.items():
                for k, t in enumerate(cells):
                    rows.append(pd.DataFrame({"arm": arm, "population": pop, "cell": k,
                                              "time_s": np.asarray(t, float)}))
        cols = ["arm", "population", "cell", "time_s"]
        return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)


def standard_arms(ketamine_doses=(0.3, 1.0, 3.0, 10.0)) -> list[CircuitArm]:
    """Control, depressed, its rate-matched tonic control, depressed + ketamine (each
    dose, uM) and depressed + mibefradil 2 uM."""
    arms = [CircuitArm("control", "control"), CircuitArm("depressed", "depressed"),
            CircuitArm("depressed, rate-matched tonic", "depressed", tonic_like="depressed")]
    arms += [CircuitArm(f"depressed + ketamine {d:g} uM", "depressed", {"ketamine": f"{d:g} uM"})
             for d in ketamine_doses]
    arms.append(CircuitArm("depressed + mibefradil 2 uM", "depressed", {"mibefradil": "2 uM"}))
    return arms


def rate_matched_tonic(trains, duration_s: float, rng: np.random.Generator,
                       order: int = 4) -> list[np.ndarray]:
    """Tonic trains with the same spike count per cell as ``trains``: gamma-renewal
    intervals of shape ``order`` (more regular than Poisson, so few chance 'bursts'),
    scaled so that exactly that many spikes fall in ``(0, duration_s)``."""
    out = []
    for t in trains:
        n = len(t)
        if n == 0:
            out.append(np.zeros(0))
            continue
        isi = rng.gamma(order, 1.0, size=n + 1)
        isi *= duration_s / isi.sum()  # n spikes in (0, duration), the last interval open
        out.append(np.cumsum(isi)[:n])
    return out


def run_circuit(arms: Sequence[CircuitArm] | None = None, *, n_lhb: int = 100,
                duration="10 s", seed: int = DEFAULT_SEED, jitter: float = 0.2,
                params: CircuitParameters = DEFAULT_CIRCUIT, overrides=None,
                warmup="1 s", progress: bool = False, lhb: str = "spikes",
                volleys=None) -> CircuitResult:
    """Simulate the LHb population of each arm with habmodel's fast engine, then the
    RMTg and VTA populations it drives (all arms in one Brian2 network).

    Parameters
    ----------
    arms : sequence of CircuitArm
        Default :func:`standard_arms`.
    n_lhb : int
        LHb cells per arm (heterogeneous: every conductance jittered by ``jitter``).
    duration, warmup : quantity or str
        Recorded time; ``warmup`` is simulated first in the LHb (its trains start at 0).
    seed : int
        Seed of the LHb input and jitter and of the downstream connectivity.
    params : CircuitParameters
        The downstream circuit (``params.with_(w_gaba=...)`` to change it).
    overrides : dict, optional
        LHb model parameter overrides (as for :func:`habmodel.simulate`).
    lhb : {"spikes", "group"}
        ``"spikes"`` (default): the LHb cells are simulated first (fast engine) and their
        spikes replayed into the network. ``"group"``: they are simulated inside the
        network, one :func:`habmodel.brian2_group` per arm (Brian2, slower; the same cells
        and input, so the same LHb spikes up to the engines' rounding). Their warm-up is
        then the circuit's settling period, so ``warmup`` must be 1 s, and rate-matched
        arms (which need the LHb spikes beforehand) are refused.
    volleys : sequence of int, optional
        Also measure the dopamine pause after synchronous LHb volleys of these numbers of
        pulses (:func:`volley_pause` with its defaults), in the same Brian2 network as the
        arms: one run instead of two, the same table (``result.pauses``) as
        ``volley_pause(result, volleys)``. Only with ``lhb="spikes"``.
    """
    from ..simulation import simulate

    arms = list(standard_arms() if arms is None else arms)
    if not arms:
        raise ValueError("arms: expected at least one CircuitArm")
    labels = [a.label for a in arms]
    if len(set(labels)) != len(labels):
        raise ValueError("arms: labels must be unique")
    n_lhb = check_int("n_lhb", n_lhb, 1, 100_000)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    duration_s = to_display(duration, "s", "duration")
    if not 0 < duration_s <= 3600:
        raise ValueError(f"duration: expected a positive time up to 1 h, got {duration!r}")
    if not isinstance(params, CircuitParameters):
        raise ValueError("params: expected a CircuitParameters")
    if lhb not in ("spikes", "group"):
        raise ValueError(f"lhb: expected 'spikes' or 'group', got {lhb!r}")
    if volleys is not None:  # checked before anything is simulated
        _volley_circuits({}, [], volleys, duration_s)
    if lhb == "group":
        if volleys is not None:
            raise ValueError("volleys: the volleys replay the LHb spikes, which lhb='group' "
                             "has only after the run; call volley_pause(result) instead")
        down = _in_network(arms, n_lhb, duration_s, seed, jitter, params, overrides, warmup)
        trains = {a.label: down["lhb"][k] for k, a in enumerate(arms)}
        return _result(arms, duration_s, seed, params, trains, down)
    trains = {}
    for arm in arms:
        if arm.tonic_like is not None:
            continue
        result = simulate(arm.condition, drugs=dict(arm.drugs) or None, n_cells=n_lhb,
                          duration=duration, seed=seed, jitter=jitter, overrides=overrides,
                          warmup=warmup, progress=progress)
        trains[arm.label] = [np.asarray(s, float) for s in result.spikes_s]
    rng = np.random.default_rng([seed, 0x7091C])
    for arm in arms:
        if arm.tonic_like is not None:
            if arm.tonic_like not in trains:
                raise ValueError(f"arms: {arm.label!r} is rate-matched to {arm.tonic_like!r}, "
                                 "which is not a simulated arm")
            trains[arm.label] = rate_matched_tonic(trains[arm.tonic_like], duration_s, rng)
    circuits = [trains[a.label] for a in arms]
    if volleys is not None:
        extra, keys, onsets = _volley_circuits(trains, labels, volleys, duration_s)
        circuits += extra
    down = run_downstream(circuits, duration_s, seed, params)
    result = _result(arms, duration_s, seed, params, trains, down)
    if volleys is not None:
        result.pauses = _pauses(keys, onsets, down["vta"][len(arms):])
    return result


def _in_network(arms, n_lhb, duration_s, seed, jitter, params, overrides, warmup) -> dict:
    """The downstream run with each arm's LHb cells simulated in the network."""
    import brian2 as b2

    from ..engines.group import brian2_group
    from ..engines.runtime import compiled_code_class

    if any(a.tonic_like is not None for a in arms):
        raise ValueError("arms: a rate-matched arm replays another arm's LHb spikes, which "
                         "lhb='group' has only after the run; use lhb='spikes'")
    if abs(to_display(warmup, "s", "warmup") - SETTLE_S) > 1e-9:
        raise ValueError(f"warmup: with lhb='group' the LHb cells warm up during the "
                         f"circuit's {SETTLE_S:g} s settling period; expected {SETTLE_S:g} s, "
                         f"got {warmup!r}")
    code = compiled_code_class()
    groups = [brian2_group(n_lhb, a.condition, drugs=dict(a.drugs) or None,
                           overrides=overrides, seed=seed, jitter=jitter, name=f"lhb_{k}",
                           codeobj_class=code) for k, a in enumerate(arms)]
    for group in groups:
        group.t_offset = SETTLE_S * b2.second  # time 0 of a step protocol: the recording's
    return run_downstream(None, duration_s, seed, params, lhb_groups=groups)


def _result(arms, duration_s, seed, params, lhb, down) -> CircuitResult:
    spikes = {a.label: {"LHb": lhb[a.label], "RMTg": down["rmtg"][k], "VTA": down["vta"][k]}
              for k, a in enumerate(arms)}
    da = {a.label: down["da_nM"][k] for k, a in enumerate(arms)}
    rows = []
    for a in arms:
        for row in population_summary(spikes[a.label], duration_s, da[a.label]):
            rows.append({"arm": a.label, "condition": a.condition,
                         "ketamine_uM": _uM(a.drugs.get("ketamine", 0)),
                         "mibefradil_uM": _uM(a.drugs.get("mibefradil", 0)),
                         "rate_matched": a.tonic_like is not None, **row})
    return CircuitResult(arms, duration_s, seed, params, spikes, down["da_t_s"], da,
                         pd.DataFrame(rows))


def _uM(value) -> float:
    return 0.0 if value in (0, None) else float(to_display(value, "uM", "drug"))


def ketamine_dose_response(result: CircuitResult) -> dict:
    """VTA rate against ketamine dose in the depressed arms, and the dose that restores half
    of the gap between depressed and control (interpolated on a log axis; ``nan`` if the
    doses never restore half)."""
    s = result.summary[(result.summary["population"] == "VTA") & ~result.summary["rate_matched"]]
    control = s[s["condition"] == "control"]["rate_hz"]
    dep = s[(s["condition"] == "depressed") & (s["mibefradil_uM"] == 0)]
    dep = dep.sort_values("ketamine_uM")
    doses, rates = dep["ketamine_uM"].to_numpy(float), dep["rate_hz"].to_numpy(float)
    out = {"doses_uM": doses, "vta_rate_hz": rates, "half_restoring_uM": math.nan,
           "control_rate_hz": float(control.iloc[0]) if len(control) else math.nan}
    if not len(doses) or doses[0] != 0 or not len(control):
        return out
    gap = out["control_rate_hz"] - rates[0]
    restored = (rates - rates[0]) / gap if gap > 0 else np.zeros_like(rates)
    out["restored_fraction"] = restored
    above = np.flatnonzero(restored >= 0.5)
    if above.size and above[0] > 0:
        k = above[0]
        lo, hi = max(doses[k - 1], doses[1] / 10 if k == 1 else doses[k - 1]), doses[k]
        f0, f1 = restored[k - 1], restored[k]
        x = math.log(lo) + (0.5 - f0) / (f1 - f0) * (math.log(hi) - math.log(lo))
        out["half_restoring_uM"] = float(math.exp(x))
    return out


def volley_pause(result: CircuitResult, n_pulses=(1, 5), *, rate_hz: float = 100.0,
                 every_s: float = 0.5) -> pd.DataFrame:
    """The dopamine pause after a synchronous LHb volley, per arm (Ji & Shepard 2007:
    one electrical pulse to the LHb pauses dopamine neurons for about 85 ms).

    Every ``every_s`` from ``every_s`` on, every LHb cell of the arm fires ``n`` extra
    spikes at ``rate_hz`` (``n = 1``: one pulse; 5 at 100 Hz: a burst given to all cells at
    once), on top of its own spikes; the same downstream circuit (``result.params``, the
    seed of ``result``) is run again with these trains. Arms replayed as tonic trains use
    their replayed trains. Returns a tidy table ``arm, n_pulses, pause_ms, baseline_hz,
    rebound_hz`` (:func:`habmodel.circuit.pause_after`); nan where the run is too short
    for a volley and the 0.4 s after it.
    """
    labels = [a.label for a in result.arms]
    lhb = {label: result.spikes[label]["LHb"] for label in labels}
    trains, keys, onsets = _volley_circuits(lhb, labels, n_pulses, result.duration_s,
                                            rate_hz, every_s)
    vta = run_downstream(trains, result.duration_s, result.seed,
                         result.params)["vta"] if trains else []
    return _pauses(keys, onsets, vta)


_PAUSE_COLUMNS = ["arm", "n_pulses", "pause_ms", "baseline_hz", "rebound_hz"]


def _volley_circuits(lhb: dict, labels, n_pulses, duration_s: float, rate_hz: float = 100.0,
                     every_s: float = 0.5):
    """The LHb trains of each arm with the volleys added: ``(circuits, keys, onsets)``, one
    circuit per (arm, number of pulses) in ``keys``; none when no volley fits the run."""
    counts = [check_int("n_pulses", n, 1, 50) for n in np.atleast_1d(n_pulses)]
    if not 1.0 <= float(rate_hz) <= 1000.0:
        raise ValueError(f"rate_hz: expected 1-1000 Hz, got {rate_hz!r}")
    if not 0.05 <= float(every_s) <= 3600:
        raise ValueError(f"every_s: expected 0.05-3600 s, got {every_s!r}")
    onsets = np.arange(every_s, duration_s - 0.4, every_s)  # 0.4 s window after each
    keys = [(label, n) for n in counts for label in labels]
    if onsets.size == 0:  # too short a run: no volley fits, nothing to measure
        return [], keys, onsets
    circuits = []
    for label, n in keys:
        volley = np.concatenate([onsets + k / rate_hz for k in range(n)])
        circuits.append([np.sort(np.r_[np.asarray(t, float), volley]) for t in lhb[label]])
    return circuits, keys, onsets


def _pauses(keys, onsets, vta) -> pd.DataFrame:
    if onsets.size == 0:
        rows = [{"arm": label, "n_pulses": n, **pause_after(onsets, [])} for label, n in keys]
    else:
        rows = [{"arm": label, "n_pulses": n, **pause_after(onsets, cells)}
                for (label, n), cells in zip(keys, vta, strict=True)]
    return pd.DataFrame(rows, columns=_PAUSE_COLUMNS)
