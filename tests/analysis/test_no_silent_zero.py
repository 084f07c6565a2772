"""No silent zero: every public function that could answer with all zeros or nothing says why instead.

One test per function found in the sweep (the list is in docs/decisions/0010): each gets the input that used to give
a silent zero or an empty frame and must raise the project's error with a message that names the cause.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

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
from analysis.errors import EmptyResultError, MissingEventError, NoConversionsError
from analysis.funnels import funnel, funnel_spec, funnel_table, funnel_trend, funnel_units, time_to_convert
from analysis.funnels.dropoff import dropoff_destinations, dropoff_drivers
from analysis.journeys import journeys
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
    units = funnel_units(events_without_purchase(), spec, check_events=False)
    with pytest.raises(EmptyResultError, match="no one entered the funnel \\(step 1: 'view_item'\\)"):
        funnel_trend(units, spec)


def test_fit_personas_on_structureless_data_says_no_distinct_personas_and_why() -> None:
    model = fit_personas(noise_events(300, seed=3), stability_runs=0)
    assert not model.distinct_ and model.names_ == {0: "Everyone"}
    assert model.verdict_.message.startswith("the best split")
    assert "shuffled" in model.verdict_.message


def prepared_without_purchase() -> pl.DataFrame:
    return events_without_purchase().with_columns(pl.col("user_id").alias("session_id"))


def test_journeys_refuse_a_conversion_event_absent_from_the_data() -> None:
    with pytest.raises(NoConversionsError, match=r"'purchase' does not occur in the data\. Events found \(2\): "
                                                 r"page_view \(2\), sign_up \(1\)\. Likely conversion events: sign_up"):
        journeys(prepared_without_purchase())


def test_journeys_of_no_events_say_the_data_is_empty() -> None:
    with pytest.raises(EmptyResultError, match="no events to cut into journeys"):
        journeys(prepared_without_purchase().clear(), conversion_events=())


def test_journeys_without_conversion_events_are_one_open_journey_each_by_choice() -> None:
    j = journeys(prepared_without_purchase(), conversion_events=())
    assert j.select("user_id", "converted").sort("user_id").rows() == [("a", False), ("b", False)]


def test_journeys_map_of_a_partition_may_lack_the_conversion() -> None:
    j = journeys(prepared_without_purchase(), check_events=False)
    assert j["converted"].to_list() == [False, False]


def test_funnel_names_a_step_that_never_occurs_and_its_close_match() -> None:
    with pytest.raises(MissingEventError, match=r"step 2 'sign_upp' does not occur in the data, so nobody can reach "
                                                r"it and every count from it on would be zero\. Close matches: "
                                                r"sign_up\. Events found \(2\): page_view \(2\), sign_up \(1\)"):
        funnel(events_without_purchase(), ["page_view", "sign_upp"])


def test_funnel_units_refuses_a_missing_step_unless_asked_not_to_check() -> None:
    spec = funnel_spec(["page_view", "purchase"])
    with pytest.raises(MissingEventError, match="step 2 'purchase' does not occur"):
        funnel_units(events_without_purchase(), spec)
    units = funnel_units(events_without_purchase(), spec, check_events=False)  # a partition in a distributed run
    assert units["furthest_step"].to_list() == [1, 1]


def test_funnel_table_without_entrants_says_nobody_entered() -> None:
    spec = funnel_spec(["page_view", "sign_up"], entry_start=datetime(2027, 1, 1, tzinfo=UTC))
    units = funnel_units(events_without_purchase(), spec)
    with pytest.raises(EmptyResultError, match=r"no one entered the funnel \(step 1: 'page_view'\) in these events; "
                                               r"widen the dates"):
        funnel_table(units, spec)


def test_time_to_convert_when_nobody_did_both_steps_says_so() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    ev = pl.DataFrame({"user_id": ["a", "a", "b"], "timestamp": [t, t + timedelta(days=9), t],
                       "event": ["page_view", "sign_up", "page_view"]})
    spec = funnel_spec(["page_view", "sign_up"], window=timedelta(days=7))
    with pytest.raises(EmptyResultError, match=r"nobody went from step 1 \('page_view'\) to step 2 \('sign_up'\) "
                                               r"within the conversion window \(2 reached step 1\)"):
        time_to_convert(funnel_units(ev, spec), spec)


def everyone_continues() -> tuple[pl.DataFrame, pl.DataFrame, object]:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    ev = pl.DataFrame({"user_id": ["a", "a", "b", "b"], "timestamp": [t, t + timedelta(minutes=1)] * 2,
                       "event": ["page_view", "sign_up"] * 2, "channel": ["Email"] * 4})
    spec = funnel_spec(["page_view", "sign_up"])
    return ev, funnel_units(ev, spec), spec


def test_dropoff_destinations_when_nobody_dropped_says_everyone_went_on() -> None:
    ev, units, spec = everyone_continues()
    with pytest.raises(EmptyResultError, match=r"nobody dropped after step 1 \('page_view'\): all 2 units that "
                                               r"reached it went on to the next step"):
        dropoff_destinations(ev, units, spec, step=1)  # type: ignore[arg-type]


def test_dropoff_drivers_when_nobody_dropped_says_everyone_went_on() -> None:
    ev, units, spec = everyone_continues()
    with pytest.raises(EmptyResultError, match=r"nobody dropped after step 1 \('page_view'\)"):
        dropoff_drivers(ev, units, spec, step=1)  # type: ignore[arg-type]


def test_dropoff_drivers_without_a_testable_trait_says_why() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    ev = pl.DataFrame({"user_id": ["a", "a", "b"], "timestamp": [t, t + timedelta(minutes=1), t],
                       "event": ["page_view", "sign_up", "page_view"], "channel": ["Email"] * 3})
    spec = funnel_spec(["page_view", "sign_up"])
    with pytest.raises(EmptyResultError, match=r"no trait to compare: of the 2 units that reached step 1 "
                                               r"\('page_view'\), 1 dropped, and no trait was held by at least 5"):
        dropoff_drivers(ev, funnel_units(ev, spec), spec, step=1)
