"""Altair builder for a trend over waves: one small panel per index, its value in each
wave with the 95 % interval, joined by a line that breaks where a wave has no figure.

Rows come suppressed from the metrics layer, as for :mod:`evalkit.charts.survey`: every
row keeps ``n`` and ``suppressed`` (and a hidden row its ``reason``), so the figure
markup the audit reads travels inside the chart. A wave without a figure — hidden, or
nobody answered — is not drawn as a point (nor as zero): the line breaks there and the
wave says why in muted text (a row's ``label``). No I/O here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import altair as alt

import evalkit.charts.survey as survey
import evalkit.theme as theme
from evalkit.charts.templates import template

__all__ = ["LABEL_AT", "trend_panels"]

LABEL_AT = 50.0
"""Where on the 0–100 axis a wave without a figure says why."""


@template
def _trend_template(waves: tuple[str, ...], panels: tuple[str, ...], wave_title: str, value_title: str,
                    title: str) -> str:
    x = alt.X("wave:O", sort=list(waves), scale=alt.Scale(domain=list(waves)), title=wave_title,
              axis=alt.Axis(labelAngle=0))
    y_scale = alt.Scale(domain=[0, 100], nice=False)
    shown = alt.datum.estimate != None  # noqa: E711 - a Vega expression, not a Python comparison
    base = alt.Chart().encode(x=x)
    interval = base.transform_filter(shown).mark_rule(strokeWidth=2, color=theme.MUTED).encode(
        y=alt.Y("ci_low:Q", scale=y_scale, title=value_title, axis=alt.Axis(tickCount=3, values=[0, 50, 100])),
        y2="ci_high:Q",
    )
    # One line per run of waves with figures: ``segment`` changes after a gap.
    line = base.transform_filter(shown).mark_line(color=theme.OKABE_ITO[0]).encode(
        y=alt.Y("estimate:Q", scale=y_scale), detail="segment:N",
    )
    point = base.transform_filter(shown).mark_point(size=70, filled=True, color=theme.OKABE_ITO[0]).encode(
        y=alt.Y("estimate:Q", scale=y_scale),
        tooltip=[alt.Tooltip("panel:N", title=" "), alt.Tooltip("wave:O", title=wave_title),
                 alt.Tooltip("estimate:Q", format=".0f"), alt.Tooltip("ci_low:Q", format=".0f"),
                 alt.Tooltip("ci_high:Q", format=".0f"), alt.Tooltip("n:Q", title="n")],
    )
    why = base.transform_filter(alt.datum.label != None).mark_text(  # noqa: E711
        color=theme.MUTED, fontStyle="italic", fontSize=10).encode(y=alt.Y("y:Q", scale=y_scale), text="label:N")
    chart = alt.layer(interval, line, point, why).properties(width=440, height=80).facet(
        facet=alt.Facet("panel:N", sort=list(panels), title=None,
                        header=alt.Header(labelAnchor="start", labelOrient="top", labelFontWeight="bold",
                                          labelFontSize=12, labelColor=theme.INK)),
        columns=1,
        data=alt.Data(name="rows"),
    ).properties(description=title)
    return json.dumps(chart.to_dict(validate=survey.VALIDATE_SPECS))


def trend_panels(
    rows: Sequence[dict[str, Any]],
    *,
    waves: Sequence[str],
    panels: Sequence[str],
    wave_title: str,
    value_title: str,
    title: str,
) -> dict[str, Any]:
    """One panel per ``panels`` entry (in that order), the waves across (``waves``, baseline
    first), values on 0–100 with their 95 % intervals.

    ``rows``: one per panel and wave with ``panel``, ``wave``, ``estimate``, ``ci_low``,
    ``ci_high``, ``segment`` (the run of consecutive shown waves it belongs to; the line
    joins a run's points only), ``label`` and ``y`` (a wave without a figure: the text
    it shows at ``y``, :data:`LABEL_AT`), ``n`` and ``suppressed`` (and ``reason``
    when suppressed).

    Examples
    --------
    >>> rows = [
    ...     {"panel": "Likeverd", "wave": "2024", "estimate": None, "ci_low": None, "ci_high": None,
    ...      "segment": None, "label": "under 10 svar", "y": LABEL_AT, "n": None, "suppressed": True,
    ...      "reason": "unit"},
    ...     {"panel": "Likeverd", "wave": "2025", "estimate": 70.0, "ci_low": 64.0, "ci_high": 76.0,
    ...      "segment": "0-1", "label": None, "y": None, "n": 14, "suppressed": False}]
    >>> spec = trend_panels(rows, waves=["2024", "2025"], panels=["Likeverd"], wave_title="Runde",
    ...                     value_title="indeks 0–100", title="t")
    >>> spec["spec"]["layer"][0]["encoding"]["x"]["scale"]["domain"], len(spec["datasets"]["rows"])
    (['2024', '2025'], 2)
    """
    spec: dict[str, Any] = json.loads(_trend_template(tuple(waves), tuple(panels), wave_title, value_title, title))
    spec["datasets"] = {"rows": list(rows)}
    return spec
