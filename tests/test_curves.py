"""Teaching curves: evaluated from the model's equations, checked against the textbook
formulas of docs/science.md section 2 and against Brian2's own evaluation of the equations."""

import gc
import math

import numpy as np
import pandas as pd
import pytest

from habmodel.analysis import curves
from habmodel.model.parameters import PARAMETERS, condition_values

V = np.linspace(-110.0, 10.0, 49)


def _mv(values):
    from brian2 import mV

    return np.asarray(values, float) * mV


def test_nmda_iv_is_tidy():
    iv = curves.nmda_iv(mg=["0 mM", "1 mM"], v=_mv(V))
    assert isinstance(iv, pd.DataFrame)
    assert len(iv) == 2 * V.size
    assert {"Mg_mM", "v_mV", "B_Mg", "g_NMDA_mS_cm2", "I_NMDA_uA_cm2", "slope_mS_cm2",
            "negative_slope"} <= set(iv.columns)
    assert sorted(iv["Mg_mM"].unique()) == [0.0, 1.0]


def test_nmda_negative_slope_region_with_mg_and_none_without():
    region = curves.negative_slope_region(curves.nmda_iv(mg=["0 mM", "1 mM"]))
    zero, one = region.iloc[0], region.iloc[1]
    assert math.isnan(zero["v_low_mV"]), "no Mg2+: the NMDA I-V must be ohmic"
    g_nmda = PARAMETERS["g_NMDA"].default
    assert zero["min_slope_mS_cm2"] == pytest.approx(g_nmda, rel=1e-6)
    # Jahr-Stevens at 1 mM: the current is most inward near -30 mV and the steep
    # negative-slope part spans roughly -80 to -30 mV (docs/science.md section 2).
    assert -35 <= one["v_high_mV"] <= -20
    assert one["min_slope_mS_cm2"] < 0
    assert -85 <= one["v_low_steep_mV"] <= -65
    assert -40 <= one["v_high_steep_mV"] <= -25


def test_mg_block_matches_jahr_stevens_and_reverses_at_e_nmda():
    iv = curves.nmda_iv(mg=["1 mM", "2 mM"], v=_mv(V))
    for mg, curve in iv.groupby("Mg_mM"):
        v = curve["v_mV"].to_numpy()
        expected = 1 / (1 + mg / 3.57 * np.exp(-0.062 * v))
        np.testing.assert_allclose(curve["B_Mg"], expected, rtol=1e-12)
        g = PARAMETERS["g_NMDA"].default
        np.testing.assert_allclose(curve["I_NMDA_uA_cm2"], g * expected * v, rtol=1e-9,
                                   atol=1e-12)
    at_zero = curves.nmda_iv(mg=["1 mM"], v=_mv([0.0]))
    assert at_zero["I_NMDA_uA_cm2"].iloc[0] == pytest.approx(0.0, abs=1e-12)


def test_t_channel_gating_matches_huguenard_mccormick():
    t = curves.t_channel_gating(v=_mv(V))
    v = t["v_mV"].to_numpy()
    np.testing.assert_allclose(t["m_inf"], 1 / (1 + np.exp(-(v + 57) / 6.2)), rtol=1e-12)
    np.testing.assert_allclose(t["m_inf_sq"], t["m_inf"] ** 2, rtol=1e-12)
    np.testing.assert_allclose(t["h_inf"], 1 / (1 + np.exp((v + 81) / 4)), rtol=1e-9)
    values = condition_values("control")
    q = values["q10_T"] ** ((values["temperature"] - 297.15) / 10)
    tau = (30.8 + (211.4 + np.exp((v + 113.2) / 5)) / (1 + np.exp((v + 84) / 3.2))) / q
    np.testing.assert_allclose(t["tau_h_ms"], tau, rtol=1e-9)
    half = curves.t_channel_gating(v=_mv([-57.0, -81.0]))
    assert half["m_inf"].iloc[0] == pytest.approx(0.5)
    assert half["h_inf"].iloc[1] == pytest.approx(0.5)
    # de-inactivation is slow near rest, fast when depolarised
    assert t.loc[t["v_mV"].sub(-85).abs().idxmin(), "tau_h_ms"] > 3 * t["tau_h_ms"].iloc[-1]


def test_h_activation_matches_the_textbook_form():
    h = curves.h_activation(v=_mv(V))
    v = h["v_mV"].to_numpy()
    np.testing.assert_allclose(h["r_inf"], 1 / (1 + np.exp((v + 75) / 5.5)), rtol=1e-9)
    tau = 1 / (np.exp(-14.59 - 0.086 * v) + np.exp(-1.87 + 0.0701 * v))
    np.testing.assert_allclose(h["tau_r_ms"], tau, rtol=1e-9)
    assert np.all(np.diff(h["r_inf"]) < 0), "I_h activates with hyperpolarisation"


def test_e_k_of_the_two_conditions():
    table = curves.potassium_reversal(["2.75 mM", "5 mM"])
    depressed, control = table["E_K_mV"]
    assert control == pytest.approx(-88.2, abs=0.3)
    assert depressed == pytest.approx(-104.0, abs=0.3)
    t = condition_values("control")["temperature"]
    rt_f = 8.617333262e-5 * t * 1e3  # mV
    assert control - depressed == pytest.approx(rt_f * math.log(5 / 2.75), rel=1e-9)
    default = curves.potassium_reversal()
    assert np.all(np.diff(default["E_K_mV"]) > 0) and len(default) > 100


def test_curves_agree_with_brian2_evaluating_the_same_equations():
    import brian2 as b2
    from brian2.utils.logger import catch_logs

    with catch_logs():  # the probe group is never run: silence Brian2's "unused object" note
        _compare_with_brian2(b2)
        gc.collect()


def _compare_with_brian2(b2):
    from brian2.codegen.runtime.numpy_rt import NumpyCodeObject

    from habmodel.model import DRUG_TARGETS, EQUATION_PARAMETERS, full_equations
    from habmodel.model.units import unit_of

    values = condition_values("depressed")
    # Brian2 evaluates the subexpressions of the equation string itself (numpy target).
    group = b2.NeuronGroup(V.size, full_equations(), codeobj_class=NumpyCodeObject,
                           name="curve_probe")
    for name in EQUATION_PARAMETERS:
        setattr(group, name, values[name] * unit_of(PARAMETERS[name].unit))
    for target in DRUG_TARGETS:
        setattr(group, f"avail_{target}", 1.0)
    group.v = V * b2.mV
    group.s = 1.0
    iv = curves.nmda_iv(mg=["1 mM"], v=_mv(V), condition="depressed")
    np.testing.assert_allclose(iv["B_Mg"], group.B_Mg[:], rtol=1e-10)
    np.testing.assert_allclose(iv["I_NMDA_uA_cm2"],
                               group.I_NMDA[:] / (b2.uA / b2.cm**2), rtol=1e-10, atol=1e-12)
    t = curves.t_channel_gating(v=_mv(V), condition="depressed")
    np.testing.assert_allclose(t["m_inf"], group.m_T_inf[:], rtol=1e-10)
    np.testing.assert_allclose(t["tau_h_ms"], group.tau_h_T[:] / b2.ms, rtol=1e-10)
    e_k = curves.potassium_reversal([f"{values['K_o']} mM"], condition="depressed")
    np.testing.assert_allclose(e_k["E_K_mV"].iloc[0], group.E_K[0] / b2.mV, rtol=1e-10)


def test_overrides_change_the_curves():
    slow = curves.t_channel_gating(v=_mv([-80.0]), overrides={"q10_T": 1})
    fast = curves.t_channel_gating(v=_mv([-80.0]))
    assert slow["tau_h_ms"].iloc[0] > 2 * fast["tau_h_ms"].iloc[0]


@pytest.mark.parametrize("call, message", [
    (lambda: curves.nmda_iv(mg=["1 mV"]), "mg: expected a quantity in mM"),
    (lambda: curves.nmda_iv(mg=[1.0]), "mg: expected a quantity in mM"),
    (lambda: curves.nmda_iv(mg=["20 mM"]), "Mg_o"),
    (lambda: curves.nmda_iv(open_fraction=0), "open_fraction"),
    (lambda: curves.t_channel_gating(v="10 mM"), "v: expected a quantity in mV"),
    (lambda: curves.h_activation(v=[]), "v: expected at least one value"),
    (lambda: curves.potassium_reversal([2.0, 3.0]), "k_o: expected a quantity in mM"),
    (lambda: curves.evaluate("B_mg"), "not a subexpression"),
    (lambda: curves.evaluate("B_Mg"), "state variable"),
])
def test_bad_input_is_rejected_by_name(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_steady_state_iv_nmda_softens_the_whole_cell_slope():
    from brian2 import mV

    from habmodel.analysis.curves import steady_state_iv

    table = steady_state_iv("depressed", (0.0, 0.11), np.arange(-85.0, -59.0, 1.0) * mV)
    slope = table.pivot(index="v_mV", columns="s", values="slope_nS")
    assert (slope[0.11] < slope[0.0]).all()  # NMDA adds negative slope below threshold
    current = table.pivot(index="v_mV", columns="s", values="I_pA")
    assert (current[0.11] < current[0.0]).all()  # and inward current
    with pytest.raises(ValueError, match="open_fractions"):
        steady_state_iv("depressed", (1.5,))
