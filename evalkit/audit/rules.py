"""The audit's rules: one object per rule, with its id, a one-line description and its
checks, kept in a registry (:data:`REGISTRY`; ``evalkit audit --rules`` lists it). What a
rule is, its hooks and what it sees of a page are in :mod:`evalkit.audit.rulebase`
(re-exported here); the allowlist's rules are in :mod:`evalkit.audit.allowrules`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from evalkit.audit import consistency
from evalkit.audit.allowrules import ForeignMarkup, ForeignScript
from evalkit.audit.attack import attack as run_attack
from evalkit.audit.crosspage import recoverable, small_units
from evalkit.audit.css import css_urls
from evalkit.audit.decode import css_unescape, js_unescape, payloads
from evalkit.audit.findings import Deferred, Finding, PageResult
from evalkit.audit.ids import find_ids
from evalkit.audit.markup import Frame, Mark, is_visible_row, numbered_rows
from evalkit.audit.numbers import cell_numbers, hidden_numbers, hidden_row_numbers
from evalkit.audit.rulebase import ChartRows, Page, Registry, Rule
from evalkit.audit.settings import DataFacts, Settings
from evalkit.audit.spec import (
    ESTIMATE_KEYS,
    MARK_ATTRS,
    NAMESPACES,
    PUBLISHED_NAMES,
    PUBLISHED_SUFFIXES,
    REASONS,
    SOURCES,
    URL_ATTRS,
    URL_LIST_ATTRS,
    Ref,
    is_network,
)
from evalkit.audit.tokenizer import unescape

__all__ = [
    "REGISTRY",
    "RULES",
    "UNREADABLE",
    "ChartRows",
    "Page",
    "Registry",
    "Rule",
    "is_network",
]

_FIGURE_KEYS: Final = ESTIMATE_KEYS | {"n", "suppressed"}
_SVG_TEXT = re.compile(r"<text\b[^>]*>([^<]*)</text>")
_N_LABEL = re.compile(r"\bn\s*=\s*(\d+)")
_CSS_URL = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*?))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""", re.I
)
_SLASH = re.compile(r"/[/\\]")
_URL_LEAD = re.compile(r"""["'`]\s*([a-zA-Z][a-zA-Z0-9+.\-]*:)?$""")
_URL_END = re.compile(r"""["'`\s]|$""")
_SCHEMA_KEY = re.compile(r"""["']?(?:\$schema|xmlns[^"':]*)["']?\s*:\s*$""")
_JS_NETWORK = re.compile(
    r"\b(fetch|importScripts|sendBeacon|import|open|write|writeln)\s*\(|\b(XMLHttpRequest|WebSocket|EventSource)\b"
    r"|(new\s+Image\b|\blocation\s*(?:\.href\s*)?=(?!=)|\.src\s*=(?!=))"
)
_BARE_URL = re.compile(r"(?:[a-zA-Z][a-zA-Z0-9+.\-]*:)?//[^\s\"'<>()]+")
_VEGA_SCRIPT = re.compile(r"""["']\$schema["']\s*:\s*["'][^"']*vega""")
_DATA_URL = re.compile(r'"url"\s*:\s*"([^"]*)"')
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.I)
_SVG_URL = re.compile(r"""\s((?:xlink:)?href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)


def _shown_estimate(row: Mapping[str, Any]) -> list[str]:
    return sorted(k for k in ESTIMATE_KEYS.intersection(row) if row[k] is not None)


def _report_rows(page: Page, rule: str, where: Ref, what: str, items: list[str]) -> None:
    if items:
        more = f" and {len(items) - 5} more" if len(items) > 5 else ""
        page.add(rule, where, f"{what}: {', '.join(items[:5])}{more}")


# --- the rules ------------------------------------------------


class SmallCell(Rule):
    id = "small-cell"
    description = "a survey figure based on fewer than min_cell_n people"

    def figure(self, page: Page, frame: Frame, mark: Mark) -> None:
        if mark.source != "survey" or mark.n is None:
            return
        what = "figure" if not mark.chart and mark.unit and mark.wave and mark.figure else "chart"
        min_cell_n = page.settings.min_cell_n
        if 0 < mark.n < min_cell_n:
            page.add(self.id, page.ref(frame), f"survey {what} based on n={mark.n} < min_cell_n={min_cell_n}")

    def chart_rows(self, page: Page, rows: ChartRows) -> None:
        if rows.error is not None or rows.source != "survey":
            return
        min_cell_n = page.settings.min_cell_n
        small = [f"row {index} n={row['n']}" for index, row in numbered_rows(rows.spec)
                 if index and is_visible_row(row) and 0 < row["n"] < min_cell_n]
        _report_rows(page, self.id, rows.where, f"chart rows with n < min_cell_n={min_cell_n}", small)


class SmallUnit(Rule):
    id = "small-unit"
    description = "survey results for a unit with fewer than min_unit_n respondents"

    def across(self, results: list[PageResult], settings: Settings, facts: DataFacts | None) -> list[Deferred]:
        return small_units(results, settings, facts)


class UnmarkedFigure(Rule):
    id = "unmarked-figure"
    description = "a figure without complete figure markup"

    def figure(self, page: Page, frame: Frame, mark: Mark) -> None:
        given = (mark.given_unit, mark.wave, mark.figure, mark.source)
        problems = [f"no {a}" for a, v in zip(MARK_ATTRS[:4], given, strict=True) if v is None]
        if mark.unit_problem:
            problems.append(mark.unit_problem)
        if mark.source is not None and mark.source not in SOURCES:
            problems.append(f"data-source {mark.source!r} is not survey, teams or measures")
        if mark.raw_n is not None and mark.given_n is None:
            problems.append(f"data-n={mark.raw_n!r} is not a whole number")
        if not mark.chart and not mark.suppressed and mark.raw_n is None and mark.source in ("survey", "teams"):
            problems.append("neither data-n nor data-suppressed")
        if problems:
            what = "chart" if mark.chart else "figure"
            page.add(self.id, page.ref(frame), f"{what} markup incomplete: {'; '.join(problems)}")

    def cell_text(self, page: Page, frame: Frame, text: str) -> None:
        if cell_numbers(text):
            page.add(self.id, page.ref(frame), f"table cell shows {text.strip()[:40]!r} without figure markup")

    def script(self, page: Page, kind: str, content: str, pos: int) -> None:
        if kind == "json" and _VEGA_SCRIPT.search(content):
            page.add(self.id, page.at(pos), "a chart spec outside evalkit's figure markup")
        elif kind == "js" and _VEGA_SCRIPT.search(content):
            page.add(self.id, page.at(pos), "a script holds a chart spec outside evalkit's figure markup")

    def chart_spec(self, page: Page, content: str, chart: Frame | None, where: Ref) -> None:
        for m in _DATA_URL.finditer(content):
            if not is_network(m.group(1)):
                page.add(self.id, where, f"chart data comes from {m.group(1)[:80]!r}, which the audit cannot read")
        if chart is None:
            page.add(self.id, where, "chart spec outside a marked figure.ek-figure")

    def chart_rows(self, page: Page, rows: ChartRows) -> None:
        if rows.error is not None:
            return
        unmarked: list[str] = []
        for index, row in numbered_rows(rows.spec):
            if not index:
                unmarked.append(f"inline data {type(row).__name__} without rows")
            elif not isinstance(row, dict) or "n" not in row or "suppressed" not in row:
                unmarked.append(f"row {index} has no n/suppressed")
            elif is_visible_row(row) or row["suppressed"] is True:
                continue
            elif row["suppressed"] is False and row["n"] is None:
                shown = _shown_estimate(row)
                if shown:  # otherwise a layout row (a zero line), not a figure
                    unmarked.append(f"row {index} shows {shown[0]}={row[shown[0]]} without n")
            else:
                unmarked.append(f"row {index} has n={row['n']!r}, suppressed={row['suppressed']!r}")
        _report_rows(page, self.id, rows.where, "chart data without figure markup", unmarked)


class SuppressedReason(Rule):
    id = "suppressed-reason"
    description = "a hidden figure that does not say why (data-suppressed other than small, unit or protect)"

    def figure(self, page: Page, frame: Frame, mark: Mark) -> None:
        if mark.suppressed and mark.reason is None:
            page.add(self.id, page.ref(frame), f"data-suppressed={mark.raw_suppressed!r}: a hidden figure says why ({', '.join(REASONS)}), and a shown one carries no data-suppressed")

    def chart_rows(self, page: Page, rows: ChartRows) -> None:
        if rows.error is None:
            _report_rows(page, self.id, rows.where, "chart rows without a true reason's markup", consistency.row_reason_problems(numbered_rows(rows.spec)))


class ReasonText(Rule):
    id = "reason-text"
    description = "a hidden figure whose text gives another reason than its markup, or whose reason the data contradict"

    def figure_text(self, page: Page, frame: Frame, text: str) -> None:
        if problem := consistency.text_problem(text, frame.mark.reason if frame.mark else None, page.settings.min_cell_n, page.settings.min_unit_n):
            page.add(self.id, page.ref(frame), f"a figure {problem}")

    def card_note(self, page: Page, card: Frame, notes: Sequence[str]) -> None:
        if problem := consistency.text_problem(" ".join(notes), card.card_reason, page.settings.min_cell_n, page.settings.min_unit_n):
            page.add(self.id, page.ref(card, " .ek-card-note"), f"a key figure {problem}")

    def chart_rows(self, page: Page, rows: ChartRows) -> None:
        if rows.error is None:
            _report_rows(page, self.id, rows.where, "hidden chart rows labelled with another reason", consistency.row_label_problems(numbered_rows(rows.spec), page.settings.min_cell_n, page.settings.min_unit_n))

    def across(self, results: list[PageResult], settings: Settings, facts: DataFacts | None) -> list[Deferred]:
        return consistency.untrue_unit_reasons(results, settings.min_unit_n, facts)


class Inconsistent(Rule):
    id = "inconsistent"
    description = "a figure that two pages show differently (another n, or hidden for another reason)"

    def across(self, results: list[PageResult], settings: Settings, facts: DataFacts | None) -> list[Deferred]:
        return consistency.inconsistent(results)


class SuppressedWithN(Rule):
    id = "suppressed-with-n"
    description = "a suppressed figure that still carries an n or a value (in digits or in words)"

    def __init__(self) -> None:
        self._drawn: list[tuple[Frame, list[int]]] = []

    @staticmethod
    def numbers(page: Page, text: str) -> list[str]:
        """Numbers in ``text``, in digits or words, other than the thresholds (which a
        suppressed cell may name)."""
        return hidden_numbers(text, (page.settings.min_cell_n, page.settings.min_unit_n))

    def figure(self, page: Page, frame: Frame, mark: Mark) -> None:
        if mark.suppressed and mark.raw_n is not None:
            page.add(self.id, page.ref(frame), f"suppressed figure carries data-n={mark.raw_n!r}")

    def figure_text(self, page: Page, frame: Frame, text: str) -> None:
        shown = self.numbers(page, text)
        if shown:
            page.add(self.id, page.ref(frame), f"suppressed figure shows {', '.join(shown)} ({text.strip()[:40]!r})")
        label = getattr(page, "row_label", "")  # a stand-in page may have none
        if told := cell_numbers(label, digits=False):
            page.add(self.id, page.ref(frame), f"the row of a suppressed figure says {', '.join(told)} ({label.strip()[:40]!r})")

    def card_note(self, page: Page, card: Frame, notes: Sequence[str]) -> None:
        shown = self.numbers(page, " ".join(notes))
        if shown:
            page.add(self.id, page.ref(card, " .ek-card-note"),
                     f"the note of a suppressed key figure shows {', '.join(shown)}")
        if told := cell_numbers(" ".join(card.card_labels or ()), digits=False):
            page.add(self.id, page.ref(card, " .ek-card-label"),
                     f"the label of a suppressed key figure says {', '.join(told)}")

    def drawing(self, page: Page, svg: str, pos: int) -> None:
        """The counts a chart's static drawing writes ("n = 12"), checked against its spec's
        visible rows when the spec follows (:meth:`chart_rows`)."""
        chart = page.open_chart()
        if chart is None or "n" not in svg:
            return
        counts = [int(n) for label in _SVG_TEXT.findall(svg) for n in _N_LABEL.findall(unescape(label))]
        if counts:
            self._drawn.append((chart, counts))

    def chart_rows(self, page: Page, rows: ChartRows) -> None:
        drawn = [counts for chart, counts in self._drawn if chart is rows.chart]
        self._drawn = [(chart, counts) for chart, counts in self._drawn if chart is not rows.chart]
        if rows.error is not None:
            return
        if drawn:
            visible = {row["n"] for index, row in numbered_rows(rows.spec)
                       if index and isinstance(row, dict) and row.get("suppressed") is False and row.get("n") is not None}
            unknown = sorted({n for counts in drawn for n in counts if n not in visible})
            if unknown:
                page.add(self.id, rows.where if rows.chart is None else page.ref(rows.chart, " .ek-static svg"),
                         f"the chart's drawing shows n = {', '.join(map(str, unknown))}, "
                         "which no visible row of its data has (a suppressed group's count?)")
        leaks: list[str] = []
        for index, row in numbered_rows(rows.spec):
            if not index or not isinstance(row, dict) or "n" not in row or row.get("suppressed", 0) is not True:
                continue
            if row["n"] is not None:
                leaks.append(f"row {index} n={row['n']}")
            elif shown := _shown_estimate(row):
                leaks.append(f"row {index} {shown[0]}={row[shown[0]]}")
            elif told := hidden_row_numbers(row, (page.settings.min_cell_n, page.settings.min_unit_n), _FIGURE_KEYS):
                leaks.append(f"row {index} {told[0]}")
        _report_rows(page, self.id, rows.where, "suppressed chart rows still carry figures", leaks)


class RespondentId(Rule):
    id = "respondent-id"
    description = "a respondent id from the data, as it is or however written (escaped, encoded, split)"

    def scan(self, page: Page, doc: str) -> Iterable[tuple[int, str]]:
        return find_ids(doc, page.settings)


class NetworkResource(Rule):
    id = "network-resource"
    description = "a resource loaded from (or a link to) another host, however written (escaped, encoded)"

    def start_tag(self, page: Page, tag: str, attrs: Mapping[str, str], pos: int) -> None:
        for name, value in attrs.items():
            if name in URL_ATTRS or (name == "data" and tag == "object"):
                stripped = value.strip()
                if stripped.lower().startswith("javascript:"):
                    self.check_js(page, stripped[11:], pos, f" @{name}")
                elif stripped[:5].lower() == "data:":  # a file in the URL: what it holds
                    for payload, _where, _at in payloads(stripped):
                        if tag == "script":
                            self.check_js(page, payload, pos, f" @{name}")
                        else:
                            self.bare_urls(page, payload, pos, f" @{name}")
                elif is_network(value):
                    link = name == "href" and tag in ("a", "area")
                    what = "links to" if link else "loads from"
                    self.report(page, pos, f"{name}={stripped[:80]!r} {what} another host")
            elif name in URL_LIST_ATTRS:
                candidates = ([part.split()[0]] if part.split() else [] for part in value.split(",")) \
                    if "srcset" in name else ([part] for part in re.split(r"[,\s]+", value) if part)
                for url in (c[0] for c in candidates if c):
                    if is_network(url):
                        self.report(page, pos, f"{name} names {url[:80]!r} on another host")
            elif name == "style":
                self.check_css(page, value, pos, " @style", declarations=True)
            elif name == "srcdoc":  # a whole page in an attribute
                self.string_urls(page, value, pos, " @srcdoc")
                self.check_css(page, value, pos, " @srcdoc")
            elif name.startswith("on"):
                self.check_js(page, value, pos, f" @{name}")
            elif name == "content" and tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
                m = _REFRESH_URL.search(value)
                if m and is_network(m.group(1)):
                    self.report(page, pos, f"meta refresh goes to {m.group(1)[:80]!r}")

    def style(self, page: Page, css: str, pos: int) -> None:
        self.check_css(page, css, pos)

    def drawing(self, page: Page, svg: str, pos: int) -> None:
        lowered = svg.lower()
        if "href" in lowered or "src" in lowered:
            for m in _SVG_URL.finditer(svg):
                url = next((g for g in m.groups()[1:] if g is not None), "")
                if is_network(unescape(url)):
                    self.report(page, pos, f"{m.group(1)}={url[:80]!r} loads from another host", f" @{m.group(1)}")
        if "url" in lowered or "@import" in lowered:
            self.check_css(page, svg, pos)

    def script(self, page: Page, kind: str, content: str, pos: int) -> None:
        if kind == "js":
            self.check_js(page, content, pos)
        else:
            self.string_urls(page, content, pos)

    def report(self, page: Page, pos: int, message: str, extra: str = "") -> None:
        page.add(self.id, page.at(pos, extra), message)

    def check_css(self, page: Page, css: str, pos: int, extra: str = "", *, declarations: bool = False) -> None:
        """URLs a style sheet (or a style attribute's declarations) loads: read with the
        CSS tokenizer (escapes decoded), and looked for in the decoded text besides."""
        plain = css_unescape(css)
        lowered = plain.lower()
        if "url" not in lowered and "@import" not in lowered and "image" not in lowered and "src" not in lowered:
            return
        urls = css_urls(css, declarations=declarations)
        urls += [next((g for g in m.groups() if g is not None), "") for m in _CSS_URL.finditer(plain)]
        for url in dict.fromkeys(u.strip() for u in urls):
            if is_network(url):
                self.report(page, pos, f"CSS loads {url[:80]!r}", extra)
            elif url[:5].lower() == "data:":
                for payload, _where, _at in payloads(url):
                    self.bare_urls(page, payload, pos, extra)

    def string_urls(self, page: Page, text: str, pos: int, extra: str = "") -> None:
        """URLs with a host that start a string (in quotes) in a script, JSON or markup."""
        for m in _SLASH.finditer(text):
            at, width = m.start(), 2
            if m.group() != "//":  # "/\\": perhaps the JSON-escaped "\\/\\/"
                if not (at and text[at - 1] == "\\" and text.startswith("/", at + 2)):
                    continue
                at, width = at - 1, 4
            lead = _URL_LEAD.search(text, max(0, at - 40), at)
            if lead is None:  # not the start of a string (a path, a comment)
                continue
            end = _URL_END.search(text, at + width)
            rest = text[at + width: end.start() if end else len(text)]
            url = ((lead.group(1) or "") + "//" + rest).replace("\\/", "/")
            if not is_network(url) or url in NAMESPACES:
                continue
            if _SCHEMA_KEY.search(text, max(0, lead.start() - 60), lead.start()):
                continue  # a $schema or namespace URI names a format; nothing loads it
            self.report(page, pos, f"script names {url[:80]!r} on another host", extra)

    def bare_urls(self, page: Page, text: str, pos: int, extra: str = "") -> None:
        """URLs with a host anywhere in a decoded payload (it has no quotes to start them)."""
        for m in _BARE_URL.finditer(js_unescape(text)):
            if is_network(m.group()) and m.group() not in NAMESPACES:
                self.report(page, pos, f"an encoded payload names {m.group()[:80]!r} on another host", extra)

    def check_js(self, page: Page, js: str, pos: int, extra: str = "") -> None:
        self.string_urls(page, js, pos, extra)
        decoded = js_unescape(js)
        if decoded != js:
            self.string_urls(page, decoded, pos, extra)
        for payload, _where, _at in payloads(decoded):
            self.bare_urls(page, payload, pos, extra)
        for m in _JS_NETWORK.finditer(decoded):
            used = " ".join(next(g for g in m.groups() if g is not None).split())
            self.report(page, pos, f"script uses {used} (a published page must not request anything)", extra)


class CodeCell(Rule):
    id = "code-cell"
    description = "a notebook code cell or raw cell output"

    def code_cell(self, page: Page, frame: Frame) -> None:
        page.add(self.id, page.ref(frame), "notebook code cell or raw output in the page")


class Recoverable(Rule):
    id = "recoverable"
    description = "a suppressed figure that can be worked out from figures published elsewhere"

    def across(self, results: list[PageResult], settings: Settings, facts: DataFacts | None) -> list[Deferred]:
        return recoverable(results, settings, facts)

    def attack(self, results: list[PageResult], settings: Settings, facts: DataFacts | None) -> list[Deferred]:
        return run_attack(results, settings, facts)


class Unreadable(Rule):
    id = "unreadable"
    description = "a page that cannot be read, so cannot be audited"

    def chart_rows(self, page: Page, rows: ChartRows) -> None:
        if rows.error is not None:
            page.add(self.id, rows.where, f"chart spec is not valid JSON ({rows.error})")

    def finding(self, file: Path, message: str) -> Finding:
        """A page that cannot be read (or decoded): reported on the whole page."""
        return Finding(file, "(page)", self.id, message)


UNREADABLE: Final = Unreadable()


class ForeignFile(Rule):
    """A published folder holds only what a reader may see (checked on the folder, not a page)."""

    id = "foreign-file"
    description = "a file in a published folder that is not a page, index.html or manifest.json"

    def check_folder(self, folder: Path) -> list[Finding]:
        """One finding per file under ``folder`` that no reader may be sent (respondents.parquet …)."""
        found = []
        for path in sorted(p for p in folder.rglob("*") if p.is_file() or p.is_symlink()):
            if path.is_symlink() or not published_file(path.relative_to(folder)):
                found.append(Finding(path, "(file)", self.id,
                                     f"{path.name!r} must not be published: a published folder holds only "
                                     "dashboards (.html), index.html and manifest.json"))
        return found


def published_file(relative: Path) -> bool:
    """May a file at ``relative`` (inside a published folder) be published?"""
    if relative.suffix.lower() in PUBLISHED_SUFFIXES:
        return True
    return relative.as_posix() in PUBLISHED_NAMES


FOREIGN_FILE: Final = ForeignFile()

REGISTRY: Final = Registry()
"""Every rule, in the order ``evalkit audit --rules`` lists them."""
for _rule in (SmallCell(), SmallUnit(), UnmarkedFigure(), SuppressedReason(), ReasonText(), SuppressedWithN(),
              RespondentId(), NetworkResource(), CodeCell(), Recoverable(), Inconsistent(), UNREADABLE,
              FOREIGN_FILE, ForeignMarkup(), ForeignScript()):
    REGISTRY.add(_rule)

RULES: Final[dict[str, str]] = REGISTRY.descriptions()
"""Rule id → what it catches (see :mod:`evalkit.audit`'s docstring for how)."""
