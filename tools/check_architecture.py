"""Architecture checks over ``evalkit/`` (run by ``make lint`` and by tests/test_architecture.py).

Four checks, each a function that returns :class:`Problem` records:

cycles
    No import circle between evalkit's modules. The graph is grimp's: imports inside
    functions count, and so do imports under ``if TYPE_CHECKING:`` (grimp keeps them unless
    told otherwise; tests/test_architecture.py plants one to make sure). Each circle is
    printed as a chain ``a -> b -> c -> a``.
size
    No module over :data:`MAX_LINES` lines.
guarded-import
    No ``try: import evalkit... except ImportError`` (or ``ModuleNotFoundError``): evalkit's
    own parts are never optional.
page-text
    No string constant with æ, ø or å (docstrings aside) in the modules that build pages
    (:data:`PAGE_MODULES`): reader-facing text lives in the text store (``evalkit/locale``).
    And no reader-facing words in ``evalkit/templates``: text between HTML tags, or in an
    attribute a reader meets (``alt``, ``title``, ``aria-label``, ``placeholder``), once
    Jinja comments, expressions and statements and the contents of ``<script>`` and
    ``<style>`` are taken out. Scripts, style sheets and JSON files are code, not text.

Usage: ``python tools/check_architecture.py [--root DIR] [--package evalkit]``; exit 1 when
a check finds something (known offenders in :data:`ALLOWED` are listed but do not fail).
"""

from __future__ import annotations

import argparse
import ast
import itertools
import re
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
PACKAGE: Final = "evalkit"
MAX_LINES: Final = 600
PAGE_MODULES: Final = ("charts", "report", "render", "batch", "figure", "theme")
"""Top-level modules or packages of evalkit that build pages (checked for Norwegian text)."""
NORWEGIAN: Final = re.compile("[æøåÆØÅ]")
READER_ATTRIBUTES: Final = ("alt", "title", "aria-label", "placeholder")
TEMPLATE_SUFFIXES: Final = (".j2", ".jinja", ".jinja2", ".html", ".htm", ".xml", ".txt", ".md")

# Known offenders, listed but not failing, while a change that fixes them is in flight on
# a branch. Empty on main since issue 12 landed (a test keeps it so). Each entry is
# (check, where): a module for "cycle" (any circle through it), a file path
# relative to the repository for the others.
ALLOWED: Final[frozenset[tuple[str, str]]] = frozenset()


@dataclass(frozen=True)
class Problem:
    """One finding: which check, where (a module or a file) and what."""

    check: str
    where: str
    message: str
    modules: tuple[str, ...] = ()
    """For a circle: every module in it."""

    def allowed(self, allowed: Iterable[tuple[str, str]] = ALLOWED) -> bool:
        keys = set(allowed)
        if self.check == "cycle":
            return any(("cycle", m) in keys for m in self.modules)
        return (self.check, self.where) in keys

    def __str__(self) -> str:
        return f"{self.check}: {self.where}: {self.message}"


# --------------------------------------------------------------------------- cycles


def import_graph(package: str) -> dict[str, set[str]]:
    """Module -> the package's modules it imports directly (grimp; lazy and TYPE_CHECKING count)."""
    import grimp

    graph = grimp.build_graph(package, cache_dir=None)
    return {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively; components of more than one module, sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    out.append(sorted(component))
    return sorted(out)


def _shortest_cycle(graph: dict[str, set[str]], start: str, within: set[str]) -> list[str]:
    """The shortest chain start -> ... -> start inside one component (breadth first)."""
    previous: dict[str, str] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for child in sorted(graph.get(node, ())):
            if child not in within:
                continue
            if child == start:
                chain = [node]
                while chain[-1] != start:
                    chain.append(previous[chain[-1]])
                return [*reversed(chain), start]
            if child not in seen:
                seen.add(child)
                previous[child] = node
                queue.append(child)
    return [start, start]  # pragma: no cover - a component always has a cycle


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One chain per import circle (strongly connected component), each closed (a ... a)."""
    return [_shortest_cycle(graph, c[0], set(c)) for c in _strongly_connected(graph)]


def check_cycles(package: str = PACKAGE) -> list[Problem]:
    graph = import_graph(package)
    problems = []
    for component in _strongly_connected(graph):
        chain = _shortest_cycle(graph, component[0], set(component))
        message = " -> ".join(chain)
        if len(component) > len(chain) - 1:
            message += f" (the circle's {len(component)} modules: {', '.join(component)})"
        problems.append(Problem("cycle", chain[0], message, tuple(component)))
    return problems


# --------------------------------------------------------------------------- files


def python_files(package_dir: Path) -> list[Path]:
    return sorted(p for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts)


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def check_sizes(package_dir: Path, root: Path, max_lines: int = MAX_LINES) -> list[Problem]:
    problems = []
    for path in python_files(package_dir):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > max_lines:
            problems.append(Problem("size", _rel(path, root), f"{lines} lines (at most {max_lines})"))
    return problems


_IMPORT_ERRORS: Final = frozenset({"ImportError", "ModuleNotFoundError"})


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    kind = handler.type
    names = kind.elts if isinstance(kind, ast.Tuple) else [kind] if kind is not None else []
    return any(
        (isinstance(n, ast.Name) and n.id in _IMPORT_ERRORS)
        or (isinstance(n, ast.Attribute) and n.attr in _IMPORT_ERRORS)
        for n in names
    )


def _own_import(node: ast.AST, package: str) -> str | None:
    """The module an import statement takes from ``package`` (or a relative import)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == package or alias.name.startswith(package + "."):
                return alias.name
    if isinstance(node, ast.ImportFrom):
        if node.level:
            return "." * node.level + (node.module or "")
        if node.module and (node.module == package or node.module.startswith(package + ".")):
            return node.module
    return None


def check_guarded_imports(package_dir: Path, root: Path, package: str = PACKAGE) -> list[Problem]:
    problems = []
    for path in python_files(package_dir):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Try) or not any(_catches_import_error(h) for h in node.handlers):
                continue
            for statement in node.body:
                for inner in ast.walk(statement):
                    imported = _own_import(inner, package)
                    if imported is not None and isinstance(inner, ast.Import | ast.ImportFrom):
                        problems.append(Problem(
                            "guarded-import", _rel(path, root),
                            f"line {inner.lineno}: import of {imported} inside try/except ImportError "
                            "(evalkit's own parts are never optional)",
                        ))
    return problems


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
        # An attribute docstring: a bare string right after an assignment.
        statements = getattr(node, "body", None)
        if isinstance(statements, list):
            for before, after in itertools.pairwise(statements):
                if (isinstance(before, ast.Assign | ast.AnnAssign) and isinstance(after, ast.Expr)
                        and isinstance(after.value, ast.Constant)):
                    ids.add(id(after.value))
    return ids


def page_module_files(package_dir: Path, modules: Sequence[str] = PAGE_MODULES) -> list[Path]:
    files: list[Path] = []
    for name in modules:
        if (package_dir / name).is_dir():
            files.extend(python_files(package_dir / name))
        if (package_dir / f"{name}.py").is_file():
            files.append(package_dir / f"{name}.py")
    return sorted(files)


def check_page_constants(package_dir: Path, root: Path, modules: Sequence[str] = PAGE_MODULES) -> list[Problem]:
    problems = []
    for path in page_module_files(package_dir, modules):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        docstrings = _docstring_nodes(tree)
        lines = sorted({
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings and NORWEGIAN.search(node.value)
        })
        if lines:
            shown = ", ".join(map(str, lines[:10])) + (", ..." if len(lines) > 10 else "")
            problems.append(Problem(
                "page-text", _rel(path, root),
                f"{len(lines)} line(s) with a string constant in æ/ø/å (lines {shown}); "
                "reader-facing text belongs in evalkit/locale",
            ))
    return problems


_JINJA: Final = re.compile(r"\{#.*?#\}|\{\{.*?\}\}|\{%.*?%\}", re.S)
_CODE_ELEMENTS: Final = re.compile(r"<(script|style)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_TAG: Final = re.compile(r"<[^>]*>", re.S)
_ATTRIBUTE: Final = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_WORD: Final = re.compile(r"[^\W\d_]{2,}")
_ENTITY: Final = re.compile(r"&#?\w+;")


def template_words(text: str) -> list[tuple[int, str]]:
    """(line, text) of each piece of reader-facing text in a template."""
    def blank(match: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", match.group(0))

    text = _JINJA.sub(blank, text)
    text = _CODE_ELEMENTS.sub(blank, text)
    found: list[tuple[int, str]] = []
    for tag in _TAG.finditer(text):
        for attr in _ATTRIBUTE.finditer(tag.group(0)):
            value = attr.group(2) if attr.group(2) is not None else attr.group(3)
            if attr.group(1).lower() in READER_ATTRIBUTES and _WORD.search(_ENTITY.sub(" ", value)):
                found.append((text.count("\n", 0, tag.start()) + 1, f'{attr.group(1)}="{value.strip()}"'))
    outside = _TAG.sub(blank, text)
    for number, line in enumerate(outside.splitlines(), start=1):
        if _WORD.search(_ENTITY.sub(" ", line)):
            found.append((number, line.strip()))
    return sorted(found)


def check_templates(templates_dir: Path, root: Path) -> list[Problem]:
    problems: list[Problem] = []
    if not templates_dir.is_dir():
        return problems
    for path in sorted(templates_dir.rglob("*")):
        if not path.is_file() or not path.name.endswith(TEMPLATE_SUFFIXES):
            continue
        for line, words in template_words(path.read_text(encoding="utf-8")):
            problems.append(Problem(
                "page-text", _rel(path, root),
                f"line {line}: reader-facing words in a template ({words!r}); take them from the text store",
            ))
    return problems


# --------------------------------------------------------------------------- all


def run_checks(root: Path = ROOT, package: str = PACKAGE) -> list[Problem]:
    """Every check over ``root/package`` (the package must be importable for grimp)."""
    package_dir = root / package
    return [
        *check_cycles(package),
        *check_sizes(package_dir, root),
        *check_guarded_imports(package_dir, root, package),
        *check_page_constants(package_dir, root),
        *check_templates(package_dir / "templates", root),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this one)")
    parser.add_argument("--package", default=PACKAGE)
    parser.add_argument("--strict", action="store_true", help="known offenders fail too")
    args = parser.parse_args(argv)
    root = args.root.resolve()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    problems = run_checks(root, args.package)
    allowed = frozenset() if args.strict else ALLOWED
    failing = [p for p in problems if not p.allowed(allowed)]
    known = [p for p in problems if p.allowed(allowed)]
    for problem in known:
        print(f"known (allowed until issue 12 lands): {problem}")
    for problem in failing:
        print(problem)
    stale = sorted(k for k in allowed if not any(p.allowed({k}) for p in problems))
    for check, where in stale:
        print(f"note: allowed {check} {where} no longer happens; remove it from ALLOWED")
    print(f"check_architecture: {len(failing)} problem(s), {len(known)} known")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
