"""A part of the page: what every section function returns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from evalkit.figure import Block, Figure


@dataclass
class Section:
    """A part of the page: blocks and figures, displayed in order."""

    parts: list[Block | Figure] = field(default_factory=list)

    def add(self, part: Block | Figure | str) -> Section:
        self.parts.append(Block(part) if isinstance(part, str) else part)
        return self

    def __iter__(self) -> Iterator[Block | Figure]:
        return iter(self.parts)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for part in self.parts:
            display(part)

    def html(self) -> str:
        return "".join(p.html() if isinstance(p, Figure) else p.markup for p in self.parts)
