"""What a figure id counts, and what a hidden figure's reason says about its count (the
cells of the audit's attacker, :mod:`evalkit.audit.attack`).

Cells
-----
A cell is a count of people: (unit, wave, kind). The figure ids that carry a cell's count
in ``data-n`` (each checked against the sample data: see tests/test_audit_attack.py):

* ``respondents.<role>`` (the six roles) and ``respondents.all``: respondents;
* ``<item>.n``, ``<item>.share_favourable``, ``<item>.share_favourable.ci``,
  ``<item>.share_dont_know``: the item's answers (don't-know left out), everyone;
  ``<item>.<group>.n``, ``<item>.<group>.share_favourable``, ``….share_favourable.ci``:
  the answers of a role group; ``<item>.gap.user_side.share_favourable``: the user
  side's answers plus the provider side's;
* ``<dim>.index_mean``, ``<dim>.index_share_favourable``, ``<dim>.benchmark.index_mean``,
  ``<dim>.change.index_mean``, ``summary.<dim>.benchmark.index_mean``,
  ``<dim>.index_mean.all`` (and ``.n``, ``.ci``), ``<dim>.trend.index_mean`` (a point of
  the trend over waves, its cell's ``data-wave`` the point's wave): everyone with an index;
  ``<dim>.index_mean.<group>`` (and ``.n``, ``.ci``): a role group with an index;
  ``<dim>.gap.user_side.index_mean`` and ``summary.<dim>.gap.user_side.index_mean``: the
  user and provider sides with an index;
* ``<dim>.alpha``: the respondents who answered every item of the dimension.

Other figures (``response_rate``: people invited; ``data_quality.*``) are not counts of
the cells above and are left out (the same-key checks of
:func:`~evalkit.audit.crosspage.recoverable` still see them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Final

import numpy as np

from evalkit.audit.settings import Settings
from evalkit.schema import PROVIDER_SIDE, ROLES, USER_SIDE

__all__ = ["GROUPS", "SIDES", "Cell", "Kind", "cell_kind", "family", "reason_bounds"]

GROUPS: Final[dict[str, tuple[str, ...]]] = {
    "user_side": USER_SIDE,
    "provider_side": PROVIDER_SIDE,
    "experience_consultant": ("experience_consultant",),
    "other": ("other",),
}
"""The role groups whose counts add up to everyone's (``other`` is never published)."""
SIDES: Final = "sides"
"""The user side and the provider side together (the n of a gap between them)."""

Kind = tuple[str, ...]
Cell = tuple[str, str, Kind]
"""(unit, wave, kind): ``("respondents", role)``, ``("item", item, group)``,
``("index", dimension, group)``, ``("complete", dimension)`` or a hidden remainder."""

_NAME = r"([a-z0-9_]+)"
_GROUP = "(all|" + "|".join(GROUPS) + ")"
_ROLE = "(" + "|".join(("all", *ROLES)) + ")"
_NOT_NAMES: Final = frozenset({"respondents", "summary", "data_quality", "response_rate", "trend"})
_FIGURES: Final[tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Kind]], ...]] = (
    (re.compile(rf"respondents\.{_ROLE}"), lambda m: ("respondents", m[1])),
    (re.compile(rf"summary\.{_NAME}\.benchmark\.index_mean"), lambda m: ("index", m[1], "all")),
    (re.compile(rf"(?:summary\.)?{_NAME}\.gap\.user_side\.index_mean"), lambda m: ("index", m[1], SIDES)),
    (re.compile(rf"{_NAME}\.(?:index_mean|index_share_favourable|benchmark\.index_mean|change\.index_mean)"),
     lambda m: ("index", m[1], "all")),
    (re.compile(rf"{_NAME}\.index_mean\.{_GROUP}(?:\.n|\.ci)?"), lambda m: ("index", m[1], m[2])),
    (re.compile(rf"{_NAME}\.trend\.index_mean"), lambda m: ("index", m[1], "all")),
    (re.compile(rf"{_NAME}\.alpha"), lambda m: ("complete", m[1])),
    (re.compile(rf"{_NAME}\.gap\.user_side\.share_favourable"), lambda m: ("item", m[1], SIDES)),
    (re.compile(rf"{_NAME}\.(?:n|share_favourable|share_favourable\.ci|share_dont_know)"),
     lambda m: ("item", m[1], "all")),
    (re.compile(rf"{_NAME}\.{_GROUP}\.(?:n|share_favourable|share_favourable\.ci)"),
     lambda m: ("item", m[1], m[2])),
)


@cache
def cell_kind(figure: str) -> Kind | None:
    """The kind of count whose n a figure id carries (None: not one the attacker models).

    >>> cell_kind("respondents.leader"), cell_kind("eq_views.user_side.share_favourable")
    (('respondents', 'leader'), ('item', 'eq_views', 'user_side'))
    >>> cell_kind("equality.index_mean.provider_side.n"), cell_kind("response_rate")
    (('index', 'equality', 'provider_side'), None)
    >>> cell_kind("impact.trend.index_mean"), cell_kind("trend.index_mean")
    (('index', 'impact', 'all'), None)
    """
    for pattern, kind in _FIGURES:
        m = pattern.fullmatch(figure)
        if m is not None:
            if m.lastindex and m[1] in _NOT_NAMES and not figure.startswith("respondents."):
                return None
            return kind(m)
    return None


def family(kind: Kind) -> Kind:
    """The family of counts a kind belongs to: respondents, an item, an index, complete answers."""
    return kind[:1] if kind[0] == "respondents" else kind[:2]


def reason_bounds(reason: str, kind: Kind, settings: Settings) -> tuple[float, float, str]:
    """(lower, upper, reason) of a count of ``kind`` hidden with ``data-suppressed`` =
    ``reason`` (as the page walker keeps it: stripped, lower case). ``small``:
    1…min_cell_n−1; ``unit``: at most min_unit_n−1 (a unit's respondents at least 1);
    ``protect``: at least min_cell_n. A gap between the user and the provider side
    (:data:`SIDES`) hidden as ``small`` has a side under min_cell_n, which bounds
    neither side's count nor their sum: nothing. Any other value (the old ``true``, or
    two reasons on one page: the ``suppressed-reason`` and ``inconsistent`` rules report
    those) says nothing either: reason ``hidden``, 0…∞.

    >>> s = Settings(10, 5)
    >>> reason_bounds("small", ("respondents", "leader"), s), reason_bounds("unit", ("respondents", "all"), s)
    ((1.0, 4.0, 'small'), (1.0, 9.0, 'unit'))
    >>> reason_bounds("small", ("item", "eq_views", SIDES), s), reason_bounds("true", ("respondents", "other"), s)
    ((0.0, inf, 'small'), (0.0, inf, 'hidden'))
    """
    if reason == "small":
        return (0.0, np.inf, "small") if kind[-1] == SIDES else (1.0, settings.min_cell_n - 1.0, "small")
    if reason == "unit":
        return (1.0 if kind == ("respondents", "all") else 0.0), settings.min_unit_n - 1.0, "unit"
    if reason == "protect":
        return float(settings.min_cell_n), np.inf, "protect"
    return 0.0, np.inf, "hidden"
