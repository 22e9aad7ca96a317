"""``evalkit validate``: survey exports → a validated canonical data folder."""

from __future__ import annotations

from pathlib import Path

import click

from evalkit.errors import InputError

from ._api import check_folders, check_usable, import_files, write_result
from ._transform import ImportResult

_SHOWN_REJECTIONS = 20


def summary(result: ImportResult) -> str:
    """The lines ``evalkit validate`` prints: counts per survey and reason, first rejections."""
    lines = [f"note: {note}" for note in result.notes]
    for s in result.stats:
        if s.section in ("measures", "progress"):
            # a row is one team's measure (or one assessor's score) in one month
            head = f"{s.section} ({len(s.files)} sheet{'s' if len(s.files) != 1 else ''})"
        else:
            head = f"{s.section} survey ({len(s.files)} file{'s' if len(s.files) != 1 else ''})"
        lines.append(f"{head}: {s.rows_read} rows read, {s.accepted} accepted, {s.rejected} rejected")
        for reason, n in s.by_reason.items():
            lines.append(f"  rejected, {reason}: {n}")
        for source, cols in s.unused_columns.items():
            lines.append(f"  note: {source}: column(s) not in the mapping, left out: {', '.join(cols)}")
        lines.extend(f"  note: {note}" for note in s.notes)
    rej = result.data.rejections
    for r in rej.head(_SHOWN_REJECTIONS).iter_rows(named=True):
        where = "".join((r["file"], f", row {r['row']}" if r["row"] is not None else "",
                         f", column {r['column']!r}" if r["column"] is not None else ""))
        lines.append(f"{where}: value {r['value']!r}: {r['reason']}")
    if rej.height > _SHOWN_REJECTIONS:
        lines.append(f"… and {rej.height - _SHOWN_REJECTIONS} more (see rejections.parquet)")
    return "\n".join(lines)


_SHARED_SECTIONS = """\b
A shared team register and a wave taken from dates (complete example; the whole
format is in evalkit/importers/README.md):

\b
  kind: mapping
  tool: nettskjema
  reference: ../work/reference        # built by: evalkit reference build
  teams: {file: ../reference/teams.csv}     # the team register, shared by every
                                            # mapping (or a list of teams, as before)
  member:
    files: ["*medlem*"]
    respondent_id: "$submission_id"
    wave:                             # the wave whose days hold the row's date
      from_column: "$created"
      ranges: {file: ../reference/waves.yml}   # each wave's from/to there, or:
      # ranges: {"2025": [2025-01-01, 2025-12-31], "2026": [2026-01-01, 2026-12-31]}
      # format: "%d/%m/%Y %H:%M"      # only for dates in another form
    team: team
    role: {column: rolle, values: {1: provider, 2: leader, 3: user_rep}}
    items: {eq_respect: lik_respekt, eq_listened: lik_lyttet}

\b
reference/teams.csv (';' or ',' separated; several codes or partners with '|'):
  id;name;municipality;network;partners;codes
  T0301-1;Oslo 1: FACT-team;0301;ost;;1
  T4601-1;Bergen 1: Boligteam;4601;sorvest;4602;3|Bergen bolig

\b
A date in no wave's range, or a cell that is not a date, is a rejection. A survey
(or the measures, or the progress scores) none of whose rows could be used stops
the run (exit 2, nothing written), naming the most common reasons.
"""


@click.command("validate", epilog=_SHARED_SECTIONS)
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--mapping", "mapping_path", required=True, type=click.Path(path_type=Path),
              help="Mapping file (kind: mapping) from the tool's columns and codes to evalkit's.")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Canonical data folder to write (rejections included).")
@click.option("--work", required=True, type=click.Path(path_type=Path),
              help="Work folder for the pseudonym key (never inside --out; keep it private).")
@click.option("--reference", type=click.Path(path_type=Path), default=None,
              help="Canonical folder with networks, municipalities, waves, measure_catalogue "
                   "(default: the mapping's 'reference').")
@click.option("--strict", is_flag=True, help="Exit 2, writing nothing, if any row is rejected.")
@click.option("--free-text", "free_text", type=click.Path(path_type=Path), default=None,
              help="Also write the open answers to this file (outside --out; .csv or .parquet).")
def validate_command(
    paths: tuple[Path, ...],
    mapping_path: Path,
    out: Path,
    work: Path,
    reference: Path | None,
    strict: bool,
    free_text: Path | None,
) -> None:
    """Read survey exports, map them, validate them and write a canonical data folder.

    PATHS are Nettskjema, SurveyXact or generic CSV/XLSX/Parquet exports, the teams'
    spreadsheets of monthly measures and progress scores (CSV or Excel), or folders of
    them. Rows that cannot be used are listed (file, row, column, value, reason) and written to
    rejections.parquet; problems with a whole file stop the run with exit 2.

    \b
    Mapping sections (evalkit/importers/README.md has complete examples):
      member:, team:   the member and team surveys
      measures:        monthly measures -> measures; layout: long (team, measure,
                       month, numerator + denominator or value, note, change) or
                       wide (months as columns, e.g. "jan. 2025", "jul.24",
                       "01.2025", Excel dates; a sheet or block per team:
                       team: {from: sheet} or {from: title})
      progress:        progress scores 0,5-5 by faculty and self; long or wide
    """
    check_folders(out, work, free_text)
    result = import_files(paths, mapping_path, work=work, reference=reference)
    click.echo(summary(result))
    check_usable(result)
    n_rejected = result.data.rejections.height
    if strict and n_rejected:
        raise InputError(f"{n_rejected} rejection(s) and --strict: nothing written to {out}")
    write_result(result, out, free_text)
    d = result.data
    click.echo(
        f"wrote {out}: respondents {d.respondents.height}, answers {d.answers.height}, "
        f"teams {d.teams.height}, measures {d.measures.height}, progress {d.progress.height}, "
        f"rejections {n_rejected}"
    )
