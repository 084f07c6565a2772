"""The one journey definition: journeys() and conversion paths cut the same events into the same journeys.

Hand-computed edges where the events rule (journeys) and the touches rule (conversion paths: sessions) meet, and a
property over random histories: every touch of every path lies in the journey of its path, and the counts agree.
"""

from __future__ import annotations

from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.attribution import journey_paths
from analysis.journeys import journey_touches, journeys
from tests.analysis._events import frame

DAY_MINUTES = 1440.0
PATHS = {"user_id": pl.String, "path": pl.List(pl.String), "days_before_end": pl.List(pl.Float64),
         "converted": pl.Boolean, "value": pl.Float64}


def _events(rows: list[tuple[str, float, str, str, str, float | None]]) -> pl.DataFrame:
    user, minute, event, channel, session, revenue = (list(c) for c in zip(*rows, strict=True))
    return frame(user_id=user, timestamp=minute, event=event, channel=channel, session_id=session, revenue=revenue)


def _journeys(events: pl.DataFrame) -> list[tuple[Any, ...]]:
    cols = ["user_id", "journey", "touchpoints", "channels", "converted", "value", "n_sessions"]
    return journeys(events).select(cols).rows()


def _paths(rows: dict[str, list[Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=PATHS)


def test_a_conversion_mid_session_keeps_its_session_and_the_rest_opens_the_next_journey() -> None:
    ev = _events([
        ("u", 0, "view", "Email", "s1", None),
        ("u", 5, "purchase", "Email", "s1", 10.0),
        ("u", 10, "view", "Email", "s1", None),  # after the conversion, same session: journey 2's first event
        ("u", 100, "view", "Direct", "s2", None),
        ("u", 105, "purchase", "Direct", "s2", 20.0),
        ("u", 106, "view", "Direct", "s2", None),  # an open journey that starts no session: no null path
    ])
    assert _journeys(ev) == [
        ("u", 1, ["view", "purchase"], ["Email"], True, 10.0, 1),
        ("u", 2, ["view", "view", "purchase"], ["Email", "Direct"], True, 20.0, 2),
        ("u", 3, ["view"], ["Direct"], False, 0.0, 1),
    ]
    # s1 started in journey 1, so it is a touch of the first conversion only
    expected = _paths({"user_id": ["u", "u"], "path": [["Email"], ["Direct"]],
                       "days_before_end": [[5 / DAY_MINUTES], [5 / DAY_MINUTES]], "converted": [True, True],
                       "value": [10.0, 20.0]})
    assert_frame_equal(journey_paths(ev, lookback=None), expected)


def test_two_conversions_in_one_session_each_get_that_session() -> None:
    ev = _events([
        ("u", 0, "view", "Email", "s1", None),
        ("u", 1, "purchase", "Email", "s1", 5.0),
        ("u", 2, "purchase", "Email", "s1", 7.0),
        ("u", 3, "view", "Email", "s1", None),
        ("u", 200, "view", "Social", "s2", None),
    ])
    assert _journeys(ev) == [
        ("u", 1, ["view", "purchase"], ["Email"], True, 5.0, 1),
        ("u", 2, ["purchase"], ["Email"], True, 7.0, 1),
        ("u", 3, ["view", "view"], ["Email", "Social"], False, 0.0, 2),
    ]
    expected = _paths({"user_id": ["u"] * 3, "path": [["Email"], ["Email"], ["Social"]],
                       "days_before_end": [[1 / DAY_MINUTES], [2 / DAY_MINUTES], [0.0]],
                       "converted": [True, True, False], "value": [5.0, 7.0, 0.0]})
    assert_frame_equal(journey_paths(ev, lookback=None), expected)


def test_a_conversion_as_the_very_first_event_is_a_journey_of_its_own() -> None:
    ev = _events([
        ("u", 0, "purchase", "Paid Search", "s1", 3.0),
        ("u", 1, "view", "Paid Search", "s1", None),
        ("u", 100, "view", "Email", "s2", None),
        ("u", 101, "purchase", "Email", "s2", 4.0),
    ])
    assert _journeys(ev) == [
        ("u", 1, ["purchase"], ["Paid Search"], True, 3.0, 1),
        ("u", 2, ["view", "view", "purchase"], ["Paid Search", "Email"], True, 4.0, 2),
    ]
    expected = _paths({"user_id": ["u", "u"], "path": [["Paid Search"], ["Email"]],
                       "days_before_end": [[0.0], [1 / DAY_MINUTES]], "converted": [True, True],
                       "value": [3.0, 4.0]})
    assert_frame_equal(journey_paths(ev, lookback=None), expected)


def test_a_person_who_never_converts_has_one_open_journey_and_one_null_path() -> None:
    ev = _events([
        ("a", 0, "purchase", "Direct", "a1", 1.0),  # someone converts, or journeys() refuses the data
        ("n", 0, "view", "Display", "n1", None),
        ("n", 10, "view", "Display", "n1", None),
        ("n", 100, "view", "Email", "n2", None),
    ])
    assert _journeys(ev)[1:] == [("n", 1, ["view", "view", "view"], ["Display", "Email"], False, 0.0, 2)]
    expected = _paths({"user_id": ["a", "n"], "path": [["Direct"], ["Display", "Email"]],
                       "days_before_end": [[0.0], [100 / DAY_MINUTES, 0.0]], "converted": [True, False],
                       "value": [1.0, 0.0]})
    assert_frame_equal(journey_paths(ev, lookback=None), expected)


def test_journey_touches_numbers_the_touches_each_journey_holds() -> None:
    ev = pl.DataFrame({
        "p": ["a", "a", "a", "a", "a", "b", "b"],
        "conv": [False, True, True, False, True, False, False],
        "touch": [True, False, False, True, False, True, True],
    })
    # a: touches 0 (rows 0-2) and 1 (rows 3-4); journeys rows 0-1, 2, 3-4; b: touches 2, 3, one open journey
    assert journey_touches(ev, person="p", conversion="conv", touch_start="touch").rows() == [
        (True, True, 0, 0, True), (False, True, 0, 0, True), (False, True, 1, 1, True), (True, False, 2, 3, False),
    ]


def test_journey_touches_gives_a_conversion_outside_any_touch_no_touch_of_its_own() -> None:
    # a: a touch (row 0), then a conversion outside any touch (an offline order): the journey holds touch 0 only
    # because it started in it; b: first row an offline order, no touch at all; c: converts in its own touch
    ev = pl.DataFrame({
        "p": ["a", "a", "a", "b", "c"],
        "conv": [False, True, True, True, True],
        "touch": [True, False, False, False, True],
        "out": [False, True, True, True, False],
    })
    assert journey_touches(ev, person="p", conversion="conv", touch_start="touch", outside="out").rows() == [
        (True, True, 0, 0, False), (False, True, 1, 0, False), (True, True, 1, 0, False), (True, True, 1, 1, True),
    ]


# --- property: every touch of every path lies in the journey of its path, and the counts agree -----------------

#: minutes since the person's previous event, starts a new session, is a conversion
_EVENT = st.tuples(st.integers(0, 90), st.booleans(), st.booleans())


@st.composite
def _histories(draw: st.DrawFn) -> pl.DataFrame:
    rows: list[tuple[str, float, str, str, str, float | None]] = []
    for user in ("u1", "u2", "u3")[: draw(st.integers(1, 3))]:
        minute, session = 0, 0
        for i, (gap, new_session, conversion) in enumerate(draw(st.lists(_EVENT, min_size=1, max_size=12))):
            minute += gap
            session += int(new_session and i > 0)
            label = f"{user}-s{session}"  # the channel names the session, so a path names its sessions
            rows.append((user, minute, "purchase" if conversion else "view", label, label, 1.0 if conversion else None))
    return _events(rows)


@settings(max_examples=150, deadline=None)
@given(_histories())
def test_every_touch_of_every_path_lies_in_the_journey_of_its_path(ev: pl.DataFrame) -> None:
    js = journeys(ev, check_events=False).rows(named=True)
    paths = journey_paths(ev, lookback=None).rows(named=True)
    # a session lies in the journey that holds its first event: the first journey listing it
    started_in: dict[str, tuple[str, int]] = {}
    for j in js:
        for session in j["channels"]:
            started_in.setdefault(session, (j["user_id"], j["journey"]))
    touches = {(j["user_id"], j["journey"]):
               [c for c in j["channels"] if started_in[c] == (j["user_id"], j["journey"])]
               for j in js}
    converted = [j for j in js if j["converted"]]
    open_with_touches = [j for j in js if not j["converted"] and touches[(j["user_id"], j["journey"])]]
    assert [p["user_id"] for p in paths if p["converted"]] == [j["user_id"] for j in converted]
    assert [p["user_id"] for p in paths if not p["converted"]] == [j["user_id"] for j in open_with_touches]
    for p, j in zip([p for p in paths if p["converted"]] + [p for p in paths if not p["converted"]],
                    converted + open_with_touches, strict=True):
        own = touches[(j["user_id"], j["journey"])]
        # the touches that started in the journey, and a conversion's own session when it started earlier
        conversion_session = [j["channels"][-1]] if j["converted"] and j["channels"][-1] not in own else []
        assert p["path"] == own + conversion_session
        assert all(session in j["channels"] for session in p["path"])
    # every session is a touch of some path; only a conversion's own session, started earlier, shows twice
    shown = [session for p in paths for session in p["path"]]
    assert set(shown) == set(ev["session_id"])
    again = sum(1 for j in converted if j["channels"][-1] not in touches[(j["user_id"], j["journey"])])
    assert len(shown) == ev["session_id"].n_unique() + again
