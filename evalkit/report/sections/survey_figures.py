"""Figures of survey answers shared by several sections: statement distributions,
indices by role and the gap between a group and the provider side."""

from __future__ import annotations

from typing import Any

import polars as pl

from evalkit.charts.survey import estimates_with_intervals, likert_bars
from evalkit.figure import Cell, Figure, Mark, Reason, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.rows import interval_row
from evalkit.report.section import Section


def item_text(ctx: ReportContext, item_id: str) -> str:
    """The statement as asked (without the reverse-worded remark of :meth:`ReportContext.item_label`)."""
    return ctx.instrument.item(item_id).text(ctx.lang)


def favourable_text(ctx: ReportContext, item_id: str, share: float | None) -> str:
    """An item's share of favourable answers in words that say what was counted: "60 %
    agree", or for a reverse-worded item "79 % disagree – which is good here"."""
    key = "r15b_share_disagree_good" if ctx.instrument.item(item_id).reverse else "r15b_share_agree"
    return ctx.t(key, pct=ctx.fmt.pct(share))


def item_range(ctx: ReportContext, dimension: str) -> str:
    """The lowest to the highest share of favourable answers among the dimension's shown
    statements (all respondents), e.g. "42–74 %"; a single value when they are equal."""
    rows = ctx.rows("items", role_group="all", dimension=dimension).filter(
        ~pl.col("suppressed") & pl.col("share_favourable").is_not_null())
    if rows.height == 0:
        return "–"
    low, high = rows["share_favourable"].min(), rows["share_favourable"].max()
    if ctx.fmt.pct(low) == ctx.fmt.pct(high):  # type: ignore[arg-type]
        return ctx.fmt.pct(low)  # type: ignore[arg-type]
    return ctx.fmt.span(low, high)  # type: ignore[arg-type]


def likert_figure(ctx: ReportContext, dimension: str, title: str) -> Figure | None:
    items = [i.id for i in ctx.instrument.items_in(dimension)]
    dist = ctx.rows("distributions", role_group="all").filter(pl.col("item_id").is_in(items))
    summary = ctx.rows("items", role_group="all").filter(pl.col("item_id").is_in(items))
    if summary.height == 0:
        return None
    scale = ctx.instrument.scales[ctx.instrument.item(items[0]).scale]
    labels = [lv.label(ctx.lang) for lv in scale.levels]
    codes = list(scale.codes)
    neutral = codes.index(scale.neutral) if scale.neutral is not None else None
    chart_rows: list[dict[str, Any]] = []
    table_rows: list[list[Cell]] = []
    reasons: list[Reason | None] = []
    for order, item_id in enumerate(items):
        s_row = summary.filter(pl.col("item_id") == item_id)
        if s_row.height == 0:
            continue
        srow = s_row.row(0, named=True)
        reason = ctx.reason(srow)
        reasons.append(reason)
        shown = reason is None and bool(srow["n"])  # n = 0: nobody answered, nothing to show
        label = ctx.item_label(item_id)
        levels = dist.filter(pl.col("item_id") == item_id).sort("level")
        hidden = {"reason": reason} if reason else {}
        for lv in levels.iter_rows(named=True):
            chart_rows.append({
                "item": label, "order": order, "level": codes.index(int(lv["level"])),
                "share": lv["share"] if shown else None, "n": None if reason else srow["n"],
                "suppressed": reason is not None, **hidden,
            })
        if not levels.height:
            chart_rows.append({"item": label, "order": order, "level": 0, "share": None,
                               "n": None if reason else srow["n"], "suppressed": reason is not None, **hidden})
        fig_id = f"{item_id}.share_favourable"
        share = favourable_text(ctx, item_id, srow["share_favourable"]) if srow["share_favourable"] is not None else "–"
        table_rows.append([
            Cell(label, header=True),
            ctx.value_cell(share if shown else ctx.hidden_or(reason, "–"), fig_id, srow["n"], reason),
            ctx.value_cell(ctx.fmt.span(srow["ci_low"], srow["ci_high"]) if shown else "–", fig_id + ".ci", srow["n"], reason),
            ctx.value_cell(ctx.fmt.pct(srow["share_dont_know"]) if shown else "–", f"{item_id}.share_dont_know", srow["n"], reason),
            ctx.value_cell(ctx.n_text(srow["n"], reason), f"{item_id}.n", srow["n"], reason),
        ])
    spec = likert_bars(
        chart_rows, level_labels=labels, neutral_index=neutral, title=title, n_label="n",
        language=ctx.lang, hidden_texts=ctx.hidden_texts,
    )
    table = Table(title, [ctx.t("statement"), ctx.t("r15b_share_favourable"), ctx.t("interval_95"), ctx.t("share_dont_know"), ctx.t("respondents")], table_rows)
    visible = [r for r in summary.iter_rows(named=True) if not r["suppressed"] and r["share_favourable"] is not None]
    if visible:
        best = max(visible, key=lambda r: r["share_favourable"])
        worst = min(visible, key=lambda r: r["share_favourable"])
        description = ctx.t("r15b_likert_description",
                            best=item_text(ctx, best["item_id"]), best_share=favourable_text(ctx, best["item_id"], best["share_favourable"]),
                            worst=item_text(ctx, worst["item_id"]), worst_share=favourable_text(ctx, worst["item_id"], worst["share_favourable"]))
    else:
        description = ctx.hidden_all_text(reasons)
    for item_id in items:
        if ctx.instrument.item(item_id).reverse:
            description += " " + ctx.t("r15b_reverse_note", item=item_text(ctx, item_id))
    return ctx.figure(spec, title, description, table, f"{dimension}.distribution")


def index_by_role_figure(ctx: ReportContext, dimension: str) -> Figure | None:
    rows = ctx.rows("indices", dimension=dimension)
    if rows.height == 0:
        return None
    groups = ["all", "provider_side", "user_side", "experience_consultant"]
    chart_rows: list[dict[str, Any]] = []
    table_rows: list[list[Cell]] = []
    for order, group in enumerate(groups):
        g = rows.filter(pl.col("role_group") == group)
        if g.height == 0:
            continue
        r = g.row(0, named=True)
        reason = ctx.reason(r)
        shown = reason is None and r["mean"] is not None
        label = ctx.role_label(group)
        chart_rows.append(interval_row(label, order, r, reason, estimate="mean"))
        fig = f"{dimension}.index_mean.{group}"
        table_rows.append([
            Cell(label, header=True),
            ctx.value_cell(ctx.fmt.num(r["mean"]) if shown else ctx.hidden_or(reason, "–"), fig, r["n"], reason),
            ctx.value_cell(ctx.fmt.span(r["ci_low"], r["ci_high"], percent=False) if shown else "–", fig + ".ci", r["n"], reason),
            ctx.value_cell(ctx.n_text(r["n"], reason), fig + ".n", r["n"], reason),
        ])
    title = ctx.t("index_by_role_title", dimension=ctx.dimension_label(dimension))
    spec = estimates_with_intervals(chart_rows, category_title=ctx.t("role"), value_title=ctx.t("index_0_100"),
                                    domain=(0, 100), percent=False, title=title,
                                    hidden_texts=ctx.hidden_texts)
    table = Table(title, [ctx.t("role"), ctx.t("index_0_100"), ctx.t("interval_95"), ctx.t("respondents")], table_rows)
    visible = [r for r in chart_rows if not r["suppressed"] and r["estimate"] is not None]
    description = (
        ctx.t("index_by_role_description", parts="; ".join(f"{r['category']}: {ctx.fmt.num(float(r['estimate']))}" for r in visible))
        if visible else ctx.hidden_all_text([r.get("reason") for r in chart_rows])
    )
    return ctx.figure(spec, title, description, table, f"{dimension}.index_by_role")


def gap_block(ctx: ReportContext, dimension: str, group: str = "user_side") -> Section:
    """The gap between a group and the provider side; the network's when the unit's is suppressed."""
    section = Section()
    own = ctx.rows("gaps", dimension=dimension, group=group, measure="index_mean")
    use, level_note = own, ""
    if own.height == 0 or own["suppressed"][0] or own["estimate"][0] is None:
        if ctx.level == "municipality":
            net = ctx.rows("gaps", level="network", unit_id=ctx.network_id, dimension=dimension, group=group, measure="index_mean")
            if net.height and not net["suppressed"][0] and net["estimate"][0] is not None:
                use = net
                level_note = ctx.t("gap_network_instead", network=ctx.parent_name)
            else:
                use = pl.DataFrame()
        else:
            use = pl.DataFrame()
    if use.height == 0:
        group_index = ctx.rows("indices", dimension=dimension, role_group=group)
        reason = ctx.derived_reason(own.row(0, named=True) if own.height else None,
                                    group_index.row(0, named=True) if group_index.height else None)
        text_key = "gap_unavailable" if reason in (None, "small") else "gap_hidden"
        section.add(blocks.note(ctx.t(text_key, reason=ctx.hidden_text(reason) if reason else "")))
        return section
    r = use.row(0, named=True)
    unit_key = f"{r['unit_level']}:{r['unit_id']}"
    mark = Mark(unit_key, ctx.wave, f"{dimension}.gap.{group}.index_mean", "survey", r["n"])
    direction = "r15b_gap_lower" if r["estimate"] < 0 else "r15b_gap_higher"
    label = ctx.role_label(group)
    sentence = ctx.t(
        direction, group=label[:1].lower() + label[1:],
        points=ctx.fmt.num(abs(r["estimate"])), interval=ctx.fmt.interval(r["ci_low"], r["ci_high"], percent=False),
        dimension=ctx.dimension_label(dimension).lower(),
    )
    sentence = sentence[:1].upper() + sentence[1:] + " " + ctx.t("gap_clear" if r["flag"] else "gap_not_clear")
    if level_note:
        section.add(blocks.note(level_note))
    section.add(blocks.finding(sentence, mark))
    return section
