"""conversion_paths / journey_paths: touches are sessions, conversions close journeys, lookback trims them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.attribution import aggregate_paths, conversion_paths, journey_paths
from analysis.errors import AnalysisError, NoConversionsError
from tests.analysis.attribution.attribution_reference import build_paths

PATH_SCHEMA = {"path": pl.List(pl.String), "conversions": pl.Int64, "nulls": pl.Int64, "value": pl.Float64}


def t(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, 1, day, hour, minute, tzinfo=UTC)


def events(rows: list[tuple[str, datetime, str, str, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "user_id": pl.String,
            "timestamp": pl.Datetime("us", "UTC"),
            "event": pl.String,
            "channel": pl.String,
            "revenue": pl.Float64,
        },
        orient="row",
    )


def test_a_converting_path_holds_the_sessions_up_to_the_conversion() -> None:
    ev = events(
        [
            ("u", t(1), "page_view", "Email", None),
            ("u", t(1, 0, 10), "page_view", "Email", None),  # same session: one touch
            ("u", t(2), "page_view", "Direct", None),
            ("u", t(2, 0, 5), "purchase", "Direct", 10.0),
        ]
    )
    expected = pl.DataFrame(
        {"path": [["Email", "Direct"]], "conversions": [1], "nulls": [0], "value": [10.0]}, schema=PATH_SCHEMA
    )
    assert_frame_equal(conversion_paths(ev), expected)


def test_a_touch_takes_the_channel_of_its_sessions_first_event() -> None:
    ev = events([("u", t(1), "page_view", "Email", None), ("u", t(1, 0, 1), "purchase", "Direct", 5.0)])
    assert conversion_paths(ev)["path"].to_list() == [["Email"]]


def test_a_new_path_starts_after_each_conversion_and_the_tail_is_a_null_path() -> None:
    ev = events(
        [
            ("u", t(1), "page_view", "Email", None),
            ("u", t(1, 0, 1), "purchase", "Email", 1.0),
            ("u", t(3), "page_view", "Display", None),
            ("u", t(3, 0, 1), "purchase", "Display", 2.0),
            ("u", t(5), "page_view", "Direct", None),
        ]
    )
    expected = pl.DataFrame(
        {
            "path": [["Direct"], ["Display"], ["Email"]],
            "conversions": [0, 1, 1],
            "nulls": [1, 0, 0],
            "value": [0.0, 2.0, 1.0],
        },
        schema=PATH_SCHEMA,
    )
    assert_frame_equal(conversion_paths(ev), expected)


def test_a_second_conversion_in_the_same_session_gets_that_session_as_its_path() -> None:
    ev = events(
        [
            ("u", t(1), "page_view", "Email", None),
            ("u", t(2), "purchase", "Direct", 1.0),
            ("u", t(2, 0, 3), "purchase", "Direct", 2.0),
        ]
    )
    j = journey_paths(ev)
    assert j["path"].to_list() == [["Email", "Direct"], ["Direct"]]
    assert j["value"].to_list() == [1.0, 2.0]


def test_lookback_drops_touches_older_than_the_window() -> None:
    ev = events(
        [
            ("u", t(1), "page_view", "Email", None),
            ("u", t(20), "page_view", "Display", None),
            ("u", t(25), "purchase", "Direct", 3.0),
        ]
    )
    assert conversion_paths(ev, lookback=timedelta(days=7))["path"].to_list() == [["Display", "Direct"]]
    assert conversion_paths(ev, lookback=None)["path"].to_list() == [["Email", "Display", "Direct"]]


def test_users_without_conversion_give_null_paths() -> None:
    ev = events([("a", t(1), "page_view", "Email", None), ("b", t(1), "page_view", "Email", None),
                 ("c", t(1), "purchase", "Direct", 1.0)])
    expected = pl.DataFrame({"path": [["Direct"], ["Email"]], "conversions": [1, 0], "nulls": [0, 2],
                             "value": [1.0, 0.0]}, schema=PATH_SCHEMA)
    assert_frame_equal(conversion_paths(ev), expected)


def test_data_without_the_conversion_event_is_refused_naming_the_events_found() -> None:
    ev = events([("a", t(1), "page_view", "Email", None), ("a", t(2), "order_complete", "Email", None)])
    with pytest.raises(NoConversionsError, match=r"'purchase' does not occur.*Events found \(2\): order_complete "
                                                 r"\(1\), page_view \(1\)\. Likely conversion events: order_complete"):
        conversion_paths(ev)


def test_collapse_repeats_merges_consecutive_equal_touches() -> None:
    ev = events(
        [
            ("u", t(1), "page_view", "Email", None),
            ("u", t(2), "page_view", "Email", None),
            ("u", t(3), "page_view", "Direct", None),
            ("u", t(4), "purchase", "Email", 1.0),
        ]
    )
    assert conversion_paths(ev, collapse_repeats=True)["path"].to_list() == [["Email", "Direct", "Email"]]
    assert conversion_paths(ev)["path"].to_list() == [["Email", "Email", "Direct", "Email"]]


def test_session_id_when_present_defines_the_touches() -> None:
    ev = events(
        [
            ("u", t(1), "page_view", "Email", None),
            ("u", t(1, 0, 5), "page_view", "Direct", None),
            ("u", t(1, 0, 6), "purchase", "Direct", 1.0),
        ]
    ).with_columns(session_id=pl.Series(["s1", "s2", "s2"]))
    assert conversion_paths(ev)["path"].to_list() == [["Email", "Direct"]]


def test_conversion_events_are_configurable() -> None:
    ev = events([("u", t(1), "page_view", "Email", None), ("u", t(2), "signup", "Direct", None)])
    assert conversion_paths(ev, conversion_events=["signup"])["conversions"].to_list() == [1]
    with pytest.raises(NoConversionsError, match="Likely conversion events: signup"):
        conversion_paths(ev)


def test_touch_source_medium_labels_touches_by_source_and_medium() -> None:
    ev = events([("u", t(1), "purchase", "Email", 1.0)]).with_columns(
        source=pl.lit("newsletter"), medium=pl.lit(None, pl.String)
    )
    assert conversion_paths(ev, touch="source_medium")["path"].to_list() == [["newsletter / (none)"]]


def test_with_times_keeps_days_before_the_conversion() -> None:
    ev = events([("u", t(1), "page_view", "Email", None), ("u", t(3), "purchase", "Direct", 1.0)])
    assert conversion_paths(ev, with_times=True)["days_before_end"].to_list() == [[2.0, 0.0]]


def test_unsorted_input_gives_the_same_paths() -> None:
    ev = events(
        [
            ("u", t(1), "page_view", "Email", None),
            ("v", t(1), "page_view", "Display", None),
            ("u", t(2), "purchase", "Direct", 4.0),
        ]
    )
    assert_frame_equal(conversion_paths(ev.reverse()), conversion_paths(ev))


def test_input_is_not_mutated() -> None:
    ev = events([("u", t(1), "purchase", "Email", 1.0)])
    before = ev.clone()
    conversion_paths(ev)
    assert_frame_equal(ev, before)


def test_unknown_touch_is_an_error_naming_the_valid_ones() -> None:
    ev = events([("u", t(1), "purchase", "Email", 1.0)])
    with pytest.raises(AnalysisError, match="valid: channel, source"):
        conversion_paths(ev, touch="landing_page")  # type: ignore[arg-type]


def test_missing_channel_column_is_an_error() -> None:
    ev = events([("u", t(1), "purchase", "Email", 1.0)]).drop("channel")
    with pytest.raises(AnalysisError, match="needs the column"):
        conversion_paths(ev)


def test_aggregate_paths_needs_journey_columns() -> None:
    with pytest.raises(AnalysisError, match="journey_paths"):
        aggregate_paths(pl.DataFrame({"path": [["A"]]}))


def test_matches_the_reference_path_builder(small_sample_events: pl.DataFrame) -> None:
    mine = conversion_paths(small_sample_events, lookback=None, first_conversion_only=True)
    ref = build_paths(small_sample_events)
    assert_frame_equal(mine.with_columns(path=pl.col("path").list.join(" > ")).sort("path"), ref, check_exact=False)


def test_timestamp_ties_keep_the_input_order() -> None:
    ev = events([("u", t(1), "page_view", "Email", None), ("u", t(1), "purchase", "Direct", 1.0)])
    assert conversion_paths(ev)["path"].to_list() == [["Email"]]
    assert conversion_paths(ev.reverse())["path"].to_list() == [["Direct"]]


def test_prepared_sessions_are_the_touches_whatever_gap_made_them() -> None:
    from analysis.prepare import prepare  # noqa: PLC0415

    ev = events([("u", t(1), "page_view", "Email", None), ("u", t(1, 1), "page_view", "Direct", None),
                 ("u", t(1, 2), "purchase", "Direct", 5.0)])
    # raw events: the default 30-minute gap splits three sessions; prepared with a 2-hour gap: one session
    assert journey_paths(ev)["path"].to_list() == [["Email", "Direct", "Direct"]]
    wide = prepare(ev, session_gap=timedelta(hours=2))
    assert journey_paths(wide)["path"].to_list() == [["Email"]]
