"""Cheap row filters applied outside the caches: date ranges and column values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError


def filter_dates(events: pl.DataFrame, start: date, end: date) -> pl.DataFrame:
    """Events from ``start`` 00:00 UTC up to the end of ``end`` (whole days, inclusive).

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> ev = generate_sample(50, seed=1).events
    >>> filter_dates(ev, date(2026, 9, 1), date(2026, 10, 30)).height == ev.height
    True
    """
    if end < start:
        raise AnalysisError(f"date range ends ({end}) before it starts ({start})")
    lo = datetime.combine(start, time.min, tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    return events.filter(pl.col(s.TIMESTAMP).is_between(lo, hi, closed="left"))


def filter_values(events: pl.DataFrame, selected: Mapping[str, Sequence[str]]) -> pl.DataFrame:
    """Keep events whose column values are among ``selected[column]``; an empty selection keeps everything."""
    for column in selected:
        if column not in events.columns:
            raise AnalysisError(f"cannot filter on {column!r}: no such column; present: {', '.join(events.columns)}")
    predicates = [pl.col(c).cast(pl.String).is_in(list(v)) for c, v in selected.items() if v]
    return events.filter(*predicates) if predicates else events
