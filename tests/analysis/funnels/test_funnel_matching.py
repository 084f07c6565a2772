"""The funnel's fast paths give the answers of the general ones: packed best attempt, prepared input, tie order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.funnels import Exclusion, Step, funnel_spec, funnel_units

T0 = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)
_rows = st.lists(st.tuples(st.sampled_from(["u1", "u2", "u3"]), st.integers(0, 300),
                           st.sampled_from(["A", "B", "C", "X"])), min_size=1, max_size=40)
STEPS = {
    "plain": ["A", "B", "C"],
    "optional": ["A", Step(("X",), optional=True), "B", "C"],
    "within": ["A", Step(("B",), within=timedelta(minutes=20)), "C"],
    "repeat": ["A", "B", "A", "C"],
}


def events(rows: list[tuple[str, int, str]]) -> pl.DataFrame:
    """(user, minutes after T0, event) rows as canonical events."""
    return pl.DataFrame({"user_id": [r[0] for r in rows], "timestamp": [T0 + timedelta(minutes=r[1]) for r in rows],
                         "event": [r[2] for r in rows]}, schema_overrides={"timestamp": pl.Datetime("us", "UTC")})


@settings(max_examples=80, deadline=None)
@given(rows=_rows, steps=st.sampled_from(sorted(STEPS)), mode=st.sampled_from(["ordered", "strict", "unordered"]),
       anchor=st.sampled_from(["furthest", "first"]))
def test_packed_best_attempt_equals_the_sorted_choice(rows: list[tuple[str, int, str]], steps: str, mode: str,
                                                      anchor: str) -> None:
    if mode == "unordered" and steps == "within":
        return
    spec = funnel_spec(STEPS[steps], window=HOUR, mode=mode, anchor=anchor)  # type: ignore[arg-type]
    ev = events(rows)
    packed = funnel_units(ev, spec, check_events=False)
    with pytest.MonkeyPatch.context() as mp:  # every unit "too long to pack": the sort + unique path
        mp.setattr("analysis.funnels._select.OFFSET_BITS", 0)
        assert_frame_equal(packed, funnel_units(ev, spec, check_events=False))


@settings(max_examples=120, deadline=None)
@given(rows=_rows, steps=st.sampled_from(sorted(STEPS)), counting=st.sampled_from(["users", "totals"]),
       excluded=st.booleans(), opened=st.booleans(), mode=st.sampled_from(["ordered", "strict", "unordered"]))
def test_prepared_order_gives_the_units_of_shuffled_input(  # noqa: PLR0917 (hypothesis passes them by name)
        rows: list[tuple[str, int, str]], steps: str, counting: str, excluded: bool, opened: bool, mode: str) -> None:
    excluded = excluded and steps != "optional" and mode != "unordered"
    if mode == "unordered" and (steps == "within" or counting == "totals"):
        return
    exclusions = [Exclusion(("X",), 1, 2)] if excluded else []
    entry = "open" if opened and counting == "users" else "closed"
    spec = funnel_spec(STEPS[steps], window=HOUR, counting=counting, exclusions=exclusions,  # type: ignore[arg-type]
                       entry=entry, mode=mode)  # type: ignore[arg-type]
    ev = events(rows)
    prepared = ev.sort("user_id", "timestamp", maintain_order=True)
    assert_frame_equal(funnel_units(prepared, spec, check_events=False),
                       funnel_units(ev.reverse(), spec, check_events=False))


def test_units_entering_at_one_time_are_ordered_by_person_then_session() -> None:
    ev = pl.DataFrame({"user_id": ["u2", "u1", "u1", "u1"], "session_id": ["s1", "s9", "s3", "s3"],
                       "timestamp": [T0, T0, T0, T0 + timedelta(minutes=1)], "event": ["A", "A", "A", "B"]},
                      schema_overrides={"timestamp": pl.Datetime("us", "UTC")})
    units = funnel_units(ev, funnel_spec(["A", "B"], counting="sessions"))
    assert units.select("user_id", "session_id", "furthest_step").rows() == [
        ("u1", "s3", 2), ("u1", "s9", 1), ("u2", "s1", 1)]


def test_a_step_event_at_the_last_row_of_a_person_does_not_reach_into_the_next() -> None:
    ev = events([("u1", 0, "A"), ("u2", 1, "B"), ("u2", 2, "C")])
    units = funnel_units(ev, funnel_spec(["A", "B", "C"]))
    assert units.select("user_id", "furthest_step").rows() == [("u1", 1)]
