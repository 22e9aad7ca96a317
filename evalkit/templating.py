"""evalkit's Jinja templates: the one folder, the one loader, the one environment.

The page export (:mod:`evalkit.render`) finds its page template through :func:`loader`;
the report's building blocks (cards, notices, tables, findings …) are macros in
``templates/evalkit/macros.html.j2``, rendered with :func:`environment` (the same
loader, with autoescaping: text from data shows as text, never runs). Templates hold
markup only; every word a reader sees comes from :mod:`evalkit.i18n`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import jinja2
import markupsafe

TEMPLATES: Final = Path(str(resources.files("evalkit").joinpath("templates")))
"""The templates folder (``evalkit`` holds the page template, its assets and the macros)."""
MACROS: Final = "macros.html.j2"


@cache
def loader() -> jinja2.FileSystemLoader:
    """The loader of evalkit's page templates (``templates/evalkit``)."""
    return jinja2.FileSystemLoader(str(TEMPLATES / "evalkit"))


LONG_WORD: Final = 24
"""Words longer than this get break opportunities in table cells (:func:`breakable`)."""
_LONG = re.compile(rf"\S{{{LONG_WORD + 1},}}")


def breakable(text: object) -> markupsafe.Markup:
    """``text`` escaped, with a ``<wbr>`` every 12 characters of each word longer than
    :data:`LONG_WORD`: a long name wraps in its cell and never widens a table, while
    ordinary words — long Norwegian compounds such as "pårørenderepresentanter" (23)
    included — and numbers never break.

    Examples
    --------
    >>> str(breakable("Team <b> Forbedringsteametforrusogpsykiskhelse pårørenderepresentanter"))
    'Team &lt;b&gt; Forbedringst<wbr>eametforruso<wbr>gpsykiskhels<wbr>e pårørenderepresentanter'
    """
    if isinstance(text, markupsafe.Markup):
        return text  # markup already: its tags must not be cut
    escaped = str(markupsafe.escape("" if text is None else str(text)))
    out = _LONG.sub(lambda m: "<wbr>".join(_chunks(m.group(0), 12)), escaped)
    return markupsafe.Markup(out)


def _chunks(word: str, size: int) -> list[str]:
    """``word`` cut every ``size`` characters, never inside an HTML entity (``&amp;``)."""
    parts: list[str] = []
    current = ""
    for token in re.findall(r"&[#\w]+;|.", word):
        if len(current) >= size:
            parts.append(current)
            current = ""
        current += token
    return [*parts, current] if current else parts


@cache
def environment() -> jinja2.Environment:
    """The environment the report's macros render in (autoescaped; undefined names fail)."""
    env = jinja2.Environment(
        loader=loader(), autoescape=True, undefined=jinja2.StrictUndefined, auto_reload=False
    )
    env.filters["breakable"] = breakable
    return env


@cache
def _macros() -> Any:
    return environment().get_template(MACROS).module


def macro(name: str) -> Callable[..., str]:
    """The macro ``name`` of ``macros.html.j2`` as a function returning its markup.

    The markup is a plain ``str`` (not Jinja's ``Markup``, which would escape whatever is
    appended to it); nest blocks inside the template, not by passing markup in.

    Examples
    --------
    >>> macro("note")("5 < 6")
    '<p class="ek-note">5 &lt; 6</p>'
    """
    render = getattr(_macros(), name)

    def call(*args: Any, **kwargs: Any) -> str:
        return str(render(*args, **kwargs))

    return call
