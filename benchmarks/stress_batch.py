"""Stress run of ``evalkit batch`` (not part of the test suite).

    .venv/bin/python benchmarks/stress_batch.py [--data DIR] [--jobs N] [--rounds 3] [--engines fast kernel] [--record]

The national municipality batch (357 units) with ``--jobs`` above the core count
(default: twice the cores), ``--rounds`` times with the default engine and ``--rounds``
times with ``--engine kernel``, each with ``--force`` so that every unit renders. After
every round it checks: no unit failed (the manifest), every page is in ``--out`` and
complete, no temporary file is left in ``--out`` or the work folder, and no unit process
or kernel outlived the batch. Exit 0 when every round passed.

With ``--record`` the result replaces the "Stress" section of benchmarks/RESULTS.md
(``make bench`` keeps that section when it rewrites the rest).

Disclosure-audit rejections are reported separately from failures: they are verdicts on
the pages, not faults of the batch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EVALKIT = str(BIN / "evalkit")


def _strays() -> list[str]:
    """Unit processes or kernels still running (started by a batch)."""
    try:
        import psutil
    except ImportError:  # pragma: no cover
        return []
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmd = " ".join(proc.info.get("cmdline") or [])
        if "evalkit.batch.worker" in cmd or ("ipykernel_launcher" in cmd and "evalkit" not in cmd and proc.ppid() == 1):
            found.append(f"{proc.info['pid']}: {cmd[:120]}")
    return found


def check_round(out: Path, work: Path, units: int) -> list[str]:
    problems = []
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    failed = [u for u in manifest["units"] if u["status"] == "failed"]
    problems += [f"FAILED {u['unit']}: {u['error']}" for u in failed]
    if len(manifest["units"]) != units:
        problems.append(f"manifest lists {len(manifest['units'])} units, expected {units}")
    for entry in manifest["units"]:
        if entry["status"] == "ok":
            page = out / entry["page"]
            if not page.is_file() or not page.read_text(encoding="utf-8").rstrip().endswith("</html>"):
                problems.append(f"incomplete or missing page {page.name}")
    leftovers = [p for p in [*out.rglob("*"), *work.rglob("*")] if p.name.endswith(".tmp")]
    problems += [f"temporary file left: {p}" for p in leftovers]
    problems += [f"process left running: {s}" for s in _strays()]
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO / "build" / "bench" / "national")
    parser.add_argument("--jobs", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--engines", nargs="+", default=["fast", "kernel"], choices=["fast", "kernel"])
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--record", action="store_true", help="write the result into benchmarks/RESULTS.md")
    args = parser.parse_args()

    started = dt.datetime.now(dt.UTC)
    data = args.data.resolve()
    if not (data / "respondents.parquet").is_file():
        subprocess.run([EVALKIT, "sample", "--out", str(data), "--seed", "7", "--scale", "national"], check=True)
    scratch = Path(tempfile.mkdtemp(prefix="evalkit-stress-"))
    batch = scratch / "national_batch.yml"
    batch.write_text(
        "kind: batch\n"
        f"parameters:\n  data_dir: {data}\n  wave: \"2026\"\n  compare_wave: \"2025\"\n"
        f"municipalities:\n  notebook: {REPO / 'notebooks' / 'municipality_report.ipynb'}\n  units: all\n",
        encoding="utf-8",
    )
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    print(f"{os.cpu_count()} cores, --jobs {args.jobs}; scratch {scratch}", flush=True)
    all_ok = True
    try:
        units = None
        for engine in args.engines:
            for round_number in range(1, args.rounds + 1):
                out, work = scratch / f"site-{engine}", scratch / f"work-{engine}"
                command = [EVALKIT, "batch", str(batch), "--out", str(out), "--work", str(work), "--jobs",
                           str(args.jobs), "--engine", engine, "--force", "--no-progress", "--timeout", str(args.timeout)]
                start = time.perf_counter()
                done = subprocess.run(command, capture_output=True, text=True, check=False)
                seconds = time.perf_counter() - start
                if done.returncode == 2 or not (out / "manifest.json").is_file():
                    print(done.stderr)
                    say(f"round {engine} #{round_number}: did not run (exit {done.returncode})")
                    all_ok = False
                    continue
                manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
                units = units or len(manifest["units"])
                time.sleep(1)  # let the kernels of killed units go
                problems = check_round(out, work, units)
                rejected = sum(u["status"] == "rejected" for u in manifest["units"])
                verdict = "ok" if not problems else f"{len(problems)} problem(s)"
                say(f"round {engine} #{round_number}: {seconds:.0f} s, {units} units, {rejected} rejected by the "
                    f"audit, exit {done.returncode}: {verdict}")
                say(f"  $ {shlex.join(command)}")
                for problem in problems[:20]:
                    say(f"  - {problem}")
                all_ok = all_ok and not problems
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    say("stress: " + ("no failures" if all_ok else "FAILURES"))
    if args.record:
        record(lines, args, started)
    return 0 if all_ok else 1


def record(lines: list[str], args: argparse.Namespace, started: dt.datetime) -> None:
    """Replace the Stress section of benchmarks/RESULTS.md with this run's result."""
    results = REPO / "benchmarks" / "RESULTS.md"
    text = results.read_text(encoding="utf-8") if results.is_file() else "# Benchmark results\n"
    at = text.find("\n## Stress")
    head = text if at < 0 else text[: at + 1]
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=REPO, check=False).stdout.strip() or "unknown"
    section = (
        "## Stress (`stress_batch.py`, issue 8; not part of `make bench`)\n\n"
        f"Run {started:%Y-%m-%d %H:%M} UTC on commit {commit}, {os.cpu_count()} cores, "
        f"`--jobs {args.jobs}`: `.venv/bin/python benchmarks/stress_batch.py --rounds {args.rounds} "
        f"--jobs {args.jobs} --engines {' '.join(args.engines)} --record`\n\n```\n" + "\n".join(lines) + "\n```\n"
    )
    results.write_text(head.rstrip("\n") + "\n\n" + section, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
