"""The planted personas of the generator are recovered from prepared events (adjusted Rand index >= 0.8)."""

from __future__ import annotations

import polars as pl
import pytest
from sklearn.metrics import adjusted_rand_score

from analysis.personas import fit_personas
from tests.analysis.personas.conftest import Planted


@pytest.mark.parametrize("algorithm", ["kmeans", "gmm"])
def test_planted_personas_are_recovered_with_k_chosen_by_silhouette(planted: Planted, algorithm: str) -> None:
    model = fit_personas(planted.events, seed=0, algorithm=algorithm, stability_runs=0)  # type: ignore[arg-type]
    found = model.assignments().join(planted.truth, on="user_id", how="inner")
    assert found.height == model.users_.len()  # every prepared user has a planted persona
    assert model.k_ == 4
    assert adjusted_rand_score(found["truth"], found["persona_id"]) >= 0.8


def test_generated_names_echo_the_planted_behaviour(planted: Planted) -> None:
    model = fit_personas(planted.events, k=4, seed=0, stability_runs=0)
    found = model.assignments().join(planted.truth, on="user_id")
    majority = found.group_by("persona_id").agg(pl.col("truth").mode().first())
    assert majority["truth"].n_unique() == 4  # each persona is mostly a different planted one
    names = " | ".join(model.names_.values())
    assert "arrive via Paid Search" in names  # the deal hunters' channel
    assert "Deal hunters" in names


def test_a_fitted_model_labels_unseen_users_as_well(planted: Planted) -> None:
    users = planted.events["user_id"].unique().sort()
    seen = planted.events.filter(pl.col("user_id").is_in(users.head(3_000).implode()))
    unseen = planted.events.filter(pl.col("user_id").is_in(users.tail(users.len() - 3_000).implode()))
    model = fit_personas(seen, k=4, seed=0, stability_runs=0)
    labelled = model.predict(unseen).join(planted.truth, on="user_id")
    assert labelled.height == users.len() - 3_000
    assert adjusted_rand_score(labelled["truth"], labelled["persona_id"]) >= 0.8
