"""Every repository path and ``tomlab.`` module the README and docs/ name exists, and every file or module the
README's repository map names is in the tree.

A path is a backticked token whose first part is a top-level entry of the repository (``tomlab/eval/runner.py``,
``data/tomi/``); a placeholder (``<out>/chain.json``, ``DIR/REPORT.md``) is not one. In the map, a bare name
(``paths.py``, ``text``, ``report/``) is looked up in the folders its row names first (``tomlab/grading/``), then
anywhere in the repository. Outputs that a command makes and the repository does not hold are listed in
RUNTIME_OUTPUTS; paths under the git-ignored folders (IGNORED_TOP: the model cache, run folders) are not checked, so
the test reads the same on a clean clone as on a machine that has run everything.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: Paths the documents name that a command writes (git-ignored or made on first use), never committed.
RUNTIME_OUTPUTS = {"results/answers/gemma-3-270m/", "results/grading/graded/", "results/grading/human_labels.json"}
#: Git-ignored top-level folders that setup and runs create (.gitignore): what a document names under them exists on
#: some machines only, so it is not a repository path.
IGNORED_TOP = {".venv", ".cache", "runs", "outputs", "wandb"}
TOKEN = re.compile(r"`([^`\s]+)`")
BARE = re.compile(r"[a-z0-9_-]+(\.[a-z]+)?/?")


def _tokens(line: str) -> list[str]:
    return [t.rstrip(".,:;") for t in TOKEN.findall(line)]


def _is_repo_path(token: str) -> bool:
    first = token.split("/")[0]
    return ("/" in token and first not in ("", ".", "..", *IGNORED_TOP) and (ROOT / first).exists()
            and not re.search(r"[<>{}*$]", token))


def _exists(token: str) -> bool:
    """The path exists; a test id (``tests/test_x.py::test_y``) names a test its file defines."""
    path, _, test = token.partition("::")
    return (ROOT / path).exists() and (not test or f"def {test}(" in (ROOT / path).read_text(encoding="utf-8"))


def test_every_path_the_documents_name_exists():
    missing = [f"{doc.relative_to(ROOT)}:{n}: {t}" for doc in DOCS
               for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1)
               for t in _tokens(line) if _is_repo_path(t) and t not in RUNTIME_OUTPUTS and not _exists(t)]
    assert not missing, "named but not in the repository:\n" + "\n".join(missing)


def _map_rows() -> list[tuple[str, str]]:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("\n## Repository map\n", 1)[1]
    rows = [line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("| `")]
    return [tuple(line.strip("|").split(" | ", 1)) for line in rows]


def _everywhere() -> set[str]:
    return {p.name for p in ROOT.rglob("*")
            if not any(part.startswith(".") or part == "runs" for part in p.relative_to(ROOT).parts)}


def test_every_name_in_the_repository_map_exists():
    assert len(_map_rows()) > 10
    names = _everywhere()
    missing = []
    for where, what in _map_rows():
        folders = [ROOT / (t if t.endswith("/") else str(Path(t).parent)) for t in _tokens(where) if _is_repo_path(t)]
        for token in _tokens(where) + _tokens(what):
            if _is_repo_path(token) or not BARE.fullmatch(token):
                continue
            name = token.rstrip("/")
            here = [f / c for f in folders for c in (name, name + ".py")]
            if not any(p.exists() for p in here) and name not in names and name + ".py" not in names:
                missing.append(f"{where.strip()}: {token}")
    assert not missing, "the repository map names what the tree does not hold:\n" + "\n".join(missing)


def _top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names


def _resolves(dotted: str) -> bool:
    """``tomlab.x.y`` is a module or package, or a name one defines at its top level (parsed, nothing imported)."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        module = ROOT.joinpath(*parts[:k])
        source = module.with_suffix(".py") if module.with_suffix(".py").is_file() else module / "__init__.py"
        if source.is_file():
            return k == len(parts) or (k == len(parts) - 1 and parts[-1] in _top_level_names(source))
    return False


def test_every_module_the_documents_name_exists():
    missing = [f"{doc.relative_to(ROOT)}:{n}: {m}" for doc in DOCS
               for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1)
               for m in re.findall(r"`(tomlab(?:\.[A-Za-z_]\w*)+)", line) if not _resolves(m)]
    assert not missing, "no such module or name:\n" + "\n".join(missing)
