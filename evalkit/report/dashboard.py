"""The report a notebook builds: :class:`Report`, one method per dashboard section."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from evalkit.canonical import Reference
from evalkit.figure import PageMeta
from evalkit.i18n import Language
from evalkit.instrument import Instrument
from evalkit.params import (
    MunicipalityParameters,
    NetworkParameters,
    municipality_parameters,
    network_parameters,
)
from evalkit.report.context import ReportContext
from evalkit.report.section import Section
from evalkit.report.sections import (
    benchmark,
    change,
    data_quality,
    equality,
    header,
    impact,
    key_figures,
    method,
    promoters,
    recruitment,
    relatives,
    summary,
)
from evalkit.report.setup import expected_settings, open_context

if TYPE_CHECKING:
    from evalkit.metrics.prepare import Prepared


class Report:
    """One unit's dashboard. Build it with :func:`municipality_report` or :func:`network_report`.

    Each section method returns a :class:`Section`; the sections themselves live in
    :mod:`evalkit.report.sections` and read the report's :attr:`context`.
    """

    def __init__(self, params: NetworkParameters | MunicipalityParameters) -> None:
        self.params = params
        self.context: ReportContext = open_context(params)

    # --- the unit -------------------------------------------------------------------
    @property
    def lang(self) -> Language:
        return self.context.lang

    @property
    def data_dir(self) -> Path:
        return self.context.data_dir

    @property
    def ref(self) -> Reference:
        return self.context.ref

    @property
    def wave(self) -> str:
        return self.context.wave

    @property
    def level(self) -> str:
        return self.context.level

    @property
    def unit_id(self) -> str:
        return self.context.unit_id

    @property
    def unit_key(self) -> str:
        return self.context.unit_key

    @property
    def network_id(self) -> str:
        return self.context.network_id

    @property
    def unit_name(self) -> str:
        return self.context.unit_name

    @property
    def parent_name(self) -> str:
        return self.context.parent_name

    @property
    def instrument(self) -> Instrument:
        return self.context.instrument

    @property
    def prepared(self) -> Prepared:
        return self.context.prepared

    @property
    def too_few(self) -> bool:
        """True when the unit has fewer than min_unit_n respondents: no results of its own."""
        return self.context.too_few

    def expected_settings(self) -> dict[str, Any]:
        """The settings a batch's store must have been built with to serve this report."""
        return expected_settings(self.params, self.wave, self.instrument)

    # --- sections -------------------------------------------------------------------
    def page(self) -> PageMeta:
        """The page's language and title."""
        return PageMeta(self.lang, f"{self.title()} · {self.wave}")

    def title(self) -> str:
        return header.title(self.context)

    def header(self) -> Section:
        return header.header(self.context)

    def summary(self) -> Section:
        return summary.summary(self.context)

    def key_figures(self) -> Section:
        return key_figures.key_figures(self.context)

    def recruitment(self) -> Section:
        return recruitment.recruitment(self.context)

    def equality(self) -> Section:
        return equality.equality(self.context)

    def impact(self) -> Section:
        return impact.impact(self.context)

    def promoters(self) -> Section:
        return promoters.promoters(self.context)

    def relatives_and_consultants(self) -> Section:
        return relatives.relatives_and_consultants(self.context)

    def change(self) -> Section:
        return change.change(self.context)

    def benchmark(self) -> Section:
        return benchmark.benchmark(self.context)

    def method(self) -> Section:
        return method.method(self.context)

    def data_quality(self) -> Section:
        return data_quality.data_quality(self.context)


def municipality_report(**parameters: Any) -> Report:
    """Check the parameters and build a municipality's report (see :class:`Report`)."""
    return Report(municipality_parameters(**parameters))


def network_report(**parameters: Any) -> Report:
    """Check the parameters and build a network's report (see :class:`Report`)."""
    return Report(network_parameters(**parameters))
