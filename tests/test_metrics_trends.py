"""The indices of every wave up to the report's, for its trend (evalkit/metrics/trends.py
and what prepare does with it)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from evalkit import canonical
from evalkit.metrics.prepare import SETTINGS_VERSION, Prepared, prepare
from evalkit.metrics.trends import trend_waves
from tests.test_report_trend import expected_indices

KEYS = ["unit_level", "unit_id", "wave", "role_group", "dimension"]


@pytest.fixture(scope="module")
def prepared(sample_data: canonical.CanonicalData) -> Prepared:
    return prepare(sample_data, wave="2026", compare_wave="2025")


def _wave(p: Prepared, wave: str) -> pl.DataFrame:
    return p.indices.filter(pl.col("wave") == wave).sort(KEYS)


def test_indices_hold_every_wave_up_to_the_report(prepared: Prepared, sample_data: canonical.CanonicalData) -> None:
    assert sorted(set(prepared.indices["wave"])) == ["2024", "2025", "2026"]
    assert prepared.settings["trend_waves"] == ["2024", "2025", "2026"]
    assert prepared.settings["settings_version"] == SETTINGS_VERSION == 3
    earlier = prepare(sample_data, wave="2025")
    assert sorted(set(earlier.indices["wave"])) == ["2024", "2025"]
    # the other frames keep to the report's wave and its comparison wave
    for name in ("items", "respondent_counts", "reliability", "distributions"):
        assert set(getattr(prepared, name)["wave"]) == {"2025", "2026"}, name


def test_a_wave_has_the_same_figures_whatever_role_it_plays(prepared: Prepared, sample_data: canonical.CanonicalData) -> None:
    """2025 as the comparison wave, as an earlier wave of the trend, and as the report's
    wave; 2024 as an earlier wave and as the comparison wave: the same rows, suppressed alike."""
    no_compare = prepare(sample_data, wave="2026")
    own = prepare(sample_data, wave="2025", compare_wave="2024")
    assert _wave(prepared, "2025").equals(_wave(no_compare, "2025"))
    assert _wave(prepared, "2025").equals(_wave(own, "2025"))
    assert _wave(prepared, "2024").equals(_wave(own, "2024"))
    assert _wave(prepared, "2024").equals(_wave(prepare(sample_data, wave="2024"), "2024"))
    # adding earlier waves changes nothing of the report's own waves
    assert _wave(prepared, "2026").equals(_wave(prepare(sample_data, wave="2026", compare_wave="2025"), "2026"))


def test_earlier_wave_values_and_gaps_against_the_data(prepared: Prepared, sample_data: canonical.CanonicalData) -> None:
    everyone = prepared.indices.filter((pl.col("role_group") == "all") & (pl.col("wave") == "2024"))
    # Trondheim took no part in 2024: no row at all (a gap, not a zero)
    assert everyone.filter(pl.col("unit_id") == "5001").height == 0
    # Sandnes has 9 respondents in 2024: hidden as a unit under min_unit_n
    sandnes = everyone.filter(pl.col("unit_id") == "1108")
    assert sandnes.height and sandnes["suppressed"].all() and set(sandnes["reason"]) == {"unit_below_min_unit_n"}
    assert sandnes["n"].is_null().all() and sandnes["mean"].is_null().all()
    for level, unit_id in (("network", "midtnord"), ("network", "ost"), ("municipality", "0301")):
        expected = expected_indices(sample_data, level, unit_id)
        rows = everyone.filter((pl.col("unit_level") == level) & (pl.col("unit_id") == unit_id) & ~pl.col("suppressed"))
        assert rows.height >= 2
        for r in rows.iter_rows(named=True):
            n, mean, low, high = expected[(r["dimension"], "2024")]
            assert r["n"] == n
            assert (r["mean"], r["ci_low"], r["ci_high"]) == pytest.approx((mean, low, high), abs=1e-4)  # fixed-point sums


def test_trend_waves() -> None:
    assert trend_waves(["2024", "2025", "2026"], "2026") == ["2024", "2025", "2026"]
    assert trend_waves(["a"], "a") == ["a"]
    with pytest.raises(ValueError, match="'x' is not in the data"):
        trend_waves(["a"], "x")


def test_a_store_of_an_earlier_settings_version_is_refused(prepared: Prepared, tmp_path: Path, sample_dir: Path) -> None:
    """A store written before the trend lacks its earlier waves: a report refuses it."""
    import json

    from evalkit.instrument import load_instrument
    from evalkit.params import municipality_parameters
    from evalkit.report.setup import expected_settings
    from evalkit.store import StoreMismatch, read_unit, write_store

    write_store(prepared, tmp_path / "store", input_hash="x")
    params = municipality_parameters(municipality_id="0301", wave="2026", compare_wave="2025",
                                     data_dir=str(sample_dir))
    expected = expected_settings(params, "2026", load_instrument())
    read_unit(tmp_path / "store", "municipality", "0301", expected_settings=expected)
    settings = json.loads((tmp_path / "store" / "settings.json").read_text(encoding="utf-8"))
    settings["settings_version"] = 1
    (tmp_path / "store" / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    with pytest.raises(StoreMismatch, match="settings_version=1"):
        read_unit(tmp_path / "store", "municipality", "0301", expected_settings=expected)
