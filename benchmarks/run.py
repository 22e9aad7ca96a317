"""`make bench`: run every benchmark script and write benchmarks/RESULTS.md.

Each ``bench_*.py`` script prints its figures, with the straightforward way measured
side by side in the same run. This runner adds the machine it ran on and writes every
script's output, with its command, in one file.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["bench_prepare.py", "bench_import.py", "bench_batch.py"]
KEPT_HEADING = "## Stress"
"""The stress run (``stress_batch.py --record``, not part of ``make bench``: it takes an
hour) writes its own section, from this heading to the end; ``make bench`` keeps it."""


def kept_section(results: Path) -> str:
    """The stress section of an existing RESULTS.md ('' when there is none)."""
    if not results.is_file():
        return ""
    text = results.read_text(encoding="utf-8")
    at = text.find("\n" + KEPT_HEADING)
    return text[at + 1:] if at >= 0 else ""


def main() -> int:
    scripts = [HERE / name for name in ORDER if (HERE / name).exists()]
    scripts += sorted(p for p in HERE.glob("bench_*.py") if p.name not in ORDER)
    sections = []
    failed = False
    for script in scripts:
        print(f"== {script.name}", flush=True)
        start = time.perf_counter()
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=False,
                                cwd=HERE.parent)
        seconds = time.perf_counter() - start
        sys.stdout.write(result.stdout)
        sys.stderr.write(result.stderr[-4000:])
        if result.returncode != 0:
            failed = True
            sections.append(f"## {script.name}\n\nFAILED (exit {result.returncode}):\n\n```\n{result.stderr[-2000:]}\n```\n")
        else:
            sections.append(
                f"## {script.name}\n\nCommand: `.venv/bin/python benchmarks/{script.name}` "
                f"(script wall time {seconds:.1f} s)\n\n```\n{result.stdout.strip()}\n```\n"
            )
    header = (
        "# Benchmark results\n\n"
        f"Measured {dt.date.today().isoformat()} with `make bench` (`python benchmarks/run.py`) on "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}.\n"
        "Every figure was measured in the same run as the straightforward way it is compared with.\n"
    )
    results = HERE / "RESULTS.md"
    kept = kept_section(results)
    results.write_text(header + "\n" + "\n".join(sections) + ("\n" + kept if kept else ""), encoding="utf-8")
    print(f"wrote {HERE / 'RESULTS.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
