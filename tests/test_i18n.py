from __future__ import annotations

import string

from evalkit.i18n import LANGUAGES, _strings, fmt_interval, fmt_number, fmt_percent, text


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
