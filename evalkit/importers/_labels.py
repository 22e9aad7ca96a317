"""Names as people type them in spreadsheets → evalkit's ids (teams, measures, parts, assessors).

Labels are compared by their words: case, spaces and punctuation do not matter, so the
sheet name "Oslo 1 FACT-team" (Excel forbids ":" in sheet names) finds the team named
"Oslo 1: FACT-team", and "Andel pasienter med individuell plan" finds the measure with
that bokmål label. A label that two ids share is ambiguous and finds neither.

A title row may hold more than a team's name ("Oslo 1: FACT-team – målinger 2025"):
:meth:`Lookup.find_in` looks for the longest name whose words appear in the title, in
order and next to each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

Words = tuple[str, ...]

_WORD = re.compile(r"[^\W_]+")

PART_WORDS: Final[dict[str, str]] = {
    "teller": "numerator", "tellar": "numerator", "teljar": "numerator", "numerator": "numerator",
    "nevner": "denominator", "nemnar": "denominator", "denominator": "denominator",
    "verdi": "value", "value": "value",
    "merknad": "note", "merknader": "note", "merknadar": "note", "kommentar": "note",
    "kommentarer": "note", "kommentarar": "note", "notat": "note", "note": "note", "notes": "note",
    "endring": "change", "endringer": "change", "endringar": "change", "endringspunkt": "change",
    "endring innført": "change", "change": "change", "change point": "change",
}
"""What a row of a wide measures sheet holds, in bokmål, nynorsk and English."""

ASSESSOR_WORDS: Final[dict[str, str]] = {
    "faculty": "faculty", "fakultet": "faculty", "fakultetet": "faculty", "fagstab": "faculty",
    "veileder": "faculty", "veiledar": "faculty", "rettleiar": "faculty", "faglig vurdering": "faculty",
    "fagleg vurdering": "faculty",
    "self": "self", "selv": "self", "sjølv": "self", "egen": "self", "eigen": "self",
    "egenvurdering": "self", "eigenvurdering": "self", "selvvurdering": "self",
    "sjølvvurdering": "self", "team": "self", "teamet": "self", "self assessment": "self",
}
"""Who gave a progress score, in bokmål, nynorsk and English."""

TRUE_WORDS: Final = frozenset({"x", "1", "ja", "yes", "true", "sant"})
FALSE_WORDS: Final = frozenset({"0", "nei", "no", "false", "usant"})


def words(text: str | None) -> Words:
    """A label's words, lower case, without punctuation.

    Examples
    --------
    >>> words("Oslo 1: FACT-team"), words("individual_plan")
    (('oslo', '1', 'fact', 'team'), ('individual', 'plan'))
    """
    return tuple(_WORD.findall(text.casefold())) if text else ()


def _contains(haystack: Words, needle: Words) -> bool:
    n = len(needle)
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


@dataclass(frozen=True)
class Found:
    """A lookup's answer: the ids a label names (one unless ambiguous), or none."""

    ids: tuple[str, ...] = ()
    candidates: tuple[str, ...] = ()
    """For an ambiguous label: the ids it could be."""

    @property
    def one(self) -> str | None:
        return self.ids[0] if len(self.ids) == 1 else None


@dataclass
class Lookup:
    """Labels → ids, compared word by word; explicit labels win over the defaults."""

    keys: dict[Words, tuple[str, ...]] = field(default_factory=dict)
    ambiguous: dict[Words, set[str]] = field(default_factory=dict)
    labels: dict[Words, str] = field(default_factory=dict)
    """A label as the mapping or reference spells it, for messages."""

    @classmethod
    def build(cls, defaults: Iterable[tuple[str, str]], explicit: dict[str, tuple[str, ...]] | None = None) -> Lookup:
        lookup = cls()
        seen: dict[Words, set[str]] = {}
        for label, target in defaults:
            key = words(label)
            if key:
                seen.setdefault(key, set()).add(target)
                lookup.labels.setdefault(key, label)
        for key, targets in seen.items():
            if len(targets) == 1:
                lookup.keys[key] = (next(iter(targets)),)
            else:
                lookup.ambiguous[key] = targets
        for label, many in (explicit or {}).items():
            key = words(label)
            if key:
                lookup.keys[key] = tuple(many)
                lookup.ambiguous.pop(key, None)
                lookup.labels[key] = label
        return lookup

    def find(self, text: str | None) -> Found:
        """The ids ``text`` names as a whole."""
        key = words(text)
        if key in self.keys:
            return Found(self.keys[key])
        if key in self.ambiguous:
            return Found((), tuple(sorted(self.ambiguous[key])))
        return Found()

    def find_in(self, text: str | None) -> Found:
        """The id whose label is the longest run of ``text``'s words (a title, a sheet name)."""
        exact = self.find(text)
        if exact.ids or exact.candidates:
            return exact
        key = words(text)
        hits = [(len(k), ids) for k, ids in self.keys.items() if _contains(key, k)]
        hits += [(len(k), tuple(sorted(ids))) for k, ids in self.ambiguous.items() if _contains(key, k)]
        if not hits:
            return Found()
        longest = max(n for n, _ in hits)
        best = {i for n, ids in hits if n == longest for i in ids}
        return Found((next(iter(best)),)) if len(best) == 1 else Found((), tuple(sorted(best)))

    def split(self, text: str | None, parts: Lookup) -> tuple[Found, str] | None:
        """A label such as "Individuell plan – teller": the ids of its first words and the
        part its last (or first) one or two words name; ``None`` if it is not such a label."""
        key = words(text)
        for n in (1, 2):
            if len(key) <= n:
                break
            for head, tail in ((key[:-n], key[-n:]), (key[n:], key[:n])):
                part = parts.keys.get(tail)
                found = self.keys.get(head)
                if part is not None and found is not None:
                    return Found(found), part[0]
        return None

    def examples(self, limit: int = 4) -> str:
        """A few of the labels it knows, for a message."""
        shown = [repr(self.labels[k]) for k in list(self.keys)[:limit]]
        return ", ".join(shown) + (", …" if len(self.keys) > limit else "")
