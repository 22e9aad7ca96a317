"""evalkit's HTML export: executed notebook → one self-contained, offline page.

Why not the stock export: nbconvert has no Vega renderer, Altair's ``html`` renderer
loads Vega from a CDN, and the ``lab`` template pulls require.js and MathJax from CDNs
and inlines ~280 KB of CSS. This exporter uses evalkit's own template
(``evalkit/templates/evalkit``): no input cells or prompts, a compact stylesheet, the
Vega/Vega-Lite/Vega-Embed bundle from vl-convert inlined once per page (or shared as one
file beside the pages of a site), and only outputs that evalkit itself produced
(:mod:`evalkit.figure`); anything else a cell displays — a stray DataFrame, a print —
never reaches the page.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
from nbconvert import HTMLExporter, TemplateExporter
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbconvert.preprocessors import Preprocessor, TagRemovePreprocessor
from traitlets.config import Config

from evalkit import __version__
from evalkit.atomic import write_atomic
from evalkit.cachedir import bundle_cache_file, read_cached_bundle, write_cached_bundle
from evalkit.figure import FIGURE_MIME, HTML_MIME, PAGE_MIME
from evalkit.i18n import (
    D3_FORMAT_LOCALES,
    D3_TIME_LOCALES,
    Language,
    check_language,
    d3_locale_json,
    text,
)
from evalkit.templating import TEMPLATES, loader

EVALUATOR_NOTE_TAG = "evaluator-note"
BUNDLE_FILE = "evalkit-charts.js"

_TEMPLATES = TEMPLATES


@cache
def chart_bundle() -> str:
    """The Vega + Vega-Lite + Vega-Embed JavaScript (from vl-convert), offline.

    Making it starts vl-convert's JavaScript runtime (~2 s), so it is cached on this
    machine (:func:`bundle_cache_file`) and read from there by later processes.
    """
    cache_file = bundle_cache_file()
    cached = read_cached_bundle(cache_file)
    if cached is not None:
        return cached
    import vl_convert

    bundle = vl_convert.javascript_bundle()  # type: ignore[call-arg]  # the stub marks an optional argument required
    assert isinstance(bundle, str)
    # The bundle sits inside a <script> element: make sure no "</script" ends it early.
    bundle = bundle.replace("</script", "<\\/script")
    write_cached_bundle(cache_file, bundle)
    return bundle


def chart_bundle_sha256() -> str:
    """SHA-256 of the inlined bundle: the audit recognises the library by this hash."""
    return hashlib.sha256(chart_bundle().encode("utf-8")).hexdigest()


@cache
def _asset(name: str) -> str:
    return (_TEMPLATES / "evalkit" / name).read_text(encoding="utf-8")


_SHOWN = (FIGURE_MIME, HTML_MIME)  # only evalkit's own outputs: no markdown, no raw HTML
"""Output types a page shows (the template renders nothing for any other)."""


class PageMetaPreprocessor(Preprocessor):
    """Lift the page's language and title (an evalkit page output) into the resources,
    and keep only the outputs the page shows, with only the data it shows: the
    JupyterLab views (a Vega-Lite spec, text) and stray outputs (prints, DataFrames,
    errors) are dropped before the exporter copies the notebook."""

    def preprocess(self, nb: Any, resources: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        meta: dict[str, Any] = {}
        charts = 0
        for cell in nb.cells:
            if cell.get("cell_type") != "code":
                continue
            kept = []
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                if PAGE_MIME in data:
                    meta.update(data[PAGE_MIME])
                    continue
                shown = next((mime for mime in _SHOWN if mime in data), None)
                if shown is None:
                    continue
                if shown == FIGURE_MIME and data[FIGURE_MIME].get("spec_count"):
                    charts += int(data[FIGURE_MIME]["spec_count"])
                kept.append(nbformat.from_dict({"output_type": "display_data", "metadata": {},
                                                "data": {shown: data[shown]}}))
            cell["outputs"] = kept
        resources.setdefault("evalkit", {}).update({"page": meta, "chart_count": charts})
        return nb, resources


class DashboardExporter(HTMLExporter):
    """nbconvert exporter with evalkit's template; see the module docstring."""

    export_from_notebook = "evalkit dashboard"

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("template_name", "evalkit")
        kw.setdefault("extra_template_basedirs", [str(_TEMPLATES)])
        # evalkit's templates through the loader the report's macros use (evalkit.templating).
        kw.setdefault("extra_loaders", [loader()])
        kw.setdefault("exclude_input", True)
        kw.setdefault("exclude_input_prompt", True)
        kw.setdefault("exclude_output_prompt", True)
        # Only evalkit's own outputs are rendered; others fall through to blocks that
        # render nothing (plain text/html, text, streams, errors).
        config = Config(kw.pop("config", None) or {})
        config.NbConvertBase.display_data_priority = [FIGURE_MIME, HTML_MIME, "text/html", "text/plain"]
        kw["config"] = config
        super().__init__(**kw)  # type: ignore[no-untyped-call]
        self.register_preprocessor(  # type: ignore[no-untyped-call]
            TagRemovePreprocessor(remove_cell_tags={EVALUATOR_NOTE_TAG}, enabled=True), enabled=True
        )

    def from_notebook_node(  # type: ignore[override]
        self, nb: Any, resources: dict[str, Any] | None = None, **kw: Any
    ) -> tuple[str, dict[str, Any]]:
        """The template's page as it renders it.

        HTMLExporter would then parse the whole page with BeautifulSoup to add ``alt``
        to images and ``tabindex`` to JupyterLab's cell wrappers; evalkit's template has
        neither (its figures carry their own text), and the parse of a page with the
        chart library inlined costs more than the rest of the export.
        """
        resources = self._init_resources(resources)  # type: ignore[no-untyped-call]
        self.register_filter(  # type: ignore[no-untyped-call]
            "filter_data_type",
            WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources),
        )
        html, out = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
        return html, out


@cache
def _exporter() -> DashboardExporter:
    """One exporter per process: its Jinja template is compiled once (the batch's fork
    server makes it before forking, so every unit inherits it)."""
    return DashboardExporter()


def export_html(
    notebook: Any,
    *,
    language: str | None = None,
    bundle_href: str | None = None,
    svg_cache: Path | None = None,
) -> str:
    """Render an executed notebook (path or NotebookNode) as an evalkit dashboard page.

    Parameters
    ----------
    notebook
        The executed notebook (not changed).
    language
        Overrides the page language the notebook's report declared.
    bundle_href
        Instead of inlining the chart library, refer to this relative file (written by
        :func:`write_bundle`), for a site of many pages.
    svg_cache
        A folder that keeps drawn charts by spec hash (default: ``$EVALKIT_SVG_CACHE``).
    """
    nb = nbformat.read(os.fspath(notebook), as_version=4) if isinstance(notebook, (str, os.PathLike)) else notebook
    meta_pre = PageMetaPreprocessor()  # type: ignore[no-untyped-call]
    # A shallow copy of the cells: the preprocessor replaces their output lists only.
    slim = nbformat.NotebookNode({**nb, "cells": [nbformat.NotebookNode({**cell}) for cell in nb.cells]})
    slim, res = meta_pre.preprocess(slim, {})
    page = res["evalkit"]["page"]
    lang: Language = check_language(language or page.get("lang", "nb"))
    _draw_static(slim, lang, svg_cache if svg_cache is not None else _svg_cache_dir())
    resources_in = {
        "evalkit": {
            "lang": lang,
            "title": page.get("title", "evalkit"),
            "running_head": css_string(page.get("title", "evalkit")),
            "version": __version__,
            "css": _asset("style.css"),
            "boot": _asset("boot.js"),
            "bundle": "" if bundle_href else chart_bundle(),
            "bundle_href": bundle_href,
            "chart_count": res["evalkit"]["chart_count"],
            "skip_text": text("skip_to_content", lang),
            "locale_json": d3_locale_json(lang),
        }
    }
    body, _ = _exporter().from_notebook_node(slim, resources=resources_in)
    assert isinstance(body, str)
    return body


def css_string(value: str) -> str:
    """Text for a quoted CSS string (the printed page's running header): anything but
    letters, digits and spaces as a CSS escape, so it can end neither the string nor the
    style element.

    Examples
    --------
    >>> print(css_string('Oslo kommune · 2026'))
    Oslo kommune \\b7  2026
    >>> print(css_string('a"</style>') + '|')
    a\\22 \\3c \\2f style\\3e |
    """
    return "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in value)


def _draw_static(nb: Any, lang: Language, cache_dir: Path | None) -> None:
    """Put the static drawing of every figure into its markup (the page's outputs, which
    :class:`PageMetaPreprocessor` made anew: the notebook is not changed)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            figure = output.get("data", {}).get(FIGURE_MIME)
            if not figure or "static" not in figure:
                continue
            at = figure["static"]["at"]
            drawing = static_chart(figure["static"]["spec"], lang, cache_dir)
            output["data"] = nbformat.from_dict(
                {FIGURE_MIME: {"html": figure["html"][:at] + drawing + figure["html"][at:],
                               "spec_count": figure.get("spec_count", 1)}})


def write_bundle(folder: str | os.PathLike[str]) -> Path:
    """Write the chart library once beside the pages of a site; returns its path."""
    return write_atomic(Path(folder) / BUNDLE_FILE, chart_bundle())


def write_text_atomic(path: str | os.PathLike[str], content: str) -> Path:
    """Write ``content`` to a temporary name beside ``path`` and rename it into place."""
    return write_atomic(path, content)


# --- static charts ------------------------------------------------------------------------
SVG_CACHE_ENV = "EVALKIT_SVG_CACHE"
"""Environment variable: a folder where drawn charts are kept by spec hash, shared by the
processes of a batch (the batch points it into its work folder, never into --out)."""
_SHARED_AXES = ("x", "y")
_LEGENDS = ("color", "fill", "stroke", "strokeDash", "shape", "size", "opacity")
_drawn: dict[str, str] = {}
STATIC_FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
"""The static drawing's font: vl-convert measures labels with Liberation Sans, which has
Arial's (and Helvetica's) widths, so labels fit where the reader has any of the three."""
SLIM_VERSION = 3
"""Part of a drawing's cache key: raise it when :func:`slim_svg` draws differently."""
NOTE_LIMIT = 120
"""Longest note written into a panel of small multiples, in pixels (the rest: "…")."""


def vl_draw(spec: dict[str, Any], lang: Language) -> str:
    """vl-convert's SVG of a Vega-Lite spec, in this process."""
    import vl_convert

    svg = vl_convert.vegalite_to_svg(
        spec, format_locale=D3_FORMAT_LOCALES[lang], time_format_locale=D3_TIME_LOCALES[lang]
    )
    assert isinstance(svg, str)
    return svg


drawer: Callable[[dict[str, Any], Language], str] | None = None
"""Draws a spec instead of :func:`vl_draw` (the batch sets a warm drawing process's)."""


def draw_svg(spec: dict[str, Any], lang: Language, cache_dir: Path | None = None) -> str:
    """One Vega-Lite spec drawn as SVG by vl-convert, with the page language's number and
    date formats; identical charts are drawn once (in this process, and across the
    processes that share ``cache_dir``)."""
    spec = {**spec, "config": {**spec.get("config", {}), "font": STATIC_FONT}}
    key = hashlib.sha256(
        (f"{__version__}:{SLIM_VERSION}:{lang}:" + json.dumps(spec, sort_keys=True, ensure_ascii=False, separators=(",", ":"))).encode("utf-8")
    ).hexdigest()
    if key in _drawn:
        return _drawn[key]
    cached = cache_dir / key[:2] / f"{key}.svg" if cache_dir is not None else None
    if cached is not None and cached.is_file():
        svg = cached.read_text(encoding="utf-8")
    else:
        svg = slim_svg((drawer or vl_draw)(spec, lang))
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(cached, svg)
    _drawn[key] = svg
    return svg


_SVG_UNUSED = re.compile(r' (?:aria-[a-z]+|role|class|pointer-events)="[^"]*"')
_SVG_HIDDEN = re.compile(r'<path[^>]*(?:display="none"|d="M0,0h0v0h0Z")[^>]*/>')
_SVG_EMPTY_GROUP = re.compile(r"<g>(?:<g>)*(?:</g>)+")
_SVG_NO_OPS = re.compile(r' (?:opacity="1"|stroke-width="1"|transform="translate\(0,0\)")')
_SVG_LINE_ZERO = re.compile(r'(<line\b[^>]*?) (?:x1|y1|x2|y2)="0"')
_SVG_CIRCLE = re.compile(r'<path([^>]*?) d="M([\d.]+),0A\2,\2,0,1,1,-\2,0A\2,\2,0,1,1,\2,0Z?"')
_SVG_GEOMETRY = re.compile(r'( (?:d|transform|points|x|y|x1|x2|y1|y2|cx|cy|r)=")([^"]*)"')
_SVG_DIGITS = re.compile(r"(\d\.\d)\d+")
_SVG_DECIMAL = re.compile(r"-?\d+\.\d+")


def _slim_geometry(m: re.Match[str]) -> str:
    """A path's outline to whole pixels (the bulk of a drawing: a run chart's line, an
    area), rounded; other coordinates (points, text, ticks) to 0.1 px."""
    if m.group(1) == ' d="':
        return m.group(1) + _SVG_DECIMAL.sub(lambda n: str(round(float(n.group()))), m.group(2)) + '"'
    return m.group(1) + _SVG_DIGITS.sub(r"\1", m.group(2)) + '"'


def _balanced(m: re.Match[str]) -> str:
    """Empty groups dropped; end tags of the groups around them kept."""
    text = m.group()
    return "</g>" * (text.count("</g>") - text.count("<g>"))


def slim_svg(svg: str) -> str:
    """A smaller drawing that looks the same: no ARIA, roles or classes (the static
    drawing is hidden from assistive technology: the figure's description and table say
    what it shows), no hidden paths or attributes that change nothing, a path's outline
    to whole pixels and other coordinates to 0.1 px, a point as a circle, the font said once.

    Examples
    --------
    >>> slim_svg('<svg class="marks" width="10"><g role="graphics-object" aria-hidden="true">'
    ...          '<path class="foreground" d="" display="none"/><path d="M0.12345,1.5L2,3"/>'
    ...          '<g><g role="graphics-object"><path d="M0,0h0v0h0Z"/></g></g><line x2="0" y2="-5" stroke-width="1"/>'
    ...          '<path transform="translate(3,4)" d="M2.7,0A2.7,2.7,0,1,1,-2.7,0A2.7,2.7,0,1,1,2.7,0" opacity="1"/>'
    ...          '<text font-family="A, sans-serif" font-size="12px">1.25</text></g></svg>')
    '<svg width="10" font-family="A, sans-serif"><g><path d="M0,2L2,3"/><line y2="-5"/><circle transform="translate(3,4)" r="2.7"/><text font-size="12px">1.25</text></g></svg>'
    """
    fonts = set(re.findall(r' font-family="([^"]*)"', svg))
    svg = _SVG_HIDDEN.sub("", _SVG_UNUSED.sub("", svg))
    svg = _SVG_CIRCLE.sub(r'<circle\1 r="\2"', svg)
    svg = _SVG_GEOMETRY.sub(_slim_geometry, svg)
    if re.search(r"<(?:svg|g)\b[^>]*stroke-width", svg) is None:  # "1" is then the default
        svg = _SVG_NO_OPS.sub("", svg)
    else:
        svg = _SVG_NO_OPS.sub(lambda m: "" if "stroke-width" not in m.group() else m.group(), svg)
    while (zeroed := _SVG_LINE_ZERO.sub(r"\1", svg)) != svg:
        svg = zeroed
    while (emptied := _SVG_EMPTY_GROUP.sub(_balanced, svg)) != svg:
        svg = emptied
    if len(fonts) == 1:
        font = fonts.pop()
        svg = svg.replace(f' font-family="{font}"', "").replace(">", f' font-family="{font}">', 1)
    return svg


def _bounds(values: list[Any]) -> list[Any] | None:
    present = [v for v in values if v is not None and not (isinstance(v, float) and v != v)]
    return [min(present), max(present)] if present else None


def _datetime(value: Any) -> Any:
    """An ISO date of the data (``2015-06-01``) as a Vega-Lite DateTime (UTC, as Vega
    reads the same string in the data)."""
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        return {"year": int(value[:4]), "month": int(value[5:7]), "date": int(value[8:10]), "utc": True}
    return value


def facet_panels(spec: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A faceted chart (small multiples with inline data) as one spec per panel, so that
    the panels wrap to the width of the screen; scales the facet shares keep one domain
    over all panels, and only the first panel draws the legends. ``None`` for any other
    chart."""
    facet, inner = spec.get("facet"), spec.get("spec")
    data = spec.get("data")
    if not (isinstance(facet, dict) and isinstance(inner, dict) and isinstance(data, dict)
            and "field" in facet and isinstance(inner.get("layer"), list) and "name" in data):
        return None
    rows = spec.get("datasets", {}).get(data["name"])
    if not isinstance(rows, list) or not rows:
        return None
    field = facet["field"]
    resolve = spec.get("resolve", {}).get("scale", {})
    domains: dict[str, list[Any]] = {}
    for channel in _SHARED_AXES:
        if resolve.get(channel, "shared") != "shared":
            continue
        fields = {layer.get("encoding", {}).get(channel, {}).get("field") for layer in inner["layer"]}
        fields.discard(None)
        bounds = _bounds([row.get(f) for row in rows for f in fields])
        if bounds is not None:
            domains[channel] = bounds
    base = {k: v for k, v in spec.items()
            if k not in ("facet", "spec", "columns", "resolve", "data", "datasets", "title", "description")}
    panels = []
    for i, value in enumerate(sorted({row.get(field) for row in rows if row.get(field) is not None}, key=str)):
        layers = json.loads(json.dumps(inner["layer"]))
        for layer in layers:
            encoding = layer.get("encoding", {})
            for channel, bounds in domains.items():
                enc = encoding.get(channel)
                if isinstance(enc, dict) and "field" in enc and "domain" not in enc.get("scale", {}):
                    kind = enc.get("type")
                    domain = [_datetime(b) for b in bounds] if kind == "temporal" else bounds
                    enc["scale"] = {**enc.get("scale", {}), "domain": domain}
            mark = layer.get("mark")
            if mark == "text" or (isinstance(mark, dict) and mark.get("type") == "text"):
                layer["mark"] = {**(mark if isinstance(mark, dict) else {"type": "text"}), "limit": NOTE_LIMIT}
            if i:
                for channel in _LEGENDS:
                    if isinstance(encoding.get(channel), dict) and "field" in encoding[channel]:
                        encoding[channel]["legend"] = None
        panel = {**base, **{k: v for k, v in inner.items() if k != "layer"}, "layer": layers,
                 "data": {"values": [row for row in rows if row.get(field) == value]},
                 "title": {"text": str(value), "anchor": "start", "fontSize": 12, "fontWeight": "bold"}}
        config = dict(panel.get("config", {}))
        config["legend"] = {**config.get("legend", {}), "orient": "bottom", "direction": "horizontal"}
        panel["config"] = config
        panels.append(panel)
    return panels


def static_chart(spec: dict[str, Any], lang: Language, cache_dir: Path | None = None) -> str:
    """The markup of a chart drawn without JavaScript: inline SVG (its text selectable),
    a faceted chart as a wrapping grid of one SVG per panel."""
    panels = facet_panels(spec)
    if panels is None:
        return f'<div class="ek-static" aria-hidden="true">{draw_svg(spec, lang, cache_dir)}</div>'
    drawn = "".join(f'<div class="ek-panel">{draw_svg(p, lang, cache_dir)}</div>' for p in panels)
    return f'<div class="ek-static ek-panels" aria-hidden="true">{drawn}</div>'


def _svg_cache_dir() -> Path | None:
    location = os.environ.get(SVG_CACHE_ENV)
    return Path(location) if location else None
