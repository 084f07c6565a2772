"""How real are the personas? Re-fit on bootstrap samples and seeds and measure how much survives.

Per-persona stability follows Hennig's ``clusterboot`` (Hennig 2007, "Cluster-wise assessment of cluster
stability"): for each bootstrap resample the pipeline is re-fitted with a fresh seed; each original persona is
compared, on the resampled users, with its most similar new cluster by the Jaccard coefficient; the mean over runs is
the persona's stability. Hennig reads < 0.6 as "dissolved", 0.6-0.75 as a pattern, > 0.85 as highly stable. Across runs
we also report the adjusted Rand index with the original labels and the share of users who change persona after
matching the new clusters to the old ones (Hungarian assignment on the overlap).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl
from scipy.optimize import linear_sum_assignment
from sklearn.base import clone
from sklearn.metrics import adjusted_rand_score

DEFAULT_BAR = 0.6


@dataclass(frozen=True)
class Stability:
    """Stability of a fitted persona model.

    ``personas`` has one row per persona: ``persona_id``, ``jaccard`` (mean over runs), ``jaccard_min``,
    ``flip_share`` (share of the persona's members assigned elsewhere, mean over runs) and ``tentative``
    (``jaccard`` below ``bar``, or not above ``null_jaccard``). ``ari`` holds one adjusted Rand index per run.
    ``null_ari`` and ``null_jaccard`` are what the same re-fits give on the data with every feature shuffled
    (:func:`with_reference`): the level that means nothing.
    """

    personas: pl.DataFrame
    ari: tuple[float, ...]
    flip_share: float
    silhouette: float
    runs: int
    sample_size: int
    bar: float = DEFAULT_BAR
    notes: tuple[str, ...] = field(default=())
    null_ari: float | None = None
    null_jaccard: float | None = None

    @property
    def ari_mean(self) -> float:
        """Mean adjusted Rand index between the original labels and each re-fit."""
        return float(np.mean(self.ari)) if self.ari else float("nan")

    @property
    def jaccard_mean(self) -> float:
        """Mean of the per-persona Jaccard stabilities."""
        return float(self.personas["jaccard"].to_numpy().mean()) if self.personas.height else float("nan")


def assess_stability(
    pipeline: Any,
    X: np.ndarray,
    labels: np.ndarray,
    *,
    k: int,
    silhouette: float,
    runs: int = 10,
    sample_size: int = 20_000,
    bar: float = DEFAULT_BAR,
    seed: int = 0,
) -> Stability:
    """Re-fit ``pipeline`` on ``runs`` bootstrap resamples (each with a new seed) of a subsample of ``X``.

    ``labels`` are the fitted persona ids (0..k-1) of the rows of ``X``. Work is bounded by ``sample_size``
    rows per run whatever the size of ``X``.

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> X = np.r_[np.zeros((50, 2)), np.ones((50, 2)) * 10] + np.random.default_rng(0).normal(size=(100, 2))
    >>> labels = KMeans(2, n_init=2, random_state=0).fit_predict(X)
    >>> st = assess_stability(KMeans(2, n_init=2), X, labels, k=2, silhouette=0.9, runs=3)
    >>> st.personas["jaccard"].min() > 0.95
    True
    """
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    sub = np.sort(rng.choice(n, size=sample_size, replace=False)) if n > sample_size else np.arange(n)
    Xs, ref = X[sub], labels[sub]
    m = len(sub)
    jaccard = np.zeros((runs, k))
    flips = np.zeros((runs, k))
    aris: list[float] = []
    flip_total: list[float] = []
    for run in range(runs):  # a handful of re-fits, each vectorised
        boot = rng.choice(m, size=m, replace=True)
        model = _with_seed(clone(pipeline), seed + 1 + run)
        model.fit(Xs[boot])
        seen = np.unique(boot)
        new = np.asarray(model.predict(Xs[seen]), dtype=np.int64)
        old = ref[seen]
        k_new = int(new.max()) + 1 if new.size else 1
        table = np.bincount(old * k_new + new, minlength=k * k_new).reshape(k, k_new).astype(float)
        size_old = table.sum(axis=1, keepdims=True)
        size_new = table.sum(axis=0, keepdims=True)
        union = size_old + size_new - table
        jac = np.divide(table, union, out=np.zeros_like(table), where=union > 0)
        jaccard[run] = jac.max(axis=1)
        rows, cols = linear_sum_assignment(-table)
        kept = np.zeros(k)
        kept[rows] = table[rows, cols]
        flips[run] = 1 - np.divide(kept, size_old[:, 0], out=np.ones(k), where=size_old[:, 0] > 0)
        flip_total.append(1 - kept.sum() / max(len(seen), 1))
        aris.append(float(adjusted_rand_score(old, new)))
    personas = pl.DataFrame(
        {
            "persona_id": np.arange(k, dtype=np.int64),
            "jaccard": jaccard.mean(axis=0) if runs else np.full(k, np.nan),
            "jaccard_min": jaccard.min(axis=0) if runs else np.full(k, np.nan),
            "flip_share": flips.mean(axis=0) if runs else np.full(k, np.nan),
        }
    ).with_columns((pl.col("jaccard") < bar).alias("tentative"))
    return Stability(
        personas=personas,
        ari=tuple(aris),
        flip_share=float(np.mean(flip_total)) if flip_total else float("nan"),
        silhouette=silhouette,
        runs=runs,
        sample_size=m,
        bar=bar,
    )


def _with_seed(pipeline: Any, seed: int) -> Any:
    """Set every ``random_state`` parameter of a (cloned) estimator or pipeline to ``seed``."""
    params = {name: seed for name in pipeline.get_params() if name.endswith("random_state")}
    return pipeline.set_params(**params)


def with_reference(real: Stability, null: Stability) -> Stability:
    """``real`` judged against ``null`` (the same re-fits on shuffled data): a persona is tentative when its
    Jaccard is below the bar or not above the mean Jaccard of the shuffled data's groups.

    Examples
    --------
    >>> p = pl.DataFrame({"persona_id": [0, 1], "jaccard": [0.95, 0.7], "jaccard_min": [0.9, 0.6],
    ...                   "flip_share": [0.0, 0.1], "tentative": [False, False]})
    >>> real = Stability(p, (0.9,), 0.05, 0.4, 1, 100)
    >>> null = Stability(p.with_columns(jaccard=pl.lit(0.8)), (0.8,), 0.1, float("nan"), 1, 100)
    >>> with_reference(real, null).personas["tentative"].to_list()
    [False, True]
    """
    floor = null.jaccard_mean
    personas = real.personas.with_columns(
        tentative=(pl.col("jaccard") < real.bar) | (pl.col("jaccard") <= floor))
    return replace(real, personas=personas, null_ari=null.ari_mean, null_jaccard=floor)
