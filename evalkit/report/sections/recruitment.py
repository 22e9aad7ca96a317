"""Recruitment: channels, facts and each team's practice (counted in teams)."""

from __future__ import annotations

from functools import partial
from typing import Any

import polars as pl

from evalkit.charts.survey import share_bars
from evalkit.figure import Cell, Figure, Mark, Reason, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.rows import interval_row
from evalkit.report.section import Section


def recruitment(ctx: ReportContext) -> Section:
    section = Section().add(blocks.heading(ctx, "recruitment"))
    section.add(blocks.paragraph(ctx.t("recruitment_intro")))
    rec = ctx.rows("recruitment")
    channels = rec.filter(pl.col("indicator") == "channel")
    if channels.height:
        chart_rows: list[dict[str, Any]] = []
        table_rows: list[list[Cell]] = []
        for order, r in enumerate(channels.sort("estimate", descending=True, nulls_last=True).iter_rows(named=True)):
            reason = ctx.reason(r)
            shown = reason is None and r["estimate"] is not None
            label = ctx.t("channel_" + str(r["category"]))
            if (r["n"] or 0) <= 1:  # one team's practice: a yes or a no, no sampling interval
                r = {**r, "ci_low": None, "ci_high": None}
            chart_rows.append(interval_row(label, order, r, reason))
            fig = f"recruitment.channel.{r['category']}.share"
            table_rows.append([
                Cell(label, header=True),
                ctx.value_cell(ctx.fmt.pct(r["estimate"]) if shown else ctx.hidden_or(reason, "–"), fig, r["n"], reason, "teams"),
                ctx.value_cell(ctx.t("of_teams", k=ctx.fmt.num(r["count"]), n=r["n"]) if shown else "–", fig + ".count", r["n"], reason, "teams"),
            ])
        title = ctx.t("channels_title")
        spec = share_bars(chart_rows, value_title=ctx.t("share_of_teams"), title=title, hidden_texts=ctx.hidden_texts)
        description = _channels_description(ctx, chart_rows)
        table = Table(title, [ctx.t("channel"), ctx.t("share_of_teams"), ctx.t("teams")], table_rows)
        fig_obj = ctx.figure(spec, title, description, table, "recruitment.channels", source="teams")
        section.add(fig_obj)
    facts = []
    for indicator, statistic, label_key, is_share in (
        ("reps_trained", "share", "fact_trained", True),
        ("recruitment_difficulty", "mean", "fact_difficulty", False),
        ("months_to_recruit", "mean", "fact_months", False),
        ("any_reps_left", "share", "fact_reps_left", True),
        ("relatives_involved", "share", "fact_relatives", True),
    ):
        row = rec.filter((pl.col("indicator") == indicator) & (pl.col("statistic") == statistic) & pl.col("category").is_null())
        if row.height == 0:
            continue
        r = row.row(0, named=True)
        reason = ctx.reason(r)
        if reason is not None:
            value = ctx.hidden_text(reason)
        elif r["estimate"] is None:
            value = "–"
        else:
            value = ctx.fmt.pct(r["estimate"]) if is_share else ctx.fmt.num(r["estimate"], 1)
        facts.append([
            Cell(ctx.t(label_key), header=True),
            ctx.value_cell(value, f"recruitment.{indicator}.{statistic}", r["n"], reason, "teams"),
            ctx.value_cell(str(r["n"]) if reason is None and r["n"] is not None else "–",
                           f"recruitment.{indicator}.n", r["n"], reason, "teams"),
        ])
    if facts:
        section.add(Table(ctx.t("recruitment_facts"), [ctx.t("indicator"), ctx.t("value"), ctx.t("teams")], facts).html())
    section.add(team_practice_table(ctx))
    voice = user_side_items_figure(ctx)
    if voice is not None:
        section.add(blocks.subheading(ctx.t("rec_voice_title")) + blocks.paragraph(ctx.t("rec_voice_intro")))
        section.add(voice)
    return section


def user_side_items_figure(ctx: ReportContext) -> Figure | None:
    """The user and relative representatives' own answers on their recruitment (why they
    were asked, training, role explained): the user side only, suppressed like every
    item figure, with figure ids of their own (``<item>.user_side.share_favourable``)."""
    if ctx.too_few:
        return None
    items = [i.id for i in ctx.instrument.items_in("recruitment")]
    summary = ctx.rows("items", role_group="user_side").filter(pl.col("item_id").is_in(items))
    if summary.height == 0:
        return None
    chart_rows: list[dict[str, Any]] = []
    table_rows: list[list[Cell]] = []
    order = 0
    reasons: list[Reason | None] = []
    for item_id in items:
        found = summary.filter(pl.col("item_id") == item_id)
        if found.height == 0:
            continue
        r = found.row(0, named=True)
        reason = ctx.reason(r)
        reasons.append(reason)
        has_value = reason is None and bool(r["n"]) and r["share_favourable"] is not None
        label = ctx.item_label(item_id)
        chart_rows.append(interval_row(label, order, r if has_value else {**r, "share_favourable": None},
                                       reason, estimate="share_favourable"))
        order += 1
        fig = f"{item_id}.user_side.share_favourable"
        table_rows.append([
            Cell(label, header=True),
            ctx.value_cell(ctx.fmt.pct(r["share_favourable"]) if has_value else ctx.hidden_or(reason, "–"), fig, r["n"], reason),
            ctx.value_cell(ctx.fmt.span(r["ci_low"], r["ci_high"]) if has_value else "–", fig + ".ci", r["n"], reason),
            ctx.value_cell(ctx.n_text(r["n"], reason), f"{item_id}.user_side.n", r["n"], reason),
        ])
    title = ctx.t("rec_voice_chart_title")
    spec = share_bars(chart_rows, value_title=ctx.t("share_agree"), title=title, hidden_texts=ctx.hidden_texts)
    shown = [r for r in chart_rows if not r["suppressed"] and r["estimate"] is not None]
    if shown:
        low = min(shown, key=lambda r: float(r["estimate"]))
        high = max(shown, key=lambda r: float(r["estimate"]))
        description = ctx.t(
            "rec_voice_description", high=high["category"], high_pct=ctx.fmt.pct(float(high["estimate"])),
            low=low["category"], low_pct=ctx.fmt.pct(float(low["estimate"])),
        ) if high is not low else ctx.t("rec_voice_one", item=high["category"], pct=ctx.fmt.pct(float(high["estimate"])))
    elif {r for r in reasons if r is not None} - {"small"}:
        description = ctx.t("all_hidden")
    else:
        description = ctx.t("rec_voice_suppressed")
    table = Table(title, [ctx.t("statement"), ctx.t("share_agree"), ctx.t("interval_95"), ctx.t("respondents")], table_rows)
    return ctx.figure(spec, title, description, table, "recruitment.user_side.items")


def team_practice_table(ctx: ReportContext) -> str:
    """Per team: the team's recruitment practice (team facts, counted in teams)."""
    teams = pl.concat([
        ctx.unit_teams().sort("name").with_columns(partner=pl.lit(False)),
        ctx.partner_teams().sort("name").with_columns(partner=pl.lit(True)),
    ])
    if teams.height == 0:
        return ""
    rows = []
    for r in teams.iter_rows(named=True):
        unit = f"team:{r['team_id']}"
        name = ctx.t("team_as_partner", team=r["name"]) if r["partner"] else str(r["name"])
        channels = ", ".join(ctx.t("channel_" + c) for c in (r["channels"] or [])) or "–"
        trained = "–" if r["reps_trained"] is None else ctx.t("yes" if r["reps_trained"] else "no")
        difficulty = "–" if r["recruitment_difficulty"] is None else str(r["recruitment_difficulty"])
        mk = partial(Mark, unit, ctx.wave, source="teams", n=1)  # one team's practice
        rows.append([
            Cell(name, header=True),
            Cell(channels, mk("recruitment.channels")),
            Cell(trained, mk("recruitment.reps_trained")),
            Cell(difficulty, mk("recruitment.recruitment_difficulty"), numeric=True),
        ])
    return Table(ctx.t("team_practice_title"), [ctx.t("team"), ctx.t("channel"), ctx.t("fact_trained_short"), ctx.t("fact_difficulty_short")], rows).html()


def _channels_description(ctx: ReportContext, chart_rows: list[dict[str, Any]]) -> str:
    """The most common route, or the tie when several share the top share (none
    alone is the most common), or that no team used any route."""
    shown = [r for r in chart_rows if not r["suppressed"] and r["estimate"] is not None]
    if not shown:
        return ctx.hidden_all_text([r.get("reason") for r in chart_rows])
    best = max(float(r["estimate"]) for r in shown)
    tops = [r["category"] for r in shown if abs(float(r["estimate"]) - best) < 1e-9]
    if best <= 0:
        return ctx.t("channels_none_used")
    quoted = [ctx.t("quoted", text=c) for c in tops]
    routes = quoted[0] if len(quoted) == 1 else ctx.t("list_and", head=", ".join(quoted[:-1]), last=quoted[-1])
    if all(r["n"] == 1 for r in shown):  # one team: the routes it used, not shares
        return ctx.t("channels_one_team", routes=routes)
    if len(tops) == 1:
        return ctx.t("channels_description", channel=tops[0], pct=ctx.fmt.pct(best))
    return ctx.t("channels_tie", routes=routes, pct=ctx.fmt.pct(best))
