"""Opaque respondent ids: a keyed hash (HMAC-SHA256) of the tool's submission number.

Why a keyed hash and not random ids with a key table: the same export gives the same ids
on every run, so fixing the input and re-running changes nothing else, a dataset split
over sheets or files joins up, and there is no key table to keep in step with the data.
Without the secret, an id cannot be traced back to a submission number (submission
numbers are few enough that a plain hash could be reversed by trying them all). The
secret lives in the work folder (``<work>/pseudonym.key``, created on first use, readable
only by its owner) and never in the canonical folder; whoever holds it and the export
can recompute the link with :func:`pseudonymise`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Final

import polars as pl

from evalkit.errors import InputError

KEY_FILE_NAME: Final = "pseudonym.key"


def load_or_create_secret(work: Path) -> bytes:
    """The work folder's HMAC secret; a new random one is written on first use."""
    work.mkdir(parents=True, exist_ok=True)
    path = work / KEY_FILE_NAME
    if path.exists():
        text = path.read_text(encoding="ascii").strip()
        try:
            secret = bytes.fromhex(text)
        except ValueError:
            raise InputError(f"{path}: not a pseudonym key (expected 64 hexadecimal digits)") from None
        if len(secret) < 16:
            raise InputError(f"{path}: the pseudonym key is too short (expected 64 hexadecimal digits)")
        return secret
    secret = secrets.token_bytes(32)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secret.hex() + "\n")
    tmp.replace(path)
    return secret


def pseudonymise(secret: bytes, scope: str, submission: str) -> str:
    """The opaque id of one submission within a scope (the wave).

    Examples
    --------
    >>> pseudonymise(b"k" * 32, "2015", "4711")
    'ree84d91885c3f7c3ffd7'
    >>> len(pseudonymise(b"k" * 32, "2015", "4711"))
    21
    """
    digest = hmac.new(secret, f"{scope}\x1f{submission}".encode(), hashlib.sha256).hexdigest()
    return "r" + digest[:20]


def pseudonymise_series(secret: bytes, scope: pl.Series, submission: pl.Series) -> pl.Series:
    """:func:`pseudonymise` over two columns (null where either is null).

    Hashing is the one step done per value in Python: HMAC has no polars expression.
    It runs once per distinct (scope, submission) pair, ~1 µs each.
    """
    pairs = pl.DataFrame({"scope": scope, "submission": submission})
    distinct = pairs.unique(maintain_order=True).drop_nulls()
    ids = [pseudonymise(secret, s, n) for s, n in distinct.iter_rows()]
    keyed = distinct.with_columns(pl.Series("id", ids, dtype=pl.String))
    return pairs.join(keyed, on=["scope", "submission"], how="left", maintain_order="left").get_column("id")
