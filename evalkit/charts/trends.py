"""Altair builder for a trend over waves: a row per index, in it one point per wave (in
wave order, earliest on top, each wave its own shade) with its 95 % interval,
and a thin line through the waves' points that breaks where a wave has no figure.

Rows come suppressed from the metrics layer, as for :mod:`evalkit.charts.survey`: every
row keeps ``n`` and ``suppressed`` (and a hidden row its ``reason``), so the figure
markup the audit reads travels inside the chart. A wave without a figure — hidden, or
nobody answered — is not drawn as a point (nor as zero): the line breaks there, and the
wave's place in the row says why in muted text (a row's ``label``). One chart, not
small multiples: a page carries every chart twice (its spec and its drawing), and a
panel per index with axes of its own costs twice the bytes. No I/O here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import altair as alt

import evalkit.charts.survey as survey
import evalkit.theme as theme
from evalkit.charts.templates import template

__all__ = ["trend_rows_chart"]

@template
def _trend_template(waves: tuple[str, ...], categories: tuple[str, ...], value_title: str, title: str) -> str:
    x_scale = alt.Scale(domain=[0, 100])
    x_axis = alt.Axis(values=[0, 25, 50, 75, 100])
    # Later waves darker, and lower in their row: colour is not the only cue.
    color = alt.Color("wave:N", sort=list(waves), legend=alt.Legend(orient="bottom", direction="horizontal", title=None),
                      scale=alt.Scale(domain=list(waves), scheme={"name": "blues", "extent": [0.3, 0.95]}))
    shown = alt.datum.estimate != None  # noqa: E711 - a Vega expression, not a Python comparison
    interval = alt.Chart().transform_filter(shown).mark_rule(strokeWidth=2).encode(
        x=alt.X("ci_low:Q", scale=x_scale, axis=x_axis, title=value_title), x2="ci_high:Q", color=color)
    # One line per run of waves with figures (``segment`` changes after a gap), in wave order.
    line = alt.Chart().transform_filter(shown).mark_line(color=theme.MUTED, strokeWidth=1).encode(
        x="estimate:Q", detail="segment:N", order="wave:O")
    point = alt.Chart().transform_filter(shown).mark_point(size=60, filled=True, opacity=1).encode(
        x="estimate:Q", color=color)
    why = alt.Chart().transform_filter(alt.datum.label != None).mark_text(  # noqa: E711
        align="left", dx=4, color=theme.MUTED, fontStyle="italic", fontSize=10).encode(x="x:Q", text="label:N")
    chart = alt.layer(interval, line, point, why, data=alt.Data(name="rows")).encode(
        y=alt.Y("category:N", sort=list(categories), scale=alt.Scale(domain=list(categories)), title=None,
                axis=alt.Axis(labelLimit=360)),
        yOffset=alt.YOffset("wave:N", sort=list(waves), scale=alt.Scale(domain=list(waves))),
    ).properties(width=440, height=alt.Step(13), description=title)
    return json.dumps(chart.to_dict(validate=survey.VALIDATE_SPECS))


def trend_rows_chart(
    rows: Sequence[dict[str, Any]],
    *,
    waves: Sequence[str],
    categories: Sequence[str],
    value_title: str,
    title: str,
) -> dict[str, Any]:
    """A row per ``categories`` entry (in that order), a point per wave in it (``waves``,
    baseline first), values on 0–100 with their 95 % intervals.

    ``rows``: one per category and wave with ``category``, ``wave``, ``n`` and
    ``suppressed`` (and ``reason`` when suppressed); a shown point also ``estimate``,
    ``ci_low``, ``ci_high`` and ``segment`` (its run of consecutive shown waves: the line
    joins a run's points only); a wave without a figure ``label`` (what it shows, at
    ``x`` = 0) instead.

    Examples
    --------
    >>> rows = [
    ...     {"category": "Likeverd", "wave": "2024", "label": "under 10 svar", "x": 0.0, "n": None,
    ...      "suppressed": True, "reason": "unit"},
    ...     {"category": "Likeverd", "wave": "2025", "estimate": 70.0, "ci_low": 64.0, "ci_high": 76.0,
    ...      "segment": "0-1", "n": 14, "suppressed": False}]
    >>> spec = trend_rows_chart(rows, waves=["2024", "2025"], categories=["Likeverd"],
    ...                         value_title="indeks 0–100", title="t")
    >>> spec["encoding"]["yOffset"]["scale"]["domain"], len(spec["datasets"]["rows"])
    (['2024', '2025'], 2)
    """
    spec: dict[str, Any] = json.loads(_trend_template(tuple(waves), tuple(categories), value_title, title))
    spec["datasets"] = {"rows": list(rows)}
    return spec
