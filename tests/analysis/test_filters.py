"""Cheap filters: dates, values, a cohort of people; person labels joined onto events."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.errors import AnalysisError
from analysis.filters import add_person_labels, filter_dates, filter_people, filter_values

EVENTS = pl.DataFrame({
    "user_id": ["a", "a", None, "b", None],
    "anonymous_id": ["d1", "d1", "d2", "d3", "d4"],
    "timestamp": [datetime(2026, 1, d, 12, tzinfo=UTC) for d in (1, 2, 3, 4, 5)],
    "channel": ["Email", "Direct", "Email", "Paid Search", None],
})


def test_filter_dates_keeps_whole_days_inclusive() -> None:
    assert filter_dates(EVENTS, date(2026, 1, 2), date(2026, 1, 3)).height == 2


def test_filter_values_keeps_the_chosen_values() -> None:
    assert filter_values(EVENTS, {"channel": ["Email"]})["anonymous_id"].to_list() == ["d1", "d2"]


def test_filter_people_keeps_the_cohort_by_user_id_else_device() -> None:
    out = filter_people(EVENTS, frozenset({"a", "d2"}))
    assert_frame_equal(out, EVENTS[[0, 1, 2]])


def test_filter_people_with_an_empty_cohort_keeps_nobody() -> None:
    assert filter_people(EVENTS, set()).height == 0


def test_filter_people_without_anonymous_id_uses_user_id() -> None:
    out = filter_people(EVENTS.drop("anonymous_id"), ["b"])
    assert out["channel"].to_list() == ["Paid Search"]


def test_filter_people_needs_a_user_id_column() -> None:
    with pytest.raises(AnalysisError, match="user_id"):
        filter_people(EVENTS.drop("user_id"), ["a"])


def test_person_labels_join_by_person_keep_order_and_leave_others_null() -> None:
    labels = pl.DataFrame({"user_id": ["d2", "a"], "persona": ["Browsers", "Buyers"]})
    out = add_person_labels(EVENTS, labels)
    assert_frame_equal(out, EVENTS.with_columns(persona=pl.Series(["Buyers", "Buyers", "Browsers", None, None])))


def test_person_labels_replace_an_existing_column_and_do_not_touch_the_input() -> None:
    before = EVENTS.with_columns(persona=pl.lit("old"))
    out = add_person_labels(before, pl.DataFrame({"user_id": ["b"], "persona": ["new"]}))
    assert out["persona"].to_list() == [None, None, None, "new", None]
    assert before["persona"].to_list() == ["old"] * 5


def test_person_labels_need_a_user_id_column() -> None:
    with pytest.raises(AnalysisError, match="user_id"):
        add_person_labels(EVENTS, pl.DataFrame({"persona": ["x"]}))
