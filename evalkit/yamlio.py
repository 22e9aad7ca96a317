"""YAML that never turns a municipality number into another number.

PyYAML follows YAML 1.1: an unquoted ``0301`` is read as the octal number 193, and
``1_000`` or ``0x1F`` are numbers too. evalkit's loader reads plain decimal integers
(``10``, ``-3``) as ints, and any other digit string with a leading zero as text, so
``municipality_id: 0301`` reaches a notebook as ``"0301"``. Everything else is
``yaml.safe_load``: no tags that construct Python objects.

Configuration that cannot surprise: a key written twice in one mapping (``min_cell_n: 5``
and later ``min_cell_n: 3`` — PyYAML silently keeps the last) and anchors or aliases
(``&a``/``*a``: a kilobyte of nested aliases expands to gigabytes) are refused with one
line naming the file and the line, before anything is built. A file that is not UTF-8
text is refused naming it. Every YAML file evalkit reads — parameters, batch files,
mappings, instruments — goes through :func:`loads` or :func:`load_file`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import InputError


class _EvalkitLoader(yaml.SafeLoader):
    """SafeLoader without anchors, aliases or duplicate keys."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            kind = "an alias" if isinstance(event, yaml.AliasEvent) else "an anchor"
            raise _Refused(f"line {event.start_mark.line + 1}: {kind} ({'*' if kind == 'an alias' else '&'}"
                           f"{anchor}) — anchors and aliases are not allowed; write the value out")
        return super().compose_node(parent, index)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.setdefault(key, line)
            except TypeError:
                continue  # an unhashable key: SafeLoader's own error follows
            if first != line:
                raise _Refused(f"line {line}: key {key!r} appears twice in one mapping (first on line "
                               f"{first}); write each key once")
        return super().construct_mapping(node, deep=deep)


class _Refused(yaml.YAMLError):
    """A YAML feature evalkit refuses (the message is one line, with the line number)."""


# Replace the YAML 1.1 int resolver with plain decimal integers only.
_EvalkitLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:int"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_EvalkitLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?(?:0|[1-9][0-9]*))$"), list("-+0123456789")
)


def loads(text: str, source: str = "<string>") -> Any:
    """Parse YAML text with evalkit's loader.

    Examples
    --------
    >>> loads("municipality_id: 0301\\nmin_cell_n: 5\\nratio: 0.5")
    {'municipality_id': '0301', 'min_cell_n': 5, 'ratio': 0.5}
    """
    try:
        return yaml.load(text, Loader=_EvalkitLoader)
    except _Refused as exc:
        raise InputError(f"{source}, {exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML ({' '.join(str(exc).split())})") from None


YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Located:
    """YAML data with the line of every key and list entry, for errors a person can find.

    ``lines`` maps a path — mapping keys as written (``"2025"``, not ``2025``) and list
    indexes — to its 1-based line: a key's own line, a list entry's first line.
    """

    data: Any
    source: str
    lines: dict[YamlPath, int] = field(default_factory=dict)

    def line(self, *path: str | int) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        keys = tuple(str(p) if not isinstance(p, int) else p for p in path)
        while keys:
            if keys in self.lines:
                return self.lines[keys]
            keys = keys[:-1]
        return self.lines.get((), None)

    def where(self, *path: str | int) -> str:
        """``"file, line N"`` for ``path`` (just the file when no line is known)."""
        n = self.line(*path)
        return self.source if n is None else f"{self.source}, line {n}"


def loads_located(text: str, source: str = "<string>") -> Located:
    """:func:`loads`, keeping the line of every key and list entry.

    Examples
    --------
    >>> doc = loads_located("waves:\\n  - id: 2025\\n  - id: 2026\\n    collected: x\\n", "w.yml")
    >>> doc.data["waves"][1], doc.where("waves", 1, "collected")
    ({'id': 2026, 'collected': 'x'}, 'w.yml, line 4')
    """
    loader = _EvalkitLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.construct_document(node)
    except _Refused as exc:
        raise InputError(f"{source}, {exc}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML ({' '.join(str(exc).split())})") from None
    finally:
        loader.dispose()
    lines: dict[YamlPath, int] = {}

    def walk(n: yaml.Node, path: YamlPath) -> None:
        lines.setdefault(path, n.start_mark.line + 1)
        if isinstance(n, yaml.MappingNode):
            for key, value in n.value:
                if isinstance(key, yaml.ScalarNode):
                    lines.setdefault((*path, str(key.value)), key.start_mark.line + 1)
                    walk(value, (*path, str(key.value)))
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                walk(item, (*path, i))

    if node is not None:
        walk(node, ())
    return Located(data, source, lines)


def load_located(path: str | os.PathLike[str], what: str = "file") -> Located:
    """:func:`load_file`, keeping lines (see :func:`loads_located`)."""
    p = Path(path)
    return loads_located(read_text(p, what), str(p))


def read_text(path: str | os.PathLike[str], what: str = "file") -> str:
    """The text of a YAML file: UTF-8 (a byte-order mark is allowed), else a clear error."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: {what} not found")
    data = p.read_bytes()
    if b"\x00" in data[:4096]:
        raise InputError(f"{p}: not a text file (a {what} must be UTF-8 YAML text)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text (byte {exc.start + 1}); save the {what} as UTF-8") from None


def load_file(path: str | os.PathLike[str], what: str = "file") -> Any:
    """Read a YAML file; a clear :class:`InputError` when it is missing, not UTF-8 text,
    malformed, or uses what evalkit refuses (duplicate keys, anchors, aliases).

    Examples
    --------
    >>> loads("min_cell_n: 5\\nmin_cell_n: 3", "batch.yml")
    Traceback (most recent call last):
    ...
    evalkit.errors.InputError: batch.yml, line 2: key 'min_cell_n' appears twice in one mapping (first on line 1); write each key once
    >>> loads("a: &x [1]\\nb: *x", "p.yml")
    Traceback (most recent call last):
    ...
    evalkit.errors.InputError: p.yml, line 1: an anchor (&x) — anchors and aliases are not allowed; write the value out
    """
    p = Path(path)
    return loads(read_text(p, what), str(p))
