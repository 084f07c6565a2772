"""Are there personas at all? Size floors, the bound on k, and the shuffled-data reference every split must beat.

Clustering always returns clusters, even in data without any groups. Three checks decide whether the personas
found are real, in this order, and :class:`Verdict` says which one failed in plain words:

1. **Enough people**: a persona must hold at least ``min_share`` of the people *and* ``min_size`` people
   (defaults 5% and 20, both settable). Fewer than two personas' worth of people means no personas; k is
   bounded by ``people // min_people`` and splits with a smaller group are not considered.
2. **A split that beats structureless data**: the same method (features, pipeline, choice of k by silhouette)
   is run on ``null_runs`` copies of the data in which every feature is shuffled independently across people,
   which keeps each feature's distribution and removes any grouping (features that are shares of one whole, such
   as a person's channel mix, are scaled back to sum to one per person, so the copy keeps that constraint too).
   The split is real only when its silhouette exceeds every shuffled copy's best silhouette, and their mean by
   3 standard deviations of them (a gap of at least ``margin``, 0.02, and at most ``cap``, 0.1: noisy references
   such as Gaussian mixtures must not make the test impossible).
3. **Differences worth naming**: at least one persona must differ from the rest materially and clearly
   (:mod:`analysis.personas.profiles`); otherwise the groups are too alike to act on.

Stability (:mod:`analysis.personas.stability`) is judged the same way: the re-fits are also run on a shuffled copy,
and a persona is tentative unless its Jaccard stability beats both the fixed bar and what shuffled data gives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from math import ceil
from typing import Literal

import numpy as np

Reason = Literal["too_few_people", "no_stable_split", "differences_too_small"]
#: What each reason means, in a marketer's words.
REASONS: dict[str, str] = {
    "too_few_people": "too few people",
    "no_stable_split": "no split that holds up",
    "differences_too_small": "differences too small",
}
MIN_SHARE = 0.05
MIN_SIZE = 20
NULL_MARGIN = 0.02
NULL_CAP = 0.1


@dataclass(frozen=True)
class Verdict:
    """Whether the data holds distinct personas, and if not, why (``reason`` and a plain ``message``).

    ``silhouette`` is the best silhouette found on the data; ``null_silhouette`` the best on each shuffled copy.
    """

    distinct: bool
    reason: Reason | None
    message: str
    min_people: int
    k_tried: tuple[int, ...] = ()
    silhouette: float = float("nan")
    null_silhouette: tuple[float, ...] = ()

    @property
    def null_mean(self) -> float:
        """Mean best silhouette over the shuffled copies (``nan`` without any)."""
        return float(np.mean(self.null_silhouette)) if self.null_silhouette else float("nan")

    @property
    def threshold(self) -> float:
        """The silhouette a split must exceed to count as real."""
        return null_threshold(self.null_silhouette)


def min_people(n: int, *, min_share: float = MIN_SHARE, min_size: int = MIN_SIZE) -> int:
    """The smallest persona allowed among ``n`` people: ``max(min_size, ceil(min_share * n))``.

    Examples
    --------
    >>> min_people(100), min_people(10_000)
    (20, 500)
    """
    return max(int(min_size), ceil(min_share * n))


def shuffled(X: np.ndarray, rng: np.random.Generator, *, blocks: Sequence[Sequence[int]] = ()) -> np.ndarray:
    """A copy of ``X`` with every column permuted independently: same marginals, no joint structure.

    Each of ``blocks`` (column positions of shares of one whole) is scaled back to sum to one in every row that
    has any share, as in the data.

    Examples
    --------
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> sorted(shuffled(X, np.random.default_rng(0))[:, 1]) == sorted(X[:, 1])
    True
    >>> S = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    >>> bool(np.allclose(shuffled(S, np.random.default_rng(1), blocks=[[0, 1]]).sum(axis=1)[S.sum(axis=1) > 0], 1))
    True
    """
    out = np.asarray(rng.permuted(X, axis=0))
    for block in blocks:
        cols = list(block)
        total = out[:, cols].sum(axis=1, keepdims=True)
        out[:, cols] = np.divide(out[:, cols], total, out=np.zeros_like(out[:, cols]), where=total > 0)
    return out


def share_blocks(names: Sequence[str]) -> list[list[int]]:
    """Column positions of each group of share features (``channel:``, ``device:``, ``<column>:``), by prefix.

    Event and pair counts are left out: the model turns them into shares after shuffling anyway.

    Examples
    --------
    >>> share_blocks(["event:a", "channel:x", "channel:y", "sessions", "country:de"])
    [[1, 2], [4]]
    """
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if ":" in name and name.split(":", 1)[0] not in ("event", "pair"):
            groups.setdefault(name.split(":", 1)[0], []).append(i)
    return list(groups.values())


def null_silhouettes(score: Callable[[np.ndarray, int], float], X: np.ndarray, ks: Sequence[int], *, runs: int,
                     sample: int, rng: np.random.Generator, blocks: Sequence[Sequence[int]] = ()) -> tuple[float, ...]:
    """Best silhouette over ``ks`` on each of ``runs`` shuffled copies of a ``sample``-row subsample of ``X``."""
    out: list[float] = []
    for _ in range(runs):  # a handful of reference fits
        pick = np.sort(rng.choice(len(X), size=sample, replace=False)) if len(X) > sample else np.arange(len(X))
        Xp = shuffled(X[pick], rng, blocks=blocks)
        scores = [score(Xp, k) for k in ks]
        out.append(float(np.nanmax(scores)) if np.isfinite(scores).any() else float("nan"))
    return tuple(out)


def null_threshold(null: Sequence[float], *, margin: float = NULL_MARGIN, cap: float = NULL_CAP) -> float:
    """What a real split's silhouette must exceed: ``max(max(null), mean(null) + clip(3 sd, margin, cap))``.

    Examples
    --------
    >>> round(null_threshold([0.10, 0.12, 0.11]), 3), round(null_threshold([0.0, 0.3, 0.15]), 3)
    (0.14, 0.3)
    """
    values = np.asarray([v for v in null if np.isfinite(v)], dtype=np.float64)
    if values.size == 0:
        return float("-inf")
    sd = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return max(float(values.max()), float(values.mean()) + min(max(3 * sd, margin), cap))
