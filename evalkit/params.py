"""Typed notebook parameters, checked at the top of every run.

A report notebook's ``parameters`` cell holds plain defaults that run the sample data;
the first thing the notebook does is hand them to :func:`network_parameters` or
:func:`municipality_parameters`, which check types and values and raise
:class:`ParameterError` naming every bad parameter at once.

Municipality numbers are 4-digit strings with meaningful leading zeros. papermill's
``-p municipality_id 0301`` passes the integer 301: an int is given its zero back
(``"0301"``) and then checked against the data's municipalities, so a number that became
another number is refused rather than silently reported on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evalkit.errors import InputError
from evalkit.schema import normalise_municipality_id

ReportKind = Literal["network", "municipality"]


class ParameterError(InputError, ValueError):
    """One or more notebook parameters are wrong; the message lists each of them."""


class ReportParameters(BaseModel):
    """Parameters shared by every report notebook."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    wave: str | None = Field(None, description="wave to report (default: the latest)")
    compare_wave: str | None = Field(None, description="an earlier wave to compare with")
    data_dir: Path = Field(Path("../data/sample"), description="a canonical data folder")
    prepared_dir: Path | None = Field(None, description="the batch's prepared store")
    instrument: Path | None = Field(None, description="an instrument file (default: evalkit's)")
    language: Literal["nb", "nn", "en"] = "nb"
    min_unit_n: int = Field(10, ge=1, le=1000, description="respondents a unit needs for its own results")
    min_cell_n: int = Field(5, ge=1, le=1000, description="people a figure needs to be shown")
    static_charts: bool = Field(False, description="also embed a static SVG of every chart")

    @field_validator("wave", "compare_wave", mode="before")
    @classmethod
    def _wave_text(cls, value: Any) -> Any:
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValueError("must be a wave label such as '2026'")
        return str(value)

    @field_validator("prepared_dir", "instrument", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value in ("", None) else value

    @model_validator(mode="after")
    def _thresholds(self) -> ReportParameters:
        if self.min_cell_n > self.min_unit_n:
            raise ValueError(
                f"min_cell_n ({self.min_cell_n}) may not be larger than min_unit_n ({self.min_unit_n})"
            )
        if self.compare_wave is not None and self.compare_wave == self.wave:
            raise ValueError("compare_wave must be an earlier wave than wave, not the same one")
        return self


class NetworkParameters(ReportParameters):
    kind: Literal["network"] = "network"
    network_id: str = Field(min_length=1)


class MunicipalityParameters(ReportParameters):
    kind: Literal["municipality"] = "municipality"
    municipality_id: str

    @field_validator("municipality_id", mode="before")
    @classmethod
    def _four_digits(cls, value: Any) -> str:
        return normalise_municipality_id(value)


def _explain(exc: ValidationError, title: str) -> ParameterError:
    problems = []
    for error in exc.errors():
        name = ".".join(str(p) for p in error["loc"]) or "(parameters)"
        msg = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            msg = "unknown parameter"
        given = error.get("input")
        shown = "" if error["type"] in ("missing", "extra_forbidden") or isinstance(given, dict) else f" (got {given!r})"
        problems.append(f"{name}: {msg}{shown}")
    return ParameterError(f"{title}: " + "; ".join(problems))


def network_parameters(**values: Any) -> NetworkParameters:
    """Check a network report's parameters.

    Examples
    --------
    >>> network_parameters(network_id="ost", min_cell_n="x").min_cell_n
    Traceback (most recent call last):
    ...
    evalkit.params.ParameterError: bad parameters for the network report: min_cell_n: Input should be a valid integer, unable to parse string as an integer (got 'x')
    """
    try:
        return NetworkParameters(**values)
    except ValidationError as exc:
        raise _explain(exc, "bad parameters for the network report") from None


def municipality_parameters(**values: Any) -> MunicipalityParameters:
    """Check a municipality report's parameters.

    Examples
    --------
    >>> municipality_parameters(municipality_id=301).municipality_id
    '0301'
    """
    try:
        return MunicipalityParameters(**values)
    except ValidationError as exc:
        raise _explain(exc, "bad parameters for the municipality report") from None
