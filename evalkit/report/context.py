"""What every section of a report reads: the unit, its parameters, language, prepared
frames, reference names, the text function and the number formatters."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from evalkit.canonical import Reference
from evalkit.figure import Cell, Figure, Mark, Table
from evalkit.i18n import Language, text
from evalkit.instrument import Instrument
from evalkit.params import MunicipalityParameters, NetworkParameters
from evalkit.report.format import Formats
from evalkit.units import Hierarchy

if TYPE_CHECKING:
    from evalkit.metrics.prepare import Prepared


@dataclass(eq=False)
class ReportContext:
    """One unit's report: set up once (:func:`evalkit.report.setup.open_context`), read by
    every section. ``figures`` counts the charts drawn so far (their ids)."""

    params: NetworkParameters | MunicipalityParameters
    data_dir: Path
    ref: Reference
    wave: str
    level: str
    unit_id: str
    network_id: str
    unit_name: str
    parent_name: str
    instrument: Instrument
    prepared: Prepared
    figures: int = 0

    @property
    def lang(self) -> Language:
        return self.params.language

    @cached_property
    def fmt(self) -> Formats:
        return Formats(self.lang)

    @property
    def unit_key(self) -> str:
        return f"{self.level}:{self.unit_id}"

    # --- text -------------------------------------------------------------------------
    def t(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)

    def role_label(self, role: str) -> str:
        return self.t("role_" + role)

    def dimension_label(self, dimension: str) -> str:
        return self.instrument.dimensions[dimension].label(self.lang)

    def item_label(self, item_id: str) -> str:
        item = self.instrument.item(item_id)
        label = item.text(self.lang)
        return label + (" " + self.t("reverse_coded") if item.reverse else "")

    def factor_label(self, factor: str) -> str:
        if factor.startswith("channel:"):
            return self.t("factor_channel", channel=self.t("channel_" + factor.split(":", 1)[1]))
        return self.t("factor_" + factor)

    def n_text(self, n: int | None, suppressed: bool) -> str:
        if suppressed or n is None:
            return self.t("suppressed_short")
        return self.t("n_equals", n=n)

    # --- data -------------------------------------------------------------------------
    def frame(self, name: str) -> pl.DataFrame:
        """A metrics frame for this report (already suppressed by the metrics layer)."""
        frame = getattr(self.prepared, name)
        assert isinstance(frame, pl.DataFrame)
        return frame

    def rows(self, name: str, *, level: str | None = None, unit_id: str | None = None, **equal: object) -> pl.DataFrame:
        frame = self.frame(name)
        level = level or self.level
        unit_id = unit_id if unit_id is not None else self.unit_id
        cond = (pl.col("unit_level") == level) & (pl.col("unit_id") == unit_id)
        if "wave" in frame.columns and "wave" not in equal:
            cond &= pl.col("wave") == self.wave
        for column, value in equal.items():
            cond &= pl.col(column) == value
        return frame.filter(cond)

    @property
    def too_few(self) -> bool:
        """True when the unit has fewer than min_unit_n respondents: no results of its own."""
        row = self.rows("respondent_counts", role="all")
        return row.height == 0 or bool(row["reason"][0] == "unit_below_min_unit_n")

    def parent_ref(self) -> tuple[str, str]:
        return ("network", self.network_id) if self.level == "municipality" else ("all", "all")

    def unit_teams(self) -> pl.DataFrame:
        """The teams a municipality hosts, or a network's own teams, in the report's wave."""
        teams = self.ref.teams.filter(pl.col("wave") == self.wave)
        if self.level == "network":
            return teams.filter(pl.col("network_id") == self.unit_id)
        hosted = Hierarchy.from_frames(teams).children((self.level, self.unit_id), partners=False)
        return teams.filter(pl.col("team_id").is_in([team for _, team in hosted]))

    def partner_teams(self) -> pl.DataFrame:
        """The teams hosted elsewhere that a municipality takes part in as a partner (none
        for a network), in the report's wave; :meth:`unit_teams` lists its host teams."""
        teams = self.ref.teams.filter(pl.col("wave") == self.wave)
        if self.level != "municipality":
            return teams.clear()
        ids = Hierarchy.from_frames(teams).partner_teams(self.unit_id)
        return teams.filter(pl.col("team_id").is_in(list(ids)))

    def _teams_frame(self, name: str) -> pl.DataFrame:
        frame = self.frame(name)
        if frame.height == 0:
            return frame
        column = "municipality_id" if self.level == "municipality" else "network_id"
        return frame.filter(pl.col(column) == self.unit_id)

    def unit_charts(self) -> pl.DataFrame:
        return self._teams_frame("charts")

    def unit_progress(self) -> pl.DataFrame:
        return self._teams_frame("progress")

    # --- figures ----------------------------------------------------------------------
    def mark(self, figure: str, source: str = "survey", n: int | None = None, suppressed: bool = False) -> Mark:
        return Mark(self.unit_key, self.wave, figure, source, None if suppressed else n, suppressed)  # type: ignore[arg-type]

    def value_cell(self, text_value: str, figure: str, n: int | None, suppressed: bool, source: str = "survey") -> Cell:
        return Cell(text_value, self.mark(figure, source, n, suppressed), numeric=True)

    def figure(self, spec: dict[str, Any], title: str, description: str, table: Table, figure: str, source: str = "survey") -> Figure:
        static = None
        if self.params.static_charts:
            import vl_convert

            from evalkit.i18n import D3_FORMAT_LOCALES

            static = vl_convert.vegalite_to_svg(spec, format_locale=D3_FORMAT_LOCALES[self.lang])
        self.figures += 1
        return Figure(
            spec=spec,
            title=title,
            description=description,
            table=table,
            mark=self.mark(figure, source),
            numbers_label=self.t("numbers_behind"),
            static_svg=static,
            chart_id=f"ek-chart-{self.figures}",
        )
