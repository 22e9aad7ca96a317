"""The trend of a unit's indices over every wave up to the report's (issue 17).

Each point is the unit's index (everyone) in one wave, as the metrics layer left it:
shown with its n, or hidden with its reason (small, unit, protect) — the same figure
the unit's page of that wave shows. A wave in which nobody in the unit has the index
(no respondents, or none who answered enough of its statements) has no row at all: its
point is absent (not zero), the line breaks, and the table says "no answers" without
figure markup, since there is no figure.

The numbers behind the chart are a table with a row per dimension and a column per
wave; a cell holds the value, its interval and its n, and is the figure
``<dim>.trend.index_mean`` (``data-wave`` the point's wave, ``data-n`` the people with
the index); the chart is ``trend.index_mean``.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from evalkit.charts.trends import trend_rows_chart
from evalkit.figure import Cell, Figure, Mark, Reason, Table
from evalkit.metrics.trends import trend_waves
from evalkit.report.context import ReportContext

__all__ = ["index_trend", "waves_of_trend"]


def waves_of_trend(ctx: ReportContext) -> list[str]:
    """The waves the page's trend runs over: every wave up to the page's, baseline first."""
    return trend_waves(ctx.ref.wave_order(), ctx.wave)


def _points(ctx: ReportContext, waves: list[str]) -> pl.DataFrame:
    """The unit's index rows (everyone) in ``waves``."""
    return ctx.frame("indices").filter(
        (pl.col("unit_level") == ctx.level) & (pl.col("unit_id") == ctx.unit_id)
        & (pl.col("role_group") == "all") & pl.col("wave").is_in(pl.Series(waves, dtype=pl.String).implode())
    )


def index_trend(ctx: ReportContext) -> Figure | None:
    """The unit's indices in every wave up to the page's, with their intervals (None: the
    unit has no index row in any of them)."""
    waves = waves_of_trend(ctx)
    points = _points(ctx, waves)
    present = set(points["dimension"].to_list())
    dimensions = [d for d in ctx.instrument.dimensions if d in present]
    if not dimensions:
        return None
    chart_rows: list[dict[str, Any]] = []
    table_rows: list[list[Cell]] = []
    sentences: list[str] = []
    reasons: list[Reason | None] = []
    for order, dimension in enumerate(dimensions):
        label = ctx.dimension_label(dimension)
        figure = f"{dimension}.trend.index_mean"
        cells = [Cell(label, header=True)]
        said: list[str] = []
        segment, joined = 0, False
        for wave in waves:
            found = points.filter((pl.col("dimension") == dimension) & (pl.col("wave") == wave))
            row = found.row(0, named=True) if found.height else None
            reason = ctx.reason(row)
            mark = Mark(ctx.unit_key, wave, figure, "survey", None if reason or row is None else row["n"], reason)
            if row is not None and reason is None and row["mean"] is not None:
                segment += 0 if joined else 1
                joined = True
                chart_rows.append({"category": label, "wave": wave, "estimate": row["mean"], "ci_low": row["ci_low"],
                                   "ci_high": row["ci_high"], "segment": f"{order}-{segment}", "n": row["n"],
                                   "suppressed": False})
                cells.append(Cell(ctx.t("trend_cell", value=ctx.fmt.num(row["mean"]),
                                        interval=ctx.fmt.interval(row["ci_low"], row["ci_high"], percent=False),
                                        n=ctx.n_text(row["n"], None)), mark, numeric=True))
                said.append(ctx.t("trend_point", value=ctx.fmt.num(row["mean"]), wave=wave))
                reasons.append(None)
                continue
            joined = False
            if reason is not None:  # hidden: its reason, as on every other figure
                why = ctx.hidden_text(reason)
                chart_rows.append({"category": label, "wave": wave, "label": why,
                                   "x": 0.0, "n": None, "suppressed": True, "reason": reason})
                cells.append(Cell(why, mark, numeric=True))
                reasons.append(reason)
            else:  # no figure at all in this wave: nothing to mark
                why = ctx.t("trend_no_answers")
                chart_rows.append({"category": label, "wave": wave, "label": why,
                                   "x": 0.0, "n": None, "suppressed": False})
                cells.append(Cell(why))
            said.append(ctx.t("trend_point_hidden", reason=why, wave=wave))
        table_rows.append(cells)
        sentences.append(ctx.t("trend_sentence", dimension=label, points=_listed(ctx, said)))
    title = ctx.t("trend_title", first=waves[0], last=waves[-1])
    labels = [ctx.dimension_label(d) for d in dimensions]
    spec = trend_rows_chart(chart_rows, waves=waves, categories=labels, value_title=ctx.t("index_0_100"), title=title)
    table = Table(title, [ctx.t("dimension"), *waves], table_rows)
    if any(r is None for r in reasons):  # a point shown
        description = " ".join([ctx.t("trend_intro"), *sentences])
    else:
        description = ctx.hidden_all_text(reasons)
    return ctx.figure(spec, title, description, table, "trend.index_mean")


def _listed(ctx: ReportContext, parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return ctx.t("list_and", head=", ".join(parts[:-1]), last=parts[-1])
