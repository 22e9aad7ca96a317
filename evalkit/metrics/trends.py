"""The indices of the waves before those a report compares: its trend over all waves.

:func:`evalkit.metrics.prepare.prepare` computes every indicator for the report's wave
and its comparison wave. The trend over all waves (issue 17) needs each unit's indices
in every earlier wave too: :func:`earlier_indices` scores those waves' answers and sums
them exactly as ``prepare`` does for its own waves — everyone and each role group (the
role groups protect everyone's figure in complementary suppression) — over the units
that have people in those waves, ready for the same suppression. A unit with nobody in
a wave has no row of that wave: a gap in its trend, not a zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import polars as pl

from evalkit.metrics import suppression
from evalkit.metrics.indices import index_summary, respondent_indices_from_scored
from evalkit.metrics.likert import scored_answers
from evalkit.metrics.rollup import roll_up
from evalkit.units import Hierarchy

__all__ = ["EarlierIndices", "earlier_indices", "trend_waves"]


def trend_waves(order: Sequence[str], wave: str) -> list[str]:
    """The waves a report on ``wave`` shows a trend over: every wave up to and
    including it, baseline first (``order``: the data's waves, baseline first).

    Examples
    --------
    >>> trend_waves(["2024", "2025", "2026"], "2025")
    ['2024', '2025']
    >>> trend_waves(["2024", "2025"], "2023")
    Traceback (most recent call last):
    ...
    ValueError: wave '2023' is not in the data (waves: 2024, 2025)
    """
    if wave not in order:
        raise ValueError(f"wave {wave!r} is not in the data (waves: {', '.join(order)})")
    return list(order[: list(order).index(wave) + 1])


class EarlierIndices(NamedTuple):
    """Indices of some waves, not yet suppressed, with what their suppression needs."""

    indices: pl.DataFrame
    """As :func:`evalkit.metrics.indices.index_summary` returns them."""
    unit_sizes: pl.DataFrame
    """unit_level, unit_id, wave, n_respondents: each unit's respondents in each wave."""
    ancestors: pl.DataFrame
    """The relations complementary suppression checks, among the units with people in
    these waves (:func:`evalkit.metrics.suppression.ancestry`)."""


def earlier_indices(
    respondents: pl.DataFrame,
    answers: pl.DataFrame,
    items: pl.DataFrame,
    waves: Sequence[str],
    *,
    min_answered_share: float,
) -> EarlierIndices:
    """Every unit's indices in ``waves`` (by role group), not yet suppressed.

    Examples
    --------
    >>> from evalkit.canonical import load
    >>> from evalkit.instrument import load_instrument
    >>> from pathlib import Path
    >>> import evalkit
    >>> data = load(Path(evalkit.__file__).parents[1] / "data" / "sample")
    >>> got = earlier_indices(data.respondents, data.answers, load_instrument().items_frame(), ["2024"],
    ...                       min_answered_share=0.5)
    >>> got.indices["wave"].unique().to_list(), got.indices.filter(unit_id="5001").height
    (['2024'], 0)
    """
    chosen = respondents.filter(pl.col("wave").is_in(pl.Series(list(waves), dtype=pl.String).implode()))
    resp = chosen.lazy()
    sizes = roll_up(resp.with_columns(n_respondents=pl.lit(1, pl.Int64)), ["wave"], ["n_respondents"],
                    role_groups=False).collect()
    scored = scored_answers(answers.lazy(), resp, items)
    rindex = respondent_indices_from_scored(scored, resp, items, min_answered_share=min_answered_share)
    return EarlierIndices(index_summary(rindex.collect()), sizes, suppression.ancestry(Hierarchy.from_frames(chosen)))
