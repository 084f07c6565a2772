"""attribute_by_segment: credit per segment of people, segments that add up to the whole, no silent zero."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.attribution import attribute, attribute_by_segment, conversion_paths, person_segments
from analysis.errors import AnalysisError, NoConversionsError

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def events(rows: list[tuple[str, int, str, str, str | None]]) -> pl.DataFrame:
    """(user, hour, event, channel, tier) -> prepared-looking events, one session per event."""
    return pl.DataFrame({
        "user_id": [r[0] for r in rows],
        "timestamp": [T0 + timedelta(hours=r[1]) for r in rows],
        "event": [r[2] for r in rows],
        "channel": [r[3] for r in rows],
        "tier": [r[4] for r in rows],
        "session_id": [f"{r[0]}-{r[1]}" for r in rows],
        "revenue": [10.0 if r[2] == "purchase" else None for r in rows],
    })


HAND = events([
    ("a", 0, "view", "Email", "VIP"), ("a", 1, "purchase", "Direct", "VIP"),
    ("b", 0, "view", "Paid", None), ("b", 1, "view", "Email", "VIP"), ("b", 2, "purchase", "Paid", "VIP"),
    ("c", 0, "view", "Paid", "Neu"), ("c", 1, "purchase", "Email", "Neu"),
    ("d", 0, "view", "Email", "Neu"),
    ("e", 0, "view", "Paid", None),
])


def test_hand_made_segments_get_their_own_credit_and_counts() -> None:
    result = attribute_by_segment(HAND, by="tier", models=["last_touch", "linear"])
    assert result.segments.rows() == [("Neu", 2, 2, 1, 10.0, None), ("VIP", 2, 2, 2, 20.0, None),
                                       ("(none)", 1, 1, 0, 0.0, "no conversions in this segment")]
    credit = {(seg, m, ch): c for seg, m, ch, c in
              result.table.filter(pl.col("conversions") > 0).select("segment", "model", "channel", "conversions")
              .iter_rows()}
    assert credit == {
        ("Neu", "last_touch", "Email"): 1.0, ("VIP", "last_touch", "Direct"): 1.0,
        ("VIP", "last_touch", "Paid"): 1.0,
        ("Neu", "linear", "Paid"): 0.5, ("Neu", "linear", "Email"): 0.5,
        # a: Email, Direct (1/2 each); b: Paid, Email, Paid (1/3 each, Paid twice)
        ("VIP", "linear", "Email"): pytest.approx(1 / 2 + 1 / 3), ("VIP", "linear", "Direct"): 0.5,
        ("VIP", "linear", "Paid"): pytest.approx(2 / 3),
    }
    assert "(none)" not in result.table["segment"].to_list()  # no row of zeros for a segment without conversions


def test_a_person_belongs_to_the_first_value_they_carry() -> None:
    assert person_segments(HAND, "tier").rows() == [("a", "VIP"), ("b", "VIP"), ("c", "Neu"), ("d", "Neu"),
                                                    ("e", "(none)")]


def test_rare_segments_fold_into_other_but_none_stays_apart() -> None:
    got = dict(person_segments(HAND, "tier", top_n=1).iter_rows())  # Neu and VIP tie on 2 people: Neu first
    assert got == {"a": "Other", "b": "Other", "c": "Neu", "d": "Neu", "e": "(none)"}


def test_no_conversion_anywhere_names_the_events_found() -> None:
    with pytest.raises(NoConversionsError, match=r"'signup' does not occur in the data\. Events found \(2\)"):
        attribute_by_segment(HAND, by="tier", conversion_events=["signup"])


@pytest.mark.parametrize(("by", "message"), [("nope", "cannot segment by 'nope': no such column"),
                                             ("event", "cannot segment by 'event': it is not a trait of a person")])
def test_a_column_that_is_not_a_segment_is_refused(by: str, message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        attribute_by_segment(HAND, by=by)


_row = st.tuples(st.sampled_from(["u1", "u2", "u3", "u4", "u5", "u6"]), st.integers(0, 30),
                 st.sampled_from(["view", "view", "purchase"]), st.sampled_from(["Email", "Paid", "Direct"]),
                 st.sampled_from(["VIP", "Neu", None]))


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(_row, min_size=1, max_size=30))
def test_last_touch_credit_of_the_segments_adds_up_to_the_whole(rows: list[tuple[str, int, str, str, str | None]]
                                                                 ) -> None:
    ev = events(rows).unique(["user_id", "timestamp"], keep="first")
    if not (ev["event"] == "purchase").any():
        return
    whole = attribute(conversion_paths(ev), model="last_touch").select("channel", "conversions")
    split = (attribute_by_segment(ev, by="tier", models=["last_touch"]).table
             .group_by("channel").agg(pl.col("conversions").sum()))
    joined = whole.join(split, on="channel", how="full", coalesce=True).fill_null(0.0)
    assert (joined["conversions"] - joined["conversions_right"]).abs().max() < 1e-9  # type: ignore[operator]
