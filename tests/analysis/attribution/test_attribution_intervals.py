"""Bootstrap intervals and the model comparison."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.attribution import attribute, attribution_intervals, bootstrap_draws, compare_models
from analysis.errors import AnalysisError

P = pl.DataFrame(
    {
        "path": [["A"], ["B"], ["A", "B"], ["C"]],
        "conversions": [30, 10, 20, 1],
        "nulls": [10, 30, 20, 50],
        "value": [300.0, 100.0, 200.0, 10.0],
    },
    schema={"path": pl.List(pl.String), "conversions": pl.Int64, "nulls": pl.Int64, "value": pl.Float64},
)


@pytest.mark.parametrize("model", ["linear", "markov", "shapley"])
def test_point_estimate_is_attribute_and_bounds_bracket_it(model: str) -> None:
    got = attribution_intervals(P, model=model, n_boot=100)  # type: ignore[arg-type]
    assert_frame_equal(got.select("channel", "conversions", "value", "share"), attribute(P, model=model))  # type: ignore[arg-type]
    assert (got["conversions_low"] <= got["conversions"] + 1e-9).all()
    assert (got["conversions"] <= got["conversions_high"] + 1e-9).all()
    assert (got["value_low"] <= got["value_high"]).all()


def test_same_seed_same_draws_other_seed_other_draws() -> None:
    a = bootstrap_draws(P, models=["markov"], n_boot=20, seed=1)
    assert_frame_equal(a, bootstrap_draws(P, models=["markov"], n_boot=20, seed=1))
    assert not a.equals(bootstrap_draws(P, models=["markov"], n_boot=20, seed=2))


def test_every_draw_keeps_the_sum_invariant() -> None:
    draws = bootstrap_draws(P, models=["linear", "markov", "shapley"], n_boot=30)
    journeys = int(P["conversions"].sum() + P["nulls"].sum())
    per = draws.group_by("model", "draw").agg(pl.col("conversions").sum())
    assert (per["conversions"] <= journeys).all() and (per["conversions"] > 0).all()
    assert per["conversions"].round(6).to_list() == per["conversions"].round(0).to_list()  # whole conversions


def test_wider_level_gives_wider_intervals() -> None:
    narrow = attribution_intervals(P, model="linear", n_boot=200, level=0.5)
    wide = attribution_intervals(P, model="linear", n_boot=200, level=0.95)
    assert (
        (wide["conversions_high"] - wide["conversions_low"]) >= (narrow["conversions_high"] - narrow["conversions_low"])
    ).all()


def test_bad_arguments_are_errors() -> None:
    with pytest.raises(AnalysisError, match="n_boot"):
        bootstrap_draws(P, n_boot=0)
    with pytest.raises(AnalysisError, match="level"):
        attribution_intervals(P, model="linear", level=1.5)


def test_compare_models_outrank_and_robust_rank() -> None:
    c = compare_models(P, models=["first_touch", "last_touch", "markov"], n_boot=100)
    assert set(c.table["model"].unique()) == {"first_touch", "last_touch", "markov"}
    assert c.robust_rank["channel"].to_list()[-1] == "C"
    pooled = c.outrank.filter(pl.col("model") == "all")
    a_over_c = pooled.filter((pl.col("channel_a") == "A") & (pl.col("channel_b") == "C"))["probability"].item()
    assert a_over_c == 1.0
    both = pooled.join(pooled, left_on=["channel_a", "channel_b"], right_on=["channel_b", "channel_a"])
    assert ((both["probability"] + both["probability_right"]) <= 1.0 + 1e-12).all()


def test_disagreement_is_min_and_max_share_across_models() -> None:
    c = compare_models(P, models=["first_touch", "last_touch"], n_boot=10)
    row = c.disagreement.filter(pl.col("channel") == "A").row(0, named=True)
    first = attribute(P, model="first_touch").filter(pl.col("channel") == "A")["share"].item()
    last = attribute(P, model="last_touch").filter(pl.col("channel") == "A")["share"].item()
    assert (row["min_share"], row["max_share"]) == (min(first, last), max(first, last))
    assert row["spread"] == pytest.approx(abs(first - last))
