"""Small pieces of page shared by several sections."""

from __future__ import annotations

from evalkit.figure import Mark, esc
from evalkit.report.context import ReportContext
from evalkit.report.section import Section


def heading(ctx: ReportContext, section_id: str, **values: object) -> str:
    return f'<h2 id="ek-{section_id}">{esc(ctx.t("section_" + section_id, **values))}</h2>'


def too_few_notice(ctx: ReportContext) -> Section:
    parent = ctx.parent_name
    return Section().add(
        f'<div class="ek-notice" role="note"><strong>{esc(ctx.t("too_few_title"))}</strong>'
        f'<p>{esc(ctx.t("too_few_body", unit=ctx.unit_name, min_unit_n=ctx.params.min_unit_n, parent=parent))}</p></div>'
    )


def finding(sentence: str, mark: Mark) -> str:
    return f'<p class="ek-finding" {mark.attrs()}>{esc(sentence)}</p>'
