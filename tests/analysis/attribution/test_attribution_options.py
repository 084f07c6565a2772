"""The attribution model options have one home: the options dataclasses and their keyword TypedDicts.

The public functions take the options as ``**options: Unpack[...Keywords]``, so their defaults are the
dataclasses'; the lower-level functions that still spell an option out must give it the same default.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import asdict, fields
from typing import Any, Unpack, get_type_hints

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.attribution import (
    MODELS,
    BootstrapKeywords,
    BootstrapOptions,
    IntervalKeywords,
    IntervalOptions,
    ModelKeywords,
    ModelOptions,
    attribute,
    attribute_by_segment,
    attribution_intervals,
    bootstrap_draws,
    compare_models,
    counterfactual,
    heuristics,
    intervals,
    markov,
    shapley,
)
from analysis.attribution.segments import SegmentKeywords
from analysis.vocabulary import HALF_LIFE

P = pl.DataFrame(
    {
        "path": [["A"], ["B"], ["A", "B"], ["C", "A"]],
        "days_before_end": [[0.0], [1.0], [3.0, 0.5], [9.0, 2.0]],
        "conversions": [30, 10, 20, 4],
        "nulls": [10, 30, 20, 50],
        "value": [300.0, 100.0, 200.0, 40.0],
    },
    schema={
        "path": pl.List(pl.String),
        "days_before_end": pl.List(pl.Float64),
        "conversions": pl.Int64,
        "nulls": pl.Int64,
        "value": pl.Float64,
    },
)

PAIRS = [(ModelKeywords, ModelOptions), (BootstrapKeywords, BootstrapOptions), (IntervalKeywords, IntervalOptions)]

PUBLIC: list[tuple[Callable[..., Any], type]] = [
    (attribute, ModelKeywords),
    (bootstrap_draws, BootstrapKeywords),
    (attribution_intervals, IntervalKeywords),
    (compare_models, IntervalKeywords),
    (attribute_by_segment, SegmentKeywords),
]

# Functions below the public ones that spell (some of) the options out; each must default them as the dataclass.
SPELLED_OUT: list[Callable[..., Any]] = [
    shapley.shapley_values,
    shapley.build_game,
    markov.build_chain,
    markov.removal_effects,
    markov.select_order,
    heuristics.time_decay,
    heuristics.last_non_direct,
    counterfactual.counterfactual_shapley,
    counterfactual.build_counterfactual,
    intervals.summarize_draws,
]
# The counterfactual game solves a (k+1)-state chain per channel set, so it stops solving exactly at 12 channels
# where the DP6 Shapley game (``exact_limit`` of ModelOptions) goes to 15; ``attribute`` keeps that default.
OWN_DEFAULTS = {("build_counterfactual", "exact_limit"), ("counterfactual_shapley", "exact_limit")}


@pytest.mark.parametrize(("keywords", "options"), PAIRS, ids=lambda t: t.__name__)
def test_the_keywords_are_the_fields_of_the_dataclass(keywords: type, options: type) -> None:
    hints = get_type_hints(options)
    assert get_type_hints(keywords) == {f.name: hints[f.name] for f in fields(options)}


def test_the_half_life_is_the_vocabulary_one() -> None:
    assert ModelOptions().half_life is HALF_LIFE
    assert IntervalOptions().half_life is HALF_LIFE


@pytest.mark.parametrize(("function", "keywords"), PUBLIC, ids=lambda f: getattr(f, "__name__", ""))
def test_public_functions_take_the_options_as_keywords_and_declare_none_of_them(
    function: Callable[..., Any], keywords: type
) -> None:
    params = inspect.signature(function).parameters
    assert params["options"].kind is inspect.Parameter.VAR_KEYWORD
    assert get_type_hints(function, include_extras=True)["options"] == Unpack[keywords]
    assert not set(params) & set(get_type_hints(keywords)), "an option is declared again beside **options"


@pytest.mark.parametrize("function", SPELLED_OUT, ids=lambda f: f.__name__)
def test_functions_that_spell_an_option_out_default_it_as_the_dataclass(function: Callable[..., Any]) -> None:
    defaults = asdict(IntervalOptions())
    spelled = {
        name: p.default
        for name, p in inspect.signature(function).parameters.items()
        if name in defaults and (function.__name__, name) not in OWN_DEFAULTS
    }
    assert spelled, f"{function.__name__} spells out no option"
    assert spelled == {name: defaults[name] for name in spelled}


@pytest.mark.parametrize("model", MODELS)
def test_attribute_without_options_is_attribute_with_every_default(model: str) -> None:
    everything = asdict(ModelOptions())
    assert_frame_equal(attribute(P, model=model), attribute(P, model=model, **everything))  # type: ignore[arg-type]


def test_intervals_and_comparison_without_options_use_every_default() -> None:
    everything = asdict(IntervalOptions())
    assert_frame_equal(
        attribution_intervals(P, model="markov"),
        attribution_intervals(P, model="markov", **everything),
    )
    plain, explicit = compare_models(P, models=["linear", "shapley"]), compare_models(
        P, models=["linear", "shapley"], **everything
    )
    assert_frame_equal(plain.table, explicit.table)
    assert_frame_equal(plain.draws, explicit.draws)


def test_an_option_a_function_does_not_take_is_refused() -> None:
    with pytest.raises(TypeError, match="n_boot"):
        attribute(P, model="linear", n_boot=5)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="level"):
        bootstrap_draws(P, models=["linear"], level=0.8)  # type: ignore[call-arg]


def test_an_option_changes_every_function_that_takes_it() -> None:
    """The options reach the models through the one dataclass: a non-default value is not dropped on the way."""
    seeded = {"ordered": True, "exact_limit": 1, "n_permutations": 50, "seed": 7}
    point = attribute(P, model="shapley", **seeded)  # type: ignore[arg-type]
    assert_frame_equal(point, shapley.shapley_values(P, **seeded).drop("conversions_se"))
    got = attribution_intervals(P, model="shapley", n_boot=20, **seeded)  # type: ignore[arg-type]
    assert_frame_equal(got.select(point.columns), point)
    comparison = compare_models(P, models=["shapley"], n_boot=20, **seeded)  # type: ignore[arg-type]
    assert_frame_equal(comparison.table.drop("model"), got)
    assert_frame_equal(comparison.draws, bootstrap_draws(P, models=["shapley"], n_boot=20, **seeded))  # type: ignore[arg-type]
