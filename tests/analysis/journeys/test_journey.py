"""Journeys: one row per person per conversion (or open journey at the data's end)."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.journeys import journeys
from analysis.prepare import prepare
from analysis.sample import Sample
from tests.analysis._events import frame, ts


def _prepared() -> pl.DataFrame:
    # u1: session s1 (email) view, purchase 30; s2 (direct) view, purchase 20; s3 page_view (open journey)
    # u2: one session, no conversion
    return frame(
        user_id=["u1", "u1", "u1", "u1", "u1", "u2"],
        timestamp=[0, 5, 100, 101, 300, 2],
        event=["view_item", "purchase", "view_item", "purchase", "page_view", "page_view"],
        channel=["Email", "Email", "Direct", "Direct", "Paid Search", "Display"],
        session_id=["s1", "s1", "s2", "s2", "s3", "x1"],
        revenue=[None, 30.0, None, 20.0, None, None],
        device=["mobile", "mobile", "mobile", "mobile", "mobile", "desktop"],
    )


def test_journeys_end_at_each_conversion_and_at_data_end() -> None:
    expected = pl.DataFrame(
        {
            "user_id": ["u1", "u1", "u1", "u2"],
            "journey": [1, 2, 3, 1],
            "touchpoints": [["view_item", "purchase"], ["view_item", "purchase"], ["page_view"], ["page_view"]],
            "channels": [["Email"], ["Direct"], ["Paid Search"], ["Display"]],
            "start": [ts(0), ts(100), ts(300), ts(2)],
            "end": [ts(5), ts(101), ts(300), ts(2)],
            "converted": [True, True, False, False],
            "value": [30.0, 20.0, 0.0, 0.0],
            "n_events": [2, 2, 1, 1],
            "n_sessions": [1, 1, 1, 1],
            "device": ["mobile", "mobile", "mobile", "desktop"],
        },
        schema_overrides={"start": s.TIMESTAMP_DTYPE, "end": s.TIMESTAMP_DTYPE},
    )
    assert_frame_equal(journeys(_prepared(), attributes=["device"]), expected)


def test_channels_hold_one_entry_per_session() -> None:
    events = frame(
        user_id=["u1"] * 4, timestamp=[0, 1, 100, 200], event=["a", "b", "c", "purchase"],
        channel=["Email", "Email", "Email", "Direct"], session_id=["s1", "s1", "s2", "s3"],
    )
    row = journeys(events).row(0, named=True)
    assert (row["channels"], row["n_sessions"], row["n_events"]) == (["Email", "Email", "Direct"], 3, 4)


def test_lookback_drops_events_older_than_the_window_before_the_journey_end() -> None:
    events = frame(
        user_id=["u1"] * 3, timestamp=[0, 60 * 24 * 10, 60 * 24 * 12], event=["a", "b", "purchase"],
        channel=["Email", "Direct", "Direct"], session_id=["s1", "s2", "s3"],
    )
    out = journeys(events, lookback=timedelta(days=7))
    assert out["touchpoints"].to_list() == [["b", "purchase"]]
    assert out["channels"].to_list() == [["Direct", "Direct"]]


def test_several_conversion_events() -> None:
    events = frame(
        user_id=["u1"] * 3, timestamp=[0, 1, 2], event=["a", "sign_up", "b"],
        channel=["Email"] * 3, session_id=["s1"] * 3,
    )
    out = journeys(events, conversion_events=("purchase", "sign_up"))
    assert out["converted"].to_list() == [True, False]


def test_conversion_events_as_a_string_is_an_error() -> None:
    with pytest.raises(AnalysisError, match="list of event names"):
        journeys(_prepared(), conversion_events="purchase")


def test_unprepared_events_are_an_error() -> None:
    with pytest.raises(AnalysisError, match="session_id"):
        journeys(_prepared().drop(s.SESSION_ID))


def test_sample_journeys_match_planted_conversions(small_sample: Sample) -> None:
    out = journeys(prepare(small_sample.events))
    truth = small_sample.truth.users
    assert out["converted"].sum() == truth["converted"].sum()
    assert out["value"].sum() == pytest.approx(truth["revenue"].sum())
    assert out["n_events"].sum() == small_sample.events.height
    assert out.filter(pl.col("converted"))["touchpoints"].list.last().eq("purchase").all()
