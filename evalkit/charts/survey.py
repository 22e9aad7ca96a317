"""Altair builders for survey figures: Likert bars, estimates with intervals, differences.

Builders take rows that the metrics layer has already suppressed and return Vega-Lite
specs (dicts). Every data row keeps its ``n`` and ``suppressed`` fields, so the figure
markup that the audit reads travels inside the chart. No I/O here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import altair as alt

import evalkit.theme as theme
from evalkit.i18n import Language


def _to_dict(chart: alt.TopLevelMixin) -> dict[str, Any]:
    spec = chart.to_dict(validate=True)
    assert isinstance(spec, dict)
    return spec


def _suppressed_labels(rows: Sequence[dict[str, Any]], x: float, label: str) -> alt.Chart:
    """Say "too few responses" on the rows whose figures are suppressed."""
    marked = [
        {"category": r["category"], "order": r["order"], "x": x, "label": label, "n": None, "suppressed": True}
        for r in rows
        if r["suppressed"]
    ]
    layer: alt.Chart = (
        alt.Chart(alt.Data(values=marked))
        .mark_text(align="left", dx=4, color=theme.MUTED, fontStyle="italic")
        .encode(
            y=alt.Y("category:N", sort=alt.EncodingSortField(field="order", order="ascending"), title=None),
            x=alt.X("x:Q"),
            text="label:N",
        )
    )
    return layer


def likert_bars(
    rows: Sequence[dict[str, Any]],
    *,
    level_labels: Sequence[str],
    neutral_index: int | None,
    title: str,
    n_label: str,
    language: Language,
    suppressed_text: str,
) -> dict[str, Any]:
    """Diverging stacked bars centred on the neutral level, with n on every bar.

    ``rows``: one per item and level with ``item`` (label), ``order`` (item order),
    ``level`` (0-based position), ``share`` (0..1 or None), ``n`` and ``suppressed``.
    The neutral level is split half left, half right of zero.
    """
    segments: list[dict[str, Any]] = []
    by_item: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_item.setdefault(row["item"], []).append(row)
    end_rows: list[dict[str, Any]] = []
    for item, levels in by_item.items():
        levels = sorted(levels, key=lambda r: r["level"])
        suppressed = any(r["suppressed"] for r in levels)
        n = None if suppressed else levels[0]["n"]
        order = levels[0]["order"]
        if suppressed:
            end_rows.append({"item": item, "order": order, "x": 0.0, "label": suppressed_text,
                             "n": None, "suppressed": True})
            continue
        shares = [float(r["share"] or 0.0) for r in levels]
        if neutral_index is None:
            left = sum(shares[: len(shares) // 2])
        else:
            left = sum(shares[:neutral_index]) + shares[neutral_index] / 2
        start = -left
        for r, share in zip(levels, shares, strict=True):
            segments.append(
                {
                    "item": item,
                    "order": order,
                    "level_label": level_labels[r["level"]],
                    "level": r["level"],
                    "x0": start,
                    "x1": start + share,
                    "share": share,
                    "n": n,
                    "suppressed": False,
                }
            )
            start += share
        end_rows.append({"item": item, "order": order, "x": start, "label": f"{n_label} = {n}",
                         "n": n, "suppressed": False})
    sort = alt.EncodingSortField(field="order", order="ascending")
    y = alt.Y("item:N", sort=sort, title=None, axis=alt.Axis(labelLimit=360))
    bars = (
        alt.Chart(alt.Data(values=segments))
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("x0:Q", title=None, axis=alt.Axis(format=".0%", labelExpr="replace(datum.label, '\u2212', '')"),
                    scale=alt.Scale(domain=[-1, 1])),
            x2="x1:Q",
            color=alt.Color(
                "level_label:N",
                title=None,
                sort=list(level_labels),
                scale=alt.Scale(domain=list(level_labels), range=list(theme.LIKERT_5[: len(level_labels)])),
                legend=alt.Legend(orient="bottom", direction="horizontal"),
            ),
            order=alt.Order("level:Q"),
            tooltip=[alt.Tooltip("item:N", title=" "), alt.Tooltip("level_label:N", title=" "),
                     alt.Tooltip("share:Q", format=".0%", title="%")],
        )
    )
    zero = alt.Chart(alt.Data(values=[{"x": 0, "n": None, "suppressed": False}])).mark_rule(color=theme.MUTED).encode(x="x:Q")
    labels = (
        alt.Chart(alt.Data(values=end_rows))
        .mark_text(align="left", dx=4, color=theme.INK)
        .encode(y=y, x="x:Q", text="label:N")
    )
    chart = alt.layer(bars, zero, labels).properties(width=440, height=alt.Step(26), description=title)
    return _to_dict(chart)


def estimates_with_intervals(
    rows: Sequence[dict[str, Any]],
    *,
    category_title: str,
    value_title: str,
    domain: tuple[float, float],
    percent: bool,
    title: str,
    colour_field: str | None = None,
    colour_title: str | None = None,
    suppressed_text: str = "",
) -> dict[str, Any]:
    """Points with 95 % interval bars, one row per category (suppressed rows left empty).

    ``rows`` need ``category``, ``order``, ``estimate``, ``ci_low``, ``ci_high``, ``n``,
    ``suppressed`` (and ``colour_field`` when given).
    """
    fmt = ".0%" if percent else ".0f"
    base = alt.Chart(alt.Data(values=list(rows))).encode(
        y=alt.Y("category:N", sort=alt.EncodingSortField(field="order", order="ascending"), title=None,
                axis=alt.Axis(labelLimit=360)),
    )
    x_scale = alt.Scale(domain=list(domain), zero=False)
    rule = base.mark_rule(strokeWidth=2, color=theme.MUTED).encode(
        x=alt.X("ci_low:Q", scale=x_scale, title=value_title, axis=alt.Axis(format=fmt)), x2="ci_high:Q"
    )
    colour: Any = alt.value(theme.OKABE_ITO[0])
    if colour_field:
        colour = alt.Color(f"{colour_field}:N", title=colour_title)
    point = base.mark_point(size=90, filled=True).encode(
        x=alt.X("estimate:Q", scale=x_scale),
        color=colour,
        tooltip=[alt.Tooltip("category:N", title=category_title), alt.Tooltip("estimate:Q", format=fmt),
                 alt.Tooltip("ci_low:Q", format=fmt), alt.Tooltip("ci_high:Q", format=fmt),
                 alt.Tooltip("n:Q", title="n")],
    )
    chart = alt.layer(rule, point, _suppressed_labels(rows, domain[0], suppressed_text)).properties(
        width=440, height=alt.Step(30), description=title
    )
    return _to_dict(chart)


def differences(
    rows: Sequence[dict[str, Any]],
    *,
    value_title: str,
    percent: bool,
    title: str,
    limit: float,
    suppressed_text: str = "",
) -> dict[str, Any]:
    """Differences with 95 % intervals around a zero line (gaps, changes, promoters)."""
    fmt = "+.0%" if percent else "+.0f"
    base = alt.Chart(alt.Data(values=list(rows))).encode(
        y=alt.Y("category:N", sort=alt.EncodingSortField(field="order", order="ascending"), title=None,
                axis=alt.Axis(labelLimit=360)),
    )
    scale = alt.Scale(domain=[-limit, limit])
    zero = alt.Chart(alt.Data(values=[{"x": 0, "n": None, "suppressed": False}])).mark_rule(
        color=theme.MUTED, strokeDash=[4, 3]
    ).encode(x=alt.X("x:Q", scale=scale))
    rule = base.mark_rule(strokeWidth=2, color=theme.MUTED).encode(
        x=alt.X("ci_low:Q", scale=scale, title=value_title, axis=alt.Axis(format=fmt)), x2="ci_high:Q"
    )
    point = base.mark_point(size=90, filled=True, color=theme.OKABE_ITO[0]).encode(
        x=alt.X("estimate:Q", scale=scale),
        tooltip=[alt.Tooltip("category:N", title=" "), alt.Tooltip("estimate:Q", format=fmt),
                 alt.Tooltip("ci_low:Q", format=fmt), alt.Tooltip("ci_high:Q", format=fmt)],
    )
    chart = alt.layer(zero, rule, point, _suppressed_labels(rows, -limit, suppressed_text)).properties(
        width=440, height=alt.Step(30), description=title
    )
    return _to_dict(chart)


def share_bars(
    rows: Sequence[dict[str, Any]],
    *,
    value_title: str,
    title: str,
    suppressed_text: str = "",
) -> dict[str, Any]:
    """Horizontal bars of shares (0..1) with their intervals, e.g. recruitment channels."""
    base = alt.Chart(alt.Data(values=list(rows))).encode(
        y=alt.Y("category:N", sort=alt.EncodingSortField(field="order", order="ascending"), title=None,
                axis=alt.Axis(labelLimit=360)),
    )
    scale = alt.Scale(domain=[0, 1])
    bars = base.mark_bar(color=theme.OKABE_ITO[0]).encode(
        x=alt.X("estimate:Q", scale=scale, title=value_title, axis=alt.Axis(format=".0%")),
        tooltip=[alt.Tooltip("category:N", title=" "), alt.Tooltip("estimate:Q", format=".0%"),
                 alt.Tooltip("n:Q", title="n")],
    )
    rule = base.mark_rule(color=theme.INK).encode(x="ci_low:Q", x2="ci_high:Q")
    chart = alt.layer(bars, rule, _suppressed_labels(rows, 0.0, suppressed_text)).properties(
        width=440, height=alt.Step(28), description=title
    )
    return _to_dict(chart)
