"""A dataset at a glance: how many events and people, over which days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from analysis import schema as s


@dataclass(frozen=True)
class DatasetSummary:
    """Counts and time span of a canonical event table."""

    events: int
    people: int
    first: datetime | None
    last: datetime | None


def summarize(events: pl.DataFrame) -> DatasetSummary:
    """Count events and distinct people and find the time span.

    People are distinct ``user_id`` values plus devices (``anonymous_id``) never seen with a user id.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> summarize(generate_sample(30, seed=1).events).people
    30
    """
    if events.is_empty():
        return DatasetSummary(0, 0, None, None)
    row = events.select(first=pl.col(s.TIMESTAMP).min(), last=pl.col(s.TIMESTAMP).max()).row(0, named=True)
    return DatasetSummary(events.height, _count_people(events), row["first"], row["last"])


def _count_people(events: pl.DataFrame) -> int:
    """Distinct user ids plus devices never seen with one (a device that logs in later is that person)."""
    known = events.get_column(s.USER_ID).drop_nulls().n_unique() if s.USER_ID in events.columns else 0
    if s.ANONYMOUS_ID not in events.columns:
        return known
    user = pl.col(s.USER_ID) if s.USER_ID in events.columns else pl.lit(None, pl.String)
    anonymous_only = (
        events.filter(pl.col(s.ANONYMOUS_ID).is_not_null())
        .group_by(s.ANONYMOUS_ID)
        .agg(user.is_null().all().alias("never_known"))
        .get_column("never_known")
        .sum()
    )
    return known + int(anonymous_only)
