"""Personas only where people differ: size floors, the bound on k, the shuffled-data reference, the three reasons."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.personas import Personas, fit_personas
from analysis.personas.reference import min_people, null_threshold, share_blocks, shuffled
from tests.analysis.personas.conftest import Planted, noise_events


def test_min_people_is_the_larger_of_the_share_and_the_floor() -> None:
    assert min_people(25) == 20 and min_people(1_000) == 50 and min_people(1_000, min_share=0.1, min_size=5) == 100


def test_shuffling_keeps_each_column_and_each_share_block_sums_to_one() -> None:
    X = np.array([[1.0, 0.0, 3.0], [0.5, 0.5, 4.0], [0.0, 1.0, 5.0], [0.25, 0.75, 6.0]])
    got = shuffled(X, np.random.default_rng(4), blocks=[[0, 1]])
    assert sorted(got[:, 2]) == [3.0, 4.0, 5.0, 6.0]
    assert np.allclose(got[:, :2].sum(axis=1), 1.0)
    assert share_blocks(["event:a", "channel:x", "channel:y", "recency_days"]) == [[1, 2]]


def test_the_threshold_is_above_every_shuffled_copy_and_the_mean_by_a_bounded_gap() -> None:
    assert null_threshold([0.10, 0.10, 0.10]) == pytest.approx(0.12)  # margin 0.02 when the copies agree
    assert null_threshold([0.05, 0.5]) == 0.5  # never below the best copy
    assert null_threshold([]) == float("-inf")


def test_25_people_are_too_few_for_personas() -> None:
    model = fit_personas(noise_events(25, seed=1), stability_runs=0)
    assert not model.distinct_
    assert model.verdict_.reason == "too_few_people"
    assert model.verdict_.message == ("25 people are too few: two personas need at least 40 (each at least 20 "
                                      "people: 5% of the people and at least 20)")
    assert model.assignments()["persona"].unique().to_list() == ["Everyone"]
    assert model.profiles_.select("name", "users").rows() == [("Everyone", 25)]


def test_k_is_bounded_by_the_people_each_persona_needs(planted: Planted) -> None:
    users = planted.events["user_id"].unique().sort().head(100)
    model = Personas(k_range=(2, 8), stability_runs=0, null_runs=0).fit(
        planted.events.filter(pl.col("user_id").is_in(users.implode())))
    assert model.silhouette_by_k_["k"].to_list() == [2, 3, 4, 5]  # 100 people // 20 each


def test_the_floors_are_settable(planted: Planted) -> None:
    model = Personas(k=4, stability_runs=0, min_share=0.3).fit(planted.events)  # 4 x 30% cannot fit
    assert model.silhouette_by_k_["k"].to_list() == [3]


def test_differences_too_small_to_name_give_no_distinct_personas() -> None:
    model = Personas(k=3, stability_runs=0, null_runs=0, effect_threshold=50.0).fit(noise_events(300, seed=2))
    assert not model.distinct_ and model.verdict_.reason == "differences_too_small"
    assert "effect size at least 50" in model.verdict_.message


def test_planted_personas_pass_every_check_with_a_margin(planted: Planted) -> None:
    model = fit_personas(planted.events, seed=0, stability_runs=0)
    v = model.verdict_
    assert model.distinct_ and v.reason is None and model.k_ == 4
    assert v.silhouette > v.threshold + 0.05


@settings(max_examples=1, deadline=None, derandomize=True)
@given(st.lists(st.integers(0, 2**31 - 1), min_size=10, max_size=10, unique=True))
def test_structureless_data_gives_no_distinct_personas_in_nearly_every_draw(seeds: list[int]) -> None:
    # independent random events and channels per person: whatever the clustering finds is not there
    distinct = [fit_personas(noise_events(240, seed=s), seed=s, stability_runs=0).distinct_ for s in seeds]
    assert sum(distinct) <= 1, f"{sum(distinct)} of {len(seeds)} structureless draws gave personas"
