"""evalkit's Jinja templates: the one folder, the one loader, the one environment.

The page export (:mod:`evalkit.render`) finds its page template through :func:`loader`;
the report's building blocks (cards, notices, tables, findings …) are macros in
``templates/evalkit/macros.html.j2``, rendered with :func:`environment` (the same
loader, with autoescaping: text from data shows as text, never runs). Templates hold
markup only; every word a reader sees comes from :mod:`evalkit.i18n`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final

import jinja2

TEMPLATES: Final = Path(str(resources.files("evalkit").joinpath("templates")))
"""The templates folder (``evalkit`` holds the page template, its assets and the macros)."""
MACROS: Final = "macros.html.j2"


@cache
def loader() -> jinja2.FileSystemLoader:
    """The loader of evalkit's page templates (``templates/evalkit``)."""
    return jinja2.FileSystemLoader(str(TEMPLATES / "evalkit"))


@cache
def environment() -> jinja2.Environment:
    """The environment the report's macros render in (autoescaped; undefined names fail)."""
    return jinja2.Environment(
        loader=loader(), autoescape=True, undefined=jinja2.StrictUndefined, auto_reload=False
    )


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
