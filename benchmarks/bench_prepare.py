"""Benchmark: prepare() on the national sample vs a straightforward loop over units.

Usage::

    python benchmarks/bench_prepare.py [--data DIR] [--loop-limit N] [--repeat K]

Without ``--data`` the national synthetic data set (357 municipalities) is generated
into a temporary folder with ``evalkit sample --scale national``. Each variant runs in a
fresh process, which reports its wall time and peak RSS (``ru_maxrss``). The loop
variant calls the same per-unit computations (item figures, distributions, indices,
reliability) once per unit; ``--loop-limit`` times only the first N units and
extrapolates to all of them. Targets for prepare(): ≤ 3 s wall, ≤ 1.5 GB peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _child(mode: str, data: str, wave: str, compare: str | None, loop_limit: int | None) -> None:
    import polars as pl

    from evalkit.canonical import load
    from evalkit.instrument import load_instrument
    from evalkit.metrics import prepare
    from evalkit.metrics.indices import index_summary, respondent_indices
    from evalkit.metrics.likert import item_distribution, item_summary
    from evalkit.metrics.reliability import reliability

    loaded = load(data)
    # Imports are process start-up, not preparing: evalkit imports scipy.stats on first
    # use, so import it here, before the clock starts (as the import of evalkit.metrics
    # did before it was deferred).
    import scipy.stats  # noqa: F401
    start = time.perf_counter()
    cpu_start = time.process_time()
    units = 0
    total = 1
    model_s = None
    if mode == "prepare":
        model_s = prepare(loaded, wave=wave, compare_wave=compare).timings.get("model")
    else:
        items = load_instrument().items_frame()
        waves = [w for w in (compare, wave) if w]
        resp = loaded.respondents.filter(pl.col("wave").is_in(pl.Series(waves).implode()))
        pairs = [("all", "all", pl.lit(True))]
        for level, col in (("network", "network_id"), ("municipality", "municipality_id"), ("team", "team_id")):
            pairs += [(level, uid, pl.col(col) == uid) for uid in resp[col].unique().sort().to_list()]
        total = len(pairs)
        if loop_limit is not None:
            pairs = pairs[:loop_limit]
        for level, _uid, mask in pairs:
            r = resp.filter(mask)
            a = loaded.answers.join(r.select("respondent_id"), on="respondent_id", how="semi")
            item_summary(a, r, items, levels=[level])
            item_distribution(a, r, items, levels=[level])
            index_summary(respondent_indices(a, r, items), levels=[level])
            reliability(a, r, items, levels=[level])
            units += 1
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB → MiB on Linux
    print(json.dumps({"mode": mode, "wall_s": wall, "cpu_s": cpu, "peak_rss_mib": peak, "units_timed": units,
                      "units_total": total, "model_s": model_s}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", help="canonical data folder (default: generate the national sample)")
    parser.add_argument("--wave", default="2026")
    parser.add_argument("--compare-wave", default="2025")
    parser.add_argument("--loop-limit", type=int, default=None, help="time only the first N units of the loop")
    parser.add_argument("--repeat", type=int, default=3, help="runs of prepare() (best is reported)")
    parser.add_argument("--skip-loop", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.child:
        print(f"load average before: {', '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    if args.child:
        limit = int(args.child[1]) if args.child[1] != "none" else None
        _child(args.child[0], args.data, args.wave, args.compare_wave, limit)
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = str(Path(tmp) / "national")
            subprocess.run([sys.executable, "-m", "evalkit.cli", "sample", "--out", data, "--scale", "national"],
                           check=True, capture_output=True)
        base = [sys.executable, __file__, "--data", data, "--wave", args.wave, "--compare-wave", args.compare_wave]

        def run(mode: str, limit: int | None) -> dict[str, float]:
            out = subprocess.run([*base, "--child", mode, str(limit) if limit else "none"], check=True,
                                 capture_output=True, text=True)
            result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
            return result

        runs = [run("prepare", None) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["wall_s"])
        walls = ", ".join(f"{r['wall_s']:.2f}" for r in runs)
        peak = max(r["peak_rss_mib"] for r in runs)
        print(f"prepare():       wall {best['wall_s']:.2f} s (best of {args.repeat}: {walls}), "
              f"CPU {best['cpu_s']:.2f} s, peak RSS {peak:.0f} MiB")
        models = ", ".join(f"{r['model_s']:.2f}" for r in runs)
        print(f"  of which the multilevel model (every index, once): {best['model_s']:.2f} s "
              f"(in each run: {models})")
        if not args.skip_loop:
            loop = run("loop", args.loop_limit)
            timed, total = loop["units_timed"], loop["units_total"]
            wall = loop["wall_s"] * total / timed
            note = f" (extrapolated from {timed:.0f} of {total:.0f} units)" if timed < total else ""
            print(f"loop over units: wall {wall:.1f} s{note}, CPU {loop['cpu_s'] * total / timed:.1f} s, peak RSS {loop['peak_rss_mib']:.0f} MiB "
                  f"(figures only, no suppression)")


if __name__ == "__main__":
    main()
