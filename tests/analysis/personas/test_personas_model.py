"""The fitted Personas model: scikit-learn conventions, determinism, predict, rename, options and errors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis.errors import AnalysisError
from analysis.personas import Personas, fit_personas
from tests.analysis.personas.conftest import Planted


@pytest.fixture(scope="module")
def events(planted: Planted) -> pl.DataFrame:
    """The first ~800 planted users: enough structure, quick to fit."""
    users = planted.events["user_id"].unique().sort().head(800)
    return planted.events.filter(pl.col("user_id").is_in(users.implode()))


@pytest.fixture(scope="module")
def model(events: pl.DataFrame) -> Personas:
    return fit_personas(events, k=4, seed=1, stability_runs=3)


def test_fit_returns_self_with_learned_state_ending_in_underscore(events: pl.DataFrame) -> None:
    unfitted = Personas(k=3, stability_runs=0)
    assert unfitted.fit(events) is unfitted
    assert unfitted.get_params()["k"] == 3
    for name in ("labels_", "profiles_", "drivers_", "pipeline_", "names_", "k_", "silhouette_", "users_"):
        assert hasattr(unfitted, name), name


def test_same_seed_gives_identical_personas(events: pl.DataFrame, model: Personas) -> None:
    again = fit_personas(events, k=4, seed=1, stability_runs=3)
    np.testing.assert_array_equal(again.labels_, model.labels_)
    assert_frame_equal(again.profiles_, model.profiles_)
    assert_frame_equal(again.stability_.personas, model.stability_.personas)  # type: ignore[union-attr]


def test_persona_ids_are_ordered_by_size(model: Personas) -> None:
    sizes = model.profiles_["users"].to_list()
    assert sizes == sorted(sizes, reverse=True)
    assert np.bincount(model.labels_).tolist() == sizes


def test_predict_on_the_training_events_reproduces_the_labels(events: pl.DataFrame, model: Personas) -> None:
    assert_frame_equal(model.predict(events), model.assignments())


def test_predict_labels_new_users_with_the_fitted_columns(planted: Planted, model: Personas) -> None:
    users = planted.events["user_id"].unique().sort().slice(800, 200)
    new = planted.events.filter(pl.col("user_id").is_in(users.implode()))
    labelled = model.predict(new)
    assert labelled.height == 200
    assert set(labelled["persona"].to_list()) <= set(model.names_.values())


def test_rename_returns_a_renamed_copy_and_leaves_the_model_unchanged(model: Personas) -> None:
    before = dict(model.names_)
    renamed = model.rename({0: "Bargain fans", 1: "  "})
    assert renamed.names_[0] == "Bargain fans"
    assert renamed.names_[1] == before[1]  # blank keeps the generated name
    assert renamed.profiles_["name"][0] == "Bargain fans"
    assert set(renamed.assignments().filter(pl.col("persona_id") == 0)["persona"].to_list()) == {"Bargain fans"}
    assert model.names_ == before


def test_rename_of_an_unknown_persona_names_the_valid_ids(model: Personas) -> None:
    with pytest.raises(AnalysisError, match=r"persona id=9 is not valid; choose one of 0, 1, 2, 3$"):
        model.rename({9: "x"})


def test_outcomes_are_left_out_of_the_clustering_features_by_default(model: Personas) -> None:
    assert "event:purchase" not in model.feature_names_in_
    assert "revenue" not in model.feature_names_in_
    assert "event:search" in model.feature_names_in_


@pytest.mark.parametrize(("algorithm", "reduction"), [("gmm", "none"), ("minibatch", "pca"), ("kmeans", "pca")])
def test_alternative_algorithms_and_pca_fit_k_personas(events: pl.DataFrame, algorithm: str, reduction: str) -> None:
    fitted = Personas(k=3, algorithm=algorithm, reduction=reduction, n_components=5,  # type: ignore[arg-type]
                      stability_runs=0).fit(events)
    assert sorted(np.unique(fitted.labels_).tolist()) == [0, 1, 2]
    assert fitted.stability_ is None


def test_k_is_chosen_by_silhouette_over_the_range(events: pl.DataFrame) -> None:
    fitted = Personas(k_range=(2, 5), stability_runs=0).fit(events)
    scores = fitted.silhouette_by_k_
    assert scores["k"].to_list() == [2, 3, 4, 5]
    assert fitted.k_ == scores.sort("silhouette", descending=True)["k"][0]


@pytest.mark.parametrize(
    ("options", "message"),
    [({"k": 1}, "k=1 is too small"), ({"algorithm": "dbscan"}, "algorithm='dbscan' is not valid; choose one of auto"),
     ({"k_range": (5, 3)}, "k_range")],
)
def test_invalid_options_raise_analysis_errors(events: pl.DataFrame, options: dict[str, object], message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        Personas(stability_runs=0, **options).fit(events)


def test_a_feature_set_of_outcomes_only_is_refused_unless_asked_for(events: pl.DataFrame) -> None:
    with pytest.raises(AnalysisError, match="no features to cluster on"):
        Personas(k=2, groups=["events"], top_events=1, conversion_events=("page_view",), stability_runs=0).fit(events)
    fitted = Personas(k=2, groups=["events"], top_events=1, conversion_events=("page_view",),
                      cluster_on_outcomes=True, stability_runs=0).fit(events)
    assert fitted.feature_names_in_ == ["event:page_view"]


def test_too_few_users_give_no_distinct_personas_saying_why(events: pl.DataFrame) -> None:
    two = events.filter(pl.col("user_id").is_in(events["user_id"].unique().sort().head(2).implode()))
    model = Personas(k=4).fit(two)
    assert not model.distinct_ and model.verdict_.reason == "too_few_people"
    assert model.verdict_.message.startswith("2 people are too few: two personas need at least 40")
    assert model.names_ == {0: "Everyone"} and model.k_ == 1


def test_assignments_before_fit_say_so() -> None:
    with pytest.raises(AnalysisError, match="not fitted"):
        Personas().assignments()
