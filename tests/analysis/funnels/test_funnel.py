"""funnel(): hand-computed cases per mode and option, invariants, and the sample's planted worst step."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.errors import AnalysisError
from analysis.funnels import (
    Exclusion,
    Step,
    _match,
    data_end,
    funnel,
    funnel_spec,
    funnel_table,
    funnel_trend,
    funnel_units,
    time_to_convert,
)
from analysis.sample import FUNNEL_STEPS, WORST_STEP

T0 = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def events(rows: list[tuple[str, float, str]], **extra: list[str | None]) -> pl.DataFrame:
    """(user, minutes after T0, event) rows as canonical events; keyword lists become extra columns."""
    return pl.DataFrame(
        {"user_id": [r[0] for r in rows],
         "timestamp": [T0 + timedelta(minutes=r[1]) for r in rows],
         "event": [r[2] for r in rows], **extra},
        schema_overrides={"timestamp": pl.Datetime("us", "UTC")},
    )


def entered(ev: pl.DataFrame, steps: list[str | list[str] | Step], **kw: object) -> list[int]:
    return funnel(ev, steps, check_events=False, **kw)["entered"].to_list()  # type: ignore[arg-type]


MIXPANEL = events([("u", 0, "A"), ("u", 30, "A"), ("u", 45, "B"), ("u", 75, "C")])


def test_mixpanel_example_converts_with_furthest_anchor() -> None:
    # PostHog/Amplitude rule: the attempt entered at 13:30 reaches C at 14:15, inside its hour
    assert entered(MIXPANEL, ["A", "B", "C"], window=HOUR) == [1, 1, 1]


def test_mixpanel_example_stops_at_b_with_first_anchor() -> None:
    # Mixpanel's documented answer: the window runs from the first A (13:00), so C at 14:15 is too late
    assert entered(MIXPANEL, ["A", "B", "C"], window=HOUR, anchor="first") == [1, 1, 0]


def test_exact_table_for_two_users() -> None:
    ev = events([("u1", 0, "A"), ("u1", 10, "B"), ("u1", 30, "C"), ("u2", 0, "A"), ("u2", 20, "B")])
    expected = pl.DataFrame({
        "step": [1, 2, 3], "name": ["A", "B", "C"], "entered": [2, 2, 1],
        "conversion_from_start": [1.0, 1.0, 0.5], "conversion_from_previous": [None, 1.0, 0.5],
        "dropped": [None, 0, 1], "drop_off_rate": [None, 0.0, 0.5],
        "median_seconds": [None, 900.0, 1200.0], "mean_seconds": [None, 900.0, 1200.0],
        "median_seconds_from_start": [0.0, 900.0, 1800.0], "mean_seconds_from_start": [0.0, 900.0, 1800.0],
    })
    assert_frame_equal(funnel(ev, ["A", "B", "C"]), expected)


def test_ordered_allows_other_events_between_steps() -> None:
    ev = events([("u", 0, "A"), ("u", 1, "X"), ("u", 2, "B"), ("u", 3, "Y"), ("u", 4, "C")])
    assert entered(ev, ["A", "B", "C"]) == [1, 1, 1]


def test_ordered_ignores_a_step_before_the_previous_one() -> None:
    ev = events([("u", 0, "B"), ("u", 1, "A"), ("u", 2, "C")])
    assert entered(ev, ["A", "B", "C"]) == [1, 0, 0]


def test_strict_needs_each_step_directly_followed() -> None:
    ev = events([("u1", 0, "A"), ("u1", 1, "X"), ("u1", 2, "B"),
                 ("u2", 0, "A"), ("u2", 1, "B"), ("u2", 2, "C")])
    assert entered(ev, ["A", "B", "C"], mode="strict") == [2, 1, 1]


def test_unordered_counts_steps_in_any_order_within_the_window() -> None:
    ev = events([("u1", 0, "C"), ("u1", 5, "A"), ("u1", 10, "B"),
                 ("u2", 0, "B"), ("u2", 5, "A"), ("u2", 90, "C")])
    # u2's C is 90 minutes after its first funnel event: outside the hour
    assert entered(ev, ["A", "B", "C"], mode="unordered", window=HOUR) == [2, 2, 1]


def test_window_runs_from_step_one_and_is_inclusive() -> None:
    ev = events([("u1", 0, "A"), ("u1", 30, "B"), ("u1", 60, "C"),
                 ("u2", 0, "A"), ("u2", 30, "B"), ("u2", 61, "C")])
    assert entered(ev, ["A", "B", "C"], window=HOUR) == [2, 2, 1]


def test_step_limit_from_the_previous_step() -> None:
    ev = events([("u1", 0, "A"), ("u1", 5, "B"), ("u2", 0, "A"), ("u2", 15, "B")])
    steps: list[str | list[str] | Step] = ["A", Step(("B",), within=timedelta(minutes=10))]
    assert entered(ev, steps) == [2, 1]


def test_a_step_may_be_any_of_several_events() -> None:
    ev = events([("u1", 0, "A"), ("u1", 1, "B1"), ("u1", 2, "C"),
                 ("u2", 0, "A"), ("u2", 1, "B2"), ("u2", 2, "C")])
    table = funnel(ev, ["A", ["B1", "B2"], "C"])
    assert table["entered"].to_list() == [2, 2, 2]
    assert table["name"][1] == "B1 or B2"


def test_optional_step_counts_only_between_its_neighbours() -> None:
    ev = events([("u1", 0, "A"), ("u1", 1, "O"), ("u1", 2, "C"),
                 ("u2", 0, "A"), ("u2", 2, "C"),
                 ("u3", 0, "A"), ("u3", 2, "C"), ("u3", 3, "O")])
    table = funnel(ev, ["A", Step(("O",), optional=True), "C"])
    assert table["entered"].to_list() == [3, 1, 3]
    # step C compares with A (the previous mandatory step), not with the optional step
    assert table["conversion_from_previous"].to_list() == [None, 1 / 3, 1.0]


def test_exclusion_between_steps_disqualifies_the_attempt() -> None:
    ev = events([("u1", 0, "A"), ("u1", 1, "X"), ("u1", 2, "B"), ("u1", 3, "C"),
                 ("u2", 0, "A"), ("u2", 1, "B"), ("u2", 2, "X"), ("u2", 3, "C"),
                 ("u3", 0, "A"), ("u3", 1, "B"), ("u3", 2, "C")])
    excl = [Exclusion(("X",), after=1, before=2)]
    assert entered(ev, ["A", "B", "C"], exclusions=excl) == [2, 2, 2]


def test_exclusion_in_window_counts_when_the_later_step_never_happens() -> None:
    ev = events([("u1", 0, "A"), ("u1", 1, "X"), ("u2", 0, "A"), ("u2", 90, "X")])
    excl = [Exclusion(("X",), after=1)]
    assert entered(ev, ["A", "B"], exclusions=excl, window=HOUR) == [1, 0]


def test_closed_funnel_needs_step_one_open_does_not() -> None:
    ev = events([("u1", 0, "A"), ("u1", 1, "B"), ("u1", 2, "C"), ("u2", 0, "B"), ("u2", 1, "C")])
    assert entered(ev, ["A", "B", "C"]) == [1, 1, 1]
    assert entered(ev, ["A", "B", "C"], entry="open") == [1, 2, 2]


def test_open_funnel_keeps_the_time_of_the_step_a_unit_entered_at() -> None:
    ev = events([("u1", 0, "A"), ("u1", 1, "B"), ("u1", 2, "C"), ("u2", 5, "B"), ("u2", 7, "C")])
    units = funnel_units(ev, funnel_spec(["A", "B", "C"], entry="open"))
    minutes = [[None if t is None else (t - T0) / timedelta(minutes=1) for t in row]
               for row in units.select("step_1_at", "step_2_at", "step_3_at").rows()]
    assert units["user_id"].to_list() == ["u1", "u2"]
    assert minutes == [[0, 1, 2], [None, 5, 7]]


def test_open_funnel_enters_an_event_of_two_steps_at_the_earlier_one_whatever_the_row_order() -> None:
    ev = events([("u1", 0, "C"), ("u2", 0, "A")])
    spec = funnel_spec(["A", "B", "A", "C"], entry="open")
    for rows in (ev, ev.reverse()):
        units = funnel_units(rows, spec, check_events=False)
        assert units.select("user_id", "furthest_step").sort("user_id").rows() == [("u1", 4), ("u2", 1)]


def test_date_range_governs_entry_only() -> None:
    day = 24 * 60
    ev = events([("early", -day, "A"), ("early", -day + 1, "B"),
                 ("late", 0, "A"), ("late", 2 * day, "B")])  # B two days after the range ends
    kw = {"entry_start": date(2026, 3, 2), "entry_end": date(2026, 3, 2)}
    assert entered(ev, ["A", "B"], **kw) == [1, 1]


def test_counting_sessions_counts_each_session_once() -> None:
    ev = events([("u", 0, "A"), ("u", 1, "B"), ("u", 120, "A"), ("u", 121, "B"), ("u", 122, "C")],
                session_id=["s1", "s1", "s2", "s2", "s2"])
    assert entered(ev, ["A", "B", "C"], counting="sessions") == [2, 2, 1]


def test_counting_sessions_needs_the_steps_in_one_session() -> None:
    ev = events([("u", 0, "A"), ("u", 120, "B")], session_id=["s1", "s2"])
    assert entered(ev, ["A", "B"], counting="sessions") == [1, 0]


def test_counting_totals_reenters_after_an_attempt_ends() -> None:
    # attempt 1: A(0) B(1) C(2) converts; the A at 10 opens attempt 2, whose A at 20 is inside it (no re-entry)
    # attempt 2 times out at 70; the A at 200 opens attempt 3
    ev = events([("u", 0, "A"), ("u", 1, "B"), ("u", 2, "C"), ("u", 10, "A"), ("u", 20, "A"), ("u", 30, "B"),
                 ("u", 200, "A")])
    units = funnel_units(ev, funnel_spec(["A", "B", "C"], counting="totals", window=HOUR))
    assert units["attempt"].to_list() == [1, 2, 3]
    assert units["furthest_step"].to_list() == [3, 2, 1]


def test_same_timestamp_steps_count_in_step_order() -> None:
    ev = events([("u", 0, "B"), ("u", 0, "A")])
    assert entered(ev, ["A", "B"]) == [1, 1]


def test_furthest_attempt_is_entered_at_the_most_recent_step_one() -> None:
    ev = events([("u", 0, "A"), ("u", 10, "A"), ("u", 20, "B")])
    table = funnel(ev, ["A", "B"])
    assert table["median_seconds"].to_list() == [None, 600.0]


def test_anonymous_events_count_under_their_anonymous_id() -> None:
    ev = events([("u1", 0, "A"), ("u1", 1, "B"), ("u2", 0, "A")]).with_columns(
        pl.Series("user_id", [None, None, "u2"], dtype=pl.String),
        pl.Series("anonymous_id", ["a1", "a1", "a2"]))
    assert entered(ev, ["A", "B"]) == [2, 1]


def test_breakdown_by_step_one_value() -> None:
    ev = events([("u1", 0, "A"), ("u1", 1, "B"), ("u2", 0, "A"), ("u2", 1, "B"), ("u3", 0, "A")],
                channel=["Email", "Direct", "Direct", "Direct", "Email"])
    table = funnel(ev, ["A", "B"], breakdown="channel")
    expected = pl.DataFrame({"breakdown": ["Email", "Email", "Direct", "Direct"], "step": [1, 2, 1, 2],
                             "entered": [2, 1, 1, 1]})
    assert_frame_equal(table.select("breakdown", "step", "entered"), expected)


def test_breakdown_first_and_last_touch() -> None:
    ev = events([("u1", -10, "P"), ("u1", 0, "A"), ("u1", 5, "Q"), ("u1", 10, "B"), ("u1", 20, "Z")],
                channel=["Email", None, "Direct", None, "Display"])
    first = funnel(ev, ["A", "B"], breakdown="channel", attribution="first_touch")
    last = funnel(ev, ["A", "B"], breakdown="channel", attribution="last_touch")
    step1 = funnel(ev, ["A", "B"], breakdown="channel")
    assert first["breakdown"].unique().to_list() == ["Email"]
    assert last["breakdown"].unique().to_list() == ["Direct"]  # Display came after the last step reached
    assert step1["breakdown"].unique().to_list() == ["(none)"]


def test_breakdown_keeps_top_values_and_folds_the_rest_into_other() -> None:
    ev = events([("u1", 0, "A"), ("u2", 0, "A"), ("u3", 0, "A"), ("u4", 0, "A")],
                channel=["Email", "Email", "Direct", "Display"])
    table = funnel(ev, ["A"], breakdown="channel", top_n=1)
    assert dict(zip(table["breakdown"], table["entered"], strict=True)) == {"Email": 2, "Other": 2}


def test_trend_by_entry_day() -> None:
    day = 24 * 60
    ev = events([("u1", 0, "A"), ("u1", 1, "B"), ("u2", day, "A")])
    spec = funnel_spec(["A", "B"])
    trend = funnel_trend(funnel_units(ev, spec), spec, every="day")
    expected = pl.DataFrame({"period": [date(2026, 3, 2)] * 2 + [date(2026, 3, 3)] * 2, "step": [1, 2, 1, 2],
                             "name": ["A", "B", "A", "B"], "entered": [1, 1, 1, 0],
                             "conversion_from_start": [1.0, 1.0, 1.0, 0.0], "complete": [False] * 4})
    assert_frame_equal(trend, expected)  # without the data's end, the latest time seen: no 7-day window is over


def test_trend_marks_periods_without_their_full_window_incomplete() -> None:
    day = 24 * 60
    ev = events([("u1", 0, "A"), ("u1", 1, "B"), ("u2", day, "A"), ("u3", 2 * day, "A"), ("u3", 2 * day + 5, "B")])
    spec = funnel_spec(["A", "B"], window=timedelta(days=1))
    # data ends 03-04 00:05: the 03-02 entrants had their window to 03-04 00:00 at the latest, later ones did not
    trend = funnel_trend(funnel_units(ev, spec), spec, as_of=data_end(ev)).filter(pl.col("step") == 2)
    assert trend.select("period", "complete").rows() == [
        (date(2026, 3, 2), True), (date(2026, 3, 3), False), (date(2026, 3, 4), False)]
    weekly = funnel_trend(funnel_units(ev, spec), spec, every="week", as_of=datetime(2026, 3, 10, tzinfo=UTC))
    assert weekly["complete"].to_list() == [True, True]  # week of 03-02 ends 03-09, + 1 day <= 03-10


def test_time_to_convert_histogram() -> None:
    ev = events([("u1", 0, "A"), ("u1", 1, "B"), ("u2", 0, "A"), ("u2", 4, "B"), ("u3", 0, "A")])
    spec = funnel_spec(["A", "B"])
    hist = time_to_convert(funnel_units(ev, spec), spec, bins=2)
    expected = pl.DataFrame({"bin_start_seconds": [0.0, 120.0], "bin_end_seconds": [120.0, 240.0],
                             "units": [1, 1], "share": [0.5, 0.5]})
    assert_frame_equal(hist, expected)


def test_units_frame_is_the_cohort() -> None:
    ev = events([("u1", 0, "A"), ("u1", 1, "B"), ("u2", 0, "A")])
    spec = funnel_spec(["A", "B"])
    units = funnel_units(ev, spec)
    assert units.filter(pl.col("furthest_step") == 1)["user_id"].to_list() == ["u2"]
    assert funnel_table(units, spec)["entered"].to_list() == [2, 1]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"mode": "sideways"}, "mode='sideways' is not valid"),
    ({"counting": "totals", "entry": "open"}, "counting='totals'"),
    ({"window": timedelta(0)}, "window must be positive"),
    ({"breakdown": "nope"}, "cannot break down by 'nope'"),
    ({"counting": "sessions"}, "needs a session_id column"),
])
def test_invalid_options_name_the_problem(kwargs: dict[str, object], message: str) -> None:
    ev = events([("u", 0, "A")])
    with pytest.raises(AnalysisError, match=message):
        funnel(ev, ["A", "B"], **kwargs)  # type: ignore[arg-type]


def test_first_step_cannot_be_optional() -> None:
    with pytest.raises(AnalysisError, match="cannot be optional"):
        funnel_spec([Step(("A",), optional=True), "B"])


def test_input_is_not_mutated() -> None:
    ev = events([("u", 0, "A"), ("u", 1, "B")])
    before = ev.clone()
    funnel(ev, ["A", "B"], breakdown="event", attribution="last_touch")
    assert_frame_equal(ev, before)


_rows = st.lists(st.tuples(st.sampled_from(["u1", "u2", "u3"]), st.integers(0, 600),
                           st.sampled_from(["A", "B", "C", "X"])), min_size=1, max_size=40)


@settings(max_examples=60, deadline=None)
@given(rows=_rows, mode=st.sampled_from(["ordered", "strict", "unordered"]),
       anchor=st.sampled_from(["furthest", "first"]))
def test_closed_counts_never_rise_from_step_to_step(rows: list[tuple[str, int, str]], mode: str,
                                                   anchor: str) -> None:
    counts = entered(events(rows), ["A", "B", "C"], mode=mode, anchor=anchor, window=HOUR)
    assert all(a >= b for a, b in pairwise(counts))


@settings(max_examples=60, deadline=None)
@given(rows=_rows, attribution=st.sampled_from(["step1", "first_touch", "last_touch"]))
def test_breakdown_counts_sum_to_the_total(rows: list[tuple[str, int, str]], attribution: str) -> None:
    ev = events(rows).with_columns(channel=pl.col("event").replace({"X": None, "A": "Email"}))
    total = funnel(ev, ["A", "B", "C"], check_events=False)
    split = funnel(ev, ["A", "B", "C"], breakdown="channel", attribution=attribution, top_n=1,
                   check_events=False)
    summed = dict(split.group_by("step").agg(pl.col("entered").sum()).iter_rows())
    assert [summed.get(k, 0) for k in (1, 2, 3)] == total["entered"].to_list()


def test_planted_worst_step_has_the_lowest_conversion(small_sample) -> None:  # type: ignore[no-untyped-def]
    table = funnel(small_sample.events, list(FUNNEL_STEPS), window=timedelta(days=60))
    worst = table.filter(pl.col("step") > 1).sort("conversion_from_previous").row(0, named=True)
    assert (FUNNEL_STEPS[worst["step"] - 2], worst["name"]) == WORST_STEP


def _reference_reach(rows: list[tuple[str, int, str]], steps: list[str], window: int, *, first: bool) -> list[int]:
    """Brute force (test only): per user, greedy chains from each step-1 event; the furthest one counts."""
    counts = [0] * len(steps)
    for user in {r[0] for r in rows}:
        order = {"A": 0, "B": 1, "C": 2, "X": 3}
        seq = sorted((r for r in rows if r[0] == user), key=lambda r: (r[1], order[r[2]]))
        starts = [i for i, r in enumerate(seq) if r[2] == steps[0]][: 1 if first else None]
        best = 0
        for i in starts:
            reach, j = 1, i
            for step in steps[1:]:
                j = next((m for m in range(j + 1, len(seq)) if seq[m][2] == step), -1)
                if j < 0 or seq[j][1] - seq[i][1] > window:
                    break
                reach += 1
            best = max(best, reach)
        for k in range(best):
            counts[k] += 1
    return counts


@settings(max_examples=80, deadline=None)
@given(rows=_rows, first=st.booleans())
def test_ordered_matches_a_brute_force_reference(rows: list[tuple[str, int, str]], first: bool) -> None:
    got = entered(events(rows), ["A", "B", "C"], window=HOUR, anchor="first" if first else "furthest")
    assert got == _reference_reach(rows, ["A", "B", "C"], 60, first=first)


def _user_sequences(rows: list[tuple[str, int, str]]) -> dict[str, list[tuple[str, int, str]]]:
    order = {"A": 0, "B": 1, "C": 2, "X": 3}
    return {u: sorted((r for r in rows if r[0] == u), key=lambda r: (r[1], order[r[2]]))
            for u in {r[0] for r in rows}}


def _reference_strict(rows: list[tuple[str, int, str]], window: int) -> list[int]:
    counts = [0, 0, 0]
    for seq in _user_sequences(rows).values():
        best = 0
        for i in (i for i, r in enumerate(seq) if r[2] == "A"):
            reach = 1
            for k, step in enumerate(["B", "C"], start=1):
                j = i + k
                if j >= len(seq) or seq[j][2] != step or seq[j][1] - seq[i][1] > window:
                    break
                reach += 1
            best = max(best, reach)
        for k in range(best):
            counts[k] += 1
    return counts


def _reference_unordered(rows: list[tuple[str, int, str]], window: int) -> list[int]:
    counts = [0, 0, 0]
    for seq in _user_sequences(rows).values():
        best = 0
        for i in (i for i, r in enumerate(seq) if r[2] in "ABC"):
            seen = {r[2] for r in seq[i:] if r[1] - seq[i][1] <= window}
            best = max(best, next((k for k in range(3) if "ABC"[k] not in seen), 3))
        for k in range(best):
            counts[k] += 1
    return counts


@settings(max_examples=80, deadline=None)
@given(rows=_rows)
def test_strict_matches_a_brute_force_reference(rows: list[tuple[str, int, str]]) -> None:
    assert entered(events(rows), ["A", "B", "C"], window=HOUR, mode="strict") == _reference_strict(rows, 60)


@settings(max_examples=80, deadline=None)
@given(rows=_rows)
def test_unordered_matches_a_brute_force_reference(rows: list[tuple[str, int, str]]) -> None:
    assert entered(events(rows), ["A", "B", "C"], window=HOUR, mode="unordered") == _reference_unordered(rows, 60)


@settings(max_examples=80, deadline=None)
@given(rows=_rows, limit=st.integers(1, 90))
def test_pruning_dominated_entries_changes_nothing(rows: list[tuple[str, int, str]], limit: int) -> None:
    spec = funnel_spec(["A", Step(("B",), within=timedelta(minutes=limit)), "C"], window=HOUR)
    pruned = funnel_units(events(rows), spec, check_events=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_match, "_can_prune", lambda _spec: False)
        full = funnel_units(events(rows), spec, check_events=False)
    assert_frame_equal(pruned, full)


def test_definition_names_every_rule() -> None:
    spec = funnel_spec(["A", Step(("B",), optional=True, within=timedelta(hours=2)), "C"], window=timedelta(days=3),
                       exclusions=[Exclusion(("X",), after=1, before=3)], entry_start=date(2026, 3, 1),
                       entry_end=date(2026, 3, 31), breakdown="channel")
    text = spec.describe()
    assert set(text) >= {"mode", "entry", "window", "anchor", "counting", "exclusions", "date range",
                         "conversion", "optional steps", "breakdown"}
    assert text["window"] == "3 days from the step-1 event of the attempt; step 2 within 2 hours of the previous step"
    assert text["exclusions"] == "X between step 1 and step 3 disqualifies the attempt"
    assert text["date range"].startswith("step 1 (entry) from 2026-03-01 00:00 UTC to before 2026-04-01 00:00 UTC")


@settings(max_examples=60, deadline=None)
@given(rows=_rows)
def test_open_funnel_counts_at_least_the_closed_one(rows: list[tuple[str, int, str]]) -> None:
    closed = entered(events(rows), ["A", "B", "C"], window=HOUR)
    opened = entered(events(rows), ["A", "B", "C"], window=HOUR, entry="open")
    assert opened[0] == closed[0]
    assert all(o >= c for o, c in zip(opened, closed, strict=True))


@settings(max_examples=60, deadline=None)
@given(rows=_rows, mode=st.sampled_from(["ordered", "strict"]))
def test_first_totals_attempt_is_the_first_entry(rows: list[tuple[str, int, str]], mode: str) -> None:
    ev = events(rows)
    totals = funnel_units(ev, funnel_spec(["A", "B", "C"], window=HOUR, mode=mode, counting="totals"),  # type: ignore[arg-type]
                          check_events=False)
    first = funnel_units(ev, funnel_spec(["A", "B", "C"], window=HOUR, mode=mode, anchor="first"),  # type: ignore[arg-type]
                         check_events=False)
    assert_frame_equal(totals.filter(pl.col("attempt") == 1).drop("attempt"), first)


@settings(max_examples=60, deadline=None)
@given(rows=_rows, counting=st.sampled_from(["users", "sessions"]), mode=st.sampled_from(["ordered", "strict"]))
def test_presorted_input_gives_the_same_units(rows: list[tuple[str, int, str]], counting: str, mode: str) -> None:
    ev = events(rows).with_columns(session_id=pl.col("user_id") + (pl.col("timestamp").dt.hour() % 2).cast(pl.String))
    spec = funnel_spec(["A", "B", "C"], window=HOUR, counting=counting, mode=mode)  # type: ignore[arg-type]
    presorted = ev.sort("user_id", "timestamp", maintain_order=True)
    assert_frame_equal(funnel_units(ev, spec, check_events=False), funnel_units(presorted, spec, check_events=False))


def test_strict_optional_step_may_sit_between_or_be_absent() -> None:
    ev = events([("u1", 0, "A"), ("u1", 1, "O"), ("u1", 2, "B"),
                 ("u2", 0, "A"), ("u2", 1, "B"),
                 ("u3", 0, "A"), ("u3", 1, "X"), ("u3", 2, "B")])
    assert entered(ev, ["A", Step(("O",), optional=True), "B"], mode="strict") == [3, 1, 2]


def test_totals_reenter_after_an_excluded_attempt() -> None:
    ev = events([("u", 0, "A"), ("u", 1, "X"), ("u", 2, "B"), ("u", 3, "A"), ("u", 4, "B")])
    spec = funnel_spec(["A", "B"], counting="totals", window=HOUR, exclusions=[Exclusion(("X",))])
    units = funnel_units(ev, spec)
    assert units.select("attempt", "furthest_step").rows() == [(2, 2)]  # attempt 1 was excluded


def test_breakdown_without_top_n_keeps_every_value() -> None:
    ev = events([("u1", 0, "A"), ("u2", 0, "A"), ("u3", 0, "A")], channel=["Email", "Direct", None])
    table = funnel(ev, ["A"], breakdown="channel", top_n=None)
    assert sorted(table["breakdown"]) == ["(none)", "Direct", "Email"]
