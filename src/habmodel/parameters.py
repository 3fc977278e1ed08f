"""The one parameter table of habmodel, and the named conditions.

Every model parameter is listed here once, with its unit, default value, valid
range, a one-line meaning and its source. The model equations, the drug layer,
the CLI, the docs (``docs/model.md``) and the TOML parameter files all read
this table; nothing else defines a default.

Values are stored as plain floats *in the parameter's display unit* (for
example ``g_T = 1.5`` with unit ``"mS/cm2"``), so that this module does not
need Brian2. :func:`habmodel.units.to_quantity` turns them into Brian2
quantities.

Sources: marks follow ``docs/science.md``: ``[lit]`` textbook or
standard-model value, ``[src]`` a named paper, ``[assume]`` a modelling choice
of this project (documented in ``docs/model.md``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "Parameter",
    "PARAMETERS",
    "CONDITIONS",
    "DEFAULT_CONDITION",
    "condition_values",
    "closest_name",
    "get_parameter",
    "markdown_table",
    "CONDITION_DOCS",
]


@dataclass(frozen=True)
class Parameter:
    """One model parameter.

    Attributes
    ----------
    name : str
        Name as used in the equations, the CLI (``--set NAME=VALUE``) and TOML.
    unit : str
        Display unit, parseable by :func:`habmodel.units.parse_quantity`
        (``"1"`` for dimensionless).
    default : float
        Default value, in ``unit``.
    low, high : float
        Valid range (inclusive), in ``unit``; values outside are rejected.
    meaning : str
        One-line meaning.
    source : str
        Where the value comes from.
    group : str
        Which part of the model it belongs to (for docs and TOML sections).
    """

    name: str
    unit: str
    default: float
    low: float
    high: float
    meaning: str
    source: str
    group: str

    def check(self, value: float) -> None:
        """Raise ``ValueError`` if ``value`` (in ``unit``) is not valid."""
        if not (value == value) or value in (float("inf"), float("-inf")):
            raise ValueError(f"{self.name}: expected a finite value in {self.unit}, got {value}")
        slack = 1e-9 * max(abs(self.low), abs(self.high), 1.0)  # unit-conversion round-off
        if not (self.low - slack <= value <= self.high + slack):
            raise ValueError(
                f"{self.name}: {value:g} {self.unit} is outside the valid range "
                f"[{self.low:g}, {self.high:g}] {self.unit}"
            )


def _p(name, unit, default, low, high, meaning, source, group) -> Parameter:
    return Parameter(name, unit, float(default), float(low), float(high), meaning, source, group)


_TM = "Traub & Miles 1991, as in Brian2's COBAHH example [lit]"
_HM = "Huguenard & McCormick 1992; Destexhe et al. 1996 [lit]"
_BW = "Brunel & Wang 2001 [lit]"
_TUNED = "tuned for NMDA-dependent bursting, docs/model.md [assume]"
_TRAP = ("calibrated: IC50 about 1 uM, block kept for hours in a quiet cell; "
         "habmodel.trapping [assume]")

_TABLE = [
    # --- membrane -------------------------------------------------------------
    _p("C_m", "uF/cm2", 1.0, 0.1, 10, "specific membrane capacitance", "[lit]", "membrane"),
    _p("area", "um2", 2500, 100, 1e5, "membrane area (2500 um2 x 1 uF/cm2 = 25 pF)",
       "docs/science.md sec. 7 [assume]", "membrane"),
    _p("temperature", "K", 307.15, 290, 315, "temperature (34 C); sets E_K and the T-current q10",
       "slice recordings at 34 C [assume]", "membrane"),
    # --- Traub-Miles Na+/K+ spikes -------------------------------------------
    _p("g_Na", "mS/cm2", 50, 0, 500, "fast Na+ conductance", _TM, "spikes"),
    _p("E_Na", "mV", 50, 0, 100, "Na+ reversal potential", "[lit]", "spikes"),
    _p("g_K", "mS/cm2", 5, 0, 200, "delayed-rectifier K+ conductance", _TM, "spikes"),
    _p("V_T", "mV", -48, -70, -40, "Traub-Miles threshold offset VT (sets the tonic rate)",
       "Traub & Miles 1991 range; value " + _TUNED, "spikes"),
    _p("g_M", "mS/cm2", 0.04, 0, 5, "slow M-type K+ conductance (spike-frequency adaptation)",
       "Pospischil et al. 2008 [lit]", "spikes"),
    _p("tau_M", "ms", 1000, 10, 1e4, "M-current maximal time constant",
       "Pospischil et al. 2008 [lit]", "spikes"),
    # --- leaks and the K+ gradient (depression knob) ------------------------
    _p("g_KL", "mS/cm2", 0.045, 0, 1, "K+ leak conductance", "docs/science.md sec. 7 [assume]",
       "leak"),
    _p("g_NaL", "mS/cm2", 0.0045, 0, 1, "Na+ leak conductance (reverses at E_Na)",
       "docs/science.md sec. 7 [assume]", "leak"),
    _p("K_o", "mM", 5.0, 0.5, 20, "perisomatic extracellular K+ (Kir4.1 buffering lowers it)",
       "Cui et al. 2018 mechanism; values " + _TUNED, "leak"),
    _p("K_i", "mM", 140, 50, 200, "intracellular K+", "[lit]", "leak"),
    # --- T-type Ca2+ ----------------------------------------------------------
    _p("g_T", "mS/cm2", 1.5, 0, 20, "T-type Ca2+ conductance (m_inf^2 h)", _TUNED, "calcium"),
    _p("E_Ca", "mV", 120, 50, 200, "Ca2+ reversal potential (fixed, not GHK)", "[lit]",
       "calcium"),
    _p("q10_T", "1", 3, 1, 5, "q10 of T-channel inactivation (reference 24 C)", _HM, "calcium"),
    _p("k_Ca", "1/ms", 0.002, 0, 1, "Ca2+ pool loading per uA/cm2 of I_T (pool in units of K_d)",
       "docs/science.md sec. 7 [assume]", "calcium"),
    _p("tau_Ca", "ms", 200, 1, 5000, "Ca2+ pool clearance time constant",
       "docs/science.md sec. 7 [assume]", "calcium"),
    _p("g_SK", "mS/cm2", 0.1, 0, 10, "Ca2+-activated SK K+ conductance (c^4/(c^4+1))",
       "docs/science.md sec. 7 [assume]", "calcium"),
    # --- I_h -------------------------------------------------------------------
    _p("g_h", "mS/cm2", 0.02, 0, 1, "HCN (I_h) conductance", _TUNED, "h"),
    _p("E_h", "mV", -43, -60, 0, "I_h reversal potential", "Huguenard & McCormick 1992 [lit]", "h"),
    # --- NMDA -------------------------------------------------------------------
    _p("g_NMDA", "mS/cm2", 2.3, 0, 50, "NMDA conductance at open fraction s = 1",
       _TUNED, "nmda"),
    _p("nu_glu", "Hz", 120, 0, 5000, "rate of Poisson glutamate events onto the NMDA (and AMPA) "
       "receptors", _TUNED, "nmda"),
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
    # --- AMPA (optional, off by default) -----------------------------------------
    _p("g_AMPA", "mS/cm2", 0.0, 0, 50, "AMPA conductance per glutamate event (0 = off)",
       "optional [assume]", "ampa"),
    _p("tau_AMPA", "ms", 5, 0.5, 50, "AMPA decay time constant", "[lit]", "ampa"),
    _p("E_AMPA", "mV", 0, -20, 20, "AMPA reversal potential", "[lit]", "ampa"),
    # --- injected current (protocols) ------------------------------------------
    _p("I_hold", "pA", 0, -1000, 1000, "constant injected (holding) current", "protocol",
       "injection"),
    _p("I_step", "pA", 0, -1000, 1000, "current step amplitude, on during [step_start, step_stop)",
       "protocol", "injection"),
    _p("step_start", "ms", 0, 0, 1e7, "current step onset", "protocol", "injection"),
    _p("step_stop", "ms", 0, 0, 1e7, "current step offset", "protocol", "injection"),
    # --- drugs --------------------------------------------------------------------
    _p("ketamine_IC50", "uM", 1.0, 0.01, 1000, "ketamine IC50 for NMDA pore block at 0 mV",
       "Abbott, Liu & Popescu 2024 (about 1 uM) [src]", "drugs"),
    _p("ketamine_hill", "1", 1.0, 0.2, 5, "ketamine Hill coefficient", "single pore site [lit]",
       "drugs"),
    _p("ketamine_delta", "1", 0.0, 0, 1, "electrical distance of the ketamine site (0 = "
       "voltage-independent block)", "optional [assume]", "drugs"),
    _p("ap5_IC50", "uM", 3.7, 0.01, 1000, "D-AP5 apparent IC50 (competitive, vs 40 uM NMDA)",
       "Lodge et al. 1988 [src]", "drugs"),
    _p("ap5_hill", "1", 1.0, 0.2, 5, "D-AP5 Hill coefficient", "[assume]", "drugs"),
    _p("mibefradil_IC50", "uM", 0.25, 0.001, 1000, "mibefradil IC50 for T-type Ca2+ channels",
       "complete block at >= 2 uM, Broicher et al. 2007 [assume]", "drugs"),
    _p("mibefradil_hill", "1", 2.0, 0.2, 5, "mibefradil Hill coefficient",
       "complete block at >= 2 uM, Broicher et al. 2007 [assume]", "drugs"),
    # --- ketamine trapping block (ketamine_model="trapping", habmodel.trapping) ---
    _p("k_on_ket", "Hz", 0.0025, 0, 1e4, "ketamine block rate of an open, Mg2+-free NMDA "
       "channel per uM of ketamine (Hz/uM)", _TRAP, "trapping"),
    _p("k_off_ket", "Hz", 0.001, 0, 1e4, "ketamine unblock rate of an open-blocked NMDA "
       "channel at 0 mV (trapped channels must reopen first)", _TRAP, "trapping"),
    _p("V_off_ket", "mV", 33, 5, 1e4, "depolarisation per e-fold rise of the unblock rate "
       "(RT/(delta F): 33 mV is delta = 0.8 at 34 C)", "delta = 0.8 [assume]; "
       + _TRAP, "trapping"),
    _p("ket_Mg_competition", "1", 1.0, 0, 1, "1: ketamine enters only open pores free of Mg2+ "
       "(block rate x B_Mg(V)); 0: Mg2+ does not compete", "Mg2+ raises the ketamine IC50, "
       "Kotermanski & Johnson 2009 [assume]", "trapping"),
]

#: Every parameter, by name, in table order (read-only).
PARAMETERS: MappingProxyType[str, Parameter] = MappingProxyType({p.name: p for p in _TABLE})

#: Named conditions: parameter values that differ from the table defaults.
CONDITIONS: MappingProxyType[str, MappingProxyType[str, float]] = MappingProxyType(
    {
        # Normal perisomatic K+: the cell fires tonically, driven by NMDA input.
        "control": MappingProxyType({}),
        # Depression: up-regulated astrocytic Kir4.1 clears more perisomatic K+,
        # E_K falls by 16 mV and the cell hyperpolarises (Cui et al. 2018). The gap
        # between the two is chosen so that +-20 % conductance jitter keeps control
        # cells out of the burst band at every ketamine dose (docs/model.md).
        "depressed": MappingProxyType({"K_o": 2.75}),
    }
)

#: Short descriptions of the conditions (for the CLI and docs).
CONDITION_DOCS = MappingProxyType(
    {
        "control": "normal perisomatic K+ ([K+]o = 5 mM, E_K = -88 mV): tonic firing",
        "depressed": "Kir4.1 up-regulated, perisomatic [K+]o = 2.75 mM (E_K = -104 mV): "
        "NMDA-dependent rhythmic bursting",
    }
)

DEFAULT_CONDITION = "control"


def closest_name(name: str, choices) -> str | None:
    """The closest of ``choices`` to ``name`` (for "did you mean" messages)."""
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[hits[0]] if hits else None


def _unknown(kind: str, name: str, choices) -> ValueError:
    hint = closest_name(name, choices)
    tail = f"; did you mean '{hint}'?" if hint else f"; expected one of: {', '.join(choices)}"
    return ValueError(f"unknown {kind} '{name}'{tail}")


def get_parameter(name: str) -> Parameter:
    """The :class:`Parameter` called ``name`` (``ValueError`` with a suggestion if unknown)."""
    try:
        return PARAMETERS[name]
    except KeyError:
        raise _unknown("parameter", name, list(PARAMETERS)) from None


def condition_values(condition: str = DEFAULT_CONDITION) -> dict[str, float]:
    """All parameter values (in display units) of a named condition."""
    if condition not in CONDITIONS:
        raise _unknown("condition", condition, list(CONDITIONS))
    values = {name: p.default for name, p in PARAMETERS.items()}
    values.update(CONDITIONS[condition])
    return values


def markdown_table() -> str:
    """The parameter table as Markdown (``docs/model.md`` embeds it; a test keeps it current)."""
    rows = ["| name | unit | default | depressed | range | meaning | source |",
            "|---|---|---|---|---|---|---|"]
    depressed = CONDITIONS["depressed"]
    for p in PARAMETERS.values():
        dep = f"{depressed[p.name]:g}" if p.name in depressed else ""
        rows.append(f"| `{p.name}` | {p.unit} | {p.default:g} | {dep} | {p.low:g} to {p.high:g} "
                    f"| {p.meaning} | {p.source} |")
    return "\n".join(rows) + "\n"
