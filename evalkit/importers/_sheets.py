"""Tables of measures or progress scores (long or wide) → one record per filled cell.

Both layouts end as the same frame (:data:`CELL_SCHEMA`): every non-empty cell that
holds a number, a note or a change, with where it is (file or ``file[sheet]``, row,
column) and the texts that say which team, which measure or assessor, and which month it
belongs to — each with its own location, so that an unknown team, measure or month is
reported where it was written. Nothing is resolved here (that is :mod:`._measures`); a
wrong layout (a column the mapping names that a table lacks) is an
:class:`~evalkit.errors.InputError`.

Long layout: the header row is the first row holding every column the section names
(title rows above it are skipped). Wide layout: a *header row* is a row in which at
least one cell is a month (:func:`~._months.heads_a_month`) and at least half of the
filled cells from the first month on are months; each header row starts a *block*,
which runs to the next header row. The columns left of the first month are label
columns; the columns from the first month on are months. A block's *title* (when the
team comes ``from: title``) is the text rows above its header row — rows without
numbers, nearest first, at most :data:`TITLE_ROWS`, below the previous header row —
one per line; the first line that names a team decides (:mod:`._measures`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl

from evalkit.errors import InputError

from ._grid import Grid
from ._measures_spec import MeasuresSection, ProgressSection, Source
from ._months import heads_a_month, parse_month
from ._read import FILE, ROW

Section = MeasuresSection | ProgressSection

CELL_SCHEMA: Final = pl.Schema({
    FILE: pl.String(), ROW: pl.Int64(), "column": pl.String(), "raw": pl.String(),
    "field": pl.String(), "assessor": pl.String(), "group": pl.String(),
    "team_raw": pl.String(), "team_in": pl.String(), "team_file": pl.String(),
    "team_row": pl.Int64(), "team_col": pl.String(),
    "label": pl.String(), "label_row": pl.Int64(), "label_col": pl.String(),
    "part_raw": pl.String(), "part_col": pl.String(),
    "month_raw": pl.String(), "month_row": pl.Int64(), "month_col": pl.String(),
})
"""One record per filled cell. ``field`` is known in the long layout (the column says it)
and for progress scores; a wide measures row's label says it (``None`` here); ``group`` is the input record the
cell belongs to (a long row, or a wide block's month column)."""

SHEET_NAME: Final = "(sheet name)"


@dataclass
class Cells:
    """What the readers found: the cells, and notes for the summary."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, schema=CELL_SCHEMA, orient="row") if self.rows else pl.DataFrame(schema=CELL_SCHEMA)


@dataclass(frozen=True)
class _Team:
    """Where a block's team comes from when it is not a column."""

    raw: str | None
    how: str
    file: str
    row: int | None
    col: str


def _fold(text: str | None) -> str:
    return " ".join(text.split()).casefold() if text else ""


def _section_name(section: Section) -> str:
    return "measures" if isinstance(section, MeasuresSection) else "progress"


def _label_source(section: Section) -> Source | None:
    return section.measure if isinstance(section, MeasuresSection) else section.assessor


_NUMBER = re.compile(r"^[+-]?\d[\d\s]*([.,]\d+)?\s*%?$")
TITLE_ROWS: Final = 5
"""How many text rows above a header row may hold its block's title."""


def _title(grid: Grid, header: int, previous: int) -> _Team:
    """The rows above a header row (below the previous one) that may name the block's team:
    text rows without numbers, nearest first, one per line; located at the nearest."""
    texts: list[str] = []
    where: tuple[int, int] | None = None
    for i in range(header - 1, previous, -1):
        filled = [(j, c) for j, c in enumerate(grid.rows[i]) if c is not None]
        if not filled or any(_NUMBER.match(c) for _, c in filled):
            continue
        texts.append(" ".join(c for _, c in filled))
        where = where or (i, filled[0][0])
        if len(texts) == TITLE_ROWS:
            break
    if where is None:
        return _Team(None, "title", grid.source, header + 1, grid.letter(0))
    return _Team("\n".join(texts), "title", grid.source, where[0] + 1, grid.letter(where[1]))


def _block_team(grid: Grid, team: Source, header: int, previous: int, where: str) -> _Team | None:
    """The team of a block from the sheet name, the title rows or a constant."""
    if team.value is not None:
        return _Team(team.value, "exact", "mapping", None, f"{where}.team")
    if team.from_ == "sheet":
        return _Team(grid.name, "contained", grid.source, None, SHEET_NAME)
    if team.from_ == "title":
        return _title(grid, header, previous)
    return None


def _record(grid: Grid, team: _Team | None, row: tuple[str | None, ...], r: int, team_pos: int | None,
            **values: Any) -> dict[str, Any]:
    if team is None:
        assert team_pos is not None
        team_fields = {"team_raw": row[team_pos], "team_in": "exact", "team_file": grid.source,
                       "team_row": r + 1, "team_col": grid.letter(team_pos)}
    else:
        team_fields = {"team_raw": team.raw, "team_in": team.how, "team_file": team.file,
                       "team_row": team.row, "team_col": team.col}
    return {FILE: grid.source, ROW: r + 1, **team_fields, **values}


# --------------------------------------------------------------------------- long


def _long_fields(section: Section) -> dict[str, tuple[str, str | None]]:
    """Column → (field, assessor) for the value columns of a long table."""
    if isinstance(section, MeasuresSection):
        named = {"numerator": section.numerator, "denominator": section.denominator, "value": section.value,
                 "note": section.note, "change": section.change}
        return {col: (f, None) for f, col in named.items() if col is not None}
    if section.score is not None:
        return {section.score: ("score", None)}
    named = {"faculty": section.faculty, "self": section.self_}
    return {col: ("score", a) for a, col in named.items() if col is not None}


def _long_names(section: Section) -> dict[str, str]:
    """Every column the section names (where in the mapping → column)."""
    where = _section_name(section)
    names = {f"{where}.{f if a is None else a}": c for c, (f, a) in _long_fields(section).items()}
    label = _label_source(section)
    if label is not None and label.column is not None:
        names[f"{where}.{'measure' if where == 'measures' else 'assessor'}"] = label.column
    if section.team.column is not None:
        names[f"{where}.team"] = section.team.column
    assert section.month is not None
    names[f"{where}.month"] = section.month
    return names


def _find_header(grid: Grid, names: dict[str, str]) -> int | tuple[int, list[str]]:
    """The first row holding every named column, or (best row, the names it lacks)."""
    wanted = {_fold(c) for c in names.values()}
    best: tuple[int, int] = (-1, 0)
    for i, row in enumerate(grid.rows):
        have = {_fold(c) for c in row if c is not None}
        if wanted <= have:
            return i
        hits = len(wanted & have)
        if hits > best[0]:
            best = (hits, i)
    have = {_fold(c) for c in grid.rows[best[1]] if c is not None} if grid.rows else set()
    return best[1], [w for w, c in names.items() if _fold(c) not in have]


def read_long(grids: list[Grid], section: Section) -> Cells:
    """Cells of long tables (one row per team × measure × month, or team × month)."""
    out = Cells()
    names = _long_names(section)
    fields = _long_fields(section)
    label = _label_source(section)
    usable = []
    for grid in grids:
        found = _find_header(grid, names)
        if isinstance(found, int):
            usable.append((grid, found))
            continue
        best, lacking = found
        if len(grids) == 1 or len(lacking) < len(names):
            col = names[lacking[0]]
            raise InputError(
                f"{grid.source}, row {best + 1}, column {col!r}: the mapping ({lacking[0]}) names column "
                f"{col!r}, but no row of the sheet holds it together with "
                f"{', '.join(repr(c) for c in names.values() if c != col) or 'the other columns'}; "
                "expected a header row with every column the mapping names"
            )
        out.notes.append(f"{grid.source}: no header row with the mapped columns; sheet left out")
    ignored = {_fold(c) for c in section.ignore}
    for grid, h in usable:
        header = grid.rows[h]
        pos = {_fold(c): j for j, c in enumerate(header) if c is not None}
        at = {where: pos[_fold(c)] for where, c in names.items()}
        where = _section_name(section)
        team = _block_team(grid, section.team, h, -1, where)
        team_pos = at.get(f"{where}.team")
        label_pos = next((p for w, p in at.items() if w in (f"{where}.measure", f"{where}.assessor")), None)
        month_pos = at[f"{where}.month"]
        used = set(at.values())
        unused = [c for j, c in enumerate(header) if c is not None and j not in used and _fold(c) not in ignored]
        if unused:
            out.notes.append(f"{grid.source}: column(s) not in the mapping, left out: {', '.join(unused)}")
        for r in range(h + 1, len(grid.rows)):
            row = grid.rows[r]
            for col, (fld, assessor) in fields.items():
                j = pos[_fold(col)]
                if row[j] is None:
                    continue
                label_fields = (
                    {"label": row[label_pos], "label_row": r + 1, "label_col": header[label_pos]}
                    if label_pos is not None
                    else {"label": label.value if label is not None else None, "label_row": None, "label_col": None}
                )
                rec = _record(grid, team, row, r, team_pos, column=header[j], raw=row[j], field=fld,
                              assessor=assessor, group=f"{grid.source}#{r + 1}#{assessor or ''}",
                              month_raw=row[month_pos], month_row=r + 1, month_col=header[month_pos],
                              **label_fields)
                if team is None:
                    rec["team_col"] = header[team_pos] if team_pos is not None else None
                out.rows.append(rec)
    return out


# --------------------------------------------------------------------------- wide


def is_header(row: tuple[str | None, ...]) -> bool:
    """A row of months: at least one month, and months are at least half of the filled
    cells from the first month on (so a "Sum" or "Kommentar" column may follow).

    Examples
    --------
    >>> is_header(("Måling", "jan. 2025", "feb. 2025", "Sum")), is_header(("Måling", "11", "12"))
    (True, False)
    """
    months = [j for j, c in enumerate(row) if heads_a_month(c)]
    if not months:
        return False
    filled = [c for c in row[months[0]:] if c is not None]
    return 2 * len(months) >= len(filled)


def _column_ref(grid: Grid, header: tuple[str | None, ...], limit: int, ref: str, where: str, h: int) -> int:
    """A label column by its header text (left of the months) or its letter."""
    for j in range(limit):
        if _fold(header[j]) == _fold(ref):
            return j
    for j in range(grid.width):
        if grid.letter(j) == ref.strip().upper():
            return j
    shown = [c for c in header[:limit] if c is not None]
    raise InputError(
        f"{grid.source}, row {h + 1}, column {ref!r}: the mapping ({where}) names column {ref!r}, but the "
        f"header row has no such column left of the months; expected one of "
        f"{', '.join(map(repr, shown)) if shown else 'the column letters (A, B, …)'}"
    )


def _blocks(grid: Grid) -> Iterator[tuple[int, int, int]]:
    """(previous header row or -1, header row, end) of each block: a block runs from a
    header row to the next one (0-based)."""
    headers = [i for i, row in enumerate(grid.rows) if is_header(row)]
    for k, h in enumerate(headers):
        yield headers[k - 1] if k else -1, h, headers[k + 1] if k + 1 < len(headers) else len(grid.rows)


def _has_data(grid: Grid, rows: range, positions: range) -> bool:
    return any(grid.rows[r][j] is not None for r in rows for j in positions)


def read_wide(grids: list[Grid], section: Section) -> Cells:
    """Cells of wide tables: months as columns, one block (and one header row) per team or
    table, one row per measure, per measure part or per assessor."""
    out = Cells()
    where = _section_name(section)
    label = _label_source(section)
    ignored = {_fold(c) for c in section.ignore}
    any_block = False
    for grid in grids:
        blocks = list(_blocks(grid))
        if not blocks:
            if any(c is not None for row in grid.rows for c in row):
                out.notes.append(f"{grid.source}: no row of months (such as 'jan. 2025'); sheet left out")
            continue
        any_block = True
        for previous, h, end in blocks:
            _read_block(grid, section, previous, h, end, out, where, label, ignored)
    if not any_block:
        sources = ", ".join(g.source for g in grids) or "the file"
        raise InputError(
            f"{sources}: no header row of months found; expected a row such as "
            "'Måling | jan. 2025 | feb. 2025 | …' (months as 'jan. 2025', 'januar 2025', 'jul.24', "
            "'01.2025', '2025-01' or Excel dates)"
        )
    return out


def _read_block(grid: Grid, section: Section, previous: int, h: int, end: int, out: Cells, where: str,
                label: Source | None, ignored: set[str]) -> None:
    header = grid.rows[h]
    first = next(j for j, c in enumerate(header) if heads_a_month(c))
    data = range(h + 1, end)
    team = _block_team(grid, section.team, h, previous, where)
    team_pos = None if team is not None else _column_ref(grid, header, first, str(section.team.column), f"{where}.team", h)
    part_pos = None
    if isinstance(section, MeasuresSection) and section.part is not None:
        part_pos = _column_ref(grid, header, first, section.part, f"{where}.part", h)
    label_name = "measure" if where == "measures" else "assessor"
    if label is not None and label.column is not None:
        label_pos: int | None = _column_ref(grid, header, first, label.column, f"{where}.{label_name}", h)
    elif label is not None and label.value is not None:
        label_pos = None
    else:
        taken = {team_pos, part_pos}
        label_pos = next((j for j in range(first) if j not in taken and _has_data(grid, data, range(j, j + 1))), None)
        if label_pos is None and _has_data(grid, data, range(first, grid.width)):
            raise InputError(
                f"{grid.source}, row {h + 1}: no column of row labels (the {label_name}) left of the first "
                f"month ({header[first]!r}); expected a column that names each row's {label_name}"
            )
    used = {team_pos, part_pos, label_pos}
    unused = [f"{grid.letter(j)} ({header[j] or 'no header'})" for j in range(first)
              if j not in used and _fold(header[j]) not in ignored and _has_data(grid, data, range(j, j + 1))]
    if unused:
        out.notes.append(f"{grid.source}, rows {h + 2}–{end}: column(s) not in the mapping, left out: {', '.join(unused)}")
    block = f"{grid.source}#{h + 1}"
    for j in range(first, grid.width):
        head = header[j]
        if head is not None and parse_month(head) is None and _fold(head) in ignored:
            continue
        col = f"{grid.letter(j)} ({head})" if head is not None else grid.letter(j)
        for r in data:
            row = grid.rows[r]
            if row[j] is None:
                continue
            out.rows.append(_record(
                grid, team, row, r, team_pos, column=col, raw=row[j],
                field=None if where == "measures" else "score", assessor=None,
                group=f"{block}#{grid.letter(j)}",
                label=row[label_pos] if label_pos is not None else (label.value if label is not None else None),
                label_row=r + 1 if label_pos is not None else None,
                label_col=grid.letter(label_pos) if label_pos is not None else None,
                part_raw=row[part_pos] if part_pos is not None else None,
                part_col=grid.letter(part_pos) if part_pos is not None else None,
                month_raw=head, month_row=h + 1, month_col=grid.letter(j),
            ))


def read_cells(grids: list[Grid], section: Section) -> Cells:
    """The cells of a section's tables, in its layout."""
    return read_long(grids, section) if section.layout == "long" else read_wide(grids, section)
