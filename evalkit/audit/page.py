"""One page's audit: the walker that reads a page with the tokenizer, follows its figure
markup and shows the rules (:mod:`evalkit.audit.rules`) what they check.

Findings are kept as positions while the page is read; their CSS paths are worked out at
the end, from the list of start tags, only when the page has findings. What the
cross-page checks need (figures shown and suppressed, unit sizes the page tells, the
units it shows) goes to the page's :class:`~evalkit.audit.findings.PageResult`.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from evalkit.audit.decode import payloads
from evalkit.audit.findings import Finding, PageResult
from evalkit.audit.markup import (
    CANDIDATE,
    CARD,
    CARD_LABEL,
    CARD_NOTE,
    CHART,
    FIGURE,
    HEADER,
    Frame,
    Mark,
    is_visible_row,
    numbered_rows,
    read_mark,
)
from evalkit.audit.rules import REGISTRY, ChartRows, Registry
from evalkit.audit.settings import Settings
from evalkit.audit.spec import (
    AUDITED_CLASSES,
    BIG_SCRIPT,
    CHECKED_ATTRS,
    CODE_CELL_CLASSES,
    FIGURE_CLASSES,
    JS_TYPES,
    JSON_TYPES,
    MARK_ATTR_SET,
    SENTINEL,
    SOURCES,
    Key,
    Ref,
)
from evalkit.audit.tokenizer import (
    IMPLIED,
    IMPLIED_PARENTS,
    RAW_TEXT,
    TOKEN,
    VOID,
    Element,
    implied,
    paths_at,
    raw_end,
    read_attrs,
    unescape,
)

__all__ = ["PageAudit", "TagInfo", "tag_info"]

_NEWLINE = re.compile("\n")
MAX_DEPTH: Final = 2
"""How deep documents inside documents are audited (a srcdoc in a srcdoc …)."""
_SVG_TAG = re.compile(r"<(/?)svg(?=[\s/>])[^>]*>", re.I)
_SVG_ACTIVE: Final = ("<script", "<foreignobject", "<iframe", "<object", "<embed", "<!--", "data-", "<style")
_SVG_EVENT = re.compile(r"[\s/]on[a-z]+\s*=", re.I)
_SVG_MIXED = re.compile(r"</?(?!svg)[sS][vV][gG]")

TagInfo = tuple[dict[str, str], tuple[str, ...], bool, bool, bool]
"""What the audit needs from a start tag's attribute text: (attributes, classes, has an
attribute that may load something, is marked or has an audited class, ends in ``/>``)."""

_INFO_MEMO: dict[str, TagInfo] = {}


def tag_info(text: str) -> TagInfo:
    """:data:`TagInfo` of an attribute text; memoised, as the same attribute texts recur
    on every page of a batch (do not mutate the result)."""
    info = _INFO_MEMO.get(text)
    if info is None:
        if len(_INFO_MEMO) > 200_000:
            _INFO_MEMO.clear()
        attrs = read_attrs(text)
        classes = tuple(attrs.get("class", "").split())
        check = not CHECKED_ATTRS.isdisjoint(attrs) or any(name.startswith("on") for name in attrs)
        special = not AUDITED_CLASSES.isdisjoint(classes) or not MARK_ATTR_SET.isdisjoint(attrs)
        info = _INFO_MEMO[text] = (attrs, classes, check, special, text.rstrip().endswith("/"))
    return info


class _Hooks:
    """The rules' checks, by what they look at (only the rules that define each)."""

    def __init__(self, registry: Registry) -> None:
        def using(hook: str) -> list[Callable[..., Any]]:
            return [getattr(rule, hook) for rule in registry.using(hook)]

        self.scan = [(rule.id, rule.scan) for rule in registry.using("scan")]
        self.element = using("element")
        self.comment = using("comment")
        self.raw_element = using("raw_element")
        self.page_end = using("page_end")
        self.start_tag = using("start_tag")
        self.style = using("style")
        self.drawing = using("drawing")
        self.script = using("script")
        self.code_cell = using("code_cell")
        self.figure = using("figure")
        self.figure_text = using("figure_text")
        self.cell_text = using("cell_text")
        self.card_note = using("card_note")
        self.chart_spec = using("chart_spec")
        self.chart_rows = using("chart_rows")


_HOOKS: Final = _Hooks(REGISTRY)


class PageAudit:
    """Tokenise one page and check it (:meth:`run`); the cross-page facts go to the result."""

    def __init__(self, file: Path, doc: str, settings: Settings, *, depth: int = 0) -> None:
        self.file = file
        self.doc = doc
        self.depth = depth  # a document inside another (an iframe's srcdoc, a data: page)
        self.settings = settings
        self.on = _HOOKS
        self.bundles_seen = 0
        self.result = PageResult(file)
        self.tags: list[str] = []
        self.starts: list[int] = []
        self.frames: list[Frame | None] = []
        self.elements: list[Element] = []
        self.collectors: list[list[str]] = []
        self.tables: list[bool] = []
        self.code_depth = 0
        self.hits: list[tuple[int, str, str]] = []
        self.newlines: list[int] | None = None
        self.pending: list[tuple[str, Ref, str]] = []
        self.row_labels: list[str] = []  # the header cells' texts of the table row being read

    # -- reporting (what the rules see: settings, add, at, ref)
    def line(self, pos: int) -> int:
        if self.newlines is None:
            self.newlines = [m.start() for m in _NEWLINE.finditer(self.doc)]
        return bisect_left(self.newlines, pos) + 1

    def at(self, pos: int, extra: str = "") -> Ref:
        return (pos, extra, self.line(pos))

    def ref(self, frame: Frame | None, extra: str = "", pos: int | None = None) -> Ref:
        """Where ``frame`` is (None: the innermost open element)."""
        if frame is None:
            start = self.starts[-1] if self.starts else -1
            open_frame = self.frames[-1] if self.frames else None
            suffix = open_frame.suffix if open_frame is not None else ""
            return (start, suffix + extra, self.line(start if pos is None else pos))
        return (frame.pos, frame.suffix + extra, self.line(frame.pos if pos is None else pos))

    def add(self, rule: str, where: Ref, message: str) -> None:
        self.pending.append((rule, where, message))

    def resolve(self) -> None:
        """Turn the pending findings into :class:`Finding` objects with CSS paths."""
        if not self.pending:
            return
        paths = paths_at(self.doc, {where[0] for _r, where, _m in self.pending if where[0] >= 0}, self.elements)
        for rule, (pos, suffix, line), message in self.pending:
            element = (paths.get(pos, "(page)") if pos >= 0 else "(page)") + suffix
            self.result.findings.append(Finding(self.file, element, rule, message, line))
        self.pending.clear()

    def collect(self, frame: Frame) -> None:
        frame.text = []
        self.collectors.append(frame.text)

    def uncollect(self, frame: Frame) -> str:
        collectors = self.collectors
        for i in range(len(collectors) - 1, -1, -1):
            if collectors[i] is frame.text:
                del collectors[i]
                break
        return unescape("".join(frame.text or ()))

    # -- main loop
    def run(self) -> PageResult:
        doc = self.doc
        for rule_id, scan in self.on.scan:
            self.hits.extend((pos, rule_id, message) for pos, message in scan(self, doc))
        self.hits.sort(key=lambda hit: hit[0])
        pos = 0
        search = TOKEN.search
        info_of = _INFO_MEMO.get
        tags, starts, frames, elements = self.tags, self.starts, self.frames, self.elements
        collectors, hits, tables = self.collectors, self.hits, self.tables
        while True:
            m = search(doc, pos)
            if m is None:
                if collectors:
                    self.text(doc[pos:])
                break
            start = m.start()
            if collectors and start > pos:
                self.text(doc[pos:start])
            if hits and hits[0][0] < start:
                self.place_hits(start)
            pos = m.end()
            end_tag, tag, attr_text = m.groups()
            if tag is not None:
                tag = tag.lower()
                attrs, classes, check, special, closing = info_of(attr_text) or tag_info(attr_text)
                if tag in IMPLIED and not (tags and tags[-1] in IMPLIED_PARENTS.get(tag, ())):
                    index = implied(tags, tag)
                    if index is not None:
                        self.pop_to(index)
                elements.append((start, len(tags), tag))
                if hits and hits[0][0] < pos:
                    self.place_hits(pos, start)
                for element in self.on.element:
                    element(self, tag, attr_text, attrs, start)
                if check:
                    for start_tag in self.on.start_tag:
                        start_tag(self, tag, attrs, start)
                    if self.depth < MAX_DEPTH:
                        self.nested(attrs, start)
                if tag == "tr":
                    self.row_labels = []
                frame = None
                if special or (tables and tag in ("td", "th")):
                    frame = self.classify(tag, attrs, classes, start)
                if tag in RAW_TEXT:
                    pos = self.raw_text(tag, attrs, classes, start, pos)
                    if frame is not None:
                        self.close(frame)
                elif tag == "svg" and not closing and frame is None and not collectors and (
                        skipped := self.static_svg(start, pos)):
                    pos = skipped
                elif closing or tag in VOID:
                    if frame is not None:
                        self.close(frame)
                else:
                    if tag == "table":
                        tables.append("ek-table" in classes)
                    tags.append(tag)
                    starts.append(start)
                    frames.append(frame)
            elif end_tag is not None:
                end_tag = end_tag.lower()
                if tags and tags[-1] == end_tag:
                    tags.pop()
                    starts.pop()
                    frame = frames.pop()
                    if end_tag == "table" and tables:
                        tables.pop()
                    if frame is not None:
                        self.close(frame)
                    continue
                for i in range(len(tags) - 2, -1, -1):
                    if tags[i] == end_tag:
                        self.pop_to(i)
                        break
            else:  # a comment, a declaration or a processing instruction
                for comment in self.on.comment:
                    comment(self, m.group(), start)
        if hits:
            self.place_hits(len(doc) + 1)
        self.pop_to(0)
        for page_end in self.on.page_end:
            page_end(self)
        self.resolve()
        return self.result

    def nested(self, attrs: Mapping[str, str], pos: int) -> None:
        """A whole document in an attribute (an iframe's ``srcdoc``, a ``data:`` page) is
        audited as a page of its own; its findings are reported on the element."""
        for name, value in attrs.items():
            inner: list[str] = []
            if name == "srcdoc":
                inner.append(value)
            elif value.lstrip()[:5].lower() == "data:":
                inner += [payload for payload, _where, _pos in payloads(value.strip()) if "<" in payload]
            for document in inner:
                if not document.lstrip().lower().startswith("<!doctype"):
                    document = "<!DOCTYPE html>" + document  # what a browser makes of an iframe's document
                result = PageAudit(self.file, document, self.settings, depth=self.depth + 1).run()
                for found in result.findings:
                    self.add(found.rule, self.at(pos, f" @{name}"), f"in its {name}: {found.element}: {found.message}")

    def static_svg(self, start: int, end: int) -> int:
        """A drawing (a chart's static SVG: hundreds of shapes) is checked as a whole, for
        URLs in attributes and CSS, instead of shape by shape. Returns the position after
        its end tag, or 0 when it holds anything else to audit (a script, a foreign object,
        event handlers, figure markup), which is then read element by element."""
        doc = self.doc
        depth, pos = 1, end
        while depth:
            m = _SVG_TAG.search(doc, pos)
            if m is None:
                return 0
            if m.group(1):
                depth -= 1
            elif not m.group().endswith("/>"):
                depth += 1
            pos = m.end()
        content = doc[end:pos]
        lowered = content.lower()
        if any(needle in lowered for needle in _SVG_ACTIVE) or _SVG_MIXED.search(content):
            return 0
        if any(needle in lowered for needle in (" on", "\ton", "\non", "\ron", "/on")) and _SVG_EVENT.search(content):
            return 0
        for drawing in self.on.drawing:
            drawing(self, content, start)
        if self.hits and self.hits[0][0] < pos:
            self.place_hits(pos, start)
        return pos

    def text(self, data: str) -> None:
        for collector in self.collectors:
            collector.append(data)

    def pop_to(self, index: int) -> None:
        tags, frames = self.tags, self.frames
        while len(tags) > index:
            tag = tags.pop()
            self.starts.pop()
            frame = frames.pop()
            if tag == "table" and self.tables:
                self.tables.pop()
            if frame is not None:
                self.close(frame)

    def place_hits(self, upto: int, start: int | None = None) -> None:
        """Report the rules' hits (:meth:`~evalkit.audit.rules.Rule.scan`) before ``upto``:
        in the element that starts at ``start``, else in the innermost open element."""
        hits = self.hits
        while hits and hits[0][0] < upto:
            pos, rule, message = hits.pop(0)
            where = (start, "", self.line(pos)) if start is not None else self.ref(None, pos=pos)
            self.add(rule, where, message)

    # -- elements
    def close(self, frame: Frame) -> None:
        if frame.code:
            self.code_depth -= 1
        if frame.text is not None:
            self.finish_text(frame, self.uncollect(frame))
        if frame.kind & CARD and frame.card_suppressed and (frame.card_notes or frame.card_labels):
            for card_note in self.on.card_note:
                card_note(self, frame, frame.card_notes or [])

    def card(self) -> Frame | None:
        return next((f for f in reversed(self.frames) if f is not None and f.kind & CARD), None)

    def finish_text(self, frame: Frame, text: str) -> None:
        if frame.kind & CANDIDATE:
            for cell_text in self.on.cell_text:
                cell_text(self, frame, text)
            return
        if frame.kind & (CARD_NOTE | CARD_LABEL):
            card = self.card()
            if card is not None and frame.kind & CARD_NOTE:
                card.card_notes = [*(card.card_notes or []), text]
            elif card is not None:
                card.card_labels = [*(card.card_labels or []), text]
            return
        if frame.kind & HEADER:
            self.row_labels.append(text)
            return
        mark = frame.mark
        if mark is not None and mark.suppressed:
            for figure_text in self.on.figure_text:
                figure_text(self, frame, text)

    # -- figure markup
    @property
    def row_label(self) -> str:
        """The text of the header cells of the table row being read (its label)."""
        return " ".join(self.row_labels)

    def open_chart(self) -> Frame | None:
        return next((f for f in reversed(self.frames) if f is not None and f.kind & CHART), None)

    def classify(self, tag: str, attrs: Mapping[str, str], classes: Sequence[str], pos: int) -> Frame | None:
        frame = Frame(tag, classes, pos)
        keep = False
        if classes:
            if not CODE_CELL_CLASSES.isdisjoint(classes):
                frame.code = keep = True
                if self.code_depth == 0:
                    for code_cell in self.on.code_cell:
                        code_cell(self, frame)
                self.code_depth += 1
            if tag == "li" and "ek-card" in classes:
                frame.kind |= CARD
                keep = True
            if "ek-card-note" in classes or "ek-card-label" in classes:
                frame.kind |= CARD_NOTE if "ek-card-note" in classes else CARD_LABEL
                self.collect(frame)
                return frame
        if tag == "figure" and "ek-figure" in classes:
            frame.kind |= CHART
            self.figure(frame, attrs, chart=True)
        elif not MARK_ATTR_SET.isdisjoint(attrs) or not FIGURE_CLASSES.isdisjoint(classes):
            frame.kind |= FIGURE
            mark = self.figure(frame, attrs, chart=False)
            if mark.suppressed:
                self.collect(frame)
                if "ek-card-value" in classes:
                    card = self.card()
                    if card is not None:
                        card.card_suppressed = True
                        card.card_reason = mark.reason
        elif tag == "td" and self.tables:
            frame.kind |= CANDIDATE
            self.collect(frame)
        elif tag == "th" and self.tables:
            frame.kind |= HEADER
            self.collect(frame)
        elif not keep:
            return None
        return frame

    def figure(self, frame: Frame, attrs: Mapping[str, str], *, chart: bool) -> Mark:
        mark = frame.mark = read_mark(attrs, chart=chart)
        for figure in self.on.figure:
            figure(self, frame, mark)
        unit, wave, figure_id = mark.unit, mark.wave, mark.figure
        if unit is not None:
            self.result.units[unit] += 1
        if mark.source == "survey" and not chart and unit is not None and wave is not None and figure_id is not None:
            self.record_survey(frame, mark, (unit, wave, figure_id))
        return mark

    def record_survey(self, frame: Frame, mark: Mark, key: Key) -> None:
        unit, wave, figure = key
        result = self.result
        if figure == "respondents.all":
            result.respondents_all.setdefault((unit, wave), mark.n)
        if mark.suppressed:
            reason = (mark.raw_suppressed or "").strip().lower()
            if key not in result.suppressed:
                result.suppressed[key] = self.ref(frame)
                result.reasons[key] = reason
            elif reason not in (given := result.reasons[key].split("|")):
                result.reasons[key] = "|".join(sorted({*given, reason}))  # hidden for two reasons on one page
            return
        n = mark.n
        if n is None:
            return
        if key not in result.visible:
            result.visible[key] = (n, self.ref(frame))
        if not figure.startswith("response_rate") and n > result.largest_n.get((unit, wave), -1):
            result.largest_n[(unit, wave)] = n  # people of the unit (response_rate: invited)
        if figure != "respondents.all":
            self.count_result(unit, wave, frame)

    def count_result(self, unit: str, wave: str, frame: Frame, count: int = 1, extra: str = "") -> None:
        seen = self.result.results.get((unit, wave))
        self.result.results[(unit, wave)] = (count, self.ref(frame, extra)) if seen is None else (seen[0] + count, seen[1])

    # -- raw text: styles, scripts, chart specs
    def raw_text(self, tag: str, attrs: Mapping[str, str], classes: Sequence[str], start: int, end: int) -> int:
        content_end, next_pos = raw_end(self.doc, tag, end)
        if self.hits and self.hits[0][0] < content_end:
            self.place_hits(content_end, start)
        content = self.doc[end:content_end]
        if tag == "script":
            self.script(attrs, classes, content, start)
            return next_pos
        for raw_element in self.on.raw_element:
            raw_element(self, tag, attrs, content, start)
        if tag == "style":
            for style in self.on.style:
                style(self, content, start)
        elif tag in ("textarea", "title") and self.collectors:
            self.text(content)
        return next_pos

    def script(self, attrs: Mapping[str, str], classes: Sequence[str], content: str, pos: int) -> None:
        if content.startswith(SENTINEL):
            self.bundles_seen += 1
            self.own_bundle(attrs, pos)
            return
        bundle = self.settings.bundle
        if len(content) > BIG_SCRIPT and bundle is not None:
            data = content.encode("utf-8")
            if len(data) == bundle[0] and hashlib.sha256(data).hexdigest() == bundle[1]:
                self.own_bundle(attrs, pos)
                return
        for raw_element in self.on.raw_element:
            raw_element(self, "script", attrs, content, pos)
        kind = attrs.get("type", "").strip().lower()
        if "ek-spec" in classes:
            kind = "spec"
        elif kind in JSON_TYPES:
            kind = "json"
        elif kind in JS_TYPES:
            kind = "js"
        else:
            kind = "other"
        for script in self.on.script:
            script(self, kind, content, pos)
        if kind == "spec":
            self.spec(content, pos)

    def own_bundle(self, attrs: Mapping[str, str], pos: int) -> None:
        """The chart library, recognised by its hash: shown to the rules as :data:`SENTINEL`."""
        for raw_element in self.on.raw_element:
            raw_element(self, "script", attrs, SENTINEL, pos)

    def spec(self, content: str, pos: int) -> None:
        chart = next((f for f in reversed(self.frames) if f is not None and f.kind & CHART), None)
        where = self.at(pos) if chart is None else self.ref(chart, " > script.ek-spec", pos)
        for chart_spec in self.on.chart_spec:
            chart_spec(self, content, chart, where)
        mark = chart.mark if chart is not None else None
        source = mark.source if mark is not None and mark.source in SOURCES else "survey"
        if source == "measures":  # improvement measures follow their own rules
            return
        try:
            spec = json.loads(content)
        except ValueError as exc:
            rows = ChartRows(chart, source, where, error=str(exc))
        else:
            rows = ChartRows(chart, source, where, spec=spec)
        for chart_rows in self.on.chart_rows:
            chart_rows(self, rows)
        if rows.error is not None or chart is None or mark is None or source != "survey" or not (mark.unit and mark.wave):
            return
        visible = sum(1 for index, row in numbered_rows(rows.spec) if index and is_visible_row(row))
        if visible:
            self.count_result(mark.unit, mark.wave, chart, visible, " > script.ek-spec")
