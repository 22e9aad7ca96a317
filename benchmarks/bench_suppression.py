"""What suppression hides, by reason, and what it costs: ``python benchmarks/bench_suppression.py DATA WAVE [COMPARE]``.

Prints, for the wave's published levels (networks and municipalities): figures hidden by
reason per frame; respondent counts of min_cell_n or more people hidden in units of
min_unit_n or more respondents; how many such units lose their own total
(``respondents.all``) or an index of everyone; and the time of ``prepare()``. Issue 13
reports these before and after in ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import polars as pl

from evalkit.canonical import load
from evalkit.metrics.prepare import prepare


def main(data: Path, wave: str, compare: str | None) -> None:
    d = load(data)
    started = time.perf_counter()
    p = prepare(d, wave=wave, compare_wave=compare)
    seconds = time.perf_counter() - started
    cell, unit = p.settings["min_cell_n"], p.settings["min_unit_n"]
    published = pl.col("unit_level").is_in(["network", "municipality"]) & (pl.col("wave") == wave)
    sizes = d.respondents.filter(wave=wave)
    size = pl.concat(how="diagonal", items=[
        sizes.group_by(pl.col("municipality_id").alias("unit_id")).len().with_columns(unit_level=pl.lit("municipality")),
        sizes.group_by(pl.col("network_id").alias("unit_id")).len().with_columns(unit_level=pl.lit("network")),
    ]).rename({"len": "size"})
    print(f"prepare(): {seconds:.2f} s ({data}, wave {wave})")
    for name in ("respondent_counts", "items", "indices", "reliability"):
        f = getattr(p, name).filter(published)
        hidden = f.filter("suppressed").group_by("reason").len().sort("reason").rows()
        print(f"  {name}: {f.height} figures, hidden by reason {dict(hidden)}")
    counts = p.respondent_counts.filter(published).join(size, on=["unit_level", "unit_id"])
    raw = pl.concat(how="diagonal", items=[
        sizes.group_by(pl.col("municipality_id").alias("unit_id"), "role").len().with_columns(unit_level=pl.lit("municipality")),
        sizes.group_by(pl.col("network_id").alias("unit_id"), "role").len().with_columns(unit_level=pl.lit("network")),
        sizes.group_by(pl.col("municipality_id").alias("unit_id")).len().with_columns(
            unit_level=pl.lit("municipality"), role=pl.lit("all")),
        sizes.group_by(pl.col("network_id").alias("unit_id")).len().with_columns(unit_level=pl.lit("network"), role=pl.lit("all")),
    ]).rename({"len": "true_n"}).select("unit_level", "unit_id", "role", "true_n")
    big_hidden = counts.join(raw, on=["unit_level", "unit_id", "role"]).filter(
        pl.col("suppressed") & (pl.col("true_n") >= cell) & (pl.col("size") >= unit))
    print(f"  counts of >= {cell} people hidden in units of >= {unit}: {big_hidden.height}")
    answered = d.answers.filter(pl.col("value").is_not_null()).join(sizes, on="respondent_id")
    item_n = pl.concat(how="diagonal", items=[
        answered.group_by(pl.col("municipality_id").alias("unit_id"), "item_id").len().with_columns(
            unit_level=pl.lit("municipality")),
        answered.group_by(pl.col("network_id").alias("unit_id"), "item_id").len().with_columns(unit_level=pl.lit("network")),
    ]).rename({"len": "true_n"})
    items = p.items.filter(published, role_group="all").join(size, on=["unit_level", "unit_id"]).join(
        item_n, on=["unit_level", "unit_id", "item_id"])
    big_items = items.filter(pl.col("suppressed") & (pl.col("true_n") >= cell) & (pl.col("size") >= unit))
    print(f"  item n (everyone) of >= {cell} people hidden in units of >= {unit}: {big_items.height}")
    lose_total = big_hidden.filter(role="all").height
    idx = p.indices.filter(published, role_group="all").join(size, on=["unit_level", "unit_id"]).filter(
        pl.col("suppressed") & (pl.col("size") >= unit) & pl.col("dimension").is_in(["equality", "impact"]))
    print(f"  units of >= {unit} that lose their own total: {lose_total}; that lose an equality/impact index: "
          f"{idx.select('unit_level', 'unit_id').unique().height}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
