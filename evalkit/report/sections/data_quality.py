"""Data quality and the page footer."""

from __future__ import annotations

from evalkit import __version__
from evalkit.figure import Cell, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.section import Section


def data_quality(ctx: ReportContext) -> Section:
    section = Section().add(blocks.heading(ctx, "data_quality"))
    dq = ctx.rows("data_quality")
    if dq.height and not ctx.too_few:
        r = dq.row(0, named=True)
        reason = ctx.reason(r)
        asked = (r["n_answered"] or 0) + (r["n_dont_know"] or 0) + (r["n_missing"] or 0)
        dont_know = ctx.fmt.pct((r["n_dont_know"] or 0) / asked) if asked else "–"
        missing = ctx.fmt.pct(r["share_missing"]) if r["share_missing"] is not None else "–"
        cells = [
            [Cell(ctx.t("dq_dont_know"), header=True),
             ctx.value_cell(ctx.hidden_or(reason, dont_know), "data_quality.share_dont_know", r["n"], reason)],
            [Cell(ctx.t("dq_missing"), header=True),
             ctx.value_cell(ctx.hidden_or(reason, missing), "data_quality.share_missing", r["n"], reason)],
            [Cell(ctx.t("dq_rejections"), header=True), rejections_cell(ctx, int(r["n_rejections"] or 0))],
        ]
        section.add(Table(ctx.t("section_data_quality"), [ctx.t("indicator"), ctx.t("value")], cells).html())
    section.add(blocks.note(ctx.t("dq_note")))
    section.add(blocks.footer(ctx.t("footer", version=__version__)))
    return section


def rejections_cell(ctx: ReportContext, rejected: int) -> Cell:
    """Rows rejected on import: rows of people's answers, so a small count is hidden too."""
    small = 0 < rejected < ctx.params.min_cell_n
    text_value = ctx.hidden_text("small", count=True) if small else str(rejected)
    return Cell(text_value, ctx.mark("data_quality.rejections", "survey", rejected, "small" if small else None),
                numeric=True)
