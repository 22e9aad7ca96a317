"""Run charts and control charts for the teams' monthly improvement measures.

The numbers behind the "impact on results" pillar: the Anhøj runs rules
(:func:`anhoej`), chart data for run charts, p-charts and i-charts for every team and
measure in one pass (:func:`prepare_charts`), a per-part summary like R's qicharts2
``summary()`` (:func:`chart_summary`), and the IHI progress scores
(:func:`prepare_progress`, :func:`progress_reached`). The Altair builders live in
:mod:`evalkit.charts.runcharts`.

Modules: :mod:`~evalkit.runchart.rules` (Anhøj runs rules),
:mod:`~evalkit.runchart.limits` (p- and i-chart numbers), :mod:`~evalkit.runchart.parts`
(breaks), :mod:`~evalkit.runchart.charts` (chart data and summary) and
:mod:`~evalkit.runchart.progress` (IHI progress scores) and
:mod:`~evalkit.runchart.change` (better or worse, since when, from which level to
which: :func:`series_change`); import from
``evalkit.runchart``.

R's qicharts2 is the reference whose semantics we follow, with these deliberate
differences:

* With fewer than :data:`MIN_USEFUL_POINTS` useful points there is no runs signal and
  the limits are ``None`` (qicharts2 tests from 1 point on; Anhøj advises about 10).
* Nulls are skipped everywhere: in the runs analysis, in the centre, and in the
  i-chart's moving ranges, which are taken between consecutive *reported* points
  (qicharts2 drops a moving range next to a missing value). So inserting empty months
  never changes a result.
* A frozen baseline counts the first ``baseline`` *reported* points of a series' first
  part; parts after a break are always calculated from all their own points.
* An i-chart's lower limit is not drawn below 0 for measures that cannot be negative
  (units ``count``, ``days``, ``percent``), as qicharts2 does with ``y.neg = FALSE``.
  This changes no signal.

Monthly measures are counts of patients as teams report them, not survey answers: they
are shown as reported, without small-number suppression. No patient-level data ever
enters evalkit. For unit ``percent`` the plotted ``y`` and the catalogue's ``target``
are proportions on 0–1.
"""

from __future__ import annotations

from evalkit.runchart.change import Direction, SeriesChange, series_change, series_changes
from evalkit.runchart.charts import CHART_COLUMNS, chart_summary, prepare_charts
from evalkit.runchart.limits import MR_SCREEN_FACTOR, i_chart_sigma, p_chart_limits
from evalkit.runchart.parts import BreakKey
from evalkit.runchart.progress import (
    PROGRESS_MODEST,
    PROGRESS_SIGNIFICANT,
    ProgressBasis,
    prepare_progress,
    progress_reached,
)
from evalkit.runchart.rules import MIN_USEFUL_POINTS, RunsAnalysis, Side, anhoej, runs_limits

__all__ = [
    "CHART_COLUMNS",
    "MIN_USEFUL_POINTS",
    "MR_SCREEN_FACTOR",
    "PROGRESS_MODEST",
    "PROGRESS_SIGNIFICANT",
    "BreakKey",
    "Direction",
    "ProgressBasis",
    "RunsAnalysis",
    "SeriesChange",
    "Side",
    "anhoej",
    "chart_summary",
    "i_chart_sigma",
    "p_chart_limits",
    "prepare_charts",
    "prepare_progress",
    "progress_reached",
    "runs_limits",
    "series_change",
    "series_changes",
]
