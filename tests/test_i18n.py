from __future__ import annotations

import string
from datetime import date

from evalkit.figure import round_floats
from evalkit.i18n import (
    LANGUAGES,
    _strings,
    fmt_date,
    fmt_interval,
    fmt_month,
    fmt_month_short,
    fmt_number,
    fmt_percent,
    fmt_value,
    month_abbreviations,
    text,
)


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_text_exists_in_every_language_with_the_same_placeholders() -> None:
    for key, variants in _strings().items():
        assert set(variants) == set(LANGUAGES), key
        fields = {lang: _fields(variants[lang]) for lang in LANGUAGES}
        assert fields["nb"] == fields["nn"] == fields["en"], (key, fields)
        assert all(v.strip() for v in variants.values()), key


def test_norwegian_numbers_use_decimal_comma_and_spaced_percent() -> None:
    assert fmt_percent(0.72, "nb") == "72\u00a0%"
    assert fmt_percent(0.72, "en") == "72%"
    assert fmt_number(12345.678, "nn", 2) == "12\u00a0345,68"
    assert fmt_number(-0.04, "nb", 1) == "0,0"  # no minus on a number that rounds to zero
    assert fmt_interval(0.64, 0.79, "nb") == "95\u00a0% KI 64–79\u00a0%"
    assert fmt_interval(-3.0, 15.0, "en", percent=False, label=False) == "\u22123 to 15"


def test_finding_sentence_as_the_issue_shows_it() -> None:
    sentence = text("finding_equality", "nb", pct=fmt_percent(0.72, "nb"), interval=fmt_interval(0.64, 0.79, "nb"))
    assert sentence == "72\u00a0% (95\u00a0% KI 64–79\u00a0%) opplever samarbeidet som likeverdig."


# Expected values below are written by hand from CLDR (as Babel 2.18 ships it): nb and nn
# group thousands with U+00A0 NO-BREAK SPACE, write a decimal comma and put a no-break
# space before "%"; English groups with a comma. CLDR's English minus is a hyphen; evalkit
# writes U+2212 MINUS SIGN in every language.
NBSP = "\u00a0"
MINUS = "\u2212"


def test_numbers_follow_cldr_with_one_minus_sign() -> None:
    assert fmt_number(1234.5, "nb", 1) == f"1{NBSP}234,5"
    assert fmt_number(1234567.0, "nn") == f"1{NBSP}234{NBSP}567"
    assert fmt_number(1234.5, "en", 1) == "1,234.5"
    assert fmt_number(-1234.5, "nb", 1) == f"{MINUS}1{NBSP}234,5"
    assert fmt_number(-1234.5, "en", 1) == f"{MINUS}1,234.5"
    # A tie is decided on the decimal digits (half to even), not by the binary float
    # nearest to it: 2.675 is stored as 2.67499…, and still shows as 2.68.
    assert fmt_number(2.675, "en", 2) == "2.68"
    assert fmt_number(0.125, "nb", 2) == "0,12"  # an exact half goes to the even digit
    assert fmt_number(None, "nb") == "–"
    assert fmt_number(float("nan"), "en") == "–"


def test_summation_noise_never_changes_a_shown_figure() -> None:
    """Regression: a national page showed 77 on one run and 78 on the next, for a mean
    of 77.5 summed in a different order (77.49999999999999 vs 77.50000000000001)."""
    for low, high, decimals in [(77.49999999999999, 77.50000000000001, 0),
                                (7.499999999999986, 7.500000000000014, 0),
                                (9.531249999999998, 9.531250000000002, 4)]:
        assert fmt_number(low, "nb", decimals) == fmt_number(high, "nb", decimals)
    assert round_floats({"x": [9.531249999999998]}) == round_floats({"x": [9.531250000000002]})


def test_percent_follows_cldr() -> None:
    assert fmt_percent(0.725, "nb", 1) == f"72,5{NBSP}%"
    assert fmt_percent(0.725, "nn", 1) == f"72,5{NBSP}%"
    assert fmt_percent(0.725, "en", 1) == "72.5%"
    assert fmt_percent(-0.05, "nb") == f"{MINUS}5{NBSP}%"


def test_run_chart_values_use_the_same_formatter() -> None:
    assert fmt_value(0.725, "percent", "nb") == f"72,5{NBSP}%"
    assert fmt_value(1234.5, "days", "nb") == f"1{NBSP}234,5"
    assert fmt_value(-2.5, "count", "en") == f"{MINUS}2.5"  # was a hyphen before Babel
    assert fmt_value(-0.04, "days", "nb") == "0,0"  # no sign on a value that rounds to zero
    assert fmt_value(3.0, "count", "nn") == "3"
    assert fmt_value(None, "score", "en") == "–"


def test_months_and_dates_from_cldr() -> None:
    assert fmt_month(date(2015, 3, 1), "nb") == "mars 2015"
    assert fmt_month(date(2016, 2, 1), "nn") == "februar 2016"
    assert fmt_month(date(2015, 3, 1), "en") == "March 2015"
    assert fmt_month_short(date(2025, 1, 1), "nb") == "jan. 2025"
    assert fmt_month_short(date(2025, 1, 1), "nn") == "jan. 2025"
    assert fmt_month_short(date(2025, 6, 1), "nb") == "juni 2025"
    assert fmt_month_short(date(2025, 1, 1), "en") == "Jan 2025"
    assert month_abbreviations("nb") == ("jan.", "feb.", "mars", "apr.", "mai", "juni", "juli", "aug.",
                                         "sep.", "okt.", "nov.", "des.")
    assert fmt_date(date(2026, 2, 1), "nb") == "01.02.2026"
    assert fmt_date(date(2026, 2, 1), "en") == "2026-02-01"


def test_chart_month_labels_agree_with_the_text() -> None:
    # The run charts build their axis labels from month_abbreviations + " " + year.
    for language in LANGUAGES:
        for month in range(1, 13):
            day = date(2025, month, 1)
            assert fmt_month_short(day, language) == f"{month_abbreviations(language)[month - 1]} 2025"
