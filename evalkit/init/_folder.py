"""The evaluation folder: its templates, its notebooks, and writing it without overwriting."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Final

from evalkit.errors import InputError
from evalkit.init._example import write_example

TEMPLATES: Final = Path(__file__).resolve().parents[1] / "data" / "init"
"""The folder's files as ``evalkit init`` writes them (``gitignore`` becomes ``.gitignore``)."""
PACKAGE_NOTEBOOKS: Final = Path(__file__).resolve().parents[1] / "data" / "notebooks"
"""evalkit's report notebooks as package data, so that ``init`` finds them in any
installation (editable or not). They are copies of the repository's ``notebooks/`` (the
design card's place, which the sample batch and ``make lab`` use); a test keeps the two
byte for byte the same."""
NOTEBOOKS: Final = ("municipality_report.ipynb", "network_report.ipynb")
FOLDERS: Final = ("exports", "data", "work", "site")
"""The empty folders of a new evaluation folder (the first three private: mode 0700)."""
_PRIVATE: Final = ("exports", "data", "work")

_DEFAULTS: Final[dict[str, tuple[str, str, str]]] = {
    "municipality_id": ("str", '""', "empty: the first municipality (by number) with a team in data_dir"),
    "network_id": ("str", '""', "empty: the first network (by id) in data_dir"),
    "wave": ("Optional[str]", "None", "None: the latest wave"),
    "compare_wave": ("Optional[str]", "None", 'an earlier wave to compare with, such as "2025"'),
    "data_dir": ("str", '"../data"', "the canonical data that evalkit validate wrote"),
}
"""The parameters whose defaults an evaluation folder's notebooks change: (type, default,
comment). Empty units and waves are always valid, whatever the folder's data."""
_ASSIGNMENT: Final = re.compile(r"^(?P<name>\w+)\s*:\s*(?P<type>[^=]+?)\s*=\s*(?P<value>.+?)\s*$")


def notebook_for_folder(source: Path) -> str:
    """An evalkit notebook with its parameters' defaults pointed at a folder's ``data``.

    The parameters cell keeps every parameter; ``data_dir`` becomes ``"../data"`` (the
    notebook lives in the folder's ``notebooks``), the unit and the waves are left empty
    (the report then shows the first unit and the latest wave of whatever data the
    folder holds). Returns the notebook's JSON text.
    """
    nb = json.loads(source.read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(cells) != 1:
        raise InputError(f"{source}: expected one cell tagged 'parameters', found {len(cells)}")
    lines = "".join(cells[0]["source"]).split("\n")
    changed = set()
    for i, line in enumerate(lines):
        match = _ASSIGNMENT.match(line)
        if match and match["name"] in _DEFAULTS:
            kind, value, comment = _DEFAULTS[match["name"]]
            lines[i] = f"{match['name']}: {kind} = {value}  # {comment}"
            changed.add(match["name"])
    if "data_dir" not in changed or not changed & {"municipality_id", "network_id"}:
        raise InputError(f"{source}: the parameters cell has no data_dir or unit id to point at the folder's data")
    cells[0]["source"] = [line + "\n" for line in lines[:-1]] + [lines[-1]]
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _refuse_existing(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: exists and is not a folder; expected a new or empty folder")
    if target.is_dir():
        entries = sorted(p.name for p in target.iterdir())
        if entries:
            shown = ", ".join(entries[:5]) + (", …" if len(entries) > 5 else "")
            raise InputError(
                f"{target}: the folder is not empty ({shown}); evalkit init writes only into a new or "
                "empty folder, so that no file of yours is overwritten"
            )


def _template_files() -> dict[Path, bytes]:
    if not TEMPLATES.is_dir():
        raise InputError(f"{TEMPLATES}: evalkit's templates for init are missing (a broken installation)")
    files: dict[Path, bytes] = {}
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file():
            relative = path.relative_to(TEMPLATES)
            if relative == Path("gitignore"):
                relative = Path(".gitignore")
            files[relative] = path.read_bytes()
    for name in NOTEBOOKS:
        source = PACKAGE_NOTEBOOKS / name
        if not source.is_file():
            raise InputError(f"{source}: evalkit's report notebook is missing (a broken installation)")
        files[Path("notebooks") / name] = notebook_for_folder(source).encode("utf-8")
    return files


def init_folder(target: str | os.PathLike[str], *, example: bool = False) -> list[Path]:
    """Create an evaluation folder at ``target`` (new, or an empty folder); returns its files.

    Everything is written into a hidden folder beside ``target`` first and renamed into
    place at the end, so that a refusal or a failure leaves nothing behind.

    Raises
    ------
    InputError
        ``target`` exists and is not an empty folder (nothing is ever overwritten).
    """
    target = Path(target)
    _refuse_existing(target)
    files = _template_files()
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.init-", dir=target.parent))
    try:
        for folder in (*FOLDERS, "notebooks"):
            (stage / folder).mkdir()
        for folder in _PRIVATE:
            (stage / folder).chmod(0o700)
        for relative, data in files.items():
            (stage / relative).parent.mkdir(parents=True, exist_ok=True)
            (stage / relative).write_bytes(data)
        if example:
            write_example(stage)
        _refuse_existing(target)  # nothing appeared there meanwhile
        if target.is_dir():
            target.rmdir()
        stage.rename(target)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return sorted(p for p in target.rglob("*") if p.is_file())
