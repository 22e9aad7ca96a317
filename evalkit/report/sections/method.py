"""Method, reliability and glossary."""

from __future__ import annotations

from typing import Any

from evalkit.figure import Cell, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.section import Section

ALPHA_SHOWN = 0.5
"""Alpha under this (or negative) is not printed: the statements are read one by one."""


def method(ctx: ReportContext) -> Section:
    section = Section().add(blocks.heading(ctx, "method"))
    paragraphs = [
        ctx.t("method_survey"),
        ctx.t("method_index", share=ctx.fmt.pct(0.5)),
        ctx.t("method_intervals"),
        ctx.t("method_suppression", min_unit_n=ctx.params.min_unit_n, min_cell_n=ctx.params.min_cell_n),
        ctx.t("hidden_reasons_note", min_unit_n=ctx.params.min_unit_n, min_cell_n=ctx.params.min_cell_n),
        ctx.t("method_benchmark"),
        ctx.t("many_comparisons"),
        ctx.t("method_runcharts"),
    ]
    section.add(blocks.paragraphs(paragraphs))
    rel = ctx.rows("reliability")
    if rel.height and not ctx.too_few:
        cells = [_alpha_row(ctx, r) for r in rel.sort("dimension").iter_rows(named=True)]
        section.add(blocks.paragraphs([ctx.t("method_alpha", good=ctx.fmt.num(0.7, 2), floor=ctx.fmt.num(ALPHA_SHOWN, 2))]))
        section.add(Table(ctx.t("reliability_title"), [ctx.t("dimension"), ctx.t("alpha_column"), ctx.t("interval_95"), ctx.t("assessment")], cells).html())
    terms = [
        (ctx.t("term_" + term), ctx.t("def_" + term))
        for term in ("user_rep", "relative_rep", "experience_consultant", "team", "network", "equality", "index", "interval")
    ]
    # A run chart's centre line is the median; a p- or i-chart's is the mean.
    terms.append((ctx.t("term_run_chart"), ctx.t("def_run_chart_centres")))
    section.add(blocks.glossary(ctx.t("glossary"), terms))
    return section


def _alpha_row(ctx: ReportContext, r: dict[str, Any]) -> list[Cell]:
    """One dimension's alpha with two decimals and its Feldt interval (which contains
    it); under :data:`ALPHA_SHOWN` the number gives way to what it means for a reader."""
    reason = ctx.reason(r)
    mark = ctx.mark(f"{r['dimension']}.alpha", "survey", r["n"], reason)
    label = Cell(ctx.dimension_label(str(r["dimension"])), header=True)
    if reason is not None or r["alpha"] is None:  # hidden, or too few complete answers for an alpha
        return [label, Cell(ctx.hidden_or(reason, "–"), mark, numeric=True), Cell("–", mark, numeric=True),
                Cell("–", mark)]
    alpha = float(r["alpha"])
    if alpha < ALPHA_SHOWN:
        return [
            label,
            Cell(ctx.t("alpha_below", floor=ctx.fmt.num(ALPHA_SHOWN, 2)), mark),
            Cell("–", mark, numeric=True),
            Cell(ctx.t("alpha_very_low"), mark),
        ]
    low, high = r["ci_low"], r["ci_high"]
    return [
        label,
        Cell(ctx.fmt.num(alpha, 2), mark, numeric=True),
        Cell(ctx.fmt.span(low, high, percent=False, decimals=2), mark, numeric=True),
        Cell(ctx.t("low_reliability") if r["low_reliability"] else ctx.t("ok"), mark),
    ]
