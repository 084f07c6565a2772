"""Dataset summary: events, people (stitched), time span."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from analysis import schema as s
from analysis.sample import Sample
from analysis.summary import summarize


def _ts(minute: int) -> datetime:
    return datetime(2026, 1, 1, 0, minute, tzinfo=UTC)


def test_device_that_logs_in_later_counts_as_one_person() -> None:
    events = pl.DataFrame(
        {
            s.USER_ID: [None, "u1", "u2", None],
            s.ANONYMOUS_ID: ["a1", "a1", "a2", "a3"],
            s.TIMESTAMP: [_ts(0), _ts(1), _ts(2), _ts(3)],
            s.EVENT: ["page_view", "login", "page_view", "page_view"],
        },
        schema_overrides={s.TIMESTAMP: s.TIMESTAMP_DTYPE},
    )
    summary = summarize(events)
    assert (summary.events, summary.people, summary.first, summary.last) == (4, 3, _ts(0), _ts(3))


def test_empty_events_summarise_to_zero() -> None:
    assert summarize(s.empty_events()).people == 0


def test_sample_people_equal_planted_users(small_sample: Sample) -> None:
    assert summarize(small_sample.events).people == small_sample.truth.users.height
