"""Personas as a breakdown: the user -> persona column, persona x channel and persona x funnel step."""

from __future__ import annotations

import re

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.errors import AnalysisError, EmptyResultError
from analysis.personas import Personas, persona_channels, persona_column, persona_steps, with_personas
from analysis.personas.tables import channel_mix_table, claim_evidence, profile_table, step_reach_table
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


# --- the display tables (plain column names, percentages, personas in their order) --------------------------------

def _persona_order(model: Personas) -> list[str]:
    return [model.names_[pid] for pid in sorted(model.names_)]


def test_channel_mix_table_is_the_share_of_people_per_channel_wide_in_persona_order(model: Personas) -> None:
    # S = {a, b}: both via Email, a also via Direct; C = {c, d}: Direct only (Email absent: 0, not null)
    rows = {"S": {"Email": 100.0, "Direct": 50.0}, "C": {"Email": 0.0, "Direct": 100.0}}
    order = _persona_order(model)
    table = channel_mix_table(events(), model)
    assert table["persona"].to_list() == order
    assert_frame_equal(table.select("persona", "Direct", "Email"),
                       pl.DataFrame({"persona": order, "Direct": [rows[p]["Direct"] for p in order],
                                     "Email": [rows[p]["Email"] for p in order]}))


def test_step_reach_table_is_the_share_of_people_per_step_in_step_order(model: Personas) -> None:
    order = _persona_order(model)
    reach = {"S": [100.0, 100.0], "C": [0.0, 0.0]}
    expected = pl.DataFrame({"persona": order, "search": [reach[p][0] for p in order],
                             "view_item": [reach[p][1] for p in order]})
    assert_frame_equal(step_reach_table(events(), model, ["search", "view_item"]), expected)


def test_step_reach_table_names_a_step_nobody_did(model: Personas) -> None:
    with pytest.raises(EmptyResultError, match="'purchase'"):
        step_reach_table(events(), model, ["search", "purchase"])


def test_profile_table_reads_in_plain_words(model: Personas) -> None:
    table = profile_table(model, symbol="€")
    assert table.columns == ["Persona", "What sets them apart", "People", "Share of people", "Conversion rate",
                             "Rest of the people", "Revenue per person", "Typical first visit",
                             "Re-found in resamples", "Status"]
    by_name = {row["Persona"]: row for row in table.iter_rows(named=True)}
    assert by_name["S"]["People"] == 2 and by_name["S"]["Share of people"] == "50.0%"
    # money with its symbol, two decimals and thousands separators (a round 2.1 is "2.10", not "2.1")
    assert all(re.fullmatch(r"€\d{1,3}(,\d{3})*\.\d\d", row["Revenue per person"]) for row in by_name.values())
    # no stability runs: said so, not a number
    assert {row["Re-found in resamples"] for row in by_name.values()} == {"not checked"}
    assert {row["Status"] for row in by_name.values()} == {"not checked"}
    assert all("None" not in str(value) for row in by_name.values() for value in row.values())


def test_claim_evidence_keeps_two_decimals_below_one_percent(model: Personas) -> None:
    claims = model.claims_
    tiny = claims.head(1).with_columns(text=pl.lit("scroll"), kind=pl.lit("event"), persona_value=pl.lit(0.0004),
                                       rest_value=pl.lit(0.25))
    fake = Personas.__new__(Personas)
    fake.claims_ = tiny
    assert claim_evidence(fake)["evidence"].to_list() == ["scroll (0.04% of events vs 25.0%)"]
