"""prepare() on the committed sample: shapes, schema, suppression audit, slices."""

from __future__ import annotations

import polars as pl
import pytest

from evalkit.canonical import CanonicalData
from evalkit.metrics import Prepared, prepare
from evalkit.metrics.schema import FRAMES, check_suppressed_n
from evalkit.schema import SchemaError


@pytest.fixture(scope="module")
def prepared(sample_data: CanonicalData) -> Prepared:
    return prepare(sample_data, wave="2026", compare_wave="2025")


def test_every_frame_has_its_documented_columns(prepared: Prepared) -> None:
    for name, spec in FRAMES.items():
        frame = getattr(prepared, name)
        assert frame.columns == spec.column_names, name
        assert frame.schema == spec.polars_schema, name


def test_n_is_null_whenever_suppressed(prepared: Prepared) -> None:
    for name in FRAMES:
        assert check_suppressed_n(getattr(prepared, name)), name


def test_no_nan_leaks(prepared: Prepared) -> None:
    for name in FRAMES:
        frame = getattr(prepared, name)
        floats = [c for c, t in frame.schema.items() if t == pl.Float64]
        if floats:
            nan = frame.select(pl.any_horizontal(pl.col(floats).is_nan().fill_null(False)).sum()).item()
            assert nan == 0, name


def test_no_visible_small_figure(prepared: Prepared) -> None:
    for name in ("items", "distributions", "indices", "reliability", "respondent_counts", "gaps",
                 "benchmarks", "changes"):
        frame = getattr(prepared, name)
        small = frame.filter(~pl.col("suppressed") & (pl.col("n") > 0) & (pl.col("n") < 5))
        assert small.height == 0, name


def test_every_level_present(prepared: Prepared) -> None:
    assert set(prepared.indices["unit_level"]) == {"team", "municipality", "network", "all"}
    assert set(prepared.indices["wave"]) == {"2024", "2025", "2026"}  # every wave up to 2026: its trend
    assert set(prepared.changes["compare_wave"]) == {"2025"}


def test_small_municipalities_get_nothing(prepared: Prepared, sample_data: CanonicalData) -> None:
    sizes = sample_data.respondents.filter(wave="2026").group_by("municipality_id").len()
    small = sizes.filter(pl.col("len") < 10)["municipality_id"].to_list()
    assert small, "the sample has small municipalities"
    rows = prepared.indices.filter((pl.col("unit_level") == "municipality") & pl.col("unit_id").is_in(
        pl.Series(small).implode()) & (pl.col("wave") == "2026"))
    assert rows["suppressed"].all()


def test_network_gap_available_for_fallback(prepared: Prepared) -> None:
    gaps = prepared.gaps.filter(unit_level="network", group="user_side", measure="index_mean",
                                dimension="equality")
    assert gaps.height == 3
    assert not gaps["suppressed"].any()
    assert gaps["flag"].all()  # the sample builds in a gap


def test_for_unit_slice(prepared: Prepared) -> None:
    muni = prepared.units.filter(unit_level="municipality").row(0, named=True)
    part = prepared.for_unit("municipality", muni["unit_id"])
    levels = set(zip(part.indices["unit_level"], part.indices["unit_id"], strict=True))
    assert ("network", muni["parent_id"]) in levels or not part.indices.height
    assert ("all", "all") in levels
    others = prepared.units.filter((pl.col("unit_level") == "municipality") & (pl.col("unit_id") != muni["unit_id"]))
    assert not any(lvl == "municipality" and uid in set(others["unit_id"]) for lvl, uid in levels)
    # Children's rows are only the visible ones.
    kids = part.indices.filter(unit_level="team")
    assert not kids["suppressed"].any()
    assert set(part.benchmarks["unit_id"]) <= {muni["unit_id"]}
    assert part.settings["slice"] == {"unit_level": "municipality", "unit_id": muni["unit_id"]}
    with pytest.raises(KeyError):
        prepared.for_unit("municipality", "9999")


def test_data_quality_and_counts(prepared: Prepared) -> None:
    dq = prepared.data_quality.filter(unit_level="all", wave="2026").row(0, named=True)
    assert dq["n_answered"] > 0
    assert 0 < dq["share_missing"] < 0.2
    counts = prepared.respondent_counts.filter(unit_level="all", wave="2026", role="all").row(0, named=True)
    assert counts["n_display"] == str(counts["n"])


def test_recruitment_and_promoters(prepared: Prepared) -> None:
    rec = prepared.recruitment.filter(unit_level="all", wave="2026", indicator="channel")
    assert set(rec["category"]) >= {"user_organisation", "known_to_team"}
    assert rec["n"].max() > 0
    prom = prepared.promoters.filter(unit_level="all", wave="2026", factor="reps_trained",
                                     dimension="equality").row(0, named=True)
    assert prom["estimate"] > 0  # the sample builds in a training effect


def test_charts_and_progress_included(prepared: Prepared) -> None:
    assert prepared.charts.height > 0
    assert prepared.progress.height > 0


def test_settings_recorded(prepared: Prepared) -> None:
    s = prepared.settings
    assert (s["wave"], s["compare_wave"], s["min_unit_n"], s["min_cell_n"]) == ("2026", "2025", 10, 5)
    assert s["instrument"].startswith("evalkit-member-survey@")
    assert len(s["instrument_hash"]) == 64


def test_compare_wave_must_be_earlier(sample_data: CanonicalData) -> None:
    with pytest.raises(ValueError, match="not earlier"):
        prepare(sample_data, wave="2025", compare_wave="2026")


def test_a_visible_response_rate_counts_exactly_the_units_respondents(
    prepared: Prepared, sample_data: CanonicalData
) -> None:
    # The count behind a shown rate must be a figure already published (and suppressed)
    # as the unit's respondent count, never a new partial sum. Counted here from the
    # respondents table directly.
    resp = sample_data.respondents
    column = {"team": "team_id", "municipality": "municipality_id", "network": "network_id"}
    rates = prepared.recruitment.filter(indicator="response_rate", suppressed=False).drop_nulls("count")
    assert rates.height > 0
    for r in rates.iter_rows(named=True):
        mine = resp.filter(wave=r["wave"])
        if r["unit_level"] != "all":
            mine = mine.filter(pl.col(column[r["unit_level"]]) == r["unit_id"])
        if r["category"] != "all":
            mine = mine.filter(role=r["category"])
        assert r["count"] == mine.height, r
    withheld = prepared.recruitment.filter(indicator="response_rate", reason="invited_not_known_for_every_team")
    assert withheld["estimate"].is_null().all()


def _with_answers(data: CanonicalData, answers: pl.DataFrame) -> CanonicalData:
    frames = {name: getattr(data, name) for name in ("respondents", "teams", "measures", "progress", "networks",
                                                     "municipalities", "waves", "measure_catalogue")}
    return CanonicalData.from_frames({**frames, "answers": answers})


def test_a_value_outside_its_items_scale_is_refused_with_its_row(sample_data: CanonicalData) -> None:
    answers = sample_data.answers
    # Two answers made impossible on the 1–5 scale; the first one (in file order) is named.
    bad_rows = [40, 7]
    broken = answers.with_columns(
        value=pl.when(pl.int_range(pl.len()).is_in(bad_rows)).then(pl.lit(9, pl.Int8)).otherwise(pl.col("value")))
    item = answers["item_id"][7]
    with pytest.raises(SchemaError, match=rf"answers.parquet, row 8, column 'value': value 9 is outside item "
                                          rf"'{item}''s scale 1–5 \(2 values outside their item's scale\)"):
        prepare(_with_answers(sample_data, broken), wave="2026")


def test_an_answer_to_an_item_the_instrument_lacks_is_refused(sample_data: CanonicalData) -> None:
    broken = sample_data.answers.with_columns(
        item_id=pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("eq_typo")).otherwise(pl.col("item_id")))
    with pytest.raises(SchemaError, match=r"row 4, column 'item_id': value 'eq_typo' is not an item of "
                                          r"evalkit-\S+ \(1 answer\(s\) to items it does not have\)"):
        prepare(_with_answers(sample_data, broken), wave="2026")


def test_same_data_same_bits_whatever_the_threads_do(sample_data: CanonicalData) -> None:
    """Issue 14, item 9: two prepare() runs on the same data differed in the last bits of
    index means and SDs, α and everything derived (float sums in thread order), so a
    rebuilt store re-rendered pages. Run it four times while two threads keep polars busy
    with other sums; every frame must be identical, bit for bit."""
    import threading

    stop = threading.Event()

    def load() -> None:
        frame = pl.DataFrame({"g": [i % 97 for i in range(200_000)], "x": [i / 7 for i in range(200_000)]})
        while not stop.is_set():
            frame.group_by("g").agg(pl.col("x").sum())

    busy = [threading.Thread(target=load) for _ in range(2)]
    for t in busy:
        t.start()
    try:
        runs = [prepare(sample_data, wave="2026", compare_wave="2025") for _ in range(4)]
    finally:
        stop.set()
        for t in busy:
            t.join()
    first = runs[0].frames()
    for other in runs[1:]:
        for name, frame in other.frames().items():
            assert frame.equals(first[name]), name


def test_fixed_point_sums_are_exact_in_any_order() -> None:
    from evalkit.metrics._stats import FIXED, fixed

    values = [100 / 3, 200 / 7, 0.1, 0.2, 0.3, 99.99999]
    forward = pl.select(fixed(pl.Series(values)).sum()).item()
    backward = pl.select(fixed(pl.Series(values[::-1])).sum()).item()
    assert forward == backward == sum(round(v * FIXED) for v in values)
