"""The lines a batch prints at its end: the prepared store's time, and the model's within it."""

from __future__ import annotations

from pathlib import Path

from evalkit.batch.summary import BatchResult, summary_text


def _result(**changes: object) -> BatchResult:
    base: dict[str, object] = {
        "units": 3, "rendered": 3, "unchanged": 0, "reused_staged": 0, "failed": [], "rejected": [],
        "store_built": True, "store_seconds": 6.6, "seconds": 20.0, "published": 3, "out": Path("site"),
        "work": Path("work")}
    return BatchResult(**{**base, **changes})  # type: ignore[arg-type]


def test_the_model_time_is_reported_within_the_store_time() -> None:
    text = summary_text(_result(store_model_seconds=0.42), engine="process", jobs=2, executor="local")
    assert "  prepared store: rebuilt in 6.6 s (of which the multilevel model 0.4 s)" in text.splitlines()


def test_no_model_time_for_a_store_that_was_up_to_date() -> None:
    text = summary_text(_result(store_built=False, store_model_seconds=None), engine="process", jobs=2,
                        executor="local")
    assert "  prepared store: up to date" in text.splitlines()
    assert "model" not in text
