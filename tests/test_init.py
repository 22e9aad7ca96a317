"""``evalkit init``: a new evaluation folder whose README's commands lead, as written, from
the survey exports to a published site (issue 18, item 1)."""

from __future__ import annotations

import json
import re
import shlex
import stat
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from evalkit.canonical import CanonicalData, load
from evalkit.cli import main
from evalkit.importers import load_mapping
from evalkit.init import FOLDERS, NOTEBOOKS, init_folder, notebook_for_folder
from evalkit.params import municipality_parameters, network_parameters, notebook_parameters
from evalkit.schema import TABLES

REPO = Path(__file__).resolve().parents[1]


def _commands(readme: str) -> list[str]:
    """Every line of the README's ```sh blocks, in order."""
    blocks = re.findall(r"^```sh\n(.*?)^```", readme, flags=re.M | re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def _parameters_cell(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if "parameters" in c["metadata"].get("tags", []))
    return "".join(cell["source"])


# ----------------------------------------------------------------------- the folder


def test_init_writes_the_folder_and_says_where_the_steps_are(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "evaluering"
    assert main(["init", str(folder)]) == 0
    assert "README.md" in capsys.readouterr().out
    files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert files == {
        ".gitignore", "README.md", "batch.yml", "mappings/nettskjema.yml", "mappings/surveyxact.yml",
        "reference/networks.yml", "reference/waves.yml", "reference/measures.yml", "reference/teams.csv",
        "notebooks/municipality_report.ipynb", "notebooks/network_report.ipynb",
    }
    for name in FOLDERS:
        assert (folder / name).is_dir() and not any((folder / name).iterdir())
    for private in ("exports", "data", "work"):
        assert stat.S_IMODE((folder / private).stat().st_mode) == 0o700
    assert set((folder / ".gitignore").read_text().split()) >= {"exports/", "data/", "work/"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging folder left


def test_init_into_an_existing_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert main(["init", str(tmp_path / "empty")]) == 0
    assert (tmp_path / "empty" / "README.md").is_file()


@pytest.mark.parametrize("existing", ["README.md", ".hidden", "exports/medlem.csv"])
def test_init_refuses_a_folder_that_is_not_empty_and_writes_nothing(
    existing: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mine"
    (folder / existing).parent.mkdir(parents=True, exist_ok=True)
    (folder / existing).write_text("the evaluator's own file", encoding="utf-8")
    before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert main(["init", str(folder)]) == 2
    err = capsys.readouterr().err
    assert f"{folder}: the folder is not empty" in err and "Traceback" not in err
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == before
    assert (folder / existing).read_text(encoding="utf-8") == "the evaluator's own file"


def test_init_refuses_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "f").write_text("x", encoding="utf-8")
    assert main(["init", str(tmp_path / "f")]) == 2
    assert "is a file" in capsys.readouterr().err  # click refuses it before init runs


def test_the_folders_notebooks_read_its_data_and_leave_unit_and_wave_empty(tmp_path: Path) -> None:
    init_folder(tmp_path / "e")
    for name, unit in zip(NOTEBOOKS, ("municipality_id", "network_id"), strict=True):
        path = tmp_path / "e" / "notebooks" / name
        declared = notebook_parameters(path)
        package = notebook_parameters(REPO / "notebooks" / name)
        assert set(declared) == set(package)  # every parameter kept (the batch sets them)
        defaults = {n: p.literal_default() for n, p in declared.items()}
        assert defaults["data_dir"] == (True, "../data")
        assert defaults[unit] == (True, "")
        assert defaults["wave"] == (True, None) and defaults["compare_wave"] == (True, None)
        for other in set(declared) - {"data_dir", unit, "wave", "compare_wave"}:
            assert defaults[other] == package[other].literal_default(), other
        nb = json.loads(path.read_text(encoding="utf-8"))
        original = json.loads((REPO / "notebooks" / name).read_text(encoding="utf-8"))
        assert [c["source"] for c in nb["cells"] if "parameters" not in c["metadata"].get("tags", [])] == \
            [c["source"] for c in original["cells"] if "parameters" not in c["metadata"].get("tags", [])]
        assert all(c.get("outputs", []) == [] for c in nb["cells"])


def test_an_empty_unit_id_is_a_valid_parameter() -> None:
    assert municipality_parameters(municipality_id="").municipality_id == ""
    assert network_parameters(network_id="").network_id == ""
    assert municipality_parameters(municipality_id=301).municipality_id == "0301"


def test_the_templates_build_and_their_mappings_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "e"
    init_folder(folder)
    assert main(["reference", "build", str(folder / "reference"), "--out", str(folder / "work" / "reference")]) == 0
    assert "2 networks, 4 municipalities, 1 waves, 2 measures" in capsys.readouterr().out
    ref = folder / "work" / "reference"
    assert pl.read_parquet(ref / "networks.parquet").rows() == [("ost", "Læringsnettverk Øst"),
                                                                ("vest", "Læringsnettverk Vest")]
    assert sorted(pl.read_parquet(ref / "municipalities.parquet").get_column("municipality_id")) == \
        ["0301", "3201", "4601", "4602"]
    for tool in ("nettskjema", "surveyxact"):
        mapping = load_mapping(folder / "mappings" / f"{tool}.yml")
        assert [t.id for t in mapping.teams] == ["T0301-1", "T3201-1", "T4601-1"]
        assert mapping.resolve(mapping.reference or "") == folder / "mappings" / ".." / "work" / "reference"
    partners = {t.id: t.partners for t in load_mapping(folder / "mappings" / "nettskjema.yml").teams}
    assert partners["T4601-1"] == ("4602",)


def _switched_on(text: str) -> str:
    """The README's step 3, done by hand: "# " removed from every line from "# measures:" on."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("# measures:"))
    return "".join(lines[:start]) + "".join(line[2:] if line.startswith("# ") else line for line in lines[start:])


@pytest.mark.parametrize("tool", ["nettskjema", "surveyxact"])
def test_the_mappings_measures_and_progress_sections_are_off_and_load_when_switched_on(
    tool: str, tmp_path: Path
) -> None:
    folder = tmp_path / "e"
    init_folder(folder)
    path = folder / "mappings" / f"{tool}.yml"
    off = load_mapping(path)
    assert off.measures is None and off.progress is None
    path.write_text(_switched_on(path.read_text(encoding="utf-8")), encoding="utf-8")
    on = load_mapping(path)
    assert on.measures is not None and on.progress is not None
    assert (on.measures.layout, on.measures.team.from_, on.measures.part) == ("wide", "title", "Del")
    assert on.measures.measure is not None and on.measures.measure.column == "Måling"
    assert (on.progress.layout, on.progress.team.column) == ("wide", "Team")
    assert on.progress.assessor is not None and on.progress.assessor.column == "Vurdering"
    # The file names the README gives are told apart from each other and from the surveys'.
    from evalkit.importers._transform import assign_files

    names = ["maalinger.xlsx", "Målinger 2025.xlsx", "fremdrift.csv", "medlemsundersokelse.csv"]
    if tool == "nettskjema":
        names.append("teamundersokelse.csv")
    assigned = assign_files([Path(n) for n in names], on)
    assert {k: [p.name for p in v] for k, v in assigned.items()} == {
        "measures": ["maalinger.xlsx", "Målinger 2025.xlsx"], "progress": ["fremdrift.csv"],
        "member": ["medlemsundersokelse.csv"], **({"team": ["teamundersokelse.csv"]} if tool == "nettskjema" else {}),
    }
    assert on.member == off.member and on.team == off.team and on.teams == off.teams


def test_the_example_switches_the_sections_on_and_writes_the_teams_spreadsheets(tmp_path: Path) -> None:
    folder = tmp_path / "e"
    init_folder(folder, example=True)
    for tool in ("nettskjema", "surveyxact"):
        template = (REPO / "evalkit" / "data" / "init" / "mappings" / f"{tool}.yml").read_text(encoding="utf-8")
        assert (folder / "mappings" / f"{tool}.yml").read_text(encoding="utf-8") == _switched_on(template)
    assert sorted(p.name for p in (folder / "exports").iterdir()) == [
        "fremdrift.csv", "maalinger.xlsx", "medlemsundersokelse.csv", "teamundersokelse.csv"]
    import fastexcel

    sheets = fastexcel.read_excel(folder / "exports" / "maalinger.xlsx").sheet_names
    assert len(sheets) == 40 and sheets[:2] == ["Oslo 1", "Oslo 2"]  # one per team of the sample
    progress = (folder / "exports" / "fremdrift.csv").read_bytes()
    assert progress.startswith("\ufeffTeam;Vurdering;".encode())  # as Norwegian Excel saves a CSV
    assert ";1,5;" in progress.decode("utf-8")


def test_the_readme_names_only_commands_that_exist_with_options_they_take() -> None:
    readme = (REPO / "evalkit" / "data" / "init" / "README.md").read_text(encoding="utf-8")
    commands = _commands(readme)
    assert [c.split()[:2] for c in commands] == [
        ["evalkit", "reference"], ["evalkit", "validate"], ["evalkit", "batch"], ["jupyter", "lab"]]
    # The folders the commands write are the ones init makes, and the README's table names.
    for name in (*FOLDERS, "reference", "mappings", "notebooks"):
        assert f"`{name}/`" in readme


@pytest.mark.slow
def test_init_finds_the_notebooks_in_a_non_editable_install(evalkit_wheel: Path, tmp_path: Path) -> None:
    """The wheel unpacked as pip installs it, and nothing of the repository on the path:
    init writes the folder with both notebooks, pointed at its data."""
    import os
    import subprocess
    import sys
    import zipfile

    site = tmp_path / "site-packages"
    with zipfile.ZipFile(evalkit_wheel) as archive:
        archive.extractall(site)
    assert {n for n in NOTEBOOKS if (site / "evalkit" / "data" / "notebooks" / n).is_file()} == set(NOTEBOOKS)
    script = ("import evalkit, sys; from evalkit.cli import main; print(evalkit.__file__); "
              "sys.exit(main(['init', 'e']))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines()[0] == str(site / "evalkit" / "__init__.py")  # not the repository's
    for name in NOTEBOOKS:
        written = tmp_path / "e" / "notebooks" / name
        assert written.read_text(encoding="utf-8") == notebook_for_folder(REPO / "notebooks" / name)


# ----------------------------------------------------------------------- following the README


@pytest.mark.slow
def test_following_the_readme_from_init_to_a_published_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_data: CanonicalData, capsys: pytest.CaptureFixture[str]
) -> None:
    """init --example, then every command of the README's ```sh blocks, exactly as written,
    from the folder: the sample's survey answers come through to a published site."""
    folder = tmp_path / "evaluering"
    assert main(["init", str(folder), "--example"]) == 0
    monkeypatch.chdir(folder)
    commands = _commands((folder / "README.md").read_text(encoding="utf-8"))
    ran = []
    for line in commands:
        words = shlex.split(line)
        if words[0] == "jupyter":
            continue  # an interactive program: the notebook is run below instead
        assert words[0] == "evalkit", line
        code = main(words[1:])
        out = capsys.readouterr()
        assert code == 0, f"{line}\n{out.out}\n{out.err}"
        ran.append(words[1])
    assert ran == ["reference", "validate", "batch"]

    # The import is the sample, exactly: the same people in the same teams and roles,
    # the same answers, the same team survey facts (the sample is the independent source).
    data = load(folder / "data")
    assert data.rejections.height == 0
    by = ["wave", "team_id", "municipality_id", "network_id", "role"]
    assert data.respondents.group_by(by).len().sort(by).equals(sample_data.respondents.group_by(by).len().sort(by))
    assert data.answers.height == sample_data.answers.height
    answered = ["value", "dont_know", "item_id"]
    assert data.answers.group_by(answered).len().sort(answered).equals(
        sample_data.answers.group_by(answered).len().sort(answered))
    facts = ["team_id", "wave", "channels", "n_user_reps", "reps_trained", "recruitment_difficulty"]
    assert data.teams.select(facts).sort("team_id", "wave").equals(sample_data.teams.select(facts).sort("team_id", "wave"))
    assert not set(data.respondents.get_column("respondent_id")) & set(sample_data.respondents.get_column("respondent_id"))

    # The site: a page for every network and every municipality hosting a team, and the index.
    site = folder / "site"
    hosts = set(sample_data.teams.get_column("municipality_id"))
    networks = set(sample_data.teams.get_column("network_id"))
    pages = {p.name for p in site.glob("*.html")}
    assert pages == {"index.html", *(f"municipality-{m}.html" for m in hosts), *(f"network-{n}.html" for n in networks)}
    manifest = json.loads((site / "manifest.json").read_text(encoding="utf-8"))
    assert {u["page"]: u["status"] for u in manifest["units"]} == {p: "ok" for p in pages - {"index.html"}}
    assert {u["parameters"]["wave"] for u in manifest["units"]} == {sample_data.wave_order()[-1]}
    blob = "".join(p.read_text(encoding="utf-8") for p in site.glob("*.html"))
    for rid in data.respondents.get_column("respondent_id").head(50):
        assert rid not in blob
    assert not (site / "pseudonym.key").exists() and (folder / "work" / "pseudonym.key").is_file()

    # The teams' spreadsheets came in with the same command: the sample's measures and
    # progress scores, exactly (numbers, notes, change points).
    for table in ("measures", "progress"):
        key = list(TABLES[table].key)
        assert_frame_equal(getattr(data, table).sort(key), getattr(sample_data, table).sort(key), check_dtypes=True)

    # JupyterLab's "Run All" on the folder's notebook with its defaults: no error, and the
    # page is about the first municipality (by number) with a team.
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(folder / "notebooks" / "municipality_report.ipynb", as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder / "notebooks")}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    first = min(hosts)
    name = sample_data.reference().municipality_name(first)
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert re.search(rf"<h1[^>]*>[^<]*{re.escape(name)}", html), name


@pytest.mark.parametrize(("level", "make"), [("municipality", municipality_parameters), ("network", network_parameters)])
def test_an_empty_unit_is_the_datas_first_unit_with_a_team(
    level: str, make: object, sample_dir: Path, sample_data: CanonicalData
) -> None:
    from evalkit.report.setup import open_context

    column = {"municipality": "municipality_id", "network": "network_id"}[level]
    params = make(**{column: "", "data_dir": sample_dir})  # type: ignore[operator]
    context = open_context(params)
    assert context.unit_id == sample_data.teams.get_column(column).min()
    assert context.level == level


def test_the_readmes_surveyxact_alternative_imports_a_surveyxact_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample_data: CanonicalData, capsys: pytest.CaptureFixture[str]
) -> None:
    """Step 4 with --mapping mappings/surveyxact.yml, as the README says, on the wave that
    mapping names (one wave per export) laid out as SurveyXact exports it (Windows-1252,
    semicolons)."""
    from evalkit.importers._layouts import member_wide

    folder = tmp_path / "e"
    init_folder(folder, example=True)
    monkeypatch.chdir(folder)
    wave = load_mapping(Path("mappings/surveyxact.yml")).member.wave.value  # type: ignore[union-attr]
    assert wave in sample_data.wave_order()
    first = CanonicalData.from_frames({
        **{name: frame for name, frame in sample_data.tables() if name not in ("respondents", "answers")},
        "respondents": sample_data.respondents.filter(pl.col("wave") == wave),
        "answers": sample_data.answers.join(sample_data.respondents.filter(pl.col("wave") == wave)
                                            .select("respondent_id"), on="respondent_id", how="semi"),
    })
    member, _ = member_wide(first, load_mapping(Path("mappings/surveyxact.yml")))
    for old in Path("exports").iterdir():
        old.unlink()
    Path("exports/dataset.csv").write_bytes(member.write_csv(separator=";").encode("cp1252"))
    line = next(c for c in _commands(Path("README.md").read_text(encoding="utf-8")) if c.startswith("evalkit validate"))
    words = shlex.split(line.replace("mappings/nettskjema.yml", "mappings/surveyxact.yml"))
    assert main(["reference", "build", "reference", "--out", "work/reference"]) == 0
    assert main(words[1:]) == 0, capsys.readouterr().err
    data = load(Path("data"))
    by = ["team_id", "municipality_id", "network_id", "role"]
    assert data.respondents.group_by(by).len().sort(by).equals(first.respondents.group_by(by).len().sort(by))
    assert data.rejections.height == 0
