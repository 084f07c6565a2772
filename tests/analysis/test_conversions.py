"""Suggested conversion events and main funnel: exact on hand-made journeys, invariants by hypothesis."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.conversions import likely_conversion_events, normalise_name, suggest_conversions, suggest_funnel
from analysis.errors import AnalysisError
from analysis.sample import FUNNEL_STEPS
from tests.analysis._events import frame


def _journeys(*people: list[str]) -> pl.DataFrame:
    """One person per argument: their events one minute apart."""
    users = [f"u{i}" for i, events in enumerate(people) for _ in events]
    events = [e for journey in people for e in journey]
    minutes = [float(m) for journey in people for m in range(len(journey))]
    return frame(user_id=users, event=events, timestamp=minutes)


def test_a_known_name_wins_and_the_earlier_known_name_first() -> None:
    ev = _journeys(["page_view", "Order Completed", "purchase"], ["page_view", "signup"])
    got = suggest_conversions(ev)
    assert got.events == ("purchase",)
    assert got.known_name
    assert "purchase" in got.reason


def test_names_are_compared_normalised() -> None:
    assert normalise_name("  Order-Completed ") == "order_completed"
    assert suggest_conversions(_journeys(["view", "KAUF"], ["view"])).events == ("KAUF",)


def test_without_a_known_name_the_rarest_late_event_is_proposed() -> None:
    # 'done' comes last for 2 people, 'help' comes last for 3 people (more common), 'view' always first
    ev = _journeys(["view", "browse", "done"], ["view", "browse", "done"], ["view", "help"], ["view", "browse"],
                   ["view", "help"], ["view", "help"])
    got = suggest_conversions(ev)
    assert got.events == ("done",)
    assert not got.known_name
    assert "2 people (33.3%)" in got.reason


def test_an_event_done_by_one_person_only_is_not_proposed() -> None:
    ev = _journeys(["view", "rare"], ["view", "end"], ["view", "end"])
    assert suggest_conversions(ev).events == ("end",)


def test_likely_conversions_rank_known_names_then_late_events_rarest_first() -> None:
    ev = _journeys(["view", "order_placed", "done"], ["view", "done"], ["view", "Purchase"], ["view", "done"],
                   ["view", "signup"])
    # known names in the word list's order (purchase before signup), then late events ('done': 3 people, late)
    assert likely_conversion_events(ev, n=5) == ["Purchase", "signup", "done"]
    assert likely_conversion_events(ev, n=1) == ["Purchase"]


def test_likely_conversions_without_a_known_or_late_event_name_the_latest() -> None:
    ev = _journeys(["view", "order_placed"])  # one person: nothing comes late for two people
    assert likely_conversion_events(ev) == ["order_placed"]
    assert suggest_conversions(ev).events == ("order_placed",)


def test_likely_conversions_read_a_parquet_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "events.parquet"
    _journeys(["view", "Kauf"], ["view", "view"]).write_parquet(path)
    assert likely_conversion_events(path) == ["Kauf"]
    assert likely_conversion_events(str(path)) == ["Kauf"]


def test_no_events_gives_an_empty_proposal() -> None:
    assert suggest_conversions(_journeys()).events == ()


def test_missing_columns_are_named() -> None:
    with pytest.raises(AnalysisError, match="user_id or anonymous_id"):
        suggest_conversions(pl.DataFrame({"event": ["a"], "timestamp": [None]}))


def test_funnel_keeps_the_steps_most_converters_did_closest_to_the_conversion_in_order() -> None:
    ev = _journeys(
        ["home", "search", "item", "cart", "buy"],
        ["home", "item", "cart", "buy"],
        ["home", "item", "blog", "buy"],
        ["home", "item"],  # never converts: not counted
    )
    got = suggest_funnel(ev, conversion_events=["buy"], max_steps=3)
    # converters: 3. before buy: home 3, item 3, cart 2, search 1, blog 1 -> coverage >= 0.5: home, item, cart
    # distinct events still to go (median): cart 0, item 1, home 2 -> closest two: cart, item, in order item, cart
    assert got.steps == ("item", "cart", "buy")
    assert "3 people who converted" in got.reason
    assert "“cart” (67%)" in got.reason


def test_funnel_ends_with_the_most_common_conversion_event() -> None:
    ev = _journeys(["a", "buy"], ["a", "signup"], ["a", "signup"])
    assert suggest_funnel(ev, conversion_events=["buy", "signup"]).steps == ("a", "signup")


def test_funnel_without_converters_says_so() -> None:
    got = suggest_funnel(_journeys(["a", "b"]), conversion_events=["buy"])
    assert got.steps == ()
    assert "Nobody did 'buy'" in got.reason


def test_funnel_when_nothing_comes_before_the_conversion_uses_the_most_common_event() -> None:
    ev = _journeys(["buy", "a"], ["buy", "a"], ["b"])
    assert suggest_funnel(ev, conversion_events=["buy"]).steps == ("a", "buy")


def test_funnel_needs_two_steps_and_a_conversion() -> None:
    with pytest.raises(AnalysisError, match="at least 2 steps"):
        suggest_funnel(_journeys(["a"]), conversion_events=["a"], max_steps=1)
    with pytest.raises(AnalysisError, match="at least one conversion"):
        suggest_funnel(_journeys(["a"]), conversion_events=[])


def test_the_sample_recovers_its_planted_conversion_and_funnel(small_sample) -> None:  # type: ignore[no-untyped-def]
    conversion = suggest_conversions(small_sample.events)
    assert conversion.events == ("purchase",)
    assert suggest_funnel(small_sample.events, conversion_events=conversion.events).steps == FUNNEL_STEPS


_names = st.sampled_from(["a", "b", "c", "d", "buy"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(_names, min_size=1, max_size=6), min_size=1, max_size=8),
       st.integers(min_value=2, max_value=5))
def test_suggestions_are_events_of_the_data_and_the_funnel_ends_with_a_conversion(
        people: list[list[str]], max_steps: int) -> None:
    ev = _journeys(*people)
    names = set(ev["event"])
    conversion = suggest_conversions(ev)
    assert set(conversion.events) <= names and len(conversion.events) == 1
    assert likely_conversion_events(ev)[:1] == list(conversion.events)  # one rule: the suggestion is the likeliest
    funnel = suggest_funnel(ev, conversion_events=conversion.events, max_steps=max_steps)
    assert funnel.steps[-1] in conversion.events
    assert len(funnel.steps) <= max_steps
    assert len(set(funnel.steps)) == len(funnel.steps)
    assert set(funnel.steps) <= names
