"""The package's layers: no import cycles, no private helper imported across packages,
no module much over 400 lines, and the arrows between layers pointing one way.

Every import counts, also one inside a function (a lazy import is still an arrow).
"""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "habmodel"
MAX_LINES = 420  # "about 400"


def _modules() -> dict[str, tuple[Path, bool]]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if package else parts)] = (path, package)
    return out


def _imports(name: str, path: Path, package: bool, modules):
    """``(imported module, [names])`` of every habmodel import in a module."""
    base = name.split(".") if package else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                head = base[:len(base) - node.level + 1]
                target = ".".join(head + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [a.name for a in node.names]
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            yield target, [n for n in names if f"{target}.{n}" not in modules]
            for sub in submodules:
                yield sub, []


def _owner(target: str, modules) -> str | None:
    while target and target not in modules:
        target = target.rpartition(".")[0]
    return target or None


def import_graph() -> dict[str, set[str]]:
    """Module -> the habmodel modules it imports (not counting its own parent packages)."""
    modules = _modules()
    graph = {name: set() for name in modules}
    for name, (path, package) in modules.items():
        for target, _ in _imports(name, path, package, modules):
            owner = _owner(target, modules)
            if owner and owner != name and not name.startswith(owner + "."):
                graph[name].add(owner)
    return graph


def _cycles(graph) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert _cycles(import_graph()) == []


def _package(module: str, modules) -> str:
    return module if modules[module][1] else module.rpartition(".")[0]


def test_no_private_helper_is_imported_across_packages():
    modules = _modules()
    bad = []
    for name, (path, package) in modules.items():
        for target, names in _imports(name, path, package, modules):
            owner = _owner(target, modules)
            if owner is None or _package(owner, modules) == _package(name, modules):
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            bad += [f"{name} imports {owner}.{n}" for n in private]
    assert bad == []


def test_no_module_is_much_over_400_lines():
    long = {str(p.relative_to(SRC)): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


#: The layers, bottom up, and what each may import (docs/architecture.md): arrows point
#: down only; analysis and plotting take plain data and never reach a simulation.
ALLOWED = {
    "model": {"model"},
    "engines": {"model", "engines"},
    "analysis": {"model", "analysis"},
    "simulation": {"model", "engines", "analysis", "simulation"},
    "plotting": {"model", "analysis", "plotting"},
    "protocols": {"model", "engines", "analysis", "simulation", "plotting", "protocols"},
    "io": {"model", "analysis", "plotting", "io"},
}
LAYER_OF = {"model": "model", "engines": "engines", "analysis": "analysis",
            "plotting": "plotting", "simulation": "simulation", "experiments": "protocols",
            "trapping": "protocols", "circuit": "protocols", "io": "io", "paramfile": "io",
            "claims": "io"}


def layer(module: str) -> str:
    """The layer of a habmodel module; the rest (cli, figures, validate, sweeps, the
    package itself) are the interfaces, which may import anything."""
    parts = module.split(".")
    return LAYER_OF.get(parts[1], "interfaces") if len(parts) > 1 else "interfaces"


def test_every_module_has_the_layer_its_folder_says():
    assert layer("habmodel.model.cell") == "model"
    assert layer("habmodel.trapping.full") == "protocols"
    assert layer("habmodel.cli.common") == "interfaces"
    assert layer("habmodel") == "interfaces"


def test_arrows_point_down_only():
    graph = import_graph()
    wrong = sorted(f"{module} ({layer(module)}) imports {target} ({layer(target)})"
                   for module, targets in graph.items() if layer(module) in ALLOWED
                   for target in targets if layer(target) not in ALLOWED[layer(module)])
    assert wrong == []
