"""The fitted persona model: per-user features, a scikit-learn pipeline, labels, profiles and stability.

Follows scikit-learn's conventions: configuration in ``__init__`` (validated in ``fit``), ``fit(events)`` returns
``self``, learned state ends in ``_``, ``predict(events)`` labels new data with the fitted pipeline.

Personas are defined by behaviour, not by outcome: conversion events and revenue are left out of the clustering
features by default (``cluster_on_outcomes=False``) so that "converts 2x" is a finding of the profile rather than
the definition of the group.

Personas exist only where people differ (:mod:`analysis.personas.reference`): too few people, no split that beats
the same method on shuffled data, or no material and clear difference give the explicit outcome "no distinct
personas" (``distinct_`` is False, ``verdict_`` says why, everyone is in one group named "Everyone") instead of
forced clusters. Names state only material and clear differences (:mod:`analysis.personas.naming`).
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping, Sequence
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
from analysis.personas.profiles import ALPHA, EFFECT_THRESHOLD, describe_personas
from analysis.personas.reference import (
    MIN_SHARE,
    MIN_SIZE,
    Verdict,
    min_people,
    null_silhouettes,
    share_blocks,
    shuffled,
)
from analysis.personas.stability import DEFAULT_BAR, Stability, assess_stability, with_reference

Algorithm = Literal["auto", "kmeans", "minibatch", "gmm"]
Reduction = Literal["none", "pca"]
MINIBATCH_FROM = 100_000  # "auto" switches from KMeans to MiniBatchKMeans at this many users
EVERYONE = "Everyone"  # the one group when the data holds no distinct personas


class Personas(BaseEstimator):  # type: ignore[misc]
    """Behavioural personas: cluster users on their features and describe the clusters.

    Parameters
    ----------
    k
        Number of personas; ``None`` picks it by silhouette over ``k_range`` (on a seeded subsample). Either way k
        is bounded by what the data supports and the split must pass the checks above.
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
        persona is labelled tentative (also below what the re-fits give on shuffled data).
    min_share, min_size
        The smallest persona allowed: at least ``min_share`` of the people and at least ``min_size`` people
        (defaults 5% and 20). k is bounded by people // that size.
    effect_threshold, alpha
        A difference may name a persona only when material (Cohen's d at least ``effect_threshold``) and clear
        (its interval excludes zero at family-wise level ``alpha``, Bonferroni over the comparisons).
    null_runs, null_sample
        Shuffled copies of the data (every feature permuted independently) the split must beat, and their rows.
        ``null_runs=0`` skips the check (then only the size and difference checks decide).
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
        selection_sample: int = 30_000,
        silhouette_sample: int = 3_000,
        stability_runs: int = 10,
        stability_sample: int = 20_000,
        stability_bar: float = DEFAULT_BAR,
        min_share: float = MIN_SHARE,
        min_size: int = MIN_SIZE,
        effect_threshold: float = EFFECT_THRESHOLD,
        alpha: float = ALPHA,
        null_runs: int = 5,
        null_sample: int = 3_000,
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
        self.selection_sample = selection_sample
        self.silhouette_sample = silhouette_sample
        self.stability_runs = stability_runs
        self.stability_sample = stability_sample
        self.stability_bar = stability_bar
        self.min_share = min_share
        self.min_size = min_size
        self.effect_threshold = effect_threshold
        self.alpha = alpha
        self.null_runs = null_runs
        self.null_sample = null_sample
        self.seed = seed
        self.n_threads = n_threads

    # --- fitting ---------------------------------------------------------------------------------------------

    def fit(self, events: pl.DataFrame, y: object = None) -> Self:
        """Compute features, choose k, fit the pipeline, then profile and assess the personas."""
        self._validate()
        with threadpool_limits(limits=self.n_threads):
            return self._fit(events)

    def _fit(self, events: pl.DataFrame) -> Self:
        features = user_features(events, groups=self.groups, columns=self.columns, top_events=self.top_events)
        names = [c for c in features.columns if c != s.USER_ID and (self.cluster_on_outcomes or not self._outcome(c))]
        if not names:
            raise AnalysisError(
                f"no features to cluster on with groups {list(self.groups)}; add 'events' or 'channels'")
        n = features.height
        X = features.select(names).to_numpy().astype(np.float64)
        rng = np.random.default_rng(self.seed)
        self.feature_names_in_ = names
        self.features_ = features
        self.n_features_in_ = len(names)
        self.users_ = features[s.USER_ID]
        algorithm = self.algorithm if self.algorithm != "auto" else ("minibatch" if n >= MINIBATCH_FROM else "kmeans")
        self.algorithm_ = algorithm
        self.silhouette_by_k_ = pl.DataFrame(schema={"k": pl.Int64, "silhouette": pl.Float64})
        floor = min_people(n, min_share=self.min_share, min_size=self.min_size)
        self.min_people_ = floor
        if n < 2 * floor:
            return self._no_personas(X, events, Verdict(
                False, "too_few_people", f"{n:,} people are too few: two personas need at least {2 * floor:,} "
                f"(each at least {floor:,} people: {self.min_share:.0%} of the people and at least {self.min_size})",
                floor))
        k_low, k_high = self.k_range
        k_cap = n // floor
        ks = [min(int(self.k), k_cap)] if self.k is not None else list(range(min(k_low, k_cap), min(k_high, k_cap) + 1))

        sel = _subsample(rng, n, self.selection_sample)
        share_floor = floor * len(sel) / n
        scores = [self._score(X[sel], k, rng, smallest=share_floor) for k in ks]  # a handful of candidate k
        self.silhouette_by_k_ = pl.DataFrame({"k": ks, "silhouette": scores},
                                             schema={"k": pl.Int64, "silhouette": pl.Float64})
        if not np.isfinite(scores).any():
            return self._no_personas(X, events, Verdict(
                False, "too_few_people", f"no split into {', '.join(map(str, ks))} groups leaves every group with at "
                f"least {floor:,} people ({self.min_share:.0%} of the people and at least {self.min_size})",
                floor, tuple(ks)))
        best = float(np.nanmax(scores))
        self.k_ = ks[int(np.nanargmax(scores))]
        null = (null_silhouettes(lambda Xp, k: self._score(Xp, k, rng), X, ks, runs=self.null_runs,
                                 sample=self.null_sample, rng=rng, blocks=share_blocks(names))
                if self.null_runs > 0 else ())
        verdict = Verdict(True, None, "", floor, tuple(ks), best, null)
        if null and not best > verdict.threshold:
            return self._no_personas(X, events, Verdict(
                False, "no_stable_split", f"the best split ({self.k_} groups) separates people no better than the "
                f"same method does on this data with every feature shuffled (silhouette {best:.2f} against "
                f"{verdict.null_mean:.2f} on shuffled data; a real split needs more than {verdict.threshold:.2f})",
                floor, tuple(ks), best, null))

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
                                     conversion_events=self.conversion_events,
                                     effect_threshold=self.effect_threshold, alpha=self.alpha)
        if profiles.claims.is_empty():
            return self._no_personas(X, events, Verdict(
                False, "differences_too_small", f"the {self.k_} groups found differ from the rest by less than a "
                f"material, clear amount in every feature (effect size at least {self.effect_threshold:g}, "
                f"interval excluding no difference at {1 - self.alpha:.0%} after correcting for "
                f"{self.k_ * len(names):,} comparisons)", floor, tuple(ks), best, null))
        self.verdict_ = verdict
        self.profiles_ = profiles.summary
        self.drivers_ = profiles.drivers
        self.claims_ = profiles.claims
        self.names_ = dict(zip(profiles.summary["persona_id"].to_list(), profiles.summary["name"].to_list(),
                               strict=True))
        self.stability_: Stability | None = None
        if self.stability_runs > 0:
            self.stability_ = self._stability(pipeline, X, rng)
        return self

    def _stability(self, pipeline: Pipeline, X: np.ndarray, rng: np.random.Generator) -> Stability:
        """Re-fits on the data, judged against the same re-fits on a shuffled copy of it."""
        real = assess_stability(pipeline, X, self.labels_, k=self.k_, silhouette=self.silhouette_,
                                runs=self.stability_runs, sample_size=self.stability_sample, bar=self.stability_bar,
                                seed=self.seed)
        pick = _subsample(rng, len(X), min(self.null_sample, self.stability_sample))
        Xp = shuffled(X[pick], rng, blocks=share_blocks(self.feature_names_in_))
        ref = self._pipeline(self.k_, self.algorithm_, self.seed)
        labels = np.asarray(ref.fit(Xp).predict(Xp), dtype=np.int64)
        k_ref = int(labels.max()) + 1
        null = assess_stability(ref, Xp, labels, k=k_ref, silhouette=float("nan"),
                                runs=min(self.stability_runs, 5), sample_size=len(Xp), bar=self.stability_bar,
                                seed=self.seed + 10_000)
        return with_reference(real, null)

    def _no_personas(self, X: np.ndarray, events: pl.DataFrame, verdict: Verdict) -> Self:
        """The explicit outcome "no distinct personas": everyone in one group named "Everyone", with the reason."""
        self.verdict_ = verdict
        self.k_ = 1
        self.pipeline_ = self._pipeline(1, self.algorithm_, self.seed).fit(X)
        self.label_map_ = np.zeros(1, dtype=np.int64)
        self.labels_ = np.zeros(len(X), dtype=np.int64)
        self.silhouette_ = float("nan")
        profiles = describe_personas(self.features_, self.labels_, events, k=1,
                                     conversion_events=self.conversion_events)
        self.names_ = {0: EVERYONE}
        self.profiles_ = profiles.summary.with_columns(name=pl.lit(EVERYONE))
        self.drivers_ = profiles.drivers.clear()
        self.claims_ = profiles.claims.clear()
        self.stability_ = None
        return self

    def predict(self, events: pl.DataFrame) -> pl.DataFrame:
        """Label the users of ``events`` with the fitted personas: columns ``user_id``, ``persona_id``, ``persona``."""
        self._check_fitted()
        features = user_features(events, groups=self.groups, columns=self.columns, vocabulary=self.feature_names_in_)
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
    def distinct_(self) -> bool:
        """Whether the data holds distinct personas (see :attr:`verdict_` for why not)."""
        self._check_fitted()
        return bool(self.verdict_.distinct)

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
        if not 0 <= self.min_share < 0.5 or self.min_size < 1:
            raise AnalysisError(f"min_share={self.min_share} must be in [0, 0.5) and min_size={self.min_size} at "
                                "least 1")
        if self.effect_threshold < 0 or not 0 < self.alpha < 1:
            raise AnalysisError(f"effect_threshold={self.effect_threshold} must be >= 0 and alpha={self.alpha} "
                                "between 0 and 1")

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

    def _score(self, X: np.ndarray, k: int, rng: np.random.Generator, *, smallest: float = 0) -> float:
        """Silhouette of a k-group fit of ``X``; ``nan`` when a group has fewer than ``smallest`` rows."""
        pipeline = self._pipeline(k, self.algorithm_, self.seed)
        labels = np.asarray(pipeline.fit(X).predict(X))
        if np.bincount(labels, minlength=k).min() < smallest:
            return float("nan")
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
