"""The page's building blocks: the macros of ``templates/evalkit/macros.html.j2``
(:func:`evalkit.templating.macro`) with the report's arguments. Each returns markup;
every text argument is escaped by the template."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from evalkit.figure import Mark
from evalkit.report.context import ReportContext
from evalkit.templating import macro


@dataclass(frozen=True)
class Card:
    """A key figure: its label, value (a figure, with its markup) and a note."""

    label: str
    value: str
    note: str
    mark: Mark


def heading(ctx: ReportContext, section_id: str, **values: object) -> str:
    """A section's heading (the table of contents links to its id)."""
    return macro("heading")(section_id, ctx.t("section_" + section_id, **values))


def subheading(text: str) -> str:
    return macro("subheading")(text)


def paragraph(text: str) -> str:
    return macro("paragraph")(text)


def paragraphs(texts: Iterable[str]) -> str:
    return macro("paragraphs")(list(texts))


def note(text: str) -> str:
    return macro("note")(text)


def too_few_notice(ctx: ReportContext) -> str:
    """The notice of a unit with too few respondents for results of its own."""
    body = ctx.t("too_few_body", unit=ctx.unit_name, min_unit_n=ctx.params.min_unit_n, parent=ctx.parent_name)
    return macro("notice")(ctx.t("too_few_title"), body)


def finding(sentence: str, mark: Mark) -> str:
    """A finding in one sentence; the sentence is a figure (``mark``)."""
    return macro("finding")(sentence, mark)


def labelled_value(label: str, value: str, mark: Mark | None = None) -> str:
    """'label: value' in running text; with a mark the value is a figure."""
    return macro("labelled_value")(label, value, mark)


def cards(items: Iterable[Card]) -> str:
    return macro("cards")(list(items))


def page_header(kicker: str, title: str, meta: list[str], intro: str, toc_title: str, toc: list[tuple[str, str]]) -> str:
    """The page's header, introduction and table of contents ((section id, label) pairs)."""
    return macro("page_header")(kicker, title, meta, intro, toc_title, toc)


def glossary(title: str, terms: list[tuple[str, str]]) -> str:
    return macro("glossary")(title, terms)


def footer(text: str) -> str:
    return macro("footer")(text)


# Compile the macros when the report is imported: the batch's fork server imports it
# before forking, so every unit's process inherits the compiled template.
macro("note")
