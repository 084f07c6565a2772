"""Uncertainty of attribution: a bootstrap over journeys, shared by every model.

A path table of N journeys is N draws from its cells (each path's converting and null journeys). A bootstrap
replicate redraws N journeys from those cells with multinomial weights (seeded); a converting journey keeps its
path's mean conversion value. Every model is re-run on every replicate with the same draws, so models and
channels can be compared draw by draw.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Unpack

import numpy as np
import polars as pl

from analysis.attribution._encode import Encoded, FloatArray, encode, require_path_conversions
from analysis.attribution.models import (
    NO_TOUCH,
    ModelKeywords,
    ModelOptions,
    check_model,
    credit_table,
    evaluator,
    heuristic_matrix,
)
from analysis.errors import AnalysisError
from analysis.vocabulary import MODELS, Model

_CHUNK_CELLS = 8_000_000  # multinomial cells per chunk of draws: about 64 MB at a time


class BootstrapKeywords(ModelKeywords, total=False):
    """The fields of :class:`BootstrapOptions` as keywords of :func:`bootstrap_draws`."""

    n_boot: int


class IntervalKeywords(BootstrapKeywords, total=False):
    """The fields of :class:`IntervalOptions` as keywords of :func:`attribution_intervals` and ``compare_models``."""

    level: float


@dataclass(frozen=True, kw_only=True)
class BootstrapOptions(ModelOptions):
    """The model options (:class:`ModelOptions`) plus ``n_boot``, the number of bootstrap draws (seeded by ``seed``).

    Examples
    --------
    >>> BootstrapOptions.of({"n_boot": 50}).n_boot
    50
    """

    n_boot: int = 200


@dataclass(frozen=True, kw_only=True)
class IntervalOptions(BootstrapOptions):
    """The bootstrap options (:class:`BootstrapOptions`) plus ``level``, the coverage of the percentile bounds.

    Examples
    --------
    >>> IntervalOptions.of({"level": 0.8}).level
    0.8
    """

    level: float = 0.9


def _replicates(enc: Encoded, n_boot: int, seed: int) -> Iterator[FloatArray]:
    """Chunks of (draws, 2 * rows) journey counts, converting cells first, then null cells (bounded memory)."""
    counts = np.concatenate([enc.conversions + enc.untouched, enc.nulls])
    total = int(np.rint(counts.sum()))
    if total == 0:
        raise AnalysisError("the path table has no journeys to resample")
    rng = np.random.default_rng(seed)
    p = counts / counts.sum()
    step = max(1, _CHUNK_CELLS // max(p.shape[0], 1))
    for i in range(0, n_boot, step):
        yield rng.multinomial(total, p, size=min(step, n_boot - i)).astype(np.float64)


def bootstrap_draws(
    paths: pl.DataFrame,
    *,
    models: Sequence[Model] = ("last_touch", "markov"),
    **options: Unpack[BootstrapKeywords],
) -> pl.DataFrame:
    """Credit per model, bootstrap draw and channel: columns ``model``, ``draw``, ``channel``, ``conversions``,
    ``value``; all models see the same resampled journeys. Options: :class:`BootstrapOptions`.

    Examples
    --------
    >>> p = pl.DataFrame({"path": [["A"], ["B"]], "conversions": [3, 1], "nulls": [1, 3], "value": [3.0, 1.0]})
    >>> bootstrap_draws(p, models=["last_touch"], n_boot=5).height
    10
    """
    return draw_table(paths, models, BootstrapOptions.of(options))


def draw_table(paths: pl.DataFrame, models: Sequence[Model], opts: BootstrapOptions) -> pl.DataFrame:
    """:func:`bootstrap_draws` with its options as one :class:`BootstrapOptions`."""
    n_boot = opts.n_boot
    if n_boot < 1:
        raise AnalysisError(f"n_boot must be at least 1, got {n_boot}")
    for m in models:
        check_model(m)
    enc = encode(paths)
    only_untouched = enc.untouched.sum() > 0 and not enc.conversions.sum() > 0
    if not only_untouched:
        require_path_conversions(enc)
    rows, k = enc.n_rows, enc.n_channels
    conv_all, value_all = enc.conversions + enc.untouched, enc.value + enc.untouched_value
    mean_value = np.divide(value_all, conv_all, out=np.zeros(rows), where=conv_all > 0)
    empty = enc.length == 0  # conversions without a touch: drawn like the rest, credited to no channel
    channels = [*enc.channels, NO_TOUCH] if enc.untouched.sum() > 0 else enc.channels
    matrices = {m: None if only_untouched else heuristic_matrix(enc, m, opts) for m in models}
    runs = {m: evaluator(enc, m, opts) for m in models if matrices[m] is None and not only_untouched}
    conv_parts: dict[str, list[FloatArray]] = {m: [] for m in models}
    value_parts: dict[str, list[FloatArray]] = {m: [] for m in models}
    for reps in _replicates(enc, n_boot, opts.seed):
        conv_b, null_b = np.where(empty, 0.0, reps[:, :rows]), reps[:, rows:]
        value_b = conv_b * mean_value
        none_b = np.where(empty, reps[:, :rows], 0.0)
        extra = [none_b.sum(axis=1, keepdims=True)] if len(channels) > k else []
        extra_value = [(none_b * mean_value).sum(axis=1, keepdims=True)] if extra else []
        for m in models:
            matrix = matrices[m]
            if only_untouched:  # no touch in any journey: every channel's credit is zero in every draw
                conv_m = value_m = np.zeros((reps.shape[0], k))
            elif matrix is not None:  # rule-based: one sparse product for the whole chunk of draws
                conv_m, value_m = np.asarray((matrix.T @ conv_b.T).T), np.asarray((matrix.T @ value_b.T).T)
            else:
                pairs = [runs[m](conv_b[b], null_b[b], value_b[b]) for b in range(reps.shape[0])]  # per draw
                conv_m, value_m = np.stack([c for c, _ in pairs]), np.stack([v for _, v in pairs])
            conv_parts[m].append(np.hstack([conv_m[:, :k], *extra]))
            value_parts[m].append(np.hstack([value_m[:, :k], *extra_value]))
    frames = []
    n = len(channels)
    for m in models:
        c_all, v_all = np.concatenate(conv_parts[m]), np.concatenate(value_parts[m])
        frames.append(
            pl.DataFrame(
                {
                    "model": np.full(n_boot * n, m),
                    "draw": np.repeat(np.arange(n_boot, dtype=np.int64), n),
                    "channel": np.tile(np.array(channels, dtype=object), n_boot),
                    "conversions": c_all.ravel(),
                    "value": v_all.ravel(),
                },
                schema={
                    "model": pl.String,
                    "draw": pl.Int64,
                    "channel": pl.String,
                    "conversions": pl.Float64,
                    "value": pl.Float64,
                },
            )
        )
    return pl.concat(frames)


def summarize_draws(
    point: pl.DataFrame, draws: pl.DataFrame, *, level: float = IntervalOptions.level
) -> pl.DataFrame:
    """Join point estimates (``model``, ``channel``, ...) with percentile bounds from ``draws``."""
    if not 0 < level < 1:
        raise AnalysisError(f"level must be between 0 and 1, got {level}")
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    total = pl.col("conversions").sum().over("model", "draw")
    bounds = (
        draws.with_columns(share=pl.when(total > 0).then(pl.col("conversions") / total).otherwise(0.0))
        .group_by("model", "channel")
        .agg(
            *[
                pl.col(c).quantile(q, interpolation="linear").alias(f"{c}_{name}")
                for c in ("conversions", "value", "share")
                for q, name in ((lo, "low"), (hi, "high"))
            ]
        )
    )
    return point.join(bounds, on=["model", "channel"], how="left").select(
        "model",
        "channel",
        "conversions",
        "conversions_low",
        "conversions_high",
        "value",
        "value_low",
        "value_high",
        "share",
        "share_low",
        "share_high",
    )


def attribution_intervals(
    paths: pl.DataFrame, *, model: Model, **options: Unpack[IntervalKeywords]
) -> pl.DataFrame:
    """``attribute`` plus bootstrap percentile bounds (``level``, default 90%) per channel.

    Columns: ``channel``, ``conversions``, ``conversions_low``, ``conversions_high``, ``value``, ``value_low``,
    ``value_high``, ``share``, ``share_low``, ``share_high``. Options: :class:`IntervalOptions`.

    Examples
    --------
    >>> p = pl.DataFrame({"path": [["A"], ["B"]], "conversions": [30, 10], "nulls": [10, 30],
    ...                   "value": [30.0, 10.0]})
    >>> r = attribution_intervals(p, model="last_touch", n_boot=50)
    >>> bool((r["conversions_low"] <= r["conversions"]).all())
    True
    """
    opts = IntervalOptions.of(options)
    point = credit_table(paths, model, opts).with_columns(model=pl.lit(model))
    return summarize_draws(point, draw_table(paths, [model], opts), level=opts.level).drop("model")


__all__ = ["MODELS", "attribution_intervals", "bootstrap_draws", "summarize_draws"]
