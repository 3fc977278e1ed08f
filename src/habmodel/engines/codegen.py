"""Print the model equations as one C kernel that integrates a whole population.

The fast engine (:mod:`habmodel.engines.fast`) compiles this kernel once per model
*structure* (equations, spike condition, input, integration method) and calls
it with the parameter values as arrays, so a new parameter value, drug dose,
seed, duration or population size never needs a new build.

The kernel is made from the same SymPy expressions as the SciPy reference
(:func:`habmodel.engines.symbolic.symbolic_model`), with three rewrites that change no
number beyond rounding:

* subexpressions that depend only on per-cell constants (``E_K`` from the
  Nernst equation, the Q10 factor of the T-channel, ...) are *hoisted*: computed
  once per cell and call instead of at every step and stage;
* the remaining common subexpressions are shared (``sympy.cse``);
* integer powers become products, and every array is 64-bit, so that the loop
  over cells vectorises (SIMD ``exp`` from the C library's vector math).

The loop vectorises on every x86-64 level, not only with AVX-512: nothing in it
needs an instruction that AVX2 or SSE lack. In particular the uniform random
number of a step is never converted from a 64-bit integer to a double (no such
vector instruction before AVX-512DQ, and one such conversion makes GCC give up
on the whole loop): the Poisson inversion compares the 53-bit integer with
integer thresholds, ``x >= ceil(F_k * 2**53)``, which is exactly ``u >= F_k``
for ``u = x * 2**-53``. The vector width is the compiler target's
(``hm_simd_width()``: 8 doubles with AVX-512, 4 with AVX/AVX2, 2 with SSE2);
a block of fewer cells than that runs one cell at a time, with the
exponentials of each stage in one SIMD call instead.

One time step of one cell does what :func:`habmodel.engines.runtime.build_network` does
in Brian2, in the same order: the step's glutamate events (a counter-based
random number of ``(seed, cell, step)``, :func:`habmodel.model.drive.glutamate_counts`)
increment the synaptic variables; the refractory flag is released if the cell
is below threshold; one step of the explicit method; a spike is an upward
threshold crossing outside the refractory period, stamped with the step's
start time.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.drive import N_POISSON_TERMS
from ..model.equations import GLUTAMATE_EVENT
from .cexpr import C_KEYWORDS, c_printer, hoist_constants, si_numeric
from .cpreamble import MATH_PREAMBLE, SIMD_PREAMBLE
from .probes import probe_lines, rhs_lines

__all__ = ["METHODS", "KernelSource", "kernel_source", "ABI_VERSION"]

#: Explicit methods the kernel implements: stage times (fractions of dt), the
#: stage increments (coefficients of the previous stages) and the final weights.
METHODS = {
    "euler": ((0.0,), ((),), (1.0,)),
    "rk2": ((0.0, 0.5), ((), (0.5,)), (0.0, 1.0)),
    "rk4": ((0.0, 0.5, 0.5, 1.0), ((), (0.5,), (0.0, 0.5), (0.0, 0.0, 1.0)),
            (1 / 6, 1 / 3, 1 / 3, 1 / 6)),
}

#: Bumped whenever the calling convention of ``hm_run`` changes.
ABI_VERSION = 4

_BLOCK = 64  # cells per SIMD block (state and parameters of a block stay in L1/L2)
@dataclass(frozen=True)
class KernelSource:
    """The C source of a kernel and the layout of the arrays it expects."""

    code: str
    method: str
    states: tuple  # state variables, rows of the state array
    parameters: tuple  # per-cell constants (SI values), rows of the parameter array
    spike_variable: str
    currents: tuple = ()  # membrane currents, rows of hm_currents' output (A/m2)


def kernel_source(method: str = "rk4", equations: str | None = None,
                  event=None) -> KernelSource:
    """Generate the C kernel of the model for an explicit ``method``.

    ``equations`` defaults to :func:`habmodel.model.full_equations`; any other
    string gives a kernel of that model (same spike condition and input).
    ``event`` maps a state variable to what one glutamate event adds to it
    (default :data:`habmodel.model.GLUTAMATE_EVENT`; a cell's ``glutamate_event``).
    """
    import sympy
    from brian2.core.namespace import DEFAULT_UNITS
    from brian2.parsing.sympytools import str_to_sympy

    from .symbolic import symbolic_model

    if method not in METHODS:
        raise ValueError(f"method: the fast engine implements {', '.join(METHODS)}; got "
                         f"{method!r} (use engine='runtime' for Brian2's other methods)")
    sym = symbolic_model(equations)
    states = tuple(s.name for s in sym.states)
    if "v" not in states:
        raise ValueError("the model needs a membrane potential state variable 'v'")
    t = sym.t
    event = GLUTAMATE_EVENT if event is None else event
    event = {name: str_to_sympy(code) for name, code in event.items()}
    if not set(event) <= set(states):
        raise ValueError(f"glutamate events act on {sorted(event)}, not all state variables")
    known = set(states) | {t.name}
    names = {s.name for e in (*sym.rhs, sym.threshold, *event.values(),
                              *(e for _, e in sym.currents)) for s in e.free_symbols}
    units = {n for n in names - known - set(sym.parameters) if n in DEFAULT_UNITS}
    parameters = tuple(sorted((names - known - units) | {"nu_glu"}))
    bad = sorted(n for n in (*states, *parameters) if n in C_KEYWORDS or n.startswith("hm_"))
    if bad:
        raise ValueError(f"names that clash with C or the kernel: {bad}")

    rhs = [si_numeric(e, units) for e in sym.rhs]
    threshold = si_numeric(sym.threshold, units)
    event = {k: si_numeric(e, units) for k, e in event.items()}
    currents = [(name, si_numeric(e, units)) for name, e in sym.currents]
    constants = {s for e in rhs for s in e.free_symbols if s.name in parameters}
    rhs, hoisted = hoist_constants(rhs, constants)
    shared, reduced = sympy.cse(rhs, symbols=sympy.numbered_symbols("hm_c"),
                                optimizations="basic")
    c = c_printer()
    code = _render(method, states, parameters, hoisted, shared, reduced, threshold, event, c, t)
    index = {name: i for i, name in enumerate(parameters)}
    code += "\n".join(probe_lines(states, parameters, index, currents, event, c))
    return KernelSource(code, method, states, parameters, "v", tuple(n for n, _ in currents))


def _render(method, states, parameters, hoisted, shared, reduced, threshold, event, c, t):

    times, increments, weights = METHODS[method]
    n_s, n_p = len(states), len(parameters)
    index = {name: i for i, name in enumerate(parameters)}
    used_in_hoist = sorted({s.name for _, e in hoisted for s in e.free_symbols},
                           key=index.__getitem__)
    out = [
        "/* Generated by habmodel.engines.codegen from the model equations. Do not edit. */",
        "#include <math.h>", "#include <stddef.h>", "#include <stdint.h>", "",
        f"#define HM_BLOCK {_BLOCK}", SIMD_PREAMBLE,
        "#define HM_WHOLE(k) (((k) + HM_SIMD - 1) / HM_SIMD * HM_SIMD)",
        MATH_PREAMBLE,
        "static inline double exprel(double x) { return fabs(x) < 1e-16 ? 1.0 : hm_expm1(x) / x; }",
        "#define int_(x) ((double)(x))",
        "static inline uint64_t hm_mix(uint64_t z) {",
        "    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;",
        "    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;",
        "    return z ^ (z >> 31);", "}", "",
        f"int hm_abi_version(void) {{ return {ABI_VERSION}; }}",
        f"int hm_n_states(void) {{ return {n_s}; }}",
        f"int hm_n_parameters(void) {{ return {n_p}; }}",
        "int hm_simd_width(void) { return HM_SIMD; }",
        "const char *hm_isa(void) { return HM_ISA; }",
        "const char *hm_math(void) { return HM_MATH; }", "",
        "/* A block of at least min_vector cells runs the vector loop, a smaller one the",
        "   loop of one cell at a time (pass HM_SIMD; a huge value forces the scalar path). */",
        "void hm_run(int64_t n, int64_t n_steps, int64_t step0, double dt,",
        "            double *restrict S, const double *restrict P,",
        "            const uint64_t *restrict keys, int64_t *restrict notref,",
        "            int64_t *restrict spk, int64_t rec_var, int64_t rec_every,",
        "            int64_t rec_step0, int64_t n_rec, const int64_t *restrict rec_cells,",
        "            double *restrict rec, int64_t n_threads, int64_t min_vector)",
        "{",
        "    const int64_t hm_nb = (n + HM_BLOCK - 1) / HM_BLOCK;",
        "    #pragma omp parallel for schedule(static) num_threads(n_threads) "
        "if (n_threads > 1 && hm_nb > 1)",
        "    for (int64_t hm_b = 0; hm_b < hm_nb; hm_b++) {",
        "        const int64_t hm_lo = hm_b * HM_BLOCK;",
        "        const int64_t hm_w = (n - hm_lo < HM_BLOCK) ? n - hm_lo : HM_BLOCK;",
        f"        double hm_H[{max(len(hoisted), 1)}][HM_BLOCK];",
        f"        int64_t hm_F[{N_POISSON_TERMS}][HM_BLOCK];  /* ceil(2^53 * P(N <= k)) */",
        "        int64_t hm_r0 = 0, hm_r1 = 0;  /* recorded cells of this block */",
        "        while (hm_r0 < n_rec && rec_cells[hm_r0] < hm_lo) hm_r0++;",
        "        hm_r1 = hm_r0;",
        "        while (hm_r1 < n_rec && rec_cells[hm_r1] < hm_lo + hm_w) hm_r1++;",
        "        #pragma omp simd",
        "        for (int64_t hm_i = 0; hm_i < hm_w; hm_i++) {",
        "            const int64_t hm_j = hm_lo + hm_i;",
    ]
    for name in used_in_hoist:
        out.append(f"            const double {name} = P[{index[name]}*n + hm_j];")
    for k, (symbol, expr) in enumerate(hoisted):
        out.append(f"            const double {symbol} = {c(expr)};")
        out.append(f"            hm_H[{k}][hm_i] = {symbol};")
    out += [
        "            /* cumulative Poisson probabilities of 0, 1, ... events per step */",
        f"            const double hm_lam = P[{index['nu_glu']}*n + hm_j] * dt;",
        "            double hm_prob = exp(-hm_lam), hm_cum = hm_prob;",
        "            hm_F[0][hm_i] = (int64_t)ceil(hm_cum * 0x1.0p53);",
    ]
    for k in range(1, N_POISSON_TERMS):
        out.append(f"            hm_prob *= hm_lam / {k}.0; hm_cum += hm_prob; "
                   f"hm_F[{k}][hm_i] = (int64_t)ceil(hm_cum * 0x1.0p53);")
    out += [
        "        }",
        "        for (int64_t hm_k = 0; hm_k < n_steps; hm_k++) {",
        "            const int64_t hm_step = step0 + hm_k;",
        "            const double hm_t = hm_step * dt;",
        "            if (rec_every > 0 && hm_step >= rec_step0",
        "                && (hm_step - rec_step0) % rec_every == 0) {",
        "                const int64_t hm_row = (hm_step - rec_step0) / rec_every;",
        "                for (int64_t hm_r = hm_r0; hm_r < hm_r1; hm_r++)",
        "                    rec[hm_row*n_rec + hm_r] = S[rec_var*n + rec_cells[hm_r]];",
        "            }",
        "            if (hm_w >= min_vector) {  /* vectorised over cells */",
        "                #pragma omp simd",
        "                for (int64_t hm_i = 0; hm_i < hm_w; hm_i++) {",
    ]
    cell = dict(states=states, parameters=parameters, index=index, hoisted=hoisted,
                shared=shared, reduced=reduced, threshold=threshold, event=event,
                c=c_printer(fast_exp=True), t=t,
                times=times, increments=increments, weights=weights)
    out += _cell_lines(**cell, vector_exp=False)
    out += ["                }",
            "            } else {  /* few cells: one at a time, the exps of a stage in SIMD */",
            "                for (int64_t hm_i = 0; hm_i < hm_w; hm_i++) {"]
    out += _cell_lines(**cell, vector_exp=True)
    out += [
        "                }",
        "            }",
        "        }",
        "    }",
        "}",
        "",
    ]
    out += rhs_lines(states, parameters, index, hoisted, shared, reduced, c)
    return "\n".join(out)


def _transcendentals(shared, reduced):
    """Split a stage for SIMD exps: ``(pre, exps, exprels, post, reduced)`` or None.

    ``exps``/``exprels`` are the distinct ``exp``/``exprel`` calls (arguments
    computed from ``pre`` statements only); ``post`` and ``reduced`` refer to
    them as symbols ``hm_e<k>``/``hm_x<k>``.
    """
    import sympy

    def calls(kind):
        found = []
        for _, expr in shared:
            found += [a for a in sympy.preorder_traversal(expr) if kind(a) and a not in found]
        for expr in reduced:
            found += [a for a in sympy.preorder_traversal(expr) if kind(a) and a not in found]
        return list(dict.fromkeys(found))

    exps = calls(lambda a: isinstance(a, sympy.exp))
    exprels = calls(lambda a: type(a).__name__ == "exprel")
    if not exps and not exprels:
        return None
    mapping = {call: sympy.Symbol(f"hm_e{k}", real=True) for k, call in enumerate(exps)}
    mapping.update({call: sympy.Symbol(f"hm_x{k}", real=True) for k, call in enumerate(exprels)})
    placeholders = set(mapping.values())
    pre, post, late = [], [], set(placeholders)
    for symbol, expr in shared:
        expr = expr.xreplace(mapping)
        if expr.free_symbols & late:
            post.append((symbol, expr))
            late.add(symbol)
        else:
            pre.append((symbol, expr))
    for call in (*exps, *exprels):
        if call.args[0].free_symbols & late or call.args[0].has(sympy.exp):
            return None  # an exp of an exp: keep the plain form
    return (pre, [e.args[0] for e in exps], [e.args[0] for e in exprels], post,
            [e.xreplace(mapping) for e in reduced])


def _cell_lines(states, parameters, index, hoisted, shared, reduced, threshold, event, c, t,
                times, increments, weights, vector_exp: bool) -> list[str]:
    """The C statements of one cell and one time step (inside the loop over cells)."""
    import sympy

    pad = "                    "
    out = [f"{pad}const int64_t hm_j = hm_lo + hm_i;"]
    needed = {s.name for e in (*reduced, *(e for _, e in shared), threshold, *event.values())
              for s in e.free_symbols}
    for name in parameters:
        if name in needed:
            out.append(f"{pad}const double {name} = P[{index[name]}*n + hm_j];")
    for k, (symbol, _) in enumerate(hoisted):
        if str(symbol) in needed:
            out.append(f"{pad}const double {symbol} = hm_H[{k}][hm_i];")
    n_s = len(states)
    for i in range(n_s):
        out.append(f"{pad}double hm_y{i} = S[{i}*n + hm_j];")
    out += [
        f"{pad}/* this step's glutamate events */",
        f"{pad}const uint64_t hm_z = hm_mix(keys[hm_j] + (uint64_t)hm_step * "
        "0x9E3779B97F4A7C15ULL);",
        f"{pad}const int64_t hm_u = (int64_t)(hm_z >> 11);  /* u = hm_u * 2^-53 */",
        f"{pad}double hm_events = 0.0;",
    ]
    for k in range(N_POISSON_TERMS):
        out.append(f"{pad}hm_events += (hm_u >= hm_F[{k}][hm_i]) ? 1.0 : 0.0;")
    y = {sympy.Symbol(name, real=True): sympy.Symbol(f"hm_y{i}", real=True)
         for i, name in enumerate(states)}
    for name, expr in event.items():
        i = states.index(name)
        out.append(f"{pad}hm_y{i} += hm_events * ({c(expr.xreplace(y))});")
    thr = c(threshold.xreplace({**y, t: sympy.Symbol("hm_t", real=True)}))
    out.append(f"{pad}const int64_t hm_free = notref[hm_j] | !(({thr}) > 0);")
    split = _transcendentals(shared, reduced) if vector_exp else None
    for stage, (frac, coeffs) in enumerate(zip(times, increments, strict=True)):
        out.append(pad + " ".join(f"double hm_k{stage}_{i};" for i in range(n_s)))
        out.append(pad + "{")
        inner = pad + "    "
        out.append(f"{inner}const double t = hm_t + {frac!r}*dt;")
        for i, name in enumerate(states):
            terms = "".join(f" + {a!r}*dt*hm_k{s}_{i}" for s, a in enumerate(coeffs) if a)
            out.append(f"{inner}const double {name} = hm_y{i}{terms};")
        if split is None:
            for symbol, expr in shared:
                out.append(f"{inner}const double {symbol} = {c(expr)};")
            stage_reduced = reduced
        else:
            pre, exp_args, exprel_args, post, stage_reduced = split
            for symbol, expr in pre:
                out.append(f"{inner}const double {symbol} = {c(expr)};")
            for name, args, fn in (("hm_ea", exp_args, "hm_exp"),
                                   ("hm_xa", exprel_args, "hm_expm1")):
                if not args:
                    continue
                size = f"HM_WHOLE({len(args)})"  # whole vectors: no scalar remainder
                out.append(f"{inner}double {name}[{size}], {name}v[{size}];")
                for k, arg in enumerate(args):
                    out.append(f"{inner}{name}[{k}] = {c(arg)};")
                out.append(f"{inner}for (int hm_q = {len(args)}; hm_q < {size}; hm_q++) "
                           f"{name}[hm_q] = 0.0;")
                out.append(f"{inner}#pragma omp simd")
                out.append(f"{inner}for (int hm_q = 0; hm_q < {size}; hm_q++) "
                           f"{name}v[hm_q] = {fn}({name}[hm_q]);")
            for k in range(len(exp_args)):
                out.append(f"{inner}const double hm_e{k} = hm_eav[{k}];")
            for k in range(len(exprel_args)):
                out.append(f"{inner}const double hm_x{k} = fabs(hm_xa[{k}]) < 1e-16 ? 1.0 : "
                           f"hm_xav[{k}] / hm_xa[{k}];")
            for symbol, expr in post:
                out.append(f"{inner}const double {symbol} = {c(expr)};")
        for i, expr in enumerate(stage_reduced):
            out.append(f"{inner}hm_k{stage}_{i} = {c(expr)};")
        out.append(pad + "}")
    for i in range(n_s):
        terms = " + ".join(f"{w!r}*hm_k{s}_{i}" for s, w in enumerate(weights) if w)
        out.append(f"{pad}hm_y{i} += dt*({terms});")
        out.append(f"{pad}S[{i}*n + hm_j] = hm_y{i};")
    out += [
        f"{pad}const int64_t hm_spike = (({thr}) > 0) & hm_free;",
        f"{pad}spk[hm_k*n + hm_j] = hm_spike;",
        f"{pad}notref[hm_j] = hm_free & !hm_spike;",
    ]
    return out
