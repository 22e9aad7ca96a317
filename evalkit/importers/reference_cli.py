"""``evalkit reference build``: the evaluator's reference files → canonical reference tables."""

from __future__ import annotations

from pathlib import Path

import click

from ._reference import build_reference, write_reference

_FILES = """\b
SOURCE holds (evalkit init writes commented examples of each):

\b
  networks.yml   the learning networks and each network's municipalities
    networks:
      - id: ost
        name: Læringsnettverk Øst
        municipalities:
          - {number: "0301", name: Oslo, county: Oslo}
          - {number: "3201", name: Bærum, county: Akershus}

\b
  waves.yml      the waves, baseline first; from/to (optional) are the days of
                 the wave's answers, for a mapping that takes the wave from dates
    waves:
      - {id: "2025", collected: 2025-03-15, from: 2025-01-01, to: 2025-12-31}
      - {id: "2026", collected: 2026-03-15, from: 2026-01-01, to: 2026-12-31}

\b
  measures.yml   the improvement measures (chart: p, i or run; better: up or
                 down; unit: percent, count, days or score; target optional)
    measures:
      - id: individual_plan
        label: {nb: Andel med individuell plan, nn: Del med individuell plan,
                en: Share with an individual plan}
        chart: p
        better: up
        target: 0.8
        unit: percent

\b
  teams.csv      (optional here) the team register the mappings share, checked
                 against networks.yml: columns id, name, municipality, network,
                 partners, codes (several partners or codes separated by '|')
"""


@click.group("reference")
def reference_group() -> None:
    """The reference tables: networks, municipalities, waves and the measure catalogue."""


@reference_group.command("build", epilog=_FILES)
@click.argument("source", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the reference tables (Parquet); name it in the mappings' "
                   "'reference:' or with validate --reference.")
def build_command(source: Path, out: Path) -> None:
    """Turn the editable reference files in SOURCE into canonical reference tables.

    Every problem is listed with its file, line or row, key or column and value; while
    any remains, nothing is written and the exit code is 2.
    """
    built = build_reference(source)
    write_reference(built, out)
    t = built.tables
    register = (f"; team register {built.register}: {built.teams_checked} teams checked"
                if built.register is not None else "; no team register (teams.csv) to check")
    click.echo(
        f"wrote {out}: {t['networks'].height} networks, {t['municipalities'].height} municipalities, "
        f"{t['waves'].height} waves, {t['measure_catalogue'].height} measures{register}"
    )
    for note in built.notes:
        click.echo(f"  note: {note}")
