"""``evalkit init DIR``: a new evaluation folder (see :mod:`evalkit.init`)."""

from __future__ import annotations

from pathlib import Path

import click

from evalkit.init._folder import init_folder


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--example", is_flag=True,
              help="Fill the reference files and exports/ with evalkit's made-up sample data, "
                   "to try the steps before your own exports exist.")
def init_command(folder: Path, example: bool) -> None:
    """Create an evaluation folder: a README with the steps in order, a batch file,
    mapping templates for Nettskjema and SurveyXact, reference files to edit, the report
    notebooks, and the folders exports, data, work and site.

    FOLDER must be new or empty: init never overwrites a file (exit 2, nothing written).
    """
    files = init_folder(folder, example=example)
    click.echo(f"created {folder} ({len(files)} files{', with the sample data' if example else ''}); "
               f"the steps are in {folder / 'README.md'}")
