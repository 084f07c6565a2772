"""The library's vocabulary: the choices each setting accepts, the shared defaults, and the two helpers that use them.

One home for what used to be written in many places: the ``Literal`` aliases of modes and options (with a tuple of
their values, which the UI's widgets and the CLI's flags list), the defaults shared by several analyses (session
gap, the minimum group size k, the conversion events, the "Other" label, windows and lookbacks),
:func:`check_choice` (the one "not valid" message) and :func:`fold_top_n` (keep the N most frequent values, fold
the rest into :data:`OTHER`).

Examples
--------
>>> check_choice("mode", "ordered", FUNNEL_MODES)
>>> SESSION_GAP
datetime.timedelta(seconds=1800)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Literal, get_args

import polars as pl

from analysis.errors import AnalysisError

# --- choices: one Literal per setting, with the tuple of its values ----------------------------------------------

#: Where an analysis runs: Polars on this machine, or Apache Spark.
Engine = Literal["polars", "spark"]
ENGINES: tuple[Engine, ...] = get_args(Engine)

#: How funnel steps must follow each other.
FunnelMode = Literal["ordered", "strict", "unordered"]
FUNNEL_MODES: tuple[FunnelMode, ...] = get_args(FunnelMode)
#: Who enters a funnel: only at step 1 (closed) or at any step (open).
Entry = Literal["closed", "open"]
ENTRIES: tuple[Entry, ...] = get_args(Entry)
#: What a funnel counts: people, sessions or every attempt.
Counting = Literal["users", "sessions", "totals"]
COUNTINGS: tuple[Counting, ...] = get_args(Counting)
#: Which attempt of a person counts when they start a funnel again.
Anchor = Literal["furthest", "first"]
ANCHORS: tuple[Anchor, ...] = get_args(Anchor)
#: Which value of a funnel breakdown a person is counted under.
FunnelAttribution = Literal["step1", "first_touch", "last_touch"]
FUNNEL_ATTRIBUTIONS: tuple[FunnelAttribution, ...] = get_args(FunnelAttribution)
#: Granularity of trends by entry period (and of coarsened timestamps).
Every = Literal["day", "week"]
EVERIES: tuple[Every, ...] = get_args(Every)
#: Where people who dropped out of a funnel went: their next event or their last one.
Position = Literal["next", "last"]
POSITIONS: tuple[Position, ...] = get_args(Position)
#: Which people at a funnel step: those who reached it, dropped after it or continued.
Who = Literal["dropped", "continued", "reached"]
WHOS: tuple[Who, ...] = get_args(Who)

#: Attribution models.
Model = Literal[
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "j_shaped",
    "inverse_j",
    "time_decay",
    "participation",
    "markov",
    "shapley",
    "shapley_counterfactual",
]
MODELS: tuple[Model, ...] = get_args(Model)
#: Markov chain orders: how many previous touches a state remembers.
MARKOV_ORDERS: tuple[int, ...] = (1, 2, 3, 4)
#: What a conversion path is made of.
Touch = Literal["channel", "source", "medium", "campaign", "source_medium"]
TOUCHES: tuple[Touch, ...] = get_args(Touch)
#: What an attribution result is read by.
Metric = Literal["conversions", "value", "share"]
METRICS: tuple[Metric, ...] = get_args(Metric)
#: What a journey path is made of.
Level = Literal["event", "channel"]
LEVELS: tuple[Level, ...] = get_args(Level)

#: Persona clustering algorithms, feature reductions, event weightings and map projections.
Algorithm = Literal["auto", "kmeans", "minibatch", "gmm"]
ALGORITHMS: tuple[Algorithm, ...] = get_args(Algorithm)
Reduction = Literal["none", "pca"]
REDUCTIONS: tuple[Reduction, ...] = get_args(Reduction)
FeatureGroup = Literal["events", "pairs", "channels", "rfm", "sessions", "devices"]
FEATURE_GROUPS: tuple[FeatureGroup, ...] = get_args(FeatureGroup)
EventWeighting = Literal["share", "tfidf", "count"]
EVENT_WEIGHTINGS: tuple[EventWeighting, ...] = get_args(EventWeighting)
Projection = Literal["pca", "tsne"]
PROJECTIONS: tuple[Projection, ...] = get_args(Projection)

# --- defaults shared by several analyses -------------------------------------------------------------------------

#: A new session starts after this long without events (GA4's and Mixpanel's default).
SESSION_GAP = timedelta(minutes=30)
#: k: the fewest people a published group may hold; smaller groups are suppressed or folded.
MIN_GROUP_SIZE = 10
#: The events that count as a conversion when nobody said otherwise.
CONVERSION_EVENTS: tuple[str, ...] = ("purchase",)
#: Event names that mean a conversion, best first (English and German exports); compared lower-cased with runs of
#: spaces, dots, dashes and underscores as one ``_`` (:func:`analysis.conversions.normalise_name`).
CONVERSION_NAMES: tuple[str, ...] = (
    "purchase", "conversion", "order", "kauf", "bestellung", "transaction", "order_completed", "order_complete",
    "checkout_completed", "checkout_complete", "purchase_completed", "ecommerce_purchase", "completed_purchase",
    "sale", "abschluss", "subscription", "subscribe", "sign_up", "signup", "registration", "lead",
)
#: The label of values folded together (rare breakdown values, small groups, nodes past the top N).
OTHER = "Other"
#: The label of a missing breakdown value.
NONE_VALUE = "(none)"
#: How long a funnel runs from a person's first step.
FUNNEL_WINDOW = timedelta(days=7)
#: How far before a conversion the touchpoints of a conversion path reach: 30 days, GA4's default for acquisition
#: conversion events, so a channel is credited only for touches near the conversion it is given credit for.
ATTRIBUTION_LOOKBACK = timedelta(days=30)
#: How far before its end a journey's events reach: None, the whole history since the person's previous conversion.
#: It differs from :data:`ATTRIBUTION_LOOKBACK` on purpose: the Journeys page describes what people did (every event
#: of a journey, however long it took), attribution shares out credit (only touches near the conversion earn some).
#: Both cut journeys by the one rule of :mod:`analysis.journeys.cut`; the lookback only trims them afterwards.
JOURNEY_LOOKBACK: timedelta | None = None
#: The half-life of the time-decay attribution model.
HALF_LIFE = timedelta(days=7)


# --- helpers ------------------------------------------------------------------------------------------------------

def check_choice(name: str, value: object, allowed: Iterable[object], *,
                 error: type[AnalysisError] = AnalysisError) -> None:
    """Raise ``error`` (:class:`~analysis.errors.AnalysisError` or a subclass) unless ``value`` is one of ``allowed``.

    The message names the setting, the bad value and the valid values; it is the library's one wording for a
    setting outside its choices.

    Examples
    --------
    >>> check_choice("mode", "strict", FUNNEL_MODES)
    >>> check_choice("mode", "sideways", FUNNEL_MODES)
    Traceback (most recent call last):
    ...
    analysis.errors.AnalysisError: mode='sideways' is not valid; choose one of ordered, strict, unordered
    """
    valid = tuple(allowed)
    if value not in valid:
        raise error(f"{name}={value!r} is not valid; choose one of {', '.join(map(str, valid))}")


def fold_top_n(
    frame: pl.DataFrame,
    column: str,
    *,
    n: int | None,
    by: Sequence[str] = (),
    weight: str | None = None,
    keep: Sequence[str] = (),
    other: str = OTHER,
) -> pl.DataFrame:
    """Keep the ``n`` most frequent values of ``column`` (within each ``by`` group) and relabel the rest ``other``.

    Frequency is the number of rows, or the sum of ``weight`` when given; ties go to the alphabetically first value.
    Values in ``keep`` (e.g. ``"(ended)"``) are neither ranked nor folded; ``n=None`` keeps every value. Rows are
    neither added, dropped nor reordered: group and sum afterwards for one row per value. ``column`` comes back as
    String.

    Examples
    --------
    >>> df = pl.DataFrame({"channel": ["Email", "Email", "Paid", "Social", "Direct"]})
    >>> fold_top_n(df, "channel", n=2)["channel"].to_list()
    ['Email', 'Email', 'Other', 'Other', 'Direct']
    >>> counts = pl.DataFrame({"value": ["a", "b", "c"], "units": [5, 3, 1]})
    >>> fold_top_n(counts, "value", n=1, weight="units").group_by("value", maintain_order=True).sum().rows()
    [('a', 5), ('Other', 4)]
    """
    if n is None:
        return frame
    if n < 1:
        raise AnalysisError(f"top_n must be at least 1, got {n}")
    missing = [c for c in (column, *by, *([weight] if weight else [])) if c not in frame.columns]
    if missing:
        raise AnalysisError(f"column(s) {', '.join(missing)} not in the table; present: {', '.join(frame.columns)}")
    value = pl.col(column).cast(pl.String)
    kept = value.is_in(list(keep)) if keep else pl.lit(False)
    size = pl.len() if weight is None else pl.col(weight).sum()
    ranked = (frame.lazy().filter(~kept).group_by(*by, value.alias(column)).agg(size.alias("_fold_n"))
              .sort([*by, "_fold_n", column], descending=[*(False for _ in by), True, False], nulls_last=True))
    if not by:
        top = ranked.head(n).collect()[column]
        folded = pl.when(value.is_in(top.implode(), nulls_equal=True) | kept).then(value).otherwise(pl.lit(other))
        return frame.with_columns(folded.alias(column))
    top_by = (ranked.filter(pl.int_range(pl.len()).over(*by) < n)
              .select(*by, column, pl.lit(True).alias("_fold_keep")).collect())
    marked = frame.with_columns(value.alias(column)).join(top_by, on=[*by, column], how="left", nulls_equal=True,
                                                          maintain_order="left")
    folded = pl.when(pl.col("_fold_keep") | kept).then(value).otherwise(pl.lit(other))
    return marked.with_columns(folded.alias(column)).drop("_fold_keep")
