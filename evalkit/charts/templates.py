"""Chart templates: the Altair part of each chart, built once per settings.

A chart's structure (marks, encodings, scales, titles, labels) depends only on its
settings, not on its rows, so each builder in :mod:`evalkit.charts` turns its settings
into a Vega-Lite spec (JSON text) against named datasets once, and every chart with the
same settings reuses it and adds its own rows. Building a template with Altair costs
tens of milliseconds; a batch draws thousands of charts.

A builder is declared with the :func:`template` decorator, which caches it (like
:func:`functools.cache`) and registers it here under its module and name. This is the
public hook for whoever wants the templates built ahead of time — the batch's fork
server (:mod:`evalkit.batch._preload`) does, so that every unit forked from it inherits
them:

* :func:`recording` records every template call made while it is active (for example
  while one unit is rendered), as picklable :class:`TemplateCall` values;
* :func:`warm_up` builds the templates of such calls (in another process, too);
* :func:`registered` lists the builders.

Examples
--------
>>> @template
... def _greeting(name: str) -> str:
...     return '{"title": "%s"}' % name
>>> with recording() as calls:
...     _ = _greeting("x"), _greeting("x")
>>> [c.args for c in calls], calls[0].name in registered()
([('x',), ('x',)], True)
>>> _greeting.cache_info().currsize
1
>>> _greeting.cache_clear(); warm_up(calls), _greeting.cache_info().currsize
(2, 1)
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, Generic, NamedTuple, ParamSpec

P = ParamSpec("P")

__all__ = ["Template", "TemplateCall", "recording", "registered", "template", "warm_up"]


class TemplateCall(NamedTuple):
    """One call of a template builder: its registered name and its arguments."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


_REGISTRY: dict[str, Template[Any]] = {}
_RECORDERS: list[list[TemplateCall]] = []


class Template(Generic[P]):
    """A cached template builder (made by :func:`template`); call it like the function."""

    def __init__(self, build: Callable[P, str]) -> None:
        self.name = f"{build.__module__}.{build.__qualname__}"
        self._cached: Any = functools.cache(build)  # typed loosely: cache wants hashables
        functools.update_wrapper(self, build)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> str:
        for calls in _RECORDERS:
            calls.append(TemplateCall(self.name, tuple(args), dict(kwargs)))
        result: str = self._cached(*args, **kwargs)
        return result

    def cache_info(self) -> functools._CacheInfo:
        """Hits, misses and size of the cache (as :func:`functools.cache`)."""
        info: functools._CacheInfo = self._cached.cache_info()
        return info

    def cache_clear(self) -> None:
        """Forget every built template of this builder."""
        self._cached.cache_clear()


def template(build: Callable[P, str]) -> Template[P]:
    """Cache a template builder and register it for :func:`recording` and :func:`warm_up`.

    The builder's arguments must be hashable settings (strings, numbers, tuples); it
    returns the template as JSON text.
    """
    built = Template(build)
    _REGISTRY[built.name] = built
    return built


def registered() -> dict[str, Template[Any]]:
    """Every registered builder by name (the modules imported so far)."""
    return dict(_REGISTRY)


@contextmanager
def recording() -> Iterator[list[TemplateCall]]:
    """Record every template call made while the block runs; yields the list of calls."""
    calls: list[TemplateCall] = []
    _RECORDERS.append(calls)
    try:
        yield calls
    finally:
        _RECORDERS.remove(calls)


def warm_up(calls: Iterable[TemplateCall]) -> int:
    """Build the templates of recorded ``calls``; returns how many calls were made.

    Only builders of modules imported in this process are registered. A call that
    cannot be made (a name not registered here, arguments that no longer fit) is
    skipped: a warm-up is an optimisation and never fails what follows.
    """
    made = 0
    for call in calls:
        builder = _REGISTRY.get(call.name)
        if builder is None:
            continue
        try:
            builder(*call.args, **call.kwargs)
        except Exception:
            continue
        made += 1
    return made
