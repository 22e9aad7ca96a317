"""IHI progress scores: the network's median and how many teams reached 3 and 4.

Part of :mod:`evalkit.runchart`.
"""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

from evalkit.runchart.inputs import require_columns, team_facts

PROGRESS_MODEST: Final = 3.0
"""IHI progress score for "modest improvement"."""

PROGRESS_SIGNIFICANT: Final = 4.0
"""IHI progress score for "significant improvement"."""

ProgressBasis = Literal["latest", "highest"]


def prepare_progress(progress: pl.DataFrame, teams: pl.DataFrame) -> pl.DataFrame:
    """IHI progress scores per team and month with the network's median.

    Parameters
    ----------
    progress
        The canonical ``progress`` table (team_id, period, score, assessor).
    teams
        The canonical ``teams`` table (one row per team and wave; deduplicated here).

    Returns
    -------
    polars.DataFrame
        team_id, team_name, municipality_id, network_id, period, assessor, score,
        ``network_median`` (median score of the network's teams that month by the same
        assessor) and ``network_teams`` (how many teams that median is of), sorted by
        network, team, assessor and period.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> progress = pl.DataFrame({
    ...     "team_id": ["T1", "T2", "T3"], "period": [date(2015, 6, 1)] * 3,
    ...     "score": [2.0, 3.0, 4.5], "assessor": ["faculty"] * 3,
    ... })
    >>> teams = pl.DataFrame({"team_id": ["T1", "T2", "T3"], "name": ["A", "B", "C"],
    ...     "network_id": ["N1"] * 3, "municipality_id": ["0301", "0301", "1103"]})
    >>> prepare_progress(progress, teams)["network_median"].to_list()
    [3.0, 3.0, 3.0]
    """
    require_columns(progress, ("team_id", "period", "score", "assessor"), "progress")
    cell = ("network_id", "period", "assessor")
    return (
        progress.select("team_id", "period", pl.col("score").cast(pl.Float64), "assessor")
        .join(team_facts(teams), on="team_id", how="left")
        .with_columns(
            network_median=pl.col("score").median().over(cell),
            network_teams=pl.col("score").count().over(cell).cast(pl.Int64),
        )
        .select(
            "team_id",
            "team_name",
            "municipality_id",
            "network_id",
            "period",
            "assessor",
            "score",
            "network_median",
            "network_teams",
        )
        .sort("network_id", "team_id", "assessor", "period")
    )


def progress_reached(progress: pl.DataFrame, *, basis: ProgressBasis = "latest") -> pl.DataFrame:
    """How many teams reached modest (≥ 3) and significant (≥ 4) improvement.

    Parameters
    ----------
    progress
        The result of :func:`prepare_progress`.
    basis
        ``"latest"``: each team's most recent score; ``"highest"``: its highest score.

    Returns
    -------
    polars.DataFrame
        One row per network and assessor: ``n_teams`` (teams scored), ``n_modest``
        (score ≥ 3), ``n_significant`` (score ≥ 4), their shares of ``n_teams``, and
        ``median_score`` of the teams' scores.

    Examples
    --------
    >>> from datetime import date
    >>> import polars as pl
    >>> progress = pl.DataFrame({
    ...     "team_id": ["T1", "T1", "T2", "T3"], "network_id": ["N1"] * 4,
    ...     "period": [date(2015, 1, 1), date(2015, 6, 1), date(2015, 6, 1), date(2015, 6, 1)],
    ...     "assessor": ["faculty"] * 4, "score": [4.0, 3.0, 2.0, 4.5],
    ... })
    >>> progress_reached(progress).select("n_teams", "n_modest", "n_significant").row(0)
    (3, 2, 1)
    >>> progress_reached(progress, basis="highest")["n_significant"][0]
    2
    """
    if basis not in ("latest", "highest"):
        raise ValueError(f"basis must be 'latest' or 'highest', got {basis!r}")
    per_team = progress.filter(pl.col("score").is_not_null()).group_by(
        "network_id", "assessor", "team_id"
    )
    if basis == "latest":
        scores = per_team.agg(score=pl.col("score").sort_by("period").last())
    else:
        scores = per_team.agg(score=pl.col("score").max())
    return (
        scores.group_by("network_id", "assessor")
        .agg(
            n_teams=pl.len().cast(pl.Int64),
            n_modest=(pl.col("score") >= PROGRESS_MODEST).sum().cast(pl.Int64),
            n_significant=(pl.col("score") >= PROGRESS_SIGNIFICANT).sum().cast(pl.Int64),
            median_score=pl.col("score").median(),
        )
        .with_columns(
            share_modest=pl.col("n_modest") / pl.col("n_teams"),
            share_significant=pl.col("n_significant") / pl.col("n_teams"),
        )
        .select(
            "network_id",
            "assessor",
            "n_teams",
            "n_modest",
            "share_modest",
            "n_significant",
            "share_significant",
            "median_score",
        )
        .sort("network_id", "assessor")
    )
