"""YAML that never turns a municipality number into another number.

PyYAML follows YAML 1.1: an unquoted ``0301`` is read as the octal number 193, and
``1_000`` or ``0x1F`` are numbers too. evalkit's loader reads plain decimal integers
(``10``, ``-3``) as ints, and any other digit string with a leading zero as text, so
``municipality_id: 0301`` reaches a notebook as ``"0301"``. Everything else is
``yaml.safe_load``: no tags that construct Python objects.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml

from evalkit.errors import InputError


class _EvalkitLoader(yaml.SafeLoader):
    pass


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
    except yaml.YAMLError as exc:
        raise InputError(f"{source}: not valid YAML ({exc})") from None


def load_file(path: str | os.PathLike[str]) -> Any:
    """Read a YAML file; a clear :class:`InputError` when it is missing or malformed."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    return loads(p.read_text(encoding="utf-8"), str(p))
