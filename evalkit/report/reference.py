"""The reference tables a report reads from ``data_dir`` (names, dates, wave order).

Kept in one small class so that the single reference reader of the canonical tables
can replace it without touching the sections.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from evalkit.params import ParameterError


@dataclass(frozen=True)
class Reference:
    """The small reference tables a report needs for names and dates."""

    networks: pl.DataFrame
    municipalities: pl.DataFrame
    teams: pl.DataFrame
    waves: pl.DataFrame
    measure_catalogue: pl.DataFrame

    @classmethod
    def read(cls, data_dir: Path) -> Reference:
        def read(name: str) -> pl.DataFrame:
            path = data_dir / f"{name}.parquet"
            if not path.exists():
                raise ParameterError(f"data_dir: {data_dir} is not a canonical data folder ({path.name} is missing)")
            return pl.read_parquet(path)

        return cls(read("networks"), read("municipalities"), read("teams"), read("waves"), read("measure_catalogue"))

    def network_name(self, network_id: str) -> str:
        row = self.networks.filter(pl.col("network_id") == network_id)
        return str(row["name"][0]) if row.height else network_id

    def municipality_name(self, municipality_id: str) -> str:
        rows = self.municipalities.filter(pl.col("municipality_id") == municipality_id).sort(
            "valid_from", descending=True
        )
        return str(rows["name"][0]) if rows.height else municipality_id

    def wave_date(self, wave: str) -> dt.date | None:
        row = self.waves.filter(pl.col("wave") == wave)
        return row["collected"][0] if row.height else None

    def latest_wave(self) -> str:
        return str(self.waves.sort("order")["wave"][-1])

    def wave_order(self) -> list[str]:
        return [str(w) for w in self.waves.sort("order")["wave"]]
