"""The guided tour of the browser lab: the notebooks' story in six steps.

Each step is a title, a text in Markdown and the settings that "Show me" applies (the
student may also move the sliders by hand).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Step", "TOUR"]


@dataclass(frozen=True)
class Step:
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
         "NMDA channel that the bursts need.",
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
