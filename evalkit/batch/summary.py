"""What a batch did: :class:`BatchResult`, and the lines printed at its end."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from evalkit.errors import ExitCode


@dataclass
class BatchResult:
    """What a batch did (the summary is printed from it)."""

    units: int
    rendered: int
    unchanged: int
    reused_staged: int
    failed: list[tuple[str, str]]
    rejected: list[tuple[str, str]]
    store_built: bool
    store_seconds: float
    seconds: float
    published: int
    out: Path
    work: Path
    notes: list[str] = field(default_factory=list)
    store_damage: tuple[str, ...] = ()
    store_model_seconds: float | None = None
    """Of ``store_seconds``, the multilevel model's fit."""
    index_updated: bool = False
    withdrawn: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What the audit only reports (the cross-page attack's findings, unless
    ``--strict-attack``): printed, never a reason to withhold a page or to fail."""

    @property
    def exit_code(self) -> int:
        return int(ExitCode.FAILED if self.failed or self.rejected else ExitCode.OK)


def summary_text(result: BatchResult, *, engine: str, jobs: int, executor: str) -> str:
    """The lines printed at the end of a batch."""
    lines = []
    head = f"evalkit batch: {result.units} unit(s)"
    if (result.rendered == 0 and not result.store_built and not result.failed and not result.rejected
            and not result.reused_staged and not result.index_updated and not result.withdrawn):
        lines.append(f"{head}: nothing changed — the prepared store and all {result.unchanged} page(s) are up to date; "
                     "nothing prepared, nothing rendered")
    else:
        parts = [f"{result.rendered} rendered", f"{result.unchanged} unchanged"]
        if result.reused_staged:
            parts.append(f"{result.reused_staged} finished earlier")
        parts.append(f"{len(result.failed)} failed")
        if result.rejected:
            parts.append(f"{len(result.rejected)} rejected by the audit")
        lines.append(f"{head}: {', '.join(parts)} [engine {engine}, executor {executor}, {jobs} job(s)]")
        store = (f"rebuilt in {result.store_seconds:.1f} s" if result.store_built else "up to date")
        if result.store_built and result.store_model_seconds is not None:
            store += f" (of which the multilevel model {result.store_model_seconds:.1f} s)"
        if result.store_damage:
            store = f"damaged ({'; '.join(result.store_damage)}), {store}"
        lines.append(f"  prepared store: {store}")
    per_page = f" ({result.seconds / result.rendered:.2f} s per rendered page)" if result.rendered else ""
    index = ", index.html updated" if result.index_updated else ""
    lines.append(f"  {result.published} page(s) published to {result.out}{index} in {result.seconds:.1f} s{per_page}")
    lines.append(f"  work folder: {result.work}")
    if result.withdrawn:
        lines.append(f"  {len(result.withdrawn)} page(s) of units no longer in the batch removed from {result.out}: "
                     + ", ".join(result.withdrawn[:10]) + (" …" if len(result.withdrawn) > 10 else ""))
    for key, error in result.failed:
        lines.append(f"  FAILED {key}: {error}")
    for key, why in result.rejected:
        lines.append(f"  REJECTED {key}: {why} (see {result.work / 'rejected'})")
    for note in result.notes:
        lines.append(f"  note: {note}")
    for warning in result.warnings:
        lines.append(f"  WARNING: {warning}")
    return "\n".join(lines)


__all__ = ["BatchResult", "summary_text"]
