"""The layering rule, read from the source: domains point one way, ``web/`` is a toolkit, and no
import cycle exists between packages or between modules.

Every ``import`` in ``src/weshop`` counts, at any depth and under ``TYPE_CHECKING`` too: an
upward import hidden in a function is still a dependency. The order below is the one in the
README's layout section and in CONTRIBUTING.md; a new domain gets its place in it.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

import weshop

SOURCE = Path(weshop.__file__).parent

# Lowest first: a package may import itself and the packages before it, never one after it.
LAYERS = [
    "core",
    "web",
    "media",
    "pricing",
    "accounts",
    "stores",
    "logistics",
    "inventory",
    "catalog",
    "cart",
    "promotions",
    "members",
    "orders",
    "payments",
    "ledger",
    "aftersales",
    "reviews",
    "groupbuy",
    "bargain",
    "flashsale",
    "affiliates",
    "wechat",
    "analytics",
    "paysim",
    "carriersim",
    "wxsim",
]
# What puts the domains together: may import any of them; no domain imports these.
COMPOSITION = {"app", "routes", "cli", "models", "deploy", "demo", "migrations"}


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(SOURCE.rglob("*.py"))}


def imported_names(path: Path) -> Iterator[tuple[int, str]]:
    """Every weshop module a file names in an import, with the line it is on."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def import_graph() -> dict[str, dict[str, int]]:
    """module -> {imported weshop module: first line}."""
    known = modules()
    graph: dict[str, dict[str, int]] = {}
    for name, path in known.items():
        edges: dict[str, int] = {}
        for line, target in imported_names(path):
            if target in known and target != name:
                edges.setdefault(target, line)
        graph[name] = edges
    return graph


def package_of(module: str) -> str:
    """The top-level package (``orders``) or top-level module (``app``) a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "weshop"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


GRAPH = import_graph()


def test_every_package_has_a_place_in_the_order() -> None:
    packages = {package_of(module) for module in GRAPH} - {"weshop"}
    unplaced = sorted(packages - set(LAYERS) - COMPOSITION)
    assert not unplaced, f"give these packages a place in LAYERS or COMPOSITION: {unplaced}"


@pytest.mark.parametrize("layer", LAYERS)
def test_a_domain_imports_only_itself_and_the_domains_below_it(layer: str) -> None:
    allowed = set(LAYERS[: LAYERS.index(layer) + 1])
    wrong = [
        f"{module}:{line} imports {target}"
        for module, edges in GRAPH.items()
        if package_of(module) == layer
        for target, line in edges.items()
        if package_of(target) not in allowed | {"weshop"}
    ]
    assert not wrong, f"{layer} may import only {sorted(allowed)}:\n" + "\n".join(wrong)


def test_web_is_a_toolkit_on_core_alone() -> None:
    wrong = [
        f"{module} imports {target}"
        for module, edges in GRAPH.items()
        if package_of(module) == "web"
        for target in edges
        if package_of(target) not in {"web", "core"}
    ]
    assert not wrong, "\n".join(wrong)


def test_no_cycle_between_packages() -> None:
    packages: dict[str, set[str]] = defaultdict(set)
    for module, edges in GRAPH.items():
        for target in edges:
            if package_of(target) != package_of(module):
                packages[package_of(module)].add(package_of(target))
    assert cycles(packages) == []


def test_no_cycle_between_modules() -> None:
    # A module importing its own package's __init__ is not a cycle worth naming.
    modules_graph = {
        module: {target for target in edges if not module.startswith(target + ".")}
        for module, edges in GRAPH.items()
    }
    assert cycles(modules_graph) == []


def test_the_checker_sees_a_cycle_and_an_upward_import() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert package_of("weshop.orders.service") == "orders"
    assert "weshop.orders.service" in GRAPH["weshop.payments.service"]
