"""Key findings ("Hovedfunn"): the selection on hand-built frames, and the rendered sample
pages checked against the sample data (recomputed here with polars and scipy)."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import polars as pl
import pytest
from scipy import stats

from evalkit.i18n import text
from evalkit.metrics.schema import empty_frame
from evalkit.report.sections.summary import Finding, Names, select, sentence
from tests.pages import REPO, parse, render

UNIT = "municipality:9999"
NAMES = Names("Testby", "Nettverk A", "Nettverk A", {"equality": "Likeverd", "impact": "Betydning"})
FORBIDDEN = ["fører til", "gir", "skyldes", "på grunn av", "derfor", "because", "causes", "leads to", "due to", "results in"]


def frame(name: str, *rows: dict[str, Any]) -> pl.DataFrame:
    return pl.concat([empty_frame(name), pl.DataFrame(list(rows))], how="diagonal_relaxed") if rows else empty_frame(name)


def bench(dimension: str, estimate: float | None, low: float | None, high: float | None, suppressed: bool = False) -> dict[str, Any]:
    return {"role_group": "all", "dimension": dimension, "measure": "index_mean", "n": None if suppressed else 40,
            "estimate": estimate, "ci_low": low, "ci_high": high, "suppressed": suppressed}


def index(dimension: str, mean: float) -> dict[str, Any]:
    return {"role_group": "all", "dimension": dimension, "n": 40, "mean": mean, "suppressed": False}


def gap(dimension: str, estimate: float | None, low: float | None, high: float | None, suppressed: bool = False) -> dict[str, Any]:
    return {"dimension": dimension, "group": "user_side", "measure": "index_mean", "n": None if suppressed else 40,
            "estimate": estimate, "ci_low": low, "ci_high": high, "suppressed": suppressed}


def promoter(dimension: str, factor: str, estimate: float | None, low: float | None, high: float | None,
             suppressed: bool = False) -> dict[str, Any]:
    return {"dimension": dimension, "factor": factor, "n": 16, "n_with": 7, "n_without": 9, "estimate": estimate,
            "ci_low": low, "ci_high": high, "suppressed": suppressed}


def trained(count: int, n: int) -> dict[str, Any]:
    return {"indicator": "reps_trained", "category": None, "statistic": "share", "n": n, "count": float(count),
            "estimate": count / n, "suppressed": False}


def choose(**frames: pl.DataFrame) -> list[Finding]:
    given = {"benchmarks": frame("benchmarks"), "indices": frame("indices"), "gaps": frame("gaps"),
             "recruitment": frame("recruitment"), "promoters": frame("promoters"), **frames}
    return select(unit=UNIT, promoter_unit="network:a", network_unit="network:a", **given)  # type: ignore[arg-type]


def words(lang: str, findings: list[Finding]) -> list[str]:
    return [sentence(f, lang, NAMES) for f in findings]  # type: ignore[arg-type]


def test_a_unit_above_its_network_is_higher_than_the_network() -> None:
    found = choose(benchmarks=frame("benchmarks", bench("equality", 8.2, 3.1, 13.4)), indices=frame("indices", index("equality", 81)))
    assert [(f.kind, f.direction) for f in found] == [("benchmark", "higher")]
    nb, en = words("nb", found)[0], words("en", found)[0]
    assert "8 poeng høyere enn i Nettverk A" in nb and "indeks 81 av 100" in nb
    assert "8 points higher than in Nettverk A" in en
    assert found[0].figure == "summary.equality.benchmark.index_mean" and found[0].n == 40


def test_an_interval_containing_zero_is_no_clear_difference() -> None:
    found = choose(benchmarks=frame("benchmarks", bench("impact", -6.0, -12.5, 0.4)), indices=frame("indices", index("impact", 70)),
                   gaps=frame("gaps", gap("equality", -3.0, -9.0, 2.5)),
                   promoters=frame("promoters", promoter("impact", "reps_trained", 5.0, -1.0, 11.0)))
    assert {f.kind: f.direction for f in found} == {"benchmark": "none", "gap": "none", "promoter": "none"}
    for lang, phrase in (("nb", "ingen klar forskjell"), ("en", "no clear difference")):
        for said in words(lang, found):
            assert phrase in said.lower(), said
            assert "høyere" not in said and "lavere" not in said and "higher" not in said and "lower" not in said


def test_a_suppressed_figure_is_never_mentioned() -> None:
    found = choose(
        benchmarks=frame("benchmarks", bench("equality", 42.0, 40.0, 44.0, suppressed=True), bench("impact", 5.0, 1.0, 9.0)),
        indices=frame("indices", index("equality", 77), index("impact", 66)),
        gaps=frame("gaps", gap("equality", 37.0, 33.0, 41.0, suppressed=True)),
        promoters=frame("promoters", promoter("impact", "reps_trained", 29.0, 25.0, 33.0, suppressed=True)),
        recruitment=frame("recruitment", trained(0, 3)),
    )
    assert [(f.kind, f.figure) for f in found] == [("benchmark", "summary.impact.benchmark.index_mean")]
    for lang in ("nb", "nn", "en"):
        said = " ".join(words(lang, found))
        assert not re.search(r"\b(42|37|29|77)\b", said), said


def test_the_network_gap_stands_in_for_a_suppressed_own_gap_and_says_so() -> None:
    found = select(unit=UNIT, benchmarks=frame("benchmarks"), indices=frame("indices"), recruitment=frame("recruitment"),
                   promoters=frame("promoters"), promoter_unit="network:a",
                   gaps=frame("gaps", gap("equality", None, None, None, suppressed=True)),
                   network_gaps=frame("gaps", gap("equality", -14.2, -21.0, -7.0)), network_unit="network:a")
    assert [(f.kind, f.direction, f.unit) for f in found] == [("gap", "lower", "network:a")]
    assert "i hele Nettverk A" in words("nb", found)[0] and "14 poeng lavere" in words("nb", found)[0]
    assert "across Nettverk A" in words("en", found)[0]


def test_a_practice_that_differs_from_what_goes_with_better_results_is_a_question() -> None:
    found = choose(promoters=frame("promoters", promoter("impact", "reps_trained", 16.6, 7.7, 25.6)),
                   recruitment=frame("recruitment", trained(0, 3)))
    assert [(f.kind, f.unit, f.source, f.n) for f in found] == [("discuss", UNIT, "teams", 3)]
    nb, en = words("nb", found)[0], words("en", found)[0]
    assert nb.startswith("Til diskusjon: 0 av 3 team i Testby lærte opp") and nb.endswith("?")
    assert "17 poeng høyere" in nb
    assert en.startswith("To discuss: 0 of 3 teams in Testby trained") and en.endswith("?")
    # A unit that already follows the practice is not asked: the comparison is a plain finding.
    found = choose(promoters=frame("promoters", promoter("impact", "reps_trained", 16.6, 7.7, 25.6)),
                   recruitment=frame("recruitment", trained(3, 3)))
    assert [(f.kind, f.direction) for f in found] == [("promoter", "higher")]
    assert "team som lærte opp brukerrepresentantene, 17 poeng høyere" in words("nb", found)[0]


def rich() -> list[Finding]:
    return choose(
        benchmarks=frame("benchmarks", bench("equality", -3.7, -10.5, 3.1), bench("impact", -9.6, -16.8, -2.3)),
        indices=frame("indices", index("equality", 74), index("impact", 65)),
        gaps=frame("gaps", gap("equality", -14.0, -21.0, -7.0), gap("impact", 2.0, -4.0, 8.0)),
        promoters=frame("promoters", promoter("impact", "reps_trained", 16.6, 7.7, 25.6),
                        promoter("impact", "channel:user_organisation", 13.3, 2.6, 24.0),
                        promoter("equality", "channel:known_to_team", -8.0, -14.0, -2.0)),
        recruitment=frame("recruitment", trained(0, 3)),
    )


def test_three_to_five_findings_in_reading_order() -> None:
    found = rich()
    assert 3 <= len(found) <= 5
    order = ["benchmark", "gap", "promoter", "discuss"]
    assert [order.index(f.kind) for f in found] == sorted(order.index(f.kind) for f in found)
    assert any(f.kind == "discuss" for f in found)  # the question to discuss is never cut


@pytest.mark.parametrize("lang", ["nb", "nn", "en"])
def test_no_causal_words(lang: str) -> None:
    said = " ".join([*words(lang, rich()), text("summary_intro", lang)]).lower()
    for word in FORBIDDEN:
        assert not re.search(rf"\b{re.escape(word)}\b", said), (word, said)


# --- the rendered sample pages -----------------------------------------------------------

SAMPLE = REPO / "data" / "sample"
USER_SIDE, PROVIDER_SIDE = ("user_rep", "relative_rep"), ("provider", "leader")


@pytest.fixture(scope="module")
def summary_pages(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], str]:
    out = tmp_path_factory.mktemp("summary")
    return {(stem, lang): render(REPO / "params" / f"{stem}.yml", out, language=lang).read_text(encoding="utf-8")
            for stem in ("sample_municipality_0301", "sample_network_ost") for lang in ("nb", "en")}


def summary_findings(html: str) -> list[tuple[dict[str, str], str]]:
    """The summary section's findings: (their figure markup, their text)."""
    part = html.split('id="ek-summary"', 1)[1].split("<h2", 1)[0]
    return [(dict(re.findall(r'(data-[a-z]+)="([^"]*)"', attrs)), unescape(re.sub(r"<[^>]+>", "", body)).strip())
            for attrs, body in re.findall(r'<p class="ek-finding"([^>]*)>(.*?)</p>', part, re.S)]


def respondent_index(dimension: str, wave: str = "2026") -> pl.DataFrame:
    """Each respondent's index by hand: items on 0–100 (reverse-coded turned), mean over the
    answered items, kept when at least half the dimension's items are answered."""
    import yaml

    instrument = yaml.safe_load((REPO / "evalkit" / "data" / "instrument.yml").read_text(encoding="utf-8"))
    items = [i for i in instrument["items"] if i["dimension"] == dimension]
    reverse = [i["id"] for i in items if i.get("reverse")]
    answers = pl.read_parquet(SAMPLE / "answers.parquet").filter(pl.col("item_id").is_in([i["id"] for i in items]))
    people = pl.read_parquet(SAMPLE / "respondents.parquet").filter(pl.col("wave") == wave)
    scored = answers.filter(~pl.col("dont_know") & pl.col("value").is_not_null()).with_columns(
        score=pl.when(pl.col("item_id").is_in(reverse)).then(5 - pl.col("value").cast(pl.Float64))
        .otherwise(pl.col("value").cast(pl.Float64) - 1) * 25)
    per = scored.group_by("respondent_id").agg(index=pl.col("score").mean(), answered=pl.len())
    return people.join(per, on="respondent_id").filter(pl.col("answered") >= len(items) / 2)


def in_unit(frame: pl.DataFrame, unit: str) -> pl.DataFrame:
    level, unit_id = unit.split(":", 1)
    return frame.filter(pl.col("network_id" if level == "network" else "municipality_id") == unit_id)


def direction_words(said: str) -> str:
    low = said.lower()
    if "ingen klar forskjell" in low or "no clear difference" in low:
        return "none"
    if "høyere" in low or "higher" in low:
        return "higher"
    assert "lavere" in low or "lower" in low, said
    return "lower"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["nb", "en"])
@pytest.mark.parametrize("stem", ["sample_municipality_0301", "sample_network_ost"])
def test_summary_is_the_first_section_and_agrees_with_the_data(summary_pages: dict[tuple[str, str], str], stem: str, lang: str) -> None:
    html = summary_pages[(stem, lang)]
    ids = [a.get("id") for t, a in parse(html).tags if t == "h2"]
    assert ids[0] == "ek-summary" and ids[1] == "ek-key_figures"
    found = summary_findings(html)
    assert 3 <= len(found) <= 5, found
    by_figure = {m["data-figure"]: (m, said) for m, said in found}
    for mark, said in found:
        assert "data-suppressed" not in mark and mark.get("data-wave") == "2026", (mark, said)
        assert mark["data-figure"].startswith("summary."), mark
        for word in FORBIDDEN:
            assert not re.search(rf"\b{re.escape(word)}\b", said.lower()), (word, said)
    # The user side against the provider side on equality, recomputed by hand.
    mark, said = by_figure["summary.equality.gap.user_side.index_mean"]
    people = in_unit(respondent_index("equality"), mark["data-unit"])
    user = people.filter(pl.col("role").is_in(USER_SIDE))["index"].to_numpy()
    provider = people.filter(pl.col("role").is_in(PROVIDER_SIDE))["index"].to_numpy()
    ci = stats.ttest_ind(user, provider, equal_var=False).confidence_interval()
    expected = "higher" if ci.low > 0 else "lower" if ci.high < 0 else "none"
    assert direction_words(said) == expected, (said, user.mean() - provider.mean())
    assert f" {round(abs(user.mean() - provider.mean()))} " in said, said
    # Each benchmark against the parent without the unit, recomputed by hand (Welch).
    unit = "municipality:0301" if "municipality" in stem else "network:ost"
    for dimension in ("equality", "impact"):
        if f"summary.{dimension}.benchmark.index_mean" not in by_figure:
            continue
        mark, said = by_figure[f"summary.{dimension}.benchmark.index_mean"]
        everyone = respondent_index(dimension)
        parent = everyone.filter(pl.col("network_id") == "ost") if unit.startswith("municipality") else everyone
        own = in_unit(everyone, unit)
        rest = parent.join(own.select("respondent_id"), on="respondent_id", how="anti")
        ci = stats.ttest_ind(own["index"].to_numpy(), rest["index"].to_numpy(), equal_var=False).confidence_interval()
        expected = "higher" if ci.low > 0 else "lower" if ci.high < 0 else "none"
        assert direction_words(said.split(":", 1)[1]) == expected, said


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["nb", "en"])
def test_oslo_is_asked_about_training_its_representatives(summary_pages: dict[tuple[str, str], str], lang: str) -> None:
    found = dict((m["data-figure"], said) for m, said in summary_findings(summary_pages[("sample_municipality_0301", lang)]))
    said = found["summary.discussion.reps_trained"]
    teams = pl.read_parquet(SAMPLE / "teams.parquet").filter((pl.col("wave") == "2026") & (pl.col("municipality_id") == "0301"))
    k, n = int(teams["reps_trained"].sum()), teams.height
    assert said.startswith(f"Til diskusjon: {k} av {n} team" if lang == "nb" else f"To discuss: {k} of {n} teams"), said
    assert said.endswith("?")
    # In the network, teams that trained their representatives report a higher team-mean impact.
    people = respondent_index("impact").filter(pl.col("network_id") == "ost")
    net_teams = pl.read_parquet(SAMPLE / "teams.parquet").filter((pl.col("wave") == "2026") & (pl.col("network_id") == "ost"))
    means = people.group_by("team_id").agg(pl.col("index").mean()).join(net_teams.select("team_id", "reps_trained"), on="team_id")
    with_, without = (means.filter(pl.col("reps_trained") == v)["index"].to_numpy() for v in (True, False))
    assert with_.mean() > without.mean()
    assert ("høyere" if lang == "nb" else "higher") in said



def test_the_network_stand_in_for_impact_is_left_out_when_it_shows_no_clear_difference() -> None:
    found = select(unit=UNIT, benchmarks=frame("benchmarks"), indices=frame("indices"), recruitment=frame("recruitment"),
                   promoters=frame("promoters"), promoter_unit="network:a", network_unit="network:a",
                   gaps=frame("gaps", gap("equality", -6.0, -22.0, 10.0)),
                   network_gaps=frame("gaps", gap("impact", -5.0, -13.0, 4.0), gap("equality", -14.0, -21.0, -7.0)))
    assert [(f.kind, f.direction, f.unit, f.values["dimension"]) for f in found] == [("gap", "none", UNIT, "equality")]


def test_one_point_is_singular_in_english() -> None:
    found = choose(benchmarks=frame("benchmarks", bench("equality", -1.2, -5.0, 2.6)), indices=frame("indices", index("equality", 76)))
    assert "(\u22121 point, 95% CI \u22125 to 3)" in words("en", found)[0]
    assert "(\u22121 poeng, 95\u00a0% KI \u22125 til 3)" in words("nb", found)[0]
