"""Stability: exact on separated blobs, high on planted personas, low on pure noise."""

from __future__ import annotations

import numpy as np
import polars as pl
from sklearn.cluster import KMeans

from analysis.personas import fit_personas
from analysis.personas.stability import assess_stability
from tests.analysis.personas.conftest import Planted


def test_well_separated_blobs_are_perfectly_stable() -> None:
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 0.1, (60, 2)), rng.normal(5, 0.1, (40, 2))]
    labels = np.r_[np.zeros(60, dtype=np.int64), np.ones(40, dtype=np.int64)]
    st = assess_stability(KMeans(2, n_init=2), X, labels, k=2, silhouette=0.9, runs=4, seed=3)
    assert st.personas["jaccard"].to_list() == [1.0, 1.0]
    assert st.ari == (1.0, 1.0, 1.0, 1.0)
    assert st.flip_share == 0.0
    assert not st.personas["tentative"].any()


def test_stability_subsamples_to_the_requested_size() -> None:
    X = np.random.default_rng(1).normal(size=(500, 3))
    labels = KMeans(2, n_init=1, random_state=0).fit_predict(X).astype(np.int64)
    st = assess_stability(KMeans(2, n_init=1), X, labels, k=2, silhouette=0.1, runs=2, sample_size=100)
    assert (st.sample_size, st.runs, len(st.ari)) == (100, 2, 2)


def test_planted_personas_are_stable(planted: Planted) -> None:
    st = fit_personas(planted.events, k=4, seed=0, stability_runs=5).stability_
    assert st is not None
    assert st.personas["jaccard"].min() >= 0.85
    assert st.ari_mean >= 0.9
    assert st.flip_share <= 0.05
    assert not st.personas["tentative"].any()


def test_forced_personas_in_pure_noise_are_refused_as_no_stable_split(noise: pl.DataFrame) -> None:
    model = fit_personas(noise, k=4, seed=0, stability_runs=5)
    assert not model.distinct_ and model.verdict_.reason == "no_stable_split"
    assert model.stability_ is None  # nothing to re-find


def test_stability_is_reported_next_to_what_shuffled_data_gives(planted: Planted) -> None:
    st = fit_personas(planted.events, k=4, seed=0, stability_runs=3).stability_
    assert st is not None and st.null_ari is not None and st.null_jaccard is not None
    assert st.ari_mean > st.null_ari + 0.2  # planted groups hold up far better than groups found in shuffled data
    assert (st.personas["jaccard"] > st.null_jaccard).all()
