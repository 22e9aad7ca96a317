"""What a published page may hold: the audit's allowlist of elements, attributes and
URLs, and evalkit's own scripts and styles, recognised by their hashes.

The allowlist is what evalkit's templates, figures and static drawings write, with
room for plain HTML that loads nothing (headings, lists, tables, emphasis) and SVG
shapes; anything else — an ``iframe``, an ``img``, a ``base``, a ``form``, a ``meta
http-equiv``, a ``style`` or event-handler attribute, a ``title`` or ``alt`` that says
something no reader sees, a comment — is a ``foreign-markup`` finding, whatever it
holds. A new kind of markup on the pages is added here, deliberately.

Scripts and styles are evalkit's own only when their text is one evalkit writes
(``foreign-script`` otherwise): its page template's inline scripts and styles, the
template folder's ``*.js`` and ``*.css`` assets, the ``ek-locale`` formats
(:func:`evalkit.i18n.d3_locale_json`) and the chart library (by the hash of
:func:`~evalkit.audit.settings.known_bundle`). The hashes are computed from evalkit's
own files when the audit runs (:func:`own_code`), never written down, so they follow a
change of the templates or an upgrade of the chart library.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Final

from evalkit.audit.spec import MARK_ATTRS

__all__ = [
    "BUNDLE_FILE",
    "CSS_STRING",
    "ELEMENTS",
    "GLOBAL_ATTRS",
    "LABEL_ATTRS",
    "META_NAMES",
    "SVG_ELEMENTS",
    "URL_VALUED",
    "OwnCode",
    "allowed_attrs",
    "has_scheme",
    "own_code",
    "sha256",
]

HTML_ELEMENTS: Final = frozenset({
    "html", "head", "body", "meta", "title", "style", "script", "main", "header", "footer", "nav", "section",
    "article", "aside", "h1", "h2", "h3", "h4", "h5", "h6", "p", "div", "span", "a", "strong", "em", "b", "i",
    "small", "sub", "sup", "abbr", "br", "wbr", "hr", "ul", "ol", "li", "dl", "dt", "dd", "table", "caption",
    "thead", "tbody", "tfoot", "tr", "th", "td", "colgroup", "col", "figure", "figcaption", "details", "summary",
    "time", "code", "mark", "blockquote", "q", "cite", "pre",
})
"""HTML elements a page may hold: none of them loads anything or hides text."""
SVG_ELEMENTS: Final = frozenset({
    "svg", "g", "path", "rect", "line", "circle", "ellipse", "polyline", "polygon", "text", "tspan", "desc",
    "defs", "clippath", "lineargradient", "radialgradient", "stop", "mask", "pattern", "marker", "symbol",
})
"""SVG elements of a static drawing (``title`` is HTML's too); no ``image``, ``use``,
``foreignObject``, ``animate`` or ``set``, which load or change what is drawn."""
ELEMENTS: Final = HTML_ELEMENTS | SVG_ELEMENTS

GLOBAL_ATTRS: Final = frozenset({
    "id", "class", "lang", "dir", "role", "tabindex", "aria-hidden", "aria-label", "aria-labelledby",
    "aria-describedby", *MARK_ATTRS,
})
"""Attributes any element may carry (the figure markup's among them: its rules check it)."""
SVG_ATTRS: Final = frozenset({
    "xmlns", "xmlns:xlink", "version", "viewbox", "preserveaspectratio", "width", "height", "x", "y", "x1", "y1",
    "x2", "y2", "cx", "cy", "r", "rx", "ry", "d", "points", "dx", "dy", "rotate", "textlength", "lengthadjust",
    "transform", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-dasharray", "stroke-dashoffset", "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "opacity",
    "font-family", "font-size", "font-style", "font-weight", "font-variant", "text-anchor", "dominant-baseline",
    "alignment-baseline", "baseline-shift", "letter-spacing", "word-spacing", "text-decoration", "clip-path",
    "clip-rule", "mask", "shape-rendering", "text-rendering", "paint-order", "visibility", "display",
    "pointer-events", "vector-effect", "offset", "stop-color", "stop-opacity", "gradientunits",
    "gradienttransform", "clippathunits", "patternunits", "patterncontentunits", "patterntransform", "maskunits",
    "maskcontentunits", "markerwidth", "markerheight", "markerunits", "refx", "refy", "orient", "marker-start",
    "marker-mid", "marker-end", "xml:space",
})
"""Presentation and geometry attributes of the SVG elements (no ``href``, no ``style``)."""
_BY_ELEMENT: Final[dict[str, frozenset[str]]] = {
    "meta": frozenset({"charset", "name", "content"}),
    "a": frozenset({"href", "download", "type", "hreflang", "rel"}),
    "script": frozenset({"type", "src", "data-target", "data-label"}),
    "th": frozenset({"scope", "colspan", "rowspan", "headers", "abbr"}),
    "td": frozenset({"colspan", "rowspan", "headers"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "details": frozenset({"open"}),
    "time": frozenset({"datetime"}),
    "ol": frozenset({"start", "reversed", "type"}),
    "li": frozenset({"value"}),
}
URL_VALUED: Final = frozenset({"href", "src"})
"""The allowed attributes whose value is a URL: relative only (a file beside the page or
a place on it), never with a scheme or a host."""
LABEL_ATTRS: Final = frozenset({"aria-label", "data-label"})
"""Attributes whose text a reader is given (a screen reader's label, a chart's label):
each must repeat a text the page shows, so that it says nothing the page does not."""
META_NAMES: Final = frozenset({"viewport", "generator", "description", "evalkit-index-key"})
"""The ``name`` of a ``meta`` element (no ``http-equiv``: no refresh, no policy)."""
BUNDLE_FILE: Final = "evalkit-charts.js"
"""The chart library shared beside a site's pages (:data:`evalkit.render.BUNDLE_FILE`):
the one script a page may load, from a relative URL."""
CSS_STRING: Final = r"(?P<text>(?:[^\W_]| |\\[0-9a-fA-F]{1,6} )*)"
"""A quoted CSS string as :func:`evalkit.render.css_string` writes it (letters, digits
and spaces; anything else as a hexadecimal escape)."""

_SCHEME: Final = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")
_URL_NOISE: Final = re.compile(r"[\t\n\r\x00-\x20]")


def allowed_attrs(tag: str) -> frozenset[str]:
    """Attributes ``tag`` may carry (besides :data:`GLOBAL_ATTRS`)."""
    if tag in SVG_ELEMENTS:
        return SVG_ATTRS
    return _BY_ELEMENT.get(tag, frozenset())


def has_scheme(url: str) -> bool:
    """Does ``url`` name a scheme or a host (as a browser reads it: white space and
    control characters removed, a backslash read as a slash)?

    >>> [has_scheme(u) for u in ("kommune-0301.html", "#ek-main", "../evalkit-charts.js", "//x.example",
    ...                          " java\\tscript:alert(1)", "data:,x", "\\\\\\\\x.example")]
    [False, False, False, True, True, True, True]
    """
    cleaned = _URL_NOISE.sub("", url).replace("\\", "/")
    return bool(_SCHEME.match(cleaned)) or cleaned.startswith("//")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class OwnCode:
    """evalkit's own scripts and styles, by the SHA-256 of their text (see the module
    docstring); ``titled_styles``: patterns of style elements that hold the page's title
    in a CSS string (the printed page's running head), whose group ``text`` must be it."""

    scripts: frozenset[str]
    data: frozenset[str]
    styles: frozenset[str]
    titled_styles: tuple[str, ...]


_SLOT: Final = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)


@cache
def own_code() -> OwnCode:
    """:class:`OwnCode`, from evalkit's template folder and text store (once per process)."""
    from evalkit.i18n import LANGUAGES, d3_locale_json
    from evalkit.templating import TEMPLATES

    folder = TEMPLATES / "evalkit"
    scripts = {sha256(path.read_text(encoding="utf-8")) for path in folder.glob("*.js")}
    styles = {sha256(path.read_text(encoding="utf-8")) for path in folder.glob("*.css")}
    titled: list[str] = []
    for template in sorted(folder.glob("*.j2")):
        source = template.read_text(encoding="utf-8")
        for body in re.findall(r"<script>(.*?)</script>", source, re.S):
            if not _SLOT.search(body):
                scripts.add(sha256(body))
        for body in re.findall(r"<style>(.*?)</style>", source, re.S):
            parts = _SLOT.split(body)
            if len(parts) == 1:
                styles.add(sha256(body))
            elif len(parts) == 2 and parts[0].endswith('"') and parts[1].startswith('"'):
                titled.append(re.escape(parts[0]) + CSS_STRING + re.escape(parts[1]))
    data = {sha256(d3_locale_json(language)) for language in LANGUAGES}
    return OwnCode(frozenset(scripts), frozenset(data), frozenset(styles), tuple(titled))
