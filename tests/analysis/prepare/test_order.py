"""One sort per dataset: prepare leaves events in person-then-time order, and later steps trust it (or sort)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.attribution import journey_paths
from analysis.personas.features import user_features
from analysis.prepare import prepare
from analysis.prepare.order import in_person_time_order, person_time_ordered, sort_person_time
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
