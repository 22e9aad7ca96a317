"""Tests for evalkit.runchart: Anhøj rules, chart numbers, summaries and progress scores.

Expected numbers are worked by hand in the comments, computed here from the textbook
formulas, or taken from scipy — never from the code under test.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from datetime import date

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal
from scipy.stats import binom

from evalkit.runchart import (
    CHART_COLUMNS,
    MIN_USEFUL_POINTS,
    anhoej,
    chart_summary,
    i_chart_sigma,
    p_chart_limits,
    prepare_charts,
    prepare_progress,
    progress_reached,
    runs_limits,
)

# --------------------------------------------------------------------------- helpers


def months(n: int, start: date = date(2015, 1, 1)) -> list[date]:
    index = start.year * 12 + start.month - 1
    return [date((index + i) // 12, (index + i) % 12 + 1, 1) for i in range(n)]


def measures_frame(
    team_id: str,
    measure_id: str,
    *,
    values: Sequence[float | None] | None = None,
    numerators: Sequence[float | None] | None = None,
    denominators: Sequence[float | None] | None = None,
    notes: list[str | None] | None = None,
    start: date = date(2015, 1, 1),
) -> pl.DataFrame:
    n = len(values if values is not None else numerators or [])
    return pl.DataFrame(
        {
            "team_id": [team_id] * n,
            "measure_id": [measure_id] * n,
            "period": months(n, start),
            "numerator": numerators if numerators is not None else [None] * n,
            "denominator": denominators if denominators is not None else [None] * n,
            "value": values if values is not None else [None] * n,
            "note": notes if notes is not None else [None] * n,
        },
        schema={
            "team_id": pl.String,
            "measure_id": pl.String,
            "period": pl.Date,
            "numerator": pl.Float64,
            "denominator": pl.Float64,
            "value": pl.Float64,
            "note": pl.String,
        },
    )


CATALOGUE = pl.DataFrame(
    {
        "measure_id": ["share", "pshare", "wait", "score"],
        "label_nb": ["Andel", "Andel p", "Ventetid", "Skår"],
        "label_nn": ["Del", "Del p", "Ventetid", "Skår"],
        "label_en": ["Share", "Share p", "Waiting time", "Score"],
        "chart": ["run", "p", "i", "i"],
        "better": ["up", "up", "down", "up"],
        "target": [0.8, 0.5, 20.0, None],
        "unit": ["percent", "percent", "days", "score"],
    },
    schema_overrides={"target": pl.Float64},
)

TEAMS = pl.DataFrame(
    {
        # one row per team and wave: T1 appears twice and must not be duplicated
        "team_id": ["T1", "T1", "T2", "T3"],
        "wave": ["2015", "2016", "2015", "2015"],
        "name": ["Team Øst", "Team Øst", "Team Vest", "Team Nord"],
        "network_id": ["N1", "N1", "N1", "N2"],
        "municipality_id": ["0301", "0301", "1103", "5001"],
    }
)


# ------------------------------------------------------------- Anhøj: hand-worked


def test_hand_worked_series_without_signal() -> None:
    values = [5, 7, 3, 8, 9, 2, 6, 4, 10, 1, 11, 12]
    # Sorted 1..12, so the median is (6 + 7) / 2 = 6.5; no point lies on it.
    # Sides: 5- 7+ 3- 8+ 9+ 2- 6- 4- 10+ 1- 11+ 12+
    # Runs:  [-] [+] [-] [+ +] [- - -] [+] [-] [+ +]  -> 8 runs, 7 crossings, longest 3
    # n = 12: longest-run limit round(log2(12) + 3) = round(6.585) = 7;
    # crossings limit: P(X <= 2) = (1 + 11 + 55) / 2^11 = 0.033 < 0.05,
    #                  P(X <= 3) = (67 + 165) / 2^11 = 0.113 >= 0.05  -> 3.
    r = anhoej(values)
    assert r.centre == 6.5
    assert (r.n_obs, r.n_useful) == (12, 12)
    assert (r.longest_run, r.n_crossings) == (3, 7)
    assert (r.longest_run_max, r.n_crossings_min) == (7, 3)
    assert r.runs_signal is False
    assert not r.too_few_points


def test_ties_on_the_median_are_dropped() -> None:
    values = [1, 2, 5, 5, 3, 5, 8, 9, 5, 7, 6, 5, 4, 10, 11]
    # Sorted: 1 2 3 4 5 5 5 5 5 6 7 8 9 10 11 -> median is the 8th value, 5.
    # The five 5s lie on the median and are dropped: n = 15 - 5 = 10.
    # Remaining sides: 1- 2- 3- 8+ 9+ 7+ 6+ 4- 10+ 11+
    # Runs: [- - -] [+ + + +] [-] [+ +] -> 4 runs, 3 crossings, longest 4.
    # n = 10: round(log2(10) + 3) = round(6.32) = 6;
    # Binomial(9, .5): P(X <= 1) = 10/512 = 0.020, P(X <= 2) = 46/512 = 0.090 -> 2.
    r = anhoej(values)
    assert r.centre == 5
    assert (r.n_obs, r.n_useful) == (15, 10)
    assert (r.longest_run, r.n_crossings) == (4, 3)
    assert (r.longest_run_max, r.n_crossings_min) == (6, 2)
    assert r.runs_signal is False


def test_nine_in_a_row_signals_by_the_longest_run_only() -> None:
    low, high = 10.0, 20.0
    signs = list("--+" * 5) + ["-"] + ["+"] * 9 + ["-"] * 4 + ["+"]
    values = [high if s == "+" else low for s in signs]
    # 15 lows and 15 highs: the median is (10 + 20) / 2 = 15, no ties.
    # Runs: [--][+] x5 = 10 runs, then [-], [+ x 9], [- x 4], [+] -> 14 runs,
    # 13 crossings, longest 9 (above the median).
    # n = 30: round(log2(30) + 3) = round(7.907) = 8 < 9 -> signal;
    # crossings limit qbinom(0.05, 29, 0.5) = 10 <= 13 -> no crossings signal.
    r = anhoej(values)
    assert r.centre == 15
    assert (r.n_useful, r.longest_run, r.n_crossings) == (30, 9, 13)
    assert (r.longest_run_max, r.n_crossings_min) == (8, 10)
    assert r.longest_run_side == "above"
    assert r.runs_signal
    assert r.long_run_signal
    assert not r.crossings_signal


def test_too_few_crossings_signal_alone() -> None:
    values = [1.0] * 5 + [9.0] * 5
    # Median (1 + 9) / 2 = 5. Runs [- x 5] [+ x 5]: longest 5 <= 6, crossings 1 < 2.
    r = anhoej(values)
    assert (r.longest_run, r.n_crossings) == (5, 1)
    assert r.crossings_signal
    assert not r.long_run_signal
    assert r.runs_signal


def test_given_centre_is_used_instead_of_the_median() -> None:
    # Against centre 0: signs + + - + (0 is dropped) -> runs [++][-][+], longest 2.
    r = anhoej([1.0, 2.0, -1.0, 0.0, 3.0], centre=0.0)
    assert r.centre == 0.0
    assert (r.n_obs, r.n_useful, r.longest_run, r.n_crossings) == (5, 4, 2, 2)


def test_nulls_are_skipped_not_zero() -> None:
    values = [5, 7, 3, 8, 9, 2, 6, 4, 10, 1, 11, 12]
    with_gaps: list[float | None] = [
        5,
        None,
        7,
        3,
        float("nan"),
        8,
        9,
        2,
        6,
        None,
        4,
        10,
        1,
        11,
        12,
    ]
    assert anhoej(with_gaps) == anhoej(values)
    # Treating the gaps as zeros would change the median and the runs:
    zeros = [0.0 if v is None or v != v else v for v in with_gaps]
    assert anhoej(zeros) != anhoej(values)
    assert anhoej(pl.Series([5, None, 7, 3, 8, 9, 2, 6, 4, 10, 1, 11, 12])) == anhoej(values)


def test_fewer_than_ten_points_is_a_clear_too_few_state() -> None:
    # Nine points zig-zagging around a given centre of 5 (with the median as centre an
    # odd count always puts a point on it), and eleven points of which three lie on
    # the median.
    nine = [1, 9, 1, 9, 1, 9, 1, 9, 1]
    r = anhoej(nine, centre=5)
    assert r.too_few_points
    assert (r.longest_run_max, r.n_crossings_min, r.runs_signal) == (None, None, False)
    assert (r.n_useful, r.longest_run, r.n_crossings) == (9, 1, 8)

    # A run of 9 would signal with enough points, but 9 < 10: no signal.
    r = anhoej([1, 2, 3, 4, 5, 6, 7, 8, 9], centre=0)
    assert r.too_few_points
    assert not r.runs_signal

    ties = [3, 3, 1, 2, 1, 5, 4, 5, 4, 3, 6]  # median 3, three points on it -> n = 8
    r = anhoej(ties)
    assert (r.n_obs, r.n_useful) == (11, 8)
    assert r.too_few_points
    assert r.longest_run_max is None
    assert not r.runs_signal


def test_empty_and_all_null_series() -> None:
    for values in ([], [None, None]):
        r = anhoej(values)
        assert r.centre is None
        assert (r.n_obs, r.n_useful, r.longest_run, r.n_crossings) == (0, 0, 0, 0)
        assert r.too_few_points
        assert not r.runs_signal


# ----------------------------------------------------------------- Anhøj: limits


def test_limits_match_scipy_and_log2_for_n_10_to_100() -> None:
    for n in range(10, 101):
        expected_run = round(math.log2(n) + 3)
        expected_crossings = int(binom.ppf(0.05, n - 1, 0.5))
        assert runs_limits(n) == (expected_run, expected_crossings), n
        r = anhoej([(-1.0) ** i for i in range(n)], centre=0.0)
        assert (r.longest_run_max, r.n_crossings_min) == (expected_run, expected_crossings)


def test_r_rounding_never_meets_a_half() -> None:
    # R's round() (IEC 60559) rounds halves to even: round(0.5) == 0, round(2.5) == 2,
    # and so does Python's. qicharts2 writes round(log2(n)) + 3, DOMAIN.md
    # round(log2(n) + 3); the two differ only at halves. log2(n) of a whole number is
    # whole or irrational, so no n gives a half and the choice never matters.
    assert (round(0.5), round(2.5), round(3.5)) == (0, 2, 4)
    for n in range(1, 10_001):
        fraction = math.log2(n) % 1
        assert abs(fraction - 0.5) > 1e-6, n
        assert round(math.log2(n)) + 3 == round(math.log2(n) + 3)


def test_published_limits() -> None:
    # Anhøj & Olesen (2014), table 1: n = 10 -> 6 and 2; n = 20 -> 7 and 6;
    # n = 30 -> 8 and 10; qicharts2's summary() example: n = 24 -> 8 and 8.
    assert runs_limits(10) == (6, 2)
    assert runs_limits(20) == (7, 6)
    assert runs_limits(24) == (8, 8)
    assert runs_limits(30) == (8, 10)
    assert runs_limits(MIN_USEFUL_POINTS - 1) is None


# -------------------------------------------------------------- Anhøj: properties


def naive_runs(values: list[float | None]) -> tuple[float | None, int, int, int]:
    """Independent oracle: centre, n_useful, longest run and crossings by a plain loop."""
    present = [v for v in values if v is not None]
    if not present:
        return None, 0, 0, 0
    centre = statistics.median(present)
    sides = [v > centre for v in present if v != centre]
    if not sides:
        return centre, 0, 0, 0
    runs, longest, current = 1, 1, 1
    for previous, side in itertools.pairwise(sides):
        if side == previous:
            current += 1
        else:
            runs += 1
            current = 1
        longest = max(longest, current)
    return centre, len(sides), longest, runs - 1


series = st.lists(st.integers(min_value=0, max_value=6).map(float), min_size=0, max_size=40)


@settings(max_examples=300, deadline=None)
@given(values=series)
def test_matches_a_naive_count(values: list[float]) -> None:
    centre, n_useful, longest, crossings = naive_runs(list(values))
    r = anhoej(values)
    assert r.centre == centre
    assert (r.n_useful, r.longest_run, r.n_crossings) == (n_useful, longest, crossings)
    if n_useful < 10:
        assert not r.runs_signal
        assert r.longest_run_max is None
    else:
        expected = longest > round(math.log2(n_useful) + 3) or crossings < int(
            binom.ppf(0.05, n_useful - 1, 0.5)
        )
        assert r.runs_signal == expected


@settings(max_examples=200, deadline=None)
@given(values=series, data=st.data())
def test_invariant_to_nulls_inserted(values: list[float], data: st.DataObject) -> None:
    with_nulls: list[float | None] = list(values)
    for _ in range(data.draw(st.integers(min_value=0, max_value=10))):
        at = data.draw(st.integers(min_value=0, max_value=len(with_nulls)))
        with_nulls.insert(at, None)
    assert anhoej(with_nulls) == anhoej(values)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=40))
def test_centre_is_the_median_and_mirroring_keeps_runs(values: list[float]) -> None:
    r = anhoej(values)
    assert r.centre == pytest.approx(statistics.median(values))
    assert r.n_useful == sum(v != r.centre for v in values)
    mirrored = anhoej([-v for v in values])
    assert (mirrored.longest_run, mirrored.n_crossings) == (r.longest_run, r.n_crossings)
    assert r.n_crossings <= max(r.n_useful - 1, 0)
    assert r.longest_run <= r.n_useful


# ------------------------------------------------------------ p- and i-chart limits


def test_p_chart_limits_by_hand() -> None:
    # centre = (10 + 30 + 5 + 25) / (100 + 100 + 50 + 50) = 70 / 300
    p = 70 / 300
    sd100 = math.sqrt(p * (1 - p) / 100)  # 0.04230
    sd50 = math.sqrt(p * (1 - p) / 50)  # 0.05982
    centre, lcl, ucl = p_chart_limits([10, 30, 5, 25], [100, 100, 50, 50])
    assert centre == pytest.approx(0.233333, abs=1e-6)
    assert lcl == pytest.approx([p - 3 * sd100, p - 3 * sd100, p - 3 * sd50, p - 3 * sd50])
    assert ucl == pytest.approx([0.360219, 0.360219, 0.412777, 0.412777], abs=1e-6)
    assert ucl[0] == pytest.approx(p + 3 * sd100)


def test_p_chart_limits_are_clipped_to_0_and_1() -> None:
    # p = 1/20 = 0.05; with n = 5, sd = sqrt(0.05 * 0.95 / 5) = 0.0975 -> lcl < 0 -> 0.
    _, lcl, _ = p_chart_limits([0, 1, 0, 0], [5, 5, 5, 5])
    assert lcl == [0.0] * 4
    # p = 19/20 = 0.95 -> ucl = 0.95 + 0.292 > 1 -> 1.
    _, _, ucl = p_chart_limits([5, 4, 5, 5], [5, 5, 5, 5])
    assert ucl == [1.0] * 4
    with pytest.raises(ValueError, match="positive"):
        p_chart_limits([1], [0])


def test_i_chart_sigma_screens_large_moving_ranges() -> None:
    values = [10, 12, 11, 13, 12, 40, 12, 11, 13, 12]
    # Moving ranges: 2 1 2 1 28 28 1 2 1 -> average 66 / 9 = 7.333.
    # Screening limit 3.267 * 7.333 = 23.96: the two 28s are left out.
    # Recomputed average (2 + 1 + 2 + 1 + 1 + 2 + 1) / 7 = 10 / 7; sigma = (10/7) / 1.128.
    assert i_chart_sigma(values) == pytest.approx((10 / 7) / 1.128)
    # Without the outlier nothing is screened: ranges 2 1 2 1 1 2 -> 9 / 6.
    assert i_chart_sigma([10, 12, 11, 13, 12, 11, 13]) == pytest.approx(1.5 / 1.128)
    # Nulls are skipped: the range is taken between the reported neighbours.
    assert i_chart_sigma([10, None, 12, 11]) == pytest.approx(1.5 / 1.128)
    assert i_chart_sigma([5.0]) is None
    assert i_chart_sigma([5.0, 5.0, 5.0]) is None  # every range is 0: nothing is kept


# ------------------------------------------------------------------ prepare_charts


def test_prepare_charts_run_chart_with_numerator_and_denominator() -> None:
    signs = list("--+" * 5) + ["-"] + ["+"] * 9 + ["-"] * 4 + ["+"]
    numerators = [8.0 if s == "+" else 4.0 for s in signs]
    measures = measures_frame("T1", "share", numerators=numerators, denominators=[10.0] * 30)
    charts = prepare_charts(measures, CATALOGUE, TEAMS)
    assert charts.columns == list(CHART_COLUMNS)
    assert charts.height == 30  # T1 has two waves in TEAMS but appears once
    row = charts.row(0, named=True)
    assert (row["team_name"], row["municipality_id"], row["network_id"]) == (
        "Team Øst",
        "0301",
        "N1",
    )
    assert (row["chart"], row["unit"], row["target"]) == ("run", "percent", 0.8)
    assert charts["y"].to_list() == pytest.approx([n / 10 for n in numerators])
    # Median of fifteen 0.4s and fifteen 0.8s is 0.6; same counts as the hand-worked
    # nine-in-a-row series above.
    assert charts["centre"].unique().to_list() == pytest.approx([0.6])
    assert charts["lcl"].null_count() == charts["ucl"].null_count() == 30
    assert charts["runs_signal"].all()
    assert (row["longest_run"], row["longest_run_max"], row["longest_run_side"]) == (9, 8, "above")
    assert (row["n_crossings"], row["n_crossings_min"], row["n_useful"], row["n_obs"]) == (
        13,
        10,
        30,
        30,
    )
    assert not charts["sigma_signal"].any()


def test_prepare_charts_value_and_nulls() -> None:
    values: list[float | None] = [5, None, 7, 3, 8, 9, 2, 6, 4, 10, 1, 11, 12]
    measures = measures_frame("T2", "share", values=values, notes=[None, "ferie", *[None] * 11])
    charts = prepare_charts(measures, CATALOGUE, TEAMS)
    assert charts.height == 13
    assert charts["y"].to_list() == values
    assert charts["note"][1] == "ferie"
    row = charts.row(0, named=True)
    # Same as the hand-worked series without signal: the null is skipped.
    assert (row["centre"], row["n_obs"], row["n_useful"]) == (6.5, 12, 12)
    assert (row["longest_run"], row["n_crossings"], row["runs_signal"]) == (3, 7, False)
    assert charts["sigma_signal"].to_list() == [False] * 13


def test_prepare_charts_denominator_zero_falls_back_to_value() -> None:
    measures = measures_frame(
        "T1", "share", numerators=[1.0, 0.0, 2.0], denominators=[2.0, 0.0, None]
    ).with_columns(value=pl.Series([None, None, 0.25]))
    charts = prepare_charts(measures, CATALOGUE, TEAMS)
    assert charts["y"].to_list() == [0.5, None, 0.25]
    assert charts["longest_run_max"].to_list() == [None] * 3  # too few points


def test_prepare_charts_p_chart_by_hand() -> None:
    numerators = [10.0, 30, 5, 25] * 3
    denominators = [100.0, 100, 50, 50] * 3
    measures = measures_frame("T1", "pshare", numerators=numerators, denominators=denominators)
    charts = prepare_charts(measures, CATALOGUE, TEAMS)
    p = 210 / 900  # pooled over all twelve points, = 70 / 300
    sd = [math.sqrt(p * (1 - p) / n) for n in denominators]
    assert charts["centre"].to_list() == pytest.approx([p] * 12)
    assert charts["lcl"].to_list() == pytest.approx([max(p - 3 * s, 0) for s in sd])
    assert charts["ucl"].to_list() == pytest.approx([min(p + 3 * s, 1) for s in sd])
    # y = 0.10 < lcl 0.1064 (n = 100) and y = 0.50 > ucl 0.4128 (n = 50) signal;
    # 0.30 and 0.10 (n = 50, lcl 0.0539) do not.
    assert charts["sigma_signal"].to_list() == [True, False, False, True] * 3


def test_prepare_charts_i_chart_by_hand() -> None:
    values = [10.0, 12, 11, 13, 12, 40, 12, 11, 13, 12]
    measures = measures_frame("T3", "score", values=values)
    charts = prepare_charts(measures, CATALOGUE, TEAMS)
    mean = 146 / 10
    sigma = (10 / 7) / 1.128  # screened moving ranges, see test_i_chart_sigma_...
    assert charts["centre"].to_list() == pytest.approx([mean] * 10)
    assert charts["ucl"].to_list() == pytest.approx([mean + 3 * sigma] * 10)  # 18.40
    assert charts["lcl"].to_list() == pytest.approx([mean - 3 * sigma] * 10)  # 10.80
    # 10 is below 10.80 and 40 above 18.40.
    assert charts["sigma_signal"].to_list() == [True, *[False] * 4, True, *[False] * 4]
    # Against the mean 14.6 only the 40 is above: runs [-x5][+][-x4], longest 5.
    row = charts.row(0, named=True)
    assert (row["longest_run"], row["n_crossings"], row["runs_signal"]) == (5, 2, False)


def test_i_chart_lower_limit_not_below_zero_for_days() -> None:
    values = [1.0, 9, 2, 8, 1, 9, 2, 8, 1, 9]
    # mean 5; ranges 8 7 6 7 8 7 6 7 8 -> 64/9, none screened; sigma 7.11 / 1.128 = 6.30
    charts = prepare_charts(measures_frame("T1", "wait", values=values), CATALOGUE, TEAMS)
    assert charts["lcl"].to_list() == [0.0] * 10
    assert charts["ucl"][0] == pytest.approx(5 + 3 * (64 / 9) / 1.128)
    scores = prepare_charts(measures_frame("T1", "score", values=values), CATALOGUE, TEAMS)
    assert scores["lcl"][0] == pytest.approx(5 - 3 * (64 / 9) / 1.128)


def test_frozen_baseline() -> None:
    values = [4.0, 6, 5, 7, 3, 6, 4, 5, 7, 3] + [8.0] * 10
    # Baseline = first 10 points: sorted 3 3 4 4 5 5 6 6 7 7 -> median 5.
    # Against 5 the two 5s are dropped: n = 18. Sides:
    # 4- 6+ 7+ 3- 6+ 4- 7+ 3- then 8+ x 10
    # Runs: [-][++][-][+][-][+][-][+ x 10] -> 8 runs, 7 crossings, longest 10
    # round(log2(18) + 3) = round(7.17) = 7 < 10 -> signal.
    charts = prepare_charts(
        measures_frame("T2", "share", values=values), CATALOGUE, TEAMS, baseline=10
    )
    assert charts["centre"].unique().to_list() == [5.0]
    assert charts["baseline"].to_list() == [True] * 10 + [False] * 10
    row = charts.row(0, named=True)
    assert (row["n_useful"], row["longest_run"], row["n_crossings"]) == (18, 10, 7)
    assert (row["longest_run_max"], row["runs_signal"]) == (7, True)
    # Without a baseline the median of all 20 is (7 + 8) / 2 = 7.5.
    assert (
        prepare_charts(measures_frame("T2", "share", values=values), CATALOGUE, TEAMS)["centre"][0]
        == 7.5
    )


def test_baseline_counts_reported_points() -> None:
    values: list[float | None] = [None, 4.0, 6, None, 5, 9, 9]
    charts = prepare_charts(
        measures_frame("T2", "share", values=values), CATALOGUE, TEAMS, baseline=3
    )
    # The first three reported points are 4, 6, 5: median 5.
    assert charts["baseline"].to_list() == [False, True, True, False, True, False, False]
    assert charts["centre"][0] == 5.0


def test_breaks_make_parts_recalculated_from_their_own_points() -> None:
    values = [float(v) for v in range(1, 13)] + [float(v) for v in range(21, 33)]
    measures = pl.concat(
        [measures_frame("T1", "share", values=values), measures_frame("T1", "score", values=values)]
    )
    charts = prepare_charts(
        measures, CATALOGUE, TEAMS, breaks={("T1", "share"): [date(2016, 1, 1)]}
    )
    share = charts.filter(pl.col("measure_id") == "share")
    assert share["part"].to_list() == [1] * 12 + [2] * 12
    # medians of 1..12 and 21..32
    assert share["centre"].to_list() == [6.5] * 12 + [26.5] * 12
    # Each part: six below then six above -> 2 runs, 1 crossing, longest 6; n = 12:
    # limits 7 and 3 -> crossings signal in both parts.
    assert share["n_crossings"].to_list() == [1] * 24
    assert share["runs_signal"].all()
    # The break was for one measure only.
    assert charts.filter(pl.col("measure_id") == "score")["part"].unique().to_list() == [1]
    # A team-wide break applies to every measure; a break before the data is no part.
    team_wide = prepare_charts(
        measures, CATALOGUE, TEAMS, breaks={"T1": [date(2010, 1, 1), date(2016, 1, 1)]}
    )
    assert team_wide.group_by("measure_id").agg(pl.col("part").max())["part"].to_list() == [2, 2]
    assert team_wide["part"][0] == 1


def test_baseline_applies_to_the_first_part_only() -> None:
    values = [1.0, 2, 3, 4, 5, 6, 7, 8, 10, 20, 30, 40]
    charts = prepare_charts(
        measures_frame("T1", "score", values=values),
        CATALOGUE,
        TEAMS,
        baseline=4,
        breaks={"T1": [date(2015, 9, 1)]},
    )
    # Part 1 (Jan-Aug): baseline 1, 2, 3, 4 -> mean 2.5. Part 2: mean of 10..40 = 25.
    assert charts["centre"].to_list() == [2.5] * 8 + [25.0] * 4


def test_several_teams_and_measures_in_one_pass() -> None:
    rng = np.random.default_rng(7)
    frames = []
    for team in ("T1", "T2", "T3"):
        frames.append(measures_frame(team, "share", values=list(rng.normal(size=15))))
        frames.append(
            measures_frame(
                team,
                "pshare",
                numerators=[float(x) for x in rng.integers(0, 20, size=15)],
                denominators=[20.0] * 15,
            )
        )
    charts = prepare_charts(pl.concat(frames), CATALOGUE, TEAMS)
    assert charts.height == 90
    assert charts.select("team_id", "measure_id", "period").is_duplicated().sum() == 0
    # Every series' runs columns agree with anhoej() applied to it alone.
    for (_, _, _), g in charts.group_by("team_id", "measure_id", "part"):
        r = anhoej(g["y"], centre=g["centre"][0])
        assert (g["n_useful"][0], g["longest_run"][0], g["n_crossings"][0]) == (
            r.n_useful,
            r.longest_run,
            r.n_crossings,
        )
        assert g["runs_signal"][0] == r.runs_signal
    # The run charts' centres are the medians (checked with numpy).
    for team in ("T1", "T2", "T3"):
        g = charts.filter((pl.col("team_id") == team) & (pl.col("measure_id") == "share"))
        assert g["centre"][0] == pytest.approx(float(np.median(g["y"].to_numpy())))


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.one_of(st.none(), st.integers(0, 5).map(float)), min_size=1, max_size=30))
def test_prepare_charts_runs_agree_with_anhoej(values: list[float | None]) -> None:
    charts = prepare_charts(measures_frame("T1", "share", values=values), CATALOGUE, TEAMS)
    r = anhoej(values)
    row = charts.row(0, named=True)
    assert row["centre"] == r.centre
    assert (row["n_obs"], row["n_useful"], row["longest_run"], row["n_crossings"]) == (
        r.n_obs,
        r.n_useful,
        r.longest_run,
        r.n_crossings,
    )
    assert (row["longest_run_max"], row["n_crossings_min"], row["runs_signal"]) == (
        r.longest_run_max,
        r.n_crossings_min,
        r.runs_signal,
    )


def test_prepare_charts_refuses_bad_input() -> None:
    measures = measures_frame("T1", "unknown", values=[1.0])
    with pytest.raises(ValueError, match="not in the measure catalogue: unknown"):
        prepare_charts(measures, CATALOGUE, TEAMS)
    with pytest.raises(ValueError, match="baseline"):
        prepare_charts(measures_frame("T1", "share", values=[1.0]), CATALOGUE, TEAMS, baseline=0)
    with pytest.raises(ValueError, match="lacks column"):
        prepare_charts(measures_frame("T1", "share", values=[1.0]).drop("note"), CATALOGUE, TEAMS)


def test_prepare_charts_empty_measures() -> None:
    charts = prepare_charts(measures_frame("T1", "share", values=[]), CATALOGUE, TEAMS)
    assert charts.height == 0
    assert charts.columns == list(CHART_COLUMNS)


# ------------------------------------------------------------------- chart_summary


def test_chart_summary_one_row_per_team_measure_part() -> None:
    values = [10.0, 12, 11, 13, 12, 40, 12, 11, 13, 12]
    measures = pl.concat(
        [measures_frame("T3", "score", values=values), measures_frame("T1", "share", values=values)]
    )
    charts = prepare_charts(measures, CATALOGUE, TEAMS, breaks={"T1": [date(2015, 6, 1)]})
    summary = chart_summary(charts)
    assert summary.select("team_id", "measure_id", "part").rows() == [
        ("T1", "share", 1),
        ("T1", "share", 2),
        ("T3", "score", 1),
    ]
    t3 = summary.row(2, named=True)
    assert t3["sigma_signal"] == 2  # 10 and 40, see test_prepare_charts_i_chart_by_hand
    assert t3["centre"] == pytest.approx(14.6)
    assert t3["avg_ucl"] == pytest.approx(14.6 + 3 * (10 / 7) / 1.128)
    assert (t3["n_obs"], t3["first_period"], t3["last_period"]) == (
        10,
        date(2015, 1, 1),
        date(2015, 10, 1),
    )
    # T1 part 1 = Jan..May (10 12 11 13 12): median 12; part 2 = Jun..Oct: median 12.
    assert summary["centre"].to_list()[:2] == [12.0, 12.0]
    assert summary["avg_lcl"].to_list()[:2] == [None, None]


# -------------------------------------------------------------------- progress


def progress_tables() -> tuple[pl.DataFrame, pl.DataFrame]:
    jun, dec = date(2015, 6, 1), date(2015, 12, 1)
    progress = pl.DataFrame(
        {
            "team_id": ["T1", "T1", "T2", "T2", "T1", "T1", "T2", "T2", "T3"],
            "period": [jun, dec, jun, dec, jun, dec, jun, dec, dec],
            "assessor": ["faculty"] * 4 + ["self"] * 4 + ["faculty"],
            "score": [4.0, 3.0, 2.0, 3.5, 2.5, 4.5, 3.0, 3.0, 5.0],
        }
    )
    return progress, TEAMS


def test_prepare_progress_network_median() -> None:
    progress, teams = progress_tables()
    out = prepare_progress(progress, teams)
    assert out.height == 9  # T1's two waves do not duplicate its scores
    n1_faculty = out.filter((pl.col("network_id") == "N1") & (pl.col("assessor") == "faculty"))
    # June: T1 4.0, T2 2.0 -> median 3.0; December: 3.0 and 3.5 -> 3.25.
    expected = {date(2015, 6, 1): 3.0, date(2015, 12, 1): 3.25}
    for row in n1_faculty.iter_rows(named=True):
        assert row["network_median"] == expected[row["period"]]
        assert row["network_teams"] == 2
    t3 = out.filter(pl.col("team_id") == "T3").row(0, named=True)
    assert (t3["network_id"], t3["network_median"], t3["network_teams"]) == ("N2", 5.0, 1)


def test_progress_reached_latest_and_highest() -> None:
    progress, teams = progress_tables()
    prepared = prepare_progress(progress, teams)
    latest = progress_reached(prepared)
    # N1 faculty, latest: T1 3.0, T2 3.5 -> both >= 3, none >= 4.
    # N1 self, latest: T1 4.5, T2 3.0 -> both >= 3, one >= 4.
    # N2 faculty: T3 5.0.
    expected = pl.DataFrame(
        {
            "network_id": ["N1", "N1", "N2"],
            "assessor": ["faculty", "self", "faculty"],
            "n_teams": [2, 2, 1],
            "n_modest": [2, 2, 1],
            "share_modest": [1.0, 1.0, 1.0],
            "n_significant": [0, 1, 1],
            "share_significant": [0.0, 0.5, 1.0],
            "median_score": [3.25, 3.75, 5.0],
        }
    )
    assert_frame_equal(latest, expected)
    highest = progress_reached(prepared, basis="highest")
    # N1 faculty, highest: T1 4.0 (June), T2 3.5 -> one >= 4.
    assert highest["n_significant"].to_list() == [1, 1, 1]
    with pytest.raises(ValueError, match="basis"):
        progress_reached(prepared, basis="mean")  # type: ignore[arg-type]
