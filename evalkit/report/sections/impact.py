"""Impact: as perceived (survey) and as measured (the teams' run charts and progress)."""

from __future__ import annotations

from functools import partial

import polars as pl

from evalkit.charts.runcharts import format_value, measure_chart_spec, progress_chart_spec
from evalkit.figure import Cell, Mark, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.section import Section
from evalkit.report.sections.survey_figures import index_by_role_figure, likert_figure
from evalkit.report.sections.survey_sides import sides_figure
from evalkit.runchart import chart_summary, series_changes


def impact(ctx: ReportContext) -> Section:
    section = Section().add(blocks.heading(ctx, "impact"))
    section.add(blocks.subheading(ctx.t("impact_perceived")))
    if ctx.too_few:
        section.add(blocks.too_few_notice(ctx))
    else:
        for part in (likert_figure(ctx, "impact", ctx.t("likert_title", dimension=ctx.dimension_label("impact"))),
                     index_by_role_figure(ctx, "impact")):
            if part is not None:
                section.add(part)
        section.parts.extend(sides_figure(ctx, "impact").parts)
    section.add(blocks.subheading(ctx.t("impact_actual")) + blocks.paragraph(ctx.t("impact_actual_intro")))
    charts = ctx.unit_charts()
    if charts.height == 0:
        section.add(blocks.note(ctx.t("no_measures")))
    for measure_id in charts["measure_id"].unique(maintain_order=True).sort().to_list() if charts.height else []:
        rows = charts.filter(pl.col("measure_id") == measure_id)
        spec, description = measure_chart_spec(rows, measure_id=measure_id, language=ctx.lang, columns=3, panel_width=230)
        title = str(spec["title"])
        section.add(ctx.figure(spec, title, description, measure_table(ctx, rows, title, measure_id), f"measures.{measure_id}", source="measures"))
    progress = ctx.unit_progress()
    if progress.height:
        spec, description = progress_chart_spec(progress, language=ctx.lang, columns=3, panel_width=230)
        title = ctx.t("progress_title")
        section.add(ctx.figure(spec, title, description, progress_table(ctx, progress, title), "progress.score", source="measures"))
    return section


def measure_table(ctx: ReportContext, rows: pl.DataFrame, title: str, measure_id: str) -> Table:
    summary = chart_summary(rows)
    # the series' finding, as its sentence says it (a marked change is judged on the whole series)
    findings = {r["team_id"]: r for r in series_changes(rows).iter_rows(named=True)}
    unit_of = str(rows["unit"][0]) if "unit" in rows.columns and rows.height else "count"
    cells = []
    for r in summary.iter_rows(named=True):
        unit = f"team:{r['team_id']}"
        # one figure id per measure and part, so that no two cells share unit, wave and figure
        part = "" if r["part"] == 1 else f".part{r['part']}"
        fig = f"measures.{measure_id}{part}"
        mk = partial(Mark, unit, ctx.wave, source="measures")
        cells.append([
            Cell(str(r.get("team_name", r["team_id"])), header=True),
            Cell(str(r.get("part", 1)), mk(f"{fig}.part"), numeric=True),
            Cell(str(r.get("n_useful", "")), mk(f"{fig}.n_useful"), numeric=True),
            Cell(format_value(r.get("centre"), unit_of, ctx.lang), mk(f"{fig}.centre"), numeric=True),
            Cell(_finding(ctx, findings[r["team_id"]]), mk(f"measures.{measure_id}.runs_signal")),
            # the same count as the text's "N points lie outside the limits" (chart_summary's sigma_signal)
            Cell(str(r["sigma_signal"]), mk(f"{fig}.sigma_signals"), numeric=True),
        ])
    return Table(title, [ctx.t("team"), ctx.t("part"), ctx.t("useful_points"), ctx.t("centre"), ctx.t("runs_signal"), ctx.t("sigma_signals")], cells)


def _finding(ctx: ReportContext, change: dict[str, object]) -> str:
    if not change["signal"]:
        return ctx.t("no")
    return ctx.t(f"runchart_table_{change['direction']}") if change["direction"] else ctx.t("yes")


def progress_table(ctx: ReportContext, progress: pl.DataFrame, title: str) -> Table:
    latest = progress.sort("period").group_by("team_id", "assessor").agg(pl.col("team_name").last(), pl.col("score").last(), pl.col("period").last())
    cells = []
    for r in latest.sort("team_name", "assessor").iter_rows(named=True):
        cells.append([
            Cell(str(r["team_name"]), header=True),
            Cell(ctx.t("assessor_" + str(r["assessor"]))),
            Cell(ctx.fmt.num(r["score"], 1), Mark(f"team:{r['team_id']}", ctx.wave, f"progress.{r['assessor']}.latest", "measures"), numeric=True),
        ])
    return Table(title, [ctx.t("team"), ctx.t("assessor"), ctx.t("latest_score")], cells)
