"""Key figures: cards, the main findings and (for a network) its municipalities."""

from __future__ import annotations

import polars as pl

from evalkit.figure import Mark
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.section import Section
from evalkit.report.sections.municipalities import municipalities_table
from evalkit.report.sections.survey_figures import item_range
from evalkit.runchart import series_changes


def key_figures(ctx: ReportContext) -> Section:
    section = Section().add(blocks.heading(ctx, "key_figures"))
    if ctx.too_few:
        return section.add(blocks.too_few_notice(ctx))
    cards: list[blocks.Card] = []
    for dimension in ("equality", "impact"):
        row = ctx.rows("indices", role_group="all", dimension=dimension)
        if row.height == 0:
            continue
        r = row.row(0, named=True)
        reason = ctx.reason(r)
        shown = reason is None and r["mean"] is not None
        value = ctx.fmt.num(r["mean"]) if shown else "–"
        note = (
            f'{ctx.t("index_0_100")} · {ctx.fmt.interval(r["ci_low"], r["ci_high"], percent=False)} · {ctx.n_text(r["n"], None)}'
            if shown
            else ctx.hidden_or(reason, ctx.n_text(r["n"], None))
        )
        cards.append(blocks.Card(ctx.t(f"r15b_card_{dimension}"), value, note, ctx.mark(f"{dimension}.index_mean", "survey", r["n"], reason)))
    trained = ctx.rows("recruitment", indicator="reps_trained")
    if trained.height:
        r = trained.row(0, named=True)
        reason = ctx.reason(r)
        shown = reason is None and r["estimate"] is not None
        cards.append(blocks.Card(
            ctx.t("card_trained"),
            ctx.fmt.pct(r["estimate"]) if shown else "–",
            ctx.t("of_teams", k=ctx.fmt.num(r["count"]), n=r["n"]) if shown else ctx.hidden_or(reason, "–"),
            ctx.mark("recruitment.reps_trained.share", "teams", r["n"], reason),
        ))
    charts = ctx.unit_charts()
    if charts.height:
        # the same findings as the run charts' sentences (improvements and deteriorations apart)
        enough = series_changes(charts).filter(pl.col("enough"))
        for direction, key, figure in (("improvement", "runchart_card_better", "measures.improvements"),
                                       ("deterioration", "runchart_card_worse", "measures.deteriorations")):
            k = enough.filter(pl.col("signal") & (pl.col("direction") == direction)).height
            cards.append(blocks.Card(
                ctx.t(key), f"{k}", ctx.t("of_series", n=enough.height),
                Mark(ctx.unit_key, ctx.wave, figure, "measures", n=enough.height),
            ))
    section.add(blocks.cards(cards))
    eq = ctx.rows("indices", role_group="all", dimension="equality")
    if eq.height and not eq["suppressed"][0] and eq["share_favourable"][0] is not None:
        r = eq.row(0, named=True)
        section.add(blocks.finding(
            ctx.t("r15b_finding_equality", pct=ctx.fmt.pct(r["share_favourable"]),
                   interval=ctx.fmt.interval(r["favourable_ci_low"], r["favourable_ci_high"]),
                   range=item_range(ctx, "equality")),
            ctx.mark("equality.index_share_favourable", "survey", r["n"]),
        ))
    imp = ctx.rows("indices", role_group="all", dimension="impact")
    if imp.height and not imp["suppressed"][0] and imp["share_favourable"][0] is not None:
        r = imp.row(0, named=True)
        section.add(blocks.finding(
            ctx.t("r15b_finding_impact", pct=ctx.fmt.pct(r["share_favourable"]),
                   interval=ctx.fmt.interval(r["favourable_ci_low"], r["favourable_ci_high"]),
                   range=item_range(ctx, "impact")),
            ctx.mark("impact.index_share_favourable", "survey", r["n"]),
        ))
    if ctx.level == "network":
        section.add(municipalities_table(ctx))
    return section
