"""Cheap row filters applied outside the caches (date ranges, column values, a cohort of people) and person labels."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.prepare.person import person_key


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


def filter_people(events: pl.DataFrame, ids: Collection[str]) -> pl.DataFrame:
    """Keep the events of the people in ``ids`` (a cohort); a person is ``user_id``, else ``anonymous_id``.

    Examples
    --------
    >>> ev = pl.DataFrame({"user_id": ["a", None, "b"], "anonymous_id": ["d1", "d2", "d3"]})
    >>> filter_people(ev, {"a", "d2"})["anonymous_id"].to_list()
    ['d1', 'd2']
    """
    if s.USER_ID not in events.columns:
        raise AnalysisError(f"cannot filter people: no {s.USER_ID!r} column; present: {', '.join(events.columns)}")
    return events.filter(person_key(events).is_in(pl.Series(list(ids), dtype=pl.String)))


def add_person_labels(events: pl.DataFrame, labels: pl.DataFrame) -> pl.DataFrame:
    """``events`` with the person-level columns of ``labels`` (``user_id`` plus e.g. ``persona``) joined on; people
    without a label get nulls. Label columns the events already have are replaced. A new frame, row order kept.

    Examples
    --------
    >>> ev = pl.DataFrame({"user_id": ["a", None, "b"], "anonymous_id": ["d1", "d2", "d3"]})
    >>> add_person_labels(ev, pl.DataFrame({"user_id": ["d2", "a"], "persona": ["P2", "P1"]}))["persona"].to_list()
    ['P1', 'P2', None]
    """
    if s.USER_ID not in labels.columns:
        raise AnalysisError(f"person labels need a {s.USER_ID!r} column; present: {', '.join(labels.columns)}")
    extra = [c for c in labels.columns if c != s.USER_ID]
    table = labels.unique(s.USER_ID, keep="first").rename({s.USER_ID: "_person"})
    return (events.drop([c for c in extra if c in events.columns])
            .with_columns(person_key(events).alias("_person"))
            .join(table, on="_person", how="left", maintain_order="left").drop("_person"))
