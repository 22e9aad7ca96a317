"""Decoding before searching: the ways a page can write a string so that a search of its
raw text does not find it, undone.

A browser shows ``&#82;000007`` as ``R000007``, a script turns ``"\\u0052000007"`` into it,
a style sheet ``"\\52 000007"``, a link ``%52000007``; a zero-width space or a soft hyphen
inside it is not seen, nor a ``<span>`` that splits it, and ``data:;base64,UjAwMDAwNw==``
is a whole file in a URL. The audit searches every :func:`views` of a page's text — the
text with every such encoding decoded (repeatedly: an escape may hide another), with
inline markup removed, and the payloads of ``data:`` URLs and ``atob()`` calls decoded —
besides the text itself (:mod:`evalkit.audit.ids`, :mod:`evalkit.audit.rules`).

The decoders are a superset of what any one context decodes (a style sheet does not
decode JSON escapes): the audit looks for what must never be in a page, so a string
that appears in *some* reading is enough. Each decoder is exact for its own syntax:
character references as HTML5 (:func:`html.unescape`), CSS escapes as CSS Syntax 3 §4.3.7,
JavaScript/JSON ``\\u``, ``\\u{…}`` and ``\\x`` escapes, percent-encoding as UTF-8.
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from typing import Final, NamedTuple
from urllib.parse import unquote, unquote_to_bytes

__all__ = [
    "INVISIBLE",
    "View",
    "css_unescape",
    "decoded",
    "encoded_spans",
    "fold",
    "html_unescape",
    "js_unescape",
    "payloads",
    "strip_invisible",
    "url_unquote",
    "views",
    "without_inline_markup",
]


def _invisible() -> frozenset[int]:
    """Code points that show nothing: format characters (zero-width space, joiners, soft
    hyphen, bidirectional controls, word joiner, BOM, tags), variation selectors, the
    combining grapheme joiner and the Hangul fillers."""
    planes = (*range(0x20000), *range(0xE0000, 0xE1000))  # no other plane has a format character
    found = {c for c in planes if unicodedata.category(chr(c)) == "Cf"}
    found |= set(range(0xFE00, 0xFE10)) | set(range(0xE0100, 0xE01F0))  # variation selectors
    found |= {0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFFA0}
    return frozenset(found)


INVISIBLE: Final = _invisible()
_DROP: Final = dict.fromkeys(INVISIBLE)


def _char_class(points: frozenset[int]) -> str:
    """A regular expression character class of ``points``, as ranges."""
    ranges: list[list[int]] = []
    for c in sorted(points):
        if ranges and c == ranges[-1][1] + 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return "[" + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges) + "]"


_INVISIBLE_RE: Final = re.compile(_char_class(INVISIBLE))
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def strip_invisible(text: str) -> str:
    """``text`` without the characters that show nothing (:data:`INVISIBLE`).

    >>> strip_invisible("R000\\u200b007\\u00ad")
    'R000007'
    """
    return text.translate(_DROP) if _INVISIBLE_RE.search(text) else text


def html_unescape(text: str) -> str:
    """Character references decoded as HTML5 does (``&#82;``, ``&#x52;``, ``&shy;``).

    >>> html_unescape("&#82;&#x30;00007")
    'R000007'
    """
    return html.unescape(text) if "&" in text else text


_JS_ESCAPE: Final = re.compile(r"\\(?:u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2})|/)")


def _code_point(value: int) -> str:
    return chr(value) if value <= sys.maxunicode else "\ufffd"


def js_unescape(text: str) -> str:
    """JavaScript and JSON escapes decoded: ``\\uXXXX`` (surrogate pairs joined),
    ``\\u{X…}``, ``\\xXX`` and ``\\/``; other backslashes are left as they are.

    >>> js_unescape(r"\\u0052\\x30\\u{30}0007 \\ud83d\\ude00 https:\\/\\/x")
    'R000007 😀 https://x'
    """
    if "\\" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        braced, four, two = m.groups()
        if braced is not None:
            return _code_point(int(braced, 16))
        if four is not None:
            return chr(int(four, 16))
        if two is not None:
            return chr(int(two, 16))
        return "/"

    out = _JS_ESCAPE.sub(one, text)
    if _SURROGATE.search(out):
        out = out.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return out


_CSS_ESCAPE: Final = re.compile(r"\\([0-9a-fA-F]{1,6})(?:\r\n|[ \t\r\n\f])?|\\(\r\n|[\n\r\f])|\\(.)", re.S)


def css_unescape(text: str) -> str:
    """CSS escapes decoded (CSS Syntax 3): ``\\68 `` (hex, one white space after it
    eaten), an escaped newline removed, ``\\`` before any other character dropped.

    >>> css_unescape(r"\\68 ttps:\\2f\\2f x.example")
    'https://x.example'
    """
    if "\\" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        hexa, _newline, other = m.groups()
        if hexa is not None:
            value = int(hexa, 16)
            return "\ufffd" if value == 0 or value > sys.maxunicode or 0xD800 <= value <= 0xDFFF else chr(value)
        return other if other is not None else ""

    return _CSS_ESCAPE.sub(one, text)


_PERCENT: Final = re.compile(r"%[0-9a-fA-F]{2}")


def url_unquote(text: str) -> str:
    """Percent-encoding decoded (as UTF-8; a ``%`` not followed by two hex digits stays).

    >>> url_unquote("%52%30%30%30%30%30%37 33 %")
    'R000007 33 %'
    """
    return unquote(text) if "%" in text and _PERCENT.search(text) else text


def fold(text: str) -> str:
    """Compatibility forms folded (NFKC: fullwidth ``Ｒ０`` is ``R0``, ligatures split)
    and invisible characters removed: the text as a reader reads it.

    >>> fold("Ｒ０００\\u200b００７")
    'R000007'
    """
    text = strip_invisible(text)
    return text if text.isascii() or unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


STEPS: Final[tuple[tuple[str, Callable[[str], str]], ...]] = (
    ("with invisible or compatibility characters", fold),
    ("as character references", html_unescape),
    ("with JavaScript or JSON escapes", js_unescape),
    ("with CSS escapes", css_unescape),
    ("URL-encoded", url_unquote),
)
"""The decoders, in the order they are applied (JavaScript's ``\\u`` before CSS's ``\\``,
which would otherwise read it as a bare ``u``)."""
ROUNDS: Final = 4
"""How often the decoders are applied in turn at most (``&amp;#82;``, ``%2552`` …)."""


def decoded(text: str) -> tuple[str, tuple[str, ...]]:
    """``text`` with every encoding of :data:`STEPS` decoded, repeatedly (at most
    :data:`ROUNDS` times), and how it was written (the steps that changed it).

    >>> decoded("&amp;#82;%2530\\u200b00007")
    ('R000007', ('with invisible or compatibility characters', 'as character references', 'URL-encoded'))
    """
    how: list[str] = []
    for _ in range(ROUNDS):
        before = text
        for name, step in STEPS:
            changed = step(text)
            if changed != text:
                text = changed
                if name not in how:
                    how.append(name)
        if text == before:
            break
    return text, tuple(how)


INLINE_TAGS: Final = (
    "a|abbr|b|bdi|bdo|cite|code|data|dfn|em|font|i|kbd|mark|q|s|samp|small|span|strong|sub|sup|time|u|var|wbr"
)
"""Elements that do not break a run of text: ``R000<span>007</span>`` reads ``R000007``."""
_INLINE: Final = re.compile(rf"<(?:/?(?:{INLINE_TAGS})(?=[\s/>])[^>]*|!--.*?--)>", re.I | re.S)


def without_inline_markup(text: str) -> str:
    """``text`` with inline elements' tags and comments removed: the run of text a
    reader sees (``R000<span>007</span>`` reads ``R000007``).

    >>> without_inline_markup("<p>R000<wbr>0<!-- -->07</p>")
    '<p>R000007</p>'
    """
    return _INLINE.sub("", text) if "<" in text else text


_DATA_URL: Final = re.compile(r"data:([^,\"'<>()\s]{0,200}),([^\"'<>()\s]*)", re.I)
_DATA_ANY_CASE: Final = re.compile("data:", re.I)
_ATOB: Final = re.compile(r"""\batob\s*\(\s*(["'`])([A-Za-z0-9+/=_\-\s]*)\1""")


def _base64(payload: str) -> bytes | None:
    data = re.sub(r"\s+", "", payload)
    data += "=" * (-len(data) % 4)
    try:
        return base64.b64decode(data, altchars=b"-_" if ("-" in data or "_" in data) else None, validate=True)
    except (binascii.Error, ValueError):
        return None


def payloads(text: str) -> Iterator[tuple[str, str, int]]:
    """(text, where, position) of every payload that ``text`` carries encoded: the
    contents of ``data:`` URLs (base64 or percent-encoded) and the base64 strings given
    to ``atob()``.

    >>> [p[:2] for p in payloads('<a href="data:text/plain;base64,UjAwMDAwNw==">x</a> atob("aGk=")')]
    [('R000007', 'in a data: URL'), ('hi', 'in base64 (atob)')]
    """
    if "data:" in text or (any(tail in text for tail in ("ta:", "tA:", "Ta:", "TA:")) and _DATA_ANY_CASE.search(text)):
        for m in _DATA_URL.finditer(text):
            meta, body = m.groups()
            raw = _base64(body) if meta.lower().endswith(";base64") else unquote_to_bytes(body)
            if raw:
                yield raw.decode("utf-8", "replace"), "in a data: URL", m.start()
    if "atob" in text:
        for m in _ATOB.finditer(text):
            raw = _base64(m.group(2))
            if raw:
                yield raw.decode("utf-8", "replace"), "in base64 (atob)", m.start()


class View(NamedTuple):
    """A reading of a text: what it says and how it was written (empty: as it is)."""

    text: str
    how: str


def views(text: str, *, depth: int = 2, single: bool = False) -> list[View]:
    """Every reading of ``text`` that differs from it: decoded (:func:`decoded`); with
    inline markup removed, then decoded; and each payload (:func:`payloads`) with its
    own readings, ``depth`` levels down. ``single``: first each decoder of
    :data:`STEPS` alone, and markup removed alone (to say exactly how a string is written).

    >>> [v.how for v in views("R000<span>&#48;07</span>")]
    ['as character references', 'split by markup, as character references']
    """
    out: list[View] = []
    seen = {text}

    def add(found: str, how: str) -> None:
        if found not in seen:
            seen.add(found)
            out.append(View(found, how))

    joined = without_inline_markup(text)
    if single:
        for name, step in STEPS:
            add(step(text), name)
        add(joined, "split by markup")
    plain, how = decoded(text)
    add(plain, ", ".join(how))
    if joined != text:
        joined_plain, joined_how = decoded(joined)
        add(joined_plain, ", ".join(("split by markup", *joined_how)))
    if depth > 0:
        for source in {text, plain}:
            for payload, where, _pos in payloads(source):
                add(payload, where)
                for inner in views(payload, depth=depth - 1):
                    add(inner.text, f"{where}, {inner.how}")
    return out


_ASCII_BYTES: Final = bytes(range(128))
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_INLINE_RUN: Final = re.compile(rf"(?:{_INLINE.pattern})+", re.I | re.S)
_INLINE_START: Final = re.compile(rf"<(?:/?(?:{INLINE_TAGS})(?=[\s/>])|!--)")
_INLINE_START_ANY_CASE: Final = re.compile(_INLINE_START.pattern, re.I)
_CAPITAL_TAG: Final = re.compile(r"</?[A-Z]")
_ESCAPE_START: Final = re.compile(r"\\[0-9a-fA-FuUxX/\n\r\f]")


def _odd(char: str) -> bool:
    """Does a reader see ``char`` as something else: nothing (invisible), or letters and
    digits (a compatibility form: fullwidth ``Ｒ``, the ligature ``ﬁ``)?"""
    if ord(char) in INVISIBLE:
        return True
    folded = unicodedata.normalize("NFKC", char)
    return folded != char and any(c.isascii() and c.isalnum() for c in folded)


def _non_ascii(text: str) -> set[str]:
    """The characters of ``text`` that are not ASCII (its ASCII bytes dropped in C)."""
    return set(text.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))


def _all(text: str, needle: str) -> Iterator[int]:
    at = text.find(needle)
    while at >= 0:
        yield at
        at = text.find(needle, at + 1)


def encoded_spans(text: str, radius: int) -> list[tuple[int, int]]:
    """(start, end) of the parts of ``text`` where an encoding of :data:`STEPS` or inline
    markup could hide a string of up to about ``radius`` // 8 characters: ``radius``
    characters around every character reference, escape, percent-encoding, odd
    character (:func:`_odd`) and inline tag between letters or digits; merged. Payloads
    (:func:`payloads`) are not spans: read them whole.

    >>> encoded_spans("abc &#82; def R000<wbr>007 Ｒ …", radius=2)
    [(2, 6), (16, 20), (25, 29)]
    """
    starts: list[int] = []
    size = len(text)
    if "&" in text:
        starts += [i for i in _all(text, "&") if i + 1 < size and (text[i + 1] == "#" or text[i + 1].isalpha())]
    if "\\" in text:
        starts += [m.start() for m in _ESCAPE_START.finditer(text)]
    if "%" in text:
        starts += [i for i in _all(text, "%") if i + 2 < size and text[i + 1] in _HEX and text[i + 2] in _HEX]
    if not text.isascii():
        for char in [c for c in _non_ascii(text) if _odd(c)]:
            starts += list(_all(text, char))
    if "<" in text:
        inline = _INLINE_START_ANY_CASE if _CAPITAL_TAG.search(text) else _INLINE_START
        for start in inline.finditer(text):  # a run of inline tags between two letters or digits
            at = start.start()
            if at and text[at - 1].isalnum():
                m = _INLINE_RUN.match(text, at)
                if m and m.end() < size and text[m.end()].isalnum():
                    starts.append(at)
    spans: list[tuple[int, int]] = []
    for at in sorted(starts):
        lo, hi = max(0, at - radius), min(size, at + radius)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], hi))
        else:
            spans.append((lo, hi))
    return spans
