"""Parameter files: every parameter as commented TOML, and reading (partial) files back.

``habmodel params`` prints :func:`parameters_toml`; ``--params FILE`` on
``simulate``, ``sweep`` and ``dose-response`` reads a file with
:func:`read_params`. The ``params.toml`` that ``habmodel simulate`` writes
is such a file too, so a run can be repeated from its own record.

A file has up to five tables, all optional::

    [run]             # condition, cells, seed, duration, warmup, dt, method, engine, jitter
    [drugs]           # ketamine = "2 uM"
    [burst_criteria]  # max_isi = "20 ms", ...
    [parameters]      # g_T = "2.2 mS/cm2"  (a bare number is read in the parameter's unit)
    [versions]        # informative only; not read

A value may be a list, one entry per cell. Unknown tables and names, wrong
units and values outside a parameter's valid range are errors that name the
file, the table and the key. Values given in the parameter's own unit are
read exactly (no rescaling), so a written file reproduces its run bit for bit.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .model.parameters import CONDITION_DOCS, CONDITIONS, PARAMETERS, closest_name, condition_values

__all__ = ["ParamFile", "read_params", "parameters_toml", "RUN_KEYS"]

#: Keys of the ``[run]`` table: the unit of a quantity, or the Python type.
RUN_KEYS = {"condition": str, "cells": int, "seed": int, "duration": "s", "warmup": "s",
            "dt": "ms", "method": str, "engine": str, "ketamine_model": str, "jitter": float,
            "command": str}

_CRITERIA = {"max_isi": "ms", "min_spikes": int, "min_preburst_silence": "ms",
             "silent_rate": "Hz", "burst_fraction_threshold": float}

_TABLES = ("run", "drugs", "burst_criteria", "parameters", "versions")


@dataclass
class ParamFile:
    """What a parameter file says (values as floats in display units, lists per cell).

    ``run`` holds ``duration``/``warmup`` in s and ``dt`` in ms; ``drugs`` in uM;
    ``parameters`` in each parameter's display unit; ``criteria`` is a
    :class:`habmodel.analysis.BurstCriteria` or None.
    """

    path: Path
    run: dict = field(default_factory=dict)
    drugs: dict = field(default_factory=dict)
    parameters: dict = field(default_factory=dict)
    criteria: object = None
    table: object = field(default_factory=lambda: PARAMETERS)

    def simulate_arguments(self) -> dict:
        """Keyword arguments of :func:`habmodel.simulate` for what the file sets.

        ``habmodel.simulate(**read_params("run/params.toml").simulate_arguments())``
        repeats a recorded run exactly; combine with your own arguments
        (``{**args, "n_cells": 50}``) for a partial file. Values keep the file's
        numbers exactly (strings in each parameter's own unit).
        """
        def text(value, unit):
            if isinstance(value, list):
                return [text(v, unit) for v in value]
            return repr(float(value)) if unit in ("", "1") else f"{float(value)!r} {unit}"

        names = {"condition": "condition", "cells": "n_cells", "seed": "seed",
                 "method": "method", "engine": "engine", "ketamine_model": "ketamine_model",
                 "jitter": "jitter"}
        out = {names[k]: v for k, v in self.run.items() if k in names}
        for key, unit in (("duration", "s"), ("warmup", "s"), ("dt", "ms")):
            if key in self.run:
                out[key] = text(self.run[key], unit)
        if self.drugs:
            out["drugs"] = {name: text(v, "uM") for name, v in self.drugs.items()}
        if self.parameters:
            out["overrides"] = {name: text(v, self.table[name].unit)
                                for name, v in self.parameters.items()}
        if self.criteria is not None:
            out["criteria"] = self.criteria
        return out


def _where(path, table, key=None) -> str:
    return f"{path}: [{table}]" + (f" {key}" if key else "")


def _unknown(what: str, name: str, choices, where: str) -> ValueError:
    hint = closest_name(name, choices)
    tail = f"; did you mean '{hint}'?" if hint else f"; expected one of: {', '.join(choices)}"
    return ValueError(f"{where}: unknown {what} '{name}'{tail}")


def _quantity(value, unit: str, where: str, name: str) -> float:
    from .model.units import to_display

    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{where}: expected a number or a string such as '2 {unit}', got "
                         f"{value!r}")
    try:
        return to_display(str(value) if not isinstance(value, str) else value, unit, name)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None


def _values(value, unit: str, where: str, name: str, check=None):
    """One value or a list (per cell), each read in ``unit`` and checked."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError(f"{where}: an empty list has no value")
    out = [_quantity(v, unit, where, name) for v in items]
    if check is not None:
        for v in out:
            try:
                check(v)
            except ValueError as err:
                raise ValueError(f"{where}: {err}") from None
    return out if isinstance(value, list) else out[0]


def _read_run(table: dict, path) -> dict:
    run = {}
    for key, value in table.items():
        where = _where(path, "run", key)
        kind = RUN_KEYS.get(key)
        if kind is None:
            raise _unknown("setting", key, list(RUN_KEYS), _where(path, "run"))
        if isinstance(kind, str):
            run[key] = _quantity(value, kind, where, key)
        elif kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{where}: expected a whole number, got {value!r}")
            run[key] = value
        elif kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{where}: expected a number, got {value!r}")
            run[key] = float(value)
        elif not isinstance(value, str):
            raise ValueError(f"{where}: expected a string, got {value!r}")
        else:
            run[key] = value
    if "condition" in run and run["condition"] not in CONDITIONS:
        raise _unknown("condition", run["condition"], list(CONDITIONS),
                       _where(path, "run", "condition"))
    run.pop("command", None)
    return run


def _read_criteria(table: dict, path):
    from .analysis.bursts import BurstCriteria

    fields = {}
    for key, value in table.items():
        where = _where(path, "burst_criteria", key)
        kind = _CRITERIA.get(key)
        if kind is None:
            raise _unknown("burst criterion", key, list(_CRITERIA), _where(path, "burst_criteria"))
        if key == "min_preburst_silence" and value == "none":
            fields[key] = None
        elif isinstance(kind, str):
            scale = 1e-3 if kind == "ms" else 1.0  # BurstCriteria takes s and Hz
            fields[key] = _quantity(value, kind, where, key) * scale
        elif kind is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{where}: expected a whole number, got {value!r}")
            fields[key] = value
        else:
            fields[key] = _quantity(value, "1", where, key)
    try:
        return BurstCriteria(**fields) if fields else None
    except ValueError as err:
        raise ValueError(f"{_where(path, 'burst_criteria')}: {err}") from None


def read_params(path, table=None) -> ParamFile:
    """Read and check a parameter file (see the module docstring for its tables);
    ``table``: the parameter table it may set (default :data:`PARAMETERS`; a cell with
    extra parts has a larger one, :attr:`habmodel.model.cell.Cell.parameters`).

    Raises
    ------
    ValueError
        One line naming the file, the table and the key, for anything wrong.
    """
    from .model.drugs import DRUGS, check_concentration

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ValueError(f"{path}: cannot read it ({err})") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"{path}: not valid TOML ({err})") from None
    out = ParamFile(path, table=PARAMETERS if table is None else table)
    for section, content in data.items():
        if section not in _TABLES:
            raise _unknown("table", section, list(_TABLES), str(path))
        if not isinstance(content, dict):
            raise ValueError(f"{path}: '{section}' must be a table ([{section}])")
    out.run = _read_run(data.get("run", {}), path)
    for name, value in data.get("drugs", {}).items():
        if name not in DRUGS:
            raise _unknown("drug", name, list(DRUGS), _where(path, "drugs"))
        out.drugs[name] = _values(value, "uM", _where(path, "drugs", name), name,
                                  check=lambda v, n=name: check_concentration(n, v))
    for name, value in data.get("parameters", {}).items():
        param = out.table.get(name)
        if param is None:
            raise _unknown("parameter", name, list(out.table), _where(path, "parameters"))
        out.parameters[name] = _values(value, param.unit, _where(path, "parameters", name),
                                       name, check=param.check)
    out.criteria = _read_criteria(data.get("burst_criteria", {}), path)
    return out


def parameters_toml(condition: str = "control") -> str:
    """Every parameter of ``condition`` as TOML, with its unit, meaning, source and range.

    The text is a valid parameter file: edit it, delete what you keep at the
    defaults, and pass it back with ``--params FILE``.
    """
    from .io import format_quantity
    from .io import toml_line as line
    from .model.drugs import DRUGS

    values = condition_values(condition)
    out = [
        f"# habmodel parameters of the '{condition}' condition: "
        f"{CONDITION_DOCS.get(condition, '')}",
        "# Values with units are strings; a bare number is read in the parameter's own unit.",
        "# Keep what you change (a partial file is fine) and run with --params FILE.",
        "",
        "[run]",
        line("condition", condition, f"one of: {', '.join(CONDITIONS)}"),
        "",
        "[drugs]  # concentrations, e.g.",
    ]
    out += [f"# {name} = \"1 uM\"  # {drug.description}" for name, drug in DRUGS.items()]
    out += ["", "[parameters]"]
    group = None
    for name, param in PARAMETERS.items():
        if param.group != group:
            group = param.group
            out.append(f"# --- {group} ---")
        bounds = f"range {format_quantity(param.low, param.unit)} to " \
                 f"{format_quantity(param.high, param.unit)}"
        out.append(line(name, format_quantity(values[name], param.unit) if param.unit not in
                        ("", "1") else float(values[name]),
                        f"{param.meaning} [{param.source}; {bounds}]"))
    return "\n".join(out) + "\n"
