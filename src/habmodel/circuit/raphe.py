"""The dorsal raphe in Brian2: LHb and RMTg spike trains -> DR GABA and serotonin neurons.

The lateral habenula inhibits the serotonin (5-HT) neurons of the dorsal raphe (DR):
stimulating the habenula silences them (Wang & Aghajanian 1977, Science 197:89), mostly
through GABA, the DR's own GABA interneurons, which LHb glutamate excites (Varga et al.
2003, Eur J Neurosci 17:280), and the RMTg, whose GABA neurons also project to the DR
(Jhou et al. 2009, J Comp Neurol 513:566; Sego et al. 2014, PLoS One 9:e90563). The model:

* **5-HT neurons**: slow, regular pacemakers (Vandermaelen & Aghajanian 1983, Brain Res
  289:109: 0.5-2.5 Hz in slices and in vivo): a conductance-based leaky integrate-and-fire
  cell with a bias current above threshold and a spike-triggered afterhyperpolarisation
  (the long AHP that sets their slow rhythm), plus background Poisson synaptic noise.
* **DR GABA neurons**: leaky integrate-and-fire cells, quiet without input, excited by the
  LHb (AMPA-like).
* **RMTg -> 5-HT** and **DR GABA -> 5-HT**: GABA-A.
* **Serotonin readout**: each 5-HT spike releases a fixed amount (averaged over the
  population), cleared by first-order reuptake, like the dopamine readout.

Every number is an assumption of this model unless docs/reward_task.md gives a source. The
DR runs in a network of its own after the LHb -> RMTg -> VTA circuit, from the LHb and RMTg
spikes replayed (nothing feeds back from the DR to the circuit, so the result is the same as
one network). Several circuits run side by side, each with its own cells; the connectivity,
the cell-to-cell differences and the background noise come from the seed and are the same
in every circuit, like :func:`habmodel.circuit.run_downstream`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import first_order_filter
from .network import SETTLE_S, connect
from .parameters import ParameterSet

__all__ = ["RapheParameters", "DEFAULT_RAPHE", "run_raphe", "serotonin_readout"]


@dataclass(frozen=True)
class RapheParameters(ParameterSet):
    """Parameters of the dorsal raphe model (plain floats, units in the names).

    Sources and which numbers are assumptions: docs/reward_task.md.
    """

    n_5ht: int = 60
    n_gaba: int = 40
    k_lhb_gaba: int = 10  # LHb inputs per DR GABA cell
    k_rmtg_5ht: int = 10  # RMTg inputs per 5-HT cell
    k_gaba_5ht: int = 10  # DR GABA inputs per 5-HT cell
    # the cells (shared leaky integrate-and-fire form)
    C_pF: float = 100.0
    gL_nS: float = 4.0
    EL_mV: float = -60.0
    Vth_mV: float = -50.0
    Vreset_mV: float = -58.0
    refractory_ms: float = 2.0
    E_K_mV: float = -90.0
    E_exc_mV: float = 0.0
    E_gaba_mV: float = -75.0
    tau_exc_ms: float = 5.0
    tau_gaba_ms: float = 8.0
    # 5-HT pacemakers: a bias above threshold (rheobase 40 pA) and a slow AHP
    ht_bias_pA: float = 80.0
    ht_bias_spread: float = 0.1
    ht_ahp_nS: float = 4.0  # AHP conductance added per spike
    tau_ahp_ms: float = 300.0
    ht_bg_hz: float = 100.0  # background: one excitatory and one inhibitory Poisson source
    w_bg_nS: float = 0.5
    # DR GABA interneurons: quiet without input (bias under rheobase)
    gaba_bias_pA: float = 30.0
    # synapses
    w_lhb_gaba_nS: float = 0.6  # LHb -> DR GABA (AMPA-like)
    w_rmtg_5ht_nS: float = 1.0  # RMTg -> 5-HT (GABA-A)
    w_gaba_5ht_nS: float = 1.0  # DR GABA -> 5-HT (GABA-A)
    # serotonin readout
    ht_per_spike_nM: float = 5.0  # release per 5-HT spike, per population-averaged cell
    tau_5ht_ms: float = 500.0  # clearance (SERT reuptake) time constant
    dt_ms: float = 0.2  # slow cells (membrane time constant 25 ms): a coarser step suffices

    what = "raphe parameters"


DEFAULT_RAPHE = RapheParameters()

_DR = """
dv/dt = (gL*(EL - v) + g_e*(E_e - v) + g_i*(E_i - v) + I_ahp + I_bias)/C : volt (unless refractory)
I_ahp = g_ahp*(E_K - v) : amp
dg_e/dt = -g_e/tau_e : siemens
dg_i/dt = -g_i/tau_i : siemens
dg_ahp/dt = -g_ahp/tau_ahp : siemens
I_bias : amp
d_ahp : siemens (constant)
"""


def run_raphe(lhb_trains: list[list[np.ndarray]], rmtg_trains: list[list[np.ndarray]],
              duration_s: float, seed: int, params: RapheParameters = DEFAULT_RAPHE) -> dict:
    """Run the dorsal raphe driven by LHb and RMTg spike trains, one circuit per entry.

    Parameters
    ----------
    lhb_trains, rmtg_trains : list (one per circuit) of lists (one per cell) of spike
        times (s), in [0, duration_s) (the circuit's recording time, as
        :func:`habmodel.circuit.run_downstream` returns them)
    duration_s : float
        Recorded time (s); the DR settles for the circuit's settling period first.
    seed : int
        Seed of the connectivity, the cell-to-cell differences and the background noise.

    Returns
    -------
    dict
        ``5ht`` and ``dr_gaba``: per circuit, a list of spike-time arrays (s) per cell;
        ``ht_t_s`` (time grid, 5 ms) and ``ht_nM`` (per circuit, the serotonin readout).
    """
    import brian2 as b2

    from ..engines.runtime import compiled_code_class

    if len(lhb_trains) != len(rmtg_trains):
        raise ValueError("run_raphe: expected LHb and RMTg trains for the same circuits")
    p, code = params, compiled_code_class()
    n_circ = len(lhb_trains)
    n_lhb = [len(t) for t in lhb_trains]
    n_rmtg = [len(t) for t in rmtg_trains]
    ng, nh = p.n_gaba, p.n_5ht
    per = ng + nh  # cells per circuit: GABA first, then 5-HT
    rng = np.random.default_rng([int(seed), 0xD5])
    clock = b2.Clock(p.dt_ms * b2.ms, name="raphe_clock")
    ns = {"gL": p.gL_nS * b2.nS, "EL": p.EL_mV * b2.mV, "C": p.C_pF * b2.pF,
          "E_e": p.E_exc_mV * b2.mV, "E_i": p.E_gaba_mV * b2.mV, "E_K": p.E_K_mV * b2.mV,
          "tau_e": p.tau_exc_ms * b2.ms, "tau_i": p.tau_gaba_ms * b2.ms,
          "tau_ahp": p.tau_ahp_ms * b2.ms, "Vth": p.Vth_mV * b2.mV, "Vr": p.Vreset_mV * b2.mV}
    dr = b2.NeuronGroup(n_circ * per, _DR, threshold="v > Vth", reset="v = Vr; g_ahp += d_ahp",
                        refractory=p.refractory_ms * b2.ms, method="euler", clock=clock,
                        namespace=ns, name="raphe", codeobj_class=code)
    is_ht = np.tile(np.arange(per) >= ng, n_circ)
    spread = 1 + p.ht_bias_spread * (2 * rng.random(nh) - 1)
    bias = np.tile(np.r_[np.full(ng, p.gaba_bias_pA), p.ht_bias_pA * spread], n_circ)
    dr.I_bias = bias * b2.pA
    dr.d_ahp = np.where(is_ht, p.ht_ahp_nS, 0.0) * b2.nS
    # 5-HT cells start at random points of their cycle (voltage and AHP)
    v0 = p.Vreset_mV + (p.Vth_mV - p.Vreset_mV) * rng.random(per)
    dr.v = np.tile(v0, n_circ) * b2.mV
    dr.g_ahp = np.tile(np.where(np.arange(per) >= ng, p.ht_ahp_nS * rng.random(per), 0.0),
                       n_circ) * b2.nS
    # the replayed inputs: LHb and RMTg trains of every circuit, then the background
    src_lhb = np.r_[0, np.cumsum(n_lhb)]
    src_rmtg = src_lhb[-1] + np.r_[0, np.cumsum(n_rmtg)]
    src_bg = src_rmtg[-1]
    idx, times = _trains(lhb_trains + rmtg_trains, duration_s, p.dt_ms)
    bg_idx, bg_t = _background(seed, nh, duration_s, p)
    gen = b2.SpikeGeneratorGroup(src_bg + 2 * nh, np.r_[idx, src_bg + bg_idx],
                                 np.r_[times, bg_t] * b2.second, clock=clock,
                                 name="raphe_inputs", codeobj_class=code)
    pre, post, w_e, w_i = [], [], [], []

    def add(i, j, we, wi):
        pre.append(i)
        post.append(j)
        w_e.append(np.broadcast_to(we, i.shape))
        w_i.append(np.broadcast_to(wi, i.shape))

    seq = np.random.SeedSequence(int(rng.integers(2**63)))
    for c in range(n_circ):
        i, j = connect(np.random.default_rng(seq), n_lhb[c], ng, p.k_lhb_gaba)
        add(src_lhb[c] + i, c * per + j, p.w_lhb_gaba_nS, 0.0)
    seq = np.random.SeedSequence(int(rng.integers(2**63)))
    for c in range(n_circ):
        i, j = connect(np.random.default_rng(seq), n_rmtg[c], nh, p.k_rmtg_5ht)
        add(src_rmtg[c] + i, c * per + ng + j, 0.0, p.w_rmtg_5ht_nS)
    cell = np.arange(2 * nh) % nh
    for c in range(n_circ):  # the same background trains in every circuit
        add(src_bg + np.arange(2 * nh), c * per + ng + cell,
            *(np.where(np.arange(2 * nh) < nh, p.w_bg_nS, 0.0),
              np.where(np.arange(2 * nh) < nh, 0.0, p.w_bg_nS)))
    inputs = b2.Synapses(gen, dr, "w_e : siemens\nw_i : siemens",
                         on_pre="g_e_post += w_e\ng_i_post += w_i", clock=clock,
                         name="raphe_input_syn", codeobj_class=code)
    inputs.connect(i=np.concatenate(pre), j=np.concatenate(post))
    inputs.w_e = np.concatenate(w_e) * b2.nS
    inputs.w_i = np.concatenate(w_i) * b2.nS
    local = b2.Synapses(dr, dr, "w : siemens", on_pre="g_i_post += w", clock=clock,
                        name="raphe_gaba_syn", codeobj_class=code)
    i, j = connect(rng, ng, nh, p.k_gaba_5ht)
    local.connect(i=np.concatenate([c * per + i for c in range(n_circ)]),
                  j=np.concatenate([c * per + ng + j for c in range(n_circ)]))
    local.w = p.w_gaba_5ht_nS * b2.nS
    mon = b2.SpikeMonitor(dr, name="raphe_spikes", codeobj_class=code)
    b2.Network(dr, gen, inputs, local, mon).run((SETTLE_S + duration_s) * b2.second,
                                                 namespace={})
    order = np.argsort(np.asarray(mon.i[:], int), kind="stable")
    i_all = np.asarray(mon.i[:], int)[order]
    t_all = np.asarray(mon.t[:] / b2.second, float)[order] - SETTLE_S
    bounds = np.searchsorted(i_all, np.arange(n_circ * per + 1))
    cells = [np.sort(t_all[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    out = {"dr_gaba": [[t[t >= 0] for t in cells[c * per:c * per + ng]] for c in range(n_circ)],
           "5ht": [[t[t >= 0] for t in cells[c * per + ng:(c + 1) * per]]
                   for c in range(n_circ)]}
    grid = np.arange(-SETTLE_S, duration_s, 0.005)
    keep = grid >= -1e-12
    out["ht_t_s"] = grid[keep] - grid[keep][0]
    out["ht_nM"] = [serotonin_readout(cells[c * per + ng:(c + 1) * per], grid, p)[keep]
                    for c in range(n_circ)]
    return out


def _trains(trains_per_circuit, duration_s: float, dt_ms: float):
    """Indices and times (s, from the settling period's start) of the replayed trains, one
    spike per time step at most."""
    idx, times, k = [], [], 0
    for trains in trains_per_circuit:
        for t in trains:
            t = np.asarray(t, float)
            t = np.unique(np.round(t[(t >= 0) & (t < duration_s)] / (dt_ms * 1e-3)))
            idx.append(np.full(t.size, k))
            times.append(t * dt_ms * 1e-3 + SETTLE_S)
            k += 1
    if not idx:
        return np.zeros(0, int), np.zeros(0)
    return np.concatenate(idx), np.concatenate(times)


def _background(seed: int, n: int, duration_s: float, p):
    """Independent Poisson trains, an excitatory and an inhibitory one per 5-HT cell."""
    rng = np.random.default_rng([int(seed), 0xD6])
    total, step = SETTLE_S + duration_s, p.dt_ms * 1e-3
    idx, times = [], []
    for k in range(2 * n):
        t = np.unique(np.floor(rng.random(rng.poisson(p.ht_bg_hz * total)) * total / step))
        idx.append(np.full(t.size, k))
        times.append(t * step)
    return np.concatenate(idx).astype(int), np.concatenate(times)


def serotonin_readout(trains, grid_s: np.ndarray,
                      params: RapheParameters = DEFAULT_RAPHE) -> np.ndarray:
    """Extracellular serotonin (nM) on ``grid_s``: each 5-HT spike releases
    ``ht_per_spike_nM`` (averaged over the population), cleared with time constant
    ``tau_5ht_ms`` (first-order reuptake)."""
    spikes = np.concatenate([np.asarray(t, float) for t in trains]) if len(trains) else []
    if len(spikes) == 0 or len(grid_s) == 0:
        return np.zeros(len(grid_s))
    step = grid_s[1] - grid_s[0] if len(grid_s) > 1 else 1.0
    counts = np.histogram(spikes, np.r_[grid_s, grid_s[-1] + step])[0]
    per = params.ht_per_spike_nM / max(1, len(trains))
    return first_order_filter(per * counts.astype(float), step / (params.tau_5ht_ms * 1e-3))
