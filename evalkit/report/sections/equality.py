"""Perceived equality in the collaboration."""

from __future__ import annotations

from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.section import Section
from evalkit.report.sections.survey_figures import gap_block, index_by_role_figure, likert_figure
from evalkit.report.sections.survey_sides import sides_figure


def equality(ctx: ReportContext) -> Section:
    section = Section().add(blocks.heading(ctx, "equality"))
    section.add(blocks.paragraph(ctx.t("equality_intro")))
    if ctx.too_few:
        return section.add(blocks.too_few_notice(ctx))
    for part in (likert_figure(ctx, "equality", ctx.t("likert_title", dimension=ctx.dimension_label("equality"))),
                 index_by_role_figure(ctx, "equality")):
        if part is not None:
            section.add(part)
    section.add(blocks.subheading(ctx.t("gap_title")) + blocks.paragraph(ctx.t("gap_intro")))
    section.parts.extend(gap_block(ctx, "equality").parts)
    section.parts.extend(sides_figure(ctx, "equality").parts)
    return section
