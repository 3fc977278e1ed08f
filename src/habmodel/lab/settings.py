"""What the lab lets a student change: the controls (slider ranges and units), the
condition presets and the guided tour. Plain data, written into the lab's ``model.json``
(:mod:`habmodel.lab.bundle`); the page builds its sliders and its tour from it."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Control", "CONTROLS", "DRUG_CONTROLS", "Step", "TOUR", "MAP_K_O", "MAP_G",
           "MAP_DURATION_S", "IV_V_MV", "IV_OPEN_FRACTIONS", "RECORD_DT_MS"]


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
