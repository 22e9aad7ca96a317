"""Reading text tables a person saved: the encoding and the separator.

Survey exports (:mod:`evalkit.importers`) and the unit lists a batch file may name
(:mod:`evalkit.batch.batchfile`) come from the same places — Nettskjema, SurveyXact,
Norwegian Excel — so they are decoded and split the same way.
"""

from __future__ import annotations

import codecs
import csv
import io
from typing import Final

from evalkit.errors import InputError

SEPARATORS: Final = (",", ";", "\t")


def decode(data: bytes, source: str) -> tuple[str, str]:
    """Decode bytes of a text export; return the text and the encoding found.

    Tries, in order: a byte-order mark (UTF-8, UTF-16), UTF-16 without a mark (NUL
    bytes in every other place), UTF-8, Windows-1252. Anything else is refused.

    Examples
    --------
    >>> decode("Helt enig;Ø".encode("cp1252"), "f.csv")
    ('Helt enig;Ø', 'windows-1252')
    >>> decode(codecs.BOM_UTF8 + "å".encode(), "f.csv")
    ('å', 'utf-8-sig')
    """
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif b"\x00" in data[:4096]:
        head = data[:4096]
        even_nuls = head[0::2].count(0)
        odd_nuls = head[1::2].count(0)
        if odd_nuls > len(head) // 4 and even_nuls < odd_nuls // 4:
            candidates = ["utf-16-le"]
        elif even_nuls > len(head) // 4 and odd_nuls < even_nuls // 4:
            candidates = ["utf-16-be"]
        else:
            raise InputError(
                f"{source}: cannot read the text encoding (the file looks binary); "
                "expected a CSV file saved as UTF-8, UTF-16 or Windows-1252"
            )
    else:
        candidates = ["utf-8", "windows-1252"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise InputError(
        f"{source}: cannot read the text encoding (tried {', '.join(candidates)}); "
        "save the file as UTF-8 (in Excel: 'CSV UTF-8') and try again"
    )


def sniff_separator(text: str, source: str) -> str:
    """Find the separator (comma, semicolon or tab) from the first lines of ``text``.

    The separator that splits the header into the most columns and every sampled line
    into the same number of fields wins.

    Examples
    --------
    >>> sniff_separator('a;b;c\\n1,5;2;3\\n', "f.csv")
    ';'
    >>> sniff_separator('a,b\\n"x;y",2\\n', "f.csv")
    ','
    """
    sample_lines = text[:65536].splitlines()[:50]
    if sample_lines and len(text) > 65536:
        sample_lines = sample_lines[:-1]  # the last line may be cut
    sample = "\n".join(sample_lines)
    best: tuple[int, int, str] | None = None
    for sep in SEPARATORS:
        rows = [r for r in csv.reader(io.StringIO(sample), delimiter=sep) if r]
        if not rows:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        consistent = sum(1 for r in rows if len(r) == width)
        score = (consistent, width, sep)
        if best is None or score[:2] > best[:2]:
            best = score
    if best is None:
        # One column: any separator reads it the same way.
        return ","
    return best[2]
