"""The rule base: what a rule is (:class:`Rule`, its hooks), what it sees of a page
(:class:`Page`) and the :class:`Registry` that keeps the rules in order. The rules are in
:mod:`evalkit.audit.rules` (and the allowlist's in :mod:`evalkit.audit.allowrules`).

A rule checks what the page walker (:mod:`evalkit.audit.page`) shows it, through the
hooks below; the walker calls a hook only for the rules that define it. A rule reports
through the :class:`Page` it is given; positions become CSS paths once the page is read.

Hooks of one page (``page`` first):

* ``scan(doc)`` — the whole text; returns (position, message) pairs, reported on the
  element that holds each position;
* ``element(tag, attr_text, attrs, pos)`` — every start tag (with its attribute text as
  written) but those of a static drawing, which ``drawing`` shows as one block;
* ``start_tag(tag, attrs, pos)`` — a start tag with an attribute that may load
  something (a URL, a style, an event handler);
* ``comment(text, pos)`` — a comment, a declaration or a processing instruction;
* ``raw_element(tag, attrs, content, pos)`` — a ``script``, ``style``, ``title`` … with
  its text (the chart library's is :data:`~evalkit.audit.spec.SENTINEL`);
* ``style(css, pos)``, ``drawing(svg, pos)`` — a style element's text; a static SVG
  drawing, checked as one block;
* ``script(kind, content, pos)`` — a script's text (``kind``: ``spec``, ``json``, ``js``
  or ``other``; the chart library is not shown);
* ``code_cell(frame)`` — the outermost element with a class of a notebook code cell;
* ``figure(frame, mark)`` — a figure element's markup (a chart's too);
* ``figure_text(frame, text)``, ``cell_text(frame, text)``, ``card_note(card, notes)`` —
  the text of a suppressed figure, of a table cell without markup, the notes of a
  suppressed key-figure card;
* ``chart_spec(content, chart, where)``, ``chart_rows(rows)`` — a chart spec; its parsed
  inline data (survey and team charts);
* ``page_end()`` — the page has been read.

Hooks of a set of pages: ``across(results, settings, facts)`` returns cross-page
findings; ``attack(results, settings, facts)`` returns those of the integer-programming
attack, which the engine makes findings only when ``settings.strict_attack`` and
otherwise reports as warnings (:func:`evalkit.audit.engine.audit_pages`). Hook of a
published folder: ``check_folder(folder)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

from evalkit.audit.findings import Deferred, Finding, PageResult
from evalkit.audit.markup import Frame, Mark
from evalkit.audit.settings import DataFacts, Settings
from evalkit.audit.spec import Ref

__all__ = ["ChartRows", "Page", "Registry", "Rule"]


class Page(Protocol):
    """What a rule sees of the page being read, and how it reports."""

    @property
    def settings(self) -> Settings: ...

    @property
    def doc(self) -> str:
        """The page's text (the chart library cut out)."""
        ...

    def add(self, rule: str, where: Ref, message: str) -> None:
        """Report a finding of ``rule`` at ``where``."""

    def at(self, pos: int, extra: str = "") -> Ref:
        """The element whose start tag begins at ``pos`` (``extra`` is added to its path)."""

    def ref(self, frame: Frame, extra: str = "", pos: int | None = None) -> Ref:
        """Where ``frame`` is (its line, or the line of ``pos``)."""

    def open_chart(self) -> Frame | None:
        """The chart figure (``figure.ek-figure``) the walker is in, if any."""

    @property
    def row_label(self) -> str:
        """The text of the header cells (``th``) of the table row being read."""
        ...


@dataclass(frozen=True)
class ChartRows:
    """A survey or team chart's spec, parsed (``spec``), or why it is not JSON (``error``)."""

    chart: Frame | None
    source: str
    where: Ref
    spec: Any = None
    error: str | None = None


class Rule:
    """A rule: its ``id`` (the finding's rule), a one-line ``description``, and its checks
    (the hooks it defines; see the module docstring)."""

    id: ClassVar[str]
    description: ClassVar[str]

    def scan(self, page: Page, doc: str) -> Iterable[tuple[int, str]]:
        return ()

    def start_tag(self, page: Page, tag: str, attrs: Mapping[str, str], pos: int) -> None:
        pass

    def style(self, page: Page, css: str, pos: int) -> None:
        pass

    def element(self, page: Page, tag: str, attr_text: str, attrs: Mapping[str, str], pos: int) -> None:
        pass

    def comment(self, page: Page, text: str, pos: int) -> None:
        pass

    def raw_element(self, page: Page, tag: str, attrs: Mapping[str, str], content: str, pos: int) -> None:
        pass

    def page_end(self, page: Page) -> None:
        pass

    def drawing(self, page: Page, svg: str, pos: int) -> None:
        pass

    def script(self, page: Page, kind: str, content: str, pos: int) -> None:
        pass

    def code_cell(self, page: Page, frame: Frame) -> None:
        pass

    def figure(self, page: Page, frame: Frame, mark: Mark) -> None:
        pass

    def figure_text(self, page: Page, frame: Frame, text: str) -> None:
        pass

    def cell_text(self, page: Page, frame: Frame, text: str) -> None:
        pass

    def card_note(self, page: Page, card: Frame, notes: Sequence[str]) -> None:
        pass

    def chart_spec(self, page: Page, content: str, chart: Frame | None, where: Ref) -> None:
        pass

    def chart_rows(self, page: Page, rows: ChartRows) -> None:
        pass

    def across(self, results: list[PageResult], settings: Settings, facts: DataFacts | None) -> list[Deferred]:
        return []

    def attack(self, results: list[PageResult], settings: Settings, facts: DataFacts | None) -> list[Deferred]:
        return []

    def check_folder(self, folder: Path) -> list[Finding]:
        return []

    def defines(self, hook: str) -> bool:
        """Does this rule check what ``hook`` shows?"""
        return getattr(type(self), hook) is not getattr(Rule, hook)


class Registry:
    """The rules, in the order they are listed."""

    def __init__(self) -> None:
        self._rules: dict[str, Rule] = {}

    def add(self, rule: Rule) -> None:
        if rule.id in self._rules:
            raise ValueError(f"rule {rule.id!r} is registered twice")
        self._rules[rule.id] = rule

    def __iter__(self) -> Iterator[Rule]:
        return iter(self._rules.values())

    def __getitem__(self, rule_id: str) -> Rule:
        return self._rules[rule_id]

    def using(self, hook: str) -> list[Rule]:
        """The rules that define ``hook``."""
        return [rule for rule in self if rule.defines(hook)]

    def descriptions(self) -> dict[str, str]:
        """Rule id → description."""
        return {rule.id: rule.description for rule in self}
