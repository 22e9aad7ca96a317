"""A minimal Excel (XLSX) writer, for the example spreadsheets of ``evalkit init --example``.

evalkit reads Excel with calamine (fastexcel) and has no Excel writer among its
dependencies; the example's measures are a workbook because that is what teams keep.
Writes inline strings, numbers and dates, one or more sheets. A date is stored as Excel
stores it, a serial day number with a date format (``mmm.yy``, how Norwegian Excel shows
a month: "jul.24"); the styles part is only written when a sheet holds a date. The parts
carry a fixed time stamp, so the same sheets give the same bytes. The tests' fixtures are
written with it too (``tests/fixtures/importers/xlsx_writer.py``).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape

from evalkit.importers._grid import letter

Cell = str | int | float | date | None
_EXCEL_EPOCH: Final = date(1899, 12, 30)
_SHEET_NAME: Final = re.compile(r"[^\[\]:*?/\\]{1,31}")
"""What Excel allows as a sheet name: 1 to 31 characters, none of ``[ ] : * ? / \\``."""
_STYLES: Final = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="mmm\\.yy"/></numFmts>'
    '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>'
)
_MAIN: Final = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELS: Final = "http://schemas.openxmlformats.org/package/2006/relationships"
_DOC_RELS: Final = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML: Final = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def _sheet_xml(rows: Sequence[Sequence[Cell]]) -> str:
    out = [_XML, f'<worksheet xmlns="{_MAIN}"><sheetData>']
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{letter(c)}{r}"
            if value is None or value == "":
                continue
            if isinstance(value, date):
                cells.append(f'<c r="{ref}" s="1"><v>{(value - _EXCEL_EPOCH).days}</v></c>')
            elif isinstance(value, bool):
                cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>')
        out.append(f'<row r="{r}">{"".join(cells)}</row>')
    out.append("</sheetData></worksheet>")
    return "".join(out)


def write_xlsx(path: Path, sheets: Mapping[str, Sequence[Sequence[Cell]]]) -> None:
    """Write ``sheets`` (name → rows of cells, in order) to ``path``.

    Raises
    ------
    ValueError
        A sheet name Excel would not accept (empty, longer than 31 characters, or holding
        one of ``[ ] : * ? / \\``).
    """
    names = list(sheets)
    bad = [n for n in names if not _SHEET_NAME.fullmatch(n)]
    if bad:
        raise ValueError(f"{bad[0]!r} is not a sheet name Excel accepts (1-31 characters, none of []:*?/\\)")
    dated = any(isinstance(v, date) for rows in sheets.values() for row in rows for v in row)
    numbers = range(1, len(names) + 1)
    content_types = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{_TYPE}.sheet.main+xml"/>'
        + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_TYPE}.worksheet+xml"/>'
                  for i in numbers)
        + (f'<Override PartName="/xl/styles.xml" ContentType="{_TYPE}.styles+xml"/>' if dated else "")
        + "</Types>"
    )
    root_rels = (
        f'{_XML}<Relationships xmlns="{_RELS}">'
        f'<Relationship Id="rId1" Type="{_DOC_RELS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC_RELS}"><sheets>'
        + "".join(f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in zip(numbers, names, strict=True))
        + "</sheets></workbook>"
    )
    wb_rels = (
        f'{_XML}<Relationships xmlns="{_RELS}">'
        + "".join(f'<Relationship Id="rId{i}" Type="{_DOC_RELS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                  for i in numbers)
        + (f'<Relationship Id="rIdStyles" Type="{_DOC_RELS}/styles" Target="styles.xml"/>' if dated else "")
        + "</Relationships>"
    )
    parts = [("[Content_Types].xml", content_types), ("_rels/.rels", root_rels),
             ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", wb_rels)]
    if dated:
        parts.append(("xl/styles.xml", _STYLES))
    parts += [(f"xl/worksheets/sheet{i}.xml", _sheet_xml(sheets[n])) for i, n in zip(numbers, names, strict=True)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in parts:
            zf.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), text, compress_type=zipfile.ZIP_DEFLATED)
