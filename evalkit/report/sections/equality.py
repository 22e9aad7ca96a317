"""Perceived equality in the collaboration."""

from __future__ import annotations

from evalkit.figure import esc
from evalkit.report.blocks import heading, too_few_notice
from evalkit.report.context import ReportContext
from evalkit.report.section import Section
from evalkit.report.sections.survey_figures import gap_block, index_by_role_figure, likert_figure


def equality(ctx: ReportContext) -> Section:
    section = Section().add(heading(ctx, "equality"))
    section.add(f'<p>{esc(ctx.t("equality_intro"))}</p>')
    if ctx.too_few:
        return section.add(too_few_notice(ctx).html())
    for part in (likert_figure(ctx, "equality", ctx.t("likert_title", dimension=ctx.dimension_label("equality"))),
                 index_by_role_figure(ctx, "equality")):
        if part is not None:
            section.add(part)
    section.add(f'<h3>{esc(ctx.t("gap_title"))}</h3><p>{esc(ctx.t("gap_intro"))}</p>')
    section.parts.extend(gap_block(ctx, "equality").parts)
    return section
