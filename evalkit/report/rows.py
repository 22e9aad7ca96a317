"""Chart rows built from the metrics frames."""

from __future__ import annotations

from typing import Any

from evalkit.figure import Reason


def interval_row(
    category: str, order: int, row: dict[str, Any], reason: Reason | None, *, estimate: str = "estimate"
) -> dict[str, Any]:
    """One chart row of an estimate with its interval; a hidden row (``reason``: why)
    keeps only its markup."""
    hidden = reason is not None
    out = {
        "category": category,
        "order": order,
        "estimate": None if hidden else row[estimate],
        "ci_low": None if hidden else row["ci_low"],
        "ci_high": None if hidden else row["ci_high"],
        "n": None if hidden else row["n"],
        "suppressed": hidden,
    }
    if hidden:
        out["reason"] = reason
    return out
