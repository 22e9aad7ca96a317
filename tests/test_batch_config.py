"""The batch file: its model and the whole-file check before anything runs (evalkit/batch/config.py, batchfile.py, plan.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest

from evalkit.batch.config import BatchPlan, load_batch_file
from evalkit.cli import main
from evalkit.errors import InputError

REPO = Path(__file__).resolve().parents[1]


def write_batch(folder: Path, body: str) -> Path:
    """A batch file in ``folder`` whose relative paths point into the repository."""
    nb = REPO / "notebooks"
    text = body.replace("NB_DIR", str(nb)).replace("DATA_DIR", str(REPO / "data" / "sample"))
    path = folder / "batch.yml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = """\
kind: batch
parameters:
  data_dir: DATA_DIR
  wave: "2026"
  compare_wave: "2025"
"""


def test_sample_batch_file_is_valid() -> None:
    plan = load_batch_file(REPO / "params" / "sample_batch.yml")
    assert isinstance(plan, BatchPlan)
    assert plan.settings["wave"] == "2026"
    assert plan.settings["min_cell_n"] == 5
    levels = [u.level for _, u in plan.units()]
    assert levels.count("network") == 3
    assert levels.count("municipality") == 24
    assert [s.level for s in plan.sections] == ["network", "municipality"]
    oslo = next(u for _, u in plan.units() if u.unit_id == "0301")
    assert oslo.name == "Oslo" and oslo.page == "municipality-0301.html" and oslo.networks == ("ost",)


def test_every_parameter_reaches_the_notebook_explicitly() -> None:
    plan = load_batch_file(REPO / "params" / "sample_batch.yml")
    section, unit = plan.units()[3]
    params = section.unit_parameters(unit, "/store")
    assert params["municipality_id"] == unit.unit_id
    assert params["prepared_dir"] == "/store"
    assert params["data_dir"] == str(REPO / "data" / "sample")
    assert params["static_charts"] is False  # the notebook's default, made explicit


@pytest.mark.parametrize(
    ("units", "expected"),
    [
        ("[0301]", ["0301"]),  # unquoted: evalkit's YAML keeps the zero
        ("[301]", ["0301"]),  # a number that lost its zero gets it back
        ('["0301", 3201, "3201"]', ["0301", "3201"]),  # duplicates once
        ("{networks: [midtnord]}", ["1505", "1506", "1804", "3403", "3405", "3407", "5001", "5501"]),
    ],
)
def test_municipality_numbers_keep_their_leading_zero(tmp_path: Path, units: str, expected: list[str]) -> None:
    path = write_batch(tmp_path, BASE + f"municipalities:\n  notebook: NB_DIR/municipality_report.ipynb\n  units: {units}\n")
    plan = load_batch_file(path)
    assert [u.unit_id for _, u in plan.units()] == expected


def test_the_shape_of_the_file_is_checked_part_by_part(tmp_path: Path) -> None:
    """Every part in error is named; the parts that are right are still checked."""
    body = """\
kind: batch
parameters: [1]
networks:
  units: {networks: [ost]}
municipalities:
  notebook: NB_DIR/municipality_report.ipynb
  units: {file: k.csv, colum: x}
  parameters: {min_cell_n: many}
"""
    with pytest.raises(InputError) as info:
        load_batch_file(write_batch(tmp_path, body))
    lines = str(info.value).splitlines()[1:]
    assert lines == [
        "  - parameters: must be a mapping of name: value",
        "  - networks: 'notebook' is missing",
        "  - networks.units: units must be all, a list of ids, {file: ..., column: ...}; got {'networks': ['ost']}",
        "  - municipalities.units: 'column' is missing",
        "  - municipalities.units: unknown key(s) colum (allowed: column, file, sheet)",
        "  - municipalities: parameter 'min_cell_n' should be int, got 'many'",
        "  - parameters: data_dir is missing (a batch must name its canonical data folder)",
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("kind: batch\nparameters: {}\n", "name at least one kind of unit"),
        ("kind: batch\nnetworks:\n", "networks: expected a mapping with notebook and units"),
        ("kind: batch\nmunicipalities: {notebook: x.ipynb, units: {networks: []}}\n",
         "municipalities.units.networks: give a list of network ids"),
    ],
)
def test_bad_shapes(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(InputError, match=expected.replace("{", r"\{").replace("}", r"\}").replace(".", r"\.")):
        load_batch_file(write_batch(tmp_path, body))


def test_a_units_text_file_in_windows_1252_with_tabs(tmp_path: Path) -> None:
    (tmp_path / "kommuner.txt").write_bytes("navn\tkommunenr\nBærum\t3201\nOslo\t301\n".encode("cp1252"))
    path = write_batch(tmp_path, BASE + "municipalities:\n  notebook: NB_DIR/municipality_report.ipynb\n"
                                        "  units: {file: kommuner.txt, column: kommunenr}\n")
    assert [u.unit_id for _, u in load_batch_file(path).units()] == ["3201", "0301"]


def test_a_units_spreadsheet_that_dropped_the_zero(tmp_path: Path) -> None:
    (tmp_path / "kommuner.csv").write_text("kommunenr;navn\n301;Oslo\n3201;Bærum\n", encoding="utf-8")
    path = write_batch(tmp_path, BASE + "municipalities:\n  notebook: NB_DIR/municipality_report.ipynb\n"
                                        "  units: {file: kommuner.csv, column: kommunenr}\n")
    assert [u.unit_id for _, u in load_batch_file(path).units()] == ["0301", "3201"]


def _minimal_xlsx(path: Path, header: str, numbers: list[int]) -> None:
    """An Excel file whose cells hold numbers (as Excel stores 0301 typed as a number)."""
    rows = [f'<row r="1"><c r="A1" t="inlineStr"><is><t>{header}</t></is></c></row>']
    rows += [f'<row r="{i}"><c r="A{i}"><v>{n}</v></c></row>' for i, n in enumerate(numbers, start=2)]
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                   "</Types>")
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {ns} xmlns:r="{rel}"><sheets>'
                   '<sheet name="Ark1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        z.writestr("xl/worksheets/sheet1.xml", f'<?xml version="1.0"?><worksheet {ns}><sheetData>{"".join(rows)}</sheetData></worksheet>')


def test_an_excel_units_file_with_numbers(tmp_path: Path) -> None:
    _minimal_xlsx(tmp_path / "kommuner.xlsx", "kommunenr", [301, 1103])
    path = write_batch(tmp_path, BASE + "municipalities:\n  notebook: NB_DIR/municipality_report.ipynb\n"
                                        "  units: {file: kommuner.xlsx, column: kommunenr}\n")
    assert [u.unit_id for _, u in load_batch_file(path).units()] == ["0301", "1103"]


def test_a_number_that_is_not_a_municipality_is_refused_not_changed(tmp_path: Path) -> None:
    path = write_batch(tmp_path, BASE + "municipalities:\n  notebook: NB_DIR/municipality_report.ipynb\n"
                                        "  units: [3.01, 30100, 9999, 1101]\n")
    with pytest.raises(InputError) as info:
        load_batch_file(path)
    message = str(info.value)
    assert "3.01 is not a municipality number" in message
    assert "30100 is not a municipality number" in message
    assert "municipality 9999 is not a municipality in the data" in message
    assert "1101" in message  # a real number with no team: named, not silently dropped


def test_every_problem_is_listed_at_once_and_nothing_runs(tmp_path: Path) -> None:
    body = """\
kind: batch
colour: blue
parameters:
  data_dir: DATA_DIR
  wave: "2031"
  min_cell_n: five
  shoe_size: 43
  prepared_dir: /tmp/elsewhere
networks:
  notebook: NB_DIR/network_report.ipynb
  units: [ost, vest]
municipalities:
  notebook: NB_DIR/missing.ipynb
  units: all
"""
    with pytest.raises(InputError) as info:
        load_batch_file(write_batch(tmp_path, body))
    message = str(info.value)
    for expected in (
        "unknown key(s) colour",
        "missing.ipynb: notebook not found",
        "unknown parameter 'shoe_size'",
        "parameter 'min_cell_n' should be int, got 'five'",
        "'prepared_dir' is set by the batch",
        "wave '2031' is not a wave in the data",
        "unknown network 'vest'",
        "nothing was run",
    ):
        assert expected in message, expected


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("  language: de\n", "language: Input should be 'nb', 'nn' or 'en' (got 'de')"),
        ("  min_unit_n: 3\n", "min_cell_n (5) may not be larger than min_unit_n (3)"),
    ],
)
def test_values_are_checked_by_the_reports_own_model(tmp_path: Path, extra: str, expected: str) -> None:
    body = BASE + extra + "networks:\n  notebook: NB_DIR/network_report.ipynb\n"
    with pytest.raises(InputError) as info:
        load_batch_file(write_batch(tmp_path, body))
    assert expected in str(info.value)


def test_data_dir_is_required(tmp_path: Path) -> None:
    body = "kind: batch\nnetworks:\n  notebook: NB_DIR/network_report.ipynb\n"
    with pytest.raises(InputError, match="data_dir is missing"):
        load_batch_file(write_batch(tmp_path, body))


def test_a_run_file_is_not_a_batch_file() -> None:
    with pytest.raises(InputError, match="needs a file with 'kind: batch'"):
        load_batch_file(REPO / "params" / "sample_municipality_0301.yml")


def test_notebooks_must_agree_on_the_store_settings(tmp_path: Path) -> None:
    body = BASE + ("networks:\n  notebook: NB_DIR/network_report.ipynb\n  parameters: {min_cell_n: 6}\n"
                   "municipalities:\n  notebook: NB_DIR/municipality_report.ipynb\n")
    with pytest.raises(InputError, match="min_cell_n differs between the notebooks"):
        load_batch_file(write_batch(tmp_path, body))


def test_command_line_overrides_are_typed_by_the_notebook(tmp_path: Path) -> None:
    path = write_batch(tmp_path, BASE + "networks:\n  notebook: NB_DIR/network_report.ipynb\n  units: [ost]\n")
    plan = load_batch_file(path, [("min_cell_n", "6"), ("language", "en")])
    assert plan.settings["min_cell_n"] == 6 and plan.settings["language"] == "en"
    with pytest.raises(InputError) as info:
        load_batch_file(path, [("min_cell_n", "many"), ("colour", "x"), ("municipality_id", "301")])
    assert "not a whole number" in str(info.value)
    assert "no notebook of this batch takes a parameter 'colour'" in str(info.value)
    assert "-p municipality_id: set by the batch" in str(info.value)


def test_cli_exits_2_with_the_listing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_batch(tmp_path, BASE + "networks:\n  notebook: NB_DIR/network_report.ipynb\n  units: [vest]\n")
    code = main(["batch", str(path), "--out", str(tmp_path / "out")])
    assert code == 2
    err = capsys.readouterr().err
    assert "unknown network 'vest'" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_a_checked_batch_file_is_remembered_until_something_it_read_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evalkit.params
    from evalkit.batch.config import load_batch_file_cached

    inspected: list[str] = []
    real = evalkit.params.notebook_parameters

    def counting(notebook: Path) -> Any:
        inspected.append(Path(notebook).name)
        return real(notebook)

    monkeypatch.setattr(evalkit.params, "notebook_parameters", counting)
    notebook = tmp_path / "network_report.ipynb"
    notebook.write_bytes((REPO / "notebooks" / "network_report.ipynb").read_bytes())
    path = tmp_path / "batch.yml"
    path.write_text(BASE.replace("DATA_DIR", str(REPO / "data" / "sample"))
                    + f"networks:\n  notebook: {notebook}\n  units: [ost]\n", encoding="utf-8")
    cache = tmp_path / "work" / "checked-batch.json"
    first = load_batch_file_cached(path, cache=cache)
    per_check = len(inspected)
    assert per_check >= 1
    again = load_batch_file_cached(path, cache=cache)
    assert len(inspected) == per_check  # remembered: papermill not even asked
    assert again == first
    load_batch_file_cached(path, [("min_cell_n", "6")], cache=cache)  # other overrides: checked again
    assert len(inspected) == 2 * per_check
    notebook.write_text(notebook.read_text(encoding="utf-8").replace("Network report", "Nettverk"), encoding="utf-8")
    load_batch_file_cached(path, [("min_cell_n", "6")], cache=cache)  # the notebook changed
    assert len(inspected) == 3 * per_check
