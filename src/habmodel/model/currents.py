"""The parts of the LHb neuron: each current, the Ca2+ pool, the synapses, the drive.

Each :class:`~habmodel.model.parts.Part` holds its Brian2 equation lines, its state
variables, and its rows of the parameter table; :data:`LHB_PARTS` is the cell of
``docs/model.md`` in that order (which is also the order of the parameter table).
:data:`NMDA_TRAPPING` and :data:`KETAMINE_TRAPPING` replace :data:`NMDA` in the
``ketamine_model="trapping"`` variant (:mod:`habmodel.trapping`).

Sources: marks follow ``docs/science.md``: ``[lit]`` textbook or standard-model
value, ``[src]`` a named paper, ``[assume]`` a modelling choice of this project.
"""

from __future__ import annotations

from .parts import Parameter, Part

__all__ = ["MEMBRANE", "NA_K", "M_CURRENT", "LEAK", "T_CURRENT", "H_CURRENT", "NMDA", "AMPA",
           "INJECTION", "LHB_PARTS", "NMDA_TRAPPING", "KETAMINE_TRAPPING", "GABA_A"]


def _p(name, unit, default, low, high, meaning, source, group) -> Parameter:
    return Parameter(name, unit, float(default), float(low), float(high), meaning, source, group)


_TM = "Traub & Miles 1991, as in Brian2's COBAHH example [lit]"
_HM = "Huguenard & McCormick 1992; Destexhe et al. 1996 [lit]"
_BW = "Brunel & Wang 2001 [lit]"
_TUNED = "tuned for NMDA-dependent bursting, docs/model.md [assume]"
_CAL = ("tuned for NMDA-dependent bursting and claim 9's margin, docs/calibration.md "
        "[assume]")
_TRAP = ("Gilling et al. 2009, human GluN1/2A: k_on 0.15e6 /M/s, k_off 0.22 /s at -70 mV, "
         "delta 0.79; docs/calibration.md [src]")
_SEC7 = "docs/science.md sec. 7 [assume]"

MEMBRANE = Part(
    "membrane", "membrane",
    """
dv/dt = (I_inj/area - I_ion)/C_m : volt
E_K = (8.617333262e-5*volt/kelvin)*temperature*log(K_o/K_i) : volt
""",
    states={"v": -65e-3},
    parameters=(
        _p("C_m", "uF/cm2", 1.0, 0.1, 10, "specific membrane capacitance", "[lit]", "membrane"),
        _p("area", "um2", 2500, 100, 1e5, "membrane area (2500 um2 x 1 uF/cm2 = 25 pF)",
           "docs/science.md sec. 7 [assume]", "membrane"),
        _p("temperature", "K", 307.15, 290, 315,
           "temperature (34 C); sets E_K and the T-current q10",
           "slice recordings at 34 C [assume]", "membrane"),
    ))

NA_K = Part(
    "Na_K", "Traub-Miles fast Na+ and delayed-rectifier K+",
    """
I_Na = avail_Na*g_Na*m**3*h*(v - E_Na) : amp/meter**2
I_K = avail_K*g_K*n**4*(v - E_K) : amp/meter**2
dm/dt = 0.32*(mV**-1)*4*mV/exprel((13*mV - v + V_T)/(4*mV))/ms*(1 - m)
        - 0.28*(mV**-1)*5*mV/exprel((v - V_T - 40*mV)/(5*mV))/ms*m : 1
dh/dt = 0.128*exp((17*mV - v + V_T)/(18*mV))/ms*(1 - h)
        - 4/(1 + exp((40*mV - v + V_T)/(5*mV)))/ms*h : 1
dn/dt = 0.032*(mV**-1)*5*mV/exprel((15*mV - v + V_T)/(5*mV))/ms*(1 - n)
        - 0.5*exp((10*mV - v + V_T)/(40*mV))/ms*n : 1
""",
    currents=("I_Na", "I_K"), states={"m": 0.00067, "h": 0.9999, "n": 0.0031},
    drug_targets=("Na", "K"),
    parameters=(
        _p("g_Na", "mS/cm2", 50, 0, 500, "fast Na+ conductance", _TM, "spikes"),
        _p("E_Na", "mV", 50, 0, 100, "Na+ reversal potential", "[lit]", "spikes"),
        _p("g_K", "mS/cm2", 5, 0, 200, "delayed-rectifier K+ conductance", _TM, "spikes"),
        _p("V_T", "mV", -48, -70, -40, "Traub-Miles threshold offset VT (sets the tonic rate)",
           "Traub & Miles 1991 range; value " + _TUNED, "spikes"),
    ))

M_CURRENT = Part(
    "M", "slow M-type K+ (Pospischil et al. 2008)",
    """
I_M = avail_M*g_M*p*(v - E_K) : amp/meter**2
dp/dt = (1/(1 + exp(-(v + 35*mV)/(10*mV))) - p)
        * (3.3*exp((v + 35*mV)/(20*mV)) + exp(-(v + 35*mV)/(20*mV)))/tau_M : 1
""",
    currents=("I_M",), states={"p": 0.0474}, drug_targets=("M",),
    parameters=(
        _p("g_M", "mS/cm2", 0.04, 0, 5, "slow M-type K+ conductance (spike-frequency adaptation)",
           "Pospischil et al. 2008 [lit]", "spikes"),
        _p("tau_M", "ms", 1000, 10, 1e4, "M-current maximal time constant",
           "Pospischil et al. 2008 [lit]", "spikes"),
    ))

LEAK = Part(
    "leak", "leaks: K+ leak (E_K from Nernst on K_o) and Na+ leak",
    """
I_KL = avail_KL*g_KL*(v - E_K) : amp/meter**2
I_NaL = g_NaL*(v - E_Na) : amp/meter**2
""",
    currents=("I_KL", "I_NaL"), drug_targets=("KL",),
    parameters=(
        _p("g_KL", "mS/cm2", 0.045, 0, 1, "K+ leak conductance", _SEC7, "leak"),
        _p("g_NaL", "mS/cm2", 0.0045, 0, 1, "Na+ leak conductance (reverses at E_Na)", _SEC7,
           "leak"),
        _p("K_o", "mM", 5.0, 0.5, 20, "perisomatic extracellular K+ (Kir4.1 buffering lowers it)",
           "Cui et al. 2018 mechanism; values " + _CAL, "leak"),
        _p("K_i", "mM", 140, 50, 200, "intracellular K+", "[lit]", "leak"),
    ))

T_CURRENT = Part(
    "T", "T-type Ca2+ (Huguenard & McCormick 1992), Ca2+ pool and SK",
    """
I_T = avail_T*g_T*m_T_inf**2*h_T*(v - E_Ca) : amp/meter**2
m_T_inf = 1/(1 + exp(-(v + 57*mV)/(6.2*mV))) : 1
dh_T/dt = (1/(1 + exp((v + 81*mV)/(4*mV))) - h_T)/tau_h_T : 1
tau_h_T = (30.8*ms + (211.4*ms + exp((v + 113.2*mV)/(5*mV))*ms)
           / (1 + exp((v + 84*mV)/(3.2*mV))))
          / q10_T**((temperature - 297.15*kelvin)/(10*kelvin)) : second
dc/dt = -k_Ca*I_T/(uA/cm**2) - c/tau_Ca : 1
I_SK = avail_SK*g_SK*c**4/(c**4 + 1)*(v - E_K) : amp/meter**2
""",
    currents=("I_T", "I_SK"), states={"h_T": 0.018, "c": 0.0}, drug_targets=("T", "SK"),
    parameters=(
        _p("g_T", "mS/cm2", 1.5, 0, 20, "T-type Ca2+ conductance (m_inf^2 h)", _TUNED,
           "calcium"),
        _p("E_Ca", "mV", 120, 50, 200, "Ca2+ reversal potential (fixed, not GHK)", "[lit]",
           "calcium"),
        _p("q10_T", "1", 3, 1, 5, "q10 of T-channel inactivation (reference 24 C)", _HM,
           "calcium"),
        _p("k_Ca", "1/ms", 0.002, 0, 1,
           "Ca2+ pool loading per uA/cm2 of I_T (pool in units of K_d)", _SEC7, "calcium"),
        _p("tau_Ca", "ms", 200, 1, 5000, "Ca2+ pool clearance time constant", _SEC7, "calcium"),
        _p("g_SK", "mS/cm2", 0.1, 0, 10, "Ca2+-activated SK K+ conductance (c^4/(c^4+1))",
           _SEC7, "calcium"),
    ))

H_CURRENT = Part(
    "h", "I_h (HCN)",
    """
I_h = avail_h*g_h*r*(v - E_h) : amp/meter**2
dr/dt = (1/(1 + exp((v + 75*mV)/(5.5*mV))) - r)
        * (exp(-14.59 - 0.086*v/mV) + exp(-1.87 + 0.0701*v/mV))/ms : 1
""",
    currents=("I_h",), states={"r": 0.140}, drug_targets=("h",),
    parameters=(
        _p("g_h", "mS/cm2", 0.04, 0, 1, "HCN (I_h) conductance", _CAL, "h"),
        _p("E_h", "mV", -43, -60, 0, "I_h reversal potential",
           "Huguenard & McCormick 1992 [lit]", "h"),
    ))

_NMDA_COMMON = """
B_Mg = 1/(1 + Mg_o/(3.57*mM)*exp(-0.062*v/mV)) : 1
pore_free = 1/(1 + pore_load*exp(-pore_delta*v/((8.617333262e-5*volt/kelvin)*temperature))) : 1
dx/dt = -x/tau_NMDA_rise : 1
"""

NMDA = Part(
    "NMDA", "NMDA (Brunel & Wang 2001 kinetics, Jahr & Stevens 1990 Mg2+ block)",
    "I_NMDA = avail_NMDA*g_NMDA*(s + s_tonic)*B_Mg*pore_free*(v - E_NMDA) : amp/meter**2\n"
    "ds/dt = -s/tau_NMDA_decay + alpha_NMDA*x*(1 - s) : 1" + _NMDA_COMMON,
    currents=("I_NMDA",), states={"s": 0.0, "x": 0.0}, drug_targets=("NMDA",),
    constants=("pore_load : 1", "pore_delta : 1"), events={"x": "w_glu"},
    parameters=(
        _p("g_NMDA", "mS/cm2", 2.2, 0, 50, "NMDA conductance at open fraction s = 1",
           _CAL, "nmda"),
        _p("nu_glu", "Hz", 120, 0, 5000, "rate of Poisson glutamate events onto the NMDA (and "
           "AMPA) receptors", _TUNED, "nmda"),
        _p("w_glu", "1", 0.01, 0, 10, "increment of the NMDA gating x per glutamate event",
           _TUNED, "nmda"),
        _p("s_tonic", "1", 0.0, 0, 1, "tonic (ambient glutamate) NMDA open fraction, added to s",
           "deterministic drive option [assume]", "nmda"),
        _p("tau_NMDA_rise", "ms", 2, 0.1, 50, "NMDA rise time constant", _BW, "nmda"),
        _p("tau_NMDA_decay", "ms", 100, 5, 1000, "NMDA decay time constant", _BW, "nmda"),
        _p("alpha_NMDA", "1/ms", 0.5, 0.01, 10, "NMDA gating saturation rate", _BW, "nmda"),
        _p("Mg_o", "mM", 1.0, 0, 10, "extracellular Mg2+ (Jahr-Stevens block)",
           "Jahr & Stevens 1990 [lit]", "nmda"),
        _p("E_NMDA", "mV", 0, -20, 20, "NMDA reversal potential", "[lit]", "nmda"),
    ))

AMPA = Part(
    "AMPA", "AMPA (optional; same glutamate events)",
    """
I_AMPA = avail_AMPA*g_AMPA*s_AMPA*(v - E_AMPA) : amp/meter**2
ds_AMPA/dt = -s_AMPA/tau_AMPA : 1
""",
    currents=("I_AMPA",), states={"s_AMPA": 0.0}, drug_targets=("AMPA",),
    events={"s_AMPA": "1"},
    parameters=(
        _p("g_AMPA", "mS/cm2", 0.0, 0, 50, "AMPA conductance per glutamate event (0 = off)",
           "optional [assume]", "ampa"),
        _p("tau_AMPA", "ms", 5, 0.5, 50, "AMPA decay time constant", "[lit]", "ampa"),
        _p("E_AMPA", "mV", 0, -20, 20, "AMPA reversal potential", "[lit]", "ampa"),
    ))

INJECTION = Part(
    "injection", "injected current (holding current and one step; protocols)",
    "I_inj = I_hold + I_step*int(t - t_offset >= step_start and t - t_offset < step_stop) "
    ": amp\n",
    constants=("t_offset : second",),
    parameters=(
        _p("I_hold", "pA", 0, -1000, 1000, "constant injected (holding) current", "protocol",
           "injection"),
        _p("I_step", "pA", 0, -1000, 1000,
           "current step amplitude, on during [step_start, step_stop)", "protocol", "injection"),
        _p("step_start", "ms", 0, 0, 1e7, "current step onset", "protocol", "injection"),
        _p("step_stop", "ms", 0, 0, 1e7, "current step offset", "protocol", "injection"),
    ))

#: A GABA-A synaptic input, for networks built from :func:`habmodel.brian2_group` (which adds
#: it to the cell): ``Synapses(..., on_pre="s_GABA_post += w")`` with a dimensionless ``w``
#: (1 opens g_GABA). Not a part of the default cell: s_GABA has no source there.
_COBAHH = ("Brette et al. 2007 COBAHH benchmark (Brian2's COBAHH example: inhibitory "
           "tau 10 ms, E -80 mV) [lit]")
GABA_A = Part(
    "GABA_A", "GABA-A synaptic input (brian2_group: Synapses increment s_GABA)",
    """
I_GABA = g_GABA*s_GABA*(v - E_GABA) : amp/meter**2
ds_GABA/dt = -s_GABA/tau_GABA : 1
""",
    currents=("I_GABA",), states={"s_GABA": 0.0},
    parameters=(
        _p("g_GABA", "mS/cm2", 0.1, 0, 50, "GABA-A conductance per unit of s_GABA (0.1 mS/cm2 "
           "is 2.5 nS on the 2500 um2 membrane: a strong unitary synapse)",
           "unitary GABA-A conductances are 0.5-5 nS; teaching value [assume]", "gaba"),
        _p("tau_GABA", "ms", 10, 0.5, 200, "GABA-A decay time constant", _COBAHH, "gaba"),
        _p("E_GABA", "mV", -80, -100, -40, "GABA-A (Cl-) reversal potential", _COBAHH,
           "gaba"),
    ))

#: The LHb cell of docs/model.md, part by part.
LHB_PARTS = (MEMBRANE, NA_K, M_CURRENT, LEAK, T_CURRENT, H_CURRENT, NMDA, AMPA, INJECTION)

# --- the trapping variant: ketamine as a kinetic open-channel blocker ---------------------
# Synaptic NMDA channels are closed (1 - s - s_blk - s_trap), open (s), open-blocked (s_blk)
# or closed-blocked, i.e. trapped (s_trap). Glutamate opens closed channels and reopens
# trapped ones at the same rate alpha_NMDA*x; open and open-blocked channels close at the
# same rate 1/tau_NMDA_decay (a blocked channel closes around the drug: trapping).
# Ketamine enters only an open channel, at k_on_ket per uM times 1 - c + c*B_Mg(v)
# (c = ket_Mg_competition: Mg2+ in the pore keeps most ketamine out), and leaves only an
# open-blocked channel, at k_off_ket*exp(v/V_off_ket). Tonically open channels (s_tonic)
# never close, so they are blocked (s_tonic_blk) but never trapped. ket_uM comes from
# habmodel.model.drugs.

NMDA_TRAPPING = Part(
    "NMDA", NMDA.title,
    "I_NMDA = avail_NMDA*g_NMDA*(s + s_tonic - s_tonic_blk)*B_Mg*pore_free*(v - E_NMDA) "
    ": amp/meter**2\n"
    "ds/dt = -s/tau_NMDA_decay + alpha_NMDA*x*(1 - s - s_blk - s_trap)\n"
    "        - ket_block_rate*s + ket_unblock_rate*s_blk : 1" + _NMDA_COMMON,
    currents=NMDA.currents, states=NMDA.states, parameters=NMDA.parameters,
    drug_targets=NMDA.drug_targets, constants=NMDA.constants, events=NMDA.events)

KETAMINE_TRAPPING = Part(
    "ketamine_trapping", "ketamine: open-channel block with trapping (kinetic scheme)",
    """
ds_blk/dt = -s_blk/tau_NMDA_decay + alpha_NMDA*x*s_trap
            + ket_block_rate*s - ket_unblock_rate*s_blk : 1
ds_trap/dt = s_blk/tau_NMDA_decay - alpha_NMDA*x*s_trap : 1
ds_tonic_blk/dt = ket_block_rate*(s_tonic - s_tonic_blk) - ket_unblock_rate*s_tonic_blk : 1
ket_block_rate = k_on_ket*ket_uM*(1 - ket_Mg_competition*(1 - B_Mg)) : hertz
ket_unblock_rate = k_off_ket*exp(v/V_off_ket) : hertz
""",
    states={"s_blk": 0.0, "s_trap": 0.0, "s_tonic_blk": 0.0}, constants=("ket_uM : 1",),
    parameters=(
        _p("k_on_ket", "Hz", 0.15, 0, 1e4, "ketamine block rate of an open, Mg2+-free NMDA "
           "channel per uM of ketamine (Hz/uM)", _TRAP, "trapping"),
        _p("k_off_ket", "Hz", 1.78, 0, 1e4, "ketamine unblock rate of an open-blocked NMDA "
           "channel at 0 mV (0.22 Hz at -70 mV; trapped channels must reopen first)", _TRAP,
           "trapping"),
        _p("V_off_ket", "mV", 33.5, 5, 1e4, "depolarisation per e-fold rise of the unblock "
           "rate (RT/(delta F): 33.5 mV is delta = 0.79 at 34 C)", _TRAP, "trapping"),
        _p("ket_Mg_competition", "1", 0.85, 0, 1, "fraction of the Mg2+-occupied open pores "
           "that ketamine cannot enter (block rate x (1 - c + c B_Mg(V))); 1: full "
           "competition, 0: none", "0.85: Mg2+ raises the IC50 5x at -66 mV and the IC50 "
           "rises with depolarisation; docs/calibration.md [assume]", "trapping"),
    ))
