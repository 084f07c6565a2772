"""Models side by side: credits with intervals, outrank probabilities, a robust rank and model disagreement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Unpack

import polars as pl

from analysis.attribution.intervals import IntervalKeywords, IntervalOptions, draw_table, summarize_draws
from analysis.attribution.models import NO_TOUCH, check_model, credit_table
from analysis.vocabulary import METRICS, Model, check_choice

DEFAULT_MODELS: tuple[Model, ...] = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "markov",
    "shapley",
)


@dataclass(frozen=True)
class ModelComparison:
    """Everything the attribution view shows.

    ``table``: model, channel, conversions/value/share with ``_low``/``_high`` bounds. ``outrank``: model
    (``"all"`` pools every summing model), channel_a, channel_b, probability that A gets more credit than B.
    ``robust_rank``: channel, mean_rank, rank_low, rank_high, rank (1 = most credit) over every summing model and
    draw. ``disagreement``: channel, min_share, max_share, spread, min_model, max_model over point estimates.
    """

    table: pl.DataFrame
    outrank: pl.DataFrame
    robust_rank: pl.DataFrame
    disagreement: pl.DataFrame
    draws: pl.DataFrame


def compare_models(
    paths: pl.DataFrame,
    *,
    models: Sequence[Model] = DEFAULT_MODELS,
    **options: Unpack[IntervalKeywords],
) -> ModelComparison:
    """Run several models with a shared bootstrap and summarise where they agree.

    Options: :class:`~analysis.attribution.intervals.IntervalOptions`.

    Examples
    --------
    >>> p = pl.DataFrame({"path": [["A", "B"], ["B"]], "conversions": [20, 10], "nulls": [10, 20],
    ...                   "value": [20.0, 10.0]})
    >>> c = compare_models(p, models=["first_touch", "last_touch"], n_boot=20)
    >>> c.robust_rank["channel"].to_list()
    ['B', 'A']
    """
    opts = IntervalOptions.of(options)
    for m in models:
        check_model(m)
    point = pl.concat(
        [credit_table(paths, m, opts).with_columns(model=pl.lit(m)) for m in models]
    ).select("model", "channel", "conversions", "value", "share")
    draws = draw_table(paths, models, opts)
    table = summarize_draws(point, draws, level=opts.level)
    # conversions without a touch credit no channel: they are in the table, not among the channels ranked
    channels = draws.filter(pl.col("channel") != NO_TOUCH)
    summing = channels.filter(pl.col("model") != "participation")
    return ModelComparison(
        table=table,
        outrank=_outrank(channels, summing),
        robust_rank=_robust_rank(summing, opts.level),
        disagreement=_disagreement(
            point.filter((pl.col("model") != "participation") & (pl.col("channel") != NO_TOUCH))),
        draws=draws,
    )


def _outrank(draws: pl.DataFrame, summing: pl.DataFrame) -> pl.DataFrame:
    """P(credit of A > credit of B) per model and pooled ("all") over summing models' draws."""
    both = pl.concat([draws, summing.with_columns(model=pl.lit("all"))])
    a = both.rename({"channel": "channel_a", "conversions": "a"}).select("model", "draw", "channel_a", "a")
    b = both.rename({"channel": "channel_b", "conversions": "b"}).select("model", "draw", "channel_b", "b")
    return (
        a.join(b, on=["model", "draw"])
        .filter(pl.col("channel_a") != pl.col("channel_b"))
        .group_by("model", "channel_a", "channel_b")
        .agg(probability=(pl.col("a") > pl.col("b")).mean())
        .sort("model", "channel_a", "channel_b")
    )


def _robust_rank(summing: pl.DataFrame, level: float) -> pl.DataFrame:
    lo, hi = (1 - level) / 2, 1 - (1 - level) / 2
    ranked = summing.with_columns(r=pl.col("conversions").rank("average", descending=True).over("model", "draw"))
    return (
        ranked.group_by("channel")
        .agg(
            mean_rank=pl.col("r").mean(),
            rank_low=pl.col("r").quantile(lo, interpolation="linear"),
            rank_high=pl.col("r").quantile(hi, interpolation="linear"),
        )
        .sort("mean_rank", "channel")
        .with_columns(rank=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    )


def _disagreement(point: pl.DataFrame) -> pl.DataFrame:
    return (
        point.sort("model")
        .group_by("channel")
        .agg(
            min_share=pl.col("share").min(),
            max_share=pl.col("share").max(),
            min_model=pl.col("model").sort_by("share").first(),
            max_model=pl.col("model").sort_by("share", descending=True).first(),
        )
        .with_columns(spread=pl.col("max_share") - pl.col("min_share"))
        .sort("spread", "channel", descending=[True, False])
        .select("channel", "min_share", "max_share", "spread", "min_model", "max_model")
    )


def wide_table(comparison: ModelComparison, *, metric: str = "conversions") -> pl.DataFrame:
    """One row per channel (in robust-rank order), one column per model with the point credit of ``metric``.

    Examples
    --------
    >>> p = pl.DataFrame({"path": [["A", "B"], ["B"]], "conversions": [2, 1], "nulls": [1, 2],
    ...                   "value": [2.0, 1.0]})
    >>> wide_table(compare_models(p, models=["first_touch", "last_touch"], n_boot=5)).columns
    ['channel', 'rank', 'first_touch', 'last_touch']
    """
    check_choice("metric", metric, METRICS)
    models = comparison.table["model"].unique(maintain_order=True).to_list()
    wide = comparison.table.pivot("model", index="channel", values=metric)
    ranks = comparison.robust_rank.select("channel", "rank")
    return ranks.join(wide, on="channel", how="right").sort("rank", nulls_last=True).select("channel", "rank", *models)


def outrank_matrix(comparison: ModelComparison, *, model: str = "all") -> pl.DataFrame:
    """P(row channel gets more credit than column channel) for one model, or pooled over models (``"all"``).

    With fewer than two channels there is no pair to compare: the matrix is the channel column alone.

    Examples
    --------
    >>> one = pl.DataFrame({"path": [["A"]], "conversions": [3], "nulls": [1], "value": [3.0]})
    >>> outrank_matrix(compare_models(one, models=["last_touch"], n_boot=5)).to_dicts()
    [{'channel': 'A'}]
    """
    check_choice("model", model, ["all", *comparison.draws["model"].unique().sort().to_list()])
    part = comparison.outrank.filter(pl.col("model") == model)
    order = comparison.robust_rank["channel"].to_list()
    wide = part.pivot("channel_b", index="channel_a", values="probability")
    present = [c for c in order if c in wide.columns]
    return (
        pl.DataFrame({"channel_a": order})
        .join(wide, on="channel_a", how="left")
        .select(pl.col("channel_a").alias("channel"), *present)
    )
