"""What every section of a report reads: the unit, its parameters, language, prepared
frames, reference names, the text function and the number formatters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from evalkit.canonical import Reference
from evalkit.figure import REASONS, Cell, Figure, Mark, Reason, Table, hidden_text, reason_of
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

    def n_text(self, n: int | None, reason: Reason | None) -> str:
        """An n in a table: ``n = 12``, a hidden n's reason, or "–" when there is none."""
        if reason is not None:
            return self.hidden_text(reason)
        return "–" if n is None else self.t("n_equals", n=n)

    def hidden_text(self, reason: Reason, *, count: bool = False) -> str:
        """What a hidden figure says instead of itself: why it is hidden (``count``: a
        count of people, where "small" reads "under 5" and "unit" "under 10")."""
        return hidden_text(reason, self.lang, min_cell_n=self.params.min_cell_n,
                           min_unit_n=self.params.min_unit_n, count=count)

    @property
    def hidden_texts(self) -> dict[str, str]:
        """Reason → a hidden result's text (for the charts' labels)."""
        return {reason: self.hidden_text(reason) for reason in REASONS}

    def hidden_all_text(self, reasons: list[Reason | None]) -> str:
        """A chart's description when none of its rows is shown."""
        hidden = {r for r in reasons if r is not None}
        return self.t("all_hidden") if hidden - {"small"} else self.t("all_suppressed")

    @staticmethod
    def reason(row: Mapping[str, object] | None) -> Reason | None:
        """Why a metrics row is hidden (None: it is shown); raises for a figure of a unit
        that is not published (:class:`evalkit.figure.UnpublishedFigure`)."""
        if row is None or not row.get("suppressed"):
            return None
        code = row.get("reason")
        return reason_of(code if isinstance(code, str) else None)

    def derived_reason(self, row: Mapping[str, object] | None, own: Mapping[str, object] | None) -> Reason | None:
        """Why a comparison (a change, a benchmark, a gap) is hidden: the reason of its
        own figure (``own``: this unit's figure in this wave, the group's) when that is
        hidden, else ``protect`` — with ``own`` shown, the comparison would give away the
        hidden figure it is compared with."""
        if row is None or not row.get("suppressed"):
            return None
        code = row.get("reason")
        if isinstance(code, str) and code != "input_suppressed":
            return reason_of(code)
        return self.reason(own) or "protect"

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
        return row.height == 0 or self.reason(row.row(0, named=True)) == "unit"

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
    def mark(self, figure: str, source: str = "survey", n: int | None = None, reason: Reason | None = None) -> Mark:
        """A figure of this unit: shown with its n, or hidden (``reason``) with none."""
        return Mark(self.unit_key, self.wave, figure, source, None if reason else n, reason)  # type: ignore[arg-type]

    def value_cell(self, text_value: str, figure: str, n: int | None, reason: Reason | None,
                   source: str = "survey") -> Cell:
        return Cell(text_value, self.mark(figure, source, n, reason), numeric=True)

    def hidden_or(self, reason: Reason | None, shown: str) -> str:
        """``shown`` for a shown figure, else its reason's text."""
        return shown if reason is None else self.hidden_text(reason)

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
