"""Method, reliability and glossary."""

from __future__ import annotations

from evalkit.figure import Cell, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.section import Section


def method(ctx: ReportContext) -> Section:
    section = Section().add(blocks.heading(ctx, "method"))
    paragraphs = [
        ctx.t("method_survey"),
        ctx.t("method_index", share=ctx.fmt.pct(0.5)),
        ctx.t("method_intervals"),
        ctx.t("method_suppression", min_unit_n=ctx.params.min_unit_n, min_cell_n=ctx.params.min_cell_n),
        ctx.t("method_benchmark"),
        ctx.t("many_comparisons"),
        ctx.t("method_runcharts"),
    ]
    section.add(blocks.paragraphs(paragraphs))
    rel = ctx.rows("reliability")
    if rel.height and not ctx.too_few:
        cells = []
        for r in rel.sort("dimension").iter_rows(named=True):
            suppressed = bool(r["suppressed"]) or r["alpha"] is None
            mark = ctx.mark(f"{r['dimension']}.alpha", "survey", r["n"], suppressed)
            # The interval is written in whole numbers, as the page always showed it ("0–1");
            # alpha reads better with decimals=2, trim=True ("0,12–0,74"): a page change.
            cells.append([
                Cell(ctx.dimension_label(str(r["dimension"])), header=True),
                Cell(ctx.fmt.num(r["alpha"], 2) if not suppressed else "–", mark, numeric=True),
                Cell(ctx.fmt.span(r["ci_low"], r["ci_high"], percent=False, decimals=0) if not suppressed else "–", mark, numeric=True),
                Cell((ctx.t("low_reliability") if r["low_reliability"] else ctx.t("ok")) if not suppressed else "–", mark),
            ])
        section.add(Table(ctx.t("reliability_title"), [ctx.t("dimension"), ctx.t("alpha"), ctx.t("interval_95"), ctx.t("assessment")], cells).html())
    terms = [
        (ctx.t("term_" + term), ctx.t("def_" + term))
        for term in ("user_rep", "relative_rep", "experience_consultant", "team", "network", "equality", "index", "interval", "run_chart")
    ]
    section.add(blocks.glossary(ctx.t("glossary"), terms))
    return section
