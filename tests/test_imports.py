"""The package's imports form no circle, and no module imports another module's ``_private`` name.

Every import counts, at module level or inside a function (a function-level import hides a circle
from Python, not from a reader). An edge goes from a module to each ``sentiment`` module it names:
``from a.b import c`` is an edge to ``a.b.c`` when that is a module, else to ``a.b``.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "sentiment"

KNOWN_CIRCLES: set[frozenset[str]] = set()
"""Circles that exist today and are being removed (none left); any other circle fails the test."""
KNOWN_PRIVATE: set[tuple[str, str, str]] = set()
"""(importer, module, name) imports of a private name that exist today (none may be added)."""


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, str | None]]:
    """(module, imported name or None) for every import of ``name``, relative ones resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[str, str | None]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.extend((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            out.extend((base, alias.name) for alias in node.names)
    return out


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for module, imported in _imports(name, path):
            target = f"{module}.{imported}" if imported and f"{module}.{imported}" in MODULES else module
            if target in MODULES and target != name:
                graph[name].add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.add(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_walker_sees_function_level_imports():
    graph = _graph()
    assert "sentiment.store.bulk" in graph["sentiment.collect.dump"]  # imported inside collect_dump
    assert "sentiment.collect" in graph["sentiment.collect.config"]


def test_no_import_circle():
    circles = _circles(_graph())
    unexpected = [sorted(c) for c in circles if not any(c <= known for known in KNOWN_CIRCLES)]
    assert unexpected == []


def test_no_private_name_imported_from_another_module():
    private = set()
    for name, path in MODULES.items():
        for module, imported in _imports(name, path):
            if module.startswith("sentiment") and imported and imported.startswith("_") \
                    and not imported.startswith("__") and f"{module}.{imported}" not in MODULES:
                private.add((name, module, imported))
    assert sorted(private - KNOWN_PRIVATE) == []
