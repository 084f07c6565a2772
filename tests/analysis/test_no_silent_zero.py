"""No silent zero: every public function that could answer with all zeros or nothing says why instead.

One test per function found in the sweep (the list is in docs/decisions/0010): each gets the input that used to give
a silent zero or an empty frame and must raise the project's error with a message that names the cause.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import polars as pl
import pytest

from analysis.attribution import (
    MODELS,
    attribute,
    attribution_intervals,
    bootstrap_draws,
    compare_models,
    conversion_paths,
    counterfactual_shapley,
    removal_effects,
    shapley_values,
)
from analysis.errors import EmptyResultError, NoConversionsError
from analysis.funnels import funnel_spec, funnel_trend, funnel_units
from analysis.personas import fit_personas
from tests.analysis.personas.conftest import noise_events

NO_CONVERSIONS = pl.DataFrame({"path": [["Email"], ["Direct", "Email"]], "conversions": [0, 0], "nulls": [3, 2],
                               "value": [0.0, 0.0]}, schema={"path": pl.List(pl.String), "conversions": pl.Int64,
                                                             "nulls": pl.Int64, "value": pl.Float64})
PATH_TABLE_MESSAGE = r"the path table has no conversions \(5 non-converting journeys over 2 paths\)"


def events_without_purchase() -> pl.DataFrame:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    return pl.DataFrame({"user_id": ["a", "a", "b"], "timestamp": [t, t, t], "event": ["page_view", "sign_up",
                                                                                       "page_view"],
                         "channel": ["Email", "Email", "Direct"]})


def test_conversion_paths_names_the_events_found_and_the_likely_conversion() -> None:
    with pytest.raises(NoConversionsError, match=r"'purchase' does not occur in the data\. Events found \(2\): "
                                                 r"page_view \(2\), sign_up \(1\)\. Likely conversion events: sign_up"):
        conversion_paths(events_without_purchase())


@pytest.mark.parametrize("model", MODELS)
def test_attribute_refuses_a_table_without_conversions(model: str) -> None:
    with pytest.raises(NoConversionsError, match=PATH_TABLE_MESSAGE):
        attribute(NO_CONVERSIONS, model=model)  # type: ignore[arg-type]


@pytest.mark.parametrize("run", [
    lambda p: attribution_intervals(p, model="linear", n_boot=5),
    lambda p: bootstrap_draws(p, models=["markov"], n_boot=5),
    lambda p: compare_models(p, models=["last_touch"], n_boot=5),
    shapley_values,
    removal_effects,
    counterfactual_shapley,
], ids=["attribution_intervals", "bootstrap_draws", "compare_models", "shapley_values", "removal_effects",
        "counterfactual_shapley"])
def test_every_attribution_entry_point_refuses_a_table_without_conversions(
        run: Callable[[pl.DataFrame], object]) -> None:
    with pytest.raises(NoConversionsError, match=PATH_TABLE_MESSAGE):
        run(NO_CONVERSIONS)


def test_funnel_trend_without_entrants_says_nobody_entered() -> None:
    spec = funnel_spec(["view_item", "purchase"])
    units = funnel_units(events_without_purchase(), spec)
    with pytest.raises(EmptyResultError, match="no one entered the funnel \\(step 1: 'view_item'\\)"):
        funnel_trend(units, spec)


def test_fit_personas_on_structureless_data_says_no_distinct_personas_and_why() -> None:
    model = fit_personas(noise_events(300, seed=3), stability_runs=0)
    assert not model.distinct_ and model.names_ == {0: "Everyone"}
    assert model.verdict_.message.startswith("the best split")
    assert "shuffled" in model.verdict_.message
