"""YAML that cannot surprise: duplicate keys, anchors, aliases and non-UTF-8 files refused
in every kind of file evalkit reads (issue 14, item 5)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from evalkit.errors import InputError
from evalkit.importers import load_mapping
from evalkit.instrument import InstrumentError, load_instrument
from evalkit.yamlio import load_file, loads

REPO = Path(__file__).resolve().parents[1]


def _bomb(levels: int = 9) -> str:
    """The "billion laughs": each level nine aliases of the one before (9**9 strings)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_duplicate_key_is_refused_with_both_lines() -> None:
    with pytest.raises(InputError) as caught:
        loads("kind: batch\nparameters:\n  min_cell_n: 5\n  min_cell_n: 3\n", "b.yml")
    assert str(caught.value) == (
        "b.yml, line 4: key 'min_cell_n' appears twice in one mapping (first on line 3); write each key once"
    )


def test_same_key_in_two_mappings_is_fine() -> None:
    assert loads("a: {n: 1}\nb: {n: 2}\n") == {"a": {"n": 1}, "b": {"n": 2}}


def test_alias_bomb_is_refused_at_once_in_one_line() -> None:
    start = time.perf_counter()
    with pytest.raises(InputError) as caught:
        loads(_bomb(), "bomb.yml")
    assert time.perf_counter() - start < 1.0
    message = str(caught.value)
    assert message.startswith("bomb.yml, line 1: an anchor (&a0)") and "\n" not in message
    assert len(message) < 200


def test_an_alias_alone_is_refused() -> None:
    with pytest.raises(InputError, match=r"line 1: an alias \(\*x\)"):
        loads("a: *x\n", "p.yml")


def test_non_utf8_and_binary_files_are_refused_naming_them(tmp_path: Path) -> None:
    latin = tmp_path / "params.yml"
    latin.write_bytes("language: nb\nnote: blå\n".encode("cp1252"))  # å is byte 13 + 8 + 1 = 22
    with pytest.raises(InputError, match=r"params\.yml: not UTF-8 text \(byte 22\)"):
        load_file(latin)
    binary = tmp_path / "batch.yml"
    binary.write_bytes(b"\x00\x01\x02kind: batch")
    with pytest.raises(InputError, match=r"batch\.yml: not a text file"):
        load_file(binary)
    bom = tmp_path / "bom.yml"
    bom.write_bytes(b"\xef\xbb\xbfmunicipality_id: 0301\n")
    assert load_file(bom) == {"municipality_id": "0301"}


def test_mapping_and_instrument_files_use_the_same_rules(tmp_path: Path) -> None:
    mapping = tmp_path / "mapping.yml"
    mapping.write_text((REPO / "params" / "nettskjema_mapping.yml").read_text(encoding="utf-8")
                       + "kind: mapping\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"mapping\.yml, line \d+: key 'kind' appears twice"):
        load_mapping(mapping)
    instrument = tmp_path / "instrument.yml"
    instrument.write_text("base: &b {scale: 5}\nother: *b\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match=r"instrument\.yml, line 1: an anchor"):
        load_instrument(instrument)


@pytest.mark.slow
def test_batch_with_duplicate_threshold_exits_2_within_seconds(tmp_path: Path) -> None:
    """Regression: `min_cell_n: 5` then `min_cell_n: 3` ran with 3 and published 3s and 4s."""
    batch = tmp_path / "batch.yml"
    text = (REPO / "params" / "sample_batch.yml").read_text(encoding="utf-8")
    text = text.replace("  min_cell_n: 5\n", "  min_cell_n: 5\n  min_cell_n: 3\n")
    text = text.replace("../data/sample", str(REPO / "data" / "sample"))
    text = text.replace("../notebooks", str(REPO / "notebooks"))
    batch.write_text(text, encoding="utf-8")
    out = tmp_path / "site"
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "evalkit.cli", "batch", str(batch), "--out", str(out)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert time.perf_counter() - start < 30
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "key 'min_cell_n' appears twice" in lines[0] and "batch.yml, line" in lines[0]
    assert not out.exists() or not any(out.iterdir())


def test_loads_located_keeps_lines_and_refuses_what_loads_refuses() -> None:
    from evalkit.yamlio import loads_located

    text = "networks:\n  - id: ost\n    municipalities:\n      - 0301\n      - {number: 301}\n"
    doc = loads_located(text, "n.yml")
    assert doc.data == {"networks": [{"id": "ost", "municipalities": ["0301", {"number": 301}]}]}
    assert doc.where("networks", 0, "municipalities", 1, "number") == "n.yml, line 5"
    assert doc.where("networks", 0, "municipalities") == "n.yml, line 3"
    assert doc.where("networks", 0, "name") == "n.yml, line 2"  # absent: its entry's line
    with pytest.raises(InputError, match=r"^d\.yml, line 3: key 'id' appears twice"):
        loads_located("networks:\n  - id: a\n    id: b\n", "d.yml")
    with pytest.raises(InputError, match="anchors and aliases are not allowed"):
        loads_located("a: &x 1\nb: *x\n", "a.yml")
    assert loads_located("", "e.yml").data is None
