"""The fitted persona model: per-user features, a scikit-learn pipeline, labels, profiles and stability.

Follows scikit-learn's conventions: configuration in ``__init__`` (validated in ``fit``), ``fit(events)`` returns
``self``, learned state ends in ``_``, ``predict(events)`` labels new data with the fitted pipeline.

Personas are defined by behaviour, not by outcome: conversion events and revenue are left out of the clustering
features by default (``cluster_on_outcomes=False``) so that "converts 2x" is a finding of the profile rather than
the definition of the group.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
from datetime import timedelta
from typing import Any, Literal, Self, get_args

import numpy as np
import polars as pl
from sklearn.base import BaseEstimator
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.personas.features import (
    DEFAULT_GROUPS,
    EventWeighter,
    EventWeighting,
    FeatureGroup,
    event_columns,
    user_features,
)
from analysis.personas.profiles import describe_personas
from analysis.personas.stability import DEFAULT_BAR, Stability, assess_stability

Algorithm = Literal["auto", "kmeans", "minibatch", "gmm"]
Reduction = Literal["none", "pca"]
MINIBATCH_FROM = 100_000  # "auto" switches from KMeans to MiniBatchKMeans at this many users


class Personas(BaseEstimator):  # type: ignore[misc]
    """Behavioural personas: cluster users on their features and describe the clusters.

    Parameters
    ----------
    k
        Number of personas; ``None`` picks it by silhouette over ``k_range`` (on a seeded subsample).
    k_range
        Smallest and largest k tried when ``k`` is ``None``.
    algorithm
        ``"kmeans"``, ``"minibatch"`` (MiniBatchKMeans), ``"gmm"`` (GaussianMixture, diagonal covariances), or
        ``"auto"``: KMeans below 100k users, MiniBatchKMeans above.
    reduction, n_components
        Optional PCA before clustering.
    groups, columns, event_weighting, top_events
        Feature set (see :func:`analysis.personas.features.user_features`); event counts become per-user
        ``"share"`` (default), ``"tfidf"`` or stay ``"count"``.
    conversion_events, cluster_on_outcomes
        Events that count as conversion (profiles report their rate); left out of the clustering features,
        with revenue, unless ``cluster_on_outcomes``.
    selection_sample, silhouette_sample
        Users used to fit each candidate k, and to score its silhouette.
    stability_runs, stability_sample, stability_bar
        Bootstrap re-fits for :class:`Stability` (0 skips it), users per re-fit, and the Jaccard below which a
        persona is labelled tentative.
    seed
        Seeds every random step; the same data and seed give the same personas.
    n_threads
        OpenMP/BLAS threads for the clustering. One is the default: on small matrices and on shared machines extra
        threads spin-wait and run many times slower.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> from analysis.prepare import prepare
    >>> events = prepare(generate_sample(600, seed=2).events)
    >>> model = Personas(k=4, stability_runs=2).fit(events)
    >>> model.k_, len(model.labels_) == model.users_.len()
    (4, True)
    """

    def __init__(
        self,
        k: int | None = None,
        *,
        k_range: tuple[int, int] = (2, 8),
        algorithm: Algorithm = "auto",
        reduction: Reduction = "none",
        n_components: int = 10,
        groups: Collection[FeatureGroup] = DEFAULT_GROUPS,
        columns: Sequence[str] = (),
        event_weighting: EventWeighting = "share",
        top_events: int = 100,
        conversion_events: Sequence[str] = ("purchase",),
        cluster_on_outcomes: bool = False,
        session_gap: timedelta = timedelta(minutes=30),
        selection_sample: int = 30_000,
        silhouette_sample: int = 3_000,
        stability_runs: int = 10,
        stability_sample: int = 20_000,
        stability_bar: float = DEFAULT_BAR,
        seed: int = 0,
        n_threads: int | None = 1,
    ) -> None:
        self.k = k
        self.k_range = k_range
        self.algorithm = algorithm
        self.reduction = reduction
        self.n_components = n_components
        self.groups = groups
        self.columns = columns
        self.event_weighting = event_weighting
        self.top_events = top_events
        self.conversion_events = conversion_events
        self.cluster_on_outcomes = cluster_on_outcomes
        self.session_gap = session_gap
        self.selection_sample = selection_sample
        self.silhouette_sample = silhouette_sample
        self.stability_runs = stability_runs
        self.stability_sample = stability_sample
        self.stability_bar = stability_bar
        self.seed = seed
        self.n_threads = n_threads

    # --- fitting ---------------------------------------------------------------------------------------------

    def fit(self, events: pl.DataFrame, y: object = None) -> Self:
        """Compute features, choose k, fit the pipeline, then profile and assess the personas."""
        self._validate()
        with threadpool_limits(limits=self.n_threads):
            return self._fit(events)

    def _fit(self, events: pl.DataFrame) -> Self:
        features = user_features(events, groups=self.groups, columns=self.columns, top_events=self.top_events,
                                 session_gap=self.session_gap)
        names = [c for c in features.columns if c != s.USER_ID and (self.cluster_on_outcomes or not self._outcome(c))]
        if not names:
            raise AnalysisError(
                f"no features to cluster on with groups {list(self.groups)}; add 'events' or 'channels'")
        n = features.height
        k_low, k_high = self.k_range
        if n < max(self.k or k_low, 2) + 1:
            raise AnalysisError(f"{n} users are too few for {self.k or k_low} personas; need at least one more")
        X = features.select(names).to_numpy().astype(np.float64)
        rng = np.random.default_rng(self.seed)
        self.feature_names_in_ = names
        self.features_ = features
        self.n_features_in_ = len(names)
        self.users_ = features[s.USER_ID]
        algorithm = self.algorithm if self.algorithm != "auto" else ("minibatch" if n >= MINIBATCH_FROM else "kmeans")
        self.algorithm_ = algorithm

        sel = _subsample(rng, n, self.selection_sample)
        if self.k is None:
            ks = range(k_low, min(k_high, len(sel) - 1) + 1)
            scores = [self._score(X[sel], k, rng) for k in ks]  # a handful of candidate k
            self.silhouette_by_k_ = pl.DataFrame({"k": list(ks), "silhouette": scores},
                                                 schema={"k": pl.Int64, "silhouette": pl.Float64})
            self.k_ = int(list(ks)[int(np.nanargmax(scores))])
        else:
            self.k_ = int(self.k)
            self.silhouette_by_k_ = pl.DataFrame(schema={"k": pl.Int64, "silhouette": pl.Float64})

        pipeline = self._pipeline(self.k_, algorithm, self.seed)
        raw = np.asarray(pipeline.fit(X).predict(X), dtype=np.int64)
        # persona ids by size (0 = largest), ties by raw id, so labels do not depend on the solver's numbering
        sizes = np.bincount(raw, minlength=self.k_)
        order = np.lexsort((np.arange(self.k_), -sizes))
        self.label_map_ = np.empty(self.k_, dtype=np.int64)
        self.label_map_[order] = np.arange(self.k_)
        self.pipeline_ = pipeline
        self.labels_ = self.label_map_[raw]
        self.silhouette_ = self._silhouette(pipeline, X[sel], self.labels_[sel], rng)

        profiles = describe_personas(features, self.labels_, events, k=self.k_,
                                     conversion_events=self.conversion_events, session_gap=self.session_gap)
        self.profiles_ = profiles.summary
        self.drivers_ = profiles.drivers
        self.names_ = dict(zip(profiles.summary["persona_id"].to_list(), profiles.summary["name"].to_list(),
                               strict=True))
        if self.stability_runs > 0:
            self.stability_: Stability | None = assess_stability(
                pipeline, X, self.labels_, k=self.k_, silhouette=self.silhouette_, runs=self.stability_runs,
                sample_size=self.stability_sample, bar=self.stability_bar, seed=self.seed,
            )
        else:
            self.stability_ = None
        return self

    def predict(self, events: pl.DataFrame) -> pl.DataFrame:
        """Label the users of ``events`` with the fitted personas: columns ``user_id``, ``persona_id``, ``persona``."""
        self._check_fitted()
        features = user_features(events, groups=self.groups, columns=self.columns, vocabulary=self.feature_names_in_,
                                 session_gap=self.session_gap)
        with threadpool_limits(limits=self.n_threads):
            raw = np.asarray(self.pipeline_.predict(features.select(self.feature_names_in_).to_numpy()),
                             dtype=np.int64)
        return self._assignments(features[s.USER_ID], self.label_map_[raw])

    def assignments(self) -> pl.DataFrame:
        """The fitted users' personas: columns ``user_id``, ``persona_id``, ``persona`` (the current name)."""
        self._check_fitted()
        return self._assignments(self.users_, self.labels_)

    def rename(self, names: Mapping[int, str]) -> Personas:
        """A copy of the fitted model with personas renamed (``{persona_id: new name}``); the original is unchanged.

        Empty names keep the generated one. Unknown ids raise :class:`AnalysisError`.
        """
        self._check_fitted()
        unknown = sorted(set(names) - set(self.names_))
        if unknown:
            raise AnalysisError(f"persona id(s) {unknown} do not exist; valid ids: {sorted(self.names_)}")
        new = copy.copy(self)
        new.names_ = {**self.names_, **{int(i): n.strip() for i, n in names.items() if n and n.strip()}}
        new.profiles_ = self.profiles_.with_columns(
            pl.col("persona_id").replace_strict(new.names_, return_dtype=pl.String).alias("name"))
        return new

    @property
    def tentative_(self) -> list[int]:
        """Persona ids whose stability is below the bar (empty when stability was not assessed)."""
        if getattr(self, "stability_", None) is None:
            return []
        assert self.stability_ is not None
        return self.stability_.personas.filter(pl.col("tentative"))["persona_id"].to_list()

    # --- helpers ---------------------------------------------------------------------------------------------

    def _validate(self) -> None:
        if self.algorithm not in get_args(Algorithm):
            raise AnalysisError(f"algorithm {self.algorithm!r} is not one of {list(get_args(Algorithm))}")
        if self.reduction not in get_args(Reduction):
            raise AnalysisError(f"reduction {self.reduction!r} is not one of {list(get_args(Reduction))}")
        low, high = self.k_range
        if self.k is not None and self.k < 2:
            raise AnalysisError(f"k={self.k} is too small; personas need k >= 2 (or None to choose by silhouette)")
        if self.k is None and not 2 <= low <= high:
            raise AnalysisError(f"k_range={self.k_range} must satisfy 2 <= low <= high")

    def _outcome(self, feature: str) -> bool:
        return feature == "revenue" or feature in {f"event:{e}" for e in self.conversion_events}

    def _pipeline(self, k: int, algorithm: str, seed: int) -> Pipeline:
        events_at = [i for i, c in enumerate(self.feature_names_in_) if c in event_columns(self.feature_names_in_)]
        steps: list[tuple[str, Any]] = [
            ("weight", EventWeighter(columns=events_at, mode=self.event_weighting)),
            ("log", FunctionTransformer(np.log1p)),
            ("scale", StandardScaler()),
        ]
        if self.reduction == "pca":
            steps.append(("reduce", PCA(n_components=min(self.n_components, self.n_features_in_), random_state=seed)))
        if algorithm == "gmm":
            model: Any = GaussianMixture(k, covariance_type="diag", n_init=2, random_state=seed)
        elif algorithm == "minibatch":
            model = MiniBatchKMeans(k, n_init=3, batch_size=4096, random_state=seed)
        else:
            model = KMeans(k, n_init=4, random_state=seed)
        return Pipeline([*steps, ("cluster", model)])

    def _score(self, X: np.ndarray, k: int, rng: np.random.Generator) -> float:
        pipeline = self._pipeline(k, self.algorithm_, self.seed)
        labels = np.asarray(pipeline.fit(X).predict(X))
        return self._silhouette(pipeline, X, labels, rng)

    def _silhouette(self, pipeline: Pipeline, X: np.ndarray, labels: np.ndarray,
                    rng: np.random.Generator) -> float:
        """Silhouette in the clustering space on a seeded subsample (``nan`` for a single cluster)."""
        pick = _subsample(rng, len(X), self.silhouette_sample)
        if len(np.unique(labels[pick])) < 2:
            return float("nan")
        return float(silhouette_score(pipeline[:-1].transform(X[pick]), labels[pick]))

    def _assignments(self, users: pl.Series, labels: np.ndarray) -> pl.DataFrame:
        ids = pl.Series("persona_id", labels, dtype=pl.Int64)
        return pl.DataFrame({s.USER_ID: users, "persona_id": ids}).with_columns(
            pl.col("persona_id").replace_strict(self.names_, return_dtype=pl.String).alias("persona"))

    def _check_fitted(self) -> None:
        if not hasattr(self, "pipeline_"):
            raise AnalysisError("this Personas model is not fitted yet; call fit(events) first")


def fit_personas(
    events: pl.DataFrame,
    *,
    k: int | None = None,
    seed: int = 0,
    algorithm: Algorithm = "auto",
    **options: Any,
) -> Personas:
    """Fit behavioural personas on prepared events and return the fitted :class:`Personas` model.

    ``options`` are further :class:`Personas` parameters (``k_range``, ``reduction``, ``groups``, ``columns``,
    ``event_weighting``, ``stability_runs`` …).

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> from analysis.prepare import prepare
    >>> personas = fit_personas(prepare(generate_sample(600, seed=2).events), k=3, stability_runs=2)
    >>> personas.profiles_["users"].sum() == personas.users_.len()
    True
    """
    return Personas(k, seed=seed, algorithm=algorithm, **options).fit(events)


def _subsample(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Sorted row positions of a seeded sample of ``size`` rows (all rows when there are fewer)."""
    return np.sort(rng.choice(n, size=size, replace=False)) if n > size else np.arange(n)
