"""An A-type K+ current (I_A) as a habmodel part: ``habmodel simulate --part THIS_FILE``.

A fast-activating, inactivating K+ current in the form of Connor & Stevens (1971), with
the steady-state curves and time constants of the thalamocortical I_A of Huguenard &
McCormick (1992): activation a^4 (V_1/2 = -60 mV, slope 8.5 mV), inactivation b
(V_1/2 = -78 mV, slope 6 mV), tau_a about 0.4-2 ms, tau_b about 20 ms (constant here, a
simplification). It reverses at the model's E_K, so it follows the K+ gradient that the
depressed condition lowers. The conductance default (0.5 mS/cm2) is a teaching value,
not a measured LHb number; see docs/howto.md for what it does to the bursts.
"""

from habmodel import Parameter, Part

PART = Part(
    "A", "A-type K+ (Connor & Stevens 1971; Huguenard & McCormick 1992 curves)",
    """
I_A = avail_A*g_A*a_A**4*b_A*(v - E_K) : amp/meter**2
da_A/dt = (1/(1 + exp(-(v + 60*mV)/(8.5*mV))) - a_A)/tau_a_A : 1
db_A/dt = (1/(1 + exp((v + 78*mV)/(6*mV))) - b_A)/tau_b_A : 1
""",
    currents=["I_A"],
    states={"a_A": 0.357, "b_A": 0.103},
    drug_targets=["A"],
    parameters=[
        Parameter("g_A", "mS/cm2", 0.5, 0, 20, "A-type K+ conductance (a^4 b)",
                  "teaching value [assume]", "A"),
        Parameter("tau_a_A", "ms", 1.0, 0.1, 20, "I_A activation time constant",
                  "Huguenard & McCormick 1992 (0.4-2 ms) [lit]", "A"),
        Parameter("tau_b_A", "ms", 20, 1, 500, "I_A inactivation time constant",
                  "Huguenard & McCormick 1992 (about 20 ms) [lit]", "A"),
    ],
)
