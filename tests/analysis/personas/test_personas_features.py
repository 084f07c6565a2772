"""Per-user features: exact values on a tiny frame, sessions, vocabulary, event weighting."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.errors import AnalysisError
from analysis.personas.features import DEFAULT_GROUPS, EventWeighter, user_features
from analysis.prepare.sessions import sessionize
from tests.analysis._events import frame


def tiny() -> pl.DataFrame:
    """User a: two sessions (Email, then Direct with a purchase of 30); user b: two Direct sessions on mobile."""
    return frame(
        user_id=["a", "a", "a", "b", "b"],
        timestamp=[0, 10, 2880, 1440, 1500],
        event=["page_view", "search", "purchase", "search", "search"],
        channel=["Email", "Email", "Direct", "Direct", "Direct"],
        revenue=[None, None, 30.0, None, None],
        session_id=["a1", "a1", "a2", "b1", "b2"],
        device=["desktop", "desktop", "desktop", "mobile", "mobile"],
    )


def test_features_on_a_tiny_frame_match_hand_computed_values() -> None:
    expected = pl.DataFrame({
        "user_id": ["a", "b"],
        "events": [3.0, 2.0],
        "event:search": [1.0, 2.0],  # most frequent first, ties by name
        "event:page_view": [1.0, 0.0],
        "event:purchase": [1.0, 0.0],
        "channel:Direct": [0.5, 1.0],  # share of the user's sessions
        "channel:Email": [0.5, 0.0],
        "device:desktop": [1.0, 0.0],  # share of the user's events
        "device:mobile": [0.0, 1.0],
        "revenue": [30.0, 0.0],
        "recency_days": [0.0, 1380 / 1440],  # from the data's last event
        "sessions": [2.0, 2.0],
        "days_between_sessions": [2.0, 60 / 1440],
    })
    assert_frame_equal(user_features(tiny()), expected)


def test_sessions_are_split_by_the_default_gap_when_events_have_no_session_id() -> None:
    events = tiny().drop("session_id")
    assert user_features(events, groups=["sessions"])["sessions"].to_list() == [2.0, 2.0]


def test_sessions_are_the_session_ids_whatever_gap_made_them() -> None:
    wide = sessionize(tiny().drop("session_id"), gap=timedelta(hours=2))
    assert user_features(wide, groups=["sessions"])["sessions"].to_list() == [2.0, 1.0]


def test_vocabulary_fixes_the_columns_and_fills_unknown_ones_with_zero() -> None:
    out = user_features(tiny(), groups=["events", "pairs"],
                        vocabulary=["event:purchase", "pair:search > search", "event:unseen"])
    expected = pl.DataFrame({"user_id": ["a", "b"], "event:purchase": [1.0, 0.0],
                             "pair:search > search": [0.0, 1.0], "event:unseen": [0.0, 0.0]})
    assert_frame_equal(out, expected)


def test_extra_columns_become_value_shares_or_numeric_means() -> None:
    events = tiny().with_columns(pl.Series("country", ["DE", "DE", "AT", "DE", "DE"]),
                                 pl.Series("score", [1.0, 2.0, 3.0, 4.0, None]))
    out = user_features(events, groups=[], columns=["country", "score"])
    expected = pl.DataFrame({"user_id": ["a", "b"], "country:DE": [2 / 3, 1.0], "country:AT": [1 / 3, 0.0],
                             "score:mean": [2.0, 4.0]})
    assert_frame_equal(out, expected)


def test_anonymous_users_are_keyed_by_anonymous_id_and_input_is_not_mutated() -> None:
    events = frame(user_id=[None, "u"], anonymous_id=["x", "y"], timestamp=[0, 1], event=["a", "b"])
    before = events.clone()
    assert user_features(events, groups=["events"])["user_id"].to_list() == ["u", "x"]
    assert_frame_equal(events, before)


def test_unknown_group_and_missing_column_raise_analysis_errors() -> None:
    with pytest.raises(AnalysisError, match="unknown feature group"):
        user_features(tiny(), groups=["events", "moods"])  # type: ignore[list-item]
    with pytest.raises(AnalysisError, match="'country'"):
        user_features(tiny(), columns=["country"])


def test_event_weighter_tfidf_uses_smooth_idf_learned_in_fit() -> None:
    X = np.array([[1.0, 0.0, 5.0], [1.0, 1.0, 5.0]])
    out = EventWeighter(columns=[0, 1], mode="tfidf").fit_transform(X)
    expected = np.array([[1.0, 0.0, 5.0], [0.5, 0.5 * (np.log(3 / 2) + 1), 5.0]])
    np.testing.assert_allclose(out, expected)


def test_event_weighter_rejects_an_unknown_mode() -> None:
    with pytest.raises(AnalysisError, match="'ranks'"):
        EventWeighter(columns=[0], mode="ranks").fit(np.ones((2, 1)))  # type: ignore[arg-type]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from(["E", "D", "S"]), st.integers(0, 5000)),
                min_size=1, max_size=40))
def test_channel_shares_sum_to_one_and_events_count_rows(rows: list[tuple[str, str, int]]) -> None:
    events = frame(user_id=[r[0] for r in rows], timestamp=[r[2] for r in rows], event=["e"] * len(rows),
                   channel=[r[1] for r in rows])
    out = user_features(events, groups=["channels", "rfm"])
    shares = out.select(pl.sum_horizontal(pl.col("^channel:.*$")))
    np.testing.assert_allclose(shares.to_series().to_numpy(), 1.0)
    counts = events.group_by("user_id").len().sort("user_id")
    assert out["events"].to_list() == counts["len"].cast(pl.Float64).to_list()


def test_row_order_of_the_input_does_not_matter() -> None:
    shuffled = tiny().sample(fraction=1.0, shuffle=True, seed=4)
    assert_frame_equal(user_features(shuffled, groups=[*DEFAULT_GROUPS, "pairs"]),
                       user_features(tiny(), groups=[*DEFAULT_GROUPS, "pairs"]))


def test_pairs_count_consecutive_events_within_a_user_only() -> None:
    out = user_features(tiny(), groups=["pairs"])
    expected = pl.DataFrame({"user_id": ["a", "b"], "pair:page_view > search": [1.0, 0.0],
                             "pair:search > purchase": [1.0, 0.0], "pair:search > search": [0.0, 1.0]})
    assert_frame_equal(out, expected)
