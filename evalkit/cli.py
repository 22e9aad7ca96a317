"""The ``evalkit`` command.

Every command follows the same conventions: exit 0 on success, 1 when the job ran but
something failed, 2 for bad usage or bad input with a one-line reason on stderr (the
traceback only with ``evalkit --debug ...``).
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import Any

import click

from evalkit import __version__
from evalkit.errors import EvalkitError, ExitCode, JobFailed


class _LazyGroup(click.Group):
    """A click group whose subcommands are imported only when used (fast ``--help``)."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            module, _, attr = self._lazy[cmd_name].partition(":")
            command = getattr(import_module(module), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, cmd_name)


# name -> "module:attribute" of a click command. Each module owns its command.
COMMANDS = {
    "sample": "evalkit.sample:sample_command",
    "init": "evalkit.init.cli:init_command",
    "reference": "evalkit.importers.reference_cli:reference_group",
    "validate": "evalkit.importers.cli:validate_command",
    "run": "evalkit.run:run_command",
    "inspect": "evalkit.run:inspect_command",
    "demo": "evalkit.cli:demo_command",
    "batch": "evalkit.batch.cli:batch_command",
    "audit": "evalkit.audit.cli:audit_command",
}


@click.group(cls=_LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evalkit")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """evalkit: evaluate user involvement in improvement-team learning networks."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@click.command("demo")
@click.option("--out", "out", default=Path("build/demo"), show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the dashboards.")
def demo_command(out: Path) -> None:
    """Render the sample dashboards (what `make demo` runs)."""
    repo = Path(__file__).resolve().parents[1]
    params = repo / "params"
    batch_file = params / "sample_batch.yml"
    if batch_file.exists():
        from evalkit.batch import run_batch_file

        code = run_batch_file(batch_file, out=out)
        if code != ExitCode.OK:
            raise JobFailed("the demo batch had failures (see above)")
        click.echo(f"open {(out / 'index.html').resolve()}")
        return
    from evalkit.run import load_run_file, run_report

    written = []
    for run_file in sorted(params.glob("sample_*.yml")):
        loaded = load_run_file(run_file)
        target = out / f"{run_file.stem}.html"
        run_report(loaded.notebook, loaded.parameters, target)
        written.append(target)
    for path in written:
        click.echo(f"open {path.resolve()}")


def main(argv: Sequence[str] | None = None) -> int:
    """Console-script entry point; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="evalkit", standalone_mode=False)
    except click.exceptions.Abort:
        # A second Ctrl-C (or the first reaching a clean-up step late) must not turn the
        # one line below into a traceback: the clean-up that follows is short.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        click.echo("evalkit: interrupted", err=True)
        return 130
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return ExitCode.BAD_INPUT
    except EvalkitError as exc:
        if debug:
            raise
        click.echo(f"evalkit: error: {exc}", err=True)
        return int(exc.exit_code)
    except (FileNotFoundError, ValueError) as exc:
        # Schema, instrument and parameter errors are ValueErrors that name what is wrong.
        if debug:
            raise
        click.echo(f"evalkit: error: {exc}", err=True)
        return ExitCode.BAD_INPUT
    except OSError as exc:
        # A full disk, or a file that became unreadable or unwritable while the job ran (a
        # folder that cannot be written at all is refused before the job starts, exit 2).
        if debug:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"evalkit: error: {where}{exc.strerror or exc}", err=True)
        return ExitCode.FAILED
    return ExitCode.OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
