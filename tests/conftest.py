"""Shared fixtures: the committed sample data, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from evalkit import canonical
from evalkit.canonical import CanonicalData

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "data" / "sample"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def sample_data() -> CanonicalData:
    return canonical.load(SAMPLE_DIR)
