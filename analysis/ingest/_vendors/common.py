"""Small helpers shared by the vendor modules: find a field by its normalised name, derive text columns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import polars as pl

from analysis.ingest._formats import normalise


@dataclass
class Prepared:
    """A raw frame with the vendor's derived columns added, and what the report should say about it."""

    frame: pl.DataFrame
    notes: list[str] = field(default_factory=list)


def find(columns: Sequence[str], *keys: str) -> str | None:
    """The first column whose normalised name is one of ``keys`` (tried in order), or None.

    Examples
    --------
    >>> find(["properties.$insert_id", "event"], "$insert_id")
    'properties.$insert_id'
    """
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(normalise(c), c)
    return next((by_norm[k] for k in keys if k in by_norm), None)


def text(frame: pl.DataFrame, column: str | None) -> pl.Expr:
    """The column as trimmed text with blanks as null; a null literal when the column is absent."""
    if column is None:
        return pl.lit(None, dtype=pl.String)
    out = pl.col(column).cast(pl.String).str.strip_chars()
    return pl.when(out == "").then(None).otherwise(out)


def number(frame: pl.DataFrame, column: str | None) -> pl.Expr:
    """The column as Float64 (text that is not a number becomes null); a null literal when absent."""
    if column is None:
        return pl.lit(None, dtype=pl.Float64)
    if frame.schema[column].is_numeric():
        return pl.col(column).cast(pl.Float64)
    return pl.col(column).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)


def utc_text(frame: pl.DataFrame, column: str | None) -> pl.Expr | None:
    """Naive timestamp text that the vendor documents as UTC, marked ``Z`` so no time-zone option shifts it.

    Values that already carry an offset or ``Z`` are left alone; numbers (epochs) are UTC by definition.
    """
    if column is None or frame.schema[column] != pl.String:
        return None
    value = pl.col(column).str.strip_chars()
    has_zone = value.str.contains(r"(Z|[+-]\d\d:?\d\d| UTC)$")
    looks_time = value.str.contains(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
    return pl.when(looks_time & ~has_zone).then(value + "Z").otherwise(pl.col(column)).alias(column)
