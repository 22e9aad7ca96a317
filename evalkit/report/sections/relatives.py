"""Relatives and experience consultants."""

from __future__ import annotations

from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.section import Section
from evalkit.report.sections.survey_figures import gap_block, likert_figure


def relatives_and_consultants(ctx: ReportContext) -> Section:
    section = Section().add(blocks.heading(ctx, "relatives"))
    section.add(blocks.paragraph(ctx.t("relatives_intro")))
    if ctx.too_few:
        return section.add(blocks.too_few_notice(ctx))
    for dimension in ("relatives", "experience_consultants"):
        fig = likert_figure(ctx, dimension, ctx.t("likert_title", dimension=ctx.dimension_label(dimension)))
        if fig is not None:
            section.add(fig)
    section.add(blocks.subheading(ctx.t("ek_gap_title")))
    section.parts.extend(gap_block(ctx, "equality", group="experience_consultant").parts)
    return section
