"""``index.html``: every dashboard of a batch, grouped by network, offline.

Built with the dashboards' conventions: evalkit's stylesheet inlined, no script and
nothing loaded from the network, the page language on ``<html lang>``, every name
escaped, relative links (the folder works from the file system or an e-mail archive),
and the figure markup of :mod:`evalkit.figure` on every figure. The figures — each
unit's respondents and its equality and impact indices — come from the prepared
store's frames, which the metrics layer has already suppressed: a hidden figure says
why, with the dashboards' texts and markup (:func:`evalkit.figure.hidden_text`: a small
count "under 5", the count of a unit below ``min_unit_n`` "under 10", a figure hidden to
protect another "hidden for privacy"), and a figure of a unit that is not published is
not shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import polars as pl

from evalkit import __version__
from evalkit.batch.config import Unit
from evalkit.i18n import Language, check_language, fmt_number, text

INDEX_FILE: Final = "index.html"
KEY_DIMENSIONS: Final = ("equality", "impact")

KEY_META: Final = "evalkit-index-key"
_KEY_PATTERN: Final = re.compile(rf'<meta name="{KEY_META}" content="([0-9a-f]+)">')


def index_key_of(path: Path) -> str | None:
    """The key written into a published index page (None when there is none)."""
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(2048)
    except OSError:
        return None
    found = _KEY_PATTERN.search(head)
    return found.group(1) if found else None


def esc(value: object) -> str:
    from evalkit.figure import esc as figure_esc

    return figure_esc(value)


def _t(key: str, lang: Language, **values: object) -> str:
    """The index page's text ``key`` (``index_<key>`` in :mod:`evalkit.i18n`'s strings file)."""
    return text(f"index_{key}", lang, **values)


@dataclass(frozen=True)
class IndexEntry:
    """A unit on the index: its page (None when there is none) and a note."""

    unit: Unit
    page: str | None
    note: str | None = None


def _stylesheet() -> str:
    return resources.files("evalkit").joinpath("templates/evalkit/style.css").read_text(encoding="utf-8")


def _read(store: Path, name: str, wave: str) -> pl.DataFrame:
    path = store / f"{name}.parquet"
    if not path.exists():
        return pl.DataFrame()
    frame = pl.read_parquet(path)
    if "_partition" in frame.columns:
        frame = frame.drop("_partition")
    return frame.filter(pl.col("wave") == wave) if "wave" in frame.columns else frame


if TYPE_CHECKING:
    from evalkit.figure import Cell


class _Figures:
    """Each unit's respondents and key indices from the (suppressed) prepared frames."""

    def __init__(self, store: Path, wave: str, lang: Language, min_cell_n: int, min_unit_n: int) -> None:
        self.wave = wave
        self.lang = lang
        self.min_cell_n = min_cell_n
        self.min_unit_n = min_unit_n
        counts = _read(store, "respondent_counts", wave)
        self.counts = {
            (str(r["unit_level"]), str(r["unit_id"])): r
            for r in (counts.filter(pl.col("role") == "all").iter_rows(named=True) if counts.height else [])
        }
        indices = _read(store, "indices", wave)
        self.indices = {
            (str(r["unit_level"]), str(r["unit_id"]), str(r["dimension"])): r
            for r in (indices.filter(pl.col("role_group") == "all").iter_rows(named=True) if indices.height else [])
        }

    def respondents(self, unit: Unit) -> Cell:
        row = self.counts.get((unit.level, unit.unit_id))
        return self._cell(unit, "respondents.all", row, None if row is None else row["n"], str, count=True)

    def _cell(self, unit: Unit, figure: str, row: Mapping[str, object] | None, value: object,
              show: Callable[[Any], str], *, count: bool = False) -> Cell:
        """A figure: shown with its n, hidden with its reason's text and markup, or —
        for a unit that is not published, or without a row (no answers) — a bare dash."""
        from evalkit.figure import UNPUBLISHED_REASONS, Cell, Mark, hidden_text, reason_of

        if row is None or row.get("reason") in UNPUBLISHED_REASONS:
            return Cell("–")
        if row["suppressed"]:
            reason = reason_of(str(row["reason"]))
            label = hidden_text(reason, self.lang, min_cell_n=self.min_cell_n, min_unit_n=self.min_unit_n,
                                count=count)
            return Cell(label, Mark(unit.key, self.wave, figure, "survey", reason=reason), numeric=True)
        n = row["n"]
        shown = "–" if value is None else show(value)
        return Cell(shown, Mark(unit.key, self.wave, figure, "survey", n=int(n) if isinstance(n, int) else 0),
                    numeric=True)

    def too_few(self, unit: Unit) -> bool:
        """True for a unit below ``min_unit_n``: its page shows no results of its own."""
        row = self.counts.get((unit.level, unit.unit_id))
        return row is not None and row.get("reason") == "unit_below_min_unit_n"

    def index(self, unit: Unit, dimension: str) -> Cell:
        row = self.indices.get((unit.level, unit.unit_id, dimension))
        figure = f"{dimension}.index_mean"
        if row is None:  # no index: a unit below min_unit_n has no results of its own
            count = self.counts.get((unit.level, unit.unit_id))
            if count is not None and count["suppressed"] and count["reason"] == "unit_below_min_unit_n":
                return self._cell(unit, figure, count, None, str)
        return self._cell(unit, figure, row, None if row is None else row["mean"],
                          lambda mean: fmt_number(float(mean), self.lang, 0))


def _row(entry: IndexEntry, figures: _Figures, lang: Language, label: str | None = None) -> str:
    name = esc(label or entry.unit.name)
    link = f'<a href="{esc(entry.page)}">{name}</a>' if entry.page else name
    cells = [figures.respondents(entry.unit), *(figures.index(entry.unit, d) for d in KEY_DIMENSIONS)]
    note = entry.note or ("" if entry.page else _t("not_published", lang))
    if not note and figures.too_few(entry.unit):
        note = _t("too_few", lang)
    elif not note and any(c.mark is not None and c.mark.suppressed for c in cells):
        note = _t("some_hidden", lang)
    return (
        f'<tr><th scope="row">{link}</th>' + "".join(c.html() for c in cells)
        + f"<td>{esc(note)}</td></tr>"
    )


def build_index(
    entries: Sequence[IndexEntry],
    *,
    store: Path,
    wave: str,
    language: str,
    min_unit_n: int,
    min_cell_n: int,
    network_names: Mapping[str, str],
    description: str = "",
    key: str = "",
) -> str:
    """The index page's HTML (see the module docstring).

    ``key`` names everything the page is made from; it is written into the page
    (:func:`index_key_of`) so that a batch can tell, without building the page again,
    that the published index is up to date.
    """
    lang = check_language(language)
    figures = _Figures(store, wave, lang, min_cell_n, min_unit_n)
    networks = {e.unit.unit_id: e for e in entries if e.unit.level == "network"}
    groups: dict[str, list[IndexEntry]] = {}
    for entry in entries:
        if entry.unit.level == "municipality":
            for net in entry.unit.networks or ("",):
                groups.setdefault(net, []).append(entry)
    for net in networks:
        groups.setdefault(net, [])
    order = sorted(groups, key=lambda n: (n == "", network_names.get(n, n).casefold()))
    columns = [_t("unit", lang), text("respondents", lang), *(text(f"card_{d}", lang) for d in KEY_DIMENSIONS),
               _t("status", lang)]
    head = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
    sections = []
    toc = []
    for number, net in enumerate(order, start=1):
        name = network_names.get(net, net) if net else _t("no_network", lang)
        anchor = f"ek-network-{number}"
        toc.append(f'<li><a href="#{anchor}">{esc(name)}</a></li>')
        rows = []
        if net in networks:
            rows.append(_row(networks[net], figures, lang, _t("network_row", lang)))
        rows.extend(_row(e, figures, lang) for e in sorted(groups[net], key=lambda e: e.unit.name.casefold()))
        caption = _t("municipalities", lang, network=name)
        heading = (f'<a href="{esc(networks[net].page)}">{esc(name)}</a>'
                   if net in networks and networks[net].page else esc(name))
        sections.append(
            f'<section class="ek-index-network" aria-labelledby="{anchor}"><h2 id="{anchor}">{heading}</h2>'
            f'<table class="ek-table"><caption>{esc(caption)}</caption><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></section>'
        )
    title = _t("title", lang, wave=wave)
    intro = _t("intro", lang, min_cell_n=min_cell_n, min_unit_n=min_unit_n)
    intro += " " + text("hidden_reasons_note", lang, min_cell_n=min_cell_n, min_unit_n=min_unit_n)
    # The batch file's description is its author's words in one language: it names the
    # page for machines (meta), while readers get the kicker in the page's language.
    desc = f'<p class="ek-kicker">{esc(_t("kicker", lang))}</p>'
    desc_meta = f'<meta name="description" content="{esc(description)}">\n' if description else ""
    key_meta = f'<meta name="{KEY_META}" content="{esc(key)}">\n' if key else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n{key_meta}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="evalkit {esc(__version__)}">\n{desc_meta}'
        f"<title>{esc(title)}</title>\n<style>{_stylesheet()}</style>\n</head>\n<body>\n"
        f'<a class="ek-skip" href="#ek-main">{esc(text("skip_to_content", lang))}</a>\n'
        f'<main id="ek-main" class="ek-page">\n<header>{desc}<h1>{esc(title)}</h1></header>\n'
        f"<p>{esc(intro)}</p>\n"
        f'<nav class="ek-toc" aria-label="{esc(_t("toc", lang))}"><strong>{esc(_t("toc", lang))}</strong>'
        f'<ol>{"".join(toc)}</ol></nav>\n'
        + "\n".join(sections)
        + f'\n<footer class="ek-footer">{esc(_t("footer", lang, version=__version__))}</footer>\n'
        "</main>\n</body>\n</html>\n"
    )


__all__ = ["INDEX_FILE", "IndexEntry", "build_index", "index_key_of"]
