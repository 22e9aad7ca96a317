"""The dashboard a report notebook builds, section by section.

A notebook is thin: a ``parameters`` cell, then ``report = municipality_report(...)``
(or ``network_report``) and one call per section. Each section returns a
:class:`Section` that displays its parts (text blocks and figures from
:mod:`evalkit.figure`) in JupyterLab and in the exported page alike. All text comes from
:mod:`evalkit.i18n` in the report's language; all numbers come from the metrics layer,
already suppressed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

from evalkit import __version__
from evalkit.charts.runcharts import format_value, measure_chart_spec, progress_chart_spec
from evalkit.charts.survey import differences, estimates_with_intervals, likert_bars, share_bars
from evalkit.figure import Block, Cell, Figure, Mark, PageMeta, Table, esc
from evalkit.i18n import Language, fmt_interval, fmt_number, fmt_percent, text
from evalkit.instrument import load_instrument
from evalkit.params import (
    MunicipalityParameters,
    NetworkParameters,
    ParameterError,
    ReportParameters,
    municipality_parameters,
    network_parameters,
)
from evalkit.runchart import chart_summary

SECTION_IDS = (
    "key_figures",
    "recruitment",
    "equality",
    "impact",
    "promoters",
    "relatives",
    "change",
    "benchmark",
    "method",
    "data_quality",
)


@dataclass
class Section:
    """A part of the page: blocks and figures, displayed in order."""

    parts: list[Block | Figure] = field(default_factory=list)

    def add(self, part: Block | Figure | str) -> Section:
        self.parts.append(Block(part) if isinstance(part, str) else part)
        return self

    def __iter__(self) -> Iterator[Block | Figure]:
        return iter(self.parts)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for part in self.parts:
            display(part)

    def html(self) -> str:
        return "".join(p.html() if isinstance(p, Figure) else p.markup for p in self.parts)


@dataclass(frozen=True)
class Reference:
    """The small reference tables a report needs for names and dates."""

    networks: pl.DataFrame
    municipalities: pl.DataFrame
    teams: pl.DataFrame
    waves: pl.DataFrame
    measure_catalogue: pl.DataFrame

    @classmethod
    def read(cls, data_dir: Path) -> Reference:
        def read(name: str) -> pl.DataFrame:
            path = data_dir / f"{name}.parquet"
            if not path.exists():
                raise ParameterError(f"data_dir: {data_dir} is not a canonical data folder ({path.name} is missing)")
            return pl.read_parquet(path)

        return cls(read("networks"), read("municipalities"), read("teams"), read("waves"), read("measure_catalogue"))

    def network_name(self, network_id: str) -> str:
        row = self.networks.filter(pl.col("network_id") == network_id)
        return str(row["name"][0]) if row.height else network_id

    def municipality_name(self, municipality_id: str) -> str:
        rows = self.municipalities.filter(pl.col("municipality_id") == municipality_id).sort(
            "valid_from", descending=True
        )
        return str(rows["name"][0]) if rows.height else municipality_id

    def wave_date(self, wave: str) -> dt.date | None:
        row = self.waves.filter(pl.col("wave") == wave)
        return row["collected"][0] if row.height else None

    def latest_wave(self) -> str:
        return str(self.waves.sort("order")["wave"][-1])

    def wave_order(self) -> list[str]:
        return [str(w) for w in self.waves.sort("order")["wave"]]


class Report:
    """One unit's dashboard. Build it with :func:`municipality_report` or :func:`network_report`."""

    def __init__(self, params: NetworkParameters | MunicipalityParameters) -> None:
        self.params = params
        self.lang: Language = params.language
        data_dir = Path(params.data_dir).expanduser()
        if not data_dir.is_dir():
            raise ParameterError(f"data_dir: folder {str(data_dir)!r} does not exist")
        self.data_dir = data_dir
        self.ref = Reference.read(data_dir)
        self.wave = params.wave or self.ref.latest_wave()
        self._check_waves(params)
        if isinstance(params, MunicipalityParameters):
            self.level = "municipality"
            self.unit_id = params.municipality_id
            self._check_municipality(params.municipality_id)
            hosts = self.ref.teams.filter(pl.col("municipality_id") == self.unit_id)
            self.network_id = str(hosts["network_id"][0]) if hosts.height else self._partner_network()
            self.unit_name = self.ref.municipality_name(self.unit_id)
            self.parent_name = self.ref.network_name(self.network_id)
        else:
            self.level = "network"
            self.unit_id = params.network_id
            if self.unit_id not in self.ref.networks["network_id"].to_list():
                known = ", ".join(self.ref.networks["network_id"].to_list())
                raise ParameterError(f"network_id: {self.unit_id!r} is not in the data (known networks: {known})")
            self.network_id = self.unit_id
            self.unit_name = self.ref.network_name(self.unit_id)
            self.parent_name = text("all_networks", self.lang)
        self.unit_key = f"{self.level}:{self.unit_id}"
        self.instrument = load_instrument(params.instrument)
        self._figures = 0
        self.prepared = self._prepare()

    # --- set-up ---------------------------------------------------------------------
    def _check_waves(self, params: ReportParameters) -> None:
        order = self.ref.wave_order()
        if self.wave not in order:
            raise ParameterError(f"wave: {self.wave!r} is not in the data (waves: {', '.join(order)})")
        if params.compare_wave is not None:
            if params.compare_wave not in order:
                raise ParameterError(
                    f"compare_wave: {params.compare_wave!r} is not in the data (waves: {', '.join(order)})"
                )
            if order.index(params.compare_wave) >= order.index(self.wave):
                raise ParameterError(
                    f"compare_wave: {params.compare_wave!r} is not earlier than wave {self.wave!r}"
                )

    def _check_municipality(self, municipality_id: str) -> None:
        known = set(self.ref.municipalities["municipality_id"].to_list())
        if municipality_id not in known:
            raise ParameterError(
                f"municipality_id: {municipality_id!r} is not a municipality number in the data's "
                f"reference table (a number such as 0301 must keep its leading zero)"
            )
        hosts = set(self.ref.teams["municipality_id"].to_list())
        partners = {m for ms in self.ref.teams["partner_municipality_ids"].drop_nulls().to_list() for m in ms}
        if municipality_id not in hosts | partners:
            raise ParameterError(f"municipality_id: {municipality_id!r} has no improvement team in the data")

    def _partner_network(self) -> str:
        rows = self.ref.teams.filter(pl.col("partner_municipality_ids").list.contains(self.unit_id))
        return str(rows["network_id"][0])

    def _prepare(self) -> Any:
        """This unit's slice of the prepared indicators: from the batch's store, or computed."""
        if self.params.prepared_dir is not None:
            from evalkit.store import read_unit

            return read_unit(
                self.params.prepared_dir, self.level, self.unit_id, expected_settings=self.expected_settings()
            )
        from evalkit import canonical
        from evalkit.metrics import prepare

        data = canonical.load(self.data_dir)
        # Rendered on its own, the page is suppressed as if every unit were published,
        # which protects everything on this page (and more).
        prepared = prepare(
            data,
            wave=self.wave,
            compare_wave=self.params.compare_wave,
            instrument=self.instrument,
            min_unit_n=self.params.min_unit_n,
            min_cell_n=self.params.min_cell_n,
        )
        return prepared.for_unit(self.level, self.unit_id)

    def expected_settings(self) -> dict[str, Any]:
        """The settings a batch's store must have been built with to serve this report."""
        from evalkit.metrics.prepare import instrument_hash

        return {
            "wave": self.wave,
            "compare_wave": self.params.compare_wave,
            "min_unit_n": self.params.min_unit_n,
            "min_cell_n": self.params.min_cell_n,
            "instrument_hash": instrument_hash(self.instrument),
        }

    # --- helpers --------------------------------------------------------------------
    def t(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)

    def mark(self, figure: str, source: str = "survey", n: int | None = None, suppressed: bool = False) -> Mark:
        return Mark(self.unit_key, self.wave, figure, source, None if suppressed else n, suppressed)  # type: ignore[arg-type]

    def heading(self, section_id: str, **values: object) -> str:
        return f'<h2 id="ek-{section_id}">{esc(self.t("section_" + section_id, **values))}</h2>'

    # --- sections -------------------------------------------------------------------
    def page(self) -> PageMeta:
        """The page's language and title."""
        return PageMeta(self.lang, f"{self.title()} · {self.wave}")

    def title(self) -> str:
        key = "title_municipality" if self.level == "municipality" else "title_network"
        return self.t(key, name=self.unit_name)

    def header(self) -> Section:
        kicker = self.t("kicker_" + self.level)
        date = self.ref.wave_date(self.wave)
        meta = []
        if self.level == "municipality":
            meta.append(self.t("meta_network", name=self.parent_name))
        meta.append(self.t("meta_wave", wave=self.wave, date=_date(date, self.lang)))
        meta.append(self.t("meta_generated", date=_date(dt.date.today(), self.lang)))
        toc = "".join(
            f'<li><a href="#ek-{s}">{esc(self.t("section_" + s, parent=self.parent_name))}</a></li>'
            for s in SECTION_IDS
        )
        section = Section()
        section.add(
            f'<header><p class="ek-kicker">{esc(kicker)}</p><h1>{esc(self.title())}</h1>'
            f'<ul class="ek-meta">{"".join(f"<li>{esc(m)}</li>" for m in meta)}</ul></header>'
            f'<p>{esc(self.t("intro"))}</p>'
            f'<nav class="ek-toc" aria-label="{esc(self.t("toc_title"))}"><strong>{esc(self.t("toc_title"))}</strong><ol>{toc}</ol></nav>'
        )
        if self.too_few:
            section.parts.extend(self.too_few_notice().parts)
        else:
            section.add(self.respondents_table())
        return section

    # --- data access ------------------------------------------------------------------
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

    def n_text(self, n: int | None, suppressed: bool) -> str:
        if suppressed or n is None:
            return self.t("suppressed_short")
        return f"n\u00a0=\u00a0{n}"

    def value_cell(self, text_value: str, figure: str, n: int | None, suppressed: bool, source: str = "survey") -> Cell:
        return Cell(text_value, self.mark(figure, source, n, suppressed), numeric=True)

    def role_label(self, role: str) -> str:
        return self.t("role_" + role)

    def dimension_label(self, dimension: str) -> str:
        return self.instrument.dimensions[dimension].label(self.lang)

    def item_label(self, item_id: str) -> str:
        item = self.instrument.item(item_id)
        label = item.text(self.lang)
        return label + (" " + self.t("reverse_coded") if item.reverse else "")

    def figure(self, spec: dict[str, Any], title: str, description: str, table: Table, figure: str, source: str = "survey") -> Figure:
        static = None
        if self.params.static_charts:
            import vl_convert

            from evalkit.i18n import D3_FORMAT_LOCALES

            static = vl_convert.vegalite_to_svg(spec, format_locale=D3_FORMAT_LOCALES[self.lang])
        self._figures += 1
        return Figure(
            spec=spec,
            title=title,
            description=description,
            table=table,
            mark=self.mark(figure, source),
            numbers_label=self.t("numbers_behind"),
            static_svg=static,
            chart_id=f"ek-chart-{self._figures}",
        )

    def pct(self, share: float | None, decimals: int = 0) -> str:
        return fmt_percent(share, self.lang, decimals)

    def num(self, value: float | None, decimals: int = 0) -> str:
        return fmt_number(value, self.lang, decimals)

    def interval(self, low: float | None, high: float | None, percent: bool = True) -> str:
        return fmt_interval(low, high, self.lang, percent=percent)

    def span(self, low: float | None, high: float | None, percent: bool = True) -> str:
        """An interval in a table column already headed '95 % confidence interval'."""
        return fmt_interval(low, high, self.lang, percent=percent, label=False)

    def too_few_notice(self) -> Section:
        parent = self.parent_name
        return Section().add(
            f'<div class="ek-notice" role="note"><strong>{esc(self.t("too_few_title"))}</strong>'
            f'<p>{esc(self.t("too_few_body", unit=self.unit_name, min_unit_n=self.params.min_unit_n, parent=parent))}</p></div>'
        )

    def respondents_table(self) -> str:
        counts = self.rows("respondent_counts")
        order = ["all", "provider", "leader", "user_rep", "relative_rep", "experience_consultant", "other"]
        rows = []
        for role in order:
            row = counts.filter(pl.col("role") == role)
            if row.height == 0:
                continue
            r = row.row(0, named=True)
            display = str(r["n_display"])
            if display.startswith("<"):
                display = self.t("less_than", n=self.params.min_cell_n)
            rows.append([
                Cell(self.role_label(role), header=True),
                self.value_cell(display, f"respondents.{role}", r["n"], bool(r["suppressed"])),
            ])
        table = Table(self.t("respondents_by_role"), [self.t("role"), self.t("respondents")], rows)
        rates = self.rows("recruitment", indicator="response_rate")
        rate_all = rates.filter(pl.col("category").is_null() | (pl.col("category") == "all"))
        if rate_all.height and rate_all["estimate"][0] is not None and not rate_all["suppressed"][0]:
            r = rate_all.row(0, named=True)
            rate_text = (
                f'<p>{esc(self.t("response_rate"))}: <span {self.mark("response_rate", "survey", r["n"], False).attrs()}>'
                f'{esc(self.pct(r["estimate"]))}</span></p>'
            )
        else:
            rate_text = f'<p>{esc(self.t("response_rate"))}: {esc(self.t("response_rate_unknown"))}</p>'
        return table.html() + rate_text

    # --- sections -------------------------------------------------------------------
    def key_figures(self) -> Section:
        section = Section().add(self.heading("key_figures"))
        if self.too_few:
            return section.add(self.too_few_notice().html())
        cards = []
        for dimension in ("equality", "impact"):
            row = self.rows("indices", role_group="all", dimension=dimension)
            if row.height == 0:
                continue
            r = row.row(0, named=True)
            suppressed = bool(r["suppressed"]) or r["mean"] is None
            value = self.num(r["mean"]) if not suppressed else "–"
            note = (
                f'{self.t("index_0_100")} · {self.interval(r["ci_low"], r["ci_high"], percent=False)} · {self.n_text(r["n"], False)}'
                if not suppressed
                else self.t("suppressed_short")
            )
            cards.append((self.t(f"card_{dimension}"), value, note, self.mark(f"{dimension}.index_mean", "survey", r["n"], suppressed)))
        trained = self.rows("recruitment", indicator="reps_trained")
        if trained.height:
            r = trained.row(0, named=True)
            suppressed = bool(r["suppressed"]) or r["estimate"] is None
            cards.append((
                self.t("card_trained"),
                self.pct(r["estimate"]) if not suppressed else "–",
                self.t("of_teams", k=self.num(r["count"]), n=r["n"]) if not suppressed else self.t("suppressed_short"),
                self.mark("recruitment.reps_trained.share", "teams", r["n"], suppressed),
            ))
        charts = self.unit_charts()
        if charts.height:
            latest = charts.filter(pl.col("part") == pl.col("part").max().over("team_id", "measure_id"))
            series = latest.group_by("team_id", "measure_id").agg(pl.col("runs_signal").any(), pl.col("n_useful").max())
            enough = series.filter(pl.col("n_useful") >= 10)
            signals = int(enough["runs_signal"].sum())
            cards.append((
                self.t("card_signals"),
                f"{signals}",
                self.t("of_series", n=enough.height),
                Mark(self.unit_key, self.wave, "measures.runs_signals", "measures", n=enough.height),
            ))
        items = "".join(
            f'<li class="ek-card"><p class="ek-card-label">{esc(label)}</p>'
            f'<p class="ek-card-value" {mark.attrs()}>{esc(value)}</p>'
            f'<p class="ek-card-note">{esc(note)}</p></li>'
            for label, value, note, mark in cards
        )
        section.add(f'<ul class="ek-cards">{items}</ul>')
        eq = self.rows("indices", role_group="all", dimension="equality")
        if eq.height and not eq["suppressed"][0] and eq["share_favourable"][0] is not None:
            r = eq.row(0, named=True)
            section.add(self.finding(
                self.t("finding_equality", pct=self.pct(r["share_favourable"]),
                       interval=self.interval(r["favourable_ci_low"], r["favourable_ci_high"])),
                self.mark("equality.index_share_favourable", "survey", r["n"], False),
            ))
        imp = self.rows("indices", role_group="all", dimension="impact")
        if imp.height and not imp["suppressed"][0] and imp["share_favourable"][0] is not None:
            r = imp.row(0, named=True)
            section.add(self.finding(
                self.t("finding_impact", pct=self.pct(r["share_favourable"]),
                       interval=self.interval(r["favourable_ci_low"], r["favourable_ci_high"])),
                self.mark("impact.index_share_favourable", "survey", r["n"], False),
            ))
        if self.level == "network":
            section.add(self.municipalities_table())
        return section

    def municipalities_table(self) -> str:
        """A network's municipalities: respondents and indices (children's visible rows only)."""
        hosts = (
            self.ref.teams.filter((pl.col("network_id") == self.unit_id) & (pl.col("wave") == self.wave))
            .get_column("municipality_id").unique().sort().to_list()
        )
        counts = self.frame("respondent_counts").filter(
            (pl.col("unit_level") == "municipality") & (pl.col("wave") == self.wave) & (pl.col("role") == "all")
        )
        indices = self.frame("indices").filter(
            (pl.col("unit_level") == "municipality") & (pl.col("wave") == self.wave) & (pl.col("role_group") == "all")
        )
        rows = []
        for municipality_id in sorted(hosts, key=self.ref.municipality_name):
            unit = f"municipality:{municipality_id}"
            count = counts.filter(pl.col("unit_id") == municipality_id)
            too_few = count.height == 0 or count["reason"][0] == "unit_below_min_unit_n"
            visible = count.height > 0 and not count["suppressed"][0]
            n = int(count["n"][0]) if visible else None
            shown_count = str(n) if visible else (self.t("less_than", n=self.params.min_unit_n) if too_few else "–")
            cells = [
                Cell(self.ref.municipality_name(municipality_id), header=True),
                Cell(shown_count, Mark(unit, self.wave, "respondents.all", "survey", n, not visible), numeric=True),
            ]
            # Each figure as the metrics layer left it, so that this page and the
            # municipality's own page never disagree on what is shown.
            for dimension in ("equality", "impact"):
                row = indices.filter((pl.col("unit_id") == municipality_id) & (pl.col("dimension") == dimension))
                shown = not too_few and row.height > 0 and not row["suppressed"][0] and row["mean"][0] is not None
                cells.append(Cell(
                    self.num(row["mean"][0]) if shown else "–",
                    Mark(unit, self.wave, f"{dimension}.index_mean", "survey", int(row["n"][0]) if shown else None, not shown),
                    numeric=True,
                ))
            rows.append(cells)
        return Table(
            self.t("municipalities_title"),
            [self.t("municipality"), self.t("respondents"), self.t("card_equality"), self.t("card_impact")],
            rows,
        ).html() + f'<p class="ek-note">{esc(self.t("municipalities_note", min_unit_n=self.params.min_unit_n))}</p>'

    def finding(self, sentence: str, mark: Mark) -> str:
        return f'<p class="ek-finding" {mark.attrs()}>{esc(sentence)}</p>'

    def likert_figure(self, dimension: str, title: str) -> Figure | None:
        items = [i.id for i in self.instrument.items_in(dimension)]
        dist = self.rows("distributions", role_group="all").filter(pl.col("item_id").is_in(items))
        summary = self.rows("items", role_group="all").filter(pl.col("item_id").is_in(items))
        if summary.height == 0:
            return None
        scale = self.instrument.scales[self.instrument.item(items[0]).scale]
        labels = [lv.label(self.lang) for lv in scale.levels]
        codes = list(scale.codes)
        neutral = codes.index(scale.neutral) if scale.neutral is not None else None
        chart_rows: list[dict[str, Any]] = []
        table_rows: list[list[Cell]] = []
        for order, item_id in enumerate(items):
            s_row = summary.filter(pl.col("item_id") == item_id)
            if s_row.height == 0:
                continue
            srow = s_row.row(0, named=True)
            suppressed = bool(srow["suppressed"]) or not srow["n"]
            label = self.item_label(item_id)
            levels = dist.filter(pl.col("item_id") == item_id).sort("level")
            for lv in levels.iter_rows(named=True):
                chart_rows.append({
                    "item": label, "order": order, "level": codes.index(int(lv["level"])),
                    "share": None if suppressed else lv["share"], "n": None if suppressed else srow["n"],
                    "suppressed": suppressed,
                })
            if not levels.height:
                chart_rows.append({"item": label, "order": order, "level": 0, "share": None, "n": None, "suppressed": True})
            fig_id = f"{item_id}.share_favourable"
            table_rows.append([
                Cell(label, header=True),
                self.value_cell(self.pct(srow["share_favourable"]) if not suppressed else "–", fig_id, srow["n"], suppressed),
                self.value_cell(self.span(srow["ci_low"], srow["ci_high"]) if not suppressed else "–", fig_id + ".ci", srow["n"], suppressed),
                self.value_cell(self.pct(srow["share_dont_know"]) if not suppressed else "–", f"{item_id}.share_dont_know", srow["n"], suppressed),
                self.value_cell(self.n_text(srow["n"], suppressed), f"{item_id}.n", srow["n"], suppressed),
            ])
        spec = likert_bars(
            chart_rows, level_labels=labels, neutral_index=neutral, title=title, n_label="n",
            language=self.lang, suppressed_text=self.t("suppressed_short"),
        )
        table = Table(title, [self.t("statement"), self.t("share_agree"), self.t("interval_95"), self.t("share_dont_know"), self.t("respondents")], table_rows)
        visible = [r for r in summary.iter_rows(named=True) if not r["suppressed"] and r["share_favourable"] is not None]
        if visible:
            best = max(visible, key=lambda r: r["share_favourable"])
            worst = min(visible, key=lambda r: r["share_favourable"])
            description = self.t("likert_description", best=self.item_label(best["item_id"]), best_pct=self.pct(best["share_favourable"]),
                                 worst=self.item_label(worst["item_id"]), worst_pct=self.pct(worst["share_favourable"]))
        else:
            description = self.t("all_suppressed")
        return self.figure(spec, title, description, table, f"{dimension}.distribution")

    def index_by_role_figure(self, dimension: str) -> Figure | None:
        rows = self.rows("indices", dimension=dimension)
        if rows.height == 0:
            return None
        groups = ["all", "provider_side", "user_side", "experience_consultant"]
        chart_rows: list[dict[str, Any]] = []
        table_rows: list[list[Cell]] = []
        for order, group in enumerate(groups):
            g = rows.filter(pl.col("role_group") == group)
            if g.height == 0:
                continue
            r = g.row(0, named=True)
            suppressed = bool(r["suppressed"]) or r["mean"] is None
            label = self.role_label(group)
            chart_rows.append(_interval_row(label, order, r, suppressed, estimate="mean"))
            fig = f"{dimension}.index_mean.{group}"
            table_rows.append([
                Cell(label, header=True),
                self.value_cell(self.num(r["mean"]) if not suppressed else "–", fig, r["n"], suppressed),
                self.value_cell(self.span(r["ci_low"], r["ci_high"], percent=False) if not suppressed else "–", fig + ".ci", r["n"], suppressed),
                self.value_cell(self.n_text(r["n"], suppressed), fig + ".n", r["n"], suppressed),
            ])
        title = self.t("index_by_role_title", dimension=self.dimension_label(dimension))
        spec = estimates_with_intervals(chart_rows, category_title=self.t("role"), value_title=self.t("index_0_100"),
                                        domain=(0, 100), percent=False, title=title,
                                        suppressed_text=self.t("suppressed_short"))
        table = Table(title, [self.t("role"), self.t("index_0_100"), self.t("interval_95"), self.t("respondents")], table_rows)
        visible = [r for r in chart_rows if not r["suppressed"]]
        description = (
            self.t("index_by_role_description", parts="; ".join(f"{r['category']}: {self.num(float(r['estimate']))}" for r in visible))
            if visible else self.t("all_suppressed")
        )
        return self.figure(spec, title, description, table, f"{dimension}.index_by_role")

    def gap_block(self, dimension: str, group: str = "user_side") -> Section:
        """The gap between a group and the provider side; the network's when the unit's is suppressed."""
        section = Section()
        own = self.rows("gaps", dimension=dimension, group=group, measure="index_mean")
        use, level_note = own, ""
        if own.height == 0 or own["suppressed"][0] or own["estimate"][0] is None:
            if self.level == "municipality":
                net = self.rows("gaps", level="network", unit_id=self.network_id, dimension=dimension, group=group, measure="index_mean")
                if net.height and not net["suppressed"][0] and net["estimate"][0] is not None:
                    use = net
                    level_note = self.t("gap_network_instead", network=self.parent_name)
                else:
                    use = pl.DataFrame()
            else:
                use = pl.DataFrame()
        if use.height == 0:
            section.add(f'<p class="ek-note">{esc(self.t("gap_unavailable"))}</p>')
            return section
        r = use.row(0, named=True)
        unit_key = f"{r['unit_level']}:{r['unit_id']}"
        mark = Mark(unit_key, self.wave, f"{dimension}.gap.{group}.index_mean", "survey", r["n"], False)
        direction = "gap_lower" if r["estimate"] < 0 else "gap_higher"
        sentence = self.t(
            direction, group=self.role_label(group).lower() if self.lang != "en" else self.role_label(group),
            points=self.num(abs(r["estimate"])), interval=self.interval(r["ci_low"], r["ci_high"], percent=False),
            dimension=self.dimension_label(dimension).lower(),
        )
        sentence = sentence[:1].upper() + sentence[1:] + " " + self.t("gap_clear" if r["flag"] else "gap_not_clear")
        if level_note:
            section.add(f'<p class="ek-note">{esc(level_note)}</p>')
        section.add(self.finding(sentence, mark))
        return section

    def recruitment(self) -> Section:
        section = Section().add(self.heading("recruitment"))
        section.add(f'<p>{esc(self.t("recruitment_intro"))}</p>')
        rec = self.rows("recruitment")
        channels = rec.filter(pl.col("indicator") == "channel")
        if channels.height:
            chart_rows: list[dict[str, Any]] = []
            table_rows: list[list[Cell]] = []
            for order, r in enumerate(channels.sort("estimate", descending=True, nulls_last=True).iter_rows(named=True)):
                suppressed = bool(r["suppressed"]) or r["estimate"] is None
                label = self.t("channel_" + str(r["category"]))
                chart_rows.append(_interval_row(label, order, r, suppressed))
                fig = f"recruitment.channel.{r['category']}.share"
                table_rows.append([
                    Cell(label, header=True),
                    self.value_cell(self.pct(r["estimate"]) if not suppressed else "–", fig, r["n"], suppressed, "teams"),
                    self.value_cell(self.t("of_teams", k=self.num(r["count"]), n=r["n"]) if not suppressed else "–", fig + ".count", r["n"], suppressed, "teams"),
                ])
            title = self.t("channels_title")
            spec = share_bars(chart_rows, value_title=self.t("share_of_teams"), title=title, suppressed_text=self.t("suppressed_short"))
            top = next((r for r in chart_rows if not r["suppressed"]), None)
            description = self.t("channels_description", channel=top["category"], pct=self.pct(float(top["estimate"]))) if top else self.t("all_suppressed")
            table = Table(title, [self.t("channel"), self.t("share_of_teams"), self.t("teams")], table_rows)
            fig_obj = self.figure(spec, title, description, table, "recruitment.channels", source="teams")
            section.add(fig_obj)
        facts = []
        for indicator, statistic, label_key, is_share in (
            ("reps_trained", "share", "fact_trained", True),
            ("recruitment_difficulty", "mean", "fact_difficulty", False),
            ("months_to_recruit", "mean", "fact_months", False),
            ("any_reps_left", "share", "fact_reps_left", True),
            ("relatives_involved", "share", "fact_relatives", True),
        ):
            row = rec.filter((pl.col("indicator") == indicator) & (pl.col("statistic") == statistic) & pl.col("category").is_null())
            if row.height == 0:
                continue
            r = row.row(0, named=True)
            suppressed = bool(r["suppressed"]) or r["estimate"] is None
            value = "–" if suppressed else (self.pct(r["estimate"]) if is_share else self.num(r["estimate"], 1))
            facts.append([
                Cell(self.t(label_key), header=True),
                self.value_cell(value, f"recruitment.{indicator}.{statistic}", r["n"], suppressed, "teams"),
                self.value_cell(str(r["n"]) if not suppressed else "–", f"recruitment.{indicator}.n", r["n"], suppressed, "teams"),
            ])
        if facts:
            section.add(Table(self.t("recruitment_facts"), [self.t("indicator"), self.t("value"), self.t("teams")], facts).html())
        section.add(self.team_practice_table())
        return section

    def team_practice_table(self) -> str:
        """Per team: the team's recruitment practice (team facts, counted in teams)."""
        teams = self.unit_teams()
        if teams.height == 0:
            return ""
        rows = []
        for r in teams.sort("name").iter_rows(named=True):
            unit = f"team:{r['team_id']}"
            channels = ", ".join(self.t("channel_" + c) for c in (r["channels"] or [])) or "–"
            trained = "–" if r["reps_trained"] is None else self.t("yes" if r["reps_trained"] else "no")
            difficulty = "–" if r["recruitment_difficulty"] is None else str(r["recruitment_difficulty"])
            mk = partial(Mark, unit, self.wave, source="teams", n=1)  # one team's practice
            rows.append([
                Cell(str(r["name"]), header=True),
                Cell(channels, mk("recruitment.channels")),
                Cell(trained, mk("recruitment.reps_trained")),
                Cell(difficulty, mk("recruitment.recruitment_difficulty"), numeric=True),
            ])
        return Table(self.t("team_practice_title"), [self.t("team"), self.t("channel"), self.t("fact_trained_short"), self.t("fact_difficulty_short")], rows).html()

    def unit_teams(self) -> pl.DataFrame:
        teams = self.ref.teams.filter(pl.col("wave") == self.wave)
        if self.level == "municipality":
            return teams.filter(pl.col("municipality_id") == self.unit_id)
        return teams.filter(pl.col("network_id") == self.unit_id)

    def unit_charts(self) -> pl.DataFrame:
        charts = self.prepared.charts
        assert isinstance(charts, pl.DataFrame)
        if charts.height == 0:
            return charts
        column = "municipality_id" if self.level == "municipality" else "network_id"
        return charts.filter(pl.col(column) == self.unit_id)

    def equality(self) -> Section:
        section = Section().add(self.heading("equality"))
        section.add(f'<p>{esc(self.t("equality_intro"))}</p>')
        if self.too_few:
            return section.add(self.too_few_notice().html())
        for part in (self.likert_figure("equality", self.t("likert_title", dimension=self.dimension_label("equality"))),
                     self.index_by_role_figure("equality")):
            if part is not None:
                section.add(part)
        section.add(f'<h3>{esc(self.t("gap_title"))}</h3><p>{esc(self.t("gap_intro"))}</p>')
        section.parts.extend(self.gap_block("equality").parts)
        return section

    def impact(self) -> Section:
        section = Section().add(self.heading("impact"))
        section.add(f'<h3>{esc(self.t("impact_perceived"))}</h3>')
        if self.too_few:
            section.add(self.too_few_notice().html())
        else:
            for part in (self.likert_figure("impact", self.t("likert_title", dimension=self.dimension_label("impact"))),
                         self.index_by_role_figure("impact")):
                if part is not None:
                    section.add(part)
        section.add(f'<h3>{esc(self.t("impact_actual"))}</h3><p>{esc(self.t("impact_actual_intro"))}</p>')
        charts = self.unit_charts()
        if charts.height == 0:
            section.add(f'<p class="ek-note">{esc(self.t("no_measures"))}</p>')
        for measure_id in charts["measure_id"].unique(maintain_order=True).sort().to_list() if charts.height else []:
            rows = charts.filter(pl.col("measure_id") == measure_id)
            spec, description = measure_chart_spec(rows, measure_id=measure_id, language=self.lang, columns=3, panel_width=230)
            title = str(spec["title"])
            section.add(self.figure(spec, title, description, self.measure_table(rows, title), f"measures.{measure_id}", source="measures"))
        progress = self.unit_progress()
        if progress.height:
            spec, description = progress_chart_spec(progress, language=self.lang, columns=3, panel_width=230)
            title = self.t("progress_title")
            section.add(self.figure(spec, title, description, self.progress_table(progress, title), "progress.score", source="measures"))
        return section

    def measure_table(self, rows: pl.DataFrame, title: str) -> Table:
        summary = chart_summary(rows)
        cells = []
        for r in summary.iter_rows(named=True):
            unit = f"team:{r['team_id']}"
            mk = partial(Mark, unit, self.wave, source="measures")
            cells.append([
                Cell(str(r.get("team_name", r["team_id"])), header=True),
                Cell(str(r.get("part", 1)), mk("measures.part"), numeric=True),
                Cell(str(r.get("n_useful", "")), mk("measures.n_useful"), numeric=True),
                Cell(format_value(r.get("centre"), str(r.get("unit", "count")), self.lang), mk("measures.centre"), numeric=True),
                Cell(self.t("yes" if r.get("runs_signal") else "no"), mk("measures.runs_signal")),
                Cell(str(r.get("n_sigma_signals", r.get("sigma_signals", 0))), mk("measures.sigma_signals"), numeric=True),
            ])
        return Table(title, [self.t("team"), self.t("part"), self.t("useful_points"), self.t("centre"), self.t("runs_signal"), self.t("sigma_signals")], cells)

    def unit_progress(self) -> pl.DataFrame:
        progress = self.prepared.progress
        assert isinstance(progress, pl.DataFrame)
        if progress.height == 0:
            return progress
        column = "municipality_id" if self.level == "municipality" else "network_id"
        return progress.filter(pl.col(column) == self.unit_id)

    def progress_table(self, progress: pl.DataFrame, title: str) -> Table:
        latest = progress.sort("period").group_by("team_id", "assessor").agg(pl.col("team_name").last(), pl.col("score").last(), pl.col("period").last())
        cells = []
        for r in latest.sort("team_name", "assessor").iter_rows(named=True):
            cells.append([
                Cell(str(r["team_name"]), header=True),
                Cell(self.t("assessor_" + str(r["assessor"]))),
                Cell(self.num(r["score"], 1), Mark(f"team:{r['team_id']}", self.wave, f"progress.{r['assessor']}.latest", "measures"), numeric=True),
            ])
        return Table(title, [self.t("team"), self.t("assessor"), self.t("latest_score")], cells)

    def promoters(self) -> Section:
        section = Section().add(self.heading("promoters"))
        section.add(f'<p>{esc(self.t("promoters_intro"))}</p>')
        own = self.rows("promoters")
        level, unit_id, note = self.level, self.unit_id, ""
        if own.height == 0 or own["suppressed"].all():
            level, unit_id = self.parent_ref()
            note = self.t("promoters_parent_instead", parent=self.parent_name)
        rows = self.rows("promoters", level=level, unit_id=unit_id)
        if note:
            section.add(f'<p class="ek-note">{esc(note)}</p>')
        for dimension in ("equality", "impact"):
            d = rows.filter(pl.col("dimension") == dimension)
            if d.height == 0:
                continue
            chart_rows: list[dict[str, Any]] = []
            table_rows: list[list[Cell]] = []
            sentences: list[str] = []
            for order, r in enumerate(d.sort("factor").iter_rows(named=True)):
                suppressed = bool(r["suppressed"]) or r["estimate"] is None
                label = self.factor_label(str(r["factor"]))
                chart_rows.append(_interval_row(label, order, r, suppressed))
                fig = f"{dimension}.promoter.{r['factor']}"
                mark = Mark(f"{level}:{unit_id}", self.wave, fig, "teams", None if suppressed else r["n"], suppressed)
                table_rows.append([
                    Cell(label, header=True),
                    Cell(self.num(r["mean_with"]) if not suppressed else "–", mark, numeric=True),
                    Cell(self.num(r["mean_without"]) if not suppressed else "–", mark, numeric=True),
                    Cell(_signed(self.num(r["estimate"])) if not suppressed else "–", mark, numeric=True),
                    Cell(self.span(r["ci_low"], r["ci_high"], percent=False) if not suppressed else "–", mark, numeric=True),
                    Cell(f"{r['n_with']} / {r['n_without']}" if not suppressed else "–", mark, numeric=True),
                ])
                if not suppressed and r["flag"]:
                    sentences.append(self.t("promoter_clear", factor=label, points=self.num(abs(r["estimate"])),
                                            direction=self.t("higher" if r["estimate"] > 0 else "lower"),
                                            dimension=self.dimension_label(dimension).lower()))
            title = self.t("promoters_title", dimension=self.dimension_label(dimension))
            spec = differences(chart_rows, value_title=self.t("difference_points"), percent=False, title=title, limit=50,
                               suppressed_text=self.t("suppressed_short"))
            description = " ".join(sentences) or self.t("promoters_none_clear")
            table = Table(title, [self.t("factor"), self.t("mean_with"), self.t("mean_without"), self.t("difference"), self.t("interval_95"), self.t("teams_with_without")], table_rows)
            fig_obj = self.figure(spec, title, description, table, f"{dimension}.promoters", source="teams")
            fig_obj.mark = Mark(f"{level}:{unit_id}", self.wave, f"{dimension}.promoters", "teams")
            section.add(fig_obj)
        return section

    def factor_label(self, factor: str) -> str:
        if factor.startswith("channel:"):
            return self.t("factor_channel", channel=self.t("channel_" + factor.split(":", 1)[1]))
        return self.t("factor_" + factor)

    def relatives_and_consultants(self) -> Section:
        section = Section().add(self.heading("relatives"))
        section.add(f'<p>{esc(self.t("relatives_intro"))}</p>')
        if self.too_few:
            return section.add(self.too_few_notice().html())
        for dimension in ("relatives", "experience_consultants"):
            fig = self.likert_figure(dimension, self.t("likert_title", dimension=self.dimension_label(dimension)))
            if fig is not None:
                section.add(fig)
        section.add(f'<h3>{esc(self.t("ek_gap_title"))}</h3>')
        section.parts.extend(self.gap_block("equality", group="experience_consultant").parts)
        return section

    def change(self) -> Section:
        section = Section().add(self.heading("change"))
        compare = self.params.compare_wave
        if compare is None:
            return section.add(f'<p class="ek-note">{esc(self.t("change_no_compare"))}</p>')
        if self.too_few:
            return section.add(self.too_few_notice().html())
        rows = self.rows("changes", role_group="all", measure="index_mean")
        chart_rows: list[dict[str, Any]] = []
        table_rows: list[list[Cell]] = []
        sentences: list[str] = []
        for order, r in enumerate(rows.sort("dimension").iter_rows(named=True)):
            suppressed = bool(r["suppressed"]) or r["estimate"] is None
            label = self.dimension_label(str(r["dimension"]))
            chart_rows.append(_interval_row(label, order, r, suppressed))
            mark = self.mark(f"{r['dimension']}.change.index_mean", "survey", r["n"], suppressed)
            table_rows.append([
                Cell(label, header=True),
                Cell(_signed(self.num(r["estimate"])) if not suppressed else "–", mark, numeric=True),
                Cell(self.span(r["ci_low"], r["ci_high"], percent=False) if not suppressed else "–", mark, numeric=True),
                Cell(self.t("clear_change" if r["flag"] else "no_clear_change") if not suppressed else self.t("suppressed_short"), mark),
            ])
            if not suppressed:
                key = "change_sentence_clear" if r["flag"] else "change_sentence_unclear"
                sentences.append(self.t(key, dimension=label, points=_signed(self.num(r["estimate"])),
                                        interval=self.interval(r["ci_low"], r["ci_high"], percent=False)))
        title = self.t("change_title", compare=compare, wave=self.wave)
        spec = differences(chart_rows, value_title=self.t("difference_points"), percent=False, title=title, limit=40,
                           suppressed_text=self.t("suppressed_short"))
        table = Table(title, [self.t("dimension"), self.t("difference"), self.t("interval_95"), self.t("assessment")], table_rows)
        section.add(self.figure(spec, title, " ".join(sentences) or self.t("all_suppressed"), table, "change.index_mean"))
        return section

    def benchmark(self) -> Section:
        section = Section().add(self.heading("benchmark", parent=self.parent_name))
        if self.too_few:
            return section.add(self.too_few_notice().html())
        section.add(f'<p>{esc(self.t("benchmark_intro", parent=self.parent_name))}</p>')
        rows = self.rows("benchmarks", role_group="all", measure="index_mean")
        table_rows = []
        note = None
        for r in rows.sort("dimension").iter_rows(named=True):
            suppressed = bool(r["suppressed"]) or r["estimate"] is None
            mark = self.mark(f"{r['dimension']}.benchmark.index_mean", "survey", r["n"], suppressed)
            result = str(r["result"]) if not suppressed and r["result"] else None
            css = {"above": "ek-above", "below": "ek-below"}.get(result or "", "")
            result_text = self.t("result_" + result) if result else self.t("suppressed_short")
            adjusted = self.t("result_" + str(r["result_adjusted"])) if not suppressed and r["result_adjusted"] else "–"
            table_rows.append([
                Cell(self.dimension_label(str(r["dimension"])), header=True),
                Cell(_signed(self.num(r["estimate"])) if not suppressed else "–", mark, numeric=True),
                Cell(self.span(r["ci_low"], r["ci_high"], percent=False) if not suppressed else "–", mark, numeric=True),
                Cell(result_text, mark),
                Cell(adjusted, mark),
            ])
            note = note or r.get("note")
        if table_rows:
            html_table = Table(self.t("benchmark_title", parent=self.parent_name),
                               [self.t("dimension"), self.t("difference"), self.t("interval_95"), self.t("assessment"), self.t("assessment_adjusted")],
                               table_rows).html()
            for key, css in (("result_above", "ek-above"), ("result_below", "ek-below")):
                html_table = html_table.replace(f">{esc(self.t(key))}<", f'><span class="{css}">{esc(self.t(key))}</span><')
            section.add(html_table)
        section.add(f'<p class="ek-note">{esc(self.t("many_comparisons"))}</p>')
        return section

    def method(self) -> Section:
        section = Section().add(self.heading("method"))
        paragraphs = [
            self.t("method_survey"),
            self.t("method_index", share=self.pct(0.5)),
            self.t("method_intervals"),
            self.t("method_suppression", min_unit_n=self.params.min_unit_n, min_cell_n=self.params.min_cell_n),
            self.t("method_benchmark"),
            self.t("many_comparisons"),
            self.t("method_runcharts"),
        ]
        section.add("".join(f"<p>{esc(p)}</p>" for p in paragraphs))
        rel = self.rows("reliability")
        if rel.height and not self.too_few:
            cells = []
            for r in rel.sort("dimension").iter_rows(named=True):
                suppressed = bool(r["suppressed"]) or r["alpha"] is None
                mark = self.mark(f"{r['dimension']}.alpha", "survey", r["n"], suppressed)
                cells.append([
                    Cell(self.dimension_label(str(r["dimension"])), header=True),
                    Cell(self.num(r["alpha"], 2) if not suppressed else "–", mark, numeric=True),
                    Cell(self.span(r["ci_low"], r["ci_high"], percent=False).replace(",00", "") if not suppressed else "–", mark, numeric=True),
                    Cell((self.t("low_reliability") if r["low_reliability"] else self.t("ok")) if not suppressed else "–", mark),
                ])
            section.add(Table(self.t("reliability_title"), [self.t("dimension"), "alpha", self.t("interval_95"), self.t("assessment")], cells).html())
        glossary = "".join(
            f"<dt>{esc(self.t('term_' + term))}</dt><dd>{esc(self.t('def_' + term))}</dd>"
            for term in ("user_rep", "relative_rep", "experience_consultant", "team", "network", "equality", "index", "interval", "run_chart")
        )
        section.add(f'<h3>{esc(self.t("glossary"))}</h3><dl class="ek-glossary">{glossary}</dl>')
        return section

    def rejections_cell(self, rejected: int) -> Cell:
        """Rows rejected on import: rows of people's answers, so a small count is hidden too."""
        small = 0 < rejected < self.params.min_cell_n
        text_value = self.t("less_than", n=self.params.min_cell_n) if small else str(rejected)
        return Cell(text_value, self.mark("data_quality.rejections", "survey", None if small else rejected, small), numeric=True)

    def data_quality(self) -> Section:
        section = Section().add(self.heading("data_quality"))
        dq = self.rows("data_quality")
        if dq.height and not self.too_few:
            r = dq.row(0, named=True)
            suppressed = bool(r["suppressed"])
            asked = (r["n_answered"] or 0) + (r["n_dont_know"] or 0) + (r["n_missing"] or 0)
            cells = [
                [Cell(self.t("dq_dont_know"), header=True),
                 self.value_cell(self.pct((r["n_dont_know"] or 0) / asked) if asked and not suppressed else "–", "data_quality.share_dont_know", r["n"], suppressed)],
                [Cell(self.t("dq_missing"), header=True),
                 self.value_cell(self.pct(r["share_missing"]) if not suppressed and r["share_missing"] is not None else "–", "data_quality.share_missing", r["n"], suppressed)],
                [Cell(self.t("dq_rejections"), header=True), self.rejections_cell(int(r["n_rejections"] or 0))],
            ]
            section.add(Table(self.t("section_data_quality"), [self.t("indicator"), self.t("value")], cells).html())
        section.add(f'<p class="ek-note">{esc(self.t("dq_note"))}</p>')
        section.add(f'<footer class="ek-footer">{esc(self.t("footer", version=__version__))}</footer>')
        return section


def _date(value: dt.date | None, lang: Language) -> str:
    if value is None:
        return "–"
    return value.strftime("%d.%m.%Y") if lang in ("nb", "nn") else value.isoformat()


def _interval_row(
    category: str, order: int, row: dict[str, Any], suppressed: bool, *, estimate: str = "estimate"
) -> dict[str, Any]:
    """One chart row of an estimate with its interval; a suppressed row keeps only its markup."""
    return {
        "category": category,
        "order": order,
        "estimate": None if suppressed else row[estimate],
        "ci_low": None if suppressed else row["ci_low"],
        "ci_high": None if suppressed else row["ci_high"],
        "n": None if suppressed else row["n"],
        "suppressed": suppressed,
    }


def _signed(text_value: str) -> str:
    return text_value if text_value.startswith(("\u2212", "-", "–")) or text_value in ("0",) else "+" + text_value


def municipality_report(**parameters: Any) -> Report:
    """Check the parameters and build a municipality's report (see :class:`Report`)."""
    return Report(municipality_parameters(**parameters))


def network_report(**parameters: Any) -> Report:
    """Check the parameters and build a network's report (see :class:`Report`)."""
    return Report(network_parameters(**parameters))


__all__ = ["Report", "Section", "municipality_report", "network_report"]
