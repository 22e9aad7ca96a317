#!/usr/bin/env python3
"""Build the sample and national sites and compare their pages with a baseline.

The house-keeping moves (issue "The house in order") must leave every published page
byte-identical. This script builds the sites with the current code and compares them
with a baseline built earlier (typically from the commit before the move):

    tools/check_pages.py build  --into build/pages/base        # on the commit before
    tools/check_pages.py build  --into build/pages/new         # on the commit after
    tools/check_pages.py compare build/pages/base build/pages/new [--normalise]

or, in one step against an existing baseline:

    tools/check_pages.py check --baseline build/pages/base [--quick] [--normalise]

Sites built: the sample batch in bokmål, nynorsk and English (networks and
municipalities, wave 2026) and, unless ``--quick``, a national site
(``evalkit sample --scale national --seed 7``: every network and municipality).

``*.html`` must be byte-identical (built with ``POLARS_MAX_THREADS=1``: multi-threaded
float sums made a last digit differ run to run, issue 14). ``manifest.json`` may differ only in timings,
timestamps and hashes (those keys are dropped before comparing). ``--normalise``
compares pages after unescaping entities and collapsing whitespace between tags — for a
move that changes how HTML is produced (f-strings to Jinja macros); say so when used.
Exit 0 when equal, 1 when any page differs (the first differences are printed).
"""

from __future__ import annotations

import argparse
import difflib
import html
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EVALKIT = str(BIN / "evalkit")
VOLATILE = re.compile(r"(time|duration|seconds|started|finished|hash|sha|digest|elapsed|_at$)", re.I)
# index.html carries a digest of the code and templates that made it (re-render key).
INDEX_KEY = re.compile(r'(?<=name="evalkit-index-key" content=")[0-9a-f]+')
HEX_DIGEST = re.compile(r"[0-9a-f]{32,128}")
LANGUAGES = ("nb", "nn", "en")
# Where the national data were generated differs between checkouts sharing one --cache.
MACHINE_PATHS = {"data_dir", "prepared_dir"}


def sh(args: list[str], allowed: tuple[int, ...] = (0,)) -> None:
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode not in allowed:
        sys.exit(f"failed ({result.returncode}): {' '.join(args)}\n{result.stdout}\n{result.stderr}")


def national_data(cache: Path) -> Path:
    data = cache / "national-data"
    if not (data / "respondents.parquet").is_file():
        sh([EVALKIT, "sample", "--out", str(data), "--seed", "7", "--scale", "national"])
    return data


def national_batch(folder: Path, data: Path) -> Path:
    path = folder / "national_batch.yml"
    path.write_text(
        "kind: batch\n"
        "description: National synthetic data, every network and municipality\n"
        f"parameters:\n  data_dir: {data}\n  wave: \"2026\"\n  compare_wave: \"2025\"\n"
        f"networks:\n  notebook: {REPO / 'notebooks' / 'network_report.ipynb'}\n  units: all\n"
        f"municipalities:\n  notebook: {REPO / 'notebooks' / 'municipality_report.ipynb'}\n"
        "  units: all\n",
        encoding="utf-8",
    )
    return path


def build(into: Path, *, quick: bool, cache: Path) -> None:
    if into.exists():
        shutil.rmtree(into)
    into.mkdir(parents=True)
    work_root = into / "_work"
    for language in LANGUAGES:
        print(f"building the sample site ({language}) …", flush=True)
        sh([EVALKIT, "batch", str(REPO / "params" / "sample_batch.yml"), "--out",
            str(into / f"sample-{language}"), "--work", str(work_root / f"sample-{language}"),
            "--force", "--no-progress", "-p", "language", language])
    if not quick:
        print("building the national site …", flush=True)
        cache.mkdir(parents=True, exist_ok=True)
        batch = national_batch(into, national_data(cache))
        sh([EVALKIT, "batch", str(batch), "--out", str(into / "national"),
            "--work", str(work_root / "national"), "--force", "--no-progress"],
           allowed=(0, 1))  # the national data lose a few pages to the audit (issue 14)
    shutil.rmtree(work_root)


def _stable(value: object) -> object:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items()
                if not VOLATILE.search(str(k)) and k not in MACHINE_PATHS}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    if isinstance(value, str) and HEX_DIGEST.fullmatch(value):
        return "<digest>"
    return value


def _normalise(text: str) -> str:
    text = re.sub(r">\s+<", "><", text)
    text = re.sub(r"\s+", " ", text)
    return html.unescape(text)


def compare(base: Path, new: Path, *, normalise: bool, limit: int = 5) -> int:
    sites = sorted(p.name for p in base.iterdir() if p.is_dir())
    problems: list[str] = []
    pages = 0
    for site in sites:
        old_files = {p.relative_to(base / site) for p in (base / site).rglob("*") if p.is_file()}
        new_dir = new / site
        if not new_dir.is_dir():
            problems.append(f"{site}: missing in {new}")
            continue
        new_files = {p.relative_to(new_dir) for p in new_dir.rglob("*") if p.is_file()}
        for missing in sorted(old_files ^ new_files):
            where = "only in baseline" if missing in old_files else "only in new"
            problems.append(f"{site}/{missing}: {where}")
        for rel in sorted(old_files & new_files):
            a, b = (base / site / rel), (new_dir / rel)
            if rel.suffix == ".html":
                pages += 1
                ta, tb = (INDEX_KEY.sub("<digest>", p.read_text(encoding="utf-8")) for p in (a, b))
                if normalise:
                    ta, tb = _normalise(ta), _normalise(tb)
                if ta != tb:
                    problems.append(f"{site}/{rel}: differs\n" + _diff(ta, tb))
            elif rel.name == "manifest.json":
                ma = _stable(json.loads(a.read_text(encoding="utf-8")))
                mb = _stable(json.loads(b.read_text(encoding="utf-8")))
                if ma != mb:
                    problems.append(f"{site}/{rel}: differs beyond timings and hashes\n"
                                    + _diff(json.dumps(ma, indent=1, sort_keys=True),
                                            json.dumps(mb, indent=1, sort_keys=True)))
            elif a.read_bytes() != b.read_bytes():
                problems.append(f"{site}/{rel}: differs")
    for problem in problems[:limit]:
        print(problem)
    if len(problems) > limit:
        print(f"… and {len(problems) - limit} more")
    verdict = "identical" if not problems else f"{len(problems)} differences"
    print(f"{pages} pages over {len(sites)} sites compared"
          f"{' (normalised: entities, whitespace between tags)' if normalise else ''}: {verdict}")
    return 0 if not problems else 1


def _diff(a: str, b: str, context: int = 160) -> str:
    """A short diff: long single-line pages are cut into tag-sized lines first."""
    split = lambda s: re.sub(r">", ">\n", s).splitlines()  # noqa: E731
    lines = list(difflib.unified_diff(split(a), split(b), "baseline", "new", n=1, lineterm=""))
    return "\n".join(line[:context] for line in lines[:24])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the sites into a folder")
    b.add_argument("--into", type=Path, required=True)
    b.add_argument("--quick", action="store_true", help="the sample sites only")
    c = sub.add_parser("compare", help="compare two built folders")
    c.add_argument("base", type=Path)
    c.add_argument("new", type=Path)
    c.add_argument("--normalise", action="store_true")
    k = sub.add_parser("check", help="build into a temporary folder and compare with a baseline")
    k.add_argument("--baseline", type=Path, required=True)
    k.add_argument("--quick", action="store_true", help="the sample sites only")
    k.add_argument("--normalise", action="store_true")
    for p in (b, k):
        p.add_argument("--cache", type=Path, default=REPO / "build" / "pages" / "_cache",
                       help="where the national data are generated once")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONHASHSEED", "0")
    # polars' multi-threaded float sums depend on scheduling: a last digit of an interval
    # can differ run to run on the national data (issue 14, item 9). One thread makes the
    # comparison about the code, not the scheduler.
    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    if args.command == "build":
        build(args.into, quick=args.quick, cache=args.cache)
        return 0
    if args.command == "compare":
        return compare(args.base, args.new, normalise=args.normalise)
    new = REPO / "build" / "pages" / "check"  # this checkout's own: worktrees may share a baseline
    build(new, quick=args.quick, cache=args.cache)
    base = args.baseline
    if args.quick:  # compare only the sites that were built
        return compare_subset(base, new, normalise=args.normalise)
    return compare(base, new, normalise=args.normalise)


def compare_subset(base: Path, new: Path, *, normalise: bool) -> int:
    tmp = new.parent / (new.name + "-base-subset")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    for site in new.iterdir():
        if site.is_dir() and (base / site.name).is_dir():
            (tmp / site.name).symlink_to((base / site.name).resolve())
    return compare(tmp, new, normalise=normalise)


if __name__ == "__main__":
    sys.exit(main())
