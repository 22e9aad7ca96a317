"""The unit compared with its parent (network, or all networks)."""

from __future__ import annotations

from evalkit.figure import Cell, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.format import signed
from evalkit.report.section import Section

_EMPHASIS = {"above": "ek-above", "below": "ek-below"}
"""The CSS class of a result that stands out (above or below the parent)."""


def benchmark(ctx: ReportContext) -> Section:
    section = Section().add(blocks.heading(ctx, "benchmark", parent=ctx.parent_name))
    if ctx.too_few:
        return section.add(blocks.too_few_notice(ctx))
    section.add(blocks.paragraph(ctx.t("benchmark_intro", parent=ctx.parent_name)))
    rows = ctx.rows("benchmarks", role_group="all", measure="index_mean")
    table_rows = []
    for r in rows.sort("dimension").iter_rows(named=True):
        own = ctx.rows("indices", role_group="all", dimension=r["dimension"])
        reason = ctx.derived_reason(r, own.row(0, named=True) if own.height else None)
        shown = reason is None and r["estimate"] is not None
        mark = ctx.mark(f"{r['dimension']}.benchmark.index_mean", "survey", r["n"], reason)
        result = str(r["result"]) if shown and r["result"] else None
        adjusted = str(r["result_adjusted"]) if shown and r["result_adjusted"] else None
        table_rows.append([
            Cell(ctx.dimension_label(str(r["dimension"])), header=True),
            Cell(signed(ctx.fmt.num(r["estimate"])) if shown else ctx.hidden_or(reason, "–"), mark, numeric=True),
            Cell(ctx.fmt.span(r["ci_low"], r["ci_high"], percent=False) if shown else "–", mark, numeric=True),
            Cell(ctx.t("result_" + result) if result else "–", mark, emphasis=_EMPHASIS.get(result or "")),
            Cell(ctx.t("result_" + adjusted) if adjusted else "–", mark, emphasis=_EMPHASIS.get(adjusted or "")),
        ])
    if table_rows:
        section.add(Table(ctx.t("benchmark_title", parent=ctx.parent_name),
                          [ctx.t("dimension"), ctx.t("difference"), ctx.t("interval_95"), ctx.t("assessment"), ctx.t("assessment_adjusted")],
                          table_rows).html())
    section.add(blocks.note(ctx.t("many_comparisons")))
    return section
