"""Tests of meaning for the survey figures (issue 15, items 2, 3 and 5), on the rendered
sample pages in bokmål and English: each claim is checked against the sample answers,
computed here by hand with polars (and statsmodels for Wilson intervals), never with
evalkit's metrics.

* the reverse-worded item shows the share that DISAGREES (its favourable answer), with
  words that say so;
* every by-side share (user side / provider side) and its interval match a hand count;
  every by-side sentence has the sign of the hand-computed difference;
* the user side rates "blir lyttet til" lower than the provider side in Øst (planted);
* the headline sentences' numbers are what their words say: the share of respondents
  whose index is 75 or more, and the range of the statements' favourable shares.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import polars as pl
import pytest
from statsmodels.stats.proportion import proportion_confint  # type: ignore[import-untyped]

from tests.pages import REPO, RUN_FILES, parse, render

pytestmark = pytest.mark.slow

SAMPLE = REPO / "data" / "sample"
WAVE = "2026"
SIDES = {"user_side": ["user_rep", "relative_rep"], "provider_side": ["provider", "leader"]}
EQUALITY = ["eq_dialogue", "eq_respect", "eq_listened", "eq_views", "eq_language", "eq_decisions", "eq_dominate"]
IMPACT = ["imp_aims", "imp_changes", "imp_results"]
REVERSED = {"eq_dominate"}
STATEMENT = {
    ("eq_listened", "nb"): "Det brukerrepresentantene sier, blir lyttet til.",
    ("eq_listened", "en"): "What the user representatives say is listened to.",
}
WORDS: dict[str, dict[str, Any]] = {
    "nb": {"agree": "er enige", "disagree_good": "er uenige – det er bra her", "lower": "lavere", "higher": "høyere",
           "side": r"«(?P<item>{items})»: brukersiden (?P<u>\d+) % (?P<w1>\w+), tjenestesiden (?P<p>\d+) % (?P<w2>\w+)"
                   r"(?: \(her er det bra å være uenig\))? – brukersiden ligger (?P<pts>\d+) prosentpoeng (?P<dir>\w+)",
           "finding": r"(?P<pct>\d+) % \(95 % KI \d+–\d+ %\) har en {name}sindeks på 75 eller mer av 100.*?"
                      r"På de enkelte påstandene svarer (?P<lo>\d+)(?:–(?P<hi>\d+))? % positivt",
           "names": {"equality": "likeverd", "impact": "betydning"}},
    "en": {"agree": "agree", "disagree_good": "disagree – which is good here", "lower": "lower", "higher": "higher",
           "side": r"'(?P<item>{items})': user side (?P<u>\d+)% (?P<w1>\w+), provider side (?P<p>\d+)% (?P<w2>\w+)"
                   r"(?: \(here, disagreeing is good\))? – the user side is (?P<pts>\d+) percentage points (?P<dir>\w+)",
           "finding": r"(?P<pct>\d+)% \(95% CI \d+–\d+%\) have an {name} index of 75 or more out of 100.*?"
                      r"On the single statements, (?P<lo>\d+)(?:–(?P<hi>\d+))?% answer favourably",
           "names": {"equality": "equality", "impact": "impact"}},
}


class FigureText(HTMLParser):
    """The text of every element with a ``data-figure`` (innermost wins), with its markup."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[dict[str, str]] = []
        self._open: list[tuple[str, dict[str, str], list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "data-figure" in a and tag in ("td", "th", "p", "li", "span", "div"):
            self._open.append((tag, a, []))

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, a, text = self._open.pop()
            self.found.append({**a, "text": " ".join("".join(text).split())})

    def handle_data(self, data: str) -> None:
        for _, _, text in self._open:
            text.append(data)


def figures(html: str) -> list[dict[str, str]]:
    parser = FigureText()
    parser.feed(html)
    return parser.found


def side_sentences(text: str, language: str) -> list[re.Match[str]]:
    """The by-side sentences of a page (one per statement with both sides shown)."""
    from evalkit.instrument import load_instrument

    instrument = load_instrument()
    statements = "|".join(re.escape(instrument.item(i).text(language)) for i in EQUALITY + IMPACT)  # type: ignore[arg-type]
    return list(re.finditer(WORDS[language]["side"].replace("{items}", statements), text))


def page_text(html: str) -> str:
    return " ".join(" ".join(parse(html).text).replace("\xa0", " ").split())


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    out = tmp_path_factory.mktemp("meaning")
    wanted = {"sample_municipality_0301", "sample_network_ost"}
    return {
        (run_file.stem, language): render(run_file, out, language=language).read_text(encoding="utf-8")
        for run_file in RUN_FILES if run_file.stem in wanted for language in ("nb", "en")
    }


@pytest.fixture(scope="module")
def answers() -> pl.DataFrame:
    resp = pl.read_parquet(SAMPLE / "respondents.parquet").filter(pl.col("wave") == WAVE)
    return pl.read_parquet(SAMPLE / "answers.parquet").join(resp, on="respondent_id", how="inner")


def of_unit(answers: pl.DataFrame, unit: str) -> pl.DataFrame:
    level, unit_id = unit.split(":")
    column = {"municipality": "municipality_id", "network": "network_id"}[level]
    return answers.filter(pl.col(column) == unit_id)


def hand_share(answers: pl.DataFrame, item_id: str, roles: list[str] | None = None) -> tuple[int, int]:
    """(favourable, answered) by hand: 4–5 agree, or 1–2 for the reverse-worded item;
    don't-know and blanks left out."""
    rows = answers.filter((pl.col("item_id") == item_id) & ~pl.col("dont_know") & pl.col("value").is_not_null())
    if roles is not None:
        rows = rows.filter(pl.col("role").is_in(roles))
    good = [1, 2] if item_id in REVERSED else [4, 5]
    return int(rows["value"].is_in(good).sum()), rows.height


def pct(value: float) -> int:
    """Whole per cent as the pages round (half to even on a settled value)."""
    return round(round(value * 100, 9))


def numbers(text: str) -> list[int]:
    return [int(x) for x in re.findall(r"\d+", text.replace("\xa0", " "))]


@pytest.mark.parametrize("language", ["nb", "en"])
def test_reverse_worded_item_shows_the_disagreeing_share_and_says_so(pages, answers, language) -> None:  # type: ignore[no-untyped-def]
    html = pages[("sample_municipality_0301", language)]
    cells = [f for f in figures(html) if f["data-figure"] == "eq_dominate.share_favourable"
             and f["data-unit"] == "municipality:0301" and f.get("data-suppressed") is None]
    assert cells, "Oslo's eq_dominate share is shown in the sample"
    k, n = hand_share(of_unit(answers, "municipality:0301"), "eq_dominate")
    for cell in cells:
        assert numbers(cell["text"])[0] == pct(k / n)
        assert WORDS[language]["disagree_good"] in cell["text"]
        assert int(cell["data-n"]) == n
    # the other statements' values say "agree"
    normal = [f for f in figures(html) if f["data-figure"] == "eq_respect.share_favourable"
              and f["data-unit"] == "municipality:0301"]
    assert normal and all(WORDS[language]["agree"] in f["text"] and "disagree" not in f["text"] for f in normal)
    # The table that holds the reverse-worded statement does not head its column "share
    # who agree" (the recruitment section's own table of agreeing statements may).
    table = next(t for t in re.findall(r"<table.*?</table>", html, flags=re.S)
                 if 'data-figure="eq_dominate.share_favourable"' in t)
    text = page_text(table)
    assert ("Andel enige" not in text) if language == "nb" else ("Share who agree" not in text)


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("run_file", ["sample_municipality_0301", "sample_network_ost"])
def test_every_by_side_share_matches_a_hand_count(pages, answers, run_file, language) -> None:  # type: ignore[no-untyped-def]
    html = pages[(run_file, language)]
    # equality and impact statements (the recruitment section's user-side items are a table of their own)
    cells = [f for f in figures(html)
             if re.fullmatch(r"(eq|imp)_\w+\.(user_side|provider_side)\.share_favourable", f["data-figure"])]
    shown = [f for f in cells if f.get("data-suppressed") is None]
    assert len(shown) >= 10, "the sample shows both sides for most statements"
    for cell in cells:
        item_id, side, _ = cell["data-figure"].split(".")
        k, n = hand_share(of_unit(answers, cell["data-unit"]), item_id, SIDES[side])
        if cell.get("data-suppressed") is not None:
            assert "data-n" not in cell and not re.search(r"\d", cell["text"])
            continue
        assert n >= 5 and int(cell["data-n"]) == n
        low, high = proportion_confint(k, n, method="wilson")
        assert numbers(cell["text"])[:3] == [pct(k / n), pct(low), pct(high)], cell
    order: dict[str, list[int]] = {}
    for gap in (f for f in figures(html) if f["data-figure"].endswith(".gap.user_side.share_favourable")):
        if gap.get("data-suppressed") is not None:
            continue
        order.setdefault(gap["data-figure"][:3], []).append(numbers(gap["text"])[0])
        item_id = gap["data-figure"].split(".")[0]
        unit = of_unit(answers, gap["data-unit"])
        (ku, nu), (kp, np_) = (hand_share(unit, item_id, SIDES[s]) for s in SIDES)
        expected = round(round((ku / nu - kp / np_) * 100, 9))
        sign = -1 if gap["text"].startswith("\u2212") else 1
        assert sign * numbers(gap["text"])[0] == expected
    assert set(order) == {"eq_", "imp"}
    assert all(gaps == sorted(gaps, reverse=True) for gaps in order.values()), "largest gap first"


@pytest.mark.parametrize("language", ["nb", "en"])
def test_by_side_sentences_have_the_sign_of_the_data_largest_gap_first(pages, answers, language) -> None:  # type: ignore[no-untyped-def]
    html = pages[("sample_network_ost", language)]
    text = page_text(html)
    unit = of_unit(answers, "network:ost")
    from evalkit.instrument import load_instrument

    instrument = load_instrument()
    by_text = {instrument.item(i).text(language): i for i in EQUALITY + IMPACT}
    seen: dict[str, list[int]] = {}
    for m in side_sentences(text, language):
        item_id = by_text[m["item"]]
        (ku, nu), (kp, np_) = (hand_share(unit, item_id, SIDES[s]) for s in SIDES)
        assert (int(m["u"]), int(m["p"])) == (pct(ku / nu), pct(kp / np_))
        word = m["w1"]
        assert (word in ("uenige", "disagree")) == (item_id in REVERSED)
        difference = ku / nu - kp / np_
        assert int(m["pts"]) == round(round(abs(difference) * 100, 9))
        assert m["dir"] == WORDS[language]["lower" if difference < 0 else "higher"]
        seen.setdefault(instrument.item(item_id).dimension, []).append(int(m["pts"]))
    assert set(seen) == {"equality", "impact"}
    for gaps in seen.values():
        assert gaps == sorted(gaps, reverse=True), "largest gap first"
    # The planted effect: Øst's user side rates equality lower than the provider side on
    # every statement named (the three largest gaps; the table has the rest, checked above).
    equality = [m for m in side_sentences(text, language) if by_text[m["item"]] in EQUALITY]
    assert len(equality) == 3 and all(m["dir"] == WORDS[language]["lower"] for m in equality)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_user_side_is_listened_to_less_in_ost(pages, answers, language) -> None:  # type: ignore[no-untyped-def]
    unit = of_unit(answers, "network:ost")
    (ku, nu), (kp, np_) = (hand_share(unit, "eq_listened", SIDES[s]) for s in SIDES)
    assert ku / nu < kp / np_ - 0.2  # the planted gap (about 52 % against 82 %)
    html = pages[("sample_network_ost", language)]
    cell = next(f for f in figures(html) if f["data-figure"] == "eq_listened.user_side.share_favourable")
    if cell.get("data-suppressed") is not None:
        # The suppression step hides Øst's user-side figure for this statement (a
        # complementary suppression protecting the experience consultants): the page
        # must then say nothing about its sign.
        sentences = side_sentences(page_text(html), language)
        assert all(m["item"] != STATEMENT[("eq_listened", language)] for m in sentences)
        pytest.xfail("eq_listened's user side is suppressed (complementary) in Øst in the sample")
    text = page_text(html)
    m = next(m for m in side_sentences(text, language) if m["item"] == STATEMENT[("eq_listened", language)])
    assert m["dir"] == WORDS[language]["lower"]


def respondent_index(answers: pl.DataFrame, items: list[str]) -> pl.DataFrame:
    """By hand: each respondent's mean 0–100 score over the dimension's items (reverse item
    turned), for those who answered at least half of them."""
    rows = answers.filter(pl.col("item_id").is_in(items) & ~pl.col("dont_know") & pl.col("value").is_not_null())
    turned = pl.when(pl.col("item_id").is_in(list(REVERSED))).then(6 - pl.col("value").cast(pl.Int32)).otherwise(pl.col("value").cast(pl.Int32))
    scored = rows.with_columns(score=(turned - 1) / 4 * 100)
    per = scored.group_by("respondent_id").agg(pl.col("score").mean().alias("index"), pl.len().alias("answered"))
    everyone = answers.select("respondent_id").unique()
    return everyone.join(per, on="respondent_id", how="left").filter(pl.col("answered") >= len(items) / 2)


@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("dimension", ["equality", "impact"])
def test_headline_sentences_say_what_their_numbers_are(pages, answers, language, dimension) -> None:  # type: ignore[no-untyped-def]
    html = pages[("sample_municipality_0301", language)]
    text = page_text(html)
    words = WORDS[language]
    m = re.search(words["finding"].format(name=words["names"][dimension]), text)
    assert m, f"no {dimension} headline sentence"
    items = EQUALITY if dimension == "equality" else IMPACT
    unit = of_unit(answers, "municipality:0301")
    index = respondent_index(unit, items)
    assert int(m["pct"]) == pct(float(index.select((pl.col("index") >= 75).mean()).item()))
    shown = {f["data-figure"].split(".")[0] for f in figures(html)
             if f["data-unit"] == "municipality:0301" and f.get("data-suppressed") is None
             and f["data-figure"] in {f"{i}.share_favourable" for i in items}}
    assert shown
    shares = [pct(k / n) for k, n in (hand_share(unit, i) for i in shown)]
    assert int(m["lo"]) == min(shares)
    assert int(m["hi"] or m["lo"]) == max(shares)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_index_gap_sentence_says_the_difference_of_mean_indices(pages, answers, language) -> None:  # type: ignore[no-untyped-def]
    text = page_text(pages[("sample_network_ost", language)])
    pattern = {
        "nb": r"I snitt er indeksen for likeverd i samarbeidet (\d+) poeng (lavere|høyere) for brukersiden",
        "en": r"the index of equality in the collaboration is (\d+) points (lower|higher) for the user side",
    }[language]
    m = re.search(pattern, text)
    assert m, "the equality gap sentence"
    unit = of_unit(answers, "network:ost")
    means = {side: respondent_index(unit.filter(pl.col("role").is_in(roles)), EQUALITY)["index"].mean()
             for side, roles in SIDES.items()}
    difference = float(means["user_side"]) - float(means["provider_side"])  # type: ignore[arg-type]
    assert difference < 0  # planted: the user side rates equality lower
    assert int(m[1]) == round(abs(difference))
    assert m[2] == WORDS[language]["lower"]
