"""The sample's monthly improvement measures and progress scores (one random stream, the
sample's main one, plus the deteriorating series' own), and the measure catalogue."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

CATALOGUE = pl.DataFrame(
    {
        "measure_id": ["individual_plan", "what_matters", "waiting_days"],
        "label_nb": [
            "Andel pasienter med individuell plan",
            "Andel pasienter spurt «Hva er viktig for deg?»",
            "Ventetid til første samtale (dager)",
        ],
        "label_nn": [
            "Del pasientar med individuell plan",
            "Del pasientar spurde «Kva er viktig for deg?»",
            "Ventetid til første samtale (dagar)",
        ],
        "label_en": [
            "Share of patients with an individual plan",
            "Share of patients asked 'What matters to you?'",
            "Waiting time to first appointment (days)",
        ],
        "chart": ["p", "p", "i"],
        "better": ["up", "up", "down"],
        "target": [0.8, 0.9, 14.0],
        "unit": ["percent", "percent", "days"],
    }
)
_NOTES = ("Ny rutine innført", "Startet med «Hva er viktig for deg?»-samtaler", "Felles sjekkliste tatt i bruk")
# The one deteriorating series (sample scale): waiting time grows after staff left.
DETERIORATING = "T0301-2"
_DETERIORATION_NOTE = "To behandlere sluttet"

DETERIORATION_STREAM = 16
"""Seed of the deteriorating series' random stream: ``[seed, DETERIORATION_STREAM]``."""


def _months(start: dt.date, n: int) -> list[dt.date]:
    return [dt.date(start.year + (start.month - 1 + k) // 12, (start.month - 1 + k) % 12 + 1, 1) for k in range(n)]


def measures_and_progress(
    teams: pl.DataFrame,
    quality: np.ndarray,
    rng: np.random.Generator,
    *,
    start_month: dt.date,
    months: tuple[int, int],
    seed: int,
    deteriorating: str | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every team's monthly measures and progress scores: ``months`` (an inclusive range
    of lengths) ending in the same month, the longest starting at ``start_month``."""
    m_rows: dict[str, list[object]] = {k: [] for k in ("team_id", "measure_id", "period", "numerator", "denominator", "value", "note")}
    p_rows: dict[str, list[object]] = {k: [] for k in ("team_id", "period", "score", "assessor")}
    for i, team_id in enumerate(teams["team_id"].to_list()):
        n_months = int(rng.integers(months[0], months[1] + 1))
        start_offset = months[1] - n_months
        periods = _months(start_month, months[1])[start_offset:]
        improves = rng.random() < 0.45 + 0.3 * min(1.0, max(0.0, quality[i]))
        shift_at = int(rng.integers(6, max(7, n_months - 5)))
        measures = ["individual_plan", "what_matters"] + (["waiting_days"] if rng.random() < 0.5 else [])
        for measure in measures:
            note_at = shift_at if improves else -1
            for k, period in enumerate(periods):
                after = improves and k >= shift_at
                m_rows["team_id"].append(team_id)
                m_rows["measure_id"].append(measure)
                m_rows["period"].append(period)
                if measure == "waiting_days":
                    level = 30.0 - (10.0 if after else 0.0)
                    m_rows["numerator"].append(None)
                    m_rows["denominator"].append(None)
                    m_rows["value"].append(float(max(1.0, round(rng.normal(level, 4.0), 1))))
                else:
                    base = 0.35 if measure == "individual_plan" else 0.25
                    p = min(0.95, base + (0.3 if after else 0.0))
                    den = int(rng.integers(12, 45))
                    m_rows["numerator"].append(float(rng.binomial(den, p)))
                    m_rows["denominator"].append(float(den))
                    m_rows["value"].append(None)
                m_rows["note"].append(_NOTES[i % len(_NOTES)] if k == note_at and measure != "waiting_days" else None)
        level = 1.0
        for k, period in enumerate(periods):
            if k % 3 == 2 and rng.random() < 0.55 + 0.2 * (quality[i] > 0.3):
                level = min(5.0, level + 0.5)
            self_score = min(5.0, level + (0.5 if rng.random() < 0.35 else 0.0))
            for assessor, score in (("faculty", level), ("self", self_score)):
                p_rows["team_id"].append(team_id)
                p_rows["period"].append(period)
                p_rows["score"].append(score)
                p_rows["assessor"].append(assessor)
    measures_df = pl.DataFrame(
        m_rows,
        schema={"team_id": pl.String, "measure_id": pl.String, "period": pl.Date, "numerator": pl.Float64,
                "denominator": pl.Float64, "value": pl.Float64, "note": pl.String},
    ).with_columns(pl.col("note").is_in(list(_NOTES)).fill_null(False).alias("change_introduced"))
    if deteriorating is not None:
        measures_df = pl.concat([measures_df, _deteriorating_series(measures_df, deteriorating, seed)])
    progress_df = pl.DataFrame(
        p_rows, schema={"team_id": pl.String, "period": pl.Date, "score": pl.Float64, "assessor": pl.String}
    )
    return measures_df, progress_df


def _deteriorating_series(measures: pl.DataFrame, team_id: str, seed: int) -> pl.DataFrame:
    """One waiting-time series that gets worse (longer) after staff left: no change was
    introduced, so ``change_introduced`` is false on every month; drawn from a stream of
    its own and added to a team that had no waiting-time series (``DETERIORATING`` for
    the committed sample)."""
    has_waiting = set(measures.filter(pl.col("measure_id") == "waiting_days")["team_id"])
    if team_id in has_waiting:  # another seed: the first team without a waiting-time series
        free = [t for t in measures["team_id"].unique(maintain_order=True) if t not in has_waiting]
        if not free:
            return measures.clear()
        team_id = free[0]
    periods = measures.filter(pl.col("team_id") == team_id)["period"].unique().sort().to_list()
    rng = np.random.default_rng([seed, DETERIORATION_STREAM])
    worse_from = len(periods) - 9
    values = [
        float(max(1.0, round(rng.normal(18.0 + (12.0 if k >= worse_from else 0.0), 3.0), 1)))
        for k in range(len(periods))
    ]
    n = len(periods)
    return pl.DataFrame(
        {
            "team_id": [team_id] * n,
            "measure_id": ["waiting_days"] * n,
            "period": periods,
            "numerator": [None] * n,
            "denominator": [None] * n,
            "value": values,
            "note": [_DETERIORATION_NOTE if k == worse_from else None for k in range(n)],
            "change_introduced": [False] * n,
        },
        schema=measures.schema,
    )

