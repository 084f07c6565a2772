"""Personas as a breakdown: the user -> persona column, persona x channel and persona x funnel step."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.errors import AnalysisError, EmptyResultError
from analysis.personas import Personas, persona_channels, persona_column, persona_steps, with_personas
from tests.analysis._events import frame


def events() -> pl.DataFrame:
    """a, b search via Email (a twice, once via Direct) and buy; c, d scroll via Direct."""
    return frame(
        user_id=["a", "a", "a", "b", "b", "c", "d", "d"],
        timestamp=[0, 1, 100, 0, 1, 0, 0, 1],
        event=["search", "view_item", "search", "search", "view_item", "scroll", "scroll", "scroll"],
        channel=["Email", "Email", "Direct", "Email", "Email", "Direct", "Direct", "Direct"],
        session_id=["a1", "a1", "a2", "b1", "b1", "c1", "d1", "d1"],
    )


@pytest.fixture(scope="module")
def model() -> Personas:
    # four people: the size floors, the shuffled-data check and the naming bar are set so that two groups stand
    fitted = Personas(k=2, groups=["events"], stability_runs=0, min_size=1, min_share=0, null_runs=0,
                      alpha=0.999).fit(events())
    assert fitted.distinct_
    searchers = int(fitted.assignments().filter(pl.col("user_id") == "a")["persona_id"][0])
    return fitted.rename({searchers: "S", 1 - searchers: "C"})


def test_persona_column_maps_every_user_to_a_name(model: Personas) -> None:
    expected = pl.DataFrame({"user_id": ["a", "b", "c", "d"], "persona": ["S", "S", "C", "C"]})
    assert_frame_equal(persona_column(model).sort("user_id"), expected)


def test_with_personas_adds_a_column_and_leaves_unknown_users_null(model: Personas) -> None:
    more = pl.concat([events(), frame(user_id=["z"], timestamp=[5], event=["x"], channel=["Email"],
                                      session_id=["z1"])])
    out = with_personas(more, model)
    assert out.columns == [*more.columns, "persona"]
    assert out["persona"].to_list() == ["S", "S", "S", "S", "S", "C", "C", "C", None]


def test_persona_channels_counts_users_sessions_and_index(model: Personas) -> None:
    expected = pl.DataFrame({
        "persona": ["C", "S", "S"], "channel": ["Direct", "Email", "Direct"],
        "users": [2, 2, 1], "sessions": [2, 2, 1],
        "share_of_persona": [1.0, 1.0, 0.5],
        "index": [1.0 / (3 / 4), 1.0 / (2 / 4), 0.5 / (3 / 4)],
    })
    assert_frame_equal(persona_channels(events(), model), expected)


def test_persona_steps_reports_reach_per_step_including_zero(model: Personas) -> None:
    expected = pl.DataFrame({
        "persona": ["C", "C", "S", "S"], "step": ["view_item", "scroll"] * 2, "step_index": [1, 2, 1, 2],
        "users": [0, 2, 2, 0], "share_of_persona": [0.0, 1.0, 1.0, 0.0],
    })
    assert_frame_equal(persona_steps(events(), model, ["view_item", "scroll"]), expected)


def test_a_step_nobody_did_is_an_error_naming_it_not_a_column_of_zeros(model: Personas) -> None:
    with pytest.raises(EmptyResultError, match=r"did the step\(s\) 'purchase'; events they did include search"):
        persona_steps(events(), model, ["view_item", "purchase"])


def test_persona_steps_needs_steps(model: Personas) -> None:
    with pytest.raises(AnalysisError, match="at least one step"):
        persona_steps(events(), model, [])
