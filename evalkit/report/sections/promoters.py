"""What goes with higher scores: team practices compared (counted in teams)."""

from __future__ import annotations

from typing import Any

import polars as pl

from evalkit.charts.survey import differences
from evalkit.figure import Cell, Mark, Reason, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.format import signed
from evalkit.report.rows import interval_row
from evalkit.report.section import Section


def promoters(ctx: ReportContext) -> Section:
    section = Section().add(blocks.heading(ctx, "promoters"))
    section.add(blocks.paragraph(ctx.t("promoters_intro")))
    own = ctx.rows("promoters")
    level, unit_id, note = ctx.level, ctx.unit_id, ""
    if own.height == 0 or own["suppressed"].all():
        level, unit_id = ctx.parent_ref()
        note = ctx.t("promoters_parent_instead", parent=ctx.parent_name)
    rows = ctx.rows("promoters", level=level, unit_id=unit_id)
    if note:
        section.add(blocks.note(note))
    for dimension in ("equality", "impact"):
        d = rows.filter(pl.col("dimension") == dimension)
        if d.height == 0:
            continue
        chart_rows: list[dict[str, Any]] = []
        table_rows: list[list[Cell]] = []
        sentences: list[str] = []
        for order, r in enumerate(d.sort("factor").iter_rows(named=True)):
            # Hidden when either side has fewer than 2 teams or 1-4 people
            # (evalkit.metrics.recruitment.promoters): too few answers, either way.
            reason: Reason | None = "small" if r["suppressed"] else None
            shown = reason is None and r["estimate"] is not None
            label = ctx.factor_label(str(r["factor"]))
            chart_rows.append(interval_row(label, order, r, reason))
            fig = f"{dimension}.promoter.{r['factor']}"
            mark = Mark(f"{level}:{unit_id}", ctx.wave, fig, "teams", None if reason else r["n"], reason)
            table_rows.append([
                Cell(label, header=True),
                Cell(ctx.fmt.num(r["mean_with"]) if shown else ctx.hidden_or(reason, "–"), mark, numeric=True),
                Cell(ctx.fmt.num(r["mean_without"]) if shown else "–", mark, numeric=True),
                Cell(signed(ctx.fmt.num(r["estimate"])) if shown else "–", mark, numeric=True),
                Cell(ctx.fmt.span(r["ci_low"], r["ci_high"], percent=False) if shown else "–", mark, numeric=True),
                Cell(f"{r['n_with']} / {r['n_without']}" if reason is None else "–", mark, numeric=True),
            ])
            if shown and r["flag"]:
                sentences.append(ctx.t("promoter_clear", factor=label, points=ctx.fmt.num(abs(r["estimate"])),
                                        direction=ctx.t("higher" if r["estimate"] > 0 else "lower"),
                                        dimension=ctx.dimension_label(dimension).lower()))
        title = ctx.t("promoters_title", dimension=ctx.dimension_label(dimension))
        spec = differences(chart_rows, value_title=ctx.t("difference_points"), percent=False, title=title, limit=50,
                           hidden_texts=ctx.hidden_texts)
        description = " ".join(sentences) or ctx.t("promoters_none_clear")
        table = Table(title, [ctx.t("factor"), ctx.t("mean_with"), ctx.t("mean_without"), ctx.t("difference"), ctx.t("interval_95"), ctx.t("teams_with_without")], table_rows)
        fig_obj = ctx.figure(spec, title, description, table, f"{dimension}.promoters", source="teams")
        fig_obj.mark = Mark(f"{level}:{unit_id}", ctx.wave, f"{dimension}.promoters", "teams")
        section.add(fig_obj)
    return section
