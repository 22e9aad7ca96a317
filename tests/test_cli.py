"""The evalkit command's conventions: --help everywhere, exit codes 0/1/2, one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.cli import COMMANDS, main

EVALKIT = [sys.executable, "-m", "evalkit.cli"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*EVALKIT, *args], capture_output=True, text=True, cwd=cwd, check=False)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str) -> None:
    result = run(command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout


def test_bad_usage_exits_2_with_a_one_line_reason_and_no_traceback(tmp_path: Path) -> None:
    result = run("inspect", str(tmp_path / "missing.ipynb"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "missing.ipynb: notebook not found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run("--debug", "inspect", str(tmp_path / "missing.ipynb"))
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_unknown_option_is_bad_usage() -> None:
    assert main(["sample", "--bogus"]) == 2


def test_inspect_lists_typed_parameters(repo: Path) -> None:
    result = run("inspect", str(repo / "notebooks" / "municipality_report.ipynb"))
    assert result.returncode == 0
    assert "municipality_id" in result.stdout and "str" in result.stdout
    assert "min_cell_n" in result.stdout and "int" in result.stdout
    assert "compare_wave" in result.stdout and "Optional[str]" in result.stdout


def test_run_refuses_unknown_parameter_before_running(repo: Path, tmp_path: Path) -> None:
    result = run("run", str(repo / "notebooks" / "municipality_report.ipynb"), "-p", "kommune", "0301",
                 "--html", str(tmp_path / "x.html"))
    assert result.returncode == 2
    assert "-p kommune: unknown parameter" in result.stderr
    assert not (tmp_path / "x.html").exists()


def test_run_refuses_a_file_of_another_kind(repo: Path, tmp_path: Path) -> None:
    result = run("run", "-f", str(repo / "params" / "nettskjema_mapping.yml"), "--html", str(tmp_path / "x.html"))
    assert result.returncode == 2
    assert "kind is 'mapping'" in result.stderr
