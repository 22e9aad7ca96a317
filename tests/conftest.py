"""Shared fixtures: the committed sample data, loaded once per session; the built wheel;
the browser."""

from __future__ import annotations

import shutil
import subprocess
import sys
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


@pytest.fixture(scope="session")
def evalkit_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """evalkit's wheel, built as pip builds it from a copy of the package's sources (once a
    session: the slow packaging tests share it)."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "evalkit", src / "evalkit", ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp / "dist"), str(src)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = (tmp / "dist").glob("evalkit-*.whl")
    return wheel
