"""The import rules of docs/architecture.md, checked on the source (AST, no
import is executed): no cycles; keeping (evidence/) never imports finding
(crawler/); demo/ stands for the outside world and imports neither; loopback/
is stdlib only; nothing outside a package imports its ``_private`` modules;
the interfaces (the CLI and its terminal output) are called, never imported
by the library.  Function-level imports count: a lazy import is still a
dependency.  ``from pkg import sub`` where ``sub`` is a module is an import of
``pkg.sub``, not of the package's ``__init__``."""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("crawler", "evidence", "demo", "loopback")
INTERFACES = ("crawler.interfaces",)
# (importer prefix, imported prefix): never
FORBIDDEN = (
    ("evidence", "crawler"),
    ("demo", "crawler"),
    ("demo", "evidence"),
    ("loopback", "crawler"),
    ("loopback", "evidence"),
    ("loopback", "demo"),
)


def modules(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def edges(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    """Module -> the project modules it imports, anywhere in its body."""
    known = modules(root, packages)
    graph: dict[str, set[str]] = {name: set() for name in known}
    for name, path in known.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_bytes(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names
                ]
            graph[name].update(t for t in targets if t in known and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(graph: dict[str, set[str]]) -> list[str]:
    found = [f"cycle: {' -> '.join(group)}" for group in cycles(graph)]
    for importer, imported in sorted((a, b) for a, targets in graph.items() for b in targets):
        for a, b in FORBIDDEN:
            if _under(importer, a) and _under(imported, b):
                found.append(f"{importer} imports {imported}: {a}/ never imports {b}/")
        parts = imported.split(".")
        for n, part in enumerate(parts):
            if part.startswith("_") and not part.startswith("__"):
                owner = ".".join(parts[:n])
                if not _under(importer, owner):
                    found.append(f"{importer} imports {imported}, private to {owner}")
                break
        interface = next((i for i in INTERFACES if _under(imported, i)), None)
        if interface and not _under(importer, interface):
            found.append(f"{importer} imports the interface {imported}")
    return found


def test_the_code_keeps_the_import_rules() -> None:
    assert violations(edges(ROOT, PACKAGES)) == []


def test_a_planted_violation_of_each_rule_is_caught(tmp_path: Path) -> None:
    files = {
        "crawler/__init__.py": "",
        "crawler/interfaces/cli.py": "from crawler import a\n",
        "crawler/a.py": "def f():\n    from . import b\n",  # lazy: still counts
        "crawler/b.py": "import crawler.a\nfrom evidence._lock import exclusive\n",
        "crawler/interfaces/show.py": "",
        "evidence/__init__.py": "",
        "evidence/_lock.py": "",
        "evidence/store.py": "from crawler.interfaces.show import x\n",
        "demo/__init__.py": "from demo import server\n",  # a package's own module: allowed
        "demo/server.py": "",
        "loopback/__init__.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found = violations(edges(tmp_path, PACKAGES))
    assert found == [
        "cycle: crawler.a -> crawler.b",
        "crawler.b imports evidence._lock, private to evidence",
        "evidence.store imports crawler.interfaces.show: evidence/ never imports crawler/",
        "evidence.store imports the interface crawler.interfaces.show",
    ]
