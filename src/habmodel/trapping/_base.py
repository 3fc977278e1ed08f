"""Constants and input checks of the trapping package."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ..model.drugs import check_concentration
from ..model.inputs import check_int
from ..model.parameters import condition_values, get_parameter
from ..model.units import to_display

DEFAULT_SEED = 2026
#: Block levels at which :func:`firing_mode_table` simulates the firing mode.
DEFAULT_BLOCKS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
#: Named stimulations of the LHb cell (parameter overrides).
STIMULATIONS = MappingProxyType({"NMDA drive x4": MappingProxyType({"nu_glu": "480 Hz"}),
                                 "depolarising current": MappingProxyType({"I_hold": "30 pA"})})

_SPECIAL = ("ketamine", "initial_block")  # arm keys that are not parameters
_PROBE_K_ON = 0.01  # Hz per uM: probe rates of firing_mode_table (slow: B stays put)
_PROBE_K_OFF = 0.01  # Hz
_PROBE_UM = 1.0
_EDGE = 1e-3  # block levels 0 and 1 are measured at 1e-3 and 1 - 1e-3


# --- input checks -------------------------------------------------------------------------

def _int(name: str, value, low: int, high: int = 10**7) -> int:
    return check_int(name, value, low, high)


def _seconds(value, name: str, positive: bool = True) -> float:
    seconds = to_display(value, "s", name)
    if seconds < 0 or (positive and seconds == 0):
        raise ValueError(f"{name}: expected a {'positive' if positive else 'non-negative'} "
                         f"time, got {value!r}")
    return seconds


def _sec(seconds: float):
    """Seconds as a Brian2 quantity (for internal calls of the public functions)."""
    import brian2

    return float(seconds) * brian2.second


def _uM(value, name: str) -> float:
    return check_concentration(name, to_display(value, "uM", name))


def _fraction(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}: expected a blocked fraction (a number in [0, 1]), "
                         f"got {value!r}")
    value = float(value)
    if not 0 <= value <= 1:
        raise ValueError(f"{name}: expected a blocked fraction in [0, 1], got {value!r}")
    return value


def _parameters(condition: str, overrides: Mapping | None) -> dict[str, float]:
    """Scalar parameter values (display units) of a condition plus overrides."""
    values = condition_values(condition)
    for name, value in (overrides or {}).items():
        param = get_parameter(name)
        if np.ndim(value) != 0 and not isinstance(value, str):
            raise ValueError(f"{name}: expected one value in {param.unit} (per-cell values "
                             "are not supported here), got an array")
        number = to_display(value, param.unit, name)
        param.check(number)
        values[name] = number
    return values


def _check_arms(arms, what: str = "arms") -> dict[str, dict]:
    if arms is None:
        return {"quiet": {}}
    if not isinstance(arms, Mapping) or not arms:
        raise ValueError(f"{what}: expected a non-empty mapping of labels to parameter "
                         f"overrides, got {arms!r}")
    out = {}
    for label, spec in arms.items():
        if not isinstance(spec, Mapping):
            raise ValueError(f"{what}[{label!r}]: expected a mapping of parameter overrides, "
                             f"got {spec!r}")
        out[str(label)] = dict(spec)
    return out
