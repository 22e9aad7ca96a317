"""No import circle in evalkit (the batch once imported itself through run.py).

Every import counts: at module level, inside functions and under ``if TYPE_CHECKING:``
(grimp reads them all), since a function-level import that closes a circle only hides
it until the function runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

grimp = pytest.importorskip("grimp")


def import_circles(package: str) -> list[list[str]]:
    """One shortest circle per set of modules that import each other, in ``package``."""
    graph = grimp.build_graph(package, include_external_packages=False)
    seen: set[frozenset[str]] = set()
    circles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            chain = graph.find_shortest_chain(importer=imported, imported=module) if imported != module else None
            if chain and frozenset(chain) not in seen:
                seen.add(frozenset(chain))
                circles.append([module, *chain])
    return circles


def test_evalkit_has_no_import_circle() -> None:
    circles = import_circles("evalkit")
    assert not circles, "\n".join(" -> ".join(c) for c in circles)


def test_the_check_finds_a_circle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "circular"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("def f():\n    from circular import b\n", encoding="utf-8")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from circular import a\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert import_circles("circular") == [["circular.a", "circular.b", "circular.a"]]
