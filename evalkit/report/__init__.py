"""The dashboard a report notebook builds, section by section.

A notebook is thin: a ``parameters`` cell, then ``report = municipality_report(...)``
(or ``network_report``) and one call per section. Each section returns a
:class:`Section` that displays its parts (text blocks and figures from
:mod:`evalkit.figure`) in JupyterLab and in the exported page alike. All text comes from
:mod:`evalkit.i18n` in the report's language; all numbers come from the metrics layer,
already suppressed.

Layout: :mod:`~evalkit.report.setup` checks the parameters and builds the
:class:`~evalkit.report.context.ReportContext` every section reads;
:mod:`evalkit.report.sections` holds one module per dashboard section. The reference
tables come from :func:`evalkit.canonical.read_reference` and the unit rules (hosts,
partners) from :class:`evalkit.units.Hierarchy`, as everywhere else.
"""

from __future__ import annotations

from evalkit.canonical import Reference
from evalkit.report.context import ReportContext
from evalkit.report.dashboard import Report, municipality_report, network_report
from evalkit.report.section import Section
from evalkit.report.sections.header import SECTION_IDS

__all__ = [
    "SECTION_IDS",
    "Reference",
    "Report",
    "ReportContext",
    "Section",
    "municipality_report",
    "network_report",
]
