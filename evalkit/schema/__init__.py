"""The canonical data folder: table names, column types, allowed values and keys.

This module is the contract between the importers, the sample generator, the metrics
layer, the notebooks and the batch. A canonical data folder holds one Parquet file per
table, named ``<table>.parquet``. :func:`validate_table` checks a frame against its
schema and raises :class:`SchemaError` naming the file, the row (1-based, as a user
counts), the column, the bad value and what was expected.

Tables
------
respondents
    One row per respondent per wave of the member survey. ``respondent_id`` is opaque
    (never a survey tool's submission number); ``municipality_id`` is the host
    municipality of the respondent's team.
answers
    One row per respondent and item: ``value`` is the item's scale code (null when
    unanswered or don't-know), ``dont_know`` marks "vet ikke / ikke relevant".
teams
    One row per team and wave: static facts (name, host municipality, partner
    municipalities, network) repeated per wave and checked to agree, plus the team
    survey's recruitment facts for that wave (null where the team did not answer).
measures
    Monthly improvement measures as teams report them: numerator/denominator or value,
    and a team's ``note``. Optional column ``change_introduced`` (true/false, default
    false): true in the month the team introduced a change (a new routine); the run chart
    then starts a new part there, with its own centre line, and its text compares the
    levels before and after. Files without the column still load (it is filled with
    false).
progress
    IHI progress scores (0.5..5.0 in steps of 0.5) by faculty and by the team itself.
networks, municipalities, waves, measure_catalogue
    Reference tables.

An optional column (``Column.optional``) may be left out of a file; :func:`validate_table`
adds it with its default.
rejections
    Optional; written by importers: every input row that could not be used, and why.
"""

from __future__ import annotations

from evalkit.schema._plausible import check_plausible
from evalkit.schema._tables import (
    ASSESSORS,
    CHANNELS,
    CHART_KINDS,
    DIRECTIONS,
    MUNICIPALITY_ID_PATTERN,
    OPTIONAL_TABLES,
    PROGRESS_SCORES,
    PROVIDER_SIDE,
    ROLES,
    TABLE_NAMES,
    TABLES,
    USER_SIDE,
    Column,
    SchemaError,
    Table,
)
from evalkit.schema._validate import check_references, normalise_municipality_id, validate_table

__all__ = [
    "ASSESSORS",
    "CHANNELS",
    "CHART_KINDS",
    "DIRECTIONS",
    "MUNICIPALITY_ID_PATTERN",
    "OPTIONAL_TABLES",
    "PROGRESS_SCORES",
    "PROVIDER_SIDE",
    "ROLES",
    "TABLES",
    "TABLE_NAMES",
    "USER_SIDE",
    "Column",
    "SchemaError",
    "Table",
    "check_plausible",
    "check_references",
    "normalise_municipality_id",
    "validate_table",
]
