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
* any ``<td>`` of a table (``ek-table`` or not) whose text holds a number, in digits
  or in words (in evalkit's tables every ``td`` is a value column; row labels are
  ``th``; see :mod:`~evalkit.audit.numbers` for the words).

Prose (headings, notes, the method text, a chart's caption and description, the text of
a static SVG) is not a figure element. A figure element's markup is complete when it has
``data-unit`` of the form ``<level>:<id>`` (level team, municipality, network or all; a
municipality id has 4 digits; ``all:all``), a non-empty ``data-wave`` and
``data-figure``, ``data-source`` ∈ survey / teams / measures, and — except on charts and
on improvement measures — either ``data-n`` (a whole number) or ``data-suppressed``
with the reason the figure is hidden: ``small`` (fewer than ``min_cell_n`` people),
``unit`` (the unit has fewer than ``min_unit_n`` respondents) or ``protect`` (hidden so
that a small number elsewhere cannot be worked out). An element with any
``data-suppressed`` is read as hidden. Every row of a survey or team chart's inline data
(``datasets`` and every ``data.values``, at any depth of the spec but the theme's
``config``) is an object with ``n`` and ``suppressed``, and a ``reason`` when
``suppressed`` is true; a suppressed row has ``n`` null and no estimate
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
    spec (``"$schema": "…vega…"``). A table cell without markup counts when it shows a
    number in digits, a number word that is not also an ordinary word ("tre", "åtte",
    "three"), or any number word on its own ("en", "one").
``suppressed-reason``
    A hidden figure that does not say why: a ``data-suppressed`` other than ``small``,
    ``unit`` or ``protect`` (the former ``"true"``, or ``"false"``: a shown figure
    carries no ``data-suppressed``); a suppressed chart row without such a ``reason``, or
    a shown row with one.
``reason-text``
    A hidden figure whose text (or, for a key-figure card, its note; for a hidden chart
    row, its label) gives another reason than its markup, read against the text store's
    hidden-figure texts in nb, nn and en with the audit's thresholds: "for få svar" /
    "too few answers" and "under 5" only with ``small``, "under 10 svar" / "under 10"
    only with ``unit``, "skjult av personvernhensyn" / "hidden for privacy" only with
    ``protect``. A dash gives no reason. With a data folder, a survey figure hidden as
    ``unit`` whose unit has at least ``min_unit_n`` respondents in the wave is a finding
    too (the reason is false).
``suppressed-with-n``
    A suppressed figure that still tells something: ``data-suppressed`` together with
    ``data-n``; a suppressed chart row with a non-null ``n`` or estimate; or a
    suppressed element (or the note of a suppressed key-figure card) whose text shows a
    number other than the audit's two thresholds (``under 5`` is fine with
    min_cell_n = 5; ``3`` is not), in digits of any script or in words, Norwegian or
    English (``tre``, ``åtte``, ``three``; read as a reader reads them: character
    references decoded, invisible characters removed, case ignored); a suppressed chart
    row with any other number (but its place: ``order``, ``x`` …), a number in its label
    or a number word in its texts; a number word in the header of a hidden figure's
    table row or in a hidden key figure's label ("Ledere (tre)"); or a chart's static drawing (its inline SVG's text)
    that writes a count (``n = 4``) which no visible row of the chart's data has.
``respondent-id``
    A respondent id from the data (``respondents.respondent_id`` of ``--data`` or of the
    manifest's data folder) anywhere in the page but the chart library: text,
    attributes, comments, styles, scripts and chart data — as it is, or however written
    (:mod:`~evalkit.audit.decode`): as character references (``&#82;000007``), with
    JavaScript/JSON or CSS escapes (``\\u0052``, ``\\52 ``), URL-encoded (``%52``, also
    twice), with invisible characters inside (zero-width space, soft hyphen, joiners),
    in fullwidth or other compatibility forms, in other letters' case, split by inline markup
    (``R000<span>007</span>``), or in base64 or percent-encoding in a ``data:`` URL or an
    ``atob()`` call; the finding says how it was written. An id counts when the
    characters next to it are not characters that ids are made of (``R000007`` in
    ``2R000007`` or ``R0000071`` is another token; in ``xR000007`` it is found). Ids
    shorter than 6 characters are not searched: they cannot be told from numbers and
    words.
``network-resource``
    Anything that reaches another host: a URL with a host (``http(s):``, ``ftp:``,
    ``ws(s):``, ``//host``, or any ``scheme://host`` but ``file:``) in ``src``, ``href``
    (links too: the issue names every href, and a page read offline points nowhere),
    ``srcset``, ``poster``, ``action``, ``formaction``, ``data`` (object), ``ping``,
    ``background``, ``manifest``, ``xlink:href`` or a meta refresh; in CSS, read with a
    CSS tokenizer (style elements and attributes: ``url()``, ``@import``, ``image-set()``,
    ``src()``, escapes decoded); as a string in a script or JSON (also written
    ``https:\\/\\/`` or with ``\\x``/``\\u`` escapes); in the payload of a ``data:`` URL or
    an ``atob()`` call; or a script that uses ``fetch``, ``XMLHttpRequest``,
    ``WebSocket``, ``EventSource``, ``sendBeacon``, ``importScripts``, ``import()``,
    ``open()``, ``document.write()``, ``new Image``, sets a ``src`` or the ``location``
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
    A hidden figure that can be worked out from figures published elsewhere in the set
    (the algorithm is below). Reported on every page involved. The integer-programming
    attack on counts of people (step 2 below) also reports a count published with two
    different values, a hidden figure whose reason the published figures contradict,
    and a hidden count it cannot settle within its time limit (``--attack-seconds``,
    default 300: it cannot be shown safe). The attack's findings are *reported* by
    default — ``evalkit audit`` and the batch summary print them as warnings ("N small
    figures can be worked out exactly: …"); they neither fail the audit nor keep a page
    from being published — until the data-side protector of issue 13 lands;
    ``--strict-attack`` (``evalkit audit`` and ``evalkit batch``) makes them findings
    like any other.
``inconsistent``
    A survey figure (unit, wave, figure id) that two pages of the set show differently:
    with different n, hidden for different reasons, or shown on one and hidden on the
    other (issue 13, item 4); or that one page hides for different reasons. Reported on
    every page involved.
``unreadable``
    A page that cannot be read or is not UTF-8, or a chart spec that is not JSON: it
    cannot be cleared.
``foreign-file``
    Checked on a published folder (``evalkit audit DIR``), not on a page: any file that is
    not a page (``.html``) or ``manifest.json`` — a ``respondents.parquet`` or a CSV of
    answers beside the pages — is a finding.
``foreign-markup``
    Markup outside the audit's allowlist (:mod:`~evalkit.audit.allowed`), whatever it
    holds: a page that does not begin with ``<!DOCTYPE html>`` (a CSV named ``.html``);
    a drawing (``svg``) outside a chart's ``figure.ek-figure``;
    an element evalkit never writes (``iframe``, ``img``, ``picture``, ``base``,
    ``form``, ``link``, ``object``, ``embed``, ``video``, ``noscript``, ``template``,
    SVG's ``image``, ``use``, ``foreignObject``, ``animate`` …); an attribute evalkit
    never writes on that element (``style``, any event handler, ``title``, ``alt``,
    ``srcset``, ``srcdoc``, ``http-equiv``, ``hidden``, a ``data-*`` other than the
    figure markup's and a chart spec's ``data-target``/``data-label``); an ``href`` or
    ``src`` with a scheme or a host (evalkit links only to files beside the page and
    places on it: no network scheme, no ``data:``, no ``javascript:``); a ``url()`` in an
    attribute that points anywhere but the page itself; a ``meta`` that is not one of
    evalkit's (``viewport``, ``generator``, ``description``, ``evalkit-index-key``); a
    comment, declaration or processing instruction; and a label (``aria-label``,
    ``data-label``) that is not a text the page shows (a chart's label repeats its
    title), so that no label says what the page does not.
``foreign-script``
    A script or style that is not evalkit's own. evalkit's own are recognised by the
    SHA-256 of their text, computed when the audit runs from evalkit's own files
    (:func:`~evalkit.audit.allowed.own_code`: the page template's inline scripts and
    styles, the template folder's ``*.js`` and ``*.css``, the ``ek-locale`` formats of
    each language, the chart library's hash), so a change of the templates or an
    upgrade of the chart library needs no change here; the printed page's running head
    (a style with the page's title in a CSS string) must hold the page's ``<title>``.
    Chart specs (``script.ek-spec``, JSON) are evalkit's figures, read by the rules
    above. A script loaded by ``src`` is allowed only as the chart library beside the
    page (``evalkit-charts.js``).

Decoding, and documents inside documents
----------------------------------------
The audit reads HTML with its tokenizer (checked against :mod:`html.parser` on every
sample page), CSS with a real CSS tokenizer (tinycss2, :mod:`~evalkit.audit.css`:
``\\75 rl(``, ``@\\69mport`` and escaped URLs are what a browser reads), and decodes
before it searches (:mod:`~evalkit.audit.decode`). A whole document in an attribute —
an iframe's ``srcdoc``, a ``data:`` URL of HTML — is audited as a page of its own, and
its findings are reported on the element that carries it.

Recoverable figures (the cross-page check)
------------------------------------------
Across all pages of the set, collect every visible survey figure with an n, keyed by
(unit, wave, figure), and every suppressed one. Then:

1. A key that is suppressed on one page and visible on another is recoverable.
2. For each visible parent key (p, w, f) with n_p (p at level all, network or
   municipality), take p's children in wave w, one level down (networks,
   municipalities, teams). With a data folder the children are the units with
   respondents in p in wave w (from ``respondents``), and a child is *contained* in p
   when all its respondents in w belong to p (a municipality whose teams sit in several
   networks is not). Without data the children are what the pages tell: a page's own
   unit (its ``respondents.all`` unit, else its most frequent non-team unit) is a child
   of the one unit one level up that the page shows, and the parent of the units one
   level down that it shows (a network page's table of its municipalities). If exactly
   one child h has no visible (h, w, f), at least one child is visible, every visible
   child is contained in p, and r = n_p − Σ n(visible children) > 0, then h's figure is
   the difference of published figures. It is a finding when r < ``min_cell_n``, or —
   with data only, where the child set is complete — when h's figure is suppressed on
   some page or h has fewer than ``min_unit_n`` respondents. The finding goes on the
   pages that show the parent's figure, every visible child's figure, and h's
   suppressed figure.
3. **Counts of people: an integer-programming attacker** (:mod:`evalkit.audit.attack`,
   :mod:`evalkit.audit.cells`; solved by :mod:`evalkit.disclosure` with HiGHS), built
   from the pages' markup alone. Each figure id whose ``data-n`` is a count of people
   becomes a cell (unit, wave, kind): respondents by role and in all; an item's answers
   for everyone, per role group and for the user and provider sides together (its
   gap); respondents with an index, likewise; respondents who answered every item of a
   dimension (alpha's n). Figures of one cell must agree. A hidden figure gives bounds
   by its ``data-suppressed``: ``small`` 1 to min_cell_n − 1 (a gap between the user
   and the provider side: nothing, its user side is small); ``unit`` 1 to
   min_unit_n − 1 for the unit's respondents and at most min_unit_n − 1 for the figure;
   ``protect`` at least min_cell_n; any other value (a ``suppressed-reason`` finding)
   nothing. A page that lists a unit's respondents by role says that a role it leaves
   out has nobody. Relations: all = the sum of the roles; a group's answers, index n
   and complete answers are at most its respondents; everyone's = the sum over user
   side, provider side, experience consultants and other (a group not published is a
   hidden cell); alpha's n is at most the index n of everyone; a parent's count is the
   sum of its children's, for every kind of count the parent shows, over the unit tree
   of the data (``--data``: a child that also belongs to another parent is in neither
   sum, and the parent keeps a hidden remainder) or, without data, the tree the pages
   show (a unit's own page lists its children; otherwise the list is incomplete and the
   parent keeps a hidden remainder). The targets are the hidden counts not hidden as
   ``protect``; one that every integer solution sets to the same value is a finding
   when it is hidden as ``small`` or its value is 1 to min_cell_n − 1, on the element
   that hides it and, once per page, on every page whose figures take part in the same
   connected programme.

Steps 1 and 2 are findings. The attack's findings (step 3) are findings only with
``--strict-attack`` (:attr:`Settings.strict_attack <evalkit.audit.settings.Settings>`);
by default they are reported apart (:attr:`AuditReport.warnings
<evalkit.audit.findings.AuditReport>`: printed, but the audit passes and a batch
publishes the pages) until the data-side protector of issue 13 lands. The engine alone
decides which (:func:`~evalkit.audit.engine.audit_pages`).

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

Layout
------
From the bottom up (a module imports only those above it in this list):
:mod:`~evalkit.audit.spec` (the markup contract's facts), :mod:`~evalkit.audit.findings`
(findings, reports, a page's result), :mod:`~evalkit.audit.settings` (thresholds, data
facts, the chart library's hash), :mod:`~evalkit.audit.tokenizer` (the HTML tokenizer),
:mod:`~evalkit.audit.markup` (figure markup and chart rows), :mod:`~evalkit.audit.cells`
(what a figure id counts), :mod:`~evalkit.audit.attack` (the integer-programming
attacker), :mod:`~evalkit.audit.crosspage` (the cross-page checks),
:mod:`~evalkit.audit.consistency` (the reasons a text states, one figure across pages),
:mod:`~evalkit.audit.decode` (encodings undone), :mod:`~evalkit.audit.css` (CSS, read with
tinycss2), :mod:`~evalkit.audit.numbers` (numbers in digits and words),
:mod:`~evalkit.audit.ids` (respondent ids, however written), :mod:`~evalkit.audit.allowed`
(the allowlist and evalkit's own code), :mod:`~evalkit.audit.rulebase` (what a rule is,
its hooks), :mod:`~evalkit.audit.allowrules` (the allowlist's rules),
:mod:`~evalkit.audit.rules` (the rule registry: one object per rule,
``evalkit audit --rules``), :mod:`~evalkit.audit.page` (one page's walker),
:mod:`~evalkit.audit.engine` (reading pages, the process pool, :func:`audit_pages`),
:mod:`~evalkit.audit.cache` (:func:`audit_cached`) and :mod:`~evalkit.audit.cli`.

Examples
--------
>>> page = '<!DOCTYPE html><table class="ek-table"><tr><th>Alle</th><td class="ek-num">12</td></tr></table>'
>>> report = audit_html(page, name="page.html")
>>> [(f.rule, f.element) for f in report.findings]
[('unmarked-figure', 'table.ek-table > tr > td.ek-num')]
>>> report.ok
False
"""

from evalkit.audit.cache import audit_cached
from evalkit.audit.cli import audit_command, pages_in
from evalkit.audit.engine import audit_html, audit_pages
from evalkit.audit.findings import AuditReport, Finding
from evalkit.audit.rules import REGISTRY, RULES, Rule
from evalkit.audit.settings import known_bundle
from evalkit.audit.spec import (
    CHILD_LEVEL,
    CODE_CELL_CLASSES,
    DEFAULT_MIN_CELL_N,
    DEFAULT_MIN_UNIT_N,
    ESTIMATE_KEYS,
    MANIFEST_FILE,
    MIN_ID_LENGTH,
    PARENT_LEVEL,
    SOURCES,
    Key,
    Ref,
)

__all__ = [
    "CHILD_LEVEL",
    "CODE_CELL_CLASSES",
    "DEFAULT_MIN_CELL_N",
    "DEFAULT_MIN_UNIT_N",
    "ESTIMATE_KEYS",
    "MANIFEST_FILE",
    "MIN_ID_LENGTH",
    "PARENT_LEVEL",
    "REGISTRY",
    "RULES",
    "SOURCES",
    "AuditReport",
    "Finding",
    "Key",
    "Ref",
    "Rule",
    "audit_cached",
    "audit_command",
    "audit_html",
    "audit_pages",
    "known_bundle",
    "pages_in",
]
