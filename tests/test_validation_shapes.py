"""Burst shapes on real simulations (docs/burst_shapes.md; issue 28).

The mouse LHb study (J Physiol 604:3396, 2026) reports that hyperpolarisation favours
square-wave bursts. In this model that holds for the manipulation of a slice
experiment, a hyperpolarising holding current in the depressed cell, and it is
checked here as a claim (``validation``). Along the model's own depression axis,
[K+]o, it does not hold: the second test pins that documented answer, so that the
page is revisited if the model changes (it is not a claim of the papers).

Shapes by :func:`habmodel.analysis.classify_bursts` with the default thresholds; the
direction of both results is the same at plateau_retained 0.4 and 0.6
(docs/burst_shapes.md, sensitivity table). If one of these fails, do not loosen the
bound: rerun ``python scripts/measure_burst_shapes.py`` and update the page.
"""

import pytest

from habmodel.analysis import burst_shape_summary
from habmodel.experiments import burst_shapes

pytestmark = pytest.mark.slow

N = 10
DURATION = "5 s"
SEED = 2026


@pytest.fixture(scope="module")
def summary():
    """Shape fractions per point: [K+]o 2.6 and 3.4 mM; the depressed cell at 0 and -20 pA."""
    table = burst_shapes(["2.6 mM", "3.4 mM"], ["-20 pA", "0 pA"], n_cells=N,
                         duration=DURATION, seed=SEED)
    out = burst_shape_summary(table)
    return {(row.axis, row.K_o_mM, row.I_hold_pA): row for row in out.itertuples()}


@pytest.mark.validation
def test_hyperpolarising_current_favours_square_wave_bursts(summary):
    """Depressed cell: -20 pA raises the square-wave fraction by >= 0.15 over 0 pA, to
    >= 0.85 (measured, 3 seeds: 0.71 -> 0.98), with enough bursts to count."""
    rest, held = summary[("I_hold", 2.6, 0.0)], summary[("I_hold", 2.6, -20.0)]
    assert held.n_square_wave + held.n_triangular + held.n_parabolic >= 25
    assert held.frac_square_wave >= rest.frac_square_wave + 0.15
    assert held.frac_square_wave >= 0.85
    assert held.spikes_per_burst < rest.spikes_per_burst  # the mechanism: shorter bursts


def test_lower_potassium_does_not_favour_square_wave_bursts(summary):
    """The documented negative answer: along [K+]o, the depressed value (2.6 mM) has
    fewer square-wave bursts than 3.4 mM (measured, 3 seeds: 0.71 vs 0.89), and the
    model makes no parabolic bursts."""
    low, high = summary[("K_o", 2.6, 0.0)], summary[("K_o", 3.4, 0.0)]
    assert low.frac_square_wave <= high.frac_square_wave - 0.1
    assert low.spikes_per_burst > high.spikes_per_burst
    assert all(row.n_parabolic == 0 for row in summary.values())
