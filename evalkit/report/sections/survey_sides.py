"""The user side's voice: each statement's share of favourable answers on the user side
and on the provider side, with intervals, and the gap between them, largest first.

Rows come from the suppressed ``items`` frame (role groups ``user_side`` and
``provider_side``): a side whose figure is suppressed there shows no figure here, and a
gap is shown only when both sides are. A hidden side says why (its reason); a hidden
gap gives the user side's reason when that side is hidden, else ``protect`` (with the
user side shown, the gap would give the provider side's hidden figure away). Each
side's figure has its own id, ``<item>.<side>.share_favourable``, never the pooled item's.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from evalkit.charts.survey import sides_with_intervals
from evalkit.figure import Cell, Mark, Reason, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.format import signed
from evalkit.report.section import Section
from evalkit.report.sections.survey_figures import item_text

SIDES = ("user_side", "provider_side")


def side_rows(ctx: ReportContext, dimension: str, level: str | None = None, unit_id: str | None = None) -> list[dict[str, Any]]:
    """Per statement of ``dimension``: each side's row (or None), why a side is hidden
    (``reasons``; None when it is not), each side's n (``ns``: 0 without answers, None
    when hidden) and the gap (user side minus provider side, in shares; None unless
    both sides are shown), largest gap first."""
    items = [i.id for i in ctx.instrument.items_in(dimension)]
    frame = ctx.rows("items", level=level, unit_id=unit_id).filter(pl.col("item_id").is_in(items) & pl.col("role_group").is_in(SIDES))
    out: list[dict[str, Any]] = []
    for order, item_id in enumerate(items):
        sides: dict[str, dict[str, Any] | None] = {}
        reasons: dict[str, Reason | None] = {}
        ns: dict[str, int | None] = {}
        for side in SIDES:
            r = frame.filter((pl.col("item_id") == item_id) & (pl.col("role_group") == side))
            row = r.row(0, named=True) if r.height else None
            reasons[side] = ctx.reason(row)
            ns[side] = None if reasons[side] else int((row or {}).get("n") or 0)
            shown = row is not None and reasons[side] is None and row["n"] and row["share_favourable"] is not None
            sides[side] = row if shown else None
        if all(v is None for v in sides.values()) and frame.filter(pl.col("item_id") == item_id).height == 0:
            continue
        user, provider = sides["user_side"], sides["provider_side"]
        gap = user["share_favourable"] - provider["share_favourable"] if user and provider else None
        out.append({"item_id": item_id, "order": order, "sides": sides, "reasons": reasons, "ns": ns, "gap": gap})
    out.sort(key=lambda r: (r["gap"] is None, -abs(r["gap"] or 0.0), r["order"]))
    return out


def _side_cell(ctx: ReportContext, mark: Mark, item_id: str, side: str, r: dict[str, Any]) -> Cell:
    figure = f"{item_id}.{side}.share_favourable"
    row, reason = r["sides"][side], r["reasons"][side]
    if reason is not None:
        return Cell(ctx.hidden_text(reason), mark.with_figure(figure, None, reason), numeric=True)
    if row is None:  # nobody on this side answered (or all said "don't know")
        return Cell("–", mark.with_figure(figure, r["ns"][side], None), numeric=True)
    value = f'{ctx.fmt.pct(row["share_favourable"])} ({ctx.fmt.span(row["ci_low"], row["ci_high"])}) · {ctx.n_text(row["n"], None)}'
    return Cell(value, mark.with_figure(figure, row["n"], None), numeric=True)


def _points(ctx: ReportContext, gap: float) -> str:
    return ctx.fmt.num(abs(gap) * 100)


def gap_sentence(ctx: ReportContext, r: dict[str, Any]) -> str:
    user, provider = r["sides"]["user_side"], r["sides"]["provider_side"]
    points = _points(ctx, r["gap"])
    key = "r15b_side_equal" if points == ctx.fmt.num(0) else ("r15b_side_lower" if r["gap"] < 0 else "r15b_side_higher")
    reverse = ctx.instrument.item(r["item_id"]).reverse
    word = "r15b_side_disagree" if reverse else "r15b_side_agree"
    return ctx.t(key, item=item_text(ctx, r["item_id"]), user=ctx.t(word, pct=ctx.fmt.pct(user["share_favourable"])),
                 provider=ctx.t(word, pct=ctx.fmt.pct(provider["share_favourable"])), points=points,
                 note=ctx.t("r15b_side_reverse_note") if reverse else "")


def sides_figure(ctx: ReportContext, dimension: str) -> Section:
    """The figure (chart, table, sentences) of the two sides, statement by statement."""
    section = Section()
    rows, unit, note = side_rows(ctx, dimension), ctx.unit_key, ""
    if not any(r["gap"] is not None for r in rows) and ctx.level == "municipality":
        network = side_rows(ctx, dimension, level="network", unit_id=ctx.network_id)
        if any(r["gap"] is not None for r in network):
            rows, unit = network, f"network:{ctx.network_id}"
            note = ctx.t("r15b_sides_network_instead", network=ctx.parent_name)
    if not any(r["gap"] is not None for r in rows):
        if rows:
            section.add(blocks.note(ctx.t("r15b_sides_none")))
        return section
    mark = Mark(unit, ctx.wave, f"{dimension}.share_favourable.by_side", "survey")
    title = ctx.t("r15b_sides_title", dimension=ctx.dimension_label(dimension))
    labels = {side: ctx.role_label(side) for side in SIDES}
    chart_rows: list[dict[str, Any]] = []
    table_rows: list[list[Cell]] = []
    for order, r in enumerate(rows):
        label = ctx.item_label(r["item_id"])
        for side in SIDES:
            row, reason = r["sides"][side], r["reasons"][side]
            chart_rows.append({
                "category": label, "order": order, "side": labels[side],
                "estimate": row["share_favourable"] if row else None,
                "ci_low": row["ci_low"] if row else None, "ci_high": row["ci_high"] if row else None,
                "n": row["n"] if row else r["ns"][side], "suppressed": reason is not None,
                **({"reason": reason} if reason else {}),
            })
        gap_figure = f"{r['item_id']}.gap.user_side.share_favourable"
        user_reason, provider_reason = r["reasons"]["user_side"], r["reasons"]["provider_side"]
        if r["gap"] is not None:
            n = r["sides"]["user_side"]["n"] + r["sides"]["provider_side"]["n"]
            gap_cell = Cell(signed(ctx.fmt.num(r["gap"] * 100)), mark.with_figure(gap_figure, n, None), numeric=True)
        elif user_reason or provider_reason:
            gap_reason: Reason = user_reason or "protect"
            gap_cell = Cell("–", mark.with_figure(gap_figure, None, gap_reason), numeric=True)
        else:  # a side without answers: no gap, nothing hidden
            gap_cell = Cell("–", mark.with_figure(gap_figure, (r["ns"]["user_side"] or 0) + (r["ns"]["provider_side"] or 0), None),
                            numeric=True)
        table_rows.append([Cell(label, header=True), *(_side_cell(ctx, mark, r["item_id"], s, r) for s in SIDES),
                           gap_cell])
    spec = sides_with_intervals(chart_rows, side_labels=[labels[s] for s in SIDES],
                                value_title=ctx.t("r15b_share_favourable"), title=title,
                                hidden_texts=ctx.hidden_texts)
    table = Table(title, [ctx.t("statement"), labels["user_side"], labels["provider_side"], ctx.t("r15b_gap_points")],
                  table_rows)
    compared = [r for r in rows if r["gap"] is not None]
    sentences = [gap_sentence(ctx, r) for r in compared]
    description = " ".join([ctx.t("r15b_sides_intro"), *sentences[:3]])
    if len(compared) < len(rows):
        description += " " + ctx.t("r15b_sides_hidden")
    figure = ctx.figure(spec, title, description, table, mark.figure)
    figure.mark = mark
    if note:
        section.add(blocks.note(note))
    section.add(figure)
    return section
