"""Persona settings travel as recipe parameters: a refit from them puts the same people in the same, same-named
personas."""

from __future__ import annotations

import json

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.errors import AnalysisError
from analysis.personas import Personas, persona_column
from analysis.personas.recipe import apply_names, keep_persona, persona_parameters, personas_from_parameters
from analysis.prepare import prepare
from analysis.sample import generate_sample


@pytest.fixture(scope="module")
def events() -> pl.DataFrame:
    return prepare(generate_sample(400, seed=8).events)


def test_refit_from_parameters_gives_the_same_people_and_names(events: pl.DataFrame) -> None:
    model = Personas(k=3, algorithm="gmm", groups=("events", "channels"), event_weighting="tfidf",
                     stability_runs=0, seed=4).fit(events).rename({2: "Window shoppers"})
    params = json.loads(json.dumps(persona_parameters(model)))  # as it travels in a recipe
    again = apply_names(personas_from_parameters(params).fit(events), params)
    assert again.get_params()["algorithm"] == "gmm" and again.seed == 4
    assert_frame_equal(persona_column(again), persona_column(model))
    assert again.names_[2] == "Window shoppers"


def test_unset_parameters_keep_the_defaults_and_stability_can_be_skipped() -> None:
    model = personas_from_parameters({"persona_k": None, "algorithm": None}, stability=False)
    assert model.k is None and model.algorithm == "auto" and model.stability_runs == 0


def test_bad_parameters_name_themselves() -> None:
    with pytest.raises(AnalysisError, match="persona settings"):
        personas_from_parameters({"persona_k": "three"})
    with pytest.raises(AnalysisError, match="persona ids"):
        apply_names(Personas(k=2, stability_runs=0).fit(prepare(generate_sample(100, seed=1).events)),
                    {"persona_names": {"first": "x"}})


def test_keep_persona_lists_the_valid_names() -> None:
    ev = pl.DataFrame({"user_id": ["a", "b", "c"], "persona": ["Big", "Small", None]})
    assert keep_persona(ev, "Big")["user_id"].to_list() == ["a"]
    with pytest.raises(AnalysisError, match="Big, Small"):
        keep_persona(ev, "Tiny")
