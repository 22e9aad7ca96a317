"""The disclosure audit: nothing a published dashboard must never show (issue 8).

``evalkit audit DIR [--data DATA_DIR] [--min-unit-n N] [--min-cell-n N] [--json]`` reads
every ``*.html``/``*.htm`` under DIR, recursively (a batch's staged or published folder),
and reports per file and element each finding below: one line per finding, ``file:line:
rule: element: message``. Exit 0 when there is none, 1 on any finding, 2 for bad usage.
``DIR/manifest.json``, when present, gives the defaults: ``settings.min_unit_n``,
``settings.min_cell_n`` and the data folder (``settings.data_dir``, or a top-level or
``parameters.data_dir``; relative to the manifest). Without them the thresholds are 10
and 5. A batch runs :func:`audit_pages` (or :func:`audit_cached`) on every page it renders
before it publishes anything; :meth:`AuditReport.failing_files` names the pages to keep
aside, including every page involved in a failed cross-page check.

What counts as a figure
-----------------------
The dashboards follow the markup contract of :mod:`evalkit.figure`. A *figure element* is

* a chart: ``<figure class="ek-figure">`` (its markup names unit, wave, figure and
  source; the n of each bar sits in the rows of the chart's embedded data);
* any element with class ``ek-num``, ``ek-card-value`` or ``ek-finding``;
* any element that carries one of ``data-unit``, ``data-wave``, ``data-figure``,
  ``data-source``, ``data-n`` or ``data-suppressed``;
* any ``<td>`` of a ``<table class="ek-table">`` whose text holds a digit (in evalkit's
  tables every ``td`` is a value column; row labels are ``th``).

Prose (headings, notes, the method text, a chart's caption and description, the text of
a static SVG) is not a figure element. A figure element's markup is complete when it has
``data-unit`` of the form ``<level>:<id>`` (level team, municipality, network or all; a
municipality id has 4 digits; ``all:all``), a non-empty ``data-wave`` and
``data-figure``, ``data-source`` ∈ survey / teams / measures, and — except on charts and
on improvement measures — either ``data-n`` (a whole number) or
``data-suppressed="true"``. Every row of a survey or team chart's inline data (``datasets``
and every ``data.values``, at any depth of the spec but the theme's ``config``) is an
object with ``n`` and ``suppressed``; a suppressed row has ``n`` null and no estimate
(``estimate``, ``share``, ``ci_low``, ``mean``, … : :data:`ESTIMATE_KEYS`). A row with
``suppressed`` false, ``n`` null and no estimate is a layout row (the zero line of a
chart), not a figure. Measures charts are not read row by row.

Rules
-----
``small-cell``
    A visible survey figure (an element's ``data-n``, or a chart row's ``n``) with
    0 < n < ``min_cell_n``. Team figures (``teams``: n counts teams) and improvement
    measures (``measures``: patients as teams report them) are exempt; n = 0 discloses
    no one and is not flagged.
``small-unit``
    A visible survey figure of a unit that has fewer than ``min_unit_n`` respondents in
    that wave (the ``respondents.all`` figure itself is not a result; ``response_rate``
    is). With a data folder the data decide the unit's size (respondents per team,
    municipality, network and wave). The pages' ``respondents.all`` figures count too: a
    visible n < ``min_unit_n``; and, without data, a suppressed count — unless a figure of
    the unit shows n >= ``min_unit_n`` (then the count was blanked to protect another
    unit, which is complementary suppression, not a small unit). One finding per page,
    unit and wave, naming the first such element and counting the rest.
``unmarked-figure``
    A figure element whose markup is missing or malformed (see above), a chart row
    without ``n``/``suppressed`` or with an estimate but no n, a chart spec
    (``script.ek-spec``) outside a marked ``figure.ek-figure``, a chart whose data comes
    from a ``url`` the audit cannot read, or any other script or JSON that holds a Vega
    spec (``"$schema": "…vega…"``).
``suppressed-with-n``
    A suppressed figure that still tells something: ``data-suppressed="true"`` together
    with ``data-n``; a suppressed chart row with a non-null ``n`` or estimate; or a
    suppressed element (or the note of a suppressed key-figure card) whose text shows a
    number other than the audit's two thresholds (``under 5`` is fine with
    min_cell_n = 5; ``3`` is not).
``respondent-id``
    A respondent id from the data (``respondents.respondent_id`` of ``--data`` or of the
    manifest's data folder) anywhere in the page but the chart library: text,
    attributes, comments, styles, scripts and chart data. An id counts when the
    characters next to it are not characters that ids are made of (``R000007`` in
    ``2R000007`` or ``R0000071`` is another token; in ``xR000007`` it is found). Ids
    shorter than 6 characters are not searched: they cannot be told from numbers and
    words.
``network-resource``
    Anything that reaches another host: a URL with a host (``http(s):``, ``ftp:``,
    ``ws(s):``, ``//host``, or any ``scheme://host`` but ``file:``) in ``src``, ``href``
    (links too: the issue names every href, and a page read offline points nowhere),
    ``srcset``, ``poster``, ``action``, ``formaction``, ``data`` (object), ``ping``,
    ``background``, ``manifest``, ``xlink:href`` or a meta refresh; in a CSS ``url()`` or
    ``@import`` (style elements and attributes); as a string in a script or JSON (also
    written ``https:\\/\\/``); or a script that uses ``fetch``, ``XMLHttpRequest``,
    ``WebSocket``, ``EventSource``, ``sendBeacon``, ``importScripts`` or ``import()``
    (event-handler attributes and ``javascript:`` URLs are scripts too). A ``$schema``
    value and XML namespace URIs (``xmlns``, ``http://www.w3.org/2000/svg`` …) name a
    format and are not loads. The inlined chart library is recognised by the SHA-256 of
    evalkit's bundle (:func:`evalkit.render.chart_bundle_sha256`) and is neither decoded
    nor scanned; any other script, evalkit's own drawing script included, is scanned. A
    relative URL (``evalkit-charts.js`` beside the pages, ``#ek-main``) is not a load.
``code-cell``
    A notebook code cell or a raw cell output of a stock nbconvert export: an element
    with a class from :data:`CODE_CELL_CLASSES` (``jp-CodeCell``, ``jp-InputArea``,
    ``jp-OutputArea-output``, ``jp-RenderedText``, ``code_cell``, ``input_area``,
    ``output_area`` …); the outermost one is reported.
``recoverable``
    A suppressed figure that can be worked out from figures published elsewhere in the
    set (the algorithm is below). Reported on every page involved.
``unreadable``
    A page that cannot be read or is not UTF-8, or a chart spec that is not JSON: it
    cannot be cleared.

Recoverable figures (the cross-page check)
------------------------------------------
Across all pages of the set, collect every visible survey figure with an n, keyed by
(unit, wave, figure), and every suppressed one. Then:

1. A key that is suppressed on one page and visible on another is recoverable.
2. For each visible parent key (p, w, f) with n_p (p at level all, network or
   municipality), take p's children in wave w, one level down (networks, municipalities,
   teams). With a data folder the children are the units with respondents in p in wave w
   (from ``respondents``), and a child is *contained* in p when all its respondents in w
   belong to p (a municipality whose teams sit in several networks is not). Without data
   the children are what the pages tell: a page's own unit (its ``respondents.all``
   unit, else its most frequent non-team unit) is a child of the one unit one level up
   that the page shows, and the parent of the units one level down that it shows (a
   network page's table of its municipalities).
3. If exactly one child h has no visible (h, w, f), at least one child is visible, every
   visible child is contained in p, and r = n_p − Σ n(visible children) > 0, then h's
   figure is the difference of published figures. It is a finding when r <
   ``min_cell_n`` (a group that small is disclosed whoever it is), or — with data only,
   where the child set is complete — when h's figure is suppressed on some page or h has
   fewer than ``min_unit_n`` respondents. The finding goes on the pages that show the
   parent's figure, every visible child's figure, and h's suppressed figure.

Only figures with the same key are combined: differences across role groups on one page,
or between a figure and its copy under another id, are not examined.

Speed
-----
The ~380 pages of a batch (about 1 MB each, of which 0.9 MB is the chart library) must
be audited in a few seconds, which :class:`html.parser.HTMLParser` alone does not allow:
with handlers that do nothing it takes about as long per page as this whole audit.
So the pages are read with a small tokenizer built on regular expressions for the same
syntax (comments, declarations, end tags, start tags with quoted or bare attributes,
raw text of ``script``/``style``/``textarea``/``title``…), with the end tags HTML lets
an author leave out (cells, rows, list items, paragraphs) closed as a browser does. The
chart library is found in the raw bytes and recognised by its hash (then by comparing
bytes with the copy that had it) before the page is decoded; the tokenizer must meet it
as a script's content, or the page is read again whole. A static SVG is checked as one
block. Attribute texts are memoised across pages, element paths are worked out only for
pages with findings, and more than 100 pages are audited in worker processes (``spawn``:
a script that calls :func:`audit_pages` guards its entry point with
``if __name__ == "__main__":``). :func:`audit_cached` makes a repeated audit instant.

Examples
--------
>>> page = '<table class="ek-table"><tr><th>Alle</th><td class="ek-num">12</td></tr></table>'
>>> report = audit_html(page, name="page.html")
>>> [(f.rule, f.element) for f in report.findings]
[('unmarked-figure', 'table.ek-table > tr > td.ek-num')]
>>> report.ok
False
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import html
import json
import os
import re
import time
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Final

import click

from evalkit.atomic import write_atomic
from evalkit.errors import InputError, JobFailed

__all__ = [
    "CODE_CELL_CLASSES",
    "ESTIMATE_KEYS",
    "RULES",
    "AuditReport",
    "Finding",
    "audit_cached",
    "audit_command",
    "audit_html",
    "audit_pages",
    "known_bundle",
]

DEFAULT_MIN_UNIT_N: Final = 10
DEFAULT_MIN_CELL_N: Final = 5
MANIFEST_FILE: Final = "manifest.json"

RULES: Final[dict[str, str]] = {
    "small-cell": "a survey figure based on fewer than min_cell_n people",
    "small-unit": "survey results for a unit with fewer than min_unit_n respondents",
    "unmarked-figure": "a figure without complete figure markup",
    "suppressed-with-n": "a suppressed figure that still carries an n or a value",
    "respondent-id": "a respondent id from the data",
    "network-resource": "a resource loaded from (or a link to) another host",
    "code-cell": "a notebook code cell or raw cell output",
    "recoverable": "a suppressed figure that can be worked out from figures published elsewhere",
    "unreadable": "a page that cannot be read, so cannot be audited",
}
"""Rule id → what it catches (see the module docstring for how)."""

CODE_CELL_CLASSES: Final = frozenset({
    "jp-CodeCell", "jp-Cell-inputWrapper", "jp-InputArea", "jp-InputPrompt",
    "jp-InputArea-editor", "jp-CodeMirrorEditor", "jp-Editor", "cm-editor", "CodeMirror",
    "jp-Cell-outputWrapper", "jp-OutputArea", "jp-OutputArea-output", "jp-OutputPrompt",
    "jp-RenderedText", "code_cell", "input_area", "input_prompt", "output_wrapper",
    "output_area", "output_subarea", "output_prompt", "output_text", "output_stream",
    "output_error",
})
"""Classes of nbconvert's stock templates for code cells and their raw outputs."""

SOURCES: Final = frozenset({"survey", "teams", "measures"})
CHILD_LEVEL: Final = {"all": "network", "network": "municipality", "municipality": "team"}
PARENT_LEVEL: Final = {v: k for k, v in CHILD_LEVEL.items()}
MIN_ID_LENGTH: Final = 6
_WORKER_THRESHOLD: Final = 100
_BIG_SCRIPT: Final = 65536
_SENTINEL: Final = "/*evalkit:chart-bundle*/"

_MARK_ATTRS: Final = ("data-unit", "data-wave", "data-figure", "data-source", "data-n", "data-suppressed")
_MARK_ATTR_SET: Final = frozenset(_MARK_ATTRS)
_FIGURE_CLASSES: Final = frozenset({"ek-num", "ek-card-value", "ek-finding"})
_AUDITED_CLASSES: Final = CODE_CELL_CLASSES | _FIGURE_CLASSES | {"ek-card", "ek-card-note", "ek-figure"}
_URL_ATTRS: Final = frozenset({
    "src", "href", "xlink:href", "poster", "action", "formaction", "background", "manifest",
    "lowsrc", "dynsrc", "codebase", "longdesc",
})
_URL_LIST_ATTRS: Final = frozenset({"srcset", "imagesrcset", "ping", "archive"})
_CHECKED_ATTRS: Final = _URL_ATTRS | _URL_LIST_ATTRS | {"style", "content", "data", "srcdoc"}
_VOID: Final = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
    "source", "track", "wbr", "keygen", "frame", "basefont", "isindex",
})
_RAW_TEXT: Final = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "textarea", "title"})
_JSON_TYPES: Final = frozenset({"application/json", "application/ld+json", "importmap", "speculationrules"})
_JS_TYPES: Final = frozenset({
    "", "text/javascript", "application/javascript", "module", "text/ecmascript",
    "application/ecmascript", "text/jscript", "application/x-javascript",
})
_NETWORK_SCHEMES: Final = frozenset({"http", "https", "ftp", "ftps", "ws", "wss"})
_LOCAL_SCHEMES: Final = frozenset({"data", "blob", "javascript", "mailto", "tel", "about", "urn", "file", "sms"})
_NAMESPACES: Final = frozenset({
    "http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/1999/xhtml",
    "http://www.w3.org/1998/Math/MathML", "http://www.w3.org/XML/1998/namespace",
    "http://www.w3.org/2000/xmlns/",
})
ESTIMATE_KEYS: Final = frozenset({
    "estimate", "share", "ci_low", "ci_high", "mean", "value", "count", "sd", "alpha",
    "share_favourable", "favourable_ci_low", "favourable_ci_high", "share_dont_know",
    "mean_with", "mean_without", "mean_scale", "mean_0_100", "p_value",
})
"""Fields of a chart row that carry a figure (a suppressed row must have none of them)."""

# Tokens of the HTML syntax (cf. html.parser's patterns): comment, declaration or
# processing instruction, end tag, start tag with its attribute text.
_TOKEN = re.compile(
    r"<!--(?:.*?)(?:-->|\Z)"
    r"|<[!?][^>]*>?"
    r"|</([a-zA-Z][^\s/>]*)[^>]*>"
    r"|<([a-zA-Z][^\s/>]*)((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>",
    re.S,
)
_ATTR = re.compile(r"""([^\s/>"'=][^\s/>=]*)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]*))?""")
_SIMPLE_PAIR = re.compile(r'([a-z_:][-a-z0-9_:.]*)="([^"]*)"')
_SIMPLE_ATTRS = re.compile(r'(?:\s+[a-z_:][-a-z0-9_:.]*="[^"&]*")*\s*/?')
_NEWLINE = re.compile("\n")
_DIGIT = re.compile(r"\d")
_SVG_TAG = re.compile(r"<(/?)svg(?=[\s/>])[^>]*>", re.I)
_SVG_ACTIVE: Final = ("<script", "<foreignobject", "<iframe", "<object", "<embed", "<!--", "data-", "<style")
_SVG_EVENT = re.compile(r"[\s/]on[a-z]+\s*=", re.I)
_SVG_MIXED = re.compile(r"</?(?!svg)[sS][vV][gG]")
_SVG_URL = re.compile(r"""\s((?:xlink:)?href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_UNIT = re.compile(r"^(team|municipality|network|all):(\S+)$")
_MUNICIPALITY = re.compile(r"^\d{4}$")
_WHOLE = re.compile(r"^\d+$")
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_URL_CLEAN = re.compile(r"[\t\n\r\x00-\x1f]")
_CSS_URL = re.compile(
    r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)]*?))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""", re.I
)
_SLASH = re.compile(r"/[/\\]")
_URL_LEAD = re.compile(r"""["'`]\s*([a-zA-Z][a-zA-Z0-9+.\-]*:)?$""")
_URL_END = re.compile(r"""["'`\s]|$""")
_SCHEMA_KEY = re.compile(r"""["']?(?:\$schema|xmlns[^"':]*)["']?\s*:\s*$""")
_JS_NETWORK = re.compile(
    r"\b(fetch|importScripts|sendBeacon|import)\s*\(|\b(XMLHttpRequest|WebSocket|EventSource)\b"
)
_VEGA_SCRIPT = re.compile(r"""["']\$schema["']\s*:\s*["'][^"']*vega""")
_DATA_URL = re.compile(r'"url"\s*:\s*"([^"]*)"')
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.I)
_RAW_END: dict[str, re.Pattern[str]] = {
    tag: re.compile(rf"</{tag}(?=[\s/>])", re.I) for tag in _RAW_TEXT
}

Key = tuple[str, str, str]
"""(unit, wave, figure) of a figure."""


# --- public results ---------------------------------------------------------------------


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


def _sort_key(finding: Finding) -> tuple[str, int, str, str]:
    return (str(finding.file), finding.line or 0, finding.rule, finding.element)


@dataclass(frozen=True)
class AuditReport:
    """The audit of a set of pages: its findings and the settings it ran with."""

    findings: list[Finding]
    files: tuple[Path, ...] = ()
    min_unit_n: int = DEFAULT_MIN_UNIT_N
    min_cell_n: int = DEFAULT_MIN_CELL_N
    data_dir: Path | None = None
    seconds: float = field(default=0.0, compare=False)
    from_cache: bool = field(default=False, compare=False)

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.findings

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
        return (f"audit: {len(self.files)} page(s) in {self.seconds:.1f} s: "
                f"{len(self.findings)} finding(s) in {pages} page(s)")

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
        }, ensure_ascii=False, indent=1)

    @classmethod
    def from_json(cls, text: str, *, from_cache: bool = False) -> AuditReport:
        raw = json.loads(text)
        return cls(
            findings=[Finding(Path(f["file"]), f["element"], f["rule"], f["message"], f.get("line"))
                      for f in raw["findings"]],
            files=tuple(Path(p) for p in raw["files"]),
            min_unit_n=int(raw["min_unit_n"]),
            min_cell_n=int(raw["min_cell_n"]),
            data_dir=None if raw.get("data_dir") is None else Path(raw["data_dir"]),
            seconds=float(raw.get("seconds", 0.0)),
            from_cache=from_cache,
        )


# --- settings, data and the chart library -------------------------------------------------


@dataclass(frozen=True)
class _Settings:
    """What every page's audit needs (sent once to each worker process)."""

    min_unit_n: int
    min_cell_n: int
    id_pattern: str | None = None
    ids: frozenset[str] = frozenset()
    id_alphabet: frozenset[str] = frozenset()
    bundle: tuple[int, str] | None = None


@dataclass(frozen=True)
class _DataFacts:
    """What the audit takes from the canonical data: ids, unit sizes, the unit tree."""

    ids: frozenset[str]
    sizes: Mapping[tuple[str, str], int]
    children: Mapping[tuple[str, str], frozenset[str]]
    parents: Mapping[tuple[str, str], frozenset[str]]


def _load_data(data_dir: Path) -> _DataFacts:
    import polars as pl

    from evalkit.schema import TABLES

    path = data_dir / TABLES["respondents"].file_name
    if not path.is_file():
        raise InputError(f"--data: {data_dir} is not a canonical data folder ({path.name} is missing)")
    columns = ["respondent_id", "wave", "team_id", "municipality_id", "network_id"]
    try:
        frame = pl.read_parquet(path, columns=columns)
    except Exception as exc:  # polars raises several kinds for a damaged or foreign file
        raise InputError(f"{path}: cannot read the respondents ({exc})") from None
    frame = frame.with_columns(pl.lit("all").alias("all_id"))
    level_column = {"team": "team_id", "municipality": "municipality_id", "network": "network_id", "all": "all_id"}
    sizes: dict[tuple[str, str], int] = {}
    for level, column in level_column.items():
        for wave, unit_id, count in frame.group_by("wave", column).len().iter_rows():
            sizes[(f"{level}:{unit_id}", str(wave))] = int(count)
    children: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    parents: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for parent_level, child_level in CHILD_LEVEL.items():
        pairs = frame.select("wave", level_column[child_level], level_column[parent_level]).unique()
        for wave, child_id, parent_id in pairs.iter_rows():
            child, parent = f"{child_level}:{child_id}", f"{parent_level}:{parent_id}"
            children[(parent, str(wave))].add(child)
            parents[(child, str(wave))].add(parent)
    return _DataFacts(
        ids=frozenset(str(i) for i in frame["respondent_id"].to_list()),
        sizes=sizes,
        children={k: frozenset(v) for k, v in children.items()},
        parents={k: frozenset(v) for k, v in parents.items()},
    )


def _id_pattern(ids: Iterable[str]) -> tuple[str | None, frozenset[str], frozenset[str]]:
    """A regular expression that finds candidate ids fast: one of the ids' first characters
    (a literal prefix the regex engine searches for), then the ids' characters."""
    searched = frozenset(i for i in ids if len(i) >= MIN_ID_LENGTH)
    if not searched:
        return None, frozenset(), frozenset()
    alphabet = frozenset("".join(searched))
    first = sorted({i[0] for i in searched})
    lengths = [len(i) for i in searched]

    def char_class(chars: Iterable[str]) -> str:
        return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"

    pattern = f"{char_class(first)}{char_class(alphabet)}{{{min(lengths) - 1},{max(lengths) - 1}}}"
    return pattern, searched, alphabet


@cache
def known_bundle() -> tuple[int, str] | None:
    """(UTF-8 length, SHA-256) of the chart library evalkit inlines, or None.

    Building the bundle (vl-convert) takes seconds, so the hash is kept in
    ``$XDG_CACHE_HOME/evalkit``, per version of vl-convert and of :mod:`evalkit.render`.
    """
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    try:
        vl_version = version("vl-convert-python")
        spec = find_spec("evalkit.render")
        render_source = Path(spec.origin).read_bytes() if spec is not None and spec.origin else b""
    except (PackageNotFoundError, OSError):
        return None
    render_hash = hashlib.sha256(render_source).hexdigest()[:12]
    from evalkit.cachedir import cache_home

    memo = cache_home() / f"chart-bundle-{vl_version}-{render_hash}.json"
    try:
        raw = json.loads(memo.read_text(encoding="utf-8"))
        return int(raw["length"]), str(raw["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        from evalkit.render import chart_bundle, chart_bundle_sha256

        bundle = chart_bundle()
        sha = chart_bundle_sha256()
    except Exception:  # no chart library: inline bundles are then scanned like any script
        return None
    # Cutting the bundle out before tokenising is exact only if it cannot end its script.
    if re.search(r"</script", bundle, re.I):
        return None
    result = (len(bundle.encode("utf-8")), sha)
    with contextlib.suppress(OSError):
        write_atomic(memo, json.dumps({"length": result[0], "sha256": sha}))
    return result


def _check_threshold(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name}: expected a whole number of at least 1, got {value!r}")
    return value


def _resolve(
    *,
    data_dir: str | os.PathLike[str] | None,
    min_unit_n: int | None,
    min_cell_n: int | None,
    manifest: Path | None,
) -> tuple[int, int, Path | None]:
    """Thresholds and data folder: explicit values, else the manifest's, else defaults."""
    settings: Mapping[str, Any] = {}
    raw: Mapping[str, Any] = {}
    if manifest is not None:
        try:
            loaded = json.loads(Path(manifest).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"{manifest}: cannot read the manifest ({exc.strerror})") from None
        except ValueError as exc:
            raise InputError(f"{manifest}: not valid JSON ({exc})") from None
        if not isinstance(loaded, dict):
            raise InputError(f"{manifest}: expected a JSON object")
        raw = loaded
        found = loaded.get("settings") or {}
        if not isinstance(found, dict):
            raise InputError(f"{manifest}: 'settings' must be an object")
        settings = found
    from_manifest = {k: v for k, v in settings.items() if v is not None}
    unit_n = _check_threshold("min_unit_n", min_unit_n if min_unit_n is not None
                              else from_manifest.get("min_unit_n", DEFAULT_MIN_UNIT_N))
    cell_n = _check_threshold("min_cell_n", min_cell_n if min_cell_n is not None
                              else from_manifest.get("min_cell_n", DEFAULT_MIN_CELL_N))
    data: Path | None = Path(data_dir) if data_dir is not None else None
    if data is None and manifest is not None:
        params = raw.get("parameters") if isinstance(raw.get("parameters"), dict) else {}
        named = settings.get("data_dir") or raw.get("data_dir") or (params or {}).get("data_dir")
        if named:
            data = Path(str(named))
            if not data.is_absolute():
                data = Path(manifest).parent / data
    if data is not None and not data.is_dir():
        raise InputError(f"data folder {str(data)!r} does not exist")
    return unit_n, cell_n, data


# --- one page ---------------------------------------------------------------------------


Ref = tuple[int, str, int]
"""Where a figure is on a page: (position of its start tag, what to add to its CSS path —
its ``[data-figure=…]`` and a sub-element —, line)."""


class _Frame:
    """An open element that matters to the audit (most elements get no frame)."""

    __slots__ = ("card_notes", "card_suppressed", "classes", "code", "kind", "mark", "pos", "tag", "text")

    def __init__(self, tag: str, classes: Sequence[str], pos: int) -> None:
        self.tag = tag
        self.classes = classes
        self.pos = pos
        self.kind = 0
        self.mark: _Mark | None = None
        self.text: list[str] | None = None
        self.code = False
        self.card_suppressed = False
        self.card_notes: list[str] | None = None

    @property
    def suffix(self) -> str:
        return f'[data-figure="{self.mark.figure}"]' if self.mark is not None and self.mark.figure else ""


_CHART, _FIGURE, _CANDIDATE, _CARD, _CARD_NOTE = 1, 2, 4, 8, 16


@dataclass
class _Mark:
    unit: str | None
    wave: str | None
    figure: str | None
    source: str | None
    n: int | None
    suppressed: bool

    @property
    def key(self) -> Key | None:
        if self.unit and self.wave and self.figure:
            return (self.unit, self.wave, self.figure)
        return None


@dataclass
class _PageResult:
    """One page's findings and what the cross-page checks need from it."""

    file: Path
    findings: list[Finding] = field(default_factory=list)
    visible: dict[Key, tuple[int, Ref]] = field(default_factory=dict)
    suppressed: dict[Key, Ref] = field(default_factory=dict)
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


def _unescape(text: str) -> str:
    return html.unescape(text) if "&" in text else text


TagInfo = tuple[dict[str, str], tuple[str, ...], bool, bool, bool]
"""What the audit needs from a start tag's attribute text: (attributes, classes, has an
attribute that may load something, is marked or has an audited class, ends in ``/>``)."""

_INFO_MEMO: dict[str, TagInfo] = {}


def _tag_info(text: str) -> TagInfo:
    """:data:`TagInfo` of an attribute text; memoised, as the same attribute texts recur
    on every page of a batch (do not mutate the result)."""
    info = _INFO_MEMO.get(text)
    if info is None:
        if len(_INFO_MEMO) > 200_000:
            _INFO_MEMO.clear()
        attrs = _read_attrs(text)
        classes = tuple(attrs.get("class", "").split())
        check = not _CHECKED_ATTRS.isdisjoint(attrs) or any(name.startswith("on") for name in attrs)
        special = not _AUDITED_CLASSES.isdisjoint(classes) or not _MARK_ATTR_SET.isdisjoint(attrs)
        info = _INFO_MEMO[text] = (attrs, classes, check, special, text.rstrip().endswith("/"))
    return info


def _parse_attrs(text: str) -> dict[str, str]:
    """A start tag's attributes (names lower-cased; the first of a repeated name wins)."""
    return _tag_info(text)[0]


def _read_attrs(text: str) -> dict[str, str]:
    if _SIMPLE_ATTRS.fullmatch(text):  # name="value" pairs, as evalkit writes them
        return dict(reversed(_SIMPLE_PAIR.findall(text)))  # the first of a repeated name wins
    attrs: dict[str, str] = {}
    for name, value in _ATTR.findall(text):
        name = name.lower()
        if name in attrs:
            continue
        if value[:1] in ("'", '"'):
            value = value[1:-1]
        attrs[name] = _unescape(value)
    return attrs


def _is_network(url: str) -> bool:
    """Does ``url`` reach another host? (Relative, fragment and data URLs do not.)

    Examples
    --------
    >>> [_is_network(u) for u in ("https://x.no/a.js", "//cdn.x/a", "evalkit-charts.js", "#top", "data:,x")]
    [True, True, False, False, False]
    """
    u = _URL_CLEAN.sub("", url).strip().replace("\\", "/").lower()
    m = _SCHEME.match(u)
    if m:
        scheme = m.group(1)
        if scheme in _NETWORK_SCHEMES:
            return True
        if scheme in _LOCAL_SCHEMES:
            return False
        rest = u[m.end():]
        return rest.startswith("//") and len(rest) > 2
    return u.startswith("//") and len(u) > 2 and u[2] != "/"


_P_STOPS: Final = frozenset({"td", "th", "table", "caption", "button", "li", "figure", "details", "body", "html"})
_IMPLIED: Final[dict[str, tuple[frozenset[str], frozenset[str]]]] = {
    "td": (frozenset({"td", "th"}), frozenset({"table", "tr"})),
    "th": (frozenset({"td", "th"}), frozenset({"table", "tr"})),
    "tr": (frozenset({"tr"}), frozenset({"table"})),
    "li": (frozenset({"li"}), frozenset({"ul", "ol"})),
    "tbody": (frozenset({"tbody", "thead", "tfoot"}), frozenset({"table"})),
    "thead": (frozenset({"tbody", "thead", "tfoot"}), frozenset({"table"})),
    "tfoot": (frozenset({"tbody", "thead", "tfoot"}), frozenset({"table"})),
    **{tag: (frozenset({"p"}), _P_STOPS) for tag in (
        "p", "div", "table", "ul", "ol", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "figure", "details",
        "section", "header", "footer", "nav", "main", "pre", "blockquote", "form", "hr", "aside",
        "article", "address", "fieldset", "figcaption", "menu", "summary",
    )},
}
"""Start tag → (open elements it closes, elements that stop the search): the end tags
HTML lets an author leave out (cells, rows, list items, paragraphs)."""


_IMPLIED_PARENTS: Final[dict[str, tuple[str, ...]]] = {
    "td": ("tr",), "th": ("tr",), "tr": ("tbody", "thead", "tfoot", "table"), "li": ("ul", "ol"),
    "tbody": ("table",), "thead": ("table",), "tfoot": ("table",),
}
"""The usual parent of a start tag: when it is the innermost open element, nothing closes."""


def _implied(tags: list[str], tag: str) -> int | None:
    """Index from which the open ``tags`` are closed by a start tag ``tag`` (None: none)."""
    targets, stops = _IMPLIED[tag]
    for i in range(len(tags) - 1, -1, -1):
        t = tags[i]
        if t in targets:
            return i
        if t in stops:
            return None
    return None


def _raw_end(doc: str, tag: str, end: int) -> tuple[int, int]:
    """(end of the raw text that starts at ``end``, position after its end tag)."""
    m = _RAW_END[tag].search(doc, end)
    if m is None:
        return len(doc), len(doc)
    close = doc.find(">", m.end())
    return m.start(), len(doc) if close < 0 else close + 1


Element = tuple[int, int, str]
"""A start tag in document order: (position, depth — open elements around it —, tag)."""


def _elements_of(doc: str) -> list[Element]:
    """Every start tag of ``doc`` with its depth (for a page read again, to name elements)."""
    out: list[Element] = []
    tags: list[str] = []
    pos = 0
    search = _TOKEN.search
    while True:
        m = search(doc, pos)
        if m is None:
            return out
        pos = m.end()
        end_tag, tag, attr_text = m.groups()
        if tag is None:
            if end_tag is not None:
                end_tag = end_tag.lower()
                for i in range(len(tags) - 1, -1, -1):
                    if tags[i] == end_tag:
                        del tags[i:]
                        break
            continue
        tag = tag.lower()
        if tag in _IMPLIED:
            index = _implied(tags, tag)
            if index is not None:
                del tags[index:]
        out.append((m.start(), len(tags), tag))
        if tag in _RAW_TEXT:
            pos = _raw_end(doc, tag, pos)[1]
        elif tag not in _VOID and not (attr_text and attr_text.endswith("/")):
            tags.append(tag)


def _paths_at(doc: str, wanted: set[int], elements: list[Element] | None = None) -> dict[int, str]:
    """CSS paths, from the nearest ancestor with an id, of the elements whose start tags
    begin at the ``wanted`` positions; worked out only for pages with findings."""
    out: dict[int, str] = {}
    if not wanted:
        return out
    if elements is None:
        elements = _elements_of(doc)
    starts = [e[0] for e in elements]

    def part(i: int) -> tuple[str, bool]:
        start, depth, tag = elements[i]
        m = _TOKEN.match(doc, start)
        attrs = _parse_attrs(m.group(3)) if m is not None and m.group(3) else {}
        if attrs.get("id"):
            return f"{tag}#{attrs['id']}", True
        nth = 1
        for k in range(i - 1, -1, -1):
            d = elements[k][1]
            if d < depth:
                break
            if d == depth and elements[k][2] == tag:
                nth += 1
        classes = attrs.get("class", "").split()
        cls = next((c for c in classes if c.startswith("ek-")), classes[0] if classes else "")
        return tag + (f".{cls}" if cls else "") + (f":nth-of-type({nth})" if nth > 1 else ""), False

    for pos in wanted:
        i = bisect_left(starts, pos)
        if i == len(starts) or starts[i] != pos:
            out[pos] = "(page)"
            continue
        chain = []
        while True:
            text, anchored = part(i)
            chain.append(text)
            depth = elements[i][1]
            if anchored or depth == 0:
                break
            i -= 1
            while elements[i][1] >= depth:
                i -= 1
        out[pos] = " > ".join(reversed(chain))
    return out


class _PageAudit:
    """Tokenise one page and check it; the cross-page facts go to the result.

    Findings are kept as positions while the page is read; their CSS paths are worked
    out at the end, from the list of start tags, only when the page has findings.
    """

    def __init__(self, file: Path, doc: str, settings: _Settings) -> None:
        self.file = file
        self.doc = doc
        self.s = settings
        self.bundles_seen = 0
        self.result = _PageResult(file)
        self.tags: list[str] = []
        self.starts: list[int] = []
        self.frames: list[_Frame | None] = []
        self.elements: list[Element] = []
        self.collectors: list[list[str]] = []
        self.tables: list[bool] = []
        self.code_depth = 0
        self.allowed_numbers = {float(settings.min_cell_n), float(settings.min_unit_n)}
        self.id_hits: list[tuple[int, str]] = []
        self.newlines: list[int] | None = None
        self.pending: list[tuple[str, Ref, str]] = []
        self.units_checked: dict[str, str | None] = {}

    # -- reporting
    def line(self, pos: int) -> int:
        if self.newlines is None:
            self.newlines = [m.start() for m in _NEWLINE.finditer(self.doc)]
        return bisect_left(self.newlines, pos) + 1

    def ref(self, frame: _Frame | None, extra: str = "", pos: int | None = None) -> Ref:
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
        paths = _paths_at(self.doc, {where[0] for _r, where, _m in self.pending if where[0] >= 0}, self.elements)
        for rule, (pos, suffix, line), message in self.pending:
            element = (paths.get(pos, "(page)") if pos >= 0 else "(page)") + suffix
            self.result.findings.append(Finding(self.file, element, rule, message, line))
        self.pending.clear()

    def collect(self, frame: _Frame) -> None:
        frame.text = []
        self.collectors.append(frame.text)

    def uncollect(self, frame: _Frame) -> str:
        collectors = self.collectors
        for i in range(len(collectors) - 1, -1, -1):
            if collectors[i] is frame.text:
                del collectors[i]
                break
        return _unescape("".join(frame.text or ()))

    # -- main loop
    def run(self) -> _PageResult:
        doc = self.doc
        if self.s.id_pattern:
            self.find_ids()
        pos = 0
        search = _TOKEN.search
        info_of = _INFO_MEMO.get
        tags, starts, frames, elements = self.tags, self.starts, self.frames, self.elements
        collectors, id_hits, tables = self.collectors, self.id_hits, self.tables
        while True:
            m = search(doc, pos)
            if m is None:
                if collectors:
                    self.text(doc[pos:])
                break
            start = m.start()
            if collectors and start > pos:
                self.text(doc[pos:start])
            if id_hits and id_hits[0][0] < start:
                self.place_ids(start, None)
            pos = m.end()
            end_tag, tag, attr_text = m.groups()
            if tag is not None:
                tag = tag.lower()
                attrs, classes, check, special, closing = info_of(attr_text) or _tag_info(attr_text)
                if tag in _IMPLIED and not (tags and tags[-1] in _IMPLIED_PARENTS.get(tag, ())):
                    index = _implied(tags, tag)
                    if index is not None:
                        self.pop_to(index)
                elements.append((start, len(tags), tag))
                if id_hits and id_hits[0][0] < pos:
                    self.place_ids(pos, None, start)
                if check:
                    self.check_attrs(tag, attrs, start)
                frame = None
                if special or (tag == "td" and tables and tables[-1]):
                    frame = self.classify(tag, attrs, classes, start)
                if tag in _RAW_TEXT:
                    pos = self.raw_text(tag, attrs, classes, start, pos)
                    if frame is not None:
                        self.close(frame)
                elif tag == "svg" and not closing and frame is None and not collectors and (
                        skipped := self.static_svg(start, pos)):
                    pos = skipped
                elif closing or tag in _VOID:
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
        if id_hits:
            self.place_ids(len(doc) + 1, None)
        self.pop_to(0)
        self.resolve()
        return self.result

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
        if "href" in lowered or "src" in lowered:
            for m in _SVG_URL.finditer(content):
                url = next((g for g in m.groups()[1:] if g is not None), "")
                if _is_network(_unescape(url)):
                    self.network(start, f"{m.group(1)}={url[:80]!r} loads from another host", f" @{m.group(1)}")
        if "url" in lowered or "@import" in lowered:
            self.check_css(content, start)
        if self.id_hits and self.id_hits[0][0] < pos:
            self.place_ids(pos, None, start)
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

    # -- respondent ids
    def find_ids(self) -> None:
        assert self.s.id_pattern is not None
        doc, ids, alphabet = self.doc, self.s.ids, self.s.id_alphabet
        for m in re.finditer(self.s.id_pattern, doc):
            token = m.group()
            if token not in ids:
                continue
            if m.start() and doc[m.start() - 1] in alphabet:
                continue  # part of a longer token
            if m.end() < len(doc) and doc[m.end()] in alphabet:
                continue
            self.id_hits.append((m.start(), token))

    def place_ids(self, upto: int, frame: _Frame | None, start: int | None = None) -> None:
        """Report the ids found before ``upto``: in the element that starts at ``start``,
        else in ``frame``, else in the innermost open element."""
        while self.id_hits and self.id_hits[0][0] < upto:
            pos, token = self.id_hits.pop(0)
            if start is not None:
                where: Ref = (start, "", self.line(pos))
            else:
                where = self.ref(frame, pos=pos)
            self.add("respondent-id", where, f"respondent id {token!r} from the data")

    # -- elements
    def close(self, frame: _Frame) -> None:
        if frame.code:
            self.code_depth -= 1
        if frame.text is not None:
            self.finish_text(frame, self.uncollect(frame))
        if frame.kind & _CARD and frame.card_suppressed and frame.card_notes:
            shown = self.numbers(" ".join(frame.card_notes))
            if shown:
                self.add("suppressed-with-n", self.ref(frame, " .ek-card-note"),
                         f"the note of a suppressed key figure shows {', '.join(shown)}")

    def card(self) -> _Frame | None:
        return next((f for f in reversed(self.frames) if f is not None and f.kind & _CARD), None)

    def numbers(self, text: str) -> list[str]:
        """Numbers in ``text`` other than the thresholds (which a suppressed cell may name)."""
        return [n for n in _NUMBER.findall(text) if float(n.replace(",", ".")) not in self.allowed_numbers]

    def finish_text(self, frame: _Frame, text: str) -> None:
        if frame.kind & _CANDIDATE:
            if _DIGIT.search(text):
                self.add("unmarked-figure", self.ref(frame),
                         f"table cell shows {text.strip()[:40]!r} without figure markup")
            return
        if frame.kind & _CARD_NOTE:
            card = self.card()
            if card is not None:
                card.card_notes = [*(card.card_notes or []), text]
            return
        mark = frame.mark
        if mark is not None and mark.suppressed:
            shown = self.numbers(text)
            if shown:
                self.add("suppressed-with-n", self.ref(frame),
                         f"suppressed figure shows {', '.join(shown)} ({text.strip()[:40]!r})")

    # -- figure markup
    def classify(self, tag: str, attrs: Mapping[str, str], classes: Sequence[str], pos: int) -> _Frame | None:
        frame = _Frame(tag, classes, pos)
        keep = False
        if classes:
            if not CODE_CELL_CLASSES.isdisjoint(classes):
                frame.code = keep = True
                if self.code_depth == 0:
                    self.add("code-cell", self.ref(frame), "notebook code cell or raw output in the page")
                self.code_depth += 1
            if tag == "li" and "ek-card" in classes:
                frame.kind |= _CARD
                keep = True
            if "ek-card-note" in classes:
                frame.kind |= _CARD_NOTE
                self.collect(frame)
                return frame
        if tag == "figure" and "ek-figure" in classes:
            frame.kind |= _CHART
            self.read_mark(frame, attrs, chart=True)
        elif not _MARK_ATTR_SET.isdisjoint(attrs) or not _FIGURE_CLASSES.isdisjoint(classes):
            frame.kind |= _FIGURE
            mark = self.read_mark(frame, attrs, chart=False)
            if mark.suppressed:
                self.collect(frame)
                if "ek-card-value" in classes:
                    card = self.card()
                    if card is not None:
                        card.card_suppressed = True
        elif tag == "td" and self.tables and self.tables[-1]:
            frame.kind |= _CANDIDATE
            self.collect(frame)
        elif not keep:
            return None
        return frame

    def check_unit(self, unit: str) -> str | None:
        """Why ``unit`` is not ``<level>:<id>`` (None: it is)."""
        if unit not in self.units_checked:
            m = _UNIT.match(unit)
            bad = m is None or (m.group(1) == "municipality" and not _MUNICIPALITY.match(m.group(2))) or (
                m.group(1) == "all" and m.group(2) != "all")
            self.units_checked[unit] = f"data-unit {unit!r} is not <level>:<id>" if bad else None
        return self.units_checked[unit]

    def read_mark(self, frame: _Frame, attrs: Mapping[str, str], *, chart: bool) -> _Mark:
        get = attrs.get
        unit = get("data-unit", "").strip() or None
        wave = get("data-wave", "").strip() or None
        figure = get("data-figure", "").strip() or None
        source = get("data-source", "").strip() or None
        problems: list[str] = []
        if unit is None or wave is None or figure is None or source is None:
            problems = [f"no {a}" for a, v in zip(_MARK_ATTRS[:4], (unit, wave, figure, source), strict=True)
                        if v is None]
        if unit is not None:
            bad = self.units_checked.get(unit, "?")
            if bad == "?":
                bad = self.check_unit(unit)
            if bad:
                problems.append(bad)
                unit = None
        if source is not None and source not in SOURCES:
            problems.append(f"data-source {source!r} is not survey, teams or measures")
        raw_suppressed = get("data-suppressed")
        suppressed = False
        if raw_suppressed is not None:
            value = raw_suppressed.strip().lower()
            suppressed = value == "true"
            if value not in ("true", "false"):
                problems.append(f"data-suppressed={raw_suppressed!r} (expected \"true\")")
        raw_n = get("data-n")
        n: int | None = None
        if raw_n is not None:
            digits = raw_n.strip()
            if digits.isascii() and digits.isdigit():
                n = int(digits)
            else:
                problems.append(f"data-n={raw_n!r} is not a whole number")
        mark = frame.mark = _Mark(unit, wave, figure, source, None if suppressed else n, suppressed)
        if suppressed and raw_n is not None:
            self.add("suppressed-with-n", self.ref(frame), f"suppressed figure carries data-n={raw_n!r}")
        if not chart and not suppressed and raw_n is None and source in ("survey", "teams"):
            problems.append("neither data-n nor data-suppressed")
        if problems:
            what = "chart" if chart else "figure"
            self.add("unmarked-figure", self.ref(frame), f"{what} markup incomplete: {'; '.join(problems)}")
        if unit is not None:
            self.result.units[unit] += 1
        if source == "survey":
            if not chart and unit is not None and wave is not None and figure is not None:
                self.record_survey(frame, mark, (unit, wave, figure))
            elif mark.n is not None:
                self.small_cell(mark.n, frame, "chart")
        return mark

    def small_cell(self, n: int, frame: _Frame, what: str) -> None:
        if 0 < n < self.s.min_cell_n:
            self.add("small-cell", self.ref(frame), f"survey {what} based on n={n} < min_cell_n={self.s.min_cell_n}")

    def record_survey(self, frame: _Frame, mark: _Mark, key: Key) -> None:
        unit, wave, figure = key
        result = self.result
        if figure == "respondents.all":
            result.respondents_all.setdefault((unit, wave), mark.n)
        if mark.suppressed:
            if key not in result.suppressed:
                result.suppressed[key] = self.ref(frame)
            return
        n = mark.n
        if n is None:
            return
        self.small_cell(n, frame, "figure")
        if key not in result.visible:
            result.visible[key] = (n, self.ref(frame))
        if not figure.startswith("response_rate") and n > result.largest_n.get((unit, wave), -1):
            result.largest_n[(unit, wave)] = n  # people of the unit (response_rate: invited)
        if figure != "respondents.all":
            self.count_result(unit, wave, frame)

    def count_result(self, unit: str, wave: str, frame: _Frame, count: int = 1, extra: str = "") -> None:
        seen = self.result.results.get((unit, wave))
        self.result.results[(unit, wave)] = (count, self.ref(frame, extra)) if seen is None else (seen[0] + count, seen[1])

    # -- attributes, styles, scripts
    def check_attrs(self, tag: str, attrs: Mapping[str, str], pos: int) -> None:
        for name, value in attrs.items():
            if name in _URL_ATTRS or (name == "data" and tag == "object"):
                stripped = value.strip()
                if stripped.lower().startswith("javascript:"):
                    self.check_js(stripped[11:], pos, f" @{name}")
                elif _is_network(value):
                    link = name == "href" and tag in ("a", "area")
                    what = "links to" if link else "loads from"
                    self.network(pos, f"{name}={stripped[:80]!r} {what} another host")
            elif name in _URL_LIST_ATTRS:
                candidates = ([part.split()[0]] if part.split() else [] for part in value.split(",")) \
                    if "srcset" in name else ([part] for part in re.split(r"[,\s]+", value) if part)
                for url in (c[0] for c in candidates if c):
                    if _is_network(url):
                        self.network(pos, f"{name} names {url[:80]!r} on another host")
            elif name == "style":
                self.check_css(value, pos, " @style")
            elif name == "srcdoc":  # a whole page in an attribute
                self.string_urls(value, pos, " @srcdoc")
                self.check_css(value, pos, " @srcdoc")
            elif name.startswith("on"):
                self.check_js(value, pos, f" @{name}")
            elif name == "content" and tag == "meta" and attrs.get("http-equiv", "").lower() == "refresh":
                m = _REFRESH_URL.search(value)
                if m and _is_network(m.group(1)):
                    self.network(pos, f"meta refresh goes to {m.group(1)[:80]!r}")

    def network(self, pos: int, message: str, extra: str = "") -> None:
        self.add("network-resource", (pos, extra, self.line(pos)), message)

    def check_css(self, css: str, pos: int, extra: str = "") -> None:
        lowered = css.lower()
        if "url" not in lowered and "@import" not in lowered:
            return
        for m in _CSS_URL.finditer(css):
            url = next((g for g in m.groups() if g is not None), "")
            if _is_network(url):
                self.network(pos, f"CSS loads {url.strip()[:80]!r}", extra)

    def string_urls(self, text: str, pos: int, extra: str = "") -> None:
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
            if not _is_network(url) or url in _NAMESPACES:
                continue
            if _SCHEMA_KEY.search(text, max(0, lead.start() - 60), lead.start()):
                continue  # a $schema or namespace URI names a format; nothing loads it
            self.network(pos, f"script names {url[:80]!r} on another host", extra)

    def check_js(self, js: str, pos: int, extra: str = "") -> None:
        self.string_urls(js, pos, extra)
        for m in _JS_NETWORK.finditer(js):
            self.network(pos, f"script uses {m.group(1) or m.group(2)} (a published page must not request anything)", extra)

    def raw_text(self, tag: str, attrs: Mapping[str, str], classes: Sequence[str], start: int, end: int) -> int:
        content_end, next_pos = _raw_end(self.doc, tag, end)
        if self.id_hits and self.id_hits[0][0] < content_end:
            self.place_ids(content_end, None, start)
        content = self.doc[end:content_end]
        if tag == "script":
            self.script(attrs, classes, content, start)
        elif tag == "style":
            self.check_css(content, start)
        elif tag in ("textarea", "title") and self.collectors:
            self.text(content)
        return next_pos

    def script(self, attrs: Mapping[str, str], classes: Sequence[str], content: str, pos: int) -> None:
        if content.startswith(_SENTINEL):
            self.bundles_seen += 1
            return
        if len(content) > _BIG_SCRIPT and self.s.bundle is not None:
            data = content.encode("utf-8")
            if len(data) == self.s.bundle[0] and hashlib.sha256(data).hexdigest() == self.s.bundle[1]:
                return
        kind = attrs.get("type", "").strip().lower()
        if "ek-spec" in classes:
            self.spec(content, pos)
        elif kind in _JSON_TYPES:
            self.string_urls(content, pos)
            if _VEGA_SCRIPT.search(content):
                self.add("unmarked-figure", (pos, "", self.line(pos)), "a chart spec outside evalkit's figure markup")
        elif kind in _JS_TYPES:
            self.check_js(content, pos)
            if _VEGA_SCRIPT.search(content):
                self.add("unmarked-figure", (pos, "", self.line(pos)),
                         "a script holds a chart spec outside evalkit's figure markup")
        else:
            self.string_urls(content, pos)

    def spec(self, content: str, pos: int) -> None:
        chart = next((f for f in reversed(self.frames) if f is not None and f.kind & _CHART), None)
        where = (pos, "", self.line(pos)) if chart is None else self.ref(chart, " > script.ek-spec", pos)
        self.string_urls(content, pos)
        for m in _DATA_URL.finditer(content):
            if not _is_network(m.group(1)):
                self.add("unmarked-figure", where, f"chart data comes from {m.group(1)[:80]!r}, which the audit cannot read")
        mark = chart.mark if chart is not None else None
        if chart is None:
            self.add("unmarked-figure", where, "chart spec outside a marked figure.ek-figure")
        source = mark.source if mark is not None and mark.source in SOURCES else "survey"
        if source == "measures":  # improvement measures follow their own rules
            return
        try:
            spec = json.loads(content)
        except ValueError as exc:
            self.add("unreadable", where, f"chart spec is not valid JSON ({exc})")
            return
        self.check_rows(spec, source, chart, where)

    def check_rows(self, spec: Any, source: str, chart: _Frame | None, where: Ref) -> None:
        unmarked: list[str] = []
        small: list[str] = []
        leaks: list[str] = []
        visible = 0
        index = 0
        min_cell_n = self.s.min_cell_n
        for rows in _datasets(spec):
            if not isinstance(rows, list):
                unmarked.append(f"inline data {type(rows).__name__} without rows")
                continue
            for row in rows:
                index += 1
                if not isinstance(row, dict) or "n" not in row or "suppressed" not in row:
                    unmarked.append(f"row {index} has no n/suppressed")
                    continue
                n, hidden = row["n"], row["suppressed"]
                if hidden is False and type(n) is int and n >= 0:
                    visible += 1
                    if source == "survey" and 0 < n < min_cell_n:
                        small.append(f"row {index} n={n}")
                elif hidden is True:
                    if n is not None:
                        leaks.append(f"row {index} n={n}")
                    else:
                        shown = sorted(k for k in ESTIMATE_KEYS.intersection(row) if row[k] is not None)
                        if shown:
                            leaks.append(f"row {index} {shown[0]}={row[shown[0]]}")
                elif hidden is False and n is None:
                    shown = sorted(k for k in ESTIMATE_KEYS.intersection(row) if row[k] is not None)
                    if shown:  # otherwise a layout row (a zero line), not a figure
                        unmarked.append(f"row {index} shows {shown[0]}={row[shown[0]]} without n")
                else:
                    unmarked.append(f"row {index} has n={n!r}, suppressed={hidden!r}")
        for rule, items, what in (
            ("unmarked-figure", unmarked, "chart data without figure markup"),
            ("suppressed-with-n", leaks, "suppressed chart rows still carry figures"),
            ("small-cell", small, f"chart rows with n < min_cell_n={min_cell_n}"),
        ):
            if items:
                more = f" and {len(items) - 5} more" if len(items) > 5 else ""
                self.add(rule, where, f"{what}: {', '.join(items[:5])}{more}")
        mark = chart.mark if chart is not None else None
        if visible and source == "survey" and chart is not None and mark is not None and mark.unit and mark.wave:
            self.count_result(mark.unit, mark.wave, chart, visible, " > script.ek-spec")


def _datasets(spec: Any) -> Iterator[Any]:
    """Every block of inline rows in a Vega-Lite spec, in document order: ``datasets``
    and every ``data.values``, at any depth (the theme's ``config`` is skipped)."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "datasets" and isinstance(value, dict):
                yield from value.values()
            elif key == "data" and isinstance(value, dict) and "values" in value:
                yield value["values"]
            elif key != "config" and isinstance(value, (dict, list)):
                yield from _datasets(value)
    elif isinstance(spec, list):
        for item in spec:
            if isinstance(item, (dict, list)):
                yield from _datasets(item)


_BUNDLE_SEEN: dict[str, tuple[bytes, int]] = {}


def _bundle_lines(raw: bytes, start: int, end: int, sha: str) -> int | None:
    """Newlines in ``raw[start:end]`` if it is the chart library, else None. Its SHA-256
    is checked once per process; later pages are compared byte for byte with the bytes
    that had that hash."""
    seen = _BUNDLE_SEEN.get(sha)
    if seen is not None:
        return seen[1] if raw[start:end] == seen[0] else None
    content = raw[start:end]
    if hashlib.sha256(content).hexdigest() != sha:
        return None
    _BUNDLE_SEEN[sha] = (content, content.count(b"\n"))
    return _BUNDLE_SEEN[sha][1]


def _read_page(path: Path, bundle: tuple[int, str] | None) -> tuple[str, int, str | None]:
    """The page's text with the inlined chart library cut out (by hash, in the raw bytes,
    before decoding); returns (text, bundles cut, problem)."""
    raw = path.read_bytes()
    cut = 0
    if bundle is not None and len(raw) > bundle[0]:
        length, sha = bundle
        pieces: list[bytes] = []
        last = pos = 0
        while True:
            i = raw.find(b"<script", pos)
            if i < 0:
                break
            j = raw.find(b">", i)
            if j < 0:
                break
            content_start = j + 1
            content_end = raw.find(b"</script", content_start)
            if content_end < 0:
                break
            if content_end - content_start != length:
                # not the library: step over the script (it may end earlier, in upper case)
                other = None
                if raw.find(b"</", content_start, content_end) >= 0:
                    other = re.search(rb"(?i)</script", raw[content_start:content_end])
                pos = content_start + other.start() + 2 if other else content_end + 2
                continue
            lines = _bundle_lines(raw, content_start, content_end, sha)
            if lines is not None:
                pieces.append(raw[last:content_start])
                pieces.append(_SENTINEL.encode() + b"\n" * lines)
                last = content_end
                cut += 1
            pos = content_end + 2
        if cut:
            pieces.append(raw[last:])
            raw = b"".join(pieces)
    try:
        return raw.decode("utf-8-sig"), cut, None
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8-sig", errors="replace"), cut, f"not UTF-8 ({exc.reason} at byte {exc.start})"


def _path_text(path: Path) -> str:
    """A page's whole text (chart library included)."""
    return path.read_bytes().decode("utf-8-sig", errors="replace")


def _without_gc(run: Callable[[], _PageResult]) -> _PageResult:
    """Run a page's audit with the cyclic garbage collector paused: it makes many small
    objects and no cycles, and collections cost about a tenth of the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return run()
    finally:
        if enabled:
            gc.enable()


def _audit_file(path: Path, settings: _Settings) -> _PageResult:
    try:
        text, cut, problem = _read_page(path, settings.bundle)
    except OSError as exc:
        result = _PageResult(path)
        result.findings.append(Finding(path, "(page)", "unreadable", f"cannot read the page ({exc.strerror})"))
        return result
    audit = _PageAudit(path, text, settings)
    result = _without_gc(audit.run)
    if cut and audit.bundles_seen != cut:
        # The library was cut out of the raw bytes; that is exact only if the tokenizer
        # met every cut as the content of a script element. Otherwise audit the whole page.
        full = _path_text(path)
        result = _without_gc(_PageAudit(path, full, settings).run)
        result.read_whole = True
    if problem:
        result.findings.insert(0, Finding(path, "(page)", "unreadable", problem))
    return result


def _elements(file: Path, refs: Iterable[Ref], settings: _Settings, text: str | None = None,
              *, whole: bool = False) -> dict[Ref, str]:
    """CSS paths of figures found by the cross-page checks (the page is read again, as its
    audit read it)."""
    wanted = list(refs)
    if text is None:
        try:
            text = (_path_text(file) if whole else _read_page(file, settings.bundle)[0])
        except OSError:
            text = ""
    paths = _paths_at(text, {pos for pos, _s, _l in wanted if pos >= 0})
    return {ref: (paths.get(ref[0], "(page)") if ref[0] >= 0 else "(page)") + ref[1] for ref in wanted}


def audit_html(
    text: str,
    *,
    name: str | Path = "page.html",
    data_dir: str | Path | None = None,
    min_unit_n: int = DEFAULT_MIN_UNIT_N,
    min_cell_n: int = DEFAULT_MIN_CELL_N,
) -> AuditReport:
    """Audit one page given as text (a convenience for tests and notebooks)."""
    unit_n, cell_n, data = _resolve(data_dir=data_dir, min_unit_n=min_unit_n, min_cell_n=min_cell_n, manifest=None)
    facts = _load_data(data) if data is not None else None
    settings = _settings(unit_n, cell_n, facts, bundle=known_bundle() if len(text) > _BIG_SCRIPT else None)
    result = _PageAudit(Path(name), text, settings).run()
    return _combine([result], settings, facts, data, 0.0, texts={Path(name): text})


# --- a set of pages ---------------------------------------------------------------------


def _settings(unit_n: int, cell_n: int, facts: _DataFacts | None, bundle: tuple[int, str] | None) -> _Settings:
    pattern, ids, alphabet = _id_pattern(facts.ids) if facts is not None else (None, frozenset(), frozenset())
    return _Settings(unit_n, cell_n, pattern, ids, alphabet, bundle)


def _may_inline_bundle(files: Sequence[Path]) -> bool:
    """Could a page hold the chart library? (Only then is its hash needed.)"""
    for path in files:
        try:
            if path.stat().st_size > _BIG_SCRIPT:
                return True
        except OSError:
            continue
    return False


_WORKER_SETTINGS: _Settings | None = None


def _init_worker(settings: _Settings) -> None:
    global _WORKER_SETTINGS
    _WORKER_SETTINGS = settings


def _worker(path: Path) -> _PageResult:
    assert _WORKER_SETTINGS is not None
    return _audit_file(path, _WORKER_SETTINGS)


def audit_pages(
    paths: Sequence[Path],
    *,
    data_dir: str | Path | None = None,
    min_unit_n: int | None = None,
    min_cell_n: int | None = None,
    manifest: Path | None = None,
    workers: int | None = None,
) -> AuditReport:
    """Audit a set of pages, each on its own and across the set.

    Parameters
    ----------
    paths
        The pages (a batch's whole set, for the cross-page check).
    data_dir
        The canonical data folder the pages were made from: respondent ids to search for,
        unit sizes and the unit tree. Default: the manifest's data folder, if any.
    min_unit_n, min_cell_n
        Thresholds; default the manifest's ``settings``, else 10 and 5.
    manifest
        A batch's ``manifest.json``.
    workers
        Processes to use; default one per core (at most 8) when there are more than 100
        pages. Workers are started with ``spawn``: a script that calls this must guard its
        entry point with ``if __name__ == "__main__":``.

    Raises
    ------
    InputError
        Bad thresholds, an unreadable manifest or a missing data folder.
    """
    began = time.perf_counter()
    unit_n, cell_n, data = _resolve(data_dir=data_dir, min_unit_n=min_unit_n, min_cell_n=min_cell_n, manifest=manifest)
    facts = _load_data(data) if data is not None else None
    files = [Path(p) for p in paths]
    settings = _settings(unit_n, cell_n, facts, known_bundle() if _may_inline_bundle(files) else None)
    if workers is None:
        workers = min(os.cpu_count() or 1, 8) if len(files) > _WORKER_THRESHOLD else 1
    if workers > 1 and len(files) > 1:
        chunk = max(1, len(files) // (workers * 4))
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_init_worker,
                                 initargs=(settings,)) as pool:
            results = list(pool.map(_worker, files, chunksize=chunk))
    else:
        results = [_audit_file(p, settings) for p in files]
    return _combine(results, settings, facts, data, time.perf_counter() - began)


def _combine(results: list[_PageResult], settings: _Settings, facts: _DataFacts | None,
             data: Path | None, seconds: float, texts: Mapping[Path, str] | None = None) -> AuditReport:
    findings = [f for r in results for f in r.findings]
    deferred = _small_units(results, settings, facts) + _recoverable(results, settings, facts)
    by_file: defaultdict[Path, set[Ref]] = defaultdict(set)
    for file, ref, _rule, _message in deferred:
        by_file[file].add(ref)
    whole = {r.file for r in results if r.read_whole}
    elements = {file: _elements(file, refs, settings, (texts or {}).get(file), whole=file in whole)
                for file, refs in by_file.items()}
    findings += [Finding(file, elements[file][ref], rule, message, ref[2]) for file, ref, rule, message in deferred]
    findings = sorted(set(findings), key=_sort_key)
    return AuditReport(findings, tuple(r.file for r in results), settings.min_unit_n, settings.min_cell_n,
                       data, seconds)


Deferred = tuple[Path, Ref, str, str]
"""A cross-page finding before its element's CSS path is known: file, where, rule, message."""


@dataclass(frozen=True)
class _Marked:
    """What the pages say about unit sizes: ``respondents.all`` (None: suppressed) and the
    largest n of any visible survey figure of the unit (a lower bound of its size)."""

    counts: Mapping[tuple[str, str], int | None]
    largest: Mapping[tuple[str, str], int]


def _marked(results: list[_PageResult]) -> _Marked:
    counts: dict[tuple[str, str], int | None] = {}
    largest: dict[tuple[str, str], int] = {}
    for r in results:
        for key, n in r.respondents_all.items():
            old = counts.get(key, -1)
            if key not in counts or n is None or (old is not None and n < old):
                counts[key] = n
        for key, n in r.largest_n.items():
            largest[key] = max(n, largest.get(key, -1))
    return _Marked(counts, largest)


def _small_reason(unit: str, wave: str, settings: _Settings, facts: _DataFacts | None,
                  marked: _Marked) -> str | None:
    """Why ``unit`` counts as under min_unit_n in ``wave`` (None: it does not)."""
    if facts is not None:
        size = facts.sizes.get((unit, wave), 0)
        if size < settings.min_unit_n:
            return f"{unit} has {size} respondent(s) in wave {wave} in the data (< min_unit_n={settings.min_unit_n})"
    if (unit, wave) in marked.counts:
        n = marked.counts[(unit, wave)]
        if n is not None and n < settings.min_unit_n:
            return f"{unit} has {n} respondent(s) in wave {wave} (< min_unit_n={settings.min_unit_n})"
        # A suppressed count may be complementary: with data the data decide; without,
        # a figure of the unit with n >= min_unit_n shows that the unit is not small.
        if n is None and facts is None and marked.largest.get((unit, wave), 0) < settings.min_unit_n:
            return f"{unit}'s respondent count for wave {wave} is suppressed"
    return None


def _small_units(results: list[_PageResult], settings: _Settings, facts: _DataFacts | None) -> list[Deferred]:
    marked = _marked(results)
    out: list[Deferred] = []
    for r in results:
        for (unit, wave), (count, ref) in r.results.items():
            reason = _small_reason(unit, wave, settings, facts, marked)
            if reason:
                others = f" (and {count - 1} more)" if count > 1 else ""
                out.append((r.file, ref, "small-unit", f"{reason}, but the page shows its survey results{others}"))
    return out


def _page_tree(results: list[_PageResult]) -> dict[str, set[str]]:
    """Without data: parent → children, as the pages tell them."""
    children: defaultdict[str, set[str]] = defaultdict(set)
    for r in results:
        own = r.own_unit()
        if own is None:
            continue
        level = own.split(":", 1)[0]
        ups = [u for u in r.units if u.split(":", 1)[0] == PARENT_LEVEL.get(level)]
        if len(ups) == 1:
            children[ups[0]].add(own)
        for unit in r.units:
            if unit.split(":", 1)[0] == CHILD_LEVEL.get(level):
                children[own].add(unit)
    return children


def _recoverable(results: list[_PageResult], settings: _Settings, facts: _DataFacts | None) -> list[Deferred]:
    visible: defaultdict[Key, list[tuple[Path, int, Ref]]] = defaultdict(list)
    suppressed: defaultdict[Key, list[tuple[Path, Ref]]] = defaultdict(list)
    for r in results:
        for key, (n, ref) in r.visible.items():
            visible[key].append((r.file, n, ref))
        for key, ref in r.suppressed.items():
            suppressed[key].append((r.file, ref))
    out: list[Deferred] = []

    def flag(key: Key, message: str) -> None:
        out.extend((file, ref, "recoverable", message) for file, _n, ref in visible.get(key, []))
        out.extend((file, ref, "recoverable", message) for file, ref in suppressed.get(key, []))

    for key in sorted(suppressed.keys() & visible.keys()):
        unit, wave, figure = key
        flag(key, f"{unit} {figure} (wave {wave}) is suppressed on one page but shown with n={visible[key][0][1]} on another")

    marked = _marked(results)
    page_children = _page_tree(results) if facts is None else {}
    for (parent, wave, figure), shown in sorted(visible.items()):
        level = parent.split(":", 1)[0]
        if level not in CHILD_LEVEL:
            continue
        kids = set(facts.children.get((parent, wave), frozenset()) if facts is not None else page_children.get(parent, ()))
        hidden = [k for k in kids if (k, wave, figure) not in visible]
        if len(hidden) != 1:
            continue
        seen = sorted(kids - set(hidden))
        if not seen:
            continue  # nothing to subtract: the parent's own figure (held to min_cell_n itself)
        if facts is not None and any(len(facts.parents.get((k, wave), ())) != 1 for k in seen):
            continue  # a visible child that also belongs elsewhere: no clean difference
        rest = shown[0][1] - sum(visible[(k, wave, figure)][0][1] for k in seen)
        if rest <= 0:
            continue
        child = hidden[0]
        hidden_key = (child, wave, figure)
        if rest < settings.min_cell_n:
            reason = f"fewer than min_cell_n={settings.min_cell_n}"
        elif facts is None:
            continue  # without data the child set may be incomplete: only a small rest is sure
        elif hidden_key in suppressed:
            reason = "which is suppressed"
        else:
            small = _small_reason(child, wave, settings, facts, marked)
            if small is None:
                continue
            reason = f"and {small}"
        message = (f"{parent} {figure} (wave {wave}) n={shown[0][1]} minus the {len(seen)} other "
                   f"{CHILD_LEVEL[level]} unit(s) shown leaves n={rest} for {child}, {reason}")
        flag((parent, wave, figure), message)
        for k in seen:
            flag((k, wave, figure), message)
        out.extend((file, ref, "recoverable", message) for file, ref in suppressed.get(hidden_key, []))
    return out


# --- the verdict cache ----------------------------------------------------------------------


def _file_hashes(paths: Sequence[Path], cache_dir: Path) -> list[str]:
    """SHA-256 of each page, remembered by (size, mtime, inode, ctime) so that an unchanged
    page is not read again."""
    memo_path = cache_dir / "page-hashes.json"
    try:
        memo: dict[str, list[Any]] = json.loads(memo_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        memo = {}
    out: list[str] = []
    changed = False
    for path in paths:
        name = str(Path(path).resolve())
        try:
            st = Path(path).stat()
        except OSError:
            out.append("missing")
            continue
        stamp = [st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns]
        entry = memo.get(name)
        if entry is not None and entry[:4] == stamp:
            out.append(str(entry[4]))
            continue
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        memo[name] = [*stamp, digest]
        out.append(digest)
        changed = True
    if changed:
        write_atomic(memo_path, json.dumps(memo))
    return out


def audit_cached(
    paths: Sequence[Path],
    cache_dir: str | Path,
    *,
    data_dir: str | Path | None = None,
    min_unit_n: int | None = None,
    min_cell_n: int | None = None,
    manifest: Path | None = None,
    workers: int | None = None,
) -> AuditReport:
    """:func:`audit_pages`, remembered: the verdict is kept in ``cache_dir`` under a key of
    the pages (paths and content hashes), the thresholds, the data folder's
    :func:`~evalkit.canonical.folder_hash`, the chart library's hash and this module's
    code, so that a re-run with nothing changed returns at once (``from_cache`` is True).
    """
    from evalkit.canonical import folder_hash

    unit_n, cell_n, data = _resolve(data_dir=data_dir, min_unit_n=min_unit_n, min_cell_n=min_cell_n, manifest=manifest)
    cache = Path(cache_dir)
    files = [Path(p) for p in paths]
    key_parts = {
        "audit": hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
        "bundle": known_bundle() if _may_inline_bundle(files) else None,
        "min_unit_n": unit_n,
        "min_cell_n": cell_n,
        "data": None if data is None else [str(data.resolve()), folder_hash(data)],
        "pages": [[str(p), h] for p, h in zip(files, _file_hashes(files, cache), strict=True)],
    }
    key = hashlib.sha256(json.dumps(key_parts, sort_keys=True).encode("utf-8")).hexdigest()
    verdict = cache / f"audit-{key[:32]}.json"
    if verdict.exists():
        try:
            return AuditReport.from_json(verdict.read_text(encoding="utf-8"), from_cache=True)
        except (OSError, ValueError, KeyError):
            pass
    report = audit_pages(files, data_dir=data, min_unit_n=unit_n, min_cell_n=cell_n, workers=workers)
    write_atomic(verdict, report.to_json())
    return report


# --- the command ------------------------------------------------------------------------


def pages_in(folder: Path) -> list[Path]:
    """Every HTML page under ``folder`` (recursively), in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".html", ".htm") and p.is_file())


@click.command("audit")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--data", "data_dir", type=click.Path(path_type=Path),
              help="Canonical data folder (respondent ids, unit sizes). Default: the manifest's.")
@click.option("--min-unit-n", type=int, help="Fewest respondents a unit needs for results (default: manifest, else 10).")
@click.option("--min-cell-n", type=int, help="Fewest people behind a survey figure (default: manifest, else 5).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def audit_command(directory: Path, data_dir: Path | None, min_unit_n: int | None, min_cell_n: int | None,
                  as_json: bool) -> None:
    """Check every page under DIRECTORY for anything that must never be published.

    Exit 0 when the pages are clean, 1 on any finding, 2 for bad usage.
    """
    if directory.is_file():
        pages, manifest = [directory], directory.parent / MANIFEST_FILE
    elif directory.is_dir():
        pages, manifest = pages_in(directory), directory / MANIFEST_FILE
    else:
        raise InputError(f"{directory}: no such folder")
    if not pages:
        raise InputError(f"{directory}: no .html pages to audit")
    report = audit_pages(pages, data_dir=data_dir, min_unit_n=min_unit_n, min_cell_n=min_cell_n,
                         manifest=manifest if manifest.is_file() else None)
    click.echo(report.to_json() if as_json else report.text())
    click.echo(report.summary(), err=True)
    if not report.ok:
        failing = sorted(str(p) for p in report.failing_files())
        keep = ", ".join(failing[:10]) + (f" and {len(failing) - 10} more" if len(failing) > 10 else "")
        raise JobFailed(f"{len(report.findings)} finding(s); keep aside: {keep}")
