"""Page building blocks and the figure markup that the disclosure audit reads.

Every element that shows a figure carries machine-readable markup:

``data-unit``
    ``<level>:<id>`` of the unit the figure describes, e.g. ``municipality:0301``.
``data-wave``
    The wave label.
``data-figure``
    What the figure is: ``<dimension or item>.<statistic>`` (``equality.index_mean``).
``data-source``
    ``survey`` (people's answers; suppression rules apply), ``teams`` (a team's
    practice, counted in teams) or ``measures`` (monthly improvement measures).
``data-n`` / ``data-suppressed``
    The people (or teams) behind a visible figure (a visible figure carries no
    ``data-suppressed``; a visible count carries its integer), or, for a hidden figure,
    ``data-suppressed`` with the reason it is hidden and then no n at all:

    ``small``
        based on fewer than ``min_cell_n`` people (page text "under 5" for a count,
        "for få svar" for a result);
    ``unit``
        the unit has fewer than ``min_unit_n`` respondents in the wave (the text names
        the unit's size: "under 10 svar"; a small unit's respondent total is shown as
        the range "under 10");
    ``protect``
        hidden so that a small number elsewhere cannot be worked out from it ("skjult
        av personvernhensyn").

    The data layer's reason codes map onto these (:data:`DATA_REASONS`); a figure of a
    unit that is not published (``not_published``, ``internal_only``) is never rendered
    (:func:`reason_of` raises :class:`UnpublishedFigure`).

Charts carry the unit, wave, figure and source on their ``<figure>`` element, and every
row of the data embedded in the chart's spec has ``n`` and ``suppressed`` fields with
the same meaning, and a ``reason`` (small, unit or protect) when ``suppressed`` is true
(a suppressed row has ``n`` null and no estimate).

Only objects from this module reach a published page: the exporter
(:mod:`evalkit.render`) renders nothing else a notebook displays.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from evalkit.i18n import Language, settle, text
from evalkit.templating import macro

FIGURE_MIME = "application/vnd.evalkit.figure+json"
HTML_MIME = "application/vnd.evalkit.html+json"
PAGE_MIME = "application/vnd.evalkit.page+json"
"""Output types of evalkit's figures, blocks and page metadata: what the page export
(:mod:`evalkit.render`) shows. Defined here, so that a notebook building a report never
imports nbconvert."""

Source = Literal["survey", "teams", "measures"]
Reason = Literal["small", "unit", "protect"]
REASONS: Final[tuple[Reason, ...]] = ("small", "unit", "protect")
"""The values of ``data-suppressed`` (and of a hidden chart row's ``reason``)."""
DATA_REASONS: Final[Mapping[str, Reason]] = {
    "n_below_min_cell_n": "small",
    "unit_below_min_unit_n": "unit",
    "complementary": "protect",
}
"""The metrics layer's reason codes (a prepared frame's ``reason``) → the page's reason."""
UNPUBLISHED_REASONS: Final = frozenset({"not_published", "internal_only"})
"""Reason codes of figures that never reach a page (the unit is not published)."""


class UnpublishedFigure(ValueError):
    """A figure of a unit that is not published was about to be rendered."""


def reason_of(code: str | None) -> Reason:
    """The page's reason for a hidden figure, from the metrics layer's reason code.

    Examples
    --------
    >>> reason_of("n_below_min_cell_n"), reason_of("unit_below_min_unit_n"), reason_of("complementary")
    ('small', 'unit', 'protect')
    >>> reason_of("not_published")
    Traceback (most recent call last):
    ...
    evalkit.figure.UnpublishedFigure: a figure hidden as 'not_published' must not be rendered (its unit is not published)
    """
    if code in UNPUBLISHED_REASONS:
        raise UnpublishedFigure(f"a figure hidden as {code!r} must not be rendered (its unit is not published)")
    if code in REASONS:
        return code
    reason = DATA_REASONS.get(code or "")
    if reason is None:
        raise ValueError(f"no page reason for the hidden figure's reason code {code!r}")
    return reason
LAB_VEGALITE_MIME = "application/vnd.vegalite.v5+json"


def esc(value: object) -> str:
    """Escape text from data (names, labels) for HTML: it shows as text, never runs.

    Examples
    --------
    >>> esc('<script>alert(1)</script>')
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    return html.escape("" if value is None else str(value), quote=True)


def hidden_text(reason: Reason, language: Language, *, min_cell_n: int, min_unit_n: int, count: bool = False) -> str:
    """What a hidden figure shows instead of itself: why it is hidden (the text store's
    ``hidden_*``). ``count``: a count of people, where ``small`` reads "under 5" and
    ``unit`` "under 10" (a range); a result reads "for få svar" / "under 10 svar".

    Examples
    --------
    >>> [hidden_text(r, "nb", min_cell_n=5, min_unit_n=10) for r in REASONS]
    ['for få svar', 'under 10 svar', 'skjult av personvernhensyn']
    >>> [hidden_text(r, "en", min_cell_n=3, min_unit_n=8, count=True) for r in REASONS]
    ['fewer than 3', 'fewer than 8', 'hidden for privacy']
    """
    if reason == "small":
        return text("hidden_small_count", language, n=min_cell_n) if count else text("hidden_small", language)
    if reason == "unit":
        return text("hidden_unit_count" if count else "hidden_unit", language, n=min_unit_n)
    if reason == "protect":
        return text("hidden_protect", language)
    raise ValueError(f"unknown reason {reason!r}")


@dataclass(frozen=True)
class Mark:
    """The markup of one figure (see the module docstring)."""

    unit: str
    wave: str
    figure: str
    source: Source
    n: int | None = None
    reason: Reason | None = None
    """Why the figure is hidden (None: it is shown)."""

    def __post_init__(self) -> None:
        if self.reason is not None and self.reason not in REASONS:
            raise ValueError(f"figure {self.figure}: reason {self.reason!r} is not one of {REASONS}")
        if self.suppressed and self.n is not None:
            raise ValueError(f"suppressed figure {self.figure} must not carry an n")

    @property
    def suppressed(self) -> bool:
        return self.reason is not None

    def attrs(self) -> str:
        """The markup as HTML attributes.

        Examples
        --------
        >>> Mark("municipality:0301", "2026", "equality.index_mean", "survey", n=42).attrs()
        'data-unit="municipality:0301" data-wave="2026" data-figure="equality.index_mean" data-source="survey" data-n="42"'
        >>> Mark("team:T1", "2026", "equality.index_mean", "survey", reason="small").attrs()
        'data-unit="team:T1" data-wave="2026" data-figure="equality.index_mean" data-source="survey" data-suppressed="small"'
        """
        base = (
            f'data-unit="{esc(self.unit)}" data-wave="{esc(self.wave)}" '
            f'data-figure="{esc(self.figure)}" data-source="{esc(self.source)}"'
        )
        if self.reason is not None:
            return base + f' data-suppressed="{self.reason}"'
        return base + (f' data-n="{int(self.n)}"' if self.n is not None else "")

    def with_figure(self, figure: str, n: int | None, reason: Reason | None) -> Mark:
        return Mark(self.unit, self.wave, figure, self.source, None if reason else n, reason)


@dataclass(frozen=True)
class Cell:
    """A table cell: its text and, when it shows a figure, the figure's markup.

    ``emphasis``: a CSS class for the text (e.g. a benchmark's "above"/"below").
    """

    text: str
    mark: Mark | None = None
    header: bool = False
    numeric: bool = False
    emphasis: str | None = None

    def html(self) -> str:
        return macro("cell")(self)


@dataclass(frozen=True)
class Table:
    """An accessible table: a caption, column headers and rows of cells
    (markup: the ``table`` macro of ``templates/evalkit/macros.html.j2``)."""

    caption: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Cell]]

    def html(self) -> str:
        return macro("table")(self)


class Block:
    """A piece of evalkit HTML for the page (and a readable view in JupyterLab)."""

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {HTML_MIME: {"html": self.markup}, "text/html": self.markup}

    def __str__(self) -> str:
        return self.markup


class PageMeta:
    """The page's language and title, lifted into the <html>/<title> by the exporter."""

    def __init__(self, lang: str, title: str) -> None:
        self.lang = lang
        self.title = title

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {PAGE_MIME: {"lang": self.lang, "title": self.title}, "text/plain": self.title}


def _script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element (no '<', '>' or '&' characters)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def round_floats(value: Any, digits: int = 4) -> Any:
    """Round every float in a chart spec: smaller pages, and the same bytes on every run
    (sums in a parallel group-by may differ in the last bits from run to run).

    Examples
    --------
    >>> round_floats({"values": [{"x": 79.66675120798291, "n": 20, "t": "a"}]})
    {'values': [{'x': 79.6668, 'n': 20, 't': 'a'}]}
    """
    if isinstance(value, float):
        return round(settle(value), digits) if math.isfinite(value) else value
    if isinstance(value, dict):
        return {k: round_floats(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [round_floats(v, digits) for v in value]
    return value


KEPT_FIELDS: Final = frozenset({"n", "suppressed", "reason"})
"""Row fields kept even when the chart does not draw them: the audit reads them."""


def without_unused_fields(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec without dataset fields that nothing outside the datasets names (a team's id
    repeated on 1 244 rows of a progress chart): smaller pages, the same chart.

    A field is kept when its name appears anywhere in the rest of the spec (an encoding,
    a transform, an expression) or is one of :data:`KEPT_FIELDS`.

    Examples
    --------
    >>> spec = {"datasets": {"rows": [{"team_id": "T1", "score": 2.0, "n": 7}]},
    ...         "data": {"name": "rows"}, "encoding": {"y": {"field": "score"}}}
    >>> without_unused_fields(spec)["datasets"]
    {'rows': [{'score': 2.0, 'n': 7}]}
    """
    datasets = spec.get("datasets")
    if not isinstance(datasets, dict) or not datasets:
        return spec
    rest = json.dumps({k: v for k, v in spec.items() if k != "datasets"}, ensure_ascii=False)
    pruned: dict[str, Any] = {}
    for name, rows in datasets.items():
        if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
            pruned[name] = rows
            continue
        fields = {key for row in rows for key in row}
        unused = {f for f in fields if f not in KEPT_FIELDS and f not in rest}
        pruned[name] = [{k: v for k, v in row.items() if k not in unused} for row in rows] if unused else rows
    return {**spec, "datasets": pruned}


def _check_chart_rows(spec: Mapping[str, Any], figure: str) -> None:
    """Every data row embedded in a chart must say n or suppressed, and a suppressed row
    why (the audit relies on it)."""
    datasets: list[Iterable[Any]] = list(spec.get("datasets", {}).values())
    data = spec.get("data")
    if isinstance(data, Mapping) and "values" in data:
        datasets.append(data["values"])
    for rows in datasets:
        for row in rows:
            if "n" not in row or "suppressed" not in row:
                raise ValueError(f"chart {figure}: data row without n/suppressed markup: {sorted(row)}")
            if row["suppressed"] and row["n"] is not None:
                raise ValueError(f"chart {figure}: a suppressed row carries n={row['n']}")
            if row["suppressed"] and row.get("reason") not in REASONS:
                raise ValueError(f"chart {figure}: a suppressed row without a reason ({row.get('reason')!r})")
            if not row["suppressed"] and row.get("reason") is not None:
                raise ValueError(f"chart {figure}: a visible row carries reason {row['reason']!r}")


@dataclass
class Figure:
    """A chart with its plain-language description and the table of its numbers."""

    spec: dict[str, Any]
    title: str
    description: str
    table: Table
    mark: Mark
    numbers_label: str
    static_svg: str | None = None
    chart_id: str = field(default="")

    def __post_init__(self) -> None:
        self.spec = without_unused_fields(round_floats(self.spec))
        if self.mark.source != "measures":  # improvement measures are not people's answers
            _check_chart_rows(self.spec, self.mark.figure)
        if not self.chart_id:
            digest = hashlib.sha1(_script_json(self.spec).encode("utf-8")).hexdigest()[:10]
            self.chart_id = f"ek-chart-{digest}"

    def _parts(self, with_spec: bool = True) -> tuple[str, str]:
        """The figure's markup before and after the place of its static drawing."""
        spec = (
            f'<script type="application/json" class="ek-spec" data-target="{self.chart_id}" '
            f'data-label="{esc(self.title)}">{_script_json(self.spec)}</script>'
            if with_spec
            else ""
        )
        head = (
            f'<figure class="ek-figure" id="{self.chart_id}-figure" {self.mark.attrs()}>'
            f'<figcaption><span class="ek-figure-title">{esc(self.title)}</span> '
            f'<span class="ek-desc">{esc(self.description).replace(chr(10), "<br>")}</span></figcaption>'
            f'<div class="ek-chart" id="{self.chart_id}" tabindex="0" role="group" '
            f'aria-label="{esc(self.title)}"></div>'
        )
        tail = (
            f'<details class="ek-numbers" open><summary>{esc(self.numbers_label)}</summary>'
            f"{self.table.html()}</details>{spec}</figure>"
        )
        return head, tail

    def html(self, with_spec: bool = True) -> str:
        """The figure; a static drawing given as ``static_svg`` sits after the chart's
        box (the page export draws one for every figure without it)."""
        head, tail = self._parts(with_spec)
        static = (
            f'<div class="ek-static" aria-hidden="true">{self.static_svg}</div>'
            if self.static_svg
            else ""
        )
        return head + static + tail

    def page_output(self) -> dict[str, Any]:
        """The figure's page output: its markup and, unless it has its drawing, the spec
        and the place where the page export puts the static SVG (``static``)."""
        if self.static_svg:
            return {"html": self.html(), "spec_count": 1}
        head, tail = self._parts()
        return {"html": head + tail, "spec_count": 1,
                "static": {"at": len(head), "label": self.title, "spec": self.spec}}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {
            FIGURE_MIME: self.page_output(),
            LAB_VEGALITE_MIME: self.spec,
            "text/plain": f"{self.title}: {self.description}",
        }
