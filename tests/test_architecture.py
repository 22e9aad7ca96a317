"""The architecture checks (tools/check_architecture.py): planted problems are caught, and
evalkit keeps its architecture (ALLOWED, the list of known offenders, is empty on main)."""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_architecture", REPO / "tools" / "check_architecture.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


arch = _load_tool()
_names = (f"plantedpkg{i}" for i in itertools.count())


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> tuple[Path, str]:
    """A throw-away importable package ``plantedpkgN`` with the given files."""
    name = next(_names)
    root = tmp_path / "repo"
    for rel, text in {"__init__.py": "", **files}.items():
        path = root / name / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).replace("PKG", name), encoding="utf-8")
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return root, name


def test_a_planted_cycle_is_printed_as_a_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, name = _package(tmp_path, monkeypatch, {
        "a.py": "from PKG import b\n",
        "b.py": "def f():\n    from PKG import c\n",  # an import inside a function counts
        "c.py": "import PKG.a\n",
        "d.py": "import PKG.a\n",  # imports into the circle, not part of it
    })
    problems = arch.check_cycles(name)
    assert [p.message for p in problems] == [f"{name}.a -> {name}.b -> {name}.c -> {name}.a"]
    assert problems[0].modules == (f"{name}.a", f"{name}.b", f"{name}.c")


def test_an_import_under_type_checking_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, name = _package(tmp_path, monkeypatch, {
        "a.py": "from PKG.b import B\n",
        "b.py": """\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from PKG.a import A
            class B: ...
        """,
    })
    assert [p.message for p in arch.check_cycles(name)] == [f"{name}.a -> {name}.b -> {name}.a"]


def test_no_cycle_no_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _, name = _package(tmp_path, monkeypatch, {"a.py": "from PKG import b\n", "b.py": "import json\n"})
    assert arch.check_cycles(name) == []


def test_find_cycles_gives_one_closed_chain_per_circle() -> None:
    graph = {"a": {"b"}, "b": {"a", "c"}, "c": {"d"}, "d": {"c"}, "e": {"a"}}
    assert arch.find_cycles(graph) == [["a", "b", "a"], ["c", "d", "c"]]


def test_a_big_module_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "big.py").write_text("x = 1\n" * 601, encoding="utf-8")
    (pkg / "fine.py").write_text("x = 1\n" * 600, encoding="utf-8")
    problems = arch.check_sizes(pkg, tmp_path)
    assert [(p.where, p.message) for p in problems] == [("pkg/big.py", "601 lines (at most 600)")]


def test_a_guarded_import_of_own_code_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "evalkit"
    pkg.mkdir()
    (pkg / "guarded.py").write_text(textwrap.dedent("""\
        try:
            import yaml  # a third-party optional import is fine
        except ImportError:
            yaml = None

        def f():
            try:
                from evalkit.audit import audit_site
            except ModuleNotFoundError:
                return None
            try:
                from . import store
            except (ValueError, ImportError):
                return None
    """), encoding="utf-8")
    (pkg / "plain.py").write_text("from evalkit import store\n", encoding="utf-8")
    problems = arch.check_guarded_imports(pkg, tmp_path)
    assert [p.where for p in problems] == ["evalkit/guarded.py", "evalkit/guarded.py"]
    assert "line 8: import of evalkit.audit" in problems[0].message
    assert "line 12: import of ." in problems[1].message


def test_a_norwegian_constant_in_a_page_module_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "evalkit"
    (pkg / "charts").mkdir(parents=True)
    (pkg / "charts" / "bars.py").write_text(textwrap.dedent('''\
        """Søyler: a docstring may say anything."""
        TITLE = "Oversikt"
        LABEL = f"Måned {1}"

        def f():
            """Også her."""
            return "ærlig"
    '''), encoding="utf-8")
    (pkg / "report.py").write_text('X: str = "ok"\n"""Attribute docstring: Tiltaksområde."""\n', encoding="utf-8")
    (pkg / "metrics.py").write_text('NAME = "Bærum"\n', encoding="utf-8")  # not a page module
    problems = arch.check_page_constants(pkg, tmp_path)
    assert [p.where for p in problems] == ["evalkit/charts/bars.py"]
    assert "2 line(s)" in problems[0].message and "lines 3, 7" in problems[0].message


def test_reader_facing_words_in_templates_are_found(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "good.html.j2").write_text(textwrap.dedent("""\
        {#- A comment may say anything. -#}
        <!DOCTYPE html>
        <html lang="{{ lang }}">
        <title>{{ title | e }}</title>
        <style>body { font-family: sans-serif; }</style>
        <script>var x = "not text";</script>
        {%- if show %}<p class="ek-note">{{ text("note", lang) }}</p>{% endif %}
        <img src="a.png" alt="{{ alt }}"> &nbsp; &ndash; 2026 –
    """), encoding="utf-8")
    (templates / "bad.html.j2").write_text(textwrap.dedent("""\
        <p>{{ n }} svar</p>
        <img src="a.png" alt="Figur">
    """), encoding="utf-8")
    (templates / "boot.js").write_text('var label = "Laster";\n', encoding="utf-8")
    problems = arch.check_templates(templates, tmp_path)
    assert [(p.where, p.message.split(":")[0]) for p in problems] == [
        ("templates/bad.html.j2", "line 1"), ("templates/bad.html.j2", "line 2"),
    ]


def test_main_fails_on_a_planted_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    root, name = _package(tmp_path, monkeypatch, {"a.py": "import PKG.b\n", "b.py": "import PKG.a\n"})
    assert arch.main(["--root", str(root), "--package", name]) == 1
    assert f"cycle: {name}.a: {name}.a -> {name}.b -> {name}.a" in capsys.readouterr().out


def test_evalkit_keeps_its_architecture() -> None:
    """No circle, no module over 600 lines, no guarded import, no page text in code —
    and no known offender left on main (issue 12 emptied ALLOWED)."""
    assert not arch.ALLOWED
    problems = arch.run_checks(REPO, "evalkit")
    assert [str(p) for p in problems] == []
