"""The allowlist's rules: only markup, scripts and styles evalkit writes reach a page
(:mod:`evalkit.audit.allowed` holds the lists and recognises evalkit's own code).

``foreign-markup``
    a page that is not an HTML document, an element or attribute outside the
    allowlist, a drawing (``svg``) outside a chart's figure, a URL with a scheme or a host where evalkit writes relative ones, a
    ``url()`` in an attribute that points anywhere but the page itself, a ``meta`` that
    is not one of evalkit's, a comment, declaration or processing instruction, and a
    label (``aria-label``, ``data-label``) that is not a text the page shows;
``foreign-script``
    a script or style that is not evalkit's own: inline JavaScript, JSON or CSS whose
    text is not one evalkit writes, a script loaded from anywhere but the chart library
    beside the page, a script of another type.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Final

from evalkit.audit.allowed import (
    BUNDLE_FILE,
    ELEMENTS,
    GLOBAL_ATTRS,
    LABEL_ATTRS,
    META_NAMES,
    SVG_ELEMENTS,
    URL_VALUED,
    allowed_attrs,
    has_scheme,
    own_code,
    sha256,
)
from evalkit.audit.decode import css_unescape
from evalkit.audit.rulebase import Page, Rule
from evalkit.audit.spec import SENTINEL
from evalkit.audit.tokenizer import TOKEN, read_attrs, unescape

__all__ = ["ForeignMarkup", "ForeignScript"]

_DOCTYPE: Final = re.compile(r"\A[\ufeff\s]*<!doctype\s+html\s*>", re.I)
_DOCTYPE_TOKEN: Final = re.compile(r"<!doctype\s+html\s*>\Z", re.I)
_START_TAG: Final = re.compile(r"""<([a-zA-Z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)>""")
"""A start tag as :data:`~evalkit.audit.tokenizer.TOKEN` reads one: (name, attribute text)."""
_URL_ARG: Final = re.compile(r"""url\(\s*(["']?)\s*([^"')\s]*)""", re.I)
_LEAF: Final = re.compile(r">([^<>]+)<")
_MEMO_LIMIT: Final = 100_000
_NEAR: Final = 20_000
_CAMEL: Final = ("viewBox", "preserveAspectRatio", "textLength", "lengthAdjust", "gradientUnits", "gradientTransform",
                  "clipPathUnits", "patternUnits", "patternContentUnits", "patternTransform", "maskUnits",
                  "maskContentUnits", "markerWidth", "markerHeight", "markerUnits", "refX", "refY", "clipPath",
                  "linearGradient", "radialGradient")
"""SVG's names in mixed case (the allowlist holds them in lower case, as HTML reads them)."""


def _plain_svg() -> re.Pattern[str]:
    """A drawing made only of allowed SVG elements with plain ``name="value"``
    attributes (no character reference, escape or ``<`` in a value), and text."""

    def names(allowed: frozenset[str]) -> str:
        words = allowed | {w for w in _CAMEL if w.lower() in allowed}
        return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))

    tags, attrs = names(SVG_ELEMENTS), names(GLOBAL_ATTRS | allowed_attrs("svg"))
    return re.compile(rf'(?:[^<]+|<(?:{tags})(?:\s+(?:{attrs})="[^"<&\\]*")*\s*/?>|</(?:{tags})\s*>)*')


_SVG_PLAIN: Final = _plain_svg()


def _snippet(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text[:limit] + ("…" if len(text) > limit else ""))


def attribute_problems(tag: str, attrs: Mapping[str, str]) -> list[str]:
    """Why a start tag ``tag`` with ``attrs`` is outside the allowlist (empty: it is not).

    >>> attribute_problems("a", {"href": "kommune-0301.html", "class": "x"})
    []
    >>> for problem in attribute_problems("meta", {"http-equiv": "refresh", "content": "0;url=//x.example"}):
    ...     print(problem)
    attribute http-equiv='refresh' on <meta>, which evalkit's pages never hold
    a <meta> without one of evalkit's names (viewport, generator, description, evalkit-index-key)
    """
    if tag not in ELEMENTS:
        return [f"<{tag}> is not an element evalkit's pages hold"]
    allowed = allowed_attrs(tag)
    problems = []
    for name, value in attrs.items():
        if name not in GLOBAL_ATTRS and name not in allowed:
            problems.append(f"attribute {name}={_snippet(value, 40)} on <{tag}>, which evalkit's pages never hold")
            continue
        if name in URL_VALUED and has_scheme(value):
            problems.append(f"{name}={_snippet(value, 80)} names a scheme or a host: evalkit links only to files "
                            "beside the page and places on it")
        elif "url(" in value.lower() or "\\" in value:
            for _quote, target in _URL_ARG.findall(css_unescape(value)):
                if not target.startswith("#"):
                    problems.append(f"{name}={_snippet(value, 80)} points outside the page")
    if tag == "meta" and "charset" not in attrs and attrs.get("name", "").strip().lower() not in META_NAMES:
        problems.append(f"a <meta> without one of evalkit's names ({', '.join(sorted(META_NAMES, key=len))})")
    return problems


class ForeignMarkup(Rule):
    id = "foreign-markup"
    description = "markup outside the audit's allowlist: an element, attribute, URL, comment or label evalkit never writes"

    def __init__(self) -> None:
        self._memo: dict[tuple[str, str], tuple[str, ...]] = {}
        self._labels: dict[Page, list[tuple[str, str, int]]] = {}

    def problems(self, tag: str, attr_text: str, attrs: Mapping[str, str] | None = None) -> tuple[str, ...]:
        key = (tag, attr_text)
        found = self._memo.get(key)
        if found is None:
            if len(self._memo) > _MEMO_LIMIT:
                self._memo.clear()
            found = self._memo[key] = tuple(attribute_problems(tag, read_attrs(attr_text) if attrs is None else attrs))
        return found

    def scan(self, page: Page, doc: str) -> Iterable[tuple[int, str]]:
        if _DOCTYPE.match(doc):
            return ()
        return [(-1, f"not an HTML page: it does not begin with <!DOCTYPE html> (it begins {_snippet(doc, 40)})")]

    def element(self, page: Page, tag: str, attr_text: str, attrs: Mapping[str, str], pos: int) -> None:
        for problem in self.problems(tag, attr_text, attrs):
            page.add(self.id, page.at(pos), problem)
        if tag == "svg" and page.open_chart() is None:
            page.add(self.id, page.at(pos), "a drawing outside a chart (evalkit draws only in a figure.ek-figure)")
        if not LABEL_ATTRS.isdisjoint(attrs):
            labels = self._labels.setdefault(page, [])
            labels.extend((name, attrs[name], pos) for name in LABEL_ATTRS.intersection(attrs))

    def drawing(self, page: Page, svg: str, pos: int) -> None:
        """A static drawing's elements, read as one block: at once when it is made of
        allowed elements whose attributes are plain ``name="value"`` (as vl-convert
        writes them), else element by element."""
        if "<!" in svg or "<?" in svg:
            for m in TOKEN.finditer(svg):
                if m.group(1) is None and m.group(2) is None:
                    self.comment(page, m.group(), pos)
        if _SVG_PLAIN.fullmatch(svg) and not any(rl in svg for rl in ("rl(", "RL(", "rL(", "Rl(")):
            return  # every element and attribute allowed, as vl-convert writes them
        for tag, attr_text in dict.fromkeys(_START_TAG.findall(svg)):
            for problem in self.problems(tag.lower(), attr_text):
                page.add(self.id, page.at(pos, f" > {tag.lower()}"), problem)

    def comment(self, page: Page, text: str, pos: int) -> None:
        if text.startswith("<!--"):
            page.add(self.id, page.at(pos), f"a comment {_snippet(text[4:].removesuffix('-->'))}: evalkit's pages hold none")
        elif not _DOCTYPE_TOKEN.match(text):
            page.add(self.id, page.at(pos), f"a declaration or processing instruction {_snippet(text)}")

    def page_end(self, page: Page) -> None:
        labels = self._labels.pop(page, [])
        if not labels:
            return
        doc = page.doc
        leaves: set[str] | None = None
        for name, value, pos in labels:
            text = " ".join(value.split())
            forms = [f">{form}<" for form in {html.escape(text, quote=False), html.escape(text)}]
            near = doc[max(0, pos - _NEAR):pos + _NEAR]  # a chart's title is in its figure
            if not text or any(form in near for form in forms) or any(form in doc for form in forms):
                continue
            if leaves is None:
                leaves = {" ".join(unescape(leaf).split()) for leaf in _LEAF.findall(doc)}
            if text not in leaves:
                page.add(self.id, page.at(pos, f" @{name}"),
                         f"{name}={_snippet(value)} is not a text the page shows (a label says what the page shows)")


class ForeignScript(Rule):
    id = "foreign-script"
    description = "a script or style that is not evalkit's own (recognised by the hash of evalkit's own code)"

    def __init__(self) -> None:
        self._titles: dict[Page, str] = {}

    def raw_element(self, page: Page, tag: str, attrs: Mapping[str, str], content: str, pos: int) -> None:
        if tag == "title":
            self._titles.setdefault(page, " ".join(unescape(content).split()))
        elif tag == "script":
            problem = self.script_problem(attrs, content)
            if problem:
                page.add(self.id, page.at(pos), problem)
        elif tag == "style" and not self.own_style(page, content):
            page.add(self.id, page.at(pos), f"a style that is not evalkit's own ({_snippet(content)})")

    def page_end(self, page: Page) -> None:
        self._titles.pop(page, None)

    @staticmethod
    def script_problem(attrs: Mapping[str, str], content: str) -> str | None:
        """Why a script is not evalkit's own (None: it is)."""
        if content.startswith(SENTINEL):
            return None  # the chart library, recognised by its hash
        kind = attrs.get("type", "").strip().lower()
        own = own_code()
        if "src" in attrs:
            src = attrs["src"].strip()
            if has_scheme(src) or src.replace("\\", "/").rsplit("/", 1)[-1] != BUNDLE_FILE or kind not in ("", "text/javascript"):
                return f"a script loaded from {_snippet(src, 80)}: a page may load only the chart library ({BUNDLE_FILE}) beside it"
            return None if not content.strip() else "a script with both a src and a text"
        if kind in ("", "text/javascript"):
            if sha256(content) in own.scripts:
                return None
            return f"a script that is not evalkit's own ({_snippet(content)})"
        if kind == "application/json":
            if "ek-spec" in attrs.get("class", "").split():
                return None  # a chart's spec: its rows are read by the figure rules
            if attrs.get("id") == "ek-locale" and sha256(content) in own.data:
                return None
            return f"a JSON script that evalkit does not write ({_snippet(content)})"
        return f"a script of type {kind!r}, which evalkit's pages never hold ({_snippet(content)})"

    def own_style(self, page: Page, css: str) -> bool:
        own = own_code()
        if sha256(css) in own.styles:
            return True
        title = self._titles.get(page)
        for pattern in own.titled_styles:
            m = re.fullmatch(pattern, css)
            if m and title is not None and " ".join(css_unescape(m.group("text")).split()) == title:
                return True
        return False
