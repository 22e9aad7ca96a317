"""A small HTML tokenizer built on regular expressions, for the audit's speed.

It reads the syntax :class:`html.parser.HTMLParser` reads — comments, declarations and
processing instructions, end tags, start tags with quoted or bare attributes (names
lower-cased, values unescaped, the first of a repeated name wins), the raw text of
``script``, ``style``, ``textarea``, ``title`` … — at a fraction of its cost, and closes
the end tags HTML lets an author leave out (cells, rows, list items, paragraphs) as a
browser does. The page walker (:mod:`evalkit.audit.page`) drives :data:`TOKEN` itself;
:func:`tokens` is the same reading as a stream of events, which the differential test
compares with the standard library's parser on every real sample page.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections.abc import Iterator
from typing import Final, NamedTuple

__all__ = [
    "IMPLIED",
    "IMPLIED_PARENTS",
    "RAW_TEXT",
    "RCDATA",
    "TOKEN",
    "VOID",
    "Element",
    "Token",
    "elements_of",
    "implied",
    "paths_at",
    "raw_end",
    "read_attrs",
    "tokens",
    "unescape",
]

# Tokens of the HTML syntax (cf. html.parser's patterns): comment, declaration or
# processing instruction, end tag, start tag with its attribute text.
TOKEN: Final = re.compile(
    r"<!--(?:.*?)(?:-->|\Z)"
    r"|<[!?][^>]*>?"
    r"|</([a-zA-Z][^\s/>]*)[^>]*>"
    r"|<([a-zA-Z][^\s/>]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
    re.S,
)
"""Groups: (end tag's name, start tag's name, start tag's attribute text)."""
_ATTR = re.compile(r"""([^\s/>"'=][^\s/>=]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
_SIMPLE_PAIR = re.compile(r'([a-z_:][-a-z0-9_:.]*)="([^"]*)"')
_SIMPLE_ATTRS = re.compile(r'(?:\s+[a-z_:][-a-z0-9_:.]*="[^"&]*")*\s*/?')

VOID: Final = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "keygen", "frame", "basefont", "isindex",
})
RAW_TEXT: Final = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title"})
"""Elements whose content is text up to their end tag, not markup."""
RCDATA: Final = frozenset({"textarea", "title"})
"""Raw-text elements whose text is shown (character references decoded)."""
_RAW_END: Final[dict[str, re.Pattern[str]]] = {
    tag: re.compile(rf"</{tag}(?=[\s/>])", re.I) for tag in RAW_TEXT
}

_P_STOPS: Final = frozenset({"td", "th", "table", "caption", "button", "li", "figure", "details", "body", "html"})
IMPLIED: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "td": (frozenset({"td", "th"}), frozenset({"table", "tr"})),
    "th": (frozenset({"td", "th"}), frozenset({"table", "tr"})),
    "tr": (frozenset({"tr"}), frozenset({"table"})),
    "li": (frozenset({"li"}), frozenset({"ul", "ol"})),
    "tbody": (frozenset({"tbody", "thead", "tfoot"}), frozenset({"table"})),
    "thead": (frozenset({"tbody", "thead", "tfoot"}), frozenset({"table"})),
    "tfoot": (frozenset({"tbody", "thead", "tfoot"}), frozenset({"table"})),
    **{tag: (frozenset({"p"}), _P_STOPS) for tag in (
        "p", "div", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "details",
        "section", "header", "footer", "nav", "main", "pre", "blockquote", "form", "hr", "aside",
        "article", "address", "fieldset", "figcaption", "menu", "summary",
    )},
}
"""Start tag → (open elements it closes, elements that stop the search): the end tags
HTML lets an author leave out (cells, rows, list items, paragraphs)."""

IMPLIED_PARENTS: Final[dict[str, tuple[str, ...]]] = {
    "td": ("tr",), "th": ("tr",), "tr": ("tbody", "thead", "tfoot", "table"), "li": ("ul", "ol"),
    "tbody": ("table",), "thead": ("table",), "tfoot": ("table",),
}
"""The usual parent of a start tag: when it is the innermost open element, nothing closes."""


def unescape(text: str) -> str:
    """``text`` with character references decoded."""
    return html.unescape(text) if "&" in text else text


def read_attrs(text: str) -> dict[str, str]:
    """A start tag's attributes from its attribute text (names lower-cased, values
    unescaped; the first of a repeated name wins; a bare name has the value "")."""
    if _SIMPLE_ATTRS.fullmatch(text):  # name="value" pairs, as evalkit writes them
        return dict(reversed(_SIMPLE_PAIR.findall(text)))  # the first of a repeated name wins
    attrs: dict[str, str] = {}
    for name, value in _ATTR.findall(text):
        name = name.lower()
        if name in attrs:
            continue
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        attrs[name] = unescape(value)
    return attrs


def implied(tags: list[str], tag: str) -> int | None:
    """Index from which the open ``tags`` are closed by a start tag ``tag`` (None: none)."""
    targets, stops = IMPLIED[tag]
    for i in range(len(tags) - 1, -1, -1):
        t = tags[i]
        if t in targets:
            return i
        if t in stops:
            return None
    return None


def raw_end(doc: str, tag: str, end: int) -> tuple[int, int]:
    """(end of the raw text that starts at ``end``, position after its end tag)."""
    m = _RAW_END[tag].search(doc, end)
    if m is None:
        return len(doc), len(doc)
    close = doc.find(">", m.end())
    return m.start(), len(doc) if close < 0 else close + 1


class Token(NamedTuple):
    """One event of :func:`tokens`: ``kind`` is ``start`` (``name``, ``attrs``), ``end``
    (``name``), ``text`` (``text``: character references decoded), ``raw`` (``name`` of
    the raw-text element and its undecoded ``text``) or ``other`` (comments, declarations)."""

    kind: str
    pos: int
    name: str = ""
    attrs: dict[str, str] | None = None
    text: str = ""


def tokens(doc: str) -> Iterator[Token]:
    """The document as a stream of tokens, in order, read as the page walker reads it."""
    pos = 0
    search = TOKEN.search
    while True:
        m = search(doc, pos)
        start = len(doc) if m is None else m.start()
        if start > pos:
            yield Token("text", pos, text=unescape(doc[pos:start]))
        if m is None:
            return
        pos = m.end()
        end_tag, tag, attr_text = m.groups()
        if tag is not None:
            tag = tag.lower()
            yield Token("start", start, tag, read_attrs(attr_text))
            if tag in RAW_TEXT:
                content_end, pos = raw_end(doc, tag, pos)
                yield Token("raw", m.end(), tag, text=doc[m.end():content_end])
                yield Token("end", content_end, tag)
        elif end_tag is not None:
            yield Token("end", start, end_tag.lower())
        else:
            yield Token("other", start, text=m.group())


Element = tuple[int, int, str]
"""A start tag in document order: (position, depth — open elements around it —, tag)."""


def elements_of(doc: str) -> list[Element]:
    """Every start tag of ``doc`` with its depth (for a page read again, to name elements)."""
    out: list[Element] = []
    tags: list[str] = []
    pos = 0
    search = TOKEN.search
    while True:
        m = search(doc, pos)
        if m is None:
            return out
        pos = m.end()
        end_tag, tag, attr_text = m.groups()
        if tag is None:
            if end_tag is not None:
                end_tag = end_tag.lower()
                for i in range(len(tags) - 1, -1, -1):
                    if tags[i] == end_tag:
                        del tags[i:]
                        break
            continue
        tag = tag.lower()
        if tag in IMPLIED:
            index = implied(tags, tag)
            if index is not None:
                del tags[index:]
        out.append((m.start(), len(tags), tag))
        if tag in RAW_TEXT:
            pos = raw_end(doc, tag, pos)[1]
        elif tag not in VOID and not (attr_text and attr_text.endswith("/")):
            tags.append(tag)


def paths_at(doc: str, wanted: set[int], elements: list[Element] | None = None) -> dict[int, str]:
    """CSS paths, from the nearest ancestor with an id, of the elements whose start tags
    begin at the ``wanted`` positions (``(page)`` where no start tag begins)."""
    out: dict[int, str] = {}
    if not wanted:
        return out
    if elements is None:
        elements = elements_of(doc)
    starts = [e[0] for e in elements]

    def part(i: int) -> tuple[str, bool]:
        start, depth, tag = elements[i]
        m = TOKEN.match(doc, start)
        attrs = read_attrs(m.group(3)) if m is not None and m.group(3) else {}
        if attrs.get("id"):
            return f"{tag}#{attrs['id']}", True
        nth = 1
        for k in range(i - 1, -1, -1):
            d = elements[k][1]
            if d < depth:
                break
            if d == depth and elements[k][2] == tag:
                nth += 1
        classes = attrs.get("class", "").split()
        cls = next((c for c in classes if c.startswith("ek-")), classes[0] if classes else "")
        return tag + (f".{cls}" if cls else "") + (f":nth-of-type({nth})" if nth > 1 else ""), False

    for pos in wanted:
        i = bisect_left(starts, pos)
        if i == len(starts) or starts[i] != pos:
            out[pos] = "(page)"
            continue
        chain = []
        while True:
            text, anchored = part(i)
            chain.append(text)
            depth = elements[i][1]
            if anchored or depth == 0:
                break
            i -= 1
            while elements[i][1] >= depth:
                i -= 1
        out[pos] = " > ".join(reversed(chain))
    return out
