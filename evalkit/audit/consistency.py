"""Hidden figures' reasons as the pages state them, and one figure across pages.

:func:`reason_phrases` — what a hidden figure's text may say of why it is hidden, and
for which reason (``small``: "for få svar", "under 5"; ``unit``: "under 10 svar",
"under 10"; ``protect``: "skjult av personvernhensyn"), in nb, nn and en, from the text
store with the audit's thresholds. :func:`stated_reasons` reads a text against them.

:func:`inconsistent` — a figure (unit, wave, figure id) shown on two pages shows the
same n, or is hidden on both for the same reason (issue 13, item 4).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from evalkit.audit.findings import Deferred, PageResult
from evalkit.audit.markup import row_reason
from evalkit.audit.settings import DataFacts
from evalkit.audit.spec import REASONS, Key, Ref

__all__ = [
    "contradicted",
    "inconsistent",
    "reason_phrases",
    "row_label_problems",
    "row_reason_problems",
    "stated_reasons",
    "text_problem",
    "untrue_unit_reasons",
]

_LEGACY_SMALL = ("too few responses",)
"""Earlier English for "small" (a page that still says it is read the same way)."""


@lru_cache(maxsize=16)
def reason_phrases(min_cell_n: int, min_unit_n: int) -> tuple[tuple[re.Pattern[str], frozenset[str]], ...]:
    """(pattern, the reasons a text with it may have), one per phrase of the text store's
    hidden-figure texts in every language.

    Examples
    --------
    >>> sorted(stated_reasons("for få svar", 5, 10)), sorted(stated_reasons("under 10 svar", 5, 10))
    (['small'], ['unit'])
    >>> sorted(stated_reasons("Hidden for privacy", 5, 10)), stated_reasons("under 50", 5, 10)
    (['protect'], set())
    """
    from evalkit.i18n import LANGUAGES, text

    by_phrase: defaultdict[str, set[str]] = defaultdict(set)
    for lang in LANGUAGES:
        by_phrase[text("hidden_small", lang)].add("small")
        by_phrase[text("hidden_small_count", lang, n=min_cell_n)].add("small")
        by_phrase[text("hidden_unit", lang, n=min_unit_n)].add("unit")
        by_phrase[text("hidden_unit_count", lang, n=min_unit_n)].add("unit")
        by_phrase[text("hidden_protect", lang)].add("protect")
    for phrase in _LEGACY_SMALL:
        by_phrase[phrase].add("small")
    # A longer phrase that holds a shorter one ("under 10 svar" ⊃ "under 10") is read as
    # the longer one only: match the longest first and blank what it matched.
    ordered = sorted(by_phrase, key=len, reverse=True)
    return tuple(
        (re.compile(r"(?<![\w])" + re.escape(phrase.casefold()) + r"(?![\w])"), frozenset(by_phrase[phrase]))
        for phrase in ordered
    )


def stated_reasons(text: str, min_cell_n: int, min_unit_n: int) -> set[str]:
    """The reasons ``text`` gives for a hidden figure (empty: it gives none, e.g. "–");
    with two reasons for one phrase (equal thresholds) both are returned."""
    rest = " ".join(text.split()).casefold()
    stated: set[str] = set()
    for pattern, reasons in reason_phrases(min_cell_n, min_unit_n):
        if pattern.search(rest):
            stated.add("|".join(sorted(reasons)))
            rest = pattern.sub(" ", rest)
    return stated


def contradicted(text: str, reason: str | None, min_cell_n: int, min_unit_n: int) -> list[str]:
    """The reasons ``text`` states that are not ``reason`` (empty when it agrees)."""
    return sorted(s for s in stated_reasons(text, min_cell_n, min_unit_n) if reason not in s.split("|"))


def text_problem(text: str, reason: str | None, min_cell_n: int, min_unit_n: int) -> str | None:
    """What is wrong with a hidden figure's ``text`` for its ``reason`` (None: nothing;
    a figure without a valid reason is the ``suppressed-reason`` rule's)."""
    if reason is None:
        return None
    wrong = contradicted(text, reason, min_cell_n, min_unit_n)
    if not wrong:
        return None
    return f"hidden as {reason!r} says {' '.join(text.split())[:60]!r}, which is the text of {' and '.join(wrong)}"


def row_reason_problems(rows: Iterable[tuple[int, Any]]) -> list[str]:
    """Chart rows (numbered) hidden without a reason, or shown with one."""
    wrong: list[str] = []
    for index, row in rows:
        if not index or not isinstance(row, dict) or "suppressed" not in row:
            continue
        if row["suppressed"] is True and row_reason(row) is None:
            wrong.append(f"row {index} is hidden with reason={row.get('reason')!r}")
        elif row["suppressed"] is not True and row.get("reason") is not None:
            wrong.append(f"row {index} is shown but has reason={row['reason']!r}")
    return wrong


def row_label_problems(rows: Iterable[tuple[int, Any]], min_cell_n: int, min_unit_n: int) -> list[str]:
    """Hidden chart rows (numbered) whose label in the chart gives another reason."""
    wrong: list[str] = []
    for index, row in rows:
        label = row.get("label") if index and isinstance(row, dict) and row.get("suppressed") is True else None
        reason = row_reason(row)
        if isinstance(label, str) and reason is not None and contradicted(label, reason, min_cell_n, min_unit_n):
            wrong.append(f"row {index} hidden as {reason!r} is labelled {label[:40]!r}")
    return wrong


def untrue_unit_reasons(results: list[PageResult], min_unit_n: int, facts: DataFacts | None) -> list[Deferred]:
    """With data: survey figures hidden as ``unit`` whose unit has at least ``min_unit_n``
    respondents in the wave (a false reason; rule ``reason-text``)."""
    if facts is None:
        return []
    out: list[Deferred] = []
    for r in results:
        for key, reason in r.reasons.items():
            unit, wave, figure = key
            size = facts.sizes.get((unit, wave), 0)
            if reason == "unit" and size >= min_unit_n:
                out.append((r.file, r.suppressed[key], "reason-text",
                            f"{unit} {figure} (wave {wave}) is hidden as 'unit' (fewer than {min_unit_n} "
                            f"respondents), but the data give the unit {size}"))
    return out


def inconsistent(results: list[PageResult]) -> list[Deferred]:
    """Every survey figure shown or hidden on more than one page: shown with different n,
    hidden for different reasons, or shown on one page and hidden on another; and one
    hidden for different reasons on one page (:attr:`PageResult.reasons` joins them).
    Reported on every page involved, once per figure."""
    shown: defaultdict[Key, list[tuple[Path, Ref, int]]] = defaultdict(list)
    hidden: defaultdict[Key, list[tuple[Path, Ref, str]]] = defaultdict(list)
    for r in results:
        for key, (n, ref) in r.visible.items():
            shown[key].append((r.file, ref, n))
        for key, ref in r.suppressed.items():
            hidden[key].append((r.file, ref, r.reasons.get(key, "")))
    out: list[Deferred] = []
    for key in sorted(shown.keys() | hidden.keys()):
        seen = shown.get(key, [])
        blank = hidden.get(key, [])
        within = any("|" in reason for _, _, reason in blank)  # hidden for two reasons on one page
        if len(seen) + len(blank) < 2 and not within:
            continue
        values = sorted({n for _, _, n in seen})
        reasons = sorted({part for _, _, reason in blank for part in reason.split("|")})
        unit, wave, figure = key
        if len(values) > 1:
            problem = f"is shown with n = {', '.join(map(str, values))} on different pages"
        elif len(reasons) > 1:
            named = ", ".join(repr(r) if r in REASONS else f"{r!r} (not a reason)" for r in reasons)
            where = "on one page" if len(seen) + len(blank) < 2 else "on different pages"
            problem = f"is hidden for different reasons {where} ({named})"
        elif values and reasons:
            problem = f"is shown (n = {values[0]}) on one page and hidden ({reasons[0]!r}) on another"
        else:
            continue
        count = len(seen) + len(blank)
        message = f"{unit} {figure} (wave {wave}) {problem}: " + (
            f"{count} pages must agree" if count > 1 else "its elements must agree")
        out.extend((file, ref, "inconsistent", message) for file, ref, _ in seen)
        out.extend((file, ref, "inconsistent", message) for file, ref, _ in blank)
    return out
