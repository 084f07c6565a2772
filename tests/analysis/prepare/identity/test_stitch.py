"""Identity stitching: anonymous events go to the person who identified on the device."""

from __future__ import annotations

import polars as pl
from polars.testing import assert_frame_equal

from analysis import schema as s
from analysis.prepare.identity import stitch_identities, stitch_stats
from analysis.sample import Sample
from tests.analysis._events import frame


def test_anonymous_events_before_login_go_to_the_user() -> None:
    events = frame(
        user_id=[None, None, "u1", "u1"], anonymous_id=["a1", "a1", "a1", "a1"],
        timestamp=[0, 1, 2, 3], event=["page_view", "page_view", "login", "purchase"],
    )
    assert stitch_identities(events)[s.USER_ID].to_list() == ["u1"] * 4


def test_never_identified_device_keeps_its_anonymous_id_as_person() -> None:
    events = frame(user_id=[None], anonymous_id=["a9"], timestamp=[0], event=["page_view"])
    assert stitch_identities(events)[s.USER_ID].to_list() == ["a9"]


def test_shared_device_goes_to_the_user_active_at_the_time() -> None:
    # a1 browses anonymously, u1 logs in, logs out (anonymous again), then u2 logs in
    events = frame(
        user_id=[None, "u1", None, "u2", None], anonymous_id=["a1"] * 5,
        timestamp=[4, 1, 2, 3, 0], event=["page_view", "login", "page_view", "login", "page_view"],
    )
    # input order is kept: t=4 -> u2 (latest login), t=2 -> u1, t=0 -> u1 (first user id before first login)
    assert stitch_identities(events)[s.USER_ID].to_list() == ["u2", "u1", "u1", "u2", "u1"]


def test_stitching_keeps_rows_columns_and_input_order() -> None:
    events = frame(
        user_id=["u2", None, "u1"], anonymous_id=["a2", "a1", "a1"], timestamp=[5, 0, 1],
        event=["x", "y", "z"], device=["d", "e", "f"],
    )
    expected = events.with_columns(pl.Series(s.USER_ID, ["u2", "u1", "u1"]))
    assert_frame_equal(stitch_identities(events), expected)


def test_stitching_does_not_mutate_input() -> None:
    events = frame(user_id=[None, "u1"], anonymous_id=["a1", "a1"], timestamp=[0, 1], event=["x", "login"])
    stitch_identities(events)
    assert events[s.USER_ID].to_list() == [None, "u1"]


def test_without_anonymous_id_user_ids_are_unchanged() -> None:
    events = frame(user_id=["u1", "u2"], timestamp=[0, 1], event=["x", "y"])
    assert_frame_equal(stitch_identities(events), events)


def test_stats_count_stitched_events_and_conflicts() -> None:
    events = frame(
        user_id=[None, "u1", None, "u2", None, "u3"],
        anonymous_id=["a1", "a1", "a1", "a1", "a2", "a3"],
        timestamp=[0, 1, 2, 3, 4, 5], event=["x"] * 6,
    )
    stats = stitch_stats(events)
    assert (stats.events, stats.anonymous_events, stats.stitched_events) == (6, 3, 2)
    assert (stats.devices, stats.identified_devices) == (2, 1)
    assert (stats.conflict_devices, stats.conflict_events) == (1, 4)
    assert stats.stitch_rate == 2 / 3
    assert stats.device_rate == 1 / 2


def test_planted_anonymous_then_login_users_are_stitched(small_sample: Sample) -> None:
    logged_in = small_sample.events.filter(pl.col(s.EVENT) == "login").select(s.ANONYMOUS_ID).unique()
    truth = small_sample.truth.users.filter(pl.col("identity") == "anonymous_first").join(logged_in, on=s.ANONYMOUS_ID)
    stitched = stitch_identities(small_sample.events).join(
        truth.select(s.ANONYMOUS_ID, pl.col(s.USER_ID).alias("expected")), on=s.ANONYMOUS_ID
    )
    assert truth.height > 100
    assert stitched[s.ANONYMOUS_ID].n_unique() == truth.height
    assert (stitched[s.USER_ID] == stitched["expected"]).all()


def test_sample_people_after_stitching_match_planted_users(small_sample: Sample) -> None:
    stitched = stitch_identities(small_sample.events)
    assert stitched[s.USER_ID].n_unique() == small_sample.truth.users.height
