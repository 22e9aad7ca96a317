"""Issue 15, items 5-6: what the pages say about recruitment, reliability, partners and
the index, read from the rendered page text and checked against data/sample with polars
and numpy (never with the code that made the page)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from evalkit.figure import Figure
from evalkit.report import Report, municipality_report, network_report
from tests.pages import parse

WAVE = "2026"
NAMES_OK = {"Anhøj"}  # a person's name (the Anhøj rules)


def text_of(html: str) -> str:
    return " ".join(x.strip() for x in parse(html).text if x.strip())


def section_text(report: Report, name: str) -> str:
    return text_of(getattr(report, name)().html())


@pytest.fixture(scope="module")
def data(sample_dir: Path) -> dict[str, pl.DataFrame]:
    return {n: pl.read_parquet(sample_dir / f"{n}.parquet") for n in ("answers", "respondents", "teams", "municipalities", "networks", "measures")}


def _num(text: str) -> float:
    return float(text.replace("\u2212", "-").replace(",", "."))


# --- reliability ----------------------------------------------------------------------

def _hand_alpha(data: dict[str, pl.DataFrame], network: str, items: list[str], reverse: set[str] = frozenset()) -> float:
    a = (
        data["answers"].join(data["respondents"], on="respondent_id")
        .filter(pl.col("network_id") == network, pl.col("wave") == WAVE, pl.col("item_id").is_in(items))
        .with_columns(pl.when(pl.col("item_id").is_in(list(reverse))).then(6 - pl.col("value")).otherwise(pl.col("value")).alias("v"))
    )
    x = a.pivot(on="item_id", index="respondent_id", values="v").drop("respondent_id").drop_nulls().to_numpy().astype(float)
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


@pytest.mark.parametrize("language", ["nb", "en"])
def test_alpha_two_decimals_interval_contains_it_and_matches_the_data(sample_dir: Path, data: dict[str, pl.DataFrame], language: str) -> None:
    report = network_report(network_id="ost", data_dir=str(sample_dir), language=language)
    text = section_text(report, "method")
    label = {"nb": "Betydning for arbeidet og resultatene", "en": "Impact on the work and its results"}[language]
    dec = "," if language == "nb" else r"\."
    m = re.search(rf"{label} (\d{dec}\d\d) (−?\d{dec}\d\d)(?:–| til | to )(−?\d{dec}\d\d)", text)
    assert m, text[-1500:]
    alpha, low, high = (_num(g) for g in m.groups())
    assert low <= alpha <= high
    assert alpha == pytest.approx(_hand_alpha(data, "ost", ["imp_aims", "imp_changes", "imp_results"]), abs=0.006)
    # explained for evaluators, with the threshold
    assert {"nb": "For den som vurderer undersøkelsen", "en": "For evaluators"}[language] in text
    # no interval written in whole numbers ("0–1", "1–1")
    assert not re.search(r"\b[01]–[01]\b", text)


def test_alpha_below_half_is_not_printed(sample_dir: Path, tmp_path: Path) -> None:
    """Oslo's answers shuffled within each statement: alpha near 0 is said in words."""
    folder = tmp_path / "data"
    shutil.copytree(sample_dir, folder)
    resp = pl.read_parquet(folder / "respondents.parquet")
    oslo = set(resp.filter(pl.col("municipality_id") == "0301")["respondent_id"])
    answers = pl.read_parquet(folder / "answers.parquet").with_row_index("_i")
    rng = np.random.default_rng(1)
    parts = [answers.filter(~pl.col("respondent_id").is_in(list(oslo)))]
    for _, g in answers.filter(pl.col("respondent_id").is_in(list(oslo))).group_by("item_id", maintain_order=True):
        order = rng.permutation(g.height)
        parts.append(g.with_columns(g["value"].gather(order), g["dont_know"].gather(order)))
    pl.concat(parts).sort("_i").drop("_i").write_parquet(folder / "answers.parquet")
    shuffled = pl.read_parquet(folder / "answers.parquet").join(resp, on="respondent_id").filter(
        pl.col("municipality_id") == "0301", pl.col("wave") == WAVE, pl.col("item_id").str.starts_with("imp_"))
    x = shuffled.pivot(on="item_id", index="respondent_id", values="value").drop("respondent_id").drop_nulls().to_numpy().astype(float)
    hand = 3 / 2 * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))
    assert hand < 0.5
    text = section_text(municipality_report(municipality_id="0301", data_dir=str(folder)), "method")
    row = re.search(r"Betydning for arbeidet og resultatene (.{0,60})", text)
    assert row and row.group(1).startswith("under 0,50 – svært lav: les påstandene hver for seg"), row
    assert f"{hand:.2f}".replace(".", ",") not in row.group(1)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_glossary_names_median_and_mean(sample_dir: Path, language: str) -> None:
    text = section_text(network_report(network_id="ost", data_dir=str(sample_dir), language=language), "method")
    glossary = text[text.index({"nb": "Ordliste", "en": "Glossary"}[language]):]
    if language == "nb":
        assert "medianen i et enkelt seriediagram" in glossary and "gjennomsnittet i p- og i-kort" in glossary
    else:
        assert "the median in a plain run chart" in glossary and "the mean in p- and i-charts" in glossary


# --- recruitment ------------------------------------------------------------------------

def _channel_counts(data: dict[str, pl.DataFrame], municipality: str) -> dict[str, int]:
    t = data["teams"].filter(pl.col("wave") == WAVE, pl.col("municipality_id") == municipality)
    return dict(t.select(pl.col("channels").explode()).drop_nulls().group_by("channels").len().rows())


@pytest.mark.parametrize("language", ["nb", "en"])
def test_a_tie_of_routes_is_said_as_a_tie(sample_dir: Path, data: dict[str, pl.DataFrame], language: str) -> None:
    counts = _channel_counts(data, "0301")
    best = max(counts.values())
    tied = sorted(c for c, k in counts.items() if k == best)
    assert len(tied) == 3 and best == 1  # the sample: three routes, one team each, 3 teams
    text = section_text(municipality_report(municipality_id="0301", data_dir=str(sample_dir), language=language), "recruitment")
    assert {"nb": "Ingen vei var vanligst alene", "en": "No single route was the most common"}[language] in text
    assert {"nb": "Den vanligste veien var", "en": "The most common route was"}[language] not in text
    labels = {"nb": {"other": "Annen vei", "via_experience_consultant": "Via en erfaringskonsulent", "via_services": "Via tjenestene"},
              "en": {"other": "Another route", "via_experience_consultant": "Through an experience consultant", "via_services": "Through the services"}}
    sentence = text[text.index({"nb": "Ingen vei", "en": "No single"}[language]):][:300]
    for channel in tied:
        assert labels[language][channel] in sentence


def _figures(section: object) -> list[Figure]:
    return [p for p in section.parts if isinstance(p, Figure)]  # type: ignore[attr-defined]


def test_no_interval_for_one_teams_share(sample_dir: Path, data: dict[str, pl.DataFrame]) -> None:
    hosted = data["teams"].filter(pl.col("wave") == WAVE, pl.col("municipality_id") == "3905")
    assert hosted.height == 1
    report = municipality_report(municipality_id="3905", data_dir=str(sample_dir))
    section = report.recruitment()
    spec = next(f.spec for f in _figures(section) if f.mark.figure == "recruitment.channels")
    rows = [r for rows in spec.get("datasets", {}).values() for r in rows if "ci_low" in r]
    assert rows and all(r["ci_low"] is None and r["ci_high"] is None for r in rows)
    assert "Teamet rekrutterte via" in text_of(section.html())


def test_channel_intervals_remain_for_many_teams(sample_dir: Path) -> None:
    section = network_report(network_id="ost", data_dir=str(sample_dir)).recruitment()
    spec = next(f.spec for f in _figures(section) if f.mark.figure == "recruitment.channels")
    rows = [r for rows in spec.get("datasets", {}).values() for r in rows if "ci_low" in r]
    assert any(r["ci_low"] is not None for r in rows)


@pytest.mark.parametrize("language", ["nb", "en"])
def test_response_rate_is_not_called_unrecorded_when_every_invitation_is_recorded(
    sample_dir: Path, data: dict[str, pl.DataFrame], language: str
) -> None:
    invited = [c for c in data["teams"].columns if c.startswith("invited_")]
    ost = data["teams"].filter(pl.col("wave") == WAVE, pl.col("network_id") == "ost")
    assert ost.select(pl.any_horizontal(pl.col(invited).is_null()).any()).item() is False
    text = section_text(network_report(network_id="ost", data_dir=str(sample_dir), language=language), "header")
    assert {"nb": "ikke registrert for alle team", "en": "not recorded for every team"}[language] not in text
    # midtnord records no invitations: there it is said
    mn = section_text(network_report(network_id="midtnord", data_dir=str(sample_dir), language=language), "header")
    assert {"nb": "ikke registrert for alle team", "en": "not recorded for every team"}[language] in mn


@pytest.mark.parametrize("language", ["nb", "en"])
def test_partner_municipalities_name_their_teams(sample_dir: Path, data: dict[str, pl.DataFrame], language: str) -> None:
    t = data["teams"].filter(pl.col("wave") == WAVE).explode("partner_municipality_ids").drop_nulls("partner_municipality_ids")
    assert t.height >= 2
    names = dict(data["municipalities"].select("municipality_id", "name").rows())
    for r in t.iter_rows(named=True):
        partner = r["partner_municipality_ids"]
        report = municipality_report(municipality_id=partner, data_dir=str(sample_dir), language=language)
        header = section_text(report, "header")
        assert r["name"] in header and names[r["municipality_id"]] in header
        assert {"nb": "partnerkommune", "en": "partner municipality"}[language] in header
        practice = section_text(report, "recruitment")
        assert f"{r['name']} ({ {'nb': 'som partner', 'en': 'as partner'}[language] })" in practice
        # a host municipality's page does not call its own team a partner's
        host = section_text(municipality_report(municipality_id=r["municipality_id"], data_dir=str(sample_dir), language=language), "header")
        assert {"nb": "partnerkommune", "en": "partner municipality"}[language] not in host


# --- the user side's own recruitment items -----------------------------------------------

def _user_side_share(data: dict[str, pl.DataFrame], network: str, item: str) -> tuple[float, int]:
    a = data["answers"].join(data["respondents"], on="respondent_id").filter(
        pl.col("network_id") == network, pl.col("wave") == WAVE, pl.col("item_id") == item,
        pl.col("role").is_in(["user_rep", "relative_rep"]), pl.col("value").is_not_null(), ~pl.col("dont_know"))
    return float((a["value"] >= 4).mean()), a.height  # type: ignore[operator]


@pytest.mark.parametrize("language", ["nb", "en"])
def test_user_side_recruitment_items_are_shown_for_the_user_side(sample_dir: Path, data: dict[str, pl.DataFrame], language: str) -> None:
    report = network_report(network_id="ost", data_dir=str(sample_dir), language=language)
    html = report.recruitment().html()
    text = text_of(html)
    from evalkit.instrument import load_instrument

    inst = load_instrument()
    roles = {i.id: set(inst.items_frame().filter(pl.col("item_id") == i.id)["roles"][0]) for i in inst.items_in("recruitment")}
    assert set(roles) == {"rec_why", "rec_training", "rec_role"}
    assert all(r == {"user_rep", "relative_rep"} for r in roles.values())  # the user side's own items
    for item in roles:
        share, n = _user_side_share(data, "ost", item)
        label = inst.item(item).text(language)
        pct = f"{round(share * 100)}\u00a0%" if language == "nb" else f"{round(share * 100)}%"
        assert f"{label} {pct}" in text, (item, pct)
        assert f"n\u00a0=\u00a0{n}" in text or f"n = {n}" in text
        tags = [a for _, a in parse(html).tags if a.get("data-figure") == f"{item}.user_side.share_favourable"]
        assert tags and all(a.get("data-unit") == "network:ost" for a in tags)
        assert not any(a.get("data-figure") == f"{item}.share_favourable" for _, a in parse(html).tags)


def test_user_side_items_are_suppressed_where_few_answered(sample_dir: Path, data: dict[str, pl.DataFrame]) -> None:
    resp = data["respondents"].filter(pl.col("municipality_id") == "0301", pl.col("wave") == WAVE,
                                      pl.col("role").is_in(["user_rep", "relative_rep"]))
    assert 0 < resp.height < 5
    html = municipality_report(municipality_id="0301", data_dir=str(sample_dir)).recruitment().html()
    text = text_of(html)
    assert "For få bruker- og pårørenderepresentanter svarte" in text
    tags = [a for _, a in parse(html).tags if str(a.get("data-figure", "")).startswith("rec_")]
    assert tags and all(a.get("data-suppressed") == "small" and "data-n" not in a for a in tags)


# --- English pages ---------------------------------------------------------------------

def test_english_pages_keep_no_norwegian_words_outside_names(sample_dir: Path, data: dict[str, pl.DataFrame]) -> None:
    allowed = set(NAMES_OK)
    for frame, col in ((data["municipalities"], "name"), (data["networks"], "name"), (data["teams"], "name"), (data["measures"], "note")):
        for value in frame[col].drop_nulls().unique():
            allowed.update(re.findall(r"[\wæøåÆØÅ-]+", value))
    sections = ["header", "key_figures", "recruitment", "equality", "impact", "promoters",
                "relatives_and_consultants", "change", "benchmark", "method", "data_quality"]
    for report in (network_report(network_id="ost", data_dir=str(sample_dir), language="en"),
                   municipality_report(municipality_id="3905", data_dir=str(sample_dir), language="en")):
        text = " ".join(section_text(report, s) for s in sections)
        strange = {w for w in re.findall(r"[\wæøåÆØÅ-]*[æøåÆØÅ][\wæøåÆØÅ-]*", text) if w not in allowed}
        assert not strange, strange
        for word in (" ikke ", " enig", "Andel ", " vei ", "Tjenesteytere", "Brukersiden", "ukjent"):
            assert word not in text, word


# --- the index page ----------------------------------------------------------------------

@pytest.mark.parametrize("language", ["nb", "en"])
def test_index_kicker_in_page_language_and_note_says_why(tmp_path: Path, language: str) -> None:
    from evalkit.batch.index import IndexEntry, build_index
    from evalkit.batch.model import Unit

    store = tmp_path / "store"
    store.mkdir()
    pl.DataFrame({
        "unit_level": ["municipality"] * 3, "unit_id": ["1111", "2222", "3333"], "wave": [WAVE] * 3,
        "role": ["all"] * 3, "n": [None, 20, None], "n_display": ["<5", "20", "–"],
        "suppressed": [True, False, True], "reason": ["unit_below_min_unit_n", None, "complementary"],
    }, schema_overrides={"n": pl.Int64}).write_parquet(store / "respondent_counts.parquet")
    pl.DataFrame({
        "unit_level": ["municipality"] * 2, "unit_id": ["2222"] * 2, "wave": [WAVE] * 2, "role_group": ["all"] * 2,
        "dimension": ["equality", "impact"], "mean": [70.0, 60.0], "n": [20, 20], "suppressed": [False, False],
    }).write_parquet(store / "indices.parquet")
    units = [Unit("municipality", uid, name, ("n1",)) for uid, name in (("1111", "Liten"), ("2222", "Stor"), ("3333", "Midt"))]
    html = build_index([IndexEntry(u, u.page) for u in units], store=store, wave=WAVE, language=language,
                       min_unit_n=10, min_cell_n=5, network_names={"n1": "Nettverk"},
                       description="Sample data, wave 2026 compared with 2025")
    text = text_of(html)
    rows = {name: text[text.index(name + " "):][:120] for name in ("Liten", "Stor", "Midt")}
    too_few = {"nb": "for få svar for egne resultater", "en": "too few responses for results of its own"}[language]
    hidden = {"nb": "noen tall skjult for å verne små grupper", "en": "some figures hidden to protect small groups"}[language]
    assert too_few in rows["Liten"] and hidden in rows["Midt"]
    stor = rows["Stor"].split({"nb": "Laget", "en": "Made"}[language])[0]
    assert too_few not in stor and hidden not in stor and "70 60" in stor
    kicker = {"nb": "Brukermedvirkning i forbedringsteam", "en": "User involvement in improvement teams"}[language]
    assert kicker in text
    # the batch file's (English) description is not reader-facing text on a bokmål page
    assert "Sample data" not in text and 'name="description"' in html
