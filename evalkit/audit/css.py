"""What a style sheet may load, read with a real CSS tokenizer (tinycss2, CSS Syntax 3).

The tokenizer decodes CSS escapes as a browser does, so ``\\75 rl(…)``, ``@\\69mport`` and
``url("\\68 ttps://…")`` are a ``url`` function, an ``@import`` rule and an ``https:``
URL. :func:`css_urls` returns every URL a style sheet (or a ``style`` attribute's
declarations) names where something may be loaded: ``url()`` tokens and functions, the
strings of ``src()``, ``image()``, ``image-set()`` and ``cross-fade()``, and the prelude of
``@import``. This module is the audit's one reader of CSS.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final

__all__ = ["LOADING_FUNCTIONS", "css_urls"]

LOADING_FUNCTIONS: Final = frozenset({
    "url", "src", "image", "image-set", "-webkit-image-set", "cross-fade", "-webkit-cross-fade",
})
"""CSS functions whose string arguments are URLs that may be fetched."""


def _strings(tokens: Iterable[Any]) -> Iterator[str]:
    for token in tokens:
        if token.type == "string":
            yield token.value


def _walk(nodes: Iterable[Any]) -> Iterator[str]:
    for node in nodes:
        kind = node.type
        if kind == "url":
            yield node.value
        elif kind == "function":
            if node.lower_name in LOADING_FUNCTIONS:
                yield from _strings(node.arguments)
            yield from _walk(node.arguments)
        elif kind == "at-rule":
            if node.lower_at_keyword == "import":
                yield from _strings(node.prelude)
            yield from _walk(node.prelude)
            yield from _walk(node.content or ())
        elif kind in ("qualified-rule",):
            yield from _walk(node.prelude)
            yield from _walk(node.content)
        elif kind == "declaration":
            yield from _walk(node.value)
        elif kind in ("() block", "[] block", "{} block"):
            yield from _walk(node.content)


def css_urls(css: str, *, declarations: bool = False) -> list[str]:
    """Every URL that ``css`` names where something may be loaded, decoded (CSS escapes)
    and stripped, in order; ``declarations``: ``css`` is a ``style`` attribute's text.

    Examples
    --------
    >>> css_urls(r'@\\69mport "//x.example/a.css"; p{background:\\75 rl(https://x.example/b.png)}')
    ['//x.example/a.css', 'https://x.example/b.png']
    >>> css_urls('background: image-set("c.png" 1x, url(d.png) 2x)', declarations=True)
    ['c.png', 'd.png']
    """
    import tinycss2

    if declarations:
        nodes = tinycss2.parse_blocks_contents(css, skip_comments=True, skip_whitespace=True)
    else:
        nodes = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    return [url.strip() for url in _walk(nodes)]
