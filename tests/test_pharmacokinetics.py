"""Ketamine pharmacokinetics: presets, the analytic solutions, dose parsing, unit errors."""

import math

import numpy as np
import pandas as pd
import pytest
from brian2 import kgram, liter, mgram, mV, second, ugram, uM
from matplotlib.figure import Figure

from habmodel.trapping import pharmacokinetics as pk


def _half_life_h(table: pd.DataFrame, after_h: float) -> float:
    """Half-life (h) from the log-linear slope of the tail of a time course."""
    tail = table[table["time_h"] >= after_h]
    slope = np.polyfit(tail["time_h"], np.log(tail["plasma_uM"]), 1)[0]
    return math.log(2) / -slope


def test_human_antidepressant_dose_peaks_at_0_78_uM():
    """docs/science.md sec. 3: 0.5 mg/kg over 40 min gives a plasma Cmax of about 0.78 uM."""
    reg = pk.regimen("0.5 mg/kg", "human")
    assert reg.route == "infusion" and reg.infusion_s == pytest.approx(2400)
    peak = reg.peak()
    assert peak["cmax_uM"] == pytest.approx(0.78, rel=0.02)
    assert peak["tmax_s"] == pytest.approx(2400)
    table = reg.time_course("6 h", "30 s")
    assert table["plasma_uM"].max() == pytest.approx(peak["cmax_uM"], rel=1e-9)
    assert table.loc[table["plasma_uM"].idxmax(), "time_s"] == pytest.approx(2400)


@pytest.mark.parametrize(("species", "half_life_h", "after_h"),
                         [("human", 3.0, 2.0), ("mouse", 13 / 60, 0.5)])
def test_half_lives_of_the_presets(species, half_life_h, after_h):
    table = pk.time_course(species=species, duration="12 h", step="1 min")
    assert _half_life_h(table, after_h) == pytest.approx(half_life_h, rel=1e-3)


@pytest.mark.parametrize("route", pk.ROUTES)
def test_exposure_is_dose_over_clearance(route):
    """AUC of plasma = F * dose / (V_d * k) for every route (mass balance)."""
    reg = pk.regimen("10 mg/kg", "mouse", route, bioavailability=0.8)
    t = np.linspace(0, 20 * reg.half_life_s, 200_001)
    auc = np.trapezoid(reg.plasma_uM(t), t)
    f = 0.8 if route == "ip" else 1.0
    expected = f * 10 / 2.5 / pk.MOLAR_MASS_G_PER_MOL * 1e3 / (math.log(2) / (13 * 60))
    assert auc == pytest.approx(expected, rel=1e-4)
    assert reg.auc_uM_s() == pytest.approx(expected, rel=1e-9)


def test_routes_shape_the_peak():
    bolus = pk.regimen("10 mg/kg", "mouse", "iv_bolus")
    ip = pk.regimen("10 mg/kg", "mouse", "ip")
    assert bolus.peak()["tmax_s"] == 0
    assert bolus.plasma_uM(0.0) == pytest.approx(10 / 2.5 / 237.73 * 1e3)  # D / V_d
    assert 0 < ip.peak()["tmax_s"] < 15 * 60
    assert ip.peak()["cmax_uM"] < bolus.peak()["cmax_uM"]
    # the i.p. formula's own maximum is where peak() says it is
    t = np.linspace(0, 3600, 36_001)
    assert t[np.argmax(ip.plasma_uM(t))] == pytest.approx(ip.peak()["tmax_s"], abs=0.2)


def test_start_time_and_brain_ratio():
    reg = pk.regimen("10 mg/kg", "mouse", start="1 h", brain_to_plasma=2)
    assert reg.plasma_uM(3599.0) == 0
    assert reg.plasma_uM(3700.0) > 0
    assert reg.brain_uM(4000.0) == pytest.approx(2 * reg.plasma_uM(4000.0))
    assert reg.peak()["tmax_s"] > 3600


def test_time_course_is_a_tidy_table():
    table = pk.time_course("0.5 mg/kg", "human", duration="2 h", step="10 min")
    assert list(table.columns) == ["species", "route", "dose_mg_per_kg", "time_s", "time_h",
                                   "plasma_uM", "brain_uM"]
    assert len(table) == 13
    assert table["time_h"].iloc[-1] == pytest.approx(2)
    assert (table["species"] == "human").all() and (table["dose_mg_per_kg"] == 0.5).all()


@pytest.mark.parametrize(("dose", "mg_per_kg"), [
    ("0.5 mg/kg", 0.5), ("0.5mg/kg", 0.5), ("500 ug/kg", 0.5), ("500 µg/kg", 0.5),
    ("0.5 ug/g", 0.5), (" 1e1 mg / kg ", 10.0), (0.5 * mgram / kgram, 0.5),
    (500 * ugram / kgram, 0.5)])
def test_parse_dose(dose, mg_per_kg):
    assert pk.parse_dose(dose) == pytest.approx(mg_per_kg)


@pytest.mark.parametrize(("dose", "message"), [
    ("0.5 mg", "dose: cannot read '0.5 mg'"), ("half a dose", "cannot read"),
    (0.5, "write the unit"), (0.5 * mV, "wrong dimensions"), ("-1 mg/kg", "expected a dose"),
    ("5000 mg/kg", "expected a dose in"), (True, "expected a dose"),
    ([1, 2] * mgram / kgram, "single dose")])
def test_parse_dose_errors_name_the_argument_and_unit(dose, message):
    with pytest.raises(ValueError, match=message):
        pk.parse_dose(dose)


def test_regimen_options_accept_quantities_and_strings():
    a = pk.regimen("0.5 mg/kg", "human", infusion=2400 * second, volume=2.5 * liter / kgram,
                   half_life="3 h")
    b = pk.regimen(0.5 * mgram / kgram, "human", infusion="2400 s", volume="2500 ml/kg",
                   half_life=10800 * second)
    assert a == b
    assert pk.regimen("1 mg/kg", "human", volume="5 L/kg").peak()["cmax_uM"] == pytest.approx(
        a.peak()["cmax_uM"])


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"species": "rat"}, "species: expected one of human, mouse"),
    ({"route": "oral"}, "route: expected one of"),
    ({"route": "ip", "infusion": "40 min"}, "infusion: only used"),
    ({"half_life": "3 uM"}, "half_life: expected a quantity in s"),
    ({"half_life": 3}, "half_life: expected a quantity in s"),
    ({"volume": "2.5 L"}, "volume: cannot read"),
    ({"volume": 2.5 * uM}, "volume: expected a quantity in liter/kgram"),
    ({"bioavailability": 1.5}, "bioavailability: expected a number in"),
    ({"start": "-1 h"}, "start: expected a non-negative time"),
])
def test_regimen_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pk.regimen(**kwargs)


def test_time_course_rejects_bad_steps():
    with pytest.raises(ValueError, match="step: expected a positive time"):
        pk.time_course(step="0 s")
    with pytest.raises(ValueError, match="duration: expected a quantity in s"):
        pk.time_course(duration="24 uM")


def test_plot_time_course_returns_a_figure():
    table = pd.concat([pk.time_course(species="mouse", duration="3 h"),
                       pk.time_course(species="human", duration="3 h")])
    fig = pk.plot_time_course(table, log=True)
    assert isinstance(fig, Figure)
    assert len(fig.axes[0].get_lines()) == 3  # two species and the 0.78 uM mark
    with pytest.raises(ValueError, match="time_course"):
        pk.plot_time_course(pd.DataFrame({"x": [1]}))
