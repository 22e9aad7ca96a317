"""The unit compared with its parent (network, or all networks)."""

from __future__ import annotations

from evalkit.figure import Cell, Table, esc
from evalkit.report.blocks import heading, too_few_notice
from evalkit.report.context import ReportContext
from evalkit.report.format import signed
from evalkit.report.section import Section


def benchmark(ctx: ReportContext) -> Section:
    section = Section().add(heading(ctx, "benchmark", parent=ctx.parent_name))
    if ctx.too_few:
        return section.add(too_few_notice(ctx).html())
    section.add(f'<p>{esc(ctx.t("benchmark_intro", parent=ctx.parent_name))}</p>')
    rows = ctx.rows("benchmarks", role_group="all", measure="index_mean")
    table_rows = []
    note = None
    for r in rows.sort("dimension").iter_rows(named=True):
        suppressed = bool(r["suppressed"]) or r["estimate"] is None
        mark = ctx.mark(f"{r['dimension']}.benchmark.index_mean", "survey", r["n"], suppressed)
        result = str(r["result"]) if not suppressed and r["result"] else None
        css = {"above": "ek-above", "below": "ek-below"}.get(result or "", "")
        result_text = ctx.t("result_" + result) if result else ctx.t("suppressed_short")
        adjusted = ctx.t("result_" + str(r["result_adjusted"])) if not suppressed and r["result_adjusted"] else "–"
        table_rows.append([
            Cell(ctx.dimension_label(str(r["dimension"])), header=True),
            Cell(signed(ctx.fmt.num(r["estimate"])) if not suppressed else "–", mark, numeric=True),
            Cell(ctx.fmt.span(r["ci_low"], r["ci_high"], percent=False) if not suppressed else "–", mark, numeric=True),
            Cell(result_text, mark),
            Cell(adjusted, mark),
        ])
        note = note or r.get("note")
    if table_rows:
        html_table = Table(ctx.t("benchmark_title", parent=ctx.parent_name),
                           [ctx.t("dimension"), ctx.t("difference"), ctx.t("interval_95"), ctx.t("assessment"), ctx.t("assessment_adjusted")],
                           table_rows).html()
        for key, css in (("result_above", "ek-above"), ("result_below", "ek-below")):
            html_table = html_table.replace(f">{esc(ctx.t(key))}<", f'><span class="{css}">{esc(ctx.t(key))}</span><')
        section.add(html_table)
    section.add(f'<p class="ek-note">{esc(ctx.t("many_comparisons"))}</p>')
    return section
