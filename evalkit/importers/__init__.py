"""Importers: survey exports (Nettskjema, SurveyXact, generic CSV/XLSX/Parquet) and the
teams' spreadsheets of monthly measures and progress scores → canonical data.

A *mapping file* (``kind: mapping``, documented in ``evalkit/importers/README.md``) says
which of a tool's columns and codes are which of evalkit's items, levels, roles, teams,
municipalities, networks and waves. :func:`import_files` reads the exports (encoding and
separator detected, decimal commas understood, Excel via calamine), maps them with
whole-column polars operations, and returns the canonical tables plus every row it could
not use (``rejections``) with the reason. ``evalkit validate`` is the command around it.
"""

from __future__ import annotations

from evalkit.textfile import decode, sniff_separator

from ._api import check_folders, import_files, reference_folder, write_result
from ._mapping import (
    FieldSpec,
    Mapping,
    MemberSurvey,
    ScaleMap,
    TeamEntry,
    TeamSurvey,
    load_mapping,
    parse_mapping,
)
from ._measures_spec import MeasuresSection, ProgressSection
from ._pseudonym import pseudonymise
from ._read import Export, read_export
from ._transform import ImportResult, Reference, SectionStats, import_exports, load_reference

__all__ = [
    "Export",
    "FieldSpec",
    "ImportResult",
    "Mapping",
    "MeasuresSection",
    "MemberSurvey",
    "ProgressSection",
    "Reference",
    "ScaleMap",
    "SectionStats",
    "TeamEntry",
    "TeamSurvey",
    "check_folders",
    "decode",
    "import_exports",
    "import_files",
    "load_mapping",
    "load_reference",
    "parse_mapping",
    "pseudonymise",
    "read_export",
    "reference_folder",
    "sniff_separator",
    "write_result",
]
