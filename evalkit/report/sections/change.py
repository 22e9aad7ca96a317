"""Change over time: the trend of the indices over every wave up to the report's
(:mod:`evalkit.report.sections.trend`), then the change since the comparison wave, in
words and as a table (difference, interval, assessment; figure ``<dim>.change.index_mean``).

The change has no chart of its own: the trend draws both waves with their intervals, and
a second chart (its spec and its drawing) would take the largest sample page (Øst, in
nynorsk) over its 2 MB budget."""

from __future__ import annotations

from evalkit.figure import Cell, Reason, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.format import signed
from evalkit.report.section import Section
from evalkit.report.sections.trend import index_trend, waves_of_trend


def change(ctx: ReportContext) -> Section:
    section = Section().add(blocks.heading(ctx, "change"))
    if ctx.too_few:
        return section.add(blocks.too_few_notice(ctx))
    if len(waves_of_trend(ctx)) < 2:
        section.add(blocks.note(ctx.t("trend_one_wave")))
    elif (trend := index_trend(ctx)) is not None:
        section.add(trend)
    compare = ctx.params.compare_wave
    if compare is None:
        return section.add(blocks.note(ctx.t("change_no_compare")))
    rows = ctx.rows("changes", role_group="all", measure="index_mean")
    table_rows: list[list[Cell]] = []
    sentences: list[str] = []
    reasons: list[Reason | None] = []
    for r in rows.sort("dimension").iter_rows(named=True):
        own = ctx.rows("indices", role_group="all", dimension=r["dimension"])
        reason = ctx.derived_reason(r, own.row(0, named=True) if own.height else None)
        reasons.append(reason)
        shown = reason is None and r["estimate"] is not None
        label = ctx.dimension_label(str(r["dimension"]))
        mark = ctx.mark(f"{r['dimension']}.change.index_mean", "survey", r["n"], reason)
        table_rows.append([
            Cell(label, header=True),
            Cell(signed(ctx.fmt.num(r["estimate"])) if shown else ctx.hidden_or(reason, "–"), mark, numeric=True),
            Cell(ctx.fmt.span(r["ci_low"], r["ci_high"], percent=False) if shown else "–", mark, numeric=True),
            Cell(ctx.t("clear_change" if r["flag"] else "no_clear_change") if shown else "–", mark),
        ])
        if shown:
            key = "change_sentence_clear" if r["flag"] else "change_sentence_unclear"
            sentences.append(ctx.t(key, dimension=label, points=signed(ctx.fmt.num(r["estimate"])),
                                    interval=ctx.fmt.interval(r["ci_low"], r["ci_high"], percent=False)))
    title = ctx.t("change_title", compare=compare, wave=ctx.wave)
    section.add(blocks.paragraph(" ".join(sentences) or ctx.hidden_all_text(reasons)))
    table = Table(title, [ctx.t("dimension"), ctx.t("difference"), ctx.t("interval_95"), ctx.t("assessment")], table_rows)
    return section.add(table.html())
