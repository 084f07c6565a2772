"""Persona profiles: exact drivers and conversion on tiny data, generated names, typical paths."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from scipy import stats

from analysis.personas.naming import generated_names
from analysis.personas.profiles import describe_personas, top_drivers
from tests.analysis._events import frame


def events() -> pl.DataFrame:
    """Four users; a and b search then buy (a: 10, b: 30), c and d scroll and never buy."""
    return frame(
        user_id=["a", "a", "a", "b", "b", "c", "c", "d"],
        timestamp=[0, 1, 2, 0, 1, 0, 1, 0],
        event=["search", "search", "purchase", "search", "purchase", "scroll", "share", "scroll"],
        revenue=[None, None, 10.0, None, 30.0, None, None, None],
        session_id=["a1", "a1", "a1", "b1", "b1", "c1", "c1", "d1"],
    )


def features() -> pl.DataFrame:
    return pl.DataFrame({"user_id": ["a", "b", "c", "d"], "sessions": [3.0, 1.0, 0.0, 2.0]})


def test_drivers_give_means_index_and_cohens_d_versus_the_rest() -> None:
    drivers = describe_personas(features(), np.array([0, 0, 1, 1]), events(), k=2).drivers
    # persona 0: mean 2, rest 1; pooled sd = sqrt((2 + 2) / (4 - 2)) = sqrt(2)
    # Welch: each side's variance 2 over 2 people, se = sqrt(2), df = 2; Bonferroni over 1 feature x 2 personas
    half = stats.t.ppf(1 - 0.05 / 4, 2) * 2 ** 0.5
    expected = pl.DataFrame({
        "persona_id": [0, 1], "kind": ["activity"] * 2, "item": ["sessions"] * 2, "feature": ["sessions"] * 2,
        "mean": [2.0, 1.0], "mean_rest": [1.0, 2.0], "index": [2.0, 0.5], "effect": [2 ** -0.5, -(2 ** -0.5)],
        "difference_low": [1 - half, -1 - half], "difference_high": [1 + half, -1 + half],
        "clear": [False, False], "material": [True, True],
    })
    assert_frame_equal(drivers, expected)


def test_event_counts_are_compared_as_each_users_share_of_events() -> None:
    counts = pl.DataFrame({"user_id": ["a", "b", "c", "d"], "event:search": [2.0, 1.0, 0.0, 0.0],
                           "event:scroll": [0.0, 0.0, 1.0, 1.0], "event:share": [0.0, 0.0, 1.0, 0.0]})
    drivers = describe_personas(counts, np.array([0, 0, 1, 1]), events(), k=2).drivers
    scroll = drivers.filter(pl.col("feature") == "event:scroll").sort("persona_id")
    assert scroll["mean"].to_list() == [0.0, 0.75]  # c: 1 of 2 events, d: 1 of 1


def test_summary_has_size_conversion_and_revenue_per_persona() -> None:
    summary = describe_personas(features(), np.array([0, 0, 1, 1]), events(), k=2).summary
    assert summary.select("persona_id", "users", "share", "conversion_rate", "revenue_per_user").to_dicts() == [
        {"persona_id": 0, "users": 2, "share": 0.5, "conversion_rate": 1.0, "revenue_per_user": 20.0},
        {"persona_id": 1, "users": 2, "share": 0.5, "conversion_rate": 0.0, "revenue_per_user": 0.0},
    ]


def test_typical_path_is_the_most_common_opening_with_repeats_collapsed() -> None:
    summary = describe_personas(features(), np.array([0, 0, 1, 1]), events(), k=2, path_length=2).summary
    assert summary.select("typical_path", "typical_path_share").to_dicts() == [
        {"typical_path": "search > purchase", "typical_path_share": 1.0},
        {"typical_path": "scroll", "typical_path_share": 0.5},  # tie between "scroll" and "scroll > share"
    ]


def test_generated_name_reads_like_a_marketer_wrote_it() -> None:
    summary = pl.DataFrame({"persona_id": [0], "conversion_index": [2.04], "conversion_clear": [True],
                            "conversion_material": [True], "conversion_rate": [0.2], "conversion_rate_rest": [0.098]})
    drivers = pl.DataFrame({
        "persona_id": [0, 0, 0], "kind": ["event", "channel", "event"],
        "item": ["view_promotion", "Paid Search", "scroll"], "feature": ["a", "b", "c"],
        "mean": [0.3, 0.5, 0.0], "mean_rest": [0.1, 0.2, 0.2], "index": [3.0, 2.5, 0.0], "effect": [1.5, 1.0, -1.0],
        "clear": [True] * 3, "material": [True] * 3,
    })
    expected = "Deal hunters: look at promotions 3x as often, arrive via Paid Search 2.5x as often, convert 2x as often"
    assert generated_names(summary, drivers) == [expected]


@pytest.mark.parametrize(("clear", "material"), [(False, True), (True, False)])
def test_a_difference_that_is_not_both_clear_and_material_is_not_named(clear: bool, material: bool) -> None:
    summary = pl.DataFrame({"persona_id": [0], "conversion_index": [1.7], "conversion_clear": [clear],
                            "conversion_material": [material], "conversion_rate": [0.25],
                            "conversion_rate_rest": [0.147]})
    drivers = pl.DataFrame({"persona_id": [0], "kind": ["event"], "item": ["impression"], "index": [1.04],
                            "effect": [0.06], "clear": [clear], "material": [material], "mean": [0.52],
                            "mean_rest": [0.5]})
    assert generated_names(summary, drivers) == ["Group 1"]


def test_generated_names_use_distinct_archetypes() -> None:
    summary = pl.DataFrame({"persona_id": [0, 1], "conversion_index": [None, None],
                            "conversion_clear": [False] * 2, "conversion_material": [False] * 2},
                           schema_overrides={"conversion_index": pl.Float64})
    drivers = pl.DataFrame({
        "persona_id": [0, 0, 1, 1], "kind": ["event"] * 4, "item": ["search", "unboxing_video", "search", "share"],
        "feature": ["a", "b", "c", "d"], "mean": [0.5] * 4, "mean_rest": [0.1] * 4, "index": [5.0, 20.0, 5.0, 2.0],
        "effect": [2.0, 1.0, 1.5, 1.2], "clear": [True] * 4, "material": [True] * 4,
    })
    # persona 1's strongest difference is also "search", whose archetype is taken: its next one names it
    assert generated_names(summary, drivers) == ["Searchers: search 5x as often", "Sharers: share 2x as often"]


def test_top_drivers_splits_over_and_under_indexed_by_effect_size() -> None:
    drivers = describe_personas(features(), np.array([0, 0, 1, 1]), events(), k=2).drivers
    top = top_drivers(drivers, n=1)
    assert top.select("persona_id", "direction").rows() == [(0, "over"), (1, "under")]
