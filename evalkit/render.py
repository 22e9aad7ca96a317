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
from evalkit.i18n import D3_FORMAT_LOCALES, D3_TIME_LOCALES, Language, check_language, text
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


_SHOWN = (FIGURE_MIME, HTML_MIME, "text/markdown")
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
    """
    nb = nbformat.read(os.fspath(notebook), as_version=4) if isinstance(notebook, (str, os.PathLike)) else notebook
    meta_pre = PageMetaPreprocessor()  # type: ignore[no-untyped-call]
    # A shallow copy of the cells: the preprocessor replaces their output lists only.
    slim = nbformat.NotebookNode({**nb, "cells": [nbformat.NotebookNode({**cell}) for cell in nb.cells]})
    slim, res = meta_pre.preprocess(slim, {})
    page = res["evalkit"]["page"]
    lang: Language = check_language(language or page.get("lang", "nb"))
    resources_in = {
        "evalkit": {
            "lang": lang,
            "title": page.get("title", "evalkit"),
            "version": __version__,
            "css": _asset("style.css"),
            "boot": _asset("boot.js"),
            "bundle": "" if bundle_href else chart_bundle(),
            "bundle_href": bundle_href,
            "chart_count": res["evalkit"]["chart_count"],
            "skip_text": text("skip_to_content", lang),
            "locale_json": json.dumps(
                {"format": D3_FORMAT_LOCALES[lang], "time": D3_TIME_LOCALES[lang]}, ensure_ascii=True
            ),
        }
    }
    body, _ = _exporter().from_notebook_node(slim, resources=resources_in)
    assert isinstance(body, str)
    return body


def write_bundle(folder: str | os.PathLike[str]) -> Path:
    """Write the chart library once beside the pages of a site; returns its path."""
    return write_atomic(Path(folder) / BUNDLE_FILE, chart_bundle())


def write_text_atomic(path: str | os.PathLike[str], content: str) -> Path:
    """Write ``content`` to a temporary name beside ``path`` and rename it into place."""
    return write_atomic(path, content)
