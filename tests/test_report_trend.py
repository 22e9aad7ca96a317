"""The trend of a unit's indices over every wave (issue 17, item 3): the section, its chart
and its markup, on pages rendered with ``evalkit run`` and in-process.

Expected values are computed here from data/sample's answers and the instrument with
polars and scipy (respondent index = mean of the answered items' 0–100 scores, for
respondents who answered at least half of the dimension's items for their role; the
unit's figure = the mean of those, with a t interval), not with evalkit's index code.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import polars as pl
import pytest
from scipy import stats

from evalkit import canonical
from evalkit.cli import main
from evalkit.instrument import load_instrument
from evalkit.report import municipality_report, network_report

REPO = Path(__file__).resolve().parents[1]
WAVES = ["2024", "2025", "2026"]
UNIT_COLUMN = {"municipality": "municipality_id", "network": "network_id"}


def expected_indices(data: canonical.CanonicalData, level: str, unit_id: str) -> dict[tuple[str, str], tuple[int, float, float, float]]:
    """(dimension, wave) → (n, mean, ci_low, ci_high) of everyone in the unit, by hand."""
    items = load_instrument().items_frame().select("item_id", "dimension", "scale_min", "scale_max", "reverse", "roles")
    per_role = items.explode("roles").group_by(pl.col("roles").alias("role"), "dimension").agg(n_items=pl.len())
    people = data.respondents.filter(pl.col(UNIT_COLUMN[level]) == unit_id)
    lo, hi, v = (pl.col(c).cast(pl.Float64) for c in ("scale_min", "scale_max", "value"))
    answered = (
        data.answers.join(people, on="respondent_id").join(items, on="item_id")
        .filter(pl.col("roles").list.contains(pl.col("role")) & pl.col("value").is_not_null() & ~pl.col("dont_know"))
        .with_columns(score=(pl.when(pl.col("reverse")).then(lo + hi - v).otherwise(v) - lo) / (hi - lo) * 100)
    )
    respondent = (
        answered.group_by("respondent_id", "wave", "role", "dimension").agg(k=pl.len(), index=pl.col("score").mean())
        .join(per_role, on=["role", "dimension"])
        .filter(pl.col("k") >= 0.5 * pl.col("n_items"))
    )
    out = {}
    for (dimension, wave), g in respondent.group_by("dimension", "wave"):
        x = g["index"].to_numpy()
        n, mean = len(x), float(x.mean())
        if n > 1:
            half = stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / n ** 0.5
            out[(str(dimension), str(wave))] = (n, mean, mean - half, mean + half)
        else:
            out[(str(dimension), str(wave))] = (n, mean, float("nan"), float("nan"))
    return out


class _Trend(HTMLParser):
    """The trend figure of a page: its cells' markup and text, and its chart spec."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inside = 0
        self.cell: dict[str, str | None] | None = None
        self.text: list[str] = []
        self.cells: list[tuple[dict[str, str | None], str]] = []
        self.spec_next = False
        self.specs: list[str] = []
        self.rows: list[list[str]] = []
        self.row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "figure" and a.get("data-figure") == "trend.index_mean":
            self.inside += 1
            self.figure = a
        elif self.inside and tag == "tr":
            self.row = []
        elif self.inside and tag in ("td", "th"):
            self.cell, self.text = a, []
        elif self.inside and tag == "script" and "ek-spec" in (a.get("class") or ""):
            self.spec_next = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure" and self.inside:
            self.inside -= 1
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            text = "".join(self.text).strip()
            if "data-figure" in self.cell:
                self.cells.append((self.cell, text))
            if self.row is not None:
                self.row.append(text)
            self.cell = None
        elif self.inside and tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None
        elif tag == "script":
            self.spec_next = False

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.text.append(data)
        if self.spec_next:
            self.specs.append(data)


def trend_of(html: str) -> _Trend:
    parsed = _Trend()
    parsed.feed(html)
    assert parsed.cells, "no trend figure on the page"
    return parsed


def number(text: str) -> float:
    return float(text.replace("\u2212", "-").replace(",", "."))


CELL = re.compile(r"(\S+) \((?:95\s%\sKI|95%\sCI) (\S+)–(\S+)\), n\s=\s(\d+)")
"""A shown cell of the trend's table: value (95 % KI low–high), n = N."""


def check_against_data(trend: _Trend, data: canonical.CanonicalData, level: str, unit_id: str,
                       language: str = "nb") -> set[str]:
    """Every shown point of the trend (its table cell and its chart row) equals the hand
    computation; returns the waves shown."""
    expected = expected_indices(data, level, unit_id)
    spec = json.loads("".join(trend.specs))
    rows = {(r["category"], r["wave"]): r for r in spec["datasets"]["rows"]}
    labels = {d: load_instrument().dimensions[d].label(language) for d in load_instrument().dimensions}
    shown_waves = set()
    checked = 0
    for attrs, text in trend.cells:
        figure = str(attrs["data-figure"])
        m = re.fullmatch(r"([a-z_]+)\.trend\.index_mean", figure)
        if not m or attrs.get("data-suppressed"):
            continue
        dimension, wave = m[1], str(attrs["data-wave"])
        n, mean, low, high = expected[(dimension, wave)]
        assert attrs["data-unit"] == f"{level}:{unit_id}"
        assert int(str(attrs["data-n"])) == n, (dimension, wave)
        cell = CELL.fullmatch(text)
        assert cell is not None, text
        # shown whole: each number within half a point of the hand computation
        for shown, exact in zip(cell.groups()[:3], (mean, low, high), strict=True):
            assert abs(number(shown) - exact) <= 0.5 + 1e-9, (dimension, wave, text, exact)
        assert int(cell[4]) == n
        row = rows[(labels[dimension], wave)]
        assert row["n"] == n and row["suppressed"] is False
        assert row["estimate"] == pytest.approx(mean, abs=1e-3)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=1e-3)
        shown_waves.add(wave)
        checked += 1
    assert checked >= 3
    return shown_waves


# --- pages rendered with `evalkit run` ------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("trend-pages")
    pages = {
        "municipality:0301": ["-f", str(REPO / "params" / "sample_municipality_0301.yml")],
        "network:ost": ["-f", str(REPO / "params" / "sample_network_ost.yml")],
        "municipality:5001": ["-f", str(REPO / "params" / "sample_municipality_0301.yml"),
                              "-p", "municipality_id", "5001"],
    }
    html = {}
    for unit, args in pages.items():
        target = out / (unit.replace(":", "-") + ".html")
        assert main(["run", *args, "--html", str(target), "--work", str(out / "work")]) == 0, unit
        html[unit] = target.read_text(encoding="utf-8")
    return html


@pytest.mark.slow
@pytest.mark.parametrize("unit", ["municipality:0301", "network:ost"])
def test_rendered_trend_shows_three_waves_equal_to_the_data(rendered: dict[str, str], sample_data: canonical.CanonicalData,
                                                            unit: str) -> None:
    level, unit_id = unit.split(":")
    trend = trend_of(rendered[unit])
    assert check_against_data(trend, sample_data, level, unit_id) == set(WAVES)
    spec = json.loads("".join(trend.specs))
    assert spec["encoding"]["yOffset"]["scale"]["domain"] == WAVES
    # every point of equality and impact is shown, and one line joins all three waves
    for dimension in ("equality", "impact"):
        cells = [a for a, _ in trend.cells if a["data-figure"] == f"{dimension}.trend.index_mean"]
        assert [a["data-wave"] for a in cells] == WAVES and all(a.get("data-n") for a in cells)
    panel = load_instrument().dimensions["equality"].label("nb")
    segments = {r["segment"] for r in spec["datasets"]["rows"] if r["category"] == panel}
    assert len(segments) == 1


@pytest.mark.slow
def test_rendered_trend_has_a_gap_where_a_wave_is_missing(rendered: dict[str, str],
                                                          sample_data: canonical.CanonicalData) -> None:
    """Trondheim took no part in 2024: no 2024 point (not zero) and no 2024 figure
    markup, "ingen svar" in the table, the line starts in 2025."""
    assert sample_data.respondents.filter((pl.col("municipality_id") == "5001") & (pl.col("wave") == "2024")).height == 0
    trend = trend_of(rendered["municipality:5001"])
    assert check_against_data(trend, sample_data, "municipality", "5001") == {"2025", "2026"}
    assert all(a["data-wave"] != "2024" for a, _ in trend.cells)
    panel = load_instrument().dimensions["equality"].label("nb")
    assert trend.rows[0] == ["Tema", *WAVES]
    equality = next(r for r in trend.rows if r[0] == panel)
    assert equality[1] == "ingen svar" and CELL.fullmatch(equality[2]) and CELL.fullmatch(equality[3])
    spec = json.loads("".join(trend.specs))
    rows = [r for r in spec["datasets"]["rows"] if r["category"] == panel]
    first = rows[0]
    assert first["wave"] == "2024" and first.get("estimate") is None and first["n"] is None
    assert first["label"] == "ingen svar" and first["suppressed"] is False and "segment" not in first
    assert rows[1]["segment"] == rows[2]["segment"]  # the line runs from 2025 to 2026
    assert "Likeverd i samarbeidet: ingen svar i 2024, " in rendered["municipality:5001"]  # the description


# --- in-process: hidden points, the chart and the text -----------------------------------


@pytest.fixture(scope="module")
def sandnes(sample_dir: Path):  # type: ignore[no-untyped-def]
    return municipality_report(municipality_id="1108", wave="2026", compare_wave="2025", data_dir=str(sample_dir))


def test_a_wave_under_the_unit_threshold_is_hidden_with_a_true_reason(sandnes, sample_data: canonical.CanonicalData) -> None:  # type: ignore[no-untyped-def]
    """Sandnes has 9 respondents in 2024 (the data say so): every 2024 point is hidden as
    'unit', says "under 10 svar", and carries no n; 2025 and 2026 are its own figures."""
    counts = sample_data.respondents.filter(pl.col("municipality_id") == "1108").group_by("wave").len()
    assert dict(counts.rows())["2024"] == 9
    trend = trend_of(sandnes.change().html())
    first = [(a, t) for a, t in trend.cells if a["data-wave"] == "2024"]
    assert first and all(a["data-suppressed"] == "unit" and "data-n" not in a for a, _ in first)
    assert {t for _, t in first} == {"under 10 svar"}
    spec = json.loads("".join(trend.specs))
    hidden = [r for r in spec["datasets"]["rows"] if r["wave"] == "2024"]
    assert hidden and all(r["suppressed"] and r["reason"] == "unit" and r.get("estimate") is None
                          and r["n"] is None and r["label"] == "under 10 svar" for r in hidden)
    assert check_against_data(trend, sample_data, "municipality", "1108") == {"2025", "2026"}


def test_trend_for_an_earlier_wave_runs_up_to_it(sample_dir: Path, sample_data: canonical.CanonicalData) -> None:
    report = network_report(network_id="sorvest", wave="2025", compare_wave="2024", data_dir=str(sample_dir),
                            language="en")
    trend = trend_of(report.change().html())
    assert check_against_data(trend, sample_data, "network", "sorvest", "en") == {"2024", "2025"}
    assert "The indices in each round, 2024–2025" in report.change().html()


def test_one_wave_has_no_trend(sample_dir: Path) -> None:
    html = network_report(network_id="ost", wave="2024", compare_wave=None, data_dir=str(sample_dir)).change().html()
    assert 'data-figure="trend.index_mean"' not in html
    assert "Utviklingen over tid vises når det finnes mer enn én runde." in html


def test_trend_chart_is_valid_vega_lite(monkeypatch: pytest.MonkeyPatch, sample_dir: Path) -> None:
    import evalkit.charts.survey as survey
    from evalkit.charts import trends

    monkeypatch.setattr(survey, "VALIDATE_SPECS", True)
    trends._trend_template.cache_clear()
    report = municipality_report(municipality_id="5001", wave="2026", compare_wave="2025", data_dir=str(sample_dir),
                                 language="nn", static_charts=True)
    html = report.change().html()
    trends._trend_template.cache_clear()
    assert "Indeksane i kvar runde, 2024–2026" in html and "<svg" in html
