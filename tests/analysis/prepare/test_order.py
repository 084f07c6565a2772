"""One sort per dataset: prepare leaves events in person-then-time order, and later steps trust it (or sort)."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.attribution import journey_paths
from analysis.personas.features import user_features
from analysis.prepare import order, prepare
from analysis.prepare.order import (
    gather_rows,
    in_person_time_order,
    person_rank,
    person_time_ordered,
    sort_person_time,
)
from tests.analysis._events import frame


@st.composite
def _events(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(1, 30))
    users = draw(st.lists(st.sampled_from([None, "u1", "u2", "u10"]), min_size=n, max_size=n))
    devices = draw(st.lists(st.sampled_from(["d1", "d2", "d3"]), min_size=n, max_size=n))
    # distinct times: ties keep input order, so shuffling tied rows would rightly change the answer
    minutes = draw(st.lists(st.integers(0, 300), min_size=n, max_size=n, unique=True))
    events = draw(st.lists(st.sampled_from(["page_view", "purchase"]), min_size=n, max_size=n))
    return frame(user_id=users, anonymous_id=devices, timestamp=minutes, event=events,
                 channel=draw(st.lists(st.sampled_from(["Email", "Direct"]), min_size=n, max_size=n)),
                 event_id=[str(i) for i in range(n)])


@settings(max_examples=25, deadline=None)
@given(events=_events())
def test_prepared_events_are_in_person_then_time_order(events: pl.DataFrame) -> None:
    prepared = prepare(events)
    assert in_person_time_order(prepared)
    assert person_time_ordered(prepared) is prepared  # nothing sorted or copied again


@settings(max_examples=15, deadline=None)
@given(events=_events(), seed=st.integers(0, 10_000))
def test_analyses_answer_the_same_on_prepared_and_on_shuffled_prepared_events(events: pl.DataFrame,
                                                                              seed: int) -> None:
    prepared = prepare(events)
    shuffled = prepared.sample(fraction=1.0, shuffle=True, seed=seed)
    assert_frame_equal(journey_paths(shuffled), journey_paths(prepared))
    assert_frame_equal(user_features(shuffled), user_features(prepared))


def test_out_of_order_rows_are_detected() -> None:
    ev = frame(user_id=["b", "a"], timestamp=[0, 5])
    assert not in_person_time_order(ev)
    assert person_time_ordered(ev)["user_id"].to_list() == ["a", "b"]
    same_person_back_in_time = frame(user_id=["a", "a"], timestamp=[5, 0])
    assert not in_person_time_order(same_person_back_in_time)


@settings(max_examples=60, deadline=None)
@given(users=st.lists(st.sampled_from(["b", "a", "a10", "é"]), min_size=1, max_size=30), data=st.data())
def test_the_packed_sort_equals_the_stable_sort_by_person_and_time(users: list[str], data: st.DataObject) -> None:
    minutes = data.draw(st.lists(st.integers(0, 5), min_size=len(users), max_size=len(users)))  # many ties
    ev = frame(user_id=users, timestamp=minutes, event_id=[str(i) for i in range(len(users))])
    assert_frame_equal(sort_person_time(ev), ev.sort("user_id", "timestamp", maintain_order=True))


def test_people_or_times_missing_fall_back_to_the_plain_sort() -> None:
    ev = frame(user_id=["b", None, "a"], timestamp=[0, 1, 2])
    assert_frame_equal(sort_person_time(ev), ev.sort("user_id", "timestamp", maintain_order=True))


@settings(max_examples=40, deadline=None)
@given(users=st.lists(st.sampled_from(["b", "a", "a10", "é", "a-very-long-user-identifier"]), min_size=2,
                      max_size=40), data=st.data())
def test_the_packed_sort_of_a_chunked_frame_with_empty_columns_equals_the_stable_sort(users: list[str],
                                                                                     data: st.DataObject) -> None:
    n = len(users)
    minutes = data.draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    ev = frame(user_id=users, timestamp=minutes, event_id=[str(i) for i in range(n)], referrer=[None] * n,
               revenue=[None] * n).with_columns(tags=pl.lit(None, pl.List(pl.String)))
    cut = data.draw(st.integers(1, n - 1))
    chunked = pl.concat([ev[:cut], ev[cut:]], rechunk=False)  # as read from a Parquet file of several row groups
    assert chunked.n_chunks() == 2
    assert_frame_equal(sort_person_time(chunked), ev.sort("user_id", "timestamp", maintain_order=True))


def test_person_rank_is_the_position_among_the_sorted_distinct_persons() -> None:
    values = pl.Series("user_id", ["u2", "u10", "u2", "a", "u10"])  # sorted distinct: a, u10, u2
    assert person_rank(values).to_list() == [2, 1, 2, 0, 1]


def test_person_rank_falls_back_to_the_strings_when_hashes_collide(monkeypatch: pytest.MonkeyPatch) -> None:
    values = pl.Series("user_id", ["u2", "u10", "u2", "a"])
    monkeypatch.setattr(pl.Series, "hash", lambda self, *a, **k: pl.Series([7] * self.len(), dtype=pl.UInt64))
    assert person_rank(values).to_list() == [2, 1, 2, 0]


def test_keys_wider_than_63_bits_fall_back_to_the_plain_sort(monkeypatch: pytest.MonkeyPatch) -> None:
    # 40 people (6 bits) over 8,000 years of microseconds (58 bits) do not fit one 63-bit key
    t = [datetime(1000 + 8000 * (i % 2), 1, 1, tzinfo=UTC) for i in range(80)]
    ev = pl.DataFrame({"user_id": [f"u{i % 40}" for i in range(80)], "timestamp": t, "event_id": range(80)},
                      schema_overrides={"timestamp": pl.Datetime("us", "UTC")}).reverse()
    monkeypatch.setattr(order, "gather_rows", lambda *a: pytest.fail("the packed key was used"))
    assert_frame_equal(sort_person_time(ev), ev.sort("user_id", "timestamp", maintain_order=True))


def test_gather_rows_takes_rows_in_order_and_keeps_empty_columns_typed() -> None:
    ev = pl.DataFrame({"a": ["x", "y", "z"], "none": [None, None, None], "when": [1.0, None, 3.0]},
                      schema={"a": pl.String, "none": pl.Datetime("us", "UTC"), "when": pl.Float64})
    out = gather_rows(ev, pl.Series([2, 0, 2], dtype=pl.UInt32))
    expected = pl.DataFrame({"a": ["z", "x", "z"], "none": [None] * 3, "when": [3.0, 1.0, 3.0]}, schema=ev.schema)
    assert_frame_equal(out, expected)
