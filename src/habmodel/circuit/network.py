"""The downstream circuit in Brian2: LHb spike trains -> RMTg GABA neurons -> VTA dopamine neurons.

Everything here is plain Brian2 (``SpikeGeneratorGroup``, ``NeuronGroup``, ``Synapses``,
``SpikeMonitor``, an explicit ``Network``): notebook 08 builds the same objects step
by step. No global state is touched: Brian2's random generator is not used (the
connectivity and the cell-to-cell differences come from a NumPy generator keyed by
the seed), and the code-generation target (Cython where a compiler works, else NumPy with one
warning: :func:`habmodel.engines.runtime.compiled_code_class`) is set on each object, not in
``prefs``.

Several circuits (conditions) can run in one ``Network``: each has its own LHb trains,
RMTg and VTA cells, and connections only within itself, so a whole comparison costs one
run (:func:`run_downstream`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from .metrics import dopamine_readout
from .parameters import ParameterSet

__all__ = ["CircuitParameters", "DEFAULT_CIRCUIT", "run_downstream", "connect", "dopamine_readout"]


@dataclass(frozen=True)
class CircuitParameters(ParameterSet):
    """Parameters of the downstream circuit (plain floats, units in the names).

    Sources and assumptions: docs/circuit.md. RMTg neurons are conductance-based
    leaky integrate-and-fire cells; VTA dopamine neurons are Izhikevich (2003)
    model neurons with a pacemaker bias; LHb -> RMTg synapses have AMPA and NMDA
    (Jahr-Stevens Mg2+ block) components and Tsodyks-Markram short-term
    facilitation; RMTg -> VTA synapses are GABA-A.
    """

    n_rmtg: int = 100
    n_vta: int = 100
    k_lhb_rmtg: int = 10  # LHb inputs per RMTg cell (fixed in-degree, random sources)
    k_rmtg_vta: int = 10  # RMTg inputs per VTA cell
    k_lhb_vta: int = 10  # LHb inputs per VTA cell (direct; weight 0 by default)
    # RMTg GABA neuron (LIF)
    rmtg_C_pF: float = 100.0
    rmtg_gL_nS: float = 5.0
    rmtg_EL_mV: float = -65.0
    rmtg_Vth_mV: float = -50.0
    rmtg_Vreset_mV: float = -60.0
    rmtg_refractory_ms: float = 2.0
    rmtg_bias_pA: float = 50.0  # mean bias current (spontaneous firing)
    rmtg_bias_spread: float = 0.1  # bias uniform in mean x [1 - spread, 1 + spread]
    # LHb -> RMTg synapse
    w_ampa_nS: float = 2.0  # a lone tonic spike stays well under threshold (burst coding)
    w_nmda_nS: float = 1.0  # NMDA conductance per unit of the postsynaptic gating
    tau_ampa_ms: float = 5.0
    tau_nmda_rise_ms: float = 2.0
    tau_nmda_decay_ms: float = 100.0
    alpha_nmda_per_ms: float = 0.5
    mg_mM: float = 1.0
    U_facil: float = 0.05  # Tsodyks-Markram utilisation (facilitating synapse)
    tau_facil_ms: float = 50.0
    tau_rec_ms: float = 50.0
    # VTA dopamine neuron (Izhikevich 2003 form; v and u in mV)
    vta_a: float = 0.01
    vta_b: float = 0.2
    vta_c_mV: float = -65.0
    vta_d_mV: float = 16.0
    vta_bias_mV: float = 4.5  # pacemaker drive (mV/ms in Izhikevich's units)
    vta_bias_spread: float = 0.05
    vta_substeps: int = 1  # Euler substeps per step (4: stable under strong RMTg volleys)
    # RMTg -> VTA and LHb -> VTA
    w_gaba: float = 2.5  # dimensionless conductance step (Izhikevich units)
    tau_gaba_ms: float = 8.0
    E_gaba_mV: float = -75.0
    w_lhb_vta: float = 0.0  # direct LHb -> VTA excitation (dimensionless step)
    tau_exc_ms: float = 5.0
    E_exc_mV: float = 0.0
    # background synaptic noise onto VTA cells (independent Poisson trains, one excitatory
    # and one inhibitory source per cell): irregular pacemaking instead of a clock
    vta_bg_hz: float = 100.0
    w_bg: float = 0.05
    # dopamine release readout
    da_per_spike_nM: float = 10.0  # release per DA spike, per neuron-averaged population
    tau_da_ms: float = 200.0  # clearance (reuptake) time constant
    dt_ms: float = 0.1  # rates agree with 0.05 ms within 0.05 Hz (docs/circuit.md)

    what = "circuit parameters"


DEFAULT_CIRCUIT = CircuitParameters()

#: Simulated before the LHb trains start (s): the RMTg and VTA cells settle, and the VTA
#: pacemakers, started at random points of their cycle, drift apart. Not recorded.
SETTLE_S = 1.0


def connect(rng: np.random.Generator, n_pre: int, n_post: int, k: int):
    """Random connectivity with fixed in-degree: each target gets ``min(k, n_pre)``
    distinct sources. Returns ``(i, j)`` index arrays (sources, targets)."""
    k = min(int(k), n_pre)
    i = np.concatenate([rng.choice(n_pre, size=k, replace=False) for _ in range(n_post)]) \
        if k > 0 else np.zeros(0, np.int64)
    j = np.repeat(np.arange(n_post), k)
    return i.astype(np.int64), j.astype(np.int64)


_RMTG = """
dv/dt = (gL*(EL - v) + g_a*(E_e - v) + g_n*s_n*B*(E_e - v) + I_bias)/C : volt (unless refractory)
B = 1/(1 + mg/3.57*exp(-0.062*v/mV)) : 1
dg_a/dt = -g_a/tau_a : siemens
ds_n/dt = -s_n/tau_nd + alpha_n*x_n*(1 - s_n) : 1
dx_n/dt = -x_n/tau_nr : 1
I_bias : amp
circuit : integer (constant)
"""

_VTA = """
dv/dt = (0.04/mV*v**2 + 5*v + 140*mV - u + bias + g_i*(E_i - v) + g_e*(E_e - v))/ms : volt
du/dt = a*(b*v - u)/ms : volt
dg_i/dt = -g_i/tau_i : 1
dg_e/dt = -g_e/tau_e : 1
bias : volt
circuit : integer (constant)
"""

_STP = """
w_a : siemens
w_n : 1
r : 1
u_f : 1
x_d : 1
t_last : second
"""

# Tsodyks-Markram facilitation and depression, integrated exactly between spikes (what
# Brian2's event-driven equations do, written out: no symbolic solver at every run)
_STP_ON_PRE = """
u_f = U_f + (u_f - U_f)*exp(-(t - t_last)/tau_f)
x_d = 1 + (x_d - 1)*exp(-(t - t_last)/tau_rec)
t_last = t
u_f += U_f*(1 - u_f)
r = u_f*x_d
x_d -= r
g_a_post += w_a*r
x_n_post += w_n*r
"""


def run_downstream(lhb_trains: list[list[np.ndarray]] | None, duration_s: float, seed: int,
                   params: CircuitParameters = DEFAULT_CIRCUIT,
                   nmda_block: list[float] | None = None, *, lhb_groups=None) -> dict:
    """Run RMTg and VTA populations driven by LHb spike trains, one circuit per entry.

    Parameters
    ----------
    lhb_trains : list (one per circuit) of lists (one per LHb cell) of spike times (s)
    duration_s : float
        Simulated time (s); the trains must lie in [0, duration_s).
    seed : int
        Seed of the connectivity and of the cell-to-cell differences (the same
        in every circuit, so the circuits differ only in their LHb input).
    nmda_block : list of float, optional
        Per circuit, the fraction of RMTg NMDA conductance left (1: none blocked);
        for a drug given systemically rather than into the LHb.
    lhb_groups : list of brian2.NeuronGroup, optional
        Instead of ``lhb_trains`` (then ``None``), one group of LHb cells per circuit
        (:func:`habmodel.brian2_group`), simulated in this network from t = 0: the
        settling period is their warm-up, and their synapses onto the RMTg (and VTA)
        start at its end, when replayed trains would start.

    Returns
    -------
    dict
        ``rmtg``, ``vta`` (and with ``lhb_groups``, ``lhb``): per circuit, a list of
        spike-time arrays (s) per cell; ``da_t_s`` (time grid) and ``da_nM`` (per
        circuit, the dopamine readout).
    """
    import brian2 as b2

    from ..engines.runtime import compiled_code_class

    code = compiled_code_class()
    p = params
    groups = None if lhb_groups is None else list(lhb_groups)
    if (groups is None) == (lhb_trains is None):
        raise ValueError("run_downstream: give either lhb_trains or lhb_groups")
    n_lhb = [len(tr) for tr in lhb_trains] if groups is None else [len(g) for g in groups]
    n_circ = len(n_lhb)
    rng = np.random.default_rng([int(seed), 0xC1C])
    # one clock for every downstream object: Brian2's single-clock loop (the same steps)
    clock = b2.Clock(p.dt_ms * b2.ms, name="circuit_clock")
    offsets = np.r_[0, np.cumsum(n_lhb)]
    if groups is None:  # LHb: one generator for all circuits, cells numbered circuit by circuit
        lhb = _replay(b2, code, clock, lhb_trains, offsets, duration_s, p)
        sources = [(lhb, offsets[c]) for c in range(n_circ)]
    else:
        sources = [(g, 0) for g in groups]
    ns = {"gL": p.rmtg_gL_nS * b2.nS, "EL": p.rmtg_EL_mV * b2.mV, "E_e": 0 * b2.mV,
          "C": p.rmtg_C_pF * b2.pF, "tau_a": p.tau_ampa_ms * b2.ms,
          "tau_nd": p.tau_nmda_decay_ms * b2.ms, "tau_nr": p.tau_nmda_rise_ms * b2.ms,
          "alpha_n": p.alpha_nmda_per_ms / b2.ms, "mg": p.mg_mM,
          "g_n": p.w_nmda_nS * b2.nS, "Vth": p.rmtg_Vth_mV * b2.mV,
          "Vr": p.rmtg_Vreset_mV * b2.mV}
    nr, nv = p.n_rmtg, p.n_vta
    rmtg = b2.NeuronGroup(n_circ * nr, _RMTG, threshold="v > Vth", reset="v = Vr",
                          refractory=p.rmtg_refractory_ms * b2.ms, method="euler",
                          clock=clock, namespace=ns, name="rmtg", codeobj_class=code)
    rmtg.v = p.rmtg_EL_mV * b2.mV
    spread = 1 + p.rmtg_bias_spread * (2 * rng.random(nr) - 1)
    rmtg.I_bias = np.tile(p.rmtg_bias_pA * spread, n_circ) * b2.pA
    rmtg.circuit = np.repeat(np.arange(n_circ), nr)
    if nmda_block is not None:
        if len(nmda_block) != n_circ:
            raise ValueError("nmda_block: expected one value per circuit")
        # a per-neuron scale on the NMDA gating increment is a block of its conductance
    vns = {"a": p.vta_a, "b": p.vta_b, "tau_i": p.tau_gaba_ms * b2.ms,
           "tau_e": p.tau_exc_ms * b2.ms, "E_i": p.E_gaba_mV * b2.mV,
           "E_e": p.E_exc_mV * b2.mV, "c_reset": p.vta_c_mV * b2.mV, "d_jump": p.vta_d_mV * b2.mV}
    vta = b2.NeuronGroup(n_circ * nv, _VTA, threshold="v >= 30*mV",
                         reset="v = c_reset; u += d_jump", method=_euler(p.vta_substeps),
                         clock=clock,
                         namespace=vns, name="vta", codeobj_class=code)
    # desynchronise the pacemakers: a random point of the limit cycle's range, then a
    # settling period (SETTLE_S) before the LHb trains start and recording begins
    v0 = -65.0 + 15.0 * rng.random(nv)
    u0 = p.vta_b * v0 + p.vta_d_mV * rng.random(nv)
    vta.v = np.tile(v0, n_circ) * b2.mV
    vta.u = np.tile(u0, n_circ) * b2.mV
    spread = 1 + p.vta_bias_spread * (2 * rng.random(nv) - 1)
    vta.bias = np.tile(p.vta_bias_mV * spread, n_circ) * b2.mV
    vta.circuit = np.repeat(np.arange(n_circ), nv)
    # connectivity: drawn once, repeated in every circuit
    stp_ns = {"U_f": p.U_facil, "tau_f": p.tau_facil_ms * b2.ms, "tau_rec": p.tau_rec_ms * b2.ms}
    objects = [*dict.fromkeys(src for src, _ in sources), rmtg, vta]
    base = np.random.default_rng(rng.integers(2**63))  # the same draw for equal-sized circuits
    pairs = [connect(np.random.default_rng(base.bit_generator.seed_seq), n_lhb[c], nr,
                     p.k_lhb_rmtg) for c in range(n_circ)]
    scales = [1.0 if nmda_block is None else nmda_block[c] for c in range(n_circ)]
    lhb_syn = []
    for k, (source, i, j, scale) in enumerate(_by_source(sources, pairs, nr, scales)):
        model, on_pre, name = _apart(source, _STP, _STP_ON_PRE)
        syn = b2.Synapses(source, rmtg, model, on_pre=on_pre, namespace=stp_ns,
                          clock=clock if groups is None else source.clock, codeobj_class=code,
                          name="lhb_rmtg" if groups is None else f"lhb_rmtg_{k}")
        syn.connect(i=i, j=j)
        for var, value in (("w_a", p.w_ampa_nS * b2.nS), ("w_n", scale),
                           ("u_f", p.U_facil), ("x_d", 1.0)):
            setattr(syn, name(var), value)
        lhb_syn.append(syn)
    syn_rv = b2.Synapses(rmtg, vta, "w : 1", on_pre="g_i_post += w", clock=clock,
                         name="rmtg_vta", codeobj_class=code)
    pre, post = connect(rng, nr, nv, p.k_rmtg_vta)
    syn_rv.connect(i=np.concatenate([c * nr + pre for c in range(n_circ)]),
                   j=np.concatenate([c * nv + post for c in range(n_circ)]))
    syn_rv.w = p.w_gaba
    objects += [*lhb_syn, syn_rv]
    if p.w_lhb_vta > 0:
        seq = np.random.SeedSequence(int(rng.integers(2**63)))
        pairs = [connect(np.random.default_rng(seq), n_lhb[c], nv, p.k_lhb_vta)
                 for c in range(n_circ)]
        for k, (source, i, j, _) in enumerate(_by_source(sources, pairs, nv, scales)):
            model, on_pre, name = _apart(source, "w : 1", "g_e_post += w")
            syn = b2.Synapses(source, vta, model, on_pre=on_pre,
                              clock=clock if groups is None else source.clock,
                              codeobj_class=code,
                              name="lhb_vta" if groups is None else f"lhb_vta_{k}")
            syn.connect(i=i, j=j)
            setattr(syn, name("w"), p.w_lhb_vta)
            lhb_syn.append(syn)
            objects.append(syn)
    if p.vta_bg_hz > 0 and p.w_bg > 0:
        objects += _background(b2, code, seed, n_circ, duration_s, p, clock, vta)
    mon_r = b2.SpikeMonitor(rmtg, name="rmtg_spikes", codeobj_class=code)
    mon_v = b2.SpikeMonitor(vta, name="vta_spikes", codeobj_class=code)
    mon_l = [] if groups is None else [b2.SpikeMonitor(g, name=f"lhb_spikes_{k}",
                                                       codeobj_class=code)
                                       for k, g in enumerate(groups)]
    net = b2.Network(*objects, mon_r, mon_v, *mon_l)
    if groups is None:
        net.run((SETTLE_S + duration_s) * b2.second, namespace={})
    else:  # the LHb cells warm up while the RMTg and VTA settle, unconnected
        for syn in lhb_syn:
            syn.active = False
        # Brian2 notes that these synapses run on the LHb clock (0.05 ms), not the RMTg's:
        # by design (every LHb spike is delivered; the RMTg integrates it at its next step)
        quiet = logging.getLogger("brian2.synapses.synapses.synapses_dt_mismatch")
        quiet.addFilter(_drop)
        try:
            net.run(SETTLE_S * b2.second, namespace={})
            for syn in lhb_syn:
                syn.active = True
            net.run(duration_s * b2.second, namespace={})
        finally:
            quiet.removeFilter(_drop)
    out = {"rmtg": _split(mon_r, n_circ, nr), "vta": _split(mon_v, n_circ, nv)}
    if groups is not None:
        out["lhb"] = [_split(m, 1, len(g))[0] for m, g in zip(mon_l, groups, strict=True)]
    full = _split(mon_v, n_circ, nv, start=-SETTLE_S)
    grid = np.arange(-SETTLE_S, duration_s, 0.005)
    keep = grid >= -1e-12
    out["da_t_s"] = grid[keep] - grid[keep][0]
    out["da_nM"] = [dopamine_readout(trains, grid, p)[keep] for trains in full]
    return out


def _replay(b2, code, clock, lhb_trains, offsets, duration_s: float, p):
    """One ``SpikeGeneratorGroup`` of every circuit's LHb trains, from ``SETTLE_S`` on."""
    idx, times = [], []
    for c, trains in enumerate(lhb_trains):
        for k, t in enumerate(trains):
            t = np.asarray(t, float)
            t = t[(t >= 0) & (t < duration_s)]
            # one spike per time step at most: the generator refuses duplicates
            t = np.unique(np.round(t / (p.dt_ms * 1e-3)))
            idx.append(np.full(t.size, offsets[c] + k))
            times.append(t * p.dt_ms * 1e-3 + SETTLE_S)
    idx = np.concatenate(idx) if idx else np.zeros(0, int)
    times = np.concatenate(times) if times else np.zeros(0)
    return b2.SpikeGeneratorGroup(int(offsets[-1]), idx, times * b2.second, clock=clock,
                                  name="lhb", codeobj_class=code)


def _euler(n: int):
    """Euler's method with ``n`` substeps per step: stable under n times larger conductances
    (a synchronous RMTg volley can make the VTA's 0.1 ms step unstable: docs/reward_task.md)."""
    from brian2 import ExplicitStateUpdater

    stages = [f"x{k + 1} = x{k} + dt/{n}*f(x{k}, t + {k}*dt/{n})" for k in range(int(n))]
    return "euler" if n <= 1 else ExplicitStateUpdater(
        "\n".join(stages).replace("x0", "x").replace(f"x{int(n)} =", "x_new ="))


def _drop(record) -> bool:
    return False


def _apart(source, model: str, on_pre: str):
    """``model`` and ``on_pre`` with every synaptic variable that the LHb source also has
    (an LHb cell's gate ``r``, say) renamed ``<name>_syn`` (Brian2 refuses the clash), and
    the renaming as a function."""
    import re

    from brian2 import Equations

    clash = set(Equations(model).names) & set(source.variables)
    for var in clash:
        model, on_pre = (re.sub(rf"\b(d?){var}\b", rf"\g<1>{var}_syn", model),
                         re.sub(rf"\b{var}\b", f"{var}_syn", on_pre))
    return model, on_pre, lambda var: f"{var}_syn" if var in clash else var


def _by_source(sources, pairs, n_post: int, scales) -> list[tuple]:
    """The LHb synapses of the circuits, one set per source (the one generator of replayed
    trains, or each circuit's group): ``(source, i, j, per-synapse scale)``."""
    found: dict = {}
    for c, ((source, offset), (pre, post)) in enumerate(zip(sources, pairs, strict=True)):
        _, i, j, scale = found.setdefault(id(source), (source, [], [], []))
        i.append(offset + pre)
        j.append(c * n_post + post)
        scale.append(np.full(pre.size, scales[c]))
    return [(source, *map(np.concatenate, (i, j, scale)))
            for source, i, j, scale in found.values()]


def _background(b2, code, seed: int, n_circ: int, duration_s: float, p, clock, vta) -> list:
    """Independent Poisson excitation and inhibition, one source of each per VTA cell.

    The trains are drawn from ``seed`` alone and are the same in every circuit (like the
    connectivity), so that circuits differ only in their LHb input and adding a circuit to
    a network changes nothing in the others. One synapse object carries both kinds."""
    n = p.n_vta
    rng = np.random.default_rng([int(seed), 0xB6])
    total = SETTLE_S + duration_s
    step = p.dt_ms * 1e-3
    idx, times = [], []
    for k in range(2 * n):
        count = rng.poisson(p.vta_bg_hz * total)
        t = np.unique(np.floor(rng.random(count) * total / step))
        idx.append(np.full(t.size, k))
        times.append(t * step)
    gen = b2.SpikeGeneratorGroup(2 * n, np.concatenate(idx), np.concatenate(times) * b2.second,
                                 clock=clock, name="vta_background", codeobj_class=code)
    syn = b2.Synapses(gen, vta, "w_e : 1\nw_i : 1", on_pre="g_e_post += w_e\ng_i_post += w_i",
                      clock=clock, name="vta_background_syn", codeobj_class=code)
    source = np.arange(2 * n)
    syn.connect(i=np.tile(source, n_circ),
                j=(np.arange(n_circ)[:, None] * n + source % n).ravel())
    excitatory = np.tile(source < n, n_circ)
    syn.w_e = np.where(excitatory, p.w_bg, 0.0)
    syn.w_i = np.where(excitatory, 0.0, p.w_bg)
    return [gen, syn]


def _split(monitor, n_circ: int, n: int, start: float = 0.0) -> list[list[np.ndarray]]:
    """Spike times (s, from the end of the settling period; from ``start`` on) per circuit
    and cell."""
    import brian2 as b2

    i = np.asarray(monitor.i[:], int)
    t = np.asarray(monitor.t[:] / b2.second, float) - SETTLE_S
    i, t = i[t >= start], t[t >= start]
    order = np.argsort(i, kind="stable")
    i, t = i[order], t[order]
    bounds = np.searchsorted(i, np.arange(n_circ * n + 1))
    cells = [np.sort(t[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return [cells[c * n:(c + 1) * n] for c in range(n_circ)]
