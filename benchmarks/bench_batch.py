"""Benchmark of ``evalkit batch`` on the national synthetic data (357 municipalities).

    .venv/bin/python benchmarks/bench_batch.py [--data DIR] [--units 20] [--jobs N] [--skip-naive]

Measures, and prints each figure with the command that produced it:

1. the full municipality batch, default settings (fast engine, the machine's cores),
   from a cold work folder: wall seconds per dashboard, amortised (store, rendering,
   audit and publishing included);
2. a re-run with nothing changed (audit included);
3. side by side on the same ``--units`` municipalities: the naive loop — ``papermill``
   CLI then ``jupyter nbconvert --to html --no-input`` CLI, per unit, one after another,
   on the same notebook and parameters, given the batch's prepared store — against the
   batch rendering the same units with that store in place (like for like), and against
   the batch from a cold work folder, which first builds the store for the whole
   country (the naive loop is not charged for it).

Targets (issue 6): (1) <= 0.25 s per dashboard, (2) <= 3 s, (3) >= 10x.
The national data are generated once with ``evalkit sample --out DIR --seed 7 --scale
national``. Not a test: run it on a quiet machine; the lead records the figures in
benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EVALKIT = str(BIN / "evalkit")
NOTEBOOK = REPO / "notebooks" / "municipality_report.ipynb"


def sh(command: list[str], *, quiet: bool = True, check: bool = True) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=quiet, text=True, check=False)
    seconds = time.perf_counter() - start
    if check and done.returncode not in (0, 1):
        sys.stderr.write(done.stderr or "")
        raise SystemExit(f"failed ({done.returncode}): {shlex.join(command)}")
    return seconds, done


def report(label: str, value: str, command: str, target: str = "") -> None:
    print(f"\n{label}: {value}" + (f"   (target {target})" if target else ""))
    print(f"  $ {command}")


def national_data(folder: Path) -> Path:
    if not (folder / "respondents.parquet").is_file():
        print(f"generating the national data in {folder} …", flush=True)
        sh([EVALKIT, "sample", "--out", str(folder), "--seed", "7", "--scale", "national"])
    return folder


def batch_file(folder: Path, data: Path, units: list[str] | None) -> Path:
    selection = "all" if units is None else json.dumps(units)
    path = folder / ("national_batch.yml" if units is None else f"national_{len(units)}.yml")
    path.write_text(
        "kind: batch\n"
        "description: National synthetic data, every municipality\n"
        f"parameters:\n  data_dir: {data}\n  wave: \"2026\"\n  compare_wave: \"2025\"\n"
        f"municipalities:\n  notebook: {NOTEBOOK}\n  units: {selection}\n",
        encoding="utf-8",
    )
    return path


def summary(out: Path) -> str:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return ", ".join(f"{k} {v}" for k, v in manifest["summary"].items())


def _runs(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:.1f}" for v in values) + "] s"


def naive_loop(units: list[str], data: Path, store: Path, folder: Path) -> float:
    """papermill CLI, then jupyter nbconvert CLI, per unit, one after another."""
    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    for unit in units:
        executed = folder / f"municipality-{unit}.ipynb"
        sh([str(BIN / "papermill"), str(NOTEBOOK), str(executed), "--cwd", str(NOTEBOOK.parent),
            "-r", "municipality_id", unit, "-r", "wave", "2026", "-r", "compare_wave", "2025",
            "-r", "data_dir", str(data), "-r", "prepared_dir", str(store),
            "-p", "min_unit_n", "10", "-p", "min_cell_n", "5", "--no-progress-bar"])
        sh([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)])
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO / "build" / "bench" / "national")
    parser.add_argument("--units", type=int, default=20, help="units for the side-by-side comparison")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--skip-naive", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the output and work folders")
    args = parser.parse_args()

    data = national_data(args.data.resolve())
    scratch = Path(tempfile.mkdtemp(prefix="evalkit-bench-batch-"))
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; scratch {scratch}")
    try:
        # 1. The full municipality batch, cold.
        full = batch_file(scratch, data, None)
        out, work = scratch / "site", scratch / "work"
        command = [EVALKIT, "batch", str(full), "--out", str(out), "--work", str(work), "--no-progress", *jobs]
        seconds, done = sh(command)
        pages = len(list(out.glob("municipality-*.html")))
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        units = len(manifest["units"])
        report("full batch, cold", f"{seconds:.1f} s for {units} municipalities = {seconds / units:.3f} s per dashboard "
               f"({pages} published; {summary(out)}; exit {done.returncode})", shlex.join(command), "<= 0.25 s")
        print("  " + "\n  ".join(done.stderr.strip().splitlines()[-6:]))

        # 2. Nothing changed.
        seconds, done = sh(command)
        report("re-run, nothing changed", f"{seconds:.2f} s (exit {done.returncode})", shlex.join(command), "<= 3 s")
        print("  " + "\n  ".join(done.stderr.strip().splitlines()[:2]))

        # 3. Side by side on the same units (each batch variant 3 times, the median).
        chosen = sorted(u["id"] for u in manifest["units"])[: args.units]
        small = batch_file(scratch, data, chosen)
        cold_runs = []
        for attempt in range(3):
            out20, work20 = scratch / f"site20-{attempt}", scratch / f"work20-{attempt}"
            command20 = [EVALKIT, "batch", str(small), "--out", str(out20), "--work", str(work20), "--no-progress",
                         *jobs]
            seconds, done = sh(command20)
            cold_runs.append(seconds)
        cold = statistics.median(cold_runs)
        report(f"batch, {len(chosen)} units, cold", f"{cold:.1f} s median of {_runs(cold_runs)} "
               f"({cold / len(chosen):.2f} s per dashboard; the prepared store for the whole country built "
               f"first; exit {done.returncode})", shlex.join(command20))
        warm_runs = []
        for _attempt in range(3):
            seconds, done = sh([*command20, "--force"])
            warm_runs.append(seconds)
        warm = statistics.median(warm_runs)
        report(f"batch, {len(chosen)} units, prepared store in place", f"{warm:.1f} s median of {_runs(warm_runs)} "
               f"({warm / len(chosen):.2f} s per dashboard; the same work as the naive loop below, which is given "
               f"this store; exit {done.returncode})", shlex.join([*command20, "--force"]))
        if not args.skip_naive:
            naive_seconds = naive_loop(chosen, data, work20 / "prepared", scratch / "naive")
            report(f"naive loop, same {len(chosen)} units", f"{naive_seconds:.1f} s ({naive_seconds / len(chosen):.2f} s "
                   "per dashboard)", f"for each unit: papermill {NOTEBOOK.name} OUT.ipynb -r municipality_id ID "
                   "-r prepared_dir STORE …; jupyter nbconvert --to html --no-input OUT.ipynb")
            report("speed-up, like for like (both read the prepared store)", f"{naive_seconds / warm:.1f}x",
                   "naive / batch with the store in place", ">= 10x")
            report("speed-up, the batch also building the store", f"{naive_seconds / cold:.1f}x",
                   "naive / cold batch (the naive loop is not charged for the store it reads)")
    finally:
        if args.keep:
            print(f"\nkept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
