"""The drug layer: concentrations to per-cell channel availability.

A drug is described by a :class:`Drug`: which current it acts on (a
*target* from :data:`habmodel.model.DRUG_TARGETS`, or ``"NMDA_pore"`` for a
voltage-dependent open-channel pore block) and its Hill parameters, which are
read from the parameter table so that ``--set ketamine_IC50=3uM`` works.

Combination rules:

* drugs on different targets act independently;
* drugs on the same target but different sites multiply their free fractions
  (e.g. AP5 at the glutamate site and ketamine in the pore);
* pore blockers compete for one site: their loads ``(C/IC50)^n`` add, and the
  free fraction is ``1 / (1 + load * exp(-delta z F V / RT))`` with ``z = +1``.

To add a drug, add its Hill parameters to the table in
:mod:`habmodel.model.parameters` and a :class:`Drug` to :data:`DRUGS` (or pass a
:class:`Drug` object as a key of ``drugs=`` to :func:`habmodel.simulate`);
the model equations do not change.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from .equations import DRUG_TARGETS, KETAMINE_MODELS
from .parameters import _unknown

__all__ = ["Drug", "DRUGS", "condition_label", "resolve_drug", "availability", "hill_free_fraction",
           "check_concentration", "MAX_CONCENTRATION_UM", "DEFAULT_DOSES_UM"]

#: Default ketamine doses of the dose-response (uM).
DEFAULT_DOSES_UM = (0.0, 0.1, 0.3, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class Drug:
    """A channel blocker with a Hill concentration-response.

    Attributes
    ----------
    name : str
        Name used in ``drugs={"name": 2*uM}`` and ``--drug name=2uM``.
    target : str
        One of :data:`habmodel.model.DRUG_TARGETS`, or ``"NMDA_pore"``.
    ic50 : str or float
        Name of a table parameter (unit uM), or a value in uM.
    hill : str or float
        Name of a table parameter, or a value.
    delta : str or float
        Electrical distance for ``"NMDA_pore"`` drugs (0 = voltage independent).
    description : str
        One line for the CLI and docs.
    """

    name: str
    target: str
    ic50: str | float
    hill: str | float = 1.0
    delta: str | float = 0.0
    description: str = ""

    def __post_init__(self):
        if self.target not in (*DRUG_TARGETS, "NMDA_pore"):
            raise ValueError(f"drug {self.name}: unknown target '{self.target}'; expected one "
                             f"of {', '.join((*DRUG_TARGETS, 'NMDA_pore'))}")

    def value(self, field: str, params: dict) -> np.ndarray:
        """A Hill field (``ic50``, ``hill``, ``delta``) as a per-cell array."""
        spec = getattr(self, field)
        return np.asarray(params[spec] if isinstance(spec, str) else spec, dtype=float)


DRUGS = MappingProxyType({
    "ketamine": Drug("ketamine", "NMDA_pore", "ketamine_IC50", "ketamine_hill",
                     "ketamine_delta", "NMDA receptor open-channel (pore) blocker"),
    "ap5": Drug("ap5", "NMDA", "ap5_IC50", "ap5_hill", 0.0,
                "D-AP5, competitive NMDA receptor antagonist at the glutamate site"),
    "mibefradil": Drug("mibefradil", "T", "mibefradil_IC50", "mibefradil_hill", 0.0,
                       "T-type Ca2+ channel blocker"),
})


def resolve_drug(drug) -> Drug:
    """A :class:`Drug` from a name or a :class:`Drug`."""
    if isinstance(drug, Drug):
        return drug
    key = str(drug).lower()
    if key not in DRUGS:
        raise _unknown("drug", str(drug), list(DRUGS))
    return DRUGS[key]


#: Highest concentration (uM) any input may give.
MAX_CONCENTRATION_UM = 1e5


def check_concentration(name: str, conc_uM):
    """``conc_uM`` (a number or an array, uM) if every value is in [0, 1e5] uM; else a
    ``ValueError`` naming ``name``."""
    arr = np.asarray(conc_uM, float)
    bad = arr[~((arr >= 0) & (arr <= MAX_CONCENTRATION_UM))]
    if bad.size:
        raise ValueError(f"{name}: expected a concentration in [0, {MAX_CONCENTRATION_UM:g}] "
                         f"uM, got {float(bad.flat[0]):g} uM")
    return conc_uM


def hill_free_fraction(conc_uM, ic50_uM, hill):
    """Fraction of channels not blocked, ``1 / (1 + (C/IC50)^n)``."""
    return 1.0 / (1.0 + (np.asarray(conc_uM, float) / ic50_uM) ** hill)


def availability(concentrations: dict, params: dict, n_cells: int,
                 ketamine_model: str = "hill", targets=DRUG_TARGETS) -> dict[str, np.ndarray]:
    """Per-cell availability factors for the model equations.

    Parameters
    ----------
    concentrations : dict
        ``{Drug: concentration in uM}`` (floats or per-cell arrays).
    params : dict
        Per-cell parameter values in display units.
    ketamine_model : str
        The equation variant (:data:`habmodel.model.KETAMINE_MODELS`); ``"hill"``
        puts every pore blocker into ``pore_load``; ``"trapping"`` hands
        ketamine to the kinetic scheme instead (``ket_uM``, its concentration in
        uM as a number; its Hill parameters are then unused) and every other pore
        blocker to ``pore_load``.
    targets : sequence of str
        The drug targets of the cell (:attr:`habmodel.model.cell.Cell.drug_targets`).

    Returns
    -------
    dict
        ``avail_<target>`` for every target, plus ``pore_load`` and ``pore_delta``
        (and ``ket_uM`` for ``"trapping"``).
    """
    if ketamine_model not in KETAMINE_MODELS:
        raise ValueError(f"ketamine_model: expected one of {', '.join(KETAMINE_MODELS)}, got "
                         f"{ketamine_model!r}")
    ones = np.ones(n_cells)
    avail = {f"avail_{t}": ones.copy() for t in (*DRUG_TARGETS, *targets)}
    if ketamine_model == "trapping":
        avail["ket_uM"] = np.zeros(n_cells)
    load, delta = np.zeros(n_cells), None
    for drug, conc in concentrations.items():
        conc = np.broadcast_to(np.asarray(conc, float), (n_cells,))
        if ketamine_model == "trapping" and drug.name == "ketamine":
            avail["ket_uM"] = avail["ket_uM"] + conc
            continue
        ic50, hill = drug.value("ic50", params), drug.value("hill", params)
        if drug.target == "NMDA_pore":
            d = np.broadcast_to(drug.value("delta", params), (n_cells,))
            if delta is not None and not np.allclose(d, delta):
                raise ValueError("pore blockers with different 'delta' cannot be combined "
                                 f"({drug.name})")
            delta = d
            load = load + (conc / ic50) ** hill
        else:
            avail[f"avail_{drug.target}"] = avail[f"avail_{drug.target}"] * hill_free_fraction(
                conc, ic50, hill)
    avail["pore_load"] = load
    avail["pore_delta"] = np.zeros(n_cells) if delta is None else np.array(delta, float)
    return avail


def condition_label(condition: str, drugs_uM: dict) -> str:
    """``"depressed + ketamine 2 uM"``; per-cell concentrations are shown as a range."""
    parts = [condition]
    for name, conc in drugs_uM.items():
        conc = np.atleast_1d(np.asarray(conc, float))
        lo, hi = float(conc.min()), float(conc.max())
        text = f"{lo:g} uM" if lo == hi else f"{lo:g}-{hi:g} uM"
        parts.append(f"{name} {text}")
    return " + ".join(parts)
