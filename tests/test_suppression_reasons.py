"""Every hidden figure says why, truthfully, in markup and on the page; a figure shown on
two pages agrees (issue 13, items 3 and 4).

The sample site is built in nb and en (params/sample_batch.yml). The truth comes from
the raw data (data/sample/*.parquet, data's instrument), read here with polars: a unit's
respondents per wave, a role's count, an item's answers per role group, a dimension's
index n. The expected texts are written here, not taken from the text store.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml
from bs4 import BeautifulSoup, Tag

from evalkit.audit import audit_html
from evalkit.audit.consistency import stated_reasons
from evalkit.audit.markup import read_mark
from evalkit.cli import main
from evalkit.figure import Mark, UnpublishedFigure, reason_of

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
WAVE = "2026"
MIN_CELL_N = 5
MIN_UNIT_N = 10
REASONS = {"small", "unit", "protect"}

# What a hidden figure may say, by language and reason (results / counts), written out.
RESULT_TEXT = {
    "nb": {"small": "for få svar", "unit": "under 10 svar", "protect": "skjult av personvernhensyn"},
    "en": {"small": "too few answers", "unit": "fewer than 10 responses", "protect": "hidden for privacy"},
}
COUNT_TEXT = {
    "nb": {"small": "under 5", "unit": "under 10", "protect": "skjult av personvernhensyn"},
    "en": {"small": "fewer than 5", "unit": "fewer than 10", "protect": "hidden for privacy"},
}
DASH = "–"
ROLE_GROUPS = {
    "all": ("provider", "leader", "user_rep", "relative_rep", "experience_consultant", "other"),
    "user_side": ("user_rep", "relative_rep"),
    "provider_side": ("provider", "leader"),
    "experience_consultant": ("experience_consultant",),
}


# --- the sample site, nb and en ----------------------------------------------------------


def _build(tmp_path_factory: pytest.TempPathFactory, language: str) -> Path:
    text = (REPO / "params" / "sample_batch.yml").read_text(encoding="utf-8")
    text = text.replace("language: nb", f"language: {language}")
    text = text.replace("../data/sample", str(SAMPLE)).replace("../notebooks/", str(REPO / "notebooks") + "/")
    folder = tmp_path_factory.mktemp(f"reasons-{language}")
    batch = folder / "batch.yml"
    batch.write_text(text, encoding="utf-8")
    out, work = folder / "site", folder / "work"
    assert main(["batch", str(batch), "--out", str(out), "--work", str(work)]) == 0
    return out


@pytest.fixture(scope="module", params=["nb", "en"])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    return request.param, _build(tmp_path_factory, request.param)


@dataclass
class Shown:
    """One figure element of a page."""

    page: str
    unit: str
    wave: str
    figure: str
    source: str
    n: int | None
    reason: str | None
    raw: str | None
    text: str
    element: Tag


def figures(folder: Path) -> list[Shown]:
    out = []
    for path in sorted(folder.glob("*.html")):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for el in soup.find_all(attrs={"data-figure": True}):
            if el.name == "figure":
                continue
            raw = el.get("data-suppressed")
            out.append(Shown(path.name, el["data-unit"], el["data-wave"], el["data-figure"], el["data-source"],
                             int(el["data-n"]) if el.has_attr("data-n") else None, raw, raw,
                             " ".join(el.get_text(" ").split()), el))
    return out


# --- the truth, from the raw data ---------------------------------------------------------


class Truth:
    """Respondents, answers and the instrument, read independently of evalkit."""

    def __init__(self) -> None:
        self.respondents = pl.read_parquet(SAMPLE / "respondents.parquet")
        answers = pl.read_parquet(SAMPLE / "answers.parquet")
        instrument = yaml.safe_load((REPO / "evalkit" / "data" / "instrument.yml").read_text(encoding="utf-8"))
        self.items = {i["id"]: i for i in instrument["items"]}
        self.dimensions = set(instrument["dimensions"])
        self.answered = answers.filter(pl.col("value").is_not_null() & ~pl.col("dont_know")).join(
            self.respondents, on="respondent_id")

    def people(self, unit: str, wave: str) -> pl.DataFrame:
        level, uid = unit.split(":", 1)
        frame = self.respondents.filter(pl.col("wave") == wave)
        return frame if level == "all" else frame.filter(pl.col(f"{level}_id") == uid)

    def unit_size(self, unit: str, wave: str) -> int:
        return self.people(unit, wave).height

    def count(self, unit: str, wave: str, role: str) -> int:
        people = self.people(unit, wave)
        return people.height if role == "all" else people.filter(pl.col("role") == role).height

    def item_n(self, unit: str, wave: str, item: str, group: str) -> int:
        level, uid = unit.split(":", 1)
        frame = self.answered.filter((pl.col("wave") == wave) & (pl.col("item_id") == item)
                                     & pl.col("role").is_in(ROLE_GROUPS[group]))
        return frame.height if level == "all" else frame.filter(pl.col(f"{level}_id") == uid).height

    def index_n(self, unit: str, wave: str, dimension: str, group: str) -> int:
        """People of ``group`` who answered at least half the dimension's items for their role."""
        people = self.people(unit, wave).filter(pl.col("role").is_in(ROLE_GROUPS[group]))
        items = [i for i in self.items.values() if i["dimension"] == dimension]
        answered = self.answered.filter(pl.col("item_id").is_in([i["id"] for i in items]))
        count = 0
        by_person = dict(answered.group_by("respondent_id").agg(pl.col("item_id")).iter_rows())
        for rid, role in people.select("respondent_id", "role").iter_rows():
            applies = {i["id"] for i in items if role in i["roles"]}
            if applies and len(applies & set(by_person.get(rid, []))) >= len(applies) * 0.5 - 1e-9:
                count += 1
        return count

    def n_of(self, f: Shown) -> int | None:
        """The people behind a survey figure, where the figure id says which (else None)."""
        parts = f.figure.split(".")
        if parts[0] == "respondents":
            return self.count(f.unit, f.wave, parts[1])
        if parts[0] in self.items:
            if parts[1] in ("share_favourable", "share_dont_know", "n"):
                return self.item_n(f.unit, f.wave, parts[0], "all")
            if parts[1] in ROLE_GROUPS and parts[2:3] in (["share_favourable"], ["n"]):
                return self.item_n(f.unit, f.wave, parts[0], parts[1])
        if parts[0] in self.dimensions and parts[1:2] == ["index_mean"]:
            group = parts[2] if len(parts) > 2 and parts[2] in ROLE_GROUPS else "all"
            return self.index_n(f.unit, f.wave, parts[0], group)
        return None


@pytest.fixture(scope="module")
def truth() -> Truth:
    return Truth()


# --- the site: every hidden figure ---------------------------------------------------------


@pytest.mark.slow
def test_every_hidden_figure_says_a_true_reason(site: tuple[str, Path], truth: Truth) -> None:
    _lang, folder = site
    shown = figures(folder)
    hidden = [f for f in shown if f.raw is not None]
    assert len(hidden) > 100 and {f.reason for f in hidden} == REASONS  # the site has all three
    false: list[str] = []
    checked_n = 0
    for f in hidden:
        assert f.reason in REASONS, (f.page, f.figure, f.raw)
        assert f.n is None, (f.page, f.figure)
        if f.source != "survey":  # team facts count teams, not people
            continue
        size = truth.unit_size(f.unit, f.wave)
        n = truth.n_of(f)
        checked_n += n is not None
        if f.reason == "unit":
            ok = size < MIN_UNIT_N
        elif f.reason == "small":
            ok = size >= MIN_UNIT_N and (n is None or 0 < n < MIN_CELL_N)
        else:
            ok = size >= MIN_UNIT_N and (n is None or not 0 < n < MIN_CELL_N)
        if not ok:
            false.append(f"{f.page}: {f.unit} {f.figure} hidden as {f.reason} (unit {size}, n {n})")
    assert checked_n > 100
    assert not false, "\n".join(false[:20])


@pytest.mark.slow
def test_a_hidden_figure_shows_its_own_reason_and_no_other(site: tuple[str, Path]) -> None:
    lang, folder = site
    wrong = []
    for f in figures(folder):
        if f.raw is None:
            continue
        counts = f.figure.startswith("respondents.")
        allowed = {COUNT_TEXT[lang][f.reason] if counts else RESULT_TEXT[lang][f.reason]}
        if not (counts or f.figure == "response_rate"):
            allowed.add(DASH)  # a second cell of a row whose first cell says why
        if f.text not in allowed:
            wrong.append(f"{f.page}: {f.figure} hidden as {f.reason} shows {f.text!r}")
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.slow
def test_every_row_or_card_with_a_hidden_figure_says_why(site: tuple[str, Path]) -> None:
    lang, folder = site
    missing = []
    for f in figures(folder):
        if f.raw is None:
            continue
        holder = f.element.find_parent("tr") or f.element.find_parent("li", class_="ek-card") or f.element
        said = " ".join(holder.get_text(" ").split())
        texts = (RESULT_TEXT[lang][f.reason], COUNT_TEXT[lang][f.reason])
        if not any(t in said for t in texts):
            missing.append(f"{f.page}: {f.figure} ({f.reason}) in {said[:80]!r}")
    assert not missing, "\n".join(missing[:20])


@pytest.mark.slow
def test_shown_figures_carry_their_n_and_no_reason(site: tuple[str, Path], truth: Truth) -> None:
    _lang, folder = site
    for f in figures(folder):
        if f.raw is not None or f.source == "measures":
            continue
        assert f.n is not None, (f.page, f.figure)
        if f.figure.startswith("respondents."):
            assert f.text == str(f.n) == str(truth.n_of(f)), (f.page, f.unit, f.figure, f.text)


@pytest.mark.slow
def test_hidden_chart_rows_say_their_reason(site: tuple[str, Path]) -> None:
    lang, folder = site
    labels = 0
    for path in sorted(folder.glob("*.html")):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for script in soup.find_all("script", class_="ek-spec"):
            spec = json.loads(script.string)
            for rows in spec.get("datasets", {}).values():
                for row in rows:
                    if row.get("suppressed") is True:
                        assert row.get("reason") in REASONS and row["n"] is None, (path.name, row)
                        if "label" in row:
                            labels += 1
                            assert row["label"] == RESULT_TEXT[lang][row["reason"]], (path.name, row)
                    else:
                        assert row.get("reason") is None, (path.name, row)
    assert labels > 10


@pytest.mark.slow
def test_a_figure_on_two_pages_agrees(site: tuple[str, Path]) -> None:
    _lang, folder = site
    seen: defaultdict[tuple[str, str, str], set[tuple[int | None, str | None, str]]] = defaultdict(set)
    pages: defaultdict[tuple[str, str, str], set[str]] = defaultdict(set)
    for f in figures(folder):
        if f.source != "survey":
            continue
        key = (f.unit, f.wave, f.figure)
        pages[key].add(f.page)
        if f.figure.startswith("respondents.") or re.fullmatch(r"\w+\.index_mean", f.figure):  # a value's text
            seen[key].add((f.n, f.reason, f.text if f.reason is None else ""))
        else:
            seen[key].add((f.n, f.reason, ""))
    shared = [k for k, p in pages.items() if len(p) > 1]
    # municipalities' counts and indices on their own page, the network's and the index
    assert len([k for k in shared if k[2] == "respondents.all" and k[0].startswith("municipality:")]) > 15
    differ = {k: seen[k] for k in shared if len(seen[k]) > 1}
    assert not differ, differ


@pytest.mark.slow
def test_the_false_texts_of_the_issue_are_gone(site: tuple[str, Path], truth: Truth) -> None:
    lang, folder = site
    shown = figures(folder)
    on_ost = [f for f in shown if f.page == "network-ost.html"]
    # Fredrikstad has 14 respondents: never "under 10" (a range of a small unit) anywhere.
    fredrikstad = [f for f in shown if f.unit == "municipality:3107" and f.figure == "respondents.all"]
    assert truth.unit_size("municipality:3107", WAVE) == 14
    assert fredrikstad and all(f.reason != "unit" and f.text != COUNT_TEXT[lang]["unit"] for f in fredrikstad)
    assert any(f.page == "network-ost.html" for f in fredrikstad)
    # Øst's hidden counts say why (no bare dash).
    counts = [f for f in on_ost if f.unit == "network:ost" and f.figure.startswith("respondents.")]
    assert counts and all(f.text != DASH for f in counts)
    # Oslo's 19-answer item is not called "too few".
    listened = [f for f in shown if f.unit == "municipality:0301" and f.figure.startswith("eq_listened.")
                and f.figure.endswith(".share_favourable") and f.raw is not None]
    for f in listened:
        if (truth.n_of(f) or 0) >= MIN_CELL_N:
            assert f.reason != "small" and RESULT_TEXT[lang]["small"] not in f.text, (f.page, f.figure)


@pytest.mark.slow
def test_the_method_note_explains_the_three_reasons(site: tuple[str, Path]) -> None:
    lang, folder = site
    page = (folder / "network-ost.html").read_text(encoding="utf-8")
    text = " ".join(BeautifulSoup(page, "html.parser").get_text(" ").split())
    for reason in REASONS:
        assert RESULT_TEXT[lang][reason] in text or COUNT_TEXT[lang][reason] in text


# --- reasons of the data layer --------------------------------------------------------------


def test_data_reason_codes_map_to_page_reasons() -> None:
    assert [reason_of(c) for c in ("n_below_min_cell_n", "unit_below_min_unit_n", "complementary")] == [
        "small", "unit", "protect"]
    for code in ("not_published", "internal_only"):
        with pytest.raises(UnpublishedFigure):
            reason_of(code)
    with pytest.raises(ValueError, match="no page reason"):
        reason_of("true")


def test_mark_writes_its_reason_and_never_true() -> None:
    hidden = Mark("network:ost", WAVE, "respondents.all", "survey", reason="protect").attrs()
    assert 'data-suppressed="protect"' in hidden and "data-n" not in hidden
    shown = Mark("network:ost", WAVE, "respondents.all", "survey", n=124).attrs()
    assert 'data-n="124"' in shown and "data-suppressed" not in shown
    with pytest.raises(ValueError, match="is not one of"):
        Mark("network:ost", WAVE, "respondents.all", "survey", reason="true")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not carry an n"):
        Mark("network:ost", WAVE, "respondents.all", "survey", n=3, reason="small")


# --- the audit: read_mark and its rules on hand-written markup ------------------------------


def test_read_mark_reads_the_three_reasons_and_flags_anything_else() -> None:
    base = {"data-unit": "network:ost", "data-wave": WAVE, "data-figure": "respondents.all", "data-source": "survey"}
    for reason in ("small", "unit", "protect"):
        m = read_mark({**base, "data-suppressed": reason}, chart=False)
        assert (m.suppressed, m.reason, m.n) == (True, reason, None)
    for other in ("true", "false", "", "yes"):
        m = read_mark({**base, "data-suppressed": other}, chart=False)
        assert m.suppressed and m.reason is None
    m = read_mark({**base, "data-n": "42"}, chart=False)
    assert (m.suppressed, m.reason, m.n) == (False, None, 42)


def _page(body: str) -> str:
    return f'<!DOCTYPE html><html lang="nb"><head><title>t</title></head><body><main>{body}</main></body></html>'


def _cell(figure: str, text: str, attrs: str, unit: str = "network:ost") -> str:
    return (f'<table class="ek-table"><tr><th scope="row">x</th><td class="ek-num" data-unit="{unit}" '
            f'data-wave="{WAVE}" data-figure="{figure}" data-source="survey" {attrs}>{text}</td></tr></table>')


def _rules(html: str, **kw: Any) -> list[str]:
    return sorted(f.rule for f in audit_html(_page(html), **kw).findings)


@pytest.mark.parametrize("value", ["true", "false", "yes", ""])
def test_a_data_suppressed_value_other_than_the_reasons_is_a_finding(value: str) -> None:
    assert "suppressed-reason" in _rules(_cell("respondents.all", DASH, f'data-suppressed="{value}"'))


@pytest.mark.parametrize(("reason", "text"), [
    ("small", "for få svar"), ("small", "under 5"), ("small", "too few answers"),
    ("unit", "under 10 svar"), ("unit", "under 10"), ("unit", "fewer than 10 responses"),
    ("protect", "skjult av personvernhensyn"), ("protect", "skjult av personvernomsyn"),
    ("protect", "hidden for privacy"), ("protect", DASH), ("small", DASH),
])
def test_a_hidden_figure_with_its_own_reasons_text_passes(reason: str, text: str) -> None:
    assert _rules(_cell("respondents.all", text, f'data-suppressed="{reason}"')) == []


@pytest.mark.parametrize(("reason", "text"), [
    ("protect", "for få svar"), ("unit", "too few answers"), ("protect", "under 10"),
    ("protect", "under 5"), ("unit", "under 5"), ("small", "under 10 svar"),
    ("small", "skjult av personvernhensyn"), ("unit", "hidden for privacy"), ("protect", "too few responses"),
])
def test_a_hidden_figure_with_another_reasons_text_is_a_finding(reason: str, text: str) -> None:
    assert _rules(_cell("respondents.all", text, f'data-suppressed="{reason}"')) == ["reason-text"]


def test_reason_text_follows_the_thresholds() -> None:
    html = _cell("respondents.all", "under 3", 'data-suppressed="small"')
    assert _rules(html, min_cell_n=3) == []
    assert stated_reasons("under 8 svar", 3, 8) == {"unit"}
    assert stated_reasons("under 50", 5, 10) == set()


def test_a_hidden_key_figure_card_note_is_read_for_its_reason() -> None:
    card = ('<ul class="ek-cards"><li class="ek-card"><p class="ek-card-label">Likeverd</p>'
            f'<p class="ek-card-value" data-unit="network:ost" data-wave="{WAVE}" data-figure="equality.index_mean" '
            'data-source="survey" data-suppressed="{reason}">–</p><p class="ek-card-note">for få svar</p></li></ul>')
    assert _rules(card.replace("{reason}", "small")) == []
    assert _rules(card.replace("{reason}", "protect")) == ["reason-text"]


def _chart(rows: list[dict[str, Any]]) -> str:
    spec = json.dumps({"$schema": "https://vega.github.io/schema/vega-lite/v5.json",
                       "datasets": {"rows": rows}, "data": {"name": "rows"}, "mark": "bar"})
    return (f'<figure class="ek-figure" data-unit="network:ost" data-wave="{WAVE}" data-figure="x.chart" '
            f'data-source="survey"><script type="application/json" class="ek-spec">{spec}</script></figure>')


def test_chart_rows_carry_a_true_reason() -> None:
    good = [{"category": "a", "estimate": None, "n": None, "suppressed": True, "reason": "protect",
             "label": "skjult av personvernhensyn"},
            {"category": "b", "estimate": 0.5, "n": 12, "suppressed": False}]
    assert _rules(_chart(good)) == []
    no_reason = [{**good[0], "reason": None}, good[1]]
    assert "suppressed-reason" in _rules(_chart(no_reason))
    shown_with_reason = [good[0], {**good[1], "reason": "small"}]
    assert "suppressed-reason" in _rules(_chart(shown_with_reason))
    wrong_label = [{**good[0], "label": "for få svar"}, good[1]]
    assert _rules(_chart(wrong_label)) == ["reason-text"]


def test_a_figure_on_two_pages_must_agree(tmp_path: Path) -> None:
    from evalkit.audit import audit_pages

    def write(name: str, text: str, attrs: str) -> Path:
        path = tmp_path / name
        path.write_text(_page(_cell("respondents.all", text, attrs, unit="municipality:3107")), encoding="utf-8")
        return path

    def rules(*pages: Path) -> list[str]:
        report = audit_pages(list(pages), min_unit_n=MIN_UNIT_N, min_cell_n=MIN_CELL_N)
        return sorted({f.rule for f in report.findings})

    own = write("own.html", "skjult av personvernhensyn", 'data-suppressed="protect"')
    same = write("net.html", "skjult av personvernhensyn", 'data-suppressed="protect"')
    assert "inconsistent" not in rules(own, same)
    other = write("net2.html", "under 10", 'data-suppressed="unit"')
    assert "inconsistent" in rules(own, other)
    shown_a = write("a.html", "14", 'data-n="14"')
    shown_b = write("b.html", "15", 'data-n="15"')
    assert "inconsistent" in rules(shown_a, shown_b)
    shown_c = write("c.html", "14", 'data-n="14"')
    assert "inconsistent" not in rules(shown_a, shown_c)
    assert "inconsistent" in rules(shown_a, own)


def test_with_data_a_unit_reason_of_a_large_unit_is_false(tmp_path: Path) -> None:
    from evalkit.audit import audit_pages

    sizes = Truth()
    assert sizes.unit_size("municipality:3107", WAVE) >= MIN_UNIT_N > sizes.unit_size("municipality:1505", WAVE)
    big = tmp_path / "big.html"
    big.write_text(_page(_cell("respondents.all", "under 10", 'data-suppressed="unit"', unit="municipality:3107")),
                   encoding="utf-8")
    small = tmp_path / "small.html"
    small.write_text(_page(_cell("respondents.all", "under 10", 'data-suppressed="unit"', unit="municipality:1505")),
                     encoding="utf-8")
    report = audit_pages([big, small], data_dir=SAMPLE, min_unit_n=MIN_UNIT_N, min_cell_n=MIN_CELL_N)
    assert {(f.rule, f.file.name) for f in report.findings} == {("reason-text", "big.html")}, report.text()
    assert "the data give the unit 14" in report.findings[0].message


def test_no_old_true_value_is_left_in_evalkit() -> None:
    pattern = re.compile(r"""data-suppressed=\\?["']?true""")
    hits = [str(p.relative_to(REPO)) for p in (REPO / "evalkit").rglob("*")
            if p.suffix in (".py", ".j2", ".js", ".yml") and pattern.search(p.read_text(encoding="utf-8"))]
    assert hits == []
