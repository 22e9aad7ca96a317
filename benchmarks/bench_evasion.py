"""The audit against its evasion corpus, and its speed: ``python benchmarks/bench_evasion.py [--rebuild]``.

Builds the sample site once (``evalkit batch params/sample_batch.yml``) into
``build/bench/sample-site`` and keeps it (``--rebuild`` builds it again). Then:

* plants every problem of the evasion corpus (``tests/evasion.py``) into a copy of the
  site's pages, audits each copy (every page's own checks and the folder's files, as
  ``evalkit audit`` does them, without the cross-page attack) and prints, by family,
  how many plants there are and how many the audit catches with the rule the corpus
  names (``tests/test_audit_evasion.py`` asserts the same);
* times the audit of the untouched site: the pages' own checks (CPU seconds, best of
  five, one process) and a whole ``evalkit audit`` run (wall seconds, the cross-page
  attack included), and says whether it is clean.

Issue 14 (item 10) asks for the plants caught as figures in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests import evasion  # noqa: E402 — the corpus lives with the tests that assert it

SITE = REPO / "build" / "bench" / "sample-site"
DATA = REPO / "data" / "sample"


def build(rebuild: bool) -> Path:
    if SITE.is_dir() and any(SITE.glob("*.html")) and not rebuild:
        return SITE
    shutil.rmtree(SITE, ignore_errors=True)
    SITE.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "evalkit.cli", "batch", str(REPO / "params" / "sample_batch.yml"),
                    "--out", str(SITE)], check=True, cwd=REPO)
    return SITE


def corpus(site: Path) -> tuple[Counter[str], Counter[str], list[str]]:
    import polars as pl

    rid = str(pl.read_parquet(DATA / "respondents.parquet")["respondent_id"][0])
    made = evasion.Site({p.name: p.read_text(encoding="utf-8") for p in site.glob("*.html")}, rid, DATA)
    planted: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    missed: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, plant in enumerate(evasion.CORPUS):
            found = evasion.audit_folder(evasion.write(Path(tmp) / str(i), plant.make(made)), DATA)
            planted[plant.family] += 1
            if {rule for rule, _message in found} & plant.rules:
                caught[plant.family] += 1
            else:
                missed.append(f"{plant.family}: {plant.name} ({sorted({r for r, _m in found}) or 'no finding'})")
    return planted, caught, missed


def timing(site: Path) -> tuple[float, float, str]:
    from evalkit.audit.engine import audit_file
    from evalkit.audit.settings import known_bundle, load_data, page_settings

    pages = sorted(site.glob("*.html"))
    settings = page_settings(10, 5, load_data(DATA), known_bundle())
    for page in pages:
        audit_file(page, settings)  # warm: the text store, the own code's hashes
    best = min(_cpu(lambda: [audit_file(p, settings) for p in pages]) for _ in range(5))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "evalkit.cli", "audit", str(site), "--data", str(DATA)],
                          capture_output=True, text=True, cwd=REPO, check=False)
    wall = time.perf_counter() - started
    return best, wall, done.stdout.splitlines()[0] if done.stdout else done.stderr.strip()


def _cpu(run: object) -> float:
    started = time.process_time()
    run()  # type: ignore[operator]
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="build the sample site again")
    args = parser.parse_args()
    site = build(args.rebuild)
    planted, caught, missed = corpus(site)
    print("| family | plants | caught |")
    print("|---|---:|---:|")
    for family in evasion.families():
        print(f"| {family} | {planted[family]} | {caught[family]} |")
    print(f"| **all** | **{sum(planted.values())}** | **{sum(caught.values())}** |")
    for line in missed:
        print(f"missed: {line}")
    pages_cpu, wall, said = timing(site)
    print(f"untouched site ({len(list(site.glob('*.html')))} pages): {said}")
    print(f"the pages' own checks: {pages_cpu:.2f} s CPU (best of 5, one process); "
          f"evalkit audit (with the cross-page attack): {wall:.1f} s wall")


if __name__ == "__main__":
    main()
