"""The snapshot's attribution summary: every published credit counts the people behind it.

A model's credit for a channel describes the converting people whose journeys gave the channel that credit:
the people whose *first* touch it was (first touch), whose *last* touch it was (last touch), whose last
non-Direct touch it was (last non-direct), or whose path held it at all (linear, position based, time decay,
Markov, Shapley: each touch on a converting path earns part of its credit). A channel whose credit describes
fewer than k people in **any** model is merged, in every model and in the paths themselves, into
"Other (n groups)" before the models run; then the next smallest channels join it until "Other" also has at
least k people behind it in every model. So no cell is withheld (model totals give nothing away), and no name
of a small channel leaves the machine. Intervals are bootstrap percentiles over the folded paths.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from analysis import schema as s
from analysis.attribution import aggregate_paths, attribution_intervals, journey_paths
from analysis.attribution.models import LABELS, ModelOptions
from analysis.privacy import SUPPRESSED, SuppressionManifest, redact_values
from analysis.privacy.fold import other_label

#: Models whose credit goes to one touch per journey, and the touch.
SINGLE_TOUCH = ("first_touch", "last_touch", "last_non_direct")
FOLDED = "\u0000folded"  # internal channel label of merged channels; replaced by "Other (n groups)" on output
N_BOOT = 100
LEVEL = 0.9

ATTRIBUTION_SCHEMA = {"model": pl.String, "channel": pl.String, "users": pl.Int64, "conversions": pl.Float64,
                      "conversions_low": pl.Float64, "conversions_high": pl.Float64, "value": pl.Float64,
                      "value_low": pl.Float64, "value_high": pl.Float64, "share": pl.Float64,
                      "share_low": pl.Float64, "share_high": pl.Float64}


def model_label(model: str) -> str:
    """The plain name of a model ("first_touch" -> "First touch"; Markov and Shapley say they are data-driven)."""
    plain = {str(k): v for k, v in LABELS.items()}
    extra = {"markov": "Data-driven (Markov)", "shapley": "Data-driven (Shapley)"}
    return extra.get(model, plain.get(model, model.replace("_", " ").capitalize()))


def backers(journeys: pl.DataFrame, models: Sequence[str], *, direct: str = ModelOptions.direct) -> pl.DataFrame:
    """``model``, ``channel``, ``users``: converting people behind each model's credit for each channel.

    ``journeys`` has ``user_id``, ``path`` (List[String]) and ``converted``.

    Examples
    --------
    >>> j = pl.DataFrame({"user_id": ["a", "b"], "path": [["Email", "Direct"], ["Email"]], "converted": [True, True]})
    >>> backers(j, ["first_touch", "linear"]).sort("model", "channel").rows()
    [('first_touch', 'Email', 2), ('linear', 'Direct', 1), ('linear', 'Email', 2)]
    """
    conv = journeys.filter(pl.col("converted") & (pl.col("path").list.len() > 0)).select(s.USER_ID, "path")
    non_direct = pl.col("path").list.eval(pl.element().filter(pl.element() != direct)).list.last()
    touch = {"first_touch": pl.col("path").list.first(), "last_touch": pl.col("path").list.last(),
             "last_non_direct": non_direct.fill_null(pl.col("path").list.last())}
    parts = []
    for model in models:
        if model in touch:
            part = conv.select(s.USER_ID, touch[model].alias("channel"))
        else:
            part = conv.select(s.USER_ID, pl.col("path").alias("channel")).explode("channel")
        parts.append(part.with_columns(pl.lit(model).alias("model")))
    if not parts:
        return pl.DataFrame(schema={"model": pl.String, "channel": pl.String, "users": pl.Int64})
    return (pl.concat(parts).drop_nulls("channel").group_by("model", "channel")
            .agg(pl.col(s.USER_ID).n_unique().cast(pl.Int64).alias("users")))


def _relabel(journeys: pl.DataFrame, folded: set[str]) -> pl.DataFrame:
    if not folded:
        return journeys
    return journeys.with_columns(pl.col("path").list.eval(
        pl.when(pl.element().is_in(sorted(folded))).then(pl.lit(FOLDED)).otherwise(pl.element())))


def fold_channels(journeys: pl.DataFrame, models: Sequence[str], *, min_group_size: int) -> set[str] | None:
    """The channels to merge so every model's every credit has at least k people behind it (None: impossible)."""
    k = min_group_size
    folded: set[str] = set()
    channels = set(journeys["path"].explode().drop_nulls().unique().to_list())
    while True:
        people = backers(_relabel(journeys, folded), models)
        small = people.filter((pl.col("users") < k) & (pl.col("channel") != FOLDED))["channel"].unique().to_list()
        if small:
            folded |= set(small)
            continue
        other = people.filter(pl.col("channel") == FOLDED)
        if other.height == 0 or int(other["users"].min()) >= k:  # type: ignore[arg-type]
            return folded
        rest = (people.filter(pl.col("channel") != FOLDED).group_by("channel").agg(pl.col("users").min())
                .sort("users", "channel"))
        if rest.height == 0 or folded == channels:
            return None
        folded.add(str(rest["channel"][0]))


def attribution_summary(events: pl.DataFrame, *, models: Sequence[str], conversion_events: Sequence[str],
                        lookback: timedelta, min_group_size: int, seed: int = 0,
                        value_cap: float | None = None,
                        ) -> tuple[pl.DataFrame, SuppressionManifest, int, float]:
    """Credits per model and channel with 90% bootstrap intervals and the people behind each; also returns the
    manifest, the number of conversions and their total value (both model totals).

    ``value_cap`` (the noise mode) keeps each person's first conversion only and caps its value, so one person
    moves at most one conversion and ``value_cap`` of value in any rule-based model.
    """
    k = min_group_size
    manifest = SuppressionManifest(k)
    empty = pl.DataFrame(schema={**ATTRIBUTION_SCHEMA, SUPPRESSED: pl.Boolean})
    if s.CHANNEL not in events.columns or not models:
        return empty, manifest, 0, 0.0
    journeys = journey_paths(events, conversion_events=conversion_events, lookback=lookback, touch="channel",
                             first_conversion_only=value_cap is not None)
    if value_cap is not None:
        journeys = journeys.with_columns(pl.col("value").clip(upper_bound=value_cap))
    # channel names that look like personal data are redacted (inside a list, the element is column "")
    journeys = journeys.with_columns(pl.col("path").list.eval(redact_values("").fill_null("(none)")))
    converted = journeys.filter(pl.col("converted"))
    conversions, value = converted.height, float(converted["value"].sum())
    if converted[s.USER_ID].n_unique() < k:
        manifest = manifest.add("attribution", "all models", "below_k", "fewer than k converting people")
        return empty, manifest, conversions, value
    folded = fold_channels(journeys, models, min_group_size=k)
    if folded is None:
        manifest = manifest.add("attribution", "all models", "below_k",
                                "no channel split leaves at least k people behind every credit")
        return empty, manifest, conversions, value
    paths = aggregate_paths(_relabel(journeys, folded), with_times=True)
    people = backers(_relabel(journeys, folded), models)
    parts = [attribution_intervals(paths, model=m, n_boot=N_BOOT, seed=seed, level=LEVEL)  # type: ignore[arg-type]
             .with_columns(pl.lit(m).alias("model")) for m in models]
    label = other_label(len(folded))
    table = (pl.concat(parts, how="diagonal_relaxed")
             .join(people, on=["model", "channel"], how="left")
             .with_columns(pl.col("channel").replace(FOLDED, label),
                           pl.col("model").replace_strict({m: model_label(m) for m in models}, return_dtype=pl.String),
                           pl.col("users").fill_null(0))
             .select([pl.col(c).cast(t) for c, t in ATTRIBUTION_SCHEMA.items()])
             .with_columns(pl.lit(False).alias(SUPPRESSED)))
    if folded:
        manifest = manifest.add("attribution", "all models", "folded",
                                f"{len(folded)} channels with fewer than k people behind a credit merged into "
                                f"{label!r} before the models ran (names withheld)")
    order = {model_label(m): i for i, m in enumerate(models)}
    table = (table.with_columns(pl.col("model").replace_strict(order, return_dtype=pl.Int64).alias("_o"))
             .sort("_o", pl.col("channel").str.starts_with("Other ("), "conversions",
                   descending=[False, False, True]).drop("_o"))
    return table, manifest, conversions, value


__all__ = ["attribution_summary", "backers", "fold_channels", "model_label"]
