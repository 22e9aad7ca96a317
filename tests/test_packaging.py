"""Repository habits: dependency lists agree, notebooks are clean, params files say their kind."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]

# conda-forge names that differ from PyPI's.
CONDA_NAMES = {"types-pyyaml": "types-pyyaml", "pyyaml": "pyyaml"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_lists_what_pyproject_lists() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        for requirement in extra:
            wanted.add(_name(requirement))
            if "dask[distributed]" in requirement:
                wanted.add("distributed")
    env = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda = {_name(d) for d in env["dependencies"] if isinstance(d, str)} - {"python", "pip"}
    assert {CONDA_NAMES.get(n, n) for n in wanted} == conda
    pip_part = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip_part


def test_constraints_pin_every_dependency() -> None:
    pins = {
        _name(line): line.split("==", 1)[1]
        for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line
    }
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {_name(r) for r in project["dependencies"]}
    for extra in project["optional-dependencies"].values():
        names |= {_name(r) for r in extra}
    assert names <= set(pins), names - set(pins)


def test_notebooks_are_committed_without_outputs() -> None:
    notebooks = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert {p.name for p in notebooks} >= {"network_report.ipynb", "municipality_report.ipynb"}
    for path in notebooks:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


def test_the_package_ships_the_report_notebooks_unchanged() -> None:
    """evalkit init copies the notebooks from the package (any installation finds them
    there); notebooks/ stays where the design card puts it, and the two agree byte for byte."""
    top = {p.name: p.read_bytes() for p in (REPO / "notebooks").glob("*.ipynb")}
    shipped = {p.name: p.read_bytes() for p in (REPO / "evalkit" / "data" / "notebooks").glob("*.ipynb")}
    assert set(shipped) == set(top)
    for name, data in top.items():
        assert shipped[name] == data, f"notebooks/{name} changed: copy it to evalkit/data/notebooks/{name}"


def test_notebooks_are_thin() -> None:
    for path in sorted((REPO / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        tags = [c["metadata"].get("tags", []) for c in nb["cells"]]
        assert sum("parameters" in t for t in tags) == 1, path.name
        for cell in nb["cells"]:
            source = "".join(cell["source"])
            if cell["cell_type"] == "markdown":
                assert "evaluator-note" in cell["metadata"].get("tags", []), "markdown cells are evaluator notes"
            else:
                assert not re.search(r"^\s*(def|class|lambda)\b|import polars|import altair|pl\.", source, re.M), source


def test_every_params_file_says_its_kind() -> None:
    files = sorted((REPO / "params").glob("*.yml"))
    assert files
    for path in files:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert raw.get("kind") in {"run", "batch", "mapping"}, path.name
        if raw["kind"] == "run":
            assert set(raw) <= {"kind", "notebook", "parameters", "description"}
            assert (path.parent / raw["notebook"]).is_file()
        if raw["kind"] == "mapping":
            assert path.name.endswith("_mapping.yml")


def test_gitignore_keeps_builds_and_national_data_out() -> None:
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8")
    for entry in (".venv/", "build/", "/data/national/", "__pycache__/"):
        assert entry in ignored


def test_readme_starts_with_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    head = readme[:1500]
    assert "make demo" in head and "make test" in head
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_make_lint_keeps_the_layer_contracts_and_the_architecture_check() -> None:
    lint = (REPO / "Makefile").read_text(encoding="utf-8").split("\nlint:", 1)[1].split("\n\n", 1)[0]
    for step in ("ruff check", "mypy", "lint-imports", "tools/check_architecture.py"):
        assert step in lint, step
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert config["root_package"] == "evalkit" and config["include_external_packages"] is False
    assert {c["type"] for c in config["contracts"]} >= {"layers", "forbidden"}
