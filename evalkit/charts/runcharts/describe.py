"""Plain-language descriptions of run charts and progress scores (nb, nn, en)."""

from __future__ import annotations

import polars as pl

from evalkit.charts.runcharts.common import runchart_text as _t
from evalkit.charts.runcharts.common import single_measure
from evalkit.i18n import Language, check_language, fmt_month, fmt_value
from evalkit.runchart import (
    MIN_USEFUL_POINTS,
    ProgressBasis,
    SeriesChange,
    anhoej,
    progress_reached,
    series_change,
)


def _plural(k: int, language: Language, one: str, many: str) -> str:
    return _t(one if k == 1 else many, language)


def _rules_found(first: dict[str, object], language: Language, centre_word: str) -> str:
    """What the Anhøj rules found in one part: a long run and/or too few crossings."""
    parts: list[str] = []
    if int(first["longest_run"]) > int(first["longest_run_max"]):  # type: ignore[call-overload]
        side = str(first["longest_run_side"])
        parts.append(
            _t("long_run", language, k=first["longest_run"], side=_t(side, language), centre=centre_word)
        )
    if int(first["n_crossings"]) < int(first["n_crossings_min"]):  # type: ignore[call-overload]
        c = int(first["n_crossings"])  # type: ignore[call-overload]
        key = "no_crossings" if c == 0 else "crossings"
        parts.append(
            _t(key, language, centre=centre_word, c=c,
               times=_plural(c, language, "time", "times"), m=first["n_crossings_min"])
        )
    return _t("and", language).join(parts)


def _change_sentence(change: SeriesChange, unit: str, level: str, language: Language) -> str:
    """Better or worse, since when, from which level to which."""
    assert change.since is not None  # a change found by the rules has a month
    values = {
        "month": fmt_month(change.since, language),
        "before": fmt_value(change.before, unit, language),
        "after": fmt_value(change.after, unit, language),
    }
    noun = _t(f"noun_{unit}" if unit in ("percent", "days", "count", "score") else "noun_count", language)
    if change.direction is None:
        return _t("change_level", language, **values)
    moved = _t("rose" if (change.after or 0) > (change.before or 0) else "fell", language)
    kind = _t(change.direction, language)
    if change.marked:
        return _t("change_after", language, kind=kind, moved=moved, noun=noun, **values)
    return _t("change", language, kind=kind, moved=moved, noun=noun, level=level, **values)


def _describe_team(rows: pl.DataFrame, language: Language) -> str:
    """Sentences for one team × measure (rows sorted by period)."""
    first = rows.row(0, named=True)
    reported = rows.filter(pl.col("y").is_not_null())
    if reported.height == 0:
        return _t("no_data", language)
    unit = str(first["unit"])
    centre_word = _t("median", language) if first["chart"] == "run" else _t("average", language)
    change = series_change(rows)
    latest = reported.filter(pl.col("part") == pl.col("part").max())
    latest_first = latest.row(0, named=True)
    sentences: list[str] = []
    n_useful = int(first["n_useful"]) if not change.marked else int(anhoej(reported["y"]).n_useful)
    if change.signal:
        sentences.append(_change_sentence(change, unit, centre_word, language))
        if not change.marked:
            sentences.append(_t("basis", language, what=_rules_found(first, language, centre_word)))
    elif not change.enough:
        sentences.append(
            _t("too_few", language, n=n_useful,
               points=_plural(n_useful, language, "point", "points"), min=MIN_USEFUL_POINTS)
        )
    else:
        sentences.append(_t("no_signal", language))
    if change.marked and not change.signal and change.since is not None:
        noun = _t(f"noun_{unit}" if unit in ("percent", "days", "count", "score") else "noun_count", language)
        sentences.append(
            _t("levels_after", language, month=fmt_month(change.since, language), noun=noun,
               before=fmt_value(change.before, unit, language), after=fmt_value(change.after, unit, language))
        )
    outside = reported.filter(pl.col("sigma_signal"))
    if outside.height:
        months = ", ".join(fmt_month(d, language) for d in outside.get_column("period"))
        sentences.append(
            _t(
                "sigma_one" if outside.height == 1 else "sigma_many",
                language,
                k=outside.height,
                points=_plural(outside.height, language, "point", "points"),
                months=months,
            )
        )
    if change.signal and not change.marked and first["chart"] != "run":
        sentences.append(_t("limits_void", language))
    n_baseline = int(reported.filter(pl.col("part") == 1).get_column("baseline").sum())
    if n_baseline < reported.filter(pl.col("part") == 1).height:
        sentences.append(_t("frozen", language, k=n_baseline))
    last = reported.row(reported.height - 1, named=True)
    sentences.append(
        _t(
            "centre_is",
            language,
            Centre=centre_word[:1].upper() + centre_word[1:],
            centre_value=fmt_value(latest_first["centre"], unit, language),
            month=fmt_month(last["period"], language),
            last=fmt_value(last["y"], unit, language),
        )
    )
    return " ".join(sentences)


def describe_measure(
    charts: pl.DataFrame, *, measure_id: str | None = None, language: Language = "nb"
) -> str:
    """Say in plain words what the runs and sigma rules found for one measure.

    The first line counts the teams whose series shows a sign of change, improvements
    and deteriorations apart; then one line per team, beginning with the team's name,
    says in the measure's own terms (its ``better``) whether the change is an
    improvement or a deterioration, since when and from which level to which
    (:func:`evalkit.runchart.series_change`), and what the rules found. The title (the
    measure's label) is the chart's, not the text's.

    Parameters
    ----------
    charts
        Rows of :func:`evalkit.runchart.prepare_charts`.
    measure_id
        The measure to describe; may be left out when the frame holds one measure.
    language
        ``nb``, ``nn`` or ``en``.

    Returns
    -------
    str

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> from evalkit.runchart import prepare_charts
    >>> months = pl.date_range(date(2015, 1, 1), date(2015, 12, 1), "1mo", eager=True)
    >>> measures = pl.DataFrame({
    ...     "team_id": ["T1"] * 12, "measure_id": ["plan"] * 12, "period": months,
    ...     "numerator": [2.0, 3, 2, 3, 2, 3, 6, 7, 8, 7, 8, 9], "denominator": [10.0] * 12,
    ...     "value": [None] * 12, "note": [None] * 12})
    >>> catalogue = pl.DataFrame({"measure_id": ["plan"], "label_nb": ["Individuell plan"],
    ...     "label_nn": ["Individuell plan"], "label_en": ["Individual plan"],
    ...     "chart": ["run"], "better": ["up"], "target": [0.8], "unit": ["percent"]})
    >>> teams = pl.DataFrame({"team_id": ["T1"], "name": ["Team Øst"],
    ...     "network_id": ["N1"], "municipality_id": ["0301"]})
    >>> charts = prepare_charts(measures, catalogue, teams)
    >>> print(describe_measure(charts, language="nb").replace("\\xa0", " "))
    1 av 1 team viser tegn til endring: forbedring i 1, forverring i 0.
    Team Øst: Tegn til endring – en forbedring: fra juli 2015 steg andelen fra 25,0 % til 75,0 % (medianen før og etter). Grunnlag: kurven krysser medianen bare 1 gang (ventet minst 3). Medianen er 45,0 %; siste måling (desember 2015) er 90,0 %. Målet er 80,0 %.
    """
    language = check_language(language)
    measure_id, rows = single_measure(charts, measure_id)
    first = rows.row(0, named=True)
    lines: list[str] = []
    better = worse = signalling = 0
    teams = rows.partition_by("team_id", maintain_order=True)
    for team_rows in teams:
        change = series_change(team_rows)
        signalling += change.signal
        better += change.improvement
        worse += change.deterioration
        said = _describe_team(team_rows, language)
        if first["target"] is not None:
            said += " " + _t(
                "target_is", language, target=fmt_value(first["target"], str(first["unit"]), language)
            )
        lines.append(f"{team_rows.get_column('team_name')[0]}: {said}")
    if signalling:
        header = _t("header_split", language, k=signalling, n=len(teams), up=better, down=worse)
    else:
        header = _t("header", language, k=signalling, n=len(teams))
    return "\n".join([header, *lines])


def describe_progress(
    progress: pl.DataFrame, *, language: Language = "nb", basis: ProgressBasis = "latest"
) -> str:
    """Say how many teams reached modest (≥ 3) and significant (≥ 4) improvement.

    Parameters
    ----------
    progress
        The result of :func:`evalkit.runchart.prepare_progress`.
    language
        ``nb``, ``nn`` or ``en``.
    basis
        ``"latest"`` or ``"highest"`` score per team, as in
        :func:`evalkit.runchart.progress_reached`.

    Returns
    -------
    str

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> from evalkit.runchart import prepare_progress
    >>> progress = pl.DataFrame({"team_id": ["T1", "T2", "T3"],
    ...     "period": [date(2015, 6, 1)] * 3, "score": [2.0, 3.0, 4.5],
    ...     "assessor": ["faculty"] * 3})
    >>> teams = pl.DataFrame({"team_id": ["T1", "T2", "T3"], "name": ["A", "B", "C"],
    ...     "network_id": ["N1"] * 3, "municipality_id": ["0301"] * 3})
    >>> print(describe_progress(prepare_progress(progress, teams), language="en"))
    Progress score from 0.5 to 5: 3 means modest improvement, 4 significant improvement and 5 outstanding, sustainable results.
    By the faculty's latest assessment, 2 of 3 teams have reached at least 3 (modest improvement), and 1 have reached at least 4 (significant improvement).
    """
    language = check_language(language)
    reached = progress_reached(progress, basis=basis)
    if reached.height == 0:
        return _t("no_progress", language)
    several = reached.get_column("network_id").n_unique() > 1
    lines = [_t("progress_intro", language)]
    for row in reached.sort("network_id", "assessor").iter_rows(named=True):
        prefix = _t("network", language, network=row["network_id"]) if several else ""
        whose = _t("faculty_whose" if row["assessor"] == "faculty" else "self_whose", language)
        sentence = _t(
            f"progress_{basis}",
            language,
            whose=whose, a=row["n_modest"], n=row["n_teams"], b=row["n_significant"]
        )
        lines.append(prefix + sentence)
    return "\n".join(lines)
