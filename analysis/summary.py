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
    """Count events and distinct people (``user_id``, else ``anonymous_id``) and find the time span.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> summarize(generate_sample(30, seed=1).events).people
    30
    """
    if events.is_empty():
        return DatasetSummary(0, 0, None, None)
    key = s.person_key() if s.ANONYMOUS_ID in events.columns else pl.col(s.USER_ID)
    row = events.select(
        people=key.n_unique(), first=pl.col(s.TIMESTAMP).min(), last=pl.col(s.TIMESTAMP).max()
    ).row(0, named=True)
    return DatasetSummary(events.height, int(row["people"]), row["first"], row["last"])
