"""The audit's settings: thresholds, the data folder's facts and the chart library's hash.

:func:`resolve` picks the thresholds and the data folder (explicit values, else the
manifest's, else the defaults); :func:`load_data` reads what the audit needs from the
canonical data; :func:`page_settings` is what every page's audit gets.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from evalkit.atomic import write_atomic
from evalkit.audit.spec import (
    DEFAULT_ATTACK_SECONDS,
    DEFAULT_MIN_CELL_N,
    DEFAULT_MIN_UNIT_N,
    MIN_ID_LENGTH,
)
from evalkit.errors import InputError, JobFailed

__all__ = [
    "DataFacts",
    "Settings",
    "check_seconds",
    "check_threshold",
    "id_pattern",
    "known_bundle",
    "load_data",
    "page_settings",
    "resolve",
]


@dataclass(frozen=True)
class Settings:
    """What every page's audit needs (sent once to each worker process)."""

    min_unit_n: int
    min_cell_n: int
    id_pattern: str | None = None
    ids: frozenset[str] = frozenset()
    id_alphabet: frozenset[str] = frozenset()
    bundle: tuple[int, str] | None = None
    attack_seconds: float = DEFAULT_ATTACK_SECONDS
    """Time limit of the cross-page attack (:mod:`evalkit.audit.attack`); a hidden figure
    it cannot settle in time is a finding."""
    strict_attack: bool = False
    """Are the attack's findings findings (``--strict-attack``)? By default they are only
    reported (:attr:`AuditReport.warnings <evalkit.audit.findings.AuditReport>`), until
    the data-side protector of issue 13 lands."""


@dataclass(frozen=True)
class DataFacts:
    """What the audit takes from the canonical data: ids, unit sizes, the unit tree."""

    ids: frozenset[str]
    sizes: Mapping[tuple[str, str], int]
    children: Mapping[tuple[str, str], frozenset[str]]
    parents: Mapping[tuple[str, str], frozenset[str]]


def load_data(data_dir: Path) -> DataFacts:
    import polars as pl

    from evalkit.schema import TABLES
    from evalkit.units import PARENT_LEVEL, Hierarchy

    path = data_dir / TABLES["respondents"].file_name
    if not path.is_file():
        raise InputError(f"--data: {data_dir} is not a canonical data folder ({path.name} is missing)")
    columns = ["respondent_id", "wave", "team_id", "municipality_id", "network_id"]
    try:
        frame = pl.read_parquet(path, columns=columns)
    except Exception as exc:  # polars raises several kinds for a damaged or foreign file
        raise InputError(f"{path}: cannot read the respondents ({exc})") from None
    frame = frame.with_columns(pl.lit("all").alias("all_id"))
    level_column = {"team": "team_id", "municipality": "municipality_id", "network": "network_id", "all": "all_id"}
    sizes: dict[tuple[str, str], int] = {}
    for level, column in level_column.items():
        for wave, unit_id, count in frame.group_by("wave", column).len().iter_rows():
            sizes[(f"{level}:{unit_id}", str(wave))] = int(count)
    children: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    parents: defaultdict[tuple[str, str], set[str]] = defaultdict(set)
    for (wave,), people in frame.group_by("wave"):
        tree = Hierarchy.from_frames(people)  # one wave's units, from its respondents
        for child_level, child_id in tree.units():
            for parent_level, parent_id in tree.parents((child_level, child_id)):
                if PARENT_LEVEL.get(child_level) != parent_level:
                    continue  # a partner edge: the partner's people are not in the sum
                child, parent = f"{child_level}:{child_id}", f"{parent_level}:{parent_id}"
                children[(parent, str(wave))].add(child)
                parents[(child, str(wave))].add(parent)
    return DataFacts(
        ids=frozenset(str(i) for i in frame["respondent_id"].to_list()),
        sizes=sizes,
        children={k: frozenset(v) for k, v in children.items()},
        parents={k: frozenset(v) for k, v in parents.items()},
    )


def id_pattern(ids: Iterable[str]) -> tuple[str | None, frozenset[str], frozenset[str]]:
    """A regular expression that finds candidate ids fast: one of the ids' first characters
    (a literal prefix the regex engine searches for), then the ids' characters."""
    searched = frozenset(i for i in ids if len(i) >= MIN_ID_LENGTH)
    if not searched:
        return None, frozenset(), frozenset()
    alphabet = frozenset("".join(searched))
    first = sorted({i[0] for i in searched})
    lengths = [len(i) for i in searched]

    def char_class(chars: Iterable[str]) -> str:
        return "[" + "".join(re.escape(c) for c in sorted(chars)) + "]"

    pattern = f"{char_class(first)}{char_class(alphabet)}{{{min(lengths) - 1},{max(lengths) - 1}}}"
    return pattern, searched, alphabet


@cache
def known_bundle() -> tuple[int, str] | None:
    """(UTF-8 length, SHA-256) of the chart library evalkit inlines, or None.

    Building the bundle (vl-convert) takes seconds, so the hash is kept in
    ``$XDG_CACHE_HOME/evalkit``, per version of vl-convert and of :mod:`evalkit.render`.
    """
    from importlib.metadata import PackageNotFoundError, version
    from importlib.util import find_spec

    try:
        vl_version = version("vl-convert-python")
        spec = find_spec("evalkit.render")
        render_source = Path(spec.origin).read_bytes() if spec is not None and spec.origin else b""
    except (PackageNotFoundError, OSError):
        return None
    render_hash = hashlib.sha256(render_source).hexdigest()[:12]
    from evalkit.cachedir import cache_home

    memo = cache_home() / f"chart-bundle-{vl_version}-{render_hash}.json"
    try:
        raw = json.loads(memo.read_text(encoding="utf-8"))
        return int(raw["length"]), str(raw["sha256"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        from evalkit.render import chart_bundle, chart_bundle_sha256

        bundle = chart_bundle()
        sha = chart_bundle_sha256()
    except Exception:  # no chart library: inline bundles are then scanned like any script
        return None
    # Cutting the bundle out before tokenising is exact only if it cannot end its script.
    if re.search(r"</script", bundle, re.I):
        return None
    result = (len(bundle.encode("utf-8")), sha)
    with contextlib.suppress(OSError):
        write_atomic(memo, json.dumps({"length": result[0], "sha256": sha}))
    return result


def check_threshold(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name}: expected a whole number of at least 1, got {value!r}")
    return value


def _own_threshold(name: str, given: int | None, default: int, from_manifest: Mapping[str, Any],
                   manifest: Path | None) -> int:
    """The audit's own threshold: ``given`` (an explicit option), else the default. A
    manifest may raise it (pages built with stricter settings are audited by them) but
    never lower it: a manifest that claims less fails the audit unless the option says so.
    """
    if given is not None:
        return check_threshold(name, given)
    claimed = from_manifest.get(name)
    if claimed is None:
        return default
    claimed = check_threshold(name, claimed)
    if claimed < default:
        option = "--" + name.replace("_", "-")
        raise JobFailed(
            f"{manifest}: the pages were built with {name}={claimed}, below the audit's {default}; "
            f"the audit keeps {default} unless told otherwise ({option} {claimed} if that was intended)"
        )
    return claimed


def resolve(
    *,
    data_dir: str | os.PathLike[str] | None,
    min_unit_n: int | None,
    min_cell_n: int | None,
    manifest: Path | None,
) -> tuple[int, int, Path | None]:
    """Thresholds and data folder. Thresholds: explicit values, else the defaults (5, 10),
    raised — never lowered — by the manifest's (see :func:`_own_threshold`)."""
    settings: Mapping[str, Any] = {}
    raw: Mapping[str, Any] = {}
    if manifest is not None:
        try:
            loaded = json.loads(Path(manifest).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"{manifest}: cannot read the manifest ({exc.strerror})") from None
        except ValueError as exc:
            raise InputError(f"{manifest}: not valid JSON ({exc})") from None
        if not isinstance(loaded, dict):
            raise InputError(f"{manifest}: expected a JSON object")
        raw = loaded
        found = loaded.get("settings") or {}
        if not isinstance(found, dict):
            raise InputError(f"{manifest}: 'settings' must be an object")
        settings = found
    from_manifest = {k: v for k, v in settings.items() if v is not None}
    unit_n = _own_threshold("min_unit_n", min_unit_n, DEFAULT_MIN_UNIT_N, from_manifest, manifest)
    cell_n = _own_threshold("min_cell_n", min_cell_n, DEFAULT_MIN_CELL_N, from_manifest, manifest)
    data: Path | None = Path(data_dir) if data_dir is not None else None
    if data is None and manifest is not None:
        params = raw.get("parameters") if isinstance(raw.get("parameters"), dict) else {}
        named = settings.get("data_dir") or raw.get("data_dir") or (params or {}).get("data_dir")
        if named:
            data = Path(str(named))
            if not data.is_absolute():
                data = Path(manifest).parent / data
    if data is not None and not data.is_dir():
        raise InputError(f"data folder {str(data)!r} does not exist")
    return unit_n, cell_n, data


def page_settings(unit_n: int, cell_n: int, facts: DataFacts | None, bundle: tuple[int, str] | None,
                  attack_seconds: float = DEFAULT_ATTACK_SECONDS, *, strict_attack: bool = False) -> Settings:
    pattern, ids, alphabet = id_pattern(facts.ids) if facts is not None else (None, frozenset(), frozenset())
    return Settings(unit_n, cell_n, pattern, ids, alphabet, bundle, attack_seconds, strict_attack)


def check_seconds(value: object) -> float:
    """A time limit in seconds (a positive number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise InputError(f"--attack-seconds: expected a positive number of seconds, got {value!r}")
    return float(value)
