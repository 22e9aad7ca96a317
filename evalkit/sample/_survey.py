"""One wave of the sample's surveys: the team survey (one row per team) and the member
survey (respondents and their answers), drawn from the random streams a caller gives.

The draws are made in a fixed order (see :func:`team_wave` and :func:`member_wave`), so
that a wave drawn from the sample's main stream is the same as long as the calls before
it are.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import polars as pl

from evalkit.instrument import Instrument
from evalkit.schema import CHANNELS, ROLES

# Respondent-level latent trait per dimension (standard deviation on the 1–5 scale) and
# the weight of each item's own noise: together they give network-level Cronbach's
# alpha of about 0.75–0.9, as validated instruments of this kind reach.
_TRAIT_SD: dict[str, float] = {
    "equality": 0.12, "impact": 0.75, "recruitment": 0.85, "experience_consultants": 1.2, "other": 0.8,
}
_ITEM_NOISE = 0.9


@dataclass(frozen=True)
class Practice:
    """Each team's practice and size, fixed over waves (arrays in the order of the teams)."""

    has_ek: np.ndarray
    user_org: np.ndarray
    trained: np.ndarray
    known: np.ndarray
    via_services: np.ndarray
    via_ek: np.ndarray
    n_user_reps: np.ndarray
    n_relative_reps: np.ndarray
    quality: np.ndarray
    """Latent team quality: user-organisation recruitment and training help."""
    small: np.ndarray
    """A tiny team (1–2 providers, no "other"), under the reporting threshold."""

    def take(self, keep: np.ndarray) -> Practice:
        """The practice of the teams where ``keep`` is true."""
        return Practice(**{f.name: getattr(self, f.name)[keep] for f in fields(self)})


@dataclass(frozen=True)
class MemberPlan:
    """Who answers the member survey in one wave: a team (index) and a role per person."""

    wave: str
    team_idx: np.ndarray
    role_idx: np.ndarray


def team_wave(
    wave: str,
    teams: pl.DataFrame,
    practice: Practice,
    rng: np.random.Generator,
    *,
    providers: tuple[int, int],
    answered_share: float,
    record_invited: np.ndarray,
) -> tuple[list[dict[str, object]], MemberPlan]:
    """The team survey's rows of one wave (``teams``: id, name, network, municipality)
    and who answers the member survey. ``answered_share``: the chance that a team lead
    answered the team survey (otherwise the facts are missing); ``record_invited``: per
    team, whether its network records how many it invited."""
    p = practice
    n_teams = teams.height
    # roles of the respondents of every team in this wave
    n_prov = rng.integers(providers[0], providers[1] + 1, n_teams)
    n_prov = np.where(p.small, rng.integers(1, 3, n_teams), n_prov)
    reps_left = rng.binomial(p.n_user_reps, 0.15)
    respond = rng.random((n_teams, 6))
    counts = np.stack(
        [
            n_prov,  # provider
            np.ones(n_teams, dtype=np.int64),  # leader
            rng.binomial(p.n_user_reps, 0.85),  # user_rep
            p.n_relative_reps * (respond[:, 0] < 0.85),  # relative_rep
            p.has_ek * (respond[:, 1] < 0.9),  # experience_consultant
            (respond[:, 2] < 0.2).astype(np.int64) * (~p.small),  # other
        ],
        axis=1,
    ).astype(np.int64)
    team_idx = np.repeat(np.arange(n_teams), counts.sum(axis=1))
    role_idx = np.concatenate([np.repeat(np.arange(6), c) for c in counts]) if n_teams else np.zeros(0, np.int64)
    answered_team_survey = rng.random(n_teams) < answered_share
    rows: list[dict[str, object]] = []
    for i in range(n_teams):
        channels = [
            c
            for c, used in zip(
                CHANNELS,
                (p.user_org[i], p.known[i], p.via_services[i], p.via_ek[i], False),
                strict=True,
            )
            if used
        ] or ["other"]
        invited = [
            int(counts[i, 0] + rng.integers(0, 3)),
            1,
            int(p.n_user_reps[i]),
            int(p.n_relative_reps[i]),
            int(p.has_ek[i]),
            int(counts[i, 5]),
        ]
        facts = answered_team_survey[i]
        team = teams.row(i, named=True)
        rows.append(
            {
                **team,
                "wave": wave,
                "partner_municipality_ids": None,
                "channels": channels if facts else None,
                "n_user_reps": int(p.n_user_reps[i]) if facts else None,
                "n_relative_reps": int(p.n_relative_reps[i]) if facts else None,
                "reps_trained": bool(p.trained[i]) if facts else None,
                "recruitment_difficulty": int(np.clip(round(3.6 - 1.2 * p.user_org[i] + rng.normal(0, 0.8)), 1, 5)) if facts else None,
                "months_to_recruit": float(np.round(max(0.5, rng.gamma(2.0, 1.5 + 1.5 * (not p.user_org[i]))), 1)) if facts else None,
                "reps_left": int(reps_left[i]) if facts else None,
                **{
                    # Networks do not all record how many they invited.
                    f"invited_{role}": invited[k] if facts and record_invited[i] else None
                    for k, role in enumerate(ROLES)
                },
            }
        )
    return rows, MemberPlan(wave, team_idx, role_idx)


def member_wave(
    plan: MemberPlan,
    teams: pl.DataFrame,
    practice: Practice,
    instrument: Instrument,
    rng: np.random.Generator,
    trait_rng: np.random.Generator,
    *,
    first_id: int,
    shift: float,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The respondents and answers of one wave: ids ``R<first_id>`` on; ``shift``: the
    wave's change of the equality and impact items' latent level (1–5 scale). Each
    respondent's own view of each dimension (a latent trait that all of the dimension's
    items share) comes from ``trait_rng``."""
    items = instrument.items_frame()
    item_ids = items["item_id"].to_list()
    dims = items["dimension"].to_list()
    reverse = items["reverse"].to_numpy()
    item_roles = [set(r) for r in items["roles"].to_list()]
    dim_names = sorted(set(dims))
    dim_of_item = np.array([dim_names.index(d) for d in dims])
    trait_sd = np.array([_TRAIT_SD.get(d, _TRAIT_SD["other"]) for d in dim_names])
    team_idx, role_idx = plan.team_idx, plan.role_idx
    quality = practice.quality

    n = team_idx.size
    ids = np.array([f"R{first_id + k:06d}" for k in range(n)])
    role_names = np.array(ROLES)[role_idx]
    respondents = pl.DataFrame(
        {
            "respondent_id": ids,
            "wave": [plan.wave] * n,
            "network_id": teams["network_id"].to_numpy()[team_idx],
            "municipality_id": teams["municipality_id"].to_numpy()[team_idx],
            "team_id": teams["team_id"].to_numpy()[team_idx],
            "role": role_names,
        }
    )
    user_side = np.isin(role_names, ["user_rep", "relative_rep"])
    provider_side = np.isin(role_names, ["provider", "leader"])
    person = rng.normal(0.0, 0.45, n)
    trait = trait_rng.normal(0.0, 1.0, (n, len(dim_names))) * trait_sd[None, :]
    latent_equality = 0.75 + quality[team_idx] - 0.6 * user_side + 0.1 * provider_side + person + shift
    latent_impact = 0.45 + 1.2 * quality[team_idx] - 0.2 * user_side + 0.8 * person + shift
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
    no_ek = ~practice.has_ek[team_idx]
    ek_items = np.array([d == "experience_consultants" for d in dims])
    dont_know |= no_ek[:, None] & ek_items[None, :] & ~missing
    applies = np.array([[r in roles for roles in item_roles] for r in role_names], dtype=bool).reshape(n, len(item_ids))
    rr, cc = np.nonzero(applies)
    dk = dont_know[rr, cc]
    miss = missing[rr, cc]
    val = values[rr, cc]
    answers = (
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
    return respondents, answers
