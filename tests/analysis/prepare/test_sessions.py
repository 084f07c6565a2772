"""Sessionization: inactivity gap, campaign change, export session ids; every event in exactly one session."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.prepare.identity import stitch_identities
from analysis.prepare.sessions import session_starts, sessionize
from analysis.sample import Sample
from tests.analysis._events import frame


def test_gap_longer_than_limit_starts_a_session() -> None:
    events = frame(user_id=["u1"] * 4, timestamp=[0, 30, 61, 62], event=["a", "b", "c", "d"])
    assert sessionize(events)[s.SESSION_ID].to_list() == ["u1-1", "u1-1", "u1-2", "u1-2"]


def test_gap_of_exactly_the_limit_stays_in_the_session() -> None:
    events = frame(user_id=["u1"] * 2, timestamp=[0, 30], event=["a", "b"])
    assert sessionize(events)[s.SESSION_ID].n_unique() == 1


def test_output_is_sorted_by_person_and_time_with_all_columns() -> None:
    events = frame(user_id=["u2", "u1", "u1"], timestamp=[0, 50, 5], event=["x", "y", "z"], device=["d", "e", "f"])
    expected = frame(
        user_id=["u1", "u1", "u2"], timestamp=[5, 50, 0], event=["z", "y", "x"], device=["f", "e", "d"],
        session_id=["u1-1", "u1-2", "u2-1"],
    )
    assert_frame_equal(sessionize(events), expected)


def test_configurable_gap() -> None:
    events = frame(user_id=["u1"] * 3, timestamp=[0, 8, 20], event=["a", "b", "c"])
    assert sessionize(events, gap=timedelta(minutes=10))[s.SESSION_ID].to_list() == ["u1-1", "u1-1", "u1-2"]


def test_non_positive_gap_is_an_error() -> None:
    events = frame(user_id=["u1"], timestamp=[0], event=["a"])
    with pytest.raises(AnalysisError, match="session gap must be positive"):
        sessionize(events, gap=timedelta(0))


def test_campaign_change_starts_a_session_when_asked() -> None:
    events = frame(
        user_id=["u1"] * 4, timestamp=[0, 1, 2, 3], event=["a", "b", "c", "d"],
        source=["google", None, "newsletter", "newsletter"], medium=["cpc", None, "email", "email"],
    )
    assert sessionize(events)[s.SESSION_ID].n_unique() == 1
    on_campaign = sessionize(events, new_session_on_campaign=True)[s.SESSION_ID].to_list()
    assert on_campaign == ["u1-1", "u1-1", "u1-2", "u1-2"]


def test_export_session_ids_are_respected() -> None:
    events = frame(user_id=["u1"] * 3, timestamp=[0, 1, 200], event=["a", "b", "c"], session_id=["x", "y", "y"])
    assert sessionize(events)[s.SESSION_ID].to_list() == ["x", "y", "y"]


def test_export_ids_shared_by_people_are_prefixed_and_gaps_fill_missing_ones() -> None:
    events = frame(user_id=["u1", "u2", "u2"], timestamp=[0, 1, 2], event=["a", "b", "c"],
                   session_id=["1", "1", None])
    assert sessionize(events)[s.SESSION_ID].to_list() == ["u1:1", "u2:1", "u2-1"]


def test_anonymous_person_is_keyed_by_device() -> None:
    events = frame(user_id=[None, None], anonymous_id=["a1", "a1"], timestamp=[0, 1], event=["a", "b"])
    assert sessionize(events)[s.SESSION_ID].to_list() == ["a1-1", "a1-1"]


def test_sample_planted_sessions_are_recovered(small_sample: Sample) -> None:
    truth = small_sample.truth.users.select("person", pl.col("sessions").cast(pl.UInt32))
    sessions = sessionize(stitch_identities(small_sample.events))
    per_person = sessions.group_by(s.ANONYMOUS_ID).agg(pl.col(s.SESSION_ID).n_unique().alias("found"))
    joined = small_sample.truth.users.select(s.ANONYMOUS_ID, "sessions").join(per_person, on=s.ANONYMOUS_ID)
    assert truth.height == joined.height
    assert (joined["found"].cast(pl.Int64) == joined["sessions"].cast(pl.Int64)).all()


@st.composite
def _events(draw: st.DrawFn) -> pl.DataFrame:
    n = draw(st.integers(1, 40))
    users = draw(st.lists(st.sampled_from(["u1", "u2", "u3"]), min_size=n, max_size=n))
    minutes = draw(st.lists(st.integers(0, 300), min_size=n, max_size=n))
    return frame(user_id=users, timestamp=minutes, event=["e"] * n, event_id=[str(i) for i in range(n)])


@settings(max_examples=60, deadline=None)
@given(events=_events(), gap=st.integers(1, 90))
def test_every_event_lands_in_exactly_one_session_and_sessions_respect_the_gap(
    events: pl.DataFrame, gap: int
) -> None:
    out = sessionize(events, gap=timedelta(minutes=gap))
    assert out.height == events.height
    assert out[s.SESSION_ID].null_count() == 0
    assert sorted(out["event_id"].to_list()) == sorted(events["event_id"].to_list())
    stats = out.group_by(s.SESSION_ID).agg(
        pl.col(s.USER_ID).n_unique().alias("people"),
        pl.col(s.TIMESTAMP).diff().max().alias("widest"),
    )
    assert (stats["people"] == 1).all()
    assert stats["widest"].drop_nulls().le(timedelta(minutes=gap)).all()
    # consecutive sessions of one person are more than the gap apart
    bounds = out.group_by(s.USER_ID, s.SESSION_ID).agg(pl.col(s.TIMESTAMP).min().alias("lo"),
                                                      pl.col(s.TIMESTAMP).max().alias("hi")).sort(s.USER_ID, "lo")
    pauses = bounds.select((pl.col("lo") - pl.col("hi").shift()).over(s.USER_ID).alias("pause"))["pause"]
    assert pauses.drop_nulls().gt(timedelta(minutes=gap)).all()


@settings(max_examples=60, deadline=None)
@given(events=_events(), gap=st.integers(1, 90))
def test_derived_session_ids_number_each_persons_sessions_from_one(events: pl.DataFrame, gap: int) -> None:
    out = sessionize(events, gap=timedelta(minutes=gap))
    starts = session_starts(person=pl.col(s.USER_ID), timestamp=pl.col(s.TIMESTAMP), gap=timedelta(minutes=gap))
    nth = starts.cast(pl.Int64).cum_sum().over(s.USER_ID)  # a window per person: the reference, not the fast path
    expected = out.select(pl.format("{}-{}", pl.col(s.USER_ID), nth)).to_series()
    assert out[s.SESSION_ID].to_list() == expected.to_list()


@settings(max_examples=80, deadline=None)
@given(events=_events(), gap=st.integers(1, 90), data=st.data())
def test_session_starts_marks_exactly_where_sessionize_changes_session(
    events: pl.DataFrame, gap: int, data: st.DataObject
) -> None:
    # some rows carry an export's session id, others not: the rule attribution and personas share must agree
    given_ids = data.draw(st.lists(st.sampled_from([None, "s1", "s2"]), min_size=events.height,
                                   max_size=events.height))
    raw = events.with_columns(pl.Series(s.SESSION_ID, given_ids, dtype=pl.String),
                              pl.Series("given", given_ids, dtype=pl.String))
    out = sessionize(raw, gap=timedelta(minutes=gap))
    changes = out.select(
        (~pl.col(s.USER_ID).eq_missing(pl.col(s.USER_ID).shift()))
        | pl.col(s.SESSION_ID).ne_missing(pl.col(s.SESSION_ID).shift())
    ).to_series()
    starts = out.select(session_starts(person=pl.col(s.USER_ID), timestamp=pl.col(s.TIMESTAMP),
                                       gap=timedelta(minutes=gap), session_id=pl.col("given"))).to_series()
    assert starts.to_list() == changes.to_list()


# --- offline events (channel Offline, from people files) take no part in sessions --------------------------------

def test_offline_events_never_start_extend_split_or_bridge_a_session() -> None:
    t = [datetime(2026, 1, d, 10, m, tzinfo=UTC) for d, m in ((1, 0), (1, 15), (1, 20), (1, 40), (4, 0), (2, 0))]
    ev = pl.DataFrame({
        "user_id": ["a", "a", "a", "a", "a", "b"], "timestamp": t,
        "event": ["page_view", "purchase", "page_view", "purchase", "purchase", "purchase"],
        "channel": [None, "Offline", None, "Offline", "Offline", "Offline"],
    })
    # 10:15 lies inside a's visit (10:00-10:20): it stays in it; 10:40 is 20 minutes after the visit but does not
    # extend it; b has no visit at all
    assert sessionize(ev)["session_id"].to_list() == ["a-1", "a-1", "a-1", "a-offline-2", "a-offline-3",
                                                      "b-offline-1"]


def test_an_offline_event_between_two_visits_does_not_bridge_them() -> None:
    t = [datetime(2026, 1, 1, 10, m, tzinfo=UTC) for m in (0, 25, 50)]
    ev = pl.DataFrame({"user_id": ["a"] * 3, "timestamp": t, "event": ["page_view", "purchase", "page_view"],
                       "channel": [None, "Offline", None]})
    assert sessionize(ev)["session_id"].to_list() == ["a-1", "a-offline-1", "a-2"]
