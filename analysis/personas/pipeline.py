"""The persona clustering pipeline and how a split is scored: event weighting, log, scaling, optional PCA, the
clusterer, and the silhouette on a seeded subsample."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from analysis.personas.features import EventWeighter, event_columns
from analysis.vocabulary import EventWeighting


def persona_pipeline(feature_names: Sequence[str], *, k: int, algorithm: str, seed: int,
                     event_weighting: EventWeighting, reduction: str, n_components: int) -> Pipeline:
    """The unfitted pipeline that clusters users' features into ``k`` groups.

    Examples
    --------
    >>> p = persona_pipeline(["event:a", "event:b"], k=2, algorithm="kmeans", seed=0, event_weighting="share",
    ...                      reduction="none", n_components=10)
    >>> [name for name, _ in p.steps]
    ['weight', 'log', 'scale', 'cluster']
    """
    events_at = [i for i, c in enumerate(feature_names) if c in event_columns(feature_names)]
    steps: list[tuple[str, Any]] = [
        ("weight", EventWeighter(columns=events_at, mode=event_weighting)),
        ("log", FunctionTransformer(np.log1p)),
        ("scale", StandardScaler()),
    ]
    if reduction == "pca":
        steps.append(("reduce", PCA(n_components=min(n_components, len(feature_names)), random_state=seed)))
    if algorithm == "gmm":
        model: Any = GaussianMixture(k, covariance_type="diag", n_init=2, random_state=seed)
    elif algorithm == "minibatch":
        model = MiniBatchKMeans(k, n_init=3, batch_size=4096, random_state=seed)
    else:
        model = KMeans(k, n_init=4, random_state=seed)
    return Pipeline([*steps, ("cluster", model)])


def sampled_silhouette(pipeline: Pipeline, X: np.ndarray, labels: np.ndarray, rng: np.random.Generator, *,
                       sample: int) -> float:
    """Silhouette in the clustering space on a seeded subsample of ``sample`` rows (``nan`` for a single cluster)."""
    pick = subsample(rng, len(X), sample)
    if len(np.unique(labels[pick])) < 2:
        return float("nan")
    return float(silhouette_score(pipeline[:-1].transform(X[pick]), labels[pick]))


def subsample(rng: np.random.Generator, n: int, size: int) -> np.ndarray:
    """Sorted row positions of a seeded sample of ``size`` rows (all rows when there are fewer).

    Examples
    --------
    >>> subsample(np.random.default_rng(0), 3, 10).tolist()
    [0, 1, 2]
    """
    return np.sort(rng.choice(n, size=size, replace=False)) if n > size else np.arange(n)
