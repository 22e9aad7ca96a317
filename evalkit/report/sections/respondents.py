"""Respondents by role and the response rate (in the header)."""

from __future__ import annotations

import polars as pl

from evalkit.figure import Cell, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext


def respondents_table(ctx: ReportContext) -> str:
    counts = ctx.rows("respondent_counts")
    order = ["all", "provider", "leader", "user_rep", "relative_rep", "experience_consultant", "other"]
    rows = []
    for role in order:
        row = counts.filter(pl.col("role") == role)
        if row.height == 0:
            continue
        r = row.row(0, named=True)
        display = str(r["n_display"])
        if display.startswith("<"):
            display = ctx.t("less_than", n=ctx.params.min_cell_n)
        rows.append([
            Cell(ctx.role_label(role), header=True),
            ctx.value_cell(display, f"respondents.{role}", r["n"], bool(r["suppressed"])),
        ])
    table = Table(ctx.t("respondents_by_role"), [ctx.t("role"), ctx.t("respondents")], rows)
    rates = ctx.rows("recruitment", indicator="response_rate")
    rate_all = rates.filter(pl.col("category").is_null() | (pl.col("category") == "all"))
    if rate_all.height and rate_all["estimate"][0] is not None and not rate_all["suppressed"][0]:
        r = rate_all.row(0, named=True)
        rate_text = blocks.labelled_value(
            ctx.t("response_rate"), ctx.fmt.pct(r["estimate"]), ctx.mark("response_rate", "survey", r["n"], False)
        )
    elif rate_all.height and bool(rate_all["suppressed"][0]):
        # Hidden with the unit's respondent count: not unknown, and the invitations may
        # all be recorded (the reason is the count's, not the invitations').
        rate_text = blocks.labelled_value(ctx.t("response_rate"), ctx.t("response_rate_hidden"))
    else:
        rate_text = blocks.labelled_value(ctx.t("response_rate"), ctx.t("response_rate_unknown"))
    return table.html() + rate_text
