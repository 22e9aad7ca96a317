"""Chart rows built from the metrics frames."""

from __future__ import annotations

from typing import Any


def interval_row(
    category: str, order: int, row: dict[str, Any], suppressed: bool, *, estimate: str = "estimate"
) -> dict[str, Any]:
    """One chart row of an estimate with its interval; a suppressed row keeps only its markup."""
    return {
        "category": category,
        "order": order,
        "estimate": None if suppressed else row[estimate],
        "ci_low": None if suppressed else row["ci_low"],
        "ci_high": None if suppressed else row["ci_high"],
        "n": None if suppressed else row["n"],
        "suppressed": suppressed,
    }
