"""What the lab lets a student change: the controls (slider ranges and units), the
condition presets and the guided tour. Plain data, written into the lab's ``model.json``
(:mod:`habmodel.lab.bundle`); the page builds its sliders and its tour from it."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Control", "CONTROLS", "DRUG_CONTROLS", "Step", "TOUR", "MAP_K_O", "MAP_G",
           "MAP_DURATION_S", "IV_V_MV", "IV_OPEN_FRACTIONS", "RECORD_DT_MS", "CLAMP_SETTINGS",
           "CLAMP_CUSTOM", "CLAMP_TITLES", "CLAMP_NOTES", "CLAMP_MAX_STEPS",
           "CLAMP_MAX_CELL_SAMPLES"]


@dataclass(frozen=True)
class Control:
    """One setting of the lab: its label, unit and range (a log slider for drugs, whose
    leftmost position is 0). The names are those of ``params.toml`` and the command line
    (a parameter, a drug, or ``duration``/``seed``/the current step)."""

    name: str
    label: str
    unit: str
    low: float
    high: float
    step: float
    log: bool = False
    group: str = "cell"


#: The settings with a slider, in the order of the page.
CONTROLS = {c.name: c for c in (
    Control("K_o", "perisomatic [K+]o", "mM", 1.5, 6.0, 0.05),
    Control("g_NMDA", "NMDA conductance g_NMDA", "mS/cm2", 0.0, 5.0, 0.05),
    Control("nu_glu", "glutamate input rate", "Hz", 0.0, 400.0, 5.0),
    Control("ketamine", "ketamine", "uM", 0.01, 100.0, 0.05, log=True, group="drug"),
    Control("ap5", "AP5", "uM", 0.1, 1000.0, 0.05, log=True, group="drug"),
    Control("mibefradil", "mibefradil", "uM", 0.01, 100.0, 0.05, log=True, group="drug"),
    Control("I_hold", "holding current", "pA", -60.0, 60.0, 1.0),
    Control("I_step", "current step", "pA", -60.0, 60.0, 1.0, group="step"),
    Control("step_start", "step onset", "s", 0.0, 10.0, 0.05, group="step"),
    Control("step_ms", "step length", "ms", 0.0, 2000.0, 10.0, group="step"),
    Control("duration", "duration", "s", 0.5, 10.0, 0.5, group="run"),
    Control("seed", "seed", "1", 0, 2**31 - 1, 1, group="run"),
)}
DRUG_CONTROLS = tuple(name for name, c in CONTROLS.items() if c.group == "drug")

#: The recorded voltage's sampling step (ms) and the firing-mode map's grid and length.
RECORD_DT_MS = 0.1
MAP_K_O = tuple(round(1.5 + 0.4 * i, 3) for i in range(12))  # 1.5 to 5.9 mM
MAP_G = tuple(round(0.5 * i, 3) for i in range(10))  # 0 to 4.5 mS/cm2
MAP_DURATION_S = 2.0
#: The I-V curve: voltages below spike threshold, NMDA open fractions.
IV_V_MV = tuple(round(-110.0 + 0.5 * i, 3) for i in range(131))  # -110 to -45 mV
IV_OPEN_FRACTIONS = (0.0, 0.05, 0.1, 0.15)


@dataclass(frozen=True)
class Step:
    """A step of the guided tour: a title, a text (Markdown: **bold** only) and the
    settings that "Show me" applies."""

    title: str
    text: str
    changes: dict = field(default_factory=dict)


TOUR = (
    Step("1. Meet the LHb neuron",
         "This is one lateral habenula neuron in the **control** condition. Glutamate arrives "
         "at random, and the cell fires single spikes: the firing mode says **tonic**. Look "
         "at the I-V curve below: the cell rests where the curve crosses the holding current.",
         {"condition": "control", "K_o": 5.0, "ketamine": 0.0, "ap5": 0.0, "mibefradil": 0.0,
          "I_step": 0.0, "g_NMDA": 2.2}),
    Step("2. Depression: less K+ around the cell",
         "In depression, astrocytes buffer more K+ (Kir4.1), so there is less K+ around the "
         "soma. **Lower [K+]o to 2.6 mM.** What happens? The cell is hyperpolarised, its "
         "T-type Ca2+ channels recover from inactivation, and it fires in **bursts**.",
         {"condition": "depressed", "K_o": 2.6}),
    Step("3. Bursts need NMDA receptors",
         "Now **set g_NMDA to 0**. The bursts stop. Between bursts, the NMDA current, freed "
         "from its Mg2+ block as the cell depolarises, is what pushes the cell back up into "
         "the next burst. The I-V curves with NMDA open (s > 0) have a region of negative "
         "slope: a regenerative push.",
         {"g_NMDA": 0.0}),
    Step("4. Ketamine",
         "Set g_NMDA back to 2.2 and add **ketamine**. The grey marks on its slider are "
         "human plasma levels: 0.78 uM after an antidepressant infusion, 5-10 uM under "
         "anaesthesia. At **10 uM** the depressed cell is **silent**: ketamine plugs the "
         "NMDA channel that the bursts need. The I-V curves now include the block.",
         {"g_NMDA": 2.2, "ketamine": 10.0}),
    Step("5. The T-channel control",
         "Take ketamine away and block T-type Ca2+ channels with **mibefradil 2 uM**. The "
         "bursts stop too: each burst rides on a T-channel low-threshold spike.",
         {"ketamine": 0.0, "mibefradil": 2.0}),
    Step("6. A rebound burst",
         "Back to control ([K+]o 5 mM, no drugs), and inject a **-20 pA step for 500 ms at "
         "1 s**. While the current hyperpolarises the cell, its T-channels recover; when the "
         "step ends, the cell fires a **rebound burst**. Where does the firing-mode map put "
         "the cell now?",
         {"condition": "control", "K_o": 5.0, "mibefradil": 0.0, "I_step": -20.0,
          "step_start": 1.0, "step_ms": 500.0}),
)


# --- the voltage-clamp mode (``?mode=vclamp``; habmodel.vclamp in the browser) ---------------

#: The clamp's own settings (the names of ``habmodel.vclamp`` and ``habmodel vclamp``; the
#: drugs are the drug controls above, any parameter of the table is an override). Potentials
#: span habmodel.experiments.vclamp.V_RANGE_MV; times are the lab's (a browser tab).
CLAMP_SETTINGS = {c.name: c for c in (
    Control("hold", "holding potential", "mV", -150.0, 100.0, 1.0, group="clamp"),
    Control("steps", "step potentials", "mV", -150.0, 100.0, 1.0, group="clamp"),
    Control("duration", "step length", "ms", 0.05, 10_000.0, 1.0, group="clamp"),
    Control("tail", "tail potential", "mV", -150.0, 100.0, 1.0, group="clamp"),
    Control("tail_duration", "tail length", "ms", 0.0, 10_000.0, 1.0, group="clamp"),
    Control("pre", "recorded time at the holding potential", "ms", 0.0, 10_000.0, 1.0,
            group="clamp"),
    Control("s", "NMDA open fraction (glutamate in the bath)", "1", 0.0, 1.0, 0.01,
            group="clamp"),
)}
#: "your own protocol": one arm, these settings to start from.
CLAMP_CUSTOM = {"hold": -70.0, "steps": (-90.0, -70.0, -50.0, -30.0), "duration": 200.0,
                "tail_duration": 100.0, "pre": 100.0}
#: At most this many steps per arm, and samples x cells per clamp (the page's memory).
CLAMP_MAX_STEPS = 30
CLAMP_MAX_CELL_SAMPLES = 1_000_000

#: A protocol's name in the page's menu.
CLAMP_TITLES = {
    "nmda-iv": "NMDA I-V: Mg2+ block and ketamine",
    "ketamine-use": "ketamine: use-dependent block",
    "t-current": "T-current: de-inactivation",
    "h-activation": "I_h activation",
    "custom": "your own protocol",
}

#: What to look for, per protocol (Markdown: **bold** only), shown beside the figures.
CLAMP_NOTES = {
    "nmda-iv": "Glutamate is in the bath (10 % of the NMDA channels open) and the cell is "
               "stepped from -70 mV to each potential (shown: I_NMDA). In **1 mM Mg2+** the "
               "inward current grows as the membrane depolarises from -100 to about -30 mV: a "
               "**negative slope**, because Mg2+ leaves the pore. Without Mg2+ the I-V is a "
               "straight line through 0 mV. **Ketamine 1 uM** (its IC50 here) halves the "
               "current at every potential.",
    "ketamine-use": "Ten steps to -30 mV, each with a puff of glutamate, without and with "
                    "**ketamine 10 uM** (the trapping model). Ketamine enters only **open** "
                    "channels and is trapped when they close, so its block grows with every "
                    "depolarisation: little at the first step, about a quarter at the tenth. "
                    "The right plot shows the peak NMDA current of each step.",
    "t-current": "The same steps from two holding potentials. From **-100 mV** the T-channels "
                 "have recovered from inactivation: a step to -50 mV opens them, a large and "
                 "brief inward I_T (nA). From **-60 mV** most stay inactivated (tens of pA). "
                 "This is why the cell must be hyperpolarised before it can burst.",
    "h-activation": "Hyperpolarising steps from -50 mV, 2 s each. I_h turns on slowly "
                    "(hundreds of ms), **more and faster** the more negative the step: an "
                    "inward current that pulls a hyperpolarised cell back up.",
    "custom": "**Your own protocol**: a holding potential, the steps (one cell each) and a "
              "tail. Every current of the cell is recorded: choose the one to plot.",
}
