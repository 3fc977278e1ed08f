"""The kernel's probes: C functions that evaluate the model at given states without
integrating it, printed by :mod:`habmodel.engines.codegen` into the same source as
``hm_run`` (so the native and the WebAssembly kernels have them alike).

* ``hm_rhs``: every right-hand side dS/dt (the lab's steady-state I-V curve, the clamp's
  steady start);
* ``hm_currents``: every membrane current of the cell (the lab's voltage clamp);
* ``hm_event``: what one glutamate event adds to each state (the clamp's puffs).

Arrays are laid out as in ``hm_run``: one column per point, ``S[i*n + j]``, ``P[k*n + j]``.
"""

from __future__ import annotations

__all__ = ["rhs_lines", "probe_lines"]


def rhs_lines(states, parameters, index, hoisted, shared, reduced, c) -> list[str]:
    """``hm_rhs``: the right-hand sides at given states (one column per point), for the
    steady states and currents of the lab's I-V curve (any part's gates included)."""
    pad = "        "
    needed = {s.name for e in (*reduced, *(e for _, e in shared), *(e for _, e in hoisted))
              for s in e.free_symbols}
    out = ["/* The right-hand sides dS/dt of n points (states S and parameters P as in",
           "   hm_run, one column per point) at time t, into D (states x n). */",
           "void hm_rhs(int64_t hm_n, double t, const double *restrict S,",
           "            const double *restrict P, double *restrict D)",
           "{",
           "    for (int64_t hm_j = 0; hm_j < hm_n; hm_j++) {"]
    out += [f"{pad}const double {name} = P[{index[name]}*hm_n + hm_j];"
            for name in parameters if name in needed]
    out += [f"{pad}const double {symbol} = {c(expr)};" for symbol, expr in hoisted]
    out += [f"{pad}const double {name} = S[{i}*hm_n + hm_j];"
            for i, name in enumerate(states)]
    out += [f"{pad}const double {symbol} = {c(expr)};" for symbol, expr in shared]
    out += [f"{pad}D[{i}*hm_n + hm_j] = {c(expr)};" for i, expr in enumerate(reduced)]
    out += ["    }", "}", ""]
    return out


def probe_lines(states, parameters, index, currents, event, c) -> list[str]:
    """``hm_currents`` (each membrane current at given states: the voltage clamp reads
    them) and ``hm_event`` (what one glutamate event adds to each state: its puffs)."""
    import sympy

    pad = "        "

    def loads(exprs, n="hm_n"):
        needed = {s.name for e in exprs for s in e.free_symbols}
        return ([f"{pad}const double {name} = P[{index[name]}*{n} + hm_j];"
                 for name in parameters if name in needed]
                + [f"{pad}const double {name} = S[{i}*{n} + hm_j];"
                   for i, name in enumerate(states) if name in needed])

    exprs = [e for _, e in currents]
    shared, reduced = sympy.cse(exprs, symbols=sympy.numbered_symbols("hm_c"),
                                optimizations="basic") if exprs else ([], [])
    out = [f"int hm_n_currents(void) {{ return {len(currents)}; }}", "",
           "/* The membrane currents (A/m2, outward positive; the order of the cell's",
           "   currents) of n points (states S, parameters P as in hm_run) at time t, into C",
           "   (currents x n). */",
           "void hm_currents(int64_t hm_n, double t, const double *restrict S,",
           "                 const double *restrict P, double *restrict C)",
           "{",
           "    (void)t;",
           "    for (int64_t hm_j = 0; hm_j < hm_n; hm_j++) {"]
    out += loads([*exprs, *(e for _, e in shared)])
    out += [f"{pad}const double {symbol} = {c(expr)};" for symbol, expr in shared]
    out += [f"{pad}C[{k}*hm_n + hm_j] = {c(expr)};" for k, expr in enumerate(reduced)]
    out += ["    }", "}", "",
            "/* What ONE glutamate event adds to each state (as hm_run adds it) of n points,",
            "   into D (states x n; 0 for a state no event changes). */",
            "void hm_event(int64_t hm_n, const double *restrict S, const double *restrict P,",
            "              double *restrict D)",
            "{",
            "    for (int64_t hm_j = 0; hm_j < hm_n; hm_j++) {"]
    out += loads(list(event.values()))
    out += [f"{pad}D[{i}*hm_n + hm_j] = {c(event[name]) if name in event else '0.0'};"
            for i, name in enumerate(states)]
    out += ["    }", "}", ""]
    return out
