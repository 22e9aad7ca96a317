"""Respondent ids in a page, however written: as they are, or behind any encoding of
:mod:`evalkit.audit.decode` (character references, JavaScript/JSON and CSS escapes,
percent-encoding, invisible and compatibility characters, inline markup that splits
them, base64 in ``data:`` URLs and ``atob()``).

The raw text is searched first (an id found there is reported where it is). Then the
parts of the text where an encoding could hide an id (:func:`~evalkit.audit.decode.encoded_spans`)
and every payload are read in every way (:func:`~evalkit.audit.decode.views`); an id that
only a reading shows is reported on the element that holds the smallest piece (a tag,
or a run of text with its inline markup) that shows it. A page without any encoding
costs little more than one search of its text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from evalkit.audit.decode import encoded_spans, payloads, views
from evalkit.audit.settings import Settings, id_pattern
from evalkit.audit.tokenizer import TOKEN

__all__ = ["find_ids"]

_BLOCK_BREAK = re.compile(r"<(?!/?(?:a|abbr|b|bdi|bdo|cite|code|data|dfn|em|font|i|kbd|mark|q|s|samp|small|span|strong|"
                          r"sub|sup|time|u|var|wbr)(?=[\s/>])|!--)", re.I)
WIDEST: int = 16
"""Characters an encoding may spend on one character of an id (``&#x00052;``, ``%25…``)."""


def _tokens(text: str, settings: Settings) -> Iterator[tuple[int, str]]:
    """(position, id) of each id of the data in ``text`` as a whole token (the
    characters next to it are not characters that ids are made of)."""
    if settings.id_pattern:
        yield from _whole(text, settings.id_pattern, settings.ids, settings.id_alphabet)


def _whole(text: str, pattern: str, ids: frozenset[str], alphabet: frozenset[str]) -> Iterator[tuple[int, str]]:
    for m in re.finditer(pattern, text):
        token = m.group()
        if token not in ids:
            continue
        if m.start() and text[m.start() - 1] in alphabet:
            continue  # part of a longer token
        if m.end() < len(text) and text[m.end()] in alphabet:
            continue
        yield m.start(), token


@lru_cache(maxsize=4)
def _lower_case(ids: frozenset[str]) -> tuple[str | None, frozenset[str], frozenset[str], dict[str, str]]:
    """:func:`~evalkit.audit.settings.id_pattern` of the ids in lower case, and each
    lower-case id's id."""
    lowered: dict[str, str] = {}
    for rid in sorted(ids):
        lowered.setdefault(rid.lower(), rid)
    pattern, searched, alphabet = id_pattern(lowered)
    return pattern, searched, alphabet, lowered


@lru_cache(maxsize=8)
def _longest(pattern: str) -> int:
    """The longest id a pattern of :func:`~evalkit.audit.settings.id_pattern` finds."""
    m = re.search(r"\{\d+,(\d+)\}$", pattern)
    return int(m.group(1)) + 1 if m else 64


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    """(position, text) of every tag and comment, of the text between them, and of
    every run of text between tags that break a run (with its inline markup)."""
    pos = 0
    for m in TOKEN.finditer(text):
        if m.start() > pos:
            yield pos, text[pos:m.start()]
        yield m.start(), m.group()
        pos = m.end()
    if pos < len(text):
        yield pos, text[pos:]
    run_start = 0
    for m in _BLOCK_BREAK.finditer(text):
        if m.start() > run_start:
            yield run_start, text[run_start:m.start()]
        run_start = m.start()
    yield run_start, text[run_start:]


def find_ids(doc: str, settings: Settings) -> list[tuple[int, str]]:
    """(position, message) of every respondent id of the data in ``doc`` (see the module
    docstring)."""
    if not settings.id_pattern:
        return []
    found = list(_tokens(doc, settings))
    hits = [(pos, f"respondent id {token!r} from the data") for pos, token in found]
    plain = {token for _pos, token in found}
    hidden: dict[str, tuple[int, int, str]] = {}  # id → (size of the piece, position, how)

    def look(text: str, offset: int, depth: int) -> None:
        for view in views(text, depth=depth):
            tokens = {token for _pos, token in _tokens(view.text, settings)} - plain
            if not tokens:
                continue
            for pos, piece in _pieces(text):  # the smallest piece that shows it
                for piece_view in views(piece, depth=depth, single=True):
                    for _at, token in _tokens(piece_view.text, settings):
                        if token in tokens and (token not in hidden or len(piece) < hidden[token][0]):
                            hidden[token] = (len(piece), offset + pos, piece_view.how)
            for token in tokens:
                hidden.setdefault(token, (len(text), offset, view.how))

    low = doc.lower()  # an id in other letters' case (R2A… for r2a…) reads as the id
    pattern, searched, alphabet, lowered = _lower_case(settings.ids)
    if pattern:
        for at, token in _whole(low, pattern, searched, alphabet):
            rid = lowered[token]
            if rid not in plain and rid not in hidden:
                hidden[rid] = (len(token), at if len(low) == len(doc) else -1, "in other letters' case")
    for start, end in encoded_spans(doc, WIDEST * _longest(settings.id_pattern)):
        look(doc[start:end], start, 1)
    for payload, where, pos in payloads(doc):
        for view in views(payload, depth=1):
            for token in {token for _at, token in _tokens(view.text, settings)} - plain:
                hidden.setdefault(token, (len(payload), pos, f"{where}, {view.how}" if view.how else where))
        for token in {token for _at, token in _tokens(payload, settings)} - plain:
            hidden.setdefault(token, (len(payload), pos, where))
    for token, (_size, pos, how) in hidden.items():
        hits.append((pos, f"respondent id {token!r} from the data, written {how}"))
    return sorted(hits)
