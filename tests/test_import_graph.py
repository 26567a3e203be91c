"""No import cycle in tomlab, between modules or between subpackages, counting every import the source holds: at the
top, inside functions, and under ``if TYPE_CHECKING:`` (a cycle for typing is still a cycle for a reader).

Each ``tomlab/**/*.py`` is parsed with ``ast`` (nothing is imported). A subpackage is ``tomlab.<name>`` for a folder;
a top-level module (``tomlab.models``) is a node of its own at that level, as is ``tomlab`` (its ``__init__``).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "tomlab"


def modules() -> dict[str, tuple[Path, bool]]:
    """{dotted name: (file, is a package __init__)}."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_init = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_init else parts)] = (path, is_init)
    return out


def imports(name: str, path: Path, is_init: bool, known: dict) -> set[str]:
    """The project modules ``name`` imports (``from .x import y`` counts ``x.y`` where that is a module)."""
    here = name.split(".") if is_init else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(here[: len(here) - node.level + 1] + [node.module or ""]).strip(".") if node.level \
                else node.module or ""
            found |= {f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names}
    return {m for m in found if m in known and m != name}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan), each sorted."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def module_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, is_init, known) for name, (path, is_init) in known.items()}


def subpackage(name: str) -> str:
    return ".".join(name.split(".")[:2])


def test_the_parser_sees_every_kind_of_import(tmp_path):
    """A TYPE_CHECKING import, one inside a function, relative and absolute ones all count."""
    source = tmp_path / "text.py"
    source.write_text("from typing import TYPE_CHECKING\nimport tomlab.io\nif TYPE_CHECKING:\n"
                      "    from .grader import CotItem\n\ndef f():\n    from ..schema import END\n")
    known = {n: None for n in ("tomlab.grading.text", "tomlab.grading.grader", "tomlab.schema", "tomlab.io")}
    assert imports("tomlab.grading.text", source, False, known) == {"tomlab.grading.grader", "tomlab.schema",
                                                                     "tomlab.io"}
    graph = module_graph()
    assert {"tomlab.eval.task", "tomlab.tasks.tom16"} <= graph["tomlab.eval.registry"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_cycle_between_modules():
    assert cycles(module_graph()) == []


def test_no_cycle_between_subpackages():
    graph: dict[str, set[str]] = {}
    for name, targets in module_graph().items():
        graph.setdefault(subpackage(name), set()).update(
            subpackage(t) for t in targets if subpackage(t) != subpackage(name))
    assert cycles(graph) == []


#: The bottom of the package: what each may import of the project (modules that do not exist yet are skipped).
FOUNDATIONS = {"tomlab.errors": set(), "tomlab.schema": set(), "tomlab.stats": set(), "tomlab.paths": set(),
               "tomlab.io": {"tomlab.errors"}, "tomlab.scores": {"tomlab.stats"}}


def test_the_foundations_import_nothing_above_them():
    graph = module_graph()
    for name, allowed in FOUNDATIONS.items():
        if name in graph:
            assert graph[name] <= allowed, name
