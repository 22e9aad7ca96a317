"""Respondents by role and the response rate (in the header)."""

from __future__ import annotations

import polars as pl

from evalkit.figure import Cell, Reason, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext

ROLE_ORDER = ("all", "provider", "leader", "user_rep", "relative_rep", "experience_consultant", "other")


def count_cell(ctx: ReportContext, figure: str, row: dict[str, object] | None, unit: str | None = None) -> Cell:
    """A respondent count: its integer, or why it is hidden ("under 5": fewer than
    min_cell_n people; "under 10": a unit below min_unit_n; "hidden for privacy"). No
    row: nobody in the unit answered (0)."""
    reason = ctx.reason(row)
    n = None if row is None else row.get("n")
    if reason is not None:
        text_value = ctx.hidden_text(reason, count=True)
    else:
        n = int(n) if isinstance(n, int) else 0
        text_value = str(n)
    mark = ctx.mark(figure, "survey", n if isinstance(n, int) else None, reason)
    if unit is not None:
        mark = type(mark)(unit, mark.wave, mark.figure, mark.source, mark.n, mark.reason)
    return Cell(text_value, mark, numeric=True)


def respondents_table(ctx: ReportContext) -> str:
    counts = ctx.rows("respondent_counts")
    rows = []
    for role in ROLE_ORDER:
        row = counts.filter(pl.col("role") == role)
        if row.height == 0:
            continue
        rows.append([
            Cell(ctx.role_label(role), header=True),
            count_cell(ctx, f"respondents.{role}", row.row(0, named=True)),
        ])
    table = Table(ctx.t("respondents_by_role"), [ctx.t("role"), ctx.t("respondents")], rows)
    return table.html() + response_rate_text(ctx, counts)


def response_rate_text(ctx: ReportContext, counts: pl.DataFrame) -> str:
    """The unit's response rate; hidden, it says why: the reason of the respondent count
    it is hidden with, else its own."""
    rates = ctx.rows("recruitment", indicator="response_rate")
    rate_all = rates.filter(pl.col("category").is_null() | (pl.col("category") == "all"))
    if rate_all.height == 0:
        return blocks.labelled_value(ctx.t("response_rate"), ctx.t("response_rate_unknown"))
    r = rate_all.row(0, named=True)
    if r["suppressed"]:
        count = counts.filter(pl.col("role") == "all")
        count_reason = ctx.reason(count.row(0, named=True)) if count.height else None
        reason: Reason = count_reason or ctx.reason(r) or "small"
        return blocks.labelled_value(ctx.t("response_rate"), ctx.hidden_text(reason),
                                     ctx.mark("response_rate", "survey", None, reason))
    if r["estimate"] is not None:
        return blocks.labelled_value(
            ctx.t("response_rate"), ctx.fmt.pct(r["estimate"]), ctx.mark("response_rate", "survey", r["n"])
        )
    return blocks.labelled_value(ctx.t("response_rate"), ctx.t("response_rate_unknown"))
