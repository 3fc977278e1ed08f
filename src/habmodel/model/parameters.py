"""The one parameter table of habmodel, and the named conditions.

Every model parameter is listed here once, with its unit, default value, valid
range, a one-line meaning and its source: the rows of the cell's parts
(:mod:`habmodel.model.currents`), then the drugs' rows. The model equations, the drug layer,
the CLI, the docs (``docs/model.md``) and the TOML parameter files all read
this table; nothing else defines a default.

Values are stored as plain floats *in the parameter's display unit* (for
example ``g_T = 1.5`` with unit ``"mS/cm2"``), so that this module does not
need Brian2. :func:`habmodel.model.units.to_quantity` turns them into Brian2
quantities.

Sources: marks follow ``docs/science.md``: ``[lit]`` textbook or
standard-model value, ``[src]`` a named paper, ``[assume]`` a modelling choice
of this project (documented in ``docs/model.md``).

>>> from habmodel import CONDITIONS, PARAMETERS
>>> PARAMETERS["K_o"].default, PARAMETERS["K_o"].unit
(5.0, 'mM')
>>> dict(CONDITIONS["depressed"])
{'K_o': 2.6}
>>> condition_values("depressed")["K_o"]
2.6
"""

from __future__ import annotations

import difflib
from types import MappingProxyType

from .currents import KETAMINE_TRAPPING, LHB_PARTS
from .parts import Parameter

__all__ = [
    "Parameter",
    "PARAMETERS",
    "CONDITIONS",
    "DEFAULT_CONDITION",
    "condition_values",
    "closest_name",
    "get_parameter",
    "markdown_table",
    "CONDITION_DOCS",
]


def _p(name, unit, default, low, high, meaning, source, group) -> Parameter:
    return Parameter(name, unit, float(default), float(low), float(high), meaning, source, group)


#: Drug parameters (read by :mod:`habmodel.model.drugs`; they do not enter the equations).
_DRUG_ROWS = [
    # --- drugs --------------------------------------------------------------------
    _p("ketamine_IC50", "uM", 1.0, 0.01, 1000, "ketamine IC50 for NMDA pore block at 0 mV",
       "Abbott, Liu & Popescu 2024 (about 1 uM) [src]", "drugs"),
    _p("ketamine_hill", "1", 1.0, 0.2, 5, "ketamine Hill coefficient", "single pore site [lit]",
       "drugs"),
    _p("ketamine_delta", "1", 0.0, 0, 1, "electrical distance of the ketamine site (0 = "
       "voltage-independent block)", "optional [assume]", "drugs"),
    _p("ap5_IC50", "uM", 3.7, 0.01, 1000, "D-AP5 apparent IC50 (competitive, vs 40 uM NMDA)",
       "Lodge et al. 1988 [src]", "drugs"),
    _p("ap5_hill", "1", 1.0, 0.2, 5, "D-AP5 Hill coefficient", "[assume]", "drugs"),
    _p("mibefradil_IC50", "uM", 0.25, 0.001, 1000, "mibefradil IC50 for T-type Ca2+ channels",
       "complete block at >= 2 uM, Broicher et al. 2007 [assume]", "drugs"),
    _p("mibefradil_hill", "1", 2.0, 0.2, 5, "mibefradil Hill coefficient",
       "complete block at >= 2 uM, Broicher et al. 2007 [assume]", "drugs"),
]

_TABLE = [*(p for part in LHB_PARTS for p in part.parameters), *_DRUG_ROWS,
          *KETAMINE_TRAPPING.parameters]

#: Every parameter, by name, in table order (read-only).
PARAMETERS: MappingProxyType[str, Parameter] = MappingProxyType({p.name: p for p in _TABLE})

#: Named conditions: parameter values that differ from the table defaults.
CONDITIONS: MappingProxyType[str, MappingProxyType[str, float]] = MappingProxyType(
    {
        # Normal perisomatic K+: the cell fires tonically, driven by NMDA input.
        "control": MappingProxyType({}),
        # Depression: up-regulated astrocytic Kir4.1 clears more perisomatic K+,
        # E_K falls by 16 mV and the cell hyperpolarises (Cui et al. 2018). The gap
        # between the two is chosen so that +-20 % conductance jitter keeps control
        # cells out of the burst band at every ketamine dose (docs/model.md).
        "depressed": MappingProxyType({"K_o": 2.6}),
    }
)

#: Short descriptions of the conditions (for the CLI and docs).
CONDITION_DOCS = MappingProxyType(
    {
        "control": "normal perisomatic K+ ([K+]o = 5 mM, E_K = -88 mV): tonic firing",
        "depressed": "Kir4.1 up-regulated, perisomatic [K+]o = 2.6 mM (E_K = -105.5 mV): "
        "NMDA-dependent rhythmic bursting",
    }
)

DEFAULT_CONDITION = "control"


def closest_name(name: str, choices) -> str | None:
    """The closest of ``choices`` to ``name`` (for "did you mean" messages)."""
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[hits[0]] if hits else None


def _unknown(kind: str, name: str, choices) -> ValueError:
    hint = closest_name(name, choices)
    tail = f"; did you mean '{hint}'?" if hint else f"; expected one of: {', '.join(choices)}"
    return ValueError(f"unknown {kind} '{name}'{tail}")


def get_parameter(name: str, table=None) -> Parameter:
    """The :class:`Parameter` called ``name`` (``ValueError`` with a suggestion if unknown).

    ``table`` is the parameter table to look in (default :data:`PARAMETERS`; a
    :class:`habmodel.model.cell.Cell` with more parts has a larger one, ``cell.parameters``).
    """
    table = PARAMETERS if table is None else table
    try:
        return table[name]
    except KeyError:
        raise _unknown("parameter", name, list(table)) from None


def condition_values(condition: str = DEFAULT_CONDITION, table=None) -> dict[str, float]:
    """All parameter values (in display units) of a named condition (of every parameter
    of ``table``, default :data:`PARAMETERS`)."""
    if condition not in CONDITIONS:
        raise _unknown("condition", condition, list(CONDITIONS))
    table = PARAMETERS if table is None else table
    values = {name: p.default for name, p in table.items()}
    values.update({k: v for k, v in CONDITIONS[condition].items() if k in table})
    return values


def markdown_table() -> str:
    """The parameter table as Markdown (``docs/model.md`` embeds it; a test keeps it current)."""
    rows = ["| name | unit | default | depressed | range | meaning | source |",
            "|---|---|---|---|---|---|---|"]
    depressed = CONDITIONS["depressed"]
    for p in PARAMETERS.values():
        dep = f"{depressed[p.name]:g}" if p.name in depressed else ""
        rows.append(f"| `{p.name}` | {p.unit} | {p.default:g} | {dep} | {p.low:g} to {p.high:g} "
                    f"| {p.meaning} | {p.source} |")
    return "\n".join(rows) + "\n"
