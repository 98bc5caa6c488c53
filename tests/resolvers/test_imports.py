"""The resolvers' modules import one another without a cycle.

Every import of a `resolvers` module counts, wherever it is written (module level, inside a
function, under `TYPE_CHECKING`), except the edges below: there two GraphQL types refer to each
other, and strawberry's lazy types (`Annotated["Structure", strawberry.lazy(...)]`) are the tool
that lets one of them name the other without importing it when it loads."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "resolvers"

LAZY = {
    # `Service.structure` -> `Structure`, whose `services` field returns `ServiceConnection`
    ("resolvers.services.types", "resolvers.structures.types"),
}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module(p): p for p in PACKAGE.rglob("*.py")}


def import_graph() -> dict[str, set[str]]:
    """Each resolvers module -> the resolvers modules it imports."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from resolvers import federation` imports the module `resolvers.federation`
                targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
            for target in targets:
                if target in modules and target != name and target != "resolvers":
                    graph[name].add(target)
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of `graph`, as the list of its modules, or None."""
    done: set[str] = set()
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for target in sorted(graph[node]):
            found = visit(target)
            if found:
                return found
        path.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        found = visit(start)
        if found:
            return found
    return None


def test_no_import_cycle_among_resolvers() -> None:
    graph = import_graph()
    for source, target in LAZY:
        graph[source].discard(target)
    assert cycle(graph) is None


def test_every_lazy_edge_exists() -> None:
    graph = import_graph()
    assert all(target in graph[source] for source, target in LAZY), "an allowed edge is gone"


def test_a_cycle_is_found() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None
