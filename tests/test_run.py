from __future__ import annotations

from pathlib import Path

import pytest

from evalkit.errors import InputError
from evalkit.params import NotebookParameter, check_parameters, coerce, load_run_file
from evalkit.yamlio import loads


def test_yaml_keeps_leading_zero_municipality_numbers() -> None:
    # PyYAML alone reads 0301 as the octal number 193.
    assert loads("municipality_id: 0301") == {"municipality_id": "0301"}
    assert loads("municipality_id: 5001") == {"municipality_id": 5001}
    assert loads("n: 010") == {"n": "010"}


def test_run_file_paths_are_relative_to_the_file(tmp_path: Path, repo: Path) -> None:
    f = tmp_path / "oslo.yml"
    f.write_text(
        f"kind: run\nnotebook: {repo}/notebooks/municipality_report.ipynb\n"
        "parameters:\n  municipality_id: 0301\n  data_dir: data\n",
        encoding="utf-8",
    )
    loaded = load_run_file(f)
    assert loaded.parameters == {"municipality_id": "0301", "data_dir": str(tmp_path / "data")}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("kind: batch\n", "kind is 'batch'"),
        ("kind: run\nnotebook: x.ipynb\nparams: {}\n", "unknown key(s) params"),
        ("kind: run\nparameters: {}\n", "'notebook' must name a notebook file"),
        ("- a\n- b\n", "expected a mapping"),
        ("kind: run\nnotebook: [\n", "not valid YAML"),
    ],
)
def test_bad_run_files(tmp_path: Path, content: str, message: str) -> None:
    f = tmp_path / "bad.yml"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        load_run_file(f)


def test_coerce_by_declared_type() -> None:
    as_int = NotebookParameter("min_cell_n", "int", "5")
    assert coerce("7", as_int) == 7
    with pytest.raises(InputError, match="not a whole number"):
        coerce("seven", as_int)
    assert coerce("ja", NotebookParameter("static_charts", "bool", "False")) is True
    assert coerce("0301", NotebookParameter("municipality_id", "str", '"0301"')) == "0301"


def test_check_parameters_names_each_problem(repo: Path) -> None:
    problems = check_parameters(
        repo / "notebooks" / "municipality_report.ipynb",
        {"kommune": "0301", "min_cell_n": "5", "municipality_id": 301},
    )
    text = "\n".join(problems)
    assert "unknown parameter 'kommune'" in text
    assert "parameter 'min_cell_n' should be int" in text
    assert "parameter 'municipality_id' should be str, got 301" in text
