"""Altair builders for run charts, control charts and IHI progress scores.

The builders take the frames prepared by :mod:`evalkit.runchart` and return a chart
together with a plain-language description of what the rules found, in the report's
language (nb bokmål, nn nynorsk, en English). They do no I/O and register no theme:
colours are plain encodings from the Okabe–Ito palette, which stays distinguishable
with the common kinds of colour blindness; a runs signal is shown by a dashed line as
well as by colour.

Altair refuses to embed more than 5 000 rows by default: build one chart per measure
and per municipality or network, not one for the whole country.

Modules: :mod:`~evalkit.charts.runcharts.describe` (the plain-language text),
:mod:`~evalkit.charts.runcharts.measure` (run, p- and i-charts) and
:mod:`~evalkit.charts.runcharts.progress` (IHI progress scores); every sentence and title
comes from :mod:`evalkit.i18n`. Import from ``evalkit.charts.runcharts``.
"""

from __future__ import annotations

from evalkit.charts.runcharts.common import DATASET, PALETTE, DescribedChart
from evalkit.charts.runcharts.describe import describe_measure, describe_progress
from evalkit.charts.runcharts.measure import measure_chart, measure_chart_spec
from evalkit.charts.runcharts.progress import progress_chart, progress_chart_spec
from evalkit.i18n import Language
from evalkit.i18n import fmt_month as format_month
from evalkit.i18n import fmt_value as format_value

__all__ = [
    "DATASET",
    "PALETTE",
    "DescribedChart",
    "Language",
    "describe_measure",
    "describe_progress",
    "format_month",
    "format_value",
    "measure_chart",
    "measure_chart_spec",
    "progress_chart",
    "progress_chart_spec",
]
