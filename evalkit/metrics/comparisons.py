"""Comparisons of index figures: role gaps, benchmarks against the parent, wave changes.

All three take an index frame as :func:`evalkit.metrics.indices.index_summary` returns
it (figures not yet blanked), optionally with ``suppressed``/``reason`` columns from the
suppression step: a comparison whose inputs are suppressed is suppressed too, so a
comparison never reveals a blanked figure. Results are long: one row per ``measure``
(``share_favourable``: difference of proportions with Newcombe's hybrid score interval;
``index_mean``: difference of means with a Welch interval).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from evalkit.metrics._stats import (
    benjamini_hochberg,
    newcombe_arrays,
    two_proportion_p,
    welch_arrays,
)
from evalkit.metrics.rollup import relevel

MEASURES: Final = ("share_favourable", "index_mean")
MANY_COMPARISONS_NOTE: Final = (
    "Many units are compared at once; some differences at the 5 % level will be chance. "
    "result_adjusted controls the false discovery rate (Benjamini–Hochberg) across the "
    "m_comparisons units compared on the same measure."
)

_STATS = ["n", "mean", "sd", "n_favourable"]


def _with_flags(frame: pl.DataFrame) -> pl.DataFrame:
    if "suppressed" not in frame.columns:
        frame = frame.with_columns(suppressed=pl.lit(False))
    return frame.with_columns(pl.col("suppressed").fill_null(False))


def _difference_rows(
    joined: pl.DataFrame, a: str, b: str, keys: list[str]
) -> pl.DataFrame:
    """Long rows (one per measure) comparing suffix ``a`` against suffix ``b``.

    Needs n, mean, sd, n_favourable with both suffixes. Adds estimate (difference),
    ci_low, ci_high, p_value.
    """
    def arr(name: str) -> np.ndarray:
        return joined[name].cast(pl.Float64).fill_null(np.nan).to_numpy()

    n1, n2 = arr(f"n{a}"), arr(f"n{b}")
    x1, x2 = arr(f"n_favourable{a}"), arr(f"n_favourable{b}")
    d_share, lo_share, hi_share = newcombe_arrays(x1, n1, x2, n2)
    p_share = two_proportion_p(x1, n1, x2, n2)
    v1, v2 = arr(f"sd{a}") ** 2, arr(f"sd{b}") ** 2
    d_mean, lo_mean, hi_mean, p_mean = welch_arrays(arr(f"mean{a}"), v1, n1, arr(f"mean{b}"), v2, n2)
    base = joined.select(*keys)
    share = base.with_columns(
        measure=pl.lit("share_favourable"),
        estimate=pl.Series(d_share).fill_nan(None),
        ci_low=pl.Series(lo_share).fill_nan(None),
        ci_high=pl.Series(hi_share).fill_nan(None),
        p_value=pl.Series(p_share).fill_nan(None),
    )
    mean = base.with_columns(
        measure=pl.lit("index_mean"),
        estimate=pl.Series(d_mean).fill_nan(None),
        ci_low=pl.Series(lo_mean).fill_nan(None),
        ci_high=pl.Series(hi_mean).fill_nan(None),
        p_value=pl.Series(p_mean).fill_nan(None),
    )
    return pl.concat([share, mean])


def _result(estimate: pl.Expr, p: pl.Expr, level: float = 0.05) -> pl.Expr:
    return (
        pl.when(p.is_null()).then(pl.lit(None, pl.String))
        .when((p < level) & (estimate > 0)).then(pl.lit("above"))
        .when((p < level) & (estimate < 0)).then(pl.lit("below"))
        .otherwise(pl.lit("no_clear_difference"))
    )


def role_gaps(indices: pl.DataFrame) -> pl.DataFrame:
    """User side (and experience consultants) against the provider side, per unit and dimension.

    ``group`` is ``user_side`` (user and relative representatives) or
    ``experience_consultant``; ``reference`` is always ``provider_side`` (providers and
    leaders); ``other`` is left out. ``estimate`` = group − reference; ``flag`` is true
    when the 95 % interval excludes 0. Where a municipality's gap is suppressed, show the
    network's row (same frame, ``unit_level == "network"``) instead.

    Examples
    --------
    >>> idx = pl.DataFrame({"unit_level": "team", "unit_id": "t", "wave": "w", "dimension": "equality",
    ...     "role_group": ["user_side", "provider_side"], "n": [10, 20], "mean": [60.0, 80.0],
    ...     "sd": [10.0, 10.0], "n_favourable": [3, 15]})
    >>> out = role_gaps(idx).filter(group="user_side").sort("measure")
    >>> out.select("measure", pl.col("estimate").round(3), "flag").rows()
    [('index_mean', -20.0, True), ('share_favourable', -0.45, True)]
    """
    idx = _with_flags(indices)
    keys = ["unit_level", "unit_id", "wave", "dimension"]
    ref = idx.filter(pl.col("role_group") == "provider_side").select(
        *keys, *[pl.col(c).alias(f"{c}_ref") for c in [*_STATS, "suppressed"]]
    )
    frames = []
    for group in ("user_side", "experience_consultant"):
        grp = idx.filter(pl.col("role_group") == group).select(
            *keys, *[pl.col(c).alias(f"{c}_grp") for c in [*_STATS, "suppressed"]]
        )
        joined = grp.join(ref, on=keys, how="inner")
        long = _difference_rows(joined, "_grp", "_ref", keys).with_columns(
            group=pl.lit(group), reference=pl.lit("provider_side")
        )
        flags = joined.select(
            *keys,
            n=pl.col("n_grp") + pl.col("n_ref"),
            n_group=pl.col("n_grp"),
            n_reference=pl.col("n_ref"),
            _hidden=pl.col("suppressed_grp") | pl.col("suppressed_ref"),
        )
        frames.append(long.join(flags, on=keys, how="left"))
    if not frames or all(f.height == 0 for f in frames):
        return _empty_gaps()
    out = pl.concat(frames).with_columns(
        flag=pl.when(pl.col("ci_low").is_not_null()).then((pl.col("ci_low") > 0) | (pl.col("ci_high") < 0)),
        reason=pl.when(pl.col("_hidden")).then(pl.lit("input_suppressed"))
        .when(pl.col("estimate").is_null()).then(pl.lit("too_few_to_compare")),
    )
    return _finish(out, ["unit_level", "unit_id", "wave", "dimension", "group", "reference", "measure",
                         "n", "n_group", "n_reference", "estimate", "ci_low", "ci_high", "p_value",
                         "flag", "reason"])


def _finish(out: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    hidden = pl.col("_hidden")
    keys = {"unit_level", "unit_id", "wave", "compare_wave", "dimension", "group", "reference",
            "measure", "role_group", "parent_level", "parent_id", "reason", "m_comparisons", "note"}
    out = out.with_columns(
        *[pl.when(hidden).then(None).otherwise(pl.col(c)).alias(c) for c in columns if c not in keys],
        suppressed=hidden,
    )
    return relevel(out.select(*columns, "suppressed"))


def _empty_gaps() -> pl.DataFrame:
    from evalkit.metrics.schema import empty_frame

    return empty_frame("gaps")


def benchmarks(indices: pl.DataFrame, tree: pl.DataFrame, *, min_cell_n: int = 5) -> pl.DataFrame:
    """Each unit against its parent without the unit (team → municipality → network → all).

    ``result`` is ``above`` / ``below`` / ``no_clear_difference`` at the 5 % level
    (two-proportion score test for the share favourable, Welch's t test for the index
    mean); ``result_adjusted`` is the same after Benjamini–Hochberg adjustment across the
    ``m_comparisons`` units of the same level, wave, role group, dimension and measure.
    ``comparison_n`` is the number of people in the parent without the unit; the row is
    suppressed when the unit or the parent is, or when 0 < comparison_n < min_cell_n.

    Examples
    --------
    >>> idx = pl.DataFrame({"unit_level": ["team", "municipality"], "unit_id": ["t", "m"],
    ...     "wave": "w", "role_group": "all", "dimension": "impact", "n": [10, 30],
    ...     "mean": [90.0, 70.0], "sd": [5.0, 15.0], "n_favourable": [9, 15]})
    >>> tree = pl.DataFrame({"unit_level": ["team"], "unit_id": ["t"],
    ...     "parent_level": ["municipality"], "parent_id": ["m"]})
    >>> out = benchmarks(idx, tree).sort("measure")
    >>> out.select("measure", "comparison_n", "result").rows()
    [('index_mean', 20, 'above'), ('share_favourable', 20, 'above')]
    """
    idx = _with_flags(indices)
    keys = ["wave", "role_group", "dimension"]

    def sums(prefix: str) -> list[pl.Expr]:
        n, mean, sd = pl.col(f"n{prefix}"), pl.col(f"mean{prefix}"), pl.col(f"sd{prefix}")
        return [
            (mean * n).fill_null(0.0).alias(f"sum{prefix}"),
            (sd.fill_null(0.0) ** 2 * (n - 1) + n * mean ** 2).fill_null(0.0).alias(f"sumsq{prefix}"),
        ]

    unit = idx.rename({c: f"{c}_u" for c in [*_STATS, "suppressed"]})
    parent = idx.rename({c: f"{c}_p" for c in [*_STATS, "suppressed"]}).rename(
        {"unit_level": "parent_level", "unit_id": "parent_id"}
    )
    joined = (
        unit.join(tree, on=["unit_level", "unit_id"], how="inner")
        .join(parent, on=[*keys, "parent_level", "parent_id"], how="inner")
        .with_columns(*sums("_u"), *sums("_p"))
        .with_columns(
            n_c=pl.col("n_p") - pl.col("n_u"),
            n_favourable_c=pl.col("n_favourable_p") - pl.col("n_favourable_u"),
            _sum_c=pl.col("sum_p") - pl.col("sum_u"),
            _sumsq_c=pl.col("sumsq_p") - pl.col("sumsq_u"),
        )
        .with_columns(
            mean_c=pl.when(pl.col("n_c") > 0).then(pl.col("_sum_c") / pl.col("n_c")),
            sd_c=pl.when(pl.col("n_c") > 1).then(
                ((pl.col("_sumsq_c") - pl.col("_sum_c") ** 2 / pl.col("n_c")) / (pl.col("n_c") - 1))
                .clip(lower_bound=0.0).sqrt()
            ),
        )
    )
    # A municipality split over networks is compared with no network (its share of each is unknown).
    split = tree.group_by("unit_level", "unit_id").agg(pl.len().alias("_parents")).filter(pl.col("_parents") > 1)
    joined = joined.join(split.select("unit_level", "unit_id"), on=["unit_level", "unit_id"], how="anti")
    row_keys = ["unit_level", "unit_id", *keys, "parent_level", "parent_id"]
    if joined.height == 0:
        from evalkit.metrics.schema import empty_frame

        return empty_frame("benchmarks")
    long = _difference_rows(joined, "_u", "_c", row_keys)
    info = joined.select(
        *row_keys,
        n=pl.col("n_u"),
        comparison_n=pl.col("n_c"),
        _hidden=pl.col("suppressed_u") | pl.col("suppressed_p")
        | ((pl.col("n_c") > 0) & (pl.col("n_c") < min_cell_n)),
    )
    out = long.join(info, on=row_keys, how="left").with_columns(
        pl.when(pl.col("_hidden")).then(None).otherwise(pl.col("p_value")).alias("p_value")
    )
    # Benjamini–Hochberg per family, over the visible comparisons only.
    family = ["unit_level", "wave", "role_group", "dimension", "measure"]
    out = out.sort(*family, "unit_id", "parent_id")
    adjusted = np.full(out.height, np.nan)
    m = np.zeros(out.height, dtype=np.int64)
    p_all = out["p_value"].fill_null(np.nan).to_numpy()
    for idx_rows in out.with_row_index("_i").group_by(family, maintain_order=True).agg(pl.col("_i"))["_i"]:
        rows = idx_rows.to_numpy()
        adjusted[rows] = benjamini_hochberg(p_all[rows])
        m[rows] = int(np.isfinite(p_all[rows]).sum())
    out = out.with_columns(
        p_adjusted=pl.Series(adjusted).fill_nan(None),
        m_comparisons=pl.Series(m),
    ).with_columns(
        result=_result(pl.col("estimate"), pl.col("p_value")),
        result_adjusted=_result(pl.col("estimate"), pl.col("p_adjusted")),
        note=pl.lit(MANY_COMPARISONS_NOTE),
        reason=pl.when(pl.col("_hidden")).then(pl.lit("input_suppressed"))
        .when(pl.col("p_value").is_null()).then(pl.lit("too_few_to_compare")),
    )
    return _finish(out, ["unit_level", "unit_id", "wave", "role_group", "dimension", "measure",
                         "parent_level", "parent_id", "n", "comparison_n", "estimate", "ci_low",
                         "ci_high", "p_value", "result", "p_adjusted", "result_adjusted",
                         "m_comparisons", "note", "reason"])


def wave_changes(indices: pl.DataFrame, *, wave: str, compare_wave: str) -> pl.DataFrame:
    """Change from ``compare_wave`` to ``wave`` per unit, role group and dimension.

    ``estimate`` = wave − compare_wave (share favourable: Newcombe; index mean: Welch,
    treating the waves as independent samples); ``flag`` when the interval excludes 0.

    Examples
    --------
    >>> idx = pl.DataFrame({"unit_level": "team", "unit_id": "t", "wave": ["w1", "w2"],
    ...     "role_group": "all", "dimension": "impact", "n": [20, 20], "mean": [60.0, 70.0],
    ...     "sd": [10.0, 10.0], "n_favourable": [5, 10]})
    >>> out = wave_changes(idx, wave="w2", compare_wave="w1").filter(measure="index_mean")
    >>> out.select("estimate", "flag").row(0)
    (10.0, True)
    """
    idx = _with_flags(indices)
    keys = ["unit_level", "unit_id", "role_group", "dimension"]
    now = idx.filter(pl.col("wave") == wave).select(
        *keys, *[pl.col(c).alias(f"{c}_now") for c in [*_STATS, "suppressed"]]
    )
    before = idx.filter(pl.col("wave") == compare_wave).select(
        *keys, *[pl.col(c).alias(f"{c}_before") for c in [*_STATS, "suppressed"]]
    )
    joined = now.join(before, on=keys, how="inner")
    if joined.height == 0:
        from evalkit.metrics.schema import empty_frame

        return empty_frame("changes")
    long = _difference_rows(joined, "_now", "_before", keys)
    info = joined.select(
        *keys, n=pl.col("n_now"), n_compare=pl.col("n_before"),
        _hidden=pl.col("suppressed_now") | pl.col("suppressed_before"),
    )
    out = long.join(info, on=keys, how="left").with_columns(
        wave=pl.lit(wave),
        compare_wave=pl.lit(compare_wave),
        flag=pl.when(pl.col("ci_low").is_not_null()).then((pl.col("ci_low") > 0) | (pl.col("ci_high") < 0)),
        reason=pl.when(pl.col("_hidden")).then(pl.lit("input_suppressed"))
        .when(pl.col("estimate").is_null()).then(pl.lit("too_few_to_compare")),
    )
    return _finish(out, ["unit_level", "unit_id", "wave", "compare_wave", "role_group", "dimension",
                         "measure", "n", "n_compare", "estimate", "ci_low", "ci_high", "p_value",
                         "flag", "reason"])
