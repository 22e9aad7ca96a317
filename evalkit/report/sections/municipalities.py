"""A network's municipalities: respondents and indices."""

from __future__ import annotations

import polars as pl

from evalkit.figure import Cell, Mark, Table
from evalkit.report import blocks
from evalkit.report.context import ReportContext


def municipalities_table(ctx: ReportContext) -> str:
    """A network's municipalities: respondents and indices (children's visible rows only)."""
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
        too_few = count.height == 0 or count["reason"][0] == "unit_below_min_unit_n"
        visible = count.height > 0 and not count["suppressed"][0]
        n = int(count["n"][0]) if visible else None
        shown_count = str(n) if visible else (ctx.t("less_than", n=ctx.params.min_unit_n) if too_few else "–")
        cells = [
            Cell(ctx.ref.municipality_name(municipality_id), header=True),
            Cell(shown_count, Mark(unit, ctx.wave, "respondents.all", "survey", n, not visible), numeric=True),
        ]
        # Each figure as the metrics layer left it, so that this page and the
        # municipality's own page never disagree on what is shown.
        for dimension in ("equality", "impact"):
            row = indices.filter((pl.col("unit_id") == municipality_id) & (pl.col("dimension") == dimension))
            shown = not too_few and row.height > 0 and not row["suppressed"][0] and row["mean"][0] is not None
            cells.append(Cell(
                ctx.fmt.num(row["mean"][0]) if shown else "–",
                Mark(unit, ctx.wave, f"{dimension}.index_mean", "survey", int(row["n"][0]) if shown else None, not shown),
                numeric=True,
            ))
        rows.append(cells)
    return Table(
        ctx.t("municipalities_title"),
        [ctx.t("municipality"), ctx.t("respondents"), ctx.t("card_equality"), ctx.t("card_impact")],
        rows,
    ).html() + blocks.note(ctx.t("municipalities_note", min_unit_n=ctx.params.min_unit_n))
