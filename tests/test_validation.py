"""Validation: the scientific claims of docs/science.md section 4 on real simulations.

Each test asserts a population statistic (20 seeded cells x 5 s unless stated)
against the target in ``docs/science.md``. If one of these fails,
the model no longer reproduces the science: do not loosen the bound, find out
which parameter change moved the cell (``docs/model.md`` explains the
mechanism).
"""

import numpy as np
import pytest
from brian2 import cm, mM, ms, msiemens, pA, second, uM

import habmodel
from habmodel.model.parameters import condition_values

pytestmark = [pytest.mark.slow, pytest.mark.validation]

N = 20
DURATION = 5 * second
SEED = 2026
# The panel of conditions, simulated together in one population (one run).
PANEL = {
    "control": ("control", {}),
    "depressed": ("depressed", {}),
    "depressed + ketamine 10 uM": ("depressed", {"ketamine": 10}),
    "depressed + AP5 50 uM": ("depressed", {"ap5": 50}),
    "depressed + mibefradil 2 uM": ("depressed", {"mibefradil": 2}),
}


@pytest.fixture(scope="module")
def panel():
    """Per-condition metrics from one simulation of all panel conditions."""
    names = list(PANEL)
    k_o = np.repeat([condition_values(PANEL[n][0])["K_o"] for n in names], N)
    drugs = {d: np.repeat([PANEL[n][1].get(d, 0.0) for n in names], N) * uM
             for d in ("ketamine", "ap5", "mibefradil")}
    result = habmodel.simulate("control", drugs=drugs, n_cells=N * len(names),
                               duration=DURATION, seed=SEED, overrides={"K_o": k_o * mM})
    return {name: {k: np.asarray(v)[i * N:(i + 1) * N] for k, v in result.metrics.items()}
            for i, name in enumerate(names)}


def _mean(values):
    values = np.asarray(values, float)
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def test_control_is_tonic_or_silent(panel):
    m = panel["control"]
    assert _mean(np.nan_to_num(m["burst_fraction"])) < 0.2, (
        f"control cells burst: burst fraction {m['burst_fraction']}")
    assert set(m["mode"]) <= {"tonic", "silent"}, f"control modes: {m['mode']}"
    firing = m["rate_hz"][m["mode"] != "silent"]
    assert len(firing) == 0 or 0.8 <= _mean(firing) <= 10.5, (  # docs/science.md: about 1-10 Hz
        f"control tonic rate {_mean(firing):.1f} Hz")


def test_depressed_bursts_rhythmically(panel):
    m = panel["depressed"]
    assert _mean(m["burst_fraction"]) >= 0.6, f"burst fraction {m['burst_fraction']}"
    assert 0.5 <= _mean(m["bursts_per_s"]) <= 10, f"bursts/s {m['bursts_per_s']}"
    assert 2 <= _mean(m["spikes_per_burst"]) <= 10, f"spikes/burst {m['spikes_per_burst']}"
    assert _mean(m["intraburst_hz"]) >= 100, f"intra-burst Hz {m['intraburst_hz']}"


@pytest.mark.parametrize("blocked", ["depressed + ketamine 10 uM", "depressed + AP5 50 uM"])
def test_nmda_block_suppresses_bursts(panel, blocked):
    before = _mean(panel["depressed"]["bursts_per_s"])
    after = _mean(panel[blocked]["bursts_per_s"])
    assert before > 0
    assert after <= 0.2 * before, f"{blocked}: burst rate {after:.2f}/s vs {before:.2f}/s"
    # docs/science.md claim 3 as written: the fraction of spikes in bursts drops by >= 80 %
    # (a silent population has no spikes in bursts), and the cells go silent or sparse tonic
    spikes_in_bursts = {k: _spikes_in_bursts(panel[k]) for k in ("depressed", blocked)}
    assert spikes_in_bursts[blocked] <= 0.2 * spikes_in_bursts["depressed"], spikes_in_bursts
    assert set(panel[blocked]["mode"]) <= {"silent", "tonic"}, panel[blocked]["mode"]


def _spikes_in_bursts(m) -> float:
    """Fraction of all the population's spikes that are in bursts (0 without spikes)."""
    n = np.asarray(m["n_spikes"], float)
    in_bursts = np.nan_to_num(np.asarray(m["burst_fraction"], float)) * n
    return float(in_bursts.sum() / n.sum()) if n.sum() > 0 else 0.0


def test_t_channel_block_abolishes_bursts(panel):
    m = panel["depressed + mibefradil 2 uM"]
    assert np.sum(m["bursts_per_s"]) == 0, f"bursts/s with mibefradil: {m['bursts_per_s']}"


def test_bursting_needs_nmda_at_every_k_o():
    """No rhythmic bursting (>= 0.5 bursts/s) without NMDA, at [K+]o 2-5 mM."""
    k_o = np.arange(2.0, 5.01, 0.25)
    n = len(k_o)
    zeros, full = np.zeros(n), np.full(n, 1.0)
    result = habmodel.simulate(
        "control", n_cells=3 * n, duration=DURATION, seed=SEED,
        drugs={"ketamine": np.r_[zeros, 10 * full, zeros] * uM,
               "ap5": np.r_[zeros, zeros, 50 * full] * uM},
        overrides={"K_o": np.tile(k_o, 3) * mM,
                   "g_NMDA": np.r_[zeros, 2.3 * full, 2.3 * full] * msiemens / cm**2})
    bps = result.metrics["bursts_per_s"]
    assert np.all(bps < 0.5), (
        f"rhythmic bursting without NMDA: g_NMDA=0 {bps[:n]}, ketamine 10 uM {bps[n:2 * n]}, "
        f"AP5 50 uM {bps[2 * n:]} at K_o {k_o}")


def test_ketamine_never_creates_bursting_in_control():
    doses = np.array([0.0, 0.3, 1.0, 3.0, 10.0, 30.0])
    result = habmodel.simulate("control", n_cells=len(doses), duration=DURATION, seed=SEED,
                               drugs={"ketamine": doses * uM})
    modes = result.metrics["mode"]
    by_dose = dict(zip(doses, modes, strict=True))
    assert "burst" not in set(modes), f"control + ketamine modes {by_dose}"


def test_rebound_burst_after_hyperpolarising_step():
    """Release from a -20 pA, 500 ms step gives a rebound burst; T block abolishes it."""
    drugs = {"ketamine": [0, 10, 0] * uM, "mibefradil": [0, 0, 2] * uM}
    result = habmodel.simulate(
        "control", n_cells=3, duration=2 * second, seed=SEED, drugs=drugs,
        overrides={"I_step": -20 * pA, "step_start": 500 * ms, "step_stop": 1000 * ms})
    release = 1.0

    def rebound(cell):
        spikes = result.spikes_s[cell]
        after = spikes[(spikes >= release) & (spikes < release + 0.3)]
        return len(after) >= 2 and np.all(np.diff(after[:2]) <= 0.020)

    assert rebound(0), f"no rebound burst: {result.spikes_s[0]}"
    assert rebound(1), "the rebound burst is T-driven and must survive NMDA block"
    assert not rebound(2), "T-channel block must abolish the rebound burst"
