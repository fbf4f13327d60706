"""The import graph of agent/: no new cycles, and the product does not import the eval suite.

Built with `ast` over agent/**/*.py, counting `import agent.x`, `from agent.x import y`, relative imports and
imports inside functions (a deferred import still ties two modules together)."""

from __future__ import annotations

import ast
from pathlib import Path

from agent.settings import PROJECT_ROOT

AGENT = PROJECT_ROOT / "agent"


def _module(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = AGENT) -> dict[str, set[str]]:
    """{module: modules it imports}, over every module under `root`, external names included as written."""
    files = {_module(p): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets.add(base)
                # `from agent.pipeline.nodes import verdict` imports the submodule agent.pipeline.nodes.verdict
                targets |= {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in files}
        resolved = set()
        for t in targets:
            while t.startswith("agent.") and t not in files:  # agent.x.func -> agent.x
                t = t.rpartition(".")[0]
            resolved.add(t)
        graph[name] = resolved - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components with more than one module (Tarjan), each a set of module names."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: set[frozenset[str]] = set()

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.add(frozenset(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


# Cycles in agent/: none since the layout refactor (issue 14). The test fails when one appears.
KNOWN_CYCLES: set[frozenset[str]] = set()

# agent/ modules that import evals/: none. `crosscheck eval` lives in evals/cli.py and registers itself through
# the `crosscheck.commands` entry point group (pyproject.toml).
KNOWN_EVALS_IMPORTS: dict[str, set[str]] = {}


def test_no_new_import_cycles_in_agent() -> None:
    found = cycles(import_graph())
    new = {c for c in found if not any(c <= k for k in KNOWN_CYCLES)}
    assert not new, "new import cycles in agent/: " + "; ".join(" <-> ".join(sorted(c)) for c in new)


def test_agent_does_not_import_evals() -> None:
    graph = import_graph()
    found = {m: {t for t in ts if t == "evals" or t.startswith("evals.")} for m, ts in graph.items()}
    assert {m: ts for m, ts in found.items() if ts} == KNOWN_EVALS_IMPORTS


def test_the_graph_sees_relative_and_deferred_imports(tmp_path: Path) -> None:
    pkg = tmp_path / "agent"
    (pkg / "sub").mkdir(parents=True)
    for f in ("__init__.py", "sub/__init__.py"):
        (pkg / f).write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..a import g\n    import agent.c\n")
    (pkg / "c.py").write_text("from agent.sub.b import f\n")
    import tests.test_imports as me

    old = me.PROJECT_ROOT
    me.PROJECT_ROOT = tmp_path
    try:
        graph = import_graph(pkg)
    finally:
        me.PROJECT_ROOT = old
    assert graph["agent.a"] >= {"agent.sub.b"} and graph["agent.sub.b"] >= {"agent.a", "agent.c"}
    assert cycles(graph) == {frozenset({"agent.a", "agent.sub.b", "agent.c"})}


# The layers, top to bottom; a module may import its own layer and the ones below, never one above.
LAYERS = {"agent.cli": 4, "agent.app": 3, "agent.pipeline": 2, "agent.data": 1, "agent.stance": 1}


def layer(module: str) -> int:
    """0 for the foundation every layer uses (agent.schemas, agent.settings, agent.text)."""
    return next((rank for pkg, rank in LAYERS.items() if module == pkg or module.startswith(pkg + ".")), 0)


def upward_imports(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(m, t) for m, ts in graph.items() for t in ts if t in graph and layer(t) > layer(m)}


def test_imports_point_down_the_layers() -> None:
    """cli -> app -> pipeline -> data/stance -> foundation: nothing imports a layer above its own."""
    assert upward_imports(import_graph()) == set()


def test_an_upward_import_is_caught() -> None:
    graph = {"agent.data.store": {"agent.pipeline.graph"}, "agent.pipeline.graph": set(), "agent.cli": {"agent.app"}}
    graph["agent.app"] = set()
    assert upward_imports(graph) == {("agent.data.store", "agent.pipeline.graph")}
