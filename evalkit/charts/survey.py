"""Altair builders for survey figures: Likert bars, estimates with intervals, differences.

Builders take rows that the metrics layer has already suppressed and return Vega-Lite
specs (dicts). Every data row keeps its ``n`` and ``suppressed`` fields, and a hidden
row its ``reason`` (small, unit or protect; :mod:`evalkit.figure`), so the figure markup
that the audit reads travels inside the chart; a hidden row's label in the chart is its
reason's text (``hidden_texts``: reason → text). No I/O here.

A chart's structure (marks, encodings, scales, titles) depends only on its settings, so
Altair builds it once per settings against named datasets (a cached, registered
:func:`evalkit.charts.templates.template`); each call adds its own rows. Building a
chart with Altair costs tens of milliseconds, and a batch draws thousands.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt

import evalkit.theme as theme
from evalkit.charts.templates import template
from evalkit.i18n import Language

VALIDATE_SPECS = False
"""Validate each template against the Vega-Lite schema when it is built (tests turn it on)."""


def _named(name: str) -> alt.Data:
    return alt.Data(name=name)


def _template(chart: alt.TopLevelMixin) -> str:
    return json.dumps(chart.to_dict(validate=VALIDATE_SPECS))


def _fill(template: str, **datasets: list[dict[str, Any]]) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(template)
    spec["datasets"] = datasets
    return spec


def _category_axis() -> alt.Y:
    return alt.Y("category:N", sort=alt.EncodingSortField(field="order", order="ascending"), title=None,
                 axis=alt.Axis(labelLimit=360))


def _suppressed_layer(x: float) -> alt.Chart:
    """Says why on rows whose figures are hidden (dataset ``suppressed``: each row's
    ``label`` is its reason's text)."""
    layer: alt.Chart = (
        alt.Chart(_named("suppressed"))
        .mark_text(align="left", dx=4, color=theme.MUTED, fontStyle="italic")
        .encode(y=_category_axis(), x=alt.X("x:Q"), text="label:N")
    )
    return layer


def hidden_label(row: Mapping[str, Any], hidden_texts: Mapping[str, str]) -> str:
    """The text a hidden row shows: its reason's (``hidden_texts``: reason → text)."""
    reason = row.get("reason")
    if not isinstance(reason, str) or reason not in hidden_texts:
        raise ValueError(f"a hidden chart row without a known reason: {reason!r}")
    return hidden_texts[reason]


def _suppressed_rows(rows: Sequence[dict[str, Any]], x: float, hidden_texts: Mapping[str, str]) -> list[dict[str, Any]]:
    return [
        {"category": r["category"], "order": r["order"], "x": x, "label": hidden_label(r, hidden_texts), "n": None,
         "suppressed": True, "reason": r["reason"]}
        for r in rows
        if r["suppressed"]
    ]


_ZERO = [{"x": 0, "n": None, "suppressed": False}]


@template
def _likert_template(level_labels: tuple[str, ...], title: str) -> str:
    y = alt.Y("item:N", sort=alt.EncodingSortField(field="order", order="ascending"), title=None,
              axis=alt.Axis(labelLimit=360))
    bars = (
        alt.Chart(_named("segments"))
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
                legend=alt.Legend(orient="bottom", direction="horizontal", columns=3, labelLimit=220),
            ),
            order=alt.Order("level:Q"),
            tooltip=[alt.Tooltip("item:N", title=" "), alt.Tooltip("level_label:N", title=" "),
                     alt.Tooltip("share:Q", format=".0%", title="%")],
        )
    )
    zero = alt.Chart(_named("zero")).mark_rule(color=theme.MUTED).encode(x="x:Q")
    labels = alt.Chart(_named("labels")).mark_text(align="left", dx=4, color=theme.INK).encode(
        y=y, x="x:Q", text="label:N"
    )
    return _template(alt.layer(bars, zero, labels).properties(width=440, height=alt.Step(26), description=title))


def likert_bars(
    rows: Sequence[dict[str, Any]],
    *,
    level_labels: Sequence[str],
    neutral_index: int | None,
    title: str,
    n_label: str,
    language: Language,
    hidden_texts: Mapping[str, str],
) -> dict[str, Any]:
    """Diverging stacked bars centred on the neutral level, with n on every bar.

    ``rows``: one per item and level with ``item`` (label), ``order`` (item order),
    ``level`` (0-based position), ``share`` (0..1 or None), ``n`` and ``suppressed``.
    The neutral level is split half left, half right of zero.

    Examples
    --------
    >>> rows = [{"item": "A", "order": 0, "level": k, "share": s, "n": 10, "suppressed": False}
    ...         for k, s in enumerate([0.1, 0.1, 0.2, 0.3, 0.3])]
    >>> spec = likert_bars(rows, level_labels=list("12345"), neutral_index=2, title="t",
    ...                    n_label="n", language="nb", hidden_texts={})
    >>> [round(r["x0"], 2) for r in spec["datasets"]["segments"]]
    [-0.3, -0.2, -0.1, 0.1, 0.4]
    >>> spec["datasets"]["labels"][0]["label"]
    'n = 10'
    """
    segments: list[dict[str, Any]] = []
    by_item: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_item.setdefault(row["item"], []).append(row)
    end_rows: list[dict[str, Any]] = []
    for item, levels in by_item.items():
        levels = sorted(levels, key=lambda r: r["level"])
        hidden = next((r for r in levels if r["suppressed"]), None)
        n = None if hidden else levels[0]["n"]
        order = levels[0]["order"]
        if hidden:
            end_rows.append({"item": item, "order": order, "x": 0.0, "label": hidden_label(hidden, hidden_texts),
                             "n": None, "suppressed": True, "reason": hidden["reason"]})
            continue
        if all(r["share"] is None for r in levels):  # shown, but nobody answered: only its n
            end_rows.append({"item": item, "order": order, "x": 0.0, "label": f"{n_label} = {n}",
                             "n": n, "suppressed": False})
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
    return _fill(_likert_template(tuple(level_labels), title), segments=segments, zero=_ZERO, labels=end_rows)


@template
def _estimates_template(category_title: str, value_title: str, domain: tuple[float, float], percent: bool,
                        title: str) -> str:
    fmt = ".0%" if percent else ".0f"
    base = alt.Chart(_named("rows")).encode(y=_category_axis())
    x_scale = alt.Scale(domain=list(domain), zero=False)
    rule = base.mark_rule(strokeWidth=2, color=theme.MUTED).encode(
        x=alt.X("ci_low:Q", scale=x_scale, title=value_title, axis=alt.Axis(format=fmt)), x2="ci_high:Q"
    )
    point = base.mark_point(size=90, filled=True, color=theme.OKABE_ITO[0]).encode(
        x=alt.X("estimate:Q", scale=x_scale),
        tooltip=[alt.Tooltip("category:N", title=category_title), alt.Tooltip("estimate:Q", format=fmt),
                 alt.Tooltip("ci_low:Q", format=fmt), alt.Tooltip("ci_high:Q", format=fmt),
                 alt.Tooltip("n:Q", title="n")],
    )
    chart = alt.layer(rule, point, _suppressed_layer(domain[0]))
    return _template(chart.properties(width=440, height=alt.Step(30), description=title))


def estimates_with_intervals(
    rows: Sequence[dict[str, Any]],
    *,
    category_title: str,
    value_title: str,
    domain: tuple[float, float],
    percent: bool,
    title: str,
    hidden_texts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Points with 95 % interval bars, one row per category (suppressed rows say so).

    ``rows`` need ``category``, ``order``, ``estimate``, ``ci_low``, ``ci_high``, ``n``
    and ``suppressed`` (and ``reason`` when suppressed).

    Examples
    --------
    >>> rows = [{"category": "Alle", "order": 0, "estimate": 70.0, "ci_low": 65.0, "ci_high": 75.0,
    ...          "n": 40, "suppressed": False},
    ...         {"category": "EK", "order": 1, "estimate": None, "ci_low": None, "ci_high": None,
    ...          "n": None, "suppressed": True, "reason": "small"}]
    >>> spec = estimates_with_intervals(rows, category_title="Rolle", value_title="indeks",
    ...     domain=(0, 100), percent=False, title="t", hidden_texts={"small": "for få svar"})
    >>> spec["datasets"]["suppressed"][0]["label"], len(spec["datasets"]["rows"])
    ('for få svar', 2)
    """
    return _fill(
        _estimates_template(category_title, value_title, (float(domain[0]), float(domain[1])), percent, title),
        rows=list(rows),
        suppressed=_suppressed_rows(rows, float(domain[0]), hidden_texts or {}),
    )


@template
def _differences_template(value_title: str, percent: bool, title: str, limit: float) -> str:
    fmt = "+.0%" if percent else "+.0f"
    base = alt.Chart(_named("rows")).encode(y=_category_axis())
    scale = alt.Scale(domain=[-limit, limit])
    zero = alt.Chart(_named("zero")).mark_rule(color=theme.MUTED, strokeDash=[4, 3]).encode(
        x=alt.X("x:Q", scale=scale)
    )
    rule = base.mark_rule(strokeWidth=2, color=theme.MUTED).encode(
        x=alt.X("ci_low:Q", scale=scale, title=value_title, axis=alt.Axis(format=fmt)), x2="ci_high:Q"
    )
    point = base.mark_point(size=90, filled=True, color=theme.OKABE_ITO[0]).encode(
        x=alt.X("estimate:Q", scale=scale),
        tooltip=[alt.Tooltip("category:N", title=" "), alt.Tooltip("estimate:Q", format=fmt),
                 alt.Tooltip("ci_low:Q", format=fmt), alt.Tooltip("ci_high:Q", format=fmt)],
    )
    chart = alt.layer(zero, rule, point, _suppressed_layer(-limit))
    return _template(chart.properties(width=440, height=alt.Step(30), description=title))


def differences(
    rows: Sequence[dict[str, Any]],
    *,
    value_title: str,
    percent: bool,
    title: str,
    limit: float,
    hidden_texts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Differences with 95 % intervals around a zero line (gaps, changes, promoters).

    Examples
    --------
    >>> rows = [{"category": "Likeverd", "order": 0, "estimate": -4.0, "ci_low": -10.0,
    ...          "ci_high": 3.0, "n": 50, "suppressed": False}]
    >>> spec = differences(rows, value_title="poeng", percent=False, title="t", limit=40)
    >>> spec["layer"][0]["encoding"]["x"]["scale"]["domain"]
    [-40.0, 40.0]
    """
    return _fill(
        _differences_template(value_title, percent, title, float(limit)),
        rows=list(rows),
        zero=_ZERO,
        suppressed=_suppressed_rows(rows, -float(limit), hidden_texts or {}),
    )


@template
def _share_bars_template(value_title: str, title: str) -> str:
    base = alt.Chart(_named("rows")).encode(y=_category_axis())
    scale = alt.Scale(domain=[0, 1])
    bars = base.mark_bar(color=theme.OKABE_ITO[0]).encode(
        x=alt.X("estimate:Q", scale=scale, title=value_title, axis=alt.Axis(format=".0%")),
        tooltip=[alt.Tooltip("category:N", title=" "), alt.Tooltip("estimate:Q", format=".0%"),
                 alt.Tooltip("n:Q", title="n")],
    )
    rule = base.mark_rule(color=theme.INK).encode(x="ci_low:Q", x2="ci_high:Q")
    chart = alt.layer(bars, rule, _suppressed_layer(0.0))
    return _template(chart.properties(width=440, height=alt.Step(28), description=title))


def share_bars(
    rows: Sequence[dict[str, Any]],
    *,
    value_title: str,
    title: str,
    hidden_texts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Horizontal bars of shares (0..1) with their intervals, e.g. recruitment channels.

    Examples
    --------
    >>> rows = [{"category": "Brukerorganisasjon", "order": 0, "estimate": 0.5, "ci_low": 0.3,
    ...          "ci_high": 0.7, "n": 16, "suppressed": False}]
    >>> share_bars(rows, value_title="Andel", title="t")["datasets"]["rows"][0]["n"]
    16
    """
    return _fill(_share_bars_template(value_title, title), rows=list(rows),
                 suppressed=_suppressed_rows(rows, 0.0, hidden_texts or {}))


@template
def _sides_template(side_labels: tuple[str, ...], value_title: str, title: str) -> str:
    base = alt.Chart(_named("rows")).encode(
        y=_category_axis(),
        yOffset=alt.YOffset("side:N", sort=list(side_labels), scale=alt.Scale(domain=list(side_labels))),
    )
    scale = alt.Scale(domain=[0, 1])
    color = alt.Color("side:N", title=None, sort=list(side_labels),
                      scale=alt.Scale(domain=list(side_labels), range=list(theme.OKABE_ITO[: len(side_labels)])),
                      legend=alt.Legend(orient="bottom", direction="vertical", labelLimit=420))
    rule = base.mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", scale=scale, title=value_title, axis=alt.Axis(format=".0%")), x2="ci_high:Q",
        color=color,
    )
    point = base.mark_point(size=80, filled=True).encode(
        x=alt.X("estimate:Q", scale=scale), color=color,
        tooltip=[alt.Tooltip("category:N", title=" "), alt.Tooltip("side:N", title=" "),
                 alt.Tooltip("estimate:Q", format=".0%"), alt.Tooltip("ci_low:Q", format=".0%"),
                 alt.Tooltip("ci_high:Q", format=".0%"), alt.Tooltip("n:Q", title="n")],
    )
    gone = (
        alt.Chart(_named("suppressed"))
        .mark_text(align="left", dx=4, color=theme.MUTED, fontStyle="italic")
        .encode(y=_category_axis(), yOffset=alt.YOffset("side:N", sort=list(side_labels),
                                                         scale=alt.Scale(domain=list(side_labels))),
                x=alt.X("x:Q", scale=scale), text="label:N")
    )
    chart = alt.layer(rule, point, gone)
    return _template(chart.properties(width=440, height=alt.Step(18), description=title))


def sides_with_intervals(
    rows: Sequence[dict[str, Any]],
    *,
    side_labels: Sequence[str],
    value_title: str,
    title: str,
    hidden_texts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Two (or more) sides' shares (0..1) per statement, each with its 95 % interval.

    ``rows``: one per statement and side with ``category`` (statement), ``order``,
    ``side`` (one of ``side_labels``), ``estimate``, ``ci_low``, ``ci_high``, ``n`` and
    ``suppressed`` (and ``reason`` when suppressed); a suppressed row says why in the
    chart (``hidden_texts``: reason → text) and carries no figure.

    Examples
    --------
    >>> rows = [{"category": "A", "order": 0, "side": "U", "estimate": 0.5, "ci_low": 0.3,
    ...          "ci_high": 0.7, "n": 20, "suppressed": False},
    ...         {"category": "A", "order": 0, "side": "P", "estimate": None, "ci_low": None,
    ...          "ci_high": None, "n": None, "suppressed": True, "reason": "protect"}]
    >>> spec = sides_with_intervals(rows, side_labels=["U", "P"], value_title="%", title="t",
    ...                             hidden_texts={"protect": "skjult"})
    >>> [(r["side"], r["label"], r["n"]) for r in spec["datasets"]["suppressed"]]
    [('P', 'skjult', None)]
    """
    gone = [
        {"category": r["category"], "order": r["order"], "side": r["side"], "x": 0.0,
         "label": hidden_label(r, hidden_texts or {}), "n": None, "suppressed": True, "reason": r["reason"]}
        for r in rows if r["suppressed"]
    ]
    return _fill(_sides_template(tuple(side_labels), value_title, title), rows=list(rows), suppressed=gone)
