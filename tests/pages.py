"""Helpers shared by the dashboard tests: render the shipped run files once per session."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from evalkit.run import load_run_file, run_report

REPO = Path(__file__).resolve().parents[1]
RUN_FILES = sorted((REPO / "params").glob("sample_*.yml"))
RUN_FILES = [p for p in RUN_FILES if "kind: run" in p.read_text(encoding="utf-8")]


def render(run_file: Path, out_dir: Path, **overrides: Any) -> Path:
    loaded = load_run_file(run_file)
    parameters = {**loaded.parameters, **overrides}
    suffix = "-".join(f"{k}_{v}" for k, v in sorted(overrides.items()))
    target = out_dir / f"{run_file.stem}{'-' + suffix if suffix else ''}.html"
    run_report(loaded.notebook, parameters, target, work_dir=out_dir / "work")
    return target


class Elements(HTMLParser):
    """Collect start tags with their attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


NETWORK_ATTR = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
