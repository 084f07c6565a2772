"""One sort per dataset: prepare leaves events in person-then-time order, and later steps trust it (or sort)."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.attribution import journey_paths
from analysis.personas.features import user_features
from analysis.prepare import prepare
from analysis.prepare.order import in_person_time_order, person_time_ordered
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
