"""The rules of the house that docs/architecture.md states, checked on the code as it is; prints what it measures.

    .venv/bin/python .ci/house.py

Fails (exit 1) when a view commits or rolls back by hand, when matchapp's modules import each other in a circle
(an import inside a function counts), when radon rates a function D or worse (cyclomatic complexity above 20), or
when a module of matchapp/services is over 400 lines. Part of .ci/run, beside ruff.
"""
from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "matchapp"
MOST_COMPLEX = 20  # radon's C ends at 20
MOST_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, modules: set[str]) -> set[str]:
    """The project modules a file imports, anywhere in it: `from a.b import c` names a.b.c when that is a module."""
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[:len(package.split(".")) - node.level + 1], *filter(None, [base])])
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                         for alias in node.names)
    return {name for name in found if name in modules and name != own}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def blocks(path: Path) -> list:
    """Radon's functions, classes and methods of a file, as `radon cc` lists them."""
    found = []
    for block in cc_visit(path.read_text(encoding="utf-8")):
        found.append(block)
        found.extend(getattr(block, "methods", []))
    return found


def main() -> int:
    files = sorted(PACKAGE.rglob("*.py"))
    problems = []

    by_hand = [f"{path.relative_to(ROOT)}:{number}" for path in (PACKAGE / "web").rglob("*.py")
               for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
               if re.search(r"\b(commit|rollback)\(\)", line)]
    print(f"commit()/rollback() in matchapp/web: {len(by_hand)}")
    problems += [f"a view handles the transaction by hand: {place}" for place in by_hand]

    modules = {module_name(path) for path in files}
    graph = {module_name(path): imported(path, modules) for path in files}
    found = circles(graph)
    print(f"import circles among {len(modules)} modules: {len(found)}")
    problems += [f"import circle: {' <-> '.join(group)}" for group in found]

    ranked = [(block.complexity, f"{path.relative_to(ROOT)}:{block.lineno} {block.fullname}")
              for path in files for block in blocks(path)]
    worst = max(ranked)
    print(f"functions: {len(ranked)}, most complex: {worst[1]} ({worst[0]}, radon {cc_rank(worst[0])})")
    problems += [f"radon {cc_rank(complexity)} ({complexity}): {place}" for complexity, place in sorted(ranked)
                 if complexity > MOST_COMPLEX]

    sizes = sorted((len(path.read_text(encoding="utf-8").splitlines()), str(path.relative_to(ROOT)))
                   for path in (PACKAGE / "services").rglob("*.py"))
    print(f"largest module in matchapp/services: {sizes[-1][1]} ({sizes[-1][0]} lines)")
    problems += [f"{name} has {lines} lines (at most {MOST_LINES})" for lines, name in sizes if lines > MOST_LINES]

    for problem in problems:
        print(f"  {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
