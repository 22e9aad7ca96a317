"""Relatives and experience consultants."""

from __future__ import annotations

from evalkit.figure import esc
from evalkit.report.blocks import heading, too_few_notice
from evalkit.report.context import ReportContext
from evalkit.report.section import Section
from evalkit.report.sections.survey_figures import gap_block, likert_figure


def relatives_and_consultants(ctx: ReportContext) -> Section:
    section = Section().add(heading(ctx, "relatives"))
    section.add(f'<p>{esc(ctx.t("relatives_intro"))}</p>')
    if ctx.too_few:
        return section.add(too_few_notice(ctx).html())
    for dimension in ("relatives", "experience_consultants"):
        fig = likert_figure(ctx, dimension, ctx.t("likert_title", dimension=ctx.dimension_label(dimension)))
        if fig is not None:
            section.add(fig)
    section.add(f'<h3>{esc(ctx.t("ek_gap_title"))}</h3>')
    section.parts.extend(gap_block(ctx, "equality", group="experience_consultant").parts)
    return section
