"""Deterministic synthetic data in the canonical layout (``evalkit sample``).

Two scales:

``sample``
    Committed to ``data/sample/``: 3 learning networks, 24 municipalities (real
    municipality numbers and names), 40 teams, 3 waves (2024, 2025, 2026), about 850
    member-survey respondents, the team survey, 12–24 months of 2–3 improvement measures
    per team and monthly progress scores.
``national``
    357 municipalities with synthetic numbers, 3 waves, about 70 000 respondents and a
    million answers, for benchmarks. Not committed.

Built-in effects, so that dashboards show real patterns (all documented in
``data/sample/README.md``):

* user and relative representatives rate equality lower than providers and leaders;
* teams that recruited through a user organisation, and teams that trained their
  representatives, report higher equality and impact;
* every wave is a little better than the one before (2024 < 2025 < 2026, on the
  equality and impact items);
* some municipalities have fewer than 10 respondents in a wave (below the reporting
  threshold); fewer providers answered in 2024, the first round, so that some
  municipalities with 10 or more later have fewer in 2024; Trondheim (5001) took no
  part in the 2024 survey (a wave missing for a unit); Oslo's number 0301 has a
  leading zero;
* about 4 % don't-know answers and 3 % unanswered items; experience-consultant items are
  "don't know" in teams without one;
* most teams' measures shift for good after a change the team notes on the chart
  (``measures.change_introduced`` is true on that month);
* one series gets worse: Oslo 2's waiting time grows after staff left (a note, but no
  change introduced);
* every respondent has a latent trait per dimension that all of its items share, so that
  Cronbach's alpha per network is about 0.75–0.9.

Random streams. The 2025 and 2026 waves, the units, the teams' practice and the
measures come from the main stream, ``default_rng(seed)``. Three later additions have
streams of their own, so that every draw of the main stream, and so every row that
existed before each was added, stays what it was: the latent trait (``[seed, 15]``),
the deteriorating series (``[seed, 16]``) and the whole 2024 wave, the team survey and
the member survey (``[seed, 2024]``, :data:`FIRST_WAVE_STREAM`). The 2024 wave has no
measures or progress scores of its own: those are monthly per team and already run from
January 2024 (to December 2025), so they cover all three waves' time as they are.

The same seed gives equal tables, and identical bytes within one environment. All
randomness comes from :class:`numpy.random.Generator` streams seeded from ``seed``;
nothing depends on time, hash seeds or dict order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import click
import numpy as np
import polars as pl

from evalkit import canonical
from evalkit.canonical import CanonicalData
from evalkit.instrument import Instrument, load_instrument
from evalkit.sample._measures import CATALOGUE, DETERIORATING, measures_and_progress
from evalkit.sample._survey import Practice, member_wave, team_wave
from evalkit.schema import TABLES

__all__ = ["FIRST_WAVE_STREAM", "Scale", "generate", "sample_command", "write_sample"]

Scale = Literal["sample", "national"]


# (number, name, county, valid_from); numbers as in force from 2024.
_SAMPLE_NETWORKS: dict[str, tuple[str, list[tuple[str, str, str, int]]]] = {
    "ost": (
        "Læringsnettverk Øst",
        [
            ("0301", "Oslo", "Oslo", 1838),
            ("3201", "Bærum", "Akershus", 2024),
            ("3203", "Asker", "Akershus", 2024),
            ("3205", "Lillestrøm", "Akershus", 2024),
            ("3301", "Drammen", "Buskerud", 2024),
            ("3103", "Moss", "Østfold", 2024),
            ("3105", "Sarpsborg", "Østfold", 2024),
            ("3107", "Fredrikstad", "Østfold", 2024),
        ],
    ),
    "sorvest": (
        "Læringsnettverk Sør og Vest",
        [
            ("3901", "Horten", "Vestfold", 2024),
            ("3905", "Tønsberg", "Vestfold", 2024),
            ("3909", "Larvik", "Vestfold", 2024),
            ("4003", "Skien", "Telemark", 2024),
            ("4204", "Kristiansand", "Agder", 2020),
            ("1103", "Stavanger", "Rogaland", 1838),
            ("1108", "Sandnes", "Rogaland", 2020),
            ("4601", "Bergen", "Vestland", 2020),
        ],
    ),
    "midtnord": (
        "Læringsnettverk Midt og Nord",
        [
            ("5001", "Trondheim", "Trøndelag", 2018),
            ("1804", "Bodø", "Nordland", 1838),
            ("5501", "Tromsø", "Troms", 2024),
            ("3403", "Hamar", "Innlandet", 2020),
            ("3405", "Lillehammer", "Innlandet", 2020),
            ("3407", "Gjøvik", "Innlandet", 2020),
            ("1506", "Molde", "Møre og Romsdal", 2020),
            ("1505", "Kristiansund", "Møre og Romsdal", 1838),
        ],
    ),
}
# Earlier numbers of some municipalities (renumbered in 2020 and 2024), so that the
# reference table shows how numbers change; no survey data point at them.
_HISTORICAL = [
    ("0219", "Bærum", "Akershus", 1838, 2019),
    ("3024", "Bærum", "Viken", 2020, 2023),
    ("0220", "Asker", "Akershus", 1838, 2019),
    ("3025", "Asker", "Viken", 2020, 2023),
    ("0602", "Drammen", "Buskerud", 1838, 2019),
    ("3005", "Drammen", "Viken", 2020, 2023),
    ("1902", "Tromsø", "Troms", 1838, 2019),
    ("5401", "Tromsø", "Troms og Finnmark", 2020, 2023),
]
_LARGE = {"0301", "3201", "3203", "3205", "3301", "3105", "3107", "4003", "4204", "1103",
          "1108", "4601", "5001", "1804", "5501"}
_TEAM_FOCUS = ("psykisk helse og rus", "psykisk helse", "rusomsorg", "ROP-tjenester", "FACT-team")
# (label, order, collected): the first wave comes from a stream of its own.
_WAVES = (
    ("2024", 0, dt.date(2024, 3, 15)),
    ("2025", 1, dt.date(2025, 3, 15)),
    ("2026", 2, dt.date(2026, 3, 15)),
)
_FIRST_WAVE = "2024"
_MAIN_WAVES = ("2025", "2026")  # drawn from the main stream, in this order
# The equality and impact items' latent level in each wave (1–5 scale): a little better
# every round.
_WAVE_SHIFT = {"2024": -0.15, "2025": 0.0, "2026": 0.15}
# Municipalities that took no part in the first wave's surveys (sample scale).
_NOT_IN_FIRST_WAVE = ("5001",)
# Seeds of the separate random streams: ``[seed, stream]``.
_TRAIT_STREAM = 15
FIRST_WAVE_STREAM = 2024
"""The 2024 wave's random stream: ``default_rng([seed, FIRST_WAVE_STREAM])``."""



@dataclass(frozen=True)
class _Plan:
    """Sizes for one scale of synthetic data."""

    providers: tuple[int, int]  # inclusive range per team
    first_wave_providers: tuple[int, int]  # fewer answered in the first round
    start_month: dt.date
    months: tuple[int, int]


_PLANS: dict[Scale, _Plan] = {
    "sample": _Plan(providers=(2, 6), first_wave_providers=(1, 5), start_month=dt.date(2024, 1, 1), months=(12, 24)),
    "national": _Plan(providers=(23, 37), first_wave_providers=(20, 34), start_month=dt.date(2024, 1, 1), months=(12, 24)),
}


def _reference(scale: Scale, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame, list[tuple[str, str]]]:
    """networks, municipalities and the (municipality, network) plan."""
    if scale == "sample":
        networks = pl.DataFrame(
            {"network_id": list(_SAMPLE_NETWORKS), "name": [v[0] for v in _SAMPLE_NETWORKS.values()]}
        )
        rows: list[tuple[str, str, str, int, int | None]] = [
            (num, name, county, start, None)
            for _, (_, munis) in _SAMPLE_NETWORKS.items()
            for num, name, county, start in munis
        ]
        rows += list(_HISTORICAL)
        plan = [(m[0], nid) for nid, (_, munis) in _SAMPLE_NETWORKS.items() for m in munis]
    else:
        counties = ["03", "11", "15", "18", "31", "32", "33", "34", "39", "40", "42", "46", "50", "55", "56"]
        per_county = [1, 23, 26, 41, 12, 21, 18, 46, 11, 17, 25, 43, 38, 21, 14]  # sums to 357
        networks_n = 20
        networks = pl.DataFrame(
            {
                "network_id": [f"net{i:02d}" for i in range(1, networks_n + 1)],
                "name": [f"Syntetisk læringsnettverk {i}" for i in range(1, networks_n + 1)],
            }
        )
        rows = []
        plan = []
        k = 0
        for county, count in zip(counties, per_county, strict=True):
            for j in range(1, count + 1):
                num = f"{county}{j:02d}" if county != "03" else "0301"
                rows.append((num, f"Syntetisk kommune {num}", f"Fylke {county}", 2024, None))
                plan.append((num, f"net{(k % networks_n) + 1:02d}"))
                k += 1
    municipalities = pl.DataFrame(
        rows,
        schema={"municipality_id": pl.String, "name": pl.String, "county": pl.String,
                "valid_from": pl.Int16, "valid_to": pl.Int16},
        orient="row",
    )
    return networks, municipalities, plan


def _team_plan(scale: Scale, plan: list[tuple[str, str]], names: dict[str, str], rng: np.random.Generator) -> pl.DataFrame:
    rows = []
    for muni, net in plan:
        if scale == "sample":
            count = 3 if muni == "0301" else (2 if muni in _LARGE else 1)
        else:
            count = int(rng.integers(1, 4))
        for t in range(1, count + 1):
            focus = _TEAM_FOCUS[int(rng.integers(0, len(_TEAM_FOCUS)))]
            rows.append(
                {
                    "team_id": f"T{muni}-{t}",
                    "name": f"{names[muni]} {t}: {focus}",
                    "network_id": net,
                    "municipality_id": muni,
                }
            )
    return pl.DataFrame(rows)


def generate(seed: int = 7, scale: Scale = "sample", instrument: Instrument | None = None) -> CanonicalData:
    """Generate a synthetic canonical data set.

    Parameters
    ----------
    seed
        Seed of the random streams; the same seed gives equal tables.
    scale
        ``"sample"`` (small, committed) or ``"national"`` (357 municipalities).
    instrument
        The codebook whose items are answered (default: evalkit's own).

    Examples
    --------
    >>> data = generate(seed=7)
    >>> data.networks.height, data.respondents.get_column("municipality_id").n_unique()
    (3, 24)
    >>> data.wave_order()
    ['2024', '2025', '2026']
    >>> generate(seed=7).answers.equals(data.answers)
    True
    """
    if scale not in _PLANS:
        raise ValueError(f"unknown scale {scale!r}; use 'sample' or 'national'")
    inst = instrument or load_instrument()
    rng = np.random.default_rng(seed)
    sizes = _PLANS[scale]
    networks, municipalities, plan = _reference(scale, rng)
    names = dict(zip(municipalities["municipality_id"], municipalities["name"], strict=True))
    base_teams = _team_plan(scale, plan, names, rng)
    n_teams = base_teams.height

    # --- team-level practice (fixed over waves) -------------------------------------
    has_ek = rng.random(n_teams) < 0.35
    user_org = rng.random(n_teams) < 0.45
    trained = np.where(user_org, rng.random(n_teams) < 0.7, rng.random(n_teams) < 0.3)
    known = rng.random(n_teams) < np.where(user_org, 0.2, 0.7)
    via_services = rng.random(n_teams) < 0.35
    via_ek = has_ek & (rng.random(n_teams) < 0.5)
    n_user_reps = rng.integers(1, 4, n_teams)
    n_relative_reps = (rng.random(n_teams) < 0.4).astype(np.int64)
    # Latent team quality: user-organisation recruitment and training help.
    quality = 0.35 * user_org + 0.35 * trained + rng.normal(0.0, 0.25, n_teams)
    # Small teams in small municipalities: a quarter of single-team municipalities
    # get a tiny team so that they fall under the reporting threshold.
    small = np.zeros(n_teams, dtype=bool)
    if scale == "sample":
        single = ~base_teams["municipality_id"].is_in(sorted(_LARGE)).to_numpy()
        small = single & (rng.random(n_teams) < 0.45)
    practice = Practice(has_ek, user_org, trained, known, via_services, via_ek, n_user_reps, n_relative_reps,
                        quality, small)
    # Networks do not all record how many they invited.
    record_invited = (base_teams["network_id"] != "midtnord").to_numpy()

    # --- the main stream's waves: team survey, then the member survey ----------------
    team_rows: list[dict[str, object]] = []
    members = []
    for wave in _MAIN_WAVES:
        rows, who = team_wave(wave, base_teams, practice, rng, providers=sizes.providers,
                              answered_share=0.97 if wave == "2025" else 0.92, record_invited=record_invited)
        team_rows += rows
        members.append(who)
    trait_rng = np.random.default_rng([seed, _TRAIT_STREAM])
    respondents_parts = []
    answers_parts = []
    next_id = 1
    for who in members:
        respondents, answers = member_wave(who, base_teams, practice, inst, rng, trait_rng, first_id=next_id,
                                           shift=_WAVE_SHIFT[who.wave])
        next_id += respondents.height
        respondents_parts.append(respondents)
        answers_parts.append(answers)

    # --- measures and progress --------------------------------------------------------
    measures, progress = measures_and_progress(
        base_teams, quality, rng, start_month=sizes.start_month, months=sizes.months, seed=seed,
        deteriorating=DETERIORATING if scale == "sample" else None,
    )

    # --- the first wave, from its own stream (first in every table) -------------------
    first_rows, first_respondents, first_answers = _first_wave(
        seed, scale, base_teams, practice, record_invited, inst, sizes, first_id=next_id)
    teams = pl.DataFrame(first_rows + team_rows, schema=TABLES["teams"].polars_schema)
    # A partner municipality for a few teams (they appear only as a list on the partner's page).
    if scale == "sample":
        partners = {"T3909-1": ["3905"], "T1505-1": ["1506"]}
        teams = teams.with_columns(
            pl.col("team_id").replace_strict(partners, default=None, return_dtype=pl.List(pl.String)).alias("partner_municipality_ids")
        )
    waves = pl.DataFrame(
        {"wave": [w[0] for w in _WAVES], "order": [w[1] for w in _WAVES], "collected": [w[2] for w in _WAVES]}
    )
    return CanonicalData.from_frames(
        {
            "respondents": pl.concat([first_respondents, *respondents_parts]),
            "answers": pl.concat([first_answers, *answers_parts]),
            "teams": teams,
            "measures": measures,
            "progress": progress,
            "networks": networks,
            "municipalities": municipalities,
            "waves": waves,
            "measure_catalogue": CATALOGUE,
        }
    )


def _first_wave(
    seed: int, scale: Scale, base_teams: pl.DataFrame, practice: Practice, record_invited: np.ndarray,
    instrument: Instrument, sizes: _Plan, *, first_id: int,
) -> tuple[list[dict[str, object]], pl.DataFrame, pl.DataFrame]:
    """The 2024 wave (team survey rows, respondents, answers), all from the stream
    ``[seed, FIRST_WAVE_STREAM]``: the same teams and practice, fewer providers answering,
    a lower level; the municipalities of :data:`_NOT_IN_FIRST_WAVE` take no part."""
    rng = np.random.default_rng([seed, FIRST_WAVE_STREAM])
    absent = list(_NOT_IN_FIRST_WAVE) if scale == "sample" else []
    keep = ~base_teams["municipality_id"].is_in(absent).to_numpy()
    teams = base_teams.filter(pl.Series(keep))
    taking_part = practice.take(keep)
    rows, who = team_wave(_FIRST_WAVE, teams, taking_part, rng, providers=sizes.first_wave_providers,
                          answered_share=0.95, record_invited=record_invited[keep])
    respondents, answers = member_wave(who, teams, taking_part, instrument, rng, rng, first_id=first_id,
                                       shift=_WAVE_SHIFT[_FIRST_WAVE])
    return rows, respondents, answers


def write_sample(out: str | Path, seed: int = 7, scale: Scale = "sample") -> list[Path]:
    """Generate and write a canonical data folder; returns the files written."""
    return canonical.write(generate(seed=seed, scale=scale), out)


@click.command("sample")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the canonical Parquet files into.")
@click.option("--seed", default=7, show_default=True, type=int, help="Random seed.")
@click.option("--scale", type=click.Choice(["sample", "national"]), default="sample", show_default=True,
              help="'sample': 24 municipalities (committed in data/sample); 'national': 357 municipalities.")
def sample_command(out: Path, seed: int, scale: Scale) -> None:
    """Write deterministic synthetic data in the canonical layout."""
    paths = write_sample(out, seed=seed, scale=scale)
    click.echo(f"wrote {len(paths)} tables to {out}")
