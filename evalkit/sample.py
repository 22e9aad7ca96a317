"""Deterministic synthetic data in the canonical layout (``evalkit sample``).

Two scales:

``sample``
    Committed to ``data/sample/``: 3 learning networks, 24 municipalities (real
    municipality numbers and names), 40 teams, 2 waves, about 600 member-survey
    respondents, the team survey, 12–24 months of 2–3 improvement measures per team and
    monthly progress scores.
``national``
    357 municipalities with synthetic numbers, about 50 000 respondents and a million
    answers, for benchmarks. Not committed.

Built-in effects, so that dashboards show real patterns (all documented in
``data/sample/README.md``):

* user and relative representatives rate equality lower than providers and leaders;
* teams that recruited through a user organisation, and teams that trained their
  representatives, report higher equality and impact;
* the second wave is a little better than the first;
* some municipalities have fewer than 10 respondents in a wave (below the reporting
  threshold); Oslo's number 0301 has a leading zero;
* about 4 % don't-know answers and 3 % unanswered items; experience-consultant items are
  "don't know" in teams without one;
* most teams' measures shift for good after a change the team notes on the chart
  (``measures.change_introduced`` is true on that month);
* one series gets worse: Oslo 2's waiting time grows after staff left (a note, but no
  change introduced);
* every respondent has a latent trait per dimension that all of its items share, so that
  Cronbach's alpha per network is about 0.75–0.9.

The latent trait and the deteriorating series come from random streams of their own
(``default_rng([seed, 15])`` and ``[seed, 16]``), so that respondents, roles, units,
don't-know and unanswered items and the other measure series are what they were before
these were added.

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
from evalkit.schema import CHANNELS, ROLES, TABLES

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
            ("1108", "Sandnes", "Rogaland", 1838),
            ("4601", "Bergen", "Vestland", 2020),
        ],
    ),
    "midtnord": (
        "Læringsnettverk Midt og Nord",
        [
            ("5001", "Trondheim", "Trøndelag", 2018),
            ("1804", "Bodø", "Nordland", 1838),
            ("5501", "Tromsø", "Troms", 2024),
            ("3403", "Hamar", "Innlandet", 2024),
            ("3405", "Lillehammer", "Innlandet", 2024),
            ("3407", "Gjøvik", "Innlandet", 2024),
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
_WAVES = (("2025", 0, dt.date(2025, 3, 15)), ("2026", 1, dt.date(2026, 3, 15)))

_CATALOGUE = pl.DataFrame(
    {
        "measure_id": ["individual_plan", "what_matters", "waiting_days"],
        "label_nb": [
            "Andel pasienter med individuell plan",
            "Andel pasienter spurt «Hva er viktig for deg?»",
            "Ventetid til første samtale (dager)",
        ],
        "label_nn": [
            "Del pasientar med individuell plan",
            "Del pasientar spurde «Kva er viktig for deg?»",
            "Ventetid til første samtale (dagar)",
        ],
        "label_en": [
            "Share of patients with an individual plan",
            "Share of patients asked 'What matters to you?'",
            "Waiting time to first appointment (days)",
        ],
        "chart": ["p", "p", "i"],
        "better": ["up", "up", "down"],
        "target": [0.8, 0.9, 14.0],
        "unit": ["percent", "percent", "days"],
    }
)
_NOTES = ("Ny rutine innført", "Startet med «Hva er viktig for deg?»-samtaler", "Felles sjekkliste tatt i bruk")
# The one deteriorating series (sample scale): waiting time grows after staff left.
_DETERIORATING = "T0301-2"
_DETERIORATION_NOTE = "To behandlere sluttet"


# Respondent-level latent trait per dimension (standard deviation on the 1–5 scale) and
# the weight of each item's own noise: together they give network-level Cronbach's
# alpha of about 0.75–0.9, as validated instruments of this kind reach.
_TRAIT_SD: dict[str, float] = {
    "equality": 0.12, "impact": 0.75, "recruitment": 0.85, "experience_consultants": 1.2, "other": 0.8,
}
_ITEM_NOISE = 0.9
# Seeds of the separate random streams: ``[seed, stream]``.
_TRAIT_STREAM = 15
_DETERIORATION_STREAM = 16


@dataclass(frozen=True)
class _Plan:
    """Sizes for one scale of synthetic data."""

    providers: tuple[int, int]  # inclusive range per team
    start_month: dt.date
    months: tuple[int, int]


_PLANS: dict[Scale, _Plan] = {
    "sample": _Plan(providers=(2, 6), start_month=dt.date(2024, 1, 1), months=(12, 24)),
    "national": _Plan(providers=(23, 37), start_month=dt.date(2024, 1, 1), months=(12, 24)),
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
        Seed of the one random generator used; the same seed gives equal tables.
    scale
        ``"sample"`` (small, committed) or ``"national"`` (357 municipalities).
    instrument
        The codebook whose items are answered (default: evalkit's own).

    Examples
    --------
    >>> data = generate(seed=7)
    >>> data.networks.height, data.respondents.get_column("municipality_id").n_unique()
    (3, 24)
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

    team_rows = []
    resp_frames = []
    wave_shift = {"2025": 0.0, "2026": 0.15}
    for wave, _order, _date in _WAVES:
        # roles of the respondents of every team in this wave
        n_prov = rng.integers(sizes.providers[0], sizes.providers[1] + 1, n_teams)
        n_prov = np.where(small, rng.integers(1, 3, n_teams), n_prov)
        reps_left = rng.binomial(n_user_reps, 0.15)
        respond = rng.random((n_teams, 6))
        counts = np.stack(
            [
                n_prov,  # provider
                np.ones(n_teams, dtype=np.int64),  # leader
                rng.binomial(n_user_reps, 0.85),  # user_rep
                n_relative_reps * (respond[:, 0] < 0.85),  # relative_rep
                has_ek * (respond[:, 1] < 0.9),  # experience_consultant
                (respond[:, 2] < 0.2).astype(np.int64) * (~small),  # other
            ],
            axis=1,
        ).astype(np.int64)
        team_idx = np.repeat(np.arange(n_teams), counts.sum(axis=1))
        role_idx = np.concatenate([np.repeat(np.arange(6), c) for c in counts])
        resp_frames.append((wave, team_idx, role_idx))
        answered_team_survey = rng.random(n_teams) < (0.97 if wave == "2025" else 0.92)
        for i in range(n_teams):
            channels = [
                c
                for c, used in zip(
                    CHANNELS,
                    (user_org[i], known[i], via_services[i], via_ek[i], False),
                    strict=True,
                )
                if used
            ] or ["other"]
            invited = [
                int(counts[i, 0] + rng.integers(0, 3)),
                1,
                int(n_user_reps[i]),
                int(n_relative_reps[i]),
                int(has_ek[i]),
                int(counts[i, 5]),
            ]
            facts = answered_team_survey[i]
            team_rows.append(
                {
                    **base_teams.row(i, named=True),
                    "wave": wave,
                    "partner_municipality_ids": None,
                    "channels": channels if facts else None,
                    "n_user_reps": int(n_user_reps[i]) if facts else None,
                    "n_relative_reps": int(n_relative_reps[i]) if facts else None,
                    "reps_trained": bool(trained[i]) if facts else None,
                    "recruitment_difficulty": int(np.clip(round(3.6 - 1.2 * user_org[i] + rng.normal(0, 0.8)), 1, 5)) if facts else None,
                    "months_to_recruit": float(np.round(max(0.5, rng.gamma(2.0, 1.5 + 1.5 * (not user_org[i]))), 1)) if facts else None,
                    "reps_left": int(reps_left[i]) if facts else None,
                    **{
                        # Networks do not all record how many they invited.
                        f"invited_{role}": invited[k] if facts and base_teams["network_id"][i] != "midtnord" else None
                        for k, role in enumerate(ROLES)
                    },
                }
            )

    teams = pl.DataFrame(team_rows, schema=TABLES["teams"].polars_schema)
    # A partner municipality for a few teams (they appear only as a list on the partner's page).
    if scale == "sample":
        partners = {"T3909-1": ["3905"], "T1505-1": ["1506"]}
        teams = teams.with_columns(
            pl.col("team_id").replace_strict(partners, default=None, return_dtype=pl.List(pl.String)).alias("partner_municipality_ids")
        )

    # --- respondents and answers ------------------------------------------------------
    items = inst.items_frame()
    item_ids = items["item_id"].to_list()
    dims = items["dimension"].to_list()
    reverse = items["reverse"].to_numpy()
    item_roles = [set(r) for r in items["roles"].to_list()]
    dim_names = sorted(set(dims))
    dim_of_item = np.array([dim_names.index(d) for d in dims])
    trait_sd = np.array([_TRAIT_SD.get(d, _TRAIT_SD["other"]) for d in dim_names])
    trait_rng = np.random.default_rng([seed, _TRAIT_STREAM])
    respondents_parts = []
    answers_parts = []
    serial = 0
    for wave, team_idx, role_idx in resp_frames:
        n = team_idx.size
        ids = np.array([f"R{serial + k + 1:06d}" for k in range(n)])
        serial += n
        role_names = np.array(ROLES)[role_idx]
        respondents_parts.append(
            pl.DataFrame(
                {
                    "respondent_id": ids,
                    "wave": [wave] * n,
                    "network_id": base_teams["network_id"].to_numpy()[team_idx],
                    "municipality_id": base_teams["municipality_id"].to_numpy()[team_idx],
                    "team_id": base_teams["team_id"].to_numpy()[team_idx],
                    "role": role_names,
                }
            )
        )
        user_side = np.isin(role_names, ["user_rep", "relative_rep"])
        provider_side = np.isin(role_names, ["provider", "leader"])
        person = rng.normal(0.0, 0.45, n)
        # Each respondent's own view of each dimension (a latent trait that all of the
        # dimension's items share), from a stream of its own so that every draw of
        # ``rng`` (and so every other table) is the same as before it was added.
        trait = trait_rng.normal(0.0, 1.0, (n, len(dim_names))) * trait_sd[None, :]
        latent_equality = 0.75 + quality[team_idx] - 0.6 * user_side + 0.1 * provider_side + person + wave_shift[wave]
        latent_impact = 0.45 + 1.2 * quality[team_idx] - 0.2 * user_side + 0.8 * person + wave_shift[wave]
        latent_other = 0.5 + 0.8 * quality[team_idx] + person
        latent = np.stack(
            [
                latent_equality if d == "equality" else latent_impact if d == "impact" else latent_other
                for d in dims
            ],
            axis=1,
        ) + trait[:, dim_of_item]
        raw = 3.0 + latent + _ITEM_NOISE * rng.normal(0.0, 0.75, latent.shape)
        values = np.clip(np.rint(raw), 1, 5).astype(np.int64)
        values = np.where(reverse[None, :], 6 - values, values)
        u = rng.random(latent.shape)
        dont_know = u < 0.04
        missing = (u >= 0.04) & (u < 0.07)
        no_ek = ~has_ek[team_idx]
        ek_items = np.array([d == "experience_consultants" for d in dims])
        dont_know |= no_ek[:, None] & ek_items[None, :] & ~missing
        applies = np.array([[r in roles for roles in item_roles] for r in role_names], dtype=bool).reshape(n, len(item_ids))
        rr, cc = np.nonzero(applies)
        dk = dont_know[rr, cc]
        miss = missing[rr, cc]
        val = values[rr, cc]
        answers_parts.append(
            pl.DataFrame(
                {
                    "respondent_id": ids[rr],
                    "item_id": np.array(item_ids)[cc],
                    "value": pl.Series(np.where(dk | miss, 0, val)).cast(pl.Int8),
                    "null": dk | miss,
                    "dont_know": dk,
                }
            )
            .with_columns(pl.when(pl.col("null")).then(None).otherwise(pl.col("value")).alias("value"))
            .drop("null")
        )
    respondents = pl.concat(respondents_parts)
    answers = pl.concat(answers_parts)

    # --- measures and progress --------------------------------------------------------
    measures, progress = _measures_and_progress(
        base_teams, quality, sizes, rng, seed=seed, deteriorating=_DETERIORATING if scale == "sample" else None
    )
    waves = pl.DataFrame(
        {"wave": [w[0] for w in _WAVES], "order": [w[1] for w in _WAVES], "collected": [w[2] for w in _WAVES]}
    )
    return CanonicalData.from_frames(
        {
            "respondents": respondents,
            "answers": answers,
            "teams": teams,
            "measures": measures,
            "progress": progress,
            "networks": networks,
            "municipalities": municipalities,
            "waves": waves,
            "measure_catalogue": _CATALOGUE,
        }
    )


def _months(start: dt.date, n: int) -> list[dt.date]:
    return [dt.date(start.year + (start.month - 1 + k) // 12, (start.month - 1 + k) % 12 + 1, 1) for k in range(n)]


def _measures_and_progress(
    teams: pl.DataFrame,
    quality: np.ndarray,
    sizes: _Plan,
    rng: np.random.Generator,
    *,
    seed: int,
    deteriorating: str | None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    m_rows: dict[str, list[object]] = {k: [] for k in ("team_id", "measure_id", "period", "numerator", "denominator", "value", "note")}
    p_rows: dict[str, list[object]] = {k: [] for k in ("team_id", "period", "score", "assessor")}
    for i, team_id in enumerate(teams["team_id"].to_list()):
        n_months = int(rng.integers(sizes.months[0], sizes.months[1] + 1))
        start_offset = sizes.months[1] - n_months
        periods = _months(sizes.start_month, sizes.months[1])[start_offset:]
        improves = rng.random() < 0.45 + 0.3 * min(1.0, max(0.0, quality[i]))
        shift_at = int(rng.integers(6, max(7, n_months - 5)))
        measures = ["individual_plan", "what_matters"] + (["waiting_days"] if rng.random() < 0.5 else [])
        for measure in measures:
            note_at = shift_at if improves else -1
            for k, period in enumerate(periods):
                after = improves and k >= shift_at
                m_rows["team_id"].append(team_id)
                m_rows["measure_id"].append(measure)
                m_rows["period"].append(period)
                if measure == "waiting_days":
                    level = 30.0 - (10.0 if after else 0.0)
                    m_rows["numerator"].append(None)
                    m_rows["denominator"].append(None)
                    m_rows["value"].append(float(max(1.0, round(rng.normal(level, 4.0), 1))))
                else:
                    base = 0.35 if measure == "individual_plan" else 0.25
                    p = min(0.95, base + (0.3 if after else 0.0))
                    den = int(rng.integers(12, 45))
                    m_rows["numerator"].append(float(rng.binomial(den, p)))
                    m_rows["denominator"].append(float(den))
                    m_rows["value"].append(None)
                m_rows["note"].append(_NOTES[i % len(_NOTES)] if k == note_at and measure != "waiting_days" else None)
        level = 1.0
        for k, period in enumerate(periods):
            if k % 3 == 2 and rng.random() < 0.55 + 0.2 * (quality[i] > 0.3):
                level = min(5.0, level + 0.5)
            self_score = min(5.0, level + (0.5 if rng.random() < 0.35 else 0.0))
            for assessor, score in (("faculty", level), ("self", self_score)):
                p_rows["team_id"].append(team_id)
                p_rows["period"].append(period)
                p_rows["score"].append(score)
                p_rows["assessor"].append(assessor)
    measures_df = pl.DataFrame(
        m_rows,
        schema={"team_id": pl.String, "measure_id": pl.String, "period": pl.Date, "numerator": pl.Float64,
                "denominator": pl.Float64, "value": pl.Float64, "note": pl.String},
    ).with_columns(pl.col("note").is_in(list(_NOTES)).fill_null(False).alias("change_introduced"))
    if deteriorating is not None:
        measures_df = pl.concat([measures_df, _deteriorating_series(measures_df, deteriorating, sizes, seed)])
    progress_df = pl.DataFrame(
        p_rows, schema={"team_id": pl.String, "period": pl.Date, "score": pl.Float64, "assessor": pl.String}
    )
    return measures_df, progress_df


def _deteriorating_series(measures: pl.DataFrame, team_id: str, sizes: _Plan, seed: int) -> pl.DataFrame:
    """One waiting-time series that gets worse (longer) after staff left: no change was
    introduced, so ``change_introduced`` is false on every month; drawn from a stream of
    its own and added to a team that had no waiting-time series (``_DETERIORATING`` for
    the committed sample)."""
    has_waiting = set(measures.filter(pl.col("measure_id") == "waiting_days")["team_id"])
    if team_id in has_waiting:  # another seed: the first team without a waiting-time series
        free = [t for t in measures["team_id"].unique(maintain_order=True) if t not in has_waiting]
        if not free:
            return measures.clear()
        team_id = free[0]
    periods = measures.filter(pl.col("team_id") == team_id)["period"].unique().sort().to_list()
    rng = np.random.default_rng([seed, _DETERIORATION_STREAM])
    worse_from = len(periods) - 9
    values = [
        float(max(1.0, round(rng.normal(18.0 + (12.0 if k >= worse_from else 0.0), 3.0), 1)))
        for k in range(len(periods))
    ]
    n = len(periods)
    return pl.DataFrame(
        {
            "team_id": [team_id] * n,
            "measure_id": ["waiting_days"] * n,
            "period": periods,
            "numerator": [None] * n,
            "denominator": [None] * n,
            "value": values,
            "note": [_DETERIORATION_NOTE if k == worse_from else None for k in range(n)],
            "change_introduced": [False] * n,
        },
        schema=measures.schema,
    )


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
