"""Benchmark of the audit's attacker (the ``recoverable`` rule) on a national site.

    .venv/bin/python benchmarks/bench_attack.py [--data DIR] [--site DIR] [--rebuild] [--jobs N]

Builds the national site once (every network and municipality of the synthetic national
data, ``evalkit batch``; it takes minutes) into ``build/bench/national-site`` and keeps
it; later runs reuse it (``--rebuild`` builds it again). The pages the batch's audit kept
aside (in the work folder's ``rejected``) are attacked too: the attack sees every page
the batch rendered. Then it reads the pages as the audit does and times the attack alone
(:func:`evalkit.audit.attack.attack`: building the integer programme from the pages'
marks and the data's unit tree, and solving it), and prints what it found.

Issue 13 asks for the attack's time on a national site in ``make bench``. Not a test.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EVALKIT = str(BIN / "evalkit")


def national_data(folder: Path) -> Path:
    if not (folder / "respondents.parquet").is_file():
        print(f"generating the national data in {folder} …", flush=True)
        subprocess.run([EVALKIT, "sample", "--out", str(folder), "--seed", "7", "--scale", "national"], check=True,
                       capture_output=True)
    return folder


def build_site(data: Path, site: Path, work: Path, jobs: int | None) -> float:
    site.parent.mkdir(parents=True, exist_ok=True)
    batch = site.parent / "national_site.yml"
    batch.write_text(
        "kind: batch\n"
        "description: National synthetic data, every network and municipality\n"
        f"parameters:\n  data_dir: {data}\n  wave: \"2026\"\n  compare_wave: \"2025\"\n"
        f"networks:\n  notebook: {REPO / 'notebooks' / 'network_report.ipynb'}\n  units: all\n"
        f"municipalities:\n  notebook: {REPO / 'notebooks' / 'municipality_report.ipynb'}\n  units: all\n",
        encoding="utf-8",
    )
    command = [EVALKIT, "batch", str(batch), "--out", str(site), "--work", str(work)]
    if jobs:
        command += ["--jobs", str(jobs)]
    print(f"building the national site (once): $ {shlex.join(command)}", flush=True)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1):  # 1: pages kept aside by the audit
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"the batch failed ({done.returncode})")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / "build" / "bench" / "national")
    parser.add_argument("--site", type=Path, default=REPO / "build" / "bench" / "national-site")
    parser.add_argument("--rebuild", action="store_true", help="build the site again")
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()

    from evalkit.audit.attack import attack, build
    from evalkit.audit.engine import audit_file
    from evalkit.audit.settings import known_bundle, load_data, page_settings
    from evalkit.audit.spec import DEFAULT_ATTACK_SECONDS

    data = national_data(args.data)
    site: Path = args.site
    work = site.parent / (site.name + "-work")
    if args.rebuild or not (site / "manifest.json").is_file():
        seconds = build_site(data, site, work, args.jobs)
        print(f"  built in {seconds:.0f} s")
    pages = sorted([*site.glob("*.html"), *work.glob("rejected/*.html")])
    pages = [p for p in pages if p.name != "index.html"]
    print(f"\nsite: {site} ({len(pages)} pages, {sum(1 for p in pages if p.parent.name == 'rejected')} "
          "of them kept aside by the batch's audit)")

    start = time.perf_counter()
    facts = load_data(data)
    settings = page_settings(10, 5, facts, known_bundle())
    results = [audit_file(p, settings) for p in pages]
    read = time.perf_counter() - start
    print(f"reading the pages and the data (as the audit does, one process): {read:.1f} s")

    start = time.perf_counter()
    model = build(results, settings, facts)
    built = time.perf_counter() - start
    start = time.perf_counter()
    found = attack(results, settings, facts)
    seconds = time.perf_counter() - start
    pinned = {m for _f, _r, _rule, m in found if "can be worked out exactly" in m}
    late = {m for _f, _r, _rule, m in found if "time limit" in m}
    hidden = sum(1 for v in model.problem.value if v != v)
    print(f"integer programme: {len(model.problem)} counts ({hidden} hidden), {len(model.relations)} sums, "
          f"{len(model.at_most)} at-most relations (built in {built:.1f} s)")
    print(f"\nattack alone (build + solve, time limit {DEFAULT_ATTACK_SECONDS:g} s): {seconds:.1f} s")
    print(f"  hidden figures pinned and reported: {len(pinned)}; not settled in time: {len(late)}; "
          f"findings on {len({f for f, _r, _rule, _m in found})} page(s)")
    kinds = Counter(m.split(" (wave")[0].split(" ", 1)[1].split(" (")[0].split(".")[0] for m in pinned)
    print("  pinned by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(f"  $ .venv/bin/python benchmarks/bench_attack.py --data {data} --site {site}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
