"""Ketamine pharmacokinetics: brain concentration over time after one dose.

A one-compartment model with first-order elimination (half-life ``t_half``,
volume of distribution ``V_d`` per kg of body mass) and three routes:

* ``"iv_bolus"``: ``C(t) = D/V_d * exp(-k t)``, ``k = ln 2 / t_half``;
* ``"infusion"`` (constant rate over ``T``): ``C(t) = D/(V_d k T) (1 - exp(-k t))``
  while it runs, then exponential decay from ``C(T)``;
* ``"ip"`` (intraperitoneal; also fits i.m. and s.c.): first-order absorption
  with rate ``k_a = ln 2 / t_abs`` and bioavailability ``F``:
  ``C(t) = F D/V_d * k_a/(k_a - k) (exp(-k t) - exp(-k_a t))``.

Concentrations are of ketamine base (molar mass 237.73 g/mol; clinical doses
are labelled as base, e.g. Ketalar). The concentration that the NMDA
receptors of the LHb see (``brain_uM``) is the plasma concentration times
``brain_to_plasma``.

Species presets (:data:`SPECIES`), each number marked as in docs/science.md:

=========  ============  ==========  ==============================================
species    t_half        V_d         dose / route
=========  ============  ==========  ==============================================
human      3 h [src]     2.5 L/kg    0.5 mg/kg over 40 min i.v. (antidepressant)
mouse      13 min [src]  2.5 L/kg    10 mg/kg i.p., absorption half-life 2 min, F 1
=========  ============  ==========  ==============================================

* Half-lives: docs/science.md sec. 1 item 4 (Ma et al. 2023).
* Human ``V_d = 2.5 L/kg`` is **calibrated** so that 0.5 mg/kg over 40 min gives a
  plasma peak of 0.78 uM (185 ng/ml; Zanos et al. 2018, Table 1) with a 3 h
  half-life; the literature steady-state volume is about 3 L/kg [lit].
* Mouse ``V_d`` (the human value per kg), i.p. bioavailability 1 and absorption
  half-life 2 min are **assumptions** [assume]; they give a plasma peak of
  about 12 uM about 6 min after 10 mg/kg. Change them with :func:`regimen`.
* ``brain_to_plasma = 1`` [assume]: the free-drug hypothesis (unbound brain
  interstitial concentration equals unbound plasma concentration, and plasma
  protein binding of ketamine is low). Total brain tissue:plasma ratios of 2-6
  reported in rodents include drug bound in tissue, which does not reach the pore.
* One compartment: the early distribution phase of ketamine (half-life
  10-15 min in humans) is lumped into elimination.

Doses: a string ``"0.5 mg/kg"`` (any of ``ng ug µg mg g`` per ``g`` or ``kg``;
read by :func:`parse_dose`, the small parser of this module, because Brian2 has
no mass-per-mass unit) or a Brian2 expression such as ``0.5*mgram/kgram``
(dimensionless, so it arrives as the mass ratio 5e-7; a bare number is read as
such a ratio and rejected when it is implausibly large, since ``0.5`` almost
certainly means 0.5 mg/kg). Times are Brian2 quantities or strings (``"40 min"``,
``"3 h"``). Every error is a ``ValueError`` naming the argument and its unit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..model.units import to_display
from ..plotting.style import styled
from ._base import _seconds

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["MOLAR_MASS_G_PER_MOL", "ROUTES", "Species", "SPECIES", "Regimen", "parse_dose",
           "regimen", "time_course", "mg_per_l_to_uM", "plot_time_course"]

#: Molar mass of ketamine base, C13H16ClNO (g/mol).
MOLAR_MASS_G_PER_MOL = 237.73

#: Routes of :func:`regimen`.
ROUTES = ("iv_bolus", "infusion", "ip")

_MAX_DOSE_MG_PER_KG = 1000.0


@dataclass(frozen=True)
class Species:
    """Pharmacokinetic preset of one species (plain floats, units in the names)."""

    name: str
    half_life_s: float
    volume_l_per_kg: float
    absorption_half_life_s: float
    bioavailability: float
    brain_to_plasma: float
    dose_mg_per_kg: float
    route: str
    infusion_s: float
    source: str


#: Species presets (see the module docstring for the sources and assumptions).
SPECIES = MappingProxyType({
    "human": Species("human", 3 * 3600.0, 2.5, 15 * 60.0, 1.0, 1.0, 0.5, "infusion", 40 * 60.0,
                     "t_half 3 h (docs/science.md); V_d calibrated to Cmax 0.78 uM after 0.5 mg/kg "
                     "over 40 min (Zanos et al. 2018); brain = plasma [assume]"),
    "mouse": Species("mouse", 13 * 60.0, 2.5, 2 * 60.0, 1.0, 1.0, 10.0, "ip", 0.0,
                     "t_half 13 min (docs/science.md); V_d as human, i.p. F = 1, absorption "
                     "half-life 2 min, brain = plasma [assume]"),
})

_MASS_MG = {"ng": 1e-6, "ug": 1e-3, "µg": 1e-3, "μg": 1e-3, "mg": 1.0, "g": 1e3, "kg": 1e6}
_DOSE = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*"
                   r"(ng|ug|µg|μg|mg|g)\s*/\s*(g|kg)\s*$")


def mg_per_l_to_uM(mg_per_l):
    """Ketamine base: mg/L (= ug/ml) to uM."""
    return np.asarray(mg_per_l, float) / MOLAR_MASS_G_PER_MOL * 1e3


def parse_dose(dose, name: str = "dose") -> float:
    """A dose as mg per kg of body mass.

    Accepts ``"0.5 mg/kg"`` (mass units ``ng ug µg mg g`` over ``g`` or ``kg``)
    or a dimensionless Brian2 expression of a mass ratio (``0.5*mgram/kgram``,
    which Brian2 evaluates to 5e-7).
    """
    if isinstance(dose, str):
        match = _DOSE.match(dose)
        if not match:
            raise ValueError(f"{name}: cannot read {dose!r} as a dose; expected a mass per "
                             "body mass such as '0.5 mg/kg' or '10 mg/kg'")
        value = float(match.group(1)) * _MASS_MG[match.group(2)] / (
            _MASS_MG[match.group(3)] / 1e6)
    else:
        import brian2

        if isinstance(dose, (list, tuple, np.ndarray)) and np.ndim(dose) != 0:
            raise ValueError(f"{name}: expected a single dose in mg/kg, got {dose!r}")
        if isinstance(dose, bool) or not isinstance(dose, (int, float, brian2.Quantity)):
            raise ValueError(f"{name}: expected a dose such as '0.5 mg/kg' or 0.5*mgram/kgram, "
                             f"got {dose!r}")
        if isinstance(dose, brian2.Quantity) and not dose.is_dimensionless:
            raise ValueError(f"{name}: expected a mass per body mass (mg/kg, e.g. "
                             f"0.5*mgram/kgram), got {dose!r} (wrong dimensions)")
        if np.ndim(dose) != 0:
            raise ValueError(f"{name}: expected a single dose in mg/kg, got an array")
        ratio = float(dose)
        value = ratio * 1e6
        if value > _MAX_DOSE_MG_PER_KG:
            raise ValueError(f"{name}: the plain number {dose!r} is a mass ratio of {value:g} "
                             f"mg/kg; write the unit, e.g. '{ratio:g} mg/kg' or "
                             f"{ratio:g}*mgram/kgram")
    if not math.isfinite(value) or not 0 <= value <= _MAX_DOSE_MG_PER_KG:
        raise ValueError(f"{name}: expected a dose in [0, {_MAX_DOSE_MG_PER_KG:g}] mg/kg, got "
                         f"{dose!r}")
    return value


def _volume(value, name: str = "volume") -> float:
    """Volume of distribution per body mass, in L/kg ("2.5 L/kg" or 2.5*liter/kgram)."""
    if isinstance(value, str):
        match = re.match(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(ml|l|L)\s*/\s*"
                         r"(g|kg)\s*$", value)
        if not match:
            raise ValueError(f"{name}: cannot read {value!r}; expected a volume per body "
                             "mass such as '2.5 L/kg'")
        litres = float(match.group(1)) * (1e-3 if match.group(2) == "ml" else 1.0)
        result = litres / (1e-3 if match.group(3) == "g" else 1.0)
    else:
        result = to_display(value, "liter/kgram", name)
    if not (math.isfinite(result) and result > 0):
        raise ValueError(f"{name}: expected a positive volume in L/kg, got {value!r}")
    return result


def _fraction(value, name: str, low: float = 0.0, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise ValueError(f"{name}: expected a number (dimensionless), got {value!r}")
    value = float(value)
    if not (math.isfinite(value) and low < value <= high):
        raise ValueError(f"{name}: expected a number in ({low:g}, {high:g}], got {value!r}")
    return value


@dataclass(frozen=True)
class Regimen:
    """One dose of ketamine in one species: the concentration at any time.

    Build it with :func:`regimen`; fields are plain floats (units in the names).
    """

    species: str
    dose_mg_per_kg: float
    route: str
    infusion_s: float
    start_s: float
    half_life_s: float
    volume_l_per_kg: float
    absorption_half_life_s: float
    bioavailability: float
    brain_to_plasma: float

    @property
    def elimination_rate(self) -> float:
        """``k = ln 2 / t_half`` (1/s)."""
        return math.log(2) / self.half_life_s

    def plasma_uM(self, t_s) -> np.ndarray:
        """Plasma concentration (uM) at times ``t_s`` (s; arrays welcome; 0 before the dose)."""
        t = np.asarray(t_s, float) - self.start_s
        k = self.elimination_rate
        c0 = self.dose_mg_per_kg / self.volume_l_per_kg  # mg/L if it all arrived at once
        tp = np.maximum(t, 0.0)
        if self.route == "iv_bolus":
            c = c0 * np.exp(-k * tp)
        elif self.route == "infusion":
            T = self.infusion_s
            rise = c0 / (k * T) * -np.expm1(-k * np.minimum(tp, T))
            c = rise * np.exp(-k * np.maximum(tp - T, 0.0))
        else:
            ka = math.log(2) / self.absorption_half_life_s
            fc = self.bioavailability * c0
            if math.isclose(ka, k, rel_tol=1e-9):
                c = fc * k * tp * np.exp(-k * tp)
            else:
                c = fc * ka / (ka - k) * (np.exp(-k * tp) - np.exp(-ka * tp))
        return np.where(t >= 0, mg_per_l_to_uM(c), 0.0)

    def brain_uM(self, t_s) -> np.ndarray:
        """Concentration at the LHb NMDA receptors (uM): plasma x ``brain_to_plasma``."""
        return self.brain_to_plasma * self.plasma_uM(t_s)

    def time_course(self, duration="24 h", step="1 min") -> pd.DataFrame:
        """Tidy table from 0 to ``duration`` every ``step``: ``species, route,
        dose_mg_per_kg, time_s, time_h, plasma_uM, brain_uM``."""
        total = _seconds(duration, "duration")
        dt = _seconds(step, "step")
        n = int(math.floor(total / dt + 1e-9)) + 1
        if n > 2_000_000:
            raise ValueError(f"step: {n} time points; use a longer step")
        t = np.arange(n) * dt
        plasma = self.plasma_uM(t)
        return pd.DataFrame({
            "species": self.species, "route": self.route, "dose_mg_per_kg": self.dose_mg_per_kg,
            "time_s": t, "time_h": t / 3600.0, "plasma_uM": plasma,
            "brain_uM": self.brain_to_plasma * plasma})

    def peak(self) -> dict:
        """Plasma peak: ``{"cmax_uM", "tmax_s"}`` (analytic time of the maximum)."""
        k = self.elimination_rate
        if self.route == "iv_bolus":
            tmax = 0.0
        elif self.route == "infusion":
            tmax = self.infusion_s
        else:
            ka = math.log(2) / self.absorption_half_life_s
            tmax = 1 / k if math.isclose(ka, k, rel_tol=1e-9) else math.log(ka / k) / (ka - k)
        tmax += self.start_s
        return {"cmax_uM": float(self.plasma_uM(tmax)), "tmax_s": tmax}

    def auc_uM_s(self) -> float:
        """Area under the plasma curve from the dose to infinity (uM s): ``F D / (V_d k)``."""
        f = self.bioavailability if self.route == "ip" else 1.0
        return float(mg_per_l_to_uM(f * self.dose_mg_per_kg / self.volume_l_per_kg)
                     / self.elimination_rate)

    def describe(self) -> str:
        """One line for captions."""
        how = {"iv_bolus": "i.v. bolus", "ip": "i.p.",
               "infusion": f"i.v. over {self.infusion_s / 60:g} min"}[self.route]
        return (f"{self.species}: {self.dose_mg_per_kg:g} mg/kg {how}, t1/2 "
                f"{_duration_text(self.half_life_s)}, V_d {self.volume_l_per_kg:g} L/kg, "
                f"brain/plasma {self.brain_to_plasma:g}")


def _duration_text(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min"


def regimen(dose=None, species: str = "human", route: str | None = None, *, infusion=None,
            start="0 s", half_life=None, volume=None, absorption_half_life=None,
            bioavailability=None, brain_to_plasma=None) -> Regimen:
    """One ketamine dose in one species (a :class:`Regimen`).

    Parameters
    ----------
    dose : str or dimensionless Brian2 expression, optional
        ``"0.5 mg/kg"`` or ``0.5*mgram/kgram`` (default: the species' dose).
    species : {"human", "mouse"}
        The preset of :data:`SPECIES`.
    route : {"iv_bolus", "infusion", "ip"}, optional
        Default: the species' route (human: 40-min infusion; mouse: i.p.).
    infusion : time, optional
        Infusion duration (``"40 min"``), for ``route="infusion"``.
    start : time
        When the dose is given (``"2 h"``).
    half_life, volume, absorption_half_life, bioavailability, brain_to_plasma
        Override the preset: times as quantities/strings, ``volume`` as
        ``"2.5 L/kg"`` or ``2.5*liter/kgram``, the last two as numbers.
    """
    if species not in SPECIES:
        raise ValueError(f"species: expected one of {', '.join(SPECIES)}, got {species!r}")
    preset = SPECIES[species]
    route = preset.route if route is None else route
    if route not in ROUTES:
        raise ValueError(f"route: expected one of {', '.join(ROUTES)}, got {route!r}")
    dose_mg = preset.dose_mg_per_kg if dose is None else parse_dose(dose)
    if route == "infusion":
        infusion_s = (preset.infusion_s or 40 * 60.0) if infusion is None else _seconds(
            infusion, "infusion")
    elif infusion is not None:
        raise ValueError(f"infusion: only used with route='infusion', not {route!r}")
    else:
        infusion_s = 0.0
    return Regimen(
        species=species, dose_mg_per_kg=dose_mg, route=route, infusion_s=infusion_s,
        start_s=_seconds(start, "start", positive=False),
        half_life_s=preset.half_life_s if half_life is None else _seconds(half_life,
                                                                            "half_life"),
        volume_l_per_kg=preset.volume_l_per_kg if volume is None else _volume(volume),
        absorption_half_life_s=(preset.absorption_half_life_s if absorption_half_life is None
                                else _seconds(absorption_half_life, "absorption_half_life")),
        bioavailability=(preset.bioavailability if bioavailability is None
                         else _fraction(bioavailability, "bioavailability")),
        brain_to_plasma=(preset.brain_to_plasma if brain_to_plasma is None
                         else _fraction(brain_to_plasma, "brain_to_plasma", high=100.0)),
    )


def time_course(dose=None, species: str = "human", route: str | None = None, *,
                duration="24 h", step="1 min", **options) -> pd.DataFrame:
    """Ketamine concentration after one dose as a tidy table.

    ``time_course("0.5 mg/kg", "human")`` is ``regimen("0.5 mg/kg",
    "human").time_course()``; ``options`` are those of :func:`regimen`.
    Columns: ``species, route, dose_mg_per_kg, time_s, time_h, plasma_uM, brain_uM``.
    """
    return regimen(dose, species, route, **options).time_course(duration, step)




@styled
def plot_time_course(table: pd.DataFrame, *, log: bool = False) -> Figure:
    """Brain ketamine over time, one line per species/dose (a :func:`time_course` table,
    or several concatenated). Returns a :class:`matplotlib.figure.Figure` (no pyplot)."""
    from matplotlib.figure import Figure

    need = {"species", "route", "dose_mg_per_kg", "time_h", "brain_uM"}
    if not isinstance(table, pd.DataFrame) or not need <= set(table.columns):
        raise ValueError(f"table: expected a time_course() DataFrame (columns "
                         f"{', '.join(sorted(need))})")
    fig = Figure(figsize=(8, 4.6), layout="constrained")
    ax = fig.subplots()
    for (species, route, dose), group in table.groupby(["species", "route", "dose_mg_per_kg"],
                                                        sort=False):
        ax.plot(group["time_h"], group["brain_uM"], label=f"{species}, {dose:g} mg/kg {route}")
    ax.axhline(0.78, color="grey", ls=":", lw=1)
    ax.text(ax.get_xlim()[1], 0.78, " human Cmax 0.78 uM", va="bottom", ha="right",
            fontsize="small", color="grey")
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="time after dose (h)", ylabel="brain ketamine (uM)",
           title="one-compartment pharmacokinetics")
    ax.legend(fontsize="small")
    return fig
