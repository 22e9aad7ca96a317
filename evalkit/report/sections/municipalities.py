"""A network's municipalities: respondents and indices."""

from __future__ import annotations

import polars as pl

from evalkit.figure import UNPUBLISHED_REASONS, Cell, Mark, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.sections.respondents import count_cell


def municipalities_table(ctx: ReportContext) -> str:
    """A network's municipalities: respondents and indices, each figure as the metrics
    layer left it (shown, or hidden with its reason), so that this page and the
    municipality's own page never disagree on what is shown or why it is hidden."""
    hosts = (
        ctx.ref.teams.filter((pl.col("network_id") == ctx.unit_id) & (pl.col("wave") == ctx.wave))
        .get_column("municipality_id").unique().sort().to_list()
    )
    counts = ctx.frame("respondent_counts").filter(
        (pl.col("unit_level") == "municipality") & (pl.col("wave") == ctx.wave) & (pl.col("role") == "all")
    )
    indices = ctx.frame("indices").filter(
        (pl.col("unit_level") == "municipality") & (pl.col("wave") == ctx.wave) & (pl.col("role_group") == "all")
    )
    rows = []
    for municipality_id in sorted(hosts, key=ctx.ref.municipality_name):
        unit = f"municipality:{municipality_id}"
        count = counts.filter(pl.col("unit_id") == municipality_id)
        count_row = count.row(0, named=True) if count.height else None
        if count_row is not None and count_row["reason"] in UNPUBLISHED_REASONS:
            continue  # a unit that is not published is not shown at all
        cells = [
            Cell(ctx.ref.municipality_name(municipality_id), header=True),
            count_cell(ctx, "respondents.all", count_row, unit=unit),
        ]
        for dimension in ("equality", "impact"):
            row = indices.filter((pl.col("unit_id") == municipality_id) & (pl.col("dimension") == dimension))
            r = row.row(0, named=True) if row.height else None
            # No index row: no answers, or a unit below min_unit_n (no results of its own).
            count_reason = ctx.reason(count_row)
            reason = ctx.reason(r) if r is not None else (count_reason if count_reason == "unit" else None)
            if r is None and reason is None:
                cells.append(Cell("–"))  # no figure at all: nothing to mark (nor an ek-num)
                continue
            shown = reason is None and r is not None and r["mean"] is not None
            n = None if reason else (int(r["n"]) if r is not None and r["n"] is not None else 0)
            cells.append(Cell(
                ctx.fmt.num(r["mean"]) if shown and r is not None else ctx.hidden_or(reason, "–"),
                Mark(unit, ctx.wave, f"{dimension}.index_mean", "survey", n, reason),
                numeric=True,
            ))
        rows.append(cells)
    return Table(
        ctx.t("municipalities_title"),
        [ctx.t("municipality"), ctx.t("respondents"), ctx.t("card_equality"), ctx.t("card_impact")],
        rows,
    ).html() + blocks.note(ctx.t("municipalities_note", min_unit_n=ctx.params.min_unit_n))
