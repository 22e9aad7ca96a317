"""Import survey exports: the steps of ``evalkit validate`` as plain functions."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import polars as pl

from evalkit import canonical
from evalkit.errors import InputError
from evalkit.instrument import InstrumentError, load_instrument
from evalkit.schema import TABLES

from ._mapping import Mapping, load_mapping
from ._pseudonym import KEY_FILE_NAME, load_or_create_secret
from ._transform import ImportResult, import_exports, load_reference

PathLike = str | os.PathLike[str]


def _inside(child: Path, parent: Path) -> bool:
    child, parent = child.resolve(), parent.resolve()
    return child == parent or parent in child.parents


def reference_folder(mapping: Mapping, reference: PathLike | None) -> Path:
    """The reference folder: ``--reference`` if given, else the mapping's ``reference``."""
    if reference is not None:
        return Path(reference)
    if mapping.reference is not None:
        return mapping.resolve(mapping.reference)
    raise InputError(
        "no reference tables: pass --reference DIR (a canonical data folder with networks, "
        "municipalities, waves and measure_catalogue) or set 'reference:' in the mapping"
    )


def expand_paths(paths: Sequence[PathLike]) -> list[Path]:
    """The input files: a folder stands for the files in it (sorted by name; hidden files
    and Excel's ``~$`` lock files left out, sub-folders not entered)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if not p.is_dir():
            out.append(p)
            continue
        files = sorted(f for f in p.iterdir() if f.is_file() and not f.name.startswith((".", "~$")))
        if not files:
            raise InputError(f"{p}: the folder has no files; expected the survey exports in it")
        out.extend(files)
    return out


_UNUSABLE: Final = {
    "member": ("member survey", "", "exports"),
    "team": ("team survey", "", "exports"),
    "measures": ("measures", " (a team's measure in one month)", "spreadsheets"),
    "progress": ("progress scores", " (an assessor's score for a team in one month)", "spreadsheets"),
}
"""Per section: what the message calls it, what one of its rows is, what its files are."""


def check_usable(result: ImportResult) -> None:
    """Refuse an import in which a section has rows but none of them could be used.

    Raises :class:`InputError` naming the section (a survey, the measures or the progress
    scores) and its most common rejection reasons (with the number of rows each), so that
    nothing is written for a wrong mapping.
    """
    for s in result.stats:
        if s.rows_read and not s.accepted:
            top = sorted(s.by_reason.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
            reasons = ", ".join(f"{reason} ({n} row{'s' if n != 1 else ''})" for reason, n in top)
            name, row, files = _UNUSABLE.get(s.section, (s.section, "", "files"))
            raise InputError(
                f"{name}: none of the {s.rows_read} rows{row} could be used; most common reasons: "
                f"{reasons}; nothing written (fix the mapping or the {files}; the first rejections are listed above)"
            )


def import_files(
    paths: Sequence[PathLike],
    mapping: PathLike | Mapping,
    *,
    work: PathLike,
    reference: PathLike | None = None,
) -> ImportResult:
    """Read, map and validate survey exports; nothing is written except the work folder's key.

    Parameters
    ----------
    paths
        The exports (SurveyXact ``structure``/``labels`` files are found next to their
        ``dataset`` file, or may be listed too); a folder stands for the files in it.
    mapping
        A mapping file (``kind: mapping``) or a loaded :class:`Mapping`.
    work
        The work folder, where the pseudonym key is kept (created on first use).
    reference
        A canonical folder with the reference tables; default the mapping's ``reference``.
    """
    m = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    ref = load_reference(reference_folder(m, reference))
    try:
        instrument = load_instrument(m.resolve(m.instrument) if m.instrument else None)
    except InstrumentError as exc:
        raise InputError(str(exc)) from None
    secret = load_or_create_secret(Path(work))
    return import_exports(expand_paths(paths), m, ref, instrument, secret)


def check_folders(out: PathLike, work: PathLike, free_text: PathLike | None = None) -> None:
    """The key and free text must stay out of the canonical folder (it may be shared)."""
    out_p, work_p = Path(out), Path(work)
    if _inside(work_p / KEY_FILE_NAME, out_p):
        raise InputError(
            f"--work {work_p} is inside --out {out_p}: the pseudonym key must never be in the "
            "canonical data folder; expected a work folder outside it"
        )
    if free_text is not None and _inside(Path(free_text), out_p):
        raise InputError(
            f"--free-text {free_text} is inside --out {out_p}: free text must never enter the "
            "canonical data folder; expected a file outside it (in the work folder)"
        )


def write_result(result: ImportResult, out: PathLike, free_text: PathLike | None = None) -> list[Path]:
    """Write the canonical folder (and the free text, only when asked for by name)."""
    out_p = Path(out)
    written = canonical.write(result.data, out_p)
    stale = out_p / TABLES["rejections"].file_name
    if result.data.rejections.height == 0 and stale.exists():
        stale.unlink()  # an earlier run's rejections must not outlive the fix
    if free_text is not None:
        path = Path(free_text)
        path.parent.mkdir(parents=True, exist_ok=True)
        frame: pl.DataFrame = result.free_text
        if path.suffix.lower() == ".csv":
            frame.write_csv(path)
        else:
            frame.write_parquet(path)
        written.append(path)
    return written
