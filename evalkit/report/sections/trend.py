"""The trend of a unit's indices over every wave up to the report's (issue 17).

Each point is the unit's index (everyone) in one wave, as the metrics layer left it:
shown with its n, or hidden with its reason (small, unit, protect) — the same figure
the unit's page of that wave shows. A wave in which nobody in the unit has the index
(no respondents, or none who answered enough of its statements) has no row at all: its
point is absent (not zero), the line breaks, and the table says "no answers" without
figure markup, since there is no figure.

Figure ids (one per dimension, each cell's ``data-wave`` the point's wave):
``<dim>.trend.index_mean`` (the value), ``….ci`` (its interval) and ``….n`` (the people
with the index); the chart is ``trend.index_mean``.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from evalkit.charts.trends import LABEL_AT, trend_panels
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
        said: list[str] = []
        segment, joined = 0, False
        for wave in waves:
            found = points.filter((pl.col("dimension") == dimension) & (pl.col("wave") == wave))
            row = found.row(0, named=True) if found.height else None
            reason = ctx.reason(row)
            shown = row is not None and reason is None and row["mean"] is not None
            if shown:
                assert row is not None
                segment += 0 if joined else 1
                joined = True
                chart_rows.append(_row(label, wave, row, f"{order}-{segment}"))
                table_rows.append(_shown_cells(ctx, label, wave, figure, row))
                said.append(ctx.t("trend_point", value=ctx.fmt.num(row["mean"]), wave=wave))
                reasons.append(None)
                continue
            joined = False
            if reason is not None:  # hidden: its reason, as on every other figure
                text = ctx.hidden_text(reason)
                chart_rows.append(_row(label, wave, None, None, why=text, reason=reason))
                table_rows.append(_hidden_cells(ctx, label, wave, figure, reason))
                said.append(ctx.t("trend_point_hidden", reason=text, wave=wave))
                reasons.append(reason)
                continue
            # No figure at all in this wave: nothing to mark.
            text = ctx.t("trend_no_answers")
            chart_rows.append(_row(label, wave, None, None, why=text))
            table_rows.append([Cell(label, header=True), Cell(wave, header=True), Cell(text), Cell("–"), Cell("–")])
            said.append(ctx.t("trend_point_hidden", reason=text, wave=wave))
        sentences.append(ctx.t("trend_sentence", dimension=label, points=_listed(ctx, said)))
    title = ctx.t("trend_title", first=waves[0], last=waves[-1])
    spec = trend_panels(chart_rows, waves=waves, panels=[ctx.dimension_label(d) for d in dimensions],
                        wave_title=ctx.t("round"), value_title=ctx.t("index_0_100"), title=title)
    table = Table(title, [ctx.t("dimension"), ctx.t("round"), ctx.t("index_0_100"), ctx.t("interval_95"),
                          ctx.t("respondents")], table_rows)
    if any(r is None for r in reasons):  # a point shown
        description = " ".join([ctx.t("trend_intro"), *sentences])
    else:
        description = ctx.hidden_all_text(reasons)
    return ctx.figure(spec, title, description, table, "trend.index_mean")


def _listed(ctx: ReportContext, parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return ctx.t("list_and", head=", ".join(parts[:-1]), last=parts[-1])


def _row(panel: str, wave: str, row: dict[str, Any] | None, segment: str | None, *, why: str | None = None,
         reason: Reason | None = None) -> dict[str, Any]:
    """A chart row: a shown point (``row``), or a wave without one that says ``why``."""
    out: dict[str, Any] = {
        "panel": panel, "wave": wave,
        "estimate": None if row is None else row["mean"],
        "ci_low": None if row is None else row["ci_low"],
        "ci_high": None if row is None else row["ci_high"],
        "segment": segment, "label": why, "y": None if why is None else LABEL_AT,
        "n": None if row is None else row["n"],
        "suppressed": reason is not None,
    }
    if reason is not None:
        out["reason"] = reason
    return out


def _mark(ctx: ReportContext, wave: str, figure: str, n: int | None, reason: Reason | None) -> Mark:
    return Mark(ctx.unit_key, wave, figure, "survey", None if reason else n, reason)


def _shown_cells(ctx: ReportContext, label: str, wave: str, figure: str, row: dict[str, Any]) -> list[Cell]:
    n = row["n"]
    return [
        Cell(label, header=True),
        Cell(wave, header=True),
        Cell(ctx.fmt.num(row["mean"]), _mark(ctx, wave, figure, n, None), numeric=True),
        Cell(ctx.fmt.span(row["ci_low"], row["ci_high"], percent=False), _mark(ctx, wave, figure + ".ci", n, None),
             numeric=True),
        Cell(ctx.n_text(n, None), _mark(ctx, wave, figure + ".n", n, None), numeric=True),
    ]


def _hidden_cells(ctx: ReportContext, label: str, wave: str, figure: str, reason: Reason) -> list[Cell]:
    return [
        Cell(label, header=True),
        Cell(wave, header=True),
        Cell(ctx.hidden_text(reason), _mark(ctx, wave, figure, None, reason), numeric=True),
        Cell("–", _mark(ctx, wave, figure + ".ci", None, reason), numeric=True),
        Cell(ctx.hidden_text(reason), _mark(ctx, wave, figure + ".n", None, reason), numeric=True),
    ]
