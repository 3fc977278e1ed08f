"""SymPy expressions as C for the fast kernel: the printer (small integer powers as
products, branch-free logic), Brian2 unit names replaced by SI values, and
subexpressions of per-cell constants hoisted out of the time loop."""

from __future__ import annotations

__all__ = ["C_KEYWORDS", "c_printer", "si_numeric", "hoist_constants"]

#: Names a model variable must not have in C.
C_KEYWORDS = frozenset("""auto break case char const continue default do double else enum
extern float for goto if inline int long register restrict return short signed sizeof static
struct switch typedef union unsigned void volatile while""".split())


def c_printer(fast_exp: bool = False):
    """A SymPy-to-C printer; ``fast_exp`` prints ``exp`` as the kernel's ``hm_exp`` (the
    time loop's exponential, :data:`habmodel.engines.cpreamble.MATH_PREAMBLE`)."""
    import sympy
    from sympy.printing.c import C99CodePrinter

    class Printer(C99CodePrinter):
        def _print_Pow(self, expr):
            base, exponent = expr.args
            if exponent.is_Integer and 1 < abs(int(exponent)) <= 4:
                product = "*".join([f"({self._print(base)})"] * abs(int(exponent)))
                return f"({product})" if exponent > 0 else f"(1.0/({product}))"
            return super()._print_Pow(expr)

        def _print_And(self, expr):  # no short circuit: keeps the cell loop branch-free
            return "(" + " & ".join(f"({self._print(a)})" for a in expr.args) + ")"

        def _print_Or(self, expr):
            return "(" + " | ".join(f"({self._print(a)})" for a in expr.args) + ")"

        def _print_Function(self, expr):
            name = type(expr).__name__
            if name in ("exprel", "int_"):
                return f"{name}({', '.join(self._print(a) for a in expr.args)})"
            return super()._print_Function(expr)

    settings = {"allow_unknown_functions": True}
    if fast_exp:
        settings["user_functions"] = {"exp": "hm_exp"}
    printer = Printer(settings)
    return lambda expr: printer.doprint(sympy.sympify(expr))


def si_numeric(expr, unit_names):
    """Replace Brian2 unit names (mV, ms, ...) by their SI values."""
    import sympy
    from brian2.core.namespace import DEFAULT_UNITS

    return expr.xreplace({s: sympy.Float(float(DEFAULT_UNITS[s.name]), 17)
                          for s in expr.free_symbols if s.name in unit_names})


def hoist_constants(exprs, constants):
    """Replace every maximal subexpression of per-cell constants by a new symbol."""
    import sympy

    table = {}

    def walk(expr):
        if expr.is_Atom:
            return expr
        if expr.free_symbols and expr.free_symbols <= constants:
            if expr not in table:
                table[expr] = sympy.Symbol(f"hm_p{len(table)}", real=True)
            return table[expr]
        return expr.func(*[walk(a) for a in expr.args])

    out = [walk(e) for e in exprs]
    return out, [(symbol, expr) for expr, symbol in table.items()]
