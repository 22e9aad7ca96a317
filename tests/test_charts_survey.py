"""Survey chart builders: valid Vega-Lite, markup on every data row, the Likert centring."""

from __future__ import annotations

import pytest

import evalkit.charts.survey as survey


@pytest.fixture(autouse=True)
def validate_specs(monkeypatch: pytest.MonkeyPatch) -> None:
    # Templates are cached; validate fresh ones against the Vega-Lite schema.
    monkeypatch.setattr(survey, "VALIDATE_SPECS", True)
    for builder in (survey._likert_template, survey._estimates_template, survey._differences_template,
                    survey._share_bars_template, survey._sides_template):
        builder.cache_clear()


TEXTS = {"small": "for få svar", "unit": "under 10 svar", "protect": "skjult av personvernhensyn"}


def _rows(suppressed_second: bool = True) -> list[dict[str, object]]:
    return [
        {"category": "A", "order": 0, "estimate": 0.4, "ci_low": 0.2, "ci_high": 0.6, "n": 20, "suppressed": False},
        {"category": "B", "order": 1, "estimate": None, "ci_low": None, "ci_high": None, "n": None,
         "suppressed": suppressed_second, **({"reason": "protect"} if suppressed_second else {})},
    ]


def test_likert_centres_on_the_neutral_level_by_hand() -> None:
    # shares 10/20/30/25/15 %: left of zero = 10 + 20 + 30/2 = 45 %, so bars start at -0.45.
    shares = [0.10, 0.20, 0.30, 0.25, 0.15]
    rows = [{"item": "Påstand", "order": 0, "level": k, "share": s, "n": 40, "suppressed": False}
            for k, s in enumerate(shares)]
    spec = survey.likert_bars(rows, level_labels=["1", "2", "3", "4", "5"], neutral_index=2, title="t",
                              n_label="n", language="nb", hidden_texts=TEXTS)
    starts = [round(r["x0"], 10) for r in spec["datasets"]["segments"]]
    assert starts == [-0.45, -0.35, -0.15, 0.15, 0.40]
    assert round(spec["datasets"]["segments"][-1]["x1"], 10) == 0.55
    label = spec["datasets"]["labels"][0]
    assert (label["label"], label["n"], round(label["x"], 10)) == ("n = 40", 40, 0.55)


def test_suppressed_likert_item_has_no_bars_and_no_n() -> None:
    rows = [{"item": "Liten", "order": 0, "level": k, "share": None, "n": None, "suppressed": True, "reason": "small"}
            for k in range(5)]
    spec = survey.likert_bars(rows, level_labels=list("12345"), neutral_index=2, title="t", n_label="n",
                              language="nb", hidden_texts=TEXTS)
    assert spec["datasets"]["segments"] == []
    assert spec["datasets"]["labels"][0] == {"item": "Liten", "order": 0, "x": 0.0, "label": "for få svar",
                                             "n": None, "suppressed": True, "reason": "small"}


@pytest.mark.parametrize("builder", ["estimates", "differences", "share_bars"])
def test_every_row_keeps_its_markup_and_suppressed_rows_are_labelled(builder: str) -> None:
    rows = _rows()
    if builder == "estimates":
        spec = survey.estimates_with_intervals(rows, category_title="c", value_title="v", domain=(0, 1),
                                               percent=True, title="t", hidden_texts=TEXTS)
    elif builder == "differences":
        spec = survey.differences(rows, value_title="v", percent=False, title="t", limit=30,
                                  hidden_texts=TEXTS)
    else:
        spec = survey.share_bars(rows, value_title="v", title="t", hidden_texts=TEXTS)
    for dataset in spec["datasets"].values():
        for row in dataset:
            assert "n" in row and "suppressed" in row
            assert not (row["suppressed"] and row["n"] is not None)
    assert [(r["category"], r["reason"], r["label"]) for r in spec["datasets"]["suppressed"]] == [
        ("B", "protect", "skjult av personvernhensyn")]


def test_the_cached_structure_does_not_leak_rows_between_calls() -> None:
    first = survey.share_bars(_rows(), value_title="v", title="t", hidden_texts=TEXTS)
    second = survey.share_bars(_rows(suppressed_second=False)[:1], value_title="v", title="t")
    assert len(first["datasets"]["rows"]) == 2 and len(second["datasets"]["rows"]) == 1
    first["layer"][0]["mark"]["color"] = "changed"
    assert survey.share_bars(_rows(), value_title="v", title="t", hidden_texts=TEXTS)["layer"][0]["mark"]["color"] != "changed"


def test_sides_chart_is_valid_and_keeps_markup_on_every_row() -> None:
    rows = [
        {"category": "A", "order": 0, "side": "Brukersiden", "estimate": 0.52, "ci_low": 0.34, "ci_high": 0.69,
         "n": 27, "suppressed": False},
        {"category": "A", "order": 0, "side": "Tjenestesiden", "estimate": 0.82, "ci_low": 0.72, "ci_high": 0.89,
         "n": 82, "suppressed": False},
        {"category": "B", "order": 1, "side": "Brukersiden", "estimate": None, "ci_low": None, "ci_high": None,
         "n": None, "suppressed": True, "reason": "unit"},
    ]
    spec = survey.sides_with_intervals(rows, side_labels=["Brukersiden", "Tjenestesiden"], value_title="Andel",
                                       title="t", hidden_texts=TEXTS)
    assert spec["datasets"]["rows"] == rows
    gone = spec["datasets"]["suppressed"]
    assert [(r["category"], r["side"], r["n"], r["suppressed"], r["label"]) for r in gone] == [
        ("B", "Brukersiden", None, True, "under 10 svar")]
    # one colour per side, in the given order; the shares' axis is 0–100 %
    rule = spec["layer"][0]["encoding"]
    assert rule["color"]["scale"]["domain"] == ["Brukersiden", "Tjenestesiden"]
    assert rule["x"]["scale"]["domain"] == [0, 1]
