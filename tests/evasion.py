"""An evasion corpus for the disclosure audit (issue 14, item 3): problems planted into
copies of real sample pages, each written so that a search of the page's raw text does
not see it — network loads behind escapes and unusual elements, respondent ids behind
encodings, small counts written as words or put where figures are not looked for, and
files that are not pages. ``tests/test_audit_evasion.py`` checks that the audit catches
every plant; ``benchmarks/bench_evasion.py`` prints the figures by family.

A plant makes a published folder from a :class:`Site` (the pages of a sample site, a
respondent id of its data): the files to write, by name. :func:`audit_folder` audits a
folder as ``evalkit audit`` does page by page (every page's own checks and the check of
the folder's files), without the cross-page attack, which no plant here is about.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

OSLO = "municipality-0301.html"
EVIL = "evil.example.org"


@dataclass(frozen=True)
class Symlink:
    """A symbolic link to ``target`` (a file the published folder must not point to)."""

    target: Path


File = str | bytes | Symlink


@dataclass(frozen=True)
class Site:
    """What plants are made from: the sample site's pages (name → text), a respondent id
    of its data and the data folder."""

    pages: dict[str, str]
    rid: str
    data_dir: Path

    def page(self, name: str = OSLO) -> str:
        return self.pages[name]


@dataclass(frozen=True)
class Plant:
    """One planted problem: its family, a name, the rules that must report it (any of
    them) and how it is made."""

    family: str
    name: str
    rules: frozenset[str]
    make: Callable[[Site], dict[str, File]] = field(repr=False)


def _insert(page: str, snippet: str, *, before: str = "</main>") -> str:
    at = page.index(before)
    return page[:at] + snippet + page[at:]


def _sub1(page: str, pattern: str, repl: str | Callable[[re.Match[str]], str]) -> str:
    """``page`` with the first match of ``pattern`` replaced (it must match)."""
    new, count = re.subn(pattern, repl, page, count=1, flags=re.S)
    if count != 1:
        raise AssertionError(f"the plant's pattern {pattern!r} is not on the page")
    return new


def _entities(text: str, hexa: bool = False) -> str:
    return "".join(f"&#x{ord(c):x};" if hexa else f"&#{ord(c)};" for c in text)


def _json_u(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _percent(text: str) -> str:
    return "".join(f"%{b:02X}" for b in text.encode())


def _css_hex(text: str) -> str:
    return "".join(f"\\{ord(c):x} " for c in text)


CORPUS: list[Plant] = []


def plant(family: str, name: str, rules: str | tuple[str, ...]) -> Callable[[Callable[[Site], str | dict[str, File]]], None]:
    """Register a plant; the function returns Oslo's page planted, or the files to write."""
    wanted = frozenset((rules,) if isinstance(rules, str) else rules)

    def register(fn: Callable[[Site], str | dict[str, File]]) -> None:
        def make(site: Site) -> dict[str, File]:
            made = fn(site)
            return {OSLO: made} if isinstance(made, str) else made

        CORPUS.append(Plant(family, name, wanted, make))

    return register


def _body(family: str, name: str, snippet: str | Callable[[Site], str], rules: str | tuple[str, ...],
          *, before: str = "</main>") -> None:
    """A plant that puts ``snippet`` into Oslo's page (before ``</main>`` unless told)."""

    def make(site: Site) -> str:
        text = snippet(site) if callable(snippet) else snippet
        return _insert(site.page(), text, before=before)

    plant(family, name, rules)(make)


NET = ("network-resource", "foreign-markup", "foreign-script")
"""What a planted load may be reported as: the load itself, or the element, attribute,
script or style that carries it (not evalkit's own)."""

# --- network: CSS ----------------------------------------------------------------------
CSS = "network: CSS escapes, url() and @import"
_body(CSS, "url() with a CSS-escaped scheme", f'<style>.x{{background:url("\\68 ttps://{EVIL}/a.png")}}</style>', NET)
_body(CSS, "@import with an escaped at-keyword", f'<style>@\\69mport "https://{EVIL}/t.css";</style>', NET)
_body(CSS, "@import url() without a scheme", f"<style>@import url(//{EVIL}/t.css);</style>", NET)
_body(CSS, "escaped function name in a style attribute",
      f'<div style="background-image:\\75 rl(https://{EVIL}/b.png)">x</div>', NET)
_body(CSS, "image-set() with a string", f'<style>.x{{background:image-set("https://{EVIL}/c.png" 1x)}}</style>', NET)
_body(CSS, "@font-face src with an escape inside the URL",
      f'<style>@font-face{{font-family:x;src:url("h\\74tps://{EVIL}/f.woff")}}</style>', NET)
_body(CSS, "character references in a style attribute",
      f'<p style="background:url(&#104;ttps://{EVIL}/e.png)">x</p>', NET)
_body(CSS, "@import with escaped slashes", f'<style>@import "\\2f\\2f {EVIL}/x.css";</style>', NET)
_body(CSS, "a style sheet in a data: URL", f'<link rel="stylesheet" href="data:text/css,@import%20url(//{EVIL}/y.css)">', NET,
      before="</head>")
_body(CSS, "url() inside a static drawing's style",
      f'<div class="ek-static"><svg xmlns="http://www.w3.org/2000/svg"><g style="fill:url(\\2f\\2f {EVIL}/p.svg#a)">'
      "<rect/></g></svg></div>", NET)

# --- network: elements that load --------------------------------------------------------
LOADS = "network: srcdoc, srcset, base, meta refresh, form"
_body(LOADS, "iframe srcdoc with an image", f'<iframe srcdoc="<img src=https://{EVIL}/p.png>"></iframe>', NET)
_body(LOADS, "iframe srcdoc with an escaped script",
      f'<iframe srcdoc="&lt;script src=&quot;https://{EVIL}/x.js&quot;&gt;&lt;/script&gt;"></iframe>', NET)
_body(LOADS, "iframe with a data: page", f'<iframe src="data:text/html,%3Cimg%20src%3D%22https://{EVIL}/d.png%22%3E"></iframe>', NET)
_body(LOADS, "img srcset", f'<img srcset="https://{EVIL}/a.png 1x" alt="">', NET)
_body(LOADS, "link imagesrcset", f'<link rel="preload" as="image" imagesrcset="https://{EVIL}/a.png 1x">', NET, before="</head>")
_body(LOADS, "picture source srcset", f'<picture><source srcset="//{EVIL}/s.png"><img alt=""></picture>', NET)
_body(LOADS, "base href", f'<base href="https://{EVIL}/">', NET, before="</head>")
_body(LOADS, "base href without a scheme", f'<base href="//{EVIL}/">', NET, before="</head>")
_body(LOADS, "meta refresh", f'<meta http-equiv="refresh" content="0;url=https://{EVIL}/">', NET, before="</head>")
_body(LOADS, "meta refresh, quoted and in capitals", f"<meta http-equiv=\"Refresh\" content=\"0; URL='//{EVIL}/'\">", NET,
      before="</head>")
_body(LOADS, "form action", f'<form action="https://{EVIL}/collect"><button>Send</button></form>', NET)
_body(LOADS, "button formaction", f'<form><button formaction="https://{EVIL}/c">Send</button></form>', NET)
_body(LOADS, "a ping", f'<a ping="https://{EVIL}/p" href="#ek-main">x</a>', NET)
_body(LOADS, "svg image", f'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://{EVIL}/i.png"/></svg>', NET)
_body(LOADS, "svg animate that sets an href",
      f'<svg xmlns="http://www.w3.org/2000/svg"><a><animate attributeName="href" values="https://{EVIL}/"/>'
      "<text>x</text></a></svg>", NET)
_body(LOADS, "object data", f'<object data="https://{EVIL}/o"></object>', NET)
_body(LOADS, "video poster", f'<video poster="https://{EVIL}/p.png"></video>', NET)
_body(LOADS, "a href with a character reference in the scheme", f'<a href="h&#x74;tps://{EVIL}/">lenke</a>', NET)
_body(LOADS, "a href with backslashes", f'<a href=" https:\\\\{EVIL}\\x">lenke</a>', NET)
_body(LOADS, "link dns-prefetch", f'<link rel="dns-prefetch" href="//{EVIL}">', NET, before="</head>")
_body(LOADS, "embed", f'<embed src="//{EVIL}/e">', NET)
_body(LOADS, "svg use", f'<svg xmlns="http://www.w3.org/2000/svg"><use href="https://{EVIL}/s.svg#a"/></svg>', NET)
_body(LOADS, "svg foreignObject with an image",
      f'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><img src="https://{EVIL}/f.png"></foreignObject></svg>', NET)
_body(LOADS, "input image", f'<input type="image" src="https://{EVIL}/i.png" alt="">', NET)
_body(LOADS, "a table background", f'<table background="https://{EVIL}/t.png"><tr><th>x</th></tr></table>', NET)

# --- network: scripts -----------------------------------------------------------------
JS = "network: scripts (atob + new Image(), data: scripts)"
_body(JS, "atob and new Image()", f'<script>new Image().src = atob("{_b64(f"https://{EVIL}/p")}");</script>', NET)
_body(JS, "a data: script", f'<script src="data:text/javascript,new%20Image().src%3D%22https%3A%2F%2F{EVIL}%2F%22"></script>',
      NET)
_body(JS, "a base64 data: script",
      "<script src=\"data:text/javascript;base64," + _b64(f"new Image().src='https://{EVIL}/'") + '"></script>', NET)
_body(JS, "a \\x escape in a URL string", f'<script>var u = "\\x68ttps://{EVIL}/"; new Image().src = u;</script>', NET)
_body(JS, "document.write of an image", f'<script>document.write("<img src=//{EVIL}/i>")</script>', NET)
_body(JS, "location set", f'<script>location = "https://{EVIL}/"</script>', NET)
_body(JS, "an event handler on an image", f"<img src=\"x\" onerror=\"this.src='//{EVIL}/'\" alt=\"\">", NET)
_body(JS, "fetch under another name", '<script>window["fe" + "tch"]("/x")</script>', NET)
_body(JS, "a module's dynamic import", f'<script type="module">import("https://{EVIL}/m.js")</script>', NET)
_body(JS, "a javascript: link", f"<a href=\"javascript:fetch('//{EVIL}/')\">x</a>", NET)
_body(JS, "an svg onload", f'<svg xmlns="http://www.w3.org/2000/svg" onload="fetch(\'//{EVIL}/\')"><rect/></svg>', NET)
_body(JS, "a details ontoggle", f"<details open ontoggle=\"new Image().src='//{EVIL}/'\"><summary>x</summary></details>", NET)
_body(JS, "speculation rules", f'<script type="speculationrules">{{"prefetch":[{{"source":"list","urls":["https://{EVIL}/"]}}]}}'
      "</script>", NET)


@plant(JS, "evalkit's own script changed by one statement", NET)
def _boot_changed(site: Site) -> str:
    return _sub1(site.page(), r'"use strict";', f'"use strict"; new Image().src = "//{EVIL}/";')


@plant(JS, "the page's locale script changed", NET)
def _locale_changed(site: Site) -> str:
    return _sub1(site.page(), r'(<script type="application/json" id="ek-locale">\{)', lambda m: f'{m.group(1)}"x": "https://{EVIL}/", ')


@plant(JS, "a chart spec loads its data", (*NET, "unmarked-figure"))
def _spec_url(site: Site) -> str:
    return _sub1(site.page(), r'"datasets":\{"rows":', f'"data":{{"url":"https://{EVIL}/d.csv"}},"datasets":{{"rows":')


# --- respondent ids ----------------------------------------------------------------
IDS = "respondent id: encoded"
ID = ("respondent-id",)
_body(IDS, "decimal character references", lambda s: f"<p>{_entities(s.rid)}</p>", ID)
_body(IDS, "hexadecimal character references in an attribute",
      lambda s: f'<p class="{_entities(s.rid, hexa=True)}">x</p>', ID)
_body(IDS, "one character reference", lambda s: f"<p>{s.rid[0]}&#{ord(s.rid[1])};{s.rid[2:]}</p>", ID)
_body(IDS, "a zero-width space", lambda s: f"<p>{s.rid[:3]}\u200b{s.rid[3:]}</p>", ID)
_body(IDS, "a soft hyphen as a reference", lambda s: f"<p>{s.rid[:2]}&shy;{s.rid[2:]}</p>", ID)
_body(IDS, "a word joiner and a zero-width joiner", lambda s: f"<p>{s.rid[:1]}\u2060{s.rid[1:4]}\u200d{s.rid[4:]}</p>", ID)
_body(IDS, "URL-encoded in a link", lambda s: f'<a href="#{_percent(s.rid)}">x</a>', ID)
_body(IDS, "URL-encoded twice", lambda s: f'<a href="#{_percent(s.rid).replace("%", "%25")}">x</a>', ID)
_body(IDS, "base64 in a data: URL", lambda s: f'<a href="data:text/plain;base64,{_b64(s.rid)}">x</a>', ID)
_body(IDS, "base64 in a data: URL in CSS",
      lambda s: f'<style>.x{{background:url(data:text/plain;base64,{_b64("id=" + s.rid)})}}</style>', ID)
_body(IDS, "CSS escapes in generated content", lambda s: f'<style>.x::after{{content:"{_css_hex(s.rid)}"}}</style>', ID)
_body(IDS, "split by an element", lambda s: f"<p>{s.rid[:3]}<wbr>{s.rid[3:]}</p>", ID)
_body(IDS, "split by a span", lambda s: f"<p>{s.rid[:4]}<span>{s.rid[4:]}</span></p>", ID)
_body(IDS, "in lower case", lambda s: f"<p>{s.rid.lower()}</p>", ID)
_body(IDS, "in upper case in an attribute", lambda s: f'<p class="{s.rid.upper()}x {s.rid.swapcase()}">x</p>', ID)
_body(IDS, "fullwidth characters", lambda s: "<p>" + "".join(chr(ord(c) + 0xFEE0) for c in s.rid) + "</p>", ID)
_body(IDS, "in a comment", lambda s: f"<!-- {s.rid} -->", ID)
_body(IDS, "percent-encoded in a comment", lambda s: f"<!-- {quote(s.rid, safe='')} {_percent(s.rid)} -->", ID)


@plant(IDS, "a JSON \\u escape in a chart's data", ID)
def _id_json(site: Site) -> str:
    return _sub1(site.page(), r'"suppressed":true,"reason":"small"\}', lambda m: f'"suppressed":true,"reason":"small","who":"{_json_u(site.rid)}"}}')


@plant(IDS, "base64 in the page's locale script", ID)
def _id_locale(site: Site) -> str:
    return _sub1(site.page(), r'(<script type="application/json" id="ek-locale">\{)',
                 lambda m: f'{m.group(1)}"src": "data:;base64,{_b64(site.rid)}", ')


# --- small counts --------------------------------------------------------------------
WORDS = "small count: a word in a hidden figure"
HIDDEN_CELL = r'(<td[^>]*data-suppressed="small"[^>]*>)under 5(</td>)'
SHOWS = ("suppressed-with-n",)


def _hidden_cell(family: str, name: str, text: str, rules: tuple[str, ...] = SHOWS) -> None:
    plant(family, name, rules)(lambda site: _sub1(site.page(), HIDDEN_CELL, rf"\g<1>{text}\g<2>"))


_hidden_cell(WORDS, "Norwegian word: tre", "tre")
_hidden_cell(WORDS, "Norwegian word: åtte", "åtte")
_hidden_cell(WORDS, "English word: three", "three")
_hidden_cell(WORDS, "Nynorsk word in a sentence: fire leiarar", "for få svar (fire leiarar)")
_hidden_cell(WORDS, "a word with a zero-width space", "for få svar (t\u200bre)")
_hidden_cell(WORDS, "a word in capitals in a nested element", "for få svar <span>TRE</span>")
_hidden_cell(WORDS, "a word as character references", f"for få svar {_entities('tre')}")
_hidden_cell(WORDS, "a digit in another script", "for få svar (\u0663)")
_hidden_cell(WORDS, "English word: one", "one")


@plant(WORDS, "a hidden chart row's label", SHOWS)
def _row_label(site: Site) -> str:
    return _sub1(site.page(), r'"label":"for få svar"', '"label":"tre"')


@plant(WORDS, "a hidden chart row's extra field in words", SHOWS)
def _row_words(site: Site) -> str:
    return _sub1(site.page(), r'"suppressed":true,"reason":"small"\}', '"suppressed":true,"reason":"small","note":"åtte"}')


@plant(WORDS, "a hidden chart row's extra count", SHOWS)
def _row_count(site: Site) -> str:
    return _sub1(site.page(), r'"suppressed":true,"reason":"small"\}', '"suppressed":true,"reason":"small","people":3}')


@plant(WORDS, "a hidden chart row's category with a count", SHOWS)
def _row_category(site: Site) -> str:
    return _sub1(site.page(), r'"category":"([^"]*)","order":(\d+),"estimate":null',
                 r'"category":"\1 (tre svar)","order":\2,"estimate":null')


@plant(WORDS, "the row label of a hidden cell", SHOWS)
def _row_header(site: Site) -> str:
    return _sub1(site.page(), r'(<th scope="row">)([^<]*)(</th><td[^>]*data-suppressed="small"[^>]*>under 5</td>)',
                 r"\g<1>\g<2> (tre)\g<3>")


@plant(WORDS, "a hidden key figure's label", SHOWS)
def _card_label(site: Site) -> dict[str, File]:
    page = site.page("municipality-3107.html")
    planted = _sub1(page, r'(<p class="ek-card-label">)([^<]*)(</p><p class="ek-card-value"[^>]*data-suppressed)',
                    r"\g<1>\g<2>: åtte\g<3>")
    return {"municipality-3107.html": planted}


@plant(WORDS, "a hidden key figure's note", SHOWS)
def _card_note(site: Site) -> dict[str, File]:
    page = site.page("municipality-3107.html")
    planted = _sub1(page, r'(<p class="ek-card-value"[^>]*data-suppressed="[a-z]+"[^>]*>[^<]*</p><p class="ek-card-note">)[^<]*',
                    r"\1åtte svar")
    return {"municipality-3107.html": planted}


PLACES = "small count: in attributes, CSS, comments, plain tables"
ATTR = ("foreign-markup",)
_body(PLACES, "aria-label on a paragraph", '<p aria-label="Ledere: tre">Ledere</p>', ATTR)
_body(PLACES, "title attribute", '<p><span title="Ledere: 3">Ledere</span></p>', ATTR)
_body(PLACES, "img alt", '<img alt="Ledere: tre" src="data:,">', ATTR)
_body(PLACES, "an HTML comment with a digit", "<!-- Ledere: 3 -->", ATTR)
_body(PLACES, "an HTML comment with a word", "<!-- ledere: åtte -->", ATTR)
_body(PLACES, "CSS generated content", '<style>td[data-figure="respondents.leader"]::after{content:" (tre)"}</style>',
      ("foreign-script",))
_body(PLACES, "CSS content in a style attribute", '<p style="--n:\'3\'">Ledere</p>', ATTR)
_body(PLACES, "a data attribute", '<p data-count="3">Ledere</p>', ATTR)
_body(PLACES, "text hidden from view", "<p hidden>Ledere: tre</p>", ATTR)
_body(PLACES, "noscript", "<noscript>Ledere: 3</noscript>", ATTR)
_body(PLACES, "template", "<template><p>Ledere: 3</p></template>", ATTR)
_body(PLACES, "MathML", "<math><mi>Ledere</mi><mo>=</mo><mn>3</mn></math>", ATTR)
_body(PLACES, "a text area", "<textarea>Ledere: 3</textarea>", ATTR)
_body(PLACES, "an SVG text outside a drawing's figure", '<svg xmlns="http://www.w3.org/2000/svg"><title>Ledere: tre</title>'
      "<desc>3 ledere</desc></svg>", ATTR)
PLAIN = ("unmarked-figure",)
_body(PLACES, "a plain table with a digit", "<table><tr><td>Ledere</td><td>3</td></tr></table>", PLAIN)
_body(PLACES, "a plain table with a Norwegian word", "<table><tr><th>Ledere</th><td>tre</td></tr></table>", PLAIN)
_body(PLACES, "a plain table with an English word", "<table><tbody><tr><td>Leaders</td><td>three</td></tr></tbody></table>",
      PLAIN)
_body(PLACES, "an evalkit table with an unmarked word", '<table class="ek-table"><tr><th>Ledere</th><td>åtte</td></tr></table>',
      PLAIN)


@plant(PLACES, "a hidden figure's aria-label", ATTR)
def _hidden_aria(site: Site) -> str:
    return _sub1(site.page(), HIDDEN_CELL, r'\g<1>under 5\g<2>').replace(
        'data-suppressed="small">under 5', 'data-suppressed="small" aria-label="tre ledere">under 5', 1)


@plant(PLACES, "a chart's aria-label", ATTR)
def _chart_aria(site: Site) -> str:
    return _sub1(site.page(), r'(<div class="ek-chart"[^>]*aria-label=")([^"]*)"', r'\1\2: tre ledere"')


@plant(PLACES, "a chart spec's data-label", ATTR)
def _spec_label(site: Site) -> str:
    return _sub1(site.page(), r'(<script type="application/json" class="ek-spec"[^>]*data-label=")([^"]*)"', r'\1\2 (3 ledere)"')


# --- files that are not pages ------------------------------------------------------
FILES = "files that are not pages"
FOREIGN = ("foreign-file",)


def _with(site: Site, files: dict[str, File]) -> dict[str, File]:
    return {OSLO: site.page(), **files}


def _data(site: Site, name: str) -> bytes:
    return (site.data_dir / name).read_bytes()


plant(FILES, "respondents.parquet", FOREIGN)(lambda s: _with(s, {"respondents.parquet": _data(s, "respondents.parquet")}))
plant(FILES, "answers as CSV", FOREIGN)(lambda s: _with(s, {"answers.csv": f"respondent_id,item,value\n{s.rid},eq_1,4\n"}))
plant(FILES, "a note", FOREIGN)(lambda s: _with(s, {"notat.txt": "Ledere: 3\n"}))
plant(FILES, "a hidden file", FOREIGN)(lambda s: _with(s, {".respondents.parquet": _data(s, "respondents.parquet")}))
plant(FILES, "data in a subfolder", FOREIGN)(lambda s: _with(s, {"data/answers.parquet": _data(s, "answers.parquet")}))
plant(FILES, "a link to the data", FOREIGN)(lambda s: _with(s, {"respondenter.html": Symlink(s.data_dir / "respondents.parquet")}))
plant(FILES, "a manifest in a subfolder", FOREIGN)(lambda s: _with(s, {"old/manifest.json": '{"data_dir": "../../data"}'}))
plant(FILES, "a parquet file named as a page", ("unreadable",))(
    lambda s: _with(s, {"respondenter.html": _data(s, "respondents.parquet")}))
plant(FILES, "a CSV named as a page", ("foreign-markup", "respondent-id"))(
    lambda s: _with(s, {"svar.html": f"respondent_id;rolle\n{s.rid};leder\n"}))
plant(FILES, "counts in a text named as a page", ("foreign-markup",))(
    lambda s: _with(s, {"tall.htm": "Ledere;3\nBrukerrepresentanter;tre\n"}))


def families() -> list[str]:
    """The corpus's families, in the order they are listed."""
    return list(dict.fromkeys(p.family for p in CORPUS))


def write(folder: Path, files: dict[str, File]) -> Path:
    """Write ``files`` into ``folder`` (made anew); returns the folder."""
    folder.mkdir(parents=True, exist_ok=False)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Symlink):
            path.symlink_to(content.target)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def audit_folder(folder: Path, data_dir: Path) -> list[tuple[str, str]]:
    """(rule, message) of every finding of ``evalkit audit FOLDER --data DATA_DIR`` but the
    cross-page ones: the folder's files and each page's own audit."""
    from evalkit.audit.cli import pages_in
    from evalkit.audit.engine import audit_file
    from evalkit.audit.rules import FOREIGN_FILE
    from evalkit.audit.settings import known_bundle, load_data, page_settings

    settings = _settings_memo.get(data_dir)
    if settings is None:
        settings = _settings_memo[data_dir] = page_settings(10, 5, load_data(data_dir), known_bundle())
    found = [(f.rule, f.message) for f in FOREIGN_FILE.check_folder(folder)]
    for page in pages_in(folder):
        found += [(f.rule, f.message) for f in audit_file(page, settings).findings]
    return found


_settings_memo: dict[Path, Any] = {}
