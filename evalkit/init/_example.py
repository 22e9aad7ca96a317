"""``evalkit init --example``: an evaluation folder filled with evalkit's synthetic sample.

The reference files get the sample's networks, municipalities, waves, measures and teams
(in the documented formats, under each template's own explanation), and ``exports`` gets
the sample's member and team surveys as Nettskjema would export them, laid out by the
folder's own Nettskjema mapping (:mod:`evalkit.importers._layouts`), with each answer
dated inside its wave's days (``$created``), and the teams' measures and progress scores
as spreadsheets (:mod:`._spreadsheets`). The mappings' ``measures:`` and ``progress:``
sections are switched on (the README's step 3, done). Following the folder's README then
imports exactly the sample's respondents, answers, teams, measures and progress scores.
Every row is made up.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Final

import polars as pl
import yaml

from evalkit.canonical import CanonicalData
from evalkit.importers import load_mapping
from evalkit.importers._layouts import member_wide, team_wide
from evalkit.sample import generate

from ._spreadsheets import write_monthly

EXPORTS: Final = ("medlemsundersokelse.csv", "teamundersokelse.csv")
"""The example's export files (names that the mapping's ``files:`` patterns tell apart)."""
MAPPINGS: Final = ("nettskjema.yml", "surveyxact.yml")
_MONTHLY: Final = re.compile(r"^# (measures|progress):", re.M)
_NOTE: Final = "# Example: evalkit's made-up sample data (evalkit init --example). Replace it with yours.\n"


def _header(template: Path) -> str:
    """A template's leading comment block (its explanation of the keys)."""
    lines = []
    for line in template.read_text(encoding="utf-8").splitlines(keepends=True):
        if not line.startswith("#"):
            break
        if not line.startswith("# The example below is made up"):
            lines.append(line)
    return "".join(lines)


def _yaml(template: Path, body: dict[str, Any]) -> None:
    text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False, default_flow_style=None, width=100)
    template.write_text(_header(template) + _NOTE + text, encoding="utf-8")


def _members(data: CanonicalData) -> dict[str, list[str]]:
    """Each network's municipalities: its teams' hosts and partners, by number."""
    teams = data.teams.unique("team_id", keep="first")
    out: dict[str, set[str]] = {}
    for network, host, partners in teams.select("network_id", "municipality_id", "partner_municipality_ids").iter_rows():
        out.setdefault(network, set()).update([host, *(partners or [])])
    return {n: sorted(ms) for n, ms in out.items()}


def _reference_files(data: CanonicalData, reference: Path) -> None:
    latest = data.municipalities.sort("valid_from").unique("municipality_id", keep="last")
    facts = {m: (name, county) for m, name, county in latest.select("municipality_id", "name", "county").iter_rows()}
    members = _members(data)
    _yaml(reference / "networks.yml", {"networks": [
        {"id": network, "name": name,
         "municipalities": [{"number": m, "name": facts[m][0], "county": facts[m][1]} for m in members.get(network, [])]}
        for network, name in data.networks.select("network_id", "name").iter_rows()
    ]})
    waves = data.waves.sort("order")
    years = [d.year for d in waves.get_column("collected")]
    assert len(set(years)) == len(years), "the sample's waves are in different years"
    _yaml(reference / "waves.yml", {"waves": [
        {"id": wave, "collected": collected, "from": dt.date(collected.year, 1, 1), "to": dt.date(collected.year, 12, 31)}
        for wave, collected in waves.select("wave", "collected").iter_rows()
    ]})
    _yaml(reference / "measures.yml", {"measures": [
        {"id": r["measure_id"], "label": {"nb": r["label_nb"], "nn": r["label_nn"], "en": r["label_en"]},
         "chart": r["chart"], "better": r["better"],
         **({"target": r["target"]} if r["target"] is not None else {}), "unit": r["unit"]}
        for r in data.measure_catalogue.iter_rows(named=True)
    ]})
    teams = data.teams.unique("team_id", keep="first").sort("team_id").with_row_index("code", offset=1)
    register = teams.select(
        pl.col("team_id").alias("id"),
        "name",
        pl.col("municipality_id").alias("municipality"),
        pl.col("network_id").alias("network"),
        pl.col("partner_municipality_ids").list.join("|").alias("partners"),
        pl.col("code").cast(pl.String).alias("codes"),
    )
    # As Norwegian Excel saves it: semicolons, a byte-order mark, Windows line ends.
    text = register.write_csv(separator=";", line_terminator="\r\n")
    (reference / "teams.csv").write_bytes("\ufeff".encode() + text.encode("utf-8"))


def with_monthly_sections(text: str) -> str:
    """A mapping template with its commented ``measures:`` and ``progress:`` sections
    switched on, as the README says: "# " removed from every line from ``# measures:`` on."""
    start = _MONTHLY.search(text)
    if start is None:
        raise RuntimeError("the mapping template has no commented measures: section")
    head, tail = text[:start.start()], text[start.start():]
    return head + "".join(line.removeprefix("# ") for line in tail.splitlines(keepends=True))


def write_example(folder: Path) -> list[Path]:
    """Fill a new evaluation folder's reference files and ``exports`` with the sample."""
    data = generate()
    _reference_files(data, folder / "reference")
    for name in MAPPINGS:
        path = folder / "mappings" / name
        path.write_text(with_monthly_sections(path.read_text(encoding="utf-8")), encoding="utf-8")
    mapping = load_mapping(folder / "mappings" / "nettskjema.yml")
    member, _ = member_wide(data, mapping, dont_know="9")
    teams = team_wide(data, mapping)
    written = []
    for name, frame in zip(EXPORTS, (member, teams), strict=True):
        path = folder / "exports" / name
        frame.write_csv(path)
        written.append(path)
    return [*written, *write_monthly(data, mapping, folder / "exports")]
