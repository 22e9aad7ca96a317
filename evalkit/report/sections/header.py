"""The page's title, header, table of contents and respondents (or the notice that
there are too few)."""

from __future__ import annotations

import datetime as dt

from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.section import Section
from evalkit.report.sections.respondents import respondents_table

SECTION_IDS = (
    "summary",
    "key_figures",
    "recruitment",
    "equality",
    "impact",
    "promoters",
    "relatives",
    "change",
    "benchmark",
    "method",
    "data_quality",
)


def title(ctx: ReportContext) -> str:
    key = "title_municipality" if ctx.level == "municipality" else "title_network"
    return ctx.t(key, name=ctx.unit_name)


def header(ctx: ReportContext) -> Section:
    kicker = ctx.t("kicker_" + ctx.level)
    date = ctx.ref.wave_date(ctx.wave)
    meta = []
    if ctx.level == "municipality":
        meta.append(ctx.t("meta_network", name=ctx.parent_name))
    meta.append(ctx.t("meta_wave", wave=ctx.wave, date=ctx.fmt.date(date)))
    meta.append(ctx.t("meta_generated", date=ctx.fmt.date(dt.date.today())))
    toc = [(s, ctx.t("section_" + s, parent=ctx.parent_name)) for s in SECTION_IDS]
    section = Section()
    section.add(blocks.page_header(kicker, title(ctx), meta, ctx.t("intro"), ctx.t("toc_title"), toc))
    partner_note = _partner_note(ctx)
    if partner_note:
        section.add(blocks.paragraph(partner_note))
    if ctx.too_few:
        section.add(blocks.too_few_notice(ctx))
    else:
        section.add(respondents_table(ctx))
    return section


def _partner_note(ctx: ReportContext) -> str:
    """A partner municipality's teams hosted elsewhere, named with their hosts (their
    results are on the host's page)."""
    partners = ctx.partner_teams()
    if partners.height == 0:
        return ""
    named = [
        ctx.t("partner_team", team=r["name"], host=ctx.ref.municipality_name(r["municipality_id"]))
        for r in partners.sort("name").iter_rows(named=True)
    ]
    teams = named[0] if len(named) == 1 else ctx.t("list_and", head=", ".join(named[:-1]), last=named[-1])
    return ctx.t("partner_note", name=ctx.unit_name, teams=teams)
