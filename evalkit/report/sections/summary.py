"""Key findings ("Hovedfunn"): three to five findings in plain words on the first screen.

:func:`select` is the pure part: it takes the prepared frames of one page and returns
:class:`Finding` objects (what to say, about which figure, compared with what);
:func:`sentence` puts one into words. Only figures the page shows are used (a
suppressed row is never described), a difference counts only when its 95 % interval
leaves out 0, and the sentences say what goes together, never what causes what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import polars as pl

from evalkit.figure import Mark
from evalkit.i18n import Language, text
from evalkit.report import blocks
from evalkit.report.context import ReportContext
from evalkit.report.format import Formats, signed
from evalkit.report.section import Section

DIMENSIONS = ("equality", "impact")
PRACTICES = {"reps_trained": ("reps_trained", None), "channel:user_organisation": ("channel", "user_organisation")}
"""Promoter factor → the unit's own recruitment row (indicator, category) that says how
many of its teams follow the practice."""
MAX_FINDINGS = 5


@dataclass(frozen=True)
class Finding:
    """One finding: its kind (benchmark, gap, promoter, discuss), direction (higher,
    lower or none: no clear difference), the figure it describes (unit, figure id,
    source, n) and the raw values the sentence needs."""

    kind: str
    direction: str
    unit: str
    figure: str
    source: str
    n: int | None
    values: dict[str, Any] = field(default_factory=dict)
    priority: int = 5


@dataclass(frozen=True)
class Names:
    """What a sentence calls the unit, its parent, its network and the dimensions."""

    unit: str
    parent: str
    network: str
    dimensions: dict[str, str]


def _visible(frame: pl.DataFrame, column: str = "estimate") -> dict[str, Any] | None:
    """The frame's first row when it is shown on the page (not suppressed, has a value)."""
    if frame.height == 0:
        return None
    r = frame.row(0, named=True)
    if r.get("suppressed") or r.get(column) is None:
        return None
    return r


def _direction(r: dict[str, Any]) -> str:
    """higher / lower when the 95 % interval leaves out 0, else none."""
    low, high = r.get("ci_low"), r.get("ci_high")
    if low is not None and low > 0:
        return "higher"
    if high is not None and high < 0:
        return "lower"
    return "none"


def _where(frame: pl.DataFrame, **equal: object) -> pl.DataFrame:
    if frame.height == 0:
        return frame
    cond = pl.lit(True)
    for column, value in equal.items():
        cond &= pl.col(column).is_null() if value is None else pl.col(column) == value
    return frame.filter(cond)


def _numbers(r: dict[str, Any]) -> dict[str, Any]:
    return {"estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]}


def select(
    *,
    unit: str,
    benchmarks: pl.DataFrame,
    indices: pl.DataFrame,
    gaps: pl.DataFrame,
    recruitment: pl.DataFrame,
    promoters: pl.DataFrame,
    promoter_unit: str,
    network_gaps: pl.DataFrame | None = None,
    network_unit: str = "",
) -> list[Finding]:
    """The page's findings, most important first cut to :data:`MAX_FINDINGS`, in reading order.

    ``unit`` is the page's unit key (``municipality:0301``); every frame holds the rows of
    one unit and wave: the page unit's benchmarks (against its parent), indices, role
    gaps and recruitment facts, and the promoter comparisons the page shows (its own, or
    its parent's when its own are suppressed: ``promoter_unit``). ``network_gaps`` is the
    network's gaps, shown on a municipality's page when its own gap is suppressed.
    """
    found: list[Finding] = []
    for rank, dimension in enumerate(DIMENSIONS):
        b = _visible(_where(benchmarks, role_group="all", dimension=dimension, measure="index_mean"))
        i = _visible(_where(indices, role_group="all", dimension=dimension), "mean")
        if b is not None and i is not None:
            d = _direction(b)
            found.append(Finding("benchmark", d, unit, f"summary.{dimension}.benchmark.index_mean", "survey", b["n"],
                                 {"dimension": dimension, "value": i["mean"], **_numbers(b)},
                                 priority=(3 if d != "none" else 4) + rank))
        g = _visible(_where(gaps, dimension=dimension, group="user_side", measure="index_mean"))
        gap_unit, scope = unit, "unit"
        if g is None and network_gaps is not None:
            g = _visible(_where(network_gaps, dimension=dimension, group="user_side", measure="index_mean"))
            gap_unit, scope = network_unit, "network"
        if g is not None and not (scope == "network" and rank and _direction(g) == "none"):
            d = _direction(g)
            found.append(Finding("gap", d, gap_unit, f"summary.{dimension}.gap.user_side.index_mean", "survey", g["n"],
                                 {"dimension": dimension, "scope": scope, **_numbers(g)},
                                 priority=(2 if d != "none" else 4) + 2 * rank))
    shown = [r for r in _where(promoters).iter_rows(named=True) if not r["suppressed"] and r["estimate"] is not None]
    discussed: set[str] = set()
    for factor, (indicator, category) in PRACTICES.items():
        better = [r for r in shown if r["factor"] == factor and _direction(r) == "higher"]
        own = _visible(_where(recruitment, indicator=indicator, category=category, statistic="share"))
        if not better or own is None or own["count"] is None or not own["n"] or own["estimate"] >= 0.5:
            continue
        best = max(better, key=lambda r: r["estimate"])
        discussed.add(factor)
        found.append(Finding("discuss", "higher", unit, f"summary.discussion.{factor}", "teams", own["n"],
                             {"dimension": best["dimension"], "factor": factor, "k": int(own["count"]), "teams": own["n"],
                              "scope": "unit" if promoter_unit == unit else "parent", **_numbers(best)},
                             priority=1 + len(discussed) // 2))
    clear = sorted((r for r in shown if _direction(r) != "none" and r["factor"] not in discussed),
                   key=lambda r: -abs(r["estimate"]))
    picked: list[dict[str, Any]] = []
    for r in clear:
        if r["factor"] not in {p["factor"] for p in picked} and len(picked) < 2:
            picked.append(r)
    if not picked and not discussed:
        fallback = [r for r in shown if r["factor"] == "reps_trained" and r["dimension"] == "impact"]
        picked = fallback[:1]
    for rank, r in enumerate(picked):
        found.append(Finding("promoter", _direction(r), promoter_unit, f"summary.{r['dimension']}.promoter.{r['factor']}",
                             "teams", r["n"],
                             {"dimension": r["dimension"], "factor": r["factor"], "n_with": r["n_with"],
                              "n_without": r["n_without"], "scope": "unit" if promoter_unit == unit else "parent",
                              **_numbers(r)},
                             priority=(3 if _direction(r) != "none" else 5) + 2 * rank))
    order = {"benchmark": 0, "gap": 1, "promoter": 2, "discuss": 3}
    kept = sorted(range(len(found)), key=lambda k: (found[k].priority, k))[:MAX_FINDINGS]
    return [found[k] for k in sorted(kept, key=lambda k: (order[found[k].kind], k))]


def _teams(factor: str, lang: Language) -> str:
    if factor == "reps_trained":
        return text("summary_teams_reps_trained", lang)
    channel = factor.split(":", 1)[1]
    if channel == "user_organisation":
        return text("summary_teams_user_organisation", lang)
    return text("summary_teams_channel", lang, channel=text("channel_" + channel, lang))


def _points(number: str, lang: Language) -> str:
    """'17 points', '1 point', '−1 point' (the number as the page shows it)."""
    one = number.lstrip("+\u2212-") == "1"
    return text("summary_points_one" if one else "summary_points", lang, n=number)


def sentence(f: Finding, lang: Language, names: Names) -> str:
    """The finding in words, in ``lang``."""
    fmt = Formats(lang)
    v = f.values
    dimension = names.dimensions[v["dimension"]]
    numbers = {"points": _points(fmt.num(abs(v["estimate"])), lang), "diff": _points(signed(fmt.num(v["estimate"])), lang),
               "interval": fmt.interval(v["ci_low"], v["ci_high"], percent=False)}
    scope = names.unit if v.get("scope") == "unit" else names.parent
    if f.kind == "benchmark":
        key = {"higher": "summary_bench_above", "lower": "summary_bench_below"}.get(f.direction, "summary_bench_none")
        return text(key, lang, dimension=dimension, value=fmt.num(v["value"]), parent=names.parent, **numbers)
    dimension = dimension[:1].lower() + dimension[1:]
    if f.kind == "gap":
        group = (text("summary_user_side_in", lang, network=names.network) if v["scope"] == "network"
                 else text("summary_user_side", lang))
        said = text("summary_gap_" + f.direction, lang, group=group, dimension=dimension, **numbers)
        return said[:1].upper() + said[1:]
    if f.kind == "promoter":
        return text("summary_promoter_" + f.direction, lang, scope=scope, teams=_teams(v["factor"], lang),
                    dimension=dimension, n_with=v["n_with"], n_without=v["n_without"], **numbers)
    practice = text("summary_practice_" + v["factor"].removeprefix("channel:"), lang)
    return text("summary_discuss", lang, k=v["k"], n=v["teams"], unit=names.unit, practice=practice,
                scope=scope, dimension=dimension, **numbers)


def findings(ctx: ReportContext) -> list[Finding]:
    """:func:`select` on the report's frames (the promoters the page shows: its own, or its parent's)."""
    level, unit_id = ctx.level, ctx.unit_id
    own = ctx.rows("promoters")
    if own.height == 0 or own["suppressed"].all():
        level, unit_id = ctx.parent_ref()
    network = ctx.level == "municipality"
    return select(
        unit=ctx.unit_key,
        benchmarks=ctx.rows("benchmarks"),
        indices=ctx.rows("indices"),
        gaps=ctx.rows("gaps"),
        recruitment=ctx.rows("recruitment"),
        promoters=ctx.rows("promoters", level=level, unit_id=unit_id),
        promoter_unit=f"{level}:{unit_id}",
        network_gaps=ctx.rows("gaps", level="network", unit_id=ctx.network_id) if network else None,
        network_unit=f"network:{ctx.network_id}",
    )


def summary(ctx: ReportContext) -> Section:
    """The "Hovedfunn" section, right after the header (a note for a unit with too few answers)."""
    section = Section().add(blocks.heading(ctx, "summary"))
    if ctx.too_few:
        return section.add(blocks.note(ctx.t("summary_none")))
    section.add(blocks.paragraph(ctx.t("summary_intro")))
    names = Names(ctx.unit_name, ctx.parent_name, ctx.parent_name if ctx.level == "municipality" else ctx.unit_name,
                  {d: ctx.dimension_label(d) for d in DIMENSIONS})
    chosen = findings(ctx)
    if not chosen:
        return section.add(blocks.note(ctx.t("summary_none")))
    for f in chosen:
        section.add(blocks.finding(sentence(f, ctx.lang, names),
                                   Mark(f.unit, ctx.wave, f.figure, f.source, f.n)))  # type: ignore[arg-type]
    return section
