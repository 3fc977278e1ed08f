"""A habmodel cell read as NeuroML parts: ion channels and gates, the Ca2+ pool, the
glutamate synapses, the membrane.

:func:`describe_cell` parses the cell's Brian2 equations (:meth:`habmodel.Cell.full_equations`)
into SymPy, puts in one condition's parameter values and drug factors (SI), and sorts
what it finds:

* a membrane current ``g*gates*(v - E)`` of a part without glutamate events becomes an
  ion channel with a channel density: ``g`` (every factor free of ``v`` and the states:
  the conductance, its drug factor) the density, ``E`` the reversal potential (``E_K``
  from its Nernst subexpression); a power ``q**k`` of a gating variable a gate with ``k``
  instances (``gateHHrates`` if both rates are standard forms, else ``gateHHtauInf``; a
  q10 power of the temperature becomes the gate's ``q10ExpTemp``), a power of a
  subexpression of ``v`` an instantaneous gate (``m_T_inf**2``), and what depends on the
  Ca2+ pool an instantaneous gate of ``caConc`` (the SK gate);
* a state variable driven by currents (``dc/dt = -k_Ca*I_T/(uA/cm2) - c/tau_Ca``) is the
  Ca2+ pool, NeuroML's ``fixedFactorConcentrationModel`` (``c`` in mM: the pool's unit);
* the currents of a part with glutamate events (NMDA, AMPA) become a synapse whose
  kinetics, open fraction and event are printed from its equations; a factor of ``v``
  alone is a block (Jahr-Stevens: NeuroML's ``voltageConcDepBlockMechanism``).

A form this does not know raises ``ValueError`` naming the current.
"""

from __future__ import annotations

from ..model.units import si_scale
from .neuroml_expr import DIMENSIONS, UNIT_CONSTANTS, hh_form, lems
from .neuroml_expr import nml_quantity as q
from .neuroml_parts import (
    CellEquations,
    Channel,
    Custom,
    Gate,
    NmlCell,
    Pool,
    Synapse,
    add_custom,
    split_drive,
)

__all__ = ["describe_cell"]

_RATE_TYPES = {"Exp": "HHExpRate", "Sigmoid": "HHSigmoidRate", "ExpLinear": "HHExpLinearRate"}
_VARIABLE_TYPES = {k: v.replace("Rate", "Variable") for k, v in _RATE_TYPES.items()}
_IONS = {"Na": "na", "K": "k"}
_V_NAMES = {"v": "(v/VOLT)"}


def _function_child(eq, customs, tag, expr, kind, name, description):
    """The child element of a rate, steady state or time course: a standard form or a
    generated ComponentType (name ``name``)."""
    expr = eq.resolve(expr)
    values = eq.numeric(expr)
    if kind == "time":
        if not values.free_symbols:
            return (tag, {"type": "fixedTimeCourse", "tau": q(float(values) * 1e3, "ms")})
        add_custom(eq, customs, name, "baseVoltageDepTime", "t", "time", expr, _V_NAMES,
                   description)
        return (tag, {"type": name})
    form = hh_form(expr, eq.v, eq.numeric)
    if form is not None:
        kind_, rate, mid, scale = form
        if kind == "rate":
            attrs = {"type": _RATE_TYPES[kind_], "rate": q(rate * 1e-3, "per_ms")}
        else:
            attrs = {"type": _VARIABLE_TYPES[kind_], "rate": q(rate)}
        attrs.update(midpoint=q(mid * 1e3, "mV"), scale=q(scale * 1e3, "mV"))
        return (tag, attrs)
    if kind == "rate":
        add_custom(eq, customs, name, "baseVoltageDepRate", "r", "per_time", expr, _V_NAMES,
                   description)
    else:
        add_custom(eq, customs, name, "baseVoltageDepVariable", "x", "none", expr, _V_NAMES,
                   description)
    return (tag, {"type": name})


def _q10(eq, rhs):
    """A top-level factor ``q10**((T - T0)/10 K)`` of ``rhs``: (factor, q10 settings)."""
    import sympy

    for factor in sympy.Mul.make_args(rhs):
        base, power = factor.as_base_exp()
        if not (base.is_Symbol and "temperature" in {s.name for s in power.free_symbols}):
            continue
        exponent = eq.numeric(power, keep=("temperature",))
        temp = [s for s in exponent.free_symbols if s.name == "temperature"][0]
        slope, at0 = sympy.diff(exponent, temp), exponent.subs(temp, 0)
        if slope.is_Number and at0.is_Number and abs(float(slope) - 0.1) < 1e-12:
            t0 = -float(at0) / float(slope)
            return factor, {"type": "q10ExpTemp", "q10Factor": q(eq.number(base)),
                            "experimentalTemp": q(t0 - 273.15, "degC")}
    return None, None


def _state_gate(eq, customs, channel, state, instances):
    import sympy

    rhs = eq.resolve(eq.diff[state])
    factor, q10 = _q10(eq, rhs)
    if factor is not None:
        rhs = rhs.xreplace({factor: 1})
    gate = [s for s in rhs.free_symbols if s.name == state][0]
    if not {s.name for s in eq.numeric(rhs).free_symbols} <= {"v", state} \
            or sympy.diff(rhs, gate, 2) != 0:
        raise ValueError(f"cannot export the gate {state!r} of {channel}: d{state}/dt is not "
                         "linear in it, or depends on more than v")
    grow, shrink = rhs.subs(gate, 0), -sympy.diff(rhs, gate)
    alpha, beta = grow, shrink - grow
    if hh_form(alpha, eq.v, eq.numeric) and hh_form(beta, eq.v, eq.numeric):
        children = [_function_child(eq, customs, "forwardRate", alpha, "rate", "", ""),
                    _function_child(eq, customs, "reverseRate", beta, "rate", "", "")]
        return Gate(state, "gateHHrates", instances, children, q10)
    base = f"lhb_{channel}_{state}"
    children = [
        _function_child(eq, customs, "timeCourse", 1 / shrink, "time", f"{base}_tau",
                        f"time constant of {state} ({channel}), from its equation"),
        _function_child(eq, customs, "steadyState", grow / shrink, "variable", f"{base}_inf",
                        f"steady state of {state} ({channel}), from its equation")]
    return Gate(state, "gateHHtauInf", instances, children, q10)


def _channel(eq, customs, current, pool):
    import sympy

    channel = current[2:] if current.startswith("I_") else current
    factors, erev, reversal = split_drive(eq, eq.sub[current], current)
    const, gates, rest = [], [], []
    for f in factors:
        deps = eq.names(f)
        base, power = f.as_base_exp()
        whole = power.is_Integer and int(power) > 0 and base.is_Symbol
        if not deps:
            const.append(f)
        elif whole and base.name in eq.states and base.name != (pool and pool.state):
            gates.append(_state_gate(eq, customs, channel, base.name, int(power)))
        elif whole and base.name in eq.sub and deps == {"v"}:
            child = _function_child(eq, customs, "steadyState", base, "variable",
                                    f"lhb_{channel}_{base.name}", f"{base.name}, from its "
                                    "equation")
            gates.append(Gate(base.name, "gateHHInstantaneous", int(power), [child]))
        else:
            rest.append(f)
    if rest:
        expr = eq.numeric(sympy.Mul(*rest))
        free = {s.name for s in expr.free_symbols}
        if pool is not None and free <= {"v", pool.state}:
            name = f"lhb_{channel}_{pool.state}_gate"
            names = {"v": "(v/VOLT)", pool.state: "(caConc/MOLAR_SI)"}
            add_custom(eq, customs, name, "baseVoltageConcDepVariable", "x", "none", expr,
                       names, f"open fraction of {channel} as a function of the Ca2+ pool "
                       f"{pool.state} (caConc in mM: the pool's unit), from its equation")
            gates.append(Gate(pool.state, "gateHHInstantaneous", 1, [("steadyState",
                                                                      {"type": name})]))
        elif free <= {"v"}:
            gates.append(Gate("inst", "gateHHInstantaneous", 1, [_function_child(
                eq, customs, "steadyState", expr, "variable", f"lhb_{channel}_inst",
                f"instantaneous factor of {channel}, from its equation")]))
        else:
            raise ValueError(f"cannot export {current}: its factor {sympy.Mul(*rest)} depends "
                             f"on {sorted(free)}")
    ion = "ca" if pool is not None and current in pool.currents else _IONS.get(
        reversal[2:] if reversal.startswith("E_") else "", "non_specific")
    density = float(eq.numeric(sympy.Mul(*const))) if const else 1.0
    return Channel(f"lhb_{channel}", current, ion, erev, density, gates)


def _pool(eq, currents) -> Pool | None:
    """The state driven by membrane currents (at most one): a fixed-factor pool."""
    import sympy

    driven = [s for s, rhs in eq.diff.items()
              if {x.name for x in rhs.free_symbols} & set(currents)]
    if not driven:
        return None
    if len(driven) > 1:
        raise ValueError(f"cannot export more than one Ca2+ pool, got {driven}")
    state = driven[0]
    used = tuple(c for c in currents if c in {x.name for x in eq.diff[state].free_symbols})
    rhs = eq.numeric(eq.diff[state], keep=used)
    symbols = {x.name: x for x in rhs.free_symbols}
    if set(symbols) - {state, *used} or any(sympy.diff(rhs, s, 2) != 0 for s in symbols.values()):
        raise ValueError(f"cannot export the pool {state!r}: d{state}/dt = {rhs} is not "
                         "linear in its currents and itself")
    slopes = {float(sympy.diff(rhs, symbols[c])) for c in used}
    if len(slopes) != 1:
        raise ValueError(f"cannot export the pool {state!r}: its currents enter with different "
                         "factors")
    decay = float(sympy.diff(rhs, symbols[state])) if state in symbols else 0.0
    if decay >= 0:
        raise ValueError(f"cannot export the pool {state!r}: it does not decay")
    rest = float(rhs.xreplace({s: 0 for s in symbols.values()}))
    return Pool(state, used, -slopes.pop(), -1 / decay, -rest / decay, 0.0)


def _synapse(eq, customs, part, area, table):
    import sympy

    if len(part.currents) != 1:
        raise ValueError(f"cannot export the part {part.name!r}: a synapse has one current")
    current = part.currents[0]
    factors, erev, _ = split_drive(eq, eq.sub[current], current)
    mine = set(part.states)
    keep = tuple(p.name for p in part.parameters if p.unit in DIMENSIONS)
    const, opening, blocks = [], [], []
    for f in factors:
        deps = eq.names(f)
        resolved = eq.numeric(f)
        free = {s.name for s in resolved.free_symbols}
        if not free:
            const.append(resolved)
        elif deps and deps <= mine:
            opening.append(f)
        elif free == {"v"}:
            blocks.append(_block(eq, customs, f, resolved, f"lhb_{part.name}_block{len(blocks)}",
                                 current))
        else:
            raise ValueError(f"cannot export {current}: its factor {f} depends on {sorted(free)}")
    used = set()
    for expr in (*opening, *(eq.diff[s] for s in mine), *(eq.parse(e) for e in
                                                            part.events.values())):
        used |= {s.name for s in eq.resolve(expr).free_symbols}
    keep = tuple(k for k in keep if k in used)
    names = {s: s for s in mine}
    parameters = []
    for name in keep:
        dim, unit, factor = DIMENSIONS[table[name].unit]
        constant = UNIT_CONSTANTS.get(dim)
        names[name] = f"({name}/{constant[0]})" if constant else name
        value = eq.values[name] / float(si_scale(table[name].unit)) * factor
        parameters.append((name, dim, q(value, unit)))
    states = {s: (part.states[s], "PER_SEC * (" + lems(eq.numeric(eq.diff[s], keep), names)
                  + ")") for s in part.states}
    events = {s: f"{s} + {lems(eq.numeric(eq.parse(e), keep), names)}"
              for s, e in part.events.items()}
    opened = lems(eq.numeric(sympy.Mul(*opening), keep), names) if opening else "1"
    gbase = float(sympy.Mul(*const)) * area if const else area
    return Synapse(part.name, current, f"lhb_{part.name}_synapse", erev, gbase, parameters,
                   states, opened, events, blocks, part.title)


def _block(eq, customs, factor, resolved, name, current):
    """A factor of v alone: Jahr-Stevens (NeuroML's voltageConcDepBlockMechanism) when it
    is ``1/(1 + K exp(-v/V))``, K from a concentration ``X_o`` where it has one; else a
    generated block type."""
    import math

    form = hh_form(eq.resolve(factor), eq.v, eq.numeric)
    if form and form[0] == "Sigmoid" and abs(form[1] - 1) < 1e-12:
        _, _, mid, scale = form
        ratio = math.exp(mid / scale)
        concs = [s.name for s in eq.resolve(factor).free_symbols
                 if s.name in eq.values and s.name.endswith("_o")]
        conc = eq.values[concs[0]] if len(concs) == 1 else ratio
        return ("voltageConcDepBlockMechanism", {
            "species": concs[0][:-2].lower() if len(concs) == 1 else "blocker",
            "blockConcentration": q(conc, "mM"), "scalingConc": q(conc / ratio, "mM"),
            "scalingVolt": q(scale * 1e3, "mV")})
    add_custom(eq, customs, name, "baseBlockMechanism", "blockFactor", "none", resolved,
               _V_NAMES, f"voltage-dependent block of {current}, from its equation")
    return (name, {})


def describe_cell(cell, values: dict, avail: dict, t_offset_s: float) -> NmlCell:
    """The NeuroML parts of ``cell`` with parameter ``values`` (display units) and drug
    factors ``avail`` (:func:`habmodel.model.drugs.availability`, one cell)."""
    import sympy

    from ..model.equations import SPIKE_CONDITION

    table = cell.parameters
    si = {n: float(values[n]) * si_scale(table[n].unit) for n in cell.equation_parameters}
    si.update({n: float(a) for n, a in avail.items()})
    si.update({f"avail_{t}": float(avail.get(f"avail_{t}", 1.0)) for t in cell.drug_targets})
    si["t_offset"] = float(t_offset_s)
    eq = CellEquations(cell, si)
    synaptic = [p for p in cell.parts if p.events]
    synaptic_currents = {c for p in synaptic for c in p.currents}
    channel_currents = [c for c in cell.currents if c not in synaptic_currents]
    pool = _pool(eq, channel_currents)
    customs: list[Custom] = []
    channels = [_channel(eq, customs, c, pool) for c in channel_currents]
    area = si["area"]
    synapses = [_synapse(eq, customs, p, area, table) for p in synaptic]
    _check_membrane(eq, cell.currents)
    threshold = eq.parse(SPIKE_CONDITION)
    if not isinstance(threshold, (sympy.StrictGreaterThan, sympy.GreaterThan)) \
            or threshold.lhs != eq.v:
        raise ValueError(f"cannot export the spike condition {SPIKE_CONDITION!r}")
    injection = {n: eq.values.get(n, 0.0) for n in ("I_hold", "I_step", "step_start",
                                                       "step_stop")}
    if "I_inj" in eq.sub and not {"I_hold", "I_step"} <= set(cell.equation_parameters):
        raise ValueError("cannot export an injected current other than habmodel's I_inj")
    return NmlCell(channels, pool, synapses, customs, si["C_m"], area,
                   cell.initial_state()["v"], eq.number(threshold.rhs), si["temperature"],
                   injection)


def _check_membrane(eq, currents) -> None:
    """dv/dt must be (I_inj/area - sum of the currents)/C_m."""
    import sympy

    keep = (*currents, "I_inj")
    rhs = eq.resolve(eq.diff["v"], keep=keep)
    expected = eq.parse(f"(I_inj/area - ({' + '.join(currents) or '0'}))/C_m")
    if sympy.expand(rhs - expected) != 0:
        raise ValueError(f"cannot export dv/dt = {eq.diff['v']}: expected "
                         "(I_inj/area - I_ion)/C_m")
