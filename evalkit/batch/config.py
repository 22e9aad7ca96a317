"""The batch parameter file (``kind: batch``) and its check before anything runs.

A batch file names the notebook of each kind of unit, which units to render and the
parameters they share::

    kind: batch
    description: Wave 2026, every municipality and network
    parameters:                  # shared by every notebook
      data_dir: ../data/sample   # paths are relative to this file
      wave: "2026"
      compare_wave: "2025"
      min_unit_n: 10
      min_cell_n: 5
    networks:
      notebook: ../notebooks/network_report.ipynb
      units: all                 # every network in the data, or a list of ids
    municipalities:
      notebook: ../notebooks/municipality_report.ipynb
      units: {networks: [ost]}   # all | [0301, "3201"] | {networks: [...]}
                                 # | {file: kommuner.xlsx, column: kommunenr}
      parameters: {language: nb} # optional, for this kind of unit only

:func:`load_batch_file` checks the whole file and raises one
:class:`~evalkit.errors.InputError` that lists every problem: its shape (the pydantic
models of :mod:`~evalkit.batch.batchfile`), then the plan (:mod:`~evalkit.batch.plan`):
every parameter against each notebook's ``parameters`` cell (unknown, missing, wrongly
typed), the values (the report's own parameter model), the data folder, waves and every
unit id. The result is a :class:`~evalkit.batch.model.BatchPlan`;
:func:`load_batch_file_cached` remembers it until a file the check read changes.

Municipality numbers are 4-digit text with meaningful leading zeros. An unquoted
``0301`` stays ``"0301"`` (:mod:`evalkit.yamlio`); a number that lost its zero — ``301``
from YAML, a spreadsheet or ``-p`` — gets it back; anything that is not a number of at
most four digits, or is not a municipality in the data, is refused by name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from evalkit.atomic import write_atomic
from evalkit.batch.model import ID_PARAMETERS, BatchPlan, Section, Unit, UnitLevel
from evalkit.errors import InputError


def load_batch_file(
    path: str | os.PathLike[str],
    overrides: Sequence[tuple[str, str]] = (),
) -> BatchPlan:
    """Read and check a ``kind: batch`` file; raise one :class:`InputError` listing every problem.

    ``overrides`` are ``-p NAME VALUE`` pairs from the command line: text, typed by the
    notebooks' parameters cells, applied to the shared parameters.
    """
    # pydantic, papermill and the reference tables: only when a file is checked.
    from evalkit.batch.batchfile import read_batch_file
    from evalkit.batch.plan import plan_batch

    p = Path(path)
    file, problems = read_batch_file(p)
    plan = plan_batch(p, file, overrides, problems) if file is not None else None
    if problems or plan is None:
        raise InputError(_listing(p, problems))
    return plan


def _fingerprint(path: Path, overrides: Sequence[tuple[str, str]], files: Iterable[Path]) -> str:
    from evalkit import __version__

    digest = hashlib.sha256()
    digest.update(json.dumps([__version__, str(path.resolve()), str(Path.cwd()), [list(o) for o in overrides]]).encode())
    for file in files:
        digest.update(str(file).encode())
        try:
            digest.update(hashlib.sha256(file.read_bytes()).digest())
        except OSError:
            digest.update(b"missing")
    return digest.hexdigest()


def load_batch_file_cached(
    path: str | os.PathLike[str],
    overrides: Sequence[tuple[str, str]] = (),
    *,
    cache: Path,
) -> BatchPlan:
    """:func:`load_batch_file`, remembered in ``cache`` (a JSON file in the work folder).

    The check is done again whenever any file it read (the batch file, the notebooks,
    the reference tables, a units file, the instrument), the ``-p`` overrides, the
    working folder or evalkit's version changed; otherwise its result is reused, so a
    batch with nothing to do does not even start papermill.
    """
    p = Path(path)
    try:
        saved = json.loads(cache.read_text(encoding="utf-8"))
        files = [Path(f) for f in saved["plan"]["inputs"]]
        if saved["fingerprint"] == _fingerprint(p, overrides, files):
            return BatchPlan.from_json(saved["plan"])
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        pass
    plan = load_batch_file(p, overrides)
    record = {"fingerprint": _fingerprint(p, overrides, plan.inputs), "plan": plan.to_json()}
    with contextlib.suppress(OSError):
        write_atomic(cache, json.dumps(record, sort_keys=True, default=str))
    return plan


def _listing(path: Path, problems: list[str]) -> str:
    head = f"{path}: {len(problems)} problem{'s' if len(problems) != 1 else ''} in the batch file, nothing was run"
    return head + "".join(f"\n  - {problem}" for problem in problems)


__all__ = ["ID_PARAMETERS", "BatchPlan", "Section", "Unit", "UnitLevel", "load_batch_file", "load_batch_file_cached"]
