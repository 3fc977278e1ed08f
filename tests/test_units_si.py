"""The Brian2-free SI scales of the display units agree with Brian2."""

import pytest

from habmodel.model.parameters import PARAMETERS
from habmodel.model.units import _SI_SCALE, si_scale, unit_of


@pytest.mark.parametrize("unit", sorted(set(_SI_SCALE) - {""}))
def test_si_scale_matches_brian2(unit):
    assert si_scale(unit) == pytest.approx(float(unit_of(unit)), rel=1e-15)


def test_every_parameter_unit_has_a_scale():
    assert {p.unit for p in PARAMETERS.values()} <= set(_SI_SCALE)
