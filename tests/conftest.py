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


@pytest.fixture(scope="session")
def browser():  # type: ignore[no-untyped-def]
    """Debian's headless Chromium through Playwright (a failure, not a skip, under CI)."""
    from playwright.sync_api import sync_playwright

    from tests.test_dashboards import _launch

    with sync_playwright() as p:
        b = _launch(p)
        yield b
        b.close()
