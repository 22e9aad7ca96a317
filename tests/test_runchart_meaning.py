"""Tests of meaning for the run charts' sentences: better or worse in the measure's own
terms (its ``better``), since when, from which level to which.

Expected values are written by hand here or recomputed with polars from the data, never
taken from :mod:`evalkit.runchart`'s own change finder.
"""

from __future__ import annotations

import calendar
import html as html_lib
import re
import shutil
from datetime import date

import polars as pl
import pytest

from evalkit.charts.runcharts import describe_measure
from evalkit.runchart import prepare_charts
from tests.pages import REPO, render

NBSP = "\u00a0"
NB_MONTHS = ["januar", "februar", "mars", "april", "mai", "juni", "juli", "august",
             "september", "oktober", "november", "desember"]  # fmt: skip
EN_MONTHS = list(calendar.month_name)[1:]
TEAMS = pl.DataFrame({"team_id": ["T1"], "name": ["Team Øst"], "network_id": ["N1"],
                      "municipality_id": ["0301"]})  # fmt: skip


def catalogue(better: str, chart: str = "run", unit: str = "count") -> pl.DataFrame:
    return pl.DataFrame(
        {"measure_id": ["m"], "label_nb": ["Måling"], "label_nn": ["Måling"], "label_en": ["Measure"],
         "chart": [chart], "better": [better], "target": [None], "unit": [unit]},
        schema_overrides={"target": pl.Float64},
    )  # fmt: skip


def series(values: list[float], **extra: list[object]) -> pl.DataFrame:
    n = len(values)
    return pl.DataFrame(
        {"team_id": ["T1"] * n, "measure_id": ["m"] * n,
         "period": [date(2024 + i // 12, i % 12 + 1, 1) for i in range(n)],
         "numerator": [None] * n, "denominator": [None] * n, "value": [float(v) for v in values],
         "note": [None] * n,
         **extra},
        schema_overrides={"numerator": pl.Float64, "denominator": pl.Float64, "note": pl.String},
    )  # fmt: skip


def said(measures: pl.DataFrame, better: str, language: str, **kw: str) -> str:
    """The team's line of the description (the first line counts the teams)."""
    charts = prepare_charts(measures, catalogue(better, **kw), TEAMS)
    lines = describe_measure(charts, language=language).replace(NBSP, " ").splitlines()  # type: ignore[arg-type]
    assert len(lines) == 2 and lines[1].startswith("Team Øst: ")
    return lines[1]


def header(measures: pl.DataFrame, better: str, language: str) -> str:
    charts = prepare_charts(measures, catalogue(better), TEAMS)
    return describe_measure(charts, language=language).splitlines()[0]  # type: ignore[arg-type]


# 10 low months (Jan–Oct 2024), then 8 high (Nov 2024 – Jun 2025): a shift from Nov 2024.
LOW_HIGH = [*[3.0, 4, 3, 5, 4, 3, 4, 5, 3, 4], *[8.0, 9, 8, 7, 9, 8, 9, 8]]
# medians by hand: sorted low 3,3,3,3,4,4,4,4,5,5 -> 4; sorted high 7,8,8,8,8,9,9,9 -> 8
NOISE = [5.0, 6, 4, 6, 5, 4, 6, 5, 4, 6, 5, 4, 6, 4, 5, 6, 4, 6]


def test_a_rise_is_an_improvement_when_better_is_up() -> None:
    nb, en = said(series(LOW_HIGH), "up", "nb"), said(series(LOW_HIGH), "up", "en")
    assert "Team Øst: Tegn til endring – en forbedring: fra november 2024 steg antallet fra 4 til 8" in nb
    assert "Team Øst: Sign of change – an improvement: from November 2024, the count rose from 4 to 8" in en
    for text in (nb, en):
        assert not re.search(r"forverring|uønsket|deterioration|undesired", text)


def test_the_same_rise_is_a_deterioration_when_better_is_down() -> None:
    nb, en = said(series(LOW_HIGH), "down", "nb"), said(series(LOW_HIGH), "down", "en")
    assert "Tegn til endring – en forverring: fra november 2024 steg antallet fra 4 til 8" in nb
    assert "Sign of change – a deterioration: from November 2024, the count rose from 4 to 8" in en
    assert header(series(LOW_HIGH), "down", "en") == (
        "1 of 1 teams show signs of change: improvement in 0, deterioration in 1."
    )
    for text in (nb, en):
        assert not re.search(r"forbedring|improvement:", text)


def test_a_fall_is_an_improvement_when_better_is_down() -> None:
    falling = list(reversed(LOW_HIGH))  # 8 high months (Jan–Aug 2024), then 10 low from Sep 2024
    nb, en = said(series(falling), "down", "nb"), said(series(falling), "down", "en")
    assert "en forbedring: fra september 2024 sank antallet fra 8 til 4" in nb
    assert "an improvement: from September 2024, the count fell from 8 to 4" in en


def test_flat_noise_shows_no_sign_of_change() -> None:
    for better in ("up", "down"):
        nb, en = said(series(NOISE), better, "nb"), said(series(NOISE), better, "en")
        assert "Team Øst: Ingen tegn til endring utover tilfeldig variasjon." in nb
        assert "Team Øst: No sign of change beyond random variation." in en
        for text in (nb, en):
            assert not re.search(r"forbedring|forverring|improvement|deterioration", text)


def test_a_marked_change_compares_the_parts() -> None:
    # Shares: 10 months around 3/10, then from the marked month (Nov 2024) 8 at 6/10 and 7/10;
    # the whole series' median is 5/10: 10 points below it, then 8 above -> a long run.
    numerators = [*[3.0, 2, 4, 3, 2, 4, 3, 2, 4, 3], *[6.0, 7, 6, 7, 6, 7, 6, 7]]
    n = len(numerators)
    measures = series([0.0] * n, change_introduced=[i == 10 for i in range(n)]).with_columns(
        numerator=pl.Series(numerators), denominator=pl.lit(10.0), value=pl.lit(None, pl.Float64)
    )
    # pooled by hand: 30/100 = 30 %, 52/80 = 65 %
    nb = said(measures, "up", "nb", chart="p", unit="percent")
    en = said(measures, "up", "en", chart="p", unit="percent")
    assert "etter endringen i november 2024 steg andelen fra 30,0 % til 65,0 %" in nb
    assert "en forbedring" in nb
    assert "after the change in November 2024, the share rose from 30.0% to 65.0%" in en
    charts = prepare_charts(measures, catalogue("up", "p", "percent"), TEAMS)
    assert charts.group_by("part").agg(pl.col("centre").first()).sort("part")["centre"].to_list() == \
        pytest.approx([0.30, 0.65])
    # without the column: one part, and the text does not speak of a marked change
    unmarked = said(measures.drop("change_introduced"), "up", "nb", chart="p", unit="percent")
    assert "etter endringen" not in unmarked
    assert prepare_charts(measures.drop("change_introduced"), catalogue("up", "p", "percent"),
                          TEAMS)["part"].unique().to_list() == [1]  # fmt: skip


def test_a_marked_change_without_a_shift_is_no_sign_of_change() -> None:
    n = len(NOISE)
    measures = series(NOISE, change_introduced=[i == 9 for i in range(n)])
    en = said(measures, "up", "en")
    assert "No sign of change beyond random variation." in en
    assert "Before the change in October 2024, the count was" in en
    assert not re.search(r"improvement|deterioration", en)


# --- the sample pages ------------------------------------------------------------------

SENTENCE = re.compile(
    r"(?P<kind>forbedring|forverring|improvement|deterioration): "
    r"(?:fra|from|etter endringen i|after the change in) (?P<month>[A-Za-zæøå]+ \d{4})"
)


def _month(text: str) -> date:
    name, year = text.split()
    names = NB_MONTHS if name in NB_MONTHS else EN_MONTHS
    return date(int(year), names.index(name) + 1, 1)


def _level(rows: pl.DataFrame, chart: str) -> float:
    """The chart's centre statistic, written here: pooled share (p), mean (i), median (run)."""
    if chart == "p":
        return float(rows["numerator"].sum() / rows["denominator"].sum())
    y = rows["value"]
    return float(y.mean() if chart == "i" else y.median())  # type: ignore[arg-type]


MARKED = "sample_municipality_0301_marked"
"""Oslo's page on a copy of the sample where every noted month is a marked change."""


@pytest.fixture(scope="module")
def sample_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    out = tmp_path_factory.mktemp("meaning")
    pages = {
        (stem, language): render(REPO / "params" / f"{stem}.yml", out, language=language).read_text("utf-8")
        for stem in ("sample_municipality_0301", "sample_network_ost")
        for language in ("nb", "en")
    }
    marked = out / "marked"
    shutil.copytree(REPO / "data" / "sample", marked)
    measures = pl.read_parquet(marked / "measures.parquet")
    measures.with_columns(change_introduced=pl.col("note").is_not_null()).write_parquet(
        marked / "measures.parquet"
    )
    for language in ("nb", "en"):
        page = render(REPO / "params" / "sample_municipality_0301.yml", out / "m", language=language,
                      data_dir=str(marked))  # fmt: skip
        pages[(MARKED, language)] = page.read_text("utf-8")
    return pages


@pytest.mark.slow
@pytest.mark.parametrize("language", ["nb", "en"])
@pytest.mark.parametrize("stem", ["sample_municipality_0301", "sample_network_ost", MARKED])
def test_every_improvement_on_the_sample_pages_is_one_in_the_data(
    sample_pages: dict[tuple[str, str], str], stem: str, language: str
) -> None:
    data = REPO / "data" / "sample"
    measures = pl.read_parquet(data / "measures.parquet")
    marks = "change_introduced" in measures.columns and measures["change_introduced"].fill_null(False).any()
    if stem == MARKED:
        assert "after the change in" in sample_pages[(MARKED, "en")]
    elif marks:  # the sample itself marks changes: the page compares the parts
        assert "etter endringen i" in sample_pages[("sample_municipality_0301", "nb")]
    catalogue_ = pl.read_parquet(data / "measure_catalogue.parquet")
    names = pl.read_parquet(data / "teams.parquet").unique("team_id").select("team_id", "name")
    page = sample_pages[(stem, language)]
    figures = re.findall(
        r'data-figure="measures\.(\w+)"[^>]*><figcaption><span class="ek-figure-title">([^<]*)</span> '
        r'<span class="ek-desc">(.*?)</span></figcaption>',
        page,
    )
    assert figures, "no run chart on the page"
    checked = 0
    for measure_id, title, desc in figures:
        entry = catalogue_.filter(pl.col("measure_id") == measure_id).row(0, named=True)
        assert html_lib.unescape(title) == entry[f"label_{language}"]  # the heading is the label alone
        lines = html_lib.unescape(desc).replace(NBSP, " ").split("<br>")
        for line in lines[1:]:  # one line per team, beginning with its name
            team = next((n for t, n in names.iter_rows() if line.startswith(f"{n}: ")), None)
            assert team is not None, line
            team_id = names.filter(pl.col("name") == team)["team_id"][0]
            if language == "en":
                assert ("no sign of change" in line.lower()) != ("Sign of change" in line), line
            assert not re.search(r"uønsket|undesired|ønsket retning|desired direction", line)
            found = SENTENCE.search(line)
            if not found:
                assert not re.search(r"forbedring|forverring|improvement|deterioration", line), line
                continue
            since = _month(found["month"])
            rows = measures.filter((pl.col("team_id") == team_id) & (pl.col("measure_id") == measure_id))
            reported = rows.filter(pl.col("value").is_not_null() | pl.col("denominator").gt(0))
            if "etter endringen" in line or "after the change" in line:  # from the last marked change
                notes = rows.filter(pl.col("note").is_not_null() & (pl.col("period") < since))
                if stem == MARKED and notes.height:  # the part before began at an earlier change
                    reported = reported.filter(pl.col("period") >= notes["period"].max())
            before = _level(reported.filter(pl.col("period") < since), str(entry["chart"]))
            after = _level(reported.filter(pl.col("period") >= since), str(entry["chart"]))
            went_up = after > before
            improved = went_up == (entry["better"] == "up")
            assert improved == (found["kind"] in ("forbedring", "improvement")), (line, before, after)
            checked += 1
    assert checked, "no sentence said better or worse"


@pytest.mark.slow
def test_the_key_figure_cards_count_what_the_sentences_say(sample_pages: dict[tuple[str, str], str]) -> None:
    page = re.sub(r"<script.*?</script>", "", sample_pages[("sample_municipality_0301", "en")], flags=re.S)
    text = html_lib.unescape(re.sub(r"<[^>]+>", "\n", page)).replace(NBSP, " ")
    improvements = len(re.findall(r"Sign of change – an improvement", text))
    deteriorations = len(re.findall(r"Sign of change – a deterioration", text))
    cards = re.findall(r"Measures that (improved|got worse)\n+(\d+)\n", text)
    assert dict(cards) == {"improved": str(improvements), "got worse": str(deteriorations)}


@pytest.mark.slow
@pytest.mark.parametrize("language", ["nb", "en"])
def test_points_outside_the_limits_are_one_number_in_text_and_table(
    sample_pages: dict[tuple[str, str], str], language: str
) -> None:
    page = html_lib.unescape(sample_pages[("sample_network_ost", language)]).replace(NBSP, " ")
    figures = re.findall(
        r'data-figure="measures\.(\w+)"[^>]*><figcaption>.*?<span class="ek-desc">(.*?)</span>.*?<tbody>(.*?)</tbody>',
        page,
    )
    assert figures
    seen = lines = 0
    for measure_id, desc, body in figures:
        in_table: dict[str, int] = {}
        for team, cells in re.findall(r'<th scope="row">([^<]*)</th>(.*?)</tr>', body):
            assert f'data-figure="measures.{measure_id}.' in cells  # figure ids name the measure
            count = re.search(r'sigma_signals"[^>]*>(\d+)<', cells)
            assert count is not None
            in_table[team] = in_table.get(team, 0) + int(count[1])
        for line in desc.split("<br>")[1:]:
            team = next(t for t in in_table if line.startswith(f"{t}: "))
            said = re.search(r"(\d+) (?:punkt|punkter|point|points) (?:ligger|lies|lie) utenfor|(\d+) points? lies? outside", line)
            assert (int(next(g for g in said.groups() if g)) if said else 0) == in_table[team], line
            seen += bool(said)
            lines += 1
    # Every team line agrees with its table row. (With the realistic sample's marked
    # changes each part has its own limits, and Øst's 2026 charts have no point outside
    # them: seen may be 0; the text then must not claim any, which the loop checks.)
    assert lines >= len(figures), "every figure has a line per team"
