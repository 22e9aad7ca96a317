"""What the audit knows of the figure markup contract and of HTML that loads things.

Plain facts shared by the rules and the page walker: thresholds' defaults, the classes
and attributes of :mod:`evalkit.figure`'s markup, the attributes and script types that
may reach another host, and the two location types (:data:`Key`, :data:`Ref`).
"""

from __future__ import annotations

import re
from typing import Final

from evalkit.units import CHILD_LEVEL, PARENT_LEVEL

__all__ = [
    "AUDITED_CLASSES",
    "BIG_SCRIPT",
    "CHECKED_ATTRS",
    "CHILD_LEVEL",
    "CODE_CELL_CLASSES",
    "DEFAULT_ATTACK_SECONDS",
    "DEFAULT_MIN_CELL_N",
    "DEFAULT_MIN_UNIT_N",
    "ESTIMATE_KEYS",
    "FIGURE_CLASSES",
    "JSON_TYPES",
    "JS_TYPES",
    "LOCAL_SCHEMES",
    "MANIFEST_FILE",
    "MARK_ATTRS",
    "MARK_ATTR_SET",
    "MIN_ID_LENGTH",
    "NAMESPACES",
    "NETWORK_SCHEMES",
    "PARENT_LEVEL",
    "PINNED_PHRASE",
    "PUBLISHED_NAMES",
    "PUBLISHED_SUFFIXES",
    "REASONS",
    "SENTINEL",
    "SOURCES",
    "TAKES_PART",
    "URL_ATTRS",
    "URL_LIST_ATTRS",
    "Key",
    "Ref",
    "is_network",
]

DEFAULT_MIN_UNIT_N: Final = 10
DEFAULT_MIN_CELL_N: Final = 5
DEFAULT_ATTACK_SECONDS: Final = 300.0
"""Default time limit (seconds) of the cross-page attack on a set of pages."""
PINNED_PHRASE: Final = "can be worked out exactly from the published figures"
"""What the attack's finding on a hidden figure it pins says, before the value
(``<unit> <count> (wave <w>), <reason>, can be worked out exactly …: <value> (through …)``)."""
TAKES_PART: Final = "figures on this page take part in working out"
"""How the attack's finding on a page whose figures are part of a route begins."""
MANIFEST_FILE: Final = "manifest.json"

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
# CHILD_LEVEL, PARENT_LEVEL: the one unit hierarchy's (evalkit.units), re-exported here.
MIN_ID_LENGTH: Final = 6
BIG_SCRIPT: Final = 65536
"""Scripts longer than this may be the chart library (recognised by its hash)."""
SENTINEL: Final = "/*evalkit:chart-bundle*/"
"""What stands in for the chart library cut out of a page's bytes."""

REASONS: Final = ("small", "unit", "protect")
"""The values of ``data-suppressed`` and of a hidden chart row's ``reason``: fewer than
min_cell_n people; a unit below min_unit_n; hidden to protect another figure
(:mod:`evalkit.figure`)."""
MARK_ATTRS: Final = ("data-unit", "data-wave", "data-figure", "data-source", "data-n", "data-suppressed")
MARK_ATTR_SET: Final = frozenset(MARK_ATTRS)
FIGURE_CLASSES: Final = frozenset({"ek-num", "ek-card-value", "ek-finding"})
AUDITED_CLASSES: Final = CODE_CELL_CLASSES | FIGURE_CLASSES | {"ek-card", "ek-card-label", "ek-card-note", "ek-figure"}
URL_ATTRS: Final = frozenset({
    "src", "href", "xlink:href", "poster", "action", "formaction", "background", "manifest",
    "lowsrc", "dynsrc", "codebase", "longdesc",
})
URL_LIST_ATTRS: Final = frozenset({"srcset", "imagesrcset", "ping", "archive"})
CHECKED_ATTRS: Final = URL_ATTRS | URL_LIST_ATTRS | {"style", "content", "data", "srcdoc"}
JSON_TYPES: Final = frozenset({"application/json", "application/ld+json", "importmap", "speculationrules"})
JS_TYPES: Final = frozenset({
    "", "text/javascript", "application/javascript", "module", "text/ecmascript",
    "application/ecmascript", "text/jscript", "application/x-javascript",
})
NETWORK_SCHEMES: Final = frozenset({"http", "https", "ftp", "ftps", "ws", "wss"})
LOCAL_SCHEMES: Final = frozenset({"data", "blob", "javascript", "mailto", "tel", "about", "urn", "file", "sms"})
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_URL_CLEAN = re.compile(r"[\t\n\r\x00-\x1f]")


def is_network(url: str) -> bool:
    """Does ``url`` reach another host? (Relative, fragment and data URLs do not.)

    Examples
    --------
    >>> [is_network(u) for u in ("https://x.no/a.js", "//cdn.x/a", "evalkit-charts.js", "#top", "data:,x")]
    [True, True, False, False, False]
    """
    u = _URL_CLEAN.sub("", url).strip().replace("\\", "/").lower()
    m = _SCHEME.match(u)
    if m:
        scheme = m.group(1)
        if scheme in NETWORK_SCHEMES:
            return True
        if scheme in LOCAL_SCHEMES:
            return False
        rest = u[m.end():]
        return rest.startswith("//") and len(rest) > 2
    return u.startswith("//") and len(u) > 2 and u[2] != "/"

NAMESPACES: Final = frozenset({
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

Key = tuple[str, str, str]
"""(unit, wave, figure) of a figure."""

Ref = tuple[int, str, int]
"""Where a figure is on a page: (position of its start tag, what to add to its CSS path —
its ``[data-figure=…]`` and a sub-element —, line)."""

PUBLISHED_SUFFIXES: Final = frozenset({".html", ".htm"})
"""Kinds of file a published folder may hold besides :data:`PUBLISHED_NAMES` (pages)."""
PUBLISHED_NAMES: Final = frozenset({"manifest.json"})
"""Files a published folder may hold by name (relative to the folder)."""
