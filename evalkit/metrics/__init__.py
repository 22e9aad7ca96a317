"""The metrics layer: pure polars functions from canonical tables to suppressed indicator frames.

Frame in, frame out; no I/O, no charts. :func:`prepare` computes every indicator for
every unit in one pass; the columns of every frame are documented in
:mod:`evalkit.metrics.schema`.
"""

from __future__ import annotations

from evalkit.metrics._stats import wilson_interval
from evalkit.metrics.comparisons import benchmarks, role_gaps, wave_changes
from evalkit.metrics.indices import index_summary, respondent_indices
from evalkit.metrics.likert import item_distribution, item_summary
from evalkit.metrics.prepare import Prepared, prepare
from evalkit.metrics.recruitment import promoters, recruitment_summary
from evalkit.metrics.reliability import cronbach_alpha, reliability
from evalkit.metrics.schema import FRAMES

__all__ = [
    "FRAMES",
    "Prepared",
    "benchmarks",
    "cronbach_alpha",
    "index_summary",
    "item_distribution",
    "item_summary",
    "prepare",
    "promoters",
    "recruitment_summary",
    "reliability",
    "respondent_indices",
    "role_gaps",
    "wave_changes",
    "wilson_interval",
]
