"""Teaching curves computed from the model's own equations.

Every curve here is evaluated from :data:`habmodel.model.EQUATIONS` itself,
not from a second copy of the formulas: the equation string is parsed by
Brian2 (:class:`brian2.Equations`), and the subexpressions (``B_Mg``,
``m_T_inf``, ``tau_h_T``, ``E_K``, ``I_NMDA``, ``pore_free``, ...) and gating
right-hand sides are evaluated with NumPy, with every parameter taken from
:mod:`habmodel.model.parameters` (a named condition plus overrides) and every unit
name (``mV``, ``mM``, ``ms``, ...) replaced by its SI value. Steady states and
time constants of gates with ``dx/dt = (x_inf - x)/tau`` are read off the
right-hand side, which is linear in ``x``: ``x_inf = f(0)/(f(0) - f(1))`` and
``tau = 1/(f(0) - f(1))``. Changing an equation changes these curves.

Each function returns a tidy :class:`pandas.DataFrame` (one row per point,
units in the column names). Dimensional inputs are Brian2 quantities or
strings (``"1 mM"``); a wrong dimension is a ``ValueError`` naming the input
and the expected unit.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from ..model.drugs import DEFAULT_DOSES_UM, availability, check_concentration, resolve_drug
from ..model.inputs import display_array
from ..model.parameters import PARAMETERS, condition_values, get_parameter
from ..model.units import to_display, unit_of

__all__ = ["evaluate", "gate_steady_state", "nmda_iv", "negative_slope_region",
           "steady_state_iv", "t_channel_gating", "h_activation", "potassium_reversal",
           "DEFAULT_V", "conductance_block"]

#: Default membrane-potential grid of the voltage curves (mV).
DEFAULT_V = np.round(np.arange(-120.0, 20.0001, 0.5), 6)


def _parsed(cell=None):
    """``(subexpressions, differential equations)`` of ``cell`` (default: the LHb
    neuron): name -> code string."""
    from ..model.equations import full_equations

    return _parse(full_equations() if cell is None else cell.full_equations())


@lru_cache(maxsize=8)
def _parse(equations: str):
    import brian2
    from brian2.equations.equations import DIFFERENTIAL_EQUATION, SUBEXPRESSION

    eqs = brian2.Equations(equations)
    sub = {eq.varname: eq.expr.code for eq in eqs.ordered if eq.type == SUBEXPRESSION}
    diff = {eq.varname: eq.expr.code for eq in eqs.ordered if eq.type == DIFFERENTIAL_EQUATION}
    return sub, diff


def _exprel(x):
    x = np.asarray(x, float)
    small = np.abs(x) < 1e-8
    safe = np.where(small, 1.0, x)
    return np.where(small, 1.0 + x / 2, np.expm1(safe) / safe)


def _namespace(values: dict) -> dict:
    from brian2.core.namespace import DEFAULT_UNITS

    ns = {name: float(unit) for name, unit in DEFAULT_UNITS.items()}
    ns.update({"exp": np.exp, "log": np.log, "sqrt": np.sqrt, "exprel": _exprel,
               "int": lambda b: np.asarray(b, float), "abs": np.abs})
    ns.update(values)
    return ns


def _si_parameters(condition: str, overrides: dict | None, cell=None) -> dict[str, float]:
    """Every table parameter of ``condition`` (+ overrides) in SI units, plus no-drug factors."""
    from ..model.equations import DRUG_TARGETS

    table = PARAMETERS if cell is None else cell.parameters
    values = condition_values(condition, table)
    for name, value in (overrides or {}).items():
        param = get_parameter(name, table)
        display = to_display(value, param.unit, name)
        param.check(display)
        values[name] = display
    si = {name: v * float(unit_of(table[name].unit)) for name, v in values.items()}
    si.update({f"avail_{t}": 1.0 for t in (DRUG_TARGETS if cell is None else cell.drug_targets)})
    si.update({"pore_load": 0.0, "pore_delta": 0.0, "t": 0.0, "t_offset": 0.0})
    return si


def evaluate(name: str, state: dict | None = None, *, condition: str = "control",
             overrides: dict | None = None, cell=None):
    """Evaluate a subexpression or a right-hand side ``d<name>/dt`` of the model, in SI units.

    Parameters
    ----------
    name : str
        A subexpression (``"B_Mg"``, ``"E_K"``, ``"I_NMDA"``, ...) or
        ``"d<state>/dt"`` (``"dh_T/dt"``).
    state : dict
        Values (SI floats or NumPy arrays, broadcast together) of state
        variables and of any parameter or drug factor to set directly
        (``{"v": v_volt, "s": 1.0, "Mg_o": 1.0}``, concentrations in mol/m3 =
        mM). Missing state variables raise ``ValueError``.
    condition, overrides
        Parameter values (as for :func:`habmodel.simulate`).
    cell : Cell, optional
        The neuron model (default: the LHb neuron; a :class:`habmodel.Cell` with
        extra parts adds their expressions and parameters).

    Returns
    -------
    ndarray or float, in SI units (V, A/m2, s, 1).
    """
    sub, diff = _parsed(cell)
    ns = _namespace({**_si_parameters(condition, overrides, cell), **(state or {})})
    if name.startswith("d") and name.endswith("/dt"):
        target = name[1:-3]
        if target not in diff:
            raise ValueError(f"'{name}': no differential equation for '{target}' in the model")
        code = diff[target]
    elif name in sub:
        code = sub[name]
    else:
        raise ValueError(f"'{name}' is not a subexpression of the model equations; known: "
                         f"{', '.join(sorted(sub))}")
    return _eval_code(code, ns, sub, set())


def _eval_code(code: str, ns: dict, sub: dict, active: set):
    from brian2.utils.stringtools import get_identifiers

    for ident in get_identifiers(code):
        if ident in ns:
            continue
        if ident in sub:
            if ident in active:
                raise ValueError(f"cyclic subexpression '{ident}'")
            ns[ident] = _eval_code(sub[ident], ns, sub, active | {ident})
        else:
            raise ValueError(f"no value for '{ident}' (a state variable: pass it in state=)")
    with np.errstate(over="ignore", divide="ignore"):
        return eval(compile(code, "<model equation>", "eval"), {"__builtins__": {}}, ns)


def gate_steady_state(gate: str, v_mV, *, condition: str = "control",
                      overrides: dict | None = None, cell=None) -> tuple[np.ndarray, np.ndarray]:
    """Steady state and time constant (ms) of a gate ``x`` with ``dx/dt = (x_inf - x)/tau(v)``.

    Read off the model's right-hand side, which is linear in ``x`` (``cell``: as for
    :func:`evaluate`).
    """
    v = np.asarray(v_mV, float) * 1e-3
    f0, f1, fh = (np.asarray(evaluate(f"d{gate}/dt", {"v": v, gate: x}, condition=condition,
                                      overrides=overrides, cell=cell), float)
                  for x in (0.0, 1.0, 0.5))
    rate = f0 - f1
    if not np.allclose(fh, f0 - 0.5 * rate, rtol=1e-9, atol=1e-12 * np.max(np.abs(rate))):
        raise ValueError(f"d{gate}/dt is not linear in {gate}: no x_inf/tau form")
    return f0 / rate, 1e3 / rate


def _v_grid(v) -> np.ndarray:
    return DEFAULT_V.copy() if v is None else display_array(v, "mV", "v")


def nmda_iv(mg=("0 mM", "0.5 mM", "1 mM", "2 mM"), v=None, *, open_fraction: float = 1.0,
            condition: str = "control", overrides: dict | None = None) -> pd.DataFrame:
    """Steady-state NMDA current-voltage curve with the Jahr-Stevens Mg2+ block.

    ``I_NMDA`` of the model with the open fraction ``s + s_tonic`` held at
    ``open_fraction`` and no drug, at each extracellular [Mg2+] in ``mg``.

    Returns
    -------
    DataFrame
        ``Mg_mM, v_mV, B_Mg, g_NMDA_mS_cm2`` (effective conductance
        ``g_NMDA * open_fraction * B_Mg``), ``I_NMDA_uA_cm2`` (inward negative),
        ``slope_mS_cm2`` (chord-free slope dI/dV) and ``negative_slope`` (bool).
        :func:`negative_slope_region` summarises the last column.
    """
    mg_values = display_array(mg, "mM", "mg")
    for value in mg_values:
        PARAMETERS["Mg_o"].check(value)
    if not 0 < float(open_fraction) <= 1:
        raise ValueError(f"open_fraction: expected a value in (0, 1], got {open_fraction!r}")
    v_mV = _v_grid(v)
    frames = []
    for mg_mM in mg_values:
        state = {"v": v_mV * 1e-3, "s": float(open_fraction), "s_tonic": 0.0,
                 "Mg_o": mg_mM * float(unit_of("mM"))}
        block = np.broadcast_to(evaluate("B_Mg", state, condition=condition,
                                         overrides=overrides), v_mV.shape)
        current = np.asarray(evaluate("I_NMDA", state, condition=condition,
                                      overrides=overrides), float) / float(unit_of("uA/cm2"))
        g_max = _si_parameters(condition, overrides)["g_NMDA"] / float(unit_of("mS/cm2"))
        # dI/dV in uA/cm2 per mV = mS/cm2 (undefined for a single voltage)
        slope = np.gradient(current, v_mV) if v_mV.size > 1 else np.full(v_mV.shape, np.nan)
        frames.append(pd.DataFrame({
            "Mg_mM": mg_mM, "v_mV": v_mV, "B_Mg": block,
            "g_NMDA_mS_cm2": g_max * float(open_fraction) * block,
            "I_NMDA_uA_cm2": current, "slope_mS_cm2": slope, "negative_slope": slope < 0}))
    return pd.concat(frames, ignore_index=True)


_GATES = ("m", "h", "n", "p", "h_T", "r")
_CURRENTS = ("I_Na", "I_K", "I_M", "I_KL", "I_NaL", "I_T", "I_h", "I_SK", "I_NMDA")


def steady_state_iv(condition: str = "depressed", open_fractions=(0.0, 0.05, 0.11, 0.15),
                    v=None, *, overrides: dict | None = None, cell=None,
                    drugs: dict | None = None) -> pd.DataFrame:
    """Whole-cell steady-state I-V: the sum of the ionic currents with every gate, and the
    Ca2+ pool, at its steady state, the NMDA channels held at open fraction ``s``.

    A region of negative slope means the cell is regenerative there: a small
    depolarisation lets in more inward current (why NMDA makes each burst
    regenerative, notebook 03).

    With ``cell`` (a :class:`habmodel.Cell` with extra parts) the currents of the
    extra parts are added, their gates at steady state (each extra state's right-hand
    side must be linear in it, as for a gate or a pool).

    ``drugs`` (``{"ketamine": 1*uM}``, as for :func:`habmodel.simulate`) applies the drugs'
    block: ketamine's NMDA pore block, mibefradil's T-channel block, ... (the browser lab's
    I-V curve).

    Returns
    -------
    DataFrame
        ``condition, s, v_mV, I_pA`` (inward negative) and ``slope_nS`` (dI/dV).
    """
    from ..model.equations import DEFAULT_CELL

    v_mV = _v_grid(v)
    to_pA = _si_parameters(condition, overrides, cell)["area"] * 1e12  # A/m2 -> pA
    extra_states = [] if cell is None else [x for x in cell.states
                                            if x not in DEFAULT_CELL.states]
    currents = _CURRENTS + (() if cell is None else tuple(
        c for c in cell.currents if c not in DEFAULT_CELL.currents))
    blocked = _drug_factors(drugs, condition, overrides, cell)
    frames = []
    for s in np.atleast_1d(np.asarray(open_fractions, float)):
        if not 0 <= s <= 1:
            raise ValueError(f"open_fractions: expected values in [0, 1], got {s:g}")
        state = {"v": v_mV * 1e-3, "s": float(s), "x": 0.0, "s_AMPA": 0.0, **blocked}
        for gate in (*_GATES, *extra_states):
            state[gate], _ = gate_steady_state(gate, v_mV, condition=condition,
                                               overrides=overrides, cell=cell)
        f0, f1 = (evaluate("dc/dt", {**state, "c": c}, condition=condition,
                           overrides=overrides, cell=cell) for c in (0.0, 1.0))
        state["c"] = f0 / (f0 - f1)  # dc/dt is linear in c
        total = sum(np.broadcast_to(evaluate(name, state, condition=condition,
                                             overrides=overrides, cell=cell), v_mV.shape)
                    * to_pA for name in currents)
        slope = np.gradient(total, v_mV) if v_mV.size > 1 else np.full(v_mV.shape, np.nan)
        frames.append(pd.DataFrame({"condition": condition, "s": float(s), "v_mV": v_mV,
                                    "I_pA": total, "slope_nS": slope}))
    return pd.concat(frames, ignore_index=True)


def _drug_factors(drugs, condition, overrides, cell) -> dict[str, float]:
    """The drug layer's availability factors and pore block for ``drugs`` (one cell)."""
    if not drugs:
        return {}
    from ..model.inputs import resolve_drugs

    table = PARAMETERS if cell is None else cell.parameters
    values = condition_values(condition, table)
    for name, value in (overrides or {}).items():
        values[name] = to_display(value, get_parameter(name, table).unit, name)
    params = {name: np.array([value]) for name, value in values.items()}
    targets = None if cell is None else cell.drug_targets
    avail = availability(resolve_drugs(drugs, 1), params, 1,
                         **({} if targets is None else {"targets": targets}))
    return {name: float(np.asarray(value).ravel()[0]) for name, value in avail.items()}


def negative_slope_region(iv: pd.DataFrame) -> pd.DataFrame:
    """The voltage range of negative slope conductance of each curve of :func:`nmda_iv`.

    Strictly, with Mg2+ the slope is negative at every voltage below the
    minimum of the current (the block only fades towards very negative
    voltages), so ``v_low_mV`` is usually the lowest voltage of the grid; the
    steep part, the classic "-80 to -30 mV" of textbooks, is where the slope is
    more negative than half its minimum (``v_low_steep_mV`` to
    ``v_high_steep_mV``).

    Returns
    -------
    DataFrame
        ``Mg_mM, v_low_mV, v_high_mV, v_low_steep_mV, v_high_steep_mV,
        v_steepest_mV, min_slope_mS_cm2`` (one row per [Mg2+]; NaN voltages
        when the curve has no negative-slope region).
    """
    rows = []
    for mg_mM, curve in iv.groupby("Mg_mM", sort=True):
        neg = curve.loc[curve["negative_slope"], "v_mV"]
        slope = curve["slope_mS_cm2"].to_numpy()
        steep = curve.loc[slope < 0.5 * slope.min(), "v_mV"] if len(neg) else neg
        nan = float("nan")
        rows.append({"Mg_mM": float(mg_mM),
                     "v_low_mV": float(neg.min()) if len(neg) else nan,
                     "v_high_mV": float(neg.max()) if len(neg) else nan,
                     "v_low_steep_mV": float(steep.min()) if len(steep) else nan,
                     "v_high_steep_mV": float(steep.max()) if len(steep) else nan,
                     "v_steepest_mV": (float(curve["v_mV"].to_numpy()[np.argmin(slope)])
                                       if len(neg) else nan),
                     "min_slope_mS_cm2": float(slope.min())})
    return pd.DataFrame(rows)


def t_channel_gating(v=None, *, condition: str = "control",
                     overrides: dict | None = None) -> pd.DataFrame:
    """T-type Ca2+ channel gating of the model: activation, inactivation and its time constant.

    Returns
    -------
    DataFrame
        ``v_mV, m_inf, m_inf_sq`` (the open probability of the two activation
        gates), ``h_inf``, ``tau_h_ms`` (at the model temperature, with q10) and
        ``window`` (``m_inf^2 * h_inf``: the steady "window" current fraction).
    """
    v_mV = _v_grid(v)
    m_inf = np.broadcast_to(evaluate("m_T_inf", {"v": v_mV * 1e-3}, condition=condition,
                                     overrides=overrides), v_mV.shape)
    h_inf, tau_h = gate_steady_state("h_T", v_mV, condition=condition, overrides=overrides)
    return pd.DataFrame({"v_mV": v_mV, "m_inf": m_inf, "m_inf_sq": m_inf**2, "h_inf": h_inf,
                         "tau_h_ms": tau_h, "window": m_inf**2 * h_inf})


def h_activation(v=None, *, condition: str = "control",
                 overrides: dict | None = None) -> pd.DataFrame:
    """I_h (HCN) activation ``r_inf`` and its time constant, from the model equations.

    Returns
    -------
    DataFrame
        ``v_mV, r_inf, tau_r_ms``.
    """
    v_mV = _v_grid(v)
    r_inf, tau_r = gate_steady_state("r", v_mV, condition=condition, overrides=overrides)
    return pd.DataFrame({"v_mV": v_mV, "r_inf": r_inf, "tau_r_ms": tau_r})


def potassium_reversal(k_o=None, *, condition: str = "control",
                       overrides: dict | None = None) -> pd.DataFrame:
    """E_K (Nernst, the model's ``E_K`` expression) against perisomatic [K+]o.

    Parameters
    ----------
    k_o : Quantity array or sequence, optional
        [K+]o values (default 1-10 mM in 0.05 mM steps).

    Returns
    -------
    DataFrame
        ``K_o_mM, E_K_mV, K_i_mM, temperature_K``.
    """
    k_values = (np.round(np.arange(1.0, 10.0001, 0.05), 6) if k_o is None
                else display_array(k_o, "mM", "k_o"))
    for value in k_values:
        PARAMETERS["K_o"].check(value)
    si = _si_parameters(condition, overrides)
    e_k = np.asarray(evaluate("E_K", {"K_o": k_values * float(unit_of("mM"))},
                              condition=condition, overrides=overrides), float) * 1e3
    return pd.DataFrame({"K_o_mM": k_values, "E_K_mV": e_k,
                         "K_i_mM": si["K_i"] / float(unit_of("mM")),
                         "temperature_K": si["temperature"]})


def conductance_block(drug: str = "ketamine", doses=None, v="-60 mV", *,
                      condition: str = "control") -> pd.DataFrame:
    """Fraction of the drug's target conductance blocked at each dose, at voltage ``v``.

    Computed from the drug layer (:func:`habmodel.model.drugs.availability`) and,
    for pore blockers, the model's ``pore_free`` expression at ``v`` (the
    block is voltage independent unless ``ketamine_delta > 0``).

    Returns
    -------
    DataFrame
        ``drug, target, dose_uM, v_mV, free_fraction, blocked_fraction``.
    """
    d = resolve_drug(drug)
    doses = (np.array(DEFAULT_DOSES_UM) if doses is None
             else check_concentration("doses", display_array(doses, "uM", "doses")))
    v_mV = to_display(v, "mV", "v")
    params = {k: np.full(doses.size, val) for k, val in condition_values(condition).items()}
    avail = availability({d: doses}, params, doses.size)
    target = "NMDA" if d.target == "NMDA_pore" else d.target
    free = np.asarray(avail[f"avail_{target}"], float)
    if d.target == "NMDA_pore":
        pore = evaluate("pore_free", {"v": v_mV * 1e-3, "pore_load": avail["pore_load"],
                                      "pore_delta": avail["pore_delta"]}, condition=condition)
        free = free * np.asarray(pore, float)
    return pd.DataFrame({"drug": d.name, "target": target, "dose_uM": doses, "v_mV": v_mV,
                         "free_fraction": free, "blocked_fraction": 1.0 - free})
