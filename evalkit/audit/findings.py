"""What an audit yields: findings, the report of a set of pages, and one page's result."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evalkit.audit.spec import (
    DEFAULT_MIN_CELL_N,
    DEFAULT_MIN_UNIT_N,
    PINNED_PHRASE,
    TAKES_PART,
    Key,
    Ref,
)

__all__ = ["AuditReport", "Deferred", "Finding", "PageResult", "pinned_figures", "sort_key"]

_PINNED = re.compile(r"^(.+) \(wave ([^)]+)\), [^:]*, " + re.escape(PINNED_PHRASE) + r": (\d+) ")


@dataclass(frozen=True)
class Finding:
    """One thing a page must not publish: where it is, which rule, and why."""

    file: Path
    element: str
    rule: str
    message: str
    line: int | None = None

    def text(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        return f"{where}: {self.rule}: {self.element}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": str(self.file), "line": self.line, "element": self.element,
                "rule": self.rule, "message": self.message}


def sort_key(finding: Finding) -> tuple[str, int, str, str]:
    return (str(finding.file), finding.line or 0, finding.rule, finding.element)


def pinned_figures(findings: list[Finding]) -> list[str]:
    """The hidden figures the cross-page attack pins, once each (``<unit> <count> (wave
    <w>) = <value>``), from its findings' messages.

    >>> f = Finding(Path("a.html"), "td", "recoverable", "municipality:0301 respondents.leader (wave 2026), "
    ...             "hidden as small, " + PINNED_PHRASE + ": 3 (through …)")
    >>> pinned_figures([f, f])
    ['municipality:0301 respondents.leader (wave 2026) = 3']
    """
    seen: dict[str, None] = {}
    for f in findings:
        m = _PINNED.match(f.message)
        if m:
            seen.setdefault(f"{m[1]} (wave {m[2]}) = {m[3]}", None)
    return sorted(seen)


@dataclass(frozen=True)
class AuditReport:
    """The audit of a set of pages: its findings, the findings it only reports
    (``warnings``) and the settings it ran with."""

    findings: list[Finding]
    files: tuple[Path, ...] = ()
    min_unit_n: int = DEFAULT_MIN_UNIT_N
    min_cell_n: int = DEFAULT_MIN_CELL_N
    data_dir: Path | None = None
    seconds: float = field(default=0.0, compare=False)
    from_cache: bool = field(default=False, compare=False)
    warnings: list[Finding] = field(default_factory=list)
    """Findings that do not fail the audit: the cross-page attack's, unless it runs
    strict (:attr:`~evalkit.audit.settings.Settings.strict_attack`). Printed; a batch
    still publishes the pages."""

    @property
    def ok(self) -> bool:
        """True when nothing was found (warnings do not count)."""
        return not self.findings

    def warning_text(self) -> str:
        """The warnings, one line each as in :meth:`text` (empty when there are none)."""
        return "\n".join(f.text() for f in self.warnings)

    def attack_summary(self) -> str | None:
        """One line on the warnings: the small figures the attack pins (``N small
        figure(s) can be worked out exactly: …``) and its other findings; None when there
        are no warnings."""
        if not self.warnings:
            return None
        pinned = pinned_figures(self.warnings)
        shown = ", ".join(pinned[:5]) + (f" and {len(pinned) - 5} more" if len(pinned) > 5 else "")
        parts = [f"{len(pinned)} small figure(s) can be worked out exactly" + (f": {shown}" if pinned else "")]
        other = {f.message for f in self.warnings if not _PINNED.match(f.message)
                 and not f.message.startswith(TAKES_PART)}
        if other:
            parts.append(f"{len(other)} other finding(s) of the attack")
        pages = len({f.file for f in self.warnings})
        return (f"{'; '.join(parts)} (on {pages} page(s); reported only, not blocking — "
                "--strict-attack makes them findings)")

    def failing_files(self) -> set[Path]:
        """The pages to keep aside (every page involved in a finding)."""
        return {f.file for f in self.findings}

    def text(self) -> str:
        """One line per finding (``file:line: rule: element: message``), or one line
        saying that the pages are clean."""
        if not self.findings:
            return f"audit: {len(self.files)} page(s), no findings"
        return "\n".join(f.text() for f in self.findings)

    def summary(self) -> str:
        pages = len(self.failing_files())
        reported = f"; {len(self.warnings)} warning(s), reported only" if self.warnings else ""
        return (f"audit: {len(self.files)} page(s) in {self.seconds:.1f} s: "
                f"{len(self.findings)} finding(s) in {pages} page(s){reported}")

    def to_json(self) -> str:
        """The report as JSON (what :meth:`from_json` reads back)."""
        return json.dumps({
            "ok": self.ok,
            "min_unit_n": self.min_unit_n,
            "min_cell_n": self.min_cell_n,
            "data_dir": None if self.data_dir is None else str(self.data_dir),
            "seconds": round(self.seconds, 3),
            "files": [str(p) for p in self.files],
            "findings": [f.to_dict() for f in self.findings],
            "warnings": [f.to_dict() for f in self.warnings],
        }, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str, *, from_cache: bool = False) -> AuditReport:
        raw = json.loads(text)

        def read(items: list[dict[str, Any]]) -> list[Finding]:
            return [Finding(Path(f["file"]), f["element"], f["rule"], f["message"], f.get("line")) for f in items]

        return cls(
            findings=read(raw["findings"]),
            warnings=read(raw.get("warnings", [])),
            files=tuple(Path(p) for p in raw["files"]),
            min_unit_n=int(raw["min_unit_n"]),
            min_cell_n=int(raw["min_cell_n"]),
            data_dir=None if raw.get("data_dir") is None else Path(raw["data_dir"]),
            seconds=float(raw.get("seconds", 0.0)),
            from_cache=from_cache,
        )


@dataclass
class PageResult:
    """One page's findings and what the cross-page checks need from it."""

    file: Path
    findings: list[Finding] = field(default_factory=list)
    visible: dict[Key, tuple[int, Ref]] = field(default_factory=dict)
    suppressed: dict[Key, Ref] = field(default_factory=dict)
    reasons: dict[Key, str] = field(default_factory=dict)
    """A suppressed key's ``data-suppressed`` (stripped, lower case); when the page hides
    it for several reasons, all of them, sorted and joined by ``|`` (not a reason: the
    ``inconsistent`` rule reports it, and the attacker reads no bounds from it)."""
    results: dict[tuple[str, str], tuple[int, Ref]] = field(default_factory=dict)
    respondents_all: dict[tuple[str, str], int | None] = field(default_factory=dict)
    largest_n: dict[tuple[str, str], int] = field(default_factory=dict)
    units: Counter[str] = field(default_factory=Counter)
    read_whole: bool = False  # positions refer to the page with the chart library left in

    def own_unit(self) -> str | None:
        for unit, _wave in self.respondents_all:
            return unit
        counted = [(n, u) for u, n in self.units.items() if not u.startswith("team:")]
        return max(counted)[1] if counted else None


Deferred = tuple[Path, Ref, str, str]
"""A cross-page finding before its element's CSS path is known: file, where, rule, message."""
