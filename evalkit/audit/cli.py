"""``evalkit audit``: audit every page under a folder, or list the rules (``--rules``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from evalkit.audit.engine import audit_pages
from evalkit.audit.rules import FOREIGN_FILE, REGISTRY
from evalkit.audit.spec import DEFAULT_ATTACK_SECONDS, MANIFEST_FILE
from evalkit.errors import InputError, JobFailed

__all__ = ["audit_command", "pages_in"]


def pages_in(folder: Path) -> list[Path]:
    """Every HTML page under ``folder`` (recursively), in a stable order."""
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".html", ".htm") and p.is_file())


def _list_rules(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    for rule in REGISTRY:
        click.echo(f"{rule.id}: {rule.description}")
    ctx.exit(0)


@click.command("audit")
@click.argument("directory", type=click.Path(path_type=Path))
@click.option("--data", "data_dir", type=click.Path(path_type=Path),
              help="Canonical data folder (respondent ids, unit sizes). Default: the manifest's.")
@click.option("--min-unit-n", type=int, help="Fewest respondents a unit needs for results (default: manifest, else 10).")
@click.option("--min-cell-n", type=int, help="Fewest people behind a survey figure (default: manifest, else 5).")
@click.option("--attack-seconds", type=float, default=DEFAULT_ATTACK_SECONDS, show_default=True,
              help="Time limit of the cross-page attack; a hidden figure it cannot settle in time is a finding.")
@click.option("--strict-attack", is_flag=True,
              help="Make the cross-page attack's findings (small figures that can be worked out exactly) fail "
                   "the audit; by default they are printed as warnings only.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--rules", is_flag=True, expose_value=False, is_eager=True, callback=_list_rules,
              help="List the rules (id: description, one per line) and exit.")
def audit_command(directory: Path, data_dir: Path | None, min_unit_n: int | None, min_cell_n: int | None,
                  attack_seconds: float, strict_attack: bool, as_json: bool) -> None:
    """Check every page under DIRECTORY for anything that must never be published.

    Exit 0 when the pages are clean, 1 on any finding, 2 for bad usage. The cross-page
    attack's findings are warnings (printed after the findings, exit code unchanged)
    unless --strict-attack.
    """
    if directory.is_file():
        pages, manifest = [directory], directory.parent / MANIFEST_FILE
    elif directory.is_dir():
        pages, manifest = pages_in(directory), directory / MANIFEST_FILE
    else:
        raise InputError(f"{directory}: no such folder")
    if not pages and not (directory.is_dir() and any(directory.rglob("*"))):
        raise InputError(f"{directory}: no .html pages to audit")
    foreign = FOREIGN_FILE.check_folder(directory) if directory.is_dir() else []
    report = audit_pages(pages, data_dir=data_dir, min_unit_n=min_unit_n, min_cell_n=min_cell_n,
                         manifest=manifest if manifest.is_file() else None, attack_seconds=attack_seconds,
                         strict_attack=strict_attack)
    if foreign:
        report = dataclasses.replace(report, findings=[*foreign, *report.findings])
    click.echo(report.to_json() if as_json else report.text())
    if report.warnings and not as_json:
        click.echo(f"warning: {report.attack_summary()}:")
        click.echo(report.warning_text())
    click.echo(report.summary(), err=True)
    if not report.ok:
        failing = sorted(str(p) for p in report.failing_files())
        keep = ", ".join(failing[:10]) + (f" and {len(failing) - 10} more" if len(failing) > 10 else "")
        raise JobFailed(f"{len(report.findings)} finding(s); keep aside: {keep}")
